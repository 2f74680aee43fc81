//! RFIs (requests for information): the project's register with its filters, raising one
//! (to a user, or to an outside address that is mailed it with its PDF), editing, links,
//! the answer, closing and reopening, sending again, the PDF and the register as xlsx.
//! Files go through the attachments API (`owner_type` `rfi`).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use formula_app::repos::RfiFilter;
use formula_app::rfis::{NewRfi, RfiAnswerInput, RfiLinksInput, RfiPatch, RfiVersion};
use formula_domain::rfi::{Rfi, RfiLinks, RfiMove, RfiStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, ListFilter, PageParams, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::rfi_documents::render_rfi;
use crate::state::AppState;

/// The RFI routes, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_rfis, create_rfi))
        .routes(routes!(export_xlsx))
        .routes(routes!(get_rfi, update_rfi))
        .routes(routes!(set_links))
        .routes(routes!(answer_rfi))
        .routes(routes!(close_rfi))
        .routes(routes!(reopen_rfi))
        .routes(routes!(send_rfi))
        .routes(routes!(rfi_pdf))
}

/// One page of RFIs.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RfiPage {
    pub items: Vec<Rfi>,
    /// Matching RFIs across all pages.
    pub total: i64,
    /// 1-based page number.
    pub page: u64,
    /// Page size used.
    pub limit: u32,
}

/// An RFI with what it links to.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RfiView {
    #[serde(flatten)]
    pub rfi: Rfi,
    pub links: RfiLinks,
}

/// Filters of the register and its export (all ANDed).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct RfiParams {
    pub status: Option<RfiStatus>,
    /// `true`: only those open past their required-by date.
    pub overdue: Option<bool>,
    /// `true`: only those addressed to the caller.
    pub addressed_to_me: Option<bool>,
    /// `true`: only those whose ball is in the caller's court (open and addressed to them,
    /// or answered and raised by them).
    pub ball_in_my_court: Option<bool>,
    /// Words in the subject or question.
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// The filters, read once for the list and the export.
pub struct Filters {
    filter: RfiFilter,
    overdue: bool,
    mine: bool,
    ball: bool,
    /// `page` and `limit` (the list only; the export takes every match).
    pub paging: formula_app::query::Paging,
}

impl Filters {
    /// The store's filter, with "overdue" as of `today` and "me" the caller.
    pub fn resolve(mut self, today: time::Date, me: Uuid) -> RfiFilter {
        if self.overdue {
            self.filter.overdue_on = Some(today);
        }
        if self.mine {
            self.filter.addressed_to = Some(me);
        }
        if self.ball {
            self.filter.ball_with = Some(me);
        }
        self.filter
    }
}

impl ListFilter for RfiParams {
    type Query = Filters;
    fn read(p: &mut QueryParams) -> Filters {
        Filters {
            filter: RfiFilter {
                status: p.choice("status"),
                q: p.text("q"),
                ..RfiFilter::default()
            },
            overdue: p.flag("overdue").unwrap_or(false),
            mine: p.flag("addressed_to_me").unwrap_or(false),
            ball: p.flag("ball_in_my_court").unwrap_or(false),
            paging: p.paging(),
        }
    }
}

async fn view(state: &AppState, caller: &ApiCaller, rfi: Rfi) -> ApiResult<Response> {
    let (rfi, links) = state
        .services
        .get_rfi_with_links(&caller.caller, rfi.id)
        .await?;
    Ok(with_etag(rfi.version, Json(RfiView { rfi, links })))
}

/// A project's RFIs
///
/// Newest first; filtered by status, overdue, addressed to the caller, the ball in the
/// caller's court, and words. Client users get only those addressed to them or shared
/// with the client.
#[utoipa::path(
    get,
    path = "/projects/{id}/rfis",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "Project id"), RfiParams, PageParams),
    responses((status = 200, body = RfiPage), Forbidden, Invalid)
)]
pub async fn list_rfis(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(filters, _): Parsed<RfiParams>,
) -> ApiResult<Json<RfiPage>> {
    let s = &state.services;
    let paging = filters.paging;
    let me = caller.caller.actor.user_id;
    let (items, total, _) = s
        .list_rfis(
            &caller.caller,
            id,
            filters.resolve(s.today(), me),
            Some(paging),
        )
        .await?;
    Ok(Json(RfiPage {
        items,
        total,
        page: paging.page(),
        limit: paging.limit,
    }))
}

/// Raise an RFI
///
/// To exactly one of a user (a member of the project team, or a user of the project's
/// client, which shares it with the client) or an outside e-mail address, which is mailed
/// the RFI at once with its PDF attached (the PDF is kept as the RFI's file). Links to the
/// project's drawings, scope items and rooms. Its number is the project's next (`RFI-001`).
#[utoipa::path(
    post,
    path = "/projects/{id}/rfis",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = NewRfi,
    responses(
        (status = 201, body = RfiView, headers(("etag" = String), ("location" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_rfi(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewRfi>,
) -> ApiResult<Response> {
    let rfi = state
        .services
        .raise_rfi(&caller.caller, id, input, render_rfi)
        .await?;
    let (rfi, links) = state
        .services
        .get_rfi_with_links(&caller.caller, rfi.id)
        .await?;
    Ok(created(
        format!("{PREFIX}/rfis/{}", rfi.id),
        Some(rfi.version),
        Json(RfiView { rfi, links }),
    ))
}

/// An RFI
///
/// With its links and its answer.
#[utoipa::path(
    get,
    path = "/rfis/{id}",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "RFI id")),
    responses((status = 200, body = RfiView, headers(("etag" = String))))
)]
pub async fn get_rfi(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let (rfi, links) = state
        .services
        .get_rfi_with_links(&caller.caller, id)
        .await?;
    Ok(with_etag(rfi.version, Json(RfiView { rfi, links })))
}

/// Change an RFI
///
/// Its subject, question, addressee, required-by date and whether the client sees it (an
/// RFI addressed to a client user stays shared). A user it is newly addressed to is told.
/// Send `If-Match` or `version`.
#[utoipa::path(
    patch,
    path = "/rfis/{id}",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "RFI id"), IfMatchParam),
    request_body = RfiPatch,
    responses(
        (status = 200, body = RfiView, headers(("etag" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_rfi(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<RfiPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let rfi = state
        .services
        .update_rfi(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    view(&state, &caller, rfi).await
}

/// Set what an RFI links to
///
/// Replaces its drawings, scope items and rooms (each must be the project's). Send
/// `If-Match` or `version`.
#[utoipa::path(
    put,
    path = "/rfis/{id}/links",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "RFI id"), IfMatchParam),
    request_body = RfiLinksInput,
    responses(
        (status = 200, body = RfiView, headers(("etag" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn set_links(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<RfiLinksInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let (rfi, links) = state
        .services
        .set_rfi_links(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(rfi.version, Json(RfiView { rfi, links })))
}

/// Answer an RFI
///
/// While it is open; it becomes answered and the ball goes back to the raiser, who and
/// the project's managers are told. Those who answer RFIs (a client user only when it is
/// addressed to them); the team records an outside addressee's answer, filed under their
/// name. `cost_impact` / `time_impact` offer to start a variation from it.
#[utoipa::path(
    post,
    path = "/rfis/{id}/answer",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "RFI id"), IfMatchParam),
    request_body = RfiAnswerInput,
    responses(
        (status = 200, body = RfiView, headers(("etag" = String))),
        (status = 409, description = "Not open (`invalid_transition`), or changed by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn answer_rfi(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<RfiAnswerInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let rfi = state
        .services
        .answer_rfi(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    view(&state, &caller, rfi).await
}

async fn move_rfi(
    state: AppState,
    caller: ApiCaller,
    id: Uuid,
    if_match: IfMatch,
    input: RfiVersion,
    m: RfiMove,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let rfi = state
        .services
        .move_rfi(&caller.caller, id, m, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    view(&state, &caller, rfi).await
}

/// Close an RFI
///
/// From open or answered. For those who manage RFIs.
#[utoipa::path(
    post,
    path = "/rfis/{id}/close",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "RFI id"), IfMatchParam),
    request_body = RfiVersion,
    responses(
        (status = 200, body = RfiView, headers(("etag" = String))),
        (status = 409, description = "Closed already (`invalid_transition`), or changed by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn close_rfi(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<RfiVersion>,
) -> ApiResult<Response> {
    move_rfi(state, caller, id, if_match, input, RfiMove::Close).await
}

/// Reopen an RFI
///
/// From answered or closed, back to open (the answer did not settle it). For those who
/// manage RFIs.
#[utoipa::path(
    post,
    path = "/rfis/{id}/reopen",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "RFI id"), IfMatchParam),
    request_body = RfiVersion,
    responses(
        (status = 200, body = RfiView, headers(("etag" = String))),
        (status = 409, description = "Open already (`invalid_transition`), or changed by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn reopen_rfi(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<RfiVersion>,
) -> ApiResult<Response> {
    move_rfi(state, caller, id, if_match, input, RfiMove::Reopen).await
}

/// Mail an RFI again
///
/// To its outside addressee, with its PDF as it is now (kept as the RFI's file). Only an
/// open RFI addressed to an e-mail address.
#[utoipa::path(
    post,
    path = "/rfis/{id}/send",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "RFI id")),
    responses(
        (status = 200, body = RfiView, headers(("etag" = String))),
        (status = 409, description = "Addressed to a user of the app (`not_external`), or not open (`not_open`)", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn send_rfi(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let rfi = state
        .services
        .send_rfi(&caller.caller, id, render_rfi)
        .await?;
    view(&state, &caller, rfi).await
}

/// An RFI as PDF
///
/// On the company letterhead: who asks whom, the question, what it is about, the answer.
#[utoipa::path(
    get,
    path = "/rfis/{id}/pdf",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "RFI id")),
    responses((status = 200, description = "The PDF, as an attachment", content(("application/pdf"))))
)]
pub async fn rfi_pdf(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let doc = state.services.rfi_document(&caller.caller, id).await?;
    Ok(crate::rfi_documents::pdf(doc).await?)
}

/// The RFI register as a spreadsheet
///
/// The same filters as the list; every matching RFI (client users: only theirs).
#[utoipa::path(
    get,
    path = "/projects/{id}/rfis.xlsx",
    tag = "rfis",
    params(("id" = Uuid, Path, description = "Project id"), RfiParams),
    responses(
        (status = 200, description = "The spreadsheet, as an attachment", content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        Forbidden,
        Invalid,
    )
)]
pub async fn export_xlsx(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(filters, _): Parsed<RfiParams>,
) -> ApiResult<Response> {
    let s = &state.services;
    let me = caller.caller.actor.user_id;
    let export = s
        .rfi_export(&caller.caller, id, filters.resolve(s.today(), me))
        .await?;
    Ok(crate::rfi_documents::xlsx(&export)?)
}
