use async_trait::async_trait;
use formula_domain::audit::AuditEntry;
use formula_domain::purchasing_settings::PurchasingSettings;
use uuid::Uuid;

use crate::error::AppResult;

/// The purchasing settings: the price switches of the company settings' row and the
/// approval limits per currency.
#[async_trait]
pub trait PurchasingSettingsRepo: Send + Sync {
    /// The stored settings (switches off, no limits, `version` 0 before the company's
    /// details are first saved).
    async fn purchasing_settings(&self) -> AppResult<PurchasingSettings>;
    /// The project manager's approval limit in `currency`, if one is set.
    async fn po_approval_limit(&self, currency: &str) -> AppResult<Option<i64>>;
    /// Saves the switches and replaces the limits, compare-and-set on the company settings'
    /// `expected_version` (which moves on), with the audit entry; `Stale` names who saved
    /// first.
    async fn save_purchasing_settings(
        &self,
        settings: &PurchasingSettings,
        expected_version: i64,
        by: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<PurchasingSettings>;
}
