//! Signing in and out, the current user, passwords and personal API tokens.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formula_app::accounts::CreatedToken;
use formula_domain::user::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::PathId;
use super::problems::Invalid;
use super::{ApiResult, TokenList};
use crate::auth::{ApiCaller, Ctx, session_cookie, session_set_cookie};
use crate::csrf;
use crate::error::{ApiError, ApiJson, Problem};
use crate::state::AppState;

/// Email and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

/// The signed-in user and the token cookie-authenticated writes send as `X-CSRF-Token`.
#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    pub user: User,
    pub csrf_token: String,
}

/// The current user; `csrf_token` is present when signed in with the session cookie.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: User,
    pub csrf_token: Option<String>,
}

/// A password change: the current password and the new one (at least 10 characters).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
    /// Also revoke every API token you have (default `false`), e.g. when the old password
    /// may have leaked: scripts using them stop working until given new ones.
    #[serde(default)]
    pub revoke_tokens: bool,
}

/// Where to send a password-reset link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

/// The token from the emailed link and the new password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    pub token: String,
    pub password: String,
}

/// A personal API token to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for, e.g. "Reporting script".
    pub name: String,
    /// Days until it expires (1–3650); absent for no expiry.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

fn set_cookie(resp: &mut Response, value: &str) -> ApiResult<()> {
    let v = HeaderValue::from_str(value).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "could not set the session cookie",
        )
    })?;
    resp.headers_mut().insert(header::SET_COOKIE, v);
    Ok(())
}

/// Sign in
///
/// Checks email and password, starts a session and sets its cookie. Unknown emails and wrong
/// passwords get the same answer; after 5 failures the account is locked for 15 minutes (429).
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    security(()),
    request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SignedIn,
            headers(("set-cookie" = String, description = "The session cookie (HttpOnly, SameSite=Lax)"))),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json",
            headers(("retry-after" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(input): ApiJson<LoginInput>,
) -> ApiResult<Response> {
    let session = state
        .services
        .login(&input.email, &input.password, &ctx)
        .await?;
    let max_age = state.services.config.session_absolute.whole_seconds();
    let body = SignedIn {
        user: session.user,
        csrf_token: csrf::token_for(&session.token),
    };
    let mut resp = Json(body).into_response();
    set_cookie(
        &mut resp,
        &session_set_cookie(&state, &session.token, max_age),
    )?;
    Ok(resp)
}

/// Sign out
///
/// Ends the session on the server and clears the cookie. With an API token there is no
/// session to end; revoke the token instead.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    responses((status = 204, description = "Signed out; the cookie is cleared"), (status = 403, description = "Missing CSRF token", body = Problem, content_type = "application/problem+json"))
)]
pub async fn logout(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Response> {
    if let Some(id) = caller.session_id {
        state.services.logout(id).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut resp, &session_set_cookie(&state, "", 0))?;
    Ok(resp)
}

/// The current user
#[utoipa::path(get, path = "/auth/me", tag = "auth", responses((status = 200, body = Me)))]
pub async fn me(State(state): State<AppState>, headers: HeaderMap, caller: ApiCaller) -> Json<Me> {
    let csrf_token = caller
        .session_id
        .and_then(|_| session_cookie(&headers, &state))
        .map(|t| csrf::token_for(&t));
    Json(Me {
        user: caller.user,
        csrf_token,
    })
}

/// Change your password
///
/// Needs the current password. Your other sessions end; this one stays signed in. With
/// `revoke_tokens`, every API token you have is revoked too.
#[utoipa::path(
    post,
    path = "/auth/password",
    tag = "auth",
    request_body = PasswordChange,
    responses((status = 204, description = "Changed"), (status = 422, description = "Wrong current password or too short a new one", body = Problem, content_type = "application/problem+json"))
)]
pub async fn change_password(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    state
        .services
        .change_password(
            &caller.caller,
            &input.current_password,
            &input.new_password,
            input.revoke_tokens,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask for a password-reset link
///
/// Always 202 for a well-formed address, whether or not it has an account; an active account
/// gets an email with a link valid for one hour.
#[utoipa::path(
    post,
    path = "/auth/password-reset",
    tag = "auth",
    security(()),
    request_body = ResetRequest,
    responses(
        (status = 202, description = "If the address has an account, a link is on its way"),
        (status = 422, description = "Not an email address", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Asked too often", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ResetRequest>,
) -> ApiResult<StatusCode> {
    state.services.request_password_reset(&input.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with a reset token
///
/// The token works once, within an hour. All sessions of the account end, and all its API
/// tokens are revoked (whoever reset the password may not be who created them).
#[utoipa::path(
    post,
    path = "/auth/password-reset/confirm",
    tag = "auth",
    security(()),
    request_body = ResetConfirm,
    responses((status = 204, description = "Password set; sign in with it"), (status = 422, description = "Invalid, used or expired token, or too short a password", body = Problem, content_type = "application/problem+json"))
)]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(input): ApiJson<ResetConfirm>,
) -> ApiResult<StatusCode> {
    state
        .services
        .reset_password(&input.token, &input.password, &ctx)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your API tokens
#[utoipa::path(get, path = "/me/tokens", tag = "auth", responses((status = 200, body = TokenList)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<TokenList>> {
    Ok(Json(TokenList::from(
        state.services.list_tokens(&caller.caller).await?,
    )))
}

/// Create an API token
///
/// The secret is in this response only; store it now. Use it as `Authorization: Bearer <secret>`.
#[utoipa::path(
    post,
    path = "/me/tokens",
    tag = "auth",
    request_body = NewToken,
    responses(
        (status = 201, description = "Created; `secret` is shown once", body = CreatedToken),
        Invalid,
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let token = state
        .services
        .create_token(&caller.caller, &input.name, input.expires_in_days)
        .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Revoke one of your API tokens
#[utoipa::path(
    delete,
    path = "/me/tokens/{id}",
    tag = "auth",
    params(("id" = uuid::Uuid, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    state.services.revoke_token(&caller.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
