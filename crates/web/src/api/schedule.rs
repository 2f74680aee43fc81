//! The schedule: dependencies between tasks, rescheduling (propose, then apply), baselines,
//! and the working calendars (the company's and a project's overrides).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::schedule::{
    Applied, ApplySchedule, BaselineComparison, CalendarInput, NewBaseline, NewDependency,
    ProjectCalendarInput, ScheduleProposal,
};
use formula_domain::planning::{Baseline, CompanyCalendar, Dependency, ProjectCalendar};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::IfMatchParam;
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// The schedule's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_dependencies, add_dependency))
        .routes(routes!(remove_dependency))
        .routes(routes!(task_dependencies))
        .routes(routes!(propose))
        .routes(routes!(apply))
        .routes(routes!(list_baselines, save_baseline))
        .routes(routes!(compare_baseline, delete_baseline))
        .routes(routes!(get_company_calendar, put_company_calendar))
        .routes(routes!(get_project_calendar, put_project_calendar))
}

/// A project's (or a task's) dependencies.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DependencyList {
    pub items: Vec<Dependency>,
}

/// A project's baselines, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BaselineList {
    pub items: Vec<Baseline>,
}

/// A project's dependencies
#[utoipa::path(
    get,
    path = "/projects/{id}/dependencies",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    responses((status = 200, body = DependencyList), Forbidden)
)]
pub async fn list_dependencies(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<DependencyList>> {
    let items = state.services.list_dependencies(&caller.caller, id).await?;
    Ok(Json(DependencyList { items }))
}

/// Add a dependency
///
/// `successor_id` waits on `predecessor_id`: `finish_to_start` starts it after the predecessor
/// finishes, `start_to_start` after it starts, `finish_to_finish` finishes it after the
/// predecessor finishes; `lag_days` working
/// days later (negative: earlier). Both tasks must be of this project. A dependency that would
/// make a loop is refused (422) with a message naming the loop ("would make a loop: Fit
/// wardrobes → Snag → Fit wardrobes"); the same pair twice is 409. Dates do not move: ask
/// for a reschedule proposal, then apply it.
#[utoipa::path(
    post,
    path = "/projects/{id}/dependencies",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = NewDependency,
    responses(
        (status = 201, body = Dependency, headers(("location" = String))),
        (status = 409, description = "The two tasks are linked already", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn add_dependency(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewDependency>,
) -> ApiResult<Response> {
    let d = state
        .services
        .add_dependency(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/projects/{id}/dependencies"),
        None,
        Json(d),
    ))
}

/// Remove a dependency
#[utoipa::path(
    delete,
    path = "/dependencies/{id}",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Dependency id")),
    responses((status = 204, description = "Removed"), Forbidden)
)]
pub async fn remove_dependency(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    state.services.remove_dependency(&caller.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A task's dependencies
///
/// Those it is the predecessor or the successor of.
#[utoipa::path(
    get,
    path = "/tasks/{id}/dependencies",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Task id")),
    responses((status = 200, body = DependencyList), Forbidden)
)]
pub async fn task_dependencies(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<DependencyList>> {
    let items = state.services.task_dependencies(&caller.caller, id).await?;
    Ok(Json(DependencyList { items }))
}

/// Propose a reschedule
///
/// Schedules the project's tasks over their dependencies on the project's working calendar
/// (forward and backward passes) and answers, per task, its current dates and the proposed
/// ones, its early and late dates, total float in working days, whether it is critical (no
/// float) and the constraints it breaks, in words. Nothing is saved: send the rows that
/// `moves` to `/schedule/apply`. A task lasts its working days from start to due date
/// inclusive (a milestone none); a task with one date lasts one day; one without dates one
/// day from the project's start. Cancelled tasks are left out; completed and started ones
/// keep their dates.
#[utoipa::path(
    post,
    path = "/projects/{id}/schedule/proposal",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    responses((status = 200, body = ScheduleProposal), Forbidden, Invalid)
)]
pub async fn propose(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ScheduleProposal>> {
    Ok(Json(
        state.services.schedule_proposal(&caller.caller, id).await?,
    ))
}

/// Apply a reschedule
///
/// Moves each listed task to its `start` and `due` date, in one transaction, if it is still
/// at `version` (the proposal's). If any task changed since, nothing moves and the answer is
/// 409 naming it. Each moved task gets an audit entry.
#[utoipa::path(
    post,
    path = "/projects/{id}/schedule/apply",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = ApplySchedule,
    responses(
        (status = 200, body = Applied),
        (status = 409, description = "A task changed since the proposal; nothing moved", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn apply(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ApplySchedule>,
) -> ApiResult<Json<Applied>> {
    Ok(Json(
        state
            .services
            .apply_schedule(&caller.caller, id, input)
            .await?,
    ))
}

/// A project's baselines
#[utoipa::path(
    get,
    path = "/projects/{id}/baselines",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    responses((status = 200, body = BaselineList), Forbidden)
)]
pub async fn list_baselines(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<BaselineList>> {
    let items = state.services.list_baselines(&caller.caller, id).await?;
    Ok(Json(BaselineList { items }))
}

/// Save a baseline
///
/// Keeps every task's current dates (not cancelled ones; a task without dates where the
/// scheduler places it) under a name, to compare the plan against later.
#[utoipa::path(
    post,
    path = "/projects/{id}/baselines",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    request_body = NewBaseline,
    responses(
        (status = 201, body = Baseline, headers(("location" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn save_baseline(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewBaseline>,
) -> ApiResult<Response> {
    let b = state
        .services
        .save_baseline(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/baselines/{}", b.id),
        None,
        Json(b),
    ))
}

/// Compare with a baseline
///
/// The current plan against the baseline: per task and milestone (milestones first), its
/// dates then and now and how many working days its start and finish slipped (negative:
/// earlier). Tasks added since have no baseline dates; those deleted or cancelled since no
/// current ones.
#[utoipa::path(
    get,
    path = "/baselines/{id}",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Baseline id")),
    responses((status = 200, body = BaselineComparison))
)]
pub async fn compare_baseline(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<BaselineComparison>> {
    Ok(Json(
        state.services.compare_baseline(&caller.caller, id).await?,
    ))
}

/// Delete a baseline
#[utoipa::path(
    delete,
    path = "/baselines/{id}",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Baseline id")),
    responses((status = 204, description = "Deleted"), Forbidden)
)]
pub async fn delete_baseline(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    state.services.delete_baseline(&caller.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The company's working calendar
///
/// Working weekdays and holidays; Monday to Friday without holidays (`version` 0) until an
/// administrator first saves it. Readable by every internal user.
#[utoipa::path(
    get,
    path = "/company/calendar",
    tag = "schedule",
    responses((status = 200, body = CompanyCalendar, headers(("etag" = String))), Forbidden)
)]
pub async fn get_company_calendar(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Response> {
    let c = state.services.company_calendar(&caller.caller).await?;
    Ok(with_etag(c.version, Json(c)))
}

/// Save the company's working calendar
///
/// Administrators only. Replaces the weekdays and every holiday. Send `If-Match` with the
/// ETag, or `version` (0 for the first save). Dates already planned do not move.
#[utoipa::path(
    put,
    path = "/company/calendar",
    tag = "schedule",
    params(IfMatchParam),
    request_body = CalendarInput,
    responses(
        (status = 200, body = CompanyCalendar, headers(("etag" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn put_company_calendar(
    State(state): State<AppState>,
    caller: ApiCaller,
    if_match: IfMatch,
    ApiJson(input): ApiJson<CalendarInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let c = state
        .services
        .save_company_calendar(&caller.caller, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(c.version, Json(c)))
}

/// A project's calendar overrides
#[utoipa::path(
    get,
    path = "/projects/{id}/calendar",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Project id")),
    responses((status = 200, body = ProjectCalendar, headers(("etag" = String))), Forbidden)
)]
pub async fn get_project_calendar(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let c = state
        .services
        .project_working_days(&caller.caller, id)
        .await?;
    Ok(with_etag(c.version, Json(c)))
}

/// Save a project's calendar overrides
///
/// Its own working weekdays (`null`: the company's), extra holidays and extra working days
/// (which win over a holiday). Replaces all three. Send `If-Match` or `version` (0 first).
#[utoipa::path(
    put,
    path = "/projects/{id}/calendar",
    tag = "schedule",
    params(("id" = uuid::Uuid, Path, description = "Project id"), IfMatchParam),
    request_body = ProjectCalendarInput,
    responses(
        (status = 200, body = ProjectCalendar, headers(("etag" = String))),
        Forbidden,
        Invalid,
    )
)]
pub async fn put_project_calendar(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<ProjectCalendarInput>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let c = state
        .services
        .save_project_calendar(&caller.caller, id, expected.version, input)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(c.version, Json(c)))
}
