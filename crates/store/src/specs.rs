//! Material specifications with their links to scope items and drawings, and the
//! approval decisions recorded on them.

use formula_app::repos::{DirectoryAdditions, SpecOrderLine, SpecRepo};
use formula_store_macros::repo;
use std::collections::HashMap;

use formula_app::error::AppError;
use formula_domain::audit::AuditEntry;
use formula_domain::scope::Quantity;
use formula_domain::spec::{Spec, SpecReview};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::parse_enum;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct SpecRow {
    id: Uuid,
    project_id: Uuid,
    code: String,
    description: String,
    category: String,
    material: Option<String>,
    finish: Option<String>,
    colour: Option<String>,
    dimensions: Option<String>,
    hardware: Option<String>,
    quantity_milli: i64,
    unit: String,
    unit_cost_minor: Option<i64>,
    total_minor: Option<i64>,
    currency: String,
    supplier: Option<String>,
    supplier_contact: Option<String>,
    supplier_id: Option<Uuid>,
    supplier_name: Option<String>,
    supplier_contact_id: Option<Uuid>,
    supplier_contact_name: Option<String>,
    part_number: Option<String>,
    lead_time_days: Option<i32>,
    location: Option<String>,
    phase: Option<String>,
    needed_on: Option<Date>,
    status: String,
    procurement: Option<String>,
    po_number: Option<String>,
    order_date: Option<Date>,
    expected_delivery: Option<Date>,
    delivered_milli: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    updated_by_name: Option<String>,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct OrderLineRow {
    id: Uuid,
    number: String,
    status: String,
    quantity_milli: i64,
    received_milli: i64,
    unit: String,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    spec_id: Uuid,
    other: Uuid,
}

const SELECT: &str = "SELECT s.id, s.project_id, s.code, s.description, s.category, s.material, s.finish, \
     s.colour, s.dimensions, s.hardware, s.quantity_milli, s.unit, s.unit_cost_minor, s.total_minor, p.currency, \
     s.supplier, s.supplier_contact, s.supplier_id, sup.name AS supplier_name, \
     s.supplier_contact_id, sc.name AS supplier_contact_name, s.part_number, s.lead_time_days, s.location, s.phase, s.needed_on, s.status, \
     s.procurement, s.po_number, s.order_date, s.expected_delivery, s.delivered_milli, s.created_at, s.updated_at, \
     u.name AS updated_by_name, s.version FROM specs s JOIN projects p ON p.id = s.project_id \
     LEFT JOIN users u ON u.id = s.updated_by LEFT JOIN suppliers sup ON sup.id = s.supplier_id \
     LEFT JOIN supplier_contacts sc ON sc.id = s.supplier_contact_id";

fn assemble(
    rows: Vec<SpecRow>,
    items: Vec<LinkRow>,
    drawings: Vec<LinkRow>,
) -> DbResult<Vec<Spec>> {
    let group = |links: Vec<LinkRow>| {
        let mut m: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for l in links {
            m.entry(l.spec_id).or_default().push(l.other);
        }
        m
    };
    let (mut items, mut drawings) = (group(items), group(drawings));
    rows.into_iter()
        .map(|r| {
            Ok(Spec {
                scope_item_ids: items.remove(&r.id).unwrap_or_default(),
                drawing_ids: drawings.remove(&r.id).unwrap_or_default(),
                id: r.id,
                project_id: r.project_id,
                code: r.code,
                description: r.description,
                category: parse_enum(&r.category, "specs.category")?,
                material: r.material,
                finish: r.finish,
                colour: r.colour,
                dimensions: r.dimensions,
                hardware: r.hardware,
                quantity: Quantity(r.quantity_milli),
                unit: r.unit,
                unit_cost_minor: r.unit_cost_minor,
                total_minor: r.total_minor,
                currency: r.currency,
                supplier: r.supplier,
                supplier_contact: r.supplier_contact,
                supplier_id: r.supplier_id,
                supplier_name: r.supplier_name,
                supplier_contact_id: r.supplier_contact_id,
                supplier_contact_name: r.supplier_contact_name,
                part_number: r.part_number,
                lead_time_days: r.lead_time_days,
                location: r.location,
                phase: r.phase,
                needed_on: r.needed_on,
                status: parse_enum(&r.status, "specs.status")?,
                procurement: r
                    .procurement
                    .as_deref()
                    .map(|p| parse_enum(p, "specs.procurement"))
                    .transpose()?,
                po_number: r.po_number,
                order_date: r.order_date,
                expected_delivery: r.expected_delivery,
                delivered_quantity: Quantity(r.delivered_milli),
                created_at: r.created_at,
                updated_at: r.updated_at,
                updated_by_name: r.updated_by_name,
                version: r.version,
            })
        })
        .collect()
}

async fn load(db: &Db, filter: &str, id: Uuid) -> DbResult<Vec<Spec>> {
    let rows = Stmt::new(format!(
        "{SELECT} WHERE {filter} ORDER BY lower(s.code), s.id"
    ))
    .bind(id);
    let items = Stmt::new(format!(
        "SELECT l.spec_id, l.scope_item_id AS other FROM spec_scope_items l JOIN specs s ON s.id = l.spec_id \
         WHERE {filter} ORDER BY l.scope_item_id"
    ))
    .bind(id);
    let drawings = Stmt::new(format!(
        "SELECT l.spec_id, l.drawing_id AS other FROM spec_drawings l JOIN specs s ON s.id = l.spec_id \
         WHERE {filter} ORDER BY l.drawing_id"
    ))
    .bind(id);
    let (rows, items, drawings) = on_reader!(db, |pool| (
        fetch_all!(pool, SpecRow, rows)?,
        fetch_all!(pool, LinkRow, items)?,
        fetch_all!(pool, LinkRow, drawings)?
    ));
    assemble(rows, items, drawings)
}

/// The statements that replace a spec's links.
fn links(s: &Spec) -> Vec<Stmt> {
    let mut out = vec![
        Stmt::new("DELETE FROM spec_scope_items WHERE spec_id = $1").bind(s.id),
        Stmt::new("DELETE FROM spec_drawings WHERE spec_id = $1").bind(s.id),
    ];
    // The supplier and its contact are set apart from the insert, so that a specification
    // without them is written the same on a schema from before the directory (the
    // migrations' tests do).
    if let Some(supplier) = s.supplier_id {
        out.push(
            Stmt::new("UPDATE specs SET supplier_id = $1 WHERE id = $2")
                .bind(supplier)
                .bind(s.id),
        );
    }
    if let Some(contact) = s.supplier_contact_id {
        out.push(
            Stmt::new("UPDATE specs SET supplier_contact_id = $1 WHERE id = $2")
                .bind(contact)
                .bind(s.id),
        );
    }
    for i in &s.scope_item_ids {
        out.push(
            Stmt::new("INSERT INTO spec_scope_items (spec_id, scope_item_id) VALUES ($1, $2)")
                .bind(s.id)
                .bind(*i),
        );
    }
    for d in &s.drawing_ids {
        out.push(
            Stmt::new("INSERT INTO spec_drawings (spec_id, drawing_id) VALUES ($1, $2)")
                .bind(s.id)
                .bind(*d),
        );
    }
    out
}

fn insert_stmt(s: &Spec, actor: Option<Uuid>) -> Stmt {
    Stmt::new(
        "INSERT INTO specs (id, project_id, code, description, category, material, finish, colour, dimensions, \
         hardware, quantity_milli, unit, unit_cost_minor, total_minor, supplier, supplier_contact, part_number, \
         lead_time_days, location, phase, needed_on, status, procurement, po_number, order_date, expected_delivery, \
         delivered_milli, created_at, updated_at, updated_by, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)",
    )
    .bind(s.id)
    .bind(s.project_id)
    .bind(&s.code)
    .bind(&s.description)
    .bind(s.category.as_str())
    .bind(&s.material)
    .bind(&s.finish)
    .bind(&s.colour)
    .bind(&s.dimensions)
    .bind(&s.hardware)
    .bind(s.quantity.0)
    .bind(&s.unit)
    .bind(s.unit_cost_minor)
    .bind(s.total_minor)
    .bind(&s.supplier)
    .bind(&s.supplier_contact)
    .bind(&s.part_number)
    .bind(s.lead_time_days)
    .bind(&s.location)
    .bind(&s.phase)
    .bind(s.needed_on)
    .bind(s.status.as_str())
    .bind(s.procurement.map(|p| p.as_str()))
    .bind(&s.po_number)
    .bind(s.order_date)
    .bind(s.expected_delivery)
    .bind(s.delivered_quantity.0)
    .bind(s.created_at)
    .bind(s.updated_at)
    .bind(actor)
    .bind(s.version)
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
    updated_by_name: Option<String>,
}

fn update_stmt(s: &Spec, expected_version: i64, actor: Option<Uuid>) -> Stmt {
    Stmt::new(
        "UPDATE specs SET code = $1, description = $2, category = $3, material = $4, finish = $5, colour = $6, \
         dimensions = $7, hardware = $8, quantity_milli = $9, unit = $10, unit_cost_minor = $11, total_minor = $12, \
         supplier = $13, supplier_contact = $14, part_number = $15, lead_time_days = $16, location = $17, phase = $18, \
         needed_on = $19, status = $20, procurement = $21, po_number = $22, order_date = $23, expected_delivery = $24, \
         delivered_milli = $25, updated_at = $26, updated_by = $27, version = version + 1, supplier_id = $30, \
         supplier_contact_id = $31 \
         WHERE id = $28 AND version = $29",
    )
    .bind(&s.code)
    .bind(&s.description)
    .bind(s.category.as_str())
    .bind(&s.material)
    .bind(&s.finish)
    .bind(&s.colour)
    .bind(&s.dimensions)
    .bind(&s.hardware)
    .bind(s.quantity.0)
    .bind(&s.unit)
    .bind(s.unit_cost_minor)
    .bind(s.total_minor)
    .bind(&s.supplier)
    .bind(&s.supplier_contact)
    .bind(&s.part_number)
    .bind(s.lead_time_days)
    .bind(&s.location)
    .bind(&s.phase)
    .bind(s.needed_on)
    .bind(s.status.as_str())
    .bind(s.procurement.map(|p| p.as_str()))
    .bind(&s.po_number)
    .bind(s.order_date)
    .bind(s.expected_delivery)
    .bind(s.delivered_quantity.0)
    .bind(s.updated_at)
    .bind(actor)
    .bind(s.id)
    .bind(expected_version)
    .bind(s.supplier_id)
    .bind(s.supplier_contact_id)
}

/// A stale-version or not-found error for a spec whose compare-and-set matched no row.
fn stale_version(id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT s.version, s.updated_at, u.name AS updated_by_name FROM specs s \
         LEFT JOIN users u ON u.id = s.updated_by WHERE s.id = $1",
    )
    .bind(id)
}

fn stale(row: Option<VersionRow>) -> DbError {
    match row {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: v.updated_by_name,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound("specification")),
    }
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: Uuid,
    spec_id: Uuid,
    reviewer_id: Option<Uuid>,
    reviewer_name: Option<String>,
    decision: String,
    comments: Option<String>,
    at: OffsetDateTime,
}

/// One specification with its current state and links (also read back after an update).
async fn spec_by_id(db: &Db, id: Uuid) -> DbResult<Option<Spec>> {
    Ok(load(db, "s.id = $1", id).await?.into_iter().next())
}

#[repo]
impl SpecRepo for Db {
    /// Inserts `new` and saves `changed` (compare-and-set on each expected version) in one
    /// transaction, with their audit entries: a stale one fails the whole call.
    async fn save_specs(
        &self,
        directory: &DirectoryAdditions,
        new: &[Spec],
        changed: &[(Spec, i64)],
        entries: &[AuditEntry],
    ) -> DbResult<()> {
        let actor = entries.first().and_then(|e| e.actor_id);
        in_tx!(self, |tx| {
            for s in &directory.suppliers {
                exec!(&mut *tx, crate::suppliers::insert_supplier_stmt(s))?;
            }
            for c in &directory.contacts {
                exec!(&mut *tx, crate::suppliers::append_contact_stmt(c))?;
            }
            for s in new {
                exec!(&mut *tx, insert_stmt(s, actor))?;
                for l in links(s) {
                    exec!(&mut *tx, l)?;
                }
            }
            for (s, expected) in changed {
                if exec!(&mut *tx, update_stmt(s, *expected, actor))?.rows_affected() == 0 {
                    return Err(stale(fetch_optional!(
                        &mut *tx,
                        VersionRow,
                        stale_version(s.id)
                    )?));
                }
                for l in links(s) {
                    exec!(&mut *tx, l)?;
                }
            }
            for e in entries {
                exec!(&mut *tx, audit::insert(e))?;
            }
        });
        Ok(())
    }

    async fn spec_order_lines(&self, spec_id: Uuid) -> DbResult<Vec<SpecOrderLine>> {
        let stmt = Stmt::new(
            "SELECT o.id, o.number, o.status, l.quantity_milli, l.received_milli, l.unit \
             FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.purchase_order_id \
             WHERE l.spec_id = $1 ORDER BY o.number, l.position",
        )
        .bind(spec_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, OrderLineRow, stmt)?);
        rows.into_iter()
            .map(|r| {
                Ok(SpecOrderLine {
                    purchase_order_id: r.id,
                    number: r.number,
                    status: parse_enum(&r.status, "purchase_orders.status")?,
                    quantity: Quantity(r.quantity_milli),
                    received: Quantity(r.received_milli),
                    unit: r.unit,
                })
            })
            .collect()
    }

    async fn list_specs(&self, project_id: Uuid) -> DbResult<Vec<Spec>> {
        load(self, "s.project_id = $1", project_id).await
    }

    async fn get_spec(&self, id: Uuid) -> DbResult<Option<Spec>> {
        spec_by_id(self, id).await
    }

    async fn insert_spec(&self, s: &Spec, entry: &AuditEntry) -> DbResult<()> {
        let stmt = insert_stmt(s, entry.actor_id);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            for l in links(s) {
                exec!(&mut *tx, l)?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn update_spec(
        &self,
        s: &Spec,
        expected_version: i64,
        review: Option<&SpecReview>,
        entry: &AuditEntry,
    ) -> DbResult<Spec> {
        let stmt = update_stmt(s, expected_version, entry.actor_id);
        let version = stale_version(s.id);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(&mut *tx, VersionRow, version)?));
            }
            for l in links(s) {
                exec!(&mut *tx, l)?;
            }
            if let Some(v) = review {
                let insert = Stmt::new(
                    "INSERT INTO spec_reviews (id, spec_id, reviewer_id, reviewer_name, decision, comments, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(v.id)
                .bind(v.spec_id)
                .bind(v.reviewer_id)
                .bind(&v.reviewer_name)
                .bind(v.decision.as_str())
                .bind(&v.comments)
                .bind(v.at);
                exec!(&mut *tx, insert)?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        spec_by_id(self, s.id)
            .await?
            .ok_or(DbError::App(AppError::NotFound("specification")))
    }

    async fn list_spec_reviews(&self, spec_id: Uuid) -> DbResult<Vec<SpecReview>> {
        let stmt = Stmt::new(
            "SELECT id, spec_id, reviewer_id, reviewer_name, decision, comments, at FROM spec_reviews \
             WHERE spec_id = $1 ORDER BY at DESC, id DESC",
        )
        .bind(spec_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, ReviewRow, stmt)?);
        rows.into_iter()
            .map(|v| {
                Ok(SpecReview {
                    id: v.id,
                    spec_id: v.spec_id,
                    reviewer_id: v.reviewer_id,
                    reviewer_name: v.reviewer_name,
                    decision: parse_enum(&v.decision, "spec_reviews.decision")?,
                    comments: v.comments,
                    at: v.at,
                })
            })
            .collect()
    }
}
