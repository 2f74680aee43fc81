//! The caller's notifications: the inbox, its unread count, marking read, and how each
//! category is mailed (with the time zone of the daily digest).

use axum::Json;
use axum::extract::State;
use formula_app::notifications::{NotificationSettings, SettingsPatch};
use formula_app::repos::InboxQuery;
use formula_domain::notification::{Category, Notification};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::extract::PathId;
use super::params::{ListFilter, PageParams, Parsed, QueryParams};
use super::problems::{Invalid, NotFound};
use super::{ApiResult, NotificationPage};
use crate::auth::ApiCaller;
use crate::error::ApiJson;
use crate::state::AppState;

/// Filters of the inbox.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// One category: `mentions`, `reviews`, `assignments`, `deadlines`, `comments`,
    /// `production` or `projects`.
    pub category: Option<Category>,
    /// One project.
    pub project_id: Option<Uuid>,
}

impl ListFilter for InboxParams {
    type Query = InboxQuery;
    fn read(p: &mut QueryParams) -> InboxQuery {
        InboxQuery {
            unread: p.flag("unread").unwrap_or(false),
            category: p.choice("category"),
            project_id: p.id("project_id"),
            paging: p.paging(),
        }
    }
}

/// How many notifications are unread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

/// Which notifications to mark read.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// These notifications (at most 500); leave out to mark every one read.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub ids: Option<Vec<Uuid>>,
}

/// How many were marked read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MarkedRead {
    pub marked: u64,
}

/// My notifications
///
/// Newest first: what happened on records I am involved in or follow, told automatically
/// (assignments, reviews, decisions, comments, mentions, deadlines). Only about projects I
/// can see now; client users never get anything internal.
#[utoipa::path(
    get,
    path = "/notifications",
    tag = "notifications",
    params(InboxParams, PageParams),
    responses((status = 200, body = NotificationPage), Invalid)
)]
pub async fn list_notifications(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed(query, _): Parsed<InboxParams>,
) -> ApiResult<Json<NotificationPage>> {
    Ok(Json(
        state.services.inbox(&caller.caller, &query).await?.into(),
    ))
}

/// My unread count
///
/// The number on the bell. It changes live: the event stream sends `notification.created`
/// and `notification.read` to the person concerned only.
#[utoipa::path(
    get,
    path = "/notifications/unread",
    tag = "notifications",
    responses((status = 200, body = UnreadCount))
)]
pub async fn unread(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(UnreadCount {
        unread: state.services.unread_notifications(&caller.caller).await?,
    }))
}

/// Open a notification
///
/// Returns it and marks it read.
#[utoipa::path(
    get,
    path = "/notifications/{id}",
    tag = "notifications",
    params(("id" = uuid::Uuid, Path, description = "Notification id")),
    responses((status = 200, body = Notification), NotFound)
)]
pub async fn open_notification(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Notification>> {
    Ok(Json(
        state.services.open_notification(&caller.caller, id).await?,
    ))
}

/// Mark notifications read
///
/// The given ones, or all of them when `ids` is left out.
#[utoipa::path(
    post,
    path = "/notifications/read",
    tag = "notifications",
    request_body = MarkRead,
    responses((status = 200, body = MarkedRead), Invalid)
)]
pub async fn mark_read(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<MarkRead>,
) -> ApiResult<Json<MarkedRead>> {
    let marked = state
        .services
        .mark_notifications_read(&caller.caller, input.ids.as_deref())
        .await?;
    Ok(Json(MarkedRead { marked }))
}

/// My notification settings
///
/// How each category is mailed (`off`, `instant`: batched for a few minutes, or `digest`:
/// daily at 07:00 in my time zone), and that time zone.
#[utoipa::path(
    get,
    path = "/me/notification-settings",
    tag = "notifications",
    responses((status = 200, body = NotificationSettings))
)]
pub async fn get_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(
        state.services.notification_settings(&caller.caller).await?,
    ))
}

/// Change my notification settings
///
/// The categories named change; the others keep their mode. An unknown time zone is
/// refused.
#[utoipa::path(
    put,
    path = "/me/notification-settings",
    tag = "notifications",
    request_body = SettingsPatch,
    responses((status = 200, body = NotificationSettings), Invalid)
)]
pub async fn put_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(
        state
            .services
            .update_notification_settings(&caller.caller, patch)
            .await?,
    ))
}
