//! Material specifications: the project's list with its cost summary, approval, and
//! procurement's last step (installed; orders and deliveries come from purchase orders).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use formula_app::specs::{
    ProcurementInput, SpecDetail, SpecInput, SpecList, SpecQuery, SpecReviewInput,
};
use formula_domain::spec::{Procurement, Spec, SpecCategory, SpecStatus};

use formula_app::scope_import::ImportPreview;

use super::drawings::VersionBody;
use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, ListFilter, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid, Malformed};
use super::scope::{FormatParam, ImportParams, internal, read_import};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::spec_files;
use crate::state::AppState;
use uuid::Uuid;

/// Filters of `GET /projects/{id}/specs`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpecParams {
    pub status: Option<SpecStatus>,
    pub category: Option<SpecCategory>,
    pub procurement: Option<Procurement>,
    /// `true`: only materials past their order-by date and not ordered.
    pub late: Option<bool>,
    /// Part of the code or description.
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

impl ListFilter for SpecParams {
    type Query = SpecQuery;
    fn read(p: &mut QueryParams) -> SpecQuery {
        SpecQuery {
            status: p.choice("status"),
            category: p.choice("category"),
            procurement: p.choice("procurement"),
            late: p.flag("late").unwrap_or(false),
            q: p.text("q"),
            place: p.place(),
        }
    }
}

/// A project's material specifications
///
/// With the codes of late materials (past their order-by date — needed-on-site date minus
/// lead time — and not ordered) and budget / committed / actual cost by category. Client
/// users see only specifications submitted to them.
#[utoipa::path(
    get,
    path = "/projects/{id}/specs",
    tag = "specs",
    params(("id" = Uuid, Path, description = "Project id"), SpecParams),
    responses((status = 200, body = SpecList), Forbidden, Invalid)
)]
pub async fn list_specs(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(query, _): Parsed<SpecParams>,
) -> ApiResult<Json<SpecList>> {
    Ok(Json(
        state
            .services
            .list_specs(&caller.caller, id, &query)
            .await?,
    ))
}

/// Add a material specification
///
/// `code` and `description` are required. It starts as a draft.
#[utoipa::path(
    post,
    path = "/projects/{id}/specs",
    tag = "specs",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = SpecInput,
    responses(
        (status = 201, body = Spec, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_spec(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<SpecInput>,
) -> ApiResult<Response> {
    let s = state
        .services
        .create_spec(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/specs/{}", s.id),
        Some(s.version),
        Json(s),
    ))
}

/// A material specification with its approval history
#[utoipa::path(
    get,
    path = "/specs/{id}",
    tag = "specs",
    params(("id" = Uuid, Path, description = "Specification id")),
    responses((status = 200, body = SpecDetail, headers(("etag" = String))))
)]
pub async fn get_spec(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let (d, _) = state.services.get_spec(&caller.caller, id).await?;
    Ok(with_etag(d.spec.version, Json(d)))
}

/// Change a material specification
///
/// Submitted and approved specifications are locked except for their links (409 `locked`);
/// changing one sent back for revision makes it a draft again. Send `If-Match` or `version`.
#[utoipa::path(
    patch,
    path = "/specs/{id}",
    tag = "specs",
    params(("id" = Uuid, Path, description = "Specification id"), IfMatchParam),
    request_body = SpecInput,
    responses(
        (status = 200, body = Spec, headers(("etag" = String))),
        (status = 409, description = "Locked, a taken code, or a stale `version`", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_spec(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<SpecInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let s = state
        .services
        .update_spec(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(s.version, Json(s)))
}

/// Submit a specification for approval
///
/// From `draft` or `revise_and_resubmit`. Send `If-Match` or `version`.
#[utoipa::path(
    post,
    path = "/specs/{id}/submit",
    tag = "specs",
    params(("id" = Uuid, Path, description = "Specification id"), IfMatchParam),
    request_body = VersionBody,
    responses(
        (status = 200, body = Spec, headers(("etag" = String))),
        (status = 409, description = "Not a draft, or a stale `version`", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn submit_spec(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(body): ApiJson<VersionBody>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, body.version)?;
    let s = state
        .services
        .submit_spec(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(s.version, Json(s)))
}

/// Decide on a submitted specification
///
/// Approving puts the material on the order list (`procurement: to_order`). Comments are
/// required to send it back or reject it.
#[utoipa::path(
    post,
    path = "/specs/{id}/review",
    tag = "specs",
    params(("id" = Uuid, Path, description = "Specification id"), IfMatchParam),
    request_body = SpecReviewInput,
    responses(
        (status = 200, body = Spec, headers(("etag" = String))),
        (status = 409, description = "Not submitted, or decided by someone else first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn review_spec(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<SpecReviewInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let s = state
        .services
        .review_spec(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(s.version, Json(s)))
}

/// Record a delivered specification as installed
///
/// Procurement runs `to_order` → `ordered` → `partially_delivered` → `delivered` →
/// `installed`. Only `installed` is recorded here, once the specification is delivered:
/// sending a purchase order raised from it orders it, and goods received against that
/// order deliver it. `ordered`, `partially_delivered` and `delivered` are refused (422 naming
/// `status`, saying to raise a purchase order or to receive goods on it).
#[utoipa::path(
    post,
    path = "/specs/{id}/procurement",
    tag = "specs",
    params(("id" = Uuid, Path, description = "Specification id"), IfMatchParam),
    request_body = ProcurementInput,
    responses(
        (status = 200, body = Spec, headers(("etag" = String))),
        (status = 409, description = "Not approved, not delivered yet, or a stale `version`", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn procure(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<ProcurementInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let s = state
        .services
        .procure_spec(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(s.version, Json(s)))
}

/// Export a project's specifications
///
/// As `.xlsx` (a *Materials* sheet with every importable column followed by what the system
/// works out — total, order-by date, approval, procurement, delivery, lateness — and a
/// *Costs by category* sheet) or as `.csv` (the specifications). The file imports back as it is.
#[utoipa::path(
    get,
    path = "/projects/{id}/specs/export",
    tag = "specs",
    params(("id" = Uuid, Path, description = "Project id"), FormatParam),
    responses(
        (status = 200, description = "The spreadsheet, as an attachment (`.xlsx`, or `.csv` with `format=csv`)", content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
        Forbidden,
    )
)]
pub async fn export_specs(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(format, _): Parsed<FormatParam>,
) -> ApiResult<Response> {
    let s = &state.services;
    let (project, _) = s.project_for(&caller.caller, id).await?;
    let list = s
        .list_specs(&caller.caller, id, &SpecQuery::default())
        .await?;
    spec_files::export(&list, &project.code, s.today(), format).map_err(internal)
}

/// The specification import template
///
/// The columns an import reads, with no rows (`.xlsx` adds a sheet explaining each column).
#[utoipa::path(
    get,
    path = "/specs/template",
    tag = "specs",
    params(FormatParam),
    responses(
        (status = 200, description = "The template, as an attachment (`.xlsx`, or `.csv` with `format=csv`)", content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
        Malformed,
    )
)]
pub async fn spec_template(
    _caller: ApiCaller,
    Parsed(format, _): Parsed<FormatParam>,
) -> ApiResult<Response> {
    spec_files::template(format).map_err(internal)
}

/// Import a specification spreadsheet
///
/// Send the `.xlsx` or `.csv` file as the request body (up to 10 MiB). *Code* and
/// *Description* are required columns; the others are found by header (the template's, or
/// common alternatives such as *SKU*, *Qty* or *Vendor*). Every row is checked with the rules
/// of a specification typed in. Rows whose code exists update that specification — unless it
/// is submitted or approved, whose content cannot change (the row is refused unless it says
/// the same). With `dry_run=true` (the default) nothing is written; with `dry_run=false` the
/// whole file is imported in one transaction, or nothing is and the answer is 422 naming
/// every bad row and column.
#[utoipa::path(
    post,
    path = "/projects/{id}/specs/import",
    tag = "specs",
    params(("id" = Uuid, Path, description = "Project id"), ImportParams),
    request_body(description = "The spreadsheet file, `.csv` or `.xlsx`: any bytes, read as a spreadsheet", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, body = ImportPreview),
        (status = 409, description = "A specification changed while importing", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than 10 MiB, or holds more than an import reads (rows, columns, cells, text, unpacked bytes)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The server is reading other spreadsheets, or reading this one took too long; try again after `Retry-After`", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn import_specs(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(run, _): Parsed<ImportParams>,
    body: Body,
) -> ApiResult<Json<ImportPreview>> {
    let sheet = read_import(&state, body, &run).await?;
    let s = &state.services;
    let preview = if run.dry_run {
        s.preview_spec_import(&caller.caller, id, &sheet).await?
    } else {
        s.apply_spec_import(&caller.caller, id, &sheet).await?
    };
    Ok(Json(preview))
}
