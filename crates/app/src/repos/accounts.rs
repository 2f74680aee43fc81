//! Users, their credentials (sessions, API tokens, password resets) and the mail outbox.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::user::User;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;
use crate::jobs::NewJob;
use crate::query::{Page, UserQuery};

/// A signed-in browser session. Only the hash of its token is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub token_hash: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A personal API token. Only the hash of its secret is stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    /// First characters of the token, to recognise it in the list.
    pub prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

/// What decides whether a session or API token is still in force, read without touching it
/// (for open live-update streams, see `crate::streams`).
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialState {
    /// The session's or token's id.
    pub id: Uuid,
    /// Absolute expiry (always set for sessions; `None` for a token without one).
    pub expires_at: Option<OffsetDateTime>,
    /// Last use of a session (sessions end after being idle); `None` for tokens.
    pub last_seen_at: Option<OffsetDateTime>,
    /// Whether its user is active (not disabled).
    pub user_active: bool,
}

/// An email as queued for delivery; also the admin-visible outbox when no SMTP is configured.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct OutboxMail {
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// `logged` (no SMTP configured), `sent` or `failed`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The names of the files attached to it (an RFI's PDF), in order.
    pub attachments: Vec<String>,
}

/// User accounts.
#[async_trait]
pub trait UserRepo: Send + Sync {
    async fn count_users(&self) -> AppResult<i64>;
    /// Fails with a `duplicate` conflict on `email` if the address is taken.
    async fn insert_user(
        &self,
        user: &User,
        password_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// First-run setup: inserts the first user only while there is none, claiming the single
    /// row of `setup_claims` in the same transaction, so of concurrent setups exactly one
    /// wins. `false`, with nothing written, when setup was already done.
    async fn insert_first_user(
        &self,
        user: &User,
        password_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<bool>;
    async fn get_user(&self, id: Uuid) -> AppResult<Option<User>>;
    /// Looks up by normalised email; returns the user and their password hash.
    async fn user_credentials(&self, email: &str) -> AppResult<Option<(User, String)>>;
    async fn list_users(&self, query: &UserQuery) -> AppResult<Page<User>>;
    /// Saves all editable fields; a user set to disabled loses every session and every API
    /// token in the same transaction (the audit entry notes how many tokens).
    async fn update_user(
        &self,
        user: &User,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<User>;
    /// Replaces the password hash and ends every session except `keep_session`; with
    /// `revoke_api_tokens`, deletes every API token of the user too (noted in the audit entry).
    async fn set_password(
        &self,
        user_id: Uuid,
        hash: &str,
        keep_session: Option<Uuid>,
        revoke_api_tokens: bool,
        audit: &AuditEntry,
    ) -> AppResult<()>;
}

/// Sessions, personal API tokens, password resets and the mail outbox.
#[async_trait]
pub trait CredentialRepo: Send + Sync {
    async fn insert_session(&self, session: &SessionRecord) -> AppResult<()>;
    /// The session with this token hash and its user, whatever their state (the caller checks expiry and status).
    async fn session_by_hash(&self, token_hash: &str) -> AppResult<Option<(SessionRecord, User)>>;
    async fn touch_session(&self, id: Uuid, at: OffsetDateTime) -> AppResult<()>;
    /// Of the sessions `ids`, those that still exist, each with what decides whether it is in
    /// force (one query, nothing touched).
    async fn session_states(&self, ids: &[Uuid]) -> AppResult<Vec<CredentialState>>;
    async fn delete_session(&self, id: Uuid) -> AppResult<()>;
    /// Removes sessions past their expiry (and one-time messages past theirs); returns how
    /// many sessions.
    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> AppResult<u64>;
    /// Keeps `payload` as the session's one-time message until `expires_at`, replacing the one
    /// it had, if any.
    async fn put_session_flash(
        &self,
        session_id: Uuid,
        payload: &str,
        expires_at: OffsetDateTime,
    ) -> AppResult<()>;
    /// Takes the session's one-time message: deletes it and returns it, unless it expired by
    /// `now` (`None` then, as when there is none). Two reads never both get it.
    async fn take_session_flash(
        &self,
        session_id: Uuid,
        now: OffsetDateTime,
    ) -> AppResult<Option<String>>;
    /// Sessions not yet past their absolute expiry at `now` (a gauge for metrics).
    async fn count_active_sessions(&self, now: OffsetDateTime) -> AppResult<i64>;
    async fn insert_token(
        &self,
        token: &ApiToken,
        token_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn list_tokens(&self, user_id: Uuid) -> AppResult<Vec<ApiToken>>;
    async fn token_by_hash(&self, token_hash: &str) -> AppResult<Option<(ApiToken, User)>>;
    async fn touch_token(&self, id: Uuid, at: OffsetDateTime) -> AppResult<()>;
    /// Of the API tokens `ids`, those that still exist, likewise.
    async fn token_states(&self, ids: &[Uuid]) -> AppResult<Vec<CredentialState>>;
    /// Deletes the user's token; `false` if there was none with that id.
    async fn delete_token(
        &self,
        user_id: Uuid,
        token_id: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<bool>;
    /// Stores a reset token and, in the same transaction, enqueues `email` (the job that
    /// mails the link), so the link is never stored without its email or mailed twice.
    async fn insert_reset(
        &self,
        user_id: Uuid,
        token_hash: &str,
        expires_at: OffsetDateTime,
        email: &NewJob,
    ) -> AppResult<()>;
    /// Atomically uses a reset token (unused and unexpired at `now`): marks it used, sets the
    /// new password hash, ends all the user's sessions, revokes all their API tokens and
    /// audits. Returns the user id, or `None` if the token is unknown, used or expired.
    async fn consume_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        new_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<Option<Uuid>>;
    /// Stores the invitation of `user_id` (replacing any earlier one, whose link then stops
    /// working) with its audit entry and, in the same transaction, enqueues `email`. With
    /// `new_user`, the account (its unusable placeholder password hash and its own audit
    /// entry) is inserted in that transaction too.
    async fn replace_invitation(
        &self,
        new_user: Option<(&User, &str, &AuditEntry)>,
        invitation: &Invitation,
        email: &NewJob,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// The invitation whose token has this hash, with its user, used or not.
    async fn find_invitation(&self, token_hash: &str) -> AppResult<Option<InvitationView>>;
    /// Atomically uses an invitation (unused and unexpired at `now`, its user active): marks it
    /// used, sets the password hash the user chose, ends the user's sessions, revokes their API
    /// tokens and retires their reset links, and audits. Returns the user id, or `None` if the
    /// invitation is unknown, used or expired, or the user is disabled.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        new_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<Option<Uuid>>;
    async fn insert_mail(&self, mail: &OutboxMail) -> AppResult<()>;
    async fn list_mail(&self, limit: u32) -> AppResult<Vec<OutboxMail>>;
}

/// An invitation as stored: only the hash of its token is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub user_id: Uuid,
    pub token_hash: String,
    pub invited_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// An invitation as its link finds it: whom it is for and whether it can still be used.
#[derive(Debug, Clone, PartialEq)]
pub struct InvitationView {
    pub user: User,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}
