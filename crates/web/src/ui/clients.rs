//! Clients: the list, the create and edit forms, and the client page with its
//! contacts and projects.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::clients::{ClientPatch, NewClient, NewContact};
use formula_app::query::{ClientQuery, ClientSort, Dir, Paging, ProjectQuery, ProjectSort};
use formula_domain::authz::{Action, Resource, authorize};
use formula_domain::client::{Client, ClientStatus, Contact};
use formula_domain::errors::FieldErrors;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, IdPair, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::lists::{ListUrl, Pager, SortLink, active_sort, paging, sort_links};
use crate::ui::projects::ProjectRow;
use crate::ui::{render, see_other};

const PAGE_SIZE: u32 = 50;
const FIELDS: &[&str] = &[
    "name",
    "client_type",
    "status",
    "address",
    "website",
    "notes",
];
const CONTACT_FIELDS: &[&str] = &["name", "role", "email", "phone"];
const SORTS: &[(&str, ClientSort)] = &[
    ("name", ClientSort::Name),
    ("status", ClientSort::Status),
    ("created_at", ClientSort::CreatedAt),
];

// ---- List ----

struct ListView {
    rows: Vec<Client>,
    sort: Vec<SortLink>,
    pager: Pager,
    filtered: bool,
    can_create: bool,
}

#[derive(Template)]
#[template(path = "clients/list.html", whitespace = "minimize")]
struct ListPage {
    layout: Layout,
    form: FormState,
    statuses: Vec<Opt>,
    view: ListView,
}

#[derive(Template)]
#[template(path = "clients/_results.html", whitespace = "minimize")]
struct ListResults<'a> {
    view: &'a ListView,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(raw.as_deref());
    let mut ignored = FieldErrors::new();
    let url = ListUrl::new("/clients", &q, &["q", "status"]);
    let (key, dir) = active_sort(
        url.sort_param(),
        &["name", "status", "created_at"],
        ("name", Dir::Asc),
    );
    let query = ClientQuery {
        q: q.opt("q"),
        status: q.choice("status", &mut ignored),
        sort: SORTS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v, dir)),
        paging: paging(&q, PAGE_SIZE),
    };
    let result = state.services.list_clients(&page.caller, &query).await?;
    let view = ListView {
        sort: sort_links(
            &url,
            &[
                ("name", "Name"),
                ("status", "Status"),
                ("created_at", "Added"),
            ],
            (key, dir),
        ),
        pager: Pager::new(&result, &url),
        rows: result.items,
        filtered: url.filtered(),
        can_create: page.can(Action::CreateClient),
    };
    if page.htmx {
        return render(StatusCode::OK, &ListResults { view: &view });
    }
    let list = ListPage {
        layout: page.layout(Section::Clients, "Clients"),
        form: FormState::submitted(&["q", "status"], q),
        statuses: enum_options!(ClientStatus),
        view,
    };
    render(StatusCode::OK, &list)
}

// ---- Create and edit ----

#[derive(Template)]
#[template(path = "clients/form.html", whitespace = "minimize")]
struct FormPage {
    layout: Layout,
    form: FormState,
    client: Option<Client>,
    statuses: Vec<Opt>,
}

fn form_page(page: &Page, form: FormState, client: Option<Client>) -> Result<Response, PageError> {
    let title = match &client {
        Some(c) => format!("Edit {}", c.name),
        None => "New client".to_owned(),
    };
    let view = FormPage {
        layout: page.layout(Section::Clients, title),
        form,
        client,
        statuses: enum_options!(ClientStatus),
    };
    render(view.form.status(), &view)
}

pub async fn new_page(page: Page) -> Result<Response, PageError> {
    if !page.can(Action::CreateClient) {
        return Err(PageError::App(AppError::Forbidden));
    }
    form_page(
        &page,
        FormState::new(FIELDS).with("status", ClientStatus::Active.as_str()),
        None,
    )
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let new = NewClient {
        name: input.text("name"),
        client_type: input.opt("client_type"),
        status: input.choice("status", &mut errors),
        address: input.opt("address"),
        website: input.opt("website"),
        notes: input.opt("notes"),
    };
    let mut form = FormState::submitted(FIELDS, input);
    if errors.is_empty() {
        match state.services.create_client(&page.caller, new).await {
            Ok(c) => {
                return Ok(see_other(
                    false,
                    &format!("/clients/{}?m=client_created", c.id),
                ));
            }
            Err(e) => form.absorb(e, &[], "/clients/new")?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    form_page(&page, form, None)
}

pub async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let c = state.services.client_for_edit(&page.caller, id).await?;
    let form = FormState::new(FIELDS)
        .with("name", c.name.clone())
        .with("client_type", c.client_type.clone().unwrap_or_default())
        .with("status", c.status.as_str())
        .with("address", c.address.clone().unwrap_or_default())
        .with("website", c.website.clone().unwrap_or_default())
        .with("notes", c.notes.clone().unwrap_or_default())
        .with("version", c.version.to_string());
    form_page(&page, form, Some(c))
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let current = state.services.get_client(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let patch = ClientPatch {
        name: Some(input.text("name")),
        client_type: Some(input.opt("client_type")),
        status: input.required_choice("status", &mut errors),
        address: Some(input.opt("address")),
        website: Some(input.opt("website")),
        notes: Some(input.opt("notes")),
        version: None,
    };
    let mut form = FormState::submitted(FIELDS, input);
    if errors.is_empty() {
        match state
            .services
            .update_client(&page.caller, id, version, patch)
            .await
        {
            Ok(c) => return Ok(see_other(false, &format!("/clients/{}?m=saved", c.id))),
            Err(e) => form.absorb(e, &[], &format!("/clients/{id}/edit"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    form_page(&page, form, Some(current))
}

// ---- The client page ----

#[derive(Template)]
#[template(path = "clients/show.html", whitespace = "minimize")]
struct ShowPage {
    layout: Layout,
    client: Client,
    contacts: Vec<Contact>,
    projects: Vec<ProjectRow>,
    project_total: i64,
    contact_form: FormState,
    can_edit: bool,
    can_delete: bool,
    can_create_project: bool,
}

async fn show_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    contact_form: FormState,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let client = s.get_client(&page.caller, id).await?;
    let contacts = s.list_contacts(&page.caller, id).await?;
    let query = ProjectQuery {
        client_id: Some(id),
        sort: Some((ProjectSort::Code, Dir::Desc)),
        paging: Paging {
            limit: 100,
            offset: 0,
        },
        ..Default::default()
    };
    let projects = s.list_projects(&page.caller, &query).await?;
    let today = s.today();
    let status = if flash.is_some() {
        StatusCode::CONFLICT
    } else {
        contact_form.status()
    };
    let view = ShowPage {
        layout: page.layout_with(Section::Clients, client.name.clone(), flash),
        can_edit: authorize(
            &page.caller.actor,
            Action::UpdateClient,
            &Resource::Client { id },
        ),
        can_delete: authorize(
            &page.caller.actor,
            Action::DeleteClient,
            &Resource::Client { id },
        ),
        can_create_project: page.can(Action::CreateProject),
        client,
        contacts,
        project_total: projects.total,
        projects: projects
            .items
            .into_iter()
            .map(|p| ProjectRow::new(p, today))
            .collect(),
        contact_form,
    };
    render(status, &view)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    show_page(&state, &page, id, FormState::new(CONTACT_FIELDS), None).await
}

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
        .delete_client(&page.caller, id, version)
        .await
    {
        Ok(()) => Ok(see_other(false, "/clients?m=client_deleted")),
        Err(e) => {
            let mut form = FormState::new(&[]);
            form.absorb(e, &[], &format!("/clients/{id}"))?;
            let message = match (form.conflict, form.notice) {
                (Some(c), _) => format!(
                    "{} changed this client first; review it and try again.",
                    c.who
                ),
                (None, Some(n)) => n,
                (None, None) => "The client could not be deleted.".to_owned(),
            };
            show_page(
                &state,
                &page,
                id,
                FormState::new(CONTACT_FIELDS),
                Some(Flash::error(message)),
            )
            .await
        }
    }
}

pub async fn add_contact(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let new = NewContact {
        name: input.text("name"),
        role: input.opt("role"),
        email: input.opt("email"),
        phone: input.opt("phone"),
    };
    let mut form = FormState::submitted(CONTACT_FIELDS, input);
    match state.services.add_contact(&page.caller, id, new).await {
        Ok(_) => Ok(see_other(
            false,
            &format!("/clients/{id}?m=contact_added#contacts"),
        )),
        Err(e) => {
            form.absorb(e, &[], &format!("/clients/{id}"))?;
            show_page(&state, &page, id, form, None).await
        }
    }
}

pub async fn remove_contact(
    State(state): State<AppState>,
    page: Page,
    IdPair(id, contact_id): IdPair,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    state
        .services
        .remove_contact(&page.caller, id, contact_id)
        .await?;
    Ok(see_other(
        false,
        &format!("/clients/{id}?m=contact_removed#contacts"),
    ))
}
