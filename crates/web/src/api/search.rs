//! Global search: `GET /search?q=` over everything the caller can see.

use axum::Json;
use axum::extract::State;
use formula_app::search::{DEFAULT_LIMIT, SearchRequest, SearchResults};
use formula_domain::search::SearchKind;

use super::ApiResult;
use super::params::{ListFilter, Parsed, QueryParams};
use super::problems::Invalid;
use crate::auth::ApiCaller;
use crate::state::AppState;

/// The parameters of `GET /search`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The words to look for, 1–200 characters: every word must occur, the last one also as
    /// the start of a longer word (`oak ven` finds "oak veneer"). Case and accents do not
    /// matter; punctuation separates words.
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// Only this kind of record: `project`, `client`, `task`, `scope_item`, `drawing`,
    /// `spec`, `comment` or `person`.
    pub kind: Option<SearchKind>,
    /// Results listed per kind, 1–50 (default 10); each group's `count` counts them all.
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

impl ListFilter for SearchParams {
    type Query = (Option<String>, Option<SearchKind>, Option<u32>);
    fn read(p: &mut QueryParams) -> Self::Query {
        (
            p.text("q"),
            p.choice("kind"),
            p.value("limit", "must be a whole number between 1 and 50"),
        )
    }
}

/// Search everything
///
/// Projects, clients, tasks, scope items, drawings, specifications, comments and people
/// that the caller may see, best matches first, grouped by kind with a count per kind.
/// Visibility is each record's own, applied before ranking and counting: a client user finds
/// only their organisation's projects, never scope items, drafts or internal comments.
/// Snippets come as plain text and as HTML whose only markup is `<mark>` around the words
/// found (everything else escaped). A blank or missing `q`, or one over 200 characters, is
/// 422.
#[utoipa::path(
    get,
    path = "/search",
    tag = "search",
    params(SearchParams),
    responses((status = 200, body = SearchResults), Invalid)
)]
pub async fn search(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed((q, kind, limit), _): Parsed<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    let req = SearchRequest {
        q: q.unwrap_or_default(),
        kind,
        limit: limit.unwrap_or(DEFAULT_LIMIT),
    };
    Ok(Json(state.services.search(&caller.caller, &req).await?))
}
