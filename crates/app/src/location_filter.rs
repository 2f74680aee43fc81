//! Filtering lists by place: drawings, specifications and readiness relate to rooms through
//! the scope items they cover, so "in this building / level / room / room type" means
//! "covering an item placed there", with the same rule as the scope list's own filters
//! (an item in a room of the place, or on a room type with rooms there).

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

/// Whether a record covering `items` passes: any of them in the place.
pub(crate) fn covers(place: &Option<HashSet<Uuid>>, items: &[Uuid]) -> bool {
    place
        .as_ref()
        .is_none_or(|set| items.iter().any(|i| set.contains(i)))
}
