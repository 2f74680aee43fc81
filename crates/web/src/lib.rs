//! The HTTP face of Formula PM: middleware, the JSON API under `/api/v1`
//! (with its OpenAPI document), and the server-rendered HTML UI.
//! Handlers stay thin: parse → call one `Services` use case → render.

pub mod api;
pub mod assets;
pub mod auth;
pub mod client_ip;
pub mod compression;
pub mod cors;
pub mod csrf;
pub mod delivery_documents;
pub mod documents;
pub mod error;
pub mod labels;
pub mod limits;
pub mod live;
pub mod location_files;
pub mod metrics;
pub mod middleware;
pub mod ops;
pub mod origin;
pub mod panics;
pub mod po_documents;
pub mod ratelimit;
pub mod read_pool;
pub mod request_ids;
pub mod request_log;
pub mod rfi_documents;
pub mod scope_files;
pub mod security;
pub mod snag_exports;
pub mod spec_files;
pub mod state;
pub mod text_input;
pub mod ui;
pub mod unread_body;
pub mod uploads;
pub mod variation_exports;

use axum::Router;
use axum::routing::get;

pub use middleware::with_middleware;
pub use state::{AppState, WebConfig};

/// The whole application: API, UI, assets and health, wrapped in middleware.
pub fn router(state: AppState) -> Router {
    with_middleware(routes(&state), state)
}

/// Every route of the application and the fallback, without the middleware (see
/// [`with_middleware`]).
pub fn routes(state: &AppState) -> Router<AppState> {
    let (api_router, mut openapi) = api::router().split_for_parts();
    api::docs::finish(&mut openapi);
    // The document is served by handlers inside the API router itself.
    let api_router = api_router
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::Extension(api::docs::ApiDocument::new(&openapi)));
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
        .route("/favicon.ico", get(assets::favicon_ico))
        .route("/health/live", get(ops::live))
        .route("/health/ready", get(ops::ready))
        .fallback(error::not_found)
        // Error pages of signed-in users keep the app shell (the fallback's 404 included).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ui::errors::in_layout,
        ))
}

/// `/metrics` alone, for the separate listener at `METRICS_BIND`; requests to it are not
/// counted in the HTTP metrics.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}
