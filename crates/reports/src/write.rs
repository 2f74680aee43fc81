//! Writing spreadsheets: `.xlsx` workbooks of typed, formatted sheets, and `.csv` files
//! that Excel opens correctly and that cannot smuggle formulas.

use rust_xlsxwriter::{Format, FormatAlign, Formula, Workbook, XlsxError};

/// How a column's values are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Whole numbers with thousands separators.
    Integer,
    /// Decimals as typed (up to three places shown).
    Decimal,
    /// Money in minor units with this many decimal places.
    Money {
        places: u32,
    },
    /// A whole percentage 0–100.
    Percent,
    Date,
}

/// A column: its header, how its cells look, and its width in characters.
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub kind: Kind,
    pub width: f64,
}

impl Column {
    pub fn new(header: impl Into<String>, kind: Kind, width: f64) -> Self {
        Column {
            header: header.into(),
            kind,
            width,
        }
    }
}

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// Money in minor units (1234567 with 2 places is 12,345.67).
    Money(i64),
    /// An exact decimal as text (`"12.5"`), written as a number.
    Decimal(String),
    Date(time::Date),
    /// A formula (without the leading `=` or with it) and the value it gives, stored with it
    /// so readers that do not calculate still see the number.
    Formula {
        formula: String,
        value: Box<Cell>,
    },
    /// Bold text (a label on a totals row).
    Label(String),
}

/// One worksheet.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows (0-based, counting from the first data row) written bold, e.g. totals.
    pub bold_rows: Vec<usize>,
}

/// Why a workbook could not be written (a bug, not something a user sent).
#[derive(Debug, thiserror::Error)]
#[error("the spreadsheet could not be written: {0}")]
pub struct WriteError(String);

impl From<XlsxError> for WriteError {
    fn from(e: XlsxError) -> Self {
        WriteError(e.to_string())
    }
}

/// `minor` as a decimal string with `places` decimals ("12345.67").
pub(crate) fn minor_text(minor: i64, places: u32) -> String {
    if places == 0 {
        return minor.to_string();
    }
    let scale = 10_u64.pow(places);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = places as usize
    )
}

fn number_format(kind: Kind) -> Option<String> {
    match kind {
        Kind::Text => None,
        Kind::Integer => Some("#,##0".into()),
        Kind::Decimal => Some("#,##0.###".into()),
        Kind::Money { places: 0 } => Some("#,##0".into()),
        Kind::Money { places } => Some(format!("#,##0.{}", "0".repeat(places as usize))),
        Kind::Percent => Some("0\" %\"".into()),
        Kind::Date => Some("yyyy-mm-dd".into()),
    }
}

/// The text of a cell's value as a number, for cached formula results.
fn value_text(cell: &Cell, kind: Kind) -> String {
    match (cell, kind) {
        (Cell::Money(m), Kind::Money { places }) => minor_text(*m, places),
        (Cell::Money(m), _) => m.to_string(),
        (Cell::Int(i), _) => i.to_string(),
        (Cell::Decimal(d), _) => d.clone(),
        (Cell::Text(t) | Cell::Label(t), _) => t.clone(),
        (Cell::Date(d), _) => d.to_string(),
        (Cell::Formula { value, .. }, k) => value_text(value, k),
        (Cell::Empty, _) => String::new(),
    }
}

/// A workbook of `sheets`, as `.xlsx` bytes: bold frozen header with a filter, number
/// formats per column, column widths.
pub fn xlsx_bytes(sheets: &[Sheet]) -> Result<Vec<u8>, WriteError> {
    let mut book = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(0x00E8_EEF7)
        .set_align(FormatAlign::Center);
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&sheet.name)?;
        let formats: Vec<(Format, Format)> = sheet
            .columns
            .iter()
            .map(|c| {
                let plain = match number_format(c.kind) {
                    Some(f) => Format::new().set_num_format(f),
                    None => Format::new(),
                };
                let bold = plain.clone().set_bold();
                (plain, bold)
            })
            .collect();
        for (col, c) in sheet.columns.iter().enumerate() {
            let col = u16::try_from(col).map_err(|_| WriteError("too many columns".into()))?;
            ws.set_column_width(col, c.width)?;
            ws.write_string_with_format(0, col, &c.header, &header)?;
        }
        for (i, cells) in sheet.rows.iter().enumerate() {
            let row = u32::try_from(i + 1).map_err(|_| WriteError("too many rows".into()))?;
            let bold = sheet.bold_rows.contains(&i);
            for (col, cell) in cells.iter().enumerate() {
                let Some(column) = sheet.columns.get(col) else {
                    continue;
                };
                let (plain, strong) = &formats[col];
                let format = if bold { strong } else { plain };
                let col = u16::try_from(col).map_err(|_| WriteError("too many columns".into()))?;
                match cell {
                    Cell::Empty => {}
                    Cell::Text(t) => {
                        // Written as a string cell: never evaluated, so no formula injection.
                        ws.write_string_with_format(row, col, t, format)?;
                    }
                    Cell::Label(t) => {
                        ws.write_string_with_format(row, col, t, strong)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number_with_format(row, col, *n as f64, format)?;
                    }
                    Cell::Money(_) | Cell::Decimal(_) => {
                        let text = value_text(cell, column.kind);
                        let n: f64 = text.parse().unwrap_or(0.0);
                        ws.write_number_with_format(row, col, n, format)?;
                    }
                    // Excel's dates run from 1900 to 9999; another year (a typing slip
                    // the record kept) is written as its text, not refused.
                    Cell::Date(d) if !(1900..=9999).contains(&d.year()) => {
                        ws.write_string(row, col, d.to_string())?;
                    }
                    Cell::Date(d) => {
                        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(
                            u16::try_from(d.year()).unwrap_or(1900),
                            u8::from(d.month()),
                            d.day(),
                        )?;
                        ws.write_datetime_with_format(row, col, &date, format)?;
                    }
                    Cell::Formula { formula, value } => {
                        let f = Formula::new(formula).set_result(value_text(value, column.kind));
                        ws.write_formula_with_format(row, col, f, format)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        if !sheet.columns.is_empty() {
            let last_col = u16::try_from(sheet.columns.len() - 1)
                .map_err(|_| WriteError("too many columns".into()))?;
            let last_row =
                u32::try_from(sheet.rows.len()).map_err(|_| WriteError("too many rows".into()))?;
            ws.autofilter(0, 0, last_row.max(1), last_col)?;
        }
    }
    Ok(book.save_to_buffer()?)
}

/// A `.csv` file: UTF-8 with a byte-order mark (so Excel reads accents correctly), RFC 4180
/// quoting. Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
/// `'`, so a spreadsheet opening the file shows it instead of running it as a formula
/// (numbers written by the caller as plain digits are not affected).
pub fn csv_bytes(headers: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let guard = |s: &String| -> String {
        let risky = s.starts_with(['=', '+', '@', '\t', '\r'])
            || (s.starts_with('-') && s.parse::<f64>().is_err());
        if risky { format!("'{s}") } else { s.clone() }
    };
    // Writing to a Vec cannot fail; a failure would only lose this row.
    let _ = w.write_record(headers.iter().map(guard));
    for r in rows {
        let _ = w.write_record(r.iter().map(guard));
    }
    out.extend(w.into_inner().unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_print_exactly() {
        assert_eq!(minor_text(1_234_567, 2), "12345.67");
        assert_eq!(minor_text(-5, 2), "-0.05");
        assert_eq!(minor_text(7, 0), "7");
        assert_eq!(minor_text(1_000, 3), "1.000");
    }

    /// Written here, read back by calamine (a third-party reader): every value, and the
    /// cached result of the totals formula.
    #[test]
    fn xlsx_round_trips_through_a_third_party_reader() {
        let sheet = Sheet {
            name: "Scope".into(),
            columns: vec![
                Column::new("Name", Kind::Text, 30.0),
                Column::new("Qty", Kind::Decimal, 8.0),
                Column::new("Total", Kind::Money { places: 2 }, 14.0),
                Column::new("Due", Kind::Date, 12.0),
            ],
            rows: vec![
                vec![
                    Cell::Text("Réception desk, walnut ✓".into()),
                    Cell::Decimal("12.5".into()),
                    Cell::Money(1_543_200),
                    Cell::Date(time::macros::date!(2026 - 03 - 31)),
                ],
                vec![
                    Cell::Text("=1+1".into()),
                    Cell::Decimal("0.1".into()),
                    Cell::Money(5),
                    Cell::Empty,
                ],
                vec![
                    Cell::Label("Total".into()),
                    Cell::Empty,
                    Cell::Formula {
                        formula: "=SUM(C2:C3)".into(),
                        value: Box::new(Cell::Money(1_543_205)),
                    },
                    Cell::Empty,
                ],
            ],
            bold_rows: vec![2],
        };
        let bytes = xlsx_bytes(&[sheet]).unwrap();
        let t = crate::read_table(&bytes, "scope.xlsx").unwrap();
        assert_eq!(t.headers, ["Name", "Qty", "Total", "Due"]);
        assert_eq!(
            t.rows[0].cells,
            ["Réception desk, walnut ✓", "12.5", "15432", "2026-03-31"]
        );
        assert_eq!(t.rows[1].cells[..3], ["=1+1", "0.1", "0.05"]);
        assert_eq!(t.rows[2].cells[2], "15432.05");
        assert_eq!(t.rows[2].line, 4);
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let bytes = csv_bytes(
            &["Name".into(), "Qty".into()],
            &[
                vec!["=HYPERLINK(\"x\")".into(), "-2".into()],
                vec!["a, \"b\"".into(), "-x".into()],
            ],
        );
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\",-2\r\n"), "{text}");
        assert!(text.contains("\"a, \"\"b\"\"\",'-x\r\n"), "{text}");
    }

    /// A date Excel cannot hold (before 1900 or after 9999: a typing slip a record kept) is
    /// written as its text, and the rest of the workbook as usual.
    #[test]
    fn dates_outside_excels_range_are_written_as_text() {
        let sheet = Sheet {
            name: "Materials".into(),
            columns: vec![Column::new("Needed on", Kind::Date, 12.0)],
            rows: vec![
                vec![Cell::Date(time::macros::date!(0279 - 05 - 01))],
                vec![Cell::Date(time::macros::date!(2027 - 01 - 15))],
            ],
            bold_rows: Vec::new(),
        };
        let bytes = xlsx_bytes(&[sheet]).unwrap();
        let t = crate::read_table(&bytes, "materials.xlsx").unwrap();
        assert_eq!(t.rows[0].cells, ["0279-05-01"]);
        assert_eq!(t.rows[1].cells, ["2027-01-15"]);
    }
}
