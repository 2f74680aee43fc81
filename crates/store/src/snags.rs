//! Snags and room sign-offs. A snag's number is the project's next, taken in the insert's
//! transaction (the project's row locked on PostgreSQL; SQLite has one writer). Raising a
//! snag and signing its room off lock the room's row on PostgreSQL, so a sign-off never
//! misses a snag raised at the same moment.

use formula_app::error::AppError;
use formula_app::query::Paging;
use formula_app::repos::{DueSnag, NewSnagRow, SnagDetails, SnagFilter, SnagMove, SnagRepo};
use formula_domain::audit::AuditEntry;
use formula_domain::scope::Quantity;
use formula_domain::snag::{
    Blockers, ItemShortfall, SignOff, Snag, SnagBlocker, SnagStatus, snag_code,
};
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::{Backend, Db};
use crate::rows::parse_enum;
use crate::sql::{Filter, Stmt, limit_offset};

const SNAG_FROM: &str = "FROM snags s JOIN locations r ON r.id = s.room_id \
     LEFT JOIN locations lv ON lv.id = r.level_id \
     LEFT JOIN scope_items si ON si.id = s.scope_item_id \
     LEFT JOIN users ru ON ru.id = s.responsible_user_id \
     LEFT JOIN users rb ON rb.id = s.raised_by \
     LEFT JOIN users fb ON fb.id = s.fixed_by \
     LEFT JOIN users vb ON vb.id = s.verified_by \
     LEFT JOIN users cb ON cb.id = s.closed_by";

const SNAG_COLUMNS: &str = "s.id, s.project_id, s.number, s.room_id, r.code AS room_code, \
     r.name AS room_name, r.level_id, lv.code AS level_code, lv.name AS level_name, r.building_id, \
     s.scope_item_id, si.code AS scope_item_code, si.name AS scope_item_name, s.title, \
     s.description, s.category, s.responsible_user_id, ru.name AS responsible_user_name, \
     s.responsible_trade, s.due_on, s.status, s.client_visible, s.raised_by, \
     rb.name AS raised_by_name, s.raised_at, fb.name AS fixed_by_name, s.fixed_at, \
     vb.name AS verified_by_name, s.verified_at, cb.name AS closed_by_name, s.closed_at, \
     s.rejected_reason, \
     (SELECT COUNT(*) FROM attachments a WHERE a.owner_kind = 'snag' AND a.owner_id = s.id) AS photo_count, \
     s.updated_at, s.version";

/// Grouped by level and room, in their order, then by number.
const SNAG_ORDER: &str = " ORDER BY lv.position, lv.code, r.position, r.code, s.number";

#[derive(sqlx::FromRow)]
struct SnagRow {
    id: Uuid,
    project_id: Uuid,
    number: i64,
    room_id: Uuid,
    room_code: String,
    room_name: String,
    level_id: Option<Uuid>,
    level_code: Option<String>,
    level_name: Option<String>,
    building_id: Option<Uuid>,
    scope_item_id: Option<Uuid>,
    scope_item_code: Option<String>,
    scope_item_name: Option<String>,
    title: String,
    description: Option<String>,
    category: String,
    responsible_user_id: Option<Uuid>,
    responsible_user_name: Option<String>,
    responsible_trade: Option<String>,
    due_on: Option<Date>,
    status: String,
    client_visible: i32,
    raised_by: Option<Uuid>,
    raised_by_name: Option<String>,
    raised_at: OffsetDateTime,
    fixed_by_name: Option<String>,
    fixed_at: Option<OffsetDateTime>,
    verified_by_name: Option<String>,
    verified_at: Option<OffsetDateTime>,
    closed_by_name: Option<String>,
    closed_at: Option<OffsetDateTime>,
    rejected_reason: Option<String>,
    photo_count: i64,
    updated_at: OffsetDateTime,
    version: i64,
}

impl SnagRow {
    fn into_snag(self, today: Date) -> DbResult<Snag> {
        let mut s = Snag {
            id: self.id,
            project_id: self.project_id,
            number: self.number,
            code: snag_code(self.number),
            room_id: self.room_id,
            room_code: self.room_code,
            room_name: self.room_name,
            level_id: self.level_id,
            level_code: self.level_code,
            level_name: self.level_name,
            building_id: self.building_id,
            scope_item_id: self.scope_item_id,
            scope_item_code: self.scope_item_code,
            scope_item_name: self.scope_item_name,
            title: self.title,
            description: self.description,
            category: parse_enum(&self.category, "snags.category")?,
            responsible_user_id: self.responsible_user_id,
            responsible_user_name: self.responsible_user_name,
            responsible_trade: self.responsible_trade,
            due_on: self.due_on,
            status: parse_enum(&self.status, "snags.status")?,
            overdue: false,
            client_visible: self.client_visible != 0,
            raised_by: self.raised_by,
            raised_by_name: self.raised_by_name,
            raised_at: self.raised_at,
            fixed_by_name: self.fixed_by_name,
            fixed_at: self.fixed_at,
            verified_by_name: self.verified_by_name,
            verified_at: self.verified_at,
            closed_by_name: self.closed_by_name,
            closed_at: self.closed_at,
            rejected_reason: self.rejected_reason,
            photo_count: self.photo_count,
            updated_at: self.updated_at,
            version: self.version,
        };
        s.overdue = s.is_overdue(today);
        Ok(s)
    }
}

#[derive(sqlx::FromRow)]
struct SignOffRow {
    id: Uuid,
    room_id: Uuid,
    signed_by: Option<Uuid>,
    signed_by_name: Option<String>,
    signed_at: OffsetDateTime,
    client_name: Option<String>,
    note: Option<String>,
}

impl From<SignOffRow> for SignOff {
    fn from(r: SignOffRow) -> Self {
        SignOff {
            id: r.id,
            room_id: r.room_id,
            signed_by: r.signed_by,
            signed_by_name: r.signed_by_name,
            signed_at: r.signed_at,
            client_name: r.client_name,
            note: r.note,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ExpectedRow {
    id: Uuid,
    code: String,
    name: String,
    expected: i64,
    installed: i64,
}

#[derive(sqlx::FromRow)]
struct BlockingSnagRow {
    id: Uuid,
    number: i64,
    status: String,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: Uuid,
    client_id: Uuid,
}

fn current_signoff(room_id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT so.id, so.room_id, so.signed_by, u.name AS signed_by_name, so.signed_at, \
         so.client_name, so.note FROM room_signoffs so LEFT JOIN users u ON u.id = so.signed_by \
         WHERE so.room_id = $1 AND so.reopened_at IS NULL",
    )
    .bind(room_id)
}

/// Every item expected in the room, with the quantity the room holds and what the ledger
/// says is installed there.
fn expected_items(room_id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT si.id, si.code, si.name, \
         CASE WHEN si.room_id = $1 THEN si.quantity_milli ELSE COALESCE(si.quantity_per_room_milli, 0) END AS expected, \
         CAST(COALESCE((SELECT SUM(i.quantity_milli) FROM installations i \
             WHERE i.scope_item_id = si.id AND i.room_id = $1), 0) AS BIGINT) AS installed \
         FROM scope_items si WHERE si.room_id = $1 \
         OR (si.room_type_id IS NOT NULL AND si.room_type_id = (SELECT l.room_type_id FROM locations l WHERE l.id = $1)) \
         ORDER BY si.code, si.id",
    )
    .bind(room_id)
}

fn blocking_snags(room_id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT id, number, status FROM snags WHERE room_id = $1 \
         AND status IN ('open', 'fixed') ORDER BY number",
    )
    .bind(room_id)
}

fn blockers_of(items: Vec<ExpectedRow>, snags: Vec<BlockingSnagRow>) -> DbResult<Blockers> {
    Ok(Blockers {
        items: items
            .into_iter()
            .filter(|i| i.installed < i.expected)
            .map(|i| ItemShortfall {
                scope_item_id: i.id,
                code: i.code,
                name: i.name,
                installed: Quantity(i.installed),
                expected: Quantity(i.expected),
            })
            .collect(),
        snags: snags
            .into_iter()
            .map(|s| {
                Ok(SnagBlocker {
                    id: s.id,
                    code: snag_code(s.number),
                    status: parse_enum::<SnagStatus>(&s.status, "snags.status")?,
                })
            })
            .collect::<DbResult<_>>()?,
    })
}

fn stale(current: Option<VersionRow>) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: None,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound("snag")),
    }
}

fn snag_version(id: Uuid) -> Stmt {
    Stmt::new("SELECT version, updated_at FROM snags WHERE id = $1").bind(id)
}

impl Db {
    /// ` FOR UPDATE` on PostgreSQL (SQLite's one writer already serialises).
    fn for_update(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }
}

#[repo]
impl SnagRepo for Db {
    async fn list_snags(
        &self,
        project_id: Uuid,
        filter: &SnagFilter,
        overdue_as_of: Date,
        paging: Option<Paging>,
    ) -> DbResult<(Vec<Snag>, i64)> {
        let mut f = Filter::new();
        let p = f.arg(project_id);
        f.and(format!("s.project_id = {p}"));
        if filter.client_only {
            f.and("s.client_visible = 1");
        }
        if let Some(s) = filter.status {
            let p = f.arg(s.as_str());
            f.and(format!("s.status = {p}"));
        }
        if let Some(id) = filter.room_id {
            let p = f.arg(id);
            f.and(format!("s.room_id = {p}"));
        }
        if let Some(id) = filter.level_id {
            let p = f.arg(id);
            f.and(format!("r.level_id = {p}"));
        }
        if let Some(id) = filter.building_id {
            let p = f.arg(id);
            f.and(format!("r.building_id = {p}"));
        }
        if let Some(id) = filter.responsible_user_id {
            let p = f.arg(id);
            f.and(format!("s.responsible_user_id = {p}"));
        }
        if let Some(t) = filter
            .responsible_trade
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let p = f.arg(t.to_owned());
            f.and(format!("LOWER(s.responsible_trade) = LOWER({p})"));
        }
        if let Some(d) = filter.overdue_on {
            let d = f.date(d);
            f.and(format!(
                "s.status IN ('open', 'fixed') AND s.due_on IS NOT NULL AND s.due_on < {d}"
            ));
        }
        if let Some(v) = filter.client_visible {
            f.and(format!("s.client_visible = {}", i32::from(v)));
        }
        f.search(filter.q.as_deref(), &["s.title", "s.description"]);
        let where_sql = f.where_sql();
        let mut count = f.stmt.clone();
        count.sql = format!("SELECT COUNT(*) {SNAG_FROM}{where_sql}");
        let mut page = f.stmt;
        let tail = paging.map(|p| limit_offset(&p)).unwrap_or_default();
        page.sql = format!("SELECT {SNAG_COLUMNS} {SNAG_FROM}{where_sql}{SNAG_ORDER}{tail}");
        let (rows, total) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (fetch_all!(pool, SnagRow, page)?, total)
        });
        let items = rows
            .into_iter()
            .map(|r| r.into_snag(overdue_as_of))
            .collect::<DbResult<Vec<_>>>()?;
        Ok((items, total))
    }

    async fn get_snag(&self, id: Uuid, overdue_as_of: Date) -> DbResult<Option<Snag>> {
        self.get_snag_row(id, overdue_as_of).await
    }

    async fn insert_snag(
        &self,
        row: &NewSnagRow,
        entry: &AuditEntry,
        reopen_entry: &AuditEntry,
    ) -> DbResult<(i64, bool)> {
        let lock = self.for_update();
        let lock_project =
            Stmt::new(format!("SELECT id FROM projects WHERE id = $1{lock}")).bind(row.project_id);
        let lock_room =
            Stmt::new(format!("SELECT id FROM locations WHERE id = $1{lock}")).bind(row.room_id);
        let next =
            Stmt::new("SELECT COALESCE(MAX(number), 0) + 1 FROM snags WHERE project_id = $1")
                .bind(row.project_id);
        let out = in_tx!(self, |tx| {
            fetch_scalars!(&mut *tx, Uuid, lock_project)?;
            fetch_scalars!(&mut *tx, Uuid, lock_room)?;
            let number = fetch_scalar!(&mut *tx, i64, next)?;
            let code = snag_code(number);
            let insert = Stmt::new(
                "INSERT INTO snags (id, project_id, number, room_id, scope_item_id, title, description, \
                 category, responsible_user_id, responsible_trade, due_on, status, client_visible, \
                 raised_by, raised_at, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', $12, $13, $14, $14, 1)",
            )
            .bind(row.id)
            .bind(row.project_id)
            .bind(number)
            .bind(row.room_id)
            .bind(row.scope_item_id)
            .bind(&row.title)
            .bind(&row.description)
            .bind(row.category.as_str())
            .bind(row.responsible_user_id)
            .bind(&row.responsible_trade)
            .bind(row.due_on)
            .bind(i32::from(row.client_visible))
            .bind(row.raised_by)
            .bind(row.raised_at);
            exec!(&mut *tx, insert)?;
            let mut entry = entry.clone();
            entry.entity_label = code.clone();
            exec!(&mut *tx, audit::insert(&entry))?;
            let reopen = Stmt::new(
                "UPDATE room_signoffs SET reopened_at = $1, reopened_by_snag_id = $2 \
                 WHERE room_id = $3 AND reopened_at IS NULL",
            )
            .bind(row.raised_at)
            .bind(row.id)
            .bind(row.room_id);
            let reopened = exec!(&mut *tx, reopen)?.rows_affected() > 0;
            if reopened {
                let mut r = reopen_entry.clone();
                for c in &mut r.changes {
                    c.new = serde_json::Value::String(code.clone());
                }
                exec!(&mut *tx, audit::insert(&r))?;
            }
            (number, reopened)
        });
        Ok(out)
    }

    async fn update_snag(
        &self,
        id: Uuid,
        d: &SnagDetails,
        at: OffsetDateTime,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "UPDATE snags SET scope_item_id = $1, title = $2, description = $3, category = $4, \
             responsible_user_id = $5, responsible_trade = $6, due_on = $7, client_visible = $8, \
             updated_at = $9, version = version + 1 WHERE id = $10 AND version = $11",
        )
        .bind(d.scope_item_id)
        .bind(&d.title)
        .bind(&d.description)
        .bind(d.category.as_str())
        .bind(d.responsible_user_id)
        .bind(&d.responsible_trade)
        .bind(d.due_on)
        .bind(i32::from(d.client_visible))
        .bind(at)
        .bind(id)
        .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    snag_version(id)
                )?));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn move_snag(
        &self,
        id: Uuid,
        m: &SnagMove,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        // Who and when go in the new state's columns (a rejection in the closing ones);
        // reopening clears them all.
        let mut stmt = Stmt::new("");
        let status = stmt.arg(m.to.as_str());
        let stamps = match m.to {
            SnagStatus::Fixed => Some("fixed"),
            SnagStatus::Verified => Some("verified"),
            SnagStatus::Closed | SnagStatus::Rejected => Some("closed"),
            SnagStatus::Open => None,
        };
        let stamps = match stamps {
            Some(col) => {
                let by = stmt.arg(m.by);
                let at = stmt.arg(m.at);
                format!("{col}_by = {by}, {col}_at = {at}, ")
            }
            None => "fixed_by = NULL, fixed_at = NULL, verified_by = NULL, verified_at = NULL, \
                     closed_by = NULL, closed_at = NULL, "
                .to_owned(),
        };
        let reason = stmt.arg(&m.rejected_reason);
        let updated = stmt.arg(m.at);
        let id_p = stmt.arg(id);
        let version_p = stmt.arg(expected_version);
        stmt.sql = format!(
            "UPDATE snags SET status = {status}, {stamps}rejected_reason = {reason}, \
             updated_at = {updated}, version = version + 1 WHERE id = {id_p} AND version = {version_p}"
        );
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    snag_version(id)
                )?));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn snags_due(&self, days: &[Date], overdue_before: Date) -> DbResult<Vec<DueSnag>> {
        let mut f = Filter::new();
        let mut when = Vec::new();
        for d in days {
            when.push(format!("s.due_on = {}", f.date(*d)));
        }
        when.push(format!("s.due_on < {}", f.date(overdue_before)));
        f.and("s.status IN ('open', 'fixed')");
        f.and(format!("({})", when.join(" OR ")));
        f.and("p.status IN ('on_tender', 'awarded', 'active', 'on_hold')");
        let mut stmt = f.stmt.clone();
        stmt.sql = format!(
            "SELECT s.id, p.client_id FROM snags s JOIN projects p ON p.id = s.project_id{} \
             ORDER BY s.project_id, s.number",
            f.where_sql()
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, DueRow, stmt)?);
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(snag) = self.get_snag_row(r.id, overdue_before).await? {
                out.push(DueSnag {
                    snag,
                    client_id: r.client_id,
                });
            }
        }
        Ok(out)
    }

    async fn current_signoff(&self, room_id: Uuid) -> DbResult<Option<SignOff>> {
        let row = on_reader!(self, |pool| fetch_optional!(
            pool,
            SignOffRow,
            current_signoff(room_id)
        )?);
        Ok(row.map(SignOff::from))
    }

    async fn signoff_blockers(&self, room_id: Uuid) -> DbResult<Blockers> {
        let (items, snags) = on_reader!(self, |pool| {
            let items = fetch_all!(pool, ExpectedRow, expected_items(room_id))?;
            (
                items,
                fetch_all!(pool, BlockingSnagRow, blocking_snags(room_id))?,
            )
        });
        blockers_of(items, snags)
    }

    async fn sign_off_room(
        &self,
        s: &SignOff,
        project_id: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let lock = self.for_update();
        let lock_room =
            Stmt::new(format!("SELECT id FROM locations WHERE id = $1{lock}")).bind(s.room_id);
        let insert = Stmt::new(
            "INSERT INTO room_signoffs (id, project_id, room_id, signed_by, signed_at, client_name, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(s.id)
        .bind(project_id)
        .bind(s.room_id)
        .bind(s.signed_by)
        .bind(s.signed_at)
        .bind(&s.client_name)
        .bind(&s.note);
        in_tx!(self, |tx| {
            fetch_scalars!(&mut *tx, Uuid, lock_room)?;
            if let Some(current) =
                fetch_optional!(&mut *tx, SignOffRow, current_signoff(s.room_id))?
            {
                return Err(DbError::App(AppError::Conflict {
                    code: "already_signed_off",
                    message: format!(
                        "the room was signed off already, on {}{}; withdraw that sign-off first to sign again",
                        current.signed_at.date(),
                        current
                            .signed_by_name
                            .map(|n| format!(" by {n}"))
                            .unwrap_or_default()
                    ),
                    fields: Default::default(),
                }));
            }
            let items = fetch_all!(&mut *tx, ExpectedRow, expected_items(s.room_id))?;
            let snags = fetch_all!(&mut *tx, BlockingSnagRow, blocking_snags(s.room_id))?;
            let blockers = blockers_of(items, snags)?;
            if !blockers.is_empty() {
                return Err(DbError::App(AppError::Conflict {
                    code: "not_ready",
                    message: format!("the room cannot be signed off yet: {}", blockers.describe()),
                    fields: Default::default(),
                }));
            }
            exec!(&mut *tx, insert)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn withdraw_signoff(
        &self,
        room_id: Uuid,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "UPDATE room_signoffs SET reopened_at = $1 WHERE room_id = $2 AND reopened_at IS NULL",
        )
        .bind(at)
        .bind(room_id);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(DbError::App(AppError::NotFound("sign-off")));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }
}

impl Db {
    async fn get_snag_row(&self, id: Uuid, today: Date) -> DbResult<Option<Snag>> {
        let stmt = Stmt::new(format!("SELECT {SNAG_COLUMNS} {SNAG_FROM} WHERE s.id = $1")).bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, SnagRow, stmt)?);
        row.map(|r| r.into_snag(today)).transpose()
    }
}
