//! Calendar feed links: list, make, regenerate and revoke one's own (the feed itself is
//! `GET /ical/{token}.ics`, outside the API: it takes no session or bearer token).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use formula_app::calendar::CreatedFeed;
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::PathId;
use super::problems::Invalid;
use super::{ApiResult, CalendarFeedList};
use crate::auth::ApiCaller;
use crate::error::ApiJson;
use crate::state::AppState;

/// A calendar feed link to make.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCalendarFeed {
    /// The project whose calendar it shows (one you may see); absent or null for your own
    /// work (your tasks, the RFIs whose turn is yours, the deliveries you plan or receive).
    #[serde(default)]
    pub project_id: Option<uuid::Uuid>,
}

/// Your calendar feed links
///
/// Newest first, revoked ones included (with `revoked_at`).
#[utoipa::path(
    get,
    path = "/me/calendar-feeds",
    tag = "auth",
    responses((status = 200, body = CalendarFeedList))
)]
pub async fn list_feeds(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<CalendarFeedList>> {
    Ok(Json(CalendarFeedList::from(
        state.services.list_calendar_feeds(&caller.caller).await?,
    )))
}

/// Make a calendar feed link
///
/// `url` (an iCal link holding a secret) is in this response only. It gives read-only access
/// to that calendar and nothing else, showing only what you may see at each fetch.
#[utoipa::path(
    post,
    path = "/me/calendar-feeds",
    tag = "auth",
    request_body = NewCalendarFeed,
    responses(
        (status = 201, description = "Made; `url` is shown once", body = CreatedFeed),
        (status = 404, description = "No such project, or not one you may see", body = crate::error::Problem, content_type = "application/problem+json"),
        Invalid,
    )
)]
pub async fn create_feed(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<NewCalendarFeed>,
) -> ApiResult<(StatusCode, Json<CreatedFeed>)> {
    let created = state
        .services
        .create_calendar_feed(&caller.caller, input.project_id)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Regenerate a calendar feed link
///
/// Makes a new link for the same calendar; the old one stops working at once.
#[utoipa::path(
    post,
    path = "/me/calendar-feeds/{id}/regenerate",
    tag = "auth",
    params(("id" = uuid::Uuid, Path, description = "Feed id")),
    responses((status = 201, description = "The new link; `url` is shown once", body = CreatedFeed))
)]
pub async fn regenerate_feed(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<(StatusCode, Json<CreatedFeed>)> {
    let created = state
        .services
        .regenerate_calendar_feed(&caller.caller, id)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revoke a calendar feed link
///
/// The link answers 404 from then on.
#[utoipa::path(
    delete,
    path = "/me/calendar-feeds/{id}",
    tag = "auth",
    params(("id" = uuid::Uuid, Path, description = "Feed id")),
    responses((status = 204, description = "Revoked"))
)]
pub async fn revoke_feed(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    state
        .services
        .revoke_calendar_feed(&caller.caller, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
