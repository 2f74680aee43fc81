//! Outgoing mail: `SMTP_*`.

use super::reader::Reader;
use super::secret::{Secret, shown};

/// How the SMTP connection is secured (`SMTP_TLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTlsMode {
    StartTls,
    Implicit,
    None,
}

impl SmtpTlsMode {
    /// The value as `SMTP_TLS` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTlsMode::StartTls => "starttls",
            SmtpTlsMode::Implicit => "tls",
            SmtpTlsMode::None => "none",
        }
    }
}

/// Outgoing mail settings (sent through `formula_infra::smtp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTlsMode,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
}

/// Reads `SMTP_*`: nothing set is no mail; a host needs a sender, a user needs a password.
pub(super) fn read_smtp(r: &mut Reader<'_>) -> Option<SmtpConfig> {
    let host = r.get("SMTP_HOST");
    let port = r.number("SMTP_PORT", 587, 1, u16::MAX, "a number");
    let username = r.get("SMTP_USERNAME");
    let password = r.secret("SMTP_PASSWORD");
    let from = r.get("SMTP_FROM");
    let tls = match r.get("SMTP_TLS").as_deref() {
        None => {
            if port == 465 {
                SmtpTlsMode::Implicit
            } else {
                SmtpTlsMode::StartTls
            }
        }
        Some("starttls") => SmtpTlsMode::StartTls,
        Some("tls") => SmtpTlsMode::Implicit,
        Some("none") => SmtpTlsMode::None,
        Some(other) => {
            r.error(
                "SMTP_TLS",
                format!("must be one of starttls, tls, none, got {other:?}"),
            );
            SmtpTlsMode::StartTls
        }
    };
    if let Some(h) = &host
        && (h.contains(char::is_whitespace) || h.contains('/') || h.contains(':'))
    {
        r.error(
            "SMTP_HOST",
            format!("must be a host name like smtp.example.com, got {h:?}"),
        );
    }
    if let Some(f) = &from
        && let Err(m) = check_mailbox(f)
    {
        r.error("SMTP_FROM", format!("{m}, got {f:?}"));
    }
    if username.is_some() && password.is_none() {
        r.error("SMTP_PASSWORD", "is required when SMTP_USERNAME is set");
    }
    if password.is_some() && username.is_none() {
        r.error("SMTP_USERNAME", "is required when SMTP_PASSWORD is set");
    }
    let host = host?;
    let Some(from) = from else {
        r.error(
            "SMTP_FROM",
            "is required when SMTP_HOST is set, like \"Formula PM <pm@example.com>\"",
        );
        return None;
    };
    Some(SmtpConfig {
        host,
        port,
        tls,
        username,
        password,
        from,
    })
}

/// `name@example.com` or `Display Name <name@example.com>`.
fn check_mailbox(value: &str) -> Result<(), &'static str> {
    let address = match (value.find('<'), value.strip_suffix('>')) {
        (Some(open), Some(rest)) => &rest[open + 1..],
        (None, None) => value,
        _ => {
            return Err(
                "must be an address like pm@example.com or \"Formula PM <pm@example.com>\"",
            );
        }
    };
    formula_domain::user::normalize_email(address)
        .map(|_| ())
        .map_err(|_| "must be an address like pm@example.com or \"Formula PM <pm@example.com>\"")
}

/// The effective `SMTP_*` values, for `check-config`'s listing.
pub(super) fn smtp_lines(smtp: Option<&SmtpConfig>) -> [(&'static str, String); 6] {
    [
        (
            "SMTP_HOST",
            smtp.map(|s| s.host.clone()).unwrap_or_default(),
        ),
        ("SMTP_PORT", smtp.map_or(587, |s| s.port).to_string()),
        (
            "SMTP_TLS",
            smtp.map_or("starttls", |s| s.tls.as_str()).to_owned(),
        ),
        (
            "SMTP_USERNAME",
            smtp.and_then(|s| s.username.clone()).unwrap_or_default(),
        ),
        (
            "SMTP_PASSWORD",
            shown(smtp.and_then(|s| s.password.as_ref())),
        ),
        (
            "SMTP_FROM",
            smtp.map(|s| s.from.clone()).unwrap_or_default(),
        ),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::config::test_support::{error_for, load};

    #[test]
    fn smtp_settings_are_checked_together() {
        assert!(
            error_for(&[("SMTP_HOST", "smtp.example.com")], "SMTP_FROM")
                .contains("is required when SMTP_HOST is set")
        );
        assert!(error_for(&[("SMTP_USERNAME", "pm")], "SMTP_PASSWORD").contains("required"));
        assert!(error_for(&[("SMTP_PASSWORD", "x")], "SMTP_USERNAME").contains("required"));
        assert!(
            error_for(&[("SMTP_FROM", "Formula PM")], "SMTP_FROM").contains("must be an address")
        );
        assert!(error_for(&[("SMTP_HOST", "smtp://x")], "SMTP_HOST").contains("host name"));
        let c = load(&[
            ("SMTP_HOST", "smtp.example.com"),
            ("SMTP_PORT", "465"),
            ("SMTP_FROM", "pm@example.com"),
        ])
        .unwrap();
        assert_eq!(c.smtp.map(|s| s.port), Some(465));
    }
}
