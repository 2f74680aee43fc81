//! Tasks: a project's Tasks tab (filters, the inline new-task form, rows that
//! save in place), the task page with its full edit form, and My work.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::query::{Dir, TaskQuery, TaskSort};
use formula_app::tasks::{NewTask, TaskPatch};
use formula_domain::authz::{Action, ProjectAccess, Resource, authorize};
use formula_domain::comment::RecordKind;
use formula_domain::enums::Priority;
use formula_domain::errors::FieldErrors;
use formula_domain::project::Member;
use formula_domain::task::{Task, TaskStatus};
use time::Date;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::attachments::{AttachmentsCard, card};
use crate::ui::comments::CommentsCard;
use crate::ui::format;
use crate::ui::forms::{Conflict, FormData, FormState, Id, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::lists::{ListUrl, Pager, SortLink, active_sort, paging, sort_links};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};
use formula_domain::attachment::OwnerKind;

const PAGE_SIZE: u32 = 25;
const NEW_FIELDS: &[&str] = &["title", "assignee_id", "due_date", "priority"];
const QUICK_FIELDS: &[&str] = &["status", "assignee_id", "due_date"];
const EDIT_FIELDS: &[&str] = &[
    "title",
    "description",
    "status",
    "priority",
    "assignee_id",
    "start_date",
    "due_date",
    "estimated_hours",
    "actual_hours",
    "progress",
    // The schedule.
    "is_milestone",
    "constraint_kind",
    "constraint_on",
];
pub(crate) const FILTER_KEYS: &[&str] = &["q", "status", "assignee_id"];
const SORTS: &[(&str, TaskSort)] = &[
    ("title", TaskSort::Title),
    ("status", TaskSort::Status),
    ("priority", TaskSort::Priority),
    ("due_date", TaskSort::DueDate),
    ("created_at", TaskSort::CreatedAt),
];

/// What every task row needs besides the task: the team to assign to and the token.
pub struct RowContext {
    csrf: String,
    members: Vec<Opt>,
    statuses: Vec<Opt>,
    priorities: Vec<Opt>,
    today: Date,
}

impl RowContext {
    fn new(page: &Page, members: &[Member], today: Date) -> Self {
        RowContext {
            csrf: page.csrf.clone(),
            members: members
                .iter()
                .map(|m| Opt::new(m.user_id.to_string(), m.name.clone()))
                .collect(),
            statuses: enum_options!(TaskStatus),
            priorities: enum_options!(Priority),
            today,
        }
    }
}

/// A task row: the stored task, or (after a failed save) what the user chose.
pub struct TaskRow {
    t: Task,
    can_edit: bool,
    /// The values submitted in place when saving failed.
    submitted: Option<FormState>,
    /// The current assignee when they are no longer on the team (kept selectable).
    extra_assignee: Option<Opt>,
}

impl TaskRow {
    fn new(t: Task, can_edit: bool, members: &[Member]) -> Self {
        let extra_assignee = match (t.assignee_id, &t.assignee_name) {
            (Some(id), name) if !members.iter().any(|m| m.user_id == id) => Some(Opt::new(
                id.to_string(),
                name.clone().unwrap_or_else(|| "Former member".into()),
            )),
            _ => None,
        };
        TaskRow {
            t,
            can_edit,
            submitted: None,
            extra_assignee,
        }
    }

    fn status(&self) -> &str {
        self.submitted
            .as_ref()
            .map_or(self.t.status.as_str(), |f| f.value("status"))
    }
    fn assignee(&self) -> String {
        match &self.submitted {
            Some(f) => f.value("assignee_id").to_owned(),
            None => self
                .t
                .assignee_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        }
    }
    fn due(&self) -> String {
        match &self.submitted {
            Some(f) => f.value("due_date").to_owned(),
            None => format::date_input(&self.t.due_date),
        }
    }
    fn error(&self) -> Option<String> {
        let f = self.submitted.as_ref()?;
        let mut parts: Vec<String> = f
            .errors
            .0
            .iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.field.replace("_id", "").replace('_', " "),
                    e.message
                )
            })
            .collect();
        parts.extend(f.notice.clone());
        (!parts.is_empty()).then(|| parts.join("; "))
    }
    fn conflict(&self) -> Option<&Conflict> {
        self.submitted.as_ref()?.conflict.as_ref()
    }
    fn invalid(&self, field: &str) -> bool {
        self.submitted.as_ref().is_some_and(|f| f.has_error(field))
    }
}

fn can_edit(page: &Page, t: &Task, access: ProjectAccess) -> bool {
    authorize(
        &page.caller.actor,
        Action::UpdateTask,
        &Resource::Task {
            project: access,
            assignee: t.assignee_id,
        },
    )
}

// ---- The Tasks tab ----

/// The part of the Tasks tab that htmx re-renders: the new-task form and the results.
pub struct TasksPanel {
    project_id: Uuid,
    rows: Vec<TaskRow>,
    sort: Vec<SortLink>,
    pager: Pager,
    filtered: bool,
    can_create: bool,
    new_form: FormState,
    /// Where the new-task form posts (keeps the filters).
    create_url: String,
    notice: Option<Flash>,
    // ---- Task features: the bulk bar (keep last). ----
    /// Whether rows can be ticked for a bulk edit, and the labels it offers.
    can_bulk: bool,
    labels: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "projects/tasks.html", whitespace = "minimize")]
struct TasksPage {
    layout: Layout,
    head: ProjectHeader,
    filters: FormState,
    filter_statuses: Vec<Opt>,
    ctx: RowContext,
    panel: TasksPanel,
}

#[derive(Template)]
#[template(path = "projects/_tasks_panel.html", whitespace = "minimize")]
struct PanelFragment<'a> {
    ctx: &'a RowContext,
    panel: &'a TasksPanel,
}

#[derive(Template)]
#[template(path = "projects/_task_results.html", whitespace = "minimize")]
struct ResultsFragment<'a> {
    ctx: &'a RowContext,
    panel: &'a TasksPanel,
}

#[derive(Template)]
#[template(path = "projects/_task_row.html", whitespace = "minimize")]
struct RowFragment<'a> {
    ctx: &'a RowContext,
    row: &'a TaskRow,
}

/// Renders the Tasks tab (whole page, panel, or results) for the current filters.
pub(crate) async fn tasks_tab(
    state: &AppState,
    page: &Page,
    id: Uuid,
    raw: Option<&str>,
    new_form: FormState,
    notice: Option<Flash>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let q = FormData::from_query(raw);
    let mut ignored = FieldErrors::new();
    let url = ListUrl::new(format!("/projects/{id}/tasks"), &q, FILTER_KEYS);
    let (key, dir) = active_sort(
        url.sort_param(),
        &SORTS.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        ("due_date", Dir::Asc),
    );
    let open_only = q.raw("status") == "open";
    let query = TaskQuery {
        q: q.opt("q"),
        status: if open_only {
            None
        } else {
            q.choice("status", &mut ignored)
        },
        open_only,
        assignee_id: q.uuid("assignee_id", &mut ignored),
        sort: SORTS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v, dir)),
        paging: paging(&q, PAGE_SIZE),
        ..Default::default()
    };
    let result = s.list_project_tasks(&page.caller, id, query).await?;
    let members = s.list_members(&page.caller, id).await?;
    let ctx = RowContext::new(page, &members, s.today());
    let create_url = url.current();
    let status = new_form.status();
    let panel = TasksPanel {
        project_id: id,
        sort: sort_links(
            &url,
            &[
                ("title", "Task"),
                ("status", "Status"),
                ("due_date", "Due"),
                ("priority", "Priority"),
            ],
            (key, dir),
        ),
        pager: Pager::new(&result, &url),
        rows: result
            .items
            .into_iter()
            .map(|t| {
                let editable = can_edit(page, &t, access);
                TaskRow::new(t, editable, &members)
            })
            .collect(),
        filtered: url.filtered(),
        can_create: s.may(&page.caller, Action::CreateTask, access),
        new_form: new_form.prefixed("nt-"),
        create_url,
        notice,
        can_bulk: false,
        labels: if s.may(&page.caller, Action::ViewCompany, access) {
            s.list_labels(&page.caller)
                .await?
                .into_iter()
                .map(|l| Opt::new(l.id.to_string(), l.name))
                .collect()
        } else {
            Vec::new()
        },
    };
    // The bulk bar shows when the caller may change some of the rows listed.
    let mut panel = panel;
    panel.can_bulk = panel.rows.iter().any(|r| r.can_edit);
    if page.htmx {
        return match page.target.as_deref() {
            Some("results") => render(
                StatusCode::OK,
                &ResultsFragment {
                    ctx: &ctx,
                    panel: &panel,
                },
            ),
            _ => render(
                status,
                &PanelFragment {
                    ctx: &ctx,
                    panel: &panel,
                },
            ),
        };
    }
    let mut filter_statuses = vec![Opt::new("open", "Open (not done)")];
    filter_statuses.extend(enum_options!(TaskStatus));
    let view = TasksPage {
        layout: page.layout(Section::Projects, format!("Tasks · {}", project.code)),
        head: ProjectHeader::new(project, access, page, state, "tasks"),
        filters: FormState::submitted(FILTER_KEYS, q),
        filter_statuses,
        ctx,
        panel,
    };
    render(status, &view)
}

pub(crate) fn new_task_form() -> FormState {
    FormState::new(NEW_FIELDS).with("priority", Priority::Medium.as_str())
}

pub async fn project_tasks(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    tasks_tab(&state, &page, id, raw.as_deref(), new_task_form(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let new = NewTask {
        title: input.text("title"),
        description: None,
        status: None,
        priority: input.choice("priority", &mut errors),
        assignee_id: input.uuid("assignee_id", &mut errors),
        start_date: None,
        due_date: input.date("due_date", &mut errors),
        estimated_hours: None,
        actual_hours: None,
        progress: None,
        ..Default::default()
    };
    let mut form = FormState::submitted(NEW_FIELDS, input);
    if errors.is_empty() {
        match state.services.create_task(&page.caller, id, new).await {
            Ok(task) if page.htmx => {
                let notice = Flash::success(format!("Created “{}”.", task.title));
                return tasks_tab(
                    &state,
                    &page,
                    id,
                    raw.as_deref(),
                    new_task_form(),
                    Some(notice),
                )
                .await;
            }
            Ok(_) => {
                let q = FormData::from_query(raw.as_deref());
                let back = ListUrl::new(format!("/projects/{id}/tasks"), &q, FILTER_KEYS).current();
                return Ok(see_other(
                    false,
                    &crate::ui::lists::with_flash(&back, "task_created"),
                ));
            }
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}/tasks"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    tasks_tab(&state, &page, id, raw.as_deref(), form, None).await
}

/// Saves a row's status, assignee and due date in place.
pub async fn quick_update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (task, access) = s.get_task(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let patch = TaskPatch {
        status: input.required_choice("status", &mut errors),
        assignee_id: Some(input.uuid("assignee_id", &mut errors)),
        due_date: Some(input.date("due_date", &mut errors)),
        ..Default::default()
    };
    let mut form = FormState::submitted(QUICK_FIELDS, input);
    let reload = format!("/projects/{}/tasks", task.project_id);
    if errors.is_empty() {
        match s.update_task(&page.caller, id, version, patch).await {
            Ok(saved) if page.htmx => {
                let members = s.list_members(&page.caller, saved.project_id).await?;
                let ctx = RowContext::new(&page, &members, s.today());
                let row = TaskRow::new(saved.clone(), can_edit(&page, &saved, access), &members);
                return render(
                    StatusCode::OK,
                    &RowFragment {
                        ctx: &ctx,
                        row: &row,
                    },
                );
            }
            Ok(saved) => {
                return Ok(see_other(
                    false,
                    &format!("/projects/{}/tasks?m=saved", saved.project_id),
                ));
            }
            Err(e) => form.absorb(e, &[], &reload)?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    if !page.htmx {
        // Without JavaScript the row cannot show the problem in place: open the full
        // form with the submitted choices, so nothing is lost.
        let mut full = form_from(&task);
        for field in QUICK_FIELDS {
            full.values.set(field, form.value(field));
        }
        full.values.set("version", form.value("version"));
        full.errors = std::mem::take(&mut form.errors);
        full.notice = form.notice.take();
        full.conflict = form.conflict.take().map(|c| Conflict {
            reload: format!("/tasks/{id}/edit"),
            ..c
        });
        return edit_view(&state, &page, task, access, full).await;
    }
    let members = s.list_members(&page.caller, task.project_id).await?;
    let ctx = RowContext::new(&page, &members, s.today());
    let status = form.status();
    let mut row = TaskRow::new(task.clone(), can_edit(&page, &task, access), &members);
    row.submitted = Some(form);
    render(
        status,
        &RowFragment {
            ctx: &ctx,
            row: &row,
        },
    )
}

// ---- The task page ----

#[derive(Template)]
#[template(path = "tasks/edit.html", whitespace = "minimize")]
struct EditPage {
    layout: Layout,
    /// The latest stored version.
    t: Task,
    form: FormState,
    can_edit: bool,
    can_delete: bool,
    statuses: Vec<Opt>,
    priorities: Vec<Opt>,
    members: Vec<Opt>,
    today: Date,
    attachments: AttachmentsCard,
    comments: CommentsCard,
    activity: crate::ui::activity::ActivityCard,
    // The schedule.
    deps: crate::ui::schedule::DependencyCard,
    constraint_kinds: Vec<Opt>,
    // ---- Task features (keep last). ----
    extras: crate::ui::task_features::TaskExtras,
}

/// The edit form filled from a stored task.
pub(crate) fn form_from(t: &Task) -> FormState {
    FormState::new(EDIT_FIELDS)
        .with("title", t.title.clone())
        .with("description", t.description.clone().unwrap_or_default())
        .with("status", t.status.as_str())
        .with("priority", t.priority.as_str())
        .with(
            "assignee_id",
            t.assignee_id.map(|i| i.to_string()).unwrap_or_default(),
        )
        .with("start_date", format::date_input(&t.start_date))
        .with("due_date", format::date_input(&t.due_date))
        .with("estimated_hours", format::hours(&t.estimated_hours))
        .with("actual_hours", format::hours(&t.actual_hours))
        .with("progress", t.progress.to_string())
        .with("version", t.version.to_string())
        .with("is_milestone", if t.is_milestone { "1" } else { "" })
        .with(
            "constraint_kind",
            t.constraint_kind.map(|k| k.as_str()).unwrap_or_default(),
        )
        .with("constraint_on", format::date_input(&t.constraint_on))
}

pub(crate) async fn edit_view(
    state: &AppState,
    page: &Page,
    t: Task,
    access: ProjectAccess,
    form: FormState,
) -> Result<Response, PageError> {
    edit_view_with(state, page, t, access, form, None).await
}

/// The task page with the Dependencies card's add form as submitted (when it failed).
pub async fn show_with_dependency_form(
    state: &AppState,
    page: &Page,
    t: Task,
    access: ProjectAccess,
    dep_form: FormState,
) -> Result<Response, PageError> {
    let form = form_from(&t);
    let status = dep_form.status();
    let mut resp = edit_view_with(state, page, t, access, form, Some(dep_form)).await?;
    *resp.status_mut() = status;
    Ok(resp)
}

async fn edit_view_with(
    state: &AppState,
    page: &Page,
    t: Task,
    access: ProjectAccess,
    form: FormState,
    dep_form: Option<FormState>,
) -> Result<Response, PageError> {
    let members = state
        .services
        .list_members(&page.caller, t.project_id)
        .await?;
    let mut member_opts: Vec<Opt> = members
        .iter()
        .map(|m| Opt::new(m.user_id.to_string(), m.name.clone()))
        .collect();
    if let Some(extra) = TaskRow::new(t.clone(), false, &members).extra_assignee {
        member_opts.push(extra);
    }
    let attachments = card(
        state,
        page,
        OwnerKind::Task,
        t.id,
        format!("/tasks/{}", t.id),
    )
    .await?;
    let comments = crate::ui::comments::card(
        state,
        page,
        RecordKind::Task,
        t.id,
        format!("/tasks/{}", t.id),
    )
    .await?;
    let activity = crate::ui::activity::card(state, page, RecordKind::Task, t.id).await?;
    let deps = crate::ui::schedule::dependency_card(state, page, &t, access, dep_form).await?;
    let extras = crate::ui::task_features::extras(state, page, &t, access).await?;
    let view = EditPage {
        extras,
        deps,
        constraint_kinds: enum_options!(formula_domain::planning::ConstraintKind),
        attachments,
        comments,
        activity,
        layout: page.layout(Section::Projects, t.title.clone()),
        can_edit: can_edit(page, &t, access),
        can_delete: authorize(
            &page.caller.actor,
            Action::DeleteTask,
            &Resource::Task {
                project: access,
                assignee: t.assignee_id,
            },
        ),
        statuses: enum_options!(TaskStatus),
        priorities: enum_options!(Priority),
        members: member_opts,
        today: state.services.today(),
        t,
        form,
    };
    render(view.form.status(), &view)
}

pub async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let (t, access) = state.services.get_task(&page.caller, id).await?;
    let form = form_from(&t);
    edit_view(&state, &page, t, access, form).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let patch = TaskPatch {
        title: Some(input.text("title")),
        description: Some(input.opt("description")),
        status: input.required_choice("status", &mut errors),
        priority: input.required_choice("priority", &mut errors),
        assignee_id: Some(input.uuid("assignee_id", &mut errors)),
        start_date: Some(input.date("start_date", &mut errors)),
        due_date: Some(input.date("due_date", &mut errors)),
        estimated_hours: Some(input.decimal("estimated_hours", &mut errors)),
        actual_hours: Some(input.decimal("actual_hours", &mut errors)),
        progress: input.int("progress", &mut errors),
        version: None,
        is_milestone: Some(!input.raw("is_milestone").is_empty()),
        constraint_kind: Some(input.choice("constraint_kind", &mut errors)),
        constraint_on: Some(input.date("constraint_on", &mut errors)),
        scope_item_id: None,
        parent_id: None,
    };
    let mut form = FormState::submitted(EDIT_FIELDS, input);
    if errors.is_empty() {
        match s.update_task(&page.caller, id, version, patch).await {
            Ok(t) => return Ok(see_other(false, &format!("/tasks/{}?m=saved", t.id))),
            Err(e) => form.absorb(e, &[], &format!("/tasks/{id}/edit"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    // Show the latest stored version beside the user's own input.
    let (latest, access) = s.get_task(&page.caller, id).await?;
    edit_view(&state, &page, latest, access, form).await
}

pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (t, access) = s.get_task(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match s.delete_task(&page.caller, id, version).await {
        Ok(()) => Ok(see_other(
            page.htmx,
            &format!("/projects/{}/tasks?m=task_deleted", t.project_id),
        )),
        Err(e @ (AppError::Stale { .. } | AppError::Conflict { .. })) => {
            let mut form = form_from(&t);
            form.absorb(e, &[], &format!("/tasks/{id}"))?;
            edit_view(&state, &page, t, access, form).await
        }
        Err(e) => Err(e.into()),
    }
}
