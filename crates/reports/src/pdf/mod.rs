//! PDF documents: letterhead, title block, address blocks, headings, paragraphs and tables
//! on A4 pages with the document number and "Page x of y" on each. Every document the
//! product prints (the priced scope today; purchase orders, variations, delivery notes and
//! labels next) is a [`Document`] handed to [`render`], so they share fonts and furniture.
//!
//! Pure and synchronous: data in, bytes out. Built on krilla (see `Cargo.toml` for why).

mod draw;
mod font;
mod image;
mod labels;
mod layout;
mod model;

pub use image::MAX_SIDE as MAX_IMAGE_SIDE;
pub use labels::{Label, LabelLayout, Labels, MAX_LABELS, render_labels};
pub use model::{
    Align, Block, Cell, Column, Document, Field, Letterhead, Party, Row, RowKind, Table,
};

/// MIME type of PDF files.
pub const PDF_MIME: &str = "application/pdf";

/// A document could not be made: a picture that cannot be read (its message says which
/// and why), or a fault in the writer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PdfError(pub String);

/// Lays `doc` out on A4 pages and writes it as PDF.
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let fonts = font::Fonts::load().map_err(PdfError)?;
    let laid = layout::lay_out(doc, &fonts).map_err(PdfError)?;
    draw::render(&laid, &fonts, &format!("{} {}", doc.title, doc.number)).map_err(PdfError)
}

/// A picture's size in pixels, or why a document cannot use it: not JPEG or PNG, damaged,
/// or larger than [`MAX_IMAGE_SIDE`] pixels a side. For checking an upload (a logo).
pub fn check_image(bytes: &[u8]) -> Result<(u32, u32), PdfError> {
    let image = image::load(bytes).map_err(PdfError)?;
    draw::probe(&image).map_err(PdfError)?;
    Ok(image.size())
}

#[cfg(test)]
mod tests;
