//! The company's settings: a single row (id 1), absent until first saved.

use formula_app::error::AppError;
use formula_app::repos::CompanyRepo;
use formula_domain::audit::AuditEntry;
use formula_domain::company::CompanySettings;
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct CompanyRow {
    name: String,
    address: Option<String>,
    tax_number: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    document_terms: Option<String>,
    logo_key: Option<String>,
    logo_mime: Option<String>,
    updated_by_name: Option<String>,
    updated_at: OffsetDateTime,
    version: i64,
}

impl From<CompanyRow> for CompanySettings {
    fn from(r: CompanyRow) -> Self {
        CompanySettings {
            name: r.name,
            address: r.address,
            tax_number: r.tax_number,
            phone: r.phone,
            email: r.email,
            website: r.website,
            document_terms: r.document_terms,
            has_logo: r.logo_key.is_some(),
            logo_key: r.logo_key,
            logo_mime: r.logo_mime,
            updated_by_name: r.updated_by_name,
            updated_at: Some(r.updated_at),
            version: r.version,
        }
    }
}

fn select() -> Stmt {
    Stmt::new(
        "SELECT c.name, c.address, c.tax_number, c.phone, c.email, c.website, c.document_terms, \
         c.logo_key, c.logo_mime, u.name AS updated_by_name, c.updated_at, c.version \
         FROM company_settings c LEFT JOIN users u ON u.id = c.updated_by WHERE c.id = 1",
    )
}

fn stale(current: Option<CompanyRow>) -> DbError {
    let current = current.map(CompanySettings::from).unwrap_or_default();
    DbError::App(AppError::Stale {
        current_version: current.version,
        updated_by: current.updated_by_name,
        updated_at: current.updated_at,
    })
}

#[repo]
impl CompanyRepo for Db {
    async fn company_settings(&self) -> DbResult<CompanySettings> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, CompanyRow, select())?);
        Ok(row.map(CompanySettings::from).unwrap_or_default())
    }

    async fn save_company_settings(
        &self,
        s: &CompanySettings,
        expected_version: i64,
        by: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<CompanySettings> {
        let updated_at = s.updated_at.unwrap_or_else(OffsetDateTime::now_utc);
        // The first save inserts the row; a second first save finds it there and is stale.
        let stmt = if expected_version == 0 {
            Stmt::new(
                "INSERT INTO company_settings (name, address, tax_number, phone, email, website, \
                 document_terms, logo_key, logo_mime, updated_by, updated_at, version, id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, 1) \
                 ON CONFLICT (id) DO NOTHING",
            )
        } else {
            Stmt::new(
                "UPDATE company_settings SET name = $1, address = $2, tax_number = $3, phone = $4, \
                 email = $5, website = $6, document_terms = $7, logo_key = $8, logo_mime = $9, \
                 updated_by = $10, updated_at = $11, version = version + 1 \
                 WHERE id = 1 AND version = $12",
            )
        }
        .bind(&s.name)
        .bind(&s.address)
        .bind(&s.tax_number)
        .bind(&s.phone)
        .bind(&s.email)
        .bind(&s.website)
        .bind(&s.document_terms)
        .bind(&s.logo_key)
        .bind(&s.logo_mime)
        .bind(by)
        .bind(updated_at);
        let stmt = if expected_version == 0 {
            stmt
        } else {
            stmt.bind(expected_version)
        };
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(&mut *tx, CompanyRow, select())?));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, CompanyRow, select())?
        });
        row.map(CompanySettings::from)
            .ok_or(DbError::App(AppError::NotFound("company settings")))
    }
}
