//! Activity feeds (a project's, a record's), newest first and paged by cursor, and what is
//! waiting for the signed-in person.

use std::str::FromStr;

use axum::Json;
use axum::extract::State;
use formula_app::AppError;
use formula_app::activity::{
    ActivityPage, DEFAULT_ACTIVITY_LIMIT, MAX_ACTIVITY_LIMIT, parse_cursor,
};
use formula_app::repos::FeedCursor;
use formula_app::waiting::Waiting;
use formula_domain::comment::RecordKind;
use formula_domain::errors::FieldErrors;
use uuid::Uuid;

use super::ApiResult;
use super::extract::PathId;
use super::params::{ListFilter, Parsed, QueryParams};
use super::problems::{Invalid, Malformed, NotFound};
use crate::auth::ApiCaller;
use crate::state::AppState;

/// A `cursor` as given out in `next_cursor`.
struct Cursor(FeedCursor);

impl FromStr for Cursor {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_cursor(s).map(Cursor).ok_or("not a cursor")
    }
}

/// A page size within 1–100.
struct Limit(u32);

impl FromStr for Limit {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<u32>() {
            Ok(n) if (1..=MAX_ACTIVITY_LIMIT).contains(&n) => Ok(Limit(n)),
            _ => Err("out of range"),
        }
    }
}

const CURSOR_EXPECTED: &str = "must be the next_cursor of a previous page";
const LIMIT_EXPECTED: &str = "must be a whole number between 1 and 100";

/// Paging of a feed.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Where to go on from: the `next_cursor` of the previous page (none or empty: the newest).
    #[param(pattern = "^([0-9]{1,17}-[0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
    /// Lines per page, 1–100 (default 30). Alike changes by one person in one minute are
    /// one line.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

impl ListFilter for FeedParams {
    type Query = (Option<FeedCursor>, u32);
    fn read(p: &mut QueryParams) -> Self::Query {
        let cursor = p.value::<Cursor>("cursor", CURSOR_EXPECTED).map(|c| c.0);
        let limit = p
            .value::<Limit>("limit", LIMIT_EXPECTED)
            .map_or(DEFAULT_ACTIVITY_LIMIT, |l| l.0);
        (cursor, limit)
    }
}

/// The kinds of record that have a feed of their own (for the API document; the value is
/// read as a `RecordKind`).
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum FeedKind {
    Project,
    Task,
    ScopeItem,
    Drawing,
    Spec,
}

/// A record's feed: which record, and paging.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordFeedParams {
    /// `project`, `task`, `scope_item`, `drawing` or `spec` (a revision's activity is its
    /// drawing's).
    #[param(value_type = FeedKind, inline)]
    pub record_type: String,
    /// The id of that record.
    pub record_id: Uuid,
    /// Where to go on from: the `next_cursor` of the previous page (none or empty: the newest).
    #[param(pattern = "^([0-9]{1,17}-[0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
    /// Lines per page, 1–100 (default 30).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

impl ListFilter for RecordFeedParams {
    type Query = (Option<RecordKind>, Option<Uuid>, Option<FeedCursor>, u32);
    fn read(p: &mut QueryParams) -> Self::Query {
        let kind = p.choice("record_type");
        let id = p.id("record_id");
        let (cursor, limit) = FeedParams::read(p);
        (kind, id, cursor, limit)
    }
}

/// A project's activity
///
/// What happened on the project, newest first: changes from the audit trail and comments, in
/// sentences ("Hannah Keller approved SD-101 rev B as noted"); several alike changes by one
/// person in one minute are one line ("moved 3 items to In progress"). Page on with
/// `next_cursor`. Client users get their part only: the project's status, its tasks and
/// files, what was submitted to them and decided, and comments visible to the client.
#[utoipa::path(
    get,
    path = "/projects/{id}/activity",
    tag = "activity",
    params(("id" = Uuid, Path, description = "Project id"), FeedParams),
    responses((status = 200, body = ActivityPage), Invalid)
)]
pub async fn project_activity(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed((cursor, limit), _): Parsed<FeedParams>,
) -> ApiResult<Json<ActivityPage>> {
    Ok(Json(
        state
            .services
            .project_activity(&caller.caller, id, cursor, limit)
            .await?,
    ))
}

/// A record's activity
///
/// The feed of one task, scope item, drawing (its revisions' comments included) or
/// specification, as `GET /projects/{id}/activity` tells a project's. Not found for a record
/// the caller cannot see.
#[utoipa::path(
    get,
    path = "/activity",
    tag = "activity",
    params(RecordFeedParams),
    responses((status = 200, body = ActivityPage), Malformed, NotFound, Invalid)
)]
pub async fn record_activity(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed((kind, id, cursor, limit), _): Parsed<RecordFeedParams>,
) -> ApiResult<Json<ActivityPage>> {
    let mut errors = FieldErrors::new();
    if kind.is_none() {
        errors.add(
            "record_type",
            "is required: project, task, scope_item, drawing or spec",
        );
    }
    if id.is_none() {
        errors.add("record_id", "is required: the id of the record");
    }
    errors.into_result().map_err(AppError::Validation)?;
    let (kind, id) = (kind.unwrap_or(RecordKind::Project), id.unwrap_or_default());
    Ok(Json(
        state
            .services
            .record_activity(&caller.caller, kind, id, cursor, limit)
            .await?,
    ))
}

/// Waiting for you
///
/// What you have to act on, oldest first: drawing revisions and material specifications
/// awaiting your decision (as a designated reviewer; as a project manager on a team that names
/// none; as a client user where the project lets clients approve), and comments mentioning
/// you in a discussion you have not commented in since. Each names its age ("5 days") and
/// the page to open.
#[utoipa::path(
    get,
    path = "/me/waiting",
    tag = "activity",
    responses((status = 200, body = Waiting))
)]
pub async fn waiting(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Json<Waiting>> {
    Ok(Json(state.services.waiting_for_me(&caller.caller).await?))
}
