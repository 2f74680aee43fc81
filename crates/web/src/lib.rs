//! The HTTP face of Formula PM: middleware, the JSON API under `/api/v1`
//! (with its OpenAPI document), and the server-rendered HTML UI.
//! Handlers stay thin: parse → call one `Services` use case → render.

pub mod api;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod error;
pub mod middleware;
pub mod state;
pub mod ui;

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
    Router::new()
        .merge(api_router)
        .merge(ui::router())
        .route("/assets/{file}", get(assets::serve))
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(middleware::ready))
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::guard,
        ))
        .with_state(state)
}
