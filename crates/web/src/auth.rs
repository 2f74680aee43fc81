//! Extractors that resolve who is calling: a session cookie (browsers) or a
//! bearer API token (scripts). Cookie requests that change state must carry
//! the CSRF token; bearer requests need none.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use formula_app::context::{Caller, RequestCtx};
use formula_domain::user::User;

use crate::csrf;
use crate::error::{ApiError, PageError};
use crate::state::AppState;

/// Reads the session token from the `Cookie` header.
pub fn session_cookie(headers: &HeaderMap, state: &AppState) -> Option<String> {
    let name = state.cookie_name();
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Builds a `Set-Cookie` value for the session (empty value + Max-Age=0 clears it).
pub fn session_set_cookie(state: &AppState, token: &str, max_age_secs: i64) -> String {
    let secure = if state.web.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}",
        state.cookie_name()
    )
}

/// Request metadata for the audit trail.
/// The client IP is the one `client_ip::resolve` resolved (trusting forwarding headers only
/// from `TRUSTED_PROXIES`), else the TCP peer.
pub fn request_ctx(parts: &Parts) -> RequestCtx {
    let ip = parts
        .extensions
        .get::<crate::client_ip::ClientIp>()
        .map(|c| c.0)
        .or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip())
        })
        .map(|ip| ip.to_string());
    RequestCtx {
        request_id: crate::request_ids::request_id(&parts.headers).map(str::to_owned),
        ip,
        user_agent: parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect()),
        session_id: None,
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// An authenticated API call (session cookie + CSRF for writes, or bearer token).
pub struct ApiCaller {
    pub caller: Caller,
    pub user: User,
    /// The session id when authenticated by cookie.
    pub session_id: Option<uuid::Uuid>,
    /// The API token's id when authenticated by bearer token.
    pub token_id: Option<uuid::Uuid>,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut ctx = request_ctx(parts);
        if let Some(token) = bearer(&parts.headers) {
            let auth = state
                .services
                .authenticate_token(token)
                .await?
                .ok_or_else(|| {
                    ApiError::unauthenticated("the API token is invalid, expired or revoked")
                })?;
            crate::request_log::record_user(&parts.extensions, auth.user.id);
            return Ok(ApiCaller {
                caller: Caller {
                    actor: auth.actor,
                    ctx,
                },
                user: auth.user,
                session_id: None,
                token_id: Some(auth.token_id),
            });
        }
        let token = session_cookie(&parts.headers, state).ok_or_else(|| {
            ApiError::unauthenticated("sign in, or send an API token as `Authorization: Bearer …`")
        })?;
        let auth = state
            .services
            .authenticate_session(&token)
            .await?
            .ok_or_else(|| ApiError::unauthenticated("your session has ended; sign in again"))?;
        if csrf::is_unsafe(&parts.method) {
            let given = parts
                .headers
                .get(csrf::HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !csrf::same(given, &csrf::token_for(&token)) {
                return Err(ApiError::csrf());
            }
        }
        ctx.session_id = Some(auth.session_id);
        crate::request_log::record_user(&parts.extensions, auth.user.id);
        Ok(ApiCaller {
            caller: Caller {
                actor: auth.actor,
                ctx,
            },
            user: auth.user,
            session_id: Some(auth.session_id),
            token_id: None,
        })
    }
}

/// A signed-in browser user for HTML pages; without a session, pages redirect to sign-in.
/// State-changing handlers must also use `CsrfForm` (or check the header for htmx deletes).
pub struct PageCaller {
    pub caller: Caller,
    pub user: User,
    pub session_id: uuid::Uuid,
    /// The CSRF token to embed in forms and the htmx header.
    pub csrf: String,
}

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut ctx = request_ctx(parts);
        let token = session_cookie(&parts.headers, state).ok_or(PageError::SignInRequired)?;
        let auth = state
            .services
            .authenticate_session(&token)
            .await
            .map_err(PageError::App)?
            .ok_or(PageError::SignInRequired)?;
        let csrf = csrf::token_for(&token);
        if csrf::is_unsafe(&parts.method) {
            // Forms carry `_csrf` in the body (checked by `CsrfForm`); bodiless htmx requests carry the header.
            if let Some(given) = parts
                .headers
                .get(csrf::HEADER)
                .and_then(|v| v.to_str().ok())
                && !csrf::same(given, &csrf)
            {
                return Err(PageError::csrf());
            }
        }
        ctx.session_id = Some(auth.session_id);
        crate::request_log::record_user(&parts.extensions, auth.user.id);
        Ok(PageCaller {
            caller: Caller {
                actor: auth.actor,
                ctx,
            },
            user: auth.user,
            session_id: auth.session_id,
            csrf,
        })
    }
}

/// Request metadata without requiring a signed-in user (sign-in, password reset).
pub struct Ctx(pub RequestCtx);

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Ctx(request_ctx(parts)))
    }
}
