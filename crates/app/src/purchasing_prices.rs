//! Who sees purchase prices, the project managers' approval limits, and the purchasing
//! settings that decide both.
//!
//! Every use case showing a purchase price (order lines and totals, a supplier's order
//! value, cost control) asks [`Services::may_see_purchase_prices`] and leaves prices out
//! when it says no; no other place decides it.

use formula_domain::authz::{Action, ProjectAccess, Resource, authorize};
use formula_domain::purchasing_settings::{PurchasingSettings, PurchasingSettingsInput};
use formula_domain::user::Role;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::services::{Services, audit, changes, check_version, ensure};

/// The audit trail's id for the purchasing settings (there is one set).
const SETTINGS_ID: Uuid = Uuid::nil();

impl Services {
    /// Whether the caller may see purchase prices on the project `access` describes: those
    /// `ViewPurchasePrices` allows (buyers on the team, executives, administrators), and a
    /// designer or craftsman on the team when the company's setting for their role is on.
    /// Client users never do.
    pub async fn may_see_purchase_prices(
        &self,
        caller: &Caller,
        access: &ProjectAccess,
    ) -> AppResult<bool> {
        if authorize(
            &caller.actor,
            Action::ViewPurchasePrices,
            &Resource::Project(*access),
        ) {
            return Ok(true);
        }
        if access.membership.is_none() {
            return Ok(false);
        }
        Ok(match caller.actor.role {
            Role::Designer => self.store.purchasing_settings().await?.designers_see_prices,
            Role::Craftsman => self.store.purchasing_settings().await?.craftsmen_see_prices,
            _ => false,
        })
    }

    /// Whether the caller may see purchase prices anywhere (a supplier's order value over
    /// every project): executives and administrators only, whose view is company-wide.
    pub fn may_see_all_purchase_prices(&self, caller: &Caller) -> bool {
        matches!(caller.actor.role, Role::Admin | Role::Executive)
    }

    /// Up to which order total (minor units) a project manager approves an order in
    /// `currency`; `None` when no limit is set (every order needs an executive).
    pub async fn po_approval_limit(&self, currency: &str) -> AppResult<Option<i64>> {
        self.store.po_approval_limit(currency).await
    }

    /// The purchasing settings, for those who manage the company's settings.
    pub async fn purchasing_settings(&self, caller: &Caller) -> AppResult<PurchasingSettings> {
        ensure(caller, Action::ManageCompany, &Resource::Global)?;
        self.store.purchasing_settings().await
    }

    /// Replaces the purchasing settings (switches and limits), compare-and-set on the
    /// company settings' version (0 before anything was saved: the company's details need
    /// not come first).
    pub async fn save_purchasing_settings(
        &self,
        caller: &Caller,
        expected_version: i64,
        input: PurchasingSettingsInput,
    ) -> AppResult<PurchasingSettings> {
        ensure(caller, Action::ManageCompany, &Resource::Global)?;
        let current = self.store.purchasing_settings().await?;
        // Version 0: nothing saved yet, neither these nor the company's details; the first
        // save starts the company settings' row (its details are filled in later).
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at.unwrap_or_else(|| self.now()),
        )?;
        let mut next = current.clone();
        input.apply(&mut next).map_err(AppError::Validation)?;
        next.updated_at = Some(self.now());
        let entry = audit(
            caller,
            "update",
            "purchasing_settings",
            SETTINGS_ID,
            "Purchasing settings",
            changes(&current, &next),
        );
        self.store
            .save_purchasing_settings(&next, expected_version, caller.actor.user_id, &entry)
            .await
    }
}
