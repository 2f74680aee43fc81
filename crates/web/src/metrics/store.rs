//! `MeteredStore`: the `Store` port (with its `JobQueue` and `Housekeeping` parts) wrapped
//! so that every call is timed into `db_query_duration_seconds{operation="<method name>"}`.
//!
//! A decorator keeps the store and the use cases unaware of metrics. The methods are listed
//! once, with their signatures as in `formula_app::ports` and `formula_app::jobs`; the macro
//! writes the identical forwarding body for each (plain `fn`s are forwarded untimed: they do
//! no I/O). A new port method must be added here too; the compiler says so.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use formula_app::error::AppResult;
use formula_app::jobs::{Housekeeping, Job, JobQuery, JobQueue, JobStatus, NewJob};
use formula_app::ports::{
    ApiToken, DashboardCounts, OutboxMail, PoolStatus, ProjectAccessRow, ReviewSettings,
    SessionRecord, Store,
};
use formula_app::query::{
    AuditQuery, ClientQuery, Page, ProjectQuery, ScopeQuery, TaskQuery, UserQuery,
};
use formula_domain::attachment::{Attachment, OwnerKind};
use formula_domain::audit::AuditEntry;
use formula_domain::authz::{ClientScope, ProjectScope};
use formula_domain::client::{Client, Contact};
use formula_domain::drawing::{Drawing, Review, Revision};
use formula_domain::project::{Member, Project, ProjectRole};
use formula_domain::scope::{ScopeGroup, ScopeItem};
use formula_domain::spec::{Spec, SpecReview};
use formula_domain::task::Task;
use formula_domain::user::User;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Metrics;

/// A `Store` that times every call of the store it wraps.
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    slow: Duration,
}

impl MeteredStore {
    /// Wraps `inner`, recording into `metrics`.
    pub fn new(inner: Arc<dyn Store>, metrics: Arc<Metrics>) -> Self {
        MeteredStore {
            inner,
            metrics,
            slow: Duration::from_millis(250),
        }
    }

    /// Calls slower than `slow` are logged at warn as `slow query`.
    pub fn with_slow_threshold(mut self, slow: Duration) -> Self {
        self.slow = slow;
        self
    }

    fn observe(&self, operation: &'static str, elapsed: Duration) {
        self.metrics.db_duration.observe(&[operation], elapsed);
        if elapsed > self.slow {
            tracing::warn!(
                operation,
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                "slow query"
            );
        }
    }
}

macro_rules! metered {
    (
        impl $trait:ident;
        $(fn $plain:ident(&self) -> $plain_ret:ty;)*
        $(async fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*
    ) => {
        #[async_trait]
        impl $trait for MeteredStore {
            $(
                fn $plain(&self) -> $plain_ret {
                    self.inner.$plain()
                }
            )*
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    let started = Instant::now();
                    let result = self.inner.$name($($arg),*).await;
                    self.observe(stringify!($name), started.elapsed());
                    result
                }
            )*
        }
    };
}

metered! {
    impl Store;
    fn backend(&self) -> &'static str;
    fn pool_status(&self) -> PoolStatus;
    async fn ping(&self) -> AppResult<()>;
    async fn pool_acquire_wait(&self) -> AppResult<std::time::Duration>;
    async fn count_users(&self) -> AppResult<i64>;
    async fn insert_user(&self, user: &User, password_hash: &str, audit: &AuditEntry) -> AppResult<()>;
    async fn get_user(&self, id: Uuid) -> AppResult<Option<User>>;
    async fn user_credentials(&self, email: &str) -> AppResult<Option<(User, String)>>;
    async fn list_users(&self, query: &UserQuery) -> AppResult<Page<User>>;
    async fn update_user(&self, user: &User, expected_version: i64, audit: &AuditEntry) -> AppResult<User>;
    async fn set_password(&self, user_id: Uuid, hash: &str, keep_session: Option<Uuid>, audit: &AuditEntry) -> AppResult<()>;
    async fn insert_session(&self, session: &SessionRecord) -> AppResult<()>;
    async fn session_by_hash(&self, token_hash: &str) -> AppResult<Option<(SessionRecord, User)>>;
    async fn touch_session(&self, id: Uuid, at: OffsetDateTime) -> AppResult<()>;
    async fn delete_session(&self, id: Uuid) -> AppResult<()>;
    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> AppResult<u64>;
    async fn count_active_sessions(&self, now: OffsetDateTime) -> AppResult<i64>;
    async fn insert_token(&self, token: &ApiToken, token_hash: &str, audit: &AuditEntry) -> AppResult<()>;
    async fn list_tokens(&self, user_id: Uuid) -> AppResult<Vec<ApiToken>>;
    async fn token_by_hash(&self, token_hash: &str) -> AppResult<Option<(ApiToken, User)>>;
    async fn touch_token(&self, id: Uuid, at: OffsetDateTime) -> AppResult<()>;
    async fn delete_token(&self, user_id: Uuid, token_id: Uuid, audit: &AuditEntry) -> AppResult<bool>;
    async fn insert_reset(&self, user_id: Uuid, token_hash: &str, expires_at: OffsetDateTime, email: &NewJob) -> AppResult<()>;
    async fn consume_reset(&self, token_hash: &str, now: OffsetDateTime, new_hash: &str, audit: &AuditEntry) -> AppResult<Option<Uuid>>;
    async fn insert_mail(&self, mail: &OutboxMail) -> AppResult<()>;
    async fn list_mail(&self, limit: u32) -> AppResult<Vec<OutboxMail>>;
    async fn insert_client(&self, client: &Client, audit: &AuditEntry) -> AppResult<()>;
    async fn get_client(&self, id: Uuid) -> AppResult<Option<Client>>;
    async fn list_clients(&self, query: &ClientQuery, scope: ClientScope) -> AppResult<Page<Client>>;
    async fn update_client(&self, client: &Client, expected_version: i64, audit: &AuditEntry) -> AppResult<Client>;
    async fn delete_client(&self, id: Uuid, expected_version: i64, audit: &AuditEntry) -> AppResult<()>;
    async fn list_contacts(&self, client_id: Uuid) -> AppResult<Vec<Contact>>;
    async fn insert_contact(&self, contact: &Contact, audit: &AuditEntry) -> AppResult<()>;
    async fn delete_contact(&self, client_id: Uuid, contact_id: Uuid, audit: &AuditEntry) -> AppResult<bool>;
    async fn max_project_seq(&self, prefix: &str) -> AppResult<Option<u32>>;
    async fn insert_project(&self, project: &Project, audit: &AuditEntry) -> AppResult<()>;
    async fn get_project(&self, id: Uuid) -> AppResult<Option<Project>>;
    async fn project_access(&self, project_id: Uuid, user_id: Uuid) -> AppResult<Option<ProjectAccessRow>>;
    async fn list_projects(&self, query: &ProjectQuery, scope: ProjectScope) -> AppResult<Page<Project>>;
    async fn update_project(&self, project: &Project, expected_version: i64, audit: &AuditEntry) -> AppResult<Project>;
    async fn delete_project(&self, id: Uuid, expected_version: i64, audit: &AuditEntry) -> AppResult<()>;
    async fn list_members(&self, project_id: Uuid) -> AppResult<Vec<Member>>;
    async fn upsert_member(&self, project_id: Uuid, user_id: Uuid, role: ProjectRole, audit: &AuditEntry) -> AppResult<()>;
    async fn remove_member(&self, project_id: Uuid, user_id: Uuid, audit: &AuditEntry) -> AppResult<bool>;
    async fn insert_task(&self, task: &Task, audit: &AuditEntry) -> AppResult<()>;
    async fn get_task(&self, id: Uuid) -> AppResult<Option<Task>>;
    async fn list_tasks(&self, query: &TaskQuery, scope: ProjectScope) -> AppResult<Page<Task>>;
    async fn count_tasks_each(&self, queries: &[TaskQuery], scope: ProjectScope) -> AppResult<Vec<i64>>;
    async fn task_pages(&self, queries: &[TaskQuery], scope: ProjectScope) -> AppResult<Vec<Vec<Task>>>;
    async fn update_task(&self, task: &Task, expected_version: i64, audit: &AuditEntry) -> AppResult<Task>;
    async fn delete_task(&self, id: Uuid, expected_version: i64, audit: &AuditEntry) -> AppResult<()>;
    async fn list_scope_groups(&self, project_id: Uuid) -> AppResult<Vec<ScopeGroup>>;
    async fn get_scope_group(&self, id: Uuid) -> AppResult<Option<ScopeGroup>>;
    async fn insert_scope_groups(&self, groups: &[ScopeGroup], audit: &[AuditEntry]) -> AppResult<u64>;
    async fn update_scope_group(&self, group: &ScopeGroup, expected_version: i64, audit: &AuditEntry) -> AppResult<ScopeGroup>;
    async fn delete_scope_group(&self, id: Uuid, expected_version: i64, audit: &AuditEntry) -> AppResult<()>;
    async fn reorder_scope_groups(&self, project_id: Uuid, order: &[Uuid], audit: &AuditEntry) -> AppResult<()>;
    async fn list_scope_items(&self, query: &ScopeQuery) -> AppResult<Page<ScopeItem>>;
    async fn get_scope_item(&self, id: Uuid) -> AppResult<Option<ScopeItem>>;
    async fn scope_item_codes(&self, project_id: Uuid) -> AppResult<Vec<String>>;
    async fn save_scope(&self, groups: &[ScopeGroup], new: &[ScopeItem], changed: &[(ScopeItem, i64)], audit: &[AuditEntry]) -> AppResult<()>;
    async fn delete_scope_item(&self, id: Uuid, expected_version: i64, audit: &AuditEntry) -> AppResult<()>;
    async fn move_scope_item(&self, id: Uuid, expected_version: i64, group_id: Uuid, index: u32, audit: &AuditEntry) -> AppResult<ScopeItem>;
    async fn list_drawings(&self, project_id: Uuid) -> AppResult<Vec<Drawing>>;
    async fn get_drawing(&self, id: Uuid) -> AppResult<Option<Drawing>>;
    async fn insert_drawing(&self, drawing: &Drawing, audit: &AuditEntry) -> AppResult<()>;
    async fn update_drawing(&self, drawing: &Drawing, expected_version: i64, audit: &AuditEntry) -> AppResult<Drawing>;
    async fn save_specs(&self, new: &[Spec], changed: &[(Spec, i64)], audit: &[AuditEntry]) -> AppResult<()>;
    async fn list_attachments(&self, kind: OwnerKind, owner_id: Uuid) -> AppResult<Vec<Attachment>>;
    async fn get_attachment(&self, id: Uuid) -> AppResult<Option<Attachment>>;
    async fn insert_attachment(&self, attachment: &Attachment, audit: &AuditEntry) -> AppResult<()>;
    async fn delete_attachment(&self, id: Uuid, audit: &AuditEntry) -> AppResult<bool>;
    async fn deleted_files(&self, limit: u32) -> AppResult<Vec<String>>;
    async fn forget_deleted_files(&self, keys: &[String]) -> AppResult<()>;
    async fn list_revisions(&self, drawing_id: Uuid) -> AppResult<Vec<Revision>>;
    async fn get_revision(&self, id: Uuid) -> AppResult<Option<Revision>>;
    async fn insert_revision(&self, revision: &Revision, audit: &AuditEntry) -> AppResult<()>;
    async fn set_revision_status(&self, revision: &Revision, expected_version: i64, review: Option<&Review>, audit: &AuditEntry) -> AppResult<Revision>;
    async fn list_reviews(&self, drawing_id: Uuid) -> AppResult<Vec<Review>>;
    async fn list_specs(&self, project_id: Uuid) -> AppResult<Vec<Spec>>;
    async fn get_spec(&self, id: Uuid) -> AppResult<Option<Spec>>;
    async fn insert_spec(&self, spec: &Spec, audit: &AuditEntry) -> AppResult<()>;
    async fn update_spec(&self, spec: &Spec, expected_version: i64, review: Option<&SpecReview>, audit: &AuditEntry) -> AppResult<Spec>;
    async fn list_spec_reviews(&self, spec_id: Uuid) -> AppResult<Vec<SpecReview>>;
    async fn require_materials_ordered(&self, project_id: Uuid) -> AppResult<bool>;
    async fn review_settings(&self, project_id: Uuid) -> AppResult<ReviewSettings>;
    async fn save_review_settings(&self, project_id: Uuid, settings: &ReviewSettings, audit: &AuditEntry) -> AppResult<()>;
    async fn set_require_materials_ordered(&self, project_id: Uuid, require: bool, audit: &AuditEntry) -> AppResult<()>;
    async fn release_scope_item(&self, id: Uuid, expected_version: i64, note: Option<&str>, audit: &AuditEntry) -> AppResult<ScopeItem>;
    async fn dashboard_counts(&self, scope: ProjectScope, today: time::Date) -> AppResult<DashboardCounts>;
    async fn list_audit(&self, query: &AuditQuery) -> AppResult<Page<AuditEntry>>;
}

metered! {
    impl JobQueue;
    async fn enqueue(&self, job: &NewJob) -> AppResult<bool>;
    async fn claim_job(&self, worker: &str, now: OffsetDateTime, lock_until: OffsetDateTime) -> AppResult<Option<Job>>;
    async fn complete_job(&self, id: Uuid, worker: &str, now: OffsetDateTime, mail: Option<&OutboxMail>) -> AppResult<bool>;
    async fn fail_job(&self, id: Uuid, worker: &str, now: OffsetDateTime, error: &str, retry_at: Option<OffsetDateTime>) -> AppResult<bool>;
    async fn release_job(&self, id: Uuid, worker: &str, now: OffsetDateTime) -> AppResult<bool>;
    async fn release_expired_jobs(&self, now: OffsetDateTime) -> AppResult<u64>;
    async fn get_job(&self, id: Uuid) -> AppResult<Option<Job>>;
    async fn list_jobs(&self, query: &JobQuery) -> AppResult<Page<Job>>;
    async fn retry_dead_job(&self, id: Uuid, now: OffsetDateTime, audit: &AuditEntry) -> AppResult<Option<Job>>;
    async fn try_lease(&self, name: &str, holder: &str, now: OffsetDateTime, until: OffsetDateTime) -> AppResult<bool>;
    async fn release_lease(&self, name: &str, holder: &str) -> AppResult<()>;
    async fn count_jobs_by_status(&self) -> AppResult<Vec<(JobStatus, i64)>>;
}

metered! {
    impl Housekeeping;
    async fn delete_stale_credentials(&self, now: OffsetDateTime, idle_before: OffsetDateTime) -> AppResult<u64>;
    async fn delete_audit_before(&self, before: OffsetDateTime, keep_actions: &[&str]) -> AppResult<u64>;
    async fn delete_finished_jobs(&self, before: OffsetDateTime) -> AppResult<u64>;
    async fn optimize_database(&self) -> AppResult<()>;
}
