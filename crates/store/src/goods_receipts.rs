//! The goods receipt ledger: receipts added one at a time, each in a transaction that locks
//! its purchase order's row (PostgreSQL: `FOR UPDATE`; SQLite has one writer, `BEGIN
//! IMMEDIATE`), reads what its lines hold, checks each receipt line against it
//! (`goods_receipt::check_line`) and only then writes. Two people receiving the last units
//! of a line at once are thereby served one after the other, and the second is told what is
//! left. The order's state and each linked specification's procurement move in the same
//! transaction, with their audit entries.

use std::collections::BTreeMap;

use formula_app::error::AppError;
use formula_app::repos::{CommittedLine, GoodsReceiptRepo, LateLine, Received};
use formula_domain::audit::{AuditEntry, FieldChange};
use formula_domain::errors::FieldErrors;
use formula_domain::goods_receipt::{
    COMMITTED, GoodsReceipt, GoodsReceiptLine, NewGoodsReceipt, ReceivingLine, ReceivingOrder,
    check_line, order_status_after, receivable, spec_procurement_after,
};
use formula_domain::scope::Quantity;
use formula_domain::spec::Procurement;
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::{Backend, Db};
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Uuid,
    project_id: Uuid,
    number: String,
    status: String,
    supplier_name: String,
    created_by: Option<Uuid>,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: Uuid,
    position: i64,
    description: String,
    unit: String,
    spec_id: Option<Uuid>,
    scope_item_id: Option<Uuid>,
    quantity_milli: i64,
    received_milli: i64,
    required_on: Option<Date>,
    received_on: Option<Date>,
}

#[derive(sqlx::FromRow)]
struct ReceiptRow {
    id: Uuid,
    purchase_order_id: Uuid,
    received_on: Date,
    delivery_note: Option<String>,
    received_by: Option<Uuid>,
    received_by_name: Option<String>,
    note: Option<String>,
    recorded_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct ReceiptLineRow {
    receipt_id: Uuid,
    line_id: Uuid,
    position: i64,
    description: String,
    unit: String,
    quantity_milli: i64,
    over_delivery_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SpecRow {
    code: String,
    procurement: Option<String>,
    quantity_milli: i64,
    delivered_milli: i64,
}

#[derive(sqlx::FromRow)]
struct LateRow {
    purchase_order_id: Uuid,
    project_id: Uuid,
    number: String,
    supplier_name: String,
    created_by: Option<Uuid>,
    position: i64,
    description: String,
    quantity_milli: i64,
    received_milli: i64,
    required_on: Date,
}

#[derive(sqlx::FromRow)]
struct CommittedRow {
    id: Uuid,
    currency: String,
    total_minor: i64,
    unit_price_minor: i64,
    received_milli: i64,
    scope_item_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct SpecItemRow {
    line_id: Uuid,
    scope_item_id: Uuid,
    quantity_milli: i64,
}

const ORDER: &str = "SELECT o.id, o.project_id, o.number, o.status, s.name AS supplier_name, \
     o.created_by, o.version FROM purchase_orders o JOIN suppliers s ON s.id = o.supplier_id \
     WHERE o.id = $1";

const LINES: &str = "SELECT id, position, description, unit, spec_id, scope_item_id, \
     quantity_milli, received_milli, required_on, received_on FROM purchase_order_lines \
     WHERE purchase_order_id = $1 ORDER BY position, id";

const RECEIPTS: &str = "SELECT r.id, r.purchase_order_id, r.received_on, r.delivery_note, \
     r.received_by, COALESCE(u.name, r.received_by_name) AS received_by_name, r.note, \
     r.recorded_at FROM goods_receipts r LEFT JOIN users u ON u.id = r.received_by";

const RECEIPT_LINES: &str = "SELECT g.receipt_id, g.line_id, l.position, l.description, l.unit, \
     g.quantity_milli, g.over_delivery_reason FROM goods_receipt_lines g \
     JOIN purchase_order_lines l ON l.id = g.line_id";

fn conflict(code: &'static str, field: &str, message: String) -> DbError {
    let mut fields = FieldErrors::new();
    fields.add(field, message.clone());
    DbError::App(AppError::Conflict {
        code,
        message,
        fields,
    })
}

/// An entry derived from the receipt's: same actor, time and request, another record.
fn derived(
    entry: &AuditEntry,
    entity_type: &str,
    id: Uuid,
    label: &str,
    changes: Vec<FieldChange>,
) -> AuditEntry {
    AuditEntry {
        id: formula_domain::new_id(),
        action: "receive".into(),
        entity_type: entity_type.into(),
        entity_id: id,
        entity_label: label.into(),
        changes,
        ..entry.clone()
    }
}

fn change(field: &str, old: Option<&str>, new: &str) -> FieldChange {
    FieldChange {
        field: field.into(),
        old: old.map_or(serde_json::Value::Null, |o| {
            serde_json::Value::String(o.into())
        }),
        new: serde_json::Value::String(new.into()),
    }
}

fn receiving_line(r: LineRow) -> ReceivingLine {
    ReceivingLine {
        id: r.id,
        position: r.position,
        description: r.description,
        unit: r.unit,
        spec_id: r.spec_id,
        scope_item_id: r.scope_item_id,
        quantity: Quantity(r.quantity_milli),
        received: Quantity(r.received_milli),
        remaining: Quantity((r.quantity_milli - r.received_milli).max(0)),
        required_on: r.required_on,
        received_on: r.received_on,
        late: false,
    }
}

fn receipts_with_lines(rows: Vec<ReceiptRow>, lines: Vec<ReceiptLineRow>) -> Vec<GoodsReceipt> {
    let mut by: BTreeMap<Uuid, Vec<GoodsReceiptLine>> = BTreeMap::new();
    for l in lines {
        by.entry(l.receipt_id).or_default().push(GoodsReceiptLine {
            line_id: l.line_id,
            position: l.position,
            description: l.description,
            unit: l.unit,
            quantity: Quantity(l.quantity_milli),
            over_delivery_reason: l.over_delivery_reason,
        });
    }
    rows.into_iter()
        .map(|r| {
            let mut lines = by.remove(&r.id).unwrap_or_default();
            lines.sort_by_key(|l| l.position);
            GoodsReceipt {
                id: r.id,
                purchase_order_id: r.purchase_order_id,
                received_on: r.received_on,
                delivery_note: r.delivery_note,
                received_by: r.received_by,
                received_by_name: r.received_by_name,
                note: r.note,
                recorded_at: r.recorded_at,
                lines,
                photos: Vec::new(),
            }
        })
        .collect()
}

#[repo]
impl GoodsReceiptRepo for Db {
    async fn receiving_order(&self, purchase_order_id: Uuid) -> DbResult<Option<ReceivingOrder>> {
        let order = Stmt::new(ORDER).bind(purchase_order_id);
        let lines = Stmt::new(LINES).bind(purchase_order_id);
        let (order, lines) = on_reader!(self, |pool| {
            let o = fetch_optional!(pool, OrderRow, order)?;
            (o, fetch_all!(pool, LineRow, lines)?)
        });
        Ok(order.map(|o| ReceivingOrder {
            id: o.id,
            project_id: o.project_id,
            number: o.number,
            status: o.status,
            supplier_name: o.supplier_name,
            created_by: o.created_by,
            lines: lines.into_iter().map(receiving_line).collect(),
            version: o.version,
        }))
    }

    async fn record_receipt(
        &self,
        new: &NewGoodsReceipt,
        entry: &AuditEntry,
    ) -> DbResult<Received> {
        if new.lines.is_empty() {
            return Err(DbError::App(AppError::field(
                "lines",
                "receive at least one line",
            )));
        }
        // The order's row is locked first, so every receipt of the order waits for the one
        // before it to commit and then reads what that one left.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let order = Stmt::new(format!(
            "SELECT id, project_id, number, status, '' AS supplier_name, created_by, version \
             FROM purchase_orders WHERE id = $1{lock}"
        ))
        .bind(new.purchase_order_id);
        let received = in_tx!(self, |tx| {
            let Some(order) = fetch_optional!(&mut *tx, OrderRow, order)? else {
                return Err(DbError::App(AppError::NotFound("purchase order")));
            };
            if !receivable(&order.status) {
                return Err(conflict(
                    "not_receivable",
                    "lines",
                    format!(
                        "{} is {}: goods are received against a sent order only",
                        order.number,
                        order.status.replace('_', " ")
                    ),
                ));
            }
            let lines = fetch_all!(
                &mut *tx,
                LineRow,
                Stmt::new(LINES).bind(new.purchase_order_id)
            )?;
            let mut after: Vec<(Quantity, Quantity)> = Vec::with_capacity(lines.len());
            let mut touched: Vec<(&LineRow, i64, Option<Date>)> = Vec::new();
            for l in &lines {
                let mine: Vec<_> = new.lines.iter().filter(|n| n.line_id == l.id).collect();
                let mut received = l.received_milli;
                for n in &mine {
                    check_line(
                        l.position,
                        Quantity(l.quantity_milli),
                        Quantity(received),
                        n.quantity,
                        n.over_delivery_reason.is_some(),
                    )
                    .map_err(|why| conflict(why.code(), "lines", why.message().to_owned()))?;
                    received += n.quantity.0;
                }
                if !mine.is_empty() {
                    let on = match l.received_on {
                        Some(d) if d > new.received_on => Some(d),
                        _ => Some(new.received_on),
                    };
                    touched.push((l, received, on));
                }
                after.push((Quantity(l.quantity_milli), Quantity(received)));
            }
            if let Some(stray) = new
                .lines
                .iter()
                .find(|n| !lines.iter().any(|l| l.id == n.line_id))
            {
                return Err(DbError::App(AppError::field(
                    "lines",
                    format!("{} is not a line of {}", stray.line_id, order.number),
                )));
            }
            exec!(
                &mut *tx,
                Stmt::new(
                    "INSERT INTO goods_receipts (id, purchase_order_id, received_on, delivery_note, \
                     received_by, received_by_name, note, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                )
                .bind(new.id)
                .bind(new.purchase_order_id)
                .bind(new.received_on)
                .bind(&new.delivery_note)
                .bind(new.received_by)
                .bind(&new.received_by_name)
                .bind(&new.note)
                .bind(new.recorded_at)
            )?;
            for n in &new.lines {
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "INSERT INTO goods_receipt_lines (receipt_id, line_id, quantity_milli, \
                         over_delivery_reason) VALUES ($1, $2, $3, $4)"
                    )
                    .bind(new.id)
                    .bind(n.line_id)
                    .bind(n.quantity.0)
                    .bind(&n.over_delivery_reason)
                )?;
            }
            for (l, received, on) in &touched {
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "UPDATE purchase_order_lines SET received_milli = $1, received_on = $2 \
                         WHERE id = $3"
                    )
                    .bind(*received)
                    .bind(*on)
                    .bind(l.id)
                )?;
            }
            let status = order_status_after(&after);
            exec!(&mut *tx, audit::insert(entry))?;
            if status != order.status {
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "UPDATE purchase_orders SET status = $1, updated_at = $2, \
                         version = version + 1 WHERE id = $3"
                    )
                    .bind(status)
                    .bind(new.recorded_at)
                    .bind(order.id)
                )?;
                let e = derived(
                    entry,
                    "purchase_order",
                    order.id,
                    &order.number,
                    vec![change("status", Some(&order.status), status)],
                );
                exec!(&mut *tx, audit::insert(&e))?;
            }
            // Each specification the receipt touched: what has arrived of it over every
            // order line naming it (cancelled orders aside) moves its procurement.
            let mut specs: Vec<Uuid> = touched.iter().filter_map(|(l, _, _)| l.spec_id).collect();
            specs.sort();
            specs.dedup();
            let mut moved = Vec::new();
            for spec_id in specs {
                let Some(spec) = fetch_optional!(
                    &mut *tx,
                    SpecRow,
                    Stmt::new(
                        "SELECT code, procurement, quantity_milli, delivered_milli FROM specs \
                         WHERE id = $1"
                    )
                    .bind(spec_id)
                )?
                else {
                    continue;
                };
                let delivered = fetch_scalar!(
                    &mut *tx,
                    i64,
                    Stmt::new(
                        "SELECT CAST(COALESCE(SUM(l.received_milli), 0) AS BIGINT) \
                         FROM purchase_order_lines l JOIN purchase_orders o \
                         ON o.id = l.purchase_order_id \
                         WHERE l.spec_id = $1 AND o.status <> 'cancelled'"
                    )
                    .bind(spec_id)
                )?;
                let current = spec
                    .procurement
                    .as_deref()
                    .and_then(|p| p.parse::<Procurement>().ok());
                if current.is_none() {
                    continue;
                }
                let next = spec_procurement_after(
                    current,
                    Quantity(spec.quantity_milli),
                    Quantity(delivered),
                );
                if next == current && delivered == spec.delivered_milli {
                    continue;
                }
                let Some(next) = next else { continue };
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "UPDATE specs SET procurement = $1, delivered_milli = $2, \
                         updated_at = $3, updated_by = $4, version = version + 1 WHERE id = $5"
                    )
                    .bind(next.as_str())
                    .bind(delivered)
                    .bind(new.recorded_at)
                    .bind(entry.actor_id)
                    .bind(spec_id)
                )?;
                let mut changes = Vec::new();
                if Some(next) != current {
                    changes.push(change(
                        "procurement",
                        current.map(|p| p.as_str()),
                        next.as_str(),
                    ));
                }
                changes.push(change(
                    "delivered_quantity",
                    Some(&Quantity(spec.delivered_milli).to_string()),
                    &Quantity(delivered).to_string(),
                ));
                let e = derived(entry, "spec", spec_id, &spec.code, changes);
                exec!(&mut *tx, audit::insert(&e))?;
                moved.push((spec_id, next, Quantity(delivered)));
            }
            Received {
                status: status.to_owned(),
                specs: moved,
            }
        });
        Ok(received)
    }

    async fn get_receipt(&self, id: Uuid) -> DbResult<Option<(GoodsReceipt, Uuid)>> {
        let row = Stmt::new(format!("{RECEIPTS} WHERE r.id = $1")).bind(id);
        let lines = Stmt::new(format!("{RECEIPT_LINES} WHERE g.receipt_id = $1")).bind(id);
        let project = Stmt::new(
            "SELECT o.project_id FROM goods_receipts r JOIN purchase_orders o \
             ON o.id = r.purchase_order_id WHERE r.id = $1",
        )
        .bind(id);
        let (rows, lines, project) = on_reader!(self, |pool| {
            let r = fetch_all!(pool, ReceiptRow, row)?;
            let l = fetch_all!(pool, ReceiptLineRow, lines)?;
            (r, l, fetch_scalars!(pool, Uuid, project)?)
        });
        let Some(project) = project.into_iter().next() else {
            return Ok(None);
        };
        Ok(receipts_with_lines(rows, lines).pop().map(|r| (r, project)))
    }

    async fn list_receipts(&self, purchase_order_id: Uuid) -> DbResult<Vec<GoodsReceipt>> {
        let rows = Stmt::new(format!(
            "{RECEIPTS} WHERE r.purchase_order_id = $1 \
             ORDER BY r.received_on DESC, r.recorded_at DESC, r.id DESC"
        ))
        .bind(purchase_order_id);
        let lines = Stmt::new(format!("{RECEIPT_LINES} WHERE l.purchase_order_id = $1"))
            .bind(purchase_order_id);
        let (rows, lines) = on_reader!(self, |pool| {
            let r = fetch_all!(pool, ReceiptRow, rows)?;
            (r, fetch_all!(pool, ReceiptLineRow, lines)?)
        });
        Ok(receipts_with_lines(rows, lines))
    }

    async fn late_order_lines(&self, today: Date) -> DbResult<Vec<LateLine>> {
        let stmt = Stmt::new(
            "SELECT o.id AS purchase_order_id, o.project_id, o.number, s.name AS supplier_name, \
             o.created_by, l.position, l.description, l.quantity_milli, l.received_milli, \
             l.required_on FROM purchase_order_lines l \
             JOIN purchase_orders o ON o.id = l.purchase_order_id \
             JOIN suppliers s ON s.id = o.supplier_id \
             WHERE o.status IN ('sent', 'partially_received') AND l.required_on IS NOT NULL \
             AND l.required_on < $1 AND l.received_milli < l.quantity_milli \
             ORDER BY o.number, l.position",
        )
        .bind(today);
        let rows = on_reader!(self, |pool| fetch_all!(pool, LateRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| LateLine {
                purchase_order_id: r.purchase_order_id,
                project_id: r.project_id,
                number: r.number,
                supplier_name: r.supplier_name,
                created_by: r.created_by,
                position: r.position,
                description: r.description,
                quantity: Quantity(r.quantity_milli),
                received: Quantity(r.received_milli),
                required_on: r.required_on,
            })
            .collect())
    }

    async fn sent_orders(&self) -> DbResult<Vec<Uuid>> {
        let stmt = Stmt::new(
            "SELECT id FROM purchase_orders WHERE status = 'sent' ORDER BY created_at, number",
        );
        Ok(on_reader!(self, |pool| fetch_scalars!(pool, Uuid, stmt)?))
    }

    async fn committed_lines(&self, project_id: Uuid) -> DbResult<Vec<CommittedLine>> {
        let states = COMMITTED
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let lines = Stmt::new(format!(
            "SELECT l.id, o.currency, l.total_minor, l.unit_price_minor, l.received_milli, \
             l.scope_item_id FROM purchase_order_lines l \
             JOIN purchase_orders o ON o.id = l.purchase_order_id \
             WHERE o.project_id = $1 AND o.status IN ({states}) ORDER BY o.number, l.position"
        ))
        .bind(project_id);
        // The scope items of each line's specification (for lines not linked to an item).
        let items = Stmt::new(format!(
            "SELECT l.id AS line_id, si.scope_item_id, i.quantity_milli \
             FROM purchase_order_lines l \
             JOIN purchase_orders o ON o.id = l.purchase_order_id \
             JOIN spec_scope_items si ON si.spec_id = l.spec_id \
             JOIN scope_items i ON i.id = si.scope_item_id \
             WHERE o.project_id = $1 AND o.status IN ({states}) AND l.scope_item_id IS NULL \
             ORDER BY i.code, i.id"
        ))
        .bind(project_id);
        let (lines, items) = on_reader!(self, |pool| {
            let l = fetch_all!(pool, CommittedRow, lines)?;
            (l, fetch_all!(pool, SpecItemRow, items)?)
        });
        let mut by: BTreeMap<Uuid, Vec<(Uuid, Quantity)>> = BTreeMap::new();
        for i in items {
            by.entry(i.line_id)
                .or_default()
                .push((i.scope_item_id, Quantity(i.quantity_milli)));
        }
        Ok(lines
            .into_iter()
            .map(|l| CommittedLine {
                currency: l.currency,
                total_minor: l.total_minor,
                unit_price_minor: l.unit_price_minor,
                received: Quantity(l.received_milli),
                scope_item_id: l.scope_item_id,
                spec_items: by.remove(&l.id).unwrap_or_default(),
            })
            .collect())
    }
}
