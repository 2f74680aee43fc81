//! Spreadsheets in and out: reading `.xlsx` and `.csv` files into rows of text the way a
//! person typed them, and writing formatted `.xlsx` workbooks (money, totals with cached
//! values, frozen headers) and Excel-safe `.csv` files.
//!
//! PDF documents (module [`pdf`]): letterhead, tables and page furniture, from plain data.
//!
//! Pure: bytes in, bytes out, no I/O and no async.

pub mod pdf;
mod read;
mod write;
mod xlsx;

pub use read::{
    Decimals, MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_PARTS, MAX_ROWS, MAX_TEXT_BYTES,
    MAX_UNZIPPED_BYTES, ReadError, Row, Table, read_table, read_table_as, read_table_until,
};
pub use write::{Cell, Column, Kind, Sheet, WriteError, csv_bytes, xlsx_bytes};

/// MIME type of `.xlsx` files.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// MIME type of `.csv` files.
pub const CSV_MIME: &str = "text/csv; charset=utf-8";
