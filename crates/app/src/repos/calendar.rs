//! Calendar feeds: the secret links a calendar application subscribes to.

use async_trait::async_trait;
use formula_domain::audit::AuditEntry;
use formula_domain::user::User;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// A calendar (iCal) feed link. Only the hash of its secret is stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CalendarFeed {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The project it shows; none for the owner's own work.
    pub project_id: Option<Uuid>,
    /// The project's code and name, when it shows one.
    pub project_code: Option<String>,
    pub project_name: Option<String>,
    /// First characters of the secret, to recognise the link in the list.
    pub prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked (or replaced by a regenerated link); it then answers 404.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// Calendar feed links.
#[async_trait]
pub trait CalendarFeedRepo: Send + Sync {
    /// Stores a new feed with its audit entry; with `replacing`, revokes that feed of the
    /// same owner at `feed.created_at` in the same transaction (regenerating a link), and
    /// fails with not found, storing nothing, if the owner has no such feed in force.
    async fn insert_feed(
        &self,
        feed: &CalendarFeed,
        token_hash: &str,
        replacing: Option<Uuid>,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// The user's feeds, newest first, revoked ones included.
    async fn list_feeds(&self, user_id: Uuid) -> AppResult<Vec<CalendarFeed>>;
    /// One of the user's feeds.
    async fn get_feed(&self, user_id: Uuid, id: Uuid) -> AppResult<Option<CalendarFeed>>;
    /// The feed with this token hash and its owner, whatever their state.
    async fn feed_by_hash(&self, token_hash: &str) -> AppResult<Option<(CalendarFeed, User)>>;
    async fn touch_feed(&self, id: Uuid, at: OffsetDateTime) -> AppResult<()>;
    /// Revokes the user's feed at `at`; `false` (nothing written) if it is not theirs or
    /// was revoked already.
    async fn revoke_feed(
        &self,
        user_id: Uuid,
        id: Uuid,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<bool>;
}
