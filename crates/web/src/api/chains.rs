//! The millwork chain of a project's scope items: every item's latest dates and whether it is
//! at risk, and applying the company's workflow template to items (docs/schedule.md).

use axum::Json;
use axum::extract::State;
use formula_app::chains::{AppliedChain, ApplyChain, ItemChain};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiResult;
use super::extract::PathId;
use super::problems::{Forbidden, Invalid};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(list_chains, apply_chain))
}

/// Every scope item's chain, in the scope's order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChainList {
    pub items: Vec<ItemChain>,
}

/// The scope items' chains
///
/// For each scope item with an installation date: every step of the company's workflow
/// template with its latest dates (worked back from the installation date through the
/// material's lead time) and its forecast dates (forward from what happened: drawings
/// submitted and approved, specifications approved, orders placed and received, steps
/// completed), and whether the chain still fits (`at_risk`, with the reasons in words).
/// Staff who read the scope only: it shows order-by dates and purchase orders.
#[utoipa::path(
    get,
    path = "/projects/{id}/chains",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    responses((status = 200, body = ChainList), Forbidden)
)]
pub async fn list_chains(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ChainList>> {
    let items = state.services.item_chains(&caller.caller, id).await?;
    Ok(Json(ChainList { items }))
}

/// Apply the workflow template
///
/// To the listed items and/or every item on a level: sets their installation date (when
/// `install_on` is given; otherwise each item's own is used), creates each missing step as a
/// task on its latest dates, linked finish to start, with the installation to finish no
/// later than planned, and moves steps not yet started to the new latest dates. All or
/// nothing: 409 if an item or step changed meanwhile.
#[utoipa::path(
    post,
    path = "/projects/{id}/chains",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = ApplyChain,
    responses(
        (status = 200, body = AppliedChain),
        (status = 409, description = "An item or step changed meanwhile; nothing was applied", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn apply_chain(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ApplyChain>,
) -> ApiResult<Json<AppliedChain>> {
    Ok(Json(
        state
            .services
            .apply_chain(&caller.caller, id, input)
            .await?,
    ))
}
