//! Shop drawings: a project's register, revisions uploaded as files, submission for review,
//! review decisions, downloads, and the scope items a drawing covers.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use formula_app::AppError;
use formula_app::drawings::{DrawingChange, DrawingDetail, DrawingQuery, NewDrawing, ReviewInput};
use formula_app::ports::ReviewSettings;
use formula_domain::drawing::{Drawing, Revision, RevisionStatus};
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, ListFilter, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, DrawingList, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiJson, ApiMultipart, Problem};
use crate::state::AppState;
use crate::uploads::{self, UploadError};

/// Filters of `GET /projects/{id}/drawings`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrawingParams {
    /// Status of the current revision (`draft` before any is submitted), or of the approved
    /// revision still in effect behind a newer one: `approved` finds a drawing whose rev B
    /// is approved while rev C is in review.
    pub status: Option<RevisionStatus>,
    /// Part of the room / area.
    #[param(max_length = 200)]
    pub area: Option<String>,
    /// Only drawings covering this scope item.
    pub scope_item_id: Option<Uuid>,
    /// `true`: only revisions waiting for review longer than `REVIEW_OVERDUE_DAYS` (default 7).
    pub overdue: Option<bool>,
    /// Part of the number or title.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only those covering a scope item in a room of this building (or on a room type with
    /// rooms in it).
    pub building_id: Option<Uuid>,
    /// Only those covering a scope item in a room of this level (or on a room type with rooms
    /// on it).
    pub level_id: Option<Uuid>,
    /// Only those covering a scope item in this room (or on its room type).
    pub room_id: Option<Uuid>,
    /// Only those covering a scope item placed on this room type.
    pub room_type_id: Option<Uuid>,
}

impl ListFilter for DrawingParams {
    type Query = DrawingQuery;
    fn read(p: &mut QueryParams) -> DrawingQuery {
        DrawingQuery {
            status: p.choice("status"),
            area: p.text("area"),
            scope_item_id: p.id("scope_item_id"),
            overdue: p.flag("overdue").unwrap_or(false),
            q: p.text("q"),
            place: p.place(),
        }
    }
}

/// A project's drawing register
///
/// Every drawing with its current revision, in number order. Client users see only drawings
/// that were submitted to them.
#[utoipa::path(
    get,
    path = "/projects/{id}/drawings",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Project id"), DrawingParams),
    responses((status = 200, body = DrawingList), Invalid)
)]
pub async fn list_drawings(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(query, _): Parsed<DrawingParams>,
) -> ApiResult<Json<DrawingList>> {
    Ok(Json(
        state
            .services
            .list_drawings(&caller.caller, id, &query)
            .await?
            .into(),
    ))
}

/// Add a drawing to the register
///
/// Its revisions are uploaded afterwards (`POST /drawings/{id}/revisions`).
#[utoipa::path(
    post,
    path = "/projects/{id}/drawings",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = NewDrawing,
    responses(
        (status = 201, body = Drawing, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The number is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_drawing(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewDrawing>,
) -> ApiResult<Response> {
    let d = state
        .services
        .create_drawing(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/drawings/{}", d.id),
        Some(d.version),
        Json(d),
    ))
}

/// A drawing with its history
///
/// The drawing, every revision (newest first, each with its file), every review decision and
/// the scope items it covers.
#[utoipa::path(
    get,
    path = "/drawings/{id}",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Drawing id")),
    responses((status = 200, body = DrawingDetail, headers(("etag" = String))))
)]
pub async fn get_drawing(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let (detail, _) = state.services.get_drawing(&caller.caller, id).await?;
    Ok(with_etag(detail.drawing.version, Json(detail)))
}

/// Change a drawing's details
///
/// Its title, type or room / area (`null` clears the area). Send `If-Match` or `version`.
#[utoipa::path(
    patch,
    path = "/drawings/{id}",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Drawing id"), IfMatchParam),
    request_body = DrawingChange,
    responses((status = 200, body = Drawing, headers(("etag" = String))), Forbidden, Invalid)
)]
pub async fn update_drawing(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<DrawingChange>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let d = state
        .services
        .update_drawing(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.version, Json(d)))
}

/// The scope items a drawing covers.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawingItems {
    pub scope_item_ids: Vec<Uuid>,
    /// The drawing's version (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Set the scope items a drawing covers
///
/// Replaces the whole list. Send `If-Match` or `version`.
#[utoipa::path(
    put,
    path = "/drawings/{id}/scope-items",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Drawing id"), IfMatchParam),
    request_body = DrawingItems,
    responses((status = 200, body = Drawing, headers(("etag" = String))), Forbidden, Invalid)
)]
pub async fn set_items(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<DrawingItems>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let d = state
        .services
        .link_drawing_items(&caller.caller, id, expected.version, input.scope_item_ids)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.version, Json(d)))
}

/// A file that could not be received, as a problem (413 too large, 400 incomplete, 507 no
/// disk space).
pub(crate) fn upload_error(e: UploadError) -> ApiError {
    match e {
        UploadError::Io(ref io) => {
            tracing::error!(error = %io, "an upload could not be spooled");
        }
        UploadError::Invalid(fields) => return AppError::Validation(fields).into(),
        _ => {}
    }
    let code = match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => "file_too_large",
        StatusCode::BAD_REQUEST => "upload_incomplete",
        StatusCode::INSUFFICIENT_STORAGE => "insufficient_storage",
        _ => "internal",
    };
    ApiError::new(e.status(), code, e.message())
}

/// The form of `POST /drawings/{id}/revisions` (`multipart/form-data`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the form for the document; the handler reads the parts.
pub struct RevisionForm {
    /// The drawing: a PDF, an image or a DWG/DXF file, at most `MAX_UPLOAD_SIZE`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// What changed in this revision.
    #[schema(nullable = false, max_length = 5000)]
    notes: Option<String>,
}

/// Upload the next revision
///
/// `multipart/form-data` with a `file` part (a PDF, an image or a DWG/DXF drawing, at most
/// `MAX_UPLOAD_SIZE`) and an optional `notes` part. The content must match the file name (a
/// `.pdf` must really be a PDF, and complete). The revision is labelled after the previous
/// one (A, B, C… or 0, 1, 2…), starts as a draft and becomes the drawing's current revision.
/// A file that is refused leaves nothing stored.
#[utoipa::path(
    post,
    path = "/drawings/{id}/revisions",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Drawing id")),
    request_body(content = RevisionForm, description = "`file` (the drawing) and `notes` (optional)", content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Revision, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "Another revision was uploaded at the same moment", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than MAX_UPLOAD_SIZE", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn upload_revision(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<Response> {
    let s = &state.services;
    let form =
        uploads::spool_multipart(multipart, &s.blobs.spool_dir(), state.web.max_upload_bytes)
            .await
            .map_err(upload_error)?;
    let Some(file) = form.file() else {
        return Err(AppError::field("file", "attach the drawing as the `file` part").into());
    };
    let notes = form.field("notes").map(str::to_owned);
    let rev = s.add_revision(&caller.caller, id, notes, &file.0).await?;
    Ok(created(
        format!("{PREFIX}/drawing-revisions/{}", rev.id),
        Some(rev.version),
        Json(rev),
    ))
}

/// A revision's version, for submit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    /// The revision's version (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Submit a revision for review
///
/// Only the current revision, and only from `draft`. Send `If-Match` or `version`.
#[utoipa::path(
    post,
    path = "/drawing-revisions/{id}/submit",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Revision id"), IfMatchParam),
    request_body = VersionBody,
    responses(
        (status = 200, body = Revision, headers(("etag" = String))),
        (status = 409, description = "Not a draft, superseded, or a stale `version`", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(body): ApiJson<VersionBody>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, body.version)?;
    let rev = state
        .services
        .submit_revision(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(rev.version, Json(rev)))
}

/// Review a submitted revision
///
/// Approve, approve as noted, ask to revise and resubmit, or reject (comments are required
/// for all but a plain approval). The decision locks the revision. When two reviewers decide
/// at once, the first decision stands and the second gets 409 (or 412 through `If-Match`).
#[utoipa::path(
    post,
    path = "/drawing-revisions/{id}/review",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Revision id"), IfMatchParam),
    request_body = ReviewInput,
    responses(
        (status = 200, body = Revision, headers(("etag" = String))),
        (status = 409, description = "Not submitted, or already decided by someone else", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn review(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let rev = state
        .services
        .review_revision(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(rev.version, Json(rev)))
}

/// Download a revision's file
///
/// PDFs and images open in the browser, CAD files download. `Range` requests are answered
/// with `206` (or `416` past the end).
#[utoipa::path(
    get,
    path = "/drawing-revisions/{id}/file",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Revision id")),
    responses(
        (status = 200, description = "The file", content_type = "application/pdf"),
        (status = 206, description = "The requested part of the file"),
        (status = 416, description = "The range is past the end of the file"),
    )
)]
pub async fn download(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (rev, read) = state
        .services
        .open_revision_file(&caller.caller, id, range)
        .await?;
    Ok(uploads::download(&rev.file, read))
}

/// Who decides on drawings and specifications
///
/// `reviewer_ids` (team members) decide when any are named, otherwise the project managers on
/// the team; `client_approvals` lets the client's own users approve what was submitted to
/// them. Administrators always may.
#[utoipa::path(
    get,
    path = "/projects/{id}/review-settings",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = ReviewSettings), Forbidden)
)]
pub async fn get_review_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ReviewSettings>> {
    Ok(Json(
        state.services.review_settings(&caller.caller, id).await?,
    ))
}

/// Set who decides on drawings and specifications
///
/// Project managers of the team and administrators.
#[utoipa::path(
    put,
    path = "/projects/{id}/review-settings",
    tag = "drawings",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = ReviewSettings,
    responses((status = 200, body = ReviewSettings), Forbidden, Invalid)
)]
pub async fn set_review_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(settings): ApiJson<ReviewSettings>,
) -> ApiResult<Json<ReviewSettings>> {
    Ok(Json(
        state
            .services
            .set_review_settings(&caller.caller, id, settings)
            .await?,
    ))
}
