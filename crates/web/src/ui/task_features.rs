//! The task features on pages: a task's checklist, labels and subtasks (on the task page),
//! the project's task board, bulk edits of the Tasks tab's selection, and the company's
//! labels (administrators and project managers).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::task_features::{
    BoardColumn, BoardFilter, BulkEdit, BulkRef, ChecklistPatch, DueFilter, LabelInput,
    NewChecklistItem,
};
use formula_app::tasks::{NewTask, TaskPatch};
use formula_domain::authz::{Action, ProjectAccess, Resource, authorize};
use formula_domain::errors::FieldErrors;
use formula_domain::location::LocationKind;
use formula_domain::task::{Task, TaskStatus};
use formula_domain::task_features::{ChecklistItem, Label, LabelColour};
use time::Date;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, Id, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

/// Every value sent under `name` (a group of checkboxes).
fn every<'a>(input: &'a FormData, name: &'a str) -> impl Iterator<Item = &'a str> {
    input
        .0
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

// ---- On the task page ----

/// The checklist, labels and subtasks of the task page.
pub struct TaskExtras {
    pub can_edit: bool,
    pub can_add_subtask: bool,
    pub checklist: Vec<ChecklistItem>,
    pub done: usize,
    /// Every label of the company, and whether the task carries it (empty for client users,
    /// who see the task's own labels only).
    pub labels: Vec<(Label, bool)>,
    pub parent: Option<Task>,
    pub subtasks: Vec<Task>,
}

impl TaskExtras {
    /// Where an item moves one place up (or down): its position after the move.
    pub fn up(&self, i: &usize) -> usize {
        i.saturating_sub(1)
    }
    pub fn down(&self, i: &usize) -> usize {
        i + 1
    }
}

/// Reads what the task page shows besides the task itself.
pub async fn extras(
    state: &AppState,
    page: &Page,
    t: &Task,
    access: ProjectAccess,
) -> Result<TaskExtras, PageError> {
    let s = &state.services;
    let can_edit = s.may_edit_task(&page.caller, t, access);
    let checklist = s.task_checklist(&page.caller, t.id).await?;
    let labels = if s.may(&page.caller, Action::ViewCompany, access) && can_edit {
        s.list_labels(&page.caller)
            .await?
            .into_iter()
            .map(|l| {
                let on = t.labels.iter().any(|x| x.id == l.id);
                (l, on)
            })
            .collect()
    } else {
        Vec::new()
    };
    let parent = match t.parent_id {
        Some(p) => s.get_task(&page.caller, p).await.ok().map(|(p, _)| p),
        None => None,
    };
    let subtasks = if t.parent_id.is_none() {
        s.subtasks(&page.caller, t.id).await?
    } else {
        Vec::new()
    };
    Ok(TaskExtras {
        can_edit,
        can_add_subtask: t.parent_id.is_none() && s.may(&page.caller, Action::CreateTask, access),
        done: checklist.iter().filter(|i| i.done).count(),
        checklist,
        labels,
        parent,
        subtasks,
    })
}

/// Back to the task page at `anchor`, or (after a refusal) the task page showing why.
async fn back_to_task(
    state: &AppState,
    page: &Page,
    task_id: Uuid,
    anchor: &str,
    result: Result<(), AppError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(see_other(
            false,
            &format!("/tasks/{task_id}?m=saved#{anchor}"),
        )),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::Stale { .. })) => {
            let (t, access) = state.services.get_task(&page.caller, task_id).await?;
            let mut form = crate::ui::tasks::form_from(&t);
            form.notice = Some(refusal(&e));
            crate::ui::tasks::edit_view(state, page, t, access, form).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One sentence saying why a change was refused.
fn refusal(e: &AppError) -> String {
    match e {
        AppError::Validation(fields) => fields
            .0
            .iter()
            .map(|f| {
                format!(
                    "{}: {}",
                    f.field.replace("_id", "").replace('_', " "),
                    f.message
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Stale { updated_by, .. } => format!(
            "Not saved: {} changed this first. The page now shows their version; try again.",
            updated_by.as_deref().unwrap_or("someone else")
        ),
        other => other.to_string(),
    }
}

pub async fn add_checklist_item(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let r = state
        .services
        .add_checklist_item(
            &page.caller,
            id,
            NewChecklistItem {
                text: input.text("text"),
            },
        )
        .await
        .map(|_| ());
    back_to_task(&state, &page, id, "checklist", r).await
}

/// Ticks, unticks, renames or moves an item (whichever the form sends).
pub async fn update_checklist_item(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let item = s.checklist_item(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let patch = ChecklistPatch {
        text: input.opt("text"),
        done: match input.raw("done") {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        position: input.int("position", &mut errors),
        version: None,
    };
    let r = if errors.is_empty() {
        s.update_checklist_item(&page.caller, id, version, patch)
            .await
            .map(|_| ())
    } else {
        Err(AppError::Validation(errors))
    };
    back_to_task(&state, &page, item.task_id, "checklist", r).await
}

pub async fn delete_checklist_item(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let item = s.checklist_item(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let r = s.delete_checklist_item(&page.caller, id, version).await;
    back_to_task(&state, &page, item.task_id, "checklist", r).await
}

/// Sets the task's labels to the boxes ticked.
pub async fn set_labels(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let ids: Vec<Uuid> = every(&input, "label_id")
        .filter_map(|v| v.parse().ok())
        .collect();
    let r = state
        .services
        .set_task_labels(&page.caller, id, version, &ids)
        .await
        .map(|_| ());
    back_to_task(&state, &page, id, "labels", r).await
}

/// Adds a subtask (a title, and the parent's assignee unless another is chosen).
pub async fn add_subtask(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (parent, _) = s.get_task(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let new = NewTask {
        title: input.text("title"),
        description: None,
        status: None,
        priority: None,
        assignee_id: input.uuid("assignee_id", &mut errors),
        start_date: None,
        due_date: input.date("due_date", &mut errors),
        estimated_hours: None,
        actual_hours: None,
        progress: None,
        parent_id: Some(id),
        ..Default::default()
    };
    let r = if errors.is_empty() {
        s.create_task(&page.caller, parent.project_id, new)
            .await
            .map(|_| ())
    } else {
        Err(AppError::Validation(errors))
    };
    back_to_task(&state, &page, id, "subtasks", r).await
}

// ---- The board ----

/// The statuses a board shows as open columns; cancelled is collapsed below them.
const OPEN_COLUMNS: &[TaskStatus] = &[
    TaskStatus::Pending,
    TaskStatus::InProgress,
    TaskStatus::Review,
    TaskStatus::Completed,
];

#[derive(Template)]
#[template(path = "tasks/board.html", whitespace = "minimize")]
struct BoardPage {
    layout: Layout,
    head: ProjectHeader,
    columns: Vec<BoardColumn>,
    cancelled: Option<BoardColumn>,
    /// Where a card's move comes back to (this board with its filters).
    back: String,
    assignee_id: String,
    label_id: String,
    due: String,
    level_id: String,
    members: Vec<Opt>,
    labels: Vec<Opt>,
    /// The project's building levels, for those who may see its locations.
    levels: Vec<Opt>,
    statuses: Vec<Opt>,
    can_move: Vec<Uuid>,
    today: Date,
    filtered: bool,
}

impl BoardPage {
    fn movable(&self, id: &Uuid) -> bool {
        self.can_move.contains(id)
    }
}

pub async fn board(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let q = FormData::from_query(raw.as_deref());
    let mut ignored = FieldErrors::new();
    let due = match q.raw("due") {
        "overdue" => Some(DueFilter::Overdue),
        "week" => Some(DueFilter::ThisWeek),
        "none" => Some(DueFilter::NoDate),
        _ => None,
    };
    let filter = BoardFilter {
        assignee_id: q.uuid("assignee_id", &mut ignored),
        label_id: q.uuid("label_id", &mut ignored),
        due,
        level_id: q.uuid("level_id", &mut ignored),
    };
    let mut columns = s.task_board(&page.caller, id, &filter).await?;
    let cancelled = columns
        .iter()
        .position(|c| c.status == TaskStatus::Cancelled)
        .map(|i| columns.remove(i));
    columns.retain(|c| OPEN_COLUMNS.contains(&c.status));
    let can_move = columns
        .iter()
        .chain(cancelled.iter())
        .flat_map(|c| c.tasks.iter())
        .filter(|t| {
            authorize(
                &page.caller.actor,
                Action::UpdateTask,
                &Resource::Task {
                    project: access,
                    assignee: t.assignee_id,
                },
            )
        })
        .map(|t| t.id)
        .collect();
    let members = s
        .list_members(&page.caller, id)
        .await?
        .into_iter()
        .map(|m| Opt::new(m.user_id.to_string(), m.name))
        .collect();
    let labels = if s.may(&page.caller, Action::ViewCompany, access) {
        s.list_labels(&page.caller)
            .await?
            .into_iter()
            .map(|l| Opt::new(l.id.to_string(), l.name))
            .collect()
    } else {
        Vec::new()
    };
    let levels = if s.may(&page.caller, Action::ViewLocations, access) {
        s.project_locations(&page.caller, id)
            .await?
            .0
            .locations
            .into_iter()
            .filter(|l| l.kind == LocationKind::Level)
            .map(|l| Opt::new(l.id.to_string(), format!("{} · {}", l.code, l.name)))
            .collect()
    } else {
        Vec::new()
    };
    let mut back = format!("/projects/{id}/tasks/board");
    let kept: Vec<String> = ["assignee_id", "label_id", "due", "level_id"]
        .iter()
        .filter(|k| !q.raw(k).is_empty())
        .map(|k| format!("{k}={}", urlencoding(q.raw(k))))
        .collect();
    if !kept.is_empty() {
        back = format!("{back}?{}", kept.join("&"));
    }
    let flash = match q.raw("m") {
        "stale_move" => Some(Flash::error(
            "Not moved: someone changed that task first. The board now shows their change; move it again if you still want to.",
        )),
        _ => None,
    };
    let view = BoardPage {
        layout: page.layout_with(
            Section::Projects,
            format!("Board · {}", project.code),
            flash,
        ),
        head: ProjectHeader::new(project, access, &page, &state, "tasks"),
        columns,
        cancelled,
        back,
        assignee_id: q.raw("assignee_id").to_owned(),
        label_id: q.raw("label_id").to_owned(),
        due: q.raw("due").to_owned(),
        level_id: q.raw("level_id").to_owned(),
        members,
        labels,
        levels,
        statuses: enum_options!(TaskStatus),
        can_move,
        today: s.today(),
        filtered: filter.assignee_id.is_some()
            || filter.label_id.is_some()
            || due.is_some()
            || filter.level_id.is_some(),
    };
    render(StatusCode::OK, &view)
}

/// Query-string text kept as it is except for what would break the URL.
fn urlencoding(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Moves a card to another status (the board's "Move to…" control, and its drag and drop).
pub async fn move_task(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (task, _) = s.get_task(&page.caller, id).await?;
    let board = format!("/projects/{}/tasks/board", task.project_id);
    let back = input.raw("back");
    let back = if back.starts_with(&board) {
        back.to_owned()
    } else {
        board
    };
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let status: Option<TaskStatus> = input.required_choice("status", &mut errors);
    let Some(status) = status.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors).into());
    };
    let patch = TaskPatch {
        status: Some(status),
        ..TaskPatch::default()
    };
    match s.update_task(&page.caller, id, version, patch).await {
        Ok(_) => Ok(see_other(false, &format!("{back}#card-{id}"))),
        Err(AppError::Stale { .. }) => Ok(see_other(
            false,
            &crate::ui::lists::with_flash(&back, "stale_move"),
        )),
        Err(e) => Err(e.into()),
    }
}

// ---- Bulk edits from the Tasks tab ----

/// Applies the bulk bar's change to the rows ticked (`task` = `<id>:<version>`).
pub async fn bulk(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let tasks: Vec<BulkRef> = every(&input, "task")
        .filter_map(|v| {
            let (id, version) = v.split_once(':')?;
            Some(BulkRef {
                id: id.parse().ok()?,
                version: version.parse().ok()?,
            })
        })
        .collect();
    let assignee_id = match input.raw("bulk_assignee") {
        "" => None,
        "none" => Some(None),
        v => match v.parse() {
            Ok(u) => Some(Some(u)),
            Err(_) => {
                errors.add("assignee_id", "choose a member of the team");
                None
            }
        },
    };
    let label = |name: &str| -> Vec<Uuid> { input.raw(name).parse().ok().into_iter().collect() };
    let edit = BulkEdit {
        tasks,
        assignee_id,
        status: input.choice("bulk_status", &mut errors),
        shift_days: input.int("bulk_shift", &mut errors),
        add_label_ids: label("bulk_add_label"),
        remove_label_ids: label("bulk_remove_label"),
    };
    let result = if errors.is_empty() {
        state.services.bulk_edit_tasks(&page.caller, id, edit).await
    } else {
        Err(AppError::Validation(errors))
    };
    let q = FormData::from_query(raw.as_deref());
    let back = crate::ui::lists::ListUrl::new(
        format!("/projects/{id}/tasks"),
        &q,
        crate::ui::tasks::FILTER_KEYS,
    )
    .current();
    match result {
        Ok(saved) => {
            let n = saved.tasks.len();
            let notice = Flash::success(format!(
                "Changed {n} task{}.",
                if n == 1 { "" } else { "s" }
            ));
            crate::ui::tasks::tasks_tab(
                &state,
                &page,
                id,
                raw.as_deref(),
                crate::ui::tasks::new_task_form(),
                Some(notice),
            )
            .await
            .map(|r| {
                if page.htmx {
                    r
                } else {
                    see_other(false, &crate::ui::lists::with_flash(&back, "saved"))
                }
            })
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::Stale { .. })) => {
            let notice = Flash::error(format!("Nothing was changed. {}", refusal(&e)));
            let mut resp = crate::ui::tasks::tasks_tab(
                &state,
                &page,
                id,
                raw.as_deref(),
                crate::ui::tasks::new_task_form(),
                Some(notice),
            )
            .await?;
            *resp.status_mut() = if matches!(e, AppError::Validation(_)) {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::CONFLICT
            };
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

// ---- The company's labels ----

#[derive(Template)]
#[template(path = "company/labels.html", whitespace = "minimize")]
struct LabelsPage {
    layout: Layout,
    labels: Vec<Label>,
    colours: Vec<Opt>,
    can_manage: bool,
    /// What was typed into a refused form, and why.
    name: String,
    error: Option<String>,
}

async fn labels_view(
    state: &AppState,
    page: &Page,
    name: String,
    error: Option<String>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let labels = s.list_labels(&page.caller).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = LabelsPage {
        layout: page.layout(Section::Projects, "Task labels"),
        labels,
        colours: enum_options!(LabelColour),
        can_manage: s.may_manage_labels(&page.caller),
        name,
        error,
    };
    render(status, &view)
}

pub async fn labels_page(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    labels_view(&state, &page, String::new(), None).await
}

fn label_input(input: &FormData, errors: &mut FieldErrors) -> Option<LabelInput> {
    let colour = input.required_choice("colour", errors)?;
    Some(LabelInput {
        name: input.text("name"),
        colour,
        version: None,
    })
}

async fn label_result(
    state: &AppState,
    page: &Page,
    name: String,
    r: Result<(), AppError>,
) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(see_other(false, "/company/labels?m=saved")),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::Stale { .. })) => {
            let why = match &e {
                AppError::Conflict { message, .. } => format!("name: {message}"),
                other => refusal(other),
            };
            labels_view(state, page, name, Some(why)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create_label(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let r = match label_input(&input, &mut errors) {
        Some(l) if errors.is_empty() => state
            .services
            .create_label(&page.caller, l)
            .await
            .map(|_| ()),
        _ => Err(AppError::Validation(errors)),
    };
    label_result(&state, &page, input.text("name"), r).await
}

pub async fn update_label(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let r = match label_input(&input, &mut errors) {
        Some(l) if errors.is_empty() => state
            .services
            .update_label(&page.caller, id, version, l)
            .await
            .map(|_| ()),
        _ => Err(AppError::Validation(errors)),
    };
    label_result(&state, &page, String::new(), r).await
}

pub async fn delete_label(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let r = state.services.delete_label(&page.caller, id, version).await;
    label_result(&state, &page, String::new(), r).await
}
