//! The first worksheet of an `.xlsx`, read as a stream and within limits, so that a small
//! file crafted to unpack into gigabytes (a zip bomb, a sheet of ten million rows, a huge
//! shared-strings table, a 16,384-column sheet) is refused in moments, holding little memory.
//!
//! In order: the zip's central directory (how many parts, and how large each says it
//! unpacks), the workbook (which part is the first sheet; the 1904 date system), the styles
//! (which cells show dates), then the sheet's rows one at a time, its `<dimension>` checked
//! before the first row and the reading stopped at the row limit; the shared strings last,
//! keeping only those the rows use. Every part is read through [`Part`], which refuses to
//! unpack more than the part declared and stops when the caller says so.

use std::collections::HashMap;
use std::io::{self, BufReader, Cursor, Read};
use std::sync::atomic::{AtomicBool, Ordering};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use crate::read::{
    Decimals, MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_PARTS, MAX_ROWS, MAX_TEXT_BYTES,
    MAX_UNZIPPED_BYTES, ReadError, float_text,
};

type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// Why a part stopped being read early (carried through quick-xml as an I/O error).
#[derive(Debug)]
enum Stop {
    Cancelled,
    Misdeclared,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stop::Cancelled => "stopped",
            Stop::Misdeclared => "unpacks to more than it declares",
        })
    }
}

impl std::error::Error for Stop {}

/// A part as it unpacks: no more bytes than it declared, and none once `stop` is set
/// (checked at every buffer fill, so every few kilobytes).
struct Part<'s, R> {
    inner: R,
    left: u64,
    stop: &'s AtomicBool,
}

impl<R: Read> Read for Part<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(io::Error::other(Stop::Cancelled));
        }
        let n = self.inner.read(buf)?;
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        if n64 > self.left {
            return Err(io::Error::other(Stop::Misdeclared));
        }
        self.left -= n64;
        Ok(n)
    }
}

/// An XML reader over one part of the archive.
type Xml<'z, 'b, 's> = Reader<BufReader<Part<'s, zip::read::ZipFile<'z, Cursor<&'b [u8]>>>>>;

fn open<'z, 'b, 's>(
    zip: &'z mut Archive<'b>,
    name: &str,
    stop: &'s AtomicBool,
) -> Result<Option<Xml<'z, 'b, 's>>, ReadError> {
    let Some(index) = zip.index_for_name(name) else {
        return Ok(None);
    };
    let file = zip
        .by_index(index)
        .map_err(|e| ReadError::BadXlsx(format!("{name}: {e}")))?;
    let left = file.size();
    let mut xml = Reader::from_reader(BufReader::new(Part {
        inner: file,
        left,
        stop,
    }));
    xml.config_mut().check_end_names = false;
    Ok(Some(xml))
}

/// An XML error, or the reason [`Part`] stopped, as the sender is told it.
fn xml_error(part: &str, e: &quick_xml::Error) -> ReadError {
    if let quick_xml::Error::Io(io) = e
        && let Some(stop) = io.get_ref().and_then(|e| e.downcast_ref::<Stop>())
    {
        return match stop {
            Stop::Cancelled => ReadError::Cancelled,
            Stop::Misdeclared => ReadError::Misdeclared(part.to_owned()),
        };
    }
    ReadError::BadXlsx(format!("{part}: {e}"))
}

fn attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| value(&a))
}

/// An attribute's value, unescaped.
fn value(a: &quick_xml::events::attributes::Attribute<'_>) -> Option<String> {
    let raw = std::str::from_utf8(&a.value).ok()?;
    quick_xml::escape::unescape(raw)
        .ok()
        .map(|v| v.into_owned())
}

/// Checks the central directory before anything is unpacked: a workbook has a few dozen
/// parts, and together they unpack to at most [`MAX_UNZIPPED_BYTES`].
fn check_sizes(zip: &mut Archive<'_>) -> Result<(), ReadError> {
    if zip.len() > MAX_PARTS {
        return Err(ReadError::TooManyParts(zip.len()));
    }
    let mut total = 0_u64;
    for i in 0..zip.len() {
        let file = zip
            .by_index_raw(i)
            .map_err(|e| ReadError::BadXlsx(e.to_string()))?;
        let size = file.size();
        if size > MAX_UNZIPPED_BYTES {
            return Err(ReadError::Unzips {
                part: file.name().to_owned(),
                mib: size / (1024 * 1024),
            });
        }
        total = total.saturating_add(size);
    }
    if total > MAX_UNZIPPED_BYTES {
        return Err(ReadError::Unzips {
            part: "all its parts together".into(),
            mib: total / (1024 * 1024),
        });
    }
    Ok(())
}

/// Where the parts are, from the workbook and its relationships.
struct Book {
    sheet: String,
    shared_strings: Option<String>,
    styles: Option<String>,
    date1904: bool,
}

/// A relationship's target as a path in the archive (relative to `xl/`, or absolute).
fn part_path(target: &str) -> String {
    match target.strip_prefix('/') {
        Some(absolute) => absolute.to_owned(),
        None => format!("xl/{}", target.trim_start_matches("./")),
    }
}

fn read_book(zip: &mut Archive<'_>, stop: &AtomicBool) -> Result<Book, ReadError> {
    let mut sheet_ids = Vec::new();
    let mut date1904 = false;
    if let Some(mut xml) = open(zip, "xl/workbook.xml", stop)? {
        let mut buf = Vec::new();
        loop {
            match xml.read_event_into(&mut buf) {
                Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                    b"workbookPr" => {
                        date1904 = attr(&e, b"date1904").is_some_and(|v| v == "1" || v == "true");
                    }
                    b"sheet" => {
                        // The relationship id (`r:id`), not `sheetId`.
                        if let Some(id) = e
                            .attributes()
                            .flatten()
                            .find(|a| {
                                a.key.local_name().as_ref() == b"id" && a.key.prefix().is_some()
                            })
                            .and_then(|a| value(&a))
                        {
                            sheet_ids.push(id);
                        }
                    }
                    _ => {}
                },
                Ok(Event::Eof) => break,
                Err(e) => return Err(xml_error("xl/workbook.xml", &e)),
                _ => {}
            }
            buf.clear();
        }
    }
    // Id → (type, path).
    let mut rels: HashMap<String, (String, String)> = HashMap::new();
    if let Some(mut xml) = open(zip, "xl/_rels/workbook.xml.rels", stop)? {
        let mut buf = Vec::new();
        loop {
            match xml.read_event_into(&mut buf) {
                Ok(Event::Start(e) | Event::Empty(e))
                    if e.local_name().as_ref() == b"Relationship" =>
                {
                    if let (Some(id), Some(kind), Some(target)) =
                        (attr(&e, b"Id"), attr(&e, b"Type"), attr(&e, b"Target"))
                    {
                        rels.insert(id, (kind, part_path(&target)));
                    }
                }
                Ok(Event::Eof) => break,
                Err(e) => return Err(xml_error("xl/_rels/workbook.xml.rels", &e)),
                _ => {}
            }
            buf.clear();
        }
    }
    let of_type = |suffix: &str, fallback: &str| {
        rels.values()
            .find(|(kind, _)| kind.ends_with(suffix))
            .map(|(_, path)| path.clone())
            .or_else(|| zip.index_for_name(fallback).map(|_| fallback.to_owned()))
    };
    let shared_strings = of_type("/sharedStrings", "xl/sharedStrings.xml");
    let styles = of_type("/styles", "xl/styles.xml");
    // The first sheet that is a worksheet (not a chart sheet).
    let sheet = sheet_ids
        .iter()
        .filter_map(|id| rels.get(id))
        .find(|(kind, _)| kind.ends_with("/worksheet"))
        .map(|(_, path)| path.clone())
        .or_else(|| {
            let first = "xl/worksheets/sheet1.xml";
            zip.index_for_name(first).map(|_| first.to_owned())
        })
        .ok_or(ReadError::NoSheet)?;
    Ok(Book {
        sheet,
        shared_strings,
        styles,
        date1904,
    })
}

/// How a number cell is shown, from its style's number format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Number,
    Date,
    Duration,
}

fn builtin_format(id: u32) -> Shown {
    match id {
        14..=22 | 45 | 47 => Shown::Date,
        46 => Shown::Duration,
        _ => Shown::Number,
    }
}

/// Whether a custom number format shows a date (`yyyy-mm-dd`), a duration (`[h]:mm`) or a
/// number; only its first section counts, text in quotes and escapes do not.
fn custom_format(code: &str) -> Shown {
    let mut escaped = false;
    let mut quoted = false;
    let mut brackets = 0_u8;
    let mut prev = ' ';
    let mut hms = false;
    let mut ap = false;
    for c in code.chars() {
        match (c, escaped, quoted, ap, brackets) {
            (_, true, ..) => escaped = false,
            ('_' | '\\', ..) => escaped = true,
            ('"', _, true, _, _) => quoted = false,
            (_, _, true, _, _) => {}
            ('"', ..) => quoted = true,
            (';', ..) => return Shown::Number,
            ('[', ..) => brackets += 1,
            (']', .., 1) if hms => return Shown::Duration,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return Shown::Date,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return Shown::Date;
            }
            _ => {
                if !(hms && c.eq_ignore_ascii_case(&prev)) {
                    hms = prev == '[' && matches!(c, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = c;
    }
    Shown::Number
}

/// How each cell style (`s="…"`) shows numbers.
fn read_styles(
    zip: &mut Archive<'_>,
    path: &str,
    stop: &AtomicBool,
) -> Result<Vec<Shown>, ReadError> {
    let Some(mut xml) = open(zip, path, stop)? else {
        return Ok(Vec::new());
    };
    let mut custom: HashMap<u32, Shown> = HashMap::new();
    let mut styles = Vec::new();
    let mut in_cell_xfs = false;
    let mut buf = Vec::new();
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"cellXfs" => in_cell_xfs = true,
            Ok(Event::End(e)) if e.local_name().as_ref() == b"cellXfs" => in_cell_xfs = false,
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                b"numFmt" => {
                    if let (Some(id), Some(code)) = (
                        attr(&e, b"numFmtId").and_then(|v| v.parse().ok()),
                        attr(&e, b"formatCode"),
                    ) {
                        custom.insert(id, custom_format(&code));
                    }
                }
                b"xf" if in_cell_xfs => {
                    let id: u32 = attr(&e, b"numFmtId")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    styles.push(
                        custom
                            .get(&id)
                            .copied()
                            .unwrap_or_else(|| builtin_format(id)),
                    );
                }
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(e) => return Err(xml_error(path, &e)),
            _ => {}
        }
        buf.clear();
    }
    Ok(styles)
}

/// A cell as read from the sheet: its text, or a shared string to look up.
#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Shared(u32),
}

/// Column index (0-based) and row number (1-based) of a reference such as `AB12`.
fn cell_ref(r: &str) -> Option<(usize, Option<usize>)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = r[..letters].bytes().fold(0_usize, |n, b| {
        n * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row = r[letters..].parse().ok();
    Some((col - 1, row))
}

/// Refuses a sheet whose declared used range (`<dimension ref="A1:XFD10"/>`) is wider or
/// longer than an import reads, before its first row.
fn check_dimension(range: &str) -> Result<(), ReadError> {
    let mut ends = range.split(':');
    let (Some(start), end) = (ends.next(), ends.next()) else {
        return Ok(());
    };
    let (Some((c1, Some(r1))), Some((c2, Some(r2)))) = (cell_ref(start), end.and_then(cell_ref))
    else {
        return Ok(());
    };
    let columns = c1.max(c2) + 1;
    if columns > MAX_COLUMNS {
        return Err(ReadError::TooManyColumns(columns));
    }
    if r1.abs_diff(r2) > MAX_ROWS {
        return Err(ReadError::TooManyRows);
    }
    Ok(())
}

/// Excel writes characters XML cannot hold as `_xHHHH_` (a carriage return as `_x000D_`).
fn unescape_excel(text: &str) -> String {
    if !text.contains("_x") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("_x") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let decoded = tail
            .get(2..6)
            .filter(|_| tail.as_bytes().get(6) == Some(&b'_'))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[7..];
            }
            None => {
                out.push_str("_x");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// An Excel serial date as `2027-03-31` (or with its time when it has one).
fn excel_date(serial: f64, date1904: bool) -> Option<String> {
    let f = if date1904 { serial + 1462.0 } else { serial };
    // Excel counts a 29 February 1900 that never was.
    let f = if f >= 60.0 { f } else { f + 1.0 };
    let ms = (f * 86_400_000.0).round();
    if !ms.is_finite() || ms.abs() > 3e14 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    let ms = ms as i64;
    let dt =
        time::macros::datetime!(1899-12-30 0:00).checked_add(time::Duration::milliseconds(ms))?;
    let (y, m, d) = (dt.year(), u8::from(dt.month()), dt.day());
    let (hh, mm, ss) = (dt.hour(), dt.minute(), dt.second());
    Some(if (hh, mm, ss) == (0, 0, 0) {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
    })
}

/// The text of a cell from its type (`t`), style and raw value, as a person typed it.
fn cell_text(
    kind: &str,
    shown: Shown,
    raw: &str,
    decimals: Decimals,
    date1904: bool,
) -> Result<Option<Cell>, ReadError> {
    let number = |f: f64| match decimals {
        Decimals::Point => float_text(f),
        Decimals::Comma => float_text(f).replace('.', ","),
    };
    let text = match kind {
        "s" => {
            let raw = raw.trim();
            if raw.is_empty() {
                return Ok(None);
            }
            let index = raw.parse().map_err(|_| {
                ReadError::BadXlsx(format!("a cell refers to shared string \"{raw}\""))
            })?;
            return Ok(Some(Cell::Shared(index)));
        }
        "inlineStr" | "str" => unescape_excel(raw),
        "b" => if raw.trim() == "1" { "TRUE" } else { "FALSE" }.to_owned(),
        "e" | "d" => raw.to_owned(),
        _ => match raw.trim().parse::<f64>() {
            Ok(f) if shown == Shown::Date => excel_date(f, date1904).unwrap_or_else(|| number(f)),
            Ok(f) => number(f),
            Err(_) => raw.to_owned(),
        },
    };
    Ok((!text.is_empty()).then_some(Cell::Text(text)))
}

/// The rows being read, and what they cost so far.
#[derive(Default)]
struct Rows {
    rows: Vec<(usize, Vec<Option<Cell>>)>,
    /// Rows with a non-blank cell (the header included).
    filled: usize,
    /// Cell places kept, the empty ones left of a value included.
    slots: usize,
    text_bytes: usize,
}

impl Rows {
    fn put(
        &mut self,
        cells: &mut Vec<Option<Cell>>,
        col: usize,
        cell: Cell,
    ) -> Result<(), ReadError> {
        if col >= MAX_COLUMNS {
            return Err(ReadError::TooManyColumns(col + 1));
        }
        if let Cell::Text(t) = &cell {
            self.text_bytes += t.len();
            if self.text_bytes > MAX_TEXT_BYTES {
                return Err(ReadError::TooMuchText);
            }
        }
        if col >= cells.len() {
            self.slots += col + 1 - cells.len();
            if self.slots > MAX_CELLS {
                return Err(ReadError::TooManyCells);
            }
            cells.resize(col + 1, None);
        }
        cells[col] = Some(cell);
        Ok(())
    }

    fn end_row(&mut self, line: usize, cells: Vec<Option<Cell>>) -> Result<(), ReadError> {
        let filled = cells.iter().any(|c| match c {
            Some(Cell::Text(t)) => !t.trim().is_empty(),
            Some(Cell::Shared(_)) => true,
            None => false,
        });
        if filled {
            self.filled += 1;
            // The header and MAX_ROWS rows below it.
            if self.filled > MAX_ROWS + 1 {
                return Err(ReadError::TooManyRows);
            }
        }
        if !cells.is_empty() {
            self.rows.push((line, cells));
        }
        Ok(())
    }
}

/// Streams the sheet's rows, stopping at the first limit passed.
fn read_sheet(
    zip: &mut Archive<'_>,
    book: &Book,
    styles: &[Shown],
    decimals: Decimals,
    stop: &AtomicBool,
) -> Result<Rows, ReadError> {
    let path = book.sheet.as_str();
    let mut xml = open(zip, path, stop)?
        .ok_or_else(|| ReadError::BadXlsx(format!("the part {path} is missing")))?;
    let mut out = Rows::default();
    let mut buf = Vec::new();
    let mut line = 0_usize;
    let mut cells: Vec<Option<Cell>> = Vec::new();
    let mut in_row = false;
    // The open cell: column, type and style.
    let mut cell: Option<(usize, String, Shown)> = None;
    let mut next_col = 0_usize;
    let mut raw = String::new();
    let (mut in_value, mut in_inline, mut in_text, mut in_phonetic) = (false, false, false, false);
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(path, &e))?;
        let is_start = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"dimension" => {
                if let Some(range) = attr(&e, b"ref") {
                    check_dimension(&range)?;
                }
            }
            Event::Start(e) if e.local_name().as_ref() == b"row" => {
                line = attr(&e, b"r")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(line + 1);
                in_row = true;
                next_col = 0;
            }
            Event::Empty(e) if e.local_name().as_ref() == b"row" => {
                line = attr(&e, b"r")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(line + 1);
            }
            Event::End(e) if e.local_name().as_ref() == b"row" => {
                in_row = false;
                out.end_row(line, std::mem::take(&mut cells))?;
            }
            Event::Start(e) | Event::Empty(e) if in_row && e.local_name().as_ref() == b"c" => {
                let col = attr(&e, b"r")
                    .and_then(|r| cell_ref(&r))
                    .map_or(next_col, |(c, _)| c);
                next_col = col + 1;
                let kind = attr(&e, b"t").unwrap_or_default();
                let shown = attr(&e, b"s")
                    .and_then(|s| s.parse::<usize>().ok())
                    .and_then(|s| styles.get(s).copied())
                    .unwrap_or(Shown::Number);
                raw.clear();
                // An empty element (`<c r="XFD1" s="2"/>`) holds nothing: not even its
                // column is kept.
                cell = is_start.then_some((col, kind, shown));
            }
            Event::End(e) if e.local_name().as_ref() == b"c" => {
                if let Some((col, kind, shown)) = cell.take()
                    && let Some(value) = cell_text(&kind, shown, &raw, decimals, book.date1904)?
                {
                    out.put(&mut cells, col, value)?;
                }
            }
            Event::Start(e) if cell.is_some() => match e.local_name().as_ref() {
                b"v" => in_value = true,
                b"is" => in_inline = true,
                b"t" => in_text = true,
                b"rPh" => in_phonetic = true,
                _ => {}
            },
            Event::End(e) if cell.is_some() => match e.local_name().as_ref() {
                b"v" => in_value = false,
                b"is" => in_inline = false,
                b"t" => in_text = false,
                b"rPh" => in_phonetic = false,
                _ => {}
            },
            Event::Text(t) if in_value || (in_inline && in_text && !in_phonetic) => {
                let text = t
                    .xml10_content()
                    .map_err(|e| ReadError::BadXlsx(format!("{path}: {e}")))?;
                raw.push_str(&text);
                if raw.len() > 4 * MAX_CELL_CHARS {
                    return Err(ReadError::CellTooLong(line));
                }
            }
            Event::GeneralRef(r) if in_value || (in_inline && in_text && !in_phonetic) => {
                push_ref(&mut raw, &r).map_err(|e| ReadError::BadXlsx(format!("{path}: {e}")))?;
            }
            Event::End(e) if e.local_name().as_ref() == b"sheetData" => break,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// Appends an entity or character reference (`&amp;`, `&#10;`) as the character it names.
fn push_ref(out: &mut String, r: &quick_xml::events::BytesRef<'_>) -> Result<(), quick_xml::Error> {
    if let Some(c) = r.resolve_char_ref()? {
        out.push(c);
        return Ok(());
    }
    let name = r.decode()?;
    match quick_xml::escape::resolve_xml_entity(&name) {
        Some(s) => out.push_str(s),
        None => {
            out.push('&');
            out.push_str(&name);
            out.push(';');
        }
    }
    Ok(())
}

/// Reads the shared strings the rows use (`wanted`, sorted), skipping the others.
fn read_shared(
    zip: &mut Archive<'_>,
    path: Option<&str>,
    wanted: &[u32],
    stop: &AtomicBool,
) -> Result<HashMap<u32, String>, ReadError> {
    let mut found = HashMap::new();
    let Some(&last) = wanted.last() else {
        return Ok(found);
    };
    let missing = || {
        ReadError::BadXlsx(format!(
            "a cell refers to shared string {last}, which the file does not have"
        ))
    };
    let path = path.ok_or_else(missing)?;
    let mut xml = open(zip, path, stop)?.ok_or_else(missing)?;
    let mut buf = Vec::new();
    let mut index: Option<u32> = None;
    let mut keep = false;
    let mut text = String::new();
    let (mut in_text, mut in_phonetic) = (false, false);
    loop {
        match xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(path, &e))?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"si" => {
                let i = index.map_or(0, |i| i.saturating_add(1));
                index = Some(i);
                if i > last {
                    break;
                }
                keep = wanted.binary_search(&i).is_ok();
                text.clear();
                if keep {
                    // An empty `<si/>` is an empty string.
                    found.insert(i, String::new());
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"si" => {
                if keep && let Some(i) = index {
                    found.insert(i, unescape_excel(&text));
                }
                keep = false;
            }
            Event::Start(e) => match e.local_name().as_ref() {
                b"t" => in_text = true,
                b"rPh" => in_phonetic = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"rPh" => in_phonetic = false,
                _ => {}
            },
            Event::Text(t) if keep && in_text && !in_phonetic => {
                let t = t
                    .xml10_content()
                    .map_err(|e| ReadError::BadXlsx(format!("{path}: {e}")))?;
                text.push_str(&t);
                if text.len() > 4 * MAX_CELL_CHARS {
                    return Err(ReadError::BadXlsx(format!(
                        "shared string {} is longer than {MAX_CELL_CHARS} characters",
                        index.unwrap_or(0)
                    )));
                }
            }
            Event::GeneralRef(r) if keep && in_text && !in_phonetic => {
                push_ref(&mut text, &r).map_err(|e| ReadError::BadXlsx(format!("{path}: {e}")))?;
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if index.is_none_or(|i| i < last) && !found.contains_key(&last) {
        return Err(missing());
    }
    Ok(found)
}

/// Reads the first worksheet into rows of cell text (line numbers as the sheet shows them,
/// cells at their column's place). `stop` ends the reading early with
/// [`ReadError::Cancelled`].
pub(crate) fn read_rows(
    bytes: &[u8],
    decimals: Decimals,
    stop: &AtomicBool,
) -> Result<Vec<(usize, Vec<String>)>, ReadError> {
    let mut zip =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| ReadError::BadXlsx(e.to_string()))?;
    check_sizes(&mut zip)?;
    let book = read_book(&mut zip, stop)?;
    let styles = match &book.styles {
        Some(path) => read_styles(&mut zip, path, stop)?,
        None => Vec::new(),
    };
    let sheet = read_sheet(&mut zip, &book, &styles, decimals, stop)?;
    let mut wanted: Vec<u32> = sheet
        .rows
        .iter()
        .flat_map(|(_, cells)| cells.iter())
        .filter_map(|c| match c {
            Some(Cell::Shared(i)) => Some(*i),
            _ => None,
        })
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let shared = read_shared(&mut zip, book.shared_strings.as_deref(), &wanted, stop)?;
    // What the rows' text will weigh, counted before any of it is copied: one long shared
    // string used by every cell must not become gigabytes.
    let mut text_bytes = sheet.text_bytes;
    for (_, cells) in &sheet.rows {
        for c in cells {
            if let Some(Cell::Shared(i)) = c {
                text_bytes += shared.get(i).map_or(0, String::len);
                if text_bytes > MAX_TEXT_BYTES {
                    return Err(ReadError::TooMuchText);
                }
            }
        }
    }
    Ok(sheet
        .rows
        .into_iter()
        .map(|(line, cells)| {
            let texts = cells
                .into_iter()
                .map(|c| match c {
                    Some(Cell::Text(t)) => t,
                    Some(Cell::Shared(i)) => shared.get(&i).cloned().unwrap_or_default(),
                    None => String::new(),
                })
                .collect();
            (line, texts)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_dimensions() {
        assert_eq!(cell_ref("A1"), Some((0, Some(1))));
        assert_eq!(cell_ref("AB12"), Some((27, Some(12))));
        assert_eq!(cell_ref("XFD1048576"), Some((16_383, Some(1_048_576))));
        assert_eq!(cell_ref("1"), None);
        assert_eq!(check_dimension("A1:N5001"), Ok(()));
        assert_eq!(check_dimension("A1"), Ok(()));
        assert_eq!(
            check_dimension("A1:XFD3"),
            Err(ReadError::TooManyColumns(16_384))
        );
        assert_eq!(check_dimension("A1:B10000000"), Err(ReadError::TooManyRows));
    }

    #[test]
    fn excel_escapes_dates_and_formats() {
        assert_eq!(unescape_excel("a_x000D_b"), "a\rb");
        assert_eq!(unescape_excel("_x0000_"), "\0");
        assert_eq!(unescape_excel("_x_y_xZZZZ_"), "_x_y_xZZZZ_");
        assert_eq!(excel_date(46_477.0, false).as_deref(), Some("2027-03-31"));
        assert_eq!(
            excel_date(46_477.5, false).as_deref(),
            Some("2027-03-31 12:00:00")
        );
        assert_eq!(custom_format("yyyy-mm-dd"), Shown::Date);
        assert_eq!(custom_format("[h]:mm"), Shown::Duration);
        assert_eq!(custom_format("#,##0.00\" m\""), Shown::Number);
        assert_eq!(builtin_format(14), Shown::Date);
        assert_eq!(builtin_format(4), Shown::Number);
    }

    #[test]
    fn numbers_follow_the_decimal_separator() {
        let text = |raw: &str, decimals| match cell_text("", Shown::Number, raw, decimals, false) {
            Ok(Some(Cell::Text(t))) => t,
            other => panic!("{other:?}"),
        };
        assert_eq!(text("1234.5", Decimals::Point), "1234.5");
        assert_eq!(text("1234.5", Decimals::Comma), "1234,5");
        assert_eq!(text("3", Decimals::Comma), "3");
        assert!(matches!(
            cell_text("s", Shown::Number, " 7 ", Decimals::Point, false),
            Ok(Some(Cell::Shared(7)))
        ));
    }
}
