//! Variations (change orders). A variation's number is the project's next, taken in the
//! insert's transaction (the project's row locked on PostgreSQL; SQLite has one writer). Its
//! total is the sum of its lines, recomputed in the transaction that changes a line. An
//! approval records the decision compare-and-set first (so of two approvals at once the
//! second finds the version moved and changes nothing), then applies the lines to the scope
//! and moves the project's contract value, all in one transaction.

use formula_app::error::AppError;
use formula_app::query::Paging;
use formula_app::repos::{
    Approval, ItemVariation, NewVariationRow, RfiBrief, VariationFilter, VariationRepo, WaitingFor,
    WaitingRow,
};
use formula_domain::audit::AuditEntry;
use formula_domain::comment::RecordKind;
use formula_domain::errors::FieldErrors;
use formula_domain::scope::Quantity;
use formula_domain::variation::{
    LineKind, Variation, VariationLine, VariationReview, VariationStatus, variation_code,
};
use formula_domain::waiting::WaitingKind;
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::{Backend, Db};
use crate::rows::parse_enum;
use crate::sql::{Filter, Stmt, limit_offset};

const FROM: &str = "FROM variations v \
     LEFT JOIN users rb ON rb.id = v.raised_by \
     LEFT JOIN users wb ON wb.id = v.withdrawn_by \
     LEFT JOIN rfis rf ON rf.id = v.rfi_id";

const COLUMNS: &str = "v.id, v.project_id, v.number, v.title, v.description, v.reason, v.rfi_id, \
     rf.number AS rfi_number, v.requested_by_client, v.time_impact_days, v.currency, v.total_minor, \
     v.status, v.raised_by, rb.name AS raised_by_name, v.raised_at, v.submitted_at, v.decided_at, \
     v.applied_at, v.withdrawn_at, wb.name AS withdrawn_by_name, v.withdrawn_reason, v.updated_at, \
     v.version";

#[derive(sqlx::FromRow)]
struct VariationRow {
    id: Uuid,
    project_id: Uuid,
    number: i64,
    title: String,
    description: Option<String>,
    reason: String,
    rfi_id: Option<Uuid>,
    rfi_number: Option<i64>,
    requested_by_client: i32,
    time_impact_days: Option<i64>,
    currency: String,
    total_minor: i64,
    status: String,
    raised_by: Option<Uuid>,
    raised_by_name: Option<String>,
    raised_at: OffsetDateTime,
    submitted_at: Option<OffsetDateTime>,
    decided_at: Option<OffsetDateTime>,
    applied_at: Option<OffsetDateTime>,
    withdrawn_at: Option<OffsetDateTime>,
    withdrawn_by_name: Option<String>,
    withdrawn_reason: Option<String>,
    updated_at: OffsetDateTime,
    version: i64,
}

impl VariationRow {
    fn into_variation(self) -> DbResult<Variation> {
        Ok(Variation {
            id: self.id,
            project_id: self.project_id,
            number: self.number,
            code: variation_code(self.number),
            title: self.title,
            description: self.description,
            reason: parse_enum(&self.reason, "variations.reason")?,
            rfi_id: self.rfi_id,
            rfi_code: self.rfi_number.map(|n| format!("RFI-{n:03}")),
            requested_by_client: self.requested_by_client != 0,
            time_impact_days: self.time_impact_days.and_then(|d| i32::try_from(d).ok()),
            currency: self.currency,
            total_minor: Some(self.total_minor),
            status: parse_enum(&self.status, "variations.status")?,
            raised_by: self.raised_by,
            raised_by_name: self.raised_by_name,
            raised_at: self.raised_at,
            submitted_at: self.submitted_at,
            decided_at: self.decided_at,
            applied_at: self.applied_at,
            withdrawn_at: self.withdrawn_at,
            withdrawn_by_name: self.withdrawn_by_name,
            withdrawn_reason: self.withdrawn_reason,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: Uuid,
    variation_id: Uuid,
    position: i64,
    kind: String,
    scope_item_id: Option<Uuid>,
    item_code: Option<String>,
    code: Option<String>,
    group_id: Option<Uuid>,
    group_name: Option<String>,
    name: Option<String>,
    unit: Option<String>,
    description: Option<String>,
    quantity_before_milli: Option<i64>,
    unit_price_before_minor: Option<i64>,
    quantity_milli: Option<i64>,
    unit_price_minor: Option<i64>,
    amount_minor: i64,
    note: Option<String>,
}

impl LineRow {
    fn into_line(self) -> DbResult<VariationLine> {
        Ok(VariationLine {
            id: self.id,
            variation_id: self.variation_id,
            position: self.position,
            kind: parse_enum(&self.kind, "variation_lines.kind")?,
            scope_item_id: self.scope_item_id,
            code: self.item_code.or(self.code),
            group_id: self.group_id,
            group_name: self.group_name,
            name: self.name,
            unit: self.unit,
            description: self.description,
            quantity_before: self.quantity_before_milli.map(Quantity),
            unit_price_before_minor: self.unit_price_before_minor,
            quantity: self.quantity_milli.map(Quantity),
            unit_price_minor: self.unit_price_minor,
            amount_minor: self.amount_minor,
            note: self.note,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: Uuid,
    variation_id: Uuid,
    reviewer_id: Option<Uuid>,
    reviewer_name: Option<String>,
    decision: String,
    comments: Option<String>,
    at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
    status: String,
    withdrawn_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct ItemVariationRow {
    variation_id: Uuid,
    number: i64,
    title: String,
    status: String,
    withdrawn_at: Option<OffsetDateTime>,
    kind: String,
}

#[derive(sqlx::FromRow)]
struct WaitingVariationRow {
    id: Uuid,
    number: i64,
    title: String,
    project_id: Uuid,
    project_code: String,
    from_name: Option<String>,
    since: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct RfiRow {
    id: Uuid,
    project_id: Uuid,
    number: i64,
    subject: String,
    answer: Option<String>,
}

fn by_id(id: Uuid) -> Stmt {
    Stmt::new(format!("SELECT {COLUMNS} {FROM} WHERE v.id = $1")).bind(id)
}

fn version_of(id: Uuid) -> Stmt {
    Stmt::new("SELECT version, updated_at, status, withdrawn_at FROM variations WHERE id = $1")
        .bind(id)
}

/// Why a compare-and-set on a variation changed nothing: gone, saved by someone else first
/// (stale), or no longer in a state that allows the change (decided or withdrawn).
fn refused(current: Option<VersionRow>, expected_version: i64) -> DbError {
    let Some(v) = current else {
        return DbError::App(AppError::NotFound("variation"));
    };
    if v.version != expected_version {
        return DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: None,
            updated_at: Some(v.updated_at),
        });
    }
    let state = if v.withdrawn_at.is_some() {
        "withdrawn"
    } else {
        v.status.as_str()
    };
    DbError::App(AppError::Conflict {
        code: "locked",
        message: format!("the variation is {state}: it cannot change any more"),
        fields: FieldErrors::new(),
    })
}

fn outdated(code: &str, vo: &str) -> DbError {
    DbError::App(AppError::Conflict {
        code: "variation_outdated",
        message: format!("{code} changed since {vo} was priced; revise the variation"),
        fields: FieldErrors::new(),
    })
}

/// Recomputes a variation's total from its lines (the same transaction that changed them).
fn retotal(id: Uuid) -> Stmt {
    Stmt::new(
        "UPDATE variations SET total_minor = CAST(COALESCE((SELECT SUM(amount_minor) \
         FROM variation_lines WHERE variation_id = $1), 0) AS BIGINT) WHERE id = $1",
    )
    .bind(id)
}

/// Claims a draft for a change of its lines: compare-and-set on the version.
fn touch_draft(id: Uuid, expected_version: i64, at: OffsetDateTime) -> Stmt {
    Stmt::new(
        "UPDATE variations SET updated_at = $1, version = version + 1 \
         WHERE id = $2 AND version = $3 AND status = 'draft' AND withdrawn_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .bind(expected_version)
}

impl Db {
    async fn variation_by_id(&self, id: Uuid) -> DbResult<Option<Variation>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, VariationRow, by_id(id))?);
        row.map(VariationRow::into_variation).transpose()
    }

    fn lock_suffix(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }
}

#[repo]
impl VariationRepo for Db {
    async fn list_variations(
        &self,
        project_id: Uuid,
        filter: &VariationFilter,
        paging: Option<Paging>,
    ) -> DbResult<(Vec<Variation>, i64)> {
        let mut f = Filter::new();
        let p = f.arg(project_id);
        f.and(format!("v.project_id = {p}"));
        if filter.client_only {
            f.and("(v.status <> 'draft' OR v.requested_by_client = 1)");
        }
        if let Some(s) = filter.status {
            let p = f.arg(s.as_str());
            f.and(format!("v.status = {p}"));
        }
        let where_sql = f.where_sql();
        let mut count = f.stmt.clone();
        count.sql = format!("SELECT COUNT(*) {FROM}{where_sql}");
        let mut page = f.stmt;
        let tail = paging.map(|p| limit_offset(&p)).unwrap_or_default();
        page.sql = format!("SELECT {COLUMNS} {FROM}{where_sql} ORDER BY v.number DESC{tail}");
        let (rows, total) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (fetch_all!(pool, VariationRow, page)?, total)
        });
        let items = rows
            .into_iter()
            .map(VariationRow::into_variation)
            .collect::<DbResult<Vec<_>>>()?;
        Ok((items, total))
    }

    async fn get_variation(&self, id: Uuid) -> DbResult<Option<Variation>> {
        self.variation_by_id(id).await
    }

    async fn variation_lines(&self, id: Uuid) -> DbResult<Vec<VariationLine>> {
        let stmt = Stmt::new(
            "SELECT l.id, l.variation_id, l.position, l.kind, l.scope_item_id, si.code AS item_code, \
             l.code, l.group_id, g.name AS group_name, l.name, l.unit, l.description, \
             l.quantity_before_milli, l.unit_price_before_minor, l.quantity_milli, \
             l.unit_price_minor, l.amount_minor, l.note FROM variation_lines l \
             LEFT JOIN scope_items si ON si.id = l.scope_item_id \
             LEFT JOIN scope_groups g ON g.id = l.group_id \
             WHERE l.variation_id = $1 ORDER BY l.position, l.id",
        )
        .bind(id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, LineRow, stmt)?);
        rows.into_iter().map(LineRow::into_line).collect()
    }

    async fn variation_reviews(&self, id: Uuid) -> DbResult<Vec<VariationReview>> {
        let stmt = Stmt::new(
            "SELECT id, variation_id, reviewer_id, reviewer_name, decision, comments, at \
             FROM variation_reviews WHERE variation_id = $1 ORDER BY at, id",
        )
        .bind(id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, ReviewRow, stmt)?);
        rows.into_iter()
            .map(|r| {
                Ok(VariationReview {
                    id: r.id,
                    variation_id: r.variation_id,
                    reviewer_id: r.reviewer_id,
                    reviewer_name: r.reviewer_name,
                    decision: parse_enum(&r.decision, "variation_reviews.decision")?,
                    comments: r.comments,
                    at: r.at,
                })
            })
            .collect()
    }

    async fn insert_variation(&self, row: &NewVariationRow, entry: &AuditEntry) -> DbResult<i64> {
        let lock = self.lock_suffix();
        let lock_project =
            Stmt::new(format!("SELECT id FROM projects WHERE id = $1{lock}")).bind(row.project_id);
        let next =
            Stmt::new("SELECT COALESCE(MAX(number), 0) + 1 FROM variations WHERE project_id = $1")
                .bind(row.project_id);
        let number = in_tx!(self, |tx| {
            fetch_scalars!(&mut *tx, Uuid, lock_project)?;
            let number = fetch_scalar!(&mut *tx, i64, next)?;
            let insert = Stmt::new(
                "INSERT INTO variations (id, project_id, number, title, description, reason, rfi_id, \
                 requested_by_client, time_impact_days, currency, total_minor, status, raised_by, \
                 raised_at, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 'draft', $11, $12, $12, 1)",
            )
            .bind(row.id)
            .bind(row.project_id)
            .bind(number)
            .bind(&row.title)
            .bind(&row.description)
            .bind(row.reason.as_str())
            .bind(row.rfi_id)
            .bind(i32::from(row.requested_by_client))
            .bind(row.time_impact_days.map(i64::from))
            .bind(&row.currency)
            .bind(row.raised_by)
            .bind(row.raised_at);
            exec!(&mut *tx, insert)?;
            let mut entry = entry.clone();
            entry.entity_label = variation_code(number);
            exec!(&mut *tx, audit::insert(&entry))?;
            number
        });
        Ok(number)
    }

    async fn update_variation(
        &self,
        v: &Variation,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<Variation> {
        let stmt = Stmt::new(
            "UPDATE variations SET title = $1, description = $2, reason = $3, time_impact_days = $4, \
             withdrawn_at = $5, withdrawn_by = $6, withdrawn_reason = $7, updated_at = $8, \
             version = version + 1 WHERE id = $9 AND version = $10 AND withdrawn_at IS NULL \
             AND status IN ('draft', 'submitted')",
        )
        .bind(&v.title)
        .bind(&v.description)
        .bind(v.reason.as_str())
        .bind(v.time_impact_days.map(i64::from))
        .bind(v.withdrawn_at)
        .bind(v.withdrawn_at.and(entry.actor_id))
        .bind(&v.withdrawn_reason)
        .bind(v.updated_at)
        .bind(v.id)
        .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(refused(
                    fetch_optional!(&mut *tx, VersionRow, version_of(v.id))?,
                    expected_version,
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        self.variation_by_id(v.id)
            .await?
            .ok_or(DbError::App(AppError::NotFound("variation")))
    }

    async fn save_variation_line(
        &self,
        l: &VariationLine,
        expected_version: i64,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<Variation> {
        let upsert = Stmt::new(
            "INSERT INTO variation_lines (id, variation_id, position, kind, scope_item_id, group_id, \
             code, name, unit, description, quantity_before_milli, unit_price_before_minor, \
             quantity_milli, unit_price_minor, amount_minor, note) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(position) + 1, 0) FROM variation_lines WHERE variation_id = $2), \
             $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, scope_item_id = excluded.scope_item_id, \
             group_id = excluded.group_id, code = excluded.code, name = excluded.name, \
             unit = excluded.unit, description = excluded.description, \
             quantity_before_milli = excluded.quantity_before_milli, \
             unit_price_before_minor = excluded.unit_price_before_minor, \
             quantity_milli = excluded.quantity_milli, unit_price_minor = excluded.unit_price_minor, \
             amount_minor = excluded.amount_minor, note = excluded.note",
        )
        .bind(l.id)
        .bind(l.variation_id)
        .bind(l.kind.as_str())
        .bind(l.scope_item_id)
        .bind(l.group_id)
        .bind(&l.code)
        .bind(&l.name)
        .bind(&l.unit)
        .bind(&l.description)
        .bind(l.quantity_before.map(|q| q.0))
        .bind(l.unit_price_before_minor)
        .bind(l.quantity.map(|q| q.0))
        .bind(l.unit_price_minor)
        .bind(l.amount_minor)
        .bind(&l.note);
        let id = l.variation_id;
        in_tx!(self, |tx| {
            if exec!(&mut *tx, touch_draft(id, expected_version, at))?.rows_affected() == 0 {
                return Err(refused(
                    fetch_optional!(&mut *tx, VersionRow, version_of(id))?,
                    expected_version,
                ));
            }
            exec!(&mut *tx, upsert)?;
            exec!(&mut *tx, retotal(id))?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        self.variation_by_id(id)
            .await?
            .ok_or(DbError::App(AppError::NotFound("variation")))
    }

    async fn delete_variation_line(
        &self,
        variation_id: Uuid,
        line_id: Uuid,
        expected_version: i64,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<Variation> {
        let delete = Stmt::new("DELETE FROM variation_lines WHERE id = $1 AND variation_id = $2")
            .bind(line_id)
            .bind(variation_id);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, touch_draft(variation_id, expected_version, at))?.rows_affected()
                == 0
            {
                return Err(refused(
                    fetch_optional!(&mut *tx, VersionRow, version_of(variation_id))?,
                    expected_version,
                ));
            }
            if exec!(&mut *tx, delete)?.rows_affected() == 0 {
                return Err(DbError::App(AppError::NotFound("variation line")));
            }
            exec!(&mut *tx, retotal(variation_id))?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        self.variation_by_id(variation_id)
            .await?
            .ok_or(DbError::App(AppError::NotFound("variation")))
    }

    async fn save_variation_step(
        &self,
        v: &Variation,
        expected_version: i64,
        decided: Option<&VariationReview>,
        approval: Option<&Approval>,
        entry: &AuditEntry,
    ) -> DbResult<Variation> {
        let approving = approval.is_some() && v.status == VariationStatus::Approved;
        // The decision first, compare-and-set: an approval applies at most once.
        let step = Stmt::new(
            "UPDATE variations SET status = $1, submitted_at = $2, decided_at = $3, applied_at = $4, \
             updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7 \
             AND withdrawn_at IS NULL AND applied_at IS NULL",
        )
        .bind(v.status.as_str())
        .bind(v.submitted_at)
        .bind(v.decided_at)
        .bind(if approving { v.applied_at } else { None })
        .bind(v.updated_at)
        .bind(v.id)
        .bind(expected_version);
        let actor = entry.actor_id;
        in_tx!(self, |tx| {
            if exec!(&mut *tx, step)?.rows_affected() == 0 {
                return Err(refused(
                    fetch_optional!(&mut *tx, VersionRow, version_of(v.id))?,
                    expected_version,
                ));
            }
            if let Some(d) = decided {
                let insert = Stmt::new(
                    "INSERT INTO variation_reviews (id, variation_id, reviewer_id, reviewer_name, \
                     decision, comments, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(d.id)
                .bind(d.variation_id)
                .bind(d.reviewer_id)
                .bind(&d.reviewer_name)
                .bind(d.decision.as_str())
                .bind(&d.comments)
                .bind(d.at);
                exec!(&mut *tx, insert)?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
            if let (true, Some(a)) = (approving, approval) {
                let vo = &a.variation_code;
                // Omitted and changed items must still be as they were priced.
                for c in &a.changes {
                    let omit = c.kind == LineKind::Omit;
                    let status = if omit { ", status = 'cancelled'" } else { "" };
                    let per_room = if omit {
                        ", quantity_per_room_milli = CASE WHEN room_type_id IS NULL \
                         THEN quantity_per_room_milli ELSE 0 END"
                    } else {
                        ""
                    };
                    let update = Stmt::new(format!(
                        "UPDATE scope_items SET quantity_milli = $1, unit_price_minor = $2, \
                         total_minor = $3, updated_at = $4, updated_by = $5, version = version + 1\
                         {status}{per_room} WHERE id = $6 AND project_id = $7 AND quantity_milli = $8 \
                         AND unit_price_minor IS NOT DISTINCT FROM $9 AND status <> 'cancelled'"
                    ))
                    .bind(c.quantity.0)
                    .bind(c.unit_price)
                    .bind(c.total)
                    .bind(v.updated_at)
                    .bind(actor)
                    .bind(c.scope_item_id)
                    .bind(v.project_id)
                    .bind(c.quantity_before.0)
                    .bind(c.unit_price_before);
                    if exec!(&mut *tx, update)?.rows_affected() == 0 {
                        return Err(outdated(&c.code, vo));
                    }
                }
                for (line_id, item) in &a.new_items {
                    let taken = Stmt::new(
                        "SELECT COUNT(*) FROM scope_items WHERE project_id = $1 AND code = $2",
                    )
                    .bind(item.project_id)
                    .bind(&item.code);
                    if fetch_scalar!(&mut *tx, i64, taken)? > 0 {
                        let generated = a.generated_codes.contains(&item.code);
                        return Err(DbError::App(AppError::Conflict {
                            code: if generated {
                                "code_taken"
                            } else {
                                "variation_outdated"
                            },
                            message: format!(
                                "{} is taken by another scope item since {vo} was priced; revise the variation",
                                item.code
                            ),
                            fields: FieldErrors::new(),
                        }));
                    }
                    exec!(&mut *tx, crate::scope::insert_item(item, actor))?;
                    let link = Stmt::new(
                        "UPDATE variation_lines SET scope_item_id = $1, code = $2 WHERE id = $3",
                    )
                    .bind(item.id)
                    .bind(&item.code)
                    .bind(*line_id);
                    exec!(&mut *tx, link)?;
                }
                // No room may be left holding less than is installed in it.
                for c in &a.changes {
                    let over = fetch_all!(
                        &mut *tx,
                        crate::installations::OverRow,
                        crate::installations::over_installed(false, c.scope_item_id)
                    )?;
                    if !over.is_empty() {
                        return Err(crate::installations::over_installed_error(&over));
                    }
                }
                let value = Stmt::new(
                    "UPDATE projects SET contract_value_minor = COALESCE(contract_value_minor, 0) + \
                     (SELECT total_minor FROM variations WHERE id = $1), updated_at = $2, \
                     version = version + 1 WHERE id = $3",
                )
                .bind(v.id)
                .bind(v.updated_at)
                .bind(v.project_id);
                exec!(&mut *tx, value)?;
                for e in &a.audit {
                    exec!(&mut *tx, audit::insert(e))?;
                }
            }
        });
        self.variation_by_id(v.id)
            .await?
            .ok_or(DbError::App(AppError::NotFound("variation")))
    }

    async fn item_variations(&self, scope_item_id: Uuid) -> DbResult<Vec<ItemVariation>> {
        let stmt = Stmt::new(
            "SELECT v.id AS variation_id, v.number, v.title, v.status, v.withdrawn_at, l.kind \
             FROM variation_lines l JOIN variations v ON v.id = l.variation_id \
             WHERE l.scope_item_id = $1 ORDER BY v.number, l.position",
        )
        .bind(scope_item_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, ItemVariationRow, stmt)?);
        rows.into_iter()
            .map(|r| {
                Ok(ItemVariation {
                    variation_id: r.variation_id,
                    code: variation_code(r.number),
                    title: r.title,
                    status: parse_enum(&r.status, "variations.status")?,
                    withdrawn: r.withdrawn_at.is_some(),
                    kind: parse_enum(&r.kind, "variation_lines.kind")?,
                })
            })
            .collect()
    }

    async fn variations_waiting(
        &self,
        who: &WaitingFor,
        decides: bool,
    ) -> DbResult<Vec<WaitingRow>> {
        let mut f = Filter::new();
        f.and("v.status = 'submitted' AND v.withdrawn_at IS NULL");
        match who.client_id {
            Some(client) => {
                let c = f.arg(client);
                f.and(format!("p.client_id = {c}"));
            }
            None if decides => {
                let u = f.arg(who.user_id);
                f.and(format!(
                    "EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id \
                     AND m.user_id = {u})"
                ));
            }
            None => return Ok(Vec::new()),
        }
        let where_sql = f.where_sql();
        let mut stmt = f.stmt;
        stmt.sql = format!(
            "SELECT v.id, v.number, v.title, p.id AS project_id, p.code AS project_code, \
             u.name AS from_name, COALESCE(v.submitted_at, v.updated_at) AS since \
             FROM variations v JOIN projects p ON p.id = v.project_id \
             LEFT JOIN users u ON u.id = v.raised_by{where_sql} ORDER BY 7, v.id LIMIT {}",
            who.limit.max(1)
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, WaitingVariationRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| WaitingRow {
                kind: WaitingKind::VariationDecision,
                id: r.id,
                record_kind: RecordKind::Project,
                record_id: r.project_id,
                parent_id: None,
                label: variation_code(r.number),
                title: Some(r.title),
                project_id: r.project_id,
                project_code: r.project_code,
                from_name: r.from_name,
                since: r.since,
            })
            .collect())
    }

    async fn rfi_brief(&self, id: Uuid) -> DbResult<Option<RfiBrief>> {
        let stmt =
            Stmt::new("SELECT id, project_id, number, subject, answer FROM rfis WHERE id = $1")
                .bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, RfiRow, stmt)?);
        Ok(row.map(|r| RfiBrief {
            id: r.id,
            project_id: r.project_id,
            number: r.number,
            subject: r.subject,
            answer: r.answer,
        }))
    }
}
