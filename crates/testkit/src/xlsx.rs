//! `.xlsx` files built part by part, ordinary or crafted to attack a reader: parts whose zip
//! directory declares sizes they do not have, sheets ten million rows long or 16,384
//! columns wide, shared-string tables far larger than the sheet. Generated in the test, so
//! no bomb is committed to the repository.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The part the first sheet is in.
pub const SHEET: &str = "xl/worksheets/sheet1.xml";
/// The shared-strings part.
pub const SHARED: &str = "xl/sharedStrings.xml";

/// A zip of `parts` (name, content), deflated.
#[allow(clippy::unwrap_used)]
pub fn zip(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, content) in parts {
        w.start_file(*name, options).unwrap();
        // In pieces, as a large part would be written.
        for chunk in content.chunks(1 << 20) {
            w.write_all(chunk).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

/// A workbook of one sheet: `sheet_data` is the content of `<sheetData>`, `dimension` the
/// used range it declares (if any), `shared` the `<si>` elements of the shared strings
/// (none: no shared-strings part).
pub fn parts(
    dimension: Option<&str>,
    sheet_data: &str,
    shared: Option<&str>,
) -> Vec<(&'static str, Vec<u8>)> {
    let dimension = dimension.map_or(String::new(), |d| format!("<dimension ref=\"{d}\"/>"));
    let mut parts = vec![
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_vec(),
        ),
        (
            "_rels/.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
        ),
        (
            "xl/workbook.xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.to_vec(),
        ),
        (
            SHEET,
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{sheet_data}</sheetData></worksheet>"#).into_bytes(),
        ),
    ];
    if let Some(si) = shared {
        parts.push((
            SHARED,
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{si}</sst>"#).into_bytes(),
        ));
    }
    parts
}

/// An `.xlsx` of one sheet (see [`parts`]).
pub fn workbook(dimension: Option<&str>, sheet_data: &str, shared: Option<&str>) -> Vec<u8> {
    zip(&parts(dimension, sheet_data, shared))
}

/// A row of inline-string cells.
pub fn row(line: usize, cells: &[&str]) -> String {
    let mut out = format!("<row r=\"{line}\">");
    for (i, text) in cells.iter().enumerate() {
        out.push_str(&format!(
            "<c r=\"{}{line}\" t=\"inlineStr\"><is><t>{text}</t></is></c>",
            column(i)
        ));
    }
    out.push_str("</row>");
    out
}

/// A column's letters: 0 → `A`, 27 → `AB`, 16,383 → `XFD`.
pub fn column(mut i: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + u8::try_from(i % 26).unwrap_or(0));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// Rewrites the size `part` declares it unpacks to, in the zip's central directory and in
/// its local header (the content stays as it is).
#[allow(clippy::unwrap_used)]
pub fn declare_size(zip: &mut [u8], part: &str, size: u32) {
    let name = part.as_bytes();
    let mut patched = 0;
    for i in 0..zip.len().saturating_sub(46) {
        let (signature, name_len_at, name_at, size_at) = match &zip[i..i + 4] {
            b"PK\x01\x02" => (true, 28, 46, 24),
            b"PK\x03\x04" => (true, 26, 30, 22),
            _ => (false, 0, 0, 0),
        };
        if !signature {
            continue;
        }
        let len = usize::from(u16::from_le_bytes([
            zip[i + name_len_at],
            zip[i + name_len_at + 1],
        ]));
        if zip.get(i + name_at..i + name_at + len) == Some(name) {
            zip[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "{part} is in the zip once");
}

/// A workbook whose sheet declares (in the zip directory) that it unpacks to ~3.75 GiB.
pub fn declared_bomb() -> Vec<u8> {
    let mut file = workbook(None, &row(1, &["Group", "Name"]), None);
    declare_size(&mut file, SHEET, 0xF000_0000);
    file
}

/// A workbook whose sheet unpacks to `actual` bytes (a comment of spaces before its rows)
/// while declaring 1 KiB: a bomb that lies about its size.
pub fn lying_bomb(actual: usize) -> Vec<u8> {
    let mut parts = parts(None, &row(1, &["Group", "Name"]), None);
    if let Some((_, sheet)) = parts.iter_mut().find(|p| p.0 == SHEET) {
        let text = String::from_utf8_lossy(sheet).into_owned();
        let padding = " ".repeat(actual.saturating_sub(text.len()));
        *sheet = text
            .replace("<sheetData>", &format!("<!--{padding}--><sheetData>"))
            .into_bytes();
    }
    let mut file = zip(&parts);
    declare_size(&mut file, SHEET, 1024);
    file
}

/// A workbook whose shared-strings table declares ~3.75 GiB (with `lie`: 1 KiB, while it
/// really holds `strings` strings of 32 characters).
pub fn shared_strings_bomb(strings: usize, lie: bool) -> Vec<u8> {
    let mut si = String::with_capacity(strings * 48);
    for i in 0..strings {
        si.push_str(&format!("<si><t>{i:032}</t></si>"));
    }
    let sheet =
        "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row>";
    let mut file = workbook(None, sheet, Some(&si));
    declare_size(&mut file, SHARED, if lie { 1024 } else { 0xF000_0000 });
    file
}

/// A sheet 16,384 columns wide (Excel's widest): one row with a value in every column,
/// with or without a `<dimension>` saying so.
pub fn wide_sheet(with_dimension: bool) -> Vec<u8> {
    let cells: Vec<String> = (0..16_384).map(|i| format!("H{i}")).collect();
    let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
    workbook(with_dimension.then_some("A1:XFD1"), &row(1, &cells), None)
}

/// A sheet of `rows` rows below a header (`Group`, `Name`), each row small; with
/// `dimension`, the used range declares ten million rows.
pub fn tall_sheet(rows: usize, dimension: bool) -> Vec<u8> {
    let mut data = row(1, &["Group", "Name"]);
    for line in 2..rows + 2 {
        data.push_str(&format!(
            "<row r=\"{line}\"><c r=\"A{line}\" t=\"inlineStr\"><is><t>G</t></is></c><c r=\"B{line}\"><v>{line}</v></c></row>"
        ));
    }
    workbook(dimension.then_some("A1:B10000000"), &data, None)
}
