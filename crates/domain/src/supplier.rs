//! The company's supplier directory: who it buys from, in which trades, on what terms, and
//! whom to call there. A supplier is the company's, not a project's.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::errors::FieldErrors;
use crate::money::Money;
use crate::spec::SpecCategory;

/// The most trade categories a supplier has.
pub const MAX_CATEGORIES: usize = 12;
/// The longest trade category, in characters.
pub const MAX_CATEGORY_CHARS: usize = 40;
/// The longest default lead time, in days.
pub const MAX_LEAD_TIME_DAYS: i32 = 730;

/// A supplier in the directory.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Supplier {
    pub id: Uuid,
    /// Unique whatever the case.
    pub name: String,
    /// Trade categories, lower-case words (`veneer`, `solid_surface`, `upholstery`…), sorted.
    pub categories: Vec<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    /// The postal address, one line per line.
    pub address: Option<String>,
    pub tax_number: Option<String>,
    /// E.g. "30 days net", "50% with order".
    pub payment_terms: Option<String>,
    /// How many days an order usually takes to arrive; a specification's lead time defaults
    /// to it.
    pub lead_time_days: Option<i32>,
    pub notes: Option<String>,
    /// Archived suppliers stay on what refers to them but are offered for nothing new.
    pub archived: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A person at a supplier; a supplier's contacts are kept in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SupplierContact {
    pub id: Uuid,
    pub supplier_id: Uuid,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// 0-based place in the supplier's list.
    pub position: i32,
}

/// How a supplier has served the company, from its purchase orders (drafts and cancelled
/// orders left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SupplierFigures {
    /// Orders placed (neither draft nor cancelled).
    pub orders: i64,
    /// The value of those orders per currency; absent for those who may not see purchase
    /// prices, and counting only the projects whose prices the caller sees.
    pub order_value: Option<Vec<Money>>,
    /// Received lines that had a required date (lines without one are left out).
    pub dated_lines_received: i64,
    /// Of those, the ones received on or before their required date.
    pub lines_on_time: i64,
    /// `lines_on_time` as a whole percentage of `dated_lines_received`, if any.
    pub on_time_percent: Option<i64>,
    /// Lines received after their required date.
    pub lines_late: i64,
    /// Their average lateness in days, rounded to a whole day, if any.
    pub average_days_late: Option<i64>,
}

impl SupplierFigures {
    /// Fills the delivery figures from `(required_on, received_on)` of the received lines
    /// that had a required date.
    pub fn with_deliveries(mut self, lines: &[(time::Date, time::Date)]) -> Self {
        let total = i64::try_from(lines.len()).unwrap_or(i64::MAX);
        let late: Vec<i64> = lines
            .iter()
            .map(|(required, received)| (*received - *required).whole_days())
            .filter(|d| *d > 0)
            .collect();
        let late_count = i64::try_from(late.len()).unwrap_or(i64::MAX);
        self.dated_lines_received = total;
        self.lines_on_time = total - late_count;
        self.lines_late = late_count;
        self.on_time_percent = (total > 0).then(|| (self.lines_on_time * 100 + total / 2) / total);
        self.average_days_late =
            (late_count > 0).then(|| (late.iter().sum::<i64>() + late_count / 2) / late_count);
        self
    }
}

/// The categories offered as suggestions: those of specifications.
pub fn suggested_categories() -> Vec<(&'static str, &'static str)> {
    SpecCategory::ALL
        .iter()
        .map(|c| (c.as_str(), c.label()))
        .collect()
}

/// A category as shown: the specification category's label, or the word itself with
/// underscores as spaces and its first letter capitalised.
pub fn category_label(word: &str) -> String {
    if let Some(c) = SpecCategory::ALL.iter().find(|c| c.as_str() == word) {
        return c.label().to_owned();
    }
    let spaced = word.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// One category as typed, tidied: trimmed, lower-case, inner spaces as `_`; letters,
/// digits, `_`, `-` and `&` only.
pub fn parse_category(typed: &str) -> Result<String, String> {
    let word = typed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase();
    if word.is_empty() {
        return Err("a category must not be blank".into());
    }
    if word.chars().count() > MAX_CATEGORY_CHARS {
        return Err(format!(
            "a category must be at most {MAX_CATEGORY_CHARS} characters"
        ));
    }
    if !word
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '&'))
    {
        return Err(format!(
            "“{}” may hold only letters, digits, spaces, - and &",
            typed.trim()
        ));
    }
    Ok(word)
}

/// The categories as typed, tidied, without repeats and sorted; problems go on `categories`.
pub fn parse_categories(errors: &mut FieldErrors, typed: &[String]) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for t in typed {
        match parse_category(t) {
            Ok(w) => {
                if !words.contains(&w) {
                    words.push(w);
                }
            }
            Err(m) => errors.add("categories", m),
        }
    }
    if words.len() > MAX_CATEGORIES {
        errors.add("categories", format!("at most {MAX_CATEGORIES} categories"));
    }
    words.sort();
    words
}

/// Categories typed in one box, separated by commas.
pub fn split_categories(typed: &str) -> Vec<String> {
    typed
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks a default lead time.
pub fn check_lead_time(errors: &mut FieldErrors, days: Option<i64>) -> Option<i32> {
    let d = days?;
    match i32::try_from(d) {
        Ok(d) if (0..=MAX_LEAD_TIME_DAYS).contains(&d) => Some(d),
        _ => {
            errors.add(
                "lead_time_days",
                format!("must be 0 to {MAX_LEAD_TIME_DAYS} days"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn categories_are_tidied_deduplicated_and_sorted() {
        let mut errors = FieldErrors::new();
        let words = parse_categories(
            &mut errors,
            &[
                " Veneer ".into(),
                "solid  surface".into(),
                "veneer".into(),
                "Upholstery".into(),
            ],
        );
        assert!(errors.is_empty());
        assert_eq!(words, ["solid_surface", "upholstery", "veneer"]);
        assert_eq!(category_label("solid_surface"), "Solid surface");
        assert_eq!(category_label("upholstery"), "Upholstery");
        assert_eq!(split_categories("wood, , glass,"), ["wood", "glass"]);
    }

    #[test]
    fn bad_categories_and_lead_times_are_refused() {
        let mut errors = FieldErrors::new();
        parse_categories(&mut errors, &["<b>".into(), " ".into()]);
        assert!(errors.get("categories").is_some());
        let many: Vec<String> = (0..13).map(|i| format!("c{i}")).collect();
        let mut errors = FieldErrors::new();
        parse_categories(&mut errors, &many);
        assert!(errors.get("categories").unwrap().contains("at most"));
        let mut errors = FieldErrors::new();
        assert_eq!(check_lead_time(&mut errors, Some(14)), Some(14));
        assert_eq!(check_lead_time(&mut errors, None), None);
        assert!(errors.is_empty());
        check_lead_time(&mut errors, Some(-1));
        check_lead_time(&mut errors, Some(i64::MAX));
        assert_eq!(errors.0.len(), 2);
    }

    #[test]
    fn delivery_figures_count_on_time_and_average_lateness() {
        let lines = [
            (date!(2026 - 03 - 10), date!(2026 - 03 - 09)),
            (date!(2026 - 03 - 10), date!(2026 - 03 - 10)),
            (date!(2026 - 03 - 10), date!(2026 - 03 - 13)),
            (date!(2026 - 03 - 10), date!(2026 - 03 - 12)),
        ];
        let f = SupplierFigures::default().with_deliveries(&lines);
        assert_eq!(f.dated_lines_received, 4);
        assert_eq!(f.lines_on_time, 2);
        assert_eq!(f.on_time_percent, Some(50));
        assert_eq!(f.lines_late, 2);
        // (3 + 2) / 2 = 2.5, rounded half up.
        assert_eq!(f.average_days_late, Some(3));
        let none = SupplierFigures::default().with_deliveries(&[]);
        assert_eq!((none.on_time_percent, none.average_days_late), (None, None));
    }
}
