//! Optional CORS for API-token clients (`CORS_ALLOWED_ORIGINS`, off when empty).
//!
//! Only `/api/v1/*`, only the listed exact origins, and never with credentials: the
//! answer has no `Access-Control-Allow-Credentials`, so a browser does not hand a
//! cross-origin page a response to a cookie-bearing request. Cross-origin callers
//! authenticate with `Authorization: Bearer`.
//!
//! tower-http's `CorsLayer` is not used: it answers every `OPTIONS` as a preflight with
//! 200, and cannot refuse an unlisted origin with a problem that says what to do.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::PREFIX;
use crate::error::ApiError;
use crate::state::AppState;

const ALLOW_METHODS: &str = "GET, POST, PATCH, DELETE";
const ALLOW_HEADERS: &str = "Authorization, Content-Type, If-Match";
const EXPOSE_HEADERS: &str =
    "ETag, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-Id";
/// How long a browser may cache a preflight answer.
const MAX_AGE_SECS: &str = "600";

/// Answers preflights and marks answers to listed origins readable (when
/// `CORS_ALLOWED_ORIGINS` is set, for `/api/v1` and below).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let allowed = &state.web.cors_allowed_origins;
    if allowed.is_empty() || !applies(req.uri().path()) {
        return next.run(req).await;
    }
    if is_preflight(req.method(), req.headers()) {
        return preflight(req.headers(), allowed);
    }
    let origin = allowed_origin(req.headers(), allowed).map(str::to_owned);
    let mut resp = next.run(req).await;
    if let Some(o) = &origin {
        decorate(resp.headers_mut(), o);
    }
    resp
}

/// Whether CORS applies to this path.
pub fn applies(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The request's `Origin`, if it is in the allow-list.
pub fn allowed_origin<'a>(headers: &'a HeaderMap, allowed: &[String]) -> Option<&'a str> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    allowed.iter().any(|a| a == origin).then_some(origin)
}

/// Whether a request is a CORS preflight.
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    *method == Method::OPTIONS
        && headers.contains_key(header::ORIGIN)
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight: 204 with the allowances for a listed origin, else 403.
pub fn preflight(headers: &HeaderMap, allowed: &[String]) -> Response {
    let Some(origin) = allowed_origin(headers, allowed) else {
        let mut resp = ApiError::new(
            StatusCode::FORBIDDEN,
            "cors_origin_not_allowed",
            "this origin may not call the API from a browser; ask an administrator to add it to CORS_ALLOWED_ORIGINS",
        )
        .into_response();
        vary_origin(resp.headers_mut());
        return resp;
    };
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    allow_origin(h, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE_SECS),
    );
    resp
}

/// Marks an actual (non-preflight) response readable by a listed origin.
pub fn decorate(h: &mut HeaderMap, origin: &str) {
    allow_origin(h, origin);
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
}

fn allow_origin(h: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    vary_origin(h);
}

/// Caches must keep answers for different origins apart.
pub fn vary_origin(h: &mut HeaderMap) {
    let has = h
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("origin"));
    if !has {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// Whether a cross-origin write may pass the same-origin check: it comes from a listed
/// origin to the API, authenticates with a bearer token, and carries no cookie (so it
/// cannot be riding on a browser session).
pub fn lets_through(path: &str, headers: &HeaderMap, allowed: &[String]) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()
        });
    applies(path)
        && bearer
        && !headers.contains_key(header::COOKIE)
        && allowed_origin(headers, allowed).is_some()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderName;

    fn h(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn only_listed_bearer_requests_without_cookies_pass() {
        let allowed = vec!["https://tools.example.com".to_owned()];
        let origin = (header::ORIGIN, "https://tools.example.com");
        let bearer = (header::AUTHORIZATION, "Bearer fpm_x");
        assert!(lets_through(
            "/api/v1/tasks",
            &h(&[origin.clone(), bearer.clone()]),
            &allowed
        ));
        assert!(!lets_through(
            "/login",
            &h(&[origin.clone(), bearer.clone()]),
            &allowed
        ));
        assert!(!lets_through(
            "/api/v1/tasks",
            &h(&[
                origin.clone(),
                bearer.clone(),
                (header::COOKIE, "formula_session=x")
            ]),
            &allowed
        ));
        assert!(!lets_through(
            "/api/v1/tasks",
            &h(std::slice::from_ref(&origin)),
            &allowed
        ));
        assert!(!lets_through(
            "/api/v1/tasks",
            &h(&[(header::ORIGIN, "https://evil.example.com"), bearer]),
            &allowed
        ));
        assert!(applies("/api/v1") && !applies("/api/v10/x") && !applies("/api/docs"));
    }
}
