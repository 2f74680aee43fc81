//! The signed-in user's profile: changing the password and personal API tokens
//! (created with an optional expiry, the secret shown exactly once, revocable).
//!
//! Creating a token is Post/Redirect/Get: the POST keeps the secret as the session's sealed
//! one-time message ([`one_time`]) and redirects; the profile page takes it and shows it once.
//! Reloading that page shows it no more and creates nothing.
//!
//! Calendar feed links follow the same pattern: made (for the person's own work or a
//! project), shown once, revoked or regenerated (the old link dies at once).

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use formula_app::ports::ApiToken;
use formula_app::query::{Paging, ProjectQuery};
use formula_app::repos::CalendarFeed;
use formula_domain::errors::FieldErrors;
use serde::{Deserialize, Serialize};

use crate::auth::session_cookie;
use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::one_time;
use crate::ui::{render, see_other};

const PASSWORD_FIELDS: &[&str] = &["current_password", "new_password", "revoke_tokens"];
const TOKEN_FIELDS: &[&str] = &["name", "expires_in_days"];
/// The `?m=` code of the redirect after a token was created: only then is a secret looked for.
const TOKEN_CREATED: &str = "token_created";
/// Likewise after a calendar feed link was made or regenerated.
const FEED_CREATED: &str = "feed_created";
/// Most projects offered for a project feed.
const FEED_PROJECTS: u32 = 200;

/// A token just created: its name and the secret, shown once.
#[derive(Serialize, Deserialize)]
struct NewSecret {
    name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "profile.html", whitespace = "minimize")]
struct ProfilePage {
    layout: Layout,
    name: String,
    email: String,
    role: &'static str,
    tokens: Vec<ApiToken>,
    password_form: FormState,
    token_form: FormState,
    created: Option<NewSecret>,
    /// Feed links in force.
    feeds: Vec<CalendarFeed>,
    /// A feed link just made: what it shows and its URL, shown once.
    feed_created: Option<NewSecret>,
    /// The projects a feed may be made for (id, `code · name`).
    feed_projects: Vec<(String, String)>,
}

async fn profile_page(
    state: &AppState,
    page: &Page,
    password_form: FormState,
    token_form: FormState,
    created: Option<NewSecret>,
    feed_created: Option<NewSecret>,
) -> Result<Response, PageError> {
    let tokens = state.services.list_tokens(&page.caller).await?;
    let feeds = state
        .services
        .list_calendar_feeds(&page.caller)
        .await?
        .into_iter()
        .filter(|f| f.revoked_at.is_none())
        .collect();
    let feed_projects = state
        .services
        .list_projects(
            &page.caller,
            &ProjectQuery {
                paging: Paging {
                    limit: FEED_PROJECTS,
                    offset: 0,
                },
                ..ProjectQuery::default()
            },
        )
        .await?
        .items
        .into_iter()
        .map(|p| (p.id.to_string(), format!("{} · {}", p.code, p.name)))
        .collect();
    let status = if password_form.failed() {
        password_form.status()
    } else {
        token_form.status()
    };
    let mut layout = page.layout(Section::Profile, "Your profile");
    if created.is_some() || feed_created.is_some() {
        // The box with the secret says it was created.
        layout.flash = None;
    }
    let view = ProfilePage {
        layout,
        name: page.user.name.clone(),
        email: page.user.email.clone(),
        role: page.user.role.label(),
        tokens,
        password_form: password_form.prefixed("pw-"),
        token_form: token_form.prefixed("tk-"),
        created,
        feeds,
        feed_created,
        feed_projects,
    };
    render(status, &view)
}

/// The profile page; after a token was created (`?m=token_created`), with its secret the
/// first time only.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let code = page.flash_code();
    let secret = if code == Some(TOKEN_CREATED) || code == Some(FEED_CREATED) {
        let sealed = state.services.take_session_flash(&page.caller).await?;
        sealed
            .zip(session_cookie(&headers, &state))
            .and_then(|(sealed, session)| one_time::open::<NewSecret>(&session, &sealed))
    } else {
        None
    };
    let (created, feed_created) = if code == Some(FEED_CREATED) {
        (None, secret)
    } else {
        (secret, None)
    };
    profile_page(
        &state,
        &page,
        FormState::new(PASSWORD_FIELDS),
        FormState::new(TOKEN_FIELDS),
        created,
        feed_created,
    )
    .await
}

pub async fn change_password(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    match state
        .services
        .change_password(
            &page.caller,
            input.raw("current_password"),
            input.raw("new_password"),
            !input.raw("revoke_tokens").is_empty(),
        )
        .await
    {
        Ok(()) => Ok(see_other(false, "/profile?m=password_changed")),
        Err(e) => {
            // Passwords are never echoed back into the page; the choice about tokens is.
            let mut form =
                FormState::new(PASSWORD_FIELDS).with("revoke_tokens", input.raw("revoke_tokens"));
            form.absorb(e, &[], "/profile")?;
            profile_page(
                &state,
                &page,
                form,
                FormState::new(TOKEN_FIELDS),
                None,
                None,
            )
            .await
        }
    }
}

/// Creates a token, keeps its secret for the next page (sealed, see [`one_time`]) and
/// redirects there, so reloading creates no second token.
pub async fn create_token(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let days = input.int::<u32>("expires_in_days", &mut errors);
    let name = input.text("name");
    let mut form = FormState::submitted(TOKEN_FIELDS, input);
    if errors.is_empty() {
        match state.services.create_token(&page.caller, &name, days).await {
            Ok(created) => {
                let secret = NewSecret {
                    name: created.token.name,
                    secret: created.secret,
                };
                let session = session_cookie(&headers, &state).ok_or(PageError::SignInRequired)?;
                let sealed = one_time::seal(&session, &secret)?;
                state
                    .services
                    .keep_session_flash(&page.caller, &sealed)
                    .await?;
                return Ok(see_other(
                    false,
                    &format!("/profile?m={TOKEN_CREATED}#tokens"),
                ));
            }
            Err(e) => form.absorb(e, &[], "/profile")?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    profile_page(
        &state,
        &page,
        FormState::new(PASSWORD_FIELDS),
        form,
        None,
        None,
    )
    .await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    state.services.revoke_token(&page.caller, id).await?;
    Ok(see_other(false, "/profile?m=token_revoked#tokens"))
}

/// Keeps a new feed link for the profile page (sealed, shown once) and redirects there.
async fn show_feed_once(
    state: &AppState,
    page: &Page,
    headers: &HeaderMap,
    created: formula_app::calendar::CreatedFeed,
) -> Result<Response, PageError> {
    let name = match created.feed.project_code {
        Some(code) => format!("Project {code}"),
        None => "My work".to_owned(),
    };
    let secret = NewSecret {
        name,
        secret: created.url,
    };
    let session = session_cookie(headers, state).ok_or(PageError::SignInRequired)?;
    let sealed = one_time::seal(&session, &secret)?;
    state
        .services
        .keep_session_flash(&page.caller, &sealed)
        .await?;
    Ok(see_other(
        false,
        &format!("/profile?m={FEED_CREATED}#calendar-feeds"),
    ))
}

/// `POST /profile/calendar-feeds`: `project_id` empty for the person's own work.
pub async fn create_feed(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let project = input.uuid("project_id", &mut errors);
    if !errors.is_empty() {
        return Err(PageError::from(formula_app::AppError::Validation(errors)));
    }
    let created = state
        .services
        .create_calendar_feed(&page.caller, project)
        .await?;
    show_feed_once(&state, &page, &headers, created).await
}

pub async fn regenerate_feed(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Id(id): Id,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let created = state
        .services
        .regenerate_calendar_feed(&page.caller, id)
        .await?;
    show_feed_once(&state, &page, &headers, created).await
}

pub async fn revoke_feed(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    state
        .services
        .revoke_calendar_feed(&page.caller, id)
        .await?;
    Ok(see_other(false, "/profile?m=feed_revoked#calendar-feeds"))
}
