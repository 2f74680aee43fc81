//! Installation by room: the room sheet, recording what was installed (safe to retry with
//! an `Idempotency-Key`), reversing a record, and a project's records. A record's photo is
//! an attachment (`POST /attachments` with `owner_type=installation`).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use formula_app::installations::{
    InstallationFilter, InstallationInput, InstallationPage, ReverseInput, RoomSheet,
};
use formula_domain::installation::Installation;
use uuid::Uuid;

use super::attachments::idempotency_key;
use super::extract::{PathId, created};
use super::params::{ListFilter, PageParams, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// Filters of `GET /projects/{id}/installations`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct InstallationParams {
    /// Records in this room.
    pub room_id: Option<Uuid>,
    /// Records of this scope item.
    pub scope_item_id: Option<Uuid>,
    /// Records in rooms of this building.
    pub building_id: Option<Uuid>,
    /// Records in rooms of this level.
    pub level_id: Option<Uuid>,
}

impl ListFilter for InstallationParams {
    type Query = InstallationFilter;
    fn read(p: &mut QueryParams) -> InstallationFilter {
        InstallationFilter {
            room_id: p.id("room_id"),
            scope_item_id: p.id("scope_item_id"),
            building_id: p.id("building_id"),
            level_id: p.id("level_id"),
            paging: p.paging(),
        }
    }
}

/// A room's installation sheet
///
/// Every item expected in the room (placed in it, or on its room type with a quantity per
/// room) with what is `required`, `installed` and `remaining`, whether it is released (only
/// a released item can be installed) and what is `left_to_install` now; whether the room is
/// `complete`, how many snags are open in it, and its latest records (newest first, with
/// their photos). The team sees it; client users follow progress elsewhere (403).
#[utoipa::path(
    get,
    path = "/rooms/{id}/installation",
    tag = "installations",
    params(("id" = Uuid, Path, description = "Room id (a location of kind `room`)")),
    responses((status = 200, body = RoomSheet), Forbidden)
)]
pub async fn room_sheet(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<RoomSheet>> {
    Ok(Json(state.services.room_sheet(&caller.caller, id).await?))
}

/// Record an installation
///
/// Records that `quantity` (a decimal string, like other quantities) of a scope item were
/// installed in the room, on `installed_on` (default today; not in the future) by
/// `installer` (default: the caller's name). Refused with 409 and a sentence that says what
/// is left when more would be installed than the room holds of the item (its quantity for an
/// item placed in the room, its quantity per room for one on the room's type), even with two
/// installers at once (`not_enough_left`: "only 1 of 3 left to install in T1-L03-0305"); when
/// the item is not released to production yet (`not_released`); or when it is not expected in
/// the room (`not_in_room`).
///
/// With an `Idempotency-Key` header, a retry by the same user within 24 hours creates
/// nothing and answers with the record the first request made (200). Add the photo with
/// `POST /attachments` (`owner_type=installation`, `owner_id` the record's id,
/// `purpose=photo`).
#[utoipa::path(
    post,
    path = "/rooms/{id}/installations",
    tag = "installations",
    params(
        ("id" = Uuid, Path, description = "Room id (a location of kind `room`)"),
        ("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing (e.g. a UUID), fresh per record: a retry with the same key creates nothing new"),
    ),
    request_body = InstallationInput,
    responses(
        (status = 201, body = Installation, headers(("location" = String))),
        (status = 200, description = "This `Idempotency-Key` was sent before (a retry after a lost answer): the record the first request made, and nothing new", body = Installation),
        (status = 409, description = "More than is left to install, the item is not released or not expected in the room, or the `Idempotency-Key` was used for a different request", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn record_installation(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<InstallationInput>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers);
    let (record, new) = state
        .services
        .record_installation(&caller.caller, id, input, None, key.as_ref())
        .await?;
    if !new {
        return Ok(Json(record).into_response());
    }
    Ok(created(
        format!("{PREFIX}/installations/{}", record.id),
        None,
        Json(record),
    ))
}

/// An installation record
#[utoipa::path(
    get,
    path = "/installations/{id}",
    tag = "installations",
    params(("id" = Uuid, Path, description = "Installation record id")),
    responses((status = 200, body = Installation), Forbidden)
)]
pub async fn get_installation(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Installation>> {
    Ok(Json(
        state.services.get_installation(&caller.caller, id).await?,
    ))
}

/// Reverse an installation record
///
/// Undoes a record made by mistake: a new record takes the same quantity back (the ledger
/// keeps both). A record is reversed once (409 `already_reversed`); a reversal itself is not
/// reversed (409 `not_reversible`): record the installation again instead.
#[utoipa::path(
    post,
    path = "/installations/{id}/reverse",
    tag = "installations",
    params(("id" = Uuid, Path, description = "Installation record id")),
    request_body = ReverseInput,
    responses(
        (status = 201, description = "The record that reverses it", body = Installation, headers(("location" = String))),
        (status = 409, description = "Reversed already, or itself a reversal", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn reverse_installation(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ReverseInput>,
) -> ApiResult<Response> {
    let record = state
        .services
        .reverse_installation(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/installations/{}", record.id),
        None,
        Json(record),
    ))
}

/// A project's installation records
///
/// Newest first, with their photos, filtered by room, scope item, building or level.
#[utoipa::path(
    get,
    path = "/projects/{id}/installations",
    tag = "installations",
    params(("id" = Uuid, Path, description = "Project id"), InstallationParams, PageParams),
    responses((status = 200, body = InstallationPage), Forbidden, Invalid)
)]
pub async fn list_installations(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(filter, _): Parsed<InstallationParams>,
) -> ApiResult<Json<InstallationPage>> {
    Ok(Json(
        state
            .services
            .list_installations(&caller.caller, id, filter)
            .await?
            .into(),
    ))
}
