//! Native TLS on the main listener: `TLS_CERT_FILE`, `TLS_KEY_FILE`.

use std::path::PathBuf;

use super::reader::Reader;
use super::secret::Secret;

/// `TLS_CERT_FILE` and `TLS_KEY_FILE`, read (and checked) at start-up
/// (see docs/operations.md → "Native TLS").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// The certificate chain, PEM.
    pub cert_pem: String,
    /// The private key, PEM; redacted in `Debug`.
    pub key_pem: Secret,
}

impl TlsSettings {
    /// The rustls configuration serving this certificate.
    pub fn server_config(
        &self,
    ) -> Result<std::sync::Arc<rustls::ServerConfig>, crate::tls::TlsError> {
        crate::tls::server_config(self.cert_pem.as_bytes(), self.key_pem.expose().as_bytes())
    }
}

/// Reads `TLS_CERT_FILE` and `TLS_KEY_FILE`: both or neither, readable, a usable pair.
pub(super) fn read_tls(r: &mut Reader<'_>) -> Option<TlsSettings> {
    let cert_file = r.get("TLS_CERT_FILE");
    let key_file = r.get("TLS_KEY_FILE");
    let (cert_file, key_file) = match (cert_file, key_file) {
        (None, None) => return None,
        (Some(c), Some(k)) => (c, k),
        (Some(_), None) => {
            r.error("TLS_KEY_FILE", "is required when TLS_CERT_FILE is set");
            return None;
        }
        (None, Some(_)) => {
            r.error("TLS_CERT_FILE", "is required when TLS_KEY_FILE is set");
            return None;
        }
    };
    let mut read = |name: &str, path: &str| match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                r.error(name, format!("the file {path} is not a PEM (text) file"));
                None
            }
        },
        Err(e) => {
            r.error(name, format!("cannot read the file {path}: {e}"));
            None
        }
    };
    let cert_pem = read("TLS_CERT_FILE", &cert_file);
    let key_pem = read("TLS_KEY_FILE", &key_file);
    let settings = TlsSettings {
        cert_file: PathBuf::from(cert_file),
        key_file: PathBuf::from(key_file),
        cert_pem: cert_pem?,
        key_pem: Secret::new(key_pem?),
    };
    if let Err(e) = settings.server_config() {
        r.error(
            e.variable,
            format!(
                "{} ({})",
                e.message,
                match e.variable {
                    "TLS_KEY_FILE" => settings.key_file.display(),
                    _ => settings.cert_file.display(),
                }
            ),
        );
        return None;
    }
    Some(settings)
}

/// The effective `TLS_*` values, for `check-config`'s listing.
pub(super) fn tls_lines(tls: Option<&TlsSettings>) -> [(&'static str, String); 2] {
    [
        (
            "TLS_CERT_FILE",
            tls.map(|t| t.cert_file.display().to_string())
                .unwrap_or_default(),
        ),
        (
            "TLS_KEY_FILE",
            tls.map(|t| t.key_file.display().to_string())
                .unwrap_or_default(),
        ),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::config::test_support::{TempFile, error_for, load};

    #[test]
    fn tls_files_come_in_pairs_and_are_read_at_start_up() {
        assert!(load(&[]).unwrap().tls.is_none());
        let cert = TempFile::new("tls-cert", "not a certificate");
        let msg = error_for(&[("TLS_CERT_FILE", cert.path())], "TLS_KEY_FILE");
        assert!(msg.contains("required when TLS_CERT_FILE"), "{msg}");
        let msg = error_for(&[("TLS_KEY_FILE", cert.path())], "TLS_CERT_FILE");
        assert!(msg.contains("required when TLS_KEY_FILE"), "{msg}");
        let msg = error_for(
            &[
                ("TLS_CERT_FILE", "/nonexistent/formula-pm/cert.pem"),
                ("TLS_KEY_FILE", cert.path()),
            ],
            "TLS_CERT_FILE",
        );
        assert!(msg.contains("cannot read the file"), "{msg}");
        let msg = error_for(
            &[
                ("TLS_CERT_FILE", cert.path()),
                ("TLS_KEY_FILE", cert.path()),
            ],
            "TLS_CERT_FILE",
        );
        assert!(msg.contains("no certificate"), "{msg}");
    }
}
