//! Importing a scope of work from a spreadsheet: columns found by header name, every row
//! checked, a preview that names each bad row and why, and an all-or-nothing apply that
//! matches existing items on their code (so importing the same file twice changes nothing).

use std::collections::HashMap;

use formula_domain::authz::Action;
use formula_domain::errors::{FieldError, FieldErrors, optional_text};
use formula_domain::money::parse_amount;
use formula_domain::scope::{Quantity, ScopeGroup, ScopeItem, ScopeStatus, group_letter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::query::ScopeQuery;
use crate::scope::{check_code, check_money, finish_item, next_code, normalise_unit};
use crate::services::{Services, audit, changes, created};

/// A spreadsheet as read: the header texts and the rows below them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<SheetRow>,
}

/// One row of cell texts and its line number as the user sees it (the header is line 1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SheetRow {
    pub line: usize,
    pub cells: Vec<String>,
}

/// An importable column: field, header written in templates and exports, and other header
/// names accepted for it.
pub type Column = (&'static str, &'static str, &'static [&'static str]);

/// The import template's columns.
pub const COLUMNS: &[Column] = &[
    ("group", "Group", &["section", "category", "trade"]),
    (
        "code",
        "Item code",
        &["code", "item no", "item number", "ref", "reference"],
    ),
    ("name", "Name", &["item", "item name", "title"]),
    (
        "description",
        "Description",
        &["details", "notes", "specification"],
    ),
    (
        "location",
        "Location",
        &["room", "area", "room/location", "room location"],
    ),
    ("quantity", "Quantity", &["qty", "quantities"]),
    ("unit", "Unit", &["uom", "units", "unit of measure"]),
    (
        "unit_price",
        "Unit price",
        &["rate", "price", "unit rate", "unit cost"],
    ),
    ("budget_cost", "Budget cost", &["budget", "budgeted cost"]),
    (
        "actual_cost",
        "Actual cost",
        &["actual", "actual cost to date"],
    ),
    ("status", "Status", &[]),
    (
        "progress",
        "Progress %",
        &["progress", "% complete", "percent complete", "complete"],
    ),
    (
        "drawing_required",
        "Shop drawing required",
        &["drawing required", "drawings required", "shop drawing"],
    ),
    (
        "spec_required",
        "Material spec required",
        &["spec required", "specs required", "material spec"],
    ),
];

/// Columns an import cannot do without.
const REQUIRED: &[&str] = &["group", "name"];

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
    pub columns: Vec<ColumnMatch>,
    /// Headers that match no column (ignored).
    pub ignored_headers: Vec<String>,
    /// Problems with the file as a whole (missing columns, no rows, too many rows).
    pub file_errors: Vec<String>,
    pub rows: Vec<PreviewRow>,
}

/// Lower-case, without spaces, `_`, `.`, `-` and a trailing `(unit)`: "Unit Price (USD)" → "unitprice".
pub fn header_key(header: &str) -> String {
    let h = header.trim();
    let h = match (h.rfind('('), h.ends_with(')')) {
        (Some(i), true) if i > 0 => &h[..i],
        _ => h,
    };
    h.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '.' | '-' | '\u{a0}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// For each field of `table`, the index of the column it is read from; and the headers
/// that match none.
fn map_columns(
    table: &[Column],
    headers: &[String],
) -> (HashMap<&'static str, usize>, Vec<String>) {
    let mut found = HashMap::new();
    let mut ignored = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let key = header_key(h);
        if key.is_empty() {
            continue;
        }
        let field = table.iter().find(|(field, header, aliases)| {
            header_key(field) == key
                || header_key(header) == key
                || aliases.iter().any(|a| header_key(a) == key)
        });
        match field {
            Some((f, _, _)) if !found.contains_key(f) => {
                found.insert(*f, i);
            }
            _ => ignored.push(h.clone()),
        }
    }
    (found, ignored)
}

fn parse_bool(v: &str) -> Result<bool, &'static str> {
    match v.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "required" => Ok(true),
        "no" | "n" | "false" | "0" | "" | "-" => Ok(false),
        _ => Err("must be yes or no"),
    }
}

fn parse_status(v: &str) -> Result<ScopeStatus, String> {
    let t = v.trim().to_lowercase();
    ScopeStatus::ALL
        .iter()
        .find(|s| s.as_str() == t.replace([' ', '-'], "_") || s.label().to_lowercase() == t)
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = ScopeStatus::ALL.iter().map(|s| s.label()).collect();
            format!("must be one of: {}", names.join(", "))
        })
}

fn parse_progress(v: &str) -> Result<i32, &'static str> {
    let t = v.trim().trim_end_matches('%').trim();
    // A spreadsheet formatted as percent stores 0.45 for 45 %.
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x < 1.0 && t.contains('.') => {
            Ok((x * 100.0).round() as i32)
        }
        Ok(x) if x.is_finite() && (0.0..=100.0).contains(&x) && x.fract() == 0.0 => Ok(x as i32),
        _ => Err("must be a whole percentage from 0 to 100"),
    }
}

/// The checked row, before matching on codes.
struct Parsed {
    line: usize,
    group: String,
    code: Option<String>,
    item: ScopeItem,
    errors: FieldErrors,
    /// Columns present in the file (absent ones keep the existing item's values).
    present: Vec<&'static str>,
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

impl Services {
    /// Checks a spreadsheet against the project's scope and says what importing it would do.
    pub async fn preview_scope_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<ImportPreview> {
        Ok(self.plan_import(caller, project_id, sheet).await?.0)
    }

    /// Imports the spreadsheet in one transaction if every row is valid; otherwise writes
    /// nothing and answers a validation error naming each bad row.
    pub async fn apply_scope_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<ImportPreview> {
        let (preview, plan) = self.plan_import(caller, project_id, sheet).await?;
        if !preview.valid {
            return Err(preview.refusal());
        }
        let Plan {
            groups,
            new,
            changed,
        } = plan;
        let mut entries = Vec::new();
        for g in &groups {
            entries.push(audit(
                caller,
                "import",
                "scope_group",
                g.id,
                &g.name,
                created(g),
            ));
        }
        for i in &new {
            entries.push(audit(
                caller,
                "import",
                "scope_item",
                i.id,
                &i.code,
                created(i),
            ));
        }
        for (old, next) in &changed {
            entries.push(audit(
                caller,
                "import",
                "scope_item",
                next.id,
                &next.code,
                changes(old, next),
            ));
        }
        let changed: Vec<(ScopeItem, i64)> = changed
            .into_iter()
            .map(|(old, next)| (next, old.version))
            .collect();
        if !groups.is_empty() || !new.is_empty() || !changed.is_empty() {
            self.store
                .save_scope(&groups, &new, &changed, &entries)
                .await?;
            self.changed("scope.imported", project_id, project_id, None)
                .await;
        }
        Ok(preview)
    }

    async fn plan_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<(ImportPreview, Plan)> {
        let (project, _) = self
            .scope_project(caller, project_id, Action::ManageScope)
            .await?;
        let mut groups = self.groups_of(project_id).await?;
        let existing = self
            .store
            .list_scope_items(&ScopeQuery::all(project_id))
            .await?
            .items;
        let (columns, mut preview) = start_preview(COLUMNS, REQUIRED, sheet);
        let mut plan = Plan::default();
        if !preview.file_errors.is_empty() {
            return Ok((preview, plan));
        }

        let now = self.now();
        let units = &self.config.scope_units;
        let by_code: HashMap<String, &ScopeItem> = existing
            .iter()
            .map(|i| (i.code.to_lowercase(), i))
            .collect();
        let mut codes: Vec<String> = existing.iter().map(|i| i.code.clone()).collect();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let next_position = groups.iter().map(|g| g.position + 1).max().unwrap_or(0);

        for row in &sheet.rows {
            let mut p = self.parse_row(row, &columns, &project.currency, units);
            // Group: an existing one by name, or a new one the import adds.
            let group = match groups
                .iter()
                .find(|g| g.name.to_lowercase() == p.group.to_lowercase())
            {
                Some(g) => Some(g.clone()),
                None if p.group.is_empty() => None,
                None => {
                    let taken: Vec<&str> = groups.iter().map(|g| g.letter.as_str()).collect();
                    let g = ScopeGroup {
                        id: formula_domain::new_id(),
                        project_id,
                        name: p.group.clone(),
                        letter: group_letter(&p.group, &taken),
                        position: next_position + i64::try_from(plan.groups.len()).unwrap_or(0),
                        created_at: now,
                        updated_at: now,
                        version: 1,
                    };
                    if p.group.chars().count() > 200 {
                        p.errors.add("group", "must be at most 200 characters");
                        None
                    } else {
                        preview.new_groups.push(g.name.clone());
                        plan.groups.push(g.clone());
                        groups.push(g.clone());
                        Some(g)
                    }
                }
            };
            let Some(group) = group else {
                if p.group.is_empty() {
                    p.errors.add("group", "is required");
                }
                let mut row = invalid_row(&p);
                row.errors = as_headers(COLUMNS, p.errors, &columns, &sheet.headers);
                preview.push(row);
                continue;
            };
            let code = match p.code.clone() {
                Some(c) => c,
                // Without a code, a row is the item of the same group, name and location, if
                // there is exactly one: so a file without codes can be imported twice.
                None => match same_item(&existing, &group, &p.item) {
                    Some(old) => old.code.clone(),
                    None => {
                        let c = next_code(&project.code, &group.letter, &codes, 1);
                        codes.push(c.clone());
                        c
                    }
                },
            };
            let key = code.to_lowercase();
            if let Some(first) = seen.get(&key) {
                p.errors.add(
                    "code",
                    format!("{code} is also on line {first}; codes must be unique"),
                );
            } else {
                seen.insert(key.clone(), p.line);
            }
            let millwork = group.is_millwork();
            let mut item = p.item.clone();
            item.project_id = project_id;
            item.group_id = group.id;
            item.group_name = group.name.clone();
            item.code = code.clone();
            item.currency = project.currency.clone();
            let action = match by_code.get(&key) {
                Some(old) => {
                    // Columns the file lacks keep what the item has.
                    let mut next = (*old).clone();
                    merge(&mut next, &item, &p.present);
                    next.group_id = old.group_id;
                    next.group_name = old.group_name.clone();
                    if group.id != old.group_id {
                        p.errors.add(
                            "group",
                            format!(
                                "{code} is in group {} on the project; move it there first or fix the group",
                                old.group_name
                            ),
                        );
                    }
                    finish_item(&mut p.errors, &mut next, units);
                    next.updated_at = now;
                    next.updated_by_name = Some(caller.actor.name.clone());
                    if !p.errors.is_empty() {
                        RowAction::Invalid
                    } else if same(old, &next) {
                        RowAction::Unchanged
                    } else {
                        plan.changed.push(((*old).clone(), next));
                        RowAction::Update
                    }
                }
                None => {
                    if !p.present.contains(&"drawing_required") {
                        item.drawing_required = millwork;
                    }
                    if !p.present.contains(&"spec_required") {
                        item.spec_required = millwork;
                    }
                    item.id = formula_domain::new_id();
                    item.created_at = now;
                    item.updated_at = now;
                    item.updated_by_name = Some(caller.actor.name.clone());
                    finish_item(&mut p.errors, &mut item, units);
                    if p.errors.is_empty() {
                        plan.new.push(item.clone());
                        RowAction::Create
                    } else {
                        RowAction::Invalid
                    }
                }
            };
            preview.push(PreviewRow {
                line: p.line,
                code,
                name: item.name,
                group: group.name,
                action,
                errors: as_headers(COLUMNS, p.errors, &columns, &sheet.headers),
            });
        }
        preview.valid = preview.invalid == 0;
        Ok((preview, plan))
    }

    fn parse_row(
        &self,
        row: &SheetRow,
        columns: &HashMap<&'static str, usize>,
        currency: &str,
        units: &[String],
    ) -> Parsed {
        let mut errors = FieldErrors::new();
        let cell = |f: &str| -> Option<&str> {
            columns
                .get(f)
                .map(|i| row.cells.get(*i).map_or("", |c| c.trim()))
        };
        let present: Vec<&'static str> = COLUMNS
            .iter()
            .map(|c| c.0)
            .filter(|f| columns.contains_key(f))
            .collect();
        let text =
            |errors: &mut FieldErrors, f: &str, max: usize| optional_text(errors, f, cell(f), max);
        let money = |errors: &mut FieldErrors, f: &str| -> Option<i64> {
            let v = cell(f).filter(|v| !v.is_empty())?;
            let v = v.trim_start_matches(currency).trim();
            match parse_amount(v, currency) {
                Ok(m) => check_money(errors, f, Some(m)),
                Err(e) => {
                    errors.add(f, e);
                    None
                }
            }
        };
        let group = cell("group").unwrap_or("").to_owned();
        let code = cell("code")
            .filter(|c| !c.is_empty())
            .map(|c| check_code(&mut errors, "code", c));
        let name = cell("name").unwrap_or("").to_owned();
        if name.is_empty() {
            errors.add("name", "is required");
        } else if name.chars().count() > 200 {
            errors.add("name", "must be at most 200 characters");
        }
        let quantity = match cell("quantity").filter(|v| !v.is_empty()) {
            Some(v) => Quantity::parse(v).unwrap_or_else(|e| {
                errors.add("quantity", e);
                Quantity::default()
            }),
            None => Quantity::units(1),
        };
        let unit = normalise_unit(
            cell("unit").filter(|v| !v.is_empty()).unwrap_or("pcs"),
            units,
        );
        let status = match cell("status").filter(|v| !v.is_empty()) {
            Some(v) => parse_status(v).unwrap_or_else(|e| {
                errors.add("status", e);
                ScopeStatus::NotStarted
            }),
            None => ScopeStatus::NotStarted,
        };
        let progress = match cell("progress").filter(|v| !v.is_empty()) {
            Some(v) => parse_progress(v).unwrap_or_else(|e| {
                errors.add("progress", e);
                0
            }),
            None => 0,
        };
        let flag = |errors: &mut FieldErrors, f: &str| match cell(f) {
            Some(v) => parse_bool(v).unwrap_or_else(|e| {
                errors.add(f, e);
                false
            }),
            None => false,
        };
        let drawing_required = flag(&mut errors, "drawing_required");
        let spec_required = flag(&mut errors, "spec_required");
        let item = ScopeItem {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            group_id: Uuid::nil(),
            group_name: String::new(),
            code: String::new(),
            name,
            description: text(&mut errors, "description", 10_000),
            location: text(&mut errors, "location", 200),
            quantity,
            unit,
            unit_price_minor: money(&mut errors, "unit_price"),
            total_minor: None,
            budget_cost_minor: money(&mut errors, "budget_cost"),
            actual_cost_minor: money(&mut errors, "actual_cost"),
            currency: currency.to_owned(),
            status,
            progress,
            drawing_required,
            spec_required,
            position: 0,
            created_at: self.now(),
            updated_at: self.now(),
            updated_by_name: None,
            version: 1,
            released_at: None,
            released_by_name: None,
            release_note: None,
        };
        Parsed {
            line: row.line,
            group,
            code,
            item,
            errors,
            present,
        }
    }
}

/// What an import writes.
#[derive(Default)]
struct Plan {
    groups: Vec<ScopeGroup>,
    new: Vec<ScopeItem>,
    /// (as stored, as it will be).
    changed: Vec<(ScopeItem, ScopeItem)>,
}

/// The one existing item of `group` with the row's name and location (case-insensitive).
fn same_item<'a>(
    existing: &'a [ScopeItem],
    group: &ScopeGroup,
    row: &ScopeItem,
) -> Option<&'a ScopeItem> {
    let key = |i: &ScopeItem| {
        (
            i.name.to_lowercase(),
            i.location.as_deref().unwrap_or("").to_lowercase(),
        )
    };
    let wanted = key(row);
    let mut found = existing
        .iter()
        .filter(|i| i.group_id == group.id && key(i) == wanted);
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
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
        columns: column_matches,
        ignored_headers: ignored,
        file_errors,
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

fn invalid_row(p: &Parsed) -> PreviewRow {
    PreviewRow {
        line: p.line,
        code: p.code.clone().unwrap_or_default(),
        name: p.item.name.clone(),
        group: p.group.clone(),
        action: RowAction::Invalid,
        errors: p.errors.0.clone(),
    }
}

/// Names each error's column the way the file does ("Rate" rather than `unit_price_minor`).
pub(crate) fn as_headers(
    table: &[Column],
    errors: FieldErrors,
    columns: &HashMap<&'static str, usize>,
    headers: &[String],
) -> Vec<FieldError> {
    errors
        .0
        .into_iter()
        .map(|e| {
            let field = e.field.strip_suffix("_minor").unwrap_or(&e.field);
            let header = match columns.get(field) {
                Some(i) => headers.get(*i).cloned(),
                None => table.iter().find(|c| c.0 == field).map(|c| c.1.to_owned()),
            };
            FieldError {
                field: header.unwrap_or(e.field),
                message: e.message,
            }
        })
        .collect()
}

/// Copies the columns present in the file from `from` onto `to`.
fn merge(to: &mut ScopeItem, from: &ScopeItem, present: &[&str]) {
    for f in present {
        match *f {
            "name" => to.name = from.name.clone(),
            "description" => to.description = from.description.clone(),
            "location" => to.location = from.location.clone(),
            "quantity" => to.quantity = from.quantity,
            "unit" => to.unit = from.unit.clone(),
            "unit_price" => to.unit_price_minor = from.unit_price_minor,
            "budget_cost" => to.budget_cost_minor = from.budget_cost_minor,
            "actual_cost" => to.actual_cost_minor = from.actual_cost_minor,
            "status" => to.status = from.status,
            "progress" => to.progress = from.progress,
            "drawing_required" => to.drawing_required = from.drawing_required,
            "spec_required" => to.spec_required = from.spec_required,
            _ => {}
        }
    }
}

/// Whether an import leaves the item as it is (bookkeeping fields aside).
fn same(a: &ScopeItem, b: &ScopeItem) -> bool {
    a.name == b.name
        && a.description == b.description
        && a.location == b.location
        && a.quantity == b.quantity
        && a.unit == b.unit
        && a.unit_price_minor == b.unit_price_minor
        && a.total_minor == b.total_minor
        && a.budget_cost_minor == b.budget_cost_minor
        && a.actual_cost_minor == b.actual_cost_minor
        && a.status == b.status
        && a.progress == b.progress
        && a.drawing_required == b.drawing_required
        && a.spec_required == b.spec_required
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_by_name_and_alias() {
        let headers: Vec<String> = [
            "Item Code",
            "Qty",
            "Unit Price (USD)",
            "Room",
            "Whatever",
            "GROUP",
            "name",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        let (found, ignored) = map_columns(COLUMNS, &headers);
        assert_eq!(found.get("code"), Some(&0));
        assert_eq!(found.get("quantity"), Some(&1));
        assert_eq!(found.get("unit_price"), Some(&2));
        assert_eq!(found.get("location"), Some(&3));
        assert_eq!(found.get("group"), Some(&5));
        assert_eq!(found.get("name"), Some(&6));
        assert_eq!(ignored, vec!["Whatever".to_string()]);
    }

    #[test]
    fn cells_parse_like_people_type_them() {
        assert_eq!(parse_progress("45%"), Ok(45));
        assert_eq!(parse_progress("0.45"), Ok(45));
        assert_eq!(parse_progress("100"), Ok(100));
        assert!(parse_progress("101").is_err());
        assert!(parse_progress("12.5").is_err());
        assert_eq!(parse_status("In progress"), Ok(ScopeStatus::InProgress));
        assert_eq!(parse_status("on_hold"), Ok(ScopeStatus::OnHold));
        assert!(parse_status("done-ish").is_err());
        assert_eq!(parse_bool("Yes"), Ok(true));
        assert_eq!(parse_bool(""), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }
}
