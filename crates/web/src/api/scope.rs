//! A project's scope of work (BOQ): groups, priced items, their order, totals, and
//! spreadsheet import and export.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::scope::{
    MoveTo, NewScopeGroup, NewScopeItem, ScopeGroupPatch, ScopeItemPatch, ScopeOverview,
};
use formula_app::scope_import::{ImportPreview, Sheet};
use formula_domain::numbers::DecimalMark;
use formula_domain::scope::{ScopeGroup, ScopeItem};
use serde::Deserialize;

use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{
    IfMatchParam, ListFilter, PageParams, Parsed, QueryParams, ScopeParams, VersionParam,
};
use super::problems::{Forbidden, Invalid, Malformed};
use super::{ApiResult, PREFIX, ScopeItemPage};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiJson, Problem};
use crate::limits::IMPORT_BODY_BYTES;
use crate::scope_files::{self, Format, UploadError};
use crate::state::AppState;

/// A project's scope
///
/// Every group with its subtotals, every item in order, the project totals and the units
/// items may use. Money is in minor units of `currency`. A project starts with the default
/// groups (Construction, Millwork, Electrical, Mechanical/MEP); reading never creates any.
#[utoipa::path(
    get,
    path = "/projects/{id}/scope",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    responses((status = 200, body = ScopeOverview), Forbidden)
)]
pub async fn get_scope(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ScopeOverview>> {
    let (_, _, overview) = state.services.scope_overview(&caller.caller, id).await?;
    Ok(Json(overview))
}

/// A project's scope items
///
/// In Scope-tab order (group, then position in the group), filtered and paged.
#[utoipa::path(
    get,
    path = "/projects/{id}/scope-items",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id"), ScopeParams, PageParams),
    responses((status = 200, body = ScopeItemPage), Forbidden, Invalid)
)]
pub async fn list_items(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(query, _): Parsed<ScopeParams>,
) -> ApiResult<Json<ScopeItemPage>> {
    Ok(Json(
        state
            .services
            .list_scope_items(&caller.caller, id, query)
            .await?
            .into(),
    ))
}

/// Add a scope item
///
/// Appended at the end of its group. `code` is generated (`<project>-<group letter>-<nnn>`,
/// the group's next free number, even when others add items at the same moment) when
/// absent; `total_minor` is always `quantity × unit_price_minor`, rounded to the minor
/// unit. Items of a millwork group need a shop drawing and a material spec unless told otherwise.
#[utoipa::path(
    post,
    path = "/projects/{id}/scope-items",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = NewScopeItem,
    responses(
        (status = 201, body = ScopeItem, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The code given is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewScopeItem>,
) -> ApiResult<Response> {
    let item = state
        .services
        .create_scope_item(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/scope-items/{}", item.id),
        Some(item.version),
        Json(item),
    ))
}

/// A scope item
#[utoipa::path(
    get,
    path = "/scope-items/{id}",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope item id")),
    responses((status = 200, body = ScopeItem, headers(("etag" = String))))
)]
pub async fn get_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let (item, _) = state.services.get_scope_item(&caller.caller, id).await?;
    Ok(with_etag(item.version, Json(item)))
}

/// Change a scope item
///
/// Send `If-Match` with the ETag, or `version`. `status: completed` sets progress to 100.
#[utoipa::path(
    patch,
    path = "/scope-items/{id}",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope item id"), IfMatchParam),
    request_body = ScopeItemPatch,
    responses(
        (status = 200, body = ScopeItem, headers(("etag" = String))),
        (status = 409, description = "Stale `version`, or the code is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<ScopeItemPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let item = state
        .services
        .update_scope_item(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(item.version, Json(item)))
}

/// Delete a scope item
///
/// Send `If-Match` with the ETag, or `?version=`.
#[utoipa::path(
    delete,
    path = "/scope-items/{id}",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope item id"), IfMatchParam, VersionParam),
    responses((status = 204, description = "Deleted"), Forbidden)
)]
pub async fn delete_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_scope_item(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move a scope item
///
/// To `index` (0-based; past the end means last) within `group_id`, or within its own group
/// when `group_id` is absent. Send `If-Match` or `version`.
#[utoipa::path(
    post,
    path = "/scope-items/{id}/move",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope item id"), IfMatchParam),
    request_body = MoveTo,
    responses((status = 200, body = ScopeItem, headers(("etag" = String))), Forbidden, Invalid)
)]
pub async fn move_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(to): ApiJson<MoveTo>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, to.version)?;
    let item = state
        .services
        .move_scope_item(&caller.caller, id, expected.version, to)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(item.version, Json(item)))
}

/// Add a scope group
///
/// Placed after the existing groups. Its code letter is taken from the name unless given.
#[utoipa::path(
    post,
    path = "/projects/{id}/scope-groups",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = NewScopeGroup,
    responses(
        (status = 201, body = ScopeGroup, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The name or letter is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewScopeGroup>,
) -> ApiResult<Response> {
    let group = state
        .services
        .create_scope_group(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/scope-groups/{}", group.id),
        Some(group.version),
        Json(group),
    ))
}

/// Add the default scope groups
///
/// A new project starts with Construction, Millwork, Electrical and Mechanical/MEP. This adds
/// those of them that a project lacks (one whose groups were deleted, or created before
/// projects had them), after its own groups; a group whose name or letter is taken is
/// skipped, so calling it again adds nothing. Answers the project's groups.
#[utoipa::path(
    post,
    path = "/projects/{id}/scope/default-groups",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    responses(
        (status = 200, body = Vec<ScopeGroup>),
        Forbidden,
    )
)]
pub async fn add_default_groups(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<ScopeGroup>>> {
    let groups = state
        .services
        .add_default_scope_groups(&caller.caller, id)
        .await?;
    Ok(Json(groups))
}

/// Rename a scope group
///
/// Changes its name or code letter (existing item codes stay as they are). Send `If-Match` or `version`.
#[utoipa::path(
    patch,
    path = "/scope-groups/{id}",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope group id"), IfMatchParam),
    request_body = ScopeGroupPatch,
    responses(
        (status = 200, body = ScopeGroup, headers(("etag" = String))),
        (status = 409, description = "Stale `version`, or the name or letter is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<ScopeGroupPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let group = state
        .services
        .update_scope_group(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(group.version, Json(group)))
}

/// Delete a scope group
///
/// Only an empty group can be deleted (409 `has_dependents` otherwise). Send `If-Match` or `?version=`.
#[utoipa::path(
    delete,
    path = "/scope-groups/{id}",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope group id"), IfMatchParam, VersionParam),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Stale `version`, or the group still holds items", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn delete_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_scope_group(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where to move a group.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMove {
    /// 0-based position among the project's groups; past the end means last.
    pub index: u32,
}

/// Move a scope group
#[utoipa::path(
    post,
    path = "/scope-groups/{id}/move",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Scope group id")),
    request_body = GroupMove,
    responses((status = 204, description = "Moved"), Forbidden, Invalid)
)]
pub async fn move_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(to): ApiJson<GroupMove>,
) -> ApiResult<StatusCode> {
    state
        .services
        .move_scope_group(&caller.caller, id, to.index)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?format=` of a spreadsheet download.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `xlsx` (default) or `csv`.
    #[param(schema_with = format_schema)]
    pub format: Option<String>,
}

fn format_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["xlsx", "csv"]))
        .build()
}

fn number_format_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["auto", "decimal_point", "decimal_comma"]))
        .build()
}

impl ListFilter for FormatParam {
    type Query = Format;
    fn read(p: &mut QueryParams) -> Format {
        p.value("format", "must be xlsx or csv")
            .unwrap_or(Format::Xlsx)
    }
}

pub(crate) fn internal(e: String) -> ApiError {
    tracing::error!(error = %e, "spreadsheet could not be written");
    ApiError::from(formula_app::AppError::Internal(e))
}

/// Export a project's scope
///
/// As `.xlsx` (a *Scope* sheet with every item, importable as it is, and a *Totals* sheet
/// with group subtotals and the project total) or as `.csv` (the items).
#[utoipa::path(
    get,
    path = "/projects/{id}/scope/export",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id"), FormatParam),
    responses(
        (status = 200, description = "The spreadsheet, as an attachment (`.xlsx`, or `.csv` with `format=csv`)", content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
        Forbidden,
    )
)]
pub async fn export(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(format, _): Parsed<FormatParam>,
) -> ApiResult<Response> {
    let (project, _, overview) = state.services.scope_overview(&caller.caller, id).await?;
    scope_files::export(&overview, &project.code, format).map_err(internal)
}

/// The scope import template
///
/// The columns an import reads, with no rows (`.xlsx` adds a sheet explaining each column).
#[utoipa::path(
    get,
    path = "/scope/template",
    tag = "scope",
    params(FormatParam),
    responses(
        (status = 200, description = "The template, as an attachment (`.xlsx`, or `.csv` with `format=csv`)", content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
        Malformed,
    )
)]
pub async fn template(
    _caller: ApiCaller,
    Parsed(format, _): Parsed<FormatParam>,
) -> ApiResult<Response> {
    scope_files::template(format).map_err(internal)
}

/// How to run an import.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true` (default): only check the file and say what importing it would do.
    /// `false`: import it, all or nothing.
    pub dry_run: Option<bool>,
    /// The file's name, used in messages and to refuse obvious mismatches.
    #[param(max_length = 200)]
    pub file_name: Option<String>,
    /// How the file writes numbers: `auto` (default: a decimal comma in a `;`-separated
    /// `.csv`, a decimal point otherwise), `decimal_point` (1,234.56) or `decimal_comma`
    /// (1.234,56). A number the format cannot read one way only is a row error.
    #[param(schema_with = number_format_schema)]
    pub number_format: Option<String>,
}

/// How to run an import, as read.
pub struct ImportRun {
    pub dry_run: bool,
    pub file_name: String,
    /// `None`: as the file suggests.
    pub numbers: Option<DecimalMark>,
}

impl ListFilter for ImportParams {
    type Query = ImportRun;
    fn read(p: &mut QueryParams) -> ImportRun {
        let numbers = p
            .value::<scope_files::NumberChoice>("number_format", "")
            .and_then(|c| c.0);
        ImportRun {
            dry_run: p.flag("dry_run").unwrap_or(true),
            file_name: p.text("file_name").unwrap_or_default(),
            numbers,
        }
    }
}

/// Reads an import's request body (at most [`IMPORT_BODY_BYTES`]) as a spreadsheet, on the
/// spreadsheet-reading pool: a file that is not one is 422, one larger than an import reads
/// (rows, columns, cells, text, unpacked bytes) 413, a busy or stopped pool 503.
pub(crate) async fn read_import(
    state: &AppState,
    body: Body,
    run: &ImportRun,
) -> Result<Sheet, ApiError> {
    let bytes = axum::body::to_bytes(body, IMPORT_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the file is larger than {IMPORT_BODY_BYTES} bytes; split it"),
            )
        })?;
    scope_files::read_upload(&state.read_pool, bytes, &run.file_name, run.numbers)
        .await
        .map_err(|e| match e {
            UploadError::Unreadable(m) => ApiError::from(formula_app::AppError::field("file", m)),
            UploadError::TooLarge(m) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "spreadsheet_too_large", m)
            }
            UploadError::Busy | UploadError::TimedOut(_) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", e.message())
                    .with_retry_after(UploadError::RETRY_AFTER_SECS)
            }
        })
}

/// Import a scope spreadsheet
///
/// Send the `.xlsx` or `.csv` file as the request body (up to 10 MiB). Columns are found by
/// their header (the template's, or common alternatives such as *Qty* or *Rate*). Every row
/// is checked; rows whose item code already exists update that item, so importing the same
/// file twice changes nothing. With `dry_run=true` (the default) nothing is written and the
/// answer lists what each row would do and why bad rows are bad. With `dry_run=false` the
/// whole file is imported in one transaction, or — if any row is bad — nothing is, and the
/// answer is 422 naming every bad row and column.
#[utoipa::path(
    post,
    path = "/projects/{id}/scope/import",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id"), ImportParams),
    request_body(description = "The spreadsheet file, `.csv` or `.xlsx`: any bytes, read as a spreadsheet", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, body = ImportPreview),
        (status = 409, description = "An item changed while importing", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than 10 MiB, or holds more than an import reads (rows, columns, cells, text, unpacked bytes)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The server is reading other spreadsheets, or reading this one took too long; try again after `Retry-After`", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn import(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(run, _): Parsed<ImportParams>,
    body: Body,
) -> ApiResult<Json<ImportPreview>> {
    let sheet = read_import(&state, body, &run).await?;
    let s = &state.services;
    let preview = if run.dry_run {
        s.preview_scope_import(&caller.caller, id, &sheet).await?
    } else {
        s.apply_scope_import(&caller.caller, id, &sheet).await?
    };
    Ok(Json(preview))
}

/// The priced scope of work as PDF
///
/// The document to send: the company letterhead, the client and project, every item (but
/// cancelled ones) by group with code, name, quantity, unit, rate and amount, group
/// subtotals, the total and the company's terms; the project code and "Page x of y" on
/// every page. For whoever may read the scope's prices (never client users).
#[utoipa::path(
    get,
    path = "/projects/{id}/scope.pdf",
    tag = "scope",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    responses(
        (status = 200, description = "The PDF, as an attachment", content(("application/pdf"))),
        Forbidden,
    )
)]
pub async fn export_pdf(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    Ok(crate::documents::scope_pdf(&state, &caller.caller, id).await?)
}
