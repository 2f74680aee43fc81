//! The workshop: stage lists and the production ledger. Each ledger row is added in a
//! transaction that locks its scope item's row (PostgreSQL: `FOR UPDATE`; SQLite has one
//! writer, `BEGIN IMMEDIATE`), derives the item's balances from the ledger and checks the
//! new row against them before it goes in, so two people moving the last units of an item
//! at once are served one after the other, and the second is told what is left.

use formula_app::error::AppError;
use formula_app::repos::{ReworkCount, WorkshopRepo};
use formula_domain::audit::AuditEntry;
use formula_domain::errors::FieldErrors;
use formula_domain::scope::Quantity;
use formula_domain::workshop::{
    Flow, ItemLedger, ItemPositions, MoveKind, NewMove, NewQaCheck, QaCheck, QaResult, Stage,
    StageInput, StageKind, StageTemplate, WorkshopMove, check_move, positions_of, previous,
};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::{Backend, Db};
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct StageRow {
    id: Uuid,
    project_id: Uuid,
    key: String,
    name: String,
    kind: String,
    position: i64,
    archived: bool,
    version: i64,
}

impl From<StageRow> for Stage {
    fn from(r: StageRow) -> Self {
        Stage {
            id: r.id,
            project_id: r.project_id,
            key: r.key,
            name: r.name,
            kind: StageKind::parse(&r.kind).unwrap_or(StageKind::Work),
            position: r.position,
            archived: r.archived,
            version: r.version,
        }
    }
}

const STAGE_COLUMNS: &str =
    "id, project_id, key, name, kind, position, (archived = 1) AS archived, version";

#[derive(sqlx::FromRow)]
struct TemplateRow {
    key: String,
    name: String,
    kind: String,
    position: i64,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    project_id: Uuid,
    code: String,
    quantity_milli: i64,
    released_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct FlowRow {
    scope_item_id: Uuid,
    from_stage_id: Option<Uuid>,
    to_stage_id: Option<Uuid>,
    quantity_milli: i64,
}

impl FlowRow {
    fn flow(&self) -> Flow {
        Flow {
            from: self.from_stage_id,
            to: self.to_stage_id,
            quantity: Quantity(self.quantity_milli),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ReversedRow {
    scope_item_id: Uuid,
    from_stage_id: Option<Uuid>,
    to_stage_id: Option<Uuid>,
    quantity_milli: i64,
    kind: String,
    qa_check_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct MoveRow {
    id: Uuid,
    project_id: Uuid,
    scope_item_id: Uuid,
    item_code: String,
    from_stage_id: Option<Uuid>,
    from_stage_name: Option<String>,
    to_stage_id: Option<Uuid>,
    to_stage_name: Option<String>,
    quantity_milli: i64,
    kind: String,
    qa_check_id: Option<Uuid>,
    reverses_id: Option<Uuid>,
    reversed_by_id: Option<Uuid>,
    note: Option<String>,
    moved_by_name: Option<String>,
    moved_at: OffsetDateTime,
}

impl From<MoveRow> for WorkshopMove {
    fn from(r: MoveRow) -> Self {
        WorkshopMove {
            id: r.id,
            project_id: r.project_id,
            scope_item_id: r.scope_item_id,
            item_code: r.item_code,
            from_stage_id: r.from_stage_id,
            from_stage_name: r.from_stage_name,
            to_stage_id: r.to_stage_id,
            to_stage_name: r.to_stage_name,
            quantity: Quantity(r.quantity_milli),
            kind: MoveKind::parse(&r.kind).unwrap_or(MoveKind::Forward),
            qa_check_id: r.qa_check_id,
            reverses_id: r.reverses_id,
            reversed_by_id: r.reversed_by_id,
            note: r.note,
            moved_by_name: r.moved_by_name,
            moved_at: r.moved_at,
        }
    }
}

const MOVE_COLUMNS: &str = "SELECT m.id, m.project_id, m.scope_item_id, i.code AS item_code, \
     m.from_stage_id, f.name AS from_stage_name, m.to_stage_id, t.name AS to_stage_name, \
     m.quantity_milli, m.kind, m.qa_check_id, m.reverses_id, \
     (SELECT r.id FROM workshop_moves r WHERE r.reverses_id = m.id) AS reversed_by_id, \
     m.note, u.name AS moved_by_name, m.moved_at \
     FROM workshop_moves m JOIN scope_items i ON i.id = m.scope_item_id \
     LEFT JOIN workshop_stages f ON f.id = m.from_stage_id \
     LEFT JOIN workshop_stages t ON t.id = m.to_stage_id \
     LEFT JOIN users u ON u.id = m.moved_by";

#[derive(sqlx::FromRow)]
struct QaRow {
    id: Uuid,
    project_id: Uuid,
    scope_item_id: Uuid,
    item_code: String,
    stage_id: Uuid,
    quantity_milli: i64,
    result: String,
    rework_stage_id: Option<Uuid>,
    rework_stage_name: Option<String>,
    notes: Option<String>,
    checked_by_name: Option<String>,
    checked_at: OffsetDateTime,
}

impl From<QaRow> for QaCheck {
    fn from(r: QaRow) -> Self {
        QaCheck {
            id: r.id,
            project_id: r.project_id,
            scope_item_id: r.scope_item_id,
            item_code: r.item_code,
            stage_id: r.stage_id,
            quantity: Quantity(r.quantity_milli),
            result: QaResult::parse(&r.result).unwrap_or(QaResult::Fail),
            rework_stage_id: r.rework_stage_id,
            rework_stage_name: r.rework_stage_name,
            notes: r.notes,
            checked_by_name: r.checked_by_name,
            checked_at: r.checked_at,
            photos: Vec::new(),
        }
    }
}

const QA_COLUMNS: &str = "SELECT q.id, q.project_id, q.scope_item_id, i.code AS item_code, \
     q.stage_id, q.quantity_milli, q.result, q.rework_stage_id, s.name AS rework_stage_name, \
     q.notes, u.name AS checked_by_name, q.checked_at \
     FROM qa_checks q JOIN scope_items i ON i.id = q.scope_item_id \
     LEFT JOIN workshop_stages s ON s.id = q.rework_stage_id \
     LEFT JOIN users u ON u.id = q.checked_by";

#[derive(sqlx::FromRow)]
struct ReleasedRow {
    id: Uuid,
    quantity_milli: i64,
    released_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct DispatchedRow {
    scope_item_id: Uuid,
    quantity_milli: i64,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    failures: i64,
    quantity_milli: i64,
}

/// A refusal of the ledger, as a conflict on the `quantity` field.
fn refused(code: &'static str, message: String) -> DbError {
    let mut fields = FieldErrors::new();
    fields.add("quantity", message.clone());
    DbError::App(AppError::Conflict {
        code,
        message,
        fields,
    })
}

fn conflict(code: &'static str, message: String) -> DbError {
    DbError::App(AppError::Conflict {
        code,
        message,
        fields: FieldErrors::new(),
    })
}

fn project_stages(project_id: Uuid) -> Stmt {
    Stmt::new(format!(
        "SELECT {STAGE_COLUMNS} FROM workshop_stages WHERE project_id = $1 ORDER BY position, key"
    ))
    .bind(project_id)
}

/// The item's ledger summed by (from, to).
fn item_flows(item: Uuid) -> Stmt {
    Stmt::new(
        "SELECT scope_item_id, from_stage_id, to_stage_id, \
         CAST(SUM(quantity_milli) AS BIGINT) AS quantity_milli FROM workshop_moves \
         WHERE scope_item_id = $1 GROUP BY scope_item_id, from_stage_id, to_stage_id",
    )
    .bind(item)
}

/// What delivery notes on their way or received took from the packed stage, per item.
const DISPATCHED: &str = "SELECT l.scope_item_id, CAST(SUM(l.quantity_milli) AS BIGINT) AS quantity_milli \
     FROM delivery_note_lines l JOIN delivery_notes n ON n.id = l.delivery_note_id \
     WHERE n.status IN ('dispatched', 'partially_received', 'received')";

fn item_dispatched(item: Uuid) -> Stmt {
    Stmt::new(format!(
        "{DISPATCHED} AND l.scope_item_id = $1 GROUP BY l.scope_item_id"
    ))
    .bind(item)
}

fn insert_stage(
    id: Uuid,
    project_id: Uuid,
    s: &StageInput,
    position: i64,
    now: OffsetDateTime,
) -> Stmt {
    Stmt::new(
        "INSERT INTO workshop_stages (id, project_id, key, name, kind, position, archived, \
         created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7, 1) \
         ON CONFLICT (project_id, key) DO NOTHING",
    )
    .bind(id)
    .bind(project_id)
    .bind(s.key.clone())
    .bind(s.name.clone())
    .bind(s.kind.as_str().to_owned())
    .bind(position)
    .bind(now)
}

fn insert_move(m: &NewMove) -> Stmt {
    Stmt::new(
        "INSERT INTO workshop_moves (id, project_id, scope_item_id, from_stage_id, to_stage_id, \
         quantity_milli, kind, qa_check_id, reverses_id, note, moved_by, moved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(m.id)
    .bind(m.project_id)
    .bind(m.scope_item_id)
    .bind(m.from_stage_id)
    .bind(m.to_stage_id)
    .bind(m.quantity.0)
    .bind(m.kind.as_str().to_owned())
    .bind(m.qa_check_id)
    .bind(m.reverses_id)
    .bind(&m.note)
    .bind(m.moved_by)
    .bind(m.moved_at)
}

fn insert_qa(q: &NewQaCheck) -> Stmt {
    Stmt::new(
        "INSERT INTO qa_checks (id, project_id, scope_item_id, stage_id, quantity_milli, result, \
         rework_stage_id, notes, checked_by, checked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(q.id)
    .bind(q.project_id)
    .bind(q.scope_item_id)
    .bind(q.stage_id)
    .bind(q.quantity.0)
    .bind(q.result.as_str().to_owned())
    .bind(q.rework_stage_id)
    .bind(&q.notes)
    .bind(q.checked_by)
    .bind(q.checked_at)
}

fn released(quantity_milli: i64, released_at: Option<OffsetDateTime>) -> Quantity {
    if released_at.is_some() {
        Quantity(quantity_milli)
    } else {
        Quantity(0)
    }
}

#[repo]
impl WorkshopRepo for Db {
    async fn list_stage_templates(&self) -> DbResult<Vec<StageTemplate>> {
        let stmt = Stmt::new(
            "SELECT key, name, kind, position FROM workshop_stage_templates ORDER BY position, key",
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, TemplateRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| StageTemplate {
                key: r.key,
                name: r.name,
                kind: StageKind::parse(&r.kind).unwrap_or(StageKind::Work),
                position: r.position,
            })
            .collect())
    }

    async fn replace_stage_templates(
        &self,
        stages: &[StageInput],
        now: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        in_tx!(self, |tx| {
            exec!(&mut *tx, Stmt::new("DELETE FROM workshop_stage_templates"))?;
            for (i, s) in stages.iter().enumerate() {
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "INSERT INTO workshop_stage_templates (id, key, name, kind, position, \
                         updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, 1)",
                    )
                    .bind(formula_domain::new_id())
                    .bind(s.key.clone())
                    .bind(s.name.clone())
                    .bind(s.kind.as_str().to_owned())
                    .bind(i as i64)
                    .bind(now)
                )?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn list_project_stages(&self, project_id: Uuid) -> DbResult<Vec<Stage>> {
        let stmt = project_stages(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, StageRow, stmt)?);
        Ok(rows.into_iter().map(Stage::from).collect())
    }

    async fn ensure_project_stages(
        &self,
        project_id: Uuid,
        template: &[StageInput],
        now: OffsetDateTime,
    ) -> DbResult<Vec<Stage>> {
        let existing = self.list_project_stages(project_id).await?;
        if !existing.is_empty() {
            return Ok(existing);
        }
        let rows = in_tx!(self, |tx| {
            let any = Stmt::new("SELECT COUNT(*) FROM workshop_stages WHERE project_id = $1")
                .bind(project_id);
            if fetch_scalar!(&mut *tx, i64, any)? == 0 {
                for (i, s) in template.iter().enumerate() {
                    exec!(
                        &mut *tx,
                        insert_stage(formula_domain::new_id(), project_id, s, i as i64, now)
                    )?;
                }
            }
            fetch_all!(&mut *tx, StageRow, project_stages(project_id))?
        });
        Ok(rows.into_iter().map(Stage::from).collect())
    }

    async fn replace_project_stages(
        &self,
        project_id: Uuid,
        stages: &[StageInput],
        now: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<Vec<Stage>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let rows = in_tx!(self, |tx| {
            // The project's row is locked so that a list change and a move of the project's
            // items see each other whole.
            exec!(
                &mut *tx,
                Stmt::new(format!("SELECT id FROM projects WHERE id = $1{lock}")).bind(project_id)
            )?;
            let old: Vec<Stage> = fetch_all!(&mut *tx, StageRow, project_stages(project_id))?
                .into_iter()
                .map(Stage::from)
                .collect();
            for s in old
                .iter()
                .filter(|o| !stages.iter().any(|n| n.key == o.key))
            {
                let held = Stmt::new(
                    "SELECT CAST(COALESCE(SUM(CASE WHEN to_stage_id = $1 THEN quantity_milli \
                     ELSE -quantity_milli END), 0) AS BIGINT) FROM workshop_moves \
                     WHERE to_stage_id = $1 OR from_stage_id = $1",
                )
                .bind(s.id);
                let held = fetch_scalar!(&mut *tx, i64, held)?;
                if held != 0 {
                    return Err(conflict(
                        "stage_holds_quantities",
                        format!(
                            "{} holds {} now; move them on before taking it off the list",
                            s.name,
                            Quantity(held)
                        ),
                    ));
                }
                let used = Stmt::new(
                    "SELECT (SELECT COUNT(*) FROM workshop_moves WHERE to_stage_id = $1 OR from_stage_id = $1) \
                     + (SELECT COUNT(*) FROM qa_checks WHERE stage_id = $1 OR rework_stage_id = $1)",
                )
                .bind(s.id);
                if fetch_scalar!(&mut *tx, i64, used)? > 0 {
                    exec!(
                        &mut *tx,
                        Stmt::new(
                            "UPDATE workshop_stages SET archived = 1, updated_at = $2, \
                             version = version + 1 WHERE id = $1",
                        )
                        .bind(s.id)
                        .bind(now)
                    )?;
                } else {
                    exec!(
                        &mut *tx,
                        Stmt::new("DELETE FROM workshop_stages WHERE id = $1").bind(s.id)
                    )?;
                }
            }
            for (i, s) in stages.iter().enumerate() {
                if let Some(o) = old.iter().find(|o| o.key == s.key) {
                    exec!(
                        &mut *tx,
                        Stmt::new(
                            "UPDATE workshop_stages SET name = $2, kind = $3, position = $4, \
                             archived = 0, updated_at = $5, version = version + 1 WHERE id = $1",
                        )
                        .bind(o.id)
                        .bind(s.name.clone())
                        .bind(s.kind.as_str().to_owned())
                        .bind(i as i64)
                        .bind(now)
                    )?;
                } else {
                    exec!(
                        &mut *tx,
                        insert_stage(formula_domain::new_id(), project_id, s, i as i64, now)
                    )?;
                }
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_all!(&mut *tx, StageRow, project_stages(project_id))?
        });
        Ok(rows.into_iter().map(Stage::from).collect())
    }

    async fn record_workshop_move(
        &self,
        new: &NewMove,
        qa: Option<&NewQaCheck>,
        entry: &AuditEntry,
    ) -> DbResult<ItemPositions> {
        // The item's row is locked first, so every move of the item waits for the one
        // before it to commit and then sums what that one left.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let item = Stmt::new(format!(
            "SELECT project_id, code, quantity_milli, released_at FROM scope_items WHERE id = $1{lock}"
        ))
        .bind(new.scope_item_id);
        let positions = in_tx!(self, |tx| {
            let Some(item) = fetch_optional!(&mut *tx, ItemRow, item)? else {
                return Err(DbError::App(AppError::NotFound("scope item")));
            };
            if item.project_id != new.project_id {
                return Err(DbError::App(AppError::field(
                    "scope_item_id",
                    "must be one of the project's scope items",
                )));
            }
            let stages: Vec<Stage> =
                fetch_all!(&mut *tx, StageRow, project_stages(new.project_id))?
                    .into_iter()
                    .map(Stage::from)
                    .collect();
            for id in [new.from_stage_id, new.to_stage_id].into_iter().flatten() {
                if !stages.iter().any(|s| s.id == id) {
                    return Err(DbError::App(AppError::field(
                        "stage_id",
                        "must be one of the project's workshop stages",
                    )));
                }
            }
            match new.kind {
                MoveKind::Forward => {
                    let Some(to) = new.to_stage_id else {
                        return Err(DbError::App(AppError::field(
                            "stage_id",
                            "a move goes through a stage",
                        )));
                    };
                    if previous(&stages, to) != Some(new.from_stage_id) {
                        return Err(conflict(
                            "stages_changed",
                            "the project's stages changed; reload and try again".to_owned(),
                        ));
                    }
                }
                MoveKind::Rework | MoveKind::Undo => {}
            }
            if let Some(target) = new.reverses_id {
                let earlier = Stmt::new(
                    "SELECT scope_item_id, from_stage_id, to_stage_id, quantity_milli, kind, \
                     qa_check_id FROM workshop_moves WHERE id = $1",
                )
                .bind(target);
                let Some(earlier) = fetch_optional!(&mut *tx, ReversedRow, earlier)? else {
                    return Err(DbError::App(AppError::NotFound("workshop move")));
                };
                if earlier.scope_item_id != new.scope_item_id
                    || earlier.kind != MoveKind::Forward.as_str()
                    || earlier.qa_check_id.is_some()
                    || earlier.from_stage_id != new.to_stage_id
                    || earlier.to_stage_id != new.from_stage_id
                    || earlier.quantity_milli != new.quantity.0
                {
                    return Err(refused(
                        "not_undoable",
                        "only a move through a stage is undone, whole (a QA check is not undone; record another check)".into(),
                    ));
                }
                let again = Stmt::new("SELECT COUNT(*) FROM workshop_moves WHERE reverses_id = $1")
                    .bind(target);
                if fetch_scalar!(&mut *tx, i64, again)? > 0 {
                    return Err(refused(
                        "already_undone",
                        "this move was undone already".into(),
                    ));
                }
            }
            let mut flows: Vec<Flow> =
                fetch_all!(&mut *tx, FlowRow, item_flows(new.scope_item_id))?
                    .iter()
                    .map(FlowRow::flow)
                    .collect();
            let dispatched =
                fetch_optional!(&mut *tx, DispatchedRow, item_dispatched(new.scope_item_id))?
                    .map_or(Quantity(0), |r| Quantity(r.quantity_milli));
            let ledger = ItemLedger {
                item_code: &item.code,
                released: released(item.quantity_milli, item.released_at),
                stages: &stages,
                flows: &flows,
                dispatched,
            };
            if let Err(why) = check_move(&ledger, new) {
                return Err(refused(why.code, why.message));
            }
            if let Some(q) = qa {
                exec!(&mut *tx, insert_qa(q))?;
            }
            exec!(&mut *tx, insert_move(new))?;
            exec!(&mut *tx, audit::insert(entry))?;
            flows.push(Flow {
                from: new.from_stage_id,
                to: new.to_stage_id,
                quantity: new.quantity,
            });
            positions_of(
                new.scope_item_id,
                released(item.quantity_milli, item.released_at),
                &stages,
                &flows,
                dispatched,
            )
        });
        Ok(positions)
    }

    async fn get_workshop_move(&self, id: Uuid) -> DbResult<Option<WorkshopMove>> {
        let stmt = Stmt::new(format!("{MOVE_COLUMNS} WHERE m.id = $1")).bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, MoveRow, stmt)?);
        Ok(row.map(WorkshopMove::from))
    }

    async fn list_item_moves(&self, scope_item_id: Uuid) -> DbResult<Vec<WorkshopMove>> {
        let stmt = Stmt::new(format!(
            "{MOVE_COLUMNS} WHERE m.scope_item_id = $1 ORDER BY m.moved_at, m.id"
        ))
        .bind(scope_item_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, MoveRow, stmt)?);
        Ok(rows.into_iter().map(WorkshopMove::from).collect())
    }

    async fn list_item_qa_checks(&self, scope_item_id: Uuid) -> DbResult<Vec<QaCheck>> {
        let stmt = Stmt::new(format!(
            "{QA_COLUMNS} WHERE q.scope_item_id = $1 ORDER BY q.checked_at, q.id"
        ))
        .bind(scope_item_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, QaRow, stmt)?);
        Ok(rows.into_iter().map(QaCheck::from).collect())
    }

    async fn get_qa_check(&self, id: Uuid) -> DbResult<Option<QaCheck>> {
        let stmt = Stmt::new(format!("{QA_COLUMNS} WHERE q.id = $1")).bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, QaRow, stmt)?);
        Ok(row.map(QaCheck::from))
    }

    async fn item_positions(&self, scope_item_id: Uuid) -> DbResult<Option<ItemPositions>> {
        let item = Stmt::new(
            "SELECT project_id, code, quantity_milli, released_at FROM scope_items WHERE id = $1",
        )
        .bind(scope_item_id);
        let out = on_reader!(self, |pool| {
            match fetch_optional!(pool, ItemRow, item)? {
                None => None,
                Some(item) => {
                    let stages: Vec<Stage> =
                        fetch_all!(pool, StageRow, project_stages(item.project_id))?
                            .into_iter()
                            .map(Stage::from)
                            .collect();
                    let flows: Vec<Flow> = fetch_all!(pool, FlowRow, item_flows(scope_item_id))?
                        .iter()
                        .map(FlowRow::flow)
                        .collect();
                    let dispatched =
                        fetch_optional!(pool, DispatchedRow, item_dispatched(scope_item_id))?
                            .map_or(Quantity(0), |r| Quantity(r.quantity_milli));
                    Some(positions_of(
                        scope_item_id,
                        released(item.quantity_milli, item.released_at),
                        &stages,
                        &flows,
                        dispatched,
                    ))
                }
            }
        });
        Ok(out)
    }

    async fn project_positions(&self, project_id: Uuid) -> DbResult<Vec<ItemPositions>> {
        let items = Stmt::new(
            "SELECT id, quantity_milli, released_at FROM scope_items \
             WHERE project_id = $1 AND released_at IS NOT NULL ORDER BY code, id",
        )
        .bind(project_id);
        let flows = Stmt::new(
            "SELECT scope_item_id, from_stage_id, to_stage_id, \
             CAST(SUM(quantity_milli) AS BIGINT) AS quantity_milli FROM workshop_moves \
             WHERE project_id = $1 GROUP BY scope_item_id, from_stage_id, to_stage_id",
        )
        .bind(project_id);
        let dispatched = Stmt::new(format!(
            "{DISPATCHED} AND n.project_id = $1 GROUP BY l.scope_item_id"
        ))
        .bind(project_id);
        let (stages, items, flows, dispatched) = on_reader!(self, |pool| {
            let stages: Vec<Stage> = fetch_all!(pool, StageRow, project_stages(project_id))?
                .into_iter()
                .map(Stage::from)
                .collect();
            (
                stages,
                fetch_all!(pool, ReleasedRow, items)?,
                fetch_all!(pool, FlowRow, flows)?,
                fetch_all!(pool, DispatchedRow, dispatched)?,
            )
        });
        let mut by_item: std::collections::HashMap<Uuid, Vec<Flow>> =
            std::collections::HashMap::new();
        for f in &flows {
            by_item.entry(f.scope_item_id).or_default().push(f.flow());
        }
        Ok(items
            .into_iter()
            .map(|i| {
                let d = dispatched
                    .iter()
                    .find(|d| d.scope_item_id == i.id)
                    .map_or(Quantity(0), |d| Quantity(d.quantity_milli));
                positions_of(
                    i.id,
                    released(i.quantity_milli, i.released_at),
                    &stages,
                    by_item.get(&i.id).map_or(&[][..], Vec::as_slice),
                    d,
                )
            })
            .collect())
    }

    async fn projects_installing_before(&self, before: time::Date) -> DbResult<Vec<Uuid>> {
        let stmt = Stmt::new(
            "SELECT DISTINCT project_id FROM scope_items \
             WHERE released_at IS NOT NULL AND install_on IS NOT NULL AND install_on < $1 \
             ORDER BY project_id",
        )
        .bind(before);
        Ok(on_reader!(self, |pool| fetch_scalars!(pool, Uuid, stmt)?))
    }

    async fn packed_quantity(&self, scope_item_id: Uuid) -> DbResult<Quantity> {
        let stmt = Stmt::new(
            "SELECT CAST(COALESCE(SUM(CASE WHEN m.to_stage_id = s.id THEN m.quantity_milli \
             ELSE -m.quantity_milli END), 0) AS BIGINT) FROM workshop_moves m \
             JOIN workshop_stages s ON s.kind = 'packed' AND s.project_id = m.project_id \
             AND (m.to_stage_id = s.id OR m.from_stage_id = s.id) \
             WHERE m.scope_item_id = $1",
        )
        .bind(scope_item_id);
        Ok(Quantity(on_reader!(self, |pool| fetch_scalar!(
            pool, i64, stmt
        )?)))
    }

    async fn rework_count(
        &self,
        project_id: Uuid,
        scope_item_id: Option<Uuid>,
        since: Option<OffsetDateTime>,
    ) -> DbResult<ReworkCount> {
        let mut sql = "SELECT COUNT(*) AS failures, \
             CAST(COALESCE(SUM(quantity_milli), 0) AS BIGINT) AS quantity_milli \
             FROM qa_checks WHERE project_id = $1 AND result = 'fail'"
            .to_owned();
        let mut stmt = Stmt::new("").bind(project_id);
        let mut n = 1;
        if let Some(item) = scope_item_id {
            n += 1;
            sql.push_str(&format!(" AND scope_item_id = ${n}"));
            stmt = stmt.bind(item);
        }
        if let Some(since) = since {
            n += 1;
            sql.push_str(&format!(" AND checked_at >= ${n}"));
            stmt = stmt.bind(since);
        }
        stmt.sql = sql;
        let row = on_reader!(self, |pool| fetch_optional!(pool, CountRow, stmt)?);
        Ok(row.map_or_else(ReworkCount::default, |r| ReworkCount {
            failures: r.failures,
            quantity: Quantity(r.quantity_milli),
        }))
    }
}
