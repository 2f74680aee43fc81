//! Variations (change orders): the project's register, raising one (from an RFI too),
//! pricing its lines, submitting it to the client, withdrawal, the client's decision, its
//! PDF and the register as a spreadsheet.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use formula_app::variations::{
    LineInput, NewVariation, VariationDecisionInput, VariationDetails, VariationPatch,
    WithdrawInput,
};
use formula_domain::variation::{Variation, VariationStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Expected, IfMatch, PathId, PathIds, created, with_etag};
use super::params::{IfMatchParam, ListFilter, PageParams, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// The variation routes, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_variations, create_variation))
        .routes(routes!(get_variation, update_variation))
        .routes(routes!(add_line))
        .routes(routes!(update_line, delete_line))
        .routes(routes!(submit_variation))
        .routes(routes!(withdraw_variation))
        .routes(routes!(decide_variation))
        .routes(routes!(variation_pdf))
        .routes(routes!(register_xlsx))
}

/// One page of variations.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct VariationPage {
    pub items: Vec<Variation>,
    /// Matching variations across all pages.
    pub total: i64,
    /// 1-based page number.
    pub page: u64,
    /// Page size used.
    pub limit: u32,
}

/// Filters of the variation register.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct VariationParams {
    pub status: Option<VariationStatus>,
}

pub struct Filters {
    status: Option<VariationStatus>,
    paging: formula_app::query::Paging,
}

impl ListFilter for VariationParams {
    type Query = Filters;
    fn read(p: &mut QueryParams) -> Filters {
        Filters {
            status: p.choice("status"),
            paging: p.paging(),
        }
    }
}

/// A project's variations
///
/// Newest first, filtered by status. Client users get those submitted to them and the
/// client's own requests, a draft without its total or time impact.
#[utoipa::path(
    get,
    path = "/projects/{id}/variations",
    tag = "variations",
    params(("id" = Uuid, Path, description = "Project id"), VariationParams, PageParams),
    responses((status = 200, body = VariationPage), Forbidden, Invalid)
)]
pub async fn list_variations(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(filters, _): Parsed<VariationParams>,
) -> ApiResult<Json<VariationPage>> {
    let paging = filters.paging;
    let (items, total, _) = state
        .services
        .list_variations(&caller.caller, id, filters.status, Some(paging))
        .await?;
    Ok(Json(VariationPage {
        items,
        total,
        page: paging.page(),
        limit: paging.limit,
    }))
}

/// Raise a variation
///
/// A draft numbered `VO-001`, `VO-002`, … per project. From an RFI of the project
/// (`rfi_id`), its reason is `rfi`, its title `RFI-004: <subject>` and its description the
/// RFI's answer unless given. A client user's is a request with a title and a description
/// only, which the team then prices.
#[utoipa::path(
    post,
    path = "/projects/{id}/variations",
    tag = "variations",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = NewVariation,
    responses(
        (status = 201, body = Variation, headers(("etag" = String), ("location" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_variation(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewVariation>,
) -> ApiResult<Response> {
    let v = state
        .services
        .create_variation(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/variations/{}", v.id),
        Some(v.version),
        Json(v),
    ))
}

/// A variation with its lines and decisions
///
/// With what the caller may do with it. Client users get a draft (their own request)
/// without lines, total or time impact.
#[utoipa::path(
    get,
    path = "/variations/{id}",
    tag = "variations",
    params(("id" = Uuid, Path, description = "Variation id")),
    responses((status = 200, body = VariationDetails, headers(("etag" = String))))
)]
pub async fn get_variation(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let d = state.services.get_variation(&caller.caller, id).await?;
    Ok(with_etag(d.variation.version, Json(d)))
}

/// Change a draft variation
///
/// Its title, description, reason and time impact, while it is a draft. Send `If-Match`
/// or `version`.
#[utoipa::path(
    patch,
    path = "/variations/{id}",
    tag = "variations",
    params(("id" = Uuid, Path, description = "Variation id"), IfMatchParam),
    request_body = VariationPatch,
    responses(
        (status = 200, body = Variation, headers(("etag" = String))),
        (status = 409, description = "Not a draft any more (`locked`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_variation(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<VariationPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let v = state
        .services
        .update_variation(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(v.version, Json(v)))
}

/// Add a line to a draft variation
///
/// `add`: a new item in `group_id` with its `name`, `unit`, `quantity` and
/// `unit_price_minor` (its `code`, or the group's next free one on approval); `omit`: the
/// existing `scope_item_id`, priced at minus its current total; `change`: the existing
/// `scope_item_id` with a new `quantity` and/or `unit_price_minor`, priced at the new total
/// minus the old. The variation's total follows. Send `If-Match` or `version` (the
/// variation's).
#[utoipa::path(
    post,
    path = "/variations/{id}/lines",
    tag = "variations",
    params(("id" = Uuid, Path, description = "Variation id"), IfMatchParam),
    request_body = LineInput,
    responses(
        (status = 200, body = VariationDetails, headers(("etag" = String))),
        (status = 409, description = "Not a draft any more (`locked`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn add_line(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<LineInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let d = state
        .services
        .add_variation_line(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.variation.version, Json(d)))
}

/// Replace a line of a draft variation
///
/// As adding one. Send `If-Match` or `version` (the variation's).
#[utoipa::path(
    put,
    path = "/variations/{id}/lines/{line_id}",
    tag = "variations",
    params(
        ("id" = Uuid, Path, description = "Variation id"),
        ("line_id" = Uuid, Path, description = "Line id"),
        IfMatchParam,
    ),
    request_body = LineInput,
    responses(
        (status = 200, body = VariationDetails, headers(("etag" = String))),
        (status = 409, description = "Not a draft any more (`locked`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_line(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathIds(id, line_id): PathIds,
    if_match: IfMatch,
    ApiJson(input): ApiJson<LineInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let d = state
        .services
        .update_variation_line(&caller.caller, id, line_id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.variation.version, Json(d)))
}

/// Remove a line of a draft variation
///
/// Send `If-Match` (the variation's version).
#[utoipa::path(
    delete,
    path = "/variations/{id}/lines/{line_id}",
    tag = "variations",
    params(
        ("id" = Uuid, Path, description = "Variation id"),
        ("line_id" = Uuid, Path, description = "Line id"),
        IfMatchParam,
    ),
    responses(
        (status = 200, body = VariationDetails, headers(("etag" = String))),
        (status = 409, description = "Not a draft any more (`locked`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn delete_line(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathIds(id, line_id): PathIds,
    if_match: IfMatch,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, None)?;
    let d = state
        .services
        .remove_variation_line(&caller.caller, id, line_id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.variation.version, Json(d)))
}

/// The version of a step, from `If-Match` or the body.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariationStepInput {
    #[serde(default)]
    pub version: Option<i64>,
}

/// Submit a variation to the client
///
/// A priced draft (at least one line). The client users who decide and the project manager
/// are told.
#[utoipa::path(
    post,
    path = "/variations/{id}/submit",
    tag = "variations",
    params(("id" = Uuid, Path, description = "Variation id"), IfMatchParam),
    request_body = VariationStepInput,
    responses(
        (status = 200, body = Variation, headers(("etag" = String))),
        (status = 409, description = "Not a draft (`invalid_transition`, `locked`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn submit_variation(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<VariationStepInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let v = state
        .services
        .submit_variation(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(v.version, Json(v)))
}

/// Withdraw a variation
///
/// Before a decision, with an optional reason; nothing more happens to it.
#[utoipa::path(
    post,
    path = "/variations/{id}/withdraw",
    tag = "variations",
    params(("id" = Uuid, Path, description = "Variation id"), IfMatchParam),
    request_body = WithdrawInput,
    responses(
        (status = 200, body = Variation, headers(("etag" = String))),
        (status = 409, description = "Decided or withdrawn already (`locked`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn withdraw_variation(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<WithdrawInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let v = state
        .services
        .withdraw_variation(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(v.version, Json(v)))
}

/// Approve or reject a submitted variation
///
/// The client's decision (client users of the project), or a project manager recording
/// the client's decision given outside the app (the decision history shows who recorded
/// it). A rejection needs `comments`. An approval, in one transaction: adds the new items,
/// changes and omits the existing ones, and moves the project's contract value by the
/// total; refused (409 `variation_outdated`, nothing changed) when an omitted or changed
/// item no longer matches what was priced. Two approvals at once: the second is refused
/// as stale, and the variation is applied once.
#[utoipa::path(
    post,
    path = "/variations/{id}/decide",
    tag = "variations",
    params(("id" = Uuid, Path, description = "Variation id"), IfMatchParam),
    request_body = VariationDecisionInput,
    responses(
        (status = 200, body = Variation, headers(("etag" = String))),
        (status = 409, description = "Not submitted (`invalid_transition`), withdrawn (`locked`), an item changed since it was priced (`variation_outdated`), installed quantities in the way (`installed_exceeds`), or decided by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn decide_variation(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<VariationDecisionInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let v = state
        .services
        .decide_variation(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(v.version, Json(v)))
}

/// A variation as PDF, for the client
///
/// On the company letterhead: number, project, client, reason, the lines (add, omit,
/// change: quantity, unit, rate, amount), the total, the time impact, status and decision.
#[utoipa::path(
    get,
    path = "/variations/{id}/pdf",
    tag = "variations",
    params(("id" = Uuid, Path, description = "Variation id")),
    responses((status = 200, description = "The PDF, as an attachment", content(("application/pdf"))))
)]
pub async fn variation_pdf(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    Ok(crate::variation_exports::pdf(&state, &caller.caller, id).await?)
}

/// The variation register as a spreadsheet
///
/// A sheet of the variations and a sheet of their lines; client users get only what they
/// may see (a draft request without lines).
#[utoipa::path(
    get,
    path = "/projects/{id}/variations.xlsx",
    tag = "variations",
    params(("id" = Uuid, Path, description = "Project id")),
    responses(
        (status = 200, description = "The spreadsheet, as an attachment", content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        Forbidden,
    )
)]
pub async fn register_xlsx(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    Ok(crate::variation_exports::xlsx(&state, &caller.caller, id).await?)
}
