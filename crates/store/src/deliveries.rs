//! Delivery notes. A note's number is the project's next, taken in the insert's transaction
//! (the project's row locked on PostgreSQL; SQLite has one writer; a unique index backs it).
//!
//! Two ledger checks run in their writing transactions:
//! - a dispatch locks the note's row, then its items' rows (PostgreSQL `FOR UPDATE`, in id
//!   order, the lock the production ledger takes too), reads what each item holds in the
//!   packed stage (`workshop_moves` into and out of the project's stage of kind `packed`) and
//!   what other notes dispatched of it, and refuses a line beyond the difference;
//! - a receipt locks the note's row, reads its lines and refuses a line going past what was
//!   dispatched on it.

use std::collections::BTreeMap;

use formula_app::error::AppError;
use formula_app::repos::DeliveryRepo;
use formula_domain::audit::AuditEntry;
use formula_domain::delivery::{
    DeliveryLine, DeliveryNote, DeliveryReceipt, DeliveryReceiptLine, DeliveryStatus,
    DeliverySummary, NewReceipt, NoteDetails, PackedItem, check_dispatch, check_receipt_line,
    note_code, status_after_receipt,
};
use formula_domain::errors::FieldErrors;
use formula_domain::scope::Quantity;
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::{Backend, Db};
use crate::rows::parse_enum;
use crate::sql::Stmt;

/// What is in an item's packed stage (`i` is the scope item): into it minus out of it.
const PACKED: &str = "CAST(COALESCE((SELECT SUM(m.quantity_milli) FROM workshop_moves m \
     JOIN workshop_stages s ON s.id = m.to_stage_id \
     WHERE m.scope_item_id = i.id AND s.kind = 'packed'), 0) \
     - COALESCE((SELECT SUM(m.quantity_milli) FROM workshop_moves m \
     JOIN workshop_stages s ON s.id = m.from_stage_id \
     WHERE m.scope_item_id = i.id AND s.kind = 'packed'), 0) AS BIGINT)";

/// What notes on the road took of an item (`i`).
const DISPATCHED: &str = "CAST(COALESCE((SELECT SUM(dl.quantity_milli) FROM delivery_note_lines dl \
     JOIN delivery_notes dn ON dn.id = dl.delivery_note_id \
     WHERE dl.scope_item_id = i.id \
     AND dn.status IN ('dispatched', 'partially_received', 'received')), 0) AS BIGINT)";

/// Where an item goes (`i`): its room's code, or its room type's.
const PLACE: &str = "COALESCE((SELECT r.code FROM locations r WHERE r.id = i.room_id), \
     (SELECT t.code FROM room_types t WHERE t.id = i.room_type_id))";

const NOTE: &str = "SELECT n.id, n.project_id, n.number, n.status, n.destination_id, \
     CASE WHEN d.id IS NULL THEN NULL ELSE d.code || ' ' || d.name END AS destination, \
     n.address, n.planned_on, n.vehicle, n.driver, n.notes, n.created_by, \
     cu.name AS created_by_name, n.created_at, du.name AS dispatched_by_name, n.dispatched_at, \
     n.cancelled_at, n.cancelled_reason, n.updated_at, n.version \
     FROM delivery_notes n LEFT JOIN locations d ON d.id = n.destination_id \
     LEFT JOIN users cu ON cu.id = n.created_by LEFT JOIN users du ON du.id = n.dispatched_by";

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: Uuid,
    project_id: Uuid,
    number: i64,
    status: String,
    destination_id: Option<Uuid>,
    destination: Option<String>,
    address: Option<String>,
    planned_on: Option<Date>,
    vehicle: Option<String>,
    driver: Option<String>,
    notes: Option<String>,
    created_by: Option<Uuid>,
    created_by_name: Option<String>,
    created_at: OffsetDateTime,
    dispatched_by_name: Option<String>,
    dispatched_at: Option<OffsetDateTime>,
    cancelled_at: Option<OffsetDateTime>,
    cancelled_reason: Option<String>,
    updated_at: OffsetDateTime,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: Uuid,
    position: i64,
    scope_item_id: Uuid,
    item_code: String,
    item_name: String,
    unit: String,
    place: Option<String>,
    quantity_milli: i64,
    received_milli: i64,
    note: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ReceiptRow {
    id: Uuid,
    delivery_note_id: Uuid,
    received_on: Date,
    received_by: Option<Uuid>,
    received_by_name: Option<String>,
    signed_name: String,
    note: Option<String>,
    recorded_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct ReceiptLineRow {
    receipt_id: Uuid,
    line_id: Uuid,
    position: i64,
    item_code: String,
    quantity_milli: i64,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: Uuid,
    number: i64,
    status: String,
    destination: Option<String>,
    planned_on: Option<Date>,
    vehicle: Option<String>,
    driver: Option<String>,
    line_count: i64,
    quantity_milli: i64,
    received_milli: i64,
    dispatched_at: Option<OffsetDateTime>,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct PackedRow {
    scope_item_id: Uuid,
    code: String,
    name: String,
    unit: String,
    place: Option<String>,
    packed_milli: i64,
    dispatched_milli: i64,
}

#[derive(sqlx::FromRow)]
struct StateRow {
    project_id: Uuid,
    number: i64,
    status: String,
    version: i64,
    updated_at: OffsetDateTime,
}

fn lines_sql() -> String {
    format!(
        "SELECT l.id, l.position, l.scope_item_id, i.code AS item_code, i.name AS item_name, \
         i.unit, {PLACE} AS place, l.quantity_milli, l.received_milli, l.note \
         FROM delivery_note_lines l JOIN scope_items i ON i.id = l.scope_item_id \
         WHERE l.delivery_note_id = $1 ORDER BY l.position, l.id"
    )
}

const RECEIPTS: &str = "SELECT r.id, r.delivery_note_id, r.received_on, r.received_by, \
     u.name AS received_by_name, r.signed_name, r.note, r.recorded_at \
     FROM delivery_receipts r LEFT JOIN users u ON u.id = r.received_by \
     WHERE r.delivery_note_id = $1 ORDER BY r.recorded_at DESC, r.id DESC";

const RECEIPT_LINES: &str = "SELECT g.receipt_id, g.line_id, l.position, i.code AS item_code, \
     g.quantity_milli FROM delivery_receipt_lines g \
     JOIN delivery_note_lines l ON l.id = g.line_id \
     JOIN scope_items i ON i.id = l.scope_item_id \
     WHERE l.delivery_note_id = $1 ORDER BY l.position";

fn conflict(code: &'static str, field: &str, message: String) -> DbError {
    let mut fields = FieldErrors::new();
    fields.add(field, message.clone());
    DbError::App(AppError::Conflict {
        code,
        message,
        fields,
    })
}

fn state_of(id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT project_id, number, status, version, updated_at FROM delivery_notes WHERE id = $1",
    )
    .bind(id)
}

/// Why a write to a planned note found nothing to write: gone, moved on, or no longer
/// planned.
fn refused(current: Option<StateRow>, expected_version: i64) -> DbError {
    let Some(s) = current else {
        return DbError::App(AppError::NotFound("delivery note"));
    };
    if s.status != DeliveryStatus::Planned.as_str() {
        return not_planned(&s);
    }
    if s.version != expected_version {
        return DbError::App(AppError::Stale {
            current_version: s.version,
            updated_by: None,
            updated_at: Some(s.updated_at),
        });
    }
    DbError::App(AppError::NotFound("delivery note"))
}

fn not_planned(s: &StateRow) -> DbError {
    conflict(
        "not_planned",
        "status",
        format!(
            "{} is {}: only a planned note is edited, dispatched or cancelled",
            note_code(s.number),
            s.status.replace('_', " ")
        ),
    )
}

impl Db {
    fn lock(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }
}

/// Writes the lines of a note (its old ones gone), checking each item is the project's.
macro_rules! write_lines {
    ($tx:ident, $project_id:expr, $note_id:expr, $details:expr) => {{
        let details: &NoteDetails = $details;
        if let Some(dest) = details.destination_id {
            let found = fetch_scalars!(
                &mut *$tx,
                Uuid,
                Stmt::new(
                    "SELECT id FROM locations WHERE id = $1 AND project_id = $2 \
                     AND kind IN ('building', 'level', 'zone')"
                )
                .bind(dest)
                .bind($project_id)
            )?;
            if found.is_empty() {
                return Err(DbError::App(AppError::field(
                    "destination_id",
                    "must be a building, level or zone of the project",
                )));
            }
        }
        exec!(
            &mut *$tx,
            Stmt::new("DELETE FROM delivery_note_lines WHERE delivery_note_id = $1").bind($note_id)
        )?;
        for (i, l) in details.lines.iter().enumerate() {
            let found = fetch_scalars!(
                &mut *$tx,
                Uuid,
                Stmt::new("SELECT id FROM scope_items WHERE id = $1 AND project_id = $2")
                    .bind(l.scope_item_id)
                    .bind($project_id)
            )?;
            if found.is_empty() {
                return Err(DbError::App(AppError::field(
                    &format!("lines[{i}].scope_item_id"),
                    "must be one of the project's scope items",
                )));
            }
            exec!(
                &mut *$tx,
                Stmt::new(
                    "INSERT INTO delivery_note_lines (id, delivery_note_id, position, \
                     scope_item_id, quantity_milli, received_milli, note) \
                     VALUES ($1, $2, $3, $4, $5, 0, $6)"
                )
                .bind(l.id)
                .bind($note_id)
                .bind(i as i64 + 1)
                .bind(l.scope_item_id)
                .bind(l.quantity.0)
                .bind(&l.note)
            )?;
        }
    }};
}

#[repo]
impl DeliveryRepo for Db {
    async fn insert_delivery_note(
        &self,
        project_id: Uuid,
        id: Uuid,
        details: &NoteDetails,
        created_by: Uuid,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<i64> {
        let lock = self.lock();
        let lock_project =
            Stmt::new(format!("SELECT id FROM projects WHERE id = $1{lock}")).bind(project_id);
        let next = Stmt::new(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM delivery_notes WHERE project_id = $1",
        )
        .bind(project_id);
        let number = in_tx!(self, |tx| {
            if fetch_scalars!(&mut *tx, Uuid, lock_project)?.is_empty() {
                return Err(DbError::App(AppError::NotFound("project")));
            }
            let number = fetch_scalar!(&mut *tx, i64, next)?;
            exec!(
                &mut *tx,
                Stmt::new(
                    "INSERT INTO delivery_notes (id, project_id, number, destination_id, address, \
                     planned_on, vehicle, driver, notes, status, created_by, created_at, \
                     updated_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'planned', $10, $11, $11, 1)"
                )
                .bind(id)
                .bind(project_id)
                .bind(number)
                .bind(details.destination_id)
                .bind(&details.address)
                .bind(details.planned_on)
                .bind(&details.vehicle)
                .bind(&details.driver)
                .bind(&details.notes)
                .bind(created_by)
                .bind(at)
            )?;
            write_lines!(tx, project_id, id, details);
            let mut entry = entry.clone();
            entry.entity_label = note_code(number);
            exec!(&mut *tx, audit::insert(&entry))?;
            number
        });
        Ok(number)
    }

    async fn update_delivery_note(
        &self,
        id: Uuid,
        details: &NoteDetails,
        at: OffsetDateTime,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let lock = self.lock();
        let current = Stmt::new(format!(
            "SELECT project_id, number, status, version, updated_at FROM delivery_notes \
             WHERE id = $1{lock}"
        ))
        .bind(id);
        in_tx!(self, |tx| {
            let state = fetch_optional!(&mut *tx, StateRow, current)?;
            let ok = state.as_ref().is_some_and(|s| {
                s.status == DeliveryStatus::Planned.as_str() && s.version == expected_version
            });
            let Some(state) = state.filter(|_| ok) else {
                return Err(refused(
                    fetch_optional!(&mut *tx, StateRow, state_of(id))?,
                    expected_version,
                ));
            };
            exec!(
                &mut *tx,
                Stmt::new(
                    "UPDATE delivery_notes SET destination_id = $1, address = $2, planned_on = $3, \
                     vehicle = $4, driver = $5, notes = $6, updated_at = $7, version = version + 1 \
                     WHERE id = $8"
                )
                .bind(details.destination_id)
                .bind(&details.address)
                .bind(details.planned_on)
                .bind(&details.vehicle)
                .bind(&details.driver)
                .bind(&details.notes)
                .bind(at)
                .bind(id)
            )?;
            write_lines!(tx, state.project_id, id, details);
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn dispatch_delivery_note(
        &self,
        id: Uuid,
        by: Uuid,
        at: OffsetDateTime,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let lock = self.lock();
        let current = Stmt::new(format!(
            "SELECT project_id, number, status, version, updated_at FROM delivery_notes \
             WHERE id = $1{lock}"
        ))
        .bind(id);
        let wanted = Stmt::new(
            "SELECT l.scope_item_id, CAST(SUM(l.quantity_milli) AS BIGINT) AS quantity_milli \
             FROM delivery_note_lines l WHERE l.delivery_note_id = $1 \
             GROUP BY l.scope_item_id ORDER BY l.scope_item_id",
        )
        .bind(id);
        in_tx!(self, |tx| {
            let state = fetch_optional!(&mut *tx, StateRow, current)?;
            let ok = state.as_ref().is_some_and(|s| {
                s.status == DeliveryStatus::Planned.as_str() && s.version == expected_version
            });
            if !ok {
                return Err(refused(
                    fetch_optional!(&mut *tx, StateRow, state_of(id))?,
                    expected_version,
                ));
            }
            let wanted: Vec<(Uuid, i64)> = fetch_all!(&mut *tx, WantedRow, wanted)?
                .into_iter()
                .map(|w| (w.scope_item_id, w.quantity_milli))
                .collect();
            if wanted.is_empty() {
                return Err(conflict(
                    "no_lines",
                    "lines",
                    "a note with no lines cannot be dispatched: add what it takes first".into(),
                ));
            }
            // Every item's row, in id order (the order the production ledger locks in too),
            // so two dispatches of the same items wait for each other without a deadlock.
            for (item, quantity) in &wanted {
                let row = fetch_optional!(
                    &mut *tx,
                    ItemCodeRow,
                    Stmt::new(format!("SELECT code FROM scope_items WHERE id = $1{lock}"))
                        .bind(*item)
                )?;
                let Some(row) = row else {
                    return Err(DbError::App(AppError::NotFound("scope item")));
                };
                let held = fetch_optional!(
                    &mut *tx,
                    HeldRow,
                    Stmt::new(format!(
                        "SELECT {PACKED} AS packed_milli, {DISPATCHED} AS dispatched_milli \
                         FROM scope_items i WHERE i.id = $1"
                    ))
                    .bind(*item)
                )?
                .unwrap_or(HeldRow {
                    packed_milli: 0,
                    dispatched_milli: 0,
                });
                check_dispatch(
                    &row.code,
                    Quantity(*quantity),
                    Quantity(held.packed_milli),
                    Quantity(held.dispatched_milli),
                )
                .map_err(|why| conflict(why.code(), "lines", why.message().to_owned()))?;
            }
            exec!(
                &mut *tx,
                Stmt::new(
                    "UPDATE delivery_notes SET status = 'dispatched', dispatched_by = $1, \
                     dispatched_at = $2, updated_at = $2, version = version + 1 WHERE id = $3"
                )
                .bind(by)
                .bind(at)
                .bind(id)
            )?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn cancel_delivery_note(
        &self,
        id: Uuid,
        reason: Option<&str>,
        at: OffsetDateTime,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "UPDATE delivery_notes SET status = 'cancelled', cancelled_at = $1, \
             cancelled_reason = $2, updated_at = $1, version = version + 1 \
             WHERE id = $3 AND version = $4 AND status = 'planned'",
        )
        .bind(at)
        .bind(reason.map(str::to_owned))
        .bind(id)
        .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(refused(
                    fetch_optional!(&mut *tx, StateRow, state_of(id))?,
                    expected_version,
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn record_delivery_receipt(
        &self,
        new: &NewReceipt,
        entry: &AuditEntry,
    ) -> DbResult<DeliveryStatus> {
        if new.lines.is_empty() {
            return Err(DbError::App(AppError::field(
                "lines",
                "receive at least one line",
            )));
        }
        let lock = self.lock();
        let current = Stmt::new(format!(
            "SELECT project_id, number, status, version, updated_at FROM delivery_notes \
             WHERE id = $1{lock}"
        ))
        .bind(new.delivery_note_id);
        let lines = Stmt::new(lines_sql()).bind(new.delivery_note_id);
        let status = in_tx!(self, |tx| {
            let Some(state) = fetch_optional!(&mut *tx, StateRow, current)? else {
                return Err(DbError::App(AppError::NotFound("delivery note")));
            };
            let status: DeliveryStatus = parse_enum(&state.status, "delivery_notes.status")?;
            if !status.receivable() {
                return Err(conflict(
                    "not_receivable",
                    "lines",
                    format!(
                        "{} is {}: goods are received on a dispatched note only",
                        note_code(state.number),
                        status.label().to_lowercase()
                    ),
                ));
            }
            let lines = fetch_all!(&mut *tx, LineRow, lines)?;
            if let Some((stray, _)) = new
                .lines
                .iter()
                .find(|(id, _)| !lines.iter().any(|l| l.id == *id))
            {
                return Err(DbError::App(AppError::field(
                    "lines",
                    format!("{stray} is not a line of {}", note_code(state.number)),
                )));
            }
            let mut after = Vec::with_capacity(lines.len());
            let mut touched = Vec::new();
            for l in &lines {
                let mut received = l.received_milli;
                for (_, q) in new.lines.iter().filter(|(id, _)| *id == l.id) {
                    check_receipt_line(
                        l.position,
                        &l.item_code,
                        Quantity(l.quantity_milli),
                        Quantity(received),
                        *q,
                    )
                    .map_err(|why| conflict(why.code(), "lines", why.message().to_owned()))?;
                    received += q.0;
                }
                if received != l.received_milli {
                    touched.push((l.id, received));
                }
                after.push((Quantity(l.quantity_milli), Quantity(received)));
            }
            exec!(
                &mut *tx,
                Stmt::new(
                    "INSERT INTO delivery_receipts (id, delivery_note_id, received_on, received_by, \
                     signed_name, note, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                )
                .bind(new.id)
                .bind(new.delivery_note_id)
                .bind(new.received_on)
                .bind(new.received_by)
                .bind(&new.signed_name)
                .bind(&new.note)
                .bind(new.recorded_at)
            )?;
            for (line_id, q) in &new.lines {
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "INSERT INTO delivery_receipt_lines (receipt_id, line_id, quantity_milli) \
                         VALUES ($1, $2, $3)"
                    )
                    .bind(new.id)
                    .bind(*line_id)
                    .bind(q.0)
                )?;
            }
            for (line_id, received) in &touched {
                exec!(
                    &mut *tx,
                    Stmt::new("UPDATE delivery_note_lines SET received_milli = $1 WHERE id = $2")
                        .bind(*received)
                        .bind(*line_id)
                )?;
            }
            let next = status_after_receipt(&after);
            exec!(
                &mut *tx,
                Stmt::new(
                    "UPDATE delivery_notes SET status = $1, updated_at = $2, \
                     version = version + 1 WHERE id = $3"
                )
                .bind(next.as_str())
                .bind(new.recorded_at)
                .bind(new.delivery_note_id)
            )?;
            exec!(&mut *tx, audit::insert(entry))?;
            next
        });
        Ok(status)
    }

    async fn get_delivery_note(&self, id: Uuid) -> DbResult<Option<DeliveryNote>> {
        let note = Stmt::new(format!("{NOTE} WHERE n.id = $1")).bind(id);
        let lines = Stmt::new(lines_sql()).bind(id);
        let receipts = Stmt::new(RECEIPTS).bind(id);
        let receipt_lines = Stmt::new(RECEIPT_LINES).bind(id);
        let (note, lines, receipts, receipt_lines) = on_reader!(self, |pool| {
            let n = fetch_optional!(pool, NoteRow, note)?;
            let l = fetch_all!(pool, LineRow, lines)?;
            let r = fetch_all!(pool, ReceiptRow, receipts)?;
            (n, l, r, fetch_all!(pool, ReceiptLineRow, receipt_lines)?)
        });
        let Some(n) = note else {
            return Ok(None);
        };
        let status: DeliveryStatus = parse_enum(&n.status, "delivery_notes.status")?;
        let on_road = status.on_the_road();
        let mut by: BTreeMap<Uuid, Vec<DeliveryReceiptLine>> = BTreeMap::new();
        for l in receipt_lines {
            by.entry(l.receipt_id)
                .or_default()
                .push(DeliveryReceiptLine {
                    line_id: l.line_id,
                    position: l.position,
                    item_code: l.item_code,
                    quantity: Quantity(l.quantity_milli),
                });
        }
        Ok(Some(DeliveryNote {
            id: n.id,
            project_id: n.project_id,
            number: n.number,
            code: note_code(n.number),
            status,
            destination_id: n.destination_id,
            destination: n.destination,
            address: n.address,
            planned_on: n.planned_on,
            vehicle: n.vehicle,
            driver: n.driver,
            notes: n.notes,
            created_by: n.created_by,
            created_by_name: n.created_by_name,
            created_at: n.created_at,
            dispatched_by_name: n.dispatched_by_name,
            dispatched_at: n.dispatched_at,
            cancelled_at: n.cancelled_at,
            cancelled_reason: n.cancelled_reason,
            updated_at: n.updated_at,
            version: n.version,
            lines: lines
                .into_iter()
                .map(|l| DeliveryLine {
                    id: l.id,
                    position: l.position,
                    scope_item_id: l.scope_item_id,
                    item_code: l.item_code,
                    item_name: l.item_name,
                    unit: l.unit,
                    place: l.place,
                    quantity: Quantity(l.quantity_milli),
                    received: Quantity(l.received_milli),
                    remaining: if on_road {
                        Quantity((l.quantity_milli - l.received_milli).max(0))
                    } else {
                        Quantity(0)
                    },
                    note: l.note,
                })
                .collect(),
            receipts: receipts
                .into_iter()
                .map(|r| DeliveryReceipt {
                    lines: by.remove(&r.id).unwrap_or_default(),
                    id: r.id,
                    delivery_note_id: r.delivery_note_id,
                    received_on: r.received_on,
                    received_by: r.received_by,
                    received_by_name: r.received_by_name,
                    signed_name: r.signed_name,
                    note: r.note,
                    recorded_at: r.recorded_at,
                    photos: Vec::new(),
                })
                .collect(),
        }))
    }

    async fn delivery_note_of_receipt(&self, receipt_id: Uuid) -> DbResult<Option<Uuid>> {
        let stmt = Stmt::new("SELECT delivery_note_id FROM delivery_receipts WHERE id = $1")
            .bind(receipt_id);
        let ids = on_reader!(self, |pool| fetch_scalars!(pool, Uuid, stmt)?);
        Ok(ids.into_iter().next())
    }

    async fn list_delivery_notes(
        &self,
        project_id: Uuid,
        status: Option<DeliveryStatus>,
    ) -> DbResult<Vec<DeliverySummary>> {
        let mut stmt = Stmt::new(
            "SELECT n.id, n.number, n.status, \
             CASE WHEN d.id IS NULL THEN NULL ELSE d.code || ' ' || d.name END AS destination, \
             n.planned_on, n.vehicle, n.driver, \
             CAST((SELECT COUNT(*) FROM delivery_note_lines l WHERE l.delivery_note_id = n.id) AS BIGINT) AS line_count, \
             CAST(COALESCE((SELECT SUM(l.quantity_milli) FROM delivery_note_lines l WHERE l.delivery_note_id = n.id), 0) AS BIGINT) AS quantity_milli, \
             CAST(COALESCE((SELECT SUM(l.received_milli) FROM delivery_note_lines l WHERE l.delivery_note_id = n.id), 0) AS BIGINT) AS received_milli, \
             n.dispatched_at, n.version \
             FROM delivery_notes n LEFT JOIN locations d ON d.id = n.destination_id \
             WHERE n.project_id = $1",
        )
        .bind(project_id);
        if let Some(s) = status {
            stmt.sql.push_str(" AND n.status = $2");
            stmt = stmt.bind(s.as_str());
        }
        stmt.sql.push_str(" ORDER BY n.number DESC");
        let rows = on_reader!(self, |pool| fetch_all!(pool, SummaryRow, stmt)?);
        rows.into_iter()
            .map(|r| {
                Ok(DeliverySummary {
                    id: r.id,
                    number: r.number,
                    code: note_code(r.number),
                    status: parse_enum(&r.status, "delivery_notes.status")?,
                    destination: r.destination,
                    planned_on: r.planned_on,
                    vehicle: r.vehicle,
                    driver: r.driver,
                    line_count: r.line_count,
                    quantity: Quantity(r.quantity_milli),
                    received: Quantity(r.received_milli),
                    dispatched_at: r.dispatched_at,
                    version: r.version,
                })
            })
            .collect()
    }

    async fn packed_items(&self, project_id: Uuid) -> DbResult<Vec<PackedItem>> {
        let stmt = Stmt::new(format!(
            "SELECT * FROM (SELECT i.id AS scope_item_id, i.code, i.name, i.unit, {PLACE} AS place, \
             {PACKED} AS packed_milli, {DISPATCHED} AS dispatched_milli \
             FROM scope_items i WHERE i.project_id = $1) x \
             WHERE x.packed_milli > 0 OR x.dispatched_milli > 0 ORDER BY x.code, x.scope_item_id"
        ))
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, PackedRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| PackedItem {
                scope_item_id: r.scope_item_id,
                code: r.code,
                name: r.name,
                unit: r.unit,
                place: r.place,
                packed: Quantity(r.packed_milli),
                dispatched: Quantity(r.dispatched_milli),
                available: Quantity((r.packed_milli - r.dispatched_milli).max(0)),
            })
            .collect())
    }
}

#[derive(sqlx::FromRow)]
struct WantedRow {
    scope_item_id: Uuid,
    quantity_milli: i64,
}

#[derive(sqlx::FromRow)]
struct ItemCodeRow {
    code: String,
}

#[derive(sqlx::FromRow)]
struct HeldRow {
    packed_milli: i64,
    dispatched_milli: i64,
}
