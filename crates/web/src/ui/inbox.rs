//! The inbox: the signed-in person's notifications with filters (unread, mentions, reviews,
//! a project), opening one (marks it read and goes to the record), marking read, how each
//! category is mailed, and the signed one-click unsubscribe link of notification mails.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formula_app::notifications::{CategoryMode, NotificationSettings, SettingsPatch};
use formula_app::query::Paging;
use formula_app::repos::InboxQuery;
use formula_domain::notification::{Category, EmailMode, Notification};
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::FormData;
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::{render, see_other};

/// Notifications per inbox page.
const PER_PAGE: u32 = 50;

/// One filter link.
struct FilterLink {
    label: &'static str,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "inbox.html", whitespace = "minimize")]
struct InboxPage {
    layout: Layout,
    items: Vec<Notification>,
    filters: Vec<FilterLink>,
    total: i64,
    unread_total: i64,
    page: u64,
    next: Option<String>,
    previous: Option<String>,
    /// The filter as a query string (kept by "mark all read").
    heading: String,
}

/// The filter a query string asks for.
fn filter_of(q: &FormData) -> (bool, Option<Category>, Option<Uuid>) {
    let unread = q.raw("unread") == "1";
    let category = q.raw("category").parse::<Category>().ok();
    let project = q.raw("project").parse::<Uuid>().ok();
    (unread, category, project)
}

fn query_string(
    unread: bool,
    category: Option<Category>,
    project: Option<Uuid>,
    page: u64,
) -> String {
    let mut parts = Vec::new();
    if unread {
        parts.push("unread=1".to_owned());
    }
    if let Some(c) = category {
        parts.push(format!("category={c}"));
    }
    if let Some(p) = project {
        parts.push(format!("project={p}"));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/inbox".to_owned()
    } else {
        format!("/inbox?{}", parts.join("&"))
    }
}

/// `GET /inbox`: `?unread=1`, `?category=mentions|reviews|…`, `?project=<id>`, `?page=N`.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(raw.as_deref());
    let (unread, category, project) = filter_of(&q);
    let number: u64 = q.raw("page").parse().unwrap_or(1).clamp(1, 10_000);
    let query = InboxQuery {
        unread,
        category,
        project_id: project,
        paging: Paging {
            limit: PER_PAGE,
            offset: (number - 1) * u64::from(PER_PAGE),
        },
    };
    let list = state.services.inbox(&page.caller, &query).await?;
    let unread_total = state.services.unread_notifications(&page.caller).await?;
    let filters = vec![
        FilterLink {
            label: "All",
            href: "/inbox".into(),
            current: !unread && category.is_none() && project.is_none(),
        },
        FilterLink {
            label: "Unread",
            href: "/inbox?unread=1".into(),
            current: unread && category.is_none(),
        },
        FilterLink {
            label: "Mentions",
            href: "/inbox?category=mentions".into(),
            current: category == Some(Category::Mentions),
        },
        FilterLink {
            label: "Reviews",
            href: "/inbox?category=reviews".into(),
            current: category == Some(Category::Reviews),
        },
        FilterLink {
            label: "My tasks",
            href: "/inbox?category=assignments".into(),
            current: category == Some(Category::Assignments),
        },
        FilterLink {
            label: "Deadlines",
            href: "/inbox?category=deadlines".into(),
            current: category == Some(Category::Deadlines),
        },
    ];
    let shown = number * u64::from(PER_PAGE);
    let heading = match (project, list.items.first()) {
        (Some(_), Some(n)) => format!("Notifications on {}", n.project_code),
        _ => "Notifications".to_owned(),
    };
    let view = InboxPage {
        layout: page.layout(Section::Inbox, "Notifications"),
        next: (i64::try_from(shown).unwrap_or(i64::MAX) < list.total)
            .then(|| query_string(unread, category, project, number + 1)),
        previous: (number > 1).then(|| query_string(unread, category, project, number - 1)),
        items: list.items,
        filters,
        total: list.total,
        unread_total,
        page: number,
        heading,
    };
    render(StatusCode::OK, &view)
}

/// `GET /notifications/{id}`: marks it read and goes to what it is about.
pub async fn open(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse::<Uuid>() else {
        return Err(PageError::App(formula_app::AppError::NotFound(
            "notification",
        )));
    };
    let n = state.services.open_notification(&page.caller, id).await?;
    // Links are stored relative to the site (`/drawings/…#comment-…`): never elsewhere.
    let to = if n.link.starts_with('/') && !n.link.starts_with("//") {
        n.link
    } else {
        "/inbox".to_owned()
    };
    Ok(Redirect::to(&to).into_response())
}

/// `POST /inbox/read`: marks one (`id`) or all read, and comes back to the same filter.
pub async fn mark_read(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let one = input.raw("id").parse::<Uuid>().ok();
    let ids = one.map(|id| vec![id]);
    state
        .services
        .mark_notifications_read(&page.caller, ids.as_deref())
        .await?;
    let back = input.raw("back");
    let back = if back.starts_with("/inbox") {
        back
    } else {
        "/inbox"
    };
    Ok(see_other(page.htmx, back))
}

#[derive(Template)]
#[template(path = "inbox_bell.html", whitespace = "minimize")]
struct BellFragment {
    layout: Layout,
}

/// `GET /inbox/bell`: the bell alone, which open pages fetch when their inbox changes.
pub async fn bell(page: Page) -> Result<Response, PageError> {
    let mut resp = render(
        StatusCode::OK,
        &BellFragment {
            layout: page.layout(Section::Inbox, "Notifications"),
        },
    )?;
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

#[derive(Template)]
#[template(path = "inbox_settings.html", whitespace = "minimize")]
struct SettingsPage {
    layout: Layout,
    settings: NotificationSettings,
    modes: &'static [EmailMode],
    error: Option<String>,
}

/// `GET /inbox/settings`: how each category is mailed, and the time zone.
pub async fn settings(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    let settings = state.services.notification_settings(&page.caller).await?;
    render(
        StatusCode::OK,
        &SettingsPage {
            layout: page.layout(Section::Inbox, "Notification settings"),
            settings,
            modes: EmailMode::ALL,
            error: None,
        },
    )
}

/// `POST /inbox/settings`.
pub async fn save_settings(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let email = Category::ALL
        .iter()
        .filter_map(|c| {
            input
                .raw(c.as_str())
                .parse::<EmailMode>()
                .ok()
                .map(|mode| CategoryMode { category: *c, mode })
        })
        .collect();
    let zone = input.raw("time_zone").trim();
    let patch = SettingsPatch {
        email,
        time_zone: (!zone.is_empty()).then(|| zone.to_owned()),
    };
    match state
        .services
        .update_notification_settings(&page.caller, patch)
        .await
    {
        Ok(_) => Ok(see_other(page.htmx, "/inbox/settings?m=saved")),
        Err(formula_app::AppError::Validation(fields)) => {
            let settings = state.services.notification_settings(&page.caller).await?;
            let message = fields
                .0
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SettingsPage {
                    layout: page.layout_with(
                        Section::Inbox,
                        "Notification settings",
                        Some(Flash::error(message.clone())),
                    ),
                    settings,
                    modes: EmailMode::ALL,
                    error: Some(message),
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "unsubscribe.html", whitespace = "minimize")]
struct UnsubscribePage {
    title: &'static str,
    flash: Option<Flash>,
    token: String,
    done: Option<(String, Vec<Category>)>,
    error: Option<String>,
}

/// `GET /unsubscribe?t=…`: asks to confirm (a link opened by a mail scanner changes nothing).
pub async fn unsubscribe_page(RawQuery(raw): RawQuery) -> Result<Response, PageError> {
    let q = FormData::from_query(raw.as_deref());
    render(
        StatusCode::OK,
        &UnsubscribePage {
            title: "Unsubscribe",
            flash: None,
            token: q.raw("t").to_owned(),
            done: None,
            error: None,
        },
    )
}

/// `POST /unsubscribe?t=…` (one-click, RFC 8058, or the confirmation form): turns the mail
/// of the link's categories off. No sign-in: the signature is the proof.
pub async fn unsubscribe(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let q = FormData::from_query(raw.as_deref());
    let token = form
        .iter()
        .find(|(k, _)| k == "t")
        .map_or_else(|| q.raw("t").to_owned(), |(_, v)| v.clone());
    let (status, view) = match state.services.unsubscribe(&token).await {
        Ok(done) => (
            StatusCode::OK,
            UnsubscribePage {
                title: "Unsubscribe",
                flash: None,
                token,
                done: Some(done),
                error: None,
            },
        ),
        Err(formula_app::AppError::Validation(fields)) => (
            StatusCode::BAD_REQUEST,
            UnsubscribePage {
                title: "Unsubscribe",
                flash: None,
                token: String::new(),
                done: None,
                error: fields.0.first().map(|f| f.message.clone()),
            },
        ),
        Err(formula_app::AppError::NotFound(_)) => (
            StatusCode::NOT_FOUND,
            UnsubscribePage {
                title: "Unsubscribe",
                flash: None,
                token: String::new(),
                done: None,
                error: Some("The account this link was sent to no longer exists.".into()),
            },
        ),
        Err(e) => return Err(e.into()),
    };
    render(status, &view)
}
