//! Checklists inside tasks, the company's task labels, subtasks and bulk edits.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::task_features::{
    BulkEdit, BulkSaved, ChecklistPatch, LabelInput, NewChecklistItem, TaskLabels,
};
use formula_domain::task::Task;
use formula_domain::task_features::{ChecklistItem, Label};

use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, Parsed, VersionParam};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// A task's checklist
///
/// Its items in order, each ticked or not (with who ticked it and when).
#[utoipa::path(
    get,
    path = "/tasks/{id}/checklist",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Task id")),
    responses((status = 200, body = Vec<ChecklistItem>))
)]
pub async fn list_checklist(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<ChecklistItem>>> {
    Ok(Json(
        state.services.task_checklist(&caller.caller, id).await?,
    ))
}

/// Add a checklist item
///
/// Added at the end of the list, not done. Whoever may change the task may change its
/// checklist; a checklist holds at most 100 items.
#[utoipa::path(
    post,
    path = "/tasks/{id}/checklist",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Task id")),
    request_body = NewChecklistItem,
    responses(
        (status = 201, body = ChecklistItem, headers(("etag" = String), ("location" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn add_checklist_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewChecklistItem>,
) -> ApiResult<Response> {
    let item = state
        .services
        .add_checklist_item(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/checklist-items/{}", item.id),
        Some(item.version),
        Json(item),
    ))
}

/// Change a checklist item
///
/// Change its text, tick or untick it (`done`), or move it (`position`, 0 first). Send
/// `If-Match` with the ETag, or `version`.
#[utoipa::path(
    patch,
    path = "/checklist-items/{id}",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Checklist item id"), IfMatchParam),
    request_body = ChecklistPatch,
    responses((status = 200, body = ChecklistItem, headers(("etag" = String))), Forbidden, Invalid)
)]
pub async fn update_checklist_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<ChecklistPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let item = state
        .services
        .update_checklist_item(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(item.version, Json(item)))
}

/// Delete a checklist item
///
/// Send `If-Match` with the ETag, or `?version=`.
#[utoipa::path(
    delete,
    path = "/checklist-items/{id}",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Checklist item id"), IfMatchParam, VersionParam),
    responses((status = 204, description = "Deleted"), Forbidden)
)]
pub async fn delete_checklist_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_checklist_item(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A task's subtasks
///
/// Subtasks are one level deep; create one with `parent_id` on `POST /projects/{id}/tasks`.
#[utoipa::path(
    get,
    path = "/tasks/{id}/subtasks",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Task id")),
    responses((status = 200, body = Vec<Task>))
)]
pub async fn list_subtasks(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<Task>>> {
    Ok(Json(state.services.subtasks(&caller.caller, id).await?))
}

/// Set a task's labels
///
/// The list replaces the task's labels (at most 20, each one of the company's). Whoever may
/// change the task may set its labels. Send `If-Match` with the task's ETag, or `version`.
#[utoipa::path(
    put,
    path = "/tasks/{id}/labels",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Task id"), IfMatchParam),
    request_body = TaskLabels,
    responses((status = 200, body = Task, headers(("etag" = String))), Forbidden, Invalid)
)]
pub async fn set_task_labels(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<TaskLabels>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let task = state
        .services
        .set_task_labels(&caller.caller, id, expected.version, &input.label_ids)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(task.version, Json(task)))
}

/// Change several tasks at once
///
/// The same change (assignee, status, due dates shifted by ± days, labels added or taken
/// off) to 1–200 tasks of this project, all or nothing: a task of another project is 422,
/// a task changed since it was read (its `version`) is 409 naming it, and nothing is saved.
/// Each task gets its own audit entry.
#[utoipa::path(
    post,
    path = "/projects/{id}/tasks/bulk",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = BulkEdit,
    responses(
        (status = 200, body = BulkSaved),
        (status = 409, description = "A task changed since it was read; nothing was saved", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn bulk_edit(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(edit): ApiJson<BulkEdit>,
) -> ApiResult<Json<BulkSaved>> {
    Ok(Json(
        state
            .services
            .bulk_edit_tasks(&caller.caller, id, edit)
            .await?,
    ))
}

/// The company's task labels
///
/// By name. Readable by every internal user (client users see labels on their tasks only).
#[utoipa::path(
    get,
    path = "/labels",
    tag = "tasks",
    responses((status = 200, body = Vec<Label>), Forbidden)
)]
pub async fn list_labels(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<Label>>> {
    Ok(Json(state.services.list_labels(&caller.caller).await?))
}

/// Create a label
///
/// Administrators and project managers. The name is unique whatever its case (409
/// `duplicate` otherwise); the colour is one of the palette's names.
#[utoipa::path(
    post,
    path = "/labels",
    tag = "tasks",
    request_body = LabelInput,
    responses(
        (status = 201, body = Label, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "A label with this name exists", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_label(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<LabelInput>,
) -> ApiResult<Response> {
    let label = state.services.create_label(&caller.caller, input).await?;
    Ok(created(
        format!("{PREFIX}/labels/{}", label.id),
        Some(label.version),
        Json(label),
    ))
}

/// Rename or recolour a label
///
/// Send `If-Match` with the ETag, or `version`.
#[utoipa::path(
    put,
    path = "/labels/{id}",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Label id"), IfMatchParam),
    request_body = LabelInput,
    responses(
        (status = 200, body = Label, headers(("etag" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_label(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<LabelInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let label = state
        .services
        .update_label(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(label.version, Json(label)))
}

/// Delete a label
///
/// It comes off every task. Send `If-Match` with the ETag, or `?version=`.
#[utoipa::path(
    delete,
    path = "/labels/{id}",
    tag = "tasks",
    params(("id" = uuid::Uuid, Path, description = "Label id"), IfMatchParam, VersionParam),
    responses((status = 204, description = "Deleted"), Forbidden)
)]
pub async fn delete_label(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_label(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
