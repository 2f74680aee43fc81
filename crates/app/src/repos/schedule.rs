use async_trait::async_trait;
use formula_domain::audit::AuditEntry;
use formula_domain::planning::{
    Baseline, BaselineTask, CompanyCalendar, Dependency, ProjectCalendar,
};
use formula_domain::task::Task;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::AppResult;

/// One task's new dates, applied only if the task is still at `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateChange {
    pub task_id: Uuid,
    /// The task's title, for the message when it moved on.
    pub title: String,
    pub version: i64,
    pub start: Date,
    pub due: Date,
}

/// The schedule: dependencies, the working calendars, rescheduling and baselines.
#[async_trait]
pub trait ScheduleRepo: Send + Sync {
    /// Every task of a project (any status), oldest first, for the scheduler.
    async fn schedule_tasks(&self, project_id: Uuid) -> AppResult<Vec<Task>>;
    /// A project's dependencies, with the titles of their tasks.
    async fn list_dependencies(&self, project_id: Uuid) -> AppResult<Vec<Dependency>>;
    /// The dependencies a task is in, as predecessor or successor.
    async fn task_dependencies(&self, task_id: Uuid) -> AppResult<Vec<Dependency>>;
    async fn get_dependency(&self, id: Uuid) -> AppResult<Option<Dependency>>;
    /// Stores a dependency with its audit entry; `Conflict` (`duplicate`) when the two tasks
    /// are linked already (in this direction).
    async fn insert_dependency(&self, dependency: &Dependency, audit: &AuditEntry)
    -> AppResult<()>;
    /// Removes a dependency with its audit entry; `NotFound` when it is gone.
    async fn delete_dependency(&self, id: Uuid, audit: &AuditEntry) -> AppResult<()>;

    /// The company's calendar, or Monday to Friday with no holidays (`version` 0) before it
    /// is first saved.
    async fn company_calendar(&self) -> AppResult<CompanyCalendar>;
    /// Saves the weekdays and replaces the holidays, compare-and-set on `expected_version`
    /// (0: the first save), with the audit entry; `Stale` names who saved first.
    async fn save_company_calendar(
        &self,
        calendar: &CompanyCalendar,
        expected_version: i64,
        by: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<CompanyCalendar>;
    /// A project's overrides, or none (`version` 0) before they are first saved.
    async fn project_calendar(&self, project_id: Uuid) -> AppResult<ProjectCalendar>;
    /// Saves a project's overrides (replacing its days), compare-and-set as the company's.
    async fn save_project_calendar(
        &self,
        calendar: &ProjectCalendar,
        expected_version: i64,
        by: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<ProjectCalendar>;

    /// Moves the tasks' dates in one transaction, each compare-and-set on its version, with
    /// one audit entry per task (`audits` in the order of `changes`). Nothing is saved if one
    /// task moved on: `Conflict` (`stale`) names it.
    async fn apply_schedule(
        &self,
        project_id: Uuid,
        changes: &[DateChange],
        by: Uuid,
        at: OffsetDateTime,
        audits: &[AuditEntry],
    ) -> AppResult<()>;

    /// Stores a baseline and its tasks' dates with the audit entry.
    async fn insert_baseline(
        &self,
        baseline: &Baseline,
        tasks: &[BaselineTask],
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// A project's baselines, newest first.
    async fn list_baselines(&self, project_id: Uuid) -> AppResult<Vec<Baseline>>;
    async fn get_baseline(&self, id: Uuid) -> AppResult<Option<Baseline>>;
    /// A baseline's tasks, in their saved start order.
    async fn baseline_tasks(&self, id: Uuid) -> AppResult<Vec<BaselineTask>>;
    /// Deletes a baseline with its audit entry; `NotFound` when it is gone.
    async fn delete_baseline(&self, id: Uuid, audit: &AuditEntry) -> AppResult<()>;
}
