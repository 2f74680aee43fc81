//! Goods receipts: an order's receiving (its lines with what is ordered, received and left,
//! late lines flagged, and its receipts), recording a receipt (safe to retry with an
//! `Idempotency-Key`), and a project's cost control. A receipt's photos are attachments
//! (`POST /attachments` with `owner_type=goods_receipt`). Receiving shows no price; client
//! users see nothing of purchasing (404).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use formula_app::error::AppError;
use formula_app::goods_receipts::{ProjectCosts, ReceiptInput, Receiving};
use formula_domain::goods_receipt::GoodsReceipt;

use super::attachments::idempotency_key;
use super::extract::{PathId, created};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// An order's receiving
///
/// The order's lines with what is ordered (`quantity`), `received` and `remaining`, the
/// required date and whether the line is `late` (not fully received by its required date, or
/// received after it), and its receipts, newest first, with their photos. No price appears
/// here. Staff of the project see it; anyone else, client users included, is told it does not
/// exist (404).
#[utoipa::path(
    get,
    path = "/purchase-orders/{id}/receiving",
    tag = "goods receipts",
    params(("id" = Uuid, Path, description = "Purchase order id")),
    responses((status = 200, body = Receiving))
)]
pub async fn receiving(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Receiving>> {
    Ok(Json(state.services.receiving(&caller.caller, id).await?))
}

/// An order's receipts
///
/// Newest first, each with its lines and photos.
#[utoipa::path(
    get,
    path = "/purchase-orders/{id}/receipts",
    tag = "goods receipts",
    params(("id" = Uuid, Path, description = "Purchase order id")),
    responses((status = 200, body = Vec<GoodsReceipt>))
)]
pub async fn list_receipts(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<GoodsReceipt>>> {
    Ok(Json(
        state.services.list_receipts(&caller.caller, id).await?,
    ))
}

/// Record a goods receipt
///
/// Records what arrived against a sent or partially received order: per line, a `quantity`
/// (a decimal string, more than 0), on `received_on` (default today; not in the future),
/// with the supplier's `delivery_note`, who received it (`received_by_name`, default the
/// caller) and a `note`. A line may not go past its ordered quantity unless the receipt line
/// sets `accept_over_delivery` with an `over_delivery_reason` (409 `over_delivery`, with what
/// is left, even with two receipts at once). The order moves to partially received or
/// received, and each linked specification to partially delivered or delivered (which
/// drives the readiness gate). Refused with 409 `not_receivable` for an order not sent.
/// Project managers, coordinators and craftsmen of the project receive.
///
/// With an `Idempotency-Key` header, a retry by the same user within 24 hours records
/// nothing and answers with the receipt the first request made (200). Add photos with
/// `POST /attachments` (`owner_type=goods_receipt`, `owner_id` the receipt's id,
/// `purpose=photo`).
#[utoipa::path(
    post,
    path = "/purchase-orders/{id}/receipts",
    tag = "goods receipts",
    params(
        ("id" = Uuid, Path, description = "Purchase order id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing (e.g. a UUID), fresh per receipt: a retry with the same key records nothing new"),
    ),
    request_body = ReceiptInput,
    responses(
        (status = 201, body = GoodsReceipt, headers(("location" = String))),
        (status = 200, description = "This `Idempotency-Key` was sent before (a retry after a lost answer): the receipt the first request made, and nothing new", body = GoodsReceipt),
        (status = 409, description = "The order is not sent, a line would pass its ordered quantity without an accepted over-delivery, or the `Idempotency-Key` was used for a different request", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn record_receipt(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ReceiptInput>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers);
    let (receipt, new) = state
        .services
        .record_receipt(&caller.caller, id, input, &[], key.as_ref())
        .await?;
    if !new {
        return Ok(Json(receipt).into_response());
    }
    Ok(created(
        format!("{PREFIX}/purchase-orders/{id}/receipts"),
        None,
        Json(receipt),
    ))
}

/// A project's cost control
///
/// Per scope item, per group and for the project: `budget_minor` (the BOQ's budgeted cost),
/// `committed_minor` (lines of orders approved or further, not cancelled, linked to the item
/// or to a specification of it: a specification's line is split across its items in
/// proportion to their quantities, the parts summing exactly to the line) and `actual_minor`
/// (received quantity × unit price, split the same way), in the project's currency. Only for
/// those who may see purchase prices (403 otherwise); 409 `mixed_currencies` if an order is
/// in another currency than the project.
#[utoipa::path(
    get,
    path = "/projects/{id}/cost-control",
    tag = "goods receipts",
    params(("id" = Uuid, Path, description = "Project id")),
    responses(
        (status = 200, body = ProjectCosts),
        (status = 409, description = "An order of the project is in another currency", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn cost_control(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ProjectCosts>> {
    match state.services.project_costs(&caller.caller, id).await? {
        Some(costs) => Ok(Json(costs)),
        None => Err(AppError::Forbidden.into()),
    }
}
