//! The room matrix (rooms by level × the scope items expected in them, each cell the state
//! the room's quantity has reached), site progress by level and room, and the per-project
//! weights of each step in that progress.
//!
//! Client users see the matrix too: states, quantities and counts only (no prices, no
//! notes, no workshop or delivery figures beyond the states "in production" and
//! "delivered"), and only the snags marked visible to them make a cell "snagged".

use std::collections::HashMap;

use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::room_matrix::{
    Average, CellFacts, CellState, ProgressWeights, StepQuantities, cell_state, fill_in_order,
};
use formula_domain::user::Role;
use serde::Serialize;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::AppResult;
use crate::repos::{MatrixData, MatrixFilter, MatrixItemRow, MatrixRoomRow};
use crate::services::{Services, audit, changes, ensure};

/// The live-update kind when a project's progress weights change (its id is the project's).
pub const PROGRESS_WEIGHTS_CHANGED: &str = "progress_weights.changed";

/// A column of the matrix: a scope item expected in rooms.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatrixColumn {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub unit: String,
    /// The room type it is placed on (one column for all rooms of the type); absent for an
    /// item placed in one room.
    pub room_type_id: Option<Uuid>,
    pub room_type_code: Option<String>,
    pub released: bool,
}

/// One item in one room.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct MatrixCell {
    pub state: CellState,
    /// The room's quantity of the item, in thousandths of its unit.
    pub quantity_milli: i64,
    /// Installed in this room so far, in thousandths.
    pub installed_milli: i64,
    /// Open or fixed (not yet verified) snags on the item in this room.
    pub open_snags: i64,
}

/// A row of the matrix.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatrixRoom {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub room_type_id: Option<Uuid>,
    pub signed_off: bool,
    /// 0–100: this room's progress by the project's weights (`null` without items).
    pub progress: Option<i32>,
    /// One entry per column, in column order; `null` where the item is not expected.
    pub cells: Vec<Option<MatrixCell>>,
}

/// The rooms of one level, in order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatrixLevel {
    /// Absent for rooms that sit on no level.
    pub id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub building_code: Option<String>,
    /// 0–100 over the level's cells (`null` without items).
    pub progress: Option<i32>,
    pub signed_off_rooms: usize,
    pub rooms: Vec<MatrixRoom>,
}

/// How many cells are in one state.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct StateCount {
    pub state: CellState,
    pub cells: usize,
}

/// The room matrix of `GET /projects/{id}/room-matrix`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoomMatrix {
    pub project_id: Uuid,
    /// Room-type items grouped by room type, then items placed in one room.
    pub columns: Vec<MatrixColumn>,
    /// Levels in building → level order, each with its rooms.
    pub levels: Vec<MatrixLevel>,
    /// Cells per state, every state listed.
    pub counts: Vec<StateCount>,
    pub weights: ProgressWeights,
}

/// Site progress of one level.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LevelProgress {
    pub id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub building_code: Option<String>,
    pub progress: Option<i32>,
    pub rooms: usize,
    pub signed_off_rooms: usize,
}

/// Site progress of one room.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoomProgress {
    pub id: Uuid,
    pub code: String,
    pub level_id: Option<Uuid>,
    pub progress: Option<i32>,
    pub signed_off: bool,
}

/// Progress by level and room (`GET /projects/{id}/site-progress`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteProgress {
    pub weights: ProgressWeights,
    /// Whether the project has items placed in rooms; without them the project's progress
    /// follows the scope (or tasks) alone and the lists below are empty.
    pub has_locations: bool,
    pub levels: Vec<LevelProgress>,
    pub rooms: Vec<RoomProgress>,
}

impl RoomMatrix {
    /// Site progress as the overview and the API give it, from the matrix.
    pub fn progress(&self) -> SiteProgress {
        if self.columns.is_empty() {
            return SiteProgress {
                weights: self.weights,
                has_locations: false,
                levels: Vec::new(),
                rooms: Vec::new(),
            };
        }
        SiteProgress {
            weights: self.weights,
            has_locations: !self.columns.is_empty(),
            levels: self
                .levels
                .iter()
                .map(|l| LevelProgress {
                    id: l.id,
                    code: l.code.clone(),
                    name: l.name.clone(),
                    building_code: l.building_code.clone(),
                    progress: l.progress,
                    rooms: l.rooms.len(),
                    signed_off_rooms: l.signed_off_rooms,
                })
                .collect(),
            rooms: self
                .levels
                .iter()
                .flat_map(|l| {
                    l.rooms.iter().map(|r| RoomProgress {
                        id: r.id,
                        code: r.code.clone(),
                        level_id: l.id,
                        progress: r.progress,
                        signed_off: r.signed_off,
                    })
                })
                .collect(),
        }
    }
}

/// The room's quantity of `item`: its whole quantity in its own room, its quantity per room
/// in each room of its type.
fn expected_in(item: &MatrixItemRow) -> i64 {
    if item.room_type_id.is_some() {
        item.quantity_per_room_milli.unwrap_or(0)
    } else {
        item.quantity_milli
    }
}

/// Per (room, item): how much of the room's quantity was produced and how much delivered,
/// what is installed there included. An item's packed and received quantities (each at
/// least what a later step shows: installed was delivered, delivered was produced), less
/// what is installed anywhere, cover its rooms' outstanding quantities (the room's quantity
/// less what is installed there) in the matrix's room order, over all the project's rooms
/// whatever the filter shows ([`fill_in_order`]).
fn coverage(
    data: &MatrixData,
    installed_in: &HashMap<(Uuid, Uuid), (i64, i64)>,
) -> HashMap<(Uuid, Uuid), (i64, i64)> {
    let mut installed_total: HashMap<Uuid, i64> = HashMap::new();
    for c in &data.cells {
        *installed_total.entry(c.scope_item_id).or_default() += c.installed_milli;
    }
    let mut rooms_of_type: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in &data.rooms {
        if let Some(t) = r.room_type_id {
            rooms_of_type.entry(t).or_default().push(r.id);
        }
    }
    let mut out = HashMap::new();
    for item in &data.items {
        let installed = installed_total.get(&item.id).copied().unwrap_or(0);
        let delivered = item.received_milli.max(installed);
        let produced = item.packed_milli.max(delivered);
        if produced <= 0 {
            continue;
        }
        let rooms: &[Uuid] = match (item.room_type_id, &item.room_id) {
            (Some(t), _) => rooms_of_type.get(&t).map_or(&[], Vec::as_slice),
            (None, Some(r)) => std::slice::from_ref(r),
            (None, None) => continue,
        };
        let expected = expected_in(item);
        let here: Vec<i64> = rooms
            .iter()
            .map(|r| installed_in.get(&(*r, item.id)).map_or(0, |f| f.0))
            .collect();
        let needs: Vec<i64> = here.iter().map(|i| (expected - i).max(0)).collect();
        let p = fill_in_order(produced - installed, &needs);
        let d = fill_in_order(delivered - installed, &needs);
        for (k, r) in rooms.iter().enumerate() {
            let base = here[k].clamp(0, expected.max(0));
            out.insert((*r, item.id), (base + p[k], base + d[k]));
        }
    }
    out
}

/// Builds the matrix from what the store read: one pass over rooms × their items, with the
/// cell facts looked up in a map (no query per room).
pub fn build(
    project_id: Uuid,
    data: MatrixData,
    type_codes: &HashMap<Uuid, (i64, String)>,
    weights: ProgressWeights,
) -> RoomMatrix {
    let facts: HashMap<(Uuid, Uuid), (i64, i64)> = data
        .cells
        .iter()
        .map(|c| {
            (
                (c.room_id, c.scope_item_id),
                (c.installed_milli, c.open_snags),
            )
        })
        .collect();
    let flow = coverage(&data, &facts);
    let shown: Vec<&MatrixRoomRow> = data.rooms.iter().filter(|r| r.in_view).collect();
    // Columns: items that apply to a room in view, room-type items first (grouped by their
    // type's order), then room items, each group in Scope-tab order.
    let mut in_view_types: Vec<Uuid> = shown.iter().filter_map(|r| r.room_type_id).collect();
    in_view_types.sort_unstable();
    in_view_types.dedup();
    let room_ids: std::collections::HashSet<Uuid> = shown.iter().map(|r| r.id).collect();
    let mut items: Vec<&MatrixItemRow> = data
        .items
        .iter()
        .filter(|i| match (i.room_type_id, i.room_id) {
            (Some(t), _) => in_view_types.binary_search(&t).is_ok(),
            (None, Some(r)) => room_ids.contains(&r),
            (None, None) => false,
        })
        .collect();
    items.sort_by_key(|i| match i.room_type_id {
        Some(t) => type_codes.get(&t).map_or(i64::MAX - 1, |(p, _)| *p),
        None => i64::MAX,
    });
    let columns: Vec<MatrixColumn> = items
        .iter()
        .map(|i| MatrixColumn {
            id: i.id,
            code: i.code.clone(),
            name: i.name.clone(),
            unit: i.unit.clone(),
            room_type_id: i.room_type_id,
            room_type_code: i
                .room_type_id
                .and_then(|t| type_codes.get(&t).map(|(_, c)| c.clone())),
            released: i.released,
        })
        .collect();
    let mut counts: HashMap<CellState, usize> = HashMap::new();
    let mut levels: Vec<MatrixLevel> = Vec::new();
    let mut level_avg: Vec<Average> = Vec::new();
    for room in shown {
        let mut avg = Average::default();
        let cells: Vec<Option<MatrixCell>> = items
            .iter()
            .map(|item| {
                let applies = match item.room_type_id {
                    Some(t) => room.room_type_id == Some(t),
                    None => item.room_id == Some(room.id),
                };
                if !applies {
                    return None;
                }
                let expected = expected_in(item);
                let (installed, snags) = facts.get(&(room.id, item.id)).copied().unwrap_or((0, 0));
                let (produced, delivered) = flow
                    .get(&(room.id, item.id))
                    .copied()
                    .unwrap_or((installed, installed));
                let f = CellFacts {
                    expected_milli: expected,
                    installed_milli: installed,
                    released: item.released,
                    started: item.started_milli > 0,
                    delivered_milli: delivered,
                    open_snags: snags,
                    signed_off: room.signed_off,
                };
                let state = cell_state(&f);
                *counts.entry(state).or_default() += 1;
                let bp = weights.basis_points(
                    item.released,
                    item.progress,
                    expected,
                    &StepQuantities {
                        packed: produced,
                        received: delivered,
                        installed,
                        signed: if room.signed_off { expected } else { 0 },
                    },
                );
                // The cell's value: its share of the item's line total.
                let value = match (item.total_minor, item.quantity_milli) {
                    (Some(t), q) if q > 0 => i128::from(t) * i128::from(expected) / i128::from(q),
                    _ => 0,
                };
                avg.add(bp, value);
                Some(MatrixCell {
                    state,
                    quantity_milli: expected,
                    installed_milli: installed,
                    open_snags: snags,
                })
            })
            .collect();
        let row = MatrixRoom {
            id: room.id,
            code: room.code.clone(),
            name: room.name.clone(),
            room_type_id: room.room_type_id,
            signed_off: room.signed_off,
            progress: avg.percent(),
            cells,
        };
        let same_level = levels.last().is_some_and(|l| l.id == room.level_id);
        if !same_level {
            levels.push(MatrixLevel {
                id: room.level_id,
                code: room.level_code.clone().unwrap_or_else(|| "—".to_owned()),
                name: room
                    .level_name
                    .clone()
                    .unwrap_or_else(|| "No level".to_owned()),
                building_code: room.building_code.clone(),
                progress: None,
                signed_off_rooms: 0,
                rooms: Vec::new(),
            });
            level_avg.push(Average::default());
        }
        if let (Some(level), Some(la)) = (levels.last_mut(), level_avg.last_mut()) {
            la.merge(&avg);
            if row.signed_off {
                level.signed_off_rooms += 1;
            }
            level.rooms.push(row);
        }
    }
    for (level, avg) in levels.iter_mut().zip(&level_avg) {
        level.progress = avg.percent();
    }
    RoomMatrix {
        project_id,
        columns,
        levels,
        counts: CellState::ALL
            .iter()
            .map(|s| StateCount {
                state: *s,
                cells: counts.get(s).copied().unwrap_or(0),
            })
            .collect(),
        weights,
    }
}

impl Services {
    async fn site_project(&self, caller: &Caller, project_id: Uuid) -> AppResult<ProjectAccess> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewSiteProgress, &Resource::Project(access))?;
        Ok(access)
    }

    /// The project's room matrix, optionally narrowed to a building, a level or a room type.
    pub async fn room_matrix(
        &self,
        caller: &Caller,
        project_id: Uuid,
        filter: MatrixFilter,
    ) -> AppResult<(RoomMatrix, ProjectAccess)> {
        let access = self.site_project(caller, project_id).await?;
        let client_only = caller.actor.role == Role::Client;
        let data = self
            .store
            .room_matrix(project_id, filter, client_only)
            .await?;
        let types: HashMap<Uuid, (i64, String)> = self
            .store
            .list_room_types(project_id)
            .await?
            .into_iter()
            .map(|t| (t.id, (t.position, t.code)))
            .collect();
        let weights = self.store.progress_weights(project_id).await?;
        Ok((build(project_id, data, &types, weights), access))
    }

    /// Progress by level and room.
    pub async fn site_progress(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<SiteProgress> {
        let (m, _) = self
            .room_matrix(caller, project_id, MatrixFilter::default())
            .await?;
        Ok(m.progress())
    }

    /// How much each step counts towards the project's progress on site.
    pub async fn progress_weights(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<ProgressWeights> {
        self.site_project(caller, project_id).await?;
        self.store.progress_weights(project_id).await
    }

    /// Whether the caller may change the project's progress weights (for showing the form).
    pub fn may_set_progress_weights(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::ManageTeam, access)
    }

    /// Sets the five weights (whole percentages adding up to 100). Project managers of the team
    /// and administrators, as for the project's other settings.
    pub async fn set_progress_weights(
        &self,
        caller: &Caller,
        project_id: Uuid,
        weights: ProgressWeights,
    ) -> AppResult<ProgressWeights> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ManageTeam, &Resource::Project(access))?;
        weights.validate()?;
        let old = self.store.progress_weights(project_id).await?;
        let a = audit(
            caller,
            "progress_weights",
            "project",
            project_id,
            &project.code,
            changes(&old, &weights),
        )
        .in_project(project_id);
        self.store
            .save_progress_weights(project_id, &weights, &a)
            .await?;
        self.changed(
            caller,
            PROGRESS_WEIGHTS_CHANGED,
            project_id,
            project_id,
            None,
        )
        .await;
        self.changed(caller, "project.updated", project_id, project_id, None)
            .await;
        Ok(weights)
    }
}
