//! A project's locations (buildings, levels, zones, rooms) and room types, one by one or
//! created in bulk from a pattern.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::locations::{
    LocationPatch, NewLocation, NewRoomType, PatternCreated, PatternPreview, ProjectLocations,
    RoomTypePatch,
};
use formula_domain::location::{Location, RoomPattern, RoomType};

use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, Parsed, VersionParam};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// A project's locations
///
/// Every building, level, zone and room (siblings in order; `parent_id` builds the tree,
/// `building_id` and `level_id` name the building and level above), and the room types with
/// how many rooms each has. Client users see their projects' locations too.
#[utoipa::path(
    get,
    path = "/projects/{id}/locations",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    responses((status = 200, body = ProjectLocations), Forbidden)
)]
pub async fn list_locations(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ProjectLocations>> {
    let (l, _) = state.services.project_locations(&caller.caller, id).await?;
    Ok(Json(l))
}

/// Add a location
///
/// A building has no parent; a level sits in a building, a zone in a level, a room in a
/// level or a zone. Codes are unique in the project across the whole tree.
#[utoipa::path(
    post,
    path = "/projects/{id}/locations",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = NewLocation,
    responses(
        (status = 201, body = Location, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_location(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewLocation>,
) -> ApiResult<Response> {
    let l = state
        .services
        .create_location(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/locations/{}", l.id),
        Some(l.version),
        Json(l),
    ))
}

/// A location
#[utoipa::path(
    get,
    path = "/locations/{id}",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Location id")),
    responses((status = 200, body = Location, headers(("etag" = String))))
)]
pub async fn get_location(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let l = state.services.get_location(&caller.caller, id).await?;
    Ok(with_etag(l.version, Json(l)))
}

/// Change a location
///
/// Its code, name, order or (rooms) room type; its kind and place in the tree stay. A room
/// given another type moves the quantities of both types' items. Send `If-Match` or `version`.
#[utoipa::path(
    patch,
    path = "/locations/{id}",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Location id"), IfMatchParam),
    request_body = LocationPatch,
    responses(
        (status = 200, body = Location, headers(("etag" = String))),
        (status = 409, description = "Stale `version`, or the code is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_location(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<LocationPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let l = state
        .services
        .update_location(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(l.version, Json(l)))
}

/// Delete a location
///
/// Refused (409 `has_dependents`, saying what) while it holds other locations or scope
/// items are placed in it. Send `If-Match` or `?version=`.
#[utoipa::path(
    delete,
    path = "/locations/{id}",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Location id"), IfMatchParam, VersionParam),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Stale `version`, or the location is in use", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn delete_location(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_location(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Preview rooms from a pattern
///
/// The levels and rooms "levels `levels_from`–`levels_to`, rooms `rooms_from`–`rooms_to`"
/// would create in the building, and which generated codes are already used. Nothing is saved.
#[utoipa::path(
    post,
    path = "/projects/{id}/locations/pattern-preview",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = RoomPattern,
    responses((status = 200, body = PatternPreview), Forbidden, Invalid)
)]
pub async fn preview_pattern(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(pattern): ApiJson<RoomPattern>,
) -> ApiResult<Json<PatternPreview>> {
    Ok(Json(
        state
            .services
            .preview_room_pattern(&caller.caller, id, &pattern)
            .await?,
    ))
}

/// Create rooms from a pattern
///
/// All or nothing: levels that exist in the building with a generated code are reused, and
/// any other generated code already in use refuses the whole pattern (409, naming them).
#[utoipa::path(
    post,
    path = "/projects/{id}/locations/pattern",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = RoomPattern,
    responses(
        (status = 201, body = PatternCreated),
        (status = 409, description = "Generated codes are taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_pattern(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(pattern): ApiJson<RoomPattern>,
) -> ApiResult<(StatusCode, Json<PatternCreated>)> {
    let made = state
        .services
        .create_from_pattern(&caller.caller, id, &pattern)
        .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Add a room type
#[utoipa::path(
    post,
    path = "/projects/{id}/room-types",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = NewRoomType,
    responses(
        (status = 201, body = RoomType, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_room_type(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewRoomType>,
) -> ApiResult<Response> {
    let t = state
        .services
        .create_room_type(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/room-types/{}", t.id),
        Some(t.version),
        Json(t),
    ))
}

/// A room type
#[utoipa::path(
    get,
    path = "/room-types/{id}",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Room type id")),
    responses((status = 200, body = RoomType, headers(("etag" = String))))
)]
pub async fn get_room_type(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let t = state.services.get_room_type(&caller.caller, id).await?;
    Ok(with_etag(t.version, Json(t)))
}

/// Change a room type
///
/// Send `If-Match` or `version`.
#[utoipa::path(
    patch,
    path = "/room-types/{id}",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Room type id"), IfMatchParam),
    request_body = RoomTypePatch,
    responses(
        (status = 200, body = RoomType, headers(("etag" = String))),
        (status = 409, description = "Stale `version`, or the code is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_room_type(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<RoomTypePatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let t = state
        .services
        .update_room_type(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(t.version, Json(t)))
}

/// Delete a room type
///
/// Refused (409 `has_dependents`, saying what) while rooms are of it or scope items are
/// placed on it. Send `If-Match` or `?version=`.
#[utoipa::path(
    delete,
    path = "/room-types/{id}",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Room type id"), IfMatchParam, VersionParam),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Stale `version`, or the room type is in use", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn delete_room_type(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_room_type(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
