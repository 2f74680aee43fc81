//! S3-compatible buckets: backup copies (`BACKUP_S3_*`) and uploaded files (`S3_*`).

use super::reader::Reader;
use super::secret::Secret;

/// An S3-compatible bucket: where backups are also uploaded (`BACKUP_S3_*`, see
/// docs/operations.md → "Copies in object storage") or where uploaded files are kept
/// (`S3_*`). Path-style requests signed with SigV4, so AWS, MinIO, Ceph and Garage all work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `http(s)://host[:port]`, without a trailing slash.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    /// Put before each file name to make its object key, e.g. `formula-pm/`.
    pub prefix: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

/// The names of one group of S3 variables and its default prefix.
pub(super) struct S3Vars {
    endpoint: &'static str,
    bucket: &'static str,
    region: &'static str,
    prefix: &'static str,
    access_key_id: &'static str,
    secret_access_key: &'static str,
    default_prefix: &'static str,
}

/// The backup bucket: `BACKUP_S3_*`.
pub(super) const BACKUP_S3: S3Vars = S3Vars {
    endpoint: "BACKUP_S3_ENDPOINT",
    bucket: "BACKUP_S3_BUCKET",
    region: "BACKUP_S3_REGION",
    prefix: "BACKUP_S3_PREFIX",
    access_key_id: "BACKUP_S3_ACCESS_KEY_ID",
    secret_access_key: "BACKUP_S3_SECRET_ACCESS_KEY",
    default_prefix: "formula-pm/",
};

/// The uploaded files' bucket: `S3_*`.
pub(super) const FILES_S3: S3Vars = S3Vars {
    endpoint: "S3_ENDPOINT",
    bucket: "S3_BUCKET",
    region: "S3_REGION",
    prefix: "S3_PREFIX",
    access_key_id: "S3_ACCESS_KEY_ID",
    secret_access_key: "S3_SECRET_ACCESS_KEY",
    default_prefix: "uploads/",
};

impl S3Settings {
    /// The region unless one is set.
    pub const DEFAULT_REGION: &str = "us-east-1";

    /// The bucket as the S3 client takes it.
    pub fn bucket(&self) -> formula_infra::s3::Bucket {
        formula_infra::s3::Bucket {
            endpoint: self.endpoint.clone(),
            name: self.bucket.clone(),
            region: self.region.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.expose().to_owned(),
        }
    }
}

/// The effective values of one group of S3 variables, for `check-config`'s listing.
pub(super) fn s3_lines(s3: Option<&S3Settings>, v: &S3Vars) -> [(&'static str, String); 6] {
    let field = |f: fn(&S3Settings) -> &str| s3.map(|s| f(s).to_owned());
    [
        (v.endpoint, field(|s| &s.endpoint).unwrap_or_default()),
        (v.bucket, field(|s| &s.bucket).unwrap_or_default()),
        (
            v.region,
            field(|s| &s.region).unwrap_or_else(|| S3Settings::DEFAULT_REGION.to_owned()),
        ),
        (
            v.prefix,
            field(|s| &s.prefix).unwrap_or_else(|| v.default_prefix.to_owned()),
        ),
        (
            v.access_key_id,
            field(|s| &s.access_key_id).unwrap_or_default(),
        ),
        (
            v.secret_access_key,
            if s3.is_some() { "<redacted>" } else { "" }.to_owned(),
        ),
    ]
}

/// Reads one group of S3 variables: nothing set is off; a bucket needs an endpoint and both
/// keys, and any other of these variables needs a bucket.
pub(super) fn read_s3(r: &mut Reader<'_>, v: &S3Vars) -> Option<S3Settings> {
    let endpoint = r.get(v.endpoint);
    let bucket = r.get(v.bucket);
    let region = r.get(v.region);
    let prefix = r.get(v.prefix);
    let access_key_id = r.get(v.access_key_id);
    let secret_access_key = r.secret(v.secret_access_key);
    let Some(bucket) = bucket else {
        let others = [
            (v.endpoint, endpoint.is_some()),
            (v.region, region.is_some()),
            (v.prefix, prefix.is_some()),
            (v.access_key_id, access_key_id.is_some()),
            (v.secret_access_key, secret_access_key.is_some()),
        ];
        if let Some((set, _)) = others.iter().find(|(_, set)| *set) {
            r.error(v.bucket, format!("is required when {set} is set"));
        }
        return None;
    };
    let mut ok = true;
    if !bucket
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        r.error(
            v.bucket,
            format!("must be a bucket name (letters, digits, '-', '.', '_'), got {bucket:?}"),
        );
        ok = false;
    }
    let endpoint = match endpoint.as_deref().map(check_s3_endpoint) {
        None => {
            r.error(
                v.endpoint,
                format!(
                    "is required when {} is set, like https://s3.eu-west-1.amazonaws.com or http://minio:9000",
                    v.bucket
                ),
            );
            None
        }
        Some(Err(raw)) => {
            r.error(
                v.endpoint,
                format!(
                    "must be http(s)://host[:port] without a path, like https://s3.eu-west-1.amazonaws.com or http://minio:9000, got {raw:?}"
                ),
            );
            None
        }
        Some(Ok(e)) => Some(e),
    };
    let region = region.unwrap_or_else(|| S3Settings::DEFAULT_REGION.to_owned());
    if !region
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    {
        r.error(
            v.region,
            format!("must be a region name like eu-west-1, got {region:?}"),
        );
        ok = false;
    }
    let prefix = prefix.unwrap_or_else(|| v.default_prefix.to_owned());
    if prefix.starts_with('/') || prefix.chars().any(char::is_control) {
        r.error(
            v.prefix,
            format!(
                "must be an object key prefix like {} (no leading '/'), got {prefix:?}",
                v.default_prefix
            ),
        );
        ok = false;
    }
    if access_key_id.is_none() {
        r.error(
            v.access_key_id,
            format!("is required when {} is set", v.bucket),
        );
    }
    if secret_access_key.is_none() {
        r.error(
            v.secret_access_key,
            format!(
                "is required when {} is set (or {}_FILE)",
                v.bucket, v.secret_access_key
            ),
        );
    }
    if !ok {
        return None;
    }
    Some(S3Settings {
        endpoint: endpoint?,
        bucket,
        region,
        prefix,
        access_key_id: access_key_id?,
        secret_access_key: secret_access_key?,
    })
}

/// `http(s)://host[:port]` with an optional trailing slash, returned without it.
fn check_s3_endpoint(raw: &str) -> Result<String, String> {
    let trimmed = raw.strip_suffix('/').unwrap_or(raw);
    let host = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match host {
        Some(h)
            if !h.is_empty()
                && !h.starts_with(':')
                && !h.contains(['/', '?', '#', '@'])
                && !h.contains(char::is_whitespace) =>
        {
            Ok(trimmed.to_owned())
        }
        _ => Err(raw.to_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::config::test_support::{error_for, load};

    #[test]
    fn backup_uploads_need_a_bucket_endpoint_and_keys() {
        assert_eq!(load(&[]).unwrap().backup.s3, None);
        let full = [
            ("BACKUP_S3_ENDPOINT", "http://minio:9000/"),
            ("BACKUP_S3_BUCKET", "backups"),
            ("BACKUP_S3_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            (
                "BACKUP_S3_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ),
        ];
        let c = load(&full).unwrap();
        let s3 = c.backup.s3.clone().unwrap();
        assert_eq!(s3.endpoint, "http://minio:9000");
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.prefix, "formula-pm/");
        let lines = c.redacted_lines();
        assert!(lines.contains(&"BACKUP_S3_SECRET_ACCESS_KEY=<redacted>".to_owned()));
        assert!(!lines.iter().any(|l| l.contains("EXAMPLEKEY")));
        // Each missing piece is named.
        for (missing, needle) in [
            (
                "BACKUP_S3_ENDPOINT",
                "is required when BACKUP_S3_BUCKET is set",
            ),
            ("BACKUP_S3_ACCESS_KEY_ID", "is required"),
            ("BACKUP_S3_SECRET_ACCESS_KEY", "is required"),
        ] {
            let vars: Vec<_> = full
                .iter()
                .copied()
                .filter(|(n, _)| *n != missing)
                .collect();
            let msg = error_for(&vars, missing);
            assert!(msg.contains(needle), "{msg}");
        }
        let msg = error_for(
            &[("BACKUP_S3_ENDPOINT", "http://minio:9000")],
            "BACKUP_S3_BUCKET",
        );
        assert!(
            msg.contains("required when BACKUP_S3_ENDPOINT is set"),
            "{msg}"
        );
        for (name, bad) in [
            ("BACKUP_S3_ENDPOINT", "minio:9000"),
            ("BACKUP_S3_ENDPOINT", "https://s3.example.com/path"),
            ("BACKUP_S3_BUCKET", "a/b"),
            ("BACKUP_S3_PREFIX", "/abs/"),
            ("BACKUP_S3_REGION", "eu west"),
        ] {
            let mut vars = full.to_vec();
            vars.retain(|(n, _)| *n != name);
            vars.push((name, bad));
            error_for(&vars, name);
        }
    }

    #[test]
    fn uploaded_files_go_to_a_bucket_when_s3_is_configured() {
        assert_eq!(load(&[]).unwrap().files_s3, None);
        let full = [
            ("S3_ENDPOINT", "https://s3.eu-west-1.amazonaws.com"),
            ("S3_BUCKET", "pm-files"),
            ("S3_REGION", "eu-west-1"),
            ("S3_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            (
                "S3_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ),
        ];
        let c = load(&full).unwrap();
        let s3 = c.files_s3.clone().unwrap();
        assert_eq!(s3.prefix, "uploads/");
        assert_eq!(s3.region, "eu-west-1");
        assert_eq!(c.backup.s3, None, "the backup bucket is configured apart");
        let lines = c.redacted_lines();
        assert!(lines.contains(&"S3_BUCKET=pm-files".to_owned()));
        assert!(lines.contains(&"S3_SECRET_ACCESS_KEY=<redacted>".to_owned()));
        assert!(!lines.iter().any(|l| l.contains("EXAMPLEKEY")));
        let vars: Vec<_> = full
            .iter()
            .copied()
            .filter(|(n, _)| *n != "S3_ACCESS_KEY_ID")
            .collect();
        let msg = error_for(&vars, "S3_ACCESS_KEY_ID");
        assert!(msg.contains("required when S3_BUCKET is set"), "{msg}");
        let msg = error_for(&[("S3_ENDPOINT", "http://minio:9000")], "S3_BUCKET");
        assert!(msg.contains("required when S3_ENDPOINT is set"), "{msg}");
    }
}
