//! Item labels for the workshop: which items (chosen by hand, or by group, place and
//! release), one label per item or one per unit, what each says about where the item goes,
//! and the address of the item's page its QR code opens. The web layer formats the text
//! and the PDF module draws it.
//!
//! Where a label says the item goes: the room it is placed in (with the room's level); for
//! an item placed on a room type, one label per unit names the room each unit is for (the
//! type's rooms in the order of the building, `quantity_per_room` units each), and with a
//! place filter only the units for rooms there are printed, so a level's labels can be
//! printed as the level is packed. Otherwise the room type and how many rooms, on which
//! level if only one. An item placed nowhere says what its free-text location says.

use std::collections::{HashMap, HashSet};

use formula_domain::authz::{Action, ProjectAccess};
use formula_domain::comment::RecordKind;
use formula_domain::errors::FieldErrors;
use formula_domain::location::{Location, LocationKind};
use formula_domain::project::Project;
use formula_domain::scope::{ScopeGroup, ScopeItem, ScopeStatus, is_measured_unit};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::location_filter::LocationFilter;
use crate::notifications::link_to;
use crate::query::ScopeQuery;
use crate::services::Services;

/// The most labels one request makes (a pallet of 142 wardrobes, one label each, is well
/// inside; a whole hotel's scope one per unit is not).
pub const MAX_LABELS: usize = 1_000;
/// The most items one request may name.
pub const MAX_ITEMS: usize = 500;

/// Which items to label, and how many labels each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelQuery {
    /// These items, in this order (the filters below narrow them further); empty: every item
    /// of the project the filters let through, in scope order, cancelled ones left out.
    pub items: Vec<Uuid>,
    pub group_id: Option<Uuid>,
    /// Items in this place (and, one per unit, only the units for rooms there).
    pub place: LocationFilter,
    /// Only items released to production.
    pub released_only: bool,
    /// One label per unit ("3 of 12") for items counted in whole units (pieces, sets, not
    /// metres or square metres: [`is_measured_unit`]); one per item when
    /// false (and for quantities like 12.5 m).
    pub per_unit: bool,
}

/// Where a label's item (or unit) goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LabelPlace {
    /// Placed nowhere and no location written.
    #[default]
    None,
    /// The item's free-text location ("Lobby bar").
    Text(String),
    /// A room, with the level it is on.
    Room {
        code: String,
        name: String,
        level: Option<String>,
    },
    /// A room type, how many of its rooms the label covers, and their level when they are
    /// all on one.
    RoomType {
        code: String,
        name: String,
        rooms: usize,
        level: Option<String>,
    },
}

/// One label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLabel {
    pub item_id: Uuid,
    pub code: String,
    pub name: String,
    pub place: LabelPlace,
    /// The item's quantity and unit ("12", "pcs").
    pub quantity: String,
    pub unit: String,
    /// One per unit: this unit's number and the item's count of units.
    pub unit_of: Option<(i64, i64)>,
    /// The item's page, absolute (from `PUBLIC_URL`): what the QR code holds.
    pub url: String,
}

/// What the Labels page chooses from.
#[derive(Debug, Clone)]
pub struct LabelChoices {
    pub project: Project,
    pub access: ProjectAccess,
    pub groups: Vec<ScopeGroup>,
    pub items: Vec<ScopeItem>,
}

/// The labels of one request.
#[derive(Debug, Clone)]
pub struct LabelSet {
    pub project: Project,
    pub labels: Vec<ItemLabel>,
}

/// The project's places, looked up by id, with each room's position in the building.
struct Places {
    by_id: HashMap<Uuid, Location>,
    /// Rooms of each room type, in the order of the building.
    rooms_of_type: HashMap<Uuid, Vec<Uuid>>,
}

impl Places {
    fn new(locations: Vec<Location>) -> Places {
        let by_id: HashMap<Uuid, Location> = locations.into_iter().map(|l| (l.id, l)).collect();
        let pos = |id: Option<Uuid>| id.and_then(|i| by_id.get(&i)).map_or(-1, |l| l.position);
        let mut rooms: Vec<&Location> = by_id
            .values()
            .filter(|l| l.kind == LocationKind::Room && l.room_type_id.is_some())
            .collect();
        rooms.sort_by_key(|l| {
            let parent = l.parent_id.and_then(|p| by_id.get(&p));
            let zone = parent.filter(|p| p.kind == LocationKind::Zone);
            (
                pos(l.building_id),
                pos(l.level_id),
                zone.map_or(-1, |z| z.position),
                l.position,
                l.code.clone(),
            )
        });
        let mut rooms_of_type: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for r in rooms {
            if let Some(t) = r.room_type_id {
                rooms_of_type.entry(t).or_default().push(r.id);
            }
        }
        Places {
            by_id,
            rooms_of_type,
        }
    }

    fn level_name(&self, room: &Location) -> Option<String> {
        room.level_id
            .and_then(|l| self.by_id.get(&l))
            .map(|l| l.name.clone())
    }

    fn room(&self, id: Uuid) -> Option<LabelPlace> {
        let room = self.by_id.get(&id)?;
        Some(LabelPlace::Room {
            code: room.code.clone(),
            name: room.name.clone(),
            level: self.level_name(room),
        })
    }

    /// Whether a room lies in the filtered place.
    fn room_in(&self, id: Uuid, place: &LocationFilter) -> bool {
        let Some(r) = self.by_id.get(&id) else {
            return false;
        };
        place.building_id.is_none_or(|b| r.building_id == Some(b))
            && place.level_id.is_none_or(|l| r.level_id == Some(l))
            && place.room_id.is_none_or(|x| r.id == x)
            && place.room_type_id.is_none_or(|t| r.room_type_id == Some(t))
    }
}

impl Services {
    /// The labels for `query` in project `project_id`: for people who may see the workshop.
    pub async fn item_labels(
        &self,
        caller: &Caller,
        project_id: Uuid,
        query: &LabelQuery,
    ) -> AppResult<LabelSet> {
        let (project, _) = self
            .scope_project(caller, project_id, Action::ViewWorkshop)
            .await?;
        let items = self.labelled_items(project_id, query).await?;
        let mut errors = FieldErrors::new();
        if items.is_empty() {
            errors.add(
                "items",
                "no items match: choose items, or loosen the filters (group, place, released only)",
            );
            return Err(AppError::Validation(errors));
        }
        let places = Places::new(self.store.list_locations(project_id).await?);
        let base = self.config.public_url.trim_end_matches('/');
        let mut labels = Vec::new();
        for item in &items {
            let url = format!("{base}{}", link_to(RecordKind::ScopeItem, item.id));
            let label = |place: LabelPlace, unit_of: Option<(i64, i64)>| ItemLabel {
                item_id: item.id,
                code: item.code.clone(),
                name: item.name.clone(),
                place,
                quantity: item.quantity.to_string(),
                unit: item.unit.clone(),
                unit_of,
                url: url.clone(),
            };
            let units = whole_units(item.quantity.0)
                .filter(|_| query.per_unit && !is_measured_unit(&item.unit));
            let p = &item.placement;
            match (units, p.room_type_id) {
                (Some(n), Some(type_id)) => {
                    // Each unit to its room: `per_room` units to each room of the type.
                    let rooms = places
                        .rooms_of_type
                        .get(&type_id)
                        .cloned()
                        .unwrap_or_default();
                    let per_room = p.quantity_per_room.and_then(|q| whole_units(q.0));
                    let filtered = !query.place.is_empty();
                    let mut covered = 0;
                    if let Some(r) = per_room {
                        for (ri, room) in rooms.iter().enumerate() {
                            let first = ri as i64 * r + 1;
                            if first > n {
                                break;
                            }
                            let last = (first + r - 1).min(n);
                            covered = last;
                            if filtered && !places.room_in(*room, &query.place) {
                                continue;
                            }
                            let place = places.room(*room).unwrap_or_default();
                            for k in first..=last {
                                labels.push(label(place.clone(), Some((k, n))));
                                check_count(labels.len())?;
                            }
                        }
                    }
                    // Units no room of the type takes (it has fewer rooms than when the
                    // quantity was set, or the quantity per room is not whole).
                    if covered < n && (!filtered || per_room.is_none()) {
                        let place = type_place(item, &places, &rooms, &query.place);
                        for k in covered + 1..=n {
                            labels.push(label(place.clone(), Some((k, n))));
                            check_count(labels.len())?;
                        }
                    }
                }
                (Some(n), None) => {
                    let place = item_place(item, &places, &query.place);
                    for k in 1..=n {
                        labels.push(label(place.clone(), Some((k, n))));
                        check_count(labels.len())?;
                    }
                }
                (None, _) => {
                    labels.push(label(item_place(item, &places, &query.place), None));
                    check_count(labels.len())?;
                }
            }
        }
        Ok(LabelSet { project, labels })
    }

    /// What the Labels page offers to choose from: the project, the caller's access, its
    /// groups, and the items the filters let through.
    pub async fn label_choices(
        &self,
        caller: &Caller,
        project_id: Uuid,
        query: &LabelQuery,
    ) -> AppResult<LabelChoices> {
        let (project, access) = self
            .scope_project(caller, project_id, Action::ViewWorkshop)
            .await?;
        let groups = self.store.list_scope_groups(project_id).await?;
        let items = self.labelled_items(project_id, query).await?;
        Ok(LabelChoices {
            project,
            access,
            groups,
            items,
        })
    }

    /// The items a query names or its filters let through, in order; the caller has been
    /// authorized for the project.
    async fn labelled_items(
        &self,
        project_id: Uuid,
        query: &LabelQuery,
    ) -> AppResult<Vec<ScopeItem>> {
        let mut errors = FieldErrors::new();
        if query.items.len() > MAX_ITEMS {
            errors.add(
                "items",
                format!(
                    "names {} items; at most {MAX_ITEMS} can be labelled at once",
                    query.items.len()
                ),
            );
            return Err(AppError::Validation(errors));
        }
        let scope = ScopeQuery {
            group_id: query.group_id,
            building_id: query.place.building_id,
            level_id: query.place.level_id,
            room_id: query.place.room_id,
            room_type_id: query.place.room_type_id,
            ..ScopeQuery::all(project_id)
        };
        let matching = self.store.list_scope_items(&scope).await?.items;
        let items: Vec<ScopeItem> = if query.items.is_empty() {
            matching
                .into_iter()
                .filter(|i| i.status != ScopeStatus::Cancelled)
                .filter(|i| !query.released_only || i.released_at.is_some())
                .collect()
        } else {
            // Named items: each must be the project's; the filters narrow them.
            let all: HashSet<Uuid> = self
                .store
                .list_scope_items(&ScopeQuery::all(project_id))
                .await?
                .items
                .into_iter()
                .map(|i| i.id)
                .collect();
            let unknown: Vec<String> = query
                .items
                .iter()
                .filter(|id| !all.contains(id))
                .map(Uuid::to_string)
                .collect();
            if !unknown.is_empty() {
                errors.add(
                    "items",
                    format!(
                        "{} not an item of this project: {}",
                        if unknown.len() == 1 { "is" } else { "are" },
                        unknown.join(", ")
                    ),
                );
                return Err(AppError::Validation(errors));
            }
            let mut by_id: HashMap<Uuid, ScopeItem> =
                matching.into_iter().map(|i| (i.id, i)).collect();
            let mut seen = HashSet::new();
            query
                .items
                .iter()
                .filter(|id| seen.insert(**id))
                .filter_map(|id| by_id.remove(id))
                .filter(|i| !query.released_only || i.released_at.is_some())
                .collect()
        };
        Ok(items)
    }
}

/// A quantity of whole units (thousandths divisible by 1000, at least one), as a count.
fn whole_units(thousandths: i64) -> Option<i64> {
    (thousandths >= 1000 && thousandths % 1000 == 0).then_some(thousandths / 1000)
}

fn check_count(n: usize) -> AppResult<()> {
    if n > MAX_LABELS {
        let mut errors = FieldErrors::new();
        errors.add(
            "items",
            format!(
                "these would be more than {MAX_LABELS} labels; choose fewer items, a group or \
                 a level, or one label per item"
            ),
        );
        return Err(AppError::Validation(errors));
    }
    Ok(())
}

/// Where a whole item goes.
fn item_place(item: &ScopeItem, places: &Places, filter: &LocationFilter) -> LabelPlace {
    let p = &item.placement;
    if let Some(room) = p.room_id.and_then(|r| places.room(r)) {
        return room;
    }
    if let Some(type_id) = p.room_type_id {
        let rooms = places
            .rooms_of_type
            .get(&type_id)
            .cloned()
            .unwrap_or_default();
        return type_place(item, places, &rooms, filter);
    }
    match item.location.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => LabelPlace::Text(text.to_owned()),
        _ => LabelPlace::None,
    }
}

/// A room type, counting its rooms in the filtered place, with their level if only one.
fn type_place(
    item: &ScopeItem,
    places: &Places,
    rooms: &[Uuid],
    filter: &LocationFilter,
) -> LabelPlace {
    let p = &item.placement;
    let here: Vec<&Location> = rooms
        .iter()
        .filter(|r| filter.is_empty() || places.room_in(**r, filter))
        .filter_map(|r| places.by_id.get(r))
        .collect();
    let levels: HashSet<Option<Uuid>> = here.iter().map(|r| r.level_id).collect();
    let level = match (levels.len(), here.first()) {
        (1, Some(r)) => places.level_name(r),
        _ => None,
    };
    LabelPlace::RoomType {
        code: p.room_type_code.clone().unwrap_or_default(),
        name: p.room_type_name.clone().unwrap_or_default(),
        rooms: here.len(),
        level,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_quantities_have_units() {
        assert_eq!(whole_units(12_000), Some(12));
        assert_eq!(whole_units(1_000), Some(1));
        assert_eq!(whole_units(12_500), None);
        assert_eq!(whole_units(0), None);
        assert_eq!(whole_units(-3_000), None);
    }
}
