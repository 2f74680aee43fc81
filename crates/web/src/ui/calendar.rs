//! The calendar pages: a project's (`/projects/{id}/calendar`) and the signed-in person's
//! own (`/my-work/calendar`), as a month grid or a week list, with previous / today / next
//! links. Server-rendered, no JavaScript; on a phone the month becomes an agenda by day.
//! Also the iCal feed itself (`/ical/{token}.ics`), which needs no session: the token opens
//! that one feed and nothing else.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use formula_domain::calendar::{CalendarEntry, EntryKind, Period, View, weekday_name};
use formula_domain::errors::FieldErrors;
use time::Date;

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::render;

/// One day as the page shows it.
struct Day {
    date: Date,
    /// `2026-03-05`, for links and ids.
    iso: String,
    /// `Thu 5 Mar`.
    label: String,
    in_month: bool,
    today: bool,
    entries: Vec<CalendarEntry>,
}

struct Nav {
    title: String,
    view: &'static str,
    prev: String,
    next: String,
    today: String,
    month: String,
    week: String,
}

struct Legend {
    marker: &'static str,
    label: &'static str,
    class: &'static str,
}

#[derive(Template)]
#[template(path = "calendar/calendar.html", whitespace = "minimize")]
struct CalendarPage {
    layout: Layout,
    head: Option<ProjectHeader>,
    nav: Nav,
    /// Weeks of the month grid (empty in the week view).
    weeks: Vec<Vec<Day>>,
    /// The days of the week view, or the month's days with entries (the phone's agenda).
    days: Vec<Day>,
    weekdays: Vec<&'static str>,
    legend: Vec<Legend>,
    total: usize,
    /// Whose calendar: the project's, or `mine`.
    mine: bool,
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn short_month(d: Date) -> &'static str {
    &formula_domain::calendar::month_name(d.month())[..3]
}

/// `?view=month|week&date=YYYY-MM-DD`; a wrong value is a 400 that says what to write.
fn period(raw: Option<&str>, today: Date) -> Result<Period, PageError> {
    let q = FormData::from_query(raw);
    let mut errors = FieldErrors::new();
    let day = q.date("date", &mut errors).unwrap_or(today);
    match View::parse(q.raw("view")) {
        Some(v) if errors.is_empty() => Ok(Period::new(v, day)),
        _ => Err(PageError::bad_request(
            "The calendar shows view=month or view=week around a date written like 2026-03-05.",
        )),
    }
}

fn day(d: Date, p: &Period, today: Date, entries: &[CalendarEntry], spanning: bool) -> Day {
    Day {
        date: d,
        iso: iso(d),
        label: format!(
            "{} {} {}",
            weekday_name(d.weekday()),
            d.day(),
            short_month(d)
        ),
        in_month: p.view == View::Week || p.in_month(d),
        today: d == today,
        entries: entries
            .iter()
            .filter(|e| e.on(d, spanning))
            .cloned()
            .collect(),
    }
}

fn page_view(
    layout: Layout,
    head: Option<ProjectHeader>,
    base: &str,
    p: Period,
    today: Date,
    entries: Vec<CalendarEntry>,
    mine: bool,
) -> CalendarPage {
    let link = |view: View, d: Date| format!("{base}?view={}&date={}", view.as_str(), iso(d));
    let spanning = p.view == View::Week;
    let all: Vec<Day> = p
        .days()
        .into_iter()
        .map(|d| day(d, &p, today, &entries, spanning))
        .collect();
    let (weeks, days) = match p.view {
        View::Month => {
            let agenda = all
                .iter()
                .filter(|d| d.in_month && !d.entries.is_empty())
                .map(|d| Day {
                    date: d.date,
                    iso: d.iso.clone(),
                    label: d.label.clone(),
                    in_month: true,
                    today: d.today,
                    entries: d.entries.clone(),
                })
                .collect();
            let mut weeks = Vec::new();
            let mut it = all.into_iter().peekable();
            while it.peek().is_some() {
                weeks.push(it.by_ref().take(7).collect());
            }
            (weeks, agenda)
        }
        View::Week => (Vec::new(), all),
    };
    // The day the other view opens on: today when it is shown, else the period's first day.
    let focus = if p.first <= today && today <= p.last {
        today
    } else {
        p.anchor
    };
    let total = entries
        .iter()
        .filter(|e| e.overlaps(p.first, p.last))
        .count();
    CalendarPage {
        layout,
        head,
        nav: Nav {
            title: p.title(),
            view: p.view.as_str(),
            prev: link(p.view, p.prev().anchor),
            next: link(p.view, p.next().anchor),
            today: link(p.view, today),
            month: link(View::Month, focus),
            week: link(View::Week, focus),
        },
        weeks,
        days,
        weekdays: p
            .days()
            .iter()
            .take(7)
            .map(|d| weekday_name(d.weekday()))
            .collect(),
        legend: EntryKind::ALL
            .iter()
            .map(|k| Legend {
                marker: k.marker(),
                label: k.label(),
                class: k.as_str(),
            })
            .collect(),
        total,
        mine,
    }
}

/// `GET /projects/{id}/calendar`.
pub async fn project(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let today = state.services.today();
    let p = period(raw.as_deref(), today)?;
    let (project, access) = state.services.project_for(&page.caller, id).await?;
    let entries = state
        .services
        .project_calendar(&page.caller, id, p.first, p.last, p.view == View::Week)
        .await?;
    let title = format!("Calendar · {}", project.code);
    let head = ProjectHeader::new(project, access, &page, &state, "calendar");
    let view = page_view(
        page.layout(Section::Projects, &title),
        Some(head),
        &format!("/projects/{id}/calendar"),
        p,
        today,
        entries,
        false,
    );
    render(StatusCode::OK, &view)
}

/// `GET /my-work/calendar`.
pub async fn mine(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let today = state.services.today();
    let p = period(raw.as_deref(), today)?;
    let entries = state
        .services
        .my_calendar(&page.caller, p.first, p.last, p.view == View::Week)
        .await?;
    let view = page_view(
        page.layout(Section::MyWork, "My calendar"),
        None,
        "/my-work/calendar",
        p,
        today,
        entries,
        true,
    );
    render(StatusCode::OK, &view)
}

/// `GET /ical/{token}.ics`: the feed, read-only, with no session. Any failure to find it
/// (unknown, revoked, owner disabled or no longer on the project) is the same plain 404,
/// and the token is never logged (request logs name the route, not the path).
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "No calendar feed at this address. It may have been revoked or replaced: make a new link on your profile page.\n",
        )
            .into_response()
    };
    let Some(token) = file.strip_suffix(".ics") else {
        return not_found();
    };
    match state.services.calendar_feed(token).await {
        Ok(doc) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    "text/calendar; charset=utf-8".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"calendar.ics\"".to_owned(),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
            ],
            doc.body,
        )
            .into_response(),
        Err(formula_app::AppError::NotFound(_)) => not_found(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}
