//! What the use cases need from the outside world, as traits.
//! `formula-store` implements `Store` for SQLite and PostgreSQL.

use async_trait::async_trait;
use formula_domain::attachment::{Attachment, OwnerKind};
use formula_domain::audit::AuditEntry;
use formula_domain::authz::{ClientScope, ProjectScope};
use formula_domain::client::{Client, Contact};
use formula_domain::drawing::{Drawing, Review, Revision};
use formula_domain::project::{Member, Project, ProjectRole, ProjectStatus};
use formula_domain::scope::{ScopeGroup, ScopeItem};
use formula_domain::spec::{Spec, SpecReview};
use formula_domain::task::Task;
use formula_domain::user::User;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

pub use crate::cache::{Cache, CacheError, Cached, NoCache};
pub use crate::events::{Event, EventBus, EventError, InProcessBus};
pub use crate::health::Ping;
pub use crate::jobs::lease::{DbLease, Lease};
use crate::jobs::{Housekeeping, JobQueue, NewJob};
use crate::query::{AuditQuery, ClientQuery, Page, ProjectQuery, ScopeQuery, TaskQuery, UserQuery};
pub use crate::rate_limit::{RateLimitStore, StoreError, StoreFuture, WindowState};

/// Who decides on a project's drawings and specifications.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct ReviewSettings {
    /// The client organisation's users may approve what was submitted to them.
    pub client_approvals: bool,
    /// When not empty, only these people (and administrators) decide; otherwise the
    /// project managers on the team do.
    pub reviewer_ids: Vec<Uuid>,
}

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
}

/// Project-scoped facts an authorization check needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectAccessRow {
    pub client_id: Uuid,
    pub membership: Option<ProjectRole>,
}

/// Counts for the dashboard, within the caller's visibility.
#[derive(
    Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct DashboardCounts {
    pub projects_by_status: Vec<(ProjectStatus, i64)>,
    pub overdue_tasks: i64,
    pub open_tasks: i64,
}

/// How busy the database connection pools are, for metrics and the admin status page.
/// All zero when the store cannot tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PoolStatus {
    /// Open connections (in use + idle).
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// Most connections the pools may open.
    pub max: u32,
}

/// Persistence. Every mutating method writes its change and the given audit
/// entry in one transaction; updates are compare-and-set on `version` and
/// return `AppError::Stale` when the stored version moved on.
#[async_trait]
pub trait Store: JobQueue + Housekeeping + Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// A trivial round trip, for readiness checks.
    async fn ping(&self) -> AppResult<()>;
    /// How long it takes right now to get a connection from the pool (the longest over the
    /// pools, SQLite's writer included); the connection is given back at once. A sample of
    /// the wait requests see, taken when metrics are scraped.
    async fn pool_acquire_wait(&self) -> AppResult<std::time::Duration>;
    /// Connection pool usage, read without I/O.
    fn pool_status(&self) -> PoolStatus {
        PoolStatus::default()
    }

    // Users and credentials.
    async fn count_users(&self) -> AppResult<i64>;
    /// Fails with a `duplicate` conflict on `email` if the address is taken.
    async fn insert_user(
        &self,
        user: &User,
        password_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn get_user(&self, id: Uuid) -> AppResult<Option<User>>;
    /// Looks up by normalised email; returns the user and their password hash.
    async fn user_credentials(&self, email: &str) -> AppResult<Option<(User, String)>>;
    async fn list_users(&self, query: &UserQuery) -> AppResult<Page<User>>;
    /// Saves all editable fields; a user set to disabled loses every session in the same transaction.
    async fn update_user(
        &self,
        user: &User,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<User>;
    /// Replaces the password hash and ends every session except `keep_session`.
    async fn set_password(
        &self,
        user_id: Uuid,
        hash: &str,
        keep_session: Option<Uuid>,
        audit: &AuditEntry,
    ) -> AppResult<()>;

    // Sessions.
    async fn insert_session(&self, session: &SessionRecord) -> AppResult<()>;
    /// The session with this token hash and its user, whatever their state (the caller checks expiry and status).
    async fn session_by_hash(&self, token_hash: &str) -> AppResult<Option<(SessionRecord, User)>>;
    async fn touch_session(&self, id: Uuid, at: OffsetDateTime) -> AppResult<()>;
    async fn delete_session(&self, id: Uuid) -> AppResult<()>;
    /// Removes sessions past their expiry; returns how many.
    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> AppResult<u64>;
    /// Sessions not yet past their absolute expiry at `now` (a gauge for metrics).
    async fn count_active_sessions(&self, now: OffsetDateTime) -> AppResult<i64>;

    // Personal API tokens.
    async fn insert_token(
        &self,
        token: &ApiToken,
        token_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn list_tokens(&self, user_id: Uuid) -> AppResult<Vec<ApiToken>>;
    async fn token_by_hash(&self, token_hash: &str) -> AppResult<Option<(ApiToken, User)>>;
    async fn touch_token(&self, id: Uuid, at: OffsetDateTime) -> AppResult<()>;
    /// Deletes the user's token; `false` if there was none with that id.
    async fn delete_token(
        &self,
        user_id: Uuid,
        token_id: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<bool>;

    // Password reset.
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
    /// new password hash, ends all the user's sessions and audits. Returns the user id, or
    /// `None` if the token is unknown, used or expired.
    async fn consume_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        new_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<Option<Uuid>>;
    async fn insert_mail(&self, mail: &OutboxMail) -> AppResult<()>;
    async fn list_mail(&self, limit: u32) -> AppResult<Vec<OutboxMail>>;

    // Clients and contacts.
    async fn insert_client(&self, client: &Client, audit: &AuditEntry) -> AppResult<()>;
    async fn get_client(&self, id: Uuid) -> AppResult<Option<Client>>;
    async fn list_clients(
        &self,
        query: &ClientQuery,
        scope: ClientScope,
    ) -> AppResult<Page<Client>>;
    async fn update_client(
        &self,
        client: &Client,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Client>;
    /// Fails with a `has_dependents` conflict while projects or users reference the client.
    async fn delete_client(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn list_contacts(&self, client_id: Uuid) -> AppResult<Vec<Contact>>;
    async fn insert_contact(&self, contact: &Contact, audit: &AuditEntry) -> AppResult<()>;
    async fn delete_contact(
        &self,
        client_id: Uuid,
        contact_id: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<bool>;

    // Projects and teams.
    /// Highest sequence number among codes that start with `prefix` (e.g. `WSC-25-`).
    async fn max_project_seq(&self, prefix: &str) -> AppResult<Option<u32>>;
    /// Inserts the project and its manager as a `project_manager` team member.
    /// Fails with a `duplicate` conflict on `code`.
    async fn insert_project(&self, project: &Project, audit: &AuditEntry) -> AppResult<()>;
    async fn get_project(&self, id: Uuid) -> AppResult<Option<Project>>;
    async fn project_access(
        &self,
        project_id: Uuid,
        user_id: Uuid,
    ) -> AppResult<Option<ProjectAccessRow>>;
    async fn list_projects(
        &self,
        query: &ProjectQuery,
        scope: ProjectScope,
    ) -> AppResult<Page<Project>>;
    /// Saves all editable fields and status; adds the (new) manager to the team if missing.
    async fn update_project(
        &self,
        project: &Project,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Project>;
    /// Deletes the project with its team and tasks.
    async fn delete_project(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn list_members(&self, project_id: Uuid) -> AppResult<Vec<Member>>;
    /// Adds a member or changes their project role.
    async fn upsert_member(
        &self,
        project_id: Uuid,
        user_id: Uuid,
        role: ProjectRole,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn remove_member(
        &self,
        project_id: Uuid,
        user_id: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<bool>;

    // Tasks.
    async fn insert_task(&self, task: &Task, audit: &AuditEntry) -> AppResult<()>;
    async fn get_task(&self, id: Uuid) -> AppResult<Option<Task>>;
    /// Tasks matching the query, limited to projects within `scope`.
    async fn list_tasks(&self, query: &TaskQuery, scope: ProjectScope) -> AppResult<Page<Task>>;
    /// How many tasks each query matches (order and paging aside), in one read.
    async fn count_tasks_each(
        &self,
        queries: &[TaskQuery],
        scope: ProjectScope,
    ) -> AppResult<Vec<i64>>;
    /// The page each query asks for, without totals, in one read.
    async fn task_pages(
        &self,
        queries: &[TaskQuery],
        scope: ProjectScope,
    ) -> AppResult<Vec<Vec<Task>>>;
    async fn update_task(
        &self,
        task: &Task,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Task>;
    async fn delete_task(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;

    // Scope of work.
    /// The project's scope groups in position order.
    async fn list_scope_groups(&self, project_id: Uuid) -> AppResult<Vec<ScopeGroup>>;
    async fn get_scope_group(&self, id: Uuid) -> AppResult<Option<ScopeGroup>>;
    /// Inserts the groups, skipping any whose project already has a group of that name or
    /// letter; returns how many were inserted. Each inserted group's audit entry is written
    /// with it (entries are matched by `entity_id`).
    async fn insert_scope_groups(
        &self,
        groups: &[ScopeGroup],
        audit: &[AuditEntry],
    ) -> AppResult<u64>;
    async fn update_scope_group(
        &self,
        group: &ScopeGroup,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<ScopeGroup>;
    /// Deletes an empty group; `has_dependents` while it still holds items.
    async fn delete_scope_group(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Gives the project's groups positions 0, 1, … in the order of `order` (all its groups).
    async fn reorder_scope_groups(
        &self,
        project_id: Uuid,
        order: &[Uuid],
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn list_scope_items(&self, query: &ScopeQuery) -> AppResult<Page<ScopeItem>>;
    async fn get_scope_item(&self, id: Uuid) -> AppResult<Option<ScopeItem>>;
    /// Every item code of the project.
    async fn scope_item_codes(&self, project_id: Uuid) -> AppResult<Vec<String>>;
    /// In one transaction: inserts `groups`, inserts `new` items (each appended at the end
    /// of its group), saves `changed` items compare-and-set on their expected version (a
    /// stale one fails the whole call), and writes the audit entries.
    async fn save_scope(
        &self,
        groups: &[ScopeGroup],
        new: &[ScopeItem],
        changed: &[(ScopeItem, i64)],
        audit: &[AuditEntry],
    ) -> AppResult<()>;
    async fn delete_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Moves an item to `index` (0-based, clamped) in `group_id` and renumbers that group.
    async fn move_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        group_id: Uuid,
        index: u32,
        audit: &AuditEntry,
    ) -> AppResult<ScopeItem>;

    // Shop drawings.
    /// A project's drawings in number order, each with its current revision and scope items.
    async fn list_drawings(&self, project_id: Uuid) -> AppResult<Vec<Drawing>>;
    async fn get_drawing(&self, id: Uuid) -> AppResult<Option<Drawing>>;
    /// Inserts the drawing with its scope-item links; `duplicate` on `number`.
    async fn insert_drawing(&self, drawing: &Drawing, audit: &AuditEntry) -> AppResult<()>;
    /// Saves the drawing's fields and replaces its scope-item links, compare-and-set.
    async fn update_drawing(
        &self,
        drawing: &Drawing,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Drawing>;
    /// In one transaction: inserts `new` specifications and saves `changed` ones
    /// compare-and-set on their expected version (a stale one fails the whole call), with
    /// the audit entries.
    async fn save_specs(
        &self,
        new: &[Spec],
        changed: &[(Spec, i64)],
        audit: &[AuditEntry],
    ) -> AppResult<()>;

    // Attachments.
    /// What is attached to one thing, oldest first.
    async fn list_attachments(&self, kind: OwnerKind, owner_id: Uuid)
    -> AppResult<Vec<Attachment>>;
    async fn get_attachment(&self, id: Uuid) -> AppResult<Option<Attachment>>;
    async fn insert_attachment(&self, attachment: &Attachment, audit: &AuditEntry)
    -> AppResult<()>;
    /// Deletes an attachment; `false` when it was already gone. Its file's key joins the
    /// deleted files (as does that of every revision or attachment deleted with its owner).
    async fn delete_attachment(&self, id: Uuid, audit: &AuditEntry) -> AppResult<bool>;
    /// Up to `limit` keys of stored files whose records are gone.
    async fn deleted_files(&self, limit: u32) -> AppResult<Vec<String>>;
    /// Forgets keys whose files have been removed from storage.
    async fn forget_deleted_files(&self, keys: &[String]) -> AppResult<()>;

    /// A drawing's revisions, newest first.
    async fn list_revisions(&self, drawing_id: Uuid) -> AppResult<Vec<Revision>>;
    async fn get_revision(&self, id: Uuid) -> AppResult<Option<Revision>>;
    /// Records an uploaded revision; a `revision_race` conflict when another upload took its number.
    async fn insert_revision(&self, revision: &Revision, audit: &AuditEntry) -> AppResult<()>;
    /// Saves a revision's status and times compare-and-set, with the review that decided it.
    async fn set_revision_status(
        &self,
        revision: &Revision,
        expected_version: i64,
        review: Option<&Review>,
        audit: &AuditEntry,
    ) -> AppResult<Revision>;
    /// Review decisions on a drawing's revisions, newest first.
    async fn list_reviews(&self, drawing_id: Uuid) -> AppResult<Vec<Review>>;

    // Material specifications.
    /// A project's specifications in code order, with their links.
    async fn list_specs(&self, project_id: Uuid) -> AppResult<Vec<Spec>>;
    async fn get_spec(&self, id: Uuid) -> AppResult<Option<Spec>>;
    /// Inserts a specification with its links; `duplicate` on `code`.
    async fn insert_spec(&self, spec: &Spec, audit: &AuditEntry) -> AppResult<()>;
    /// Saves every field and the links compare-and-set, with the decision that changed it, if any.
    async fn update_spec(
        &self,
        spec: &Spec,
        expected_version: i64,
        review: Option<&SpecReview>,
        audit: &AuditEntry,
    ) -> AppResult<Spec>;
    /// Approval decisions on a specification, newest first.
    async fn list_spec_reviews(&self, spec_id: Uuid) -> AppResult<Vec<SpecReview>>;

    // Production readiness.
    /// The project's readiness rule: must linked materials be ordered (true unless set otherwise)?
    async fn require_materials_ordered(&self, project_id: Uuid) -> AppResult<bool>;
    async fn set_require_materials_ordered(
        &self,
        project_id: Uuid,
        require: bool,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn review_settings(&self, project_id: Uuid) -> AppResult<ReviewSettings>;
    async fn save_review_settings(
        &self,
        project_id: Uuid,
        settings: &ReviewSettings,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Marks an item released to production (once), compare-and-set.
    async fn release_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        note: Option<&str>,
        audit: &AuditEntry,
    ) -> AppResult<ScopeItem>;

    // Read models.
    async fn dashboard_counts(
        &self,
        scope: ProjectScope,
        today: time::Date,
    ) -> AppResult<DashboardCounts>;
    async fn list_audit(&self, query: &AuditQuery) -> AppResult<Page<AuditEntry>>;
}

/// Sends email. Implementations: SMTP, or none (the outbox only).
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// `true` when a real transport is configured.
    fn is_configured(&self) -> bool;
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
}
