//! The purchasing settings: two switches on the company settings' row (id 1, started by
//! whichever is saved first, these or the company's details) and the approval limits, one
//! row per currency.

use formula_app::error::AppError;
use formula_app::repos::PurchasingSettingsRepo;
use formula_domain::audit::AuditEntry;
use formula_domain::purchasing_settings::{ApprovalLimit, PurchasingSettings};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct SwitchesRow {
    designers_see_prices: bool,
    craftsmen_see_prices: bool,
    updated_by_name: Option<String>,
    updated_at: OffsetDateTime,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct LimitRow {
    currency: String,
    project_manager_limit_minor: i64,
}

fn switches() -> Stmt {
    Stmt::new(
        "SELECT (c.designers_see_prices = 1) AS designers_see_prices, \
         (c.craftsmen_see_prices = 1) AS craftsmen_see_prices, \
         u.name AS updated_by_name, c.updated_at, c.version \
         FROM company_settings c LEFT JOIN users u ON u.id = c.updated_by WHERE c.id = 1",
    )
}

fn limits_stmt() -> Stmt {
    Stmt::new(
        "SELECT currency, project_manager_limit_minor FROM po_approval_limits ORDER BY currency",
    )
}

fn settings(row: Option<SwitchesRow>, limits: Vec<LimitRow>) -> PurchasingSettings {
    let approval_limits = limits
        .into_iter()
        .map(|l| ApprovalLimit {
            currency: l.currency,
            project_manager_limit_minor: l.project_manager_limit_minor,
        })
        .collect();
    match row {
        Some(r) => PurchasingSettings {
            designers_see_prices: r.designers_see_prices,
            craftsmen_see_prices: r.craftsmen_see_prices,
            approval_limits,
            updated_by_name: r.updated_by_name,
            updated_at: Some(r.updated_at),
            version: r.version,
        },
        None => PurchasingSettings {
            approval_limits,
            ..PurchasingSettings::default()
        },
    }
}

#[repo]
impl PurchasingSettingsRepo for Db {
    async fn purchasing_settings(&self) -> DbResult<PurchasingSettings> {
        let (row, limits) = on_reader!(self, |pool| {
            let row = fetch_optional!(&mut *pool, SwitchesRow, switches())?;
            let limits = fetch_all!(&mut *pool, LimitRow, limits_stmt())?;
            (row, limits)
        });
        Ok(settings(row, limits))
    }

    async fn po_approval_limit(&self, currency: &str) -> DbResult<Option<i64>> {
        let stmt = Stmt::new(
            "SELECT project_manager_limit_minor FROM po_approval_limits WHERE currency = $1",
        )
        .bind(currency);
        let rows = on_reader!(self, |pool| fetch_scalars!(pool, i64, stmt)?);
        Ok(rows.into_iter().next())
    }

    async fn save_purchasing_settings(
        &self,
        s: &PurchasingSettings,
        expected_version: i64,
        by: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<PurchasingSettings> {
        let at = s.updated_at.unwrap_or_else(OffsetDateTime::now_utc);
        // Before the company's details were ever saved there is no row: the first save
        // starts it with an empty name (the details page asks for it); a second first save
        // finds it there and is stale.
        let update = if expected_version == 0 {
            Stmt::new(
                "INSERT INTO company_settings (id, name, designers_see_prices, \
                 craftsmen_see_prices, updated_by, updated_at, version) \
                 VALUES (1, '', $1, $2, $3, $4, 1) ON CONFLICT (id) DO NOTHING",
            )
        } else {
            Stmt::new(
                "UPDATE company_settings SET designers_see_prices = $1, craftsmen_see_prices = $2, \
                 updated_by = $3, updated_at = $4, version = version + 1 \
                 WHERE id = 1 AND version = $5",
            )
        }
        .bind(i32::from(s.designers_see_prices))
        .bind(i32::from(s.craftsmen_see_prices))
        .bind(by)
        .bind(at);
        let update = if expected_version == 0 {
            update
        } else {
            update.bind(expected_version)
        };
        let (row, limits) = in_tx!(self, |tx| {
            if exec!(&mut *tx, update)?.rows_affected() == 0 {
                let current = settings(
                    fetch_optional!(&mut *tx, SwitchesRow, switches())?,
                    Vec::new(),
                );
                return Err(DbError::App(AppError::Stale {
                    current_version: current.version,
                    updated_by: current.updated_by_name,
                    updated_at: current.updated_at,
                }));
            }
            let kept: Vec<&str> = s
                .approval_limits
                .iter()
                .map(|l| l.currency.as_str())
                .collect();
            let stored = fetch_all!(&mut *tx, LimitRow, limits_stmt())?;
            for old in stored
                .iter()
                .filter(|o| !kept.contains(&o.currency.as_str()))
            {
                exec!(
                    &mut *tx,
                    Stmt::new("DELETE FROM po_approval_limits WHERE currency = $1")
                        .bind(&old.currency)
                )?;
            }
            for l in &s.approval_limits {
                let same = stored.iter().any(|o| {
                    o.currency == l.currency
                        && o.project_manager_limit_minor == l.project_manager_limit_minor
                });
                if same {
                    continue;
                }
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "INSERT INTO po_approval_limits (currency, project_manager_limit_minor, \
                         updated_by, updated_at, version) VALUES ($1, $2, $3, $4, 1) \
                         ON CONFLICT (currency) DO UPDATE SET \
                         project_manager_limit_minor = excluded.project_manager_limit_minor, \
                         updated_by = excluded.updated_by, updated_at = excluded.updated_at, \
                         version = po_approval_limits.version + 1",
                    )
                    .bind(&l.currency)
                    .bind(l.project_manager_limit_minor)
                    .bind(by)
                    .bind(at)
                )?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
            (
                fetch_optional!(&mut *tx, SwitchesRow, switches())?,
                fetch_all!(&mut *tx, LimitRow, limits_stmt())?,
            )
        });
        Ok(settings(row, limits))
    }
}
