//! The supplier directory: suppliers with their contacts, archiving, and the company's
//! purchasing settings. Staff read it; client users see nothing of it (403 on the list,
//! 404 on a supplier).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::repos::SupplierFilter;
use formula_app::suppliers::{NewSupplier, SupplierContactInput, SupplierDetails, SupplierPatch};
use formula_domain::purchasing_settings::{PurchasingSettings, PurchasingSettingsInput};
use formula_domain::supplier::{Supplier, SupplierContact};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Expected, IfMatch, PathId, PathIds, created, with_etag};
use super::params::{IfMatchParam, ListFilter, PageParams, Parsed, QueryParams, VersionParam};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// The supplier routes, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_suppliers, create_supplier))
        .routes(routes!(get_supplier, update_supplier))
        .routes(routes!(archive_supplier))
        .routes(routes!(unarchive_supplier))
        .routes(routes!(list_supplier_contacts, add_supplier_contact))
        .routes(routes!(update_supplier_contact, remove_supplier_contact))
        .routes(routes!(get_purchasing_settings, put_purchasing_settings))
}

/// One page of suppliers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SupplierPage {
    pub items: Vec<Supplier>,
    /// Matching suppliers across all pages.
    pub total: i64,
    /// 1-based page number.
    pub page: u64,
    /// Page size used.
    pub limit: u32,
}

/// A supplier's contacts, in their order.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SupplierContactList {
    pub items: Vec<SupplierContact>,
}

/// Filters of the supplier directory.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct SupplierParams {
    /// Search in the name, categories, e-mail address and notes.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only suppliers in this trade category (a word such as `veneer`).
    #[param(max_length = 40)]
    pub category: Option<String>,
    /// `false` (the default): active suppliers; `true`: archived ones; `all`: both.
    #[param(value_type = Option<String>, pattern = "^(true|false|all)$")]
    pub archived: Option<String>,
}

impl ListFilter for SupplierParams {
    type Query = SupplierFilter;
    fn read(p: &mut QueryParams) -> SupplierFilter {
        let archived = match p.text("archived").as_deref() {
            None | Some("false") => Some(false),
            Some("true") => Some(true),
            Some("all") => None,
            Some(_) => {
                p.reject("archived", "must be true, false or all");
                Some(false)
            }
        };
        // A filter, not an input: a word that is no category simply matches no supplier; only
        // the documented length is enforced.
        let category = p.text("category").and_then(|c| {
            if c.chars().count() > 40 {
                p.reject("category", "must be at most 40 characters");
                return None;
            }
            Some(formula_domain::supplier::parse_category(&c).unwrap_or(c))
        });
        SupplierFilter {
            q: p.text("q"),
            category,
            archived,
            paging: p.paging(),
        }
    }
}

/// List suppliers
///
/// The company's directory by name, active suppliers unless `archived` says otherwise.
/// Staff only.
#[utoipa::path(
    get,
    path = "/suppliers",
    tag = "suppliers",
    params(SupplierParams, PageParams),
    responses((status = 200, body = SupplierPage), Forbidden, Invalid)
)]
pub async fn list_suppliers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed(filter, _): Parsed<SupplierParams>,
) -> ApiResult<Json<SupplierPage>> {
    let page = state
        .services
        .list_suppliers(&caller.caller, &filter)
        .await?;
    Ok(Json(SupplierPage {
        items: page.items,
        total: page.total,
        page: page.page,
        limit: page.limit,
    }))
}

/// Add a supplier
///
/// Project managers, coordinators and administrators. The name is unique whatever the case.
#[utoipa::path(
    post,
    path = "/suppliers",
    tag = "suppliers",
    request_body = NewSupplier,
    responses(
        (status = 201, body = Supplier, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_supplier(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<NewSupplier>,
) -> ApiResult<Response> {
    let s = state
        .services
        .create_supplier(&caller.caller, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/suppliers/{}", s.id),
        Some(s.version),
        Json(s),
    ))
}

/// A supplier
///
/// With its contacts, the specifications and purchase orders that use it on projects the
/// caller can see, and its figures: orders placed, their value per currency (only for
/// those who may see purchase prices), deliveries on time and average lateness.
#[utoipa::path(
    get,
    path = "/suppliers/{id}",
    tag = "suppliers",
    params(("id" = uuid::Uuid, Path, description = "Supplier id")),
    responses((status = 200, body = SupplierDetails, headers(("etag" = String))))
)]
pub async fn get_supplier(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let d = state.services.supplier_details(&caller.caller, id).await?;
    Ok(with_etag(d.supplier.version, Json(d)))
}

/// Change a supplier
///
/// Send `If-Match` with the ETag, or `version`.
#[utoipa::path(
    patch,
    path = "/suppliers/{id}",
    tag = "suppliers",
    params(("id" = uuid::Uuid, Path, description = "Supplier id"), IfMatchParam),
    request_body = SupplierPatch,
    responses(
        (status = 200, body = Supplier, headers(("etag" = String))),
        (status = 409, description = "Stale `version`, or the name is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_supplier(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<SupplierPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let s = state
        .services
        .update_supplier(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(s.version, Json(s)))
}

/// Archive a supplier
///
/// It stays on what refers to it but is offered for nothing new. Send `If-Match` with the
/// ETag, or `?version=`.
#[utoipa::path(
    post,
    path = "/suppliers/{id}/archive",
    tag = "suppliers",
    params(("id" = uuid::Uuid, Path, description = "Supplier id"), IfMatchParam, VersionParam),
    responses((status = 200, body = Supplier, headers(("etag" = String))), Forbidden)
)]
pub async fn archive_supplier(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<Response> {
    set_archived(state, caller, id, if_match, version, true).await
}

/// Bring an archived supplier back
///
/// Send `If-Match` with the ETag, or `?version=`.
#[utoipa::path(
    post,
    path = "/suppliers/{id}/unarchive",
    tag = "suppliers",
    params(("id" = uuid::Uuid, Path, description = "Supplier id"), IfMatchParam, VersionParam),
    responses((status = 200, body = Supplier, headers(("etag" = String))), Forbidden)
)]
pub async fn unarchive_supplier(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<Response> {
    set_archived(state, caller, id, if_match, version, false).await
}

async fn set_archived(
    state: AppState,
    caller: ApiCaller,
    id: uuid::Uuid,
    if_match: IfMatch,
    version: Option<i64>,
    archived: bool,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, version)?;
    let s = state
        .services
        .set_supplier_archived(&caller.caller, id, expected.version, archived)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(s.version, Json(s)))
}

/// A supplier's contacts
#[utoipa::path(
    get,
    path = "/suppliers/{id}/contacts",
    tag = "suppliers",
    params(("id" = uuid::Uuid, Path, description = "Supplier id")),
    responses((status = 200, body = SupplierContactList))
)]
pub async fn list_supplier_contacts(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<SupplierContactList>> {
    let items = state
        .services
        .list_supplier_contacts(&caller.caller, id)
        .await?;
    Ok(Json(SupplierContactList { items }))
}

/// Add a contact to a supplier
///
/// At the end of the list (`position` is ignored here).
#[utoipa::path(
    post,
    path = "/suppliers/{id}/contacts",
    tag = "suppliers",
    params(("id" = uuid::Uuid, Path, description = "Supplier id")),
    request_body = SupplierContactInput,
    responses((status = 201, body = SupplierContact), Forbidden, Invalid)
)]
pub async fn add_supplier_contact(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<SupplierContactInput>,
) -> ApiResult<(StatusCode, Json<SupplierContact>)> {
    let c = state
        .services
        .add_supplier_contact(&caller.caller, id, input)
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Change a supplier's contact
///
/// Every field is replaced; `position` moves it in the list.
#[utoipa::path(
    put,
    path = "/suppliers/{id}/contacts/{contact_id}",
    tag = "suppliers",
    params(("id" = uuid::Uuid, Path, description = "Supplier id"), ("contact_id" = uuid::Uuid, Path, description = "Contact id")),
    request_body = SupplierContactInput,
    responses((status = 200, body = SupplierContact), Forbidden, Invalid)
)]
pub async fn update_supplier_contact(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathIds(id, contact_id): PathIds,
    ApiJson(input): ApiJson<SupplierContactInput>,
) -> ApiResult<Json<SupplierContact>> {
    Ok(Json(
        state
            .services
            .update_supplier_contact(&caller.caller, id, contact_id, input)
            .await?,
    ))
}

/// Remove a supplier's contact
#[utoipa::path(
    delete,
    path = "/suppliers/{id}/contacts/{contact_id}",
    tag = "suppliers",
    params(("id" = uuid::Uuid, Path, description = "Supplier id"), ("contact_id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 204, description = "Removed"), Forbidden)
)]
pub async fn remove_supplier_contact(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathIds(id, contact_id): PathIds,
) -> ApiResult<StatusCode> {
    state
        .services
        .remove_supplier_contact(&caller.caller, id, contact_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The purchasing settings
///
/// Whether designers and craftsmen on a project's team see its purchase prices, and up to
/// which order total a project manager approves, per currency. Administrators only.
#[utoipa::path(
    get,
    path = "/company/purchasing",
    tag = "company",
    responses((status = 200, body = PurchasingSettings, headers(("etag" = String))), Forbidden)
)]
pub async fn get_purchasing_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Response> {
    let s = state.services.purchasing_settings(&caller.caller).await?;
    Ok(with_etag(s.version, Json(s)))
}

/// Save the purchasing settings
///
/// Administrators only; before or after the company's details (version 0 when nothing was
/// saved yet). Everything is replaced: a currency left out loses its limit. The version is
/// the company settings' (send `If-Match` with the ETag, or `version`).
#[utoipa::path(
    put,
    path = "/company/purchasing",
    tag = "company",
    params(IfMatchParam),
    request_body = PurchasingSettingsInput,
    responses(
        (status = 200, body = PurchasingSettings, headers(("etag" = String))),
        (status = 409, description = "Stale `version`: someone saved first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn put_purchasing_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
    if_match: IfMatch,
    ApiJson(input): ApiJson<PurchasingSettingsInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let s = state
        .services
        .save_purchasing_settings(&caller.caller, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(s.version, Json(s)))
}
