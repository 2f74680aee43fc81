//! The schedule of a project's tasks: dependencies (refused when they would make a loop),
//! the working calendars, rescheduling (a proposal the user reads, then applies in one
//! transaction) and baselines with their slippage. The arithmetic is
//! `formula_domain::schedule`; dates never move unless someone applies a proposal.
//!
//! A task's duration, for the scheduler, is its working days from start to due date
//! inclusive; a milestone's is 0. A task with one date lasts one day from it; a task with no
//! date lasts one day from the project's start (its start date, else the earliest task start,
//! else today). Cancelled tasks, and the dependencies that touch them, are left out.
//! Completed and started (in progress, in review) tasks keep their dates.

use std::collections::{HashMap, HashSet};

use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::errors::FieldErrors;
use formula_domain::planning::{
    Baseline, BaselineTask, CompanyCalendar, Dependency, Holiday, MAX_LAG_DAYS, ProjectCalendar,
    Weekday, baseline_name, check_days, check_weekdays, constraint_of, project_work_calendar,
};
use formula_domain::schedule::{
    self as engine, Activity, Link, LinkKind, WorkCalendar, describe_cycle, find_cycle,
};
use formula_domain::task::{Task, TaskStatus};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::repos::DateChange;
use crate::services::{Services, audit, changes, created, ensure};

/// The audit trail's id for the company calendar (there is one).
const CALENDAR_ID: Uuid = Uuid::nil();
/// The most changes one apply may carry.
pub const MAX_APPLY: usize = 5000;

/// A dependency to add: `successor_id` waits on `predecessor_id`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDependency {
    pub predecessor_id: Uuid,
    pub successor_id: Uuid,
    /// `finish_to_start` (the default), `start_to_start` or `finish_to_finish`.
    #[serde(default)]
    pub kind: Option<LinkKind>,
    /// Working days between the two (negative: a lead), -365 to 365; 0 by default.
    #[serde(default)]
    #[schema(minimum = -365, maximum = 365)]
    pub lag_days: i32,
}

/// The company calendar to save.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    /// At least one (a weekday named twice counts once).
    #[schema(min_items = 1, max_items = 7)]
    pub working_weekdays: Vec<Weekday>,
    /// At most 500, each date once.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub holidays: Vec<Holiday>,
    /// The version read (0 before the first save); or send `If-Match`.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A project's overrides to save.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectCalendarInput {
    /// The project's own working weekdays (at least one); `null` or absent: the
    /// company's.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 7)]
    pub working_weekdays: Option<Vec<Weekday>>,
    /// At most 500, each date once, none also an extra working day.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub extra_holidays: Vec<Holiday>,
    /// At most 500, each date once.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub extra_working_days: Vec<Holiday>,
    #[serde(default)]
    pub version: Option<i64>,
}

/// One task in a schedule: its dates now, the dates the scheduler proposes, its early and
/// late dates, float and what it violates.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScheduleRow {
    pub task_id: Uuid,
    pub title: String,
    pub status: TaskStatus,
    pub is_milestone: bool,
    /// The task's version: send it back to apply.
    pub version: i64,
    pub current_start: Option<Date>,
    pub current_due: Option<Date>,
    pub proposed_start: Date,
    pub proposed_due: Date,
    pub early_start: Date,
    pub early_finish: Date,
    pub late_start: Date,
    pub late_finish: Date,
    /// Working days the task may slip without delaying the project's finish.
    pub total_float: i32,
    /// On the critical path (no float).
    pub critical: bool,
    /// Whether applying the proposal changes this task's dates.
    pub moves: bool,
    /// Constraints and dates the plan breaks, in words.
    pub violations: Vec<String>,
    /// The scope item the task is for (the Gantt groups by its scope group).
    pub scope_item_id: Option<Uuid>,
}

/// A reschedule's proposal: nothing is saved until it is applied.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScheduleProposal {
    pub project_id: Uuid,
    /// Where tasks without dates start.
    pub project_start: Date,
    /// The plan's last finish.
    pub finish: Date,
    /// Every scheduled task, by early start.
    pub rows: Vec<ScheduleRow>,
    /// How many tasks would move.
    pub moves: usize,
    /// Every violation, in words, with the task's title.
    pub violations: Vec<String>,
}

/// One task's new dates, with the version it was proposed against.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyChange {
    pub task_id: Uuid,
    pub version: i64,
    pub start: Date,
    pub due: Date,
}

/// The changes of a proposal to apply, all or nothing.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplySchedule {
    /// 1–5000 changes, each task once.
    #[schema(min_items = 1, max_items = 5000)]
    pub changes: Vec<ApplyChange>,
}

/// What applying did.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Applied {
    /// How many tasks moved.
    pub moved: usize,
}

/// A baseline to save.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBaseline {
    /// 1–100 characters.
    pub name: String,
}

/// One task or milestone compared with a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SlipRow {
    pub task_id: Uuid,
    pub title: String,
    pub is_milestone: bool,
    /// Absent for a task added since the baseline.
    pub baseline_start: Option<Date>,
    pub baseline_finish: Option<Date>,
    /// Absent for a task deleted (or cancelled) since.
    pub current_start: Option<Date>,
    pub current_finish: Option<Date>,
    /// Working days later than the baseline (negative: earlier); absent unless in both.
    pub start_slip_days: Option<i32>,
    pub finish_slip_days: Option<i32>,
}

/// The current plan against a baseline: milestones first, then tasks, by baseline start.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BaselineComparison {
    pub baseline: Baseline,
    pub rows: Vec<SlipRow>,
}

/// A project's network, ready for the engine.
struct Network {
    project_start: Date,
    calendar: WorkCalendar,
    /// The scheduled tasks (not cancelled), in the store's order.
    tasks: Vec<Task>,
    activities: Vec<Activity>,
    links: Vec<Link>,
}

fn link_of(d: &Dependency) -> Link {
    Link {
        from: d.predecessor_id,
        to: d.successor_id,
        kind: d.kind,
        lag: d.lag_days,
    }
}

/// A task as the engine sees it (see the module's notes on durations).
fn activity(t: &Task, calendar: &WorkCalendar, project_start: Date) -> Activity {
    let start = t.start_date.or(t.due_date).unwrap_or(project_start);
    let duration = if t.is_milestone {
        0
    } else {
        match (t.start_date, t.due_date) {
            (Some(s), Some(d)) => calendar.working_days_inclusive(s, d).max(1),
            _ => 1,
        }
    };
    let started =
        matches!(t.status, TaskStatus::InProgress | TaskStatus::Review) && t.start_date.is_some();
    Activity {
        id: t.id,
        name: t.title.clone(),
        duration,
        start: Some(start),
        constraint: constraint_of(t.constraint_kind, t.constraint_on),
        fixed: t.status == TaskStatus::Completed || started,
    }
}

/// A task's planned dates without scheduling: its own, or one day from where it starts.
fn planned(t: &Task, calendar: &WorkCalendar, project_start: Date) -> (Date, Date) {
    let a = activity(t, calendar, project_start);
    let start = a.start.unwrap_or(project_start);
    let finish = match (t.start_date, t.due_date) {
        (Some(_), Some(d)) => d,
        _ => start,
    };
    (start, finish.max(start))
}

fn engine_error(e: engine::ScheduleError) -> AppError {
    AppError::field("dependencies", e.to_string())
}

impl Services {
    /// The calendar a project is scheduled on.
    pub(crate) async fn work_calendar_of(&self, project_id: Uuid) -> AppResult<WorkCalendar> {
        let company = self.store.company_calendar().await?;
        let project = self.store.project_calendar(project_id).await?;
        project_work_calendar(&company, &project).map_err(engine_error)
    }

    async fn network(&self, project_id: Uuid, start: Option<Date>) -> AppResult<Network> {
        let calendar = self.work_calendar_of(project_id).await?;
        let tasks: Vec<Task> = self
            .store
            .schedule_tasks(project_id)
            .await?
            .into_iter()
            .filter(|t| t.status != TaskStatus::Cancelled)
            .collect();
        let project_start = start
            .or_else(|| tasks.iter().filter_map(|t| t.start_date).min())
            .unwrap_or_else(|| self.today());
        let ids: HashSet<Uuid> = tasks.iter().map(|t| t.id).collect();
        let links = self
            .store
            .list_dependencies(project_id)
            .await?
            .iter()
            .filter(|d| ids.contains(&d.predecessor_id) && ids.contains(&d.successor_id))
            .map(link_of)
            .collect();
        let activities = tasks
            .iter()
            .map(|t| activity(t, &calendar, project_start))
            .collect();
        Ok(Network {
            project_start,
            calendar,
            tasks,
            activities,
            links,
        })
    }

    /// Announces a dependency added or removed as a change to both its tasks: the project's
    /// open Schedule and Gantt pages follow its tasks, and each task's page its own
    /// Dependencies card.
    async fn dependency_changed(&self, caller: &Caller, d: &Dependency) {
        for task_id in [d.successor_id, d.predecessor_id] {
            self.changed(caller, "task.updated", d.project_id, task_id, None)
                .await;
        }
    }

    /// A project's dependencies.
    pub async fn list_dependencies(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<Dependency>> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewSchedule, &Resource::Project(access))?;
        self.store.list_dependencies(project_id).await
    }

    /// The dependencies a task is in (as predecessor or successor).
    pub async fn task_dependencies(
        &self,
        caller: &Caller,
        task_id: Uuid,
    ) -> AppResult<Vec<Dependency>> {
        let (_, access) = self.task_for(caller, task_id).await?;
        ensure(caller, Action::ViewSchedule, &Resource::Project(access))?;
        self.store.task_dependencies(task_id).await
    }

    /// The project's tasks (not cancelled) as `(id, title)` by title, for choosing a
    /// dependency's other task.
    pub async fn schedule_task_options(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<(Uuid, String)>> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewSchedule, &Resource::Project(access))?;
        let mut out: Vec<(Uuid, String)> = self
            .store
            .schedule_tasks(project_id)
            .await?
            .into_iter()
            .filter(|t| t.status != TaskStatus::Cancelled)
            .map(|t| (t.id, t.title))
            .collect();
        out.sort_by_key(|a| a.1.to_lowercase());
        Ok(out)
    }

    /// Whether the caller may keep this project's schedule (for showing controls).
    pub fn may_manage_schedule(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::ManageSchedule, access)
    }

    /// Adds a dependency between two tasks of the project. Refused when it would make a loop
    /// (the message names it), links a task to itself or to another project's task.
    pub async fn add_dependency(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewDependency,
    ) -> AppResult<Dependency> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ManageSchedule, &Resource::Project(access))?;
        let mut errors = FieldErrors::new();
        if !(-MAX_LAG_DAYS..=MAX_LAG_DAYS).contains(&input.lag_days) {
            errors.add(
                "lag_days",
                format!("must be between -{MAX_LAG_DAYS} and {MAX_LAG_DAYS} working days"),
            );
        }
        if input.predecessor_id == input.successor_id {
            errors.add(
                "successor_id",
                "must be another task: a task cannot depend on itself",
            );
        }
        let tasks = self.store.schedule_tasks(project_id).await?;
        let title_of = |id: Uuid| tasks.iter().find(|t| t.id == id).map(|t| t.title.clone());
        let predecessor = title_of(input.predecessor_id);
        let successor = title_of(input.successor_id);
        if predecessor.is_none() {
            errors.add("predecessor_id", "must be a task of this project");
        }
        if successor.is_none() {
            errors.add("successor_id", "must be a task of this project");
        }
        errors.into_result()?;
        let kind = input.kind.unwrap_or(LinkKind::FinishToStart);
        let existing = self.store.list_dependencies(project_id).await?;
        let mut links: Vec<Link> = existing.iter().map(link_of).collect();
        links.push(Link {
            from: input.predecessor_id,
            to: input.successor_id,
            kind,
            lag: input.lag_days,
        });
        let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
        if let Some(cycle) = find_cycle(&ids, &links) {
            let words = describe_cycle(&cycle, |id| title_of(id).unwrap_or_default());
            return Err(AppError::field(
                "successor_id",
                format!("would make a loop: {words}"),
            ));
        }
        let dependency = Dependency {
            id: formula_domain::new_id(),
            project_id,
            predecessor_id: input.predecessor_id,
            predecessor_title: predecessor.unwrap_or_default(),
            successor_id: input.successor_id,
            successor_title: successor.unwrap_or_default(),
            kind,
            lag_days: input.lag_days,
            created_by_name: Some(caller.actor.name.clone()),
            created_at: self.now(),
        };
        let label = format!(
            "{} → {}",
            dependency.predecessor_title, dependency.successor_title
        );
        let a = audit(
            caller,
            "create",
            "dependency",
            dependency.id,
            &label,
            created(&dependency),
        )
        .in_project(project_id);
        self.store.insert_dependency(&dependency, &a).await?;
        self.dependency_changed(caller, &dependency).await;
        Ok(dependency)
    }

    /// Removes a dependency.
    pub async fn remove_dependency(&self, caller: &Caller, id: Uuid) -> AppResult<()> {
        let dependency = self
            .store
            .get_dependency(id)
            .await?
            .ok_or(AppError::NotFound("dependency"))?;
        let access = self
            .access_for(caller, dependency.project_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("dependency"),
                other => other,
            })?;
        if !self.may(caller, Action::ViewSchedule, access) {
            return Err(AppError::NotFound("dependency"));
        }
        ensure(caller, Action::ManageSchedule, &Resource::Project(access))?;
        let label = format!(
            "{} → {}",
            dependency.predecessor_title, dependency.successor_title
        );
        let a = audit(caller, "delete", "dependency", id, &label, Vec::new())
            .in_project(dependency.project_id);
        self.store.delete_dependency(id, &a).await?;
        self.dependency_changed(caller, &dependency).await;
        Ok(())
    }

    /// Schedules the project's tasks and proposes their dates; nothing is saved.
    pub async fn schedule_proposal(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<ScheduleProposal> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ViewSchedule, &Resource::Project(access))?;
        let n = self.network(project_id, project.start_date).await?;
        let plan = engine::schedule(n.project_start, &n.activities, &n.links, &n.calendar)
            .map_err(engine_error)?;
        let by_id: HashMap<Uuid, &Task> = n.tasks.iter().map(|t| (t.id, t)).collect();
        let mut violations_of: HashMap<Uuid, Vec<String>> = HashMap::new();
        let mut violations = Vec::new();
        for v in &plan.violations {
            let title = by_id.get(&v.id).map(|t| t.title.as_str()).unwrap_or("");
            violations.push(format!("{title}: {}", v.message));
            violations_of
                .entry(v.id)
                .or_default()
                .push(v.message.clone());
        }
        let mut rows: Vec<ScheduleRow> = plan
            .rows
            .iter()
            .filter_map(|s| {
                let t = by_id.get(&s.id)?;
                let (proposed_start, proposed_due) = match (t.start_date, t.due_date) {
                    _ if t.is_milestone => (s.early_start, s.early_start),
                    // Where the start stays, so do the working days: keep the due date as
                    // typed (it may be a weekend the engine would read as the Friday).
                    (Some(start), Some(due)) if start == s.early_start => (start, due),
                    _ => (s.early_start, s.early_finish),
                };
                let moves =
                    t.start_date != Some(proposed_start) || t.due_date != Some(proposed_due);
                Some(ScheduleRow {
                    task_id: t.id,
                    title: t.title.clone(),
                    status: t.status,
                    is_milestone: t.is_milestone,
                    version: t.version,
                    current_start: t.start_date,
                    current_due: t.due_date,
                    proposed_start,
                    proposed_due,
                    early_start: s.early_start,
                    early_finish: s.early_finish,
                    late_start: s.late_start,
                    late_finish: s.late_finish,
                    total_float: s.total_float,
                    critical: s.critical,
                    moves,
                    violations: violations_of.remove(&t.id).unwrap_or_default(),
                    scope_item_id: t.scope_item_id,
                })
            })
            .collect();
        rows.sort_by(|a, b| {
            (a.early_start, a.early_finish, &a.title).cmp(&(
                b.early_start,
                b.early_finish,
                &b.title,
            ))
        });
        Ok(ScheduleProposal {
            project_id,
            project_start: n.project_start,
            finish: plan.finish,
            moves: rows.iter().filter(|r| r.moves).count(),
            rows,
            violations,
        })
    }

    /// Moves the tasks' dates as a proposal said, all or nothing: if any task changed since
    /// (its version moved), nothing moves and the answer names it.
    pub async fn apply_schedule(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: ApplySchedule,
    ) -> AppResult<Applied> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ManageSchedule, &Resource::Project(access))?;
        let mut errors = FieldErrors::new();
        if input.changes.is_empty() || input.changes.len() > MAX_APPLY {
            errors.add(
                "changes",
                format!("must hold 1 to {MAX_APPLY} changes (the proposal's rows that move)"),
            );
        }
        let tasks = self.store.schedule_tasks(project_id).await?;
        let by_id: HashMap<Uuid, &Task> = tasks.iter().map(|t| (t.id, t)).collect();
        let mut seen = HashSet::new();
        let mut moves = Vec::with_capacity(input.changes.len());
        for c in &input.changes {
            let Some(t) = by_id.get(&c.task_id) else {
                errors.add(
                    "changes",
                    format!("{} is not a task of this project", c.task_id),
                );
                continue;
            };
            if !seen.insert(c.task_id) {
                errors.add("changes", format!("“{}” is listed twice", t.title));
            }
            if c.due < c.start {
                errors.add(
                    "changes",
                    format!("“{}”: the due date must be on or after the start", t.title),
                );
            }
            if t.is_milestone && c.due != c.start {
                errors.add(
                    "changes",
                    format!(
                        "“{}” is a milestone: its start and due date are one date",
                        t.title
                    ),
                );
            }
            moves.push((*t, c));
        }
        errors.into_result()?;
        // Refuse before writing if a version already moved; the store checks again, atomically.
        if let Some((t, _)) = moves.iter().find(|(t, c)| t.version != c.version) {
            return Err(stale_task(&t.title));
        }
        let now = self.now();
        let mut changes_out = Vec::with_capacity(moves.len());
        let mut audits = Vec::with_capacity(moves.len());
        for (t, c) in &moves {
            let mut next = (*t).clone();
            next.start_date = Some(c.start);
            next.due_date = Some(c.due);
            audits.push(
                audit(
                    caller,
                    "reschedule",
                    "task",
                    t.id,
                    &t.title,
                    changes(*t, &next),
                )
                .in_project(project_id),
            );
            changes_out.push(DateChange {
                task_id: t.id,
                title: t.title.clone(),
                version: c.version,
                start: c.start,
                due: c.due,
            });
        }
        self.store
            .apply_schedule(project_id, &changes_out, caller.actor.user_id, now, &audits)
            .await?;
        for c in &changes_out {
            self.changed(
                caller,
                "task.updated",
                project_id,
                c.task_id,
                Some(c.version + 1),
            )
            .await;
        }
        // Each assignee hears of their own task's move, one notification per task.
        for (t, c) in &moves {
            let after = Task {
                start_date: Some(c.start),
                due_date: Some(c.due),
                version: c.version + 1,
                ..(*t).clone()
            };
            self.tell_dates_moved(caller, t, &after, access.client_id)
                .await;
        }
        Ok(Applied {
            moved: changes_out.len(),
        })
    }

    /// Saves the current plan as a baseline: every task's dates (not cancelled ones; a task
    /// without dates as the scheduler places it, one day from the project's start).
    pub async fn save_baseline(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewBaseline,
    ) -> AppResult<Baseline> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ManageSchedule, &Resource::Project(access))?;
        let mut errors = FieldErrors::new();
        let name = baseline_name(&mut errors, &input.name);
        errors.into_result()?;
        let n = self.network(project_id, project.start_date).await?;
        let tasks: Vec<BaselineTask> = n
            .tasks
            .iter()
            .map(|t| {
                let (start, finish) = planned(t, &n.calendar, n.project_start);
                BaselineTask {
                    task_id: t.id,
                    title: t.title.clone(),
                    is_milestone: t.is_milestone,
                    start,
                    finish,
                }
            })
            .collect();
        let baseline = Baseline {
            id: formula_domain::new_id(),
            project_id,
            name,
            created_by_name: Some(caller.actor.name.clone()),
            created_at: self.now(),
            tasks: i64::try_from(tasks.len()).unwrap_or(i64::MAX),
        };
        let a = audit(
            caller,
            "create",
            "baseline",
            baseline.id,
            &baseline.name,
            created(&baseline),
        )
        .in_project(project_id);
        self.store.insert_baseline(&baseline, &tasks, &a).await?;
        self.changed(caller, "schedule.baseline", project_id, baseline.id, None)
            .await;
        Ok(baseline)
    }

    /// A project's baselines, newest first.
    pub async fn list_baselines(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<Baseline>> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewSchedule, &Resource::Project(access))?;
        self.store.list_baselines(project_id).await
    }

    async fn baseline_for(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(Baseline, ProjectAccess)> {
        let baseline = self
            .store
            .get_baseline(id)
            .await?
            .ok_or(AppError::NotFound("baseline"))?;
        let access = self
            .access_for(caller, baseline.project_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("baseline"),
                other => other,
            })?;
        if !self.may(caller, Action::ViewSchedule, access) {
            return Err(AppError::NotFound("baseline"));
        }
        Ok((baseline, access))
    }

    /// The current plan against a baseline: each task's and milestone's slip in working days.
    pub async fn compare_baseline(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<BaselineComparison> {
        let (baseline, _) = self.baseline_for(caller, id).await?;
        let (project, _) = self.project_for(caller, baseline.project_id).await?;
        let saved = self.store.baseline_tasks(id).await?;
        let n = self
            .network(baseline.project_id, project.start_date)
            .await?;
        let current: Vec<(Uuid, Date, Date)> = n
            .tasks
            .iter()
            .map(|t| {
                let (s, f) = planned(t, &n.calendar, n.project_start);
                (t.id, s, f)
            })
            .collect();
        let before: Vec<(Uuid, Date, Date)> = saved
            .iter()
            .map(|b| (b.task_id, b.start, b.finish))
            .collect();
        let slips: HashMap<Uuid, engine::Slip> = engine::slippage(&before, &current, &n.calendar)
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let now_of: HashMap<Uuid, (Date, Date)> =
            current.iter().map(|&(id, s, f)| (id, (s, f))).collect();
        let mut rows: Vec<SlipRow> = saved
            .iter()
            .map(|b| {
                let now = now_of.get(&b.task_id);
                let slip = slips.get(&b.task_id);
                SlipRow {
                    task_id: b.task_id,
                    title: b.title.clone(),
                    is_milestone: b.is_milestone,
                    baseline_start: Some(b.start),
                    baseline_finish: Some(b.finish),
                    current_start: now.map(|n| n.0),
                    current_finish: now.map(|n| n.1),
                    start_slip_days: slip.map(|s| s.start_days),
                    finish_slip_days: slip.map(|s| s.finish_days),
                }
            })
            .collect();
        let in_baseline: HashSet<Uuid> = saved.iter().map(|b| b.task_id).collect();
        for t in n.tasks.iter().filter(|t| !in_baseline.contains(&t.id)) {
            let (s, f) = planned(t, &n.calendar, n.project_start);
            rows.push(SlipRow {
                task_id: t.id,
                title: t.title.clone(),
                is_milestone: t.is_milestone,
                baseline_start: None,
                baseline_finish: None,
                current_start: Some(s),
                current_finish: Some(f),
                start_slip_days: None,
                finish_slip_days: None,
            });
        }
        rows.sort_by(|a, b| {
            (
                !a.is_milestone,
                a.baseline_start.or(a.current_start),
                &a.title,
            )
                .cmp(&(
                    !b.is_milestone,
                    b.baseline_start.or(b.current_start),
                    &b.title,
                ))
        });
        Ok(BaselineComparison { baseline, rows })
    }

    /// Deletes a baseline.
    pub async fn delete_baseline(&self, caller: &Caller, id: Uuid) -> AppResult<()> {
        let (baseline, access) = self.baseline_for(caller, id).await?;
        ensure(caller, Action::ManageSchedule, &Resource::Project(access))?;
        let a = audit(caller, "delete", "baseline", id, &baseline.name, Vec::new())
            .in_project(baseline.project_id);
        self.store.delete_baseline(id, &a).await?;
        self.changed(caller, "schedule.baseline", baseline.project_id, id, None)
            .await;
        Ok(())
    }

    /// The company's working calendar (staff read it).
    pub async fn company_calendar(&self, caller: &Caller) -> AppResult<CompanyCalendar> {
        ensure(caller, Action::ViewCompany, &Resource::Global)?;
        self.store.company_calendar().await
    }

    /// Replaces the company's weekdays and holidays, compare-and-set on `expected_version`.
    pub async fn save_company_calendar(
        &self,
        caller: &Caller,
        expected_version: i64,
        input: CalendarInput,
    ) -> AppResult<CompanyCalendar> {
        ensure(caller, Action::ManageWorkCalendar, &Resource::Global)?;
        let current = self.store.company_calendar().await?;
        if current.version != expected_version {
            return Err(AppError::Stale {
                current_version: current.version,
                updated_by: current.updated_by_name,
                updated_at: current.updated_at,
            });
        }
        let mut errors = FieldErrors::new();
        let next = CompanyCalendar {
            working_weekdays: check_weekdays(
                &mut errors,
                "working_weekdays",
                &input.working_weekdays,
            ),
            holidays: check_days(&mut errors, "holidays", &input.holidays),
            updated_by_name: Some(caller.actor.name.clone()),
            updated_at: Some(self.now()),
            version: current.version,
        };
        errors.into_result()?;
        let a = audit(
            caller,
            "update",
            "work_calendar",
            CALENDAR_ID,
            "Working calendar",
            changes(&current, &next),
        );
        let saved = self
            .store
            .save_company_calendar(&next, expected_version, caller.actor.user_id, &a)
            .await?;
        Ok(saved)
    }

    /// A project's calendar overrides.
    pub async fn project_working_days(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<ProjectCalendar> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewSchedule, &Resource::Project(access))?;
        self.store.project_calendar(project_id).await
    }

    /// Replaces a project's overrides, compare-and-set on `expected_version`.
    pub async fn save_project_calendar(
        &self,
        caller: &Caller,
        project_id: Uuid,
        expected_version: i64,
        input: ProjectCalendarInput,
    ) -> AppResult<ProjectCalendar> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ManageSchedule, &Resource::Project(access))?;
        let current = self.store.project_calendar(project_id).await?;
        if current.version != expected_version {
            return Err(AppError::Stale {
                current_version: current.version,
                updated_by: current.updated_by_name,
                updated_at: current.updated_at,
            });
        }
        let mut errors = FieldErrors::new();
        let extra_holidays = check_days(&mut errors, "extra_holidays", &input.extra_holidays);
        let extra_working_days =
            check_days(&mut errors, "extra_working_days", &input.extra_working_days);
        if let Some(d) = extra_holidays
            .iter()
            .find(|h| extra_working_days.iter().any(|w| w.date == h.date))
        {
            errors.add(
                "extra_working_days",
                format!("{} is also an extra holiday; keep it in one list", d.date),
            );
        }
        let next = ProjectCalendar {
            project_id,
            working_weekdays: input
                .working_weekdays
                .as_deref()
                .map(|w| check_weekdays(&mut errors, "working_weekdays", w)),
            extra_holidays,
            extra_working_days,
            updated_by_name: Some(caller.actor.name.clone()),
            updated_at: Some(self.now()),
            version: current.version,
        };
        errors.into_result()?;
        let a = audit(
            caller,
            "update",
            "project_calendar",
            project_id,
            "Project calendar",
            changes(&current, &next),
        )
        .in_project(project_id);
        let saved = self
            .store
            .save_project_calendar(&next, expected_version, caller.actor.user_id, &a)
            .await?;
        self.changed(caller, "schedule.calendar", project_id, project_id, None)
            .await;
        Ok(saved)
    }
}

/// The 409 for a task that changed since the proposal.
fn stale_task(title: &str) -> AppError {
    let message = format!(
        "“{title}” was changed since the proposal was made; nothing was moved: reschedule \
         again to see the latest plan"
    );
    let mut fields = FieldErrors::new();
    fields.add("changes", message.clone());
    AppError::Conflict {
        code: "stale",
        message,
        fields,
    }
}
