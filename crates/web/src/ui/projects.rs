//! Projects: the filtered list, the create and edit forms, and the Overview tab
//! with its status-change buttons. The Tasks and Team tabs live in `tasks.rs` and `team.rs`.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::ports::OpenWork;
use formula_app::projects::{NewProject, ProjectPatch};
use formula_app::query::{ClientQuery, ClientSort, Dir, Paging, ProjectQuery, ProjectSort};
use formula_domain::authz::{Action, ProjectAccess};
use formula_domain::comment::RecordKind;
use formula_domain::enums::Priority;
use formula_domain::errors::FieldErrors;
use formula_domain::project::{BusinessLine, Health, Project, ProjectStatus, Sector};
use time::Date;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::attachments::{AttachmentsCard, card};
use crate::ui::comments::CommentsCard;
use crate::ui::format;
use crate::ui::forms::{FormData, FormState, Id, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::lists::{ListUrl, Pager, SortLink, active_sort, paging, sort_links};
use crate::ui::{render, see_other};
use formula_domain::attachment::OwnerKind;

/// Rows per page of the project list.
const PAGE_SIZE: u32 = 50;

const FIELDS: &[&str] = &[
    "code",
    "name",
    "client_id",
    "manager_id",
    "sector",
    "business_line",
    "priority",
    "start_date",
    "end_date",
    "currency",
    "contract_value",
    "budget",
    "location",
    "contract_number",
    "description",
];

/// App field names that the form shows under another name.
const ALIASES: &[(&str, &str)] = &[
    ("contract_value_minor", "contract_value"),
    ("budget_minor", "budget"),
];

/// A project in a table, with its health on today's date.
pub struct ProjectRow {
    pub p: Project,
    pub health: Health,
}

impl ProjectRow {
    pub fn new(p: Project, today: Date) -> Self {
        let health = p.health(today);
        ProjectRow { p, health }
    }

    pub fn value(&self) -> String {
        format::money(&self.p.contract_value)
    }
}

/// The title and tabs shown above every project tab.
pub struct ProjectHeader {
    pub p: Project,
    pub health: Health,
    /// `overview`, `scope`, `tasks`, `team` or `activity`.
    pub tab: &'static str,
    pub can_edit: bool,
    /// Whether the Scope tab is shown (client users do not see prices and costs).
    pub can_view_scope: bool,
    /// Whether the commercial summary is shown (contract value, cost and margin: managers
    /// only); the Commercial tab itself, variations and RFIs, is everyone's who sees the project.
    pub can_view_commercial: bool,
    /// Whether the Purchasing tab is shown (staff who see the project; never client users).
    pub can_view_purchasing: bool,
    /// Whether the Deliveries tab is shown (staff who see the project; never client users).
    pub can_view_deliveries: bool,
}

impl ProjectHeader {
    pub fn new(
        p: Project,
        access: ProjectAccess,
        page: &Page,
        state: &AppState,
        tab: &'static str,
    ) -> Self {
        let can_edit = state
            .services
            .may(&page.caller, Action::UpdateProject, access);
        let can_view_scope = state.services.may(&page.caller, Action::ViewScope, access);
        let can_view_commercial = state
            .services
            .may(&page.caller, Action::ViewCommercial, access);
        let can_view_purchasing =
            state
                .services
                .may(&page.caller, Action::ViewPurchaseOrders, access);
        let can_view_deliveries = state
            .services
            .may(&page.caller, Action::ViewDeliveries, access);
        let health = p.health(state.services.today());
        ProjectHeader {
            can_view_purchasing,
            can_view_deliveries,
            p,
            health,
            tab,
            can_edit,
            can_view_scope,
            can_view_commercial,
        }
    }
}

// ---- List ----

struct ListView {
    rows: Vec<ProjectRow>,
    sort: Vec<SortLink>,
    pager: Pager,
    filtered: bool,
    can_create: bool,
}

#[derive(Template)]
#[template(path = "projects/list.html", whitespace = "minimize")]
struct ListPage {
    layout: Layout,
    form: FormState,
    statuses: Vec<Opt>,
    clients: Vec<Opt>,
    managers: Vec<Opt>,
    view: ListView,
}

#[derive(Template)]
#[template(path = "projects/_results.html", whitespace = "minimize")]
struct ListResults<'a> {
    view: &'a ListView,
}

const SORTS: &[(&str, ProjectSort)] = &[
    ("code", ProjectSort::Code),
    ("name", ProjectSort::Name),
    ("status", ProjectSort::Status),
    ("end_date", ProjectSort::EndDate),
    ("created_at", ProjectSort::CreatedAt),
];

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let s = &state.services;
    let q = FormData::from_query(raw.as_deref());
    let mut ignored = FieldErrors::new();
    let url = ListUrl::new("/projects", &q, &["q", "status", "client_id", "manager_id"]);
    let (key, dir) = active_sort(
        url.sort_param(),
        &SORTS.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        ("code", Dir::Desc),
    );
    let query = ProjectQuery {
        q: q.opt("q"),
        status: q.choice("status", &mut ignored),
        client_id: q.uuid("client_id", &mut ignored),
        manager_id: q.uuid("manager_id", &mut ignored),
        sort: SORTS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v, dir)),
        paging: paging(&q, PAGE_SIZE),
    };
    let result = s.list_projects(&page.caller, &query).await?;
    let today = s.today();
    let view = ListView {
        sort: sort_links(
            &url,
            &[
                ("code", "Code"),
                ("name", "Name"),
                ("status", "Status"),
                ("end_date", "End date"),
            ],
            (key, dir),
        ),
        pager: Pager::new(&result, &url),
        rows: result
            .items
            .into_iter()
            .map(|p| ProjectRow::new(p, today))
            .collect(),
        filtered: url.filtered(),
        can_create: page.can(Action::CreateProject),
    };
    if page.htmx {
        return render(StatusCode::OK, &ListResults { view: &view });
    }
    let clients = client_options(&state, &page).await?;
    let managers = s
        .list_managers(&page.caller)
        .await?
        .into_iter()
        .map(|u| Opt::new(u.id.to_string(), u.name))
        .collect();
    let list = ListPage {
        layout: page.layout(Section::Projects, "Projects"),
        form: FormState::submitted(&["q", "status", "client_id", "manager_id"], q),
        statuses: enum_options!(ProjectStatus),
        clients,
        managers,
        view,
    };
    render(StatusCode::OK, &list)
}

/// Clients to choose from (by name; a client user sees only their own).
async fn client_options(state: &AppState, page: &Page) -> Result<Vec<Opt>, PageError> {
    if !page.can(Action::ListClients) {
        return Ok(Vec::new());
    }
    let query = ClientQuery {
        sort: Some((ClientSort::Name, Dir::Asc)),
        paging: Paging {
            limit: 200,
            offset: 0,
        },
        ..Default::default()
    };
    let clients = state.services.list_clients(&page.caller, &query).await?;
    Ok(clients
        .items
        .into_iter()
        .map(|c| Opt::new(c.id.to_string(), c.name))
        .collect())
}

// ---- Create and edit ----

#[derive(Template)]
#[template(path = "projects/form.html", whitespace = "minimize")]
struct FormPage {
    layout: Layout,
    form: FormState,
    /// `None` when creating.
    project: Option<Project>,
    clients: Vec<Opt>,
    managers: Vec<Opt>,
    sectors: Vec<Opt>,
    lines: Vec<Opt>,
    priorities: Vec<Opt>,
    /// Editing, by someone who may delete the project (an administrator).
    can_delete: bool,
}

async fn form_page(
    state: &AppState,
    page: &Page,
    form: FormState,
    project: Option<Project>,
) -> Result<Response, PageError> {
    let title = match &project {
        Some(p) => format!("Edit {}", p.code),
        None => "New project".to_owned(),
    };
    let can_delete = match &project {
        Some(p) => {
            let (_, access) = state.services.project_for(&page.caller, p.id).await?;
            state
                .services
                .may(&page.caller, Action::DeleteProject, access)
        }
        None => false,
    };
    let view = FormPage {
        can_delete,
        layout: page.layout(Section::Projects, title),
        clients: client_options(state, page).await?,
        managers: state
            .services
            .list_managers(&page.caller)
            .await?
            .into_iter()
            .map(|u| Opt::new(u.id.to_string(), u.name))
            .collect(),
        sectors: enum_options!(Sector),
        lines: enum_options!(BusinessLine),
        priorities: enum_options!(Priority),
        form,
        project,
    };
    render(view.form.status(), &view)
}

pub async fn new_page(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    if !page.can(Action::CreateProject) {
        return Err(PageError::App(formula_app::AppError::Forbidden));
    }
    let q = FormData::from_query(raw.as_deref());
    let form = FormState::new(FIELDS)
        .with("code", state.services.suggest_project_code().await?)
        .with("client_id", q.raw("client_id"))
        .with("manager_id", page.caller.actor.user_id.to_string())
        .with("priority", Priority::Medium.as_str())
        .with("currency", state.services.config.default_currency.clone());
    form_page(&state, &page, form, None).await
}

/// The currency amounts are typed in: the form's, else the default.
fn currency_of(form: &FormData, state: &AppState) -> String {
    form.opt("currency")
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or_else(|| state.services.config.default_currency.clone())
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let currency = currency_of(&input, &state);
    let client_id = input.required_uuid("client_id", &mut errors);
    let manager_id = input.required_uuid("manager_id", &mut errors);
    let sector = input.required_choice("sector", &mut errors);
    let business_line = input.required_choice("business_line", &mut errors);
    let new = NewProject {
        code: input.opt("code"),
        name: input.text("name"),
        client_id: client_id.unwrap_or_default(),
        sector: sector.unwrap_or(Sector::Other),
        business_line: business_line.unwrap_or(BusinessLine::Millwork),
        priority: input.choice("priority", &mut errors),
        manager_id: manager_id.unwrap_or_default(),
        start_date: input.date("start_date", &mut errors),
        end_date: input.date("end_date", &mut errors),
        currency: input.opt("currency"),
        contract_value_minor: input.amount("contract_value", &currency, &mut errors),
        budget_minor: input.amount("budget", &currency, &mut errors),
        location: input.opt("location"),
        contract_number: input.opt("contract_number"),
        description: input.opt("description"),
    };
    let mut form = FormState::submitted(FIELDS, input);
    if errors.is_empty() {
        match state.services.create_project(&page.caller, new).await {
            Ok(p) => {
                return Ok(see_other(
                    false,
                    &format!("/projects/{}?m=project_created", p.id),
                ));
            }
            Err(e) => form.absorb(e, ALIASES, "/projects/new")?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    form_page(&state, &page, form, None).await
}

/// The edit form filled from a stored project.
fn form_from(p: &Project) -> FormState {
    FormState::new(FIELDS)
        .with("code", p.code.clone())
        .with("name", p.name.clone())
        .with("client_id", p.client_id.to_string())
        .with("manager_id", p.manager_id.to_string())
        .with("sector", p.sector.as_str())
        .with("business_line", p.business_line.as_str())
        .with("priority", p.priority.as_str())
        .with("start_date", format::date_input(&p.start_date))
        .with("end_date", format::date_input(&p.end_date))
        .with("currency", p.currency.clone())
        .with("contract_value", format::amount_input(&p.contract_value))
        .with("budget", format::amount_input(&p.budget))
        .with("location", p.location.clone().unwrap_or_default())
        .with(
            "contract_number",
            p.contract_number.clone().unwrap_or_default(),
        )
        .with("description", p.description.clone().unwrap_or_default())
        .with("version", p.version.to_string())
}

pub async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let (p, access) = state.services.project_for(&page.caller, id).await?;
    if !state
        .services
        .may(&page.caller, Action::UpdateProject, access)
    {
        return Err(PageError::App(formula_app::AppError::Forbidden));
    }
    form_page(&state, &page, form_from(&p), Some(p)).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let (current, _) = state.services.project_for(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let currency = currency_of(&input, &state);
    let version = input.version(&mut errors);
    let patch = ProjectPatch {
        code: Some(input.text("code")),
        name: Some(input.text("name")),
        client_id: input.required_uuid("client_id", &mut errors),
        sector: input.required_choice("sector", &mut errors),
        business_line: input.required_choice("business_line", &mut errors),
        priority: input.required_choice("priority", &mut errors),
        manager_id: input.required_uuid("manager_id", &mut errors),
        start_date: Some(input.date("start_date", &mut errors)),
        end_date: Some(input.date("end_date", &mut errors)),
        currency: Some(currency.clone()),
        contract_value_minor: Some(input.amount("contract_value", &currency, &mut errors)),
        budget_minor: Some(input.amount("budget", &currency, &mut errors)),
        location: Some(input.opt("location")),
        contract_number: Some(input.opt("contract_number")),
        description: Some(input.opt("description")),
        version: None,
    };
    let mut form = FormState::submitted(FIELDS, input);
    if errors.is_empty() {
        match state
            .services
            .update_project(&page.caller, id, version, patch)
            .await
        {
            Ok(p) => return Ok(see_other(false, &format!("/projects/{}?m=saved", p.id))),
            Err(e) => form.absorb(e, ALIASES, &format!("/projects/{id}/edit"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    form_page(&state, &page, form, Some(current)).await
}

// ---- Overview and status ----

#[derive(Template)]
#[template(path = "projects/overview.html", whitespace = "minimize")]
struct OverviewPage {
    layout: Layout,
    head: ProjectHeader,
    csrf: String,
    /// Status buttons: only the allowed next statuses, only for those who may change it.
    /// "Completed" leads to a confirmation page that lists what is still open.
    next: Vec<ProjectStatus>,
    /// The reopen form (administrators, completed projects), with the reason typed so far.
    reopen: Option<FormState>,
    attachments: AttachmentsCard,
    comments: CommentsCard,
    /// Progress by level, when the project has items placed in rooms.
    site: Option<crate::ui::room_matrix::LevelBars>,
    /// The workshop's throughput per week, for staff who may see the workshop.
    throughput: Option<crate::ui::room_matrix::ThroughputCard>,
}

const REOPEN_FIELDS: &[&str] = &["reason"];

async fn overview_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    flash: Option<Flash>,
    status: StatusCode,
) -> Result<Response, PageError> {
    overview_with(state, page, id, flash, status, None).await
}

async fn overview_with(
    state: &AppState,
    page: &Page,
    id: Uuid,
    flash: Option<Flash>,
    status: StatusCode,
    reopen: Option<FormState>,
) -> Result<Response, PageError> {
    let (p, access) = state.services.project_for(&page.caller, id).await?;
    let next = if state
        .services
        .may(&page.caller, Action::ChangeProjectStatus, access)
    {
        p.status.allowed_next().to_vec()
    } else {
        Vec::new()
    };
    let reopen = (p.status == ProjectStatus::Completed
        && state
            .services
            .may(&page.caller, Action::ReopenProject, access))
    .then(|| reopen.unwrap_or_else(|| FormState::new(REOPEN_FIELDS)));
    let title = format!("{} {}", p.code, p.name);
    let attachments = card(
        state,
        page,
        OwnerKind::Project,
        id,
        format!("/projects/{id}"),
    )
    .await?;
    let comments = crate::ui::comments::card(
        state,
        page,
        RecordKind::Project,
        id,
        format!("/projects/{id}"),
    )
    .await?;
    let site = crate::ui::room_matrix::level_bars(state, page, id).await?;
    let throughput = crate::ui::room_matrix::throughput_card(state, page, id, access).await?;
    let view = OverviewPage {
        site,
        throughput,
        attachments,
        comments,
        layout: page.layout_with(Section::Projects, title, flash),
        head: ProjectHeader::new(p, access, page, state, "overview"),
        csrf: page.csrf.clone(),
        next,
        reopen,
    };
    render(status, &view)
}

pub async fn overview(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    overview_page(&state, &page, id, None, StatusCode::OK).await
}

pub async fn change_status(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let to: Option<ProjectStatus> = input.required_choice("to", &mut errors);
    let mut form = FormState::new(&[]);
    match to {
        Some(to) if errors.is_empty() => match state
            .services
            .change_project_status(&page.caller, id, version, to)
            .await
        {
            Ok(_) => return Ok(see_other(page.htmx, &format!("/projects/{id}?m=status"))),
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}"))?,
        },
        _ => form.add_errors(errors, &[]),
    }
    let flash = match (form.conflict, form.notice) {
        (Some(c), _) => Flash::error(format!(
            "{} changed this project{} while you were looking at it, so the status was not changed. The page now shows the latest version; choose again if still needed.",
            c.who,
            c.when
                .map(|t| format!(" at {}", format::stamp(&t)))
                .unwrap_or_default()
        )),
        (None, Some(n)) => Flash::error(n),
        (None, None) => Flash::error("The status could not be changed."),
    };
    overview_page(&state, &page, id, Some(flash), StatusCode::CONFLICT).await
}

#[derive(Template)]
#[template(path = "projects/complete.html", whitespace = "minimize")]
struct CompletePage {
    layout: Layout,
    head: ProjectHeader,
    csrf: String,
    open: OpenWork,
}

/// Asks before a project is marked completed, showing what is still open.
pub async fn complete_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (p, access) = s.project_for(&page.caller, id).await?;
    if !p.status.can_become(ProjectStatus::Completed) {
        return Ok(see_other(page.htmx, &format!("/projects/{id}")));
    }
    let open = s.open_work(&page.caller, id).await?;
    let view = CompletePage {
        layout: page.layout(Section::Projects, format!("Complete {}", p.code)),
        head: ProjectHeader::new(p, access, &page, &state, "overview"),
        csrf: page.csrf.clone(),
        open,
    };
    render(StatusCode::OK, &view)
}

/// Reopens a completed project with the reason typed.
pub async fn reopen(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let reason = input.text("reason");
    let mut form = FormState::new(REOPEN_FIELDS).with("reason", reason.clone());
    if errors.is_empty() {
        match state
            .services
            .reopen_project(&page.caller, id, version, &reason)
            .await
        {
            Ok(_) => return Ok(see_other(page.htmx, &format!("/projects/{id}?m=reopened"))),
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let flash = match (&form.conflict, &form.notice) {
        (Some(c), _) => Some(Flash::error(format!(
            "{} changed this project while you were looking at it, so it was not reopened. The page now shows the latest version.",
            c.who
        ))),
        (None, Some(n)) => Some(Flash::error(n.clone())),
        (None, None) => None,
    };
    let status = form.status();
    overview_with(&state, &page, id, flash, status, Some(form)).await
}

/// Deletes a project with everything in it (administrators; the page asks first).
pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match state
        .services
        .delete_project(&page.caller, id, version)
        .await
    {
        Ok(()) => Ok(see_other(false, "/projects?m=project_deleted")),
        Err(e) => {
            let (p, _) = state.services.project_for(&page.caller, id).await?;
            let mut form = form_from(&p);
            form.absorb(e, &[], &format!("/projects/{id}/edit"))?;
            form_page(&state, &page, form, Some(p)).await
        }
    }
}
