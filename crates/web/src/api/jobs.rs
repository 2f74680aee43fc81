//! Background jobs for administrators: the queue with its dead letters, and retrying them.

use axum::Json;
use axum::extract::State;
use formula_app::jobs::{Job, JobQuery, JobStatus};
use utoipa::IntoParams;

use super::extract::PathId;
use super::params::{ListFilter, PageParams, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, JobPage};
use crate::auth::ApiCaller;
use crate::error::Problem;
use crate::state::AppState;

/// Filters of `GET /system/jobs`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobParams {
    /// `dead` lists the jobs that failed every attempt and wait for a retry.
    pub status: Option<JobStatus>,
    /// `send_email`, `cleanup_sessions`, `audit_retention`, `db_maintenance`, `jobs_cleanup`.
    #[param(max_length = 200)]
    pub kind: Option<String>,
}

impl ListFilter for JobParams {
    type Query = JobQuery;
    fn read(p: &mut QueryParams) -> JobQuery {
        JobQuery {
            status: p.choice("status"),
            kind: p.text("kind"),
            paging: p.paging(),
        }
    }
}

/// Background jobs
///
/// The job queue, newest first: emails waiting to go out, scheduled maintenance, and
/// `dead` jobs that failed every attempt (with their last error). Administrators only.
#[utoipa::path(
    get,
    path = "/system/jobs",
    tag = "oversight",
    params(JobParams, PageParams),
    responses((status = 200, body = JobPage), Forbidden, Invalid)
)]
pub async fn list_jobs(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed(query, _): Parsed<JobParams>,
) -> ApiResult<Json<JobPage>> {
    Ok(Json(
        state
            .services
            .list_jobs(&caller.caller, &query)
            .await?
            .into(),
    ))
}

/// Retry a dead job
///
/// Puts a `dead` job back in the queue with fresh attempts; a worker runs it shortly.
/// Other jobs answer 409 `not_dead`. Administrators only; the retry is audited.
#[utoipa::path(
    post,
    path = "/system/jobs/{id}/retry",
    tag = "oversight",
    params(("id" = uuid::Uuid, Path, description = "Job id")),
    responses(
        (status = 200, body = Job),
        (status = 409, description = "The job is not dead", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn retry_job(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Job>> {
    Ok(Json(state.services.retry_job(&caller.caller, id).await?))
}
