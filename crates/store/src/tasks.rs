//! Tasks, with their project and people resolved to names.

use formula_app::error::AppError;
use formula_app::query::{Dir, Page, TaskQuery, TaskSort};
use formula_app::repos::{RecordKey, TaskRepo};
use formula_domain::audit::AuditEntry;
use formula_domain::authz::ProjectScope;
use formula_domain::comment::RecordKind;
use formula_domain::enums::Priority;
use formula_domain::task::{Task, TaskStatus};
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::projects::{TASK_OPEN, apply_scope};
use crate::rows::{convert, parse_enum};
use crate::sql::{Filter, SortKey, Stmt, limit_offset, order_by, rank};

/// Tasks with their derived names; `p` is joined so project scopes apply.
const TASK_FROM: &str = "FROM tasks t JOIN projects p ON p.id = t.project_id \
     LEFT JOIN users a ON a.id = t.assignee_id LEFT JOIN users ub ON ub.id = t.updated_by";

const TASK_COLUMNS: &str = "t.id, t.project_id, p.code AS project_code, p.name AS project_name, t.title, \
     t.description, t.status, t.priority, t.assignee_id, a.name AS assignee_name, t.start_date, t.due_date, \
     t.estimated_hours, t.actual_hours, t.progress, t.completed_at, t.created_at, t.updated_at, \
     ub.name AS updated_by_name, t.version, \
     (t.is_milestone = 1) AS is_milestone, t.constraint_kind, t.constraint_on, t.scope_item_id, t.parent_id";

#[derive(sqlx::FromRow)]
pub(crate) struct TaskRow {
    id: Uuid,
    project_id: Uuid,
    project_code: String,
    project_name: String,
    title: String,
    description: Option<String>,
    status: String,
    priority: String,
    assignee_id: Option<Uuid>,
    assignee_name: Option<String>,
    start_date: Option<Date>,
    due_date: Option<Date>,
    estimated_hours: Option<f64>,
    actual_hours: Option<f64>,
    progress: i32,
    completed_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    updated_by_name: Option<String>,
    version: i64,
    // The schedule (migration 0045).
    is_milestone: bool,
    constraint_kind: Option<String>,
    constraint_on: Option<Date>,
    scope_item_id: Option<Uuid>,
    parent_id: Option<Uuid>,
}

impl TryFrom<TaskRow> for Task {
    type Error = DbError;
    fn try_from(r: TaskRow) -> DbResult<Self> {
        Ok(Task {
            id: r.id,
            project_id: r.project_id,
            project_code: r.project_code,
            project_name: r.project_name,
            title: r.title,
            description: r.description,
            status: parse_enum(&r.status, "tasks.status")?,
            priority: parse_enum(&r.priority, "tasks.priority")?,
            assignee_id: r.assignee_id,
            assignee_name: r.assignee_name,
            start_date: r.start_date,
            due_date: r.due_date,
            estimated_hours: r.estimated_hours,
            actual_hours: r.actual_hours,
            progress: r.progress,
            completed_at: r.completed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            updated_by_name: r.updated_by_name,
            version: r.version,
            is_milestone: r.is_milestone,
            constraint_kind: r
                .constraint_kind
                .as_deref()
                .map(|k| parse_enum(k, "tasks.constraint_kind"))
                .transpose()?,
            constraint_on: r.constraint_on,
            scope_item_id: r.scope_item_id,
            parent_id: r.parent_id,
            // Filled by `Db::with_extras` (crate::task_features).
            labels: Vec::new(),
            checklist_done: 0,
            checklist_total: 0,
            subtask_count: 0,
        })
    }
}

fn by_id(id: Uuid) -> Stmt {
    Stmt::new(format!("SELECT {TASK_COLUMNS} {TASK_FROM} WHERE t.id = $1")).bind(id)
}

#[derive(sqlx::FromRow)]
pub(crate) struct VersionRow {
    pub(crate) version: i64,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) updated_by_name: Option<String>,
}

pub(crate) fn version_of(id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT t.version, t.updated_at, u.name AS updated_by_name FROM tasks t \
         LEFT JOIN users u ON u.id = t.updated_by WHERE t.id = $1",
    )
    .bind(id)
}

pub(crate) fn stale(current: Option<VersionRow>) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: v.updated_by_name,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound("task")),
    }
}

/// Adds `query`'s conditions (not its order or paging) to `f`.
fn filter(f: &mut Filter, query: &TaskQuery, scope: ProjectScope) {
    apply_scope(f, scope);
    if let Some(v) = query.project_id {
        let p = f.arg(v);
        f.and(format!("t.project_id = {p}"));
    }
    if let Some(v) = query.assignee_id {
        let p = f.arg(v);
        f.and(format!("t.assignee_id = {p}"));
    }
    if let Some(v) = query.status {
        let p = f.arg(v.as_str());
        f.and(format!("t.status = {p}"));
    }
    if query.open_only {
        f.and(format!("t.status {TASK_OPEN}"));
    }
    if let Some(v) = query.due_from {
        let p = f.date(v);
        f.and(format!("t.due_date >= {p}"));
    }
    if let Some(v) = query.due_before {
        let p = f.date(v);
        f.and(format!("t.due_date < {p}"));
    }
    if query.undated {
        f.and("t.due_date IS NULL");
    }
    if let Some(v) = query.completed_since {
        let p = f.arg(v);
        f.and(format!("t.completed_at >= {p}"));
    }
    f.search(query.q.as_deref(), &["t.title"]);
    if let Some(v) = query.label_id {
        let p = f.arg(v);
        f.and(format!(
            "EXISTS (SELECT 1 FROM task_labels tl WHERE tl.task_id = t.id AND tl.label_id = {p})"
        ));
    }
    if let Some(v) = query.parent_id {
        let p = f.arg(v);
        f.and(format!("t.parent_id = {p}"));
    }
    // The task's scope item is on the level the way the scope's level filter says: in one of
    // its rooms, or on a room type that has rooms there.
    if let Some(v) = query.level_id {
        let p = f.arg(v);
        f.and(format!(
            "t.scope_item_id IN (SELECT i.id FROM scope_items i \
             WHERE i.room_id IN (SELECT id FROM locations WHERE level_id = {p}) \
             OR i.room_type_id IN (SELECT room_type_id FROM locations WHERE level_id = {p}))"
        ));
    }
}

/// `COUNT(*) FROM … WHERE …` for the tasks `f` (built by [`filter`] for `scope`) matches.
fn count_of(f: &Filter, scope: ProjectScope) -> String {
    // Every task has its project: counting needs the join only when the scope reads `p`.
    let from = match scope {
        ProjectScope::All => "FROM tasks t",
        _ => "FROM tasks t JOIN projects p ON p.id = t.project_id",
    };
    format!("COUNT(*) {from}{}", f.where_sql())
}

/// The page `query` asks for, in its order, from `f` (built by [`filter`]).
fn page_stmt(f: Filter, query: &TaskQuery) -> Stmt {
    let (sort, dir) = query.sort.unwrap_or((TaskSort::DueDate, Dir::Asc));
    // Where the filter leaves only dated tasks (or only undated ones), "nulls last" changes
    // nothing, and a plain order lets an index give the order instead of a sort.
    let one_kind_of_due = query.due_from.is_some() || query.due_before.is_some() || query.undated;
    let key = match sort {
        TaskSort::DueDate if one_kind_of_due => SortKey::Plain("t.due_date".into()),
        TaskSort::DueDate => SortKey::NullsLast("t.due_date".into()),
        TaskSort::Priority => {
            let values: Vec<&str> = Priority::ALL.iter().map(|v| v.as_str()).collect();
            SortKey::Plain(rank("t.priority", &values))
        }
        TaskSort::Status => {
            let values: Vec<&str> = TaskStatus::ALL.iter().map(|v| v.as_str()).collect();
            SortKey::Plain(rank("t.status", &values))
        }
        TaskSort::Title => SortKey::Plain("LOWER(t.title)".into()),
        TaskSort::CreatedAt => SortKey::Plain("t.created_at".into()),
        TaskSort::CompletedAt if query.completed_since.is_some() => {
            SortKey::Plain("t.completed_at".into())
        }
        TaskSort::CompletedAt => SortKey::NullsLast("t.completed_at".into()),
    };
    let where_sql = f.where_sql();
    let mut page = f.stmt;
    let limit = limit_offset(&query.paging);
    page.sql = format!(
        "SELECT {TASK_COLUMNS} {TASK_FROM}{where_sql}{}{limit}",
        order_by(key, dir == Dir::Desc, "t.id")
    );
    page
}

/// The compare-and-set update of every stored field of `t` (also used by bulk edits).
pub(crate) fn update_stmt(t: &Task, expected_version: i64, actor: Option<Uuid>) -> Stmt {
    Stmt::new(
        "UPDATE tasks SET title = $1, description = $2, status = $3, priority = $4, assignee_id = $5, \
         start_date = $6, due_date = $7, estimated_hours = $8, actual_hours = $9, progress = $10, completed_at = $11, \
         updated_at = $12, updated_by = $13, version = version + 1, parent_id = $16, \
         is_milestone = $17, constraint_kind = $18, constraint_on = $19, scope_item_id = $20 \
         WHERE id = $14 AND version = $15",
    )
    .bind(&t.title)
    .bind(&t.description)
    .bind(t.status.as_str())
    .bind(t.priority.as_str())
    .bind(t.assignee_id)
    .bind(t.start_date)
    .bind(t.due_date)
    .bind(t.estimated_hours)
    .bind(t.actual_hours)
    .bind(t.progress)
    .bind(t.completed_at)
    .bind(t.updated_at)
    .bind(actor)
    .bind(t.id)
    .bind(expected_version)
    .bind(t.parent_id)
    .bind(i32::from(t.is_milestone))
    .bind(t.constraint_kind.map(|k| k.as_str()))
    .bind(t.constraint_on)
    .bind(t.scope_item_id)
}

/// Inserts a task as it is, written by `actor`.
pub(crate) fn insert_stmt(t: &Task, actor: Option<Uuid>) -> Stmt {
    Stmt::new(
            "INSERT INTO tasks (id, project_id, title, description, status, priority, assignee_id, start_date, due_date, \
             estimated_hours, actual_hours, progress, completed_at, created_at, updated_at, updated_by, version, \
             is_milestone, constraint_kind, constraint_on, scope_item_id, parent_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22)",
        )
        .bind(t.id)
        .bind(t.project_id)
        .bind(&t.title)
        .bind(&t.description)
        .bind(t.status.as_str())
        .bind(t.priority.as_str())
        .bind(t.assignee_id)
        .bind(t.start_date)
        .bind(t.due_date)
        .bind(t.estimated_hours)
        .bind(t.actual_hours)
        .bind(t.progress)
        .bind(t.completed_at)
        .bind(t.created_at)
        .bind(t.updated_at)
        .bind(actor)
        .bind(t.version)
        .bind(i32::from(t.is_milestone))
        .bind(t.constraint_kind.map(|k| k.as_str()))
        .bind(t.constraint_on)
        .bind(t.scope_item_id)
        .bind(t.parent_id)
}

#[repo]
impl TaskRepo for Db {
    async fn insert_task(&self, t: &Task, entry: &AuditEntry, followers: &[Uuid]) -> DbResult<()> {
        let stmt = insert_stmt(t, entry.actor_id);
        let record = RecordKey {
            kind: RecordKind::Task,
            id: t.id,
            project_id: t.project_id,
        };
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
            if !followers.is_empty() {
                exec!(
                    &mut *tx,
                    crate::comments::ensure_thread(record, t.created_at)
                )?;
                for user in followers {
                    exec!(&mut *tx, crate::comments::follow(t.id, *user, t.created_at))?;
                }
            }
        });
        Ok(())
    }

    async fn get_task(&self, id: Uuid) -> DbResult<Option<Task>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, TaskRow, by_id(id))?);
        let Some(task) = row.map(Task::try_from).transpose()? else {
            return Ok(None);
        };
        Ok(self.with_extras(vec![task]).await?.pop())
    }

    async fn list_tasks(&self, query: &TaskQuery, scope: ProjectScope) -> DbResult<Page<Task>> {
        let mut f = Filter::new();
        filter(&mut f, query, scope);
        let count = Stmt {
            sql: format!("SELECT {}", count_of(&f, scope)),
            args: f.stmt.args.clone(),
        };
        let page = page_stmt(f, query);
        let (total, rows) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (total, fetch_all!(pool, TaskRow, page)?)
        });
        let tasks = self.with_extras(convert(rows)?).await?;
        Ok(Page::new(tasks, total, query.paging))
    }

    /// How many tasks each query matches (their order and paging aside), in one statement.
    async fn count_tasks_each(
        &self,
        queries: &[TaskQuery],
        scope: ProjectScope,
    ) -> DbResult<Vec<i64>> {
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        // One row per query, tagged with its position: UNION ALL promises no order.
        let mut stmt = Stmt::default();
        let mut parts = Vec::with_capacity(queries.len());
        for (i, query) in queries.iter().enumerate() {
            let mut f = Filter::new();
            f.stmt.args = std::mem::take(&mut stmt.args);
            filter(&mut f, query, scope);
            parts.push(format!(
                "SELECT CAST({i} AS BIGINT), {}",
                count_of(&f, scope)
            ));
            stmt.args = f.stmt.args;
        }
        stmt.sql = parts.join(" UNION ALL ");
        let rows = on_reader!(self, |pool| fetch_all!(pool, (i64, i64), stmt)?);
        let mut counts = vec![0; queries.len()];
        for (i, n) in rows {
            if let Some(c) = usize::try_from(i).ok().and_then(|i| counts.get_mut(i)) {
                *c = n;
            }
        }
        Ok(counts)
    }

    /// The page each query asks for, without totals, read on one connection.
    async fn task_pages(
        &self,
        queries: &[TaskQuery],
        scope: ProjectScope,
    ) -> DbResult<Vec<Vec<Task>>> {
        let stmts: Vec<Stmt> = queries
            .iter()
            .map(|query| {
                let mut f = Filter::new();
                filter(&mut f, query, scope);
                page_stmt(f, query)
            })
            .collect();
        let mut rows = Vec::with_capacity(stmts.len());
        on_reader!(self, |pool| for stmt in stmts {
            rows.push(fetch_all!(pool, TaskRow, stmt)?);
        });
        let pages: Vec<Vec<Task>> = rows.into_iter().map(convert).collect::<DbResult<_>>()?;
        // One read of labels and counts for every page's tasks.
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        let mut all = self
            .with_extras(pages.into_iter().flatten().collect())
            .await?
            .into_iter();
        Ok(sizes
            .into_iter()
            .map(|n| all.by_ref().take(n).collect())
            .collect())
    }

    async fn update_task(
        &self,
        t: &Task,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<Task> {
        let stmt = update_stmt(t, expected_version, entry.actor_id);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    version_of(t.id)
                )?));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, TaskRow, by_id(t.id))?
        });
        let task = row
            .ok_or(DbError::App(AppError::NotFound("task")))
            .and_then(Task::try_from)?;
        let mut tasks = self.with_extras(vec![task]).await?;
        tasks.pop().ok_or(DbError::App(AppError::NotFound("task")))
    }

    async fn delete_task(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new("DELETE FROM tasks WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    version_of(id)
                )?));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }
}

/// Every task of a project, oldest first (the scheduler's input; the schedule module).
pub(crate) fn project_tasks(project_id: Uuid) -> Stmt {
    Stmt::new(format!(
        "SELECT {TASK_COLUMNS} {TASK_FROM} WHERE t.project_id = $1 ORDER BY t.created_at, t.id"
    ))
    .bind(project_id)
}
