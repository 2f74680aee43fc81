//! Delivery notes: a project's notes (filtered by state), planning and editing one while
//! planned, dispatching it against what the workshop packed, cancelling it, receiving it on
//! site (safe to retry with an `Idempotency-Key`), the items packed and free to dispatch, and
//! the note's PDF. A receipt's photos are attachments (`POST /attachments` with
//! `owner_type=delivery_receipt`). Client users see nothing of deliveries (404 / 403).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use formula_app::deliveries::{
    DeliveryMoveInput, DeliveryNoteInput, DeliveryNotePage, DeliveryReceiptInput,
};
use formula_domain::delivery::{DeliveryNote, DeliveryStatus, DeliverySummary, PackedItem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::attachments::idempotency_key;
use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, ListFilter, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// The delivery note routes, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_delivery_notes, create_delivery_note))
        .routes(routes!(packed_items))
        .routes(routes!(get_delivery_note, update_delivery_note))
        .routes(routes!(dispatch_delivery_note))
        .routes(routes!(cancel_delivery_note))
        .routes(routes!(receive_delivery_note))
        .routes(routes!(delivery_note_pdf))
}

/// Filters of a project's delivery notes.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct DeliveryParams {
    pub status: Option<DeliveryStatus>,
}

impl ListFilter for DeliveryParams {
    type Query = Option<DeliveryStatus>;
    fn read(p: &mut QueryParams) -> Option<DeliveryStatus> {
        p.choice("status")
    }
}

/// A project's delivery notes
///
/// Newest number first, with their line count, quantity and what was received; in one
/// state (`status`) or all. Staff of the project see them; client users do not (403).
#[utoipa::path(
    get,
    path = "/projects/{id}/delivery-notes",
    tag = "deliveries",
    params(("id" = Uuid, Path, description = "Project id"), DeliveryParams),
    responses((status = 200, body = Vec<DeliverySummary>), Forbidden, Invalid)
)]
pub async fn list_delivery_notes(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(status, _): Parsed<DeliveryParams>,
) -> ApiResult<Json<Vec<DeliverySummary>>> {
    Ok(Json(
        state
            .services
            .list_delivery_notes(&caller.caller, id, status)
            .await?,
    ))
}

/// Plan a delivery note
///
/// Numbered the project's next (`DN-001`, no duplicates even at once), planned: a
/// `destination_id` (a building, level or zone of the project), an `address` (default the
/// project's site address), `planned_on`, `vehicle` and `driver` (free text), `notes`, and
/// `lines` (a scope item and a quantity each, one line per item). Nothing is checked against
/// the workshop yet: that is the dispatch's job. Project managers and coordinators plan.
#[utoipa::path(
    post,
    path = "/projects/{id}/delivery-notes",
    tag = "deliveries",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = DeliveryNoteInput,
    responses(
        (status = 201, body = DeliveryNote, headers(("etag" = String), ("location" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_delivery_note(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<DeliveryNoteInput>,
) -> ApiResult<Response> {
    let note = state
        .services
        .create_delivery_note(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/delivery-notes/{}", note.id),
        Some(note.version),
        Json(note),
    ))
}

/// What is packed and free to dispatch
///
/// The project's items that went through the packed stage of the workshop: `packed`,
/// `dispatched` (on notes dispatched already) and `available` (packed, not yet dispatched:
/// what a dispatch may take).
#[utoipa::path(
    get,
    path = "/projects/{id}/packed-items",
    tag = "deliveries",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = Vec<PackedItem>), Forbidden)
)]
pub async fn packed_items(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<PackedItem>>> {
    Ok(Json(state.services.packed_items(&caller.caller, id).await?))
}

/// A delivery note
///
/// Its lines (with what was received and is still to come), its receipts with their
/// photos, what the caller may do with it, and the PDF kept when it was signed.
#[utoipa::path(
    get,
    path = "/delivery-notes/{id}",
    tag = "deliveries",
    params(("id" = Uuid, Path, description = "Delivery note id")),
    responses((status = 200, body = DeliveryNotePage, headers(("etag" = String))))
)]
pub async fn get_delivery_note(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let page = state
        .services
        .delivery_note_page(&caller.caller, id)
        .await?;
    Ok(with_etag(page.note.version, Json(page)))
}

const NOT_PLANNED: &str =
    "Dispatched or cancelled already (`not_planned`), or saved by someone else first";

/// Save a planned delivery note
///
/// The whole note: its destination, address, date, vehicle, driver, notes and lines (which
/// replace the old ones). Only while planned (409 `not_planned`). Send `If-Match` or
/// `version`.
#[utoipa::path(
    put,
    path = "/delivery-notes/{id}",
    tag = "deliveries",
    params(("id" = Uuid, Path, description = "Delivery note id"), IfMatchParam),
    request_body = DeliveryNoteInput,
    responses(
        (status = 200, body = DeliveryNote, headers(("etag" = String))),
        (status = 409, description = NOT_PLANNED, body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_delivery_note(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<DeliveryNoteInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let note = state
        .services
        .update_delivery_note(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(note.version, Json(note)))
}

/// Dispatch a delivery note
///
/// From planned. Each line may take at most what is packed in the workshop and not yet
/// dispatched on another note (409 `not_packed`, e.g. "only 4 of FPM-26-001-M-004 are packed
/// and not yet dispatched", even with two dispatches at once); a note without lines is
/// refused (409 `no_lines`). The site team (the project's managers and coordinators) and
/// the project's followers are told. Send `If-Match` or `version`.
#[utoipa::path(
    post,
    path = "/delivery-notes/{id}/dispatch",
    tag = "deliveries",
    params(("id" = Uuid, Path, description = "Delivery note id"), IfMatchParam),
    request_body = DeliveryMoveInput,
    responses(
        (status = 200, body = DeliveryNote, headers(("etag" = String))),
        (status = 409, description = "Not packed enough (`not_packed`), no lines (`no_lines`), not planned (`not_planned`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn dispatch_delivery_note(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<DeliveryMoveInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let note = state
        .services
        .dispatch_delivery_note(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(note.version, Json(note)))
}

/// Cancel a delivery note
///
/// Only while planned (409 `not_planned` once dispatched), with an optional `reason`.
/// Send `If-Match` or `version`.
#[utoipa::path(
    post,
    path = "/delivery-notes/{id}/cancel",
    tag = "deliveries",
    params(("id" = Uuid, Path, description = "Delivery note id"), IfMatchParam),
    request_body = DeliveryMoveInput,
    responses(
        (status = 200, body = DeliveryNote, headers(("etag" = String))),
        (status = 409, description = NOT_PLANNED, body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn cancel_delivery_note(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<DeliveryMoveInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let note = state
        .services
        .cancel_delivery_note(&caller.caller, id, expected.version, input.reason)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(note.version, Json(note)))
}

/// Receive a delivery note on site
///
/// Records what arrived against a dispatched (or partially received) note: per line, a
/// `quantity` (more than 0, at most what is still to come: 409 `over_receipt`, even with two
/// receipts at once), on `received_on` (default today; not in the future), recorded by the
/// caller and signed by the receiver's name typed in `signed_name`. The note becomes
/// partially received or received; its PDF with the receipt and the signature is kept as an
/// attachment of the note. The project's managers and the note's creator are told. Refused
/// with 409 `not_receivable` for a note not dispatched. Project managers, coordinators and
/// craftsmen of the project receive.
///
/// With an `Idempotency-Key` header, a retry by the same user within 24 hours records
/// nothing and answers with the note (200). Add photos with `POST /attachments`
/// (`owner_type=delivery_receipt`, `owner_id` the receipt's id, `purpose=photo`).
#[utoipa::path(
    post,
    path = "/delivery-notes/{id}/receipts",
    tag = "deliveries",
    params(
        ("id" = Uuid, Path, description = "Delivery note id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing (e.g. a UUID), fresh per receipt: a retry with the same key records nothing new"),
    ),
    request_body = DeliveryReceiptInput,
    responses(
        (status = 201, body = DeliveryNote, headers(("location" = String))),
        (status = 200, description = "This `Idempotency-Key` was sent before (a retry after a lost answer): the note, and nothing new", body = DeliveryNote),
        (status = 409, description = "The note is not dispatched, a line would pass what was dispatched on it, or the `Idempotency-Key` was used for a different request", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn receive_delivery_note(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<DeliveryReceiptInput>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers);
    let (note, new) = state
        .services
        .record_delivery_receipt(
            &caller.caller,
            id,
            input,
            &[],
            key.as_ref(),
            Some(crate::delivery_documents::render_delivery_note),
        )
        .await?;
    if !new {
        return Ok(Json(note).into_response());
    }
    Ok(created(
        format!("{PREFIX}/delivery-notes/{id}"),
        None,
        Json(note),
    ))
}

/// A delivery note as PDF
///
/// On the company letterhead: the number on every page, the project, destination and
/// address, planned date, vehicle and driver, and the lines (item code, name, room or room
/// type, quantity); once received, the received quantities and "Signed on receipt by
/// <name>, <date time>".
#[utoipa::path(
    get,
    path = "/delivery-notes/{id}/pdf",
    tag = "deliveries",
    params(("id" = Uuid, Path, description = "Delivery note id")),
    responses((status = 200, description = "The PDF, as an attachment", content(("application/pdf"))))
)]
pub async fn delivery_note_pdf(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    Ok(crate::delivery_documents::pdf(&state, &caller.caller, id).await?)
}
