//! The company's settings, the letterhead on every document.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use formula_app::drawings::Upload;
use formula_domain::company::{CompanyInput, CompanySettings};

use super::ApiResult;
use super::extract::{Expected, IfMatch, with_etag};
use super::params::IfMatchParam;
use super::problems::{Forbidden, Invalid, Malformed};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, ApiMultipart, Problem};
use crate::state::AppState;
use crate::uploads;

/// The company settings
///
/// Name, address, tax number, contacts and the default terms printed on documents, and
/// whether a logo was uploaded. Readable by every internal user (client users: 403).
/// Before an administrator first saves them, every field is empty and `version` is 0.
#[utoipa::path(
    get,
    path = "/company",
    tag = "company",
    responses((status = 200, body = CompanySettings, headers(("etag" = String))), Forbidden)
)]
pub async fn get_company(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Response> {
    let s = state.services.company_settings(&caller.caller).await?;
    Ok(with_etag(s.version, Json(s)))
}

/// Save the company settings
///
/// Administrators only. Every field is replaced (one left out is cleared; the logo stays).
/// Send `If-Match` with the ETag, or `version` in the body (0 for the first save).
#[utoipa::path(
    put,
    path = "/company",
    tag = "company",
    params(IfMatchParam),
    request_body = CompanyInput,
    responses(
        (status = 200, body = CompanySettings, headers(("etag" = String))),
        (status = 409, description = "Stale `version`: someone saved first", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn put_company(
    State(state): State<AppState>,
    caller: ApiCaller,
    if_match: IfMatch,
    ApiJson(input): ApiJson<CompanyInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let s = state
        .services
        .save_company_settings(&caller.caller, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(s.version, Json(s)))
}

/// The company logo
///
/// The PNG or JPEG printed on documents; 404 when none was uploaded.
#[utoipa::path(
    get,
    path = "/company/logo",
    tag = "company",
    responses(
        (status = 200, description = "The logo", content(("image/png"), ("image/jpeg"))),
        (status = 404, description = "No logo was uploaded", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn get_logo(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Response> {
    let Some((bytes, mime)) = state.services.company_logo(&caller.caller).await? else {
        return Err(formula_app::AppError::NotFound("company logo").into());
    };
    Ok(logo_response(bytes, &mime))
}

pub(crate) fn logo_response(bytes: Vec<u8>, mime: &str) -> Response {
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    resp
}

/// A logo to upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct LogoForm {
    /// A PNG or JPEG picture, at most 1 MiB and 4000 pixels a side.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload the company logo
///
/// Administrators only, once the settings were saved. `multipart/form-data` with a `file`
/// part: a PNG or JPEG of at most 1 MiB and 4000 pixels a side. Replaces the earlier logo.
/// Send `If-Match` with the settings' ETag.
#[utoipa::path(
    put,
    path = "/company/logo",
    tag = "company",
    params(IfMatchParam),
    request_body(content = LogoForm, description = "`file`", content_type = "multipart/form-data"),
    responses(
        (status = 200, body = CompanySettings, headers(("etag" = String))),
        (status = 413, description = "The file is larger than the upload limit", body = Problem, content_type = "application/problem+json"),
        Malformed,
        Forbidden,
        Invalid,
    )
)]
pub async fn put_logo(
    State(state): State<AppState>,
    caller: ApiCaller,
    if_match: IfMatch,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<Response> {
    let s = &state.services;
    let expected = Expected::resolve(if_match, None)?;
    // Refused before the upload is read, whatever it holds.
    s.may_manage_company(&caller.caller)?;
    let limit = formula_domain::company::MAX_LOGO_BYTES + 64 * 1024;
    let form = uploads::spool_multipart(multipart, &s.blobs.spool_dir(), limit)
        .await
        .map_err(super::drawings::upload_error)?;
    let Some(file) = form.file() else {
        return Err(
            formula_app::AppError::field("file", "attach the logo as the `file` part").into(),
        );
    };
    let saved = set_logo(&state, &caller, expected.version, &file.0)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(saved.version, Json(saved)))
}

/// Sets the logo, checked by reading the whole picture as documents will.
pub(crate) async fn set_logo(
    state: &AppState,
    caller: &ApiCaller,
    version: i64,
    upload: &Upload,
) -> Result<CompanySettings, formula_app::AppError> {
    state
        .services
        .set_company_logo(&caller.caller, version, upload, |bytes| {
            formula_reports::pdf::check_image(bytes)
                .map(|_| ())
                .map_err(|e| e.0)
        })
        .await
}

/// Remove the company logo
///
/// Administrators only; documents then print the company's name in its place. Send
/// `If-Match` with the settings' ETag.
#[utoipa::path(
    delete,
    path = "/company/logo",
    tag = "company",
    params(IfMatchParam),
    responses(
        (status = 200, body = CompanySettings, headers(("etag" = String))),
        (status = 409, description = "Stale version", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn delete_logo(
    State(state): State<AppState>,
    caller: ApiCaller,
    if_match: IfMatch,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, None)?;
    let saved = state
        .services
        .remove_company_logo(&caller.caller, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(saved.version, Json(saved)))
}
