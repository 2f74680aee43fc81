//! Comments on projects, tasks, scope items, drawings, drawing revisions and specifications:
//! a record's discussion, posting, editing (earlier wordings kept), soft deletion, following
//! a record, and who can be mentioned.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::comments::{CommentView, Discussion, Mentionable, NewComment};
use formula_domain::comment::{CommentEdit, RecordKind, Visibility};
use formula_domain::errors::FieldErrors;
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{Expected, IfMatch, PathId, created, with_etag};
use super::params::{IfMatchParam, ListFilter, Parsed, QueryParams, VersionParam};
use super::problems::{Forbidden, Invalid, Malformed, NotFound};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

/// Which record (both required).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordParams {
    /// `project`, `task`, `scope_item`, `drawing`, `drawing_revision` or `spec`.
    pub record_type: RecordKind,
    /// The id of that record.
    pub record_id: Uuid,
}

impl ListFilter for RecordParams {
    type Query = (Option<RecordKind>, Option<Uuid>);
    fn read(p: &mut QueryParams) -> Self::Query {
        (p.choice("record_type"), p.id("record_id"))
    }
}

/// Who can be mentioned on a record, by the start of their name or handle.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MentionParams {
    /// `project`, `task`, `scope_item`, `drawing`, `drawing_revision` or `spec`.
    pub record_type: RecordKind,
    /// The id of that record.
    pub record_id: Uuid,
    /// The start of a name or handle (empty: everyone, at most 20).
    #[param(max_length = 100)]
    pub q: Option<String>,
}

impl ListFilter for MentionParams {
    type Query = (Option<RecordKind>, Option<Uuid>, Option<String>);
    fn read(p: &mut QueryParams) -> Self::Query {
        (p.choice("record_type"), p.id("record_id"), p.text("q"))
    }
}

fn record(kind: Option<RecordKind>, id: Option<Uuid>) -> Result<(RecordKind, Uuid), AppError> {
    let mut errors = FieldErrors::new();
    if kind.is_none() {
        errors.add(
            "record_type",
            "is required: project, task, scope_item, drawing, drawing_revision or spec",
        );
    }
    if id.is_none() {
        errors.add("record_id", "is required: the id of the record");
    }
    errors.into_result()?;
    Ok((kind.unwrap_or(RecordKind::Project), id.unwrap_or_default()))
}

/// A comment to post on a record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub record_type: RecordKind,
    pub record_id: Uuid,
    /// Markdown (bold, italics, lists, quotes, code, links). `@handle` mentions a person
    /// who can see the record; item codes, drawing numbers and specification codes of the
    /// project become links.
    #[schema(min_length = 1, max_length = 10000)]
    pub body: String,
    /// `internal` (default) or `client`. A client user's comment is always `client`.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// The new comment's id, if the client chooses it (a UUID), so that sending the same
    /// comment again after a lost answer is safe: the same text by the same person on the
    /// same record answers with the comment already posted. An id already used for another
    /// comment is refused (409).
    #[serde(default)]
    pub id: Option<Uuid>,
}

/// A new wording for a comment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentPatch {
    #[schema(min_length = 1, max_length = 10000)]
    pub body: String,
    /// The version being changed, if not sent as `If-Match`.
    #[serde(default)]
    pub version: Option<i64>,
}

/// Follow or unfollow a record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowInput {
    pub record_type: RecordKind,
    pub record_id: Uuid,
    /// `true` to follow, `false` to stop following (remembered: being involved again later
    /// does not sign you up again).
    pub following: bool,
}

/// A record's discussion
///
/// Oldest first. Client users get only comments marked visible to the client, on records
/// shared with them. Deleted comments keep their place without their text.
#[utoipa::path(
    get,
    path = "/comments",
    tag = "comments",
    params(RecordParams),
    responses((status = 200, body = Discussion), Malformed, NotFound, Invalid)
)]
pub async fn discussion(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed((kind, id), _): Parsed<RecordParams>,
) -> ApiResult<Json<Discussion>> {
    let (kind, id) = record(kind, id)?;
    Ok(Json(
        state.services.discussion(&caller.caller, kind, id).await?,
    ))
}

/// Comment on a record
///
/// Anyone who can see the record may comment, except executives, who read. Mentioning
/// someone who cannot see the record, or a client user in an internal comment, is refused
/// with a message naming them. The author and the people mentioned follow the record.
#[utoipa::path(
    post,
    path = "/comments",
    tag = "comments",
    request_body = CommentInput,
    responses(
        (status = 201, body = CommentView, headers(("etag" = String), ("location" = String))),
        (status = 409, description = "The `id` belongs to another comment", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        NotFound,
        Invalid,
    )
)]
pub async fn create_comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<CommentInput>,
) -> ApiResult<Response> {
    let comment = state
        .services
        .add_comment(
            &caller.caller,
            input.record_type,
            input.record_id,
            NewComment {
                body: input.body,
                visibility: input.visibility,
                id: input.id,
            },
            &[],
        )
        .await?;
    Ok(created(
        format!("{PREFIX}/comments/{}", comment.id),
        Some(comment.version),
        Json(comment),
    ))
}

/// A comment
#[utoipa::path(
    get,
    path = "/comments/{id}",
    tag = "comments",
    params(("id" = uuid::Uuid, Path, description = "Comment id")),
    responses((status = 200, body = CommentView, headers(("etag" = String))))
)]
pub async fn get_comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let c = state.services.get_comment(&caller.caller, id).await?;
    Ok(with_etag(c.version, Json(c)))
}

/// Change a comment's text
///
/// Only its author may. The earlier wording is kept (see the history) and the comment is
/// marked edited. Send `If-Match` with the ETag, or `version`.
#[utoipa::path(
    patch,
    path = "/comments/{id}",
    tag = "comments",
    params(("id" = uuid::Uuid, Path, description = "Comment id"), IfMatchParam),
    request_body = CommentPatch,
    responses((status = 200, body = CommentView, headers(("etag" = String))), Forbidden, Invalid)
)]
pub async fn update_comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    ApiJson(patch): ApiJson<CommentPatch>,
) -> ApiResult<Response> {
    let expected = Expected::resolve(if_match, patch.version)?;
    let c = state
        .services
        .edit_comment(&caller.caller, id, &patch.body, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(with_etag(c.version, Json(c)))
}

/// Delete a comment
///
/// Its author or an administrator may. The comment keeps its place in the discussion,
/// marked deleted, without its text. Send `If-Match` with the ETag, or `?version=`.
#[utoipa::path(
    delete,
    path = "/comments/{id}",
    tag = "comments",
    params(("id" = uuid::Uuid, Path, description = "Comment id"), IfMatchParam, VersionParam),
    responses((status = 204, description = "Deleted"), Forbidden)
)]
pub async fn delete_comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    if_match: IfMatch,
    Parsed(version, _): Parsed<VersionParam>,
) -> ApiResult<StatusCode> {
    let expected = Expected::resolve(if_match, version)?;
    state
        .services
        .delete_comment(&caller.caller, id, expected.version)
        .await
        .map_err(|e| expected.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A comment's earlier wordings
///
/// Oldest first; none once the comment is deleted.
#[utoipa::path(
    get,
    path = "/comments/{id}/history",
    tag = "comments",
    params(("id" = uuid::Uuid, Path, description = "Comment id")),
    responses((status = 200, body = Vec<CommentEdit>))
)]
pub async fn history(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<CommentEdit>>> {
    Ok(Json(
        state.services.comment_history(&caller.caller, id).await?,
    ))
}

/// Follow or unfollow a record
///
/// Anyone who can see a record may follow it. People who create, are assigned, upload,
/// review, comment on or are mentioned on a record follow it automatically, unless they
/// unfollowed it.
#[utoipa::path(
    put,
    path = "/following",
    tag = "comments",
    request_body = FollowInput,
    responses((status = 204, description = "Saved"), Forbidden, NotFound, Invalid)
)]
pub async fn follow(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<FollowInput>,
) -> ApiResult<StatusCode> {
    state
        .services
        .follow(
            &caller.caller,
            input.record_type,
            input.record_id,
            input.following,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who can be mentioned
///
/// The people who can see the record whose name or handle starts with `q` (client users
/// are marked: they can be mentioned only in comments visible to the client).
#[utoipa::path(
    get,
    path = "/mentionable",
    tag = "comments",
    params(MentionParams),
    responses((status = 200, body = Vec<Mentionable>), Malformed, Forbidden, NotFound, Invalid)
)]
pub async fn mentionable(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed((kind, id, q), _): Parsed<MentionParams>,
) -> ApiResult<Json<Vec<Mentionable>>> {
    let (kind, id) = record(kind, id)?;
    Ok(Json(
        state
            .services
            .mentionable(&caller.caller, kind, id, q.as_deref().unwrap_or(""))
            .await?,
    ))
}
