//! The room matrix's read model (three set-based statements per project, whatever its
//! size), the per-project progress weights, and site progress folded into projects' progress.
//!
//! Production and delivery are read per item from the workshop ledger and the delivery notes
//! (migration 0040) by [`ITEM_FLOW`], the same columns for the matrix and for projects'
//! progress.

use std::collections::HashMap;

use formula_app::repos::{
    FlowRow, MatrixCellRow, MatrixData, MatrixFilter, MatrixItemRow, MatrixRoomRow, RoomMatrixRepo,
};
use formula_domain::audit::AuditEntry;
use formula_domain::project::{Project, measured_progress};
use formula_domain::room_matrix::{ProgressWeights, StepQuantities};
use formula_domain::scope::{ProgressSums, ScopeStatus};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::DbResult;
use crate::pool::Db;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct RoomRow {
    id: Uuid,
    code: String,
    name: String,
    room_type_id: Option<Uuid>,
    level_id: Option<Uuid>,
    level_code: Option<String>,
    level_name: Option<String>,
    building_code: Option<String>,
    signed_off: i32,
    in_view: i32,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: Uuid,
    code: String,
    name: String,
    unit: String,
    room_id: Option<Uuid>,
    room_type_id: Option<Uuid>,
    quantity_milli: i64,
    quantity_per_room_milli: Option<i64>,
    released: i32,
    progress: i32,
    total_minor: Option<i64>,
    started_milli: i64,
    packed_milli: i64,
    received_milli: i64,
}

#[derive(sqlx::FromRow)]
struct CellRow {
    room_id: Uuid,
    scope_item_id: Uuid,
    installed_milli: i64,
    open_snags: i64,
}

#[derive(sqlx::FromRow)]
struct WeightsRow {
    progress_released: i32,
    progress_production: i32,
    progress_delivery: i32,
    progress_installed: i32,
    progress_signed_off: i32,
}

/// Per scope item `i`, from the workshop ledger and the delivery notes:
/// - `started_milli`: the net quantity moved out of "released, not started" (NULL position),
///   so undone moves count for nothing;
/// - `packed_milli`: the net quantity into the project's packed stage (dispatched quantities
///   stay in the packed balance, so what left for site since is included);
/// - `received_milli`: received on site, over its delivery notes' lines.
///
/// Each is one indexed look-up per item (`workshop_moves_item_idx`,
/// `delivery_note_lines_item_idx`).
pub(crate) const ITEM_FLOW: &str = "\
    COALESCE((SELECT CAST(SUM(CASE WHEN m.from_stage_id IS NULL THEN m.quantity_milli \
                                   WHEN m.to_stage_id IS NULL THEN -m.quantity_milli \
                                   ELSE 0 END) AS BIGINT) \
              FROM workshop_moves m WHERE m.scope_item_id = i.id), 0) AS started_milli, \
    COALESCE((SELECT CAST(SUM(CASE WHEN ts.kind = 'packed' THEN m.quantity_milli ELSE 0 END \
                              - CASE WHEN fs.kind = 'packed' THEN m.quantity_milli ELSE 0 END) AS BIGINT) \
              FROM workshop_moves m \
              LEFT JOIN workshop_stages ts ON ts.id = m.to_stage_id \
              LEFT JOIN workshop_stages fs ON fs.id = m.from_stage_id \
              WHERE m.scope_item_id = i.id), 0) AS packed_milli, \
    COALESCE((SELECT CAST(SUM(l.received_milli) AS BIGINT) FROM delivery_note_lines l \
              WHERE l.scope_item_id = i.id), 0) AS received_milli";

/// All the project's rooms in building → level → (zone) → room order, each with whether it
/// has a current sign-off and whether the filter shows it (production and delivery cover
/// rooms in this order, whatever is in view).
fn rooms_stmt(project_id: Uuid, filter: MatrixFilter) -> Stmt {
    let mut s = Stmt::default();
    let p = s.arg(project_id);
    let mut conds = "1 = 1".to_owned();
    if let Some(b) = filter.building_id {
        conds.push_str(&format!(" AND r.building_id = {}", s.arg(b)));
    }
    if let Some(l) = filter.level_id {
        conds.push_str(&format!(" AND r.level_id = {}", s.arg(l)));
    }
    if let Some(t) = filter.room_type_id {
        conds.push_str(&format!(" AND r.room_type_id = {}", s.arg(t)));
    }
    s.sql = format!(
        "SELECT r.id, r.code, r.name, r.room_type_id, r.level_id, lv.code AS level_code, \
                lv.name AS level_name, b.code AS building_code, \
                CASE WHEN EXISTS (SELECT 1 FROM room_signoffs so WHERE so.room_id = r.id \
                                  AND so.reopened_at IS NULL) THEN 1 ELSE 0 END AS signed_off, \
                CASE WHEN {conds} THEN 1 ELSE 0 END AS in_view \
         FROM locations r \
         LEFT JOIN locations lv ON lv.id = r.level_id \
         LEFT JOIN locations b ON b.id = r.building_id \
         LEFT JOIN locations z ON z.id = r.parent_id AND z.kind = 'zone' \
         WHERE r.project_id = {p} AND r.kind = 'room' \
         ORDER BY b.position, b.code, lv.position, lv.code, z.position, z.code, r.position, r.code, r.id"
    );
    s
}

/// Items expected in rooms (placed in one or on a room type), not cancelled, in Scope-tab
/// order, with their production and delivery.
fn items_stmt(project_id: Uuid) -> Stmt {
    Stmt::new(format!(
        "SELECT i.id, i.code, i.name, i.unit, i.room_id, i.room_type_id, i.quantity_milli, \
                i.quantity_per_room_milli, \
                CASE WHEN i.released_at IS NULL THEN 0 ELSE 1 END AS released, \
                i.progress, i.total_minor, {ITEM_FLOW} \
         FROM scope_items i JOIN scope_groups g ON g.id = i.group_id \
         WHERE i.project_id = $1 AND i.status <> 'cancelled' \
           AND (i.room_id IS NOT NULL OR i.room_type_id IS NOT NULL) \
         ORDER BY g.position, g.id, i.position, i.code, i.id"
    ))
    .bind(project_id)
}

/// Per (room, item): the installed sum and the open or fixed snags, in one statement over
/// the project's ledger and snags (both read through their project-wide indexes).
fn cells_stmt(project_id: Uuid, client_only: bool) -> Stmt {
    let visible = if client_only {
        " AND client_visible = 1"
    } else {
        ""
    };
    Stmt::new(format!(
        "SELECT room_id, scope_item_id, CAST(SUM(installed) AS BIGINT) AS installed_milli, \
                CAST(SUM(snags) AS BIGINT) AS open_snags \
         FROM (SELECT room_id, scope_item_id, quantity_milli AS installed, 0 AS snags \
               FROM installations WHERE project_id = $1 \
               UNION ALL \
               SELECT room_id, scope_item_id, 0 AS installed, 1 AS snags \
               FROM snags WHERE project_id = $1 AND scope_item_id IS NOT NULL \
                 AND status IN ('open', 'fixed'){visible}) x \
         GROUP BY room_id, scope_item_id"
    ))
    .bind(project_id)
}

fn weights_of(row: Option<WeightsRow>) -> ProgressWeights {
    row.map_or_else(ProgressWeights::default, |r| ProgressWeights {
        released: r.progress_released,
        production: r.progress_production,
        delivery: r.progress_delivery,
        installed: r.progress_installed,
        signed_off: r.progress_signed_off,
    })
}

/// The columns and values of a new `project_settings` row's weights: the columns' own
/// DEFAULTs are migration 0029's old three-step weights, so every insert names all five
/// (the application's defaults, [`ProgressWeights::default`]).
pub(crate) fn default_weights_sql() -> (&'static str, String) {
    let w = ProgressWeights::default();
    (
        "progress_released, progress_production, progress_delivery, progress_installed, \
         progress_signed_off",
        format!(
            "{}, {}, {}, {}, {}",
            w.released, w.production, w.delivery, w.installed, w.signed_off
        ),
    )
}

fn weights_stmt(project_id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT progress_released, progress_production, progress_delivery, \
                progress_installed, progress_signed_off \
         FROM project_settings WHERE project_id = $1",
    )
    .bind(project_id)
}

#[derive(sqlx::FromRow)]
struct FlowSqlRow {
    moved_at: OffsetDateTime,
    scope_item_id: Uuid,
    quantity_milli: i64,
    rework: i32,
}

#[repo]
impl RoomMatrixRepo for Db {
    async fn workshop_flow(
        &self,
        project_id: Uuid,
        since: OffsetDateTime,
    ) -> DbResult<Vec<FlowRow>> {
        // Through the project's moves by time (`workshop_moves_project_idx`); an undo names
        // the move it reverses, so an undone packing or rework counts for nothing.
        let stmt = Stmt::new(
            "SELECT m.moved_at, m.scope_item_id, m.quantity_milli, \
                    CASE WHEN m.kind = 'rework' THEN 1 ELSE 0 END AS rework \
             FROM workshop_moves m LEFT JOIN workshop_stages ts ON ts.id = m.to_stage_id \
             WHERE m.project_id = $1 AND m.moved_at >= $2 \
               AND (m.kind = 'rework' OR (m.kind = 'forward' AND ts.kind = 'packed')) \
               AND NOT EXISTS (SELECT 1 FROM workshop_moves u WHERE u.reverses_id = m.id) \
             ORDER BY m.moved_at, m.id",
        )
        .bind(project_id)
        .bind(since);
        let rows = on_reader!(self, |pool| fetch_all!(pool, FlowSqlRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| FlowRow {
                moved_at: r.moved_at,
                scope_item_id: r.scope_item_id,
                quantity_milli: r.quantity_milli,
                rework: r.rework != 0,
            })
            .collect())
    }

    async fn room_matrix(
        &self,
        project_id: Uuid,
        filter: MatrixFilter,
        client_only: bool,
    ) -> DbResult<MatrixData> {
        let rooms = rooms_stmt(project_id, filter);
        let items = items_stmt(project_id);
        let cells = cells_stmt(project_id, client_only);
        let (rooms, items, cells) = on_reader!(self, |pool| (
            fetch_all!(pool, RoomRow, rooms)?,
            fetch_all!(pool, ItemRow, items)?,
            fetch_all!(pool, CellRow, cells)?
        ));
        Ok(MatrixData {
            rooms: rooms
                .into_iter()
                .map(|r| MatrixRoomRow {
                    id: r.id,
                    code: r.code,
                    name: r.name,
                    room_type_id: r.room_type_id,
                    level_id: r.level_id,
                    level_code: r.level_code,
                    level_name: r.level_name,
                    building_code: r.building_code,
                    signed_off: r.signed_off != 0,
                    in_view: r.in_view != 0,
                })
                .collect(),
            items: items
                .into_iter()
                .map(|i| MatrixItemRow {
                    id: i.id,
                    code: i.code,
                    name: i.name,
                    unit: i.unit,
                    room_id: i.room_id,
                    room_type_id: i.room_type_id,
                    quantity_milli: i.quantity_milli,
                    quantity_per_room_milli: i.quantity_per_room_milli,
                    released: i.released != 0,
                    progress: i.progress,
                    total_minor: i.total_minor,
                    started_milli: i.started_milli,
                    packed_milli: i.packed_milli,
                    received_milli: i.received_milli,
                })
                .collect(),
            cells: cells
                .into_iter()
                .map(|c| MatrixCellRow {
                    room_id: c.room_id,
                    scope_item_id: c.scope_item_id,
                    installed_milli: c.installed_milli,
                    open_snags: c.open_snags,
                })
                .collect(),
        })
    }

    async fn progress_weights(&self, project_id: Uuid) -> DbResult<ProgressWeights> {
        let stmt = weights_stmt(project_id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, WeightsRow, stmt)?);
        Ok(weights_of(row))
    }

    async fn save_progress_weights(
        &self,
        project_id: Uuid,
        w: &ProgressWeights,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let upsert = Stmt::new(
            "INSERT INTO project_settings (project_id, require_materials_ordered, \
             progress_released, progress_production, progress_delivery, progress_installed, \
             progress_signed_off) \
             VALUES ($1, 1, $2, $3, $4, $5, $6) \
             ON CONFLICT (project_id) DO UPDATE SET progress_released = $2, \
             progress_production = $3, progress_delivery = $4, \
             progress_installed = $5, progress_signed_off = $6",
        )
        .bind(project_id)
        .bind(w.released)
        .bind(w.production)
        .bind(w.delivery)
        .bind(w.installed)
        .bind(w.signed_off);
        in_tx!(self, |tx| {
            exec!(&mut *tx, upsert)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct ItemFigures {
    project_id: Uuid,
    status: String,
    placed: i32,
    released: i32,
    progress: i32,
    total_minor: Option<i64>,
    quantity_milli: i64,
    installed_milli: i64,
    signed_milli: i64,
    packed_milli: i64,
    received_milli: i64,
    progress_released: Option<i32>,
    progress_production: Option<i32>,
    progress_delivery: Option<i32>,
    progress_installed: Option<i32>,
    progress_signed_off: Option<i32>,
}

impl Db {
    /// Folds production, delivery, installation and sign-off into the progress of the given projects that have
    /// scope items placed in rooms (docs/site.md, "Room matrix and progress"): a placed
    /// item's progress is its steps weighted by the project's weights, an unplaced item
    /// keeps its own figure, and the project averages its items as before (by line total,
    /// by count when nothing is priced). Projects with no placed item keep today's rule
    /// untouched, and this costs them one indexed existence check for the whole list.
    pub(crate) async fn with_site_progress(&self, projects: &mut [Project]) -> DbResult<()> {
        if projects.is_empty() {
            return Ok(());
        }
        let mut which = Stmt::default();
        let ids: Vec<String> = projects.iter().map(|p| which.arg(p.id)).collect();
        // A project without locations cannot have placed items: that first check stops at
        // one index entry, so project lists of projects without locations pay almost nothing.
        which.sql = format!(
            "SELECT p.id FROM projects p WHERE p.id IN ({}) \
             AND EXISTS (SELECT 1 FROM locations l WHERE l.project_id = p.id) \
             AND EXISTS (SELECT 1 FROM scope_items i WHERE i.project_id = p.id \
                         AND (i.room_id IS NOT NULL OR i.room_type_id IS NOT NULL))",
            ids.join(", ")
        );
        let sited = on_reader!(self, |pool| fetch_scalars!(pool, Uuid, which)?);
        if sited.is_empty() {
            return Ok(());
        }
        let mut stmt = Stmt::default();
        let ids: Vec<String> = sited.iter().map(|id| stmt.arg(*id)).collect();
        // Per item: the ledger's sum, and its quantity in signed-off rooms (the whole
        // quantity for a room item whose room is signed off; per room × signed-off rooms of
        // the type for a room-type item).
        stmt.sql = format!(
            "SELECT i.project_id, i.status, \
                    CASE WHEN i.room_id IS NULL AND i.room_type_id IS NULL THEN 0 ELSE 1 END AS placed, \
                    CASE WHEN i.released_at IS NULL THEN 0 ELSE 1 END AS released, \
                    i.progress, i.total_minor, i.quantity_milli, \
                    COALESCE((SELECT CAST(SUM(n.quantity_milli) AS BIGINT) FROM installations n \
                              WHERE n.scope_item_id = i.id), 0) AS installed_milli, \
                    CASE WHEN i.room_id IS NOT NULL THEN \
                         CASE WHEN EXISTS (SELECT 1 FROM room_signoffs so WHERE so.room_id = i.room_id \
                                           AND so.reopened_at IS NULL) THEN i.quantity_milli ELSE 0 END \
                         WHEN i.room_type_id IS NOT NULL THEN \
                         COALESCE(i.quantity_per_room_milli, 0) * \
                         (SELECT COUNT(*) FROM locations r JOIN room_signoffs so ON so.room_id = r.id \
                          AND so.reopened_at IS NULL WHERE r.room_type_id = i.room_type_id) \
                         ELSE 0 END AS signed_milli, \
                    {ITEM_FLOW}, \
                    s.progress_released, s.progress_production, s.progress_delivery, \
                    s.progress_installed, s.progress_signed_off \
             FROM scope_items i LEFT JOIN project_settings s ON s.project_id = i.project_id \
             WHERE i.project_id IN ({})",
            ids.join(", ")
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, ItemFigures, stmt)?);
        let mut sums: HashMap<Uuid, ProgressSums> = HashMap::new();
        for r in rows {
            let status: ScopeStatus = crate::rows::parse_enum(&r.status, "scope_items.status")?;
            let progress = if r.placed != 0 {
                let w = match (
                    r.progress_released,
                    r.progress_production,
                    r.progress_delivery,
                    r.progress_installed,
                    r.progress_signed_off,
                ) {
                    (
                        Some(released),
                        Some(production),
                        Some(delivery),
                        Some(installed),
                        Some(signed_off),
                    ) => ProgressWeights {
                        released,
                        production,
                        delivery,
                        installed,
                        signed_off,
                    },
                    _ => ProgressWeights::default(),
                };
                let bp = w.basis_points(
                    r.released != 0,
                    r.progress,
                    r.quantity_milli,
                    &StepQuantities {
                        packed: r.packed_milli,
                        received: r.received_milli,
                        installed: r.installed_milli,
                        signed: r.signed_milli,
                    },
                );
                i32::try_from((bp + 50) / 100).unwrap_or(100)
            } else {
                r.progress
            };
            sums.entry(r.project_id)
                .or_default()
                .add(status, progress, r.total_minor);
        }
        for p in projects.iter_mut() {
            if let Some(s) = sums.get(&p.id) {
                p.progress = measured_progress(p.status, s.progress().unwrap_or(0));
            }
        }
        Ok(())
    }
}
