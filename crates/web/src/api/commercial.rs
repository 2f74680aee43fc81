//! The commercial summary of a project and of the portfolio.

use axum::Json;
use axum::extract::State;
use formula_app::commercial::Portfolio;
use formula_domain::commercial::CommercialSummary;

use super::ApiResult;
use super::extract::PathId;
use super::problems::Forbidden;
use crate::auth::ApiCaller;
use crate::state::AppState;

/// A project's commercial summary
///
/// The original contract value, the approved variations and their sum, the variations
/// waiting for the client (the exposure), the current contract value (approving a variation
/// moves it) and what it would be with every pending variation approved; the scope's
/// budgeted, actual and forecast cost (per item the larger of budget and actual), the
/// forecast margin, and the open and overdue RFIs. Amounts are minor units of `currency`.
/// Project managers of the team, executives and administrators only: it holds the
/// contractor's cost and margin.
#[utoipa::path(
    get,
    path = "/projects/{id}/commercial",
    tag = "commercial",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = CommercialSummary), Forbidden)
)]
pub async fn project_summary(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<CommercialSummary>> {
    let (summary, _, _) = state
        .services
        .commercial_summary(&caller.caller, id)
        .await?;
    Ok(Json(summary))
}

/// The portfolio's commercial figures
///
/// The same figures as a project's summary for every project the caller may read
/// commercially (administrators and executives: all; project managers: their teams'),
/// leaving out tenders not won and cancelled projects, with one total per currency: amounts
/// in different currencies are never added together.
#[utoipa::path(
    get,
    path = "/portfolio",
    tag = "commercial",
    responses((status = 200, body = Portfolio), Forbidden)
)]
pub async fn portfolio(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Portfolio>> {
    Ok(Json(state.services.portfolio(&caller.caller).await?))
}
