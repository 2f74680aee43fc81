//! Reading spreadsheets: the first worksheet of an `.xlsx`, or a `.csv` (comma, semicolon or
//! tab separated, with or without a byte-order mark), as a header and rows of cell text.
//!
//! Within limits that keep a crafted file from costing more than a few tens of megabytes and
//! a second or so: the reading stops at the first limit passed, and says which.

use std::sync::atomic::{AtomicBool, Ordering};

/// Most rows read from one file (below the header).
pub const MAX_ROWS: usize = 20_000;
/// Widest sheet read: columns up to this one (counted from the first, `A`).
pub const MAX_COLUMNS: usize = 200;
/// Most cell places kept for one file (empty places left of a value included).
pub const MAX_CELLS: usize = 1_000_000;
/// Most text read from the cells of one file, in bytes.
pub const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;
/// Longest cell accepted (Excel's own limit).
pub const MAX_CELL_CHARS: usize = 32_767;
/// Most bytes an `.xlsx` may unpack to, all its parts together, as its zip directory
/// declares them (a part unpacking to more than it declared is refused as it unpacks).
pub const MAX_UNZIPPED_BYTES: u64 = 64 * 1024 * 1024;
/// Most parts (files inside the zip) of an `.xlsx`; a workbook has a few dozen.
pub const MAX_PARTS: usize = 1_000;

/// Which character a file's numbers separate their decimals with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Decimals {
    /// `1,234.56`
    #[default]
    Point,
    /// `1.234,56`
    Comma,
}

/// A sheet as read: the first non-empty row is the header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// The separator of a `.csv` (`,`, `;` or a tab); `None` for an `.xlsx`.
    pub delimiter: Option<char>,
    /// How the cells write numbers: as chosen, or as the file suggests (see [`read_table_as`]).
    /// Numbers an `.xlsx` stores as numbers are written this way too, without grouping.
    pub decimals: Decimals,
}

/// One non-empty row below the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based row number as the spreadsheet shows it (the header's line counts).
    pub line: usize,
    pub cells: Vec<String>,
}

/// Why a file could not be read; the messages are meant for the person who sent it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not an .xlsx or .csv spreadsheet")]
    UnknownFormat,
    #[error("the .xlsx file cannot be read ({0}); save it again from Excel or LibreOffice")]
    BadXlsx(String),
    #[error("the .xlsx file has no worksheet")]
    NoSheet,
    #[error("the .csv file cannot be read at line {line}: {reason}")]
    BadCsv { line: usize, reason: String },
    #[error("the file has no header row")]
    NoHeader,
    #[error("the file has more than {MAX_ROWS} rows; split it")]
    TooManyRows,
    #[error("a cell on line {0} is longer than {MAX_CELL_CHARS} characters")]
    CellTooLong(usize),
    #[error(
        "the sheet is {0} columns wide; an import reads at most {MAX_COLUMNS} columns — delete the columns it does not need"
    )]
    TooManyColumns(usize),
    #[error(
        "the file has more than {MAX_CELLS} cells; an import reads at most that many — split it or delete the columns it does not need"
    )]
    TooManyCells,
    #[error("the cells hold more than {} MiB of text; split the file", MAX_TEXT_BYTES / (1024 * 1024))]
    TooMuchText,
    #[error(
        "the .xlsx file has {0} parts inside; a workbook has a few dozen, so this is not a spreadsheet an import can read"
    )]
    TooManyParts(usize),
    #[error(
        "the .xlsx file's {part} unpacks to {mib} MiB, more than the {} MiB an import reads; it is not an ordinary spreadsheet (a zip bomb?)",
        MAX_UNZIPPED_BYTES / (1024 * 1024)
    )]
    Unzips { part: String, mib: u64 },
    #[error(
        "the .xlsx file's {0} unpacks to more than its zip directory declares; the file is damaged or crafted"
    )]
    Misdeclared(String),
    #[error("reading the file was stopped: it took longer than an import may")]
    Cancelled,
}

impl ReadError {
    /// Whether the file was refused for its size (more rows, columns, cells, text or
    /// unpacked bytes than an import reads) rather than for its form.
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            ReadError::TooManyRows
                | ReadError::CellTooLong(_)
                | ReadError::TooManyColumns(_)
                | ReadError::TooManyCells
                | ReadError::TooMuchText
                | ReadError::TooManyParts(_)
                | ReadError::Unzips { .. }
                | ReadError::Misdeclared(_)
        )
    }
}

/// Reads `bytes` as `.xlsx` (recognised by its zip signature) or as `.csv` text. The name is
/// only used to refuse obvious mismatches (a `.pdf`, an old binary `.xls`).
pub fn read_table(bytes: &[u8], file_name: &str) -> Result<Table, ReadError> {
    read_table_as(bytes, file_name, None)
}

/// [`read_table`], with the numbers' decimal separator chosen, or (`None`) taken from the
/// file: a comma in a `;`-separated `.csv` (Excel writes `;` where the comma is the decimal
/// mark), a point otherwise.
pub fn read_table_as(
    bytes: &[u8],
    file_name: &str,
    decimals: Option<Decimals>,
) -> Result<Table, ReadError> {
    read_table_until(bytes, file_name, decimals, &AtomicBool::new(false))
}

/// [`read_table_as`], stopped with [`ReadError::Cancelled`] soon after `stop` is set (the
/// flag is looked at every few kilobytes and every row).
pub fn read_table_until(
    bytes: &[u8],
    file_name: &str,
    decimals: Option<Decimals>,
    stop: &AtomicBool,
) -> Result<Table, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let lower = file_name.to_ascii_lowercase();
    if bytes.starts_with(b"PK\x03\x04") {
        let decimals = decimals.unwrap_or_default();
        let rows = crate::xlsx::read_rows(bytes, decimals, stop)?;
        return finish(rows, decimals);
    }
    let binary = bytes.iter().take(4096).any(|b| *b == 0);
    if binary || lower.ends_with(".xlsx") || lower.ends_with(".xls") {
        return Err(ReadError::UnknownFormat);
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(
        |_| ReadError::BadCsv {
            line: 1,
            reason: "it is not UTF-8 text; save it as \"CSV UTF-8\"".into(),
        },
    )?;
    read_csv(text, decimals, stop)
}

fn finish(rows: Vec<(usize, Vec<String>)>, decimals: Decimals) -> Result<Table, ReadError> {
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let (_, headers) = rows.next().ok_or(ReadError::NoHeader)?;
    let headers: Vec<String> = headers.into_iter().map(|h| h.trim().to_owned()).collect();
    let mut out = Vec::new();
    for (line, cells) in rows {
        if out.len() == MAX_ROWS {
            return Err(ReadError::TooManyRows);
        }
        if cells.iter().any(|c| c.chars().count() > MAX_CELL_CHARS) {
            return Err(ReadError::CellTooLong(line));
        }
        out.push(Row { line, cells });
    }
    Ok(Table {
        headers,
        rows: out,
        delimiter: None,
        decimals,
    })
}

/// The separator the header line uses most outside quotes: `,`, `;` (Excel in the many
/// locales where the comma is the decimal mark) or a tab; a comma when it has none.
fn delimiter_of(text: &str) -> u8 {
    let mut counts = [(b',', 0_usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
                    c.1 += 1;
                }
            }
            _ => {}
        }
    }
    // The first of the most used, so a tie (or no separator) is a comma.
    counts
        .iter()
        .fold((b',', 0), |best, c| if c.1 > best.1 { *c } else { best })
        .0
}

fn read_csv(text: &str, decimals: Option<Decimals>, stop: &AtomicBool) -> Result<Table, ReadError> {
    let delimiter = delimiter_of(text);
    let decimals = decimals.unwrap_or(if delimiter == b';' {
        Decimals::Comma
    } else {
        Decimals::Point
    });
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let (mut cells, mut text_bytes) = (0_usize, 0_usize);
    // Line breaks before `counted_to`.
    let (mut newlines, mut counted_to) = (0_usize, 0_usize);
    for record in reader.records() {
        if stop.load(Ordering::Relaxed) {
            return Err(ReadError::Cancelled);
        }
        let record = record.map_err(|e| ReadError::BadCsv {
            line: e
                .position()
                .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0)),
            reason: e.to_string(),
        })?;
        // The line a record starts on, counted from its byte offset (quoted fields may span lines).
        let start = record
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0));
        // (The reader reports the offset of the line break that ends the previous record,
        // so that break is counted too.) Counted on from the previous record, not from the
        // start of the file each time, which made a long file quadratic.
        let end = (start + 1).min(text.len()).max(counted_to);
        newlines += text.as_bytes()[counted_to..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = end;
        let line = 1 + newlines;
        if rows.len() > MAX_ROWS + 1 {
            return Err(ReadError::TooManyRows);
        }
        // Trailing empty fields are kept by nobody: `a,b,,,,` is two cells.
        let width = record
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_empty())
            .last()
            .map_or(0, |(i, _)| i + 1);
        if width > MAX_COLUMNS {
            return Err(ReadError::TooManyColumns(width));
        }
        cells += width;
        text_bytes += record.as_slice().len();
        if cells > MAX_CELLS {
            return Err(ReadError::TooManyCells);
        }
        if text_bytes > MAX_TEXT_BYTES {
            return Err(ReadError::TooMuchText);
        }
        rows.push((line, record.iter().take(width).map(str::to_owned).collect()));
    }
    Ok(Table {
        delimiter: Some(char::from(delimiter)),
        ..finish(rows, decimals)?
    })
}

/// The shortest text that reads back as the same number: 0.1 → "0.1", 3.0 → "3".
pub(crate) fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_semicolons_quotes_and_blank_lines() {
        let text = "\u{feff}Code;Name;Qty\r\nA-1;\"Desk; walnut\";1,5\r\n\r\n;;\r\nA-2;\"Line\nbreak\";2\r\n";
        let t = read_table(text.as_bytes(), "boq.csv").unwrap();
        assert_eq!(t.headers, ["Code", "Name", "Qty"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].cells, ["A-1", "Desk; walnut", "1,5"]);
        assert_eq!(t.rows[0].line, 2, "{t:?}");
        assert_eq!(t.rows[1].line, 5);
        assert_eq!(t.rows[1].cells[1], "Line\nbreak");
        assert_eq!((t.delimiter, t.decimals), (Some(';'), Decimals::Comma));
    }

    #[test]
    fn the_separator_is_the_one_the_header_uses_outside_quotes() {
        let read = |text: &str| {
            let t = read_table(text.as_bytes(), "a.csv").unwrap();
            (t.delimiter, t.decimals, t.headers.len())
        };
        assert_eq!(
            read("Group;Name;Unit price\nA;B;55,00\n"),
            (Some(';'), Decimals::Comma, 3)
        );
        assert_eq!(
            read("Group,Name,Qty\nA,B,1\n"),
            (Some(','), Decimals::Point, 3)
        );
        assert_eq!(
            read("Group\tName\tUnit price\nA\tB\t1,250.50\n"),
            (Some('\t'), Decimals::Point, 3)
        );
        // Separators inside a quoted header do not count.
        assert_eq!(
            read("\"Price; net, USD\";\"Name\"\n1;A\n"),
            (Some(';'), Decimals::Comma, 2)
        );
        assert_eq!(read("Name\nA\n"), (Some(','), Decimals::Point, 1));
        // A choice wins over the file.
        let t = read_table_as(b"A;B\n1;2\n", "a.csv", Some(Decimals::Point)).unwrap();
        assert_eq!(t.decimals, Decimals::Point);
    }

    #[test]
    fn refuses_what_is_not_a_spreadsheet() {
        assert_eq!(read_table(b"", "a.csv"), Err(ReadError::Empty));
        assert_eq!(
            read_table(b"%PDF-1.7\x00\x01", "a.pdf"),
            Err(ReadError::UnknownFormat)
        );
        assert_eq!(read_table(b"\n\n", "a.csv"), Err(ReadError::NoHeader));
        assert!(matches!(
            read_table(b"a,b\n\xff\xfe,1\n", "a.csv"),
            Err(ReadError::BadCsv { .. })
        ));
        // A zip that is not a workbook, and a truncated one.
        assert!(matches!(
            read_table(b"PK\x03\x04garbage", "a.xlsx"),
            Err(ReadError::BadXlsx(_))
        ));
    }

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(float_text(0.1), "0.1");
        assert_eq!(float_text(3.0), "3");
        assert_eq!(float_text(12.345), "12.345");
        assert_eq!(float_text(-2.5), "-2.5");
    }

    #[test]
    fn too_many_rows_are_refused() {
        let mut text = String::from("a\n");
        for i in 0..=MAX_ROWS {
            text.push_str(&format!("{i}\n"));
        }
        assert_eq!(
            read_table(text.as_bytes(), "a.csv"),
            Err(ReadError::TooManyRows)
        );
    }

    /// What reading a file refuses it for, and the message the sender is told.
    fn refusal(bytes: &[u8]) -> (ReadError, String) {
        let e = read_table(bytes, "bomb.xlsx").unwrap_err();
        let message = e.to_string();
        (e, message)
    }

    #[test]
    fn a_zip_declaring_gigabytes_is_refused_before_unpacking() {
        use formula_testkit::xlsx;
        let (e, message) = refusal(&xlsx::declared_bomb());
        assert!(e.is_too_large());
        assert_eq!(
            e,
            ReadError::Unzips {
                part: xlsx::SHEET.into(),
                mib: 3840
            }
        );
        assert!(message.contains("unpacks to 3840 MiB"), "{message}");
        let (e, message) = refusal(&xlsx::shared_strings_bomb(10, false));
        assert_eq!(
            e,
            ReadError::Unzips {
                part: xlsx::SHARED.into(),
                mib: 3840
            }
        );
        assert!(message.contains("sharedStrings.xml"), "{message}");
    }

    #[test]
    fn a_part_unpacking_to_more_than_it_declares_is_stopped() {
        use formula_testkit::xlsx;
        let (e, message) = refusal(&xlsx::lying_bomb(4 << 20));
        assert_eq!(e, ReadError::Misdeclared(xlsx::SHEET.into()));
        assert!(
            message.contains("more than its zip directory declares"),
            "{message}"
        );
        let (e, _) = refusal(&xlsx::shared_strings_bomb(100_000, true));
        assert_eq!(e, ReadError::Misdeclared(xlsx::SHARED.into()));
    }

    #[test]
    fn sheets_too_wide_or_too_long_are_refused() {
        use formula_testkit::xlsx;
        // Declared in the dimension, and found while streaming without one.
        for with_dimension in [true, false] {
            let (e, message) = refusal(&xlsx::wide_sheet(with_dimension));
            let expected = if with_dimension {
                16_384
            } else {
                MAX_COLUMNS + 1
            };
            assert_eq!(e, ReadError::TooManyColumns(expected));
            assert!(message.contains("columns wide"), "{message}");
        }
        let (e, message) = refusal(&xlsx::tall_sheet(10, true));
        assert_eq!(e, ReadError::TooManyRows);
        assert!(message.contains("more than 20000 rows"), "{message}");
        // Rows are counted as they stream, and the reading stops at the limit.
        assert_eq!(
            refusal(&xlsx::tall_sheet(MAX_ROWS + 1, false)).0,
            ReadError::TooManyRows
        );
        let t = read_table(&xlsx::tall_sheet(MAX_ROWS, false), "a.xlsx").unwrap();
        assert_eq!(t.rows.len(), MAX_ROWS);
        assert_eq!(t.rows[MAX_ROWS - 1].line, MAX_ROWS + 1);
    }

    #[test]
    fn one_long_shared_string_in_every_cell_is_refused_before_it_is_copied() {
        use formula_testkit::xlsx;
        let long = "x".repeat(30_000);
        let mut data = String::new();
        for line in 1..=1200 {
            data.push_str(&format!("<row r=\"{line}\">"));
            for c in 0..3 {
                data.push_str(&format!(
                    "<c r=\"{}{line}\" t=\"s\"><v>0</v></c>",
                    xlsx::column(c)
                ));
            }
            data.push_str("</row>");
        }
        let file = xlsx::workbook(None, &data, Some(&format!("<si><t>{long}</t></si>")));
        assert_eq!(refusal(&file).0, ReadError::TooMuchText);
    }

    #[test]
    fn reading_stops_when_told() {
        let stop = AtomicBool::new(true);
        let file = formula_testkit::xlsx::tall_sheet(10, false);
        assert_eq!(
            read_table_until(&file, "a.xlsx", None, &stop),
            Err(ReadError::Cancelled)
        );
        assert_eq!(
            read_table_until(b"a,b\n1,2\n", "a.csv", None, &stop),
            Err(ReadError::Cancelled)
        );
        assert!(!ReadError::Cancelled.is_too_large());
    }

    #[test]
    fn a_csv_too_wide_is_refused() {
        let mut text = "x,".repeat(MAX_COLUMNS);
        text.push_str("x\n1\n");
        assert_eq!(
            read_table(text.as_bytes(), "a.csv"),
            Err(ReadError::TooManyColumns(MAX_COLUMNS + 1))
        );
        // Trailing empty fields are not columns.
        let text = format!("a,b{}\n1,2\n", ",".repeat(5 * MAX_COLUMNS));
        assert_eq!(
            read_table(text.as_bytes(), "a.csv").unwrap().headers,
            ["a", "b"]
        );
    }

    #[test]
    fn cells_read_as_an_independent_reader_reads_them() {
        use crate::{Cell, Column, Kind, Sheet};
        use calamine::{Data, Reader, Xlsx};
        let sheet = Sheet {
            name: "Scope".into(),
            columns: vec![
                Column::new("Name", Kind::Text, 20.0),
                Column::new("Qty", Kind::Decimal, 10.0),
                Column::new("Price", Kind::Money { places: 2 }, 10.0),
                Column::new("Needed", Kind::Date, 10.0),
                Column::new("Count", Kind::Integer, 10.0),
                Column::new("Total", Kind::Money { places: 2 }, 10.0),
            ],
            rows: vec![
                vec![
                    Cell::Text("Desk & chair <oak>".into()),
                    Cell::Decimal("1.5".into()),
                    Cell::Money(1_250_050),
                    Cell::Date(time::macros::date!(2027 - 03 - 31)),
                    Cell::Int(3),
                    Cell::Formula {
                        formula: "=C2*B2".into(),
                        value: Box::new(Cell::Money(1_875_075)),
                    },
                ],
                vec![
                    Cell::Text("Line\nbreak, \"quoted\" ünïcode".into()),
                    Cell::Empty,
                    Cell::Money(-5),
                    Cell::Empty,
                    Cell::Int(0),
                    Cell::Label("Total".into()),
                ],
            ],
            bold_rows: vec![1],
        };
        let bytes = crate::xlsx_bytes(&[sheet]).unwrap();
        let ours = read_table(&bytes, "a.xlsx").unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(&bytes)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let theirs: Vec<Vec<String>> = range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::Float(f) => float_text(*f),
                        Data::DateTime(d) => {
                            let (y, m, d, ..) = d.to_ymd_hms_milli();
                            format!("{y:04}-{m:02}-{d:02}")
                        }
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        let mut read: Vec<Vec<String>> = vec![ours.headers.clone()];
        read.extend(ours.rows.iter().map(|r| r.cells.clone()));
        for (a, b) in read.iter().zip(&theirs) {
            let width = b.len();
            let mut a = a.clone();
            a.resize(width, String::new());
            assert_eq!(&a, b);
        }
        assert_eq!(read.len(), theirs.len());
        assert_eq!(ours.rows[0].cells[3], "2027-03-31");
        assert_eq!(ours.rows[1].cells[0], "Line\nbreak, \"quoted\" ünïcode");
    }
}
