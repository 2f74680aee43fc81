//! Users, roles and the email address value type.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::enums::string_enum;

string_enum!(
    /// A user's company-wide role. Project-scoped rights come from team membership.
    Role {
        Admin => "admin", "Administrator",
        Executive => "executive", "Executive",
        ProjectManager => "project_manager", "Project manager",
        Designer => "designer", "Designer",
        Coordinator => "coordinator", "Coordinator",
        Craftsman => "craftsman", "Craftsman",
        Client => "client", "Client",
    }
);

string_enum!(
    /// Whether a user may sign in.
    UserStatus {
        Active => "active", "Active",
        Disabled => "disabled", "Disabled",
    }
);

/// A person who signs in. The password hash never leaves the store layer's row type.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub job_title: Option<String>,
    pub phone: Option<String>,
    pub skills: Vec<String>,
    pub status: UserStatus,
    /// Set only for `client` users: the client organisation they belong to.
    pub client_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
    }
}

/// Normalises an email address (trimmed, lower-case) or explains what is wrong with it.
pub fn normalize_email(input: &str) -> Result<String, &'static str> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err("is required");
    }
    if email.len() > 254 {
        return Err("must be at most 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("must be an email address like name@company.com");
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if local.is_empty()
        || !domain_ok
        || local.chars().any(char::is_whitespace)
        || domain.contains('@')
    {
        return Err("must be an email address like name@company.com");
    }
    Ok(email)
}

/// Minimum password length; long passphrases are encouraged over complexity rules.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Checks a new password; returns the message to show beside the field.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(format!("must be at least {MIN_PASSWORD_LEN} characters"));
    }
    if n > 256 {
        return Err("must be at most 256 characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email("  Ana@Example.COM ").as_deref(),
            Ok("ana@example.com")
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "a b@x.com",
            "ana@x",
            "ana@x..com",
            "a@b@c.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(*r));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
