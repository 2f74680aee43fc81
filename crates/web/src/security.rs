//! The protections every request passes after the request id is set: the real client
//! IP, CORS for listed API origins, the body-size limit of its route class, and rate
//! limits. See `docs/operations.md` → "Security and rate limits".

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::client_ip::{ClientIp, client_ip};
use crate::error::{ApiError, error_page};
use crate::ratelimit::{self, Class, Keys};
use crate::state::AppState;
use crate::{cors, limits};

/// Who sets the security headers (CSP, HSTS, X-Content-Type-Options, Referrer-Policy,
/// Permissions-Policy, COOP, X-Frame-Options): `SECURITY_HEADERS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityHeaders {
    /// The application sets them on every response.
    #[default]
    App,
    /// A reverse proxy sets them; the application leaves them out so each appears once.
    Proxy,
}

impl SecurityHeaders {
    /// The setting's value.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityHeaders::App => "app",
            SecurityHeaders::Proxy => "proxy",
        }
    }
}

/// A refusal: problem+json under `/api/`, a small HTML page elsewhere.
pub fn refuse(
    path: &str,
    status: StatusCode,
    code: &str,
    api_detail: &str,
    page_message: &str,
) -> Response {
    if path.starts_with("/api/") {
        ApiError::new(status, code, api_detail).into_response()
    } else {
        error_page(status, page_message)
    }
}

/// The credential a request carries (bearer token or session cookie), unchecked.
fn credential(headers: &HeaderMap, state: &AppState) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty());
    match bearer {
        Some(t) => Some(t.to_owned()),
        None => crate::auth::session_cookie(headers, state).filter(|t| !t.is_empty()),
    }
}

/// The security middleware (inside `middleware::guard`, outside the routes).
pub async fn protect(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let web = &state.web;

    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_ip(req.headers(), c.0.ip(), &web.trusted_proxies));
    if let Some(ip) = ip {
        req.extensions_mut().insert(ClientIp(ip));
    }

    let cors_on = !web.cors_allowed_origins.is_empty() && cors::applies(&path);
    if cors_on && cors::is_preflight(&method, req.headers()) {
        return cors::preflight(req.headers(), &web.cors_allowed_origins);
    }
    let origin = cors_on
        .then(|| cors::allowed_origin(req.headers(), &web.cors_allowed_origins))
        .flatten()
        .map(str::to_owned);
    let finish = |mut resp: Response| {
        if let Some(o) = &origin {
            cors::decorate(resp.headers_mut(), o);
        }
        resp
    };

    let limit = if limits::is_upload(&method, &path) {
        usize::try_from(web.max_upload_bytes + crate::uploads::MULTIPART_SLACK)
            .unwrap_or(usize::MAX)
    } else {
        limits::body_limit(&method, &path, web.max_body_bytes)
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return finish(limits::too_large(&path, limit));
    }
    if limit < web.max_body_bytes {
        // Bodies without a length are cut off while being read; extractors answer 413.
        req = req.map(|b| Body::new(http_body_util::Limited::new(b, limit)));
    }

    let mut counted = None;
    if web.rate_limits.enabled
        && let Some(class) = Class::of(&method, &path)
    {
        let keys = Keys::new(class, ip, credential(req.headers(), &state).as_deref());
        let decision = ratelimit::check(
            state.rate_limit_store.as_ref(),
            &web.rate_limits,
            class,
            &keys,
        )
        .await;
        if !decision.allowed {
            state
                .runtime
                .metrics
                .record_rate_limit_rejection(class.as_str());
            tracing::warn!(
                class = class.as_str(),
                client_ip = ip.map(|i| i.to_string()),
                "rate limit reached"
            );
            let wait = decision.reset_secs;
            let mut resp = refuse(
                &path,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                &format!("too many requests; try again in {wait} seconds"),
                &format!("Too many requests in a short time. Wait {wait} seconds, then try again."),
            );
            decision.write_headers(resp.headers_mut());
            return finish(resp);
        }
        counted = Some((decision, keys));
    }

    let mut resp = next.run(req).await;
    if let Some((decision, keys)) = counted {
        if resp.status() == StatusCode::UNAUTHORIZED {
            ratelimit::count_failed_credential(
                state.rate_limit_store.as_ref(),
                &web.rate_limits,
                decision.class,
                &keys,
            )
            .await;
        }
        if path.starts_with("/api/") {
            decision.write_headers(resp.headers_mut());
        }
    }
    finish(resp)
}
