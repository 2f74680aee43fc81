//! The company's workflow template over HTTP: the millwork chain's steps and their working
//! days, read by staff, saved by administrators.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use formula_app::workflow::{Workflow, WorkflowInput};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiResult;
use super::extract::{Expected, IfMatch, with_etag};
use super::params::IfMatchParam;
use super::problems::{Forbidden, Invalid};
use crate::auth::ApiCaller;
use crate::error::ApiJson;
use crate::state::AppState;

/// The workflow template's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(get_workflow, put_workflow))
}

/// The company's workflow template
///
/// The steps of the millwork chain every item goes through, in order, each with its working
/// days (procurement takes the material's lead time instead); every date works back from the
/// item's installation. The standard template (`standard` true, `version` 0) until an
/// administrator first saves it. Readable by every internal user.
#[utoipa::path(
    get,
    path = "/company/workflow",
    tag = "schedule",
    responses((status = 200, body = Workflow, headers(("etag" = String))), Forbidden)
)]
pub async fn get_workflow(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Response> {
    let w = state.services.workflow_template(&caller.caller).await?;
    Ok(with_etag(w.version, Json(w)))
}

/// Save the company's workflow template
///
/// Administrators only. Replaces every step: send the steps to go through, each once, with
/// installation among them; a step left out is skipped. Refused (422) with the rule in words,
/// e.g. "the chain must end with installation". Send `If-Match` with the ETag, or `version`
/// (0 for the first save). Dates already planned do not move.
#[utoipa::path(
    put,
    path = "/company/workflow",
    tag = "schedule",
    params(IfMatchParam),
    request_body = WorkflowInput,
    responses(
        (status = 200, body = Workflow, headers(("etag" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn put_workflow(
    State(state): State<AppState>,
    caller: ApiCaller,
    if_match: IfMatch,
    ApiJson(input): ApiJson<WorkflowInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let w = state
        .services
        .save_workflow_template(&caller.caller, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(w.version, Json(w)))
}
