use async_trait::async_trait;
use formula_domain::audit::AuditEntry;
use formula_domain::company::CompanySettings;
use uuid::Uuid;

use crate::error::AppResult;

/// The company's settings: one row, written the first time they are saved.
#[async_trait]
pub trait CompanyRepo: Send + Sync {
    /// The stored settings, or the empty ones (`version` 0) before the first save.
    async fn company_settings(&self) -> AppResult<CompanySettings>;
    /// Saves every field and the logo columns, compare-and-set on `expected_version` (0: the
    /// first save), with the audit entry; `Stale` names who saved first.
    async fn save_company_settings(
        &self,
        settings: &CompanySettings,
        expected_version: i64,
        by: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<CompanySettings>;
}
