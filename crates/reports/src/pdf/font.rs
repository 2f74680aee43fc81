//! The two faces documents use (DejaVu Sans and Sans Bold, vendored under `fonts/` with
//! their licence) and text measured by the fonts' own advance widths, so the widths the
//! layout reckons with are the widths the PDF viewer draws.

use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, GlyphId, MetadataProvider};

static REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// Which face a run of text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// One face, parsed: characters to glyphs and glyphs to advances.
pub struct Face {
    pub data: &'static [u8],
    charmap: skrifa::charmap::Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    upem: f32,
}

impl Face {
    fn parse(data: &'static [u8]) -> Result<Face, String> {
        let font = FontRef::new(data).map_err(|e| format!("the vendored font is damaged: {e}"))?;
        let upem = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        Ok(Face {
            data,
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            upem,
        })
    }

    /// The glyph for a character (the font's "missing" box when it has none) and its
    /// advance as a fraction of the font size.
    pub fn glyph(&self, ch: char) -> (GlyphId, f32) {
        let id = self.charmap.map(ch).unwrap_or(GlyphId::NOTDEF);
        let advance = self.metrics.advance_width(id).unwrap_or(0.0);
        (id, advance / self.upem)
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

/// Both faces.
pub struct Fonts {
    pub regular: Face,
    pub bold: Face,
}

impl Fonts {
    pub fn load() -> Result<Fonts, String> {
        Ok(Fonts {
            regular: Face::parse(REGULAR)?,
            bold: Face::parse(BOLD)?,
        })
    }

    pub fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// Breaks `text` into lines no wider than `width` at `size`: at spaces where it can, inside
/// a word only when the word alone is wider than the line. A line break in the text always
/// starts a new line; an empty text is one empty line.
pub fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        let space_w = face.width(" ", size);
        for word in paragraph.split_whitespace() {
            let word_w = face.width(word, size);
            if line.is_empty() && word_w <= width {
                line.push_str(word);
                line_w = word_w;
            } else if !line.is_empty() && line_w + space_w + word_w <= width {
                line.push(' ');
                line.push_str(word);
                line_w += space_w + word_w;
            } else if word_w <= width {
                lines.push(std::mem::take(&mut line));
                line.push_str(word);
                line_w = word_w;
            } else {
                // A word wider than the line: cut it where the line is full.
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                line_w = 0.0;
                for ch in word.chars() {
                    let w = face.glyph(ch).1 * size;
                    if line_w + w > width && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0.0;
                    }
                    line.push(ch);
                    line_w += w;
                }
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_font() {
        let fonts = Fonts::load().unwrap();
        let r = &fonts.regular;
        // DejaVu Sans: "i" is far narrower than "W", and bold is wider than regular.
        assert!(r.width("i", 10.0) < r.width("W", 10.0) / 2.0);
        assert!(fonts.bold.width("Total", 10.0) > r.width("Total", 10.0));
        // Width scales with size and adds up over characters.
        let a = r.width("ab", 10.0);
        assert!((r.width("ab", 20.0) - 2.0 * a).abs() < 1e-3);
        assert!((a - r.width("a", 10.0) - r.width("b", 10.0)).abs() < 1e-3);
        // A character the font lacks still takes the width of the missing-glyph box.
        assert!(r.width("\u{4E2D}", 10.0) > 0.0);
    }

    #[test]
    fn wraps_at_spaces_and_cuts_long_words() {
        let fonts = Fonts::load().unwrap();
        let f = &fonts.regular;
        let width = f.width("wardrobe unit", 9.0) + 0.1;
        let lines = wrap(f, "wardrobe unit with drawers", 9.0, width);
        assert_eq!(lines, ["wardrobe unit", "with drawers"]);
        for l in &lines {
            assert!(f.width(l, 9.0) <= width);
        }
        let long = "A".repeat(60);
        let lines = wrap(f, &long, 9.0, 50.0);
        assert!(lines.len() > 3);
        assert_eq!(lines.concat(), long);
        for l in &lines {
            assert!(f.width(l, 9.0) <= 50.0);
        }
        assert_eq!(wrap(f, "one\ntwo", 9.0, 500.0), ["one", "two"]);
        assert_eq!(wrap(f, "", 9.0, 500.0), [""]);
    }
}
