//! What drawings and specifications refer to on site: one or more of the project's places —
//! a building, level, zone or room, or a room type ("typical King room joinery", "Level 3
//! ceiling plan"). Whoever may see the record sees its places; whoever keeps it sets them.

use std::collections::HashMap;

use formula_domain::audit::FieldChange;
use formula_domain::authz::Action;
use formula_domain::errors::FieldErrors;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::AppResult;
use crate::repos::PlacesOf;
use crate::services::{Services, audit};

/// The most places one drawing or specification refers to.
pub const PLACES_MAX: usize = 200;

/// A place a record refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Place {
    pub id: Uuid,
    /// `building`, `level`, `zone`, `room` or `room_type`.
    pub kind: String,
    pub code: String,
    pub name: String,
}

/// The places to refer to, replacing the ones referred to now (`[]`: none).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacesInput {
    /// Ids of the project's locations (any kind) or room types; at most 200.
    #[schema(max_items = 200)]
    pub place_ids: Vec<Uuid>,
}

/// The places of `ids` among `all` (unknown ids left out), in code order.
fn by_code(all: &HashMap<Uuid, Place>, ids: &[Uuid]) -> Vec<Place> {
    let mut places: Vec<Place> = ids.iter().filter_map(|i| all.get(i).cloned()).collect();
    places.sort_by(|a, b| a.code.cmp(&b.code));
    places
}

impl Services {
    /// Every place of a project, by id: its locations and room types.
    async fn project_places(&self, project_id: Uuid) -> AppResult<HashMap<Uuid, Place>> {
        let locations = self.store.list_locations(project_id).await?;
        let types = self.store.list_room_types(project_id).await?;
        let mut out: HashMap<Uuid, Place> = locations
            .into_iter()
            .map(|l| {
                (
                    l.id,
                    Place {
                        id: l.id,
                        kind: l.kind.as_str().to_owned(),
                        code: l.code,
                        name: l.name,
                    },
                )
            })
            .collect();
        out.extend(types.into_iter().map(|t| {
            (
                t.id,
                Place {
                    id: t.id,
                    kind: "room_type".to_owned(),
                    code: t.code,
                    name: t.name,
                },
            )
        }));
        Ok(out)
    }

    async fn places_of(&self, of: PlacesOf, id: Uuid, project_id: Uuid) -> AppResult<Vec<Place>> {
        let ids = self.store.record_places(of, id).await?;
        let all = self.project_places(project_id).await?;
        Ok(by_code(&all, &ids))
    }

    /// Checks and stores the places a record refers to; answers them as stored.
    async fn set_places(
        &self,
        caller: &Caller,
        (of, id, label, project_id): (PlacesOf, Uuid, &str, Uuid),
        place_ids: Vec<Uuid>,
    ) -> AppResult<Vec<Place>> {
        let all = self.project_places(project_id).await?;
        let mut errors = FieldErrors::new();
        let mut ids = place_ids;
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > PLACES_MAX {
            errors.add(
                "place_ids",
                format!("at most {PLACES_MAX} places; refer to a room type or a level instead of many rooms"),
            );
        }
        if ids.iter().any(|i| !all.contains_key(i)) {
            errors.add(
                "place_ids",
                "must be locations or room types of this record's project",
            );
        }
        errors.into_result()?;
        let codes = |ids: &[Uuid]| -> Vec<String> {
            by_code(&all, ids).into_iter().map(|p| p.code).collect()
        };
        let (old, new) = (codes(&self.store.record_places(of, id).await?), codes(&ids));
        if old != new {
            let entity = match of {
                PlacesOf::Drawing => "drawing",
                PlacesOf::Spec => "spec",
            };
            let change = FieldChange {
                field: "places".into(),
                old: serde_json::json!(old),
                new: serde_json::json!(new),
            };
            let a = audit(caller, "link", entity, id, label, vec![change]).in_project(project_id);
            self.store.set_record_places(of, id, &ids, &a).await?;
            let kind = match of {
                PlacesOf::Drawing => "drawing.updated",
                PlacesOf::Spec => "spec.updated",
            };
            self.changed(caller, kind, project_id, id, None).await;
        }
        Ok(by_code(&all, &ids))
    }

    /// The places a drawing refers to, by code.
    pub async fn drawing_places(&self, caller: &Caller, id: Uuid) -> AppResult<Vec<Place>> {
        let (d, _) = self.drawing_for(caller, id, Action::ViewDrawings).await?;
        self.places_of(PlacesOf::Drawing, d.id, d.project_id).await
    }

    /// Sets the places a drawing refers to.
    pub async fn set_drawing_places(
        &self,
        caller: &Caller,
        id: Uuid,
        place_ids: Vec<Uuid>,
    ) -> AppResult<Vec<Place>> {
        let (d, _) = self.drawing_for(caller, id, Action::ManageDrawings).await?;
        let key = (PlacesOf::Drawing, d.id, d.number.as_str(), d.project_id);
        self.set_places(caller, key, place_ids).await
    }

    /// The places a specification refers to, by code.
    pub async fn spec_places(&self, caller: &Caller, id: Uuid) -> AppResult<Vec<Place>> {
        let (s, _) = self.spec_for(caller, id, Action::ViewSpecs).await?;
        self.places_of(PlacesOf::Spec, s.id, s.project_id).await
    }

    /// Sets the places a specification refers to.
    pub async fn set_spec_places(
        &self,
        caller: &Caller,
        id: Uuid,
        place_ids: Vec<Uuid>,
    ) -> AppResult<Vec<Place>> {
        let (s, _) = self.spec_for(caller, id, Action::ManageSpecs).await?;
        let key = (PlacesOf::Spec, s.id, s.code.as_str(), s.project_id);
        self.set_places(caller, key, place_ids).await
    }

    /// Reads place codes as people type them ("KING, T1-L03, T1-L01-0105"; commas, semicolons
    /// or spaces between them, any case) into the ids of the project's places. An unknown code
    /// is a `places` field error that names it.
    pub async fn place_ids_from_codes(
        &self,
        caller: &Caller,
        project_id: Uuid,
        codes: &str,
    ) -> AppResult<Vec<Uuid>> {
        self.scope_project(caller, project_id, Action::ViewLocations)
            .await?;
        let all = self.project_places(project_id).await?;
        // Room types first so that a location with the same code wins.
        let mut by_code: HashMap<String, Uuid> = HashMap::new();
        for p in all.values().filter(|p| p.kind == "room_type") {
            by_code.insert(p.code.to_lowercase(), p.id);
        }
        for p in all.values().filter(|p| p.kind != "room_type") {
            by_code.insert(p.code.to_lowercase(), p.id);
        }
        let mut ids = Vec::new();
        let mut unknown = Vec::new();
        for code in codes
            .split([',', ';', ' ', '\n', '\t'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            match by_code.get(&code.to_lowercase()) {
                Some(id) => ids.push(*id),
                None => unknown.push(code.to_owned()),
            }
        }
        if !unknown.is_empty() {
            let mut e = FieldErrors::new();
            e.add(
                "places",
                format!(
                    "{} {} not a location or room type code of this project",
                    unknown.join(", "),
                    if unknown.len() == 1 { "is" } else { "are" }
                ),
            );
            return Err(e.into());
        }
        Ok(ids)
    }
}
