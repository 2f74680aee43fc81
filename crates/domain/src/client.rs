//! Client organisations and their contacts.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::enums::string_enum;

string_enum!(
    /// Commercial relationship with a client.
    ClientStatus {
        Prospect => "prospect", "Prospect",
        Active => "active", "Active",
        Inactive => "inactive", "Inactive",
        Archived => "archived", "Archived",
    }
);

/// A company the contractor works for.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Client {
    pub id: Uuid,
    pub name: String,
    /// Type or sector, free text (e.g. "Hotel group", "Developer").
    pub client_type: Option<String>,
    pub status: ClientStatus,
    pub address: Option<String>,
    pub website: Option<String>,
    pub notes: Option<String>,
    /// Number of projects for this client.
    pub project_count: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A person at a client.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: Uuid,
    pub client_id: Uuid,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A web address as typed (already trimmed): kept when it has its scheme, given `https://`
/// when it is a bare host like `example.com`; refused when it holds spaces, control
/// characters or characters a web address never has (`[ ] < > " { } | \ ^` and the backtick).
pub fn web_address(w: String) -> Result<String, &'static str> {
    const MESSAGE: &str = "must be a web address like https://example.com";
    let bad = |c: char| c.is_ascii_whitespace() || c.is_control() || "[]<>\"{}|\\^`".contains(c);
    if w.chars().any(bad) {
        Err(MESSAGE)
    } else if w.starts_with("http://") || w.starts_with("https://") {
        Ok(w)
    } else if w.contains('.') {
        Ok(format!("https://{w}"))
    } else {
        Err(MESSAGE)
    }
}

#[cfg(test)]
mod web_address_tests {
    use super::web_address;

    #[test]
    fn web_addresses_are_checked_and_given_a_scheme() {
        assert_eq!(
            web_address("example.com".into()).unwrap(),
            "https://example.com"
        );
        assert_eq!(
            web_address("http://x.test/a?b=1".into()).unwrap(),
            "http://x.test/a?b=1"
        );
        for bad in [
            "no web",
            "http://[abc",
            "https://a b.com",
            "x.com/<script>",
            "nodot",
            "a.b\tc",
        ] {
            assert!(web_address(bad.into()).is_err(), "{bad}");
        }
    }
}
