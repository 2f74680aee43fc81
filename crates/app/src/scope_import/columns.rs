//! A spreadsheet as read, the scope import's columns, and how the file's headers map onto
//! them both ways: header to the field it fills, field to the header named in its errors.

use std::collections::HashMap;

use formula_domain::errors::{FieldError, FieldErrors};
use formula_domain::numbers::NumberFormat;
use serde::{Deserialize, Serialize};

/// A spreadsheet as read: the header texts, the rows below them, and how its numbers are
/// written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<SheetRow>,
    #[serde(default)]
    pub numbers: NumberFormat,
}

/// One row of cell texts and its line number as the user sees it (the header is line 1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SheetRow {
    pub line: usize,
    pub cells: Vec<String>,
}

/// An importable column: field, header written in templates and exports, and other header
/// names accepted for it.
pub type Column = (&'static str, &'static str, &'static [&'static str]);

/// The import template's columns.
pub const COLUMNS: &[Column] = &[
    ("group", "Group", &["section", "category", "trade"]),
    (
        "code",
        "Item code",
        &["code", "item no", "item number", "ref", "reference"],
    ),
    ("name", "Name", &["item", "item name", "title"]),
    (
        "description",
        "Description",
        &["details", "notes", "specification"],
    ),
    (
        "location",
        "Location",
        &["room", "area", "room/location", "room location"],
    ),
    // A room code or a room type code of the project (see docs/locations.md); empty: not placed.
    (
        "placed_in",
        "Placed in",
        &["room code", "room type", "room type code", "placement"],
    ),
    (
        "quantity_per_room",
        "Quantity per room",
        &["qty per room", "per room", "quantity per room type"],
    ),
    ("quantity", "Quantity", &["qty", "quantities"]),
    ("unit", "Unit", &["uom", "units", "unit of measure"]),
    (
        "unit_price",
        "Unit price",
        &["rate", "price", "unit rate", "unit cost"],
    ),
    ("budget_cost", "Budget cost", &["budget", "budgeted cost"]),
    (
        "actual_cost",
        "Actual cost",
        &["actual", "actual cost to date"],
    ),
    ("status", "Status", &[]),
    (
        "progress",
        "Progress %",
        &["progress", "% complete", "percent complete", "complete"],
    ),
    (
        "drawing_required",
        "Shop drawing required",
        &["drawing required", "drawings required", "shop drawing"],
    ),
    (
        "spec_required",
        "Material spec required",
        &["spec required", "specs required", "material spec"],
    ),
    // The day it must be installed on site, as 2026-03-31 (a date cell of a spreadsheet
    // reads so too); empty: none.
    (
        "install_on",
        "Installation date",
        &[
            "install on",
            "install date",
            "installation",
            "installed by",
            "install by",
        ],
    ),
];

/// Columns an import cannot do without.
pub(super) const REQUIRED: &[&str] = &["group", "name"];

/// Lower-case, without spaces, `_`, `.`, `-` and a trailing `(unit)`: "Unit Price (USD)" → "unitprice".
pub fn header_key(header: &str) -> String {
    let h = header.trim();
    let h = match (h.rfind('('), h.ends_with(')')) {
        (Some(i), true) if i > 0 => &h[..i],
        _ => h,
    };
    h.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '.' | '-' | '\u{a0}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// For each field of `table`, the index of the column it is read from; and the headers
/// that match none.
pub(crate) fn map_columns(
    table: &[Column],
    headers: &[String],
) -> (HashMap<&'static str, usize>, Vec<String>) {
    let mut found = HashMap::new();
    let mut ignored = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let key = header_key(h);
        if key.is_empty() {
            continue;
        }
        let field = table.iter().find(|(field, header, aliases)| {
            header_key(field) == key
                || header_key(header) == key
                || aliases.iter().any(|a| header_key(a) == key)
        });
        match field {
            Some((f, _, _)) if !found.contains_key(f) => {
                found.insert(*f, i);
            }
            _ => ignored.push(h.clone()),
        }
    }
    (found, ignored)
}

/// Names each error's column the way the file does ("Rate" rather than `unit_price_minor`).
pub(crate) fn as_headers(
    table: &[Column],
    errors: FieldErrors,
    columns: &HashMap<&'static str, usize>,
    headers: &[String],
) -> Vec<FieldError> {
    errors
        .0
        .into_iter()
        .map(|e| {
            let field = e.field.strip_suffix("_minor").unwrap_or(&e.field);
            let header = match columns.get(field) {
                Some(i) => headers.get(*i).cloned(),
                None => table.iter().find(|c| c.0 == field).map(|c| c.1.to_owned()),
            };
            FieldError {
                field: header.unwrap_or(e.field),
                message: e.message,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_by_name_and_alias() {
        let headers: Vec<String> = [
            "Item Code",
            "Qty",
            "Unit Price (USD)",
            "Room",
            "Whatever",
            "GROUP",
            "name",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        let (found, ignored) = map_columns(COLUMNS, &headers);
        assert_eq!(found.get("code"), Some(&0));
        assert_eq!(found.get("quantity"), Some(&1));
        assert_eq!(found.get("unit_price"), Some(&2));
        assert_eq!(found.get("location"), Some(&3));
        assert_eq!(found.get("group"), Some(&5));
        assert_eq!(found.get("name"), Some(&6));
        assert_eq!(ignored, vec!["Whatever".to_string()]);
    }
}
