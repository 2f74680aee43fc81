//! Matching a sheet's rows onto the project's groups and items (by code, or by group, name
//! and location) and deciding for each whether it creates, updates, changes nothing or is invalid.

use std::collections::HashMap;

use formula_domain::authz::Action;
use formula_domain::location::{LocationKind, effective_quantity};
use formula_domain::scope::{Placement, Quantity, ScopeGroup, ScopeItem, group_letter};
use uuid::Uuid;

use super::columns::{COLUMNS, REQUIRED, Sheet, as_headers};
use super::parse::{Parsed, parse_row};
use super::preview::{ImportPreview, PreviewRow, RowAction, start_preview};
use crate::context::Caller;
use crate::error::AppResult;
use crate::query::ScopeQuery;
use crate::scope::{finish_item, next_code};
use crate::services::Services;

/// What an import writes.
#[derive(Default)]
pub(super) struct Plan {
    pub(super) groups: Vec<ScopeGroup>,
    pub(super) new: Vec<ScopeItem>,
    /// (as stored, as it will be).
    pub(super) changed: Vec<(ScopeItem, ScopeItem)>,
}

impl Services {
    /// Checks every row against the project's scope: the preview says what importing
    /// would do, the plan the groups and items it would write.
    pub(super) async fn plan_import(
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
        let places = Places::of(self, project_id).await?;
        let next_position = groups.iter().map(|g| g.position + 1).max().unwrap_or(0);

        for row in &sheet.rows {
            let mut p = parse_row(row, &columns, &project.currency, units, sheet.numbers, now);
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
                    places.apply(&mut p, &mut next);
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
                    places.apply(&mut p, &mut item);
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
}

/// The project's rooms and room types by lower-case code, for the *Placed in* column.
struct Places {
    rooms: HashMap<String, (Uuid, String)>,
    types: HashMap<String, formula_domain::location::RoomType>,
}

impl Places {
    async fn of(s: &Services, project_id: Uuid) -> AppResult<Places> {
        let rooms = s
            .store
            .list_locations(project_id)
            .await?
            .into_iter()
            .filter(|l| l.kind == LocationKind::Room)
            .map(|l| (l.code.to_lowercase(), (l.id, l.code)))
            .collect();
        let types = s
            .store
            .list_room_types(project_id)
            .await?
            .into_iter()
            .map(|t| (t.code.to_lowercase(), t))
            .collect();
        Ok(Places { rooms, types })
    }

    /// Places `item` as the row's *Placed in* and *Quantity per room* say (a column the file
    /// lacks keeps what the item has); a room-type item's quantity is worked out as in the
    /// form, and the store works it out again when saving.
    fn apply(&self, p: &mut Parsed, item: &mut ScopeItem) {
        let mut placement = item.placement.clone();
        if let Some(code) = p.placed_in.as_deref() {
            let key = code.trim().to_lowercase();
            placement = Placement::default();
            if !key.is_empty() {
                match (self.types.get(&key), self.rooms.get(&key)) {
                    (Some(_), Some(_)) => p.errors.add(
                        "placed_in",
                        format!("{code} is both a room and a room type; rename one of them"),
                    ),
                    (Some(t), None) => {
                        placement.room_type_id = Some(t.id);
                        placement.room_type_code = Some(t.code.clone());
                        placement.room_type_name = Some(t.name.clone());
                        placement.room_count = Some(t.room_count);
                    }
                    (None, Some((id, room_code))) => {
                        placement.room_id = Some(*id);
                        placement.room_code = Some(room_code.clone());
                    }
                    (None, None) => p.errors.add(
                        "placed_in",
                        format!(
                            "{code} is neither a room code nor a room type code of this project"
                        ),
                    ),
                }
            }
        }
        if let Some(t) = placement
            .room_type_id
            .and_then(|id| self.types.values().find(|t| t.id == id))
        {
            let per_room = p
                .quantity_per_room
                .or(placement.quantity_per_room)
                .unwrap_or(Quantity::units(1));
            placement.quantity_per_room = Some(per_room);
            match effective_quantity(per_room, t.room_count) {
                Some(q) if q <= Quantity::MAX => item.quantity = q,
                _ => p.errors.add(
                    "quantity_per_room",
                    "× the rooms of the type is more than 1,000,000,000",
                ),
            }
        } else {
            placement.quantity_per_room = None;
        }
        item.placement = placement;
    }
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
            "install_on" => to.install_on = from.install_on,
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
        && a.install_on == b.install_on
        && a.placement.room_id == b.placement.room_id
        && a.placement.room_type_id == b.placement.room_type_id
        && a.placement.quantity_per_room == b.placement.quantity_per_room
}
