//! `Store` for [`Db`]: each method hands over to the module that holds its SQL.

use async_trait::async_trait;
use formula_app::error::AppResult;
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

use crate::pool::Db;
use crate::sql::Stmt;
use crate::{
    attachments, audit, auth, clients, dashboard, drawings, projects, scope, specs, tasks, users,
};

#[async_trait]
impl Store for Db {
    fn backend(&self) -> &'static str {
        Db::backend(self).as_str()
    }

    async fn ping(&self) -> AppResult<()> {
        let run = async {
            on_reader!(self, |pool| fetch_scalar!(
                pool,
                i32,
                Stmt::new("SELECT 1")
            )?);
            Ok::<(), crate::error::DbError>(())
        };
        Ok(run.await?)
    }

    fn pool_status(&self) -> PoolStatus {
        Db::pool_status(self)
    }

    async fn pool_acquire_wait(&self) -> AppResult<std::time::Duration> {
        Ok(Db::acquire_wait(self).await?)
    }

    async fn count_users(&self) -> AppResult<i64> {
        Ok(users::count(self).await?)
    }
    async fn insert_user(
        &self,
        user: &User,
        password_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(users::insert(self, user, password_hash, audit).await?)
    }
    async fn get_user(&self, id: Uuid) -> AppResult<Option<User>> {
        Ok(users::get(self, id).await?)
    }
    async fn user_credentials(&self, email: &str) -> AppResult<Option<(User, String)>> {
        Ok(users::credentials(self, email).await?)
    }
    async fn list_users(&self, query: &UserQuery) -> AppResult<Page<User>> {
        Ok(users::list(self, query).await?)
    }
    async fn update_user(
        &self,
        user: &User,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<User> {
        Ok(users::update(self, user, expected_version, audit).await?)
    }
    async fn set_password(
        &self,
        user_id: Uuid,
        hash: &str,
        keep_session: Option<Uuid>,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(users::set_password(self, user_id, hash, keep_session, audit).await?)
    }

    async fn insert_session(&self, session: &SessionRecord) -> AppResult<()> {
        Ok(auth::insert_session(self, session).await?)
    }
    async fn session_by_hash(&self, token_hash: &str) -> AppResult<Option<(SessionRecord, User)>> {
        Ok(auth::session_by_hash(self, token_hash).await?)
    }
    async fn touch_session(&self, id: Uuid, at: OffsetDateTime) -> AppResult<()> {
        Ok(auth::touch_session(self, id, at).await?)
    }
    async fn delete_session(&self, id: Uuid) -> AppResult<()> {
        Ok(auth::delete_session(self, id).await?)
    }
    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> AppResult<u64> {
        Ok(auth::delete_expired_sessions(self, now).await?)
    }
    async fn count_active_sessions(&self, now: OffsetDateTime) -> AppResult<i64> {
        Ok(auth::count_active_sessions(self, now).await?)
    }

    async fn insert_token(
        &self,
        token: &ApiToken,
        token_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(auth::insert_token(self, token, token_hash, audit).await?)
    }
    async fn list_tokens(&self, user_id: Uuid) -> AppResult<Vec<ApiToken>> {
        Ok(auth::list_tokens(self, user_id).await?)
    }
    async fn token_by_hash(&self, token_hash: &str) -> AppResult<Option<(ApiToken, User)>> {
        Ok(auth::token_by_hash(self, token_hash).await?)
    }
    async fn touch_token(&self, id: Uuid, at: OffsetDateTime) -> AppResult<()> {
        Ok(auth::touch_token(self, id, at).await?)
    }
    async fn delete_token(
        &self,
        user_id: Uuid,
        token_id: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<bool> {
        Ok(auth::delete_token(self, user_id, token_id, audit).await?)
    }

    async fn insert_reset(
        &self,
        user_id: Uuid,
        token_hash: &str,
        expires_at: OffsetDateTime,
        email: &formula_app::jobs::NewJob,
    ) -> AppResult<()> {
        Ok(auth::insert_reset(self, user_id, token_hash, expires_at, email).await?)
    }
    async fn consume_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        new_hash: &str,
        audit: &AuditEntry,
    ) -> AppResult<Option<Uuid>> {
        Ok(auth::consume_reset(self, token_hash, now, new_hash, audit).await?)
    }
    async fn insert_mail(&self, mail: &OutboxMail) -> AppResult<()> {
        Ok(auth::insert_mail(self, mail).await?)
    }
    async fn list_mail(&self, limit: u32) -> AppResult<Vec<OutboxMail>> {
        Ok(auth::list_mail(self, limit).await?)
    }

    async fn insert_client(&self, client: &Client, audit: &AuditEntry) -> AppResult<()> {
        Ok(clients::insert(self, client, audit).await?)
    }
    async fn get_client(&self, id: Uuid) -> AppResult<Option<Client>> {
        Ok(clients::get(self, id).await?)
    }
    async fn list_clients(
        &self,
        query: &ClientQuery,
        scope: ClientScope,
    ) -> AppResult<Page<Client>> {
        Ok(clients::list(self, query, scope).await?)
    }
    async fn update_client(
        &self,
        client: &Client,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Client> {
        Ok(clients::update(self, client, expected_version, audit).await?)
    }
    async fn delete_client(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(clients::delete(self, id, expected_version, audit).await?)
    }
    async fn list_contacts(&self, client_id: Uuid) -> AppResult<Vec<Contact>> {
        Ok(clients::list_contacts(self, client_id).await?)
    }
    async fn insert_contact(&self, contact: &Contact, audit: &AuditEntry) -> AppResult<()> {
        Ok(clients::insert_contact(self, contact, audit).await?)
    }
    async fn delete_contact(
        &self,
        client_id: Uuid,
        contact_id: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<bool> {
        Ok(clients::delete_contact(self, client_id, contact_id, audit).await?)
    }

    async fn max_project_seq(&self, prefix: &str) -> AppResult<Option<u32>> {
        Ok(projects::max_seq(self, prefix).await?)
    }
    async fn insert_project(&self, project: &Project, audit: &AuditEntry) -> AppResult<()> {
        Ok(projects::insert(self, project, audit).await?)
    }
    async fn get_project(&self, id: Uuid) -> AppResult<Option<Project>> {
        Ok(projects::get(self, id).await?)
    }
    async fn project_access(
        &self,
        project_id: Uuid,
        user_id: Uuid,
    ) -> AppResult<Option<ProjectAccessRow>> {
        Ok(projects::access(self, project_id, user_id).await?)
    }
    async fn list_projects(
        &self,
        query: &ProjectQuery,
        scope: ProjectScope,
    ) -> AppResult<Page<Project>> {
        Ok(projects::list(self, query, scope).await?)
    }
    async fn update_project(
        &self,
        project: &Project,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Project> {
        Ok(projects::update(self, project, expected_version, audit).await?)
    }
    async fn delete_project(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(projects::delete(self, id, expected_version, audit).await?)
    }
    async fn list_members(&self, project_id: Uuid) -> AppResult<Vec<Member>> {
        Ok(projects::list_members(self, project_id).await?)
    }
    async fn upsert_member(
        &self,
        project_id: Uuid,
        user_id: Uuid,
        role: ProjectRole,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(projects::upsert_member(self, project_id, user_id, role, audit).await?)
    }
    async fn remove_member(
        &self,
        project_id: Uuid,
        user_id: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<bool> {
        Ok(projects::remove_member(self, project_id, user_id, audit).await?)
    }

    async fn insert_task(&self, task: &Task, audit: &AuditEntry) -> AppResult<()> {
        Ok(tasks::insert(self, task, audit).await?)
    }
    async fn get_task(&self, id: Uuid) -> AppResult<Option<Task>> {
        Ok(tasks::get(self, id).await?)
    }
    async fn list_tasks(&self, query: &TaskQuery, scope: ProjectScope) -> AppResult<Page<Task>> {
        Ok(tasks::list(self, query, scope).await?)
    }
    async fn count_tasks_each(
        &self,
        queries: &[TaskQuery],
        scope: ProjectScope,
    ) -> AppResult<Vec<i64>> {
        Ok(tasks::count_each(self, queries, scope).await?)
    }
    async fn task_pages(
        &self,
        queries: &[TaskQuery],
        scope: ProjectScope,
    ) -> AppResult<Vec<Vec<Task>>> {
        Ok(tasks::pages(self, queries, scope).await?)
    }
    async fn update_task(
        &self,
        task: &Task,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Task> {
        Ok(tasks::update(self, task, expected_version, audit).await?)
    }
    async fn delete_task(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(tasks::delete(self, id, expected_version, audit).await?)
    }

    async fn list_scope_groups(&self, project_id: Uuid) -> AppResult<Vec<ScopeGroup>> {
        Ok(scope::list_groups(self, project_id).await?)
    }
    async fn get_scope_group(&self, id: Uuid) -> AppResult<Option<ScopeGroup>> {
        Ok(scope::get_group(self, id).await?)
    }
    async fn insert_scope_groups(
        &self,
        groups: &[ScopeGroup],
        audit: &[AuditEntry],
    ) -> AppResult<u64> {
        Ok(scope::insert_groups(self, groups, audit).await?)
    }
    async fn update_scope_group(
        &self,
        group: &ScopeGroup,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<ScopeGroup> {
        Ok(scope::update_group(self, group, expected_version, audit).await?)
    }
    async fn delete_scope_group(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(scope::delete_group(self, id, expected_version, audit).await?)
    }
    async fn reorder_scope_groups(
        &self,
        project_id: Uuid,
        order: &[Uuid],
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(scope::reorder_groups(self, project_id, order, audit).await?)
    }
    async fn list_scope_items(&self, query: &ScopeQuery) -> AppResult<Page<ScopeItem>> {
        Ok(scope::list_items(self, query).await?)
    }
    async fn get_scope_item(&self, id: Uuid) -> AppResult<Option<ScopeItem>> {
        Ok(scope::get_item(self, id).await?)
    }
    async fn scope_item_codes(&self, project_id: Uuid) -> AppResult<Vec<String>> {
        Ok(scope::item_codes(self, project_id).await?)
    }
    async fn save_scope(
        &self,
        groups: &[ScopeGroup],
        new: &[ScopeItem],
        changed: &[(ScopeItem, i64)],
        audit: &[AuditEntry],
    ) -> AppResult<()> {
        Ok(scope::save(self, groups, new, changed, audit).await?)
    }
    async fn delete_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(scope::delete_item(self, id, expected_version, audit).await?)
    }
    async fn move_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        group_id: Uuid,
        index: u32,
        audit: &AuditEntry,
    ) -> AppResult<ScopeItem> {
        Ok(scope::move_item(self, id, expected_version, group_id, index, audit).await?)
    }

    async fn list_drawings(&self, project_id: Uuid) -> AppResult<Vec<Drawing>> {
        Ok(drawings::list_drawings(self, project_id).await?)
    }
    async fn get_drawing(&self, id: Uuid) -> AppResult<Option<Drawing>> {
        Ok(drawings::get_drawing(self, id).await?)
    }
    async fn insert_drawing(&self, drawing: &Drawing, audit: &AuditEntry) -> AppResult<()> {
        Ok(drawings::insert_drawing(self, drawing, audit).await?)
    }
    async fn update_drawing(
        &self,
        drawing: &Drawing,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Drawing> {
        Ok(drawings::update_drawing(self, drawing, expected_version, audit).await?)
    }
    async fn save_specs(
        &self,
        new: &[Spec],
        changed: &[(Spec, i64)],
        audit: &[AuditEntry],
    ) -> AppResult<()> {
        Ok(specs::save_specs(self, new, changed, audit).await?)
    }
    async fn list_attachments(
        &self,
        kind: OwnerKind,
        owner_id: Uuid,
    ) -> AppResult<Vec<Attachment>> {
        Ok(attachments::list(self, kind, owner_id).await?)
    }
    async fn get_attachment(&self, id: Uuid) -> AppResult<Option<Attachment>> {
        Ok(attachments::get(self, id).await?)
    }
    async fn insert_attachment(
        &self,
        attachment: &Attachment,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(attachments::insert(self, attachment, audit).await?)
    }
    async fn delete_attachment(&self, id: Uuid, audit: &AuditEntry) -> AppResult<bool> {
        Ok(attachments::delete(self, id, audit).await?)
    }
    async fn deleted_files(&self, limit: u32) -> AppResult<Vec<String>> {
        Ok(attachments::deleted_files(self, limit).await?)
    }
    async fn forget_deleted_files(&self, keys: &[String]) -> AppResult<()> {
        Ok(attachments::forget_deleted_files(self, keys).await?)
    }
    async fn list_revisions(&self, drawing_id: Uuid) -> AppResult<Vec<Revision>> {
        Ok(drawings::list_revisions(self, drawing_id).await?)
    }
    async fn get_revision(&self, id: Uuid) -> AppResult<Option<Revision>> {
        Ok(drawings::get_revision(self, id).await?)
    }
    async fn insert_revision(&self, revision: &Revision, audit: &AuditEntry) -> AppResult<()> {
        Ok(drawings::insert_revision(self, revision, audit).await?)
    }
    async fn set_revision_status(
        &self,
        revision: &Revision,
        expected_version: i64,
        review: Option<&Review>,
        audit: &AuditEntry,
    ) -> AppResult<Revision> {
        Ok(drawings::set_revision_status(self, revision, expected_version, review, audit).await?)
    }
    async fn list_reviews(&self, drawing_id: Uuid) -> AppResult<Vec<Review>> {
        Ok(drawings::list_reviews(self, drawing_id).await?)
    }

    async fn list_specs(&self, project_id: Uuid) -> AppResult<Vec<Spec>> {
        Ok(specs::list_specs(self, project_id).await?)
    }
    async fn get_spec(&self, id: Uuid) -> AppResult<Option<Spec>> {
        Ok(specs::get_spec(self, id).await?)
    }
    async fn insert_spec(&self, spec: &Spec, audit: &AuditEntry) -> AppResult<()> {
        Ok(specs::insert_spec(self, spec, audit).await?)
    }
    async fn update_spec(
        &self,
        spec: &Spec,
        expected_version: i64,
        review: Option<&SpecReview>,
        audit: &AuditEntry,
    ) -> AppResult<Spec> {
        Ok(specs::update_spec(self, spec, expected_version, review, audit).await?)
    }
    async fn list_spec_reviews(&self, spec_id: Uuid) -> AppResult<Vec<SpecReview>> {
        Ok(specs::list_spec_reviews(self, spec_id).await?)
    }

    async fn review_settings(&self, project_id: Uuid) -> AppResult<ReviewSettings> {
        Ok(scope::review_settings(self, project_id).await?)
    }
    async fn save_review_settings(
        &self,
        project_id: Uuid,
        settings: &ReviewSettings,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(scope::save_review_settings(self, project_id, settings, audit).await?)
    }
    async fn require_materials_ordered(&self, project_id: Uuid) -> AppResult<bool> {
        Ok(scope::require_materials_ordered(self, project_id).await?)
    }
    async fn set_require_materials_ordered(
        &self,
        project_id: Uuid,
        require: bool,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        Ok(scope::set_require_materials_ordered(self, project_id, require, audit).await?)
    }
    async fn release_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        note: Option<&str>,
        audit: &AuditEntry,
    ) -> AppResult<ScopeItem> {
        Ok(scope::release_item(self, id, expected_version, note, audit).await?)
    }

    async fn dashboard_counts(
        &self,
        scope: ProjectScope,
        today: time::Date,
    ) -> AppResult<DashboardCounts> {
        Ok(dashboard::counts(self, scope, today).await?)
    }
    async fn list_audit(&self, query: &AuditQuery) -> AppResult<Page<AuditEntry>> {
        Ok(audit::list(self, query).await?)
    }
}
