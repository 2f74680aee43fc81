//! The schedule in the browser: the Dependencies card on the task page, the project's
//! Schedule page (the plan with its float and critical path, a reschedule's proposal with its
//! Apply button, baselines and the comparison with one), the project's calendar overrides and
//! the company's working calendar (administrators).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use formula_app::AppError;
use formula_app::schedule::{
    ApplyChange, ApplySchedule, BaselineComparison, CalendarInput, NewBaseline, NewDependency,
    ProjectCalendarInput, ScheduleProposal,
};
use formula_domain::authz::{Action, ProjectAccess};
use formula_domain::errors::FieldErrors;
use formula_domain::planning::{Baseline, Dependency, Holiday, Weekday, weekday_mask};
use formula_domain::schedule::LinkKind;
use formula_domain::task::Task;
use time::Date;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

// ---- The task page's Dependencies card ----

const DEP_FIELDS: &[&str] = &["other_id", "side", "kind", "lag_days"];

/// The Dependencies card on a task page.
pub struct DependencyCard {
    pub task_id: Uuid,
    /// What this task waits on.
    pub predecessors: Vec<Dependency>,
    /// What waits on this task.
    pub successors: Vec<Dependency>,
    pub can_manage: bool,
    /// The other tasks of the project, to link to.
    pub others: Vec<Opt>,
    pub kinds: Vec<Opt>,
    pub sides: Vec<Opt>,
    pub form: FormState,
}

fn new_dep_form() -> FormState {
    FormState::new(DEP_FIELDS)
        .with("side", "after")
        .with("kind", LinkKind::FinishToStart.as_str())
        .with("lag_days", "0")
        .prefixed("dep-")
}

/// The card for `task`, with `form` (the add form, as submitted when it failed).
pub async fn dependency_card(
    state: &AppState,
    page: &Page,
    task: &Task,
    access: ProjectAccess,
    form: Option<FormState>,
) -> Result<DependencyCard, PageError> {
    let s = &state.services;
    let deps = s.task_dependencies(&page.caller, task.id).await?;
    let can_manage = s.may_manage_schedule(&page.caller, access);
    let others = if can_manage {
        s.schedule_task_options(&page.caller, task.project_id)
            .await?
            .into_iter()
            .filter(|(id, _)| *id != task.id)
            .map(|(id, title)| Opt::new(id.to_string(), title))
            .collect()
    } else {
        Vec::new()
    };
    let (predecessors, successors) = deps.into_iter().partition(|d| d.successor_id == task.id);
    Ok(DependencyCard {
        task_id: task.id,
        predecessors,
        successors,
        can_manage,
        others,
        kinds: enum_options!(LinkKind),
        sides: vec![
            Opt::new("after", "This task waits on it (it is a predecessor)"),
            Opt::new("before", "It waits on this task (it is a successor)"),
        ],
        form: form.unwrap_or_else(new_dep_form),
    })
}

/// Adds a dependency from the task page.
pub async fn add_dependency(
    State(state): State<AppState>,
    page: Page,
    Id(task_id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (task, access) = s.get_task(&page.caller, task_id).await?;
    let mut errors = FieldErrors::new();
    let other = input.required_uuid("other_id", &mut errors);
    let kind: Option<LinkKind> = input.required_choice("kind", &mut errors);
    let lag_days: i32 = if input.raw("lag_days").trim().is_empty() {
        0
    } else {
        input.int("lag_days", &mut errors).unwrap_or(0)
    };
    let waits = input.raw("side") != "before";
    let mut form = FormState::submitted(DEP_FIELDS, input).prefixed("dep-");
    if let (Some(other), true) = (other, errors.is_empty()) {
        let (predecessor_id, successor_id) = if waits {
            (other, task_id)
        } else {
            (task_id, other)
        };
        let new = NewDependency {
            predecessor_id,
            successor_id,
            kind,
            lag_days,
        };
        match s.add_dependency(&page.caller, task.project_id, new).await {
            Ok(_) => return Ok(see_other(false, &format!("/tasks/{task_id}?m=saved"))),
            // The loop, the other project, the lag: all said beside the task field.
            Err(e) => form.absorb(
                e,
                &[("predecessor_id", "other_id"), ("successor_id", "other_id")],
                &format!("/tasks/{task_id}"),
            )?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    crate::ui::tasks::show_with_dependency_form(&state, &page, task, access, form).await
}

/// Removes a dependency; back to the task page named by `back` (else the project's schedule).
pub async fn remove_dependency(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut ignored = FieldErrors::new();
    let back = input.uuid("back", &mut ignored);
    state.services.remove_dependency(&page.caller, id).await?;
    let to = match back {
        Some(task) => format!("/tasks/{task}?m=deleted"),
        None => "/projects?m=deleted".to_owned(),
    };
    Ok(see_other(page.htmx, &to))
}

// ---- The Schedule page ----

/// One baseline in the picker.
struct BaselineOpt {
    b: Baseline,
    current: bool,
}

#[derive(Template)]
#[template(path = "schedule/page.html", whitespace = "minimize")]
struct SchedulePage {
    layout: Layout,
    head: ProjectHeader,
    plan: ScheduleProposal,
    /// The proposal is shown (after Reschedule).
    proposing: bool,
    can_manage: bool,
    baselines: Vec<BaselineOpt>,
    comparison: Option<BaselineComparison>,
    baseline_form: FormState,
    notice: Option<Flash>,
    /// The hidden value of each moving row, for Apply: `task:version:start:due`.
    apply_values: Vec<String>,
}

impl SchedulePage {
    fn slip(days: &Option<i32>) -> String {
        match days {
            None => "—".into(),
            Some(0) => "on time".into(),
            Some(n) if *n > 0 => format!("{n} d late"),
            Some(n) => format!("{} d early", -n),
        }
    }
    fn slip_class(days: &Option<i32>) -> &'static str {
        match days {
            Some(n) if *n > 0 => "slip-late",
            Some(n) if *n < 0 => "slip-early",
            _ => "",
        }
    }
}

async fn schedule_view(
    state: &AppState,
    page: &Page,
    id: Uuid,
    raw: Option<&str>,
    baseline_form: FormState,
    notice: Option<Flash>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let q = FormData::from_query(raw);
    let mut ignored = FieldErrors::new();
    let proposing = q.raw("propose") == "1";
    let chosen = q.uuid("baseline", &mut ignored);
    let plan = s.schedule_proposal(&page.caller, id).await?;
    let baselines = s.list_baselines(&page.caller, id).await?;
    let comparison = match chosen {
        Some(b) if baselines.iter().any(|x| x.id == b) => {
            Some(s.compare_baseline(&page.caller, b).await?)
        }
        _ => None,
    };
    let apply_values = plan
        .rows
        .iter()
        .filter(|r| r.moves)
        .map(|r| {
            format!(
                "{}:{}:{}:{}",
                r.task_id, r.version, r.proposed_start, r.proposed_due
            )
        })
        .collect();
    let view = SchedulePage {
        layout: page.layout(Section::Projects, format!("Schedule · {}", project.code)),
        head: ProjectHeader::new(project, access, page, state, "tasks"),
        plan,
        proposing,
        can_manage: s.may_manage_schedule(&page.caller, access),
        baselines: baselines
            .into_iter()
            .map(|b| BaselineOpt {
                current: Some(b.id) == chosen,
                b,
            })
            .collect(),
        comparison,
        baseline_form,
        notice,
        apply_values,
    };
    render(view.baseline_form.status(), &view)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    schedule_view(
        &state,
        &page,
        id,
        raw.as_deref(),
        FormState::new(&["name"]),
        None,
    )
    .await
}

/// Applies the proposal's moves as shown (each `task:version:start:due`).
pub async fn apply(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut changes = Vec::new();
    for value in all(&input, "change") {
        match parse_change(&value) {
            Some(c) => changes.push(c),
            None => return Err(PageError::App(AppError::field("change", "is not readable"))),
        }
    }
    match state
        .services
        .apply_schedule(&page.caller, id, ApplySchedule { changes })
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/projects/{id}/schedule?m=saved"),
        )),
        Err(AppError::Conflict { message, .. }) => {
            schedule_view(
                &state,
                &page,
                id,
                Some("propose=1"),
                FormState::new(&["name"]),
                Some(Flash::error(message)),
            )
            .await
        }
        Err(AppError::Validation(e)) => {
            let text =
                e.0.iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
            schedule_view(
                &state,
                &page,
                id,
                Some("propose=1"),
                FormState::new(&["name"]),
                Some(Flash::error(text)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// One of the Apply form's `task:version:start:due` values.
fn parse_change(value: &str) -> Option<ApplyChange> {
    let mut parts = value.split(':');
    let change = ApplyChange {
        task_id: parts.next()?.parse().ok()?,
        version: parts.next()?.parse().ok()?,
        start: parse_day(parts.next()?)?,
        due: parse_day(parts.next()?)?,
    };
    parts.next().is_none().then_some(change)
}

fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE).ok()
}

pub async fn save_baseline(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let name = input.text("name");
    let mut form = FormState::submitted(&["name"], input);
    match state
        .services
        .save_baseline(&page.caller, id, NewBaseline { name })
        .await
    {
        Ok(b) => Ok(see_other(
            false,
            &format!("/projects/{id}/schedule?baseline={}&m=saved", b.id),
        )),
        Err(e) => {
            form.absorb(e, &[], &format!("/projects/{id}/schedule"))?;
            schedule_view(&state, &page, id, None, form, None).await
        }
    }
}

pub async fn delete_baseline(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(_input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let project = s
        .compare_baseline(&page.caller, id)
        .await?
        .baseline
        .project_id;
    s.delete_baseline(&page.caller, id).await?;
    Ok(see_other(
        false,
        &format!("/projects/{project}/schedule?m=deleted"),
    ))
}

// ---- Calendars ----

const CAL_FIELDS: &[&str] = &[
    "version",
    "holidays",
    "extra_holidays",
    "extra_working_days",
    "own_weekdays",
];

/// A weekday's checkbox.
struct DayBox {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

fn day_boxes(mask: [bool; 7]) -> Vec<DayBox> {
    Weekday::ALL
        .iter()
        .zip(mask)
        .map(|(d, on)| DayBox {
            value: d.as_str(),
            label: d.label(),
            checked: on,
        })
        .collect()
}

/// One named day a line: `2026-12-25 Christmas Day`.
fn days_text(days: &[Holiday]) -> String {
    days.iter()
        .map(|d| format!("{} {}", d.date, d.name))
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_days(errors: &mut FieldErrors, field: &str, text: &str) -> Vec<Holiday> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (day, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        match parse_day(day) {
            Some(date) => out.push(Holiday {
                date,
                name: if name.trim().is_empty() {
                    "Holiday".into()
                } else {
                    name.trim().to_owned()
                },
            }),
            None => errors.add(
                field,
                format!(
                    "line {} does not start with a date like 2026-12-25 (then its name)",
                    i + 1
                ),
            ),
        }
    }
    out
}

/// Every value of a field sent more than once (checkboxes, hidden rows).
fn all(input: &FormData, name: &str) -> Vec<String> {
    input
        .0
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn weekdays_from(input: &FormData) -> Vec<Weekday> {
    all(input, "weekday")
        .iter()
        .filter_map(|w| w.parse().ok())
        .collect()
}

#[derive(Template)]
#[template(path = "schedule/company_calendar.html", whitespace = "minimize")]
struct CompanyCalendarPage {
    layout: Layout,
    form: FormState,
    days: Vec<DayBox>,
}

pub async fn company_calendar(
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, PageError> {
    if !page.can(Action::ManageWorkCalendar) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let c = state.services.company_calendar(&page.caller).await?;
    let form = FormState::new(CAL_FIELDS)
        .with("version", c.version.to_string())
        .with("holidays", days_text(&c.holidays));
    let view = CompanyCalendarPage {
        layout: page.layout(Section::System, "Working calendar"),
        days: day_boxes(weekday_mask(&c.working_weekdays)),
        form,
    };
    render(view.form.status(), &view)
}

pub async fn save_company_calendar(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let weekdays = weekdays_from(&input);
    let holidays = parse_days(&mut errors, "holidays", input.raw("holidays"));
    let mut form = FormState::submitted(CAL_FIELDS, input);
    if errors.is_empty() {
        let c = CalendarInput {
            working_weekdays: weekdays.clone(),
            holidays,
            version: None,
        };
        match state
            .services
            .save_company_calendar(&page.caller, version, c)
            .await
        {
            Ok(_) => return Ok(see_other(false, "/admin/company/calendar?m=saved")),
            Err(e) => form.absorb(e, &[], "/admin/company/calendar")?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let view = CompanyCalendarPage {
        layout: page.layout(Section::System, "Working calendar"),
        days: day_boxes(weekday_mask(&weekdays)),
        form,
    };
    render(view.form.status(), &view)
}

#[derive(Template)]
#[template(path = "schedule/project_calendar.html", whitespace = "minimize")]
struct ProjectCalendarPage {
    layout: Layout,
    head: ProjectHeader,
    form: FormState,
    days: Vec<DayBox>,
    can_manage: bool,
    company_days: String,
}

async fn project_calendar_view(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: Option<(FormState, Vec<Weekday>)>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let c = s.project_working_days(&page.caller, id).await?;
    let company = s.company_calendar(&page.caller).await.ok();
    let company_mask = company
        .as_ref()
        .map_or([true, true, true, true, true, false, false], |c| {
            weekday_mask(&c.working_weekdays)
        });
    let company_days = Weekday::ALL
        .iter()
        .zip(company_mask)
        .filter(|(_, on)| *on)
        .map(|(d, _)| d.label())
        .collect::<Vec<_>>()
        .join(", ");
    let (form, days) = match form {
        Some((f, w)) => (f, day_boxes(weekday_mask(&w))),
        None => (
            FormState::new(CAL_FIELDS)
                .with("version", c.version.to_string())
                .with(
                    "own_weekdays",
                    if c.working_weekdays.is_some() {
                        "1"
                    } else {
                        ""
                    },
                )
                .with("extra_holidays", days_text(&c.extra_holidays))
                .with("extra_working_days", days_text(&c.extra_working_days)),
            day_boxes(
                c.working_weekdays
                    .as_deref()
                    .map_or(company_mask, weekday_mask),
            ),
        ),
    };
    let view = ProjectCalendarPage {
        layout: page.layout(Section::Projects, format!("Calendar · {}", project.code)),
        head: ProjectHeader::new(project, access, page, state, "tasks"),
        can_manage: s.may_manage_schedule(&page.caller, access),
        form,
        days,
        company_days,
    };
    render(view.form.status(), &view)
}

pub async fn project_calendar(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    project_calendar_view(&state, &page, id, None).await
}

pub async fn save_project_calendar(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let weekdays = weekdays_from(&input);
    let own = !input.raw("own_weekdays").is_empty();
    let extra_holidays = parse_days(&mut errors, "extra_holidays", input.raw("extra_holidays"));
    let extra_working_days = parse_days(
        &mut errors,
        "extra_working_days",
        input.raw("extra_working_days"),
    );
    let mut form = FormState::submitted(CAL_FIELDS, input);
    if errors.is_empty() {
        let c = ProjectCalendarInput {
            working_weekdays: own.then(|| weekdays.clone()),
            extra_holidays,
            extra_working_days,
            version: None,
        };
        match state
            .services
            .save_project_calendar(&page.caller, id, version, c)
            .await
        {
            Ok(_) => {
                return Ok(see_other(
                    false,
                    &format!("/projects/{id}/schedule/calendar?m=saved"),
                ));
            }
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}/schedule/calendar"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    project_calendar_view(&state, &page, id, Some((form, weekdays))).await
}
