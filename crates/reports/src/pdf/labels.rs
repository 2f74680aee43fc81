//! Item labels for the workshop: the item's code, name, project, place and quantity beside
//! a QR code of the item's page, on A4 sheets of sticky labels or one per page on a thermal
//! label printer's roll.
//!
//! The two stocks:
//! - **A4 sheet, 2 × 7 labels of 99.1 × 38.1 mm** (Avery L7163 / J8163 and the many sheets
//!   sold as compatible with them): the usual "address and parcel" sheet in every office.
//!   Wide enough for a name in readable type beside a QR code a phone reads at arm's length,
//!   and it keeps 15 mm top and 4.7 mm side margins, which office printers can print near.
//! - **Thermal, 100 × 50 mm**, one label a page: the common product-label roll of 4-inch
//!   desktop thermal printers (Zebra, Brother, TSC), whose drivers print one PDF page per
//!   label. Larger type for a label read across a workshop. (102 × 152 mm is a shipping
//!   label, a third of it would be blank here.)
//!
//! Every text fits its label: long names wrap to two lines and what still does not fit
//! ends with "…"; a long code is set smaller before it is cut. The QR code is drawn as
//! vector squares (no picture), with a quiet zone, in black on white, so it prints sharp on
//! any printer.

use qrcodegen::{QrCode, QrCodeEcc};

use super::PdfError;
use super::font::{Face, Fonts, Weight, wrap};
use super::layout::{Laid, Op, Rgb};

/// The most labels one document holds (the callers refuse larger requests first).
pub const MAX_LABELS: usize = 2_000;

const MM: f32 = 72.0 / 25.4;
/// Pure black: thermal printers have no grey, and a QR code wants the most contrast.
const BLACK: Rgb = Rgb(0, 0, 0);

/// Which label stock to print on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LabelLayout {
    /// A4 sheets of 2 × 7 labels, 99.1 × 38.1 mm (Avery L7163).
    #[default]
    A4Sheet,
    /// 100 × 50 mm thermal labels, one a page.
    Thermal,
}

/// One label: plain text, formatted by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Label {
    /// The item's code, printed large.
    pub code: String,
    pub name: String,
    /// The project's code and name, small at the top.
    pub project: String,
    /// Where it goes: a room and level, a room type, or what the item says.
    pub place: String,
    /// "Qty 12 pcs", or for one label per unit "Unit 3 of 12".
    pub quantity: String,
    /// What the QR code holds: the item's page.
    pub url: String,
}

/// A run of labels on one stock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels {
    /// The document's title (its metadata): "Labels HTL-25-001".
    pub title: String,
    pub layout: LabelLayout,
    pub labels: Vec<Label>,
}

/// The geometry of a stock, in points.
struct Stock {
    page: (f32, f32),
    cols: usize,
    rows: usize,
    /// The top left corner of the first label and the step to the next.
    left: f32,
    top: f32,
    pitch: (f32, f32),
    label: (f32, f32),
    /// Space kept clear inside the label's edge (printers wander, die-cuts too).
    pad: (f32, f32),
    qr: f32,
    gap: f32,
    /// Type sizes: the code, the body (name, place, quantity), the project.
    code: f32,
    body: f32,
    small: f32,
}

impl Stock {
    fn of(layout: LabelLayout) -> Stock {
        match layout {
            LabelLayout::A4Sheet => Stock {
                page: (210.0 * MM, 297.0 * MM),
                cols: 2,
                rows: 7,
                left: 4.65 * MM,
                top: 15.15 * MM,
                pitch: (101.6 * MM, 38.1 * MM),
                label: (99.1 * MM, 38.1 * MM),
                pad: (4.0 * MM, 3.2 * MM),
                qr: 31.0 * MM,
                gap: 2.5 * MM,
                code: 15.0,
                body: 8.5,
                small: 7.0,
            },
            LabelLayout::Thermal => Stock {
                page: (100.0 * MM, 50.0 * MM),
                cols: 1,
                rows: 1,
                left: 0.0,
                top: 0.0,
                pitch: (100.0 * MM, 50.0 * MM),
                label: (100.0 * MM, 50.0 * MM),
                pad: (3.5 * MM, 3.5 * MM),
                qr: 38.0 * MM,
                gap: 3.0 * MM,
                code: 19.0,
                body: 10.0,
                small: 8.0,
            },
        }
    }

    fn per_page(&self) -> usize {
        self.cols * self.rows
    }
}

/// Lays the labels out and writes the PDF.
pub fn render_labels(doc: &Labels) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load().map_err(PdfError)?;
    let laid = lay_out_labels(doc, &fonts)?;
    super::draw::render(&laid, &fonts, &doc.title).map_err(PdfError)
}

pub(super) fn lay_out_labels(doc: &Labels, fonts: &Fonts) -> Result<Laid, PdfError> {
    if doc.labels.len() > MAX_LABELS {
        return Err(PdfError(format!(
            "{} labels are too many for one document; at most {MAX_LABELS}",
            doc.labels.len()
        )));
    }
    let stock = Stock::of(doc.layout);
    let mut pages: Vec<Vec<Op>> = Vec::new();
    for (i, label) in doc.labels.iter().enumerate() {
        let slot = i % stock.per_page();
        if slot == 0 {
            pages.push(Vec::new());
        }
        let (col, row) = (slot % stock.cols, slot / stock.cols);
        let x = stock.left + col as f32 * stock.pitch.0;
        let y = stock.top + row as f32 * stock.pitch.1;
        let ops = pages.last_mut().ok_or_else(|| PdfError("no page".into()))?;
        draw_label(ops, fonts, &stock, x, y, label)?;
    }
    if pages.is_empty() {
        pages.push(Vec::new());
    }
    Ok(Laid {
        size: stock.page,
        pages,
        images: Vec::new(),
    })
}

fn text(ops: &mut Vec<Op>, x: f32, y: f32, size: f32, weight: Weight, t: String) {
    if !t.is_empty() {
        ops.push(Op::Text {
            x,
            y,
            size,
            weight,
            color: BLACK,
            text: t,
        });
    }
}

/// `text` cut with "…" so that it is no wider than `width`.
fn shorten(face: &Face, text: &str, size: f32, width: f32) -> String {
    if face.width(text, size) <= width {
        return text.to_owned();
    }
    let budget = width - face.width("…", size);
    let mut out = String::new();
    let mut w = 0.0;
    for ch in text.chars() {
        let cw = face.glyph(ch).1 * size;
        if w + cw > budget {
            break;
        }
        out.push(ch);
        w += cw;
    }
    format!("{}…", out.trim_end())
}

/// At most `max` lines of `text` wrapped to `width`; the last one ends with "…" when the
/// text goes on.
fn lines(face: &Face, text: &str, size: f32, width: f32, max: usize) -> Vec<String> {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() || max == 0 {
        return Vec::new();
    }
    // Parts joined by " · " (a room, then its level) break there first, when they then fit.
    let mut all = wrap(face, &flat, size, width);
    if all.len() > 1 && flat.contains(" · ") {
        let parts = wrap(face, &flat.replace(" · ", "\n"), size, width);
        if parts.len() <= max {
            all = parts;
        }
    }
    if all.len() > max {
        let rest = all[max - 1..].join(" ");
        all.truncate(max - 1);
        let mut last = shorten(face, &rest, size, width);
        if !last.ends_with('…') {
            // The rest fitted after all (wrapping measures word by word): say it goes on.
            last = shorten(face, &format!("{last} …"), size, width);
        }
        all.push(last);
    }
    all
}

/// A code broken into lines after its separators (`-`, `_`, `.`, `/`) where it can be,
/// inside a part only when the part alone is too wide.
fn code_lines(face: &Face, code: &str, size: f32, width: f32) -> Vec<String> {
    let mut spaced = String::new();
    for ch in code.chars() {
        spaced.push(ch);
        if matches!(ch, '-' | '_' | '.' | '/') {
            spaced.push(' ');
        }
    }
    wrap(face, &spaced, size, width)
        .into_iter()
        .map(|l| l.replace(' ', ""))
        .collect()
}

fn draw_label(
    ops: &mut Vec<Op>,
    fonts: &Fonts,
    s: &Stock,
    x: f32,
    y: f32,
    label: &Label,
) -> Result<(), PdfError> {
    let (w, h) = s.label;
    let (px, py) = s.pad;
    // The QR code at the right, centred top to bottom.
    let qr_x = x + w - px - s.qr;
    let qr_y = y + (h - s.qr) / 2.0;
    qr(ops, &label.url, qr_x, qr_y, s.qr)?;
    let tx = x + px;
    let tw = qr_x - s.gap - tx;
    let bottom = y + h - py;
    let regular = &fonts.regular;
    let bold = &fonts.bold;
    let lead = |size: f32| size * 1.22;

    // The project, small, along the top.
    let mut cur = y + py + s.small * 0.95;
    text(
        ops,
        tx,
        cur,
        s.small,
        Weight::Regular,
        shorten(regular, &label.project, s.small, tw),
    );
    // The code, as large as fits on one line (down to the project's size); a code longer
    // than that goes over two lines (three in small type), never cut short.
    let mut size = s.code;
    while size > s.small && bold.width(&label.code, size) > tw {
        size -= 0.5;
    }
    let code_lines = if bold.width(&label.code, size) <= tw {
        vec![label.code.clone()]
    } else {
        size = s.body;
        let mut wrapped = code_lines(bold, &label.code, size, tw);
        if wrapped.len() > 2 {
            size = s.small;
            wrapped = code_lines(bold, &label.code, size, tw);
            if wrapped.len() > 3 {
                wrapped.truncate(3);
                if let Some(last) = wrapped.last_mut() {
                    *last = shorten(bold, &format!("{last}…"), size, tw);
                }
            }
        }
        wrapped
    };
    for line in code_lines {
        cur += lead(size) + 0.5;
        text(ops, tx, cur, size, Weight::Bold, line);
    }
    // The quantity sits on the bottom line; the name and the place share what is between.
    let qty_base = bottom - s.body * 0.25;
    let room = qty_base - lead(s.body) - cur;
    let fits = (room / lead(s.body)).floor().max(0.0) as usize;
    let place_lines = lines(bold, &label.place, s.body, tw, 2);
    // The place keeps at least one line; the name gets up to two of the rest.
    let place_n = place_lines.len().min(fits.saturating_sub(1).max(1)).min(2);
    let name_n = fits.saturating_sub(place_n).min(2);
    let name_lines = lines(regular, &label.name, s.body, tw, name_n);
    let place_lines = if place_lines.len() > place_n {
        lines(bold, &label.place, s.body, tw, place_n)
    } else {
        place_lines
    };
    cur += 1.5;
    for line in name_lines {
        cur += lead(s.body);
        text(ops, tx, cur, s.body, Weight::Regular, line);
    }
    for line in place_lines {
        cur += lead(s.body);
        text(ops, tx, cur, s.body, Weight::Bold, line);
    }
    text(
        ops,
        tx,
        qty_base,
        s.body,
        Weight::Bold,
        shorten(bold, &label.quantity, s.body, tw),
    );
    Ok(())
}

/// Draws the QR code of `data` in a `side` × `side` square at (`x`, `y`), two modules of
/// quiet zone inside it (the label's own margin adds more).
fn qr(ops: &mut Vec<Op>, data: &str, x: f32, y: f32, side: f32) -> Result<(), PdfError> {
    // Medium: about 15 % of the code may be scuffed off and it still reads; higher levels
    // would make the modules of a page address too small for a 31 mm square.
    let code = QrCode::encode_text(data, QrCodeEcc::Medium).map_err(|_| {
        PdfError(format!(
            "{} characters are too long for a QR code",
            data.len()
        ))
    })?;
    let n = code.size();
    let quiet = 2;
    let module = side / (n + 2 * quiet) as f32;
    let mut rects = Vec::new();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if !code.get_module(col, row) {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && code.get_module(col, row) {
                col += 1;
            }
            rects.push([
                x + (start + quiet) as f32 * module,
                y + (row + quiet) as f32 * module,
                (col - start) as f32 * module,
                module,
            ]);
        }
    }
    ops.push(Op::Rects {
        rects,
        color: BLACK,
    });
    Ok(())
}
