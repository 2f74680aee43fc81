//! When the workshop must be done with each item (docs/workshop.md, "Late in the
//! workshop"): the packed-by date the board shows and filters on, and the daily reminder of
//! items late in the workshop. The rule itself is `formula_domain::workshop_due`.

use std::collections::HashMap;

use formula_domain::authz::{Action, Actor, ProjectAccess, Resource, authorize};
use formula_domain::comment::RecordKind;
use formula_domain::notification::Event;
use formula_domain::project::{Project, ProjectRole};
use formula_domain::scope::{Quantity, ScopeItem};
use formula_domain::workshop::ItemPositions;
use formula_domain::workshop_due::{is_late, packed_by};
use time::{Date, Duration};
use uuid::Uuid;

use crate::error::AppResult;
use crate::notifications::Happening;
use crate::notifications::reminders::open;
use crate::repos::{Person, RecordKey};
use crate::services::Services;

/// An item's standing against its installation date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemDue {
    pub install_on: Option<Date>,
    pub packed_by: Option<Date>,
    pub released: Quantity,
    pub packed: Quantity,
    pub late: bool,
}

impl ItemDue {
    /// `item`'s dates and quantities on `today` (`positions` `None`: not released).
    pub fn of(item: &ScopeItem, positions: Option<&ItemPositions>, today: Date) -> ItemDue {
        let by = item.install_on.and_then(packed_by);
        let released = positions.map_or(Quantity(0), |p| p.released);
        let packed = positions.map_or(Quantity(0), |p| p.packed);
        ItemDue {
            install_on: item.install_on,
            packed_by: by,
            released,
            packed,
            late: is_late(by, today, released, packed),
        }
    }
}

/// Who hears that an item of the project is late in the workshop: the project's manager,
/// the team's project managers, and team members who may move production on it (never a
/// client user: they may not; `people` are the active ones, so never a disabled user).
pub(crate) fn workshop_late_audience(project: &Project, people: &[Person]) -> Vec<Uuid> {
    people
        .iter()
        .filter(|p| {
            let Some(membership) = p.membership else {
                return p.id == project.manager_id;
            };
            let actor = Actor {
                user_id: p.id,
                name: p.name.clone(),
                role: p.role,
                client_id: p.client_id,
            };
            let access = ProjectAccess {
                client_id: project.client_id,
                membership: Some(membership),
            };
            p.id == project.manager_id
                || membership == ProjectRole::ProjectManager
                || authorize(&actor, Action::MoveProduction, &Resource::Project(access))
        })
        .map(|p| p.id)
        .collect()
}

impl Services {
    /// Items late in the workshop on `today`, on open projects: each is reported to
    /// [`workshop_late_audience`] once a day (the day is the occurrence, so the hourly runs
    /// after the first, and retries, store nothing new). Returns how many were reported.
    pub async fn workshop_late_reminders(&self, today: Date) -> AppResult<usize> {
        // A packed-by day is at most 7 days before the installation: an item packed by
        // before today is installed before today + 7.
        let before = today + Duration::days(8);
        let mut reported = 0;
        for project_id in self.store.projects_installing_before(before).await? {
            let Some(project) = self.store.get_project(project_id).await? else {
                continue;
            };
            if !open(&project) {
                continue;
            }
            let positions: HashMap<Uuid, ItemPositions> = self
                .store
                .project_positions(project_id)
                .await?
                .into_iter()
                .map(|p| (p.scope_item_id, p))
                .collect();
            let items = self
                .store
                .list_scope_items(&crate::query::ScopeQuery::all(project_id))
                .await?
                .items;
            let late: Vec<(ScopeItem, ItemDue)> = items
                .into_iter()
                .filter_map(|i| {
                    let due = ItemDue::of(&i, positions.get(&i.id), today);
                    due.late.then_some((i, due))
                })
                .collect();
            if late.is_empty() {
                continue;
            }
            let people = self.store.project_people(project_id).await?;
            let audience = workshop_late_audience(&project, &people);
            for (item, due) in late {
                let record = RecordKey {
                    kind: RecordKind::ScopeItem,
                    id: item.id,
                    project_id,
                };
                let mut h = Happening::new(
                    Event::WorkshopLate,
                    record,
                    project.client_id,
                    format!(
                        "{} {} is late in the workshop: {} of {} {} packed, to be packed by {} for installation on {}",
                        item.code,
                        item.name,
                        due.packed,
                        due.released,
                        item.unit,
                        due.packed_by.map(|d| d.to_string()).unwrap_or_default(),
                        due.install_on.map(|d| d.to_string()).unwrap_or_default(),
                    ),
                );
                // Internal: the workshop is the contractor's business.
                h.internal = true;
                h.client_sees = false;
                h.parties.managers = audience.clone();
                // Once a day per item while it is late.
                h.occurrence = today.to_string();
                self.notify(h).await;
                reported += 1;
            }
        }
        Ok(reported)
    }
}
