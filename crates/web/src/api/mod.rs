//! The JSON API under `/api/v1`, documented with OpenAPI 3.1 (utoipa).

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// All API routes with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
