//! User accounts. Administrators create and change them; executives and
//! project managers may read the directory; everyone may read their own.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::invitations::InviteInput;
use formula_app::users::{NewUser, UserPatch};
use formula_domain::user::User;

use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, PageParams, Parsed, UserParams};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX, UserPage};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// List users
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    params(UserParams, PageParams),
    responses((status = 200, body = UserPage), Forbidden, Invalid)
)]
pub async fn list_users(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed(query, _): Parsed<UserParams>,
) -> ApiResult<Json<UserPage>> {
    Ok(Json(
        state
            .services
            .list_users(&caller.caller, &query)
            .await?
            .into(),
    ))
}

/// Create a user
///
/// Administrators only. `client` users must name their `client_id`.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, body = User, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<NewUser>,
) -> ApiResult<Response> {
    let user = state.services.create_user(&caller.caller, input).await?;
    Ok(created(
        format!("{PREFIX}/users/{}", user.id),
        Some(user.version),
        Json(user),
    ))
}

/// A user
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "users",
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, body = User, headers(("etag" = String))), Forbidden)
)]
pub async fn get_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let user = state.services.get_user(&caller.caller, id).await?;
    Ok(with_etag(user.version, Json(user)))
}

/// Change a user
///
/// Administrators only. Send `If-Match` with the ETag, or `version`. Disabling a user ends their sessions.
#[utoipa::path(
    patch,
    path = "/users/{id}",
    tag = "users",
    params(("id" = uuid::Uuid, Path, description = "User id"), IfMatchParam),
    request_body = UserPatch,
    responses(
        (status = 200, body = User, headers(("etag" = String))),
        (status = 409, description = "Stale `version`, or the email is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn update_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<UserPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let user = state
        .services
        .update_user(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(user.version, Json(user)))
}

/// Invite a user by e-mail
///
/// Administrators only. Creates the account (with a password nobody knows) and e-mails the
/// person a single-use link, valid for 7 days, where they choose their own password and are
/// signed in. `client` users must name their `client_id`.
#[utoipa::path(
    post,
    path = "/invitations",
    tag = "users",
    request_body = InviteInput,
    responses(
        (status = 201, body = User, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn invite_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<InviteInput>,
) -> ApiResult<Response> {
    let user = state.services.invite_user(&caller.caller, input).await?;
    Ok(created(
        format!("{PREFIX}/users/{}", user.id),
        Some(user.version),
        Json(user),
    ))
}

/// Send a user a new invitation
///
/// Administrators only. E-mails a new single-use link (valid for 7 days) where the user
/// chooses their password; the previous invitation link stops working.
#[utoipa::path(
    post,
    path = "/users/{id}/invitation",
    tag = "users",
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses(
        (status = 202, description = "The invitation is on its way"),
        (status = 409, description = "The user is disabled", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn reinvite_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    state.services.reinvite_user(&caller.caller, id).await?;
    Ok(StatusCode::ACCEPTED)
}
