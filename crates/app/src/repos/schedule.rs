use async_trait::async_trait;
use formula_domain::audit::AuditEntry;
use formula_domain::planning::{
    Baseline, BaselineTask, CompanyCalendar, Dependency, ProjectCalendar,
};
use formula_domain::schedule::ChainStep;
use formula_domain::task::{Task, TaskStatus};
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

/// A task generated for one step of a scope item's millwork chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTask {
    pub task_id: Uuid,
    pub scope_item_id: Uuid,
    pub step: ChainStep,
    pub title: String,
    pub status: TaskStatus,
    pub start: Option<Date>,
    pub due: Option<Date>,
    pub completed_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// A project's review history as the chain reads it: every drawing revision's submission and
/// decision, and every approval of a specification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewDates {
    /// (drawing, submitted at, approved at) per revision; approved covers "approved as noted".
    pub revisions: Vec<(Uuid, Option<OffsetDateTime>, Option<OffsetDateTime>)>,
    /// (specification, approved at) per approval.
    pub spec_approvals: Vec<(Uuid, OffsetDateTime)>,
}

/// New dates for a chain task not yet started, applied only if it is still at `version`;
/// the installation step also moves its "finish no later than" date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainMove {
    pub change: DateChange,
    pub finish_no_later_than: Option<Date>,
}

/// What applying the workflow template writes, all or nothing: the items' installation dates,
/// the steps' new tasks (each with its step) and their links, and new dates for the steps
/// that exist already.
#[derive(Debug, Clone, Default)]
pub struct ChainWrite {
    /// (scope item, installation date, the item's version when it was read).
    pub installs: Vec<(Uuid, Date, i64)>,
    pub tasks: Vec<(Task, ChainStep)>,
    pub links: Vec<Dependency>,
    pub moves: Vec<ChainMove>,
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

    /// The project's chain tasks (those generated from the workflow template), by item and step.
    async fn chain_tasks(&self, project_id: Uuid) -> AppResult<Vec<ChainTask>>;
    /// Projects with at least one open chain task, for the daily at-risk check.
    async fn projects_with_chains(&self) -> AppResult<Vec<Uuid>>;
    /// The project's drawing revisions and specification approvals, with their dates.
    async fn review_dates(&self, project_id: Uuid) -> AppResult<ReviewDates>;
    /// Writes a chain in one transaction with the audit entries. Nothing is saved if an item
    /// or a moved task changed meanwhile (`Conflict`, `stale`, naming it) or an item has that
    /// step already (`Conflict`, `duplicate`).
    async fn write_chain(
        &self,
        project_id: Uuid,
        write: &ChainWrite,
        by: Uuid,
        at: OffsetDateTime,
        audits: &[AuditEntry],
    ) -> AppResult<()>;
    /// Marks chain tasks completed on the given days (what happened to the item said so),
    /// each only if still open at its version; returns how many were. One audit entry each
    /// (`audits` in the order of `done`), written only for the tasks that changed.
    async fn complete_chain_steps(
        &self,
        done: &[(Uuid, i64, Date)],
        at: OffsetDateTime,
        audits: &[AuditEntry],
    ) -> AppResult<usize>;

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
