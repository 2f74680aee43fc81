//! User accounts (administrators): the list, adding people and editing their
//! role, status and client organisation. Disabling a user ends their sessions
//! (the app layer does that).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::invitations::InviteInput;
use formula_app::query::{ClientQuery, ClientSort, Dir, Paging, UserQuery, UserSort};
use formula_app::users::{NewUser, UserPatch};
use formula_domain::authz::Action;
use formula_domain::errors::FieldErrors;
use formula_domain::user::{Role, User, UserStatus};

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, Opt, enum_options};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::lists::{ListUrl, Pager, SortLink, active_sort, paging, sort_links};
use crate::ui::{render, see_other};

const PAGE_SIZE: u32 = 50;
/// The new-user form's choice to e-mail an invitation rather than set a password.
const INVITE: &str = "invite";
const NEW_FIELDS: &[&str] = &[
    "name",
    "email",
    "access",
    "password",
    "role",
    "job_title",
    "phone",
    "skills",
    "client_id",
];
const EDIT_FIELDS: &[&str] = &[
    "name",
    "email",
    "role",
    "status",
    "job_title",
    "phone",
    "skills",
    "client_id",
];
const SORTS: &[(&str, UserSort)] = &[
    ("name", UserSort::Name),
    ("email", UserSort::Email),
    ("role", UserSort::Role),
    ("created_at", UserSort::CreatedAt),
];

struct ListView {
    rows: Vec<User>,
    sort: Vec<SortLink>,
    pager: Pager,
    filtered: bool,
    can_manage: bool,
}

#[derive(Template)]
#[template(path = "users/list.html", whitespace = "minimize")]
struct ListPage {
    layout: Layout,
    form: FormState,
    roles: Vec<Opt>,
    statuses: Vec<Opt>,
    view: ListView,
}

#[derive(Template)]
#[template(path = "users/_results.html", whitespace = "minimize")]
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
    let url = ListUrl::new("/users", &q, &["q", "role", "status"]);
    let (key, dir) = active_sort(
        url.sort_param(),
        &["name", "email", "role", "created_at"],
        ("name", Dir::Asc),
    );
    let query = UserQuery {
        q: q.opt("q"),
        role: q.choice("role", &mut ignored),
        status: q.choice("status", &mut ignored),
        sort: SORTS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v, dir)),
        paging: paging(&q, PAGE_SIZE),
    };
    let result = state.services.list_users(&page.caller, &query).await?;
    let view = ListView {
        sort: sort_links(
            &url,
            &[
                ("name", "Name"),
                ("email", "Email"),
                ("role", "Role"),
                ("created_at", "Added"),
            ],
            (key, dir),
        ),
        pager: Pager::new(&result, &url),
        rows: result.items,
        filtered: url.filtered(),
        can_manage: page.can(Action::ManageUsers),
    };
    if page.htmx {
        return render(StatusCode::OK, &ListResults { view: &view });
    }
    let list = ListPage {
        layout: page.layout(Section::Users, "Users"),
        form: FormState::submitted(&["q", "role", "status"], q),
        roles: enum_options!(Role),
        statuses: enum_options!(UserStatus),
        view,
    };
    render(StatusCode::OK, &list)
}

#[derive(Template)]
#[template(path = "users/form.html", whitespace = "minimize")]
struct FormPage {
    layout: Layout,
    form: FormState,
    user: Option<User>,
    roles: Vec<Opt>,
    statuses: Vec<Opt>,
    clients: Vec<Opt>,
}

async fn form_page(
    state: &AppState,
    page: &Page,
    form: FormState,
    user: Option<User>,
) -> Result<Response, PageError> {
    let query = ClientQuery {
        sort: Some((ClientSort::Name, Dir::Asc)),
        paging: Paging {
            limit: 200,
            offset: 0,
        },
        ..Default::default()
    };
    let clients = state
        .services
        .list_clients(&page.caller, &query)
        .await?
        .items
        .into_iter()
        .map(|c| Opt::new(c.id.to_string(), c.name))
        .collect();
    let title = match &user {
        Some(u) => format!("Edit {}", u.name),
        None => "New user".to_owned(),
    };
    let view = FormPage {
        layout: page.layout(Section::Users, title),
        form,
        user,
        roles: enum_options!(Role),
        statuses: enum_options!(UserStatus),
        clients,
    };
    render(view.form.status(), &view)
}

pub async fn new_page(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    if !page.can(Action::ManageUsers) {
        return Err(PageError::App(AppError::Forbidden));
    }
    form_page(
        &state,
        &page,
        FormState::new(NEW_FIELDS)
            .with("role", Role::Designer.as_str())
            .with("access", INVITE),
        None,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let role: Option<Role> = input.required_choice("role", &mut errors);
    let new = NewUser {
        email: input.text("email"),
        name: input.text("name"),
        password: input.text("password"),
        role: role.unwrap_or(Role::Designer),
        job_title: input.opt("job_title"),
        phone: input.opt("phone"),
        skills: input.list("skills"),
        client_id: input.uuid("client_id", &mut errors),
    };
    // An invitation unless the administrator chose to type a password (a form posted
    // without the choice, as before invitations, sets the password it carries).
    let invite = input.raw("access") == INVITE;
    let mut form = FormState::submitted(NEW_FIELDS, input);
    form.values.set("password", "");
    if errors.is_empty() {
        let done = if invite {
            let invitation = InviteInput {
                email: new.email,
                name: new.name,
                role: new.role,
                job_title: new.job_title,
                phone: new.phone,
                skills: new.skills,
                client_id: new.client_id,
            };
            state
                .services
                .invite_user(&page.caller, invitation)
                .await
                .map(|_| "/users?m=user_invited")
        } else {
            state
                .services
                .create_user(&page.caller, new)
                .await
                .map(|_| "/users?m=user_created")
        };
        match done {
            Ok(to) => return Ok(see_other(false, to)),
            Err(e) => form.absorb(e, &[], "/users/new")?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    form_page(&state, &page, form, None).await
}

pub async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    if !page.can(Action::ManageUsers) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let u = state.services.get_user(&page.caller, id).await?;
    form_page(&state, &page, edit_form(&u), Some(u)).await
}

/// The edit form filled from the account as stored.
fn edit_form(u: &User) -> FormState {
    FormState::new(EDIT_FIELDS)
        .with("name", u.name.clone())
        .with("email", u.email.clone())
        .with("role", u.role.as_str())
        .with("status", u.status.as_str())
        .with("job_title", u.job_title.clone().unwrap_or_default())
        .with("phone", u.phone.clone().unwrap_or_default())
        .with("skills", u.skills.join(", "))
        .with(
            "client_id",
            u.client_id.map(|c| c.to_string()).unwrap_or_default(),
        )
        .with("version", u.version.to_string())
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let current = state.services.get_user(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let patch = UserPatch {
        email: Some(input.text("email")),
        name: Some(input.text("name")),
        role: input.required_choice("role", &mut errors),
        job_title: Some(input.opt("job_title")),
        phone: Some(input.opt("phone")),
        skills: Some(input.list("skills")),
        status: input.required_choice("status", &mut errors),
        client_id: Some(input.uuid("client_id", &mut errors)),
        version: None,
    };
    let mut form = FormState::submitted(EDIT_FIELDS, input);
    if errors.is_empty() {
        match state
            .services
            .update_user(&page.caller, id, version, patch)
            .await
        {
            Ok(_) => return Ok(see_other(false, "/users?m=saved")),
            Err(e) => form.absorb(e, &[], &format!("/users/{id}/edit"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    form_page(&state, &page, form, Some(current)).await
}

/// E-mails the user a new invitation link; the previous one stops working.
pub async fn invite(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    match state.services.reinvite_user(&page.caller, id).await {
        Ok(_) => Ok(see_other(false, &format!("/users/{id}/edit?m=invited"))),
        Err(e) => {
            let current = state.services.get_user(&page.caller, id).await?;
            let mut form = edit_form(&current);
            form.absorb(e, &[], &format!("/users/{id}/edit"))?;
            form_page(&state, &page, form, Some(current)).await
        }
    }
}
