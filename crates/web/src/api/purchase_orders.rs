//! Purchase orders: the project's register (filtered by status and supplier), raising one
//! by hand or from approved specifications, a draft's header and lines, approval within
//! the approval limits, sending to the supplier (PDF by e-mail), cancelling, closing, the
//! PDF and the register as a spreadsheet. Callers who may not see purchase prices get no
//! prices or totals (`null`), on every route.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use formula_app::purchase_orders::{
    NewPurchaseOrder, PoCancel, PoLineInput, PoSend, PoVersion, PurchaseOrderDetails,
    PurchaseOrderPatch,
};
use formula_app::repos::PoFilter;
use formula_domain::purchase_order::{PoStatus, PurchaseOrder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{Expected, IfMatch, PathId, PathIds, created, with_etag};
use super::params::{IfMatchParam, ListFilter, PageParams, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// The purchase order routes, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_purchase_orders, create_purchase_order))
        .routes(routes!(get_purchase_order, update_purchase_order))
        .routes(routes!(add_po_line))
        .routes(routes!(update_po_line, delete_po_line))
        .routes(routes!(approve_purchase_order))
        .routes(routes!(send_purchase_order))
        .routes(routes!(cancel_purchase_order))
        .routes(routes!(close_purchase_order))
        .routes(routes!(purchase_order_pdf))
        .routes(routes!(purchase_orders_xlsx))
}

/// One page of purchase orders.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PurchaseOrderPage {
    pub items: Vec<PurchaseOrder>,
    /// Matching orders across all pages.
    pub total: i64,
    /// 1-based page number.
    pub page: u64,
    /// Page size used.
    pub limit: u32,
}

/// Filters of the purchase order register.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct PurchaseOrderParams {
    pub status: Option<PoStatus>,
    pub supplier_id: Option<Uuid>,
}

pub struct Filters {
    filter: PoFilter,
    paging: formula_app::query::Paging,
}

impl ListFilter for PurchaseOrderParams {
    type Query = Filters;
    fn read(p: &mut QueryParams) -> Filters {
        Filters {
            filter: PoFilter {
                status: p.choice("status"),
                supplier_id: p.id("supplier_id"),
            },
            paging: p.paging(),
        }
    }
}

/// A project's purchase orders
///
/// Newest number first, filtered by status and supplier. Totals are `null` for callers
/// who may not see purchase prices.
#[utoipa::path(
    get,
    path = "/projects/{id}/purchase-orders",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Project id"), PurchaseOrderParams, PageParams),
    responses((status = 200, body = PurchaseOrderPage), Forbidden, Invalid)
)]
pub async fn list_purchase_orders(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(filters, _): Parsed<PurchaseOrderParams>,
) -> ApiResult<Json<PurchaseOrderPage>> {
    let paging = filters.paging;
    let (items, total, _) = state
        .services
        .list_purchase_orders(&caller.caller, id, &filters.filter, Some(paging))
        .await?;
    Ok(Json(PurchaseOrderPage {
        items,
        total,
        page: paging.page(),
        limit: paging.limit,
    }))
}

/// Raise a purchase order
///
/// A draft numbered `PO-<year>-<seq>` (no gaps, no duplicates) in the project's currency.
/// By hand: a `supplier_id` and `lines`. From approved specifications of the project
/// (`spec_ids`): a line each (description, quantity, unit, the spec's unit cost, required
/// by its needed-on date), the supplier theirs; refused when they have none or differ. The
/// people who may approve it are told.
#[utoipa::path(
    post,
    path = "/projects/{id}/purchase-orders",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = NewPurchaseOrder,
    responses(
        (status = 201, body = PurchaseOrderDetails, headers(("etag" = String), ("location" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_purchase_order(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewPurchaseOrder>,
) -> ApiResult<Response> {
    let d = state
        .services
        .create_purchase_order(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/purchase-orders/{}", d.order.id),
        Some(d.order.version),
        Json(d),
    ))
}

/// A purchase order with its lines
///
/// With what the caller may do with it; prices and totals `null` for callers who may not
/// see purchase prices.
#[utoipa::path(
    get,
    path = "/purchase-orders/{id}",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Purchase order id")),
    responses((status = 200, body = PurchaseOrderDetails, headers(("etag" = String))))
)]
pub async fn get_purchase_order(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let d = state
        .services
        .get_purchase_order(&caller.caller, id)
        .await?;
    Ok(with_etag(d.order.version, Json(d)))
}

const LOCKED: &str =
    "Not a draft any more (`locked`, `wrong_state`), or saved by someone else first";

/// Change a draft purchase order
///
/// Its supplier, required date, delivery address, terms and notes. Send `If-Match` or
/// `version`.
#[utoipa::path(
    patch,
    path = "/purchase-orders/{id}",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Purchase order id"), IfMatchParam),
    request_body = PurchaseOrderPatch,
    responses(
        (status = 200, body = PurchaseOrderDetails, headers(("etag" = String))),
        (status = 409, description = LOCKED, body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_purchase_order(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<PurchaseOrderPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let d = state
        .services
        .update_purchase_order(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.order.version, Json(d)))
}

/// Add a line to a draft purchase order
///
/// Quantity more than 0, unit price 0 or more; the line total is quantity × price rounded
/// half away from zero, and the order's total follows. Send `If-Match` or `version` (the
/// order's).
#[utoipa::path(
    post,
    path = "/purchase-orders/{id}/lines",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Purchase order id"), IfMatchParam),
    request_body = PoLineInput,
    responses(
        (status = 200, body = PurchaseOrderDetails, headers(("etag" = String))),
        (status = 409, description = LOCKED, body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn add_po_line(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<PoLineInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let d = state
        .services
        .add_po_line(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.order.version, Json(d)))
}

/// Replace a line of a draft purchase order
///
/// As adding one. Send `If-Match` or `version` (the order's).
#[utoipa::path(
    put,
    path = "/purchase-orders/{id}/lines/{line_id}",
    tag = "purchase orders",
    params(
        ("id" = Uuid, Path, description = "Purchase order id"),
        ("line_id" = Uuid, Path, description = "Line id"),
        IfMatchParam,
    ),
    request_body = PoLineInput,
    responses(
        (status = 200, body = PurchaseOrderDetails, headers(("etag" = String))),
        (status = 409, description = LOCKED, body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_po_line(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathIds(id, line_id): PathIds,
    if_match: IfMatch,
    ApiJson(input): ApiJson<PoLineInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let d = state
        .services
        .update_po_line(&caller.caller, id, line_id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.order.version, Json(d)))
}

/// Remove a line of a draft purchase order
///
/// Send `If-Match` (the order's version).
#[utoipa::path(
    delete,
    path = "/purchase-orders/{id}/lines/{line_id}",
    tag = "purchase orders",
    params(
        ("id" = Uuid, Path, description = "Purchase order id"),
        ("line_id" = Uuid, Path, description = "Line id"),
        IfMatchParam,
    ),
    responses(
        (status = 200, body = PurchaseOrderDetails, headers(("etag" = String))),
        (status = 409, description = LOCKED, body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn delete_po_line(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathIds(id, line_id): PathIds,
    if_match: IfMatch,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, None)?;
    let d = state
        .services
        .remove_po_line(&caller.caller, id, line_id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.order.version, Json(d)))
}

/// Approve a draft purchase order
///
/// A project manager of the project up to the approval limit of the order's currency; an
/// executive or administrator above it (409 `above_approval_limit`, naming the limit).
/// A draft without lines is refused (409 `no_lines`). Audited; whoever raised it is told.
#[utoipa::path(
    post,
    path = "/purchase-orders/{id}/approve",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Purchase order id"), IfMatchParam),
    request_body = PoVersion,
    responses(
        (status = 200, body = PurchaseOrderDetails, headers(("etag" = String))),
        (status = 409, description = "Above the approval limit (`above_approval_limit`), no lines (`no_lines`), not a draft (`wrong_state`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn approve_purchase_order(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<PoVersion>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let d = state
        .services
        .approve_purchase_order(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.order.version, Json(d)))
}

/// Send an approved purchase order to its supplier
///
/// Makes its PDF, keeps it as an attachment of the order, and queues an e-mail with it
/// attached to the supplier's address (or `to`, e.g. a contact's); the linked
/// specifications become ordered (order date today, expected delivery the line's required
/// date), all in one transaction.
#[utoipa::path(
    post,
    path = "/purchase-orders/{id}/send",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Purchase order id"), IfMatchParam),
    request_body = PoSend,
    responses(
        (status = 200, body = PurchaseOrderDetails, headers(("etag" = String))),
        (status = 409, description = "Not approved (`wrong_state`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn send_purchase_order(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<PoSend>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let d = state
        .services
        .send_purchase_order(
            &caller.caller,
            id,
            expected.version,
            input.to,
            crate::po_documents::render_po,
        )
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.order.version, Json(d)))
}

/// Cancel a purchase order
///
/// With a reason; not once goods were received.
#[utoipa::path(
    post,
    path = "/purchase-orders/{id}/cancel",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Purchase order id"), IfMatchParam),
    request_body = PoCancel,
    responses(
        (status = 200, body = PurchaseOrderDetails, headers(("etag" = String))),
        (status = 409, description = "Received, closed or cancelled already (`wrong_state`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn cancel_purchase_order(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<PoCancel>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let d = state
        .services
        .cancel_purchase_order(&caller.caller, id, expected.version, &input.reason)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.order.version, Json(d)))
}

/// Close a purchase order
///
/// Once sent: nothing more is expected on it.
#[utoipa::path(
    post,
    path = "/purchase-orders/{id}/close",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Purchase order id"), IfMatchParam),
    request_body = PoVersion,
    responses(
        (status = 200, body = PurchaseOrderDetails, headers(("etag" = String))),
        (status = 409, description = "Not sent yet, or closed or cancelled already (`wrong_state`), or saved by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn close_purchase_order(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<PoVersion>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let d = state
        .services
        .close_purchase_order(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(d.order.version, Json(d)))
}

/// A purchase order as PDF
///
/// On the company letterhead: supplier with address and tax number, delivery address,
/// lines (quantity, unit, unit price, line total), total, terms, and the number with
/// "Page x of y" on every page. Without prices for callers who may not see them.
#[utoipa::path(
    get,
    path = "/purchase-orders/{id}/pdf",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Purchase order id")),
    responses((status = 200, description = "The PDF, as an attachment", content(("application/pdf"))))
)]
pub async fn purchase_order_pdf(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    Ok(crate::po_documents::pdf(&state, &caller.caller, id).await?)
}

/// The project's purchase orders as a spreadsheet
///
/// A sheet of the orders and a sheet of their lines; without prices for callers who may
/// not see them.
#[utoipa::path(
    get,
    path = "/projects/{id}/purchase-orders.xlsx",
    tag = "purchase orders",
    params(("id" = Uuid, Path, description = "Project id")),
    responses(
        (status = 200, description = "The spreadsheet, as an attachment", content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        Forbidden,
    )
)]
pub async fn purchase_orders_xlsx(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    Ok(crate::po_documents::xlsx(&state, &caller.caller, id).await?)
}
