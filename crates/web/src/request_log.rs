//! HTTP metrics and one log line per request, both labelled by the matched route.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::client_ip::ClientIp;
use crate::request_ids::{correlation_id, request_id};
use crate::state::AppState;

/// Where the authentication extractors record who is calling, for the request log line
/// written after the response (the extractors run deeper in the stack than this layer).
#[derive(Debug, Clone, Default)]
pub struct UserSlot(pub Arc<OnceLock<uuid::Uuid>>);

/// Records the signed-in user of the current request for its log line.
pub fn record_user(extensions: &axum::http::Extensions, user_id: uuid::Uuid) {
    if let Some(slot) = extensions.get::<UserSlot>() {
        let _ = slot.0.set(user_id);
    }
}

/// Routes whose 401 answer means a refused sign-in (counted in `login_failures_total`).
const LOGIN_ROUTES: &[&str] = &["/api/v1/auth/login", "/login"];

/// Counts and times the request, then writes its log line: `error` for 5xx, `warn` for
/// 4xx and slow requests, `info` otherwise.
pub async fn record(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let metrics = state.runtime.metrics.clone();
    let in_flight = metrics.request_started();
    let id = request_id(req.headers()).unwrap_or_default().to_owned();
    let correlation = correlation_id(req.headers())
        .map(str::to_owned)
        .unwrap_or_else(|| id.clone());
    let user = UserSlot::default();
    req.extensions_mut().insert(user.clone());
    let method = req.method().clone();
    // Metrics and logs name the route template, never the raw path: bounded label values,
    // and no tokens from paths such as /reset-password/{token}.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let client_ip = req.extensions().get::<ClientIp>().map(|c| c.0.to_string());

    let resp = next.run(req).await;

    let status = resp.status().as_u16();
    let elapsed = started.elapsed();
    let route = route.as_deref().unwrap_or("<unmatched>");
    let method_label = metric_method(&method);
    let status_label = status.to_string();
    metrics
        .http_requests
        .inc(&[method_label, route, &status_label]);
    metrics
        .http_duration
        .observe(&[method_label, route], elapsed);
    if status == 401 && method == Method::POST && LOGIN_ROUTES.contains(&route) {
        metrics.login_failures.inc(&[]);
    }
    drop(in_flight);

    // Known for buffered bodies (hyper writes Content-Length from the same hint); absent
    // for streams. Compression runs outside this layer, so this is the size before it.
    let bytes = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| axum::body::HttpBody::size_hint(resp.body()).exact());
    let user_id = user.0.get().map(ToString::to_string);
    let ms = elapsed.as_secs_f64() * 1000.0;
    let slow = elapsed > state.web.ops.slow_request;
    macro_rules! log_request {
        ($level:ident, $message:literal) => {
            tracing::$level!(
                request_id = %id,
                correlation_id = %correlation,
                %method,
                route,
                status,
                duration_ms = ms,
                bytes,
                user_id,
                client_ip,
                $message
            )
        };
    }
    if status >= 500 {
        log_request!(error, "request");
    } else if status >= 400 {
        log_request!(warn, "request");
    } else if slow {
        log_request!(warn, "slow request");
    } else {
        log_request!(info, "request");
    }
    resp
}

/// The method as a metric label: the standard ones by name, anything else as `OTHER`, so a
/// client cannot create series at will.
fn metric_method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}
