//! The middleware every request passes: request and correlation ids, same-origin check for
//! writes, security headers on every response, HTTP metrics, and one log line per request.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// The id of the current request (taken from `X-Request-Id` if sane, else generated).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The correlation id: a sane incoming `X-Correlation-Id` (set by a caller that spans several
/// services), else the request id. Returned on every response.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

/// Where the authentication extractors record who is calling, for the request log line
/// written after the response (the extractors run deeper in the stack than this middleware).
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

/// The outermost application middleware.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let metrics = state.runtime.metrics.clone();
    let in_flight = metrics.request_started();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(sane_id)
        .unwrap_or_else(|| formula_domain::new_id().simple().to_string());
    let correlation = req
        .headers()
        .get("x-correlation-id")
        .and_then(sane_id)
        .unwrap_or_else(|| id.clone());
    let user = UserSlot::default();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut()
        .insert(CorrelationId(correlation.clone()));
    req.extensions_mut().insert(user.clone());
    let method = req.method().clone();
    // Metrics and logs name the route template, never the raw path: bounded label values,
    // and no tokens from paths such as /reset-password/{token}.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    // The real client behind our own proxies (TRUSTED_PROXIES), as the audit trail sees it.
    let client_ip = req
        .extensions()
        .get::<crate::client_ip::ClientIp>()
        .map(|c| c.0)
        .or_else(|| {
            req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| {
                crate::client_ip::client_ip(req.headers(), c.0.ip(), &state.web.trusted_proxies)
            })
        })
        .map(|ip| ip.to_string());

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
    // With SECURITY_HEADERS=proxy the reverse proxy sets these, so each appears once.
    if state.web.security_headers == crate::security::SecurityHeaders::App {
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
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }
    if let Ok(v) = HeaderValue::from_str(&correlation) {
        h.insert(HeaderName::from_static("x-correlation-id"), v);
    }

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
    if status == 401 && method == axum::http::Method::POST && LOGIN_ROUTES.contains(&route) {
        metrics.login_failures.inc(&[]);
    }
    drop(in_flight);

    // Known for buffered bodies (hyper writes Content-Length from the same hint); absent
    // for streams.
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
fn metric_method(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
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
