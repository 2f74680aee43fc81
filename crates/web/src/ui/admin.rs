//! Administration pages: the audit trail (administrators and executives) and the
//! outbox of emails written while no SMTP server is configured (administrators).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::ports::OutboxMail;
use formula_app::query::{AuditQuery, Dir, Paging, UserQuery, UserSort};
use formula_domain::audit::AuditEntry;
use formula_domain::authz::Action;
use formula_domain::errors::FieldErrors;

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Opt};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::lists::{ListUrl, Pager, paging};
use crate::ui::render;

const PAGE_SIZE: u32 = 100;
const FILTER_KEYS: &[&str] = &["entity_type", "action", "actor_id", "entity_id"];
const ENTITY_TYPES: &[(&str, &str)] = &[
    ("project", "Project"),
    ("task", "Task"),
    ("client", "Client"),
    ("user", "User"),
    ("api_token", "API token"),
];
const ACTIONS: &[&str] = &[
    "create",
    "update",
    "delete",
    "status_change",
    "add_member",
    "remove_member",
    "add_contact",
    "remove_contact",
    "change_password",
    "reset_password",
];

/// An audit entry with the link to what it changed, if that still has a page.
struct AuditRow {
    e: AuditEntry,
    href: Option<String>,
}

struct AuditView {
    rows: Vec<AuditRow>,
    pager: Pager,
    filtered: bool,
}

#[derive(Template)]
#[template(path = "admin/audit.html", whitespace = "minimize")]
struct AuditPage {
    layout: Layout,
    form: FormState,
    types: Vec<Opt>,
    actions: Vec<Opt>,
    actors: Vec<Opt>,
    view: AuditView,
}

#[derive(Template)]
#[template(path = "admin/_audit_results.html", whitespace = "minimize")]
struct AuditResults<'a> {
    view: &'a AuditView,
}

fn entity_href(e: &AuditEntry, admin: bool) -> Option<String> {
    let id = e.entity_id;
    match e.entity_type.as_str() {
        "project" => Some(format!("/projects/{id}")),
        "task" => Some(format!("/tasks/{id}")),
        "client" => Some(format!("/clients/{id}")),
        "user" if admin && !id.is_nil() => Some(format!("/users/{id}/edit")),
        _ => None,
    }
}

pub async fn audit(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(raw.as_deref());
    let mut ignored = FieldErrors::new();
    let url = ListUrl::new("/audit", &q, FILTER_KEYS);
    let query = AuditQuery {
        entity_type: q.opt("entity_type"),
        entity_id: q.uuid("entity_id", &mut ignored),
        actor_id: q.uuid("actor_id", &mut ignored),
        action: q.opt("action"),
        paging: paging(&q, PAGE_SIZE),
    };
    let result = state.services.list_audit(&page.caller, &query).await?;
    let admin = page.can(Action::ManageUsers);
    let view = AuditView {
        pager: Pager::new(&result, &url),
        rows: result
            .items
            .into_iter()
            .map(|e| AuditRow {
                href: entity_href(&e, admin),
                e,
            })
            .collect(),
        filtered: url.filtered(),
    };
    if page.htmx {
        return render(StatusCode::OK, &AuditResults { view: &view });
    }
    let people = UserQuery {
        sort: Some((UserSort::Name, Dir::Asc)),
        paging: Paging {
            limit: 200,
            offset: 0,
        },
        ..Default::default()
    };
    let actors = state
        .services
        .list_users(&page.caller, &people)
        .await?
        .items
        .into_iter()
        .map(|u| Opt::new(u.id.to_string(), u.name))
        .collect();
    let view = AuditPage {
        layout: page.layout(Section::Audit, "Audit trail"),
        form: FormState::submitted(FILTER_KEYS, q),
        types: ENTITY_TYPES.iter().map(|(v, l)| Opt::new(*v, *l)).collect(),
        actions: ACTIONS
            .iter()
            .map(|a| Opt::new(*a, a.replace('_', " ")))
            .collect(),
        actors,
        view,
    };
    render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "admin/outbox.html", whitespace = "minimize")]
struct OutboxPage {
    layout: Layout,
    mails: Vec<OutboxMail>,
    smtp: bool,
}

pub async fn outbox(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    let mails = state.services.list_outbox(&page.caller).await?;
    let view = OutboxPage {
        layout: page.layout(Section::Outbox, "Outbox"),
        mails,
        smtp: state.services.mailer.is_configured(),
    };
    render(StatusCode::OK, &view)
}
