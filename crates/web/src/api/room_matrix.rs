//! The room matrix, site progress by level and room, and the project's progress weights.

use axum::Json;
use axum::extract::State;
use formula_app::repos::MatrixFilter;
use formula_app::room_matrix::{RoomMatrix, SiteProgress};
use formula_app::throughput::{MAX_WEEKS, WorkshopThroughput};
use formula_domain::room_matrix::ProgressWeights;
use utoipa::IntoParams;
use uuid::Uuid;

use super::ApiResult;
use super::extract::PathId;
use super::params::{ListFilter, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use crate::auth::ApiCaller;
use crate::error::ApiJson;
use crate::state::AppState;

/// Filters of `GET /projects/{id}/room-matrix`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatrixParams {
    /// Only rooms of this building.
    pub building_id: Option<Uuid>,
    /// Only rooms of this level (the phone's one-level view).
    pub level_id: Option<Uuid>,
    /// Only rooms of this room type.
    pub room_type_id: Option<Uuid>,
}

impl ListFilter for MatrixParams {
    type Query = MatrixFilter;
    fn read(p: &mut QueryParams) -> MatrixFilter {
        MatrixFilter {
            building_id: p.id("building_id"),
            level_id: p.id("level_id"),
            room_type_id: p.id("room_type_id"),
        }
    }
}

/// The room matrix
///
/// Rows are the project's rooms grouped by level (building → level → room order); columns
/// are the scope items expected in rooms (room-type items grouped by type, then items placed
/// in one room). Each cell is the state the room's quantity of the item has reached:
/// `not_released`, `released`, `in_production` (some of the item's quantity has moved in the
/// workshop), `delivered` (the room's quantity is covered by what was received on site;
/// rooms in matrix order are covered first), `partly_installed`, `installed`, `snagged` (an
/// open or fixed snag on the item in the room) or `signed_off` (the room is signed off), with
/// the quantities behind it; `null` where the item is not expected in the room. Each room and
/// level carries its progress by the project's weights. Client users see it too (states and
/// quantities, no prices; only snags visible to them count).
#[utoipa::path(
    get,
    path = "/projects/{id}/room-matrix",
    tag = "site",
    params(("id" = Uuid, Path, description = "Project id"), MatrixParams),
    responses((status = 200, body = RoomMatrix), Forbidden, Invalid)
)]
pub async fn room_matrix(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(filter, _): Parsed<MatrixParams>,
) -> ApiResult<Json<RoomMatrix>> {
    let (m, _) = state
        .services
        .room_matrix(&caller.caller, id, filter)
        .await?;
    Ok(Json(m))
}

/// Site progress by level and room
///
/// Each level's and room's progress (0–100) from release, production, delivery, installation
/// and sign-off, by the project's weights. `has_locations` is false, and the lists empty, when no scope item is
/// placed in a room: the project's progress then follows its scope or tasks alone.
#[utoipa::path(
    get,
    path = "/projects/{id}/site-progress",
    tag = "site",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = SiteProgress), Forbidden)
)]
pub async fn site_progress(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<SiteProgress>> {
    Ok(Json(
        state.services.site_progress(&caller.caller, id).await?,
    ))
}

/// How much each step counts towards progress
///
/// Whole percentages adding up to 100: `released` (drawings and approvals, everything up to
/// release to production; before release, that share is the item's own progress figure),
/// `production` (the fraction of the quantity through the workshop's packed stage),
/// `delivery` (the fraction received on site), `installed` (the fraction installed) and
/// `signed_off` (the fraction in signed-off rooms). Defaults 10 / 50 / 10 / 25 / 5. They apply
/// to scope items placed in rooms; other items keep their own progress figure.
#[utoipa::path(
    get,
    path = "/projects/{id}/progress-weights",
    tag = "site",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = ProgressWeights), Forbidden)
)]
pub async fn get_progress_weights(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ProgressWeights>> {
    Ok(Json(
        state.services.progress_weights(&caller.caller, id).await?,
    ))
}

/// Set how much each step counts towards progress
///
/// Project managers of the team and administrators. All five weights are required, each
/// 0–100, and they must add up to 100 (otherwise 422, naming the sum).
#[utoipa::path(
    put,
    path = "/projects/{id}/progress-weights",
    tag = "site",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = ProgressWeights,
    responses((status = 200, body = ProgressWeights), Forbidden, Invalid)
)]
pub async fn set_progress_weights(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(weights): ApiJson<ProgressWeights>,
) -> ApiResult<Json<ProgressWeights>> {
    Ok(Json(
        state
            .services
            .set_progress_weights(&caller.caller, id, weights)
            .await?,
    ))
}

/// Query of `GET /projects/{id}/workshop-throughput`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThroughputParams {
    /// How many ISO weeks to show, the current one last (1–26, default 12).
    #[param(minimum = 1, maximum = 26)]
    pub weeks: Option<u8>,
}

impl ListFilter for ThroughputParams {
    type Query = Option<u8>;
    fn read(p: &mut QueryParams) -> Option<u8> {
        let message = format!("must be a whole number from 1 to {MAX_WEEKS}");
        let weeks = p.value::<u8>("weeks", &message);
        if weeks.is_some_and(|w| !(1..=MAX_WEEKS).contains(&w)) {
            p.reject("weeks", &message);
            return None;
        }
        weeks
    }
}

/// The workshop's throughput per week
///
/// Per ISO week (Monday to Sunday, UTC), oldest first and the current week last: the
/// quantity moved into the packed stage (forward moves not undone; thousandths of the items'
/// units, whatever the unit), how many scope items had something packed, and the rework
/// (moves of kind `rework`: a QA failure sending a quantity back) as moves and quantity.
/// Staff who may see the workshop only; never client users.
#[utoipa::path(
    get,
    path = "/projects/{id}/workshop-throughput",
    tag = "site",
    params(("id" = Uuid, Path, description = "Project id"), ThroughputParams),
    responses((status = 200, body = WorkshopThroughput), Forbidden, Invalid)
)]
pub async fn workshop_throughput(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(weeks, _): Parsed<ThroughputParams>,
) -> ApiResult<Json<WorkshopThroughput>> {
    Ok(Json(
        state
            .services
            .workshop_throughput(&caller.caller, id, weeks)
            .await?,
    ))
}
