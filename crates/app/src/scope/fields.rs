//! How a scope item's fields are checked and derived: codes, money, units, the line total,
//! and the next free code of a group. Shared by the item use cases and the spreadsheet imports.

use formula_domain::errors::FieldErrors;
use formula_domain::scope::{ScopeItem, ScopeStatus, item_code, item_code_seq};

/// Longest item code, group name and item name accepted.
const CODE_MAX: usize = 40;
pub(super) const NAME_MAX: usize = 200;
/// Largest amount accepted in a money field: 10 trillion in major units of a 2-decimal currency.
pub const MONEY_MAX_MINOR: i64 = 1_000_000_000_000_000;

/// Earliest year accepted for an installation date (a typo guard, like delivery dates).
pub(crate) const INSTALL_YEAR_MIN: i32 = 2000;

/// Checks an item code: 1–40 letters, digits, `-`, `_`, `.` or `/`.
pub(crate) fn check_code(errors: &mut FieldErrors, field: &str, code: &str) -> String {
    let code = code.trim().to_owned();
    if code.is_empty() {
        errors.add(field, "is required");
    } else if code.chars().count() > CODE_MAX {
        errors.add(field, format!("must be at most {CODE_MAX} characters"));
    } else if !code
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        errors.add(
            field,
            "may hold only letters, digits and - _ . / (no spaces), like WSC-M-014",
        );
    }
    code
}

/// Checks an optional amount of money in minor units.
pub(crate) fn check_money(errors: &mut FieldErrors, field: &str, v: Option<i64>) -> Option<i64> {
    if let Some(m) = v
        && !(0..=MONEY_MAX_MINOR).contains(&m)
    {
        errors.add(field, "must be zero or more and at most 10 trillion");
    }
    v
}

/// Re-derives what an item's fields imply (total, completed → 100 %) and checks the rest.
pub(crate) fn finish_item(errors: &mut FieldErrors, item: &mut ScopeItem, units: &[String]) {
    if !units.contains(&item.unit) {
        errors.add(
            "unit",
            format!("must be one of the configured units: {}", units.join(", ")),
        );
    }
    if !(0..=100).contains(&item.progress) {
        errors.add("progress", "must be between 0 and 100");
    }
    if item.status == ScopeStatus::Completed {
        item.progress = 100;
    }
    if item.install_on.is_some_and(|d| d.year() < INSTALL_YEAR_MIN) {
        errors.add("install_on", format!("must be from {INSTALL_YEAR_MIN} on"));
    }
    item.total_minor = match item.unit_price_minor {
        Some(price) => match item.quantity.times(price) {
            Some(t) if t <= MONEY_MAX_MINOR => Some(t),
            _ => {
                errors.add("unit_price_minor", "quantity × unit price is too large");
                None
            }
        },
        None => None,
    };
}

/// Finds the configured unit matching `input` (case-insensitively; `m2` for `m²`).
pub(crate) fn normalise_unit(input: &str, units: &[String]) -> String {
    let typed = input.trim();
    let plain = |s: &str| s.to_lowercase().replace('²', "2").replace('³', "3");
    units
        .iter()
        .find(|u| plain(u) == plain(typed))
        .cloned()
        .unwrap_or_else(|| typed.to_owned())
}

/// The `n`-th free code after the highest one used in the group's sequence.
pub(crate) fn next_code(project_code: &str, letter: &str, codes: &[String], n: u32) -> String {
    let max = codes
        .iter()
        .filter_map(|c| item_code_seq(project_code, letter, c))
        .max()
        .unwrap_or(0);
    item_code(project_code, letter, max.saturating_add(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_code_follows_the_highest() {
        let codes = vec![
            "WSC-M-002".to_string(),
            "WSC-M-010".into(),
            "WSC-E-050".into(),
        ];
        assert_eq!(next_code("WSC", "M", &codes, 1), "WSC-M-011");
        assert_eq!(next_code("WSC", "E", &codes, 2), "WSC-E-052");
        assert_eq!(next_code("WSC", "C", &codes, 1), "WSC-C-001");
    }

    #[test]
    fn units_match_loosely() {
        let units: Vec<String> = vec!["pcs".into(), "m²".into()];
        assert_eq!(normalise_unit("M2", &units), "m²");
        assert_eq!(normalise_unit(" PCS ", &units), "pcs");
        assert_eq!(normalise_unit("box", &units), "box");
    }

    #[test]
    fn codes_are_checked() {
        let mut e = FieldErrors::new();
        assert_eq!(check_code(&mut e, "code", " WSC-M-001 "), "WSC-M-001");
        assert!(e.is_empty());
        check_code(&mut e, "code", "has space");
        check_code(&mut e, "code", "");
        assert_eq!(e.0.len(), 2);
    }
}
