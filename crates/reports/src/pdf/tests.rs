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

mod labels {
    //! Labels: every text inside its label, read back with `pdftotext`, fonts embedded
    //! (`pdffonts`), and every QR code decoded from a 300 dpi rendering (`pdftoppm`,
    //! `zbarimg`; scripts/test.sh installs poppler-utils and zbar-tools).

    use std::path::PathBuf;
    use std::process::Command;

    use super::super::labels::lay_out_labels;
    use super::super::layout::Op;
    use super::super::*;
    use super::{font, poppler};

    const MM: f32 = 72.0 / 25.4;

    fn label(i: usize) -> Label {
        Label {
            code: format!("HTL-M-{i:03}"),
            name: format!("Wardrobe {i}, oak veneer"),
            project: "HTL-25-001 Harbour Hotel fit-out".into(),
            place: format!("T1-L02-02{i:02} Room 2{i:02} · Level 2"),
            quantity: "Qty 2 pcs".into(),
            url: format!("https://pm.example.com/scope-items/0193a1b2-c3d4-7e5f-8a9b-{i:012}/edit"),
        }
    }

    /// Labels with everything too long: a name of many words, a code of many characters,
    /// a place that wraps and a project name that does not fit a line.
    fn long_label(i: usize) -> Label {
        Label {
            code: format!("HTLX-MILLWORK-EXTRA-LONG-{i:04}"),
            name: "Full-height wardrobe with sliding doors, internal drawers, hanging rail, \
                   shoe rack, integrated lighting and a soft-close mechanism in smoked oak"
                .into(),
            project: "HTL-25-001 The Grand Harbour Hotel and Residences, complete interior \
                      fit-out of towers one and two"
                .into(),
            place: "KING King guest room with a very long type name · 120 rooms on 5 levels".into(),
            quantity: format!("Unit {} of 142", i + 1),
            url: format!("https://pm.example.com/scope-items/0193a1b2-c3d4-7e5f-8a9b-{i:012}/edit"),
        }
    }

    fn doc(layout: LabelLayout, labels: Vec<Label>) -> Labels {
        Labels {
            title: "Labels HTL-25-001".into(),
            layout,
            labels,
        }
    }

    /// The label boxes of a stock, in points: (x, y, w, h) of the label at `slot`.
    fn boxes(layout: LabelLayout) -> Vec<(f32, f32, f32, f32)> {
        match layout {
            LabelLayout::A4Sheet => (0..14)
                .map(|s| {
                    (
                        (4.65 + (s % 2) as f32 * 101.6) * MM,
                        (15.15 + (s / 2) as f32 * 38.1) * MM,
                        99.1 * MM,
                        38.1 * MM,
                    )
                })
                .collect(),
            LabelLayout::Thermal => vec![(0.0, 0.0, 100.0 * MM, 50.0 * MM)],
        }
    }

    #[test]
    fn sheets_hold_fourteen_and_rolls_one_and_nothing_leaves_its_label() {
        let fonts = font::Fonts::load().unwrap();
        for layout in [LabelLayout::A4Sheet, LabelLayout::Thermal] {
            let labels: Vec<Label> = (0..30)
                .map(|i| if i % 2 == 0 { long_label(i) } else { label(i) })
                .collect();
            let laid = lay_out_labels(&doc(layout, labels), &fonts).unwrap();
            let per_page = boxes(layout).len();
            assert_eq!(laid.pages.len(), 30usize.div_ceil(per_page), "{layout:?}");
            let mut codes = 0;
            for page in &laid.pages {
                for op in page {
                    match op {
                        Op::Text {
                            x,
                            y,
                            size,
                            weight,
                            text,
                            ..
                        } => {
                            let w = fonts.face(*weight).width(text, *size);
                            // Inside one label, clear of its edges, and clear of the QR code
                            // (which takes the right part of the label).
                            let inside = boxes(layout).into_iter().any(|(bx, by, bw, bh)| {
                                *x >= bx + 2.0 * MM
                                    && x + w <= bx + bw - 2.0 * MM - 30.0 * MM
                                    && y - size * 0.8 >= by + 2.0 * MM
                                    && y + size * 0.25 <= by + bh - 2.0 * MM
                            });
                            assert!(inside, "{layout:?}: {text:?} at {x},{y} size {size}");
                            if text.starts_with("HTL") && !text.contains(' ') {
                                codes += 1;
                            }
                        }
                        Op::Rects { rects, .. } => {
                            for [x, y, w, h] in rects {
                                let inside = boxes(layout).into_iter().any(|(bx, by, bw, bh)| {
                                    *x >= bx + 2.0 * MM
                                        && x + w <= bx + bw - 2.0 * MM
                                        && *y >= by + 2.0 * MM
                                        && y + h <= by + bh - 2.0 * MM
                                });
                                assert!(inside, "{layout:?}: QR module at {x},{y}");
                            }
                        }
                        other => panic!("unexpected {other:?}"),
                    }
                }
            }
            assert_eq!(codes, 30, "{layout:?}: every label has its code");
        }
    }

    #[test]
    fn long_texts_are_wrapped_then_cut_with_an_ellipsis() {
        let fonts = font::Fonts::load().unwrap();
        let laid = lay_out_labels(&doc(LabelLayout::A4Sheet, vec![long_label(0)]), &fonts).unwrap();
        let texts: Vec<&str> = laid.pages[0]
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(texts[0].starts_with("HTL-25-001 The Grand") && texts[0].ends_with('…'));
        // The code fits whole, set smaller; one of the longest allowed goes over two lines.
        assert!(
            texts.contains(&"HTLX-MILLWORK-EXTRA-LONG-0000"),
            "{texts:?}"
        );
        let mut very = long_label(0);
        very.code = "W".repeat(40);
        let laid = lay_out_labels(&doc(LabelLayout::Thermal, vec![very]), &fonts).unwrap();
        let code: String = laid.pages[0]
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } if text.starts_with('W') => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(code, "W".repeat(40));
        assert!(texts.iter().any(|t| t.starts_with("Full-height wardrobe")));
        assert!(
            texts.iter().filter(|t| t.ends_with('…')).count() >= 2,
            "{texts:?}"
        );
        assert_eq!(texts.last(), Some(&"Unit 1 of 142"));
    }

    #[test]
    fn too_many_labels_are_refused() {
        let many = vec![label(1); MAX_LABELS + 1];
        assert!(render_labels(&doc(LabelLayout::Thermal, many)).is_err());
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("formula-labels-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Renders the label at `slot` of page `page` (1-based) at 300 dpi, alone, and returns
    /// the QR codes zbarimg finds in it.
    fn decode(
        pdf: &[u8],
        layout: LabelLayout,
        page: usize,
        slot: usize,
        name: &str,
    ) -> Vec<String> {
        let dir = scratch(name);
        let file = dir.join("labels.pdf");
        std::fs::write(&file, pdf).unwrap();
        let (x, y, w, h) = boxes(layout)[slot];
        let px = |pt: f32| ((pt / 72.0 * 300.0).round() as i64).to_string();
        let out = Command::new("pdftoppm")
            .args(["-r", "300", "-gray", "-png", "-singlefile"])
            .args(["-f", &page.to_string(), "-l", &page.to_string()])
            .args(["-x", &px(x), "-y", &px(y), "-W", &px(w), "-H", &px(h)])
            .arg(&file)
            .arg(dir.join("label"))
            .output()
            .expect("pdftoppm (poppler-utils) must be installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new("zbarimg")
            .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
            .arg(dir.join("label.png"))
            .output()
            .expect("zbarimg (zbar-tools) must be installed");
        let _ = std::fs::remove_dir_all(&dir);
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn text_reads_back_fonts_are_embedded_and_every_qr_code_decodes_to_its_url() {
        for (layout, name) in [
            (LabelLayout::A4Sheet, "a4"),
            (LabelLayout::Thermal, "thermal"),
        ] {
            let mut labels: Vec<Label> = (0..15).map(label).collect();
            labels[3] = long_label(3);
            labels[4].name = "Façade panel – oak, 2 × 600 mm".into();
            let pdf = render_labels(&doc(layout, labels.clone())).unwrap();
            assert!(pdf.starts_with(b"%PDF-"));
            let text = poppler("pdftotext", &pdf, &[]);
            // (A code too long for the thermal label's line goes over two, broken after a
            // hyphen, which pdftotext joins up without it.)
            let joined = text.replace(['\n', '-'], "");
            for l in &labels {
                let code = l.code.replace('-', "");
                assert!(
                    joined.contains(&code),
                    "{name}: {} missing:\n{text}",
                    l.code
                );
            }
            for expected in [
                "Wardrobe 1, oak veneer",
                "Façade panel – oak, 2 × 600 mm",
                "HTL-25-001 Harbour Hotel fit-out",
                "T1-L02-0214 Room 214",
                "Qty 2 pcs",
                "Unit 4 of 142",
            ] {
                // Lines wrap differently on the two stocks.
                let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(
                    flat.contains(expected),
                    "{name}: {expected:?} missing:\n{text}"
                );
            }
            let fonts = poppler("pdffonts", &pdf, &[]);
            for row in fonts.lines().skip(2) {
                let flags: Vec<&str> = row.split_whitespace().rev().skip(2).take(3).collect();
                assert_eq!(flags, ["yes", "yes", "yes"], "{fonts}");
            }
            // Every label of the first page, alone, holds its own page's address; and the
            // second page goes on with the next label.
            let per_page = boxes(layout).len();
            for (slot, l) in labels[..per_page].iter().enumerate() {
                let found = decode(&pdf, layout, 1, slot, name);
                assert_eq!(
                    found,
                    std::slice::from_ref(&l.url),
                    "{name}: label {}",
                    slot + 1
                );
            }
            let found = decode(&pdf, layout, 2, 0, name);
            assert_eq!(found, [labels[per_page].url.clone()], "{name}: page 2");
        }
    }

    /// Writes sample label PDFs to look at: `FORMULA_LABELS_SAMPLE=/tmp/labels cargo test
    /// -p formula-reports -- labels::sample` (does nothing without the variable), then
    /// `pdftoppm -r 150 -png /tmp/labels-a4.pdf /tmp/labels-a4`.
    #[test]
    fn sample() {
        let Ok(path) = std::env::var("FORMULA_LABELS_SAMPLE") else {
            return;
        };
        let labels: Vec<Label> = (0..16)
            .map(|i| if i % 3 == 1 { long_label(i) } else { label(i) })
            .collect();
        for (layout, name) in [
            (LabelLayout::A4Sheet, "a4"),
            (LabelLayout::Thermal, "thermal"),
        ] {
            let pdf = render_labels(&doc(layout, labels.clone())).unwrap();
            std::fs::write(format!("{path}-{name}.pdf"), pdf).unwrap();
        }
    }
}
