//! The company's purchasing settings: up to which order total a project manager approves,
//! per currency, and whether designers and craftsmen see purchase prices.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::errors::FieldErrors;
use crate::money::parse_currency;

/// The most approval limits kept (one per currency the company buys in).
pub const MAX_APPROVAL_LIMITS: usize = 20;

/// Up to which order total (inclusive) a project manager approves an order in `currency`;
/// above it an executive or an administrator must.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalLimit {
    /// ISO 4217 code, three letters, e.g. `USD`.
    #[schema(min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: String,
    /// In minor units of the currency, 0 or more (0: every order needs an executive).
    #[schema(minimum = 0)]
    pub project_manager_limit_minor: i64,
}

/// The settings as stored. `version` is the company settings' (the price switches live in
/// that row); 0 means the company's details were never saved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PurchasingSettings {
    /// Whether designers on a project's team see its purchase prices.
    pub designers_see_prices: bool,
    /// Whether craftsmen on a project's team see its purchase prices.
    pub craftsmen_see_prices: bool,
    /// One per currency, sorted by currency. A currency without one: every order in it
    /// needs an executive or an administrator.
    pub approval_limits: Vec<ApprovalLimit>,
    /// Who saved the company settings last.
    pub updated_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<OffsetDateTime>,
    pub version: i64,
}

impl PurchasingSettings {
    /// The project manager's limit in `currency`, if one is set.
    pub fn limit(&self, currency: &str) -> Option<i64> {
        self.approval_limits
            .iter()
            .find(|l| l.currency == currency)
            .map(|l| l.project_manager_limit_minor)
    }
}

/// The settings to save (all of them: a limit left out is removed).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchasingSettingsInput {
    #[serde(default)]
    pub designers_see_prices: bool,
    #[serde(default)]
    pub craftsmen_see_prices: bool,
    /// At most 20, one per currency.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub approval_limits: Vec<ApprovalLimit>,
    /// The company settings' version being replaced (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

impl PurchasingSettingsInput {
    /// Checks and tidies every field into `next`, or says per field what to fix.
    pub fn apply(self, next: &mut PurchasingSettings) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        next.designers_see_prices = self.designers_see_prices;
        next.craftsmen_see_prices = self.craftsmen_see_prices;
        if self.approval_limits.len() > MAX_APPROVAL_LIMITS {
            errors.add(
                "approval_limits",
                format!("at most {MAX_APPROVAL_LIMITS} currencies"),
            );
        }
        let mut limits: Vec<ApprovalLimit> = Vec::new();
        for (i, l) in self.approval_limits.into_iter().enumerate() {
            let field = format!("approval_limits[{i}]");
            match parse_currency(&l.currency) {
                Ok(currency) => {
                    if l.project_manager_limit_minor < 0 {
                        errors.add(&field, "the limit must be 0 or more");
                    } else if limits.iter().any(|x| x.currency == currency) {
                        errors.add(&field, format!("{currency} is given twice"));
                    } else {
                        limits.push(ApprovalLimit {
                            currency,
                            project_manager_limit_minor: l.project_manager_limit_minor,
                        });
                    }
                }
                Err(m) => errors.add(&field, format!("the currency {m}")),
            }
        }
        limits.sort_by(|a, b| a.currency.cmp(&b.currency));
        next.approval_limits = limits;
        errors.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(c: &str, v: i64) -> ApprovalLimit {
        ApprovalLimit {
            currency: c.into(),
            project_manager_limit_minor: v,
        }
    }

    #[test]
    fn limits_are_checked_tidied_and_sorted() {
        let mut next = PurchasingSettings::default();
        PurchasingSettingsInput {
            designers_see_prices: true,
            approval_limits: vec![limit("usd", 500_000), limit("EUR", 0)],
            ..Default::default()
        }
        .apply(&mut next)
        .unwrap();
        assert!(next.designers_see_prices && !next.craftsmen_see_prices);
        assert_eq!(
            next.approval_limits,
            vec![limit("EUR", 0), limit("USD", 500_000)]
        );
        assert_eq!(next.limit("USD"), Some(500_000));
        assert_eq!(next.limit("GBP"), None);
    }

    #[test]
    fn bad_limits_are_refused_per_row() {
        let mut next = PurchasingSettings::default();
        let errors = PurchasingSettingsInput {
            approval_limits: vec![
                limit("USD", 1),
                limit("usd", 2),
                limit("U$", 3),
                limit("EUR", -1),
            ],
            ..Default::default()
        }
        .apply(&mut next)
        .unwrap_err();
        assert!(errors.get("approval_limits[1]").unwrap().contains("twice"));
        assert!(errors.get("approval_limits[2]").is_some());
        assert!(errors.get("approval_limits[3]").is_some());
        assert!(errors.get("approval_limits[0]").is_none());
    }
}
