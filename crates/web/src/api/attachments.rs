//! Attachments: files on a project, task, scope item, drawing, specification or comment —
//! listed by owner, uploaded as multipart forms, downloaded (with ranges) and removed.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formula_app::AppError;
use formula_app::attachments::AttachmentList;
use formula_app::idempotency::{Fingerprint, IdempotencyKey, Once};
use formula_domain::attachment::{Attachment, OwnerKind, Purpose, Variant};
use uuid::Uuid;

use super::drawings::upload_error;
use super::extract::{PathId, created};
use super::params::{ListFilter, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid, Malformed, NotFound};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiMultipart, Problem};
use crate::state::AppState;
use crate::uploads;

/// Which thing's attachments `GET /attachments` lists (both required).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct OwnerParams {
    /// `project`, `task`, `scope_item`, `drawing`, `spec`, `comment` or `installation`.
    pub owner_type: OwnerKind,
    /// The id of that project, task, scope item, drawing, specification, comment or
    /// installation record.
    pub owner_id: Uuid,
}

impl ListFilter for OwnerParams {
    type Query = (Option<OwnerKind>, Option<Uuid>);
    fn read(p: &mut QueryParams) -> Self::Query {
        (p.choice("owner_type"), p.id("owner_id"))
    }
}

fn owner(kind: Option<OwnerKind>, id: Option<Uuid>) -> Result<(OwnerKind, Uuid), AppError> {
    let mut errors = formula_domain::errors::FieldErrors::new();
    if kind.is_none() {
        errors.add(
            "owner_type",
            "is required: project, task, scope_item, drawing, spec, comment or installation",
        );
    }
    if id.is_none() {
        errors.add("owner_id", "is required: the id of what the files are on");
    }
    errors.into_result()?;
    Ok((kind.unwrap_or(OwnerKind::Project), id.unwrap_or_default()))
}

/// The request header that makes a create request safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The `Idempotency-Key` of a request, if it has one.
pub fn idempotency_key(headers: &HeaderMap) -> Option<IdempotencyKey> {
    IdempotencyKey::from_raw(headers.get(IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok()))
}

/// What an attachment upload asks for, for its idempotency key: the owner, the purpose, the
/// caption and the file (its name and content hash).
pub fn attachment_fingerprint(
    kind: OwnerKind,
    id: Uuid,
    purpose: Option<Purpose>,
    caption: Option<&str>,
    file: &formula_app::drawings::Upload,
) -> Fingerprint {
    Fingerprint::new("attachment")
        .part(kind.as_str())
        .part(id.as_bytes())
        .opt(purpose.map(|p| p.as_str()))
        .opt(caption)
        .part(&file.name)
        .part(&file.sha256)
}

/// What is attached to something
///
/// Oldest first, with whether the caller may add and remove attachments there. Whoever may
/// see the project, task, scope item, drawing or specification may see its attachments;
/// whoever may read a comment, its files (never a client user those of an internal comment,
/// nor anyone those of a deleted one).
#[utoipa::path(
    get,
    path = "/attachments",
    tag = "attachments",
    params(OwnerParams),
    responses((status = 200, body = AttachmentList), Malformed, NotFound, Invalid)
)]
pub async fn list_attachments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed((kind, id), _): Parsed<OwnerParams>,
) -> ApiResult<Json<AttachmentList>> {
    let (kind, id) = owner(kind, id)?;
    Ok(Json(
        state
            .services
            .list_attachments(&caller.caller, kind, id)
            .await?,
    ))
}

/// The form of `POST /attachments` (`multipart/form-data`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the form for the document; the handler reads the parts.
pub struct AttachmentForm {
    /// What the file is attached to.
    owner_type: OwnerKind,
    /// The id of that project, task, scope item, drawing, specification, comment or
    /// installation record.
    owner_id: Uuid,
    /// The file, at most `MAX_UPLOAD_SIZE`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `document` (the default), `photo` or `sample`.
    #[schema(nullable = false)]
    purpose: Option<Purpose>,
    #[schema(nullable = false, max_length = 500)]
    caption: Option<String>,
}

/// Attach a file
///
/// `multipart/form-data` with `owner_type`, `owner_id`, a `file` part (at most
/// `MAX_UPLOAD_SIZE`), and optionally `purpose` (`document`, `photo` or `sample`) and
/// `caption`. Any kind of file may be attached, but one named `.pdf`, `.png`, `.jpg`, `.dwg`,
/// `.xlsx`… must really be one (a PDF also complete). Adding needs the right to change what
/// the file is attached to; a comment's files are added by its author, and read by whoever
/// may read the comment. A refused file leaves nothing stored. Sending the same file to the
/// same place again is safe: the answer is the attachment made the first time (200).
///
/// A JPEG or PNG photo gets two copies made by the server (`image` in the answer): a display
/// copy (EXIF orientation applied, at most 2048 px, no metadata at all) and a thumbnail (at
/// most 320 px); an image over 50 megapixels, or one that cannot be decoded, is refused
/// (422). The original keeps its EXIF and GPS data for the team; client users are only ever
/// served the copies.
///
/// With an `Idempotency-Key` header, a retry by the same user within 24 hours creates
/// nothing and answers with the attachment the first request made (200); the same key with
/// a different request is refused (409 `idempotency_key_reused`), as is a retry while the
/// first is still being handled (409 `idempotency_key_in_use`).
#[utoipa::path(
    post,
    path = "/attachments",
    tag = "attachments",
    params(("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing (e.g. a UUID), fresh per upload: a retry with the same key creates nothing new")),
    request_body(content = AttachmentForm, description = "`owner_type`, `owner_id`, `file`, and optionally `purpose` and `caption`", content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Attachment, headers(("location" = String))),
        (status = 200, description = "This very file (same name and content) was attached here already, or this `Idempotency-Key` was sent before, e.g. by an upload sent again after a lost answer: that attachment, and nothing new is stored", body = Attachment),
        (status = 409, description = "The `Idempotency-Key` was used for a different request, or its first request is still being handled", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than MAX_UPLOAD_SIZE", body = Problem, content_type = "application/problem+json"),
        Malformed,
        Forbidden,
        NotFound,
        Invalid,
    )
)]
pub async fn create_attachment(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<Response> {
    let s = &state.services;
    let form =
        uploads::spool_multipart(multipart, &s.blobs.spool_dir(), state.web.max_upload_bytes)
            .await
            .map_err(upload_error)?;
    let mut errors = formula_domain::errors::FieldErrors::new();
    let kind = match form.field("owner_type").map(str::parse::<OwnerKind>) {
        Some(Ok(k)) => Some(k),
        Some(Err(e)) => {
            errors.add("owner_type", e.to_string());
            None
        }
        None => None,
    };
    let id = match form.field("owner_id").map(str::parse::<Uuid>) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            errors.add("owner_id", "must be an id (a UUID)");
            None
        }
        None => None,
    };
    let purpose = match form.field("purpose").filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => p.parse::<Purpose>().map_or_else(
            |e| {
                errors.add("purpose", e.to_string());
                None
            },
            Some,
        ),
    };
    if form.file().is_none() {
        errors.add("file", "attach the file as the `file` part");
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let (kind, id) = owner(kind, id)?;
    let Some(file) = form.file() else {
        return Err(AppError::field("file", "attach the file as the `file` part").into());
    };
    let caption = form.field("caption").map(str::to_owned);
    let key = idempotency_key(&headers);
    let request = attachment_fingerprint(kind, id, purpose, caption.as_deref(), &file.0);
    let once = s
        .once(
            &caller.caller,
            key.as_ref(),
            "attachment",
            request,
            |(a, _): &(Attachment, bool)| a.id,
            || s.add_attachment(&caller.caller, kind, id, purpose, caption, &file.0),
        )
        .await?;
    let (attachment, new) = match once {
        Once::New(made) => made,
        Once::Earlier(earlier) => (s.get_attachment(&caller.caller, earlier).await?, false),
    };
    if !new {
        // A retried upload: the attachment it made the first time.
        return Ok(Json(attachment).into_response());
    }
    Ok(created(
        format!("{PREFIX}/attachments/{}", attachment.id),
        None,
        Json(attachment),
    ))
}

/// An attachment
#[utoipa::path(
    get,
    path = "/attachments/{id}",
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Attachment id")),
    responses((status = 200, body = Attachment))
)]
pub async fn get_attachment(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Attachment>> {
    Ok(Json(
        state.services.get_attachment(&caller.caller, id).await?,
    ))
}

/// Remove an attachment
///
/// Its file is removed from storage too. Needs the right to change what it is attached to.
#[utoipa::path(
    delete,
    path = "/attachments/{id}",
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Attachment id")),
    responses((status = 204, description = "Removed"), Forbidden)
)]
pub async fn delete_attachment(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    state.services.delete_attachment(&caller.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Download an attachment's file
///
/// PDFs and images open in the browser, other files download. Supports `Range` requests.
/// A client user asking for a JPEG, PNG, WebP or TIFF image gets its display copy (a JPEG
/// without any metadata) instead of the original; 404 when the image has none.
#[utoipa::path(
    get,
    path = "/attachments/{id}/file",
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Attachment id")),
    responses(
        // Served as the type it was uploaded with (a PDF, a photo, a spreadsheet, …).
        (status = 200, description = "The file", content_type = "*/*"),
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
    variant(&state, &caller, id, Variant::Original, &headers).await
}

async fn variant(
    state: &AppState,
    caller: &ApiCaller,
    id: Uuid,
    variant: Variant,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (served, read) = state
        .services
        .open_attachment_variant(&caller.caller, id, variant, range)
        .await?;
    Ok(uploads::served(&served, read, headers))
}

/// A photo's display copy
///
/// The JPEG or PNG image upright (EXIF orientation applied), its longest side at most
/// 2048 px, as a JPEG without any metadata (no EXIF, no GPS). Same access as the attachment;
/// it never changes, so it is cached for good (`ETag`, `If-None-Match` answered 304). 404
/// for an attachment that is not a JPEG or PNG image (or one that cannot be decoded).
#[utoipa::path(
    get,
    path = "/attachments/{id}/display",
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The display copy", content_type = "image/jpeg"),
        (status = 206, description = "The requested part of it"),
        (status = 304, description = "Not modified: the browser's copy (`If-None-Match`) is current"),
        (status = 416, description = "The range is past the end of the file"),
    )
)]
pub async fn display(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    headers: HeaderMap,
) -> ApiResult<Response> {
    variant(&state, &caller, id, Variant::Display, &headers).await
}

/// A photo's thumbnail
///
/// Like the display copy, its longest side at most 320 px.
#[utoipa::path(
    get,
    path = "/attachments/{id}/thumbnail",
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The thumbnail", content_type = "image/jpeg"),
        (status = 206, description = "The requested part of it"),
        (status = 304, description = "Not modified: the browser's copy (`If-None-Match`) is current"),
        (status = 416, description = "The range is past the end of the file"),
    )
)]
pub async fn thumbnail(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    headers: HeaderMap,
) -> ApiResult<Response> {
    variant(&state, &caller, id, Variant::Thumbnail, &headers).await
}
