//! Importing a scope of work from a spreadsheet: columns found by header name, every row
//! checked, a preview that names each bad row and why, and an all-or-nothing apply that
//! matches existing items on their code (so importing the same file twice changes nothing).
//!
//! The file's columns are read in `columns`, its cells in `parse`, rows matched onto the
//! project's items in `plan`, and the outcome reported in `preview` and written in `apply`.

mod apply;
mod columns;
mod parse;
mod plan;
mod preview;

pub(crate) use columns::as_headers;
#[cfg(test)]
pub(crate) use columns::map_columns;
pub use columns::{COLUMNS, Column, Sheet, SheetRow, header_key};
pub(crate) use preview::start_preview;
pub use preview::{ColumnMatch, ImportPreview, MAX_ROWS, PreviewRow, RowAction};
