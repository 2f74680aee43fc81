//! Reading spreadsheets: the first worksheet of an `.xlsx`, or a `.csv` (comma, semicolon or
//! tab separated, with or without a byte-order mark), as a header and rows of cell text.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

/// Most rows read from one file.
pub const MAX_ROWS: usize = 20_000;
/// Longest cell accepted (Excel's own limit).
pub const MAX_CELL_CHARS: usize = 32_767;

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
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let lower = file_name.to_ascii_lowercase();
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes, decimals.unwrap_or_default());
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
    read_csv(text, decimals)
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

fn read_csv(text: &str, decimals: Option<Decimals>) -> Result<Table, ReadError> {
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
    for record in reader.records() {
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
        // so that break is counted too.)
        let line = 1 + text.as_bytes()[..(start + 1).min(text.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        if rows.len() > MAX_ROWS + 1 {
            return Err(ReadError::TooManyRows);
        }
        rows.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok(Table {
        delimiter: Some(char::from(delimiter)),
        ..finish(rows, decimals)?
    })
}

fn read_xlsx(bytes: &[u8], decimals: Decimals) -> Result<Table, ReadError> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| ReadError::BadXlsx(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(ReadError::NoSheet)?
        .map_err(|e| ReadError::BadXlsx(e.to_string()))?;
    let Some((first_row, first_col)) = range.start() else {
        return Err(ReadError::NoHeader);
    };
    if range.height() > MAX_ROWS + 1 {
        return Err(ReadError::TooManyRows);
    }
    // Cells left of the used range still count as columns, so headers keep their places.
    let pad = usize::try_from(first_col).unwrap_or(0);
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let line = usize::try_from(first_row).unwrap_or(0) + i + 1;
            let mut texts = vec![String::new(); pad];
            texts.extend(cells.iter().map(|c| cell_text(c, decimals)));
            (line, texts)
        })
        .collect();
    finish(rows, decimals)
}

/// A cell as a person would have typed it, numbers with `decimals` as their separator.
fn cell_text(cell: &Data, decimals: Decimals) -> String {
    let number = |f: f64| match decimals {
        Decimals::Point => float_text(f),
        Decimals::Comma => float_text(f).replace('.', ","),
    };
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, m, day, hh, mm, ss, _) = d.to_ymd_hms_milli();
            if (hh, mm, ss) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{day:02}")
            } else {
                format!("{y:04}-{m:02}-{day:02} {hh:02}:{mm:02}:{ss:02}")
            }
        }
        Data::DateTime(d) => number(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// The shortest text that reads back as the same number: 0.1 → "0.1", 3.0 → "3".
fn float_text(f: f64) -> String {
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
    fn xlsx_numbers_follow_the_decimal_separator() {
        let cell = Data::Float(1234.5);
        assert_eq!(cell_text(&cell, Decimals::Point), "1234.5");
        assert_eq!(cell_text(&cell, Decimals::Comma), "1234,5");
        assert_eq!(cell_text(&Data::Float(3.0), Decimals::Comma), "3");
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
}
