//! The schedule: dependencies between tasks, the company's working calendar (one row, id 1,
//! written the first time it is saved) with its holidays, a project's overrides, moving a
//! reschedule's dates in one transaction, and baselines.

use formula_app::error::AppError;
use formula_app::repos::{ChainTask, ChainWrite, DateChange, ReviewDates, ScheduleRepo};
use formula_domain::audit::AuditEntry;
use formula_domain::errors::FieldErrors;
use formula_domain::planning::{
    Baseline, BaselineTask, CompanyCalendar, Dependency, Holiday, ProjectCalendar, mask_text,
    parse_mask, weekdays_of,
};
use formula_domain::task::{Task, TaskStatus};
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::{convert, parse_enum};
use crate::sql::Stmt;
use crate::tasks::{TaskRow, project_tasks};

const DEPENDENCY_SELECT: &str = "SELECT d.id, d.project_id, d.predecessor_id, pt.title AS predecessor_title, \
     d.successor_id, st.title AS successor_title, d.kind, d.lag_days, u.name AS created_by_name, d.created_at \
     FROM task_dependencies d JOIN tasks pt ON pt.id = d.predecessor_id \
     JOIN tasks st ON st.id = d.successor_id LEFT JOIN users u ON u.id = d.created_by";

#[derive(sqlx::FromRow)]
struct DependencyRow {
    id: Uuid,
    project_id: Uuid,
    predecessor_id: Uuid,
    predecessor_title: String,
    successor_id: Uuid,
    successor_title: String,
    kind: String,
    lag_days: i32,
    created_by_name: Option<String>,
    created_at: OffsetDateTime,
}

impl TryFrom<DependencyRow> for Dependency {
    type Error = DbError;
    fn try_from(r: DependencyRow) -> DbResult<Self> {
        Ok(Dependency {
            id: r.id,
            project_id: r.project_id,
            predecessor_id: r.predecessor_id,
            predecessor_title: r.predecessor_title,
            successor_id: r.successor_id,
            successor_title: r.successor_title,
            kind: parse_enum(&r.kind, "task_dependencies.kind")?,
            lag_days: r.lag_days,
            created_by_name: r.created_by_name,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ChainTaskRow {
    id: Uuid,
    scope_item_id: Uuid,
    chain_step: String,
    title: String,
    status: String,
    start_date: Option<Date>,
    due_date: Option<Date>,
    completed_at: Option<OffsetDateTime>,
    version: i64,
}

impl TryFrom<ChainTaskRow> for ChainTask {
    type Error = DbError;
    fn try_from(r: ChainTaskRow) -> DbResult<Self> {
        Ok(ChainTask {
            task_id: r.id,
            scope_item_id: r.scope_item_id,
            step: parse_enum(&r.chain_step, "tasks.chain_step")?,
            title: r.title,
            status: parse_enum(&r.status, "tasks.status")?,
            start: r.start_date,
            due: r.due_date,
            completed_at: r.completed_at,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RevisionDatesRow {
    drawing_id: Uuid,
    status: String,
    submitted_at: Option<OffsetDateTime>,
    decided_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct SpecApprovalRow {
    spec_id: Uuid,
    at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct ProjectIdRow {
    project_id: Uuid,
}

/// The message when a chain's item or task moved on while it was being applied.
fn stale_chain(what: &str) -> DbError {
    let mut fields = FieldErrors::new();
    let message = format!(
        "{what} was changed (or deleted) meanwhile; nothing was applied: look again and apply once more"
    );
    fields.add("scope_item_ids", message.clone());
    DbError::App(AppError::Conflict {
        code: "stale",
        message,
        fields,
    })
}

#[derive(sqlx::FromRow)]
struct CalendarRow {
    working_weekdays: Option<String>,
    updated_by_name: Option<String>,
    updated_at: OffsetDateTime,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct DayRow {
    day: Date,
    working: i32,
    name: String,
}

#[derive(sqlx::FromRow)]
struct BaselineRow {
    id: Uuid,
    project_id: Uuid,
    name: String,
    created_by_name: Option<String>,
    created_at: OffsetDateTime,
    tasks: i64,
}

impl From<BaselineRow> for Baseline {
    fn from(r: BaselineRow) -> Self {
        Baseline {
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            created_by_name: r.created_by_name,
            created_at: r.created_at,
            tasks: r.tasks,
        }
    }
}

#[derive(sqlx::FromRow)]
struct BaselineTaskRow {
    task_id: Uuid,
    title: String,
    is_milestone: bool,
    start_date: Date,
    finish_date: Date,
}

const BASELINE_SELECT: &str = "SELECT b.id, b.project_id, b.name, u.name AS created_by_name, b.created_at, \
     (SELECT COUNT(*) FROM baseline_tasks bt WHERE bt.baseline_id = b.id) AS tasks \
     FROM baselines b LEFT JOIN users u ON u.id = b.created_by";

fn weekdays(text: &str, column: &str) -> DbResult<Vec<formula_domain::planning::Weekday>> {
    parse_mask(text)
        .map(weekdays_of)
        .ok_or_else(|| DbError::Corrupt(format!("{column} holds {text:?}")))
}

fn company_row() -> Stmt {
    Stmt::new(
        "SELECT c.working_weekdays, u.name AS updated_by_name, c.updated_at, c.version \
         FROM work_calendar c LEFT JOIN users u ON u.id = c.updated_by WHERE c.id = 1",
    )
}

fn holidays_stmt() -> Stmt {
    Stmt::new("SELECT day, 0 AS working, name FROM company_holidays ORDER BY day")
}

fn company(row: Option<CalendarRow>, days: Vec<DayRow>) -> DbResult<CompanyCalendar> {
    let holidays = days
        .into_iter()
        .map(|d| Holiday {
            date: d.day,
            name: d.name,
        })
        .collect();
    Ok(match row {
        Some(r) => CompanyCalendar {
            working_weekdays: weekdays(
                r.working_weekdays.as_deref().unwrap_or_default(),
                "work_calendar.working_weekdays",
            )?,
            holidays,
            updated_by_name: r.updated_by_name,
            updated_at: Some(r.updated_at),
            version: r.version,
        },
        None => CompanyCalendar {
            holidays,
            ..CompanyCalendar::default()
        },
    })
}

fn project_row(project_id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT c.working_weekdays, u.name AS updated_by_name, c.updated_at, c.version \
         FROM project_calendars c LEFT JOIN users u ON u.id = c.updated_by WHERE c.project_id = $1",
    )
    .bind(project_id)
}

fn project_days(project_id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT day, working, name FROM project_calendar_days WHERE project_id = $1 ORDER BY day",
    )
    .bind(project_id)
}

fn project(
    project_id: Uuid,
    row: Option<CalendarRow>,
    days: Vec<DayRow>,
) -> DbResult<ProjectCalendar> {
    let mut out = ProjectCalendar::none(project_id);
    for d in days {
        let day = Holiday {
            date: d.day,
            name: d.name,
        };
        if d.working == 1 {
            out.extra_working_days.push(day);
        } else {
            out.extra_holidays.push(day);
        }
    }
    if let Some(r) = row {
        out.working_weekdays = r
            .working_weekdays
            .as_deref()
            .map(|w| weekdays(w, "project_calendars.working_weekdays"))
            .transpose()?;
        out.updated_by_name = r.updated_by_name;
        out.updated_at = Some(r.updated_at);
        out.version = r.version;
    }
    Ok(out)
}

fn stale_calendar(version: i64, by: Option<String>, at: Option<OffsetDateTime>) -> DbError {
    DbError::App(AppError::Stale {
        current_version: version,
        updated_by: by,
        updated_at: at,
    })
}

#[repo]
impl ScheduleRepo for Db {
    async fn schedule_tasks(&self, project_id: Uuid) -> DbResult<Vec<Task>> {
        let rows = on_reader!(self, |pool| fetch_all!(
            pool,
            TaskRow,
            project_tasks(project_id)
        )?);
        convert(rows)
    }

    async fn list_dependencies(&self, project_id: Uuid) -> DbResult<Vec<Dependency>> {
        let stmt = Stmt::new(format!(
            "{DEPENDENCY_SELECT} WHERE d.project_id = $1 ORDER BY d.created_at, d.id"
        ))
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, DependencyRow, stmt)?);
        convert(rows)
    }

    async fn task_dependencies(&self, task_id: Uuid) -> DbResult<Vec<Dependency>> {
        let stmt = Stmt::new(format!(
            "{DEPENDENCY_SELECT} WHERE d.predecessor_id = $1 OR d.successor_id = $1 \
             ORDER BY d.created_at, d.id"
        ))
        .bind(task_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, DependencyRow, stmt)?);
        convert(rows)
    }

    async fn get_dependency(&self, id: Uuid) -> DbResult<Option<Dependency>> {
        let stmt = Stmt::new(format!("{DEPENDENCY_SELECT} WHERE d.id = $1")).bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, DependencyRow, stmt)?);
        row.map(Dependency::try_from).transpose()
    }

    async fn insert_dependency(&self, d: &Dependency, entry: &AuditEntry) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO task_dependencies (id, project_id, predecessor_id, successor_id, kind, \
             lag_days, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (predecessor_id, successor_id) DO NOTHING",
        )
        .bind(d.id)
        .bind(d.project_id)
        .bind(d.predecessor_id)
        .bind(d.successor_id)
        .bind(d.kind.as_str())
        .bind(d.lag_days)
        .bind(entry.actor_id)
        .bind(d.created_at);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                let mut fields = FieldErrors::new();
                let message = format!(
                    "“{}” already depends on “{}”; remove that dependency to change it",
                    d.successor_title, d.predecessor_title
                );
                fields.add("predecessor_id", message.clone());
                return Err(DbError::App(AppError::Conflict {
                    code: "duplicate",
                    message,
                    fields,
                }));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn delete_dependency(&self, id: Uuid, entry: &AuditEntry) -> DbResult<()> {
        let stmt = Stmt::new("DELETE FROM task_dependencies WHERE id = $1").bind(id);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(DbError::App(AppError::NotFound("dependency")));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn company_calendar(&self) -> DbResult<CompanyCalendar> {
        let (row, days) = on_reader!(self, |pool| {
            let row = fetch_optional!(&mut *pool, CalendarRow, company_row())?;
            let days = fetch_all!(&mut *pool, DayRow, holidays_stmt())?;
            (row, days)
        });
        company(row, days)
    }

    async fn save_company_calendar(
        &self,
        c: &CompanyCalendar,
        expected_version: i64,
        by: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<CompanyCalendar> {
        let at = c.updated_at.unwrap_or_else(OffsetDateTime::now_utc);
        let mask = mask_text(formula_domain::planning::weekday_mask(&c.working_weekdays));
        // The first save inserts the row; a second first save finds it there and is stale.
        let update = if expected_version == 0 {
            Stmt::new(
                "INSERT INTO work_calendar (id, working_weekdays, updated_by, updated_at, version) \
                 VALUES (1, $1, $2, $3, 1) ON CONFLICT (id) DO NOTHING",
            )
            .bind(mask)
            .bind(by)
            .bind(at)
        } else {
            Stmt::new(
                "UPDATE work_calendar SET working_weekdays = $1, updated_by = $2, updated_at = $3, \
                 version = version + 1 WHERE id = 1 AND version = $4",
            )
            .bind(mask)
            .bind(by)
            .bind(at)
            .bind(expected_version)
        };
        let (row, days) = in_tx!(self, |tx| {
            if exec!(&mut *tx, update)?.rows_affected() == 0 {
                let current = company(
                    fetch_optional!(&mut *tx, CalendarRow, company_row())?,
                    Vec::new(),
                )?;
                return Err(stale_calendar(
                    current.version,
                    current.updated_by_name,
                    current.updated_at,
                ));
            }
            exec!(&mut *tx, Stmt::new("DELETE FROM company_holidays"))?;
            for h in &c.holidays {
                exec!(
                    &mut *tx,
                    Stmt::new("INSERT INTO company_holidays (day, name) VALUES ($1, $2)")
                        .bind(h.date)
                        .bind(&h.name)
                )?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
            (
                fetch_optional!(&mut *tx, CalendarRow, company_row())?,
                fetch_all!(&mut *tx, DayRow, holidays_stmt())?,
            )
        });
        company(row, days)
    }

    async fn project_calendar(&self, project_id: Uuid) -> DbResult<ProjectCalendar> {
        let (row, days) = on_reader!(self, |pool| {
            let row = fetch_optional!(&mut *pool, CalendarRow, project_row(project_id))?;
            let days = fetch_all!(&mut *pool, DayRow, project_days(project_id))?;
            (row, days)
        });
        project(project_id, row, days)
    }

    async fn save_project_calendar(
        &self,
        c: &ProjectCalendar,
        expected_version: i64,
        by: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<ProjectCalendar> {
        let at = c.updated_at.unwrap_or_else(OffsetDateTime::now_utc);
        let mask = c
            .working_weekdays
            .as_deref()
            .map(|w| mask_text(formula_domain::planning::weekday_mask(w)));
        let pid = c.project_id;
        let update = if expected_version == 0 {
            Stmt::new(
                "INSERT INTO project_calendars (project_id, working_weekdays, updated_by, updated_at, \
                 version) VALUES ($1, $2, $3, $4, 1) ON CONFLICT (project_id) DO NOTHING",
            )
            .bind(pid)
            .bind(mask)
            .bind(by)
            .bind(at)
        } else {
            Stmt::new(
                "UPDATE project_calendars SET working_weekdays = $2, updated_by = $3, \
                 updated_at = $4, version = version + 1 WHERE project_id = $1 AND version = $5",
            )
            .bind(pid)
            .bind(mask)
            .bind(by)
            .bind(at)
            .bind(expected_version)
        };
        let (row, days) = in_tx!(self, |tx| {
            if exec!(&mut *tx, update)?.rows_affected() == 0 {
                let current = project(
                    pid,
                    fetch_optional!(&mut *tx, CalendarRow, project_row(pid))?,
                    Vec::new(),
                )?;
                return Err(stale_calendar(
                    current.version,
                    current.updated_by_name,
                    current.updated_at,
                ));
            }
            exec!(
                &mut *tx,
                Stmt::new("DELETE FROM project_calendar_days WHERE project_id = $1").bind(pid)
            )?;
            let days = c
                .extra_holidays
                .iter()
                .map(|d| (d, 0))
                .chain(c.extra_working_days.iter().map(|d| (d, 1)));
            for (d, working) in days {
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "INSERT INTO project_calendar_days (project_id, day, working, name) \
                         VALUES ($1, $2, $3, $4)"
                    )
                    .bind(pid)
                    .bind(d.date)
                    .bind(working)
                    .bind(&d.name)
                )?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
            (
                fetch_optional!(&mut *tx, CalendarRow, project_row(pid))?,
                fetch_all!(&mut *tx, DayRow, project_days(pid))?,
            )
        });
        project(pid, row, days)
    }

    async fn apply_schedule(
        &self,
        project_id: Uuid,
        changes: &[DateChange],
        by: Uuid,
        at: OffsetDateTime,
        audits: &[AuditEntry],
    ) -> DbResult<()> {
        in_tx!(self, |tx| {
            for c in changes {
                let stmt = Stmt::new(
                    "UPDATE tasks SET start_date = $1, due_date = $2, updated_at = $3, \
                     updated_by = $4, version = version + 1 \
                     WHERE id = $5 AND project_id = $6 AND version = $7",
                )
                .bind(c.start)
                .bind(c.due)
                .bind(at)
                .bind(by)
                .bind(c.task_id)
                .bind(project_id)
                .bind(c.version);
                if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                    let mut fields = FieldErrors::new();
                    let message = format!(
                        "“{}” was changed (or deleted) since the proposal was made; nothing was \
                         moved: reschedule again to see the latest plan",
                        c.title
                    );
                    fields.add("changes", message.clone());
                    return Err(DbError::App(AppError::Conflict {
                        code: "stale",
                        message,
                        fields,
                    }));
                }
            }
            for entry in audits {
                exec!(&mut *tx, audit::insert(entry))?;
            }
        });
        Ok(())
    }

    async fn chain_tasks(&self, project_id: Uuid) -> DbResult<Vec<ChainTask>> {
        let stmt = Stmt::new(
            "SELECT id, scope_item_id, chain_step, title, status, start_date, due_date, \
             completed_at, version FROM tasks WHERE project_id = $1 AND chain_step IS NOT NULL \
             AND scope_item_id IS NOT NULL ORDER BY scope_item_id, start_date, id",
        )
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, ChainTaskRow, stmt)?);
        convert(rows)
    }

    async fn projects_with_chains(&self) -> DbResult<Vec<Uuid>> {
        let stmt = Stmt::new(
            "SELECT DISTINCT project_id FROM tasks WHERE chain_step IS NOT NULL \
             AND status NOT IN ('completed', 'cancelled') ORDER BY project_id",
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, ProjectIdRow, stmt)?);
        Ok(rows.into_iter().map(|r| r.project_id).collect())
    }

    async fn review_dates(&self, project_id: Uuid) -> DbResult<ReviewDates> {
        let revisions = Stmt::new(
            "SELECT r.drawing_id, r.status, r.submitted_at, r.decided_at FROM drawing_revisions r \
             JOIN drawings d ON d.id = r.drawing_id WHERE d.project_id = $1",
        )
        .bind(project_id);
        let approvals = Stmt::new(
            "SELECT v.spec_id, v.at FROM spec_reviews v JOIN specs s ON s.id = v.spec_id \
             WHERE s.project_id = $1 AND v.decision = 'approved'",
        )
        .bind(project_id);
        let (revisions, approvals) = on_reader!(self, |pool| {
            let r = fetch_all!(&mut *pool, RevisionDatesRow, revisions)?;
            let a = fetch_all!(&mut *pool, SpecApprovalRow, approvals)?;
            (r, a)
        });
        Ok(ReviewDates {
            revisions: revisions
                .into_iter()
                .map(|r| {
                    let approved = matches!(r.status.as_str(), "approved" | "approved_as_noted");
                    (
                        r.drawing_id,
                        r.submitted_at,
                        r.decided_at.filter(|_| approved),
                    )
                })
                .collect(),
            spec_approvals: approvals.into_iter().map(|a| (a.spec_id, a.at)).collect(),
        })
    }

    async fn write_chain(
        &self,
        project_id: Uuid,
        w: &ChainWrite,
        by: Uuid,
        at: OffsetDateTime,
        audits: &[AuditEntry],
    ) -> DbResult<()> {
        in_tx!(self, |tx| {
            for (item, install_on, version) in &w.installs {
                let stmt = Stmt::new(
                    "UPDATE scope_items SET install_on = $1, updated_at = $2, updated_by = $3, \
                     version = version + 1 WHERE id = $4 AND project_id = $5 AND version = $6",
                )
                .bind(*install_on)
                .bind(at)
                .bind(by)
                .bind(*item)
                .bind(project_id)
                .bind(*version);
                if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                    return Err(stale_chain("a scope item"));
                }
            }
            for m in &w.moves {
                let c = &m.change;
                let stmt = Stmt::new(
                    "UPDATE tasks SET start_date = $1, due_date = $2, \
                     constraint_on = CASE WHEN constraint_kind IS NULL THEN NULL \
                     ELSE COALESCE($3, constraint_on) END, updated_at = $4, updated_by = $5, \
                     version = version + 1 WHERE id = $6 AND project_id = $7 AND version = $8",
                )
                .bind(c.start)
                .bind(c.due)
                .bind(m.finish_no_later_than)
                .bind(at)
                .bind(by)
                .bind(c.task_id)
                .bind(project_id)
                .bind(c.version);
                if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                    return Err(stale_chain(&format!("“{}”", c.title)));
                }
            }
            for (task, step) in &w.tasks {
                exec!(&mut *tx, crate::tasks::insert_stmt(task, Some(by)))?;
                let stmt = Stmt::new(
                    "UPDATE tasks SET chain_step = $1 WHERE id = $2 AND NOT EXISTS \
                     (SELECT 1 FROM tasks o WHERE o.scope_item_id = $3 AND o.chain_step = $1)",
                )
                .bind(step.as_str())
                .bind(task.id)
                .bind(task.scope_item_id);
                if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                    let mut fields = FieldErrors::new();
                    let message = format!(
                        "“{}” exists already: someone applied the template to this item meanwhile",
                        task.title
                    );
                    fields.add("scope_item_ids", message.clone());
                    return Err(DbError::App(AppError::Conflict {
                        code: "duplicate",
                        message,
                        fields,
                    }));
                }
            }
            for d in &w.links {
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "INSERT INTO task_dependencies (id, project_id, predecessor_id, \
                         successor_id, kind, lag_days, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (predecessor_id, successor_id) DO NOTHING"
                    )
                    .bind(d.id)
                    .bind(d.project_id)
                    .bind(d.predecessor_id)
                    .bind(d.successor_id)
                    .bind(d.kind.as_str())
                    .bind(d.lag_days)
                    .bind(by)
                    .bind(d.created_at)
                )?;
            }
            for entry in audits {
                exec!(&mut *tx, audit::insert(entry))?;
            }
        });
        Ok(())
    }

    async fn complete_chain_steps(
        &self,
        done: &[(Uuid, i64, Date)],
        at: OffsetDateTime,
        audits: &[AuditEntry],
    ) -> DbResult<usize> {
        let mut completed;
        in_tx!(self, |tx| {
            // Counted afresh should the transaction be retried.
            completed = 0;
            for ((task, version, on), entry) in done.iter().zip(audits) {
                let stmt = Stmt::new(
                    "UPDATE tasks SET status = $1, progress = 100, completed_at = $2, \
                     due_date = $3, start_date = CASE WHEN start_date IS NULL OR start_date > $3 \
                     THEN $3 ELSE start_date END, updated_at = $2, updated_by = NULL, \
                     version = version + 1 WHERE id = $4 AND version = $5 \
                     AND status NOT IN ('completed', 'cancelled')",
                )
                .bind(TaskStatus::Completed.as_str())
                .bind(at)
                .bind(*on)
                .bind(*task)
                .bind(*version);
                if exec!(&mut *tx, stmt)?.rows_affected() > 0 {
                    exec!(&mut *tx, audit::insert(entry))?;
                    completed += 1;
                }
            }
        });
        Ok(completed)
    }

    async fn insert_baseline(
        &self,
        b: &Baseline,
        tasks: &[BaselineTask],
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO baselines (id, project_id, name, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(b.id)
        .bind(b.project_id)
        .bind(&b.name)
        .bind(entry.actor_id)
        .bind(b.created_at);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            for t in tasks {
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "INSERT INTO baseline_tasks (baseline_id, task_id, title, is_milestone, \
                         start_date, finish_date) VALUES ($1, $2, $3, $4, $5, $6)"
                    )
                    .bind(b.id)
                    .bind(t.task_id)
                    .bind(&t.title)
                    .bind(i32::from(t.is_milestone))
                    .bind(t.start)
                    .bind(t.finish)
                )?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn list_baselines(&self, project_id: Uuid) -> DbResult<Vec<Baseline>> {
        let stmt = Stmt::new(format!(
            "{BASELINE_SELECT} WHERE b.project_id = $1 ORDER BY b.created_at DESC, b.id DESC"
        ))
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, BaselineRow, stmt)?);
        Ok(rows.into_iter().map(Baseline::from).collect())
    }

    async fn get_baseline(&self, id: Uuid) -> DbResult<Option<Baseline>> {
        let stmt = Stmt::new(format!("{BASELINE_SELECT} WHERE b.id = $1")).bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, BaselineRow, stmt)?);
        Ok(row.map(Baseline::from))
    }

    async fn baseline_tasks(&self, id: Uuid) -> DbResult<Vec<BaselineTask>> {
        let stmt = Stmt::new(
            "SELECT task_id, title, (is_milestone = 1) AS is_milestone, start_date, finish_date \
             FROM baseline_tasks WHERE baseline_id = $1 ORDER BY start_date, finish_date, task_id",
        )
        .bind(id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, BaselineTaskRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| BaselineTask {
                task_id: r.task_id,
                title: r.title,
                is_milestone: r.is_milestone,
                start: r.start_date,
                finish: r.finish_date,
            })
            .collect())
    }

    async fn delete_baseline(&self, id: Uuid, entry: &AuditEntry) -> DbResult<()> {
        let stmt = Stmt::new("DELETE FROM baselines WHERE id = $1").bind(id);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(DbError::App(AppError::NotFound("baseline")));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }
}
