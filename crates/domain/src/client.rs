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
