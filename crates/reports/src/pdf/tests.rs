//! Layout checks on the operations, and the written PDF read back with poppler's
//! `pdftotext` and `pdffonts` (scripts/test.sh installs poppler-utils).

use std::process::Command;

use super::layout::{MARGIN_X, Op, PAGE_W, lay_out};
use super::*;

use formula_testkit::images::png;

fn letterhead(logo: bool) -> Letterhead {
    Letterhead {
        company_name: "Northwind Interiors Ltd".into(),
        address_lines: vec!["12 Harbour Road".into(), "Bristol BS1 4XX".into()],
        tax_number: Some("GB 123 4567 89".into()),
        contact_lines: vec!["+44 117 555 0100".into(), "office@northwind.test".into()],
        logo: logo.then(|| png(300, 90)),
    }
}

fn long_document(rows: usize) -> Document {
    let columns = vec![
        Column::new("Code", 1.2, Align::Left),
        Column::new("Item", 4.0, Align::Left),
        Column::new("Qty", 1.0, Align::Right),
        Column::new("Total", 1.6, Align::Right),
    ];
    let mut table_rows = vec![Row::new(RowKind::Group, vec!["Millwork".into()])];
    for i in 0..rows {
        table_rows.push(Row::new(
            RowKind::Normal,
            vec![
                format!("MW-{i:03}").into(),
                format!(
                    "Wardrobe unit {i} with soft-close drawers and a long description that wraps"
                )
                .into(),
                "2".into(),
                "1,250.00 GBP".into(),
            ],
        ));
    }
    table_rows.push(Row::new(
        RowKind::Total,
        vec!["".into(), "Total".into(), "".into(), "99,999.00 GBP".into()],
    ));
    Document {
        letterhead: letterhead(true),
        title: "Priced scope of work".into(),
        number: "HTL-2026".into(),
        date: "7 Dec 2026".into(),
        fields: vec![Field {
            label: "Currency".into(),
            value: "GBP".into(),
        }],
        parties: vec![
            Party {
                label: "Client".into(),
                lines: vec!["Harbour Hotels plc".into(), "1 Quay Street".into()],
            },
            Party {
                label: "Project".into(),
                lines: vec!["Harbour Hotel fit-out".into()],
            },
        ],
        blocks: vec![
            Block::Heading("Scope".into()),
            Block::Table(Table {
                columns,
                rows: table_rows,
            }),
            Block::Heading("Terms".into()),
            Block::Paragraph("Prices exclude VAT. Valid for 30 days.".into()),
        ],
        footer: "Registered in England no. 01234567".into(),
    }
}

fn texts(page: &[Op]) -> Vec<&str> {
    page.iter()
        .filter_map(|op| match op {
            Op::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn long_tables_run_over_pages_with_header_and_page_numbers() {
    let fonts = font::Fonts::load().unwrap();
    let laid = lay_out(&long_document(120), &fonts).unwrap();
    let n = laid.pages.len();
    assert!(n >= 3, "{n} pages");
    for (i, page) in laid.pages.iter().enumerate() {
        let t = texts(page);
        // The table header is repeated on every page the table reaches, and every page
        // names the document and its place.
        assert!(t.contains(&"Code"), "page {}", i + 1);
        let label = format!("HTL-2026 · Page {} of {n}", i + 1);
        assert!(t.contains(&label.as_str()), "page {}: {t:?}", i + 1);
        // Nothing is drawn outside the margins or below the footer.
        for op in page {
            if let Op::Text {
                x,
                y,
                size,
                weight,
                text,
                ..
            } = op
            {
                let w = fonts.face(*weight).width(text, *size);
                assert!(*x >= MARGIN_X - 0.01, "{text} at {x}");
                assert!(
                    x + w <= PAGE_W - MARGIN_X + 0.01,
                    "{text} ends at {}",
                    x + w
                );
                assert!(*y < layout::PAGE_H - 15.0);
            }
        }
    }
    // The letterhead only on page 1; a running header after it.
    assert!(texts(&laid.pages[0]).contains(&"Tax no. GB 123 4567 89"));
    assert!(!texts(&laid.pages[1]).contains(&"Tax no. GB 123 4567 89"));
    assert!(texts(&laid.pages[1]).contains(&"Priced scope of work · HTL-2026"));
    // Every item is there once, in order.
    let codes: Vec<String> = laid
        .pages
        .iter()
        .flat_map(|p| texts(p))
        .filter(|t| t.starts_with("MW-"))
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 120);
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn a_group_row_is_never_last_on_a_page() {
    let fonts = font::Fonts::load().unwrap();
    let mut doc = long_document(0);
    let Block::Table(t) = &mut doc.blocks[1] else {
        panic!()
    };
    t.rows.clear();
    for g in 0..30 {
        t.rows
            .push(Row::new(RowKind::Group, vec![format!("Group {g}").into()]));
        for i in 0..3 {
            t.rows
                .push(Row::new(RowKind::Normal, vec![format!("G{g}-{i}").into()]));
        }
    }
    let laid = lay_out(&doc, &fonts).unwrap();
    for page in &laid.pages {
        let t = texts(page);
        let last_body = t
            .iter()
            .rev()
            .find(|s| s.starts_with("Group ") || s.starts_with('G'))
            .unwrap();
        assert!(!last_body.starts_with("Group "), "{last_body} ends a page");
    }
}

#[test]
fn a_cell_taller_than_a_page_is_carried_over() {
    let fonts = font::Fonts::load().unwrap();
    let mut doc = long_document(1);
    let Block::Table(t) = &mut doc.blocks[1] else {
        panic!()
    };
    t.rows[1].cells[1] = Cell::Text("word ".repeat(3000));
    let laid = lay_out(&doc, &fonts).unwrap();
    assert!(laid.pages.len() >= 2);
    let words: usize = laid
        .pages
        .iter()
        .flat_map(|p| texts(p))
        .filter(|t| t.starts_with("word"))
        .map(|t| t.split_whitespace().count())
        .sum();
    assert_eq!(words, 3000);
}

#[test]
fn pictures_are_checked() {
    assert_eq!(check_image(&png(40, 20)).unwrap(), (40, 20));
    assert!(check_image(b"GIF89a....").is_err());
    let mut broken = png(40, 20);
    broken.truncate(broken.len() - 30);
    assert!(check_image(&broken).is_err());
    let mut doc = long_document(1);
    doc.letterhead.logo = Some(b"not a picture".to_vec());
    assert!(render(&doc).unwrap_err().0.contains("JPEG or PNG"));
}

fn poppler(tool: &str, pdf: &[u8], args: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("formula-pdf-{}-{tool}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new(tool)
        .args(args)
        .arg(&file)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) must be installed: {e}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn text_comes_back_out_and_fonts_are_embedded() {
    let mut doc = long_document(120);
    // A photo thumbnail in a cell, and characters beyond ASCII.
    if let Block::Table(t) = &mut doc.blocks[1] {
        t.rows[1].cells[1] = Cell::Image {
            data: png(120, 80),
            height: 40.0,
        };
        t.rows[2].cells[1] = "Façade panel – oak, 2 × 600 mm".into();
    }
    let pdf = render(&doc).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = poppler("pdftotext", &pdf, &["-layout"]);
    for expected in [
        "Northwind Interiors Ltd",
        "Priced scope of work",
        "MW-000",
        "MW-119",
        "99,999.00 GBP",
        "Façade panel – oak, 2 × 600 mm",
        "Registered in England no. 01234567",
        "Prices exclude VAT.",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let pages = text.matches("Page 1 of ").count();
    assert_eq!(pages, 1);
    assert!(text.contains("HTL-2026 · Page 2 of "), "{text}");
    let fonts = poppler("pdffonts", &pdf, &[]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "{fonts}");
    for row in rows {
        assert!(row.contains("DejaVuSans"), "{row}");
        // name, type (two words), encoding, then emb sub uni: all "yes".
        let flags: Vec<&str> = row.split_whitespace().rev().skip(2).take(3).collect();
        assert_eq!(flags, ["yes", "yes", "yes"], "{fonts}");
    }
}

/// Writes the sample document for looking at: `FORMULA_PDF_SAMPLE=/tmp/sample.pdf cargo
/// test --workspace --lib -- pdf::tests::sample` (does nothing without the variable).
#[test]
fn sample() {
    let Ok(path) = std::env::var("FORMULA_PDF_SAMPLE") else {
        return;
    };
    let mut doc = long_document(60);
    if let Block::Table(t) = &mut doc.blocks[1] {
        t.rows[3].cells[1] = Cell::Image {
            data: png(120, 80),
            height: 40.0,
        };
        t.rows.insert(
            20,
            Row::new(
                RowKind::Subtotal,
                vec![
                    "".into(),
                    "Subtotal Millwork".into(),
                    "".into(),
                    "24,000.00 GBP".into(),
                ],
            ),
        );
        t.rows
            .insert(21, Row::new(RowKind::Group, vec!["Electrical".into()]));
    }
    std::fs::write(path, render(&doc).unwrap()).unwrap();
}
