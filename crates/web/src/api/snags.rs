//! Snags (punch items): the project's list with its filters, raising, editing, the moves
//! through their states, photos, the xlsx and PDF exports for the site walk, and room
//! sign-off.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use formula_app::AppError;
use formula_app::attachments::AttachmentList;
use formula_app::idempotency::{Fingerprint, Once};
use formula_app::repos::SnagFilter;
use formula_app::signoff::{SignOffInput, SignOffState};
use formula_app::snags::{NewSnag, SnagMoveInput, SnagPatch};
use formula_domain::attachment::Attachment;
use formula_domain::snag::{Snag, SnagStatus, Transition};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::attachments::idempotency_key;
use super::drawings::upload_error;
use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, ListFilter, PageParams, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid, Malformed};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, ApiMultipart, Problem};
use crate::state::AppState;
use crate::uploads;

/// The snag routes, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_snags, create_snag))
        .routes(routes!(get_snag, update_snag))
        .routes(routes!(fix_snag))
        .routes(routes!(verify_snag))
        .routes(routes!(close_snag))
        .routes(routes!(reject_snag))
        .routes(routes!(reopen_snag))
        .routes(routes!(export_xlsx))
        .routes(routes!(export_pdf))
        .routes(routes!(signoff_state, sign_off, withdraw_signoff))
        // Uploads stream to disk under their own limit (MAX_UPLOAD_SIZE), not the body limit.
        .merge(
            OpenApiRouter::default()
                .routes(routes!(list_photos, add_photo))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

/// One page of snags.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SnagPage {
    pub items: Vec<Snag>,
    /// Matching snags across all pages.
    pub total: i64,
    /// 1-based page number.
    pub page: u64,
    /// Page size used.
    pub limit: u32,
}

/// Filters of the snag list and its exports (all ANDed).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct SnagParams {
    pub status: Option<SnagStatus>,
    /// Snags in this room.
    pub room_id: Option<Uuid>,
    /// Snags in the rooms of this level.
    pub level_id: Option<Uuid>,
    /// Snags in the rooms of this building.
    pub building_id: Option<Uuid>,
    /// Snags this team member is responsible for.
    pub responsible_user_id: Option<Uuid>,
    /// Snags given to this trade (the whole name, any case).
    #[param(max_length = 200)]
    pub trade: Option<String>,
    /// `true`: only those open or fixed and past their due date.
    pub overdue: Option<bool>,
    /// Only those shared with the client (`true`) or only internal ones (`false`). Client
    /// users only ever get those shared with them.
    pub client_visible: Option<bool>,
    /// Words in the title or description.
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// The filters, read once for the list and the exports.
pub struct Filters {
    pub filter: SnagFilter,
    overdue: bool,
    /// `page` and `limit` (the list only; exports take every match).
    pub paging: formula_app::query::Paging,
}

impl Filters {
    /// The store's filter, with "overdue" as of `today`.
    pub fn as_of(mut self, today: time::Date) -> SnagFilter {
        if self.overdue {
            self.filter.overdue_on = Some(today);
        }
        self.filter
    }
}

impl ListFilter for SnagParams {
    type Query = Filters;
    fn read(p: &mut QueryParams) -> Filters {
        Filters {
            filter: SnagFilter {
                status: p.choice("status"),
                room_id: p.id("room_id"),
                level_id: p.id("level_id"),
                building_id: p.id("building_id"),
                responsible_user_id: p.id("responsible_user_id"),
                responsible_trade: p.text("trade"),
                overdue_on: None,
                client_visible: p.flag("client_visible"),
                q: p.text("q"),
                client_only: false,
            },
            overdue: p.flag("overdue").unwrap_or(false),
            paging: p.paging(),
        }
    }
}

/// A project's snags
///
/// Grouped by level and room (in their order), then by number; filtered by status, room,
/// level, building, responsible person or trade, overdue, client visibility and words.
/// Client users get only the snags shared with them, and no scope items.
#[utoipa::path(
    get,
    path = "/projects/{id}/snags",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Project id"), SnagParams, PageParams),
    responses((status = 200, body = SnagPage), Forbidden, Invalid)
)]
pub async fn list_snags(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(filters, _): Parsed<SnagParams>,
) -> ApiResult<Json<SnagPage>> {
    let s = &state.services;
    let paging = filters.paging;
    let (items, total, _) = s
        .list_snags(&caller.caller, id, filters.as_of(s.today()), Some(paging))
        .await?;
    Ok(Json(SnagPage {
        items,
        total,
        page: paging.page(),
        limit: paging.limit,
    }))
}

/// Raise a snag
///
/// In one of the project's rooms, optionally on a scope item placed in that room or on its
/// room type, with a category (`other` unless given), who is to fix it (a team member or a
/// trade) and by when. A client user's snag arrives open and shared with the client, with
/// them as its author; they give the room, title, description and category only. A snag
/// raised in a signed-off room reopens the sign-off. Its number is the project's next
/// (`SN-001`).
///
/// With an `Idempotency-Key` header, a retry by the same user within 24 hours raises
/// nothing new and answers with the snag the first request raised (200); the same key with
/// a different request is refused (409 `idempotency_key_reused`).
#[utoipa::path(
    post,
    path = "/projects/{id}/snags",
    tag = "snags",
    params(
        ("id" = Uuid, Path, description = "Project id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing (e.g. a UUID), fresh per snag: a retry with the same key raises nothing new"),
    ),
    request_body = NewSnag,
    responses(
        (status = 201, body = Snag, headers(("etag" = String), ("location" = String))),
        (status = 200, description = "This `Idempotency-Key` was sent before (a retry after a lost answer): the snag the first request raised", body = Snag),
        (status = 409, description = "The `Idempotency-Key` was used for a different request, or its first request is still being handled", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_snag(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewSnag>,
) -> ApiResult<Response> {
    let s = &state.services;
    let key = idempotency_key(&headers);
    let request = Fingerprint::new("snag")
        .part(id.as_bytes())
        .part(serde_json::to_vec(&input).unwrap_or_default());
    let once = s
        .once(
            &caller.caller,
            key.as_ref(),
            "snag",
            request,
            |snag: &Snag| snag.id,
            || s.raise_snag(&caller.caller, id, input),
        )
        .await?;
    let snag = match once {
        Once::New(snag) => snag,
        Once::Earlier(earlier) => {
            let snag = s.get_snag(&caller.caller, earlier).await?;
            return Ok(with_etag(snag.version, Json(snag)));
        }
    };
    Ok(created(
        format!("{PREFIX}/snags/{}", snag.id),
        Some(snag.version),
        Json(snag),
    ))
}

/// A snag
#[utoipa::path(
    get,
    path = "/snags/{id}",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Snag id")),
    responses((status = 200, body = Snag, headers(("etag" = String))))
)]
pub async fn get_snag(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let s = state.services.get_snag(&caller.caller, id).await?;
    Ok(with_etag(s.version, Json(s)))
}

/// Change or assign a snag
///
/// Its title, description, category, scope item, responsible person or trade, due date
/// and whether the client sees it. Whoever becomes responsible is told. Send `If-Match` or
/// `version`.
#[utoipa::path(
    patch,
    path = "/snags/{id}",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Snag id"), IfMatchParam),
    request_body = SnagPatch,
    responses(
        (status = 200, body = Snag, headers(("etag" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_snag(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<SnagPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let s = state
        .services
        .update_snag(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(s.version, Json(s)))
}

async fn move_snag(
    state: AppState,
    caller: ApiCaller,
    id: Uuid,
    if_match: IfMatch,
    input: SnagMoveInput,
    transition: Transition,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let s = state
        .services
        .move_snag(&caller.caller, id, transition, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(s.version, Json(s)))
}

/// Mark a snag fixed
///
/// From open. For those who work on snags; whoever raised it is told.
#[utoipa::path(
    post,
    path = "/snags/{id}/fix",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Snag id"), IfMatchParam),
    request_body = SnagMoveInput,
    responses(
        (status = 200, body = Snag, headers(("etag" = String))),
        (status = 409, description = "Not open (`invalid_transition`), or moved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn fix_snag(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<SnagMoveInput>,
) -> ApiResult<Response> {
    move_snag(state, caller, id, if_match, input, Transition::Fix).await
}

/// Verify a snag's fix
///
/// From fixed. For those who run the site (verify snags).
#[utoipa::path(
    post,
    path = "/snags/{id}/verify",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Snag id"), IfMatchParam),
    request_body = SnagMoveInput,
    responses(
        (status = 200, body = Snag, headers(("etag" = String))),
        (status = 409, description = "Not fixed (`invalid_transition`), or moved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn verify_snag(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<SnagMoveInput>,
) -> ApiResult<Response> {
    move_snag(state, caller, id, if_match, input, Transition::Verify).await
}

/// Close a snag
///
/// From verified. For those who verify snags; whoever raised it is told.
#[utoipa::path(
    post,
    path = "/snags/{id}/close",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Snag id"), IfMatchParam),
    request_body = SnagMoveInput,
    responses(
        (status = 200, body = Snag, headers(("etag" = String))),
        (status = 409, description = "Not verified (`invalid_transition`), or moved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn close_snag(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<SnagMoveInput>,
) -> ApiResult<Response> {
    move_snag(state, caller, id, if_match, input, Transition::Close).await
}

/// Reject a snag
///
/// From open or fixed, with a `reason` (not a defect, or not ours). For those who verify
/// snags.
#[utoipa::path(
    post,
    path = "/snags/{id}/reject",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Snag id"), IfMatchParam),
    request_body = SnagMoveInput,
    responses(
        (status = 200, body = Snag, headers(("etag" = String))),
        (status = 409, description = "Not open or fixed (`invalid_transition`), or moved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn reject_snag(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<SnagMoveInput>,
) -> ApiResult<Response> {
    move_snag(state, caller, id, if_match, input, Transition::Reject).await
}

/// Reopen a snag
///
/// From fixed, verified, closed or rejected, back to open (the fix did not hold). For
/// those who verify snags.
#[utoipa::path(
    post,
    path = "/snags/{id}/reopen",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Snag id"), IfMatchParam),
    request_body = SnagMoveInput,
    responses(
        (status = 200, body = Snag, headers(("etag" = String))),
        (status = 409, description = "Open already (`invalid_transition`), or moved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn reopen_snag(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<SnagMoveInput>,
) -> ApiResult<Response> {
    move_snag(state, caller, id, if_match, input, Transition::Reopen).await
}

/// A snag's photos
///
/// Oldest first, with whether the caller may add and remove them. Client users are served
/// only the photos' stripped copies (`/attachments/{id}/display` and `/thumbnail`).
#[utoipa::path(
    get,
    path = "/snags/{id}/photos",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Snag id")),
    responses((status = 200, body = AttachmentList))
)]
pub async fn list_photos(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<AttachmentList>> {
    Ok(Json(state.services.snag_photos(&caller.caller, id).await?))
}

/// The form of `POST /snags/{id}/photos` (`multipart/form-data`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the form for the document; the handler reads the parts.
pub struct SnagPhotoForm {
    /// The photo (JPEG or PNG get a display copy and a thumbnail), at most `MAX_UPLOAD_SIZE`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    #[schema(nullable = false, max_length = 500)]
    caption: Option<String>,
}

/// Add a photo to a snag
///
/// `multipart/form-data` with a `file` part and optionally a `caption`. Those who work on
/// or verify snags, and whoever raised it, add photos. The photo pipeline of attachments:
/// EXIF orientation applied and GPS stripped in the copies client users are served. With
/// an `Idempotency-Key` header (or the same file sent again), a retry creates nothing new
/// and answers with the photo the first request made (200).
#[utoipa::path(
    post,
    path = "/snags/{id}/photos",
    tag = "snags",
    params(
        ("id" = Uuid, Path, description = "Snag id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing (e.g. a UUID), fresh per upload: a retry with the same key creates nothing new"),
    ),
    request_body(content = SnagPhotoForm, description = "`file`, and optionally `caption`", content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Attachment, headers(("location" = String))),
        (status = 200, description = "This photo was added already (a retried upload): that attachment, and nothing new is stored", body = Attachment),
        (status = 409, description = "The `Idempotency-Key` was used for a different request, or its first request is still being handled", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than MAX_UPLOAD_SIZE", body = Problem, content_type = "application/problem+json"),
        Malformed,
        Forbidden,
        Invalid,
    )
)]
pub async fn add_photo(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<Response> {
    let s = &state.services;
    let form =
        uploads::spool_multipart(multipart, &s.blobs.spool_dir(), state.web.max_upload_bytes)
            .await
            .map_err(upload_error)?;
    let Some(file) = form.file() else {
        return Err(AppError::field("file", "attach the photo as the `file` part").into());
    };
    let caption = form.field("caption").map(str::to_owned);
    let key = idempotency_key(&headers);
    let request = Fingerprint::new("snag_photo")
        .part(id.as_bytes())
        .opt(caption.as_deref())
        .part(&file.0.name)
        .part(&file.0.sha256);
    let once = s
        .once(
            &caller.caller,
            key.as_ref(),
            "attachment",
            request,
            |(a, _): &(Attachment, bool)| a.id,
            || s.add_snag_photo(&caller.caller, id, caption, &file.0),
        )
        .await?;
    let (photo, new) = match once {
        Once::New(made) => made,
        Once::Earlier(earlier) => (s.get_attachment(&caller.caller, earlier).await?, false),
    };
    if !new {
        return Ok(Json(photo).into_response());
    }
    Ok(created(
        format!("{PREFIX}/attachments/{}", photo.id),
        None,
        Json(photo),
    ))
}

/// The snag list as a spreadsheet
///
/// The same filters as the list; every matching snag (client users: those shared with
/// them), grouped by level and room.
#[utoipa::path(
    get,
    path = "/projects/{id}/snags.xlsx",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Project id"), SnagParams),
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
    Parsed(filters, _): Parsed<SnagParams>,
) -> ApiResult<Response> {
    Ok(crate::snag_exports::xlsx(&state, &caller.caller, id, filters).await?)
}

/// The snag list as PDF, for the site walk
///
/// The same filters as the list; grouped by level and room, each snag with its photos'
/// thumbnails, on the company letterhead.
#[utoipa::path(
    get,
    path = "/projects/{id}/snags.pdf",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Project id"), SnagParams),
    responses(
        (status = 200, description = "The PDF, as an attachment", content(("application/pdf"))),
        Forbidden,
        Invalid,
    )
)]
pub async fn export_pdf(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(filters, _): Parsed<SnagParams>,
) -> ApiResult<Response> {
    Ok(crate::snag_exports::pdf(&state, &caller.caller, id, filters).await?)
}

/// A room's sign-off
///
/// Whether it is signed off (by whom, when, with which client representative), and what
/// blocks a sign-off: items expected in the room not fully installed, and snags in it still
/// open or fixed (verified, closed and rejected ones do not block). Client users see the
/// state, and only the snags shared with them among the blockers.
#[utoipa::path(
    get,
    path = "/rooms/{id}/sign-off",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Room id (a location of kind `room`)")),
    responses((status = 200, body = SignOffState))
)]
pub async fn signoff_state(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<SignOffState>> {
    Ok(Json(
        state.services.signoff_state(&caller.caller, id).await?,
    ))
}

/// Sign a room off
///
/// Refused (409 `not_ready`) with exactly what blocks it ("2 items not installed: WR-01
/// (1 of 3), …; 1 open snag: SN-004"), or (409 `already_signed_off`) while it is signed
/// off. A snag raised in the room later reopens the sign-off.
#[utoipa::path(
    post,
    path = "/rooms/{id}/sign-off",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Room id")),
    request_body = SignOffInput,
    responses(
        (status = 200, body = SignOffState),
        (status = 409, description = "Something blocks the sign-off (`not_ready`, saying what), or the room is signed off already (`already_signed_off`)", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn sign_off(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<SignOffInput>,
) -> ApiResult<Json<SignOffState>> {
    Ok(Json(
        state
            .services
            .sign_off_room(&caller.caller, id, input)
            .await?,
    ))
}

/// Withdraw a room's sign-off
///
/// The sign-off is kept in the room's history, marked reopened. 404 when the room is not
/// signed off.
#[utoipa::path(
    delete,
    path = "/rooms/{id}/sign-off",
    tag = "snags",
    params(("id" = Uuid, Path, description = "Room id")),
    responses((status = 200, body = SignOffState), Forbidden)
)]
pub async fn withdraw_signoff(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<SignOffState>> {
    Ok(Json(
        state.services.withdraw_signoff(&caller.caller, id).await?,
    ))
}
