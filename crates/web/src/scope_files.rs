//! Spreadsheets: reading an uploaded file into rows for an import, the drawing log, the
//! scope import template, and the scope's `.xlsx` / `.csv` exports (which import back
//! unchanged). Specifications have theirs in `crate::spec_files`.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use formula_app::scope::ScopeOverview;
use formula_app::scope_import::{COLUMNS, Column as ImportColumn, Sheet as ImportSheet, SheetRow};
use formula_domain::money::minor_digits;
use formula_domain::numbers::{DecimalMark, NumberFormat};
use formula_domain::scope::ScopeItem;
use formula_reports::{Cell, Column, Kind, Sheet};

/// A spreadsheet download format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl std::str::FromStr for Format {
    type Err = &'static str;
    /// From a file extension or a `format` parameter.
    fn from_str(s: &str) -> Result<Format, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "xlsx" => Ok(Format::Xlsx),
            "csv" => Ok(Format::Csv),
            _ => Err("must be xlsx or csv"),
        }
    }
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }
}

/// An import's "number format" choice: `auto` leaves it to the file (`None`),
/// `decimal_point` is 1,234.56, `decimal_comma` 1.234,56.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NumberChoice(pub Option<DecimalMark>);

impl std::str::FromStr for NumberChoice {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "" | "auto" => Ok(NumberChoice(None)),
            v => v.parse().map(|m| NumberChoice(Some(m))),
        }
    }
}

/// Why an uploaded spreadsheet was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum UploadError {
    /// Not a spreadsheet, or a damaged one (422).
    Unreadable(String),
    /// More than an import reads: rows, columns, cells, text or unpacked bytes (413).
    TooLarge(String),
    /// Every reading slot is taken (503 with `Retry-After`).
    Busy,
    /// Reading took longer than its deadline and was stopped (503 with `Retry-After`).
    TimedOut(std::time::Duration),
}

impl UploadError {
    /// Seconds a client is told to wait before it tries again (`Retry-After`).
    pub const RETRY_AFTER_SECS: u64 = 5;

    /// What the sender is told.
    pub fn message(&self) -> String {
        match self {
            UploadError::Unreadable(m) | UploadError::TooLarge(m) => m.clone(),
            UploadError::Busy => {
                "the server is reading other spreadsheets just now; try again in a few seconds"
                    .into()
            }
            UploadError::TimedOut(limit) => format!(
                "reading the file took longer than {} seconds and was stopped; try again in a moment, or split the file",
                limit.as_secs()
            ),
        }
    }

    /// The answer's status.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            UploadError::Unreadable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            UploadError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::Busy | UploadError::TimedOut(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Reads an uploaded file into the rows the import checks, its numbers written as chosen
/// or (`None`) as the file suggests: on the spreadsheet-reading pool, within its limits and
/// deadline.
pub async fn read_upload(
    pool: &crate::read_pool::ReadPool,
    bytes: axum::body::Bytes,
    file_name: &str,
    numbers: Option<DecimalMark>,
) -> Result<ImportSheet, UploadError> {
    use crate::read_pool::Refused;
    use formula_reports::Decimals;
    let decimals = numbers.map(|m| match m {
        DecimalMark::Point => Decimals::Point,
        DecimalMark::Comma => Decimals::Comma,
    });
    let name = file_name.to_owned();
    let read = pool
        .run(move |stop| formula_reports::read_table_until(&bytes, &name, decimals, stop))
        .await;
    let table = match read {
        Ok(Ok(table)) => table,
        Ok(Err(e)) if e.is_too_large() => return Err(UploadError::TooLarge(e.to_string())),
        // Stopped by the deadline, which the pool reports as it passes.
        Ok(Err(formula_reports::ReadError::Cancelled)) | Err(Refused::TimedOut) => {
            return Err(UploadError::TimedOut(pool.deadline()));
        }
        Ok(Err(e)) => return Err(UploadError::Unreadable(e.to_string())),
        Err(Refused::Busy) => return Err(UploadError::Busy),
        Err(Refused::Failed(e)) => {
            tracing::error!(error = %e, "reading a spreadsheet failed");
            return Err(UploadError::Unreadable(
                "the file could not be read; save it again from Excel or LibreOffice".into(),
            ));
        }
    };
    let mark = match table.decimals {
        Decimals::Point => DecimalMark::Point,
        Decimals::Comma => DecimalMark::Comma,
    };
    Ok(ImportSheet {
        numbers: NumberFormat {
            mark,
            inferred: numbers.is_none(),
        },
        headers: table.headers,
        rows: table
            .rows
            .into_iter()
            .map(|r| SheetRow {
                line: r.line,
                cells: r.cells,
            })
            .collect(),
    })
}

fn kind_of(field: &str, places: u32) -> (Kind, f64) {
    match field {
        "group" => (Kind::Text, 18.0),
        "code" => (Kind::Text, 18.0),
        "name" => (Kind::Text, 40.0),
        "description" => (Kind::Text, 40.0),
        "location" => (Kind::Text, 18.0),
        "quantity" | "quantity_per_room" => (Kind::Decimal, 10.0),
        "placed_in" => (Kind::Text, 16.0),
        "unit" => (Kind::Text, 8.0),
        "unit_price" | "budget_cost" | "actual_cost" => (Kind::Money { places }, 14.0),
        "progress" => (Kind::Integer, 11.0),
        "install_on" => (Kind::Date, 14.0),
        _ => (Kind::Text, 14.0),
    }
}

/// The columns of exports and the template: the import's columns, with Total after the
/// unit price (derived, so an import ignores it).
fn columns(places: u32) -> Vec<(Option<&'static str>, Column)> {
    let mut out = Vec::new();
    for (field, header, _) in COLUMNS {
        let (kind, width) = kind_of(field, places);
        out.push((Some(*field), Column::new(*header, kind, width)));
        if *field == "unit_price" {
            out.push((None, Column::new("Total", Kind::Money { places }, 16.0)));
        }
    }
    out
}

pub(crate) fn yes_no(v: bool) -> Cell {
    Cell::Text(if v { "Yes" } else { "No" }.into())
}

pub(crate) fn money(v: Option<i64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Money)
}

fn item_cells(i: &ScopeItem, cols: &[(Option<&'static str>, Column)]) -> Vec<Cell> {
    cols.iter()
        .map(|(field, _)| match field.unwrap_or("total") {
            "group" => Cell::Text(i.group_name.clone()),
            "code" => Cell::Text(i.code.clone()),
            "name" => Cell::Text(i.name.clone()),
            "description" => i.description.clone().map_or(Cell::Empty, Cell::Text),
            "location" => i.location.clone().map_or(Cell::Empty, Cell::Text),
            "placed_in" => i
                .placement
                .room_type_code
                .clone()
                .or_else(|| i.placement.room_code.clone())
                .map_or(Cell::Empty, Cell::Text),
            "quantity_per_room" => i
                .placement
                .quantity_per_room
                .map_or(Cell::Empty, |q| Cell::Decimal(q.to_string())),
            "quantity" => Cell::Decimal(i.quantity.to_string()),
            "unit" => Cell::Text(i.unit.clone()),
            "unit_price" => money(i.unit_price_minor),
            "total" => money(i.total_minor),
            "budget_cost" => money(i.budget_cost_minor),
            "actual_cost" => money(i.actual_cost_minor),
            "status" => Cell::Text(i.status.label().into()),
            "progress" => Cell::Int(i64::from(i.progress)),
            "drawing_required" => yes_no(i.drawing_required),
            "spec_required" => yes_no(i.spec_required),
            "install_on" => i.install_on.map_or(Cell::Empty, Cell::Date),
            _ => Cell::Empty,
        })
        .collect()
}

/// A column's letter (0 → A, 26 → AA).
fn letter(mut col: usize) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, char::from(b'A' + u8::try_from(col % 26).unwrap_or(0)));
        if col < 26 {
            return s;
        }
        col = col / 26 - 1;
    }
}

/// The workbook of a project's scope: the items (importable as they are) and the totals
/// per group as formulas over them, with their values stored too.
fn workbook(o: &ScopeOverview, title: &str) -> Result<Vec<u8>, String> {
    let places = minor_digits(&o.currency);
    let cols = columns(places);
    let rows: Vec<Vec<Cell>> = o.items.iter().map(|i| item_cells(i, &cols)).collect();
    let at = |name: &str| {
        cols.iter()
            .position(|(f, _)| f.unwrap_or("total") == name)
            .map(letter)
            .unwrap_or_default()
    };
    let (g, st) = (at("group"), at("status"));
    let n = rows.len() + 1;
    let sum = |col: &str, group: Option<&str>, value: i64| {
        let col = at(col);
        let cond = group.map_or(String::new(), |name| {
            format!(",Scope!{g}2:{g}{n},\"{}\"", name.replace('"', "\"\""))
        });
        Cell::Formula {
            formula: format!(
                "=SUMIFS(Scope!{col}2:{col}{n}{cond},Scope!{st}2:{st}{n},\"<>Cancelled\")"
            ),
            value: Box::new(Cell::Money(value)),
        }
    };
    let mut totals: Vec<Vec<Cell>> = o
        .groups
        .iter()
        .map(|s| {
            vec![
                Cell::Text(s.group.name.clone()),
                Cell::Int(s.totals.items),
                sum("total", Some(&s.group.name), s.totals.total_minor),
                sum(
                    "budget_cost",
                    Some(&s.group.name),
                    s.totals.budget_cost_minor,
                ),
                sum(
                    "actual_cost",
                    Some(&s.group.name),
                    s.totals.actual_cost_minor,
                ),
                Cell::Int(i64::from(s.totals.progress)),
            ]
        })
        .collect();
    totals.push(vec![
        Cell::Label(format!("Total {title}")),
        Cell::Int(o.totals.items),
        sum("total", None, o.totals.total_minor),
        sum("budget_cost", None, o.totals.budget_cost_minor),
        sum("actual_cost", None, o.totals.actual_cost_minor),
        Cell::Int(i64::from(o.totals.progress)),
    ]);
    let money_col = |h: &str| {
        Column::new(
            format!("{h} ({})", o.currency),
            Kind::Money { places },
            18.0,
        )
    };
    let sheets = [
        Sheet {
            name: "Scope".into(),
            columns: cols.into_iter().map(|(_, c)| c).collect(),
            rows,
            bold_rows: Vec::new(),
        },
        Sheet {
            name: "Totals".into(),
            columns: vec![
                Column::new("Group", Kind::Text, 28.0),
                Column::new("Items", Kind::Integer, 8.0),
                money_col("Total"),
                money_col("Budget cost"),
                money_col("Actual cost"),
                Column::new("Progress %", Kind::Integer, 11.0),
            ],
            bold_rows: vec![totals.len() - 1],
            rows: totals,
        },
    ];
    formula_reports::xlsx_bytes(&sheets).map_err(|e| e.to_string())
}

pub(crate) fn csv_text(cell: &Cell, places: u32) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(t) | Cell::Label(t) | Cell::Decimal(t) => t.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Money(m) => plain_money(*m, places),
        Cell::Date(d) => d.to_string(),
        Cell::Formula { value, .. } => csv_text(value, places),
    }
}

/// Money as plain decimal text with the currency's places and no separators ("12345.67"),
/// which every spreadsheet and the import read alike.
fn plain_money(minor: i64, places: u32) -> String {
    if places == 0 {
        return minor.to_string();
    }
    let scale = 10_u64.pow(places);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0w$}",
        abs / scale,
        abs % scale,
        w = places as usize
    )
}

/// A file download response.
pub(crate) fn download(bytes: Vec<u8>, format: Format, name: &str) -> Response {
    let mime = match format {
        Format::Xlsx => formula_reports::XLSX_MIME,
        Format::Csv => formula_reports::CSV_MIME,
    };
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    // The name is built from a project code and fixed words: plain ASCII.
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{safe}.{}\"",
        format.extension()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The scope of a project as a download.
pub fn export(o: &ScopeOverview, project_code: &str, format: Format) -> Result<Response, String> {
    let name = format!("{project_code}-scope");
    let bytes = match format {
        Format::Xlsx => workbook(o, project_code)?,
        Format::Csv => {
            let places = minor_digits(&o.currency);
            let cols = columns(places);
            let headers: Vec<String> = cols.iter().map(|(_, c)| c.header.clone()).collect();
            let rows: Vec<Vec<String>> = o
                .items
                .iter()
                .map(|i| {
                    item_cells(i, &cols)
                        .iter()
                        .map(|c| csv_text(c, places))
                        .collect()
                })
                .collect();
            formula_reports::csv_bytes(&headers, &rows)
        }
    };
    Ok(download(bytes, format, &name))
}

/// The empty import template.
pub fn template(format: Format) -> Result<Response, String> {
    let cols = columns(2).into_iter().map(|(_, c)| c).collect();
    template_of(
        COLUMNS,
        &["group", "name"],
        cols,
        "Scope",
        format,
        "scope-import-template",
    )
}

/// An empty import template: a sheet with the importable columns, and (in `.xlsx`) a sheet
/// saying which are required and what other headers are recognised.
pub(crate) fn template_of(
    table: &[ImportColumn],
    required: &[&str],
    columns: Vec<Column>,
    sheet: &str,
    format: Format,
    file_name: &str,
) -> Result<Response, String> {
    let bytes = match format {
        Format::Xlsx => {
            let help: Vec<Vec<Cell>> = table
                .iter()
                .map(|(field, header, aliases)| {
                    vec![
                        Cell::Text((*header).into()),
                        yes_no(required.contains(field)),
                        Cell::Text(aliases.join(", ")),
                    ]
                })
                .collect();
            formula_reports::xlsx_bytes(&[
                Sheet {
                    name: sheet.into(),
                    columns,
                    rows: Vec::new(),
                    bold_rows: Vec::new(),
                },
                Sheet {
                    name: "Columns".into(),
                    columns: vec![
                        Column::new("Column", Kind::Text, 24.0),
                        Column::new("Required", Kind::Text, 10.0),
                        Column::new("Also recognised as", Kind::Text, 60.0),
                    ],
                    rows: help,
                    bold_rows: Vec::new(),
                },
            ])
            .map_err(|e| e.to_string())?
        }
        Format::Csv => {
            let headers: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
            formula_reports::csv_bytes(&headers, &[])
        }
    };
    Ok(download(bytes, format, file_name))
}

/// The drawing log of a project as `.xlsx`: one row per drawing with its current revision.
pub fn drawing_log(
    drawings: &[formula_domain::drawing::Drawing],
    item_codes: &std::collections::HashMap<uuid::Uuid, String>,
    project_code: &str,
) -> Result<Response, String> {
    let rows = drawings
        .iter()
        .map(|d| {
            let (rev, submitted) = match &d.current {
                Some(c) => (
                    Cell::Text(c.label.clone()),
                    c.submitted_at.map_or(Cell::Empty, |t| Cell::Date(t.date())),
                ),
                None => (Cell::Empty, Cell::Empty),
            };
            let items: Vec<&str> = d
                .scope_item_ids
                .iter()
                .filter_map(|i| item_codes.get(i).map(String::as_str))
                .collect();
            vec![
                Cell::Text(d.number.clone()),
                Cell::Text(d.title.clone()),
                Cell::Text(d.kind.label().into()),
                d.area.clone().map_or(Cell::Empty, Cell::Text),
                rev,
                Cell::Text(d.status_text()),
                submitted,
                Cell::Text(items.join(", ")),
            ]
        })
        .collect();
    let sheet = Sheet {
        name: "Drawing log".into(),
        columns: vec![
            Column::new("Number", Kind::Text, 14.0),
            Column::new("Title", Kind::Text, 40.0),
            Column::new("Type", Kind::Text, 12.0),
            Column::new("Room / area", Kind::Text, 18.0),
            Column::new("Revision", Kind::Text, 9.0),
            Column::new("Status", Kind::Text, 22.0),
            Column::new("Submitted", Kind::Date, 12.0),
            Column::new("Scope items", Kind::Text, 30.0),
        ],
        rows,
        bold_rows: Vec::new(),
    };
    let bytes = formula_reports::xlsx_bytes(&[sheet]).map_err(|e| e.to_string())?;
    Ok(download(
        bytes,
        Format::Xlsx,
        &format!("{project_code}-drawing-log"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "AA");
        assert_eq!(letter(27), "AB");
    }
}
