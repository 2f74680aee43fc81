//! The HTTP face of Formula PM: middleware, the JSON API under `/api/v1`
//! (with its OpenAPI document), and the server-rendered HTML UI.
//! Handlers stay thin: parse → call one `Services` use case → render.

pub mod api;
pub mod assets;
pub mod auth;
pub mod client_ip;
pub mod cors;
pub mod csrf;
pub mod error;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod middleware;
pub mod ops;
pub mod ratelimit;
pub mod scope_files;
pub mod security;
pub mod spec_files;
pub mod state;
pub mod ui;
pub mod uploads;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

pub use state::{AppState, WebConfig};

/// The whole application: API, UI, assets and health, wrapped in middleware.
pub fn router(state: AppState) -> Router {
    let (api_router, mut openapi) = api::router().split_for_parts();
    api::docs::finish(&mut openapi);
    // The document is served by handlers inside the API router itself.
    let api_router = api_router
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::Extension(api::docs::ApiDocument::new(&openapi)));
    let limit = state.web.max_body_bytes;
    // `/metrics` moves to its own listener when `METRICS_BIND` is set (see `metrics_router`).
    let metrics = if state.web.ops.metrics_on_main {
        Router::new().route("/metrics", get(ops::metrics))
    } else {
        Router::new()
    };
    Router::new()
        .merge(metrics)
        .merge(api_router)
        .merge(ui::router())
        .route("/assets/{file}", get(assets::serve))
        .route("/health/live", get(ops::live))
        .route("/health/ready", get(ops::ready))
        .fallback(error::not_found)
        // Only the routes above are timed out: merge long-lived streams after this layer.
        .layer(axum::middleware::from_fn_with_state(
            limits::RequestTimeout(state.web.request_timeout),
            limits::timeout,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::protect,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::guard,
        ))
        .with_state(state)
}

/// `/metrics` alone, for the separate listener at `METRICS_BIND`; requests to it are not
/// counted in the HTTP metrics.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}
