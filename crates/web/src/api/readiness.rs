//! The production-readiness gate: a project's readiness, its rule on materials, and
//! releasing scope items to production.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::readiness::ReleaseInput;
use formula_domain::readiness::{MaterialsRule, Readiness};
use formula_domain::scope::ScopeItem;
use serde::Deserialize;

use super::ApiResult;
use super::extract::{Expected, IfMatch, PathId, with_etag};
use super::params::{IfMatchParam, ListFilter, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;
use formula_app::location_filter::LocationFilter;

/// Filters of `GET /projects/{id}/readiness`: the items placed there.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadinessParams {
    /// Only items in a room of this building (or on a room type with rooms in it).
    pub building_id: Option<uuid::Uuid>,
    /// Only items in a room of this level (or on a room type with rooms on it).
    pub level_id: Option<uuid::Uuid>,
    /// Only items in this room (or on its room type).
    pub room_id: Option<uuid::Uuid>,
    /// Only items placed on this room type.
    pub room_type_id: Option<uuid::Uuid>,
}

impl ListFilter for ReadinessParams {
    type Query = LocationFilter;
    fn read(p: &mut QueryParams) -> LocationFilter {
        p.place()
    }
}

/// A project's readiness for production
///
/// Each scope item, ready or blocked, with every blocker explained; readiness per group and
/// overall; and the drawings and materials whose approval or order would unblock most. With
/// a place, only the items placed there count (rates included).
#[utoipa::path(
    get,
    path = "/projects/{id}/readiness",
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Project id"), ReadinessParams),
    responses((status = 200, body = Readiness), Forbidden, Invalid)
)]
pub async fn get_readiness(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(place, _): Parsed<ReadinessParams>,
) -> ApiResult<Json<Readiness>> {
    let (_, _, r) = state.services.readiness(&caller.caller, id, &place).await?;
    Ok(Json(r))
}

/// The project's readiness rule.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadinessRule {
    /// How far linked materials must have come before an item is ready: `approved`
    /// (approval is enough), `ordered`, or `delivered` (every linked specification
    /// delivered in full, or installed).
    pub materials_rule: MaterialsRule,
}

/// Set the readiness rule
#[utoipa::path(
    put,
    path = "/projects/{id}/readiness/rule",
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = ReadinessRule,
    responses((status = 204, description = "Saved"), Forbidden, Invalid)
)]
pub async fn set_rule(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(rule): ApiJson<ReadinessRule>,
) -> ApiResult<StatusCode> {
    state
        .services
        .set_readiness_rule(&caller.caller, id, rule.materials_rule)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Release a scope item to production
///
/// Refused with 409 `not_ready` (listing every blocker) while the item is blocked. An
/// administrator may release a blocked item with an `override_reason`, which is kept with
/// the item and audited. Send `If-Match` or `version`.
#[utoipa::path(
    post,
    path = "/scope-items/{id}/release",
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Scope item id"), IfMatchParam),
    request_body = ReleaseInput,
    responses(
        (status = 200, body = ScopeItem, headers(("etag" = String))),
        (status = 409, description = "Not ready, already released, or a stale `version`", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn release(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<ReleaseInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let item = state
        .services
        .release_scope_item(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(item.version, Json(item)))
}
