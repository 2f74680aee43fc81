//! A project's locations (buildings, levels, zones, rooms) and room types, one by one or
//! created in bulk from a pattern or a spreadsheet.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::locations::{
    LocationPatch, NewLocation, NewRoomType, PatternCreated, PatternPreview, ProjectLocations,
    RoomTypePatch,
};
use formula_app::scope_import::ImportPreview;
use formula_domain::location::{Location, RoomPattern, RoomType};

use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, Parsed, VersionParam};
use super::problems::{Forbidden, Invalid, Malformed};
use super::scope::{FormatParam, ImportParams, internal, read_import};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::location_files;
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

/// Export a project's locations
///
/// As `.xlsx` or `.csv`: one row per place in tree order (each right after the place it sits
/// in), with the import's columns — code, name, kind, parent code, room type code — so the
/// file imports back unchanged. Client users may export their projects' locations too.
#[utoipa::path(
    get,
    path = "/projects/{id}/locations/export",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Project id"), FormatParam),
    responses(
        (status = 200, description = "The spreadsheet, as an attachment (`.xlsx`, or `.csv` with `format=csv`)", content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
        Forbidden,
    )
)]
pub async fn export_locations(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(format, _): Parsed<FormatParam>,
) -> ApiResult<Response> {
    let s = &state.services;
    let (project, _) = s.project_for(&caller.caller, id).await?;
    let (tree, _) = s.project_locations(&caller.caller, id).await?;
    location_files::export(&tree, &project.code, format).map_err(internal)
}

/// The location import template
///
/// The columns a location import reads, with no rows (`.xlsx` adds a sheet explaining each
/// column).
#[utoipa::path(
    get,
    path = "/locations/template",
    tag = "locations",
    params(FormatParam),
    responses(
        (status = 200, description = "The template, as an attachment (`.xlsx`, or `.csv` with `format=csv`)", content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
        Malformed,
    )
)]
pub async fn location_template(
    _caller: ApiCaller,
    Parsed(format, _): Parsed<FormatParam>,
) -> ApiResult<Response> {
    location_files::template(format).map_err(internal)
}

/// Import a location spreadsheet
///
/// Send the `.xlsx` or `.csv` file as the request body (up to 10 MiB, at most 5,000 rows).
/// One row per place: *Code*, *Name* and *Kind* (`Building`, `Level`, `Zone` or `Room`; also
/// *block*, *floor*, *area*, *space*) are required; *Parent* is the code of the building,
/// level or zone the place sits in (an existing place, or one on an earlier line); *Room
/// type* is a room type's code or name (rooms only). A row whose code exists already must say
/// the same as that place (it is then unchanged, so an export imports back as it is); rename
/// or move places one by one. With `dry_run=true` (the default) nothing is written; with
/// `dry_run=false` every new place is created in one transaction, or nothing is and the
/// answer is 422 naming every bad row and column.
#[utoipa::path(
    post,
    path = "/projects/{id}/locations/import",
    tag = "locations",
    params(("id" = uuid::Uuid, Path, description = "Project id"), ImportParams),
    request_body(description = "The spreadsheet file, `.csv` or `.xlsx`: any bytes, read as a spreadsheet", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, body = ImportPreview),
        (status = 409, description = "A code was taken while importing", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than 10 MiB, or holds more than an import reads (rows, columns, cells, text, unpacked bytes)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The server is reading other spreadsheets, or reading this one took too long; try again after `Retry-After`", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn import_locations(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(run, _): Parsed<ImportParams>,
    body: Body,
) -> ApiResult<Json<ImportPreview>> {
    let sheet = read_import(&state, body, &run).await?;
    let s = &state.services;
    let preview = if run.dry_run {
        s.preview_location_import(&caller.caller, id, &sheet)
            .await?
    } else {
        s.apply_location_import(&caller.caller, id, &sheet).await?
    };
    Ok(Json(preview))
}
