//! Tasks on a project's team, and "my work".

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::tasks::{MyWork, NewTask, TaskPatch};
use formula_domain::task::Task;

use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, MyWorkParams, PageParams, Parsed, TaskParams, VersionParam};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX, TaskPage};
use crate::auth::ApiCaller;
use crate::error::ApiJson;
use crate::state::AppState;

/// A project's tasks
#[utoipa::path(
    get,
    path = "/projects/{id}/tasks",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Project id"), TaskParams, PageParams),
    responses((status = 200, body = TaskPage), Invalid)
)]
pub async fn list_tasks(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(query, _): Parsed<TaskParams>,
) -> ApiResult<Json<TaskPage>> {
    Ok(Json(
        state
            .services
            .list_project_tasks(&caller.caller, id, query)
            .await?
            .into(),
    ))
}

/// Create a task
///
/// The assignee must be on the project's team. `status: review` sets progress to 90,
/// `completed` sets 100 and stamps `completed_at`.
#[utoipa::path(
    post,
    path = "/projects/{id}/tasks",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = NewTask,
    responses(
        (status = 201, body = Task, headers(("etag" = String), ("location" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_task(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewTask>,
) -> ApiResult<Response> {
    let task = state
        .services
        .create_task(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/tasks/{}", task.id),
        Some(task.version),
        Json(task),
    ))
}

/// A task
#[utoipa::path(
    get,
    path = "/tasks/{id}",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Task id")),
    responses((status = 200, body = Task, headers(("etag" = String))))
)]
pub async fn get_task(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let (task, _) = state.services.get_task(&caller.caller, id).await?;
    Ok(with_etag(task.version, Json(task)))
}

/// Change a task
///
/// Send `If-Match` with the ETag, or `version`. Craftsmen may change only tasks assigned to them.
/// Moving to `review` sets progress to 90; `completed` sets 100 and stamps `completed_at`.
#[utoipa::path(
    patch,
    path = "/tasks/{id}",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Task id"), IfMatchParam),
    request_body = TaskPatch,
    responses((status = 200, body = Task, headers(("etag" = String))), Forbidden, Invalid)
)]
pub async fn update_task(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<TaskPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let task = state
        .services
        .update_task(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(task.version, Json(task)))
}

/// Delete a task
///
/// Send `If-Match` with the ETag, or `?version=`.
#[utoipa::path(
    delete,
    path = "/tasks/{id}",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Task id"), IfMatchParam, VersionParam),
    responses((status = 204, description = "Deleted"), Forbidden)
)]
pub async fn delete_task(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_task(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your work
///
/// Open tasks assigned to you, grouped: overdue, due within 7 days, later (and undated); and
/// those completed in the last 14 days. Each group lists its first `limit` tasks by due date
/// (done: the latest completed); `totals` counts every task of each group.
#[utoipa::path(
    get,
    path = "/me/tasks",
    tag = "tasks",
    params(MyWorkParams),
    responses((status = 200, body = MyWork), Invalid)
)]
pub async fn my_tasks(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed(per_group, _): Parsed<MyWorkParams>,
) -> ApiResult<Json<MyWork>> {
    Ok(Json(
        state.services.my_work(&caller.caller, per_group).await?,
    ))
}
