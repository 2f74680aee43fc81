//! A project's locations and room types: reading the tree, creating places one by one or
//! from a pattern (preview, then all-or-nothing creation), changing and deleting them.

use std::collections::HashMap;

use formula_domain::authz::{Action, ProjectAccess};
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::location::{
    Location, LocationKind, NAME_MAX, PlannedRoom, RoomPattern, RoomType, check_code,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::services::{Services, audit, changes, check_version, created, double_option};

/// The live-update kind of every change to a project's locations (its id is the project's).
pub const LOCATIONS_CHANGED: &str = "locations.changed";

/// A location to add.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLocation {
    pub kind: LocationKind,
    /// The building (for a level), level (for a zone) or level or zone (for a room) it sits
    /// in; absent for a building.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// 1–40 letters, digits, `-`, `_`, `.` or `/`; unique in the project.
    #[schema(min_length = 1, max_length = 40)]
    pub code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Rooms only: the room type it is an instance of.
    #[serde(default)]
    pub room_type_id: Option<Uuid>,
}

/// Changes to a location; absent fields stay. Its kind and place in the tree stay too.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationPatch {
    #[schema(min_length = 1, max_length = 40)]
    pub code: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Order among its siblings, 0-based.
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i64>,
    /// Rooms only; `null` leaves the room without a type.
    #[serde(default, deserialize_with = "double_option")]
    pub room_type_id: Option<Option<Uuid>>,
    pub version: Option<i64>,
}

/// A room type to add.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoomType {
    /// 1–40 letters, digits, `-`, `_`, `.` or `/`; unique among the project's room types.
    #[schema(min_length = 1, max_length = 40)]
    pub code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// Changes to a room type; absent fields stay, `null` clears the description.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomTypePatch {
    #[schema(min_length = 1, max_length = 40)]
    pub code: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 2000)]
    pub description: Option<Option<String>>,
    pub version: Option<i64>,
}

/// What a pattern would create, level by level, and which of its codes are taken.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatternPreview {
    pub building_code: String,
    pub levels: Vec<PreviewLevel>,
    /// Levels the pattern would add (the others exist already and are reused).
    pub new_levels: usize,
    pub new_rooms: usize,
    /// Generated codes already used by another location of the project; creation is
    /// refused while there are any.
    pub clashes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewLevel {
    pub number: u32,
    pub code: String,
    pub name: String,
    /// The level exists already in this building: its new rooms are added to it.
    pub existing: bool,
    pub rooms: Vec<PlannedRoom>,
}

/// What a pattern created.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatternCreated {
    pub levels: usize,
    pub rooms: usize,
}

/// A project's structure, as the Locations tab and `GET /projects/{id}/locations` give it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectLocations {
    pub locations: Vec<Location>,
    pub room_types: Vec<RoomType>,
}

impl Services {
    /// The project's locations and room types.
    pub async fn project_locations(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<(ProjectLocations, ProjectAccess)> {
        let (_, access) = self
            .scope_project(caller, project_id, Action::ViewLocations)
            .await?;
        let locations = self.store.list_locations(project_id).await?;
        let room_types = self.store.list_room_types(project_id).await?;
        Ok((
            ProjectLocations {
                locations,
                room_types,
            },
            access,
        ))
    }

    /// Whether the caller may change this project's locations (for showing controls).
    pub fn may_manage_locations(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::ManageLocations, access)
    }

    pub async fn get_location(&self, caller: &Caller, id: Uuid) -> AppResult<Location> {
        self.location_for(caller, id, Action::ViewLocations).await
    }

    async fn location_for(&self, caller: &Caller, id: Uuid, action: Action) -> AppResult<Location> {
        let location = self
            .store
            .get_location(id)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        self.scope_project(caller, location.project_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("location"),
                other => other,
            })?;
        Ok(location)
    }

    pub async fn get_room_type(&self, caller: &Caller, id: Uuid) -> AppResult<RoomType> {
        self.room_type_for(caller, id, Action::ViewLocations).await
    }

    async fn room_type_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<RoomType> {
        let t = self
            .store
            .get_room_type(id)
            .await?
            .ok_or(AppError::NotFound("room type"))?;
        self.scope_project(caller, t.project_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("room type"),
                other => other,
            })?;
        Ok(t)
    }

    /// A room type of the project, or a field error on `field`.
    async fn room_type_in(
        &self,
        errors: &mut FieldErrors,
        field: &str,
        project_id: Uuid,
        id: Option<Uuid>,
    ) -> AppResult<Option<Uuid>> {
        let Some(id) = id else { return Ok(None) };
        match self.store.get_room_type(id).await? {
            Some(t) if t.project_id == project_id => Ok(Some(id)),
            _ => {
                errors.add(field, "must be one of this project's room types");
                Ok(None)
            }
        }
    }

    pub async fn create_location(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewLocation,
    ) -> AppResult<Location> {
        self.scope_project(caller, project_id, Action::ManageLocations)
            .await?;
        let mut errors = FieldErrors::new();
        let code = check_code(&mut errors, "code", &input.code);
        let name = required_text(&mut errors, "name", &input.name, NAME_MAX);
        let siblings = self.store.list_locations(project_id).await?;
        let parent = match (input.kind.parents(), input.parent_id) {
            ([], None) => None,
            ([], Some(_)) => {
                errors.add("parent_id", input.kind.parent_rule());
                None
            }
            (_, None) => {
                errors.add(
                    "parent_id",
                    format!("is required: {}", input.kind.parent_rule()),
                );
                None
            }
            (kinds, Some(pid)) => match siblings.iter().find(|l| l.id == pid) {
                Some(p) if kinds.contains(&p.kind) => Some(p.clone()),
                Some(_) => {
                    errors.add("parent_id", input.kind.parent_rule());
                    None
                }
                None => {
                    errors.add("parent_id", "must be one of this project's locations");
                    None
                }
            },
        };
        if input.room_type_id.is_some() && input.kind != LocationKind::Room {
            errors.add("room_type_id", "only a room has a room type");
        }
        let room_type_id = self
            .room_type_in(&mut errors, "room_type_id", project_id, input.room_type_id)
            .await?;
        if siblings
            .iter()
            .any(|l| l.code.to_lowercase() == code.to_lowercase())
        {
            errors.add(
                "code",
                "another location of this project already uses this code",
            );
        }
        errors.into_result()?;
        let position = siblings
            .iter()
            .filter(|l| l.parent_id == input.parent_id)
            .map(|l| l.position + 1)
            .max()
            .unwrap_or(0);
        let now = self.now();
        let mut location = Location {
            id: formula_domain::new_id(),
            project_id,
            kind: input.kind,
            parent_id: parent.as_ref().map(|p| p.id),
            building_id: None,
            level_id: None,
            room_type_id,
            code,
            name,
            position,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        location.derive_ancestry(parent.as_ref());
        let a = audit(
            caller,
            "create",
            "location",
            location.id,
            &location.code,
            created(&location),
        )
        .in_project(project_id);
        self.store
            .insert_locations(std::slice::from_ref(&location), &[a])
            .await?;
        self.locations_changed(caller, project_id, room_type_id.is_some())
            .await;
        Ok(location)
    }

    /// Tells open pages that the project's locations changed (and its scope, when rooms of
    /// a type were added or removed: room-type items' quantities moved with them).
    async fn locations_changed(&self, caller: &Caller, project_id: Uuid, scope_too: bool) {
        self.changed(caller, LOCATIONS_CHANGED, project_id, project_id, None)
            .await;
        if scope_too {
            self.changed(caller, "scope.changed", project_id, project_id, None)
                .await;
        }
    }

    pub async fn update_location(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: LocationPatch,
    ) -> AppResult<Location> {
        let current = self
            .location_for(caller, id, Action::ManageLocations)
            .await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(c) = patch.code {
            next.code = check_code(&mut errors, "code", &c);
        }
        if let Some(n) = patch.name {
            next.name = required_text(&mut errors, "name", &n, NAME_MAX);
        }
        if let Some(p) = patch.position {
            if !(0..=1_000_000).contains(&p) {
                errors.add("position", "must be between 0 and 1,000,000");
            }
            next.position = p;
        }
        if let Some(t) = patch.room_type_id {
            if t.is_some() && current.kind != LocationKind::Room {
                errors.add("room_type_id", "only a room has a room type");
            }
            next.room_type_id = self
                .room_type_in(&mut errors, "room_type_id", current.project_id, t)
                .await?;
        }
        errors.into_result()?;
        next.updated_at = self.now();
        let a = audit(
            caller,
            "update",
            "location",
            id,
            &next.code,
            changes(&current, &next),
        )
        .in_project(current.project_id);
        let saved = self
            .store
            .update_location(&next, expected_version, &a)
            .await?;
        self.locations_changed(
            caller,
            saved.project_id,
            saved.room_type_id != current.room_type_id,
        )
        .await;
        Ok(saved)
    }

    pub async fn delete_location(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<()> {
        let current = self
            .location_for(caller, id, Action::ManageLocations)
            .await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let a = audit(caller, "delete", "location", id, &current.code, Vec::new())
            .in_project(current.project_id);
        self.store.delete_location(id, expected_version, &a).await?;
        self.locations_changed(caller, current.project_id, current.room_type_id.is_some())
            .await;
        Ok(())
    }

    pub async fn create_room_type(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewRoomType,
    ) -> AppResult<RoomType> {
        self.scope_project(caller, project_id, Action::ManageLocations)
            .await?;
        let mut errors = FieldErrors::new();
        let now = self.now();
        let t = RoomType {
            id: formula_domain::new_id(),
            project_id,
            code: check_code(&mut errors, "code", &input.code),
            name: required_text(&mut errors, "name", &input.name, NAME_MAX),
            description: optional_text(
                &mut errors,
                "description",
                input.description.as_deref(),
                2000,
            ),
            position: 0,
            room_count: 0,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        errors.into_result()?;
        let a =
            audit(caller, "create", "room_type", t.id, &t.code, created(&t)).in_project(project_id);
        self.store.insert_room_type(&t, &a).await?;
        let saved = self
            .store
            .get_room_type(t.id)
            .await?
            .ok_or(AppError::NotFound("room type"))?;
        self.locations_changed(caller, project_id, false).await;
        Ok(saved)
    }

    pub async fn update_room_type(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: RoomTypePatch,
    ) -> AppResult<RoomType> {
        let current = self
            .room_type_for(caller, id, Action::ManageLocations)
            .await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(c) = patch.code {
            next.code = check_code(&mut errors, "code", &c);
        }
        if let Some(n) = patch.name {
            next.name = required_text(&mut errors, "name", &n, NAME_MAX);
        }
        if let Some(d) = patch.description {
            next.description = optional_text(&mut errors, "description", d.as_deref(), 2000);
        }
        errors.into_result()?;
        next.updated_at = self.now();
        let a = audit(
            caller,
            "update",
            "room_type",
            id,
            &next.code,
            changes(&current, &next),
        )
        .in_project(current.project_id);
        let saved = self
            .store
            .update_room_type(&next, expected_version, &a)
            .await?;
        self.locations_changed(caller, saved.project_id, true).await;
        Ok(saved)
    }

    pub async fn delete_room_type(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<()> {
        let current = self
            .room_type_for(caller, id, Action::ManageLocations)
            .await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let a = audit(caller, "delete", "room_type", id, &current.code, Vec::new())
            .in_project(current.project_id);
        self.store
            .delete_room_type(id, expected_version, &a)
            .await?;
        self.locations_changed(caller, current.project_id, false)
            .await;
        Ok(())
    }

    /// The free-text locations of the project's scope items not placed yet, with counts.
    pub async fn unmapped_locations(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<(String, i64)>> {
        self.scope_project(caller, project_id, Action::ViewScope)
            .await?;
        self.store.unmapped_locations(project_id).await
    }

    /// Places, in one step, every unplaced item whose free-text location is `text`: in a room
    /// of the project, or on a room type (each item's quantity becomes its quantity per room).
    /// The free text is kept. Returns how many items were placed.
    pub async fn map_free_text(
        &self,
        caller: &Caller,
        project_id: Uuid,
        text: &str,
        room_id: Option<Uuid>,
        room_type_id: Option<Uuid>,
    ) -> AppResult<u64> {
        self.scope_project(caller, project_id, Action::ManageScope)
            .await?;
        let mut errors = FieldErrors::new();
        let target = match (room_id, room_type_id) {
            (Some(r), None) => match self.store.get_location(r).await? {
                Some(l) if l.project_id == project_id && l.kind == LocationKind::Room => {
                    Some((l.id, l.code))
                }
                _ => {
                    errors.add("placement", "must be one of this project's rooms");
                    None
                }
            },
            (None, Some(t)) => match self.store.get_room_type(t).await? {
                Some(x) if x.project_id == project_id => Some((x.id, x.code)),
                _ => {
                    errors.add("placement", "must be one of this project's room types");
                    None
                }
            },
            _ => {
                errors.add("placement", "choose one room or one room type");
                None
            }
        };
        if text.trim().is_empty() {
            errors.add("location", "is required");
        }
        errors.into_result()?;
        let Some((target_id, target_code)) = target else {
            return Err(AppError::NotFound("room"));
        };
        let a = audit(
            caller,
            "map_free_text",
            "location",
            target_id,
            &target_code,
            vec![formula_domain::audit::FieldChange {
                field: "free_text".into(),
                old: serde_json::Value::Null,
                new: serde_json::json!(text),
            }],
        )
        .in_project(project_id);
        let n = self
            .store
            .map_free_text(project_id, text, room_id, room_type_id, &a)
            .await?;
        self.changed(caller, "scope.changed", project_id, project_id, None)
            .await;
        Ok(n)
    }

    /// What a pattern would create, and which of its codes clash with existing ones.
    pub async fn preview_room_pattern(
        &self,
        caller: &Caller,
        project_id: Uuid,
        pattern: &RoomPattern,
    ) -> AppResult<PatternPreview> {
        self.scope_project(caller, project_id, Action::ManageLocations)
            .await?;
        let existing = self.store.list_locations(project_id).await?;
        Ok(self.plan_pattern(project_id, pattern, &existing).await?.0)
    }

    /// Creates what a pattern names, all or nothing; refused (naming them) while any of its
    /// codes is taken.
    pub async fn create_from_pattern(
        &self,
        caller: &Caller,
        project_id: Uuid,
        pattern: &RoomPattern,
    ) -> AppResult<PatternCreated> {
        self.scope_project(caller, project_id, Action::ManageLocations)
            .await?;
        let existing = self.store.list_locations(project_id).await?;
        let (preview, building) = self.plan_pattern(project_id, pattern, &existing).await?;
        if !preview.clashes.is_empty() {
            let n = preview.clashes.len();
            let shown: Vec<&str> = preview
                .clashes
                .iter()
                .take(10)
                .map(String::as_str)
                .collect();
            let more = if n > shown.len() {
                format!(" and {} more", n - shown.len())
            } else {
                String::new()
            };
            return Err(AppError::duplicate(
                "room_code",
                format!(
                    "{n} of the codes are already used in this project: {}{more}; change the templates or the numbers",
                    shown.join(", ")
                ),
            ));
        }
        if preview.new_levels == 0 && preview.new_rooms == 0 {
            let mut e = FieldErrors::new();
            e.add("rooms_to", "the pattern creates nothing new");
            return Err(e.into());
        }
        let now = self.now();
        let mut level_position = existing
            .iter()
            .filter(|l| l.parent_id == Some(building.id))
            .map(|l| l.position + 1)
            .max()
            .unwrap_or(0);
        let mut created_rows: Vec<Location> = Vec::new();
        let (mut levels, mut rooms) = (0, 0);
        for planned in &preview.levels {
            let level = match existing.iter().find(|l| {
                l.kind == LocationKind::Level
                    && l.parent_id == Some(building.id)
                    && l.code.eq_ignore_ascii_case(&planned.code)
            }) {
                Some(l) => l.clone(),
                None => {
                    let mut l = Location {
                        id: formula_domain::new_id(),
                        project_id,
                        kind: LocationKind::Level,
                        parent_id: Some(building.id),
                        building_id: None,
                        level_id: None,
                        room_type_id: None,
                        code: planned.code.clone(),
                        name: planned.name.clone(),
                        position: level_position,
                        created_at: now,
                        updated_at: now,
                        version: 1,
                    };
                    level_position += 1;
                    l.derive_ancestry(Some(&building));
                    created_rows.push(l.clone());
                    levels += 1;
                    l
                }
            };
            let first_room_position = existing
                .iter()
                .filter(|l| l.parent_id == Some(level.id))
                .map(|l| l.position + 1)
                .max()
                .unwrap_or(0);
            for (room_position, r) in (first_room_position..).zip(&planned.rooms) {
                let mut room = Location {
                    id: formula_domain::new_id(),
                    project_id,
                    kind: LocationKind::Room,
                    parent_id: Some(level.id),
                    building_id: None,
                    level_id: None,
                    room_type_id: pattern.room_type_id,
                    code: r.code.clone(),
                    name: r.name.clone(),
                    position: room_position,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                };
                room.derive_ancestry(Some(&level));
                created_rows.push(room);
                rooms += 1;
            }
        }
        // One entry for the whole pattern: a few hundred rooms are one decision, and the
        // feed should say so once.
        let summary = vec![formula_domain::audit::FieldChange {
            field: "pattern".into(),
            old: serde_json::Value::Null,
            new: serde_json::json!({
                "building": building.code,
                "levels": format!("{}–{}", pattern.levels_from, pattern.levels_to),
                "rooms": format!("{}–{}", pattern.rooms_from, pattern.rooms_to),
                "levels_created": levels,
                "rooms_created": rooms,
            }),
        }];
        let a = audit(
            caller,
            "create_pattern",
            "location",
            building.id,
            &building.code,
            summary,
        )
        .in_project(project_id);
        self.store.insert_locations(&created_rows, &[a]).await?;
        self.locations_changed(caller, project_id, pattern.room_type_id.is_some())
            .await;
        Ok(PatternCreated { levels, rooms })
    }

    async fn plan_pattern(
        &self,
        project_id: Uuid,
        pattern: &RoomPattern,
        existing: &[Location],
    ) -> AppResult<(PatternPreview, Location)> {
        let mut errors = FieldErrors::new();
        let building = existing
            .iter()
            .find(|l| l.id == pattern.building_id && l.kind == LocationKind::Building)
            .cloned();
        if building.is_none() {
            errors.add("building_id", "must be one of this project's buildings");
        }
        self.room_type_in(
            &mut errors,
            "room_type_id",
            project_id,
            pattern.room_type_id,
        )
        .await?;
        errors.into_result()?;
        let Some(building) = building else {
            return Err(AppError::NotFound("building"));
        };
        let planned = pattern.expand(&building.code)?;
        let by_code: HashMap<String, &Location> = existing
            .iter()
            .map(|l| (l.code.to_lowercase(), l))
            .collect();
        let mut clashes = Vec::new();
        let mut levels = Vec::new();
        let (mut new_levels, mut new_rooms) = (0, 0);
        for l in planned {
            let existing_level = match by_code.get(&l.code.to_lowercase()) {
                Some(found)
                    if found.kind == LocationKind::Level
                        && found.parent_id == Some(building.id) =>
                {
                    true
                }
                Some(_) => {
                    clashes.push(l.code.clone());
                    false
                }
                None => {
                    new_levels += 1;
                    false
                }
            };
            for r in &l.rooms {
                if by_code.contains_key(&r.code.to_lowercase()) {
                    clashes.push(r.code.clone());
                } else {
                    new_rooms += 1;
                }
            }
            levels.push(PreviewLevel {
                number: l.number,
                code: l.code,
                name: l.name,
                existing: existing_level,
                rooms: l.rooms,
            });
        }
        Ok((
            PatternPreview {
                building_code: building.code.clone(),
                levels,
                new_levels,
                new_rooms,
                clashes,
            },
            building,
        ))
    }
}
