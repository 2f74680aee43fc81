//! The supplier directory: suppliers (categories kept as comma-separated words), their
//! ordered contacts, and what refers to them (specifications, purchase orders).

use formula_app::error::AppError;
use formula_app::query::Page;
use formula_app::repos::{
    DeliveryRow, SupplierFilter, SupplierOrderRow, SupplierRepo, SupplierSpecRow,
};
use formula_domain::audit::AuditEntry;
use formula_domain::supplier::{Supplier, SupplierContact};
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::sql::{Filter, Stmt, escape_like, limit_offset};

const COLUMNS: &str = "s.id, s.name, s.categories, s.email, s.phone, s.website, s.address, \
     s.tax_number, s.payment_terms, s.lead_time_days, s.notes, (s.archived = 1) AS archived, \
     s.created_at, s.updated_at, s.version";

#[derive(sqlx::FromRow)]
struct SupplierRow {
    id: Uuid,
    name: String,
    categories: String,
    email: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    address: Option<String>,
    tax_number: Option<String>,
    payment_terms: Option<String>,
    lead_time_days: Option<i64>,
    notes: Option<String>,
    archived: bool,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    version: i64,
}

impl From<SupplierRow> for Supplier {
    fn from(r: SupplierRow) -> Self {
        Supplier {
            id: r.id,
            name: r.name,
            categories: r
                .categories
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            email: r.email,
            phone: r.phone,
            website: r.website,
            address: r.address,
            tax_number: r.tax_number,
            payment_terms: r.payment_terms,
            lead_time_days: r.lead_time_days.and_then(|d| i32::try_from(d).ok()),
            notes: r.notes,
            archived: r.archived,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: Uuid,
    supplier_id: Uuid,
    name: String,
    role: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    position: i64,
}

impl From<ContactRow> for SupplierContact {
    fn from(r: ContactRow) -> Self {
        SupplierContact {
            id: r.id,
            supplier_id: r.supplier_id,
            name: r.name,
            role: r.role,
            email: r.email,
            phone: r.phone,
            position: i32::try_from(r.position).unwrap_or(i32::MAX),
        }
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct SpecRow {
    project_id: Uuid,
    project_code: String,
    project_name: String,
    spec_id: Uuid,
    code: String,
    description: String,
    status: String,
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Uuid,
    project_id: Uuid,
    project_code: String,
    number: String,
    status: String,
    currency: String,
    total_minor: i64,
    required_on: Option<Date>,
    created_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct DeliveryDbRow {
    project_id: Uuid,
    required_on: Date,
    received_on: Date,
}

fn by_id(id: Uuid) -> Stmt {
    Stmt::new(format!("SELECT {COLUMNS} FROM suppliers s WHERE s.id = $1")).bind(id)
}

fn contacts_of(supplier_id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT id, supplier_id, name, role, email, phone, position FROM supplier_contacts \
         WHERE supplier_id = $1 ORDER BY position, id",
    )
    .bind(supplier_id)
}

fn stale(current: Option<VersionRow>) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: None,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound("supplier")),
    }
}

/// Numbers the contacts 0, 1, 2… in the order given.
fn renumber(ids: &[Uuid]) -> Vec<Stmt> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            Stmt::new("UPDATE supplier_contacts SET position = $1 WHERE id = $2")
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .bind(*id)
        })
        .collect()
}

/// Adds a supplier to the directory (`duplicate` on its name, whatever the case).
pub(crate) fn insert_supplier_stmt(s: &Supplier) -> Stmt {
    Stmt::new(
        "INSERT INTO suppliers (id, name, categories, email, phone, website, address, \
         tax_number, payment_terms, lead_time_days, notes, archived, created_at, updated_at, \
         version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(s.id)
    .bind(&s.name)
    .bind(s.categories.join(","))
    .bind(&s.email)
    .bind(&s.phone)
    .bind(&s.website)
    .bind(&s.address)
    .bind(&s.tax_number)
    .bind(&s.payment_terms)
    .bind(s.lead_time_days.map(i64::from))
    .bind(&s.notes)
    .bind(i32::from(s.archived))
    .bind(s.created_at)
    .bind(s.updated_at)
    .bind(s.version)
}

/// Adds a contact after the supplier's others.
pub(crate) fn append_contact_stmt(c: &SupplierContact) -> Stmt {
    Stmt::new(
        "INSERT INTO supplier_contacts (id, supplier_id, name, role, email, phone, position) \
         SELECT $1, $2, $3, $4, $5, $6, COALESCE(MAX(position) + 1, 0) FROM supplier_contacts \
         WHERE supplier_id = $2",
    )
    .bind(c.id)
    .bind(c.supplier_id)
    .bind(&c.name)
    .bind(&c.role)
    .bind(&c.email)
    .bind(&c.phone)
}

#[repo]
impl SupplierRepo for Db {
    async fn insert_supplier(&self, s: &Supplier, entry: &AuditEntry) -> DbResult<()> {
        let stmt = insert_supplier_stmt(s);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn get_supplier(&self, id: Uuid) -> DbResult<Option<Supplier>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, SupplierRow, by_id(id))?);
        Ok(row.map(Supplier::from))
    }

    async fn supplier_by_name(&self, name: &str) -> DbResult<Option<Supplier>> {
        let stmt = Stmt::new(format!(
            "SELECT {COLUMNS} FROM suppliers s WHERE lower(s.name) = lower($1)"
        ))
        .bind(name.trim());
        let row = on_reader!(self, |pool| fetch_optional!(pool, SupplierRow, stmt)?);
        Ok(row.map(Supplier::from))
    }

    async fn list_suppliers(&self, q: &SupplierFilter) -> DbResult<Page<Supplier>> {
        let mut f = Filter::new();
        f.search(
            q.q.as_deref(),
            &["s.name", "s.categories", "s.email", "s.notes"],
        );
        if let Some(c) = q.category.as_deref() {
            let p = f.arg(format!("%,{},%", escape_like(c)));
            f.and(format!("(',' || s.categories || ',') LIKE {p} ESCAPE '\\'"));
        }
        if let Some(a) = q.archived {
            f.and(if a {
                "s.archived = 1"
            } else {
                "s.archived = 0"
            });
        }
        let where_sql = f.where_sql();
        let count = Stmt {
            sql: format!("SELECT COUNT(*) FROM suppliers s{where_sql}"),
            args: f.stmt.args.clone(),
        };
        let mut page = f.stmt;
        page.sql = format!(
            "SELECT {COLUMNS} FROM suppliers s{where_sql} ORDER BY lower(s.name), s.id{}",
            limit_offset(&q.paging)
        );
        let (total, rows) = on_reader!(self, |pool| {
            let total = fetch_scalar!(&mut *pool, i64, count)?;
            (total, fetch_all!(&mut *pool, SupplierRow, page)?)
        });
        Ok(Page::new(
            rows.into_iter().map(Supplier::from).collect(),
            total,
            q.paging,
        ))
    }

    async fn supplier_categories(&self) -> DbResult<Vec<String>> {
        let stmt = Stmt::new("SELECT categories FROM suppliers WHERE categories <> ''");
        let all = on_reader!(self, |pool| fetch_scalars!(pool, String, stmt)?);
        let mut words: Vec<String> = all
            .iter()
            .flat_map(|c| c.split(','))
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        words.sort();
        words.dedup();
        Ok(words)
    }

    async fn update_supplier(
        &self,
        s: &Supplier,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<Supplier> {
        let stmt = Stmt::new(
            "UPDATE suppliers SET name = $1, categories = $2, email = $3, phone = $4, \
             website = $5, address = $6, tax_number = $7, payment_terms = $8, \
             lead_time_days = $9, notes = $10, archived = $11, updated_at = $12, \
             version = version + 1 WHERE id = $13 AND version = $14",
        )
        .bind(&s.name)
        .bind(s.categories.join(","))
        .bind(&s.email)
        .bind(&s.phone)
        .bind(&s.website)
        .bind(&s.address)
        .bind(&s.tax_number)
        .bind(&s.payment_terms)
        .bind(s.lead_time_days.map(i64::from))
        .bind(&s.notes)
        .bind(i32::from(s.archived))
        .bind(s.updated_at)
        .bind(s.id)
        .bind(expected_version);
        let version_of =
            Stmt::new("SELECT version, updated_at FROM suppliers WHERE id = $1").bind(s.id);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(&mut *tx, VersionRow, version_of)?));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, SupplierRow, by_id(s.id))?
        });
        row.map(Supplier::from)
            .ok_or(DbError::App(AppError::NotFound("supplier")))
    }

    async fn list_supplier_contacts(&self, supplier_id: Uuid) -> DbResult<Vec<SupplierContact>> {
        let rows = on_reader!(self, |pool| fetch_all!(
            pool,
            ContactRow,
            contacts_of(supplier_id)
        )?);
        Ok(rows.into_iter().map(SupplierContact::from).collect())
    }

    async fn insert_supplier_contact(
        &self,
        c: &SupplierContact,
        entry: &AuditEntry,
    ) -> DbResult<SupplierContact> {
        let next = Stmt::new(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM supplier_contacts WHERE supplier_id = $1",
        )
        .bind(c.supplier_id);
        Ok(in_tx!(self, |tx| {
            let position = fetch_scalar!(&mut *tx, i64, next)?;
            let stmt = Stmt::new(
                "INSERT INTO supplier_contacts (id, supplier_id, name, role, email, phone, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(c.id)
            .bind(c.supplier_id)
            .bind(&c.name)
            .bind(&c.role)
            .bind(&c.email)
            .bind(&c.phone)
            .bind(position);
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
            SupplierContact {
                position: i32::try_from(position).unwrap_or(i32::MAX),
                ..c.clone()
            }
        }))
    }

    async fn update_supplier_contact(
        &self,
        c: &SupplierContact,
        entry: &AuditEntry,
    ) -> DbResult<SupplierContact> {
        let update = Stmt::new(
            "UPDATE supplier_contacts SET name = $1, role = $2, email = $3, phone = $4 \
             WHERE id = $5 AND supplier_id = $6",
        )
        .bind(&c.name)
        .bind(&c.role)
        .bind(&c.email)
        .bind(&c.phone)
        .bind(c.id)
        .bind(c.supplier_id);
        let rows = in_tx!(self, |tx| {
            if exec!(&mut *tx, update)?.rows_affected() == 0 {
                return Err(DbError::App(AppError::NotFound("contact")));
            }
            let mut ids: Vec<Uuid> = fetch_all!(&mut *tx, ContactRow, contacts_of(c.supplier_id))?
                .into_iter()
                .map(|r| r.id)
                .filter(|id| *id != c.id)
                .collect();
            let at = usize::try_from(c.position.max(0))
                .unwrap_or(0)
                .min(ids.len());
            ids.insert(at, c.id);
            for stmt in renumber(&ids) {
                exec!(&mut *tx, stmt)?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_all!(&mut *tx, ContactRow, contacts_of(c.supplier_id))?
        });
        rows.into_iter()
            .find(|r| r.id == c.id)
            .map(SupplierContact::from)
            .ok_or(DbError::App(AppError::NotFound("contact")))
    }

    async fn delete_supplier_contact(
        &self,
        supplier_id: Uuid,
        contact_id: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<bool> {
        let stmt = Stmt::new("DELETE FROM supplier_contacts WHERE id = $1 AND supplier_id = $2")
            .bind(contact_id)
            .bind(supplier_id);
        Ok(in_tx!(self, |tx| {
            let deleted = exec!(&mut *tx, stmt)?.rows_affected() > 0;
            if deleted {
                let ids: Vec<Uuid> = fetch_all!(&mut *tx, ContactRow, contacts_of(supplier_id))?
                    .into_iter()
                    .map(|r| r.id)
                    .collect();
                for stmt in renumber(&ids) {
                    exec!(&mut *tx, stmt)?;
                }
                exec!(&mut *tx, audit::insert(entry))?;
            }
            deleted
        }))
    }

    async fn supplier_specs(&self, supplier_id: Uuid) -> DbResult<Vec<SupplierSpecRow>> {
        let stmt = Stmt::new(
            "SELECT p.id AS project_id, p.code AS project_code, p.name AS project_name, \
             s.id AS spec_id, s.code, s.description, s.status \
             FROM specs s JOIN projects p ON p.id = s.project_id \
             WHERE s.supplier_id = $1 ORDER BY p.code, s.code, s.id",
        )
        .bind(supplier_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, SpecRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| SupplierSpecRow {
                project_id: r.project_id,
                project_code: r.project_code,
                project_name: r.project_name,
                spec_id: r.spec_id,
                code: r.code,
                description: r.description,
                status: r.status,
            })
            .collect())
    }

    async fn supplier_orders(&self, supplier_id: Uuid) -> DbResult<Vec<SupplierOrderRow>> {
        let stmt = Stmt::new(
            "SELECT o.id, o.project_id, p.code AS project_code, o.number, o.status, o.currency, \
             o.total_minor, o.required_on, o.created_at \
             FROM purchase_orders o JOIN projects p ON p.id = o.project_id \
             WHERE o.supplier_id = $1 ORDER BY o.created_at DESC, o.id DESC",
        )
        .bind(supplier_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, OrderRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| SupplierOrderRow {
                id: r.id,
                project_id: r.project_id,
                project_code: r.project_code,
                number: r.number,
                status: r.status,
                currency: r.currency,
                total_minor: r.total_minor,
                required_on: r.required_on,
                created_at: r.created_at,
            })
            .collect())
    }

    async fn supplier_deliveries(&self, supplier_id: Uuid) -> DbResult<Vec<DeliveryRow>> {
        let stmt = Stmt::new(
            "SELECT o.project_id, l.required_on, l.received_on \
             FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.purchase_order_id \
             WHERE o.supplier_id = $1 AND o.status NOT IN ('draft', 'cancelled') \
             AND l.required_on IS NOT NULL AND l.received_on IS NOT NULL",
        )
        .bind(supplier_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, DeliveryDbRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| DeliveryRow {
                project_id: r.project_id,
                required_on: r.required_on,
                received_on: r.received_on,
            })
            .collect())
    }
}
