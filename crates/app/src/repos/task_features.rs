//! Checklists inside tasks, the company's labels, subtasks and bulk edits.

use async_trait::async_trait;
use formula_domain::audit::AuditEntry;
use formula_domain::task::Task;
use formula_domain::task_features::{ChecklistItem, Label};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// One task of a bulk edit: the task as it is to be saved, the version it was read at, and
/// its audit entry.
#[derive(Debug, Clone)]
pub struct BulkTask {
    pub task: Task,
    pub expected_version: i64,
    pub audit: AuditEntry,
}

/// Checklists, labels, subtasks and bulk edits of tasks.
#[async_trait]
pub trait TaskFeatureRepo: Send + Sync {
    /// A task's checklist, in order.
    async fn list_checklist(&self, task_id: Uuid) -> AppResult<Vec<ChecklistItem>>;
    async fn get_checklist_item(&self, id: Uuid) -> AppResult<Option<ChecklistItem>>;
    /// Adds an item at the end of its task's checklist; returns it as stored.
    async fn insert_checklist_item(
        &self,
        item: &ChecklistItem,
        actor: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<ChecklistItem>;
    /// Saves an item's text and whether (and by whom, when) it is done, compare-and-set.
    async fn update_checklist_item(
        &self,
        item: &ChecklistItem,
        expected_version: i64,
        actor: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<ChecklistItem>;
    /// Moves an item to `position` (0 first; past the end is the end), compare-and-set on
    /// its version; the other items close up around it.
    async fn move_checklist_item(
        &self,
        id: Uuid,
        expected_version: i64,
        position: i32,
        at: OffsetDateTime,
        actor: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<ChecklistItem>;
    async fn delete_checklist_item(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;

    /// The company's labels, by name.
    async fn list_labels(&self) -> AppResult<Vec<Label>>;
    async fn get_label(&self, id: Uuid) -> AppResult<Option<Label>>;
    /// A duplicate name (whatever its case) is a `duplicate` conflict on `name`.
    async fn insert_label(
        &self,
        label: &Label,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn update_label(
        &self,
        label: &Label,
        expected_version: i64,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<Label>;
    /// Deletes a label, taking it off every task.
    async fn delete_label(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Replaces a task's labels, compare-and-set on the task's version (which goes up).
    async fn set_task_labels(
        &self,
        task_id: Uuid,
        expected_version: i64,
        labels: &[Uuid],
        at: OffsetDateTime,
        actor: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<Task>;

    /// How many subtasks a task has.
    async fn count_subtasks(&self, task_id: Uuid) -> AppResult<i64>;

    /// Saves every task of a bulk edit (each compare-and-set, each with its audit entry),
    /// adds and removes the labels given, all in one transaction: the first stale task
    /// undoes the lot (`Stale`, naming it in the error's conflict message).
    async fn bulk_update_tasks(
        &self,
        tasks: &[BulkTask],
        add_labels: &[Uuid],
        remove_labels: &[Uuid],
    ) -> AppResult<()>;
}
