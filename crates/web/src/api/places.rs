//! The places (locations and room types) a drawing or a specification refers to.

use axum::Json;
use axum::extract::State;
use formula_app::places::{Place, PlacesInput};

use super::ApiResult;
use super::extract::PathId;
use super::problems::{Forbidden, Invalid};
use crate::auth::ApiCaller;
use crate::error::ApiJson;
use crate::state::AppState;

/// The places a drawing refers to
///
/// Buildings, levels, zones, rooms and room types, by code. Whoever sees the drawing sees
/// them (client users: drawings submitted to them).
#[utoipa::path(
    get,
    path = "/drawings/{id}/places",
    tag = "drawings",
    params(("id" = uuid::Uuid, Path, description = "Drawing id")),
    responses((status = 200, body = Vec<Place>), Forbidden)
)]
pub async fn drawing_places(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<Place>>> {
    Ok(Json(
        state.services.drawing_places(&caller.caller, id).await?,
    ))
}

/// Set the places a drawing refers to
///
/// Replaces the whole list with the given locations (any kind) and room types of the
/// drawing's project, at most 200 (refer to a room type or a level rather than to many
/// rooms). Recorded in the audit trail.
#[utoipa::path(
    put,
    path = "/drawings/{id}/places",
    tag = "drawings",
    params(("id" = uuid::Uuid, Path, description = "Drawing id")),
    request_body = PlacesInput,
    responses((status = 200, body = Vec<Place>), Forbidden, Invalid)
)]
pub async fn set_drawing_places(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<PlacesInput>,
) -> ApiResult<Json<Vec<Place>>> {
    Ok(Json(
        state
            .services
            .set_drawing_places(&caller.caller, id, input.place_ids)
            .await?,
    ))
}

/// The places a specification refers to
///
/// Buildings, levels, zones, rooms and room types, by code. Whoever sees the specification
/// sees them (client users: specifications submitted to them).
#[utoipa::path(
    get,
    path = "/specs/{id}/places",
    tag = "specs",
    params(("id" = uuid::Uuid, Path, description = "Specification id")),
    responses((status = 200, body = Vec<Place>), Forbidden)
)]
pub async fn spec_places(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<Place>>> {
    Ok(Json(state.services.spec_places(&caller.caller, id).await?))
}

/// Set the places a specification refers to
///
/// Replaces the whole list with the given locations (any kind) and room types of the
/// specification's project, at most 200. Recorded in the audit trail.
#[utoipa::path(
    put,
    path = "/specs/{id}/places",
    tag = "specs",
    params(("id" = uuid::Uuid, Path, description = "Specification id")),
    request_body = PlacesInput,
    responses((status = 200, body = Vec<Place>), Forbidden, Invalid)
)]
pub async fn set_spec_places(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<PlacesInput>,
) -> ApiResult<Json<Vec<Place>>> {
    Ok(Json(
        state
            .services
            .set_spec_places(&caller.caller, id, input.place_ids)
            .await?,
    ))
}
