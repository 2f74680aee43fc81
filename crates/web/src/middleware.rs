//! The middleware every request passes, in one place and in order. Each layer has one
//! job; the standard ones come from tower-http, ours live in the modules named below.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};

use crate::request_ids::{CORRELATION_ID, NewRequestId, REQUEST_ID, SameAsRequestId};
use crate::security::{SecurityHeaders, if_absent};
use crate::state::AppState;
use crate::{
    client_ip, compression, cors, limits, ops, origin, panics, ratelimit, request_ids, request_log,
    security, text_input, unread_body,
};

/// Wraps `routes` (all of them, and the fallback) in the middleware, outermost first:
///
/// 1. request and correlation ids: odd incoming ids dropped, new ones made, both echoed
///    on every response ([`request_ids`]);
/// 2. what an answer left of the request body read and dropped, so the connection can take
///    the next request, or else `Connection: close` ([`unread_body`]); also
///    `Connection: close` on every answer while the server drains before stopping
///    ([`ops::close_connections_when_draining`]);
/// 3. compression of text-like answers, with weak ETags on compressed ones
///    ([`compression`]);
/// 4. security headers unless `SECURITY_HEADERS=proxy`, and `Cache-Control: no-store` —
///    each only when the answer has none of its own ([`security`]);
/// 5. the real client IP behind trusted proxies ([`client_ip`]);
/// 6. HTTP metrics and the request log line ([`request_log`]), and writes refused for lack
///    of disk space noted for readiness ([`crate::ops::watch_storage`]);
/// 7. a panicking handler answered with 500 naming the request id ([`panics`]);
/// 8. the same-origin check for writes ([`origin`]);
/// 9. CORS for listed API origins ([`cors`]);
/// 10. the body-size limit of the route class, then the general one ([`limits`]);
/// 11. rate limits ([`ratelimit`]);
/// 12. query strings holding control characters answered 422 ([`text_input`]);
/// 13. the time limit ([`limits::time_limited`]).
///
/// Requests refused by a layer still pass every layer outside it, so every answer carries
/// the ids and headers and is counted and logged.
pub fn with_middleware(routes: Router<AppState>, state: AppState) -> Router {
    let web = &state.web;
    let app_headers = web.security_headers == SecurityHeaders::App;
    let hsts = app_headers && web.public_url.starts_with("https://");
    let [csp, nosniff, referrer, frames, permissions, opener] = security::HEADERS;
    let stack = ServiceBuilder::new()
        .map_request(request_ids::drop_odd_ids)
        .layer(SetRequestIdLayer::new(REQUEST_ID, NewRequestId))
        .layer(SetRequestIdLayer::new(CORRELATION_ID, SameAsRequestId))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(PropagateRequestIdLayer::new(CORRELATION_ID))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::close_connections_when_draining,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            unread_body::drain,
        ))
        .map_response(compression::weaken_etag)
        .layer(compression::layer())
        .option_layer(app_headers.then(|| if_absent(csp)))
        .option_layer(app_headers.then(|| if_absent(nosniff)))
        .option_layer(app_headers.then(|| if_absent(referrer)))
        .option_layer(app_headers.then(|| if_absent(frames)))
        .option_layer(app_headers.then(|| if_absent(permissions)))
        .option_layer(app_headers.then(|| if_absent(opener)))
        .option_layer(hsts.then(|| if_absent(security::HSTS)))
        .layer(if_absent((header::CACHE_CONTROL, "no-store")))
        .layer(axum::middleware::map_request_with_state(
            state.clone(),
            client_ip::resolve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_log::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::ops::watch_storage,
        ))
        .layer(axum::middleware::from_fn(panics::answer))
        .layer(CatchPanicLayer::custom(panics::caught))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::limit_body,
        ))
        .layer(DefaultBodyLimit::max(web.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ratelimit::layer,
        ))
        .layer(axum::middleware::from_fn(text_input::refuse_in_query));
    let timeout = web.request_timeout;
    limits::time_limited(routes, timeout)
        .layer(stack)
        .with_state(state)
}
