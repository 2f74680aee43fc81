//! What an import would do, row by row, and how that is told: counted in a preview, or
//! refused as a validation error naming every bad row. Shared with the specification import.

use std::collections::HashMap;

use formula_domain::errors::{FieldError, FieldErrors};
use formula_domain::numbers::DecimalMark;
use serde::Serialize;

use super::columns::{Column, Sheet, map_columns};
use crate::error::AppError;

/// Most rows one import takes.
pub const MAX_ROWS: usize = 5_000;

/// What importing one row would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Update,
    Unchanged,
    Invalid,
}

impl RowAction {
    /// The stored / wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            RowAction::Create => "create",
            RowAction::Update => "update",
            RowAction::Unchanged => "unchanged",
            RowAction::Invalid => "invalid",
        }
    }
    /// What the row does, in words.
    pub fn label(self) -> &'static str {
        match self {
            RowAction::Create => "New item",
            RowAction::Update => "Updates item",
            RowAction::Unchanged => "No change",
            RowAction::Invalid => "Needs fixing",
        }
    }
}

/// One row of the preview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewRow {
    /// Spreadsheet line (the header is line 1).
    pub line: usize,
    pub code: String,
    pub name: String,
    pub group: String,
    pub action: RowAction,
    /// Why the row cannot be imported, per column.
    pub errors: Vec<FieldError>,
}

/// Which header each column was read from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ColumnMatch {
    pub field: String,
    pub header: Option<String>,
}

/// What an import would do, row by row. Nothing is written unless `valid`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportPreview {
    pub valid: bool,
    pub creates: usize,
    pub updates: usize,
    pub unchanged: usize,
    pub invalid: usize,
    /// Groups that the import adds to the project.
    pub new_groups: Vec<String>,
    /// What a specification import adds to the company's supplier directory ("adds
    /// supplier Veneer Co to the directory", "adds Ahmed to the contacts of Veneer Co").
    pub directory_additions: Vec<String>,
    pub columns: Vec<ColumnMatch>,
    /// Headers that match no column (ignored).
    pub ignored_headers: Vec<String>,
    /// Problems with the file as a whole (missing columns, no rows, too many rows).
    pub file_errors: Vec<String>,
    /// How the file's numbers were read: `decimal_point` (1,234.56) or `decimal_comma`
    /// (1.234,56).
    pub number_format: DecimalMark,
    pub rows: Vec<PreviewRow>,
}

/// Reads the header of `sheet` against `table` and checks the file as a whole (required
/// columns present, some rows, not too many). Rows are for the caller to check.
pub(crate) fn start_preview(
    table: &[Column],
    required: &[&str],
    sheet: &Sheet,
) -> (HashMap<&'static str, usize>, ImportPreview) {
    let (columns, ignored) = map_columns(table, &sheet.headers);
    let mut file_errors = Vec::new();
    for f in required {
        if !columns.contains_key(f) {
            let header = table.iter().find(|c| c.0 == *f).map_or(*f, |c| c.1);
            file_errors.push(format!(
                "the file has no \"{header}\" column; use the template's headers"
            ));
        }
    }
    if sheet.rows.is_empty() {
        file_errors.push("the file has no rows below its header".into());
    }
    if sheet.rows.len() > MAX_ROWS {
        file_errors.push(format!(
            "the file has {} rows; import at most {MAX_ROWS} at a time",
            sheet.rows.len()
        ));
    }
    let column_matches = table
        .iter()
        .map(|(f, _, _)| ColumnMatch {
            field: (*f).to_owned(),
            header: columns.get(f).map(|i| sheet.headers[*i].clone()),
        })
        .collect();
    let preview = ImportPreview {
        valid: false,
        creates: 0,
        updates: 0,
        unchanged: 0,
        invalid: 0,
        new_groups: Vec::new(),
        directory_additions: Vec::new(),
        columns: column_matches,
        ignored_headers: ignored,
        file_errors,
        number_format: sheet.numbers.mark,
        rows: Vec::new(),
    };
    (columns, preview)
}

impl ImportPreview {
    /// Counts a checked row and adds it.
    pub(crate) fn push(&mut self, row: PreviewRow) {
        match row.action {
            RowAction::Create => self.creates += 1,
            RowAction::Update => self.updates += 1,
            RowAction::Unchanged => self.unchanged += 1,
            RowAction::Invalid => self.invalid += 1,
        }
        self.rows.push(row);
    }

    /// The validation error an import answers when the file is not valid: every problem
    /// of the file and every bad row, by line and column.
    pub(crate) fn refusal(&self) -> AppError {
        let mut errors = FieldErrors::new();
        for e in &self.file_errors {
            errors.add("file", e.clone());
        }
        for r in self.rows.iter().filter(|r| r.action == RowAction::Invalid) {
            for e in &r.errors {
                errors.add(&format!("line {}: {}", r.line, e.field), e.message.clone());
            }
        }
        AppError::Validation(errors)
    }
}
