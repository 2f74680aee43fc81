//! The optional Redis: `REDIS_URL`, `REDIS_REQUIRED`.

use super::reader::Reader;
use super::secret::{Secret, shown};

/// The optional Redis (see docs/operations.md → "Redis").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisSettings {
    /// `redis://[:password@]host:port[/db]`, or `rediss://` for TLS.
    pub url: Secret,
    /// Whether readiness fails (rather than degrades) while Redis is down.
    pub required: bool,
}

/// Reads `REDIS_URL` and `REDIS_REQUIRED`.
pub(super) fn read_redis(r: &mut Reader<'_>) -> Option<RedisSettings> {
    let url = r.secret("REDIS_URL");
    let required = r.boolean("REDIS_REQUIRED", false);
    let Some(url) = url else {
        if required {
            r.error("REDIS_REQUIRED", "is true but REDIS_URL is not set");
        }
        return None;
    };
    let rest = url
        .expose()
        .strip_prefix("redis://")
        .or_else(|| url.expose().strip_prefix("rediss://"));
    // The host is what follows the credentials, if any; never echo the value (a secret).
    let host = rest.map(|r| r.rsplit_once('@').map_or(r, |(_, h)| h));
    if host.is_none_or(|h| h.is_empty() || h.starts_with(['/', ':'])) {
        r.error(
            "REDIS_URL",
            "must look like redis://:password@host:6379/0 (or rediss:// for TLS)",
        );
        return None;
    }
    Some(RedisSettings { url, required })
}

/// The effective `REDIS_*` values, for `check-config`'s listing.
pub(super) fn redis_lines(redis: Option<&RedisSettings>) -> [(&'static str, String); 2] {
    [
        ("REDIS_URL", shown(redis.map(|r| &r.url))),
        (
            "REDIS_REQUIRED",
            redis.is_some_and(|r| r.required).to_string(),
        ),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::config::test_support::{error_for, load};

    #[test]
    fn redis_is_optional_and_its_url_is_checked_without_echoing_it() {
        assert_eq!(load(&[]).unwrap().redis, None);
        let c = load(&[("REDIS_URL", "rediss://:s3cret@cache.internal:6380/2")]).unwrap();
        let redis = c.redis.unwrap();
        assert!(!redis.required);
        assert_eq!(redis.url.expose(), "rediss://:s3cret@cache.internal:6380/2");
        let c = load(&[
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("REDIS_REQUIRED", "true"),
        ])
        .unwrap();
        assert!(c.redis.unwrap().required);
        let msg = error_for(&[("REDIS_URL", "http://:s3cret@host")], "REDIS_URL");
        assert!(msg.contains("redis://"), "{msg}");
        assert!(!msg.contains("s3cret"), "the secret is never echoed: {msg}");
        error_for(&[("REDIS_URL", "redis://:s3cret@")], "REDIS_URL");
        let msg = error_for(&[("REDIS_REQUIRED", "true")], "REDIS_REQUIRED");
        assert!(msg.contains("REDIS_URL"), "{msg}");
        let lines = load(&[("REDIS_URL", "redis://:s3cret@h:1")])
            .unwrap()
            .redacted_lines();
        assert!(
            lines.contains(&"REDIS_URL=<redacted>".to_owned()),
            "{lines:?}"
        );
    }
}
