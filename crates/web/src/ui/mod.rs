//! The server-rendered HTML UI (askama templates + htmx).

use axum::Router;

use crate::state::AppState;

/// All UI routes.
pub fn router() -> Router<AppState> {
    Router::new()
}
