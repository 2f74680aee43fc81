//! Purchase orders. A new order takes the next number of its year from `po_sequences` in
//! its insert's transaction: an upsert that increments the year's row (on PostgreSQL the
//! row stays locked until commit, so concurrent creations wait their turn; SQLite has one
//! writer), and a rolled-back creation gives its number back, so numbers have no gaps.
//! The total is the sum of the lines, recomputed in the transaction that changes a line.
//! Every move is compare-and-set on the version and the state it starts from.

use formula_app::error::AppError;
use formula_app::query::Paging;
use formula_app::repos::{
    NewPoRow, PoFilter, PoHeader, PoLineRow, PoMove, PoSending, PoSupplier, PurchaseOrderRepo,
    SpecForPo,
};
use formula_domain::audit::AuditEntry;
use formula_domain::errors::FieldErrors;
use formula_domain::purchase_order::{PoLine, PoStatus, PurchaseOrder, po_number};
use formula_domain::scope::Quantity;
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::parse_enum;
use crate::sql::{Filter, Stmt, limit_offset};

const FROM: &str = "FROM purchase_orders o \
     JOIN suppliers s ON s.id = o.supplier_id \
     LEFT JOIN users cb ON cb.id = o.created_by \
     LEFT JOIN users ab ON ab.id = o.approved_by \
     LEFT JOIN users sb ON sb.id = o.sent_by";

const COLUMNS: &str = "o.id, o.project_id, o.supplier_id, s.name AS supplier_name, o.number, \
     o.status, o.currency, o.total_minor, o.required_on, o.delivery_address, o.terms, o.notes, \
     o.created_by, cb.name AS created_by_name, o.created_at, o.approved_by, \
     ab.name AS approved_by_name, o.approved_at, sb.name AS sent_by_name, o.sent_at, o.sent_to, \
     o.closed_at, o.cancelled_at, o.cancelled_reason, o.updated_at, o.version";

#[derive(sqlx::FromRow)]
struct PoRow {
    id: Uuid,
    project_id: Uuid,
    supplier_id: Uuid,
    supplier_name: String,
    number: String,
    status: String,
    currency: String,
    total_minor: i64,
    required_on: Option<Date>,
    delivery_address: Option<String>,
    terms: Option<String>,
    notes: Option<String>,
    created_by: Option<Uuid>,
    created_by_name: Option<String>,
    created_at: OffsetDateTime,
    approved_by: Option<Uuid>,
    approved_by_name: Option<String>,
    approved_at: Option<OffsetDateTime>,
    sent_by_name: Option<String>,
    sent_at: Option<OffsetDateTime>,
    sent_to: Option<String>,
    closed_at: Option<OffsetDateTime>,
    cancelled_at: Option<OffsetDateTime>,
    cancelled_reason: Option<String>,
    updated_at: OffsetDateTime,
    version: i64,
}

impl PoRow {
    fn into_po(self) -> DbResult<PurchaseOrder> {
        Ok(PurchaseOrder {
            id: self.id,
            project_id: self.project_id,
            supplier_id: self.supplier_id,
            supplier_name: self.supplier_name,
            number: self.number,
            status: parse_enum(&self.status, "purchase_orders.status")?,
            currency: self.currency,
            total_minor: Some(self.total_minor),
            required_on: self.required_on,
            delivery_address: self.delivery_address,
            terms: self.terms,
            notes: self.notes,
            created_by: self.created_by,
            created_by_name: self.created_by_name,
            created_at: self.created_at,
            approved_by: self.approved_by,
            approved_by_name: self.approved_by_name,
            approved_at: self.approved_at,
            sent_by_name: self.sent_by_name,
            sent_at: self.sent_at,
            sent_to: self.sent_to,
            closed_at: self.closed_at,
            cancelled_at: self.cancelled_at,
            cancelled_reason: self.cancelled_reason,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: Uuid,
    purchase_order_id: Uuid,
    position: i64,
    spec_id: Option<Uuid>,
    spec_code: Option<String>,
    scope_item_id: Option<Uuid>,
    scope_item_code: Option<String>,
    description: String,
    quantity_milli: i64,
    unit: String,
    unit_price_minor: i64,
    total_minor: i64,
    required_on: Option<Date>,
    received_milli: i64,
    received_on: Option<Date>,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
    status: String,
    number: String,
}

#[derive(sqlx::FromRow)]
struct SupplierRow {
    id: Uuid,
    name: String,
    email: Option<String>,
    address: Option<String>,
    tax_number: Option<String>,
    payment_terms: Option<String>,
    archived: i32,
}

#[derive(sqlx::FromRow)]
struct SpecRow {
    id: Uuid,
    project_id: Uuid,
    code: String,
    description: String,
    quantity_milli: i64,
    unit: String,
    unit_cost_minor: Option<i64>,
    needed_on: Option<Date>,
    status: String,
    procurement: Option<String>,
    supplier_id: Option<Uuid>,
    supplier_name: Option<String>,
}

fn by_id(id: Uuid) -> Stmt {
    Stmt::new(format!("SELECT {COLUMNS} {FROM} WHERE o.id = $1")).bind(id)
}

fn version_of(id: Uuid) -> Stmt {
    Stmt::new("SELECT version, updated_at, status, number FROM purchase_orders WHERE id = $1")
        .bind(id)
}

/// Why a compare-and-set on an order changed nothing: gone, saved by someone else first, or
/// no longer in the state the change starts from.
fn refused(current: Option<VersionRow>, expected_version: i64) -> DbError {
    let Some(v) = current else {
        return DbError::App(AppError::NotFound("purchase order"));
    };
    if v.version != expected_version {
        return DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: None,
            updated_at: Some(v.updated_at),
        });
    }
    let label = v
        .status
        .parse::<PoStatus>()
        .map(|s| s.label().to_lowercase())
        .unwrap_or(v.status);
    DbError::App(AppError::Conflict {
        code: "wrong_state",
        message: format!("{} is {label}: that cannot be done now", v.number),
        fields: FieldErrors::new(),
    })
}

/// Recomputes an order's total from its lines (the same transaction that changed them).
fn retotal(id: Uuid) -> Stmt {
    Stmt::new(
        "UPDATE purchase_orders SET total_minor = CAST(COALESCE((SELECT SUM(total_minor) \
         FROM purchase_order_lines WHERE purchase_order_id = $1), 0) AS BIGINT) WHERE id = $1",
    )
    .bind(id)
}

/// Claims a draft for a change: compare-and-set on the version.
fn touch_draft(id: Uuid, expected_version: i64, at: OffsetDateTime) -> Stmt {
    Stmt::new(
        "UPDATE purchase_orders SET updated_at = $1, version = version + 1 \
         WHERE id = $2 AND version = $3 AND status = 'draft'",
    )
    .bind(at)
    .bind(id)
    .bind(expected_version)
}

fn upsert_line(order_id: Uuid, l: &PoLineRow) -> Stmt {
    Stmt::new(
        "INSERT INTO purchase_order_lines (id, purchase_order_id, position, spec_id, scope_item_id, \
         description, quantity_milli, unit, unit_price_minor, total_minor, required_on, received_milli) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(position) + 1, 0) FROM purchase_order_lines \
         WHERE purchase_order_id = $2), $3, $4, $5, $6, $7, $8, $9, $10, 0) \
         ON CONFLICT (id) DO UPDATE SET spec_id = excluded.spec_id, \
         scope_item_id = excluded.scope_item_id, description = excluded.description, \
         quantity_milli = excluded.quantity_milli, unit = excluded.unit, \
         unit_price_minor = excluded.unit_price_minor, total_minor = excluded.total_minor, \
         required_on = excluded.required_on",
    )
    .bind(l.id)
    .bind(order_id)
    .bind(l.spec_id)
    .bind(l.scope_item_id)
    .bind(&l.description)
    .bind(l.quantity.0)
    .bind(&l.unit)
    .bind(l.unit_price_minor)
    .bind(l.total_minor)
    .bind(l.required_on)
}

impl Db {
    async fn po_by_id(&self, id: Uuid) -> DbResult<PurchaseOrder> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, PoRow, by_id(id))?);
        row.ok_or(DbError::App(AppError::NotFound("purchase order")))?
            .into_po()
    }
}

#[repo]
impl PurchaseOrderRepo for Db {
    async fn list_purchase_orders(
        &self,
        project_id: Uuid,
        filter: &PoFilter,
        paging: Option<Paging>,
    ) -> DbResult<(Vec<PurchaseOrder>, i64)> {
        let mut f = Filter::new();
        let p = f.arg(project_id);
        f.and(format!("o.project_id = {p}"));
        if let Some(s) = filter.status {
            let p = f.arg(s.as_str());
            f.and(format!("o.status = {p}"));
        }
        if let Some(s) = filter.supplier_id {
            let p = f.arg(s);
            f.and(format!("o.supplier_id = {p}"));
        }
        let where_sql = f.where_sql();
        let mut count = f.stmt.clone();
        count.sql = format!("SELECT COUNT(*) {FROM}{where_sql}");
        let mut page = f.stmt;
        let tail = paging.map(|p| limit_offset(&p)).unwrap_or_default();
        page.sql = format!("SELECT {COLUMNS} {FROM}{where_sql} ORDER BY o.number DESC{tail}");
        let (rows, total) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (fetch_all!(pool, PoRow, page)?, total)
        });
        let items = rows
            .into_iter()
            .map(PoRow::into_po)
            .collect::<DbResult<Vec<_>>>()?;
        Ok((items, total))
    }

    async fn get_purchase_order(&self, id: Uuid) -> DbResult<Option<PurchaseOrder>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, PoRow, by_id(id))?);
        row.map(PoRow::into_po).transpose()
    }

    async fn purchase_order_lines(&self, id: Uuid) -> DbResult<Vec<PoLine>> {
        let stmt = Stmt::new(
            "SELECT l.id, l.purchase_order_id, l.position, l.spec_id, sp.code AS spec_code, \
             l.scope_item_id, si.code AS scope_item_code, l.description, l.quantity_milli, l.unit, \
             l.unit_price_minor, l.total_minor, l.required_on, l.received_milli, l.received_on \
             FROM purchase_order_lines l \
             LEFT JOIN specs sp ON sp.id = l.spec_id \
             LEFT JOIN scope_items si ON si.id = l.scope_item_id \
             WHERE l.purchase_order_id = $1 ORDER BY l.position, l.id",
        )
        .bind(id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, LineRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| PoLine {
                id: r.id,
                purchase_order_id: r.purchase_order_id,
                position: r.position,
                spec_id: r.spec_id,
                spec_code: r.spec_code,
                scope_item_id: r.scope_item_id,
                scope_item_code: r.scope_item_code,
                description: r.description,
                quantity: Quantity(r.quantity_milli),
                unit: r.unit,
                unit_price_minor: Some(r.unit_price_minor),
                total_minor: Some(r.total_minor),
                required_on: r.required_on,
                received: Quantity(r.received_milli),
                received_on: r.received_on,
            })
            .collect())
    }

    async fn insert_purchase_order(
        &self,
        row: &NewPoRow,
        year: i32,
        lines: &[PoLineRow],
        entry: &AuditEntry,
    ) -> DbResult<String> {
        // The upsert increments the year's row and holds its lock until commit.
        let next = Stmt::new(
            "INSERT INTO po_sequences (year, last) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last = po_sequences.last + 1 RETURNING last",
        )
        .bind(i64::from(year));
        let number = in_tx!(self, |tx| {
            let seq = fetch_scalar!(&mut *tx, i64, next)?;
            let number = po_number(year, seq);
            let insert = Stmt::new(
                "INSERT INTO purchase_orders (id, project_id, supplier_id, number, status, currency, \
                 total_minor, required_on, delivery_address, terms, notes, created_by, created_at, \
                 updated_at, version) \
                 VALUES ($1, $2, $3, $4, 'draft', $5, 0, $6, $7, $8, $9, $10, $11, $11, 1)",
            )
            .bind(row.id)
            .bind(row.project_id)
            .bind(row.supplier_id)
            .bind(&number)
            .bind(&row.currency)
            .bind(row.required_on)
            .bind(&row.delivery_address)
            .bind(&row.terms)
            .bind(&row.notes)
            .bind(row.created_by)
            .bind(row.created_at);
            exec!(&mut *tx, insert)?;
            for l in lines {
                exec!(&mut *tx, upsert_line(row.id, l))?;
            }
            exec!(&mut *tx, retotal(row.id))?;
            let mut entry = entry.clone();
            entry.entity_label = number.clone();
            exec!(&mut *tx, audit::insert(&entry))?;
            number
        });
        Ok(number)
    }

    async fn update_purchase_order(
        &self,
        id: Uuid,
        h: &PoHeader,
        expected_version: i64,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<PurchaseOrder> {
        let stmt = Stmt::new(
            "UPDATE purchase_orders SET supplier_id = $1, required_on = $2, delivery_address = $3, \
             terms = $4, notes = $5, updated_at = $6, version = version + 1 \
             WHERE id = $7 AND version = $8 AND status = 'draft'",
        )
        .bind(h.supplier_id)
        .bind(h.required_on)
        .bind(&h.delivery_address)
        .bind(&h.terms)
        .bind(&h.notes)
        .bind(at)
        .bind(id)
        .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(refused(
                    fetch_optional!(&mut *tx, VersionRow, version_of(id))?,
                    expected_version,
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        self.po_by_id(id).await
    }

    async fn save_po_line(
        &self,
        id: Uuid,
        line: &PoLineRow,
        expected_version: i64,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<PurchaseOrder> {
        let upsert = upsert_line(id, line);
        // A line id of another order is refused rather than moved.
        let owner = Stmt::new("SELECT purchase_order_id FROM purchase_order_lines WHERE id = $1")
            .bind(line.id);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, touch_draft(id, expected_version, at))?.rows_affected() == 0 {
                return Err(refused(
                    fetch_optional!(&mut *tx, VersionRow, version_of(id))?,
                    expected_version,
                ));
            }
            let owners = fetch_scalars!(&mut *tx, Uuid, owner)?;
            if owners.iter().any(|o| *o != id) {
                return Err(DbError::App(AppError::NotFound("line")));
            }
            exec!(&mut *tx, upsert)?;
            exec!(&mut *tx, retotal(id))?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        self.po_by_id(id).await
    }

    async fn delete_po_line(
        &self,
        id: Uuid,
        line_id: Uuid,
        expected_version: i64,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<PurchaseOrder> {
        let delete =
            Stmt::new("DELETE FROM purchase_order_lines WHERE id = $1 AND purchase_order_id = $2")
                .bind(line_id)
                .bind(id);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, touch_draft(id, expected_version, at))?.rows_affected() == 0 {
                return Err(refused(
                    fetch_optional!(&mut *tx, VersionRow, version_of(id))?,
                    expected_version,
                ));
            }
            if exec!(&mut *tx, delete)?.rows_affected() == 0 {
                return Err(DbError::App(AppError::NotFound("line")));
            }
            exec!(&mut *tx, retotal(id))?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        self.po_by_id(id).await
    }

    async fn move_purchase_order(
        &self,
        id: Uuid,
        m: &PoMove,
        expected_version: i64,
        sending: Option<&PoSending>,
        entry: &AuditEntry,
    ) -> DbResult<PurchaseOrder> {
        let mut stmt = Stmt::new("");
        let status = stmt.arg(m.to.as_str());
        let at = stmt.arg(m.at);
        // Receipt states are set by goods receipts; nothing else to record for them.
        let mut set = format!("status = {status}, updated_at = {at}");
        match m.to {
            PoStatus::Approved => {
                let by = stmt.arg(m.by);
                set.push_str(&format!(", approved_by = {by}, approved_at = {at}"));
            }
            PoStatus::Sent => {
                let by = stmt.arg(m.by);
                let to = stmt.arg(m.sent_to.clone());
                set.push_str(&format!(", sent_by = {by}, sent_at = {at}, sent_to = {to}"));
            }
            PoStatus::Closed => set.push_str(&format!(", closed_at = {at}")),
            PoStatus::Cancelled => {
                let reason = stmt.arg(m.reason.clone());
                set.push_str(&format!(
                    ", cancelled_at = {at}, cancelled_reason = {reason}"
                ));
            }
            _ => {}
        }
        let pid = stmt.arg(id);
        let pver = stmt.arg(expected_version);
        let pfrom = stmt.arg(m.from.as_str());
        stmt.sql = format!(
            "UPDATE purchase_orders SET {set}, version = version + 1 \
             WHERE id = {pid} AND version = {pver} AND status = {pfrom}"
        );
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(refused(
                    fetch_optional!(&mut *tx, VersionRow, version_of(id))?,
                    expected_version,
                ));
            }
            if let Some(s) = sending {
                exec!(&mut *tx, crate::jobs::insert(&s.mail))?;
                for (spec_id, expected, spec_entry) in &s.specs {
                    let mark = Stmt::new(
                        "UPDATE specs SET procurement = 'ordered', \
                         po_number = (SELECT number FROM purchase_orders WHERE id = $1), \
                         order_date = $2, expected_delivery = $3, updated_at = $4, updated_by = $5, \
                         version = version + 1 WHERE id = $6",
                    )
                    .bind(id)
                    .bind(s.order_date)
                    .bind(*expected)
                    .bind(m.at)
                    .bind(m.by)
                    .bind(*spec_id);
                    exec!(&mut *tx, mark)?;
                    exec!(&mut *tx, audit::insert(spec_entry))?;
                }
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        self.po_by_id(id).await
    }

    async fn po_supplier(&self, id: Uuid) -> DbResult<Option<PoSupplier>> {
        let stmt = Stmt::new(
            "SELECT id, name, email, address, tax_number, payment_terms, archived \
             FROM suppliers WHERE id = $1",
        )
        .bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, SupplierRow, stmt)?);
        Ok(row.map(|r| PoSupplier {
            id: r.id,
            name: r.name,
            email: r.email,
            address: r.address,
            tax_number: r.tax_number,
            payment_terms: r.payment_terms,
            archived: r.archived != 0,
        }))
    }

    async fn specs_for_po(&self, ids: &[Uuid]) -> DbResult<Vec<SpecForPo>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let stmt = Stmt::new(
                "SELECT s.id, s.project_id, s.code, s.description, s.quantity_milli, s.unit, \
                 s.unit_cost_minor, s.needed_on, s.status, s.procurement, s.supplier_id, \
                 x.name AS supplier_name FROM specs s LEFT JOIN suppliers x ON x.id = s.supplier_id \
                 WHERE s.id = $1",
            )
            .bind(*id);
            let row = on_reader!(self, |pool| fetch_optional!(pool, SpecRow, stmt)?);
            if let Some(r) = row {
                out.push(SpecForPo {
                    id: r.id,
                    project_id: r.project_id,
                    code: r.code,
                    description: r.description,
                    quantity: Quantity(r.quantity_milli),
                    unit: r.unit,
                    unit_cost_minor: r.unit_cost_minor,
                    needed_on: r.needed_on,
                    status: parse_enum(&r.status, "specs.status")?,
                    procurement: r
                        .procurement
                        .as_deref()
                        .map(|p| parse_enum(p, "specs.procurement"))
                        .transpose()?,
                    supplier_id: r.supplier_id,
                    supplier_name: r.supplier_name,
                });
            }
        }
        Ok(out)
    }
}
