//! Importing material specifications from a spreadsheet, the way scope imports work: columns
//! found by header, every row checked with the same rules as a specification typed in, a
//! preview naming each bad row, and an all-or-nothing apply matching on the spec code.
//! A submitted or approved specification keeps its content: a row that would change it is
//! refused (a changed material gets its own code, or goes back through revision first).

use std::collections::HashMap;

use formula_domain::authz::{Action, Resource, authorize};
use formula_domain::errors::{CONTROL_CHARACTERS, FieldErrors, has_refused_chars};
use formula_domain::money::parse_amount;
use formula_domain::numbers::{NumberFormat, plain_number};
use formula_domain::scope::Quantity;
use formula_domain::spec::{Spec, SpecCategory, SpecStatus};
use formula_domain::supplier::{Supplier, SupplierContact};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::AppResult;
use crate::repos::DirectoryAdditions;
use crate::scope_import::{
    Column, ImportPreview, PreviewRow, RowAction, Sheet, SheetRow, as_headers, start_preview,
};
use crate::services::{Services, audit, changes, created, ensure};
use crate::specs::SpecInput;

/// The specification import template's columns.
pub const SPEC_COLUMNS: &[Column] = &[
    (
        "code",
        "Code",
        &["spec code", "sku", "item code", "ref", "reference"],
    ),
    ("description", "Description", &["item", "name", "spec"]),
    ("category", "Category", &["type"]),
    ("material", "Material", &[]),
    ("finish", "Finish", &[]),
    (
        "colour",
        "Colour",
        &["color", "colour code", "color code", "colour/code"],
    ),
    ("dimensions", "Dimensions", &["size", "dims"]),
    ("hardware", "Hardware", &[]),
    ("quantity", "Quantity", &["qty"]),
    ("unit", "Unit", &["uom", "unit of measure"]),
    (
        "unit_cost",
        "Unit cost",
        &["rate", "price", "unit price", "unit rate"],
    ),
    ("supplier", "Supplier", &["vendor"]),
    ("supplier_contact", "Supplier contact", &["contact"]),
    (
        "part_number",
        "Part number",
        &["manufacturer part number", "mpn", "part no"],
    ),
    (
        "lead_time_days",
        "Lead time (days)",
        &["lead time", "lead days"],
    ),
    ("location", "Location", &["room", "area", "room/location"]),
    ("phase", "Installation phase", &["phase"]),
    (
        "needed_on",
        "Needed on site",
        &["needed on", "required on site", "on site by"],
    ),
];

/// Columns a specification import cannot do without.
const REQUIRED: &[&str] = &["code", "description"];

fn parse_category(v: &str) -> Result<SpecCategory, String> {
    let t = v.trim().to_lowercase();
    SpecCategory::ALL
        .iter()
        .find(|c| c.as_str() == t.replace([' ', '-'], "_") || c.label().to_lowercase() == t)
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = SpecCategory::ALL.iter().map(|c| c.label()).collect();
            format!("must be one of: {}", names.join(", "))
        })
}

fn parse_date(v: &str) -> Result<Date, &'static str> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(v.trim(), &format).map_err(|_| "must be a date like 2027-03-31")
}

/// The supplier and contact a row names: `None` when the column is absent (unchanged),
/// `Some(None)` when the cell is empty (none).
#[derive(Debug, Default)]
struct Named {
    supplier: Option<Option<String>>,
    contact: Option<Option<String>>,
}

/// A row as the fields of a specification (absent columns stay `None`: unchanged), and the
/// supplier and contact it names (found in the directory by the caller).
fn row_input(
    row: &SheetRow,
    columns: &HashMap<&'static str, usize>,
    currency: &str,
    numbers: NumberFormat,
    errors: &mut FieldErrors,
) -> (SpecInput, Named) {
    let cell = |f: &str| -> Option<String> {
        columns
            .get(f)
            .map(|i| row.cells.get(*i).map_or("", |c| c.trim()).to_owned())
    };
    // A control character in any cell read is that column's error, as in text typed in.
    for (f, _, _) in SPEC_COLUMNS {
        if cell(f).is_some_and(|v| has_refused_chars(&v)) {
            errors.add(f, CONTROL_CHARACTERS);
        }
    }
    let opt = |f: &str| cell(f).map(|v| (!v.is_empty()).then_some(v));
    let mut input = SpecInput {
        code: cell("code"),
        description: cell("description"),
        material: opt("material"),
        finish: opt("finish"),
        colour: opt("colour"),
        dimensions: opt("dimensions"),
        hardware: opt("hardware"),
        part_number: opt("part_number"),
        location: opt("location"),
        phase: opt("phase"),
        unit: cell("unit").filter(|u| !u.is_empty()),
        ..SpecInput::default()
    };
    if let Some(v) = cell("category") {
        input.category = Some(if v.is_empty() {
            SpecCategory::Other
        } else {
            parse_category(&v).unwrap_or_else(|e| {
                errors.add("category", e);
                SpecCategory::Other
            })
        });
    }
    // A number cell as plain "1234.5", read by the file's number format.
    let number = |errors: &mut FieldErrors, f: &str, v: &str| -> Option<String> {
        plain_number(v, numbers).map_err(|e| errors.add(f, e)).ok()
    };
    if let Some(v) = cell("quantity").filter(|v| !v.is_empty())
        && let Some(v) = number(errors, "quantity", &v)
    {
        match Quantity::parse(&v) {
            Ok(q) => input.quantity = Some(q),
            Err(e) => errors.add("quantity", e),
        }
    }
    if let Some(v) = cell("unit_cost") {
        let v = v.trim_start_matches(currency).trim().to_owned();
        input.unit_cost_minor = Some(if v.is_empty() {
            None
        } else {
            number(errors, "unit_cost", &v).and_then(|v| {
                parse_amount(&v, currency)
                    .map_err(|e| errors.add("unit_cost", e))
                    .ok()
            })
        });
    }
    if let Some(v) = cell("lead_time_days") {
        input.lead_time_days = Some(if v.is_empty() {
            None
        } else {
            number(errors, "lead_time_days", &v).and_then(|v| {
                v.parse::<i32>()
                    .map_err(|_| errors.add("lead_time_days", "must be a whole number of days"))
                    .ok()
            })
        });
    }
    if let Some(v) = cell("needed_on") {
        input.needed_on = Some(if v.is_empty() {
            None
        } else {
            parse_date(&v).map_err(|e| errors.add("needed_on", e)).ok()
        });
    }
    let named = Named {
        supplier: opt("supplier"),
        contact: opt("supplier_contact"),
    };
    (input, named)
}

/// Whether two specifications say the same (bookkeeping, workflow and links aside).
fn same_content(a: &Spec, b: &Spec) -> bool {
    (
        &a.code,
        &a.description,
        a.category,
        [
            &a.material,
            &a.finish,
            &a.colour,
            &a.dimensions,
            &a.hardware,
            &a.part_number,
            &a.location,
            &a.phase,
        ],
    ) == (
        &b.code,
        &b.description,
        b.category,
        [
            &b.material,
            &b.finish,
            &b.colour,
            &b.dimensions,
            &b.hardware,
            &b.part_number,
            &b.location,
            &b.phase,
        ],
    ) && (a.quantity, &a.unit, a.unit_cost_minor, a.total_minor)
        == (b.quantity, &b.unit, b.unit_cost_minor, b.total_minor)
        && (a.lead_time_days, a.needed_on) == (b.lead_time_days, b.needed_on)
}

/// Whether two specifications name the same supplier and contact (which, like its links,
/// a submitted or approved specification may still change).
fn same_supplier(a: &Spec, b: &Spec) -> bool {
    (a.supplier_id, a.supplier_contact_id) == (b.supplier_id, b.supplier_contact_id)
}

/// What a specification import writes: suppliers and contacts new to the directory, new
/// specs, and (as stored, as it will be) changed ones.
#[derive(Default)]
struct SpecPlan {
    directory: DirectoryAdditions,
    new: Vec<Spec>,
    changed: Vec<(Spec, Spec)>,
}

/// The directory as an import finds names in it: what it holds (read once per name or
/// supplier), and what the import adds to it.
struct Directory {
    /// Whether the importing user may add to the directory.
    may_add: bool,
    now: OffsetDateTime,
    suppliers: HashMap<String, Option<Supplier>>,
    contacts: HashMap<Uuid, Vec<SupplierContact>>,
    added: DirectoryAdditions,
}

/// A name as the directory compares it: trimmed, whatever the case.
fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl Directory {
    async fn supplier(&mut self, s: &Services, name: &str) -> AppResult<Option<Supplier>> {
        let k = key(name);
        if let Some(found) = self.added.suppliers.iter().find(|x| key(&x.name) == k) {
            return Ok(Some(found.clone()));
        }
        if !self.suppliers.contains_key(&k) {
            let found = s.store.supplier_by_name(name.trim()).await?;
            self.suppliers.insert(k.clone(), found);
        }
        Ok(self.suppliers.get(&k).cloned().flatten())
    }

    async fn contact(
        &mut self,
        s: &Services,
        supplier: Uuid,
        name: &str,
    ) -> AppResult<Option<SupplierContact>> {
        let k = key(name);
        if let Some(found) = self
            .added
            .contacts
            .iter()
            .find(|c| c.supplier_id == supplier && key(&c.name) == k)
        {
            return Ok(Some(found.clone()));
        }
        if !self.contacts.contains_key(&supplier) {
            let known = if self.added.suppliers.iter().any(|x| x.id == supplier) {
                Vec::new()
            } else {
                s.store.list_supplier_contacts(supplier).await?
            };
            self.contacts.insert(supplier, known);
        }
        Ok(self
            .contacts
            .get(&supplier)
            .and_then(|cs| cs.iter().find(|c| key(&c.name) == k))
            .cloned())
    }

    /// Names the row's supplier and contact on `next`, finding them in the directory or
    /// adding them to it (when the user may); what cannot be found is the row's error.
    /// Returns what the row adds to the directory, for the preview.
    async fn name_on(
        &mut self,
        s: &Services,
        errors: &mut FieldErrors,
        next: &mut Spec,
        named: Named,
    ) -> AppResult<Vec<String>> {
        let mut adds = Vec::new();
        if let Some(v) = named.supplier {
            let before = next.supplier_id;
            match v {
                None => {
                    next.supplier_id = None;
                    next.supplier_name = None;
                }
                Some(name) => {
                    let name = name.trim().to_owned();
                    match self.supplier(s, &name).await? {
                        Some(sup) if sup.archived && before != Some(sup.id) => errors.add(
                            "supplier",
                            format!(
                                "{} is archived in the supplier directory; bring it back first, or name another supplier",
                                sup.name
                            ),
                        ),
                        Some(sup) => {
                            next.supplier_id = Some(sup.id);
                            next.supplier_name = Some(sup.name.clone());
                            if before != Some(sup.id) && next.lead_time_days.is_none() {
                                next.lead_time_days = sup.lead_time_days;
                            }
                        }
                        None if name.chars().count() > 200 => {
                            errors.add("supplier", "must be at most 200 characters");
                        }
                        None if self.may_add => {
                            let sup = Supplier {
                                id: formula_domain::new_id(),
                                name: name.clone(),
                                categories: vec![next.category.as_str().to_owned()],
                                email: None,
                                phone: None,
                                website: None,
                                address: None,
                                tax_number: None,
                                payment_terms: None,
                                lead_time_days: None,
                                notes: None,
                                archived: false,
                                created_at: self.now,
                                updated_at: self.now,
                                version: 1,
                            };
                            next.supplier_id = Some(sup.id);
                            next.supplier_name = Some(sup.name.clone());
                            adds.push(format!("adds supplier {name} to the directory"));
                            self.added.suppliers.push(sup);
                        }
                        None => errors.add(
                            "supplier",
                            format!(
                                "{name} is not in the supplier directory; ask a project manager, coordinator or administrator to add it (Suppliers), or write the name as the directory spells it"
                            ),
                        ),
                    }
                }
            }
            if next.supplier_id != before {
                next.supplier_contact_id = None;
                next.supplier_contact_name = None;
            }
        }
        if let Some(v) = named.contact {
            match (v, next.supplier_id) {
                (None, _) => {
                    next.supplier_contact_id = None;
                    next.supplier_contact_name = None;
                }
                (Some(_), None) => errors.add(
                    "supplier_contact",
                    "needs the supplier: a contact is one of a supplier's people",
                ),
                (Some(name), Some(supplier)) => {
                    let name = name.trim().to_owned();
                    let at = next.supplier_name.clone().unwrap_or_default();
                    match self.contact(s, supplier, &name).await? {
                        Some(c) => {
                            next.supplier_contact_id = Some(c.id);
                            next.supplier_contact_name = Some(c.name);
                        }
                        None if name.chars().count() > 120 => {
                            errors.add("supplier_contact", "must be at most 120 characters");
                        }
                        None if self.may_add => {
                            let c = SupplierContact {
                                id: formula_domain::new_id(),
                                supplier_id: supplier,
                                name: name.clone(),
                                role: None,
                                email: None,
                                phone: None,
                                position: 0,
                            };
                            next.supplier_contact_id = Some(c.id);
                            next.supplier_contact_name = Some(c.name.clone());
                            adds.push(format!("adds {name} to the contacts of {at}"));
                            self.added.contacts.push(c);
                        }
                        None => errors.add(
                            "supplier_contact",
                            format!(
                                "{name} is not a contact of {at} in the supplier directory; ask a project manager, coordinator or administrator to add them, or leave the cell empty"
                            ),
                        ),
                    }
                }
            }
        }
        Ok(adds)
    }
}

impl Services {
    /// Checks a spreadsheet of specifications and says what importing it would do.
    pub async fn preview_spec_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<ImportPreview> {
        Ok(self.plan_spec_import(caller, project_id, sheet).await?.0)
    }

    /// Imports the spreadsheet in one transaction if every row is valid; otherwise writes
    /// nothing and answers a validation error naming each bad row.
    pub async fn apply_spec_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<ImportPreview> {
        let (preview, plan) = self.plan_spec_import(caller, project_id, sheet).await?;
        if !preview.valid {
            return Err(preview.refusal());
        }
        let mut entries = Vec::new();
        for x in &plan.directory.suppliers {
            entries.push(audit(
                caller,
                "import",
                "supplier",
                x.id,
                &x.name,
                created(x),
            ));
        }
        for c in &plan.directory.contacts {
            let at = plan
                .directory
                .suppliers
                .iter()
                .find(|x| x.id == c.supplier_id)
                .map(|x| x.name.clone());
            let at = match at {
                Some(n) => n,
                None => self
                    .store
                    .get_supplier(c.supplier_id)
                    .await?
                    .map(|x| x.name)
                    .unwrap_or_default(),
            };
            entries.push(audit(
                caller,
                "add_contact",
                "supplier",
                c.supplier_id,
                &at,
                created(c),
            ));
        }
        for s in &plan.new {
            entries.push(
                audit(caller, "import", "spec", s.id, &s.code, created(s)).in_project(s.project_id),
            );
        }
        for (old, next) in &plan.changed {
            entries.push(
                audit(
                    caller,
                    "import",
                    "spec",
                    next.id,
                    &next.code,
                    changes(old, next),
                )
                .in_project(next.project_id),
            );
        }
        let changed: Vec<(Spec, i64)> = plan
            .changed
            .into_iter()
            .map(|(old, next)| (next, old.version))
            .collect();
        if !plan.new.is_empty() || !changed.is_empty() {
            self.store
                .save_specs(&plan.directory, &plan.new, &changed, &entries)
                .await?;
            self.changed(caller, "spec.imported", project_id, project_id, None)
                .await;
            for x in &plan.directory.suppliers {
                self.changed(caller, "supplier.created", Uuid::nil(), x.id, Some(1))
                    .await;
            }
        }
        Ok(preview)
    }

    async fn plan_spec_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<(ImportPreview, SpecPlan)> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ManageSpecs, &Resource::Project(access))?;
        let (columns, mut preview) = start_preview(SPEC_COLUMNS, REQUIRED, sheet);
        let mut plan = SpecPlan::default();
        if !preview.file_errors.is_empty() {
            return Ok((preview, plan));
        }
        let existing = self.store.list_specs(project_id).await?;
        let by_code: HashMap<String, &Spec> = existing
            .iter()
            .map(|s| (s.code.to_lowercase(), s))
            .collect();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let now = self.now();
        let mut directory = Directory {
            may_add: authorize(&caller.actor, Action::ManageSuppliers, &Resource::Global),
            now,
            suppliers: HashMap::new(),
            contacts: HashMap::new(),
            added: DirectoryAdditions::default(),
        };
        for row in &sheet.rows {
            let mut errors = FieldErrors::new();
            let (input, named) =
                row_input(row, &columns, &project.currency, sheet.numbers, &mut errors);
            let code = input.code.clone().unwrap_or_default();
            let key = code.to_lowercase();
            if let Some(first) = seen.get(&key).filter(|_| !key.is_empty()) {
                errors.add(
                    "code",
                    format!("{code} is also on line {first}; codes must be unique"),
                );
            } else {
                seen.insert(key.clone(), row.line);
            }
            let old = by_code.get(&key).copied();
            let mut next = match old {
                Some(s) => s.clone(),
                None => self.blank_spec(caller, project_id, &project.currency),
            };
            if old.is_none() && input.description.as_deref().is_none_or(str::is_empty) {
                errors.add("description", "is required");
            }
            self.apply_spec(&mut errors, &mut next, input).await?;
            // What an invalid row would add is not added: the row is refused anyway.
            let before = directory.added.clone();
            let adds = directory
                .name_on(self, &mut errors, &mut next, named)
                .await?;
            if !errors.is_empty() {
                directory.added = before;
            }
            let action = match old {
                _ if !errors.is_empty() => RowAction::Invalid,
                Some(old) if same_content(old, &next) && same_supplier(old, &next) => {
                    RowAction::Unchanged
                }
                Some(old)
                    if !same_content(old, &next)
                        && matches!(old.status, SpecStatus::Submitted | SpecStatus::Approved) =>
                {
                    errors.add(
                        "code",
                        format!(
                            "{} is {}: its content cannot change; give the new material its own code, or send it back for revision first",
                            old.code,
                            old.status.label().to_lowercase()
                        ),
                    );
                    RowAction::Invalid
                }
                Some(old) => {
                    next.updated_at = now;
                    next.updated_by_name = Some(caller.actor.name.clone());
                    plan.changed.push((old.clone(), next.clone()));
                    RowAction::Update
                }
                None => {
                    plan.new.push(next.clone());
                    RowAction::Create
                }
            };
            if action != RowAction::Invalid {
                preview.directory_additions.extend(adds);
            }
            preview.push(PreviewRow {
                line: row.line,
                code: next.code.clone(),
                name: next.description.clone(),
                group: next.category.label().to_owned(),
                action,
                errors: as_headers(SPEC_COLUMNS, errors, &columns, &sheet.headers),
            });
        }
        // Rows refused after they were checked (a locked specification) keep nothing added.
        plan.directory = directory.added;
        plan.directory.suppliers.retain(|x| {
            plan.new
                .iter()
                .chain(plan.changed.iter().map(|(_, n)| n))
                .any(|s| s.supplier_id == Some(x.id))
        });
        plan.directory.contacts.retain(|c| {
            plan.new
                .iter()
                .chain(plan.changed.iter().map(|(_, n)| n))
                .any(|s| s.supplier_contact_id == Some(c.id))
        });
        preview.valid = preview.invalid == 0;
        Ok((preview, plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_dates_read_like_people_type_them() {
        assert_eq!(
            parse_category("Solid surface"),
            Ok(SpecCategory::SolidSurface)
        );
        assert_eq!(
            parse_category("solid-surface"),
            Ok(SpecCategory::SolidSurface)
        );
        assert_eq!(parse_category("VENEER"), Ok(SpecCategory::Veneer));
        assert!(parse_category("plastic").unwrap_err().contains("Veneer"));
        assert_eq!(
            parse_date("2027-03-31"),
            Ok(time::macros::date!(2027 - 03 - 31))
        );
        assert!(parse_date("31/03/2027").is_err());
    }

    #[test]
    fn numbers_follow_the_files_decimal_mark() {
        use formula_domain::numbers::DecimalMark;
        let headers: Vec<String> = ["Code", "Qty", "Unit cost", "Lead time"]
            .iter()
            .map(|h| (*h).to_owned())
            .collect();
        let (columns, _) = crate::scope_import::map_columns(SPEC_COLUMNS, &headers);
        let read = |cells: &[&str], numbers: NumberFormat| {
            let row = SheetRow {
                line: 2,
                cells: cells.iter().map(|c| (*c).to_owned()).collect(),
            };
            let mut errors = FieldErrors::new();
            let (input, _) = row_input(&row, &columns, "EUR", numbers, &mut errors);
            (input, errors)
        };
        let from_file = NumberFormat {
            mark: DecimalMark::Comma,
            inferred: true,
        };
        let (input, errors) = read(&["V-01", "12,5", "1.080,00", "21"], from_file);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(input.quantity, Quantity::parse("12.5").ok());
        assert_eq!(input.unit_cost_minor, Some(Some(108_000)));
        assert_eq!(input.lead_time_days, Some(Some(21)));
        let (input, errors) = read(&["V-01", "1", "1.234", ""], from_file);
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.0[0].field, "unit_cost");
        assert_eq!(input.unit_cost_minor, Some(None));
        // Under decimal points, "80,00" is refused rather than read as 8,000.
        let (_, errors) = read(&["V-01", "1", "80,00", ""], NumberFormat::default());
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.0[0].field, "unit_cost");
    }
}
