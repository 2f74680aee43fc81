//! The middleware every request passes: request id, same-origin check for
//! writes, security headers on every response, and one log line per request.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// The id of the current request (taken from `X-Request-Id` if sane, else generated).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Content Security Policy: only our own scripts and styles, no inline code, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn sane_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then(|| s.to_owned())
}

/// Rejects cross-site writes whose `Origin` is not our own (defence in depth beside CSRF tokens).
fn cross_origin(req: &Request, state: &AppState) -> bool {
    if !crate::csrf::is_unsafe(req.method()) {
        return false;
    }
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    if origin == state.web.public_url.trim_end_matches('/') {
        return false;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o == host);
    !same_host
}

/// The outermost application middleware.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(sane_id)
        .unwrap_or_else(|| formula_domain::new_id().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let path = req.uri().path().to_owned();

    let mut resp = if cross_origin(&req, &state) {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "cross-site requests are not allowed",
        )
        .into_response()
    } else {
        next.run(req).await
    };

    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if state.web.public_url.starts_with("https://") {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }

    let status = resp.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let route = route.as_deref().unwrap_or(if status == 404 {
        "<unmatched>"
    } else {
        path.as_str()
    });
    if status >= 500 {
        tracing::error!(request_id = %id, %method, route, status, duration_ms = ms, "request");
    } else if status >= 400 {
        tracing::warn!(request_id = %id, %method, route, status, duration_ms = ms, "request");
    } else {
        tracing::info!(request_id = %id, %method, route, status, duration_ms = ms, "request");
    }
    resp
}

/// Readiness: 200 when the database answers, else 503.
pub async fn ready(State(state): State<AppState>) -> Response {
    let backend = state.services.store.backend();
    match state.services.store.ping().await {
        Ok(()) => {
            axum::Json(serde_json::json!({"status": "ok", "database": backend})).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "fail", "database": backend})),
            )
                .into_response()
        }
    }
}
