//! The scope of work (bill of quantities): groups of priced line items, their exact
//! totals, cost deviation, item codes, and the progress they give their project.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::enums::string_enum;

string_enum!(
    /// Where a scope item is in its delivery.
    ScopeStatus {
        NotStarted => "not_started", "Not started",
        InProgress => "in_progress", "In progress",
        OnHold => "on_hold", "On hold",
        Completed => "completed", "Completed",
        Cancelled => "cancelled", "Cancelled",
    }
);

/// The groups every project starts with, with their code letters.
pub const DEFAULT_GROUPS: &[(&str, &str)] = &[
    ("Construction", "C"),
    ("Millwork", "M"),
    ("Electrical", "E"),
    ("Mechanical/MEP", "P"),
];

/// Units offered when the installation configures none (`SCOPE_UNITS`).
pub const DEFAULT_UNITS: &[&str] = &[
    "pcs", "m", "m²", "m³", "lm", "kg", "set", "lot", "hours", "days",
];

/// Whether `unit` measures an amount (a length, an area, a volume, a weight, a time) rather
/// than counting things: 255 m² of panelling is one thing to label, 12 pcs are twelve.
/// Units are the installation's free text, so the common spellings are recognised, case and a
/// trailing full stop ignored.
pub fn is_measured_unit(unit: &str) -> bool {
    const MEASURED: &[&str] = &[
        "m", "mm", "cm", "km", "lm", "rm", "ft", "in", "m²", "m2", "sqm", "sq m", "sq.m", "ft²",
        "ft2", "sqft", "sq ft", "m³", "m3", "cum", "cu m", "l", "ltr", "litre", "liter", "kg", "g",
        "t", "ton", "tonne", "hours", "hour", "hrs", "hr", "h", "days", "day", "weeks", "week",
    ];
    let u = unit.trim().trim_end_matches('.').to_lowercase();
    MEASURED.contains(&u.as_str())
}

/// A section of the scope (Millwork, Electrical, …) holding ordered items.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScopeGroup {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    /// Letter used in generated item codes (`WSC-M-014` → `M`).
    pub letter: String,
    /// Order on the Scope tab, 0-based.
    pub position: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// The [`DEFAULT_GROUPS`] of a project, numbered from `first_position`.
pub fn default_groups(
    project_id: Uuid,
    first_position: i64,
    now: OffsetDateTime,
) -> Vec<ScopeGroup> {
    DEFAULT_GROUPS
        .iter()
        .zip(first_position..)
        .map(|((name, letter), position)| ScopeGroup {
            id: crate::new_id(),
            project_id,
            name: (*name).to_owned(),
            letter: (*letter).to_owned(),
            position,
            created_at: now,
            updated_at: now,
            version: 1,
        })
        .collect()
}

impl ScopeGroup {
    /// Whether items of this group need drawings and material specs by default.
    pub fn is_millwork(&self) -> bool {
        self.name.to_lowercase().contains("millwork")
    }
}

/// One priced line of the scope of work.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScopeItem {
    pub id: Uuid,
    pub project_id: Uuid,
    pub group_id: Uuid,
    pub group_name: String,
    /// Unique per project, e.g. `WSC-M-014`.
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// Room or location on site.
    pub location: Option<String>,
    pub quantity: Quantity,
    pub unit: String,
    /// Price of one unit, in minor units of `currency`.
    pub unit_price_minor: Option<i64>,
    /// `quantity × unit_price`, rounded half away from zero to minor units.
    pub total_minor: Option<i64>,
    pub budget_cost_minor: Option<i64>,
    pub actual_cost_minor: Option<i64>,
    /// The project's currency.
    pub currency: String,
    pub status: ScopeStatus,
    /// 0–100.
    pub progress: i32,
    pub drawing_required: bool,
    pub spec_required: bool,
    /// Order within the group, 0-based.
    pub position: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by_name: Option<String>,
    pub version: i64,
    /// When it was released to production (the workshop), by whom, and the written reason
    /// when an administrator released it while it was blocked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub released_at: Option<OffsetDateTime>,
    pub released_by_name: Option<String>,
    pub release_note: Option<String>,
    /// The day it must be installed on site (typed today; the programme will drive it). The
    /// workshop must have it packed 5 working days before (docs/workshop.md, "Late in the
    /// workshop").
    pub install_on: Option<Date>,
    /// Where it is placed: in one room, or on a room type (then `quantity` is
    /// `quantity_per_room` × `room_count`, every room of the type counted); absent when
    /// neither (so unplaced items, and their audit entries, read as before).
    #[serde(skip_serializing_if = "Placement::is_none")]
    pub placement: Placement,
}

/// Where a scope item is placed in the project's locations (fields that do not apply are
/// left out).
#[derive(Debug, Clone, PartialEq, Default, Serialize, utoipa::ToSchema)]
pub struct Placement {
    /// The one room it is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_code: Option<String>,
    /// The room type it is repeated over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_type_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_type_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_type_name: Option<String>,
    /// Room-type items: the quantity in each room of the type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity_per_room: Option<Quantity>,
    /// Room-type items: how many rooms are of the type now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_count: Option<i64>,
}

impl Placement {
    /// Placed nowhere.
    pub fn is_none(&self) -> bool {
        self.room_id.is_none() && self.room_type_id.is_none()
    }
}

impl ScopeItem {
    /// Actual cost against budget, if both are known.
    pub fn deviation(&self) -> Option<Deviation> {
        Deviation::of(self.budget_cost_minor?, self.actual_cost_minor?)
    }
}

/// A quantity with up to three decimals, held exactly as thousandths.
/// On the wire it is a decimal string (`"12.5"`); numbers are accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, utoipa::ToSchema)]
#[schema(value_type = String, example = "12.5")]
pub struct Quantity(pub i64);

impl Quantity {
    /// Decimal places kept.
    pub const PLACES: u32 = 3;
    const SCALE: i64 = 1000;
    /// The largest quantity accepted (one billion units).
    pub const MAX: Quantity = Quantity(1_000_000_000 * Self::SCALE);

    /// Parses `"12.5"`, `"1,250"`, `"0.125"`; at most three decimals, not negative.
    pub fn parse(input: &str) -> Result<Quantity, String> {
        let cleaned: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ',' | ' ' | '_'))
            .collect();
        let invalid =
            || "must be a number like 12.5 (at most 3 decimals, not negative)".to_string();
        let (whole, frac) = cleaned.split_once('.').unwrap_or((cleaned.as_str(), ""));
        if (whole.is_empty() && frac.is_empty())
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > Self::PLACES as usize
        {
            return Err(invalid());
        }
        let too_big = || "must be at most 1,000,000,000".to_string();
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| too_big())?
        };
        let mut frac_value: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| invalid())?
        };
        for _ in frac.len()..Self::PLACES as usize {
            frac_value *= 10;
        }
        let q = whole
            .checked_mul(Self::SCALE)
            .and_then(|v| v.checked_add(frac_value))
            .map(Quantity)
            .ok_or_else(too_big)?;
        if q > Self::MAX {
            return Err(too_big());
        }
        Ok(q)
    }

    /// Whole units, for tests and seeds.
    pub fn units(n: i64) -> Quantity {
        Quantity(n.saturating_mul(Self::SCALE))
    }

    /// `quantity × unit price`, in the price's minor units, rounded half away from zero.
    pub fn times(self, unit_price_minor: i64) -> Option<i64> {
        let product = i128::from(self.0) * i128::from(unit_price_minor);
        let scale = i128::from(Self::SCALE);
        let rounded = if product >= 0 {
            (product + scale / 2) / scale
        } else {
            (product - scale / 2) / scale
        };
        i64::try_from(rounded).ok()
    }
}

impl std::fmt::Display for Quantity {
    /// The shortest exact decimal: `12.5`, `3`, `0.125`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A movement in a ledger may be negative (a reversal): `-2.5`.
        if self.0 < 0 {
            f.write_str("-")?;
        }
        let whole = (self.0 / Self::SCALE).unsigned_abs();
        let frac = (self.0 % Self::SCALE).unsigned_abs();
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{frac:03}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Text(String),
            Int(u64),
            Float(f64),
        }
        let text = match Wire::deserialize(d)? {
            Wire::Text(s) => s,
            Wire::Int(n) => n.to_string(),
            // `{}` prints the shortest text that reads back as the same float: 0.1 → "0.1".
            Wire::Float(x) => format!("{x}"),
        };
        Quantity::parse(&text).map_err(serde::de::Error::custom)
    }
}

string_enum!(
    /// How far actual cost is from budget.
    CostState {
        UnderBudget => "under_budget", "Within budget",
        Watch => "watch", "Over budget",
        Over => "over", "Well over budget",
    }
);

/// Percent over budget from which an item is `Watch` (amber).
pub const DEVIATION_WATCH_PERCENT: i64 = 0;
/// Percent over budget from which an item is `Over` (red).
pub const DEVIATION_OVER_PERCENT: i64 = 10;

/// Actual cost compared with budgeted cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Deviation {
    /// `(actual − budget) / budget` in tenths of a percent (125 = 12.5 %), rounded.
    pub permille: i64,
    pub state: CostState,
}

impl Deviation {
    /// `None` when the budget is zero (no percentage exists).
    pub fn of(budget_minor: i64, actual_minor: i64) -> Option<Deviation> {
        if budget_minor == 0 {
            return None;
        }
        let diff = i128::from(actual_minor) - i128::from(budget_minor);
        let b = i128::from(budget_minor);
        let scaled = diff * 1000;
        let permille = if (scaled >= 0) == (b > 0) {
            (scaled + b / 2) / b
        } else {
            (scaled - b / 2) / b
        };
        let permille = i64::try_from(permille).unwrap_or(i64::MAX);
        let state = if permille > DEVIATION_OVER_PERCENT * 10 {
            CostState::Over
        } else if permille > DEVIATION_WATCH_PERCENT * 10 {
            CostState::Watch
        } else {
            CostState::UnderBudget
        };
        Some(Deviation { permille, state })
    }

    /// `+12.5 %`, `−3 %`, `0 %`.
    pub fn percent_text(&self) -> String {
        let sign = match self.permille.signum() {
            1 => "+",
            -1 => "−",
            _ => "",
        };
        let abs = self.permille.unsigned_abs();
        if abs.is_multiple_of(10) {
            format!("{sign}{} %", abs / 10)
        } else {
            format!("{sign}{}.{} %", abs / 10, abs % 10)
        }
    }
}

/// The suggested code for the next item of a group: `<project>-<letter>-<nnn>`.
pub fn item_code(project_code: &str, letter: &str, seq: u32) -> String {
    format!("{project_code}-{letter}-{seq:03}")
}

/// The sequence number of `code` if it follows the `<project>-<letter>-<n>` pattern.
pub fn item_code_seq(project_code: &str, letter: &str, code: &str) -> Option<u32> {
    let rest = code
        .strip_prefix(project_code)?
        .strip_prefix('-')?
        .strip_prefix(letter)?
        .strip_prefix('-')?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

/// A code letter for a new group: the first letter of its name not used by another group.
pub fn group_letter(name: &str, taken: &[&str]) -> String {
    let candidates = name
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_uppercase().to_string())
        .chain(('A'..='Z').map(|c| c.to_string()));
    for c in candidates {
        if !taken.iter().any(|t| t.eq_ignore_ascii_case(&c)) {
            return c;
        }
    }
    // 26 groups use every letter; two letters keep codes unique.
    let n = taken.len();
    let first = char::from(b'A' + u8::try_from(n / 26 % 26).unwrap_or(0));
    let second = char::from(b'A' + u8::try_from(n % 26).unwrap_or(0));
    format!("{first}{second}")
}

/// Totals of a set of items (a group or the whole project).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScopeTotals {
    /// Items counted (cancelled ones excluded).
    pub items: i64,
    pub total_minor: i64,
    pub budget_cost_minor: i64,
    pub actual_cost_minor: i64,
    /// Cost-weighted average progress (count-weighted when nothing is priced), 0–100.
    pub progress: i32,
}

/// Running sums behind [`ScopeTotals`]; cancelled items do not count.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProgressSums {
    pub items: i64,
    pub progress_sum: i64,
    pub weight: i128,
    pub weighted_progress: i128,
}

impl ProgressSums {
    pub fn add(&mut self, status: ScopeStatus, progress: i32, total_minor: Option<i64>) {
        if status == ScopeStatus::Cancelled {
            return;
        }
        self.items += 1;
        self.progress_sum += i64::from(progress);
        let w = i128::from(total_minor.unwrap_or(0).max(0));
        self.weight += w;
        self.weighted_progress += w * i128::from(progress);
    }

    /// Cost-weighted when anything is priced, else the plain average; rounded; `None` without items.
    pub fn progress(&self) -> Option<i32> {
        let value = if self.weight > 0 {
            (self.weighted_progress + self.weight / 2) / self.weight
        } else if self.items > 0 {
            i128::from((self.progress_sum + self.items / 2) / self.items)
        } else {
            return None;
        };
        i32::try_from(value.clamp(0, 100)).ok()
    }
}

/// Sums the items into totals (money of cancelled items is left out too).
pub fn totals<'a>(items: impl IntoIterator<Item = &'a ScopeItem>) -> ScopeTotals {
    let mut sums = ProgressSums::default();
    let mut t = ScopeTotals::default();
    for i in items {
        sums.add(i.status, i.progress, i.total_minor);
        if i.status == ScopeStatus::Cancelled {
            continue;
        }
        t.total_minor = t.total_minor.saturating_add(i.total_minor.unwrap_or(0));
        t.budget_cost_minor = t
            .budget_cost_minor
            .saturating_add(i.budget_cost_minor.unwrap_or(0));
        t.actual_cost_minor = t
            .actual_cost_minor
            .saturating_add(i.actual_cost_minor.unwrap_or(0));
    }
    t.items = sums.items;
    t.progress = sums.progress().unwrap_or(0);
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quantities_parse_and_print_exactly() {
        assert_eq!(Quantity::parse("12.5"), Ok(Quantity(12_500)));
        assert_eq!(Quantity::parse("1,250"), Ok(Quantity(1_250_000)));
        assert_eq!(Quantity::parse(".125"), Ok(Quantity(125)));
        assert!(Quantity::parse("-1").is_err());
        assert!(Quantity::parse("1.2345").is_err());
        assert!(Quantity::parse("").is_err());
        assert!(Quantity::parse("abc").is_err());
        assert!(Quantity::parse("1000000001").is_err());
        assert_eq!(Quantity(12_500).to_string(), "12.5");
        assert_eq!(Quantity(3_000).to_string(), "3");
        assert_eq!(Quantity(125).to_string(), "0.125");
    }

    #[test]
    fn quantities_read_json_numbers_and_strings() {
        let q: Quantity = serde_json::from_str("0.1").unwrap();
        assert_eq!(q, Quantity(100));
        let q: Quantity = serde_json::from_str("\"2.25\"").unwrap();
        assert_eq!(q, Quantity(2_250));
        let q: Quantity = serde_json::from_str("7").unwrap();
        assert_eq!(q, Quantity(7_000));
        assert!(serde_json::from_str::<Quantity>("\"x\"").is_err());
        assert_eq!(serde_json::to_string(&Quantity(2_250)).unwrap(), "\"2.25\"");
    }

    #[test]
    fn totals_round_half_away_from_zero() {
        // 2.5 units at 0.01 → 0.025 → 0.03
        assert_eq!(Quantity(2_500).times(1), Some(3));
        assert_eq!(Quantity(2_500).times(-1), Some(-3));
        // 12.5 m² at 1,234.56 → 15,432.00
        assert_eq!(Quantity(12_500).times(123_456), Some(1_543_200));
        assert_eq!(Quantity::MAX.times(i64::MAX), None);
    }

    #[test]
    fn deviation_thresholds() {
        let d = Deviation::of(10_000, 10_000).unwrap();
        assert_eq!((d.permille, d.state), (0, CostState::UnderBudget));
        let d = Deviation::of(10_000, 10_500).unwrap();
        assert_eq!((d.permille, d.state), (50, CostState::Watch));
        assert_eq!(d.percent_text(), "+5 %");
        let d = Deviation::of(10_000, 11_250).unwrap();
        assert_eq!((d.permille, d.state), (125, CostState::Over));
        assert_eq!(d.percent_text(), "+12.5 %");
        let d = Deviation::of(10_000, 9_000).unwrap();
        assert_eq!(d.percent_text(), "−10 %");
        assert!(Deviation::of(0, 5).is_none());
    }

    #[test]
    fn codes_and_letters() {
        assert_eq!(item_code("WSC", "M", 14), "WSC-M-014");
        assert_eq!(item_code_seq("WSC", "M", "WSC-M-014"), Some(14));
        assert_eq!(item_code_seq("WSC", "M", "WSC-M-1200"), Some(1200));
        assert_eq!(item_code_seq("WSC", "M", "WSC-E-014"), None);
        assert_eq!(item_code_seq("WSC", "M", "WSC-M-"), None);
        assert_eq!(group_letter("Millwork", &["C"]), "M");
        assert_eq!(group_letter("Metalwork", &["C", "M"]), "E");
        assert_eq!(group_letter("MEP", &["M", "E", "P"]), "A");
    }

    #[test]
    fn measured_units_are_told_from_counted_ones() {
        for u in ["m²", "M2", " sqm ", "lm", "m", "kg", "Hours", "m³"] {
            assert!(is_measured_unit(u), "{u}");
        }
        for u in ["pcs", "set", "nr", "No.", "lot", "ea", ""] {
            assert!(!is_measured_unit(u), "{u}");
        }
    }

    proptest! {
        #[test]
        fn progress_stays_in_range(items in prop::collection::vec((0..=100_i32, prop::option::of(0..1_000_000_000_i64)), 0..50)) {
            let mut s = ProgressSums::default();
            for (p, t) in &items {
                s.add(ScopeStatus::InProgress, *p, *t);
            }
            match s.progress() {
                None => prop_assert!(items.is_empty()),
                Some(p) => prop_assert!((0..=100).contains(&p)),
            }
        }

        #[test]
        fn quantity_text_round_trips(q in 0..=Quantity::MAX.0) {
            let text = Quantity(q).to_string();
            prop_assert_eq!(Quantity::parse(&text), Ok(Quantity(q)));
        }
    }
}
