//! Projects, their status lifecycle and teams, and the dashboard counts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::ports::{DashboardCounts, OpenWork};
use formula_app::projects::{NewProject, ProjectPatch};
use formula_domain::project::{Health, Project, ProjectRole, ProjectStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::extract::{Expected, IfMatch, PathId, PathIds, created, with_etag};
use super::params::{IfMatchParam, PageParams, Parsed, ProjectParams, VersionParam};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, MemberList, PREFIX, ProjectPage};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// A project with its derived schedule health.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    #[serde(flatten)]
    pub project: Project,
    /// Derived today from dates, progress and overdue tasks.
    pub health: Health,
}

impl ProjectView {
    fn new(project: Project, state: &AppState) -> Self {
        let health = project.health(state.services.today());
        ProjectView { project, health }
    }
}

/// A move along the project lifecycle.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: ProjectStatus,
    /// The version being changed (alternative to `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Why a completed project is reopened.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reopen {
    /// Written into the audit trail (e.g. "snagging on level 3 after handover").
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    /// The version being changed (alternative to `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// A person to add to the team, or whose project role to change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub user_id: Uuid,
    pub role: ProjectRole,
}

/// The next free project code.
#[derive(Serialize, ToSchema)]
pub struct CodeSuggestion {
    /// E.g. `FPM-26-004`.
    pub code: String,
}

/// List projects
///
/// Only the projects you may see: all for administrators and executives, your teams' for
/// staff, your organisation's for client users.
#[utoipa::path(
    get,
    path = "/projects",
    tag = "projects",
    params(ProjectParams, PageParams),
    responses((status = 200, body = ProjectPage), Invalid)
)]
pub async fn list_projects(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed(query, _): Parsed<ProjectParams>,
) -> ApiResult<Json<ProjectPage>> {
    let page = state.services.list_projects(&caller.caller, &query).await?;
    Ok(Json(page.map(|p| ProjectView::new(p, &state)).into()))
}

/// Create a project
///
/// Starts `on_tender`; the manager joins the team. Without `code` the next free one is used.
#[utoipa::path(
    post,
    path = "/projects",
    tag = "projects",
    request_body = NewProject,
    responses(
        (status = 201, body = ProjectView, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_project(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<NewProject>,
) -> ApiResult<Response> {
    let project = state.services.create_project(&caller.caller, input).await?;
    let (location, version) = (format!("{PREFIX}/projects/{}", project.id), project.version);
    Ok(created(
        location,
        Some(version),
        Json(ProjectView::new(project, &state)),
    ))
}

/// Suggest a project code
///
/// The next free code for a project started this year, e.g. `FPM-26-004`.
#[utoipa::path(get, path = "/projects/code-suggestion", tag = "projects", responses((status = 200, body = CodeSuggestion)))]
pub async fn suggest_code(
    State(state): State<AppState>,
    _caller: ApiCaller,
) -> ApiResult<Json<CodeSuggestion>> {
    Ok(Json(CodeSuggestion {
        code: state.services.suggest_project_code().await?,
    }))
}

/// A project
///
/// Projects you may not see answer 404, as if they did not exist.
#[utoipa::path(
    get,
    path = "/projects/{id}",
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = ProjectView, headers(("etag" = String))))
)]
pub async fn get_project(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let project = state.services.get_project(&caller.caller, id).await?;
    Ok(with_etag(
        project.version,
        Json(ProjectView::new(project, &state)),
    ))
}

/// Change a project
///
/// Send `If-Match` with the ETag, or `version`. The status changes through `POST /projects/{id}/status`.
#[utoipa::path(
    patch,
    path = "/projects/{id}",
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id"), IfMatchParam),
    request_body = ProjectPatch,
    responses(
        (status = 200, body = ProjectView, headers(("etag" = String))),
        (status = 409, description = "Stale `version`, or the code is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_project(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<ProjectPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let project = state
        .services
        .update_project(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(
        project.version,
        Json(ProjectView::new(project, &state)),
    ))
}

/// Delete a project
///
/// Administrators only; removes its team and tasks. Send `If-Match` with the ETag, or `?version=`.
#[utoipa::path(
    delete,
    path = "/projects/{id}",
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id"), IfMatchParam, VersionParam),
    responses((status = 204, description = "Deleted"), Forbidden)
)]
pub async fn delete_project(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_project(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a project's status
///
/// `on_tender → awarded | not_awarded`, `awarded → active`, `active ↔ on_hold`, `active → completed`,
/// and any open status `→ cancelled`. An illegal move is 409 `invalid_transition` listing `allowed`.
#[utoipa::path(
    post,
    path = "/projects/{id}/status",
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id"), IfMatchParam),
    request_body = StatusChange,
    responses(
        (status = 200, body = ProjectView, headers(("etag" = String))),
        (status = 409, description = "Illegal transition (with `allowed`), or stale `version`", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn change_status(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<StatusChange>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let project = state
        .services
        .change_project_status(&caller.caller, id, expected.version, input.status)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(
        project.version,
        Json(ProjectView::new(project, &state)),
    ))
}

/// Reopen a completed project
///
/// `completed → active`, with a reason kept in the audit trail (action `reopen`).
/// Administrators only. A project that is not completed is 409 `invalid_transition`.
#[utoipa::path(
    post,
    path = "/projects/{id}/reopen",
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id"), IfMatchParam),
    request_body = Reopen,
    responses(
        (status = 200, body = ProjectView, headers(("etag" = String))),
        (status = 409, description = "Not completed, or stale `version`", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn reopen_project(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(input): ApiJson<Reopen>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, input.version)?;
    let project = state
        .services
        .reopen_project(&caller.caller, id, expected.version, &input.reason)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(
        project.version,
        Json(ProjectView::new(project, &state)),
    ))
}

/// What is still open on a project
///
/// Open and overdue tasks, scope items not completed, drawings without an approved revision
/// and specifications not approved: what to look at before marking the project completed.
#[utoipa::path(
    get,
    path = "/projects/{id}/open-work",
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = OpenWork))
)]
pub async fn open_work(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<OpenWork>> {
    Ok(Json(state.services.open_work(&caller.caller, id).await?))
}

/// A project's team
#[utoipa::path(
    get,
    path = "/projects/{id}/members",
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = MemberList))
)]
pub async fn list_members(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<MemberList>> {
    Ok(Json(MemberList::from(
        state.services.list_members(&caller.caller, id).await?,
    )))
}

/// Add a team member
///
/// Adds the person, or changes their project role if already on the team; answers the whole team.
/// Client users cannot join teams.
#[utoipa::path(
    post,
    path = "/projects/{id}/members",
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = NewMember,
    responses(
        (status = 200, description = "The team after the change", body = MemberList),
        Forbidden,
        Invalid,
    )
)]
pub async fn add_member(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewMember>,
) -> ApiResult<Json<MemberList>> {
    Ok(Json(MemberList::from(
        state
            .services
            .add_member(&caller.caller, id, input.user_id, input.role)
            .await?,
    )))
}

/// Remove a team member
///
/// The manager stays (409 `is_manager`), and so do members with open tasks here (409 `has_open_tasks`).
#[utoipa::path(
    delete,
    path = "/projects/{id}/members/{user_id}",
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id"), ("user_id" = Uuid, Path, description = "The member's user id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 409, description = "The manager, or a member with open tasks", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathIds(id, user_id): PathIds,
) -> ApiResult<StatusCode> {
    state
        .services
        .remove_member(&caller.caller, id, user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Dashboard counts
///
/// Projects by status and open and overdue tasks, within what you may see.
#[utoipa::path(get, path = "/dashboard", tag = "oversight", responses((status = 200, body = DashboardCounts)))]
pub async fn dashboard(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<DashboardCounts>> {
    Ok(Json(state.services.dashboard(&caller.caller).await?))
}
