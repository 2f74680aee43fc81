//! Importing a project's locations from a spreadsheet, the way scope and specification
//! imports work: one row per place (code, name, kind, parent code, room type), every row
//! checked with the rules of a location typed in, a preview naming each bad row, and an
//! all-or-nothing apply. A row whose code exists already and says the same is unchanged, so
//! importing an export again changes nothing; one that says something else is refused (a
//! place is renamed or moved on the Locations tab, where its items and history are in view).

use std::collections::HashMap;

use formula_domain::authz::Action;
use formula_domain::errors::{CONTROL_CHARACTERS, FieldErrors, has_refused_chars, required_text};
use formula_domain::location::{Location, LocationKind, NAME_MAX, RoomType, check_code};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::AppResult;
use crate::scope_import::{
    Column, ImportPreview, PreviewRow, RowAction, Sheet, SheetRow, as_headers, start_preview,
};
use crate::services::{Services, audit, created};

/// The location import template's columns (also the export's, in this order).
pub const LOCATION_COLUMNS: &[Column] = &[
    (
        "code",
        "Code",
        &[
            "location code",
            "room code",
            "room no",
            "room number",
            "ref",
        ],
    ),
    (
        "name",
        "Name",
        &["room name", "location name", "description"],
    ),
    (
        "kind",
        "Kind",
        &["location kind", "location type", "level or room"],
    ),
    (
        "parent",
        "Parent",
        &["parent code", "in", "inside", "level code", "located in"],
    ),
    (
        "room_type",
        "Room type",
        &["typical room", "room type code", "type"],
    ),
];

/// Columns a location import cannot do without.
const REQUIRED: &[&str] = &["code", "name", "kind"];

/// Reads a kind as people write it: the kind's name, or a common synonym.
fn parse_kind(v: &str) -> Result<LocationKind, &'static str> {
    match v.trim().to_lowercase().as_str() {
        "building" | "block" | "tower" => Ok(LocationKind::Building),
        "level" | "floor" | "storey" | "story" => Ok(LocationKind::Level),
        "zone" | "area" | "wing" => Ok(LocationKind::Zone),
        "room" | "space" | "unit" => Ok(LocationKind::Room),
        _ => Err("must be Building, Level, Zone or Room"),
    }
}

/// One row read: its cells, trimmed (a column the file lacks reads as empty).
struct RowInput {
    code: String,
    name: String,
    kind: String,
    parent: String,
    room_type: String,
}

fn row_input(
    row: &SheetRow,
    columns: &HashMap<&'static str, usize>,
    errors: &mut FieldErrors,
) -> RowInput {
    let cell = |f: &str| -> String {
        columns
            .get(f)
            .map(|i| row.cells.get(*i).map_or("", |c| c.trim()).to_owned())
            .unwrap_or_default()
    };
    for (f, _, _) in LOCATION_COLUMNS {
        if has_refused_chars(&cell(f)) {
            errors.add(f, CONTROL_CHARACTERS);
        }
    }
    RowInput {
        code: cell("code"),
        name: cell("name"),
        kind: cell("kind"),
        parent: cell("parent"),
        room_type: cell("room_type"),
    }
}

/// Where a place sits, for the preview's third column.
fn placed(kind: LocationKind, parent: Option<&Location>) -> String {
    match parent {
        Some(p) => format!("{} in {}", kind.label(), p.code),
        None => kind.label().to_owned(),
    }
}

impl Services {
    /// Checks a spreadsheet of locations and says what importing it would do.
    pub async fn preview_location_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<ImportPreview> {
        Ok(self
            .plan_location_import(caller, project_id, sheet)
            .await?
            .0)
    }

    /// Creates the new places in one transaction if every row is valid; otherwise writes
    /// nothing and answers a validation error naming each bad row.
    pub async fn apply_location_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<ImportPreview> {
        let (preview, new) = self.plan_location_import(caller, project_id, sheet).await?;
        if !preview.valid {
            return Err(preview.refusal());
        }
        if new.is_empty() {
            return Ok(preview);
        }
        let entries: Vec<_> = new
            .iter()
            .map(|l| {
                audit(caller, "import", "location", l.id, &l.code, created(l))
                    .in_project(project_id)
            })
            .collect();
        self.store.insert_locations(&new, &entries).await?;
        let typed = new.iter().any(|l| l.room_type_id.is_some());
        self.changed(
            caller,
            crate::locations::LOCATIONS_CHANGED,
            project_id,
            project_id,
            None,
        )
        .await;
        if typed {
            // Room-type items' quantities grew with the new rooms of their type.
            self.changed(caller, "scope.changed", project_id, project_id, None)
                .await;
        }
        Ok(preview)
    }

    async fn plan_location_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<(ImportPreview, Vec<Location>)> {
        self.scope_project(caller, project_id, Action::ManageLocations)
            .await?;
        let (columns, mut preview) = start_preview(LOCATION_COLUMNS, REQUIRED, sheet);
        let mut new: Vec<Location> = Vec::new();
        if !preview.file_errors.is_empty() {
            return Ok((preview, new));
        }
        let existing = self.store.list_locations(project_id).await?;
        let types = self.store.list_room_types(project_id).await?;
        let type_of = |v: &str| -> Option<&RoomType> {
            let v = v.to_lowercase();
            types
                .iter()
                .find(|t| t.code.to_lowercase() == v)
                .or_else(|| types.iter().find(|t| t.name.to_lowercase() == v))
        };
        // Places by code: the project's, then each valid new row as it is read, so a row
        // may sit in a place created on an earlier line.
        let mut by_code: HashMap<String, Location> = existing
            .iter()
            .map(|l| (l.code.to_lowercase(), l.clone()))
            .collect();
        let stored: HashMap<String, &Location> = existing
            .iter()
            .map(|l| (l.code.to_lowercase(), l))
            .collect();
        let mut next_position: HashMap<Option<Uuid>, i64> = HashMap::new();
        for l in &existing {
            let p = next_position.entry(l.parent_id).or_insert(0);
            *p = (*p).max(l.position + 1);
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let now = self.now();
        for row in &sheet.rows {
            let mut errors = FieldErrors::new();
            let input = row_input(row, &columns, &mut errors);
            let code = check_code(&mut errors, "code", &input.code);
            let name = required_text(&mut errors, "name", &input.name, NAME_MAX);
            let kind = match parse_kind(&input.kind) {
                Ok(k) => Some(k),
                Err(e) => {
                    errors.add("kind", e);
                    None
                }
            };
            let key = code.to_lowercase();
            if let Some(first) = seen.get(&key).filter(|_| !key.is_empty()) {
                errors.add(
                    "code",
                    format!("{code} is also on line {first}; codes must be unique"),
                );
            } else {
                seen.insert(key.clone(), row.line);
            }
            let parent = match (kind, input.parent.is_empty()) {
                (None, _) => None,
                (Some(k), true) => {
                    if !k.parents().is_empty() {
                        errors.add("parent", format!("is required: {}", k.parent_rule()));
                    }
                    None
                }
                (Some(k), false) => match by_code.get(&input.parent.to_lowercase()) {
                    Some(p) if k.parents().contains(&p.kind) => Some(p.clone()),
                    Some(p) => {
                        errors.add(
                            "parent",
                            format!("{} is a {}: {}", p.code, p.kind.as_str(), k.parent_rule()),
                        );
                        None
                    }
                    None => {
                        errors.add(
                            "parent",
                            format!(
                                "{} is neither a location of this project nor on an earlier line",
                                input.parent
                            ),
                        );
                        None
                    }
                },
            };
            let room_type = if input.room_type.is_empty() {
                None
            } else if kind.is_some_and(|k| k != LocationKind::Room) {
                errors.add("room_type", "only a room has a room type");
                None
            } else {
                match type_of(&input.room_type) {
                    Some(t) => Some(t.id),
                    None => {
                        errors.add(
                            "room_type",
                            format!(
                                "{} is not a room type of this project; add it on the Locations tab first",
                                input.room_type
                            ),
                        );
                        None
                    }
                }
            };
            let old = stored.get(&key).copied();
            let group = kind.map_or_else(String::new, |k| placed(k, parent.as_ref()));
            let action = match (&old, kind) {
                _ if !errors.is_empty() => RowAction::Invalid,
                (Some(old), Some(k)) => {
                    let same = old.kind == k
                        && old.parent_id == parent.as_ref().map(|p| p.id)
                        && old.name == name
                        && old.room_type_id == room_type;
                    if same {
                        RowAction::Unchanged
                    } else {
                        errors.add(
                            "code",
                            format!(
                                "{} exists already with another name, kind, parent or room type; change it on the Locations tab, or give this row a new code",
                                old.code
                            ),
                        );
                        RowAction::Invalid
                    }
                }
                (None, Some(k)) => {
                    let parent_id = parent.as_ref().map(|p| p.id);
                    let position = next_position.entry(parent_id).or_insert(0);
                    let mut l = Location {
                        id: formula_domain::new_id(),
                        project_id,
                        kind: k,
                        parent_id,
                        building_id: None,
                        level_id: None,
                        room_type_id: room_type,
                        code: code.clone(),
                        name: name.clone(),
                        position: *position,
                        created_at: now,
                        updated_at: now,
                        version: 1,
                    };
                    *position += 1;
                    l.derive_ancestry(parent.as_ref());
                    by_code.insert(key.clone(), l.clone());
                    new.push(l);
                    RowAction::Create
                }
                (_, None) => RowAction::Invalid,
            };
            preview.push(PreviewRow {
                line: row.line,
                code,
                name,
                group,
                action,
                errors: as_headers(LOCATION_COLUMNS, errors, &columns, &sheet.headers),
            });
        }
        preview.valid = preview.invalid == 0;
        Ok((preview, new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_like_people_write_them() {
        assert_eq!(parse_kind("Floor"), Ok(LocationKind::Level));
        assert_eq!(parse_kind(" room "), Ok(LocationKind::Room));
        assert_eq!(parse_kind("BLOCK"), Ok(LocationKind::Building));
        assert!(parse_kind("corridor").is_err());
    }
}
