//! Oversight: the audit trail and the outgoing-mail outbox.

use axum::Json;
use axum::extract::State;

use super::params::{AuditParams, PageParams, Parsed};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, AuditPage, OutboxList};
use crate::auth::ApiCaller;
use crate::state::AppState;

/// The audit trail
///
/// Who changed what, when, with old → new values; newest first. Administrators and executives.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "oversight",
    params(AuditParams, PageParams),
    responses((status = 200, body = AuditPage), Forbidden, Invalid)
)]
pub async fn list_audit(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed(query, _): Parsed<AuditParams>,
) -> ApiResult<Json<AuditPage>> {
    Ok(Json(
        state
            .services
            .list_audit(&caller.caller, &query)
            .await?
            .into(),
    ))
}

/// The email outbox
///
/// The latest 200 emails with their delivery status (`logged` when no SMTP server is configured).
/// Administrators only.
#[utoipa::path(get, path = "/system/outbox", tag = "oversight", responses((status = 200, body = OutboxList), Forbidden))]
pub async fn list_outbox(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<OutboxList>> {
    Ok(Json(OutboxList::from(
        state.services.list_outbox(&caller.caller).await?,
    )))
}
