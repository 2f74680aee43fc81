//! Reading one spreadsheet row into a checked scope item: cells parsed the way people type
//! them (yes/no, "45%", status labels, money with its currency, numbers with the file's
//! decimal mark), each problem kept per column.

use std::collections::HashMap;

use formula_domain::errors::{CONTROL_CHARACTERS, FieldErrors, has_refused_chars, optional_text};
use formula_domain::money::parse_amount;
use formula_domain::numbers::{NumberFormat, plain_number};
use formula_domain::scope::{Quantity, ScopeItem, ScopeStatus};
use time::OffsetDateTime;
use uuid::Uuid;

use super::columns::{COLUMNS, SheetRow};
use crate::scope::{check_code, check_money, normalise_unit};

fn parse_bool(v: &str) -> Result<bool, &'static str> {
    match v.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "required" => Ok(true),
        "no" | "n" | "false" | "0" | "" | "-" => Ok(false),
        _ => Err("must be yes or no"),
    }
}

fn parse_status(v: &str) -> Result<ScopeStatus, String> {
    let t = v.trim().to_lowercase();
    ScopeStatus::ALL
        .iter()
        .find(|s| s.as_str() == t.replace([' ', '-'], "_") || s.label().to_lowercase() == t)
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = ScopeStatus::ALL.iter().map(|s| s.label()).collect();
            format!("must be one of: {}", names.join(", "))
        })
}

fn parse_progress(v: &str) -> Result<i32, &'static str> {
    let t = v.trim().trim_end_matches('%').trim();
    // A spreadsheet formatted as percent stores 0.45 for 45 %.
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x < 1.0 && t.contains('.') => {
            Ok((x * 100.0).round() as i32)
        }
        Ok(x) if x.is_finite() && (0.0..=100.0).contains(&x) && x.fract() == 0.0 => Ok(x as i32),
        _ => Err("must be a whole percentage from 0 to 100"),
    }
}

/// The checked row, before matching on codes.
pub(super) struct Parsed {
    pub(super) line: usize,
    pub(super) group: String,
    pub(super) code: Option<String>,
    pub(super) item: ScopeItem,
    pub(super) errors: FieldErrors,
    /// Columns present in the file (absent ones keep the existing item's values).
    pub(super) present: Vec<&'static str>,
    /// The *Placed in* cell: a room or room type code, resolved against the project later.
    pub(super) placed_in: Option<String>,
    pub(super) quantity_per_room: Option<Quantity>,
}

/// A date cell: `2026-03-31` (how a spreadsheet's date cell reads too), a time after it
/// (`2026-03-31 00:00:00`) ignored.
fn parse_date(v: &str) -> Option<time::Date> {
    let day = v.split([' ', 'T']).next().unwrap_or(v);
    time::Date::parse(
        day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// Reads one row; `now` stamps the item.
pub(super) fn parse_row(
    row: &SheetRow,
    columns: &HashMap<&'static str, usize>,
    currency: &str,
    units: &[String],
    numbers: NumberFormat,
    now: OffsetDateTime,
) -> Parsed {
    let mut errors = FieldErrors::new();
    let cell = |f: &str| -> Option<&str> {
        columns
            .get(f)
            .map(|i| row.cells.get(*i).map_or("", |c| c.trim()))
    };
    let present: Vec<&'static str> = COLUMNS
        .iter()
        .map(|c| c.0)
        .filter(|f| columns.contains_key(f))
        .collect();
    // A control character (a NUL, an escape) in any cell read is that column's error, as
    // it is in any text typed in; nothing of such a row is stored.
    for (f, _, _) in COLUMNS {
        if cell(f).is_some_and(has_refused_chars) {
            errors.add(f, CONTROL_CHARACTERS);
        }
    }
    let text =
        |errors: &mut FieldErrors, f: &str, max: usize| optional_text(errors, f, cell(f), max);
    // A number cell as plain "1234.5"; a cell the file's number format cannot read one
    // way only is that column's error.
    let number = |errors: &mut FieldErrors, f: &str, v: &str| -> Option<String> {
        plain_number(v, numbers).map_err(|e| errors.add(f, e)).ok()
    };
    let money = |errors: &mut FieldErrors, f: &str| -> Option<i64> {
        let v = cell(f).filter(|v| !v.is_empty())?;
        let v = number(errors, f, v.trim_start_matches(currency).trim())?;
        match parse_amount(&v, currency) {
            Ok(m) => check_money(errors, f, Some(m)),
            Err(e) => {
                errors.add(f, e);
                None
            }
        }
    };
    let group = cell("group").unwrap_or("").to_owned();
    let code = cell("code")
        .filter(|c| !c.is_empty())
        .map(|c| check_code(&mut errors, "code", c));
    let name = cell("name").unwrap_or("").to_owned();
    if name.is_empty() {
        errors.add("name", "is required");
    } else if name.chars().count() > 200 {
        errors.add("name", "must be at most 200 characters");
    }
    let quantity = match cell("quantity").filter(|v| !v.is_empty()) {
        Some(v) => number(&mut errors, "quantity", v)
            .and_then(|v| {
                Quantity::parse(&v)
                    .map_err(|e| errors.add("quantity", e))
                    .ok()
            })
            .unwrap_or_default(),
        None => Quantity::units(1),
    };
    let unit = normalise_unit(
        cell("unit").filter(|v| !v.is_empty()).unwrap_or("pcs"),
        units,
    );
    let status = match cell("status").filter(|v| !v.is_empty()) {
        Some(v) => parse_status(v).unwrap_or_else(|e| {
            errors.add("status", e);
            ScopeStatus::NotStarted
        }),
        None => ScopeStatus::NotStarted,
    };
    let progress = match cell("progress").filter(|v| !v.is_empty()) {
        Some(v) => number(&mut errors, "progress", v.trim_end_matches('%').trim())
            .and_then(|v| {
                parse_progress(&v)
                    .map_err(|e| errors.add("progress", e))
                    .ok()
            })
            .unwrap_or(0),
        None => 0,
    };
    let flag = |errors: &mut FieldErrors, f: &str| match cell(f) {
        Some(v) => parse_bool(v).unwrap_or_else(|e| {
            errors.add(f, e);
            false
        }),
        None => false,
    };
    let placed_in = cell("placed_in").map(str::to_owned);
    let quantity_per_room = match cell("quantity_per_room").filter(|v| !v.is_empty()) {
        Some(v) => number(&mut errors, "quantity_per_room", v).and_then(|v| {
            Quantity::parse(&v)
                .map_err(|e| errors.add("quantity_per_room", e))
                .ok()
        }),
        None => None,
    };
    let drawing_required = flag(&mut errors, "drawing_required");
    let spec_required = flag(&mut errors, "spec_required");
    let install_on =
        cell("install_on")
            .filter(|v| !v.is_empty())
            .and_then(|v| match parse_date(v) {
                Some(d) => Some(d),
                None => {
                    errors.add("install_on", "must be a date written like 2026-03-31");
                    None
                }
            });
    let item = ScopeItem {
        id: Uuid::nil(),
        project_id: Uuid::nil(),
        group_id: Uuid::nil(),
        group_name: String::new(),
        code: String::new(),
        name,
        description: text(&mut errors, "description", 10_000),
        location: text(&mut errors, "location", 200),
        quantity,
        unit,
        unit_price_minor: money(&mut errors, "unit_price"),
        total_minor: None,
        budget_cost_minor: money(&mut errors, "budget_cost"),
        actual_cost_minor: money(&mut errors, "actual_cost"),
        currency: currency.to_owned(),
        status,
        progress,
        drawing_required,
        spec_required,
        position: 0,
        created_at: now,
        updated_at: now,
        updated_by_name: None,
        version: 1,
        released_at: None,
        released_by_name: None,
        release_note: None,
        install_on,
        placement: Default::default(),
    };
    Parsed {
        line: row.line,
        group,
        code,
        item,
        errors,
        present,
        placed_in,
        quantity_per_room,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_parse_like_people_type_them() {
        assert_eq!(parse_progress("45%"), Ok(45));
        assert_eq!(parse_progress("0.45"), Ok(45));
        assert_eq!(parse_progress("100"), Ok(100));
        assert!(parse_progress("101").is_err());
        assert!(parse_progress("12.5").is_err());
        assert_eq!(parse_status("In progress"), Ok(ScopeStatus::InProgress));
        assert_eq!(parse_status("on_hold"), Ok(ScopeStatus::OnHold));
        assert!(parse_status("done-ish").is_err());
        assert_eq!(parse_bool("Yes"), Ok(true));
        assert_eq!(parse_bool(""), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }

    /// Reads one row of a file with `headers` under `numbers`.
    fn row(headers: &[&str], cells: &[&str], numbers: NumberFormat) -> Parsed {
        let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        let (columns, _) = crate::scope_import::map_columns(COLUMNS, &headers);
        let row = SheetRow {
            line: 2,
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
        };
        parse_row(
            &row,
            &columns,
            "EUR",
            &[],
            numbers,
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn installation_dates_are_read_as_iso_days() {
        use formula_domain::numbers::DecimalMark;
        let numbers = NumberFormat {
            mark: DecimalMark::Point,
            inferred: true,
        };
        let headers = ["Group", "Name", "Installation date"];
        let p = row(&headers, &["G", "Desk", "2026-03-31"], numbers);
        assert_eq!(p.item.install_on, Some(time::macros::date!(2026 - 03 - 31)));
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let p = row(&headers, &["G", "Desk", "2026-03-31 00:00:00"], numbers);
        assert_eq!(p.item.install_on, Some(time::macros::date!(2026 - 03 - 31)));
        let p = row(&headers, &["G", "Desk", ""], numbers);
        assert_eq!(p.item.install_on, None);
        let p = row(&headers, &["G", "Desk", "31/03/2026"], numbers);
        assert_eq!(p.item.install_on, None);
        assert_eq!(p.errors.0[0].field, "install_on");
    }

    #[test]
    fn decimal_commas_are_read_as_decimals_not_thousands() {
        use formula_domain::numbers::DecimalMark;
        let from_file = NumberFormat {
            mark: DecimalMark::Comma,
            inferred: true,
        };
        let headers = [
            "Group",
            "Name",
            "Qty",
            "Unit price",
            "Budget cost",
            "Progress %",
        ];
        let p = row(
            &headers,
            &["Construction", "Gypsum", "64", "55,00", "1.234,50", "12,5%"],
            from_file,
        );
        assert_eq!(p.item.quantity, Quantity::units(64));
        assert_eq!(p.item.unit_price_minor, Some(5_500), "not 5,500.00");
        assert_eq!(p.item.budget_cost_minor, Some(123_450));
        // 12,5 % is not a whole percentage: refused as under decimal points.
        assert_eq!(p.errors.0.len(), 1, "{:?}", p.errors);
        assert_eq!(p.errors.0[0].field, "progress");

        let p = row(
            &headers,
            &["G", "Desk", "1,5", "1.234", "", "0,45"],
            from_file,
        );
        assert_eq!(p.item.quantity, Quantity::parse("1.5").unwrap());
        assert_eq!(p.item.progress, 45);
        assert_eq!(p.item.unit_price_minor, None);
        let fields: Vec<&str> = p.errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["unit_price"], "1.234 reads two ways");
        assert!(p.errors.0[0].message.contains("1.234"));

        // The same cell, the format chosen: one thousand two hundred and thirty-four.
        let p = row(
            &headers,
            &["G", "Desk", "1", "1.234", "", ""],
            NumberFormat::chosen(DecimalMark::Comma),
        );
        assert_eq!(p.item.unit_price_minor, Some(123_400));
        assert!(p.errors.is_empty());
    }

    #[test]
    fn a_control_character_in_any_cell_read_is_its_columns_error() {
        let headers = ["Group", "Name", "Room", "Qty", "Notes"];
        let p = row(
            &headers,
            &[
                "Millwork",
                "Desk\0",
                "Lobby\u{1b}[31m",
                "1",
                "tab\tand\r\nbreaks",
            ],
            NumberFormat::default(),
        );
        let fields: Vec<&str> = p.errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "location"], "{:?}", p.errors);
        assert!(p.errors.0[0].message.contains("control characters"));
        // A column the import does not read is not checked ("Notes" is ignored).
        let p = row(
            &["Group", "Name", "Whatever"],
            &["G", "Desk", "\0"],
            NumberFormat::default(),
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
    }

    #[test]
    fn a_decimal_comma_under_decimal_points_is_an_error_not_a_hundred_times_more() {
        let headers = ["Group", "Name", "Qty", "Unit price"];
        let p = row(
            &headers,
            &["Construction", "Gypsum", "1,5", "55,00"],
            NumberFormat::default(),
        );
        let fields: Vec<&str> = p.errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["quantity", "unit_price"]);
        assert_eq!(p.item.unit_price_minor, None);
        let p = row(
            &headers,
            &["G", "Desk", "1,250", "12,500.50"],
            NumberFormat::default(),
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.item.unit_price_minor, Some(1_250_050));
    }
}
