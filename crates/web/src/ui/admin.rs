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
use formula_domain::money::format_amount;
use serde_json::Value;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Opt};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::lists::{ListUrl, Pager, paging};
use crate::ui::{format, render};

/// An ISO day, as dates are stored in changes.
const DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

const PAGE_SIZE: u32 = 100;
const FILTER_KEYS: &[&str] = &["entity_type", "action", "actor_id", "entity_id"];
const ENTITY_TYPES: &[(&str, &str)] = &[
    ("project", "Project"),
    ("task", "Task"),
    ("scope_item", "Scope item"),
    ("scope_group", "Scope group"),
    (RELEASES, "Release to production"),
    ("drawing", "Drawing"),
    ("spec", "Material spec"),
    ("client", "Client"),
    ("user", "User"),
    ("api_token", "API token"),
    ("job", "Background job"),
    ("company", "Company settings"),
];
/// The entity filter's choice for releases: scope items released, with or without override.
const RELEASES: &str = "release";
const ACTIONS: &[&str] = &[
    "create",
    "update",
    "delete",
    "status_change",
    "reopen",
    "import",
    "move",
    "link",
    "upload",
    "submit",
    "review",
    "release",
    "release_override",
    "attach",
    "detach",
    "add_member",
    "remove_member",
    "add_contact",
    "remove_contact",
    "review_settings",
    "readiness_rule",
    "change_password",
    "reset_password",
    "retry",
    "logo",
];
/// Longest value shown for one field; the API has the whole entry.
const VALUE_CHARS: usize = 80;
/// Fields named in a row's summary before "and N more".
const SUMMARY_FIELDS: usize = 4;

/// One changed field as a person reads it.
struct ChangeLine {
    field: String,
    old: String,
    new: String,
    /// Set for the first time (nothing before).
    added: bool,
}

/// An audit entry as the page shows it: names instead of ids, times to the minute, and the
/// changes summarised, their details behind a toggle.
struct AuditRow {
    at: OffsetDateTime,
    by: Option<String>,
    action: String,
    kind: String,
    label: String,
    href: Option<String>,
    summary: String,
    lines: Vec<ChangeLine>,
    request_id: Option<String>,
    ip: Option<String>,
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
        "scope_item" => Some(format!("/scope-items/{id}/edit")),
        "drawing" => Some(format!("/drawings/{id}")),
        "spec" => Some(format!("/specs/{id}")),
        "user" if admin && !id.is_nil() => Some(format!("/users/{id}/edit")),
        _ => None,
    }
}

/// Every id mentioned in the entries' changes, to be looked up by name.
fn mentioned_ids(entries: &[AuditEntry]) -> Vec<Uuid> {
    fn walk(v: &Value, out: &mut Vec<Uuid>) {
        match v {
            Value::String(s) => {
                if let Ok(id) = Uuid::parse_str(s) {
                    out.push(id);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for c in entries.iter().flat_map(|e| &e.changes) {
        walk(&c.old, &mut out);
        walk(&c.new, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `client_id` → `client`, `scope_item_ids` → `scope items`, `unit_price_minor` → `unit price`.
fn field_label(field: &str) -> String {
    let f = field
        .strip_suffix("_minor")
        .or_else(|| field.strip_suffix("_id"))
        .unwrap_or(field);
    let f = match f.strip_suffix("_ids") {
        Some(base) => format!("{base}s"),
        None => f.to_owned(),
    };
    f.replace('_', " ")
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let mut t: String = text.chars().take(max).collect();
        t.push('…');
        t
    } else {
        text.to_owned()
    }
}

/// One value in words: a name for an id, a day or a time to the minute, money in the
/// entry's currency, `yes`/`no`, enum words without underscores; long text is cut.
fn show(v: &Value, money: Option<&str>, names: &HashMap<Uuid, String>) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => match (money, n.as_i64()) {
            (Some(currency), Some(minor)) => {
                format!("{} {currency}", format_amount(minor, currency))
            }
            _ => n.to_string(),
        },
        Value::String(s) => {
            if let Ok(id) = Uuid::parse_str(s) {
                return names
                    .get(&id)
                    .map_or_else(|| "(deleted)".to_owned(), |n| cut(n, VALUE_CHARS));
            }
            if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
                return format::stamp(&t);
            }
            if let Ok(d) = Date::parse(s, DAY) {
                return format::day(&d);
            }
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return s.replace('_', " ");
            }
            cut(s, VALUE_CHARS)
        }
        Value::Array(items) if items.is_empty() => "none".into(),
        Value::Array(items) => {
            let shown: Vec<String> = items
                .iter()
                .take(5)
                .map(|i| show(i, money, names))
                .collect();
            let more = items.len().saturating_sub(5);
            let list = shown.join(", ");
            if more > 0 {
                format!("{list} and {more} more")
            } else {
                list
            }
        }
        Value::Object(fields) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{} {}", field_label(k), show(v, money, names)))
                .collect();
            cut(&parts.join(", "), VALUE_CHARS)
        }
    }
}

/// Nothing worth listing for a new record: empty, false or zero.
fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty() || s == "0",
        Value::Array(a) => a.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Object(o) => o.is_empty(),
    }
}

fn audit_row(
    e: AuditEntry,
    href: Option<String>,
    names: &HashMap<Uuid, String>,
    default_currency: &str,
) -> AuditRow {
    let currency = e
        .changes
        .iter()
        .find(|c| c.field == "currency")
        .and_then(|c| c.new.as_str().or_else(|| c.old.as_str()))
        .unwrap_or(default_currency)
        .to_owned();
    let creating = e.action == "create";
    // `manager_name` beside `manager_id` (and the like) only repeats the name.
    let derived = |field: &str| {
        ["_name", "_code"].iter().any(|suffix| {
            field.strip_suffix(suffix).is_some_and(|base| {
                e.changes
                    .iter()
                    .any(|c| c.field.strip_suffix("_id") == Some(base))
            })
        })
    };
    // A new record's label (its code, name or title) is already in the entity column.
    let is_label = |v: &Value| creating && v.as_str() == Some(e.entity_label.as_str());
    let lines: Vec<ChangeLine> = e
        .changes
        .iter()
        .filter(|c| !(creating && c.old.is_null() && blank(&c.new)))
        .filter(|c| !derived(&c.field) && !is_label(&c.new))
        .map(|c| {
            let money = c.field.ends_with("_minor").then_some(currency.as_str());
            ChangeLine {
                field: field_label(&c.field),
                old: show(&c.old, money, names),
                new: show(&c.new, money, names),
                added: c.old.is_null(),
            }
        })
        .collect();
    let summary = if lines.is_empty() {
        String::new()
    } else if creating {
        match lines.len() {
            1 => "1 field set".to_owned(),
            n => format!("{n} fields set"),
        }
    } else {
        let mut named: Vec<&str> = lines
            .iter()
            .take(SUMMARY_FIELDS)
            .map(|l| l.field.as_str())
            .collect();
        let more = lines.len().saturating_sub(SUMMARY_FIELDS);
        let more = (more > 0).then(|| format!("{more} more"));
        if let Some(m) = &more {
            named.push(m);
        }
        named.join(", ")
    };
    AuditRow {
        at: e.at.replace_nanosecond(0).unwrap_or(e.at),
        by: e.actor_name,
        action: e.action.replace('_', " "),
        kind: field_label(&e.entity_type),
        label: e.entity_label,
        href,
        summary,
        lines,
        request_id: e.request_id,
        ip: e.ip,
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
    let releases = q.opt("entity_type").as_deref() == Some(RELEASES);
    let query = AuditQuery {
        entity_type: if releases {
            Some("scope_item".into())
        } else {
            q.opt("entity_type")
        },
        actions: if releases && q.opt("action").is_none() {
            vec!["release".into(), "release_override".into()]
        } else {
            Vec::new()
        },
        entity_id: q.uuid("entity_id", &mut ignored),
        actor_id: q.uuid("actor_id", &mut ignored),
        action: q.opt("action"),
        paging: paging(&q, PAGE_SIZE),
    };
    let result = state.services.list_audit(&page.caller, &query).await?;
    let admin = page.can(Action::ManageUsers);
    let names = state
        .services
        .audit_names(&page.caller, &mentioned_ids(&result.items))
        .await?;
    let currency = &state.services.config.default_currency;
    let pager = Pager::new(&result, &url);
    let view = AuditView {
        pager,
        rows: result
            .items
            .into_iter()
            .map(|e| {
                let href = entity_href(&e, admin);
                audit_row(e, href, &names, currency)
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
