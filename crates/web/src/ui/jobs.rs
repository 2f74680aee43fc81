//! The background-jobs page (administrators): the queue, filterable by status, with the
//! dead jobs' last errors and a button to retry them.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::jobs::{Job, JobQuery, JobStatus};

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, Opt};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::lists::{ListUrl, Pager, paging};
use crate::ui::{render, see_other};

const PAGE_SIZE: u32 = 100;
const FILTER_KEYS: &[&str] = &["status"];

/// A job with what the table shows about it.
struct JobRow {
    job: Job,
    /// The status chip's class, reusing the palette's tones (dead is red, failed amber…).
    chip: &'static str,
    payload: String,
}

fn chip(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "chip-pending",
        JobStatus::Running => "chip-in_progress",
        JobStatus::Done => "chip-completed",
        JobStatus::Failed => "chip-on_hold",
        JobStatus::Dead => "chip-overdue",
    }
}

#[derive(Template)]
#[template(path = "admin/jobs.html", whitespace = "minimize")]
struct JobsPage {
    layout: Layout,
    form: FormState,
    statuses: Vec<Opt>,
    rows: Vec<JobRow>,
    pager: Pager,
    filtered: bool,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(raw.as_deref());
    let url = ListUrl::new("/jobs", &q, FILTER_KEYS);
    let query = JobQuery {
        // An unknown status in a hand-typed URL just lists everything.
        status: q.opt("status").and_then(|s| s.parse().ok()),
        kind: None,
        paging: paging(&q, PAGE_SIZE),
    };
    let result = state.services.list_jobs(&page.caller, &query).await?;
    let pager = Pager::new(&result, &url);
    let rows = result
        .items
        .into_iter()
        .map(|job| JobRow {
            chip: chip(job.status),
            payload: payload_summary(&job),
            job,
        })
        .collect();
    let view = JobsPage {
        layout: page.layout(Section::Jobs, "Background jobs"),
        form: FormState::submitted(FILTER_KEYS, q),
        statuses: JobStatus::ALL
            .iter()
            .map(|s| Opt::new(s.as_str(), s.as_str()))
            .collect(),
        rows,
        pager,
        filtered: url.filtered(),
    };
    render(StatusCode::OK, &view)
}

/// A one-line view of the payload. An email shows only its recipient and subject: its
/// body (a reset link) is in the outbox once sent, not repeated here.
fn payload_summary(job: &Job) -> String {
    let p = &job.payload;
    match (p.get("to"), p.get("subject")) {
        (Some(to), Some(subject)) => format!(
            "to {} · {}",
            to.as_str().unwrap_or_default(),
            subject.as_str().unwrap_or_default()
        ),
        _ if p.as_object().is_some_and(|o| o.is_empty()) => String::new(),
        _ => p.to_string(),
    }
}

pub async fn retry(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    state.services.retry_job(&page.caller, id).await?;
    Ok(see_other(page.htmx, "/jobs?m=job_retried"))
}
