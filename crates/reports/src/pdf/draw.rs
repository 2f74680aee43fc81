//! Turning laid-out pages into PDF with krilla, which embeds the fonts as subsets with a
//! ToUnicode map (so `pdftotext` and screen readers get the words back) and the pictures.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};

use super::font::{Fonts, Weight};
use super::layout::{Laid, Op, Rgb};

fn color(c: Rgb) -> rgb::Color {
    rgb::Color::new(c.0, c.1, c.2)
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: color(c).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

pub fn render(laid: &Laid, fonts: &Fonts, title: &str) -> Result<Vec<u8>, String> {
    let regular = Font::new(fonts.regular.data.into(), 0)
        .ok_or("the vendored regular font could not be loaded")?;
    let bold =
        Font::new(fonts.bold.data.into(), 0).ok_or("the vendored bold font could not be loaded")?;
    let mut document = krilla::Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .creator("Formula PM".into()),
    );
    let settings = PageSettings::from_wh(laid.size.0, laid.size.1).ok_or("bad page size")?;
    for ops in &laid.pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    weight,
                    color: c,
                    text,
                } => {
                    let face = fonts.face(*weight);
                    let glyphs: Vec<KrillaGlyph> = text
                        .char_indices()
                        .map(|(i, ch)| {
                            let (id, advance) = face.glyph(ch);
                            KrillaGlyph::new(
                                GlyphId::new(id.to_u32()),
                                advance,
                                0.0,
                                0.0,
                                0.0,
                                i..i + ch.len_utf8(),
                                None,
                            )
                        })
                        .collect();
                    let font = match weight {
                        Weight::Regular => regular.clone(),
                        Weight::Bold => bold.clone(),
                    };
                    surface.set_fill(Some(fill(*c)));
                    surface.draw_glyphs(Point::from_xy(*x, *y), &glyphs, font, text, *size, false);
                }
                Op::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                    color: c,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y1);
                    pb.line_to(*x2, *y2);
                    if let Some(path) = pb.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: color(*c).into(),
                            width: *width,
                            ..Default::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
                Op::Fill {
                    x,
                    y,
                    w,
                    h,
                    color: c,
                } => {
                    let mut pb = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                        pb.push_rect(rect);
                    }
                    if let Some(path) = pb.finish() {
                        surface.set_fill(Some(fill(*c)));
                        surface.draw_path(&path);
                    }
                }
                Op::Rects { rects, color: c } => {
                    let mut pb = PathBuilder::new();
                    for [x, y, w, h] in rects {
                        if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                            pb.push_rect(rect);
                        }
                    }
                    if let Some(path) = pb.finish() {
                        surface.set_fill(Some(fill(*c)));
                        surface.draw_path(&path);
                    }
                }
                Op::Image { x, y, w, h, image } => {
                    let (Some(image), Some(size)) =
                        (laid.images.get(*image), Size::from_wh(*w, *h))
                    else {
                        continue;
                    };
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    surface.draw_image(image.clone(), size);
                    surface.pop();
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| format!("the PDF could not be written: {e:?}"))
}

/// Writes `image` into a throwaway one-page PDF: krilla decodes a picture only when it
/// writes it, and a damaged upload is better refused at upload than at printing.
pub fn probe(image: &krilla::image::Image) -> Result<(), String> {
    let mut document = krilla::Document::new();
    let mut page = document.start_page();
    let mut surface = page.surface();
    let (w, h) = image.size();
    let size = Size::from_wh(w as f32, h as f32).ok_or("the picture is empty")?;
    surface.draw_image(image.clone(), size);
    surface.finish();
    page.finish();
    document
        .finish()
        .map(|_| ())
        .map_err(|_| "the picture could not be read; save it again as JPEG or PNG".to_string())
}
