//! Flowing a document onto A4 pages: the letterhead on page 1, the body block by block,
//! tables row by row with their header repeated on each page, then the furniture (running
//! header, document number and "Page x of y") once the number of pages is known.
//!
//! The result is a list of drawing operations per page, in points from the top left, which
//! `draw` turns into PDF; keeping the two apart lets the tests check positions directly.

use super::font::{Fonts, Weight, wrap};
use super::image::fit;
use super::model::{Align, Block, Cell, Document, RowKind, Table};
use krilla::image::Image;

/// A4 in points.
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
/// Left and right margins (17 mm).
pub const MARGIN_X: f32 = 48.0;
const TOP: f32 = 42.0;
/// Where the body stops; the footer sits below.
const BODY_BOTTOM: f32 = PAGE_H - 58.0;
const FOOTER_RULE: f32 = PAGE_H - 44.0;
const RIGHT: f32 = PAGE_W - MARGIN_X;
const WIDTH: f32 = RIGHT - MARGIN_X;

/// A colour as red, green, blue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

pub const INK: Rgb = Rgb(0x1c, 0x21, 0x27);
pub const MUTED: Rgb = Rgb(0x5f, 0x67, 0x72);
const RULE: Rgb = Rgb(0xc9, 0xce, 0xd4);
const STRONG_RULE: Rgb = Rgb(0x39, 0x41, 0x4b);
const TINT: Rgb = Rgb(0xee, 0xf1, 0xf4);
const LIGHT_TINT: Rgb = Rgb(0xf6, 0xf7, 0xf9);

/// One drawing operation. `y` of text is its baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        color: Rgb,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb,
    },
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    /// Rectangles `[x, y, w, h]` filled as one shape, so that neighbours meet without a
    /// hairline between them (a QR code's modules).
    Rects { rects: Vec<[f32; 4]>, color: Rgb },
    /// `image` indexes [`Laid::images`].
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: usize,
    },
}

/// A laid-out document.
pub struct Laid {
    /// Every page's width and height, in points.
    pub size: (f32, f32),
    pub pages: Vec<Vec<Op>>,
    pub images: Vec<Image>,
}

// Body text sizes and leading.
const BODY: f32 = 9.0;
const CELL: f32 = 8.5;
const PAD_X: f32 = 4.0;
const PAD_Y: f32 = 3.5;

fn leading(size: f32) -> f32 {
    size * 1.32
}

struct Flow<'a> {
    fonts: &'a Fonts,
    pages: Vec<Vec<Op>>,
    images: Vec<Image>,
    /// The page being drawn on.
    cur: usize,
    y: f32,
}

pub fn lay_out(doc: &Document, fonts: &Fonts) -> Result<Laid, String> {
    let mut f = Flow {
        fonts,
        pages: vec![Vec::new()],
        images: Vec::new(),
        cur: 0,
        y: TOP,
    };
    f.letterhead(doc)?;
    f.title(doc);
    f.parties(doc);
    for (i, block) in doc.blocks.iter().enumerate() {
        match block {
            Block::Heading(text) => {
                // Keep a heading with at least the start of what follows it.
                let next = match doc.blocks.get(i + 1) {
                    Some(Block::Table(_)) => 3.0 * leading(CELL) + 4.0 * PAD_Y,
                    _ => 2.0 * leading(BODY),
                };
                f.heading(text, next);
            }
            Block::Paragraph(text) => f.paragraph(text),
            Block::Table(t) => f.table(t)?,
            Block::Space(h) => f.y = (f.y + h.max(0.0)).min(BODY_BOTTOM),
        }
    }
    f.furniture(doc);
    Ok(Laid {
        size: (PAGE_W, PAGE_H),
        pages: f.pages,
        images: f.images,
    })
}

impl Flow<'_> {
    fn ops(&mut self) -> &mut Vec<Op> {
        &mut self.pages[self.cur]
    }

    /// Text in a box from `x` to `x + w`, aligned, with its baseline at `y`.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: f32,
        w: f32,
        y: f32,
        size: f32,
        weight: Weight,
        color: Rgb,
        align: Align,
        text: &str,
    ) {
        if text.is_empty() {
            return;
        }
        let tw = self.fonts.face(weight).width(text, size);
        let x = match align {
            Align::Left => x,
            Align::Right => x + w - tw,
            Align::Center => x + (w - tw) / 2.0,
        };
        self.ops().push(Op::Text {
            x,
            y,
            size,
            weight,
            color,
            text: text.to_owned(),
        });
    }

    fn rule(&mut self, y: f32, width: f32, color: Rgb) {
        self.ops().push(Op::Line {
            x1: MARGIN_X,
            y1: y,
            x2: RIGHT,
            y2: y,
            width,
            color,
        });
    }

    fn room(&self) -> f32 {
        BODY_BOTTOM - self.y
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.cur = self.pages.len() - 1;
        // Below the running header that `furniture` draws.
        self.y = TOP + 26.0;
    }

    /// Starts a new page unless `h` points still fit on this one (a page that holds
    /// nothing yet is never left for another).
    fn need(&mut self, h: f32) -> bool {
        if h > self.room() && self.y > TOP + 26.0 {
            self.new_page();
            true
        } else {
            false
        }
    }

    fn image(&mut self, bytes: &[u8]) -> Result<usize, String> {
        let image = super::image::load(bytes)?;
        self.images.push(image);
        Ok(self.images.len() - 1)
    }

    fn letterhead(&mut self, doc: &Document) -> Result<(), String> {
        let lh = &doc.letterhead;
        let top = self.y;
        let mut left_bottom = top;
        if let Some(logo) = &lh.logo {
            let idx = self.image(logo)?;
            let (w, h) = fit(self.images[idx].size(), 160.0, 56.0);
            self.ops().push(Op::Image {
                x: MARGIN_X,
                y: top,
                w,
                h,
                image: idx,
            });
            left_bottom = top + h;
        } else {
            // No logo: the company's name takes its place, large.
            self.text(
                MARGIN_X,
                WIDTH * 0.55,
                top + 16.0,
                16.0,
                Weight::Bold,
                INK,
                Align::Left,
                &lh.company_name,
            );
            left_bottom = left_bottom.max(top + 20.0);
        }
        // The company's details, right-aligned in small type.
        let mut y = top + 9.0;
        let details_w = WIDTH * 0.45;
        let x = RIGHT - details_w;
        if lh.logo.is_some() {
            for line in wrap(&self.fonts.bold, &lh.company_name, 10.0, details_w) {
                self.text(
                    x,
                    details_w,
                    y,
                    10.0,
                    Weight::Bold,
                    INK,
                    Align::Right,
                    &line,
                );
                y += leading(10.0);
            }
        }
        let mut small: Vec<String> = lh.address_lines.clone();
        if let Some(tax) = lh.tax_number.as_deref().filter(|t| !t.is_empty()) {
            small.push(format!("Tax no. {tax}"));
        }
        small.extend(lh.contact_lines.iter().cloned());
        for entry in small.iter().filter(|l| !l.trim().is_empty()) {
            for line in wrap(&self.fonts.regular, entry, 7.5, details_w) {
                self.text(
                    x,
                    details_w,
                    y,
                    7.5,
                    Weight::Regular,
                    MUTED,
                    Align::Right,
                    &line,
                );
                y += leading(7.5);
            }
        }
        self.y = left_bottom.max(y - 4.0) + 10.0;
        self.rule(self.y, 0.8, STRONG_RULE);
        self.y += 22.0;
        Ok(())
    }

    fn title(&mut self, doc: &Document) {
        let top = self.y;
        let title_w = WIDTH * 0.58;
        let mut y = top + 14.0;
        for line in wrap(&self.fonts.bold, &doc.title, 17.0, title_w) {
            self.text(
                MARGIN_X,
                title_w,
                y,
                17.0,
                Weight::Bold,
                INK,
                Align::Left,
                &line,
            );
            y += leading(17.0);
        }
        // Number, date and fields: a two-column list at the right.
        let label_w = 70.0;
        let value_w = WIDTH * 0.40 - label_w;
        let lx = RIGHT - value_w - label_w;
        let mut fy = top + 6.0;
        let mut pairs = vec![("No.".to_string(), doc.number.clone())];
        if !doc.date.is_empty() {
            pairs.push(("Date".into(), doc.date.clone()));
        }
        pairs.extend(
            doc.fields
                .iter()
                .map(|f| (f.label.clone(), f.value.clone())),
        );
        for (label, value) in pairs {
            self.text(
                lx,
                label_w,
                fy,
                7.5,
                Weight::Regular,
                MUTED,
                Align::Left,
                &label,
            );
            for line in wrap(&self.fonts.bold, &value, 8.5, value_w) {
                self.text(
                    lx + label_w,
                    value_w,
                    fy,
                    8.5,
                    Weight::Bold,
                    INK,
                    Align::Right,
                    &line,
                );
                fy += leading(8.5);
            }
            fy += 1.5;
        }
        self.y = y.max(fy) + 8.0;
    }

    fn parties(&mut self, doc: &Document) {
        if doc.parties.is_empty() {
            return;
        }
        let n = doc.parties.len().max(2) as f32;
        let gap = 18.0;
        let col_w = (WIDTH - gap * (n - 1.0)) / n;
        let top = self.y;
        let mut bottom = top;
        for (i, party) in doc.parties.iter().enumerate() {
            let x = MARGIN_X + i as f32 * (col_w + gap);
            let mut y = top + 8.0;
            self.text(
                x,
                col_w,
                y,
                7.0,
                Weight::Bold,
                MUTED,
                Align::Left,
                &party.label.to_uppercase(),
            );
            y += 5.0;
            self.ops().push(Op::Line {
                x1: x,
                y1: y,
                x2: x + col_w,
                y2: y,
                width: 0.4,
                color: RULE,
            });
            y += 11.0;
            for (j, entry) in party.lines.iter().enumerate() {
                let weight = if j == 0 {
                    Weight::Bold
                } else {
                    Weight::Regular
                };
                for line in wrap(self.fonts.face(weight), entry, BODY, col_w) {
                    self.text(x, col_w, y, BODY, weight, INK, Align::Left, &line);
                    y += leading(BODY);
                }
            }
            bottom = bottom.max(y);
        }
        self.y = bottom + 10.0;
    }

    fn heading(&mut self, text: &str, keep: f32) {
        let lines = wrap(&self.fonts.bold, text, 11.0, WIDTH);
        let h = 10.0 + lines.len() as f32 * leading(11.0) + 3.0;
        self.need(h + keep);
        self.y += 10.0;
        for line in lines {
            self.y += 11.0;
            self.text(
                MARGIN_X,
                WIDTH,
                self.y,
                11.0,
                Weight::Bold,
                INK,
                Align::Left,
                &line,
            );
            self.y += leading(11.0) - 11.0;
        }
        self.y += 3.0;
    }

    fn paragraph(&mut self, text: &str) {
        for line in wrap(&self.fonts.regular, text, BODY, WIDTH) {
            self.need(leading(BODY));
            let base = self.y + BODY;
            self.text(
                MARGIN_X,
                WIDTH,
                base,
                BODY,
                Weight::Regular,
                INK,
                Align::Left,
                &line,
            );
            self.y += leading(BODY);
        }
        self.y += 4.0;
    }

    fn table(&mut self, t: &Table) -> Result<(), String> {
        if t.columns.is_empty() {
            return Ok(());
        }
        let total: f32 = t.columns.iter().map(|c| c.weight.max(0.0)).sum();
        let widths: Vec<f32> = t
            .columns
            .iter()
            .map(|c| {
                if total > 0.0 {
                    WIDTH * c.weight.max(0.0) / total
                } else {
                    WIDTH / t.columns.len() as f32
                }
            })
            .collect();
        let xs: Vec<f32> = widths
            .iter()
            .scan(MARGIN_X, |x, w| {
                let here = *x;
                *x += w;
                Some(here)
            })
            .collect();
        let header = TableHeader {
            titles: t
                .columns
                .iter()
                .zip(&widths)
                .map(|(c, w)| wrap(&self.fonts.bold, &c.title, 7.5, w - 2.0 * PAD_X))
                .collect(),
        };
        let laid: Vec<LaidRow> = t
            .rows
            .iter()
            .map(|row| self.lay_row(t, row, &widths))
            .collect::<Result<_, _>>()?;
        // The header and the first row (two, if the first is a group's) stay together.
        let first = laid.first().map_or(0.0, |r| r.height());
        let second = match laid.first() {
            Some(r) if r.kind == RowKind::Group => laid.get(1).map_or(0.0, |r| r.height()),
            _ => 0.0,
        };
        self.need(header.height() + first + second);
        self.draw_header(&header, t, &xs, &widths);
        for (i, row) in laid.iter().enumerate() {
            let mut row = row.clone();
            // A group's row never ends a page: it goes over with its first item.
            let keep = if row.kind == RowKind::Group {
                laid.get(i + 1).map_or(0.0, |r| r.height())
            } else {
                0.0
            };
            if self.need(row.height() + keep) {
                self.draw_header(&header, t, &xs, &widths);
            }
            // A row taller than the rest of the page is carried over in parts (only a
            // row taller than a whole page gets here: `need` moved shorter ones).
            while row.height() > self.room() {
                let fit_lines = ((self.room() - 2.0 * PAD_Y) / leading(row.size)).floor();
                let Some(rest) = (fit_lines >= 1.0)
                    .then(|| row.split(fit_lines as usize))
                    .flatten()
                else {
                    break;
                };
                self.draw_row(&row, t, &xs, &widths);
                row = rest;
                self.new_page();
                self.draw_header(&header, t, &xs, &widths);
            }
            self.draw_row(&row, t, &xs, &widths);
        }
        self.y += 8.0;
        Ok(())
    }

    fn lay_row(
        &mut self,
        t: &Table,
        row: &super::model::Row,
        widths: &[f32],
    ) -> Result<LaidRow, String> {
        let (size, weight) = match row.kind {
            RowKind::Normal => (CELL, Weight::Regular),
            RowKind::Group => (9.0, Weight::Bold),
            RowKind::Subtotal => (CELL, Weight::Bold),
            RowKind::Total => (9.5, Weight::Bold),
        };
        let mut cells = Vec::with_capacity(t.columns.len());
        for (i, w) in widths.iter().enumerate() {
            // A group's first cell spans the table.
            let span = if row.kind == RowKind::Group && i == 0 {
                WIDTH
            } else {
                *w
            };
            if row.kind == RowKind::Group && i > 0 {
                cells.push(LaidCell::Lines(Vec::new()));
                continue;
            }
            let inner = (span - 2.0 * PAD_X).max(1.0);
            cells.push(match row.cells.get(i) {
                None => LaidCell::Lines(Vec::new()),
                Some(Cell::Text(s)) => {
                    let lines = wrap(self.fonts.face(weight), s, size, inner);
                    LaidCell::Lines(if s.is_empty() { Vec::new() } else { lines })
                }
                Some(Cell::Image { data, height }) => {
                    let idx = self.image(data)?;
                    let (iw, ih) = fit(self.images[idx].size(), inner, height.max(1.0));
                    LaidCell::Image { idx, w: iw, h: ih }
                }
            });
        }
        Ok(LaidRow {
            kind: row.kind,
            size,
            weight,
            cells,
        })
    }

    fn draw_header(&mut self, h: &TableHeader, t: &Table, xs: &[f32], widths: &[f32]) {
        let height = h.height();
        let top = self.y;
        self.ops().push(Op::Fill {
            x: MARGIN_X,
            y: top,
            w: WIDTH,
            h: height,
            color: TINT,
        });
        for (i, lines) in h.titles.iter().enumerate() {
            let mut y = top + PAD_Y + 7.5;
            for line in lines {
                self.text(
                    xs[i] + PAD_X,
                    widths[i] - 2.0 * PAD_X,
                    y,
                    7.5,
                    Weight::Bold,
                    MUTED,
                    t.columns[i].align,
                    line,
                );
                y += leading(7.5);
            }
        }
        self.y = top + height;
        self.rule(self.y, 0.7, STRONG_RULE);
    }

    fn draw_row(&mut self, row: &LaidRow, t: &Table, xs: &[f32], widths: &[f32]) {
        let top = self.y;
        let height = row.height();
        match row.kind {
            RowKind::Group => self.ops().push(Op::Fill {
                x: MARGIN_X,
                y: top,
                w: WIDTH,
                h: height,
                color: LIGHT_TINT,
            }),
            RowKind::Total => self.rule(top, 1.0, STRONG_RULE),
            RowKind::Subtotal | RowKind::Normal => {}
        }
        for (i, cell) in row.cells.iter().enumerate() {
            let (x, w, align) = if row.kind == RowKind::Group {
                (MARGIN_X + PAD_X, WIDTH - 2.0 * PAD_X, Align::Left)
            } else {
                (xs[i] + PAD_X, widths[i] - 2.0 * PAD_X, t.columns[i].align)
            };
            match cell {
                LaidCell::Lines(lines) => {
                    let mut y = top + PAD_Y + row.size;
                    for line in lines {
                        self.text(x, w, y, row.size, row.weight, INK, align, line);
                        y += leading(row.size);
                    }
                }
                LaidCell::Image { idx, w: iw, h: ih } => {
                    let ix = match align {
                        Align::Left => x,
                        Align::Right => x + w - iw,
                        Align::Center => x + (w - iw) / 2.0,
                    };
                    self.ops().push(Op::Image {
                        x: ix,
                        y: top + PAD_Y,
                        w: *iw,
                        h: *ih,
                        image: *idx,
                    });
                }
            }
        }
        self.y = top + height;
        let (width, color) = match row.kind {
            RowKind::Subtotal => (0.6, STRONG_RULE),
            RowKind::Total => (1.0, STRONG_RULE),
            RowKind::Normal | RowKind::Group => (0.4, RULE),
        };
        self.rule(self.y, width, color);
    }

    /// The running header on pages after the first and the footer on every page.
    fn furniture(&mut self, doc: &Document) {
        let total = self.pages.len();
        let company = doc.letterhead.company_name.clone();
        let footer = if doc.footer.trim().is_empty() {
            company.clone()
        } else {
            doc.footer.clone()
        };
        for n in 0..total {
            self.cur = n;
            if n > 0 {
                let half = WIDTH / 2.0;
                let y = TOP + 8.0;
                self.text(
                    MARGIN_X,
                    half,
                    y,
                    8.0,
                    Weight::Bold,
                    MUTED,
                    Align::Left,
                    &company,
                );
                let right = format!("{} · {}", doc.title, doc.number);
                let x = MARGIN_X + half;
                self.text(
                    x,
                    half,
                    y,
                    8.0,
                    Weight::Regular,
                    MUTED,
                    Align::Right,
                    &right,
                );
                self.rule(TOP + 14.0, 0.5, RULE);
            }
            self.rule(FOOTER_RULE, 0.5, RULE);
            let page = format!("{} · Page {} of {}", doc.number, n + 1, total);
            let page_w = self.fonts.regular.width(&page, 7.5);
            let y = FOOTER_RULE + 12.0;
            self.text(
                RIGHT - page_w,
                page_w,
                y,
                7.5,
                Weight::Regular,
                INK,
                Align::Left,
                &page,
            );
            let small_w = WIDTH - page_w - 24.0;
            let lines = wrap(&self.fonts.regular, &footer, 6.5, small_w);
            for (i, line) in lines.iter().take(2).enumerate() {
                let y = y + i as f32 * leading(6.5);
                self.text(
                    MARGIN_X,
                    small_w,
                    y,
                    6.5,
                    Weight::Regular,
                    MUTED,
                    Align::Left,
                    line,
                );
            }
        }
    }
}

struct TableHeader {
    titles: Vec<Vec<String>>,
}

impl TableHeader {
    fn height(&self) -> f32 {
        let lines = self.titles.iter().map(Vec::len).max().unwrap_or(1).max(1);
        2.0 * PAD_Y + 7.5 + (lines - 1) as f32 * leading(7.5) + 2.0
    }
}

#[derive(Debug, Clone)]
enum LaidCell {
    Lines(Vec<String>),
    Image { idx: usize, w: f32, h: f32 },
}

#[derive(Debug, Clone)]
struct LaidRow {
    kind: RowKind,
    size: f32,
    weight: Weight,
    cells: Vec<LaidCell>,
}

impl LaidRow {
    fn max_lines(&self) -> usize {
        self.cells
            .iter()
            .map(|c| match c {
                LaidCell::Lines(l) => l.len(),
                LaidCell::Image { .. } => 0,
            })
            .max()
            .unwrap_or(0)
    }

    fn height(&self) -> f32 {
        let text = self.max_lines().max(1) as f32;
        // The last line needs only its size, not a full leading, plus room for descenders.
        let text_h = (text - 1.0) * leading(self.size) + self.size * 1.25;
        let image_h = self
            .cells
            .iter()
            .map(|c| match c {
                LaidCell::Image { h, .. } => *h,
                LaidCell::Lines(_) => 0.0,
            })
            .fold(0.0, f32::max);
        2.0 * PAD_Y + text_h.max(image_h)
    }

    /// Keeps the first `n` lines of every cell here and returns the rest as a row of its
    /// own, or `None` when nothing would be left over (or the row holds a picture).
    fn split(&mut self, n: usize) -> Option<LaidRow> {
        if self.max_lines() <= n
            || self
                .cells
                .iter()
                .any(|c| matches!(c, LaidCell::Image { .. }))
        {
            return None;
        }
        let rest = self
            .cells
            .iter_mut()
            .map(|c| match c {
                LaidCell::Lines(l) => LaidCell::Lines(l.split_off(n.min(l.len()))),
                LaidCell::Image { .. } => LaidCell::Lines(Vec::new()),
            })
            .collect();
        Some(LaidRow {
            kind: self.kind,
            size: self.size,
            weight: self.weight,
            cells: rest,
        })
    }
}
