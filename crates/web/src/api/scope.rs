//! A project's scope of work (BOQ): groups, priced items, their order, totals, and
//! spreadsheet import and export.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::scope::{
    MoveTo, NewScopeGroup, NewScopeItem, ScopeGroupPatch, ScopeItemPatch, ScopeOverview,
};
use formula_domain::scope::{ScopeGroup, ScopeItem};
use serde::Deserialize;

use super::docs::ProblemResponse;
use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, PageParams, Parsed, ScopeParams, VersionParam};
use super::{ApiResult, PREFIX, ScopeItemPage};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// A project's scope
///
/// Every group with its subtotals, every item in order, the project totals and the units
/// items may use. Money is in minor units of `currency`. The default groups (Construction,
/// Millwork, Electrical, Mechanical/MEP) are created the first time a project's scope is read.
#[utoipa::path(
    get,
    path = "/projects/{id}/scope",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    responses(
        (status = 200, body = ScopeOverview),
        (status = 400, response = ProblemResponse),
        (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse),
    )
)]
pub async fn get_scope(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ScopeOverview>> {
    let (_, _, overview) = state.services.scope_overview(&caller.caller, id).await?;
    Ok(Json(overview))
}

/// A project's scope items
///
/// In Scope-tab order (group, then position in the group), filtered and paged.
#[utoipa::path(
    get,
    path = "/projects/{id}/scope-items",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id"), ScopeParams, PageParams),
    responses(
        (status = 200, body = ScopeItemPage),
        (status = 400, response = ProblemResponse),
        (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse),
        (status = 422, response = ProblemResponse),
    )
)]
pub async fn list_items(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(query, _): Parsed<ScopeParams>,
) -> ApiResult<Json<ScopeItemPage>> {
    Ok(Json(
        state
            .services
            .list_scope_items(&caller.caller, id, query)
            .await?
            .into(),
    ))
}

/// Add a scope item
///
/// Appended at the end of its group. `code` is suggested (`<project>-<group letter>-<nnn>`)
/// when absent; `total_minor` is always `quantity × unit_price_minor`, rounded to the minor
/// unit. Items of a millwork group need a shop drawing and a material spec unless told otherwise.
#[utoipa::path(
    post,
    path = "/projects/{id}/scope-items",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = NewScopeItem,
    responses(
        (status = 201, body = ScopeItem, headers(("etag" = String), ("location" = String))),
        (status = 400, response = ProblemResponse),
        (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, response = ProblemResponse),
    )
)]
pub async fn create_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewScopeItem>,
) -> ApiResult<Response> {
    let item = state
        .services
        .create_scope_item(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/scope-items/{}", item.id),
        Some(item.version),
        Json(item),
    ))
}

/// A scope item
#[utoipa::path(
    get,
    path = "/scope-items/{id}",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope item id")),
    responses((status = 200, body = ScopeItem, headers(("etag" = String))), (status = 400, response = ProblemResponse), (status = 404, response = ProblemResponse))
)]
pub async fn get_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let (item, _) = state.services.get_scope_item(&caller.caller, id).await?;
    Ok(with_etag(item.version, Json(item)))
}

/// Change a scope item
///
/// Send `If-Match` with the ETag, or `version`. `status: completed` sets progress to 100.
#[utoipa::path(
    patch,
    path = "/scope-items/{id}",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope item id"), IfMatchParam),
    request_body = ScopeItemPatch,
    responses(
        (status = 200, body = ScopeItem, headers(("etag" = String))),
        (status = 400, response = ProblemResponse),
        (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse),
        (status = 409, description = "Stale `version`, or the code is taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, response = ProblemResponse),
        (status = 428, description = "Neither `If-Match` nor `version` was sent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<ScopeItemPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let item = state
        .services
        .update_scope_item(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(item.version, Json(item)))
}

/// Delete a scope item
///
/// Send `If-Match` with the ETag, or `?version=`.
#[utoipa::path(
    delete,
    path = "/scope-items/{id}",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope item id"), IfMatchParam, VersionParam),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = ProblemResponse),
        (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse),
        (status = 409, description = "Stale `version`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither `If-Match` nor `version` was sent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_scope_item(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move a scope item
///
/// To `index` (0-based; past the end means last) within `group_id`, or within its own group
/// when `group_id` is absent. Send `If-Match` or `version`.
#[utoipa::path(
    post,
    path = "/scope-items/{id}/move",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope item id"), IfMatchParam),
    request_body = MoveTo,
    responses(
        (status = 200, body = ScopeItem, headers(("etag" = String))),
        (status = 400, response = ProblemResponse),
        (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse),
        (status = 409, description = "Stale `version`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, response = ProblemResponse),
        (status = 428, description = "Neither `If-Match` nor `version` was sent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn move_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(to): ApiJson<MoveTo>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, to.version)?;
    let item = state
        .services
        .move_scope_item(&caller.caller, id, expected.version, to)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(item.version, Json(item)))
}

/// Add a scope group
///
/// Placed after the existing groups. Its code letter is taken from the name unless given.
#[utoipa::path(
    post,
    path = "/projects/{id}/scope-groups",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = NewScopeGroup,
    responses(
        (status = 201, body = ScopeGroup, headers(("etag" = String), ("location" = String))),
        (status = 400, response = ProblemResponse),
        (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse),
        (status = 409, description = "The name or letter is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, response = ProblemResponse),
    )
)]
pub async fn create_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewScopeGroup>,
) -> ApiResult<Response> {
    let group = state
        .services
        .create_scope_group(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/scope-groups/{}", group.id),
        Some(group.version),
        Json(group),
    ))
}

/// Rename a scope group
///
/// Changes its name or code letter (existing item codes stay as they are). Send `If-Match` or `version`.
#[utoipa::path(
    patch,
    path = "/scope-groups/{id}",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope group id"), IfMatchParam),
    request_body = ScopeGroupPatch,
    responses(
        (status = 200, body = ScopeGroup, headers(("etag" = String))),
        (status = 400, response = ProblemResponse),
        (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse),
        (status = 409, description = "Stale `version`, or the name or letter is taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, response = ProblemResponse),
        (status = 428, description = "Neither `If-Match` nor `version` was sent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<ScopeGroupPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let group = state
        .services
        .update_scope_group(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(group.version, Json(group)))
}

/// Delete a scope group
///
/// Only an empty group can be deleted (409 `has_dependents` otherwise). Send `If-Match` or `?version=`.
#[utoipa::path(
    delete,
    path = "/scope-groups/{id}",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope group id"), IfMatchParam, VersionParam),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = ProblemResponse),
        (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse),
        (status = 409, description = "Stale `version`, or the group still holds items", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither `If-Match` nor `version` was sent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_scope_group(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where to move a group.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMove {
    /// 0-based position among the project's groups; past the end means last.
    pub index: u32,
}

/// Move a scope group
#[utoipa::path(
    post,
    path = "/scope-groups/{id}/move",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope group id")),
    request_body = GroupMove,
    responses(
        (status = 204, description = "Moved"),
        (status = 400, response = ProblemResponse),
        (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse),
        (status = 422, response = ProblemResponse),
    )
)]
pub async fn move_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(to): ApiJson<GroupMove>,
) -> ApiResult<StatusCode> {
    state
        .services
        .move_scope_group(&caller.caller, id, to.index)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
