//! Filtering lists by place: drawings, specifications and readiness relate to rooms through
//! the scope items they cover, so "in this building / level / room / room type" means
//! "covering an item placed there", with the same rule as the scope list's own filters
//! (an item in a room of the place, or on a room type with rooms there). Drawings and
//! specifications also refer to places directly (`places.rs`): such a record is in the place
//! too when it refers to a location there, to the room type of a room there, or to the level
//! a room there is on.

use std::collections::HashSet;

use uuid::Uuid;

use crate::error::AppResult;
use crate::query::ScopeQuery;
use crate::services::Services;

/// The place filters every list shares; all `None` filters nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocationFilter {
    pub building_id: Option<Uuid>,
    pub level_id: Option<Uuid>,
    pub room_id: Option<Uuid>,
    pub room_type_id: Option<Uuid>,
}

impl LocationFilter {
    pub fn is_empty(&self) -> bool {
        *self == LocationFilter::default()
    }
}

impl Services {
    /// The ids of the project's scope items in the place, or `None` when no place is asked
    /// for (everything passes). Callers have authorized the project already.
    pub(crate) async fn items_in_place(
        &self,
        project_id: Uuid,
        place: &LocationFilter,
    ) -> AppResult<Option<HashSet<Uuid>>> {
        if place.is_empty() {
            return Ok(None);
        }
        let query = ScopeQuery {
            building_id: place.building_id,
            level_id: place.level_id,
            room_id: place.room_id,
            room_type_id: place.room_type_id,
            ..ScopeQuery::all(project_id)
        };
        let items = self.store.list_scope_items(&query).await?.items;
        Ok(Some(items.into_iter().map(|i| i.id).collect()))
    }
}

impl Services {
    /// The project's places a record may refer to and still be in the filtered place, or
    /// `None` when no place is asked for.
    pub(crate) async fn places_matching(
        &self,
        project_id: Uuid,
        place: &LocationFilter,
    ) -> AppResult<Option<HashSet<Uuid>>> {
        if place.is_empty() {
            return Ok(None);
        }
        let locations = self.store.list_locations(project_id).await?;
        let mut out = HashSet::new();
        out.extend(place.room_type_id);
        for l in locations.iter().filter(|l| {
            place.building_id.is_none_or(|b| l.building_id == Some(b))
                && place.level_id.is_none_or(|v| l.level_id == Some(v))
                && place.room_id.is_none_or(|r| l.id == r)
                && place.room_type_id.is_none_or(|t| l.room_type_id == Some(t))
        }) {
            out.insert(l.id);
            out.extend(l.room_type_id);
            out.extend(l.level_id);
        }
        Ok(Some(out))
    }
}

/// Whether a record referring to `places` passes: any of them among `matching`.
pub(crate) fn refers(matching: &Option<HashSet<Uuid>>, places: Option<&Vec<Uuid>>) -> bool {
    match (matching, places) {
        (None, _) => true,
        (Some(set), Some(places)) => places.iter().any(|p| set.contains(p)),
        (Some(_), None) => false,
    }
}

/// Whether a record covering `items` passes: any of them in the place.
pub(crate) fn covers(place: &Option<HashSet<Uuid>>, items: &[Uuid]) -> bool {
    place
        .as_ref()
        .is_none_or(|set| items.iter().any(|i| set.contains(i)))
}
