//! Client organisations and their contacts. A client's contacts live under it:
//! `/clients/{id}/contacts` and `/clients/{id}/contacts/{contact_id}` (a contact
//! has no meaning apart from its client, and the store addresses it that way).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::clients::{ClientPatch, NewClient, NewContact};
use formula_domain::client::{Client, Contact};

use super::extract::{Expected, IfMatch, PathId, PathIds, created, with_etag};
use super::params::{ClientParams, IfMatchParam, PageParams, Parsed, VersionParam};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, ClientPage, ContactList, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// List clients
///
/// Office staff see every client; a client user sees only their own organisation.
#[utoipa::path(
    get,
    path = "/clients",
    tag = "clients",
    params(ClientParams, PageParams),
    responses((status = 200, body = ClientPage), Forbidden, Invalid)
)]
pub async fn list_clients(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed(query, _): Parsed<ClientParams>,
) -> ApiResult<Json<ClientPage>> {
    Ok(Json(
        state
            .services
            .list_clients(&caller.caller, &query)
            .await?
            .into(),
    ))
}

/// Create a client
#[utoipa::path(
    post,
    path = "/clients",
    tag = "clients",
    request_body = NewClient,
    responses(
        (status = 201, body = Client, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn create_client(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<NewClient>,
) -> ApiResult<Response> {
    let client = state.services.create_client(&caller.caller, input).await?;
    Ok(created(
        format!("{PREFIX}/clients/{}", client.id),
        Some(client.version),
        Json(client),
    ))
}

/// A client
#[utoipa::path(
    get,
    path = "/clients/{id}",
    tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "Client id")),
    responses((status = 200, body = Client, headers(("etag" = String))), Forbidden)
)]
pub async fn get_client(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let client = state.services.get_client(&caller.caller, id).await?;
    Ok(with_etag(client.version, Json(client)))
}

/// Change a client
///
/// Send `If-Match` with the ETag, or `version`.
#[utoipa::path(
    patch,
    path = "/clients/{id}",
    tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "Client id"), IfMatchParam),
    request_body = ClientPatch,
    responses((status = 200, body = Client, headers(("etag" = String))), Forbidden, Invalid)
)]
pub async fn update_client(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<ClientPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let client = state
        .services
        .update_client(&caller.caller, id, expected.version, patch)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(client.version, Json(client)))
}

/// Delete a client
///
/// Administrators only; refused (409 `has_dependents`) while projects or users refer to it.
/// Send `If-Match` with the ETag, or `?version=`.
#[utoipa::path(
    delete,
    path = "/clients/{id}",
    tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "Client id"), IfMatchParam, VersionParam),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Stale `version`, or the client still has projects or users", body = Problem, content_type = "application/problem+json"),
        Forbidden,
    )
)]
pub async fn delete_client(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_client(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A client's contacts
#[utoipa::path(
    get,
    path = "/clients/{id}/contacts",
    tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "Client id")),
    responses((status = 200, body = ContactList), Forbidden)
)]
pub async fn list_contacts(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ContactList>> {
    Ok(Json(ContactList::from(
        state.services.list_contacts(&caller.caller, id).await?,
    )))
}

/// Add a contact to a client
#[utoipa::path(
    post,
    path = "/clients/{id}/contacts",
    tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "Client id")),
    request_body = NewContact,
    responses((status = 201, body = Contact), Forbidden, Invalid)
)]
pub async fn add_contact(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewContact>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    let contact = state
        .services
        .add_contact(&caller.caller, id, input)
        .await?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// Remove a contact from a client
#[utoipa::path(
    delete,
    path = "/clients/{id}/contacts/{contact_id}",
    tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "Client id"), ("contact_id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 204, description = "Removed"), Forbidden)
)]
pub async fn remove_contact(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathIds(client_id, contact_id): PathIds,
) -> ApiResult<StatusCode> {
    state
        .services
        .remove_contact(&caller.caller, client_id, contact_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
