//! The same-origin check for writes: a state-changing request whose `Origin` is not our
//! own is refused (defence in depth beside the CSRF tokens), unless it is an allowed CORS
//! call from an API-token client.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// Refuses cross-site writes with 403 `cross_origin`.
pub async fn check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if cross_origin(&req, &state) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "cross-site requests are not allowed",
        )
        .into_response();
    }
    next.run(req).await
}

/// Whether a write comes from another site than `PUBLIC_URL` or the request's own `Host`.
fn cross_origin(req: &Request, state: &AppState) -> bool {
    if !crate::csrf::is_unsafe(req.method()) {
        return false;
    }
    // One-click unsubscribe (RFC 8058) is posted by mail providers from their own servers;
    // the signed link is its proof, and all it can do is turn mail off.
    if req.uri().path() == "/unsubscribe" {
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
    // A listed API-token client (bearer token, no cookie): nothing of a browser session rides along.
    if crate::cors::lets_through(
        req.uri().path(),
        req.headers(),
        &state.web.cors_allowed_origins,
    ) {
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
