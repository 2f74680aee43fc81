//! Per-request resource limits: body size by route class, and a time limit for
//! normal requests.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::timeout::TimeoutLayer;
use tower::{BoxError, ServiceBuilder};

use crate::ratelimit::Class;
use crate::state::AppState;

/// Largest body of a sign-in or password form: these hold a few short fields, so
/// anything bigger is abuse (and would only feed the password hasher).
pub const AUTH_FORM_BODY_BYTES: usize = 16 * 1024;

/// Largest spreadsheet upload for an import (and its confirmation, which carries the rows).
pub const IMPORT_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Whether a path receives spreadsheet imports (larger bodies allowed).
pub fn is_import(path: &str) -> bool {
    [
        "/scope/import",
        "/scope/import/confirm",
        "/specs/import",
        "/materials/import",
        "/materials/import/confirm",
        "/locations/import",
        "/locations/import/confirm",
    ]
    .iter()
    .any(|end| path.ends_with(end))
}

/// Whether a request uploads a file (its limit is `MAX_UPLOAD_SIZE`, checked while it streams).
/// A comment posted from its page may carry photos and PDFs (a URL-encoded one is held to the
/// general limit by its handler).
pub fn is_upload(method: &Method, path: &str) -> bool {
    *method == Method::POST
        && (path.ends_with("/revisions")
            || path == "/attachments"
            || path == "/api/v1/attachments"
            || path == "/comments")
}

/// The largest body accepted for a request, given the general limit (`MAX_BODY_BYTES`).
pub fn body_limit(method: &Method, path: &str, general: usize) -> usize {
    if *method == Method::POST && is_import(path) {
        return general.max(IMPORT_BODY_BYTES);
    }
    let auth_form = matches!(
        Class::of(method, path),
        Some(Class::Login | Class::PasswordReset)
    ) || (*method == Method::POST
        && matches!(
            path,
            "/setup" | "/profile/password" | "/api/v1/auth/password"
        ));
    if auth_form {
        general.min(AUTH_FORM_BODY_BYTES)
    } else {
        general
    }
}

/// The answer to a body over the limit.
pub fn too_large(path: &str, limit: usize) -> Response {
    crate::security::refuse(
        path,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        &format!("the request body is larger than the {limit} bytes this address accepts"),
        "The form you sent is too large. Go back and send less.",
    )
}

/// Refuses a body over the limit of its route class: at once when its declared length is
/// too large, else while it is read (the extractors then answer 413).
pub async fn limit_body(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let web = &state.web;
    let path = req.uri().path();
    let limit = if is_upload(req.method(), path) {
        usize::try_from(web.max_upload_bytes + crate::uploads::MULTIPART_SLACK)
            .unwrap_or(usize::MAX)
    } else {
        body_limit(req.method(), path, web.max_body_bytes)
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(path, limit);
    }
    if limit < web.max_body_bytes {
        // Smaller than the general limit (`DefaultBodyLimit`), so cut off here.
        req = req.map(|b| Body::new(http_body_util::Limited::new(b, limit)));
    }
    next.run(req).await
}

/// Stops normal requests that take longer than `limit` (`REQUEST_TIMEOUT_SECONDS`) to
/// answer, with 503: the handler's future is dropped, so an open database transaction
/// rolls back. The time runs until the response head; a body stream (a live-update
/// stream) is not limited. Only the routes already in `routes` are wrapped.
///
/// tower's `Timeout` with axum's `HandleErrorLayer`, rather than tower-http's
/// `TimeoutLayer`, because the answer is problem+json or a page depending on the path.
pub fn time_limited<S>(routes: Router<S>, limit: Duration) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(
                move |uri: Uri, _: BoxError| async move { timed_out(uri.path(), limit) },
            ))
            .layer(TimeoutLayer::new(limit)),
    )
}

/// The answer to a request stopped by [`time_limited`].
fn timed_out(path: &str, limit: Duration) -> Response {
    tracing::warn!(timeout_secs = limit.as_secs_f64(), "request timed out");
    crate::security::refuse(
        path,
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        &format!(
            "the request took longer than {} seconds and was stopped; nothing it was doing was saved — try again, and narrow the request if it keeps happening",
            limit.as_secs()
        ),
        "This took too long and was stopped, so nothing was saved. Try again in a moment.",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    fn app(limit: Duration) -> Router {
        let routes = Router::new()
            .route("/api/v1/slow", get(std::future::pending::<&'static str>))
            .route("/slow", get(std::future::pending::<&'static str>))
            .route("/fast", get(|| async { "ok" }));
        time_limited(routes, limit)
            // Merged after the layer: not timed out (it outlives the 1 ms limit below).
            .merge(Router::new().route(
                "/stream",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    "streaming"
                }),
            ))
    }

    async fn get_status(app: Router, path: &str) -> (StatusCode, String, String) {
        let resp = app
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        (status, ct, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn a_request_that_never_finishes_gets_a_clear_503() {
        let (status, ct, body) = get_status(app(Duration::from_millis(20)), "/api/v1/slow").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(ct, "application/problem+json");
        assert!(body.contains("\"code\":\"timeout\""), "{body}");
        let (status, ct, body) = get_status(app(Duration::from_millis(20)), "/slow").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(ct.starts_with("text/html"), "{ct}");
        assert!(body.contains("took too long"), "{body}");
    }

    #[tokio::test]
    async fn quick_requests_and_routes_merged_after_the_layer_are_untouched() {
        let (status, _, body) = get_status(app(Duration::from_secs(60)), "/fast").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
        let (status, _, _) = get_status(app(Duration::from_millis(1)), "/stream").await;
        assert_eq!(status, StatusCode::OK);
    }

    #[test]
    fn sign_in_and_password_forms_get_the_small_limit() {
        let mib = 1024 * 1024;
        assert_eq!(
            body_limit(&Method::POST, "/login", mib),
            AUTH_FORM_BODY_BYTES
        );
        assert_eq!(
            body_limit(&Method::POST, "/api/v1/auth/login", mib),
            AUTH_FORM_BODY_BYTES
        );
        assert_eq!(
            body_limit(&Method::POST, "/reset-password/x", mib),
            AUTH_FORM_BODY_BYTES
        );
        assert_eq!(
            body_limit(&Method::POST, "/profile/password", mib),
            AUTH_FORM_BODY_BYTES
        );
        assert_eq!(body_limit(&Method::POST, "/api/v1/clients", mib), mib);
        assert_eq!(body_limit(&Method::POST, "/login", 4096), 4096);
    }
}
