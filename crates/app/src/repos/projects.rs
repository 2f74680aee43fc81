//! Clients, projects with their teams, and tasks.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::authz::{ClientScope, ProjectScope};
use formula_domain::client::{Client, Contact};
use formula_domain::project::{Member, Project, ProjectRole};
use formula_domain::scope::ScopeGroup;
use formula_domain::task::Task;
use uuid::Uuid;

use crate::error::AppResult;
use crate::query::{ClientQuery, Page, ProjectQuery, TaskQuery};

/// Project-scoped facts an authorization check needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectAccessRow {
    pub client_id: Uuid,
    pub membership: Option<ProjectRole>,
}

/// Client organisations and their contacts.
#[async_trait]
pub trait ClientRepo: Send + Sync {
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
}

/// What is still open on a project: shown before it is marked completed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct OpenWork {
    /// Tasks not completed or cancelled.
    pub open_tasks: i64,
    /// Open tasks past their due date (as of the day asked).
    pub overdue_tasks: i64,
    /// Scope items neither completed nor cancelled.
    pub open_scope_items: i64,
    /// Shop drawings without an approved revision (approved or approved as noted).
    pub drawings_not_approved: i64,
    /// Material specifications not approved.
    pub specs_not_approved: i64,
}

impl OpenWork {
    /// Nothing is open.
    pub fn is_clear(&self) -> bool {
        *self == OpenWork::default()
    }
}

/// Projects and their teams.
#[async_trait]
pub trait ProjectRepo: Send + Sync {
    /// Highest sequence number among codes that start with `prefix` (e.g. `WSC-25-`).
    async fn max_project_seq(&self, prefix: &str) -> AppResult<Option<u32>>;
    /// Inserts the project, its manager as a `project_manager` team member, the scope
    /// groups it starts with and the audit entries, in one transaction. Fails with a
    /// `duplicate` conflict on `code`.
    async fn insert_project(
        &self,
        project: &Project,
        groups: &[ScopeGroup],
        audit: &[AuditEntry],
    ) -> AppResult<()>;
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
    /// What is still open on the project, overdue counted as of `today`.
    async fn open_work(&self, project_id: Uuid, today: time::Date) -> AppResult<OpenWork>;
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
}

/// Tasks.
#[async_trait]
pub trait TaskRepo: Send + Sync {
    /// Stores a new task with its audit entry, and makes `followers` follow it (its creator
    /// and assignee), in one transaction.
    async fn insert_task(
        &self,
        task: &Task,
        audit: &AuditEntry,
        followers: &[Uuid],
    ) -> AppResult<()>;
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
}
