//! The room matrix, site progress by level and room, and the project's progress weights.

use axum::Json;
use axum::extract::State;
use formula_app::repos::MatrixFilter;
use formula_app::room_matrix::{RoomMatrix, SiteProgress};
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
/// `not_released`, `released`, `partly_installed`, `installed`, `snagged` (an open or fixed
/// snag on the item in the room) or `signed_off` (the room is signed off), with the
/// quantities behind it; `null` where the item is not expected in the room. Each room and
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
/// Each level's and room's progress (0–100) from release, installation and sign-off, by the
/// project's weights. `has_locations` is false, and the lists empty, when no scope item is
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
/// Whole percentages adding up to 100: `released` (everything up to release to production;
/// before release, that share is the item's own progress figure), `installed` (the fraction
/// of the quantity installed) and `signed_off` (the fraction in signed-off rooms). Defaults
/// 20 / 70 / 10. They apply to scope items placed in rooms; other items keep their own
/// progress figure.
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
/// Project managers of the team and administrators. The three weights must add up to 100.
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
