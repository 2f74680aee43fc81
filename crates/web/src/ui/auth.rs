//! Signing in and out, first-run setup and password reset.
//!
//! These forms are used before a session exists, so they cannot carry a
//! session-bound CSRF token; the middleware's same-origin check guards them.
//! Signing out is a normal `CsrfForm` POST.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use formula_app::AppError;
use formula_app::invitations::InvitationState;
use formula_app::users::NewUser;
use formula_domain::errors::FieldErrors;
use formula_domain::user::Role;

use crate::auth::{Ctx, session_cookie, session_set_cookie};
use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, PublicForm};
use crate::ui::layout::{Flash, Page};
use crate::ui::render;

const LOGIN_FIELDS: &[&str] = &["email", "password"];
const SETUP_FIELDS: &[&str] = &["name", "email", "password"];
const FORGOT_FIELDS: &[&str] = &["email"];
const RESET_FIELDS: &[&str] = &["password"];

#[derive(Template)]
#[template(path = "auth/login.html", whitespace = "minimize")]
struct LoginPage {
    title: &'static str,
    flash: Option<Flash>,
    form: FormState,
}

#[derive(Template)]
#[template(path = "auth/setup.html", whitespace = "minimize")]
struct SetupPage {
    title: &'static str,
    flash: Option<Flash>,
    form: FormState,
}

#[derive(Template)]
#[template(path = "auth/forgot.html", whitespace = "minimize")]
struct ForgotPage {
    title: &'static str,
    flash: Option<Flash>,
    form: FormState,
    sent: bool,
}

#[derive(Template)]
#[template(path = "auth/reset.html", whitespace = "minimize")]
struct ResetPage {
    title: &'static str,
    flash: Option<Flash>,
    form: FormState,
    token: String,
    token_invalid: bool,
}

/// Whether the browser already has a live session.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<bool, PageError> {
    let Some(token) = session_cookie(headers, state) else {
        return Ok(false);
    };
    Ok(state.services.authenticate_session(&token).await?.is_some())
}

/// A redirect that also sets the session cookie.
fn with_session(state: &AppState, token: &str, max_age: i64, to: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&session_set_cookie(state, token, max_age)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if state.services.needs_setup().await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    if signed_in(&state, &headers).await? {
        return Ok(Redirect::to("/").into_response());
    }
    let q = FormData::from_query(query.as_deref());
    let page = LoginPage {
        title: "Sign in",
        flash: q.opt("m").as_deref().and_then(Flash::from_code),
        form: FormState::new(LOGIN_FIELDS),
    };
    render(StatusCode::OK, &page)
}

pub async fn login_submit(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    PublicForm(input): PublicForm,
) -> Result<Response, PageError> {
    let mut form = FormState::submitted(LOGIN_FIELDS, input.clone());
    // Never echo the password back into the page.
    form.values.set("password", "");
    let mut errors = FieldErrors::new();
    for field in LOGIN_FIELDS {
        if input.opt(field).is_none() {
            errors.add(field, "is required");
        }
    }
    let mut flash = None;
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        match state
            .services
            .login(input.raw("email"), input.raw("password"), &ctx)
            .await
        {
            Ok(session) => {
                let max_age = (session.expires_at - state.services.now())
                    .whole_seconds()
                    .max(0);
                return Ok(with_session(&state, &session.token, max_age, "/"));
            }
            Err(AppError::Unauthenticated) => {
                status = StatusCode::UNAUTHORIZED;
                flash = Some(Flash::error(
                    "Wrong email or password, or the account is disabled.",
                ));
            }
            Err(AppError::RateLimited { retry_after_secs }) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                flash = Some(Flash::error(format!(
                    "Too many failed sign-ins. Wait {} before trying again, or reset your password.",
                    crate::ui::format::wait(retry_after_secs)
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
    form.add_errors(errors, &[]);
    render(
        status,
        &LoginPage {
            title: "Sign in",
            flash,
            form,
        },
    )
}

pub async fn logout(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    state.services.logout(page.session_id).await?;
    let mut resp = Redirect::to("/login?m=signed_out").into_response();
    if let Ok(v) = HeaderValue::from_str(&session_set_cookie(&state, "", 0)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

pub async fn setup_page(State(state): State<AppState>) -> Result<Response, PageError> {
    if !state.services.needs_setup().await? {
        return Ok(Redirect::to("/login").into_response());
    }
    render(
        StatusCode::OK,
        &SetupPage {
            title: "Set up Formula PM",
            flash: None,
            form: FormState::new(SETUP_FIELDS),
        },
    )
}

pub async fn setup_submit(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    PublicForm(input): PublicForm,
) -> Result<Response, PageError> {
    if !state.services.needs_setup().await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let new = NewUser {
        email: input.text("email"),
        name: input.text("name"),
        password: input.text("password"),
        role: Role::Admin,
        job_title: None,
        phone: None,
        skills: Vec::new(),
        client_id: None,
    };
    let mut form = FormState::submitted(SETUP_FIELDS, input.clone());
    form.values.set("password", "");
    match state.services.setup_first_admin(new, &ctx).await {
        Ok(_) => {
            let session = state
                .services
                .login(input.raw("email"), input.raw("password"), &ctx)
                .await?;
            let max_age = (session.expires_at - state.services.now())
                .whole_seconds()
                .max(0);
            Ok(with_session(&state, &session.token, max_age, "/?m=welcome"))
        }
        Err(AppError::Forbidden) => Ok(Redirect::to("/login").into_response()),
        Err(e) => {
            form.absorb(e, &[], "/setup")?;
            render(
                form.status(),
                &SetupPage {
                    title: "Set up Formula PM",
                    flash: None,
                    form,
                },
            )
        }
    }
}

pub async fn forgot_page() -> Result<Response, PageError> {
    render(
        StatusCode::OK,
        &ForgotPage {
            title: "Reset your password",
            flash: None,
            form: FormState::new(FORGOT_FIELDS),
            sent: false,
        },
    )
}

pub async fn forgot_submit(
    State(state): State<AppState>,
    PublicForm(input): PublicForm,
) -> Result<Response, PageError> {
    let mut form = FormState::submitted(FORGOT_FIELDS, input.clone());
    match state
        .services
        .request_password_reset(input.raw("email"))
        .await
    {
        Ok(()) => {
            let flash = Flash::success(format!(
                "If {} belongs to an active account, a reset link is on its way. It works once, within one hour.",
                input.raw("email").trim()
            ));
            render(
                StatusCode::OK,
                &ForgotPage {
                    title: "Reset your password",
                    flash: Some(flash),
                    form,
                    sent: true,
                },
            )
        }
        Err(e) => {
            let status = if matches!(e, AppError::RateLimited { .. }) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            form.absorb(e, &[], "/forgot-password")?;
            render(
                status,
                &ForgotPage {
                    title: "Reset your password",
                    flash: None,
                    form,
                    sent: false,
                },
            )
        }
    }
}

pub async fn reset_page(Path(token): Path<String>) -> Result<Response, PageError> {
    let page = ResetPage {
        title: "Choose a new password",
        flash: None,
        form: FormState::new(RESET_FIELDS),
        token,
        token_invalid: false,
    };
    render(StatusCode::OK, &page)
}

pub async fn reset_submit(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Path(token): Path<String>,
    PublicForm(input): PublicForm,
) -> Result<Response, PageError> {
    match state
        .services
        .reset_password(&token, input.raw("password"), &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to("/login?m=password_reset").into_response()),
        Err(e) => {
            let token_invalid = matches!(&e, AppError::Validation(f) if f.get("token").is_some());
            let mut form = FormState::new(RESET_FIELDS);
            form.absorb(e, &[], "/forgot-password")?;
            render(
                form.status(),
                &ResetPage {
                    title: "Choose a new password",
                    flash: None,
                    form,
                    token,
                    token_invalid,
                },
            )
        }
    }
}

// ---- Invitations ----

const INVITATION_FIELDS: &[&str] = &["password"];

#[derive(Template)]
#[template(path = "auth/invitation.html", whitespace = "minimize")]
struct InvitationPage {
    title: &'static str,
    flash: Option<Flash>,
    form: FormState,
    token: String,
    /// The person it is for, while the link can be used.
    open: Option<(String, String)>,
    /// Why it cannot be used, otherwise.
    refused: &'static str,
}

fn invitation_view(token: String, state: InvitationState, form: FormState) -> InvitationPage {
    let (title, open, refused) = match state {
        InvitationState::Open { name, email } => ("Choose your password", Some((name, email)), ""),
        InvitationState::Used => (
            "This invitation was already used",
            None,
            "The link in your invitation works once, and it has been used to choose a password. Sign in with that password, or use “Forgot your password?” on the sign-in page.",
        ),
        InvitationState::Expired => (
            "This invitation has expired",
            None,
            "Invitation links work for 7 days. Ask your administrator to send you a new invitation.",
        ),
        InvitationState::Unknown => (
            "This invitation link does not work",
            None,
            "It may be mistyped, or replaced by a newer invitation (only the latest one works). Ask your administrator to send you a new invitation.",
        ),
    };
    InvitationPage {
        title,
        flash: None,
        form,
        token,
        open,
        refused,
    }
}

/// The page an invitation link opens: a password form, or why the link cannot be used.
pub async fn invitation_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let found = state.services.invitation_state(&token).await?;
    let status = match found {
        InvitationState::Open { .. } => StatusCode::OK,
        InvitationState::Used | InvitationState::Expired => StatusCode::GONE,
        InvitationState::Unknown => StatusCode::NOT_FOUND,
    };
    let view = invitation_view(token, found, FormState::new(INVITATION_FIELDS));
    render(status, &view)
}

/// Sets the chosen password and signs the person in.
pub async fn invitation_submit(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Path(token): Path<String>,
    PublicForm(input): PublicForm,
) -> Result<Response, PageError> {
    let password = input.raw("password");
    match state
        .services
        .accept_invitation(&token, password, &ctx)
        .await
    {
        Ok(user) => {
            let session = state.services.login(&user.email, password, &ctx).await?;
            let max_age = (session.expires_at - state.services.now())
                .whole_seconds()
                .max(0);
            Ok(with_session(
                &state,
                &session.token,
                max_age,
                "/?m=invitation_accepted",
            ))
        }
        Err(AppError::Validation(f)) if f.get("token").is_some() => {
            // Used, expired or unknown: the page says which.
            let found = state.services.invitation_state(&token).await?;
            let found = match found {
                // Accepted by someone else a moment ago, say.
                InvitationState::Open { .. } => InvitationState::Used,
                other => other,
            };
            let status = match found {
                InvitationState::Unknown => StatusCode::NOT_FOUND,
                _ => StatusCode::GONE,
            };
            let view = invitation_view(token, found, FormState::new(INVITATION_FIELDS));
            render(status, &view)
        }
        Err(e) => {
            let found = state.services.invitation_state(&token).await?;
            let mut form = FormState::new(INVITATION_FIELDS);
            form.absorb(e, &[], "/login")?;
            let view = invitation_view(token, found, form);
            render(view.form.status(), &view)
        }
    }
}
