//! The scope of work: groups and items of a project, kept in their listed order.

use formula_app::error::AppError;
use formula_app::ports::ReviewSettings;
use formula_app::query::{Page, ScopeQuery};
use formula_app::repos::{ReadinessRepo, ScopeRepo};
use formula_domain::audit::AuditEntry;
use formula_domain::readiness::MaterialsRule;
use formula_domain::scope::{Placement, Quantity, ScopeGroup, ScopeItem};
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult, has_dependents};
use crate::pool::Db;
use crate::rows::{convert, parse_enum};
use crate::sql::{Filter, Stmt, limit_offset};

const GROUP_COLUMNS: &str =
    "g.id, g.project_id, g.name, g.letter, g.position, g.created_at, g.updated_at, g.version";

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: Uuid,
    project_id: Uuid,
    name: String,
    letter: String,
    position: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    version: i64,
}

impl From<GroupRow> for ScopeGroup {
    fn from(r: GroupRow) -> Self {
        ScopeGroup {
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            letter: r.letter,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// Items with their group and project currency; `p` is joined for the currency.
const ITEM_FROM: &str = "FROM scope_items i JOIN scope_groups g ON g.id = i.group_id \
     JOIN projects p ON p.id = i.project_id LEFT JOIN users ub ON ub.id = i.updated_by \
     LEFT JOIN users rb ON rb.id = i.released_by \
     LEFT JOIN locations rl ON rl.id = i.room_id LEFT JOIN room_types rt ON rt.id = i.room_type_id";

const ITEM_COLUMNS: &str = "i.id, i.project_id, i.group_id, g.name AS group_name, i.code, i.name, \
     i.description, i.location, i.quantity_milli, i.unit, i.unit_price_minor, i.total_minor, \
     i.budget_cost_minor, i.actual_cost_minor, p.currency, i.status, i.progress, i.drawing_required, \
     i.spec_required, i.position, i.created_at, i.updated_at, ub.name AS updated_by_name, i.version, \
     i.released_at, rb.name AS released_by_name, i.release_note, i.room_id, rl.code AS room_code, \
     i.room_type_id, rt.code AS room_type_code, rt.name AS room_type_name, i.quantity_per_room_milli, \
     (SELECT COUNT(*) FROM locations c WHERE c.room_type_id = i.room_type_id) AS room_count, \
     i.install_on";

/// Scope-tab order: groups by position, items by position, code as the tiebreak.
const ITEM_ORDER: &str = " ORDER BY g.position, g.id, i.position, i.code, i.id";

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: Uuid,
    project_id: Uuid,
    group_id: Uuid,
    group_name: String,
    code: String,
    name: String,
    description: Option<String>,
    location: Option<String>,
    quantity_milli: i64,
    unit: String,
    unit_price_minor: Option<i64>,
    total_minor: Option<i64>,
    budget_cost_minor: Option<i64>,
    actual_cost_minor: Option<i64>,
    currency: String,
    status: String,
    progress: i32,
    drawing_required: i32,
    spec_required: i32,
    position: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    updated_by_name: Option<String>,
    version: i64,
    released_at: Option<OffsetDateTime>,
    released_by_name: Option<String>,
    release_note: Option<String>,
    room_id: Option<Uuid>,
    room_code: Option<String>,
    room_type_id: Option<Uuid>,
    room_type_code: Option<String>,
    room_type_name: Option<String>,
    quantity_per_room_milli: Option<i64>,
    room_count: i64,
    install_on: Option<Date>,
}

impl TryFrom<ItemRow> for ScopeItem {
    type Error = DbError;
    fn try_from(r: ItemRow) -> DbResult<Self> {
        Ok(ScopeItem {
            id: r.id,
            project_id: r.project_id,
            group_id: r.group_id,
            group_name: r.group_name,
            code: r.code,
            name: r.name,
            description: r.description,
            location: r.location,
            quantity: Quantity(r.quantity_milli),
            unit: r.unit,
            unit_price_minor: r.unit_price_minor,
            total_minor: r.total_minor,
            budget_cost_minor: r.budget_cost_minor,
            actual_cost_minor: r.actual_cost_minor,
            currency: r.currency,
            status: parse_enum(&r.status, "scope_items.status")?,
            progress: r.progress,
            drawing_required: r.drawing_required != 0,
            spec_required: r.spec_required != 0,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
            updated_by_name: r.updated_by_name,
            version: r.version,
            released_at: r.released_at,
            released_by_name: r.released_by_name,
            release_note: r.release_note,
            install_on: r.install_on,
            placement: Placement {
                room_id: r.room_id,
                room_code: r.room_code,
                room_type_id: r.room_type_id,
                room_type_code: r.room_type_code,
                room_type_name: r.room_type_name,
                quantity_per_room: r.quantity_per_room_milli.map(Quantity),
                room_count: r.room_type_id.map(|_| r.room_count),
            },
        })
    }
}

fn item_by_id(id: Uuid) -> Stmt {
    Stmt::new(format!("SELECT {ITEM_COLUMNS} {ITEM_FROM} WHERE i.id = $1")).bind(id)
}

fn group_by_id(id: Uuid) -> Stmt {
    Stmt::new(format!(
        "SELECT {GROUP_COLUMNS} FROM scope_groups g WHERE g.id = $1"
    ))
    .bind(id)
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
    updated_by_name: Option<String>,
}

fn item_version(id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT i.version, i.updated_at, u.name AS updated_by_name FROM scope_items i \
         LEFT JOIN users u ON u.id = i.updated_by WHERE i.id = $1",
    )
    .bind(id)
}

fn group_version(id: Uuid) -> Stmt {
    Stmt::new("SELECT version, updated_at, NULL AS updated_by_name FROM scope_groups WHERE id = $1")
        .bind(id)
}

fn stale(current: Option<VersionRow>, what: &'static str) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: v.updated_by_name,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound(what)),
    }
}

fn flag(v: bool) -> i32 {
    i32::from(v)
}

pub(crate) fn insert_group(g: &ScopeGroup, skip_existing: bool) -> Stmt {
    let conflict = if skip_existing {
        " ON CONFLICT DO NOTHING"
    } else {
        ""
    };
    Stmt::new(format!(
        "INSERT INTO scope_groups (id, project_id, name, letter, position, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8){conflict}"
    ))
    .bind(g.id)
    .bind(g.project_id)
    .bind(&g.name)
    .bind(&g.letter)
    .bind(g.position)
    .bind(g.created_at)
    .bind(g.updated_at)
    .bind(g.version)
}

pub(crate) fn insert_item(i: &ScopeItem, actor: Option<Uuid>) -> Stmt {
    // Appended at the end of its group, in the same transaction as the insert.
    Stmt::new(
        "INSERT INTO scope_items (id, project_id, group_id, code, name, description, location, quantity_milli, \
         unit, unit_price_minor, total_minor, budget_cost_minor, actual_cost_minor, status, progress, \
         drawing_required, spec_required, position, created_at, updated_at, updated_by, version, \
         room_id, room_type_id, quantity_per_room_milli, install_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         (SELECT COALESCE(MAX(position) + 1, 0) FROM scope_items WHERE group_id = $3), $18, $19, $20, $21, \
         $22, $23, $24, $25)",
    )
    .bind(i.id)
    .bind(i.project_id)
    .bind(i.group_id)
    .bind(&i.code)
    .bind(&i.name)
    .bind(&i.description)
    .bind(&i.location)
    .bind(i.quantity.0)
    .bind(&i.unit)
    .bind(i.unit_price_minor)
    .bind(i.total_minor)
    .bind(i.budget_cost_minor)
    .bind(i.actual_cost_minor)
    .bind(i.status.as_str())
    .bind(i.progress)
    .bind(flag(i.drawing_required))
    .bind(flag(i.spec_required))
    .bind(i.created_at)
    .bind(i.updated_at)
    .bind(actor)
    .bind(i.version)
    .bind(i.placement.room_id)
    .bind(i.placement.room_type_id)
    .bind(i.placement.quantity_per_room.map(|q| q.0))
    .bind(i.install_on)
}

fn update_item(i: &ScopeItem, expected_version: i64, actor: Option<Uuid>) -> Stmt {
    Stmt::new(
        "UPDATE scope_items SET code = $1, name = $2, description = $3, location = $4, quantity_milli = $5, \
         unit = $6, unit_price_minor = $7, total_minor = $8, budget_cost_minor = $9, actual_cost_minor = $10, \
         status = $11, progress = $12, drawing_required = $13, spec_required = $14, updated_at = $15, \
         updated_by = $16, version = version + 1, room_id = $19, room_type_id = $20, \
         quantity_per_room_milli = $21, install_on = $22 WHERE id = $17 AND version = $18",
    )
    .bind(&i.code)
    .bind(&i.name)
    .bind(&i.description)
    .bind(&i.location)
    .bind(i.quantity.0)
    .bind(&i.unit)
    .bind(i.unit_price_minor)
    .bind(i.total_minor)
    .bind(i.budget_cost_minor)
    .bind(i.actual_cost_minor)
    .bind(i.status.as_str())
    .bind(i.progress)
    .bind(flag(i.drawing_required))
    .bind(flag(i.spec_required))
    .bind(i.updated_at)
    .bind(actor)
    .bind(i.id)
    .bind(expected_version)
    .bind(i.placement.room_id)
    .bind(i.placement.room_type_id)
    .bind(i.placement.quantity_per_room.map(|q| q.0))
    .bind(i.install_on)
}

#[derive(sqlx::FromRow)]
struct SettingRow {
    materials_rule: String,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    client_approvals: i32,
}

#[repo]
impl ScopeRepo for Db {
    async fn list_scope_groups(&self, project_id: Uuid) -> DbResult<Vec<ScopeGroup>> {
        let stmt = Stmt::new(format!(
            "SELECT {GROUP_COLUMNS} FROM scope_groups g WHERE g.project_id = $1 ORDER BY g.position, g.id"
        ))
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, GroupRow, stmt)?);
        Ok(rows.into_iter().map(ScopeGroup::from).collect())
    }

    async fn get_scope_group(&self, id: Uuid) -> DbResult<Option<ScopeGroup>> {
        let row = on_reader!(self, |pool| fetch_optional!(
            pool,
            GroupRow,
            group_by_id(id)
        )?);
        Ok(row.map(ScopeGroup::from))
    }

    async fn insert_scope_groups(
        &self,
        groups: &[ScopeGroup],
        entries: &[AuditEntry],
    ) -> DbResult<u64> {
        let inserted = in_tx!(self, |tx| {
            let mut n = 0;
            for g in groups {
                let added = exec!(&mut *tx, insert_group(g, true))?.rows_affected();
                if added > 0 {
                    for e in entries.iter().filter(|e| e.entity_id == g.id) {
                        exec!(&mut *tx, audit::insert(e))?;
                    }
                }
                n += added;
            }
            n
        });
        Ok(inserted)
    }

    async fn update_scope_group(
        &self,
        g: &ScopeGroup,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<ScopeGroup> {
        let stmt = Stmt::new(
            "UPDATE scope_groups SET name = $1, letter = $2, updated_at = $3, version = version + 1 \
             WHERE id = $4 AND version = $5",
        )
        .bind(&g.name)
        .bind(&g.letter)
        .bind(g.updated_at)
        .bind(g.id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, group_version(g.id))?,
                    "scope group",
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, GroupRow, group_by_id(g.id))?
        });
        row.map(ScopeGroup::from)
            .ok_or(DbError::App(AppError::NotFound("scope group")))
    }

    async fn delete_scope_group(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let items = Stmt::new("SELECT COUNT(*) FROM scope_items WHERE group_id = $1").bind(id);
        let stmt = Stmt::new("DELETE FROM scope_groups WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected_version);
        in_tx!(self, |tx| {
            let n = fetch_scalar!(&mut *tx, i64, items)?;
            if n > 0 {
                return Err(DbError::App(has_dependents(format!(
                    "the group still holds {n} item(s); move or delete them first"
                ))));
            }
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, group_version(id))?,
                    "scope group",
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn reorder_scope_groups(
        &self,
        project_id: Uuid,
        order: &[Uuid],
        entry: &AuditEntry,
    ) -> DbResult<()> {
        in_tx!(self, |tx| {
            for (position, id) in (0_i64..).zip(order) {
                let stmt = Stmt::new(
                    "UPDATE scope_groups SET position = $1 WHERE id = $2 AND project_id = $3",
                )
                .bind(position)
                .bind(*id)
                .bind(project_id);
                exec!(&mut *tx, stmt)?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn list_scope_items(&self, query: &ScopeQuery) -> DbResult<Page<ScopeItem>> {
        let mut f = Filter::new();
        let p = f.arg(query.project_id);
        f.and(format!("i.project_id = {p}"));
        if let Some(g) = query.group_id {
            let p = f.arg(g);
            f.and(format!("i.group_id = {p}"));
        }
        if let Some(s) = query.status {
            let p = f.arg(s.as_str());
            f.and(format!("i.status = {p}"));
        }
        // A room-type item is in every room of its type: a building, level or room filter
        // finds it through the rooms of that type there.
        if let Some(b) = query.building_id {
            let p = f.arg(b);
            f.and(format!(
                "(i.room_id IN (SELECT id FROM locations WHERE building_id = {p}) \
                 OR i.room_type_id IN (SELECT room_type_id FROM locations WHERE building_id = {p}))"
            ));
        }
        if let Some(l) = query.level_id {
            let p = f.arg(l);
            f.and(format!(
                "(i.room_id IN (SELECT id FROM locations WHERE level_id = {p}) \
                 OR i.room_type_id IN (SELECT room_type_id FROM locations WHERE level_id = {p}))"
            ));
        }
        if let Some(r) = query.room_id {
            let p = f.arg(r);
            f.and(format!(
                "(i.room_id = {p} OR i.room_type_id IN (SELECT room_type_id FROM locations WHERE id = {p}))"
            ));
        }
        if let Some(t) = query.room_type_id {
            let p = f.arg(t);
            f.and(format!("i.room_type_id = {p}"));
        }
        f.search(query.q.as_deref(), &["i.code", "i.name", "i.location"]);
        let where_sql = f.where_sql();
        let count = Stmt {
            sql: format!("SELECT COUNT(*) FROM scope_items i{where_sql}"),
            args: f.stmt.args.clone(),
        };
        let mut page = f.stmt;
        let limit = limit_offset(&query.paging);
        page.sql = format!("SELECT {ITEM_COLUMNS} {ITEM_FROM}{where_sql}{ITEM_ORDER}{limit}");
        let (total, rows) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (total, fetch_all!(pool, ItemRow, page)?)
        });
        Ok(Page::new(convert(rows)?, total, query.paging))
    }

    async fn get_scope_item(&self, id: Uuid) -> DbResult<Option<ScopeItem>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, ItemRow, item_by_id(id))?);
        row.map(ScopeItem::try_from).transpose()
    }

    async fn scope_item_codes(&self, project_id: Uuid) -> DbResult<Vec<String>> {
        let stmt = Stmt::new("SELECT code FROM scope_items WHERE project_id = $1").bind(project_id);
        Ok(on_reader!(self, |pool| fetch_scalars!(pool, String, stmt)?))
    }

    async fn save_scope(
        &self,
        groups: &[ScopeGroup],
        new: &[ScopeItem],
        changed: &[(ScopeItem, i64)],
        entries: &[AuditEntry],
    ) -> DbResult<()> {
        let actor = entries.first().and_then(|e| e.actor_id);
        let mut placed_types: Vec<Uuid> = new
            .iter()
            .chain(changed.iter().map(|(i, _)| i))
            .filter_map(|i| i.placement.room_type_id)
            .collect();
        placed_types.sort_unstable();
        placed_types.dedup();
        in_tx!(self, |tx| {
            for g in groups {
                exec!(&mut *tx, insert_group(g, false))?;
            }
            for i in new {
                exec!(&mut *tx, insert_item(i, actor))?;
            }
            for (i, expected) in changed {
                if exec!(&mut *tx, update_item(i, *expected, actor))?.rows_affected() == 0 {
                    return Err(stale(
                        fetch_optional!(&mut *tx, VersionRow, item_version(i.id))?,
                        "scope item",
                    ));
                }
            }
            for e in entries {
                exec!(&mut *tx, audit::insert(e))?;
            }
            // The rooms counted when the use case derived the quantity may have changed
            // since: derive it again from the rooms as they are in this transaction.
            refresh_room_type_items!(tx, placed_types.iter().copied());
            // No room may be left holding more than is installed in it (the item's row is
            // locked by its update, so no installation slips in meanwhile).
            for (i, _) in changed {
                let over = fetch_all!(
                    &mut *tx,
                    crate::installations::OverRow,
                    crate::installations::over_installed(false, i.id)
                )?;
                if !over.is_empty() {
                    return Err(crate::installations::over_installed_error(&over));
                }
            }
        });
        Ok(())
    }

    async fn delete_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new("DELETE FROM scope_items WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected_version);
        let installed = crate::installations::rooms_with_records(id);
        in_tx!(self, |tx| {
            let rooms = fetch_scalars!(&mut *tx, String, installed)?;
            if !rooms.is_empty() {
                return Err(DbError::App(has_dependents(format!(
                    "it has installation records in {} room(s) ({}); the ledger keeps them, so the item stays",
                    rooms.len(),
                    crate::installations::some(&rooms)
                ))));
            }
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, item_version(id))?,
                    "scope item",
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn move_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        group_id: Uuid,
        index: u32,
        entry: &AuditEntry,
    ) -> DbResult<ScopeItem> {
        let claim = Stmt::new(
            "UPDATE scope_items SET group_id = $1, updated_at = $2, updated_by = $3, version = version + 1 \
             WHERE id = $4 AND version = $5",
        )
        .bind(group_id)
        .bind(entry.at)
        .bind(entry.actor_id)
        .bind(id)
        .bind(expected_version);
        let siblings = Stmt::new(
            "SELECT id FROM scope_items WHERE group_id = $1 AND id <> $2 ORDER BY position, code, id",
        )
        .bind(group_id)
        .bind(id);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, claim)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, item_version(id))?,
                    "scope item",
                ));
            }
            let mut order = fetch_scalars!(&mut *tx, Uuid, siblings)?;
            let at = usize::try_from(index)
                .unwrap_or(usize::MAX)
                .min(order.len());
            order.insert(at, id);
            for (position, item) in (0_i64..).zip(&order) {
                let stmt = Stmt::new(
                    "UPDATE scope_items SET position = $1 WHERE id = $2 AND position <> $1",
                )
                .bind(position)
                .bind(*item);
                exec!(&mut *tx, stmt)?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, ItemRow, item_by_id(id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("scope item")))
            .and_then(ScopeItem::try_from)
    }
}

#[repo]
impl ReadinessRepo for Db {
    async fn review_settings(&self, project_id: Uuid) -> DbResult<ReviewSettings> {
        let flag = Stmt::new("SELECT client_approvals FROM project_settings WHERE project_id = $1")
            .bind(project_id);
        let reviewers = Stmt::new(
            "SELECT user_id FROM project_reviewers WHERE project_id = $1 ORDER BY user_id",
        )
        .bind(project_id);
        let (flag, reviewer_ids) = on_reader!(self, |pool| (
            fetch_optional!(pool, ClientRow, flag)?,
            fetch_scalars!(pool, Uuid, reviewers)?
        ));
        Ok(ReviewSettings {
            client_approvals: flag.is_some_and(|r| r.client_approvals != 0),
            reviewer_ids,
        })
    }

    async fn save_review_settings(
        &self,
        project_id: Uuid,
        settings: &ReviewSettings,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let (weight_cols, weight_values) = crate::room_matrix::default_weights_sql();
        let upsert = Stmt::new(format!(
            "INSERT INTO project_settings (project_id, require_materials_ordered, client_approvals, {weight_cols}) \
             VALUES ($1, 1, $2, {weight_values}) \
             ON CONFLICT (project_id) DO UPDATE SET client_approvals = $2"
        ))
        .bind(project_id)
        .bind(flag(settings.client_approvals));
        in_tx!(self, |tx| {
            exec!(&mut *tx, upsert)?;
            exec!(
                &mut *tx,
                Stmt::new("DELETE FROM project_reviewers WHERE project_id = $1").bind(project_id)
            )?;
            for user in &settings.reviewer_ids {
                let add = Stmt::new(
                    "INSERT INTO project_reviewers (project_id, user_id) VALUES ($1, $2)",
                )
                .bind(project_id)
                .bind(*user);
                exec!(&mut *tx, add)?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    /// How far linked materials must have come before this project's items are ready
    /// (ordered when the project never said otherwise).
    async fn materials_rule(&self, project_id: Uuid) -> DbResult<MaterialsRule> {
        let stmt = Stmt::new("SELECT materials_rule FROM project_settings WHERE project_id = $1")
            .bind(project_id);
        let v = on_reader!(self, |pool| fetch_optional!(pool, SettingRow, stmt)?);
        Ok(v.and_then(|r| r.materials_rule.parse().ok())
            .unwrap_or(MaterialsRule::Ordered))
    }

    async fn set_materials_rule(
        &self,
        project_id: Uuid,
        rule: MaterialsRule,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        // `require_materials_ordered` is kept in step for the previous version.
        let (weight_cols, weight_values) = crate::room_matrix::default_weights_sql();
        let stmt = Stmt::new(format!(
            "INSERT INTO project_settings (project_id, require_materials_ordered, materials_rule, \
             {weight_cols}) VALUES ($1, $2, $3, {weight_values}) \
             ON CONFLICT (project_id) DO UPDATE SET require_materials_ordered = $2, \
             materials_rule = $3"
        ))
        .bind(project_id)
        .bind(flag(rule.needs_order()))
        .bind(rule.as_str());
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn release_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        note: Option<&str>,
        entry: &AuditEntry,
    ) -> DbResult<ScopeItem> {
        let stmt = Stmt::new(
            "UPDATE scope_items SET released_at = $1, released_by = $2, release_note = $3, updated_at = $1, \
             updated_by = $2, version = version + 1 WHERE id = $4 AND version = $5 AND released_at IS NULL",
        )
        .bind(entry.at)
        .bind(entry.actor_id)
        .bind(note.map(str::to_owned))
        .bind(id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, item_version(id))?,
                    "scope item",
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, ItemRow, item_by_id(id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("scope item")))
            .and_then(ScopeItem::try_from)
    }
}
