//! Mapping errors to responses: RFC 9457 problem+json for the API, HTML pages for the UI.
//! Client mistakes are 4xx; internal errors are logged once and show the request id.

use askama::Template;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use formula_app::AppError;
use formula_domain::errors::FieldError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`about:blank` plus a stable `code`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`, `stale_version`.
    pub code: String,
    /// Per-field problems, for validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `stale_version`: the version now stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// For `stale_version`: who saved the newer version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    /// For `invalid_transition`: the statuses that are allowed from the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

/// An error answered as problem+json. The problem is boxed so `Result<_, ApiError>` stays small.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    problem: Box<Problem>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            problem: Box::new(Problem {
                kind: "about:blank".into(),
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                status: status.as_u16(),
                detail: detail.into(),
                code: code.to_owned(),
                errors: Vec::new(),
                current_version: None,
                updated_by: None,
                allowed: None,
            }),
            retry_after: None,
        }
    }

    pub fn unauthenticated(detail: &str) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    pub fn csrf() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "missing or wrong X-CSRF-Token header (cookie-authenticated writes need the token from /api/v1/auth/me)",
        )
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// The same problem, telling the client to try again after `secs` (`Retry-After`).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The same problem answered with another status (e.g. a stale version that
    /// came through `If-Match` is 412 rather than 409).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self.problem.status = status.as_u16();
        self.problem.title = status.canonical_reason().unwrap_or("Error").to_owned();
        self
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let code = e.code();
        let detail = e.to_string();
        match e {
            AppError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, code, detail),
            AppError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, code, detail),
            AppError::Unauthenticated => {
                ApiError::new(StatusCode::UNAUTHORIZED, code, "wrong email or password")
            }
            AppError::Validation(fields) => {
                let mut err =
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, summary(&fields.0));
                err.problem.errors = fields.0;
                err
            }
            AppError::Conflict { fields, .. } => {
                let mut err = ApiError::new(StatusCode::CONFLICT, code, detail);
                err.problem.errors = fields.0;
                err
            }
            AppError::Stale {
                current_version,
                updated_by,
                ..
            } => {
                let who = updated_by.clone().unwrap_or_else(|| "someone else".into());
                let mut err = ApiError::new(
                    StatusCode::CONFLICT,
                    code,
                    format!(
                        "{who} saved a newer version (version {current_version}) while you were editing; reload, reapply your change and save again"
                    ),
                );
                err.problem.current_version = Some(current_version);
                err.problem.updated_by = updated_by;
                err
            }
            AppError::InvalidTransition { allowed, .. } => {
                let detail = if allowed.is_empty() {
                    format!("{detail}; the current status is final")
                } else {
                    format!("{detail}; allowed: {}", allowed.join(", "))
                };
                let mut err = ApiError::new(StatusCode::CONFLICT, code, detail);
                err.problem.allowed = Some(allowed);
                err
            }
            AppError::RateLimited { retry_after_secs } => {
                let mut err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, detail);
                err.retry_after = Some(retry_after_secs);
                err
            }
            AppError::Unavailable(_) => {
                let mut err = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    code,
                    "the service is temporarily unavailable; try again shortly",
                );
                err.retry_after = Some(UNAVAILABLE_RETRY_AFTER_SECS);
                err
            }
            AppError::InsufficientStorage(what) => ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                code,
                format!(
                    "{what} is full, so nothing was saved; try again once an administrator has freed space"
                ),
            ),
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    code,
                    "an internal error occurred; quote the request id when reporting it",
                )
            }
        }
    }
}

fn summary(fields: &[FieldError]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|f| format!("{} {}", f.field, f.message))
        .collect();
    format!("the submitted data is not valid: {}", parts.join("; "))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(*self.problem)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// JSON body extractor whose rejections are precise problem+json errors
/// (malformed JSON 400, wrong content type 415, not an object / unknown fields / wrong
/// types 422, too large 413). Strings holding control characters are refused with a 422
/// naming each one (see [`crate::text_input`]).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(json_rejection)?;
        // Every body is an object of named fields. Serde would also fill a struct from an
        // array, by position, so `["Hotel"]` would quietly become `{"name": "Hotel"}`.
        if !value.is_object() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "the body must be a JSON object of named fields, like {\"name\": \"Hotel Azul\"}",
            ));
        }
        let mut value = value;
        integral_numbers(&mut value);
        let refused = crate::text_input::check_json(&value);
        if !refused.is_empty() {
            return Err(AppError::Validation(refused).into());
        }
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    format!("the JSON body does not match the schema: {e}"),
                )
            })
    }
}

/// Multipart form extractor whose rejections are problem+json like every other API error:
/// a body that is not `multipart/form-data` is 415, one without a usable boundary 400.
/// (Axum's own rejection is a `text/plain` sentence.)
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"));
        if !is_multipart {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the form as `Content-Type: multipart/form-data; boundary=…`",
            ));
        }
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(ApiMultipart)
            .map_err(|e| {
                ApiError::bad_request(
                    "malformed_multipart",
                    format!("the multipart form could not be read: {}", e.body_text()),
                )
            })
    }
}

/// Writes numbers with nothing after the point (`3.0`, `1e3`) as integers. JSON (and JSON
/// Schema, which the API document uses) does not tell `3.0` from `3`, but serde would refuse
/// `3.0` where an integer is expected.
fn integral_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // Exact: every integer below 2^53 is a float without rounding.
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *value = Value::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("the JSON body does not match the schema: {}", e.body_text()),
        ),
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        other => {
            let status = other.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    status,
                    "body_too_large",
                    "the request body is larger than the server accepts",
                )
            } else {
                ApiError::new(status, "invalid_body", other.body_text())
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: Option<&'a str>,
    /// Always false here: this page is for requests without a session (see [`ShownError`]).
    signed_in: bool,
}

/// What an HTML error page says, kept on the response: for a request with a valid session
/// [`crate::ui::errors::in_layout`] shows the same message inside the app shell, which needs
/// the request (and the user) that this point does not have.
#[derive(Debug, Clone)]
pub struct ShownError {
    pub status: StatusCode,
    pub message: String,
}

/// Renders a small standalone HTML error page (offering to sign in).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        message,
        request_id: None,
        signed_in: false,
    };
    let mut resp = match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message.to_owned()).into_response(),
    };
    resp.extensions_mut().insert(ShownError {
        status,
        message: message.to_owned(),
    });
    resp
}

/// An error answered as an HTML page (or a redirect to sign-in).
#[derive(Debug)]
pub enum PageError {
    SignInRequired,
    Status(StatusCode, String),
    App(AppError),
}

impl PageError {
    pub fn bad_request(message: &str) -> Self {
        PageError::Status(StatusCode::BAD_REQUEST, message.to_owned())
    }
    pub fn csrf() -> Self {
        PageError::Status(
            StatusCode::FORBIDDEN,
            "This form has expired. Go back, reload the page and try again.".into(),
        )
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignInRequired => Redirect::to("/login").into_response(),
            PageError::Status(status, message) => error_page(status, &message),
            PageError::App(AppError::Unauthenticated) => Redirect::to("/login").into_response(),
            PageError::App(e) => {
                let api = ApiError::from(e);
                let mut page = error_page(api.status, &api.problem.detail);
                if let Some(secs) = api.retry_after {
                    page.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                page
            }
        }
    }
}

/// `Retry-After` of a 503 for an unavailable dependency (the database not answering, busy
/// or too slow): soon, since most outages seen by a request are short or end in a failover.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// Fallback for unknown paths: problem+json under /api, an HTML page elsewhere.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route for {}", uri.path()),
        )
        .into_response()
    } else {
        error_page(
            StatusCode::NOT_FOUND,
            "There is nothing at this address. Check the link, or start from the dashboard.",
        )
    }
}
