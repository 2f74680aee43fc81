//! A project's physical structure: buildings (or blocks) → levels → zones (optional) →
//! rooms, each with a code unique in the project, a name and an order; and room types
//! ("King guest room") whose rooms are its instances.
//!
//! A scope item placed on a room type counts once per room of that type: its effective
//! quantity is the quantity per room × the rooms of the type ([`effective_quantity`]).
//! Rooms are created one by one or from a [`RoomPattern`] ("levels 1–12, rooms 01–24").

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::enums::string_enum;
use crate::errors::FieldErrors;
use crate::scope::Quantity;

string_enum!(
    /// What a location is in the tree.
    LocationKind {
        Building => "building", "Building",
        Level => "level", "Level",
        Zone => "zone", "Zone",
        Room => "room", "Room",
    }
);

impl LocationKind {
    /// The kinds a location of this kind may sit under (none: it is a root).
    pub fn parents(self) -> &'static [LocationKind] {
        match self {
            LocationKind::Building => &[],
            LocationKind::Level => &[LocationKind::Building],
            LocationKind::Zone => &[LocationKind::Level],
            LocationKind::Room => &[LocationKind::Level, LocationKind::Zone],
        }
    }

    /// What to tell a user whose parent is of the wrong kind.
    pub fn parent_rule(self) -> &'static str {
        match self {
            LocationKind::Building => "a building has no parent",
            LocationKind::Level => "a level sits in a building",
            LocationKind::Zone => "a zone sits in a level",
            LocationKind::Room => "a room sits in a level or in a zone",
        }
    }
}

/// One place in a project's tree.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Location {
    pub id: Uuid,
    pub project_id: Uuid,
    pub kind: LocationKind,
    /// The building, level or zone it sits in; none for a building.
    pub parent_id: Option<Uuid>,
    /// The building above it (itself for a building).
    pub building_id: Option<Uuid>,
    /// The level above it (itself for a level; none for a building).
    pub level_id: Option<Uuid>,
    /// Rooms only: the room type it is an instance of.
    pub room_type_id: Option<Uuid>,
    /// Unique in the project across the whole tree, e.g. `T1-L03-0305`.
    pub code: String,
    pub name: String,
    /// Order among its siblings, 0-based.
    pub position: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl Location {
    /// Fills `building_id` and `level_id` from the parent (which must already have been
    /// checked to be of an allowed kind).
    pub fn derive_ancestry(&mut self, parent: Option<&Location>) {
        match (self.kind, parent) {
            (LocationKind::Building, _) | (_, None) => {
                self.building_id = Some(self.id);
                self.level_id = None;
            }
            (LocationKind::Level, Some(p)) => {
                self.building_id = p.building_id;
                self.level_id = Some(self.id);
            }
            (_, Some(p)) => {
                self.building_id = p.building_id;
                self.level_id = p.level_id;
            }
        }
    }
}

/// A kind of room repeated over the project ("King guest room"), with how many rooms are
/// of this type.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RoomType {
    pub id: Uuid,
    pub project_id: Uuid,
    /// Unique among the project's room types, e.g. `KING`.
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// Order on the Locations tab, 0-based.
    pub position: i64,
    /// Rooms that are instances of this type.
    pub room_count: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// Longest location or room-type code and name accepted.
pub const CODE_MAX: usize = 40;
pub const NAME_MAX: usize = 200;
/// The most locations one pattern may create (levels and rooms together).
pub const PATTERN_MAX: usize = 5_000;

/// Checks a location or room-type code: 1–40 letters, digits, `-`, `_`, `.` or `/`.
pub fn check_code(errors: &mut FieldErrors, field: &str, code: &str) -> String {
    let code = code.trim().to_owned();
    if code.is_empty() {
        errors.add(field, "is required");
    } else if code.chars().count() > CODE_MAX {
        errors.add(field, format!("must be at most {CODE_MAX} characters"));
    } else if !code
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        errors.add(
            field,
            "may hold only letters, digits and - _ . / (no spaces), like T1-L03-0305",
        );
    }
    code
}

/// A room-type item's quantity: `per_room` × `rooms`, exactly; `None` past
/// [`Quantity::MAX`] × 1000 (no real project comes near).
pub fn effective_quantity(per_room: Quantity, rooms: i64) -> Option<Quantity> {
    per_room.0.checked_mul(rooms.max(0)).map(Quantity)
}

/// "Levels `levels_from`–`levels_to` of a building, rooms `rooms_from`–`rooms_to` on each",
/// with templates for the codes and names.
///
/// Templates hold placeholders: `{building}` (the building's code), `{level}` and `{room}`
/// (the numbers; `{level:2}` pads to two digits). Levels that already exist in the building
/// with the generated code are reused; any other existing code is a clash.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomPattern {
    /// The building the levels are in.
    pub building_id: Uuid,
    #[schema(minimum = 0, maximum = 999)]
    pub levels_from: u32,
    #[schema(minimum = 0, maximum = 999)]
    pub levels_to: u32,
    #[schema(minimum = 0, maximum = 9999)]
    pub rooms_from: u32,
    #[schema(minimum = 0, maximum = 9999)]
    pub rooms_to: u32,
    /// Defaults to `{building}-L{level:2}`.
    #[serde(default)]
    pub level_code: Option<String>,
    /// Defaults to `Level {level}`.
    #[serde(default)]
    pub level_name: Option<String>,
    /// Defaults to `{building}-L{level:2}-{level:2}{room:2}` (`T1-L03-0305`).
    #[serde(default)]
    pub room_code: Option<String>,
    /// Defaults to `Room {level}{room:2}`.
    #[serde(default)]
    pub room_name: Option<String>,
    /// The room type every created room is an instance of.
    #[serde(default)]
    pub room_type_id: Option<Uuid>,
}

pub const DEFAULT_LEVEL_CODE: &str = "{building}-L{level:2}";
pub const DEFAULT_LEVEL_NAME: &str = "Level {level}";
pub const DEFAULT_ROOM_CODE: &str = "{building}-L{level:2}-{level:2}{room:2}";
pub const DEFAULT_ROOM_NAME: &str = "Room {level}{room:2}";

/// A level and its rooms as a pattern spells them out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlannedLevel {
    pub number: u32,
    pub code: String,
    pub name: String,
    pub rooms: Vec<PlannedRoom>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlannedRoom {
    pub code: String,
    pub name: String,
}

/// Fills one template; `what` names the field in error messages.
fn fill(
    template: &str,
    building: &str,
    level: u32,
    room: Option<u32>,
) -> Result<String, &'static str> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or("has a { without its closing }; write {building}, {level} or {room}")?;
        let (name, width) = match after[..end].split_once(':') {
            Some((n, w)) => (
                n.trim(),
                w.trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|w| (1..=6).contains(w))
                    .ok_or("pads with a width from 1 to 6, like {level:2}")?,
            ),
            None => (after[..end].trim(), 0),
        };
        match name {
            "building" => out.push_str(building),
            "level" => out.push_str(&format!("{level:0width$}")),
            "room" => match room {
                Some(r) => out.push_str(&format!("{r:0width$}")),
                None => {
                    return Err("may use only {building} and {level} (levels have no room number)");
                }
            },
            _ => return Err("knows only the placeholders {building}, {level} and {room}"),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

impl RoomPattern {
    /// The levels and rooms this pattern names, or what to fix in it.
    pub fn expand(&self, building_code: &str) -> Result<Vec<PlannedLevel>, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.levels_to < self.levels_from {
            errors.add("levels_to", "must be at least levels_from");
        }
        if self.rooms_to < self.rooms_from {
            errors.add("rooms_to", "must be at least rooms_from");
        }
        if self.levels_to > 999 {
            errors.add("levels_to", "must be at most 999");
        }
        if self.rooms_to > 9999 {
            errors.add("rooms_to", "must be at most 9999");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let levels = u64::from(self.levels_to - self.levels_from) + 1;
        let rooms = u64::from(self.rooms_to - self.rooms_from) + 1;
        if levels * (rooms + 1) > PATTERN_MAX as u64 {
            errors.add(
                "rooms_to",
                format!(
                    "would create {} locations; one pattern creates at most {PATTERN_MAX}",
                    levels * (rooms + 1)
                ),
            );
            return Err(errors);
        }
        let template = |v: &Option<String>, default: &'static str| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or(default)
                .to_owned()
        };
        let level_code = template(&self.level_code, DEFAULT_LEVEL_CODE);
        let level_name = template(&self.level_name, DEFAULT_LEVEL_NAME);
        let room_code = template(&self.room_code, DEFAULT_ROOM_CODE);
        let room_name = template(&self.room_name, DEFAULT_ROOM_NAME);
        let mut planned = Vec::new();
        for level in self.levels_from..=self.levels_to {
            let mut one =
                |field: &str, t: &str, room: Option<u32>| match fill(t, building_code, level, room)
                {
                    Ok(s) => s,
                    Err(m) => {
                        if !errors.0.iter().any(|e| e.field == field) {
                            errors.add(field, m);
                        }
                        String::new()
                    }
                };
            let code = one("level_code", &level_code, None);
            let name = one("level_name", &level_name, None);
            let rooms = (self.rooms_from..=self.rooms_to)
                .map(|r| PlannedRoom {
                    code: one("room_code", &room_code, Some(r)),
                    name: one("room_name", &room_name, Some(r)),
                })
                .collect();
            planned.push(PlannedLevel {
                number: level,
                code,
                name,
                rooms,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Every generated code must itself be a valid code, and distinct: a template that
        // leaves out {room} would give every room of a level the same code.
        let mut seen = std::collections::HashSet::new();
        for l in &planned {
            let mut e = FieldErrors::new();
            check_code(&mut e, "level_code", &l.code);
            if !e.is_empty() {
                errors.add(
                    "level_code",
                    format!(
                        "gives `{}`, which is not a valid code: {}",
                        l.code, e.0[0].message
                    ),
                );
                break;
            }
            if !seen.insert(l.code.to_lowercase()) {
                errors.add(
                    "level_code",
                    format!("gives `{}` twice; use {{level}} in it", l.code),
                );
                break;
            }
        }
        'rooms: for l in &planned {
            for r in &l.rooms {
                let mut e = FieldErrors::new();
                check_code(&mut e, "room_code", &r.code);
                if !e.is_empty() {
                    errors.add(
                        "room_code",
                        format!(
                            "gives `{}`, which is not a valid code: {}",
                            r.code, e.0[0].message
                        ),
                    );
                    break 'rooms;
                }
                if !seen.insert(r.code.to_lowercase()) {
                    errors.add(
                        "room_code",
                        format!(
                            "gives `{}` twice (or the same as a level); use {{level}} and {{room}} in it",
                            r.code
                        ),
                    );
                    break 'rooms;
                }
                if r.name.chars().count() > NAME_MAX {
                    errors.add(
                        "room_name",
                        format!("must give names of at most {NAME_MAX} characters"),
                    );
                    break 'rooms;
                }
            }
        }
        errors.into_result().map(|()| planned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern() -> RoomPattern {
        RoomPattern {
            building_id: Uuid::nil(),
            levels_from: 1,
            levels_to: 2,
            rooms_from: 1,
            rooms_to: 10,
            level_code: None,
            level_name: None,
            room_code: None,
            room_name: None,
            room_type_id: None,
        }
    }

    #[test]
    fn the_default_pattern_names_levels_and_rooms() {
        let levels = pattern().expand("T1").unwrap();
        assert_eq!(levels.len(), 2);
        assert_eq!(levels[0].code, "T1-L01");
        assert_eq!(levels[0].name, "Level 1");
        assert_eq!(levels[1].rooms.len(), 10);
        assert_eq!(levels[1].rooms[4].code, "T1-L02-0205");
        assert_eq!(levels[1].rooms[4].name, "Room 205");
    }

    #[test]
    fn templates_are_checked() {
        let mut p = pattern();
        p.room_code = Some("{building}-{level}".into());
        let e = p.expand("T1").unwrap_err();
        assert!(e.0[0].message.contains("twice"), "{e:?}");

        let mut p = pattern();
        p.level_code = Some("L{room}".into());
        let e = p.expand("T1").unwrap_err();
        assert_eq!(e.0[0].field, "level_code");

        let mut p = pattern();
        p.room_code = Some("R {level}{room}".into());
        let e = p.expand("T1").unwrap_err();
        assert!(e.0[0].message.contains("not a valid code"), "{e:?}");

        let mut p = pattern();
        p.room_code = Some("{floor}".into());
        assert!(p.expand("T1").is_err());

        let mut p = pattern();
        p.levels_to = 0;
        assert_eq!(p.expand("T1").unwrap_err().0[0].field, "levels_to");

        let mut p = pattern();
        p.levels_to = 600;
        p.rooms_to = 20;
        assert!(p.expand("T1").unwrap_err().0[0].message.contains("at most"));
    }

    #[test]
    fn kinds_have_their_parents() {
        assert!(LocationKind::Building.parents().is_empty());
        assert!(LocationKind::Room.parents().contains(&LocationKind::Zone));
        assert!(
            !LocationKind::Zone
                .parents()
                .contains(&LocationKind::Building)
        );
    }

    #[test]
    fn effective_quantity_is_exact() {
        let per_room = Quantity::parse("1.5").unwrap();
        assert_eq!(
            effective_quantity(per_room, 142).unwrap().to_string(),
            "213"
        );
        assert_eq!(effective_quantity(per_room, 0), Some(Quantity(0)));
    }

    #[test]
    fn ancestry_follows_the_parent() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mk = |kind| Location {
            id: crate::new_id(),
            project_id: Uuid::nil(),
            kind,
            parent_id: None,
            building_id: None,
            level_id: None,
            room_type_id: None,
            code: "X".into(),
            name: "X".into(),
            position: 0,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut b = mk(LocationKind::Building);
        b.derive_ancestry(None);
        let mut l = mk(LocationKind::Level);
        l.derive_ancestry(Some(&b));
        let mut z = mk(LocationKind::Zone);
        z.derive_ancestry(Some(&l));
        let mut r = mk(LocationKind::Room);
        r.derive_ancestry(Some(&z));
        assert_eq!(r.building_id, Some(b.id));
        assert_eq!(r.level_id, Some(l.id));
        assert_eq!(l.level_id, Some(l.id));
    }
}
