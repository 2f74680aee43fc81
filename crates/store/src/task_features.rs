//! Checklists inside tasks, the company's labels, subtasks and bulk edits; and the labels
//! and counts every listed task carries, read for a page of tasks at once.

use std::collections::HashMap;

use formula_app::error::AppError;
use formula_app::repos::{BulkTask, TaskFeatureRepo, TaskRepo};
use formula_domain::audit::AuditEntry;
use formula_domain::errors::FieldErrors;
use formula_domain::task::Task;
use formula_domain::task_features::{ChecklistItem, Label, TaskLabel};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::{convert, parse_enum};
use crate::sql::Stmt;
use crate::tasks::{VersionRow, stale, update_stmt, version_of};

/// `IN (…)` over `ids`, its placeholders bound to `stmt`.
fn in_ids(stmt: &mut Stmt, ids: &[Uuid]) -> String {
    let marks: Vec<String> = ids.iter().map(|id| stmt.arg(*id)).collect();
    format!("IN ({})", marks.join(", "))
}

#[derive(sqlx::FromRow)]
struct TaskLabelRow {
    task_id: Uuid,
    id: Uuid,
    name: String,
    colour: String,
}

impl Db {
    /// Fills in each task's labels, checklist counts and number of subtasks: three reads
    /// for the whole page, whatever its size, on one connection.
    pub(crate) async fn with_extras(&self, mut tasks: Vec<Task>) -> DbResult<Vec<Task>> {
        if tasks.is_empty() {
            return Ok(tasks);
        }
        let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
        let mut labels = Stmt::default();
        let list = in_ids(&mut labels, &ids);
        labels.sql = format!(
            "SELECT tl.task_id, l.id, l.name, l.colour FROM task_labels tl \
             JOIN labels l ON l.id = tl.label_id WHERE tl.task_id {list} ORDER BY LOWER(l.name), l.id"
        );
        let mut checklist = Stmt::default();
        let list = in_ids(&mut checklist, &ids);
        checklist.sql = format!(
            "SELECT task_id, CAST(SUM(done) AS BIGINT), CAST(COUNT(*) AS BIGINT) \
             FROM task_checklist_items WHERE task_id {list} GROUP BY task_id"
        );
        let mut subtasks = Stmt::default();
        let list = in_ids(&mut subtasks, &ids);
        subtasks.sql = format!(
            "SELECT parent_id, CAST(COUNT(*) AS BIGINT) FROM tasks WHERE parent_id {list} GROUP BY parent_id"
        );
        let (labels, checklist, subtasks) = on_reader!(self, |pool| {
            (
                fetch_all!(pool, TaskLabelRow, labels)?,
                fetch_all!(pool, (Uuid, i64, i64), checklist)?,
                fetch_all!(pool, (Uuid, i64), subtasks)?,
            )
        });
        let mut by_task: HashMap<Uuid, Vec<TaskLabel>> = HashMap::new();
        for r in labels {
            by_task.entry(r.task_id).or_default().push(TaskLabel {
                id: r.id,
                name: r.name,
                colour: parse_enum(&r.colour, "labels.colour")?,
            });
        }
        let checklist: HashMap<Uuid, (i64, i64)> = checklist
            .into_iter()
            .map(|(id, done, total)| (id, (done, total)))
            .collect();
        let subtasks: HashMap<Uuid, i64> = subtasks.into_iter().collect();
        for t in &mut tasks {
            t.labels = by_task.remove(&t.id).unwrap_or_default();
            (t.checklist_done, t.checklist_total) =
                checklist.get(&t.id).copied().unwrap_or_default();
            t.subtask_count = subtasks.get(&t.id).copied().unwrap_or_default();
        }
        Ok(tasks)
    }
}

const ITEM_COLUMNS: &str = "c.id, c.task_id, c.text, c.done, c.done_by, db.name AS done_by_name, c.done_at, \
     c.position, c.updated_at, ub.name AS updated_by_name, c.version";
const ITEM_FROM: &str = "FROM task_checklist_items c LEFT JOIN users db ON db.id = c.done_by \
     LEFT JOIN users ub ON ub.id = c.updated_by";

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: Uuid,
    task_id: Uuid,
    text: String,
    done: i32,
    done_by: Option<Uuid>,
    done_by_name: Option<String>,
    done_at: Option<OffsetDateTime>,
    position: i32,
    updated_at: OffsetDateTime,
    updated_by_name: Option<String>,
    version: i64,
}

impl TryFrom<ItemRow> for ChecklistItem {
    type Error = DbError;
    fn try_from(r: ItemRow) -> DbResult<Self> {
        Ok(ChecklistItem {
            id: r.id,
            task_id: r.task_id,
            text: r.text,
            done: r.done != 0,
            done_by: r.done_by,
            done_by_name: r.done_by_name,
            done_at: r.done_at,
            position: r.position,
            updated_at: r.updated_at,
            updated_by_name: r.updated_by_name,
            version: r.version,
        })
    }
}

fn item_by_id(id: Uuid) -> Stmt {
    Stmt::new(format!("SELECT {ITEM_COLUMNS} {ITEM_FROM} WHERE c.id = $1")).bind(id)
}

fn item_version(id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT c.version, c.updated_at, u.name AS updated_by_name FROM task_checklist_items c \
         LEFT JOIN users u ON u.id = c.updated_by WHERE c.id = $1",
    )
    .bind(id)
}

fn item_stale(current: Option<VersionRow>) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: v.updated_by_name,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound("checklist item")),
    }
}

#[derive(sqlx::FromRow)]
struct LabelRow {
    id: Uuid,
    name: String,
    colour: String,
    version: i64,
}

impl TryFrom<LabelRow> for Label {
    type Error = DbError;
    fn try_from(r: LabelRow) -> DbResult<Self> {
        Ok(Label {
            id: r.id,
            name: r.name,
            colour: parse_enum(&r.colour, "labels.colour")?,
            version: r.version,
        })
    }
}

fn label_by_id(id: Uuid) -> Stmt {
    Stmt::new("SELECT id, name, colour, version FROM labels WHERE id = $1").bind(id)
}

fn label_stale(current: Option<i64>) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v,
            updated_by: None,
            updated_at: None,
        }),
        None => DbError::App(AppError::NotFound("label")),
    }
}

/// The task a bulk edit could not save: named, with who changed it first.
#[derive(sqlx::FromRow)]
struct StaleTaskRow {
    title: String,
    updated_by_name: Option<String>,
}

#[repo]
impl TaskFeatureRepo for Db {
    async fn list_checklist(&self, task_id: Uuid) -> DbResult<Vec<ChecklistItem>> {
        let stmt = Stmt::new(format!(
            "SELECT {ITEM_COLUMNS} {ITEM_FROM} WHERE c.task_id = $1 ORDER BY c.position, c.id"
        ))
        .bind(task_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, ItemRow, stmt)?);
        convert(rows)
    }

    async fn get_checklist_item(&self, id: Uuid) -> DbResult<Option<ChecklistItem>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, ItemRow, item_by_id(id))?);
        row.map(ChecklistItem::try_from).transpose()
    }

    async fn insert_checklist_item(
        &self,
        item: &ChecklistItem,
        actor: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<ChecklistItem> {
        let stmt = Stmt::new(
            "INSERT INTO task_checklist_items (id, task_id, text, done, done_by, done_at, position, \
             created_at, updated_at, updated_by, version) \
             SELECT $1, $2, $3, $4, $5, $6, \
             (SELECT COALESCE(MAX(position) + 1, 0) FROM task_checklist_items WHERE task_id = $2), \
             $7, $7, $8, 1",
        )
        .bind(item.id)
        .bind(item.task_id)
        .bind(&item.text)
        .bind(i32::from(item.done))
        .bind(item.done_by)
        .bind(item.done_at)
        .bind(item.updated_at)
        .bind(actor);
        let row = in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, ItemRow, item_by_id(item.id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("checklist item")))
            .and_then(ChecklistItem::try_from)
    }

    async fn update_checklist_item(
        &self,
        item: &ChecklistItem,
        expected_version: i64,
        actor: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<ChecklistItem> {
        let stmt = Stmt::new(
            "UPDATE task_checklist_items SET text = $1, done = $2, done_by = $3, done_at = $4, \
             updated_at = $5, updated_by = $6, version = version + 1 WHERE id = $7 AND version = $8",
        )
        .bind(&item.text)
        .bind(i32::from(item.done))
        .bind(item.done_by)
        .bind(item.done_at)
        .bind(item.updated_at)
        .bind(actor)
        .bind(item.id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(item_stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    item_version(item.id)
                )?));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, ItemRow, item_by_id(item.id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("checklist item")))
            .and_then(ChecklistItem::try_from)
    }

    async fn move_checklist_item(
        &self,
        id: Uuid,
        expected_version: i64,
        position: i32,
        at: OffsetDateTime,
        actor: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<ChecklistItem> {
        let bump = Stmt::new(
            "UPDATE task_checklist_items SET updated_at = $1, updated_by = $2, version = version + 1 \
             WHERE id = $3 AND version = $4",
        )
        .bind(at)
        .bind(actor)
        .bind(id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, bump)?.rows_affected() == 0 {
                return Err(item_stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    item_version(id)
                )?));
            }
            let siblings = Stmt::new(
                "SELECT id FROM task_checklist_items WHERE task_id = \
                 (SELECT task_id FROM task_checklist_items WHERE id = $1) ORDER BY position, id",
            )
            .bind(id);
            let mut order: Vec<Uuid> = fetch_scalars!(&mut *tx, Uuid, siblings)?;
            order.retain(|other| *other != id);
            let at = usize::try_from(position.max(0))
                .unwrap_or(0)
                .min(order.len());
            order.insert(at, id);
            for (i, item) in order.iter().enumerate() {
                let i = i32::try_from(i).unwrap_or(i32::MAX);
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "UPDATE task_checklist_items SET position = $1 WHERE id = $2 AND position <> $1"
                    )
                    .bind(i)
                    .bind(*item)
                )?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, ItemRow, item_by_id(id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("checklist item")))
            .and_then(ChecklistItem::try_from)
    }

    async fn delete_checklist_item(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new("DELETE FROM task_checklist_items WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(item_stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    item_version(id)
                )?));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn list_labels(&self) -> DbResult<Vec<Label>> {
        let stmt =
            Stmt::new("SELECT id, name, colour, version FROM labels ORDER BY LOWER(name), id");
        let rows = on_reader!(self, |pool| fetch_all!(pool, LabelRow, stmt)?);
        convert(rows)
    }

    async fn get_label(&self, id: Uuid) -> DbResult<Option<Label>> {
        let row = on_reader!(self, |pool| fetch_optional!(
            pool,
            LabelRow,
            label_by_id(id)
        )?);
        row.map(Label::try_from).transpose()
    }

    async fn insert_label(
        &self,
        label: &Label,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO labels (id, name, colour, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(label.id)
        .bind(&label.name)
        .bind(label.colour.as_str())
        .bind(at)
        .bind(label.version);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn update_label(
        &self,
        label: &Label,
        expected_version: i64,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<Label> {
        let stmt = Stmt::new(
            "UPDATE labels SET name = $1, colour = $2, updated_at = $3, version = version + 1 \
             WHERE id = $4 AND version = $5",
        )
        .bind(&label.name)
        .bind(label.colour.as_str())
        .bind(at)
        .bind(label.id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                let current = Stmt::new("SELECT version FROM labels WHERE id = $1").bind(label.id);
                return Err(label_stale(
                    fetch_optional!(&mut *tx, (i64,), current)?.map(|v| v.0),
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, LabelRow, label_by_id(label.id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("label")))
            .and_then(Label::try_from)
    }

    async fn delete_label(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new("DELETE FROM labels WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                let current = Stmt::new("SELECT version FROM labels WHERE id = $1").bind(id);
                return Err(label_stale(
                    fetch_optional!(&mut *tx, (i64,), current)?.map(|v| v.0),
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn set_task_labels(
        &self,
        task_id: Uuid,
        expected_version: i64,
        labels: &[Uuid],
        at: OffsetDateTime,
        actor: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<Task> {
        let bump = Stmt::new(
            "UPDATE tasks SET updated_at = $1, updated_by = $2, version = version + 1 \
             WHERE id = $3 AND version = $4",
        )
        .bind(at)
        .bind(actor)
        .bind(task_id)
        .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, bump)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    version_of(task_id)
                )?));
            }
            exec!(
                &mut *tx,
                Stmt::new("DELETE FROM task_labels WHERE task_id = $1").bind(task_id)
            )?;
            for label in labels {
                exec!(
                    &mut *tx,
                    Stmt::new("INSERT INTO task_labels (task_id, label_id) VALUES ($1, $2)")
                        .bind(task_id)
                        .bind(*label)
                )?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        TaskRepo::get_task(self, task_id)
            .await?
            .ok_or(DbError::App(AppError::NotFound("task")))
    }

    async fn count_subtasks(&self, task_id: Uuid) -> DbResult<i64> {
        let stmt = Stmt::new("SELECT CAST(COUNT(*) AS BIGINT) FROM tasks WHERE parent_id = $1")
            .bind(task_id);
        Ok(on_reader!(self, |pool| fetch_scalar!(pool, i64, stmt)?))
    }

    async fn bulk_update_tasks(
        &self,
        tasks: &[BulkTask],
        add_labels: &[Uuid],
        remove_labels: &[Uuid],
    ) -> DbResult<()> {
        in_tx!(self, |tx| {
            for b in tasks {
                let t = &b.task;
                let stmt = update_stmt(t, b.expected_version, b.audit.actor_id);
                if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                    let who = Stmt::new(
                        "SELECT t.title, u.name AS updated_by_name FROM tasks t \
                         LEFT JOIN users u ON u.id = t.updated_by WHERE t.id = $1",
                    )
                    .bind(t.id);
                    let row = fetch_optional!(&mut *tx, StaleTaskRow, who)?;
                    let (title, by) = match row {
                        Some(r) => (r.title, r.updated_by_name),
                        None => (t.title.clone(), None),
                    };
                    return Err(DbError::App(AppError::Conflict {
                        code: "stale",
                        message: format!(
                            "“{title}” was changed{} since the list was loaded; nothing was saved. Reload the list and try again.",
                            by.map(|n| format!(" by {n}")).unwrap_or_default()
                        ),
                        fields: FieldErrors::new(),
                    }));
                }
                for label in add_labels {
                    exec!(
                        &mut *tx,
                        Stmt::new(
                            "INSERT INTO task_labels (task_id, label_id) VALUES ($1, $2) \
                             ON CONFLICT DO NOTHING"
                        )
                        .bind(t.id)
                        .bind(*label)
                    )?;
                }
                for label in remove_labels {
                    exec!(
                        &mut *tx,
                        Stmt::new("DELETE FROM task_labels WHERE task_id = $1 AND label_id = $2")
                            .bind(t.id)
                            .bind(*label)
                    )?;
                }
                exec!(&mut *tx, audit::insert(&b.audit))?;
            }
        });
        Ok(())
    }
}
