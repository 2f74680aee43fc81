//! Extractors shared by the API handlers: UUID path ids (400 `invalid_id`
//! instead of a 500 or a plain-text rejection), `If-Match` versions and the
//! rule that turns them, or a `version` in the body, into the expected version.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formula_app::AppError;
use uuid::Uuid;

use crate::error::ApiError;

async fn path_ids<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Vec<Uuid>, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|e| {
            tracing::error!(error = %e.body_text(), "path parameters unavailable");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an internal error occurred; quote the request id when reporting it",
            )
        })?;
    params
        .iter()
        .map(|(name, value)| {
            Uuid::parse_str(value).map_err(|_| {
                let shown: String = value.chars().take(40).collect();
                ApiError::bad_request("invalid_id", format!("`{name}` in the path must be a UUID like 0190a5c8-3f2e-7c4a-9b1d-2e5f6a7b8c9d, not `{shown}`"))
            })
        })
        .collect()
}

fn wrong_arity() -> ApiError {
    tracing::error!("route declares a different number of path ids than its handler takes");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "an internal error occurred; quote the request id when reporting it",
    )
}

/// The one UUID in the path (`/tasks/{id}`).
pub struct PathId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match path_ids(parts, state).await?.as_slice() {
            [id] => Ok(PathId(*id)),
            _ => Err(wrong_arity()),
        }
    }
}

/// Two UUIDs in the path, in order (`/projects/{id}/members/{user_id}`).
pub struct PathIds(pub Uuid, pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match path_ids(parts, state).await?.as_slice() {
            [a, b] => Ok(PathIds(*a, *b)),
            _ => Err(wrong_arity()),
        }
    }
}

/// The version named by an `If-Match` header (`"3"`, also `W/"3"` or `3`), if any.
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(raw) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let bad = || {
            ApiError::bad_request(
                "invalid_if_match",
                "If-Match must be the single ETag you received, like \"3\" (a wildcard or a list is not accepted)",
            )
        };
        let text = raw.to_str().map_err(|_| bad())?.trim();
        let text = text.strip_prefix("W/").unwrap_or(text);
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        match text.parse::<i64>() {
            Ok(v) if v > 0 => Ok(IfMatch(Some(v))),
            _ => Err(bad()),
        }
    }
}

/// How the client named the version it edited; decides how a stale write is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// `If-Match`: a failed precondition, 412.
    IfMatch,
    /// A `version` in the body or query: a conflict, 409.
    Body,
}

/// The version a write expects to replace.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub version: i64,
    via: Via,
}

impl Expected {
    /// Takes the version from `If-Match` or from the body. Neither is 428; both
    /// disagreeing is 400, since the client cannot mean both.
    pub fn resolve(if_match: IfMatch, body: Option<i64>) -> Result<Expected, ApiError> {
        match (if_match.0, body) {
            (Some(h), Some(b)) if h != b => Err(ApiError::bad_request(
                "conflicting_versions",
                format!(
                    "If-Match names version {h} but the body names version {b}; send one of them"
                ),
            )),
            (Some(h), _) => Ok(Expected {
                version: h,
                via: Via::IfMatch,
            }),
            (None, Some(b)) => Ok(Expected {
                version: b,
                via: Via::Body,
            }),
            (None, None) => Err(ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "say which version you are changing: send the ETag you received as `If-Match: \"<version>\"`, or a `version` field",
            )),
        }
    }

    /// Maps a use-case error; a stale version named by `If-Match` becomes 412.
    pub fn error(&self, e: AppError) -> ApiError {
        let stale = matches!(e, AppError::Stale { .. });
        let err = ApiError::from(e);
        if stale && self.via == Via::IfMatch {
            err.with_status(StatusCode::PRECONDITION_FAILED)
        } else {
            err
        }
    }
}

/// A response carrying `ETag: "<version>"`.
pub fn with_etag(version: i64, body: impl IntoResponse) -> Response {
    let mut resp = body.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// A `201 Created` response with `Location` and `ETag`.
pub fn created(location: String, version: Option<i64>, body: impl IntoResponse) -> Response {
    let mut resp = (StatusCode::CREATED, body).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    if let Some(version) = version
        && let Ok(v) = HeaderValue::from_str(&format!("\"{version}\""))
    {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}
