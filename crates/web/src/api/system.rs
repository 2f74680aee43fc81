//! The server's own state for administrators: readiness, pool, connections, memory.

use axum::Json;
use axum::extract::State;

use super::ApiResult;
use super::problems::Forbidden;
use crate::auth::ApiCaller;
use crate::ops::SystemStatus;
use crate::state::AppState;

/// Server status
///
/// Readiness checks with their details, database pool usage, open HTTP connections,
/// requests in flight, memory, version and uptime. Administrators only
/// (`ViewSystemStatus`). Cheap: no table scans.
#[utoipa::path(get, path = "/system/status", tag = "oversight", responses((status = 200, body = SystemStatus), Forbidden))]
pub async fn system_status(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<SystemStatus>> {
    state.services.check_system_status(&caller.caller)?;
    Ok(Json(crate::ops::system_status(&state).await))
}
