//! The search results page (`/search?q=`), behind the search box in the header: everything
//! the caller may see, grouped by kind with a count each, the words found highlighted.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::search::{MAX_LIMIT, SearchGroup, SearchProjectRef, SearchRequest, SearchResult};
use formula_domain::search::SearchKind;

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::FormData;
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::render;

/// Results listed per kind when all kinds are shown.
const PER_KIND: u32 = 5;
/// Results listed when one kind is shown.
pub const LISTED_MAX: u32 = MAX_LIMIT;

/// One choice of the kind filter.
struct KindOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// A group's link to all of its results.
struct More {
    href: String,
    text: String,
}

/// One group of results as the page shows it.
struct GroupView {
    group: SearchGroup,
    /// The link to all its results, when not all are listed.
    more: Option<More>,
    /// The group's count as shown ("200+" when more match than are counted).
    count: String,
}

#[derive(Template)]
#[template(path = "search/results.html", whitespace = "minimize")]
struct ResultsPage {
    layout: Layout,
    q: String,
    kinds: Vec<KindOption>,
    /// Why the query was refused, if it was.
    error: Option<String>,
    /// What was searched, when something was: the query and how many results ("12
    /// results", "200+ results").
    searched: Option<(String, String)>,
    groups: Vec<GroupView>,
    /// One kind only, with more hits than a page lists.
    capped: bool,
}

/// A count as shown: "200+" when more match than were counted.
fn counted(n: i64, more: bool) -> String {
    if more { format!("{n}+") } else { n.to_string() }
}

/// The project a result is shown under: its own, except for a project (which is itself).
pub fn project_of(it: &SearchResult) -> Option<&SearchProjectRef> {
    it.project
        .as_ref()
        .filter(|_| it.kind != SearchKind::Project)
}

fn href(q: &str, kind: SearchKind) -> String {
    let query =
        serde_urlencoded::to_string([("q", q), ("kind", kind.as_str())]).unwrap_or_default();
    format!("/search?{query}")
}

/// The results page; without a query, the form alone.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let input = FormData::from_query(raw.as_deref());
    let q = input.raw("q").trim().to_owned();
    let kind = input.raw("kind").parse::<SearchKind>().ok();
    let kinds = std::iter::once(KindOption {
        value: "",
        label: "Everything",
        selected: kind.is_none(),
    })
    .chain(SearchKind::ALL.into_iter().map(|k| KindOption {
        value: k.as_str(),
        label: k.plural(),
        selected: kind == Some(k),
    }))
    .collect();
    let mut view = ResultsPage {
        layout: page.layout(
            Section::Elsewhere,
            if q.is_empty() {
                "Search".to_owned()
            } else {
                format!("{q} · Search")
            },
        ),
        q,
        kinds,
        error: None,
        searched: None,
        groups: Vec::new(),
        capped: false,
    };
    if !view.q.is_empty() {
        let req = SearchRequest {
            q: view.q.clone(),
            kind,
            limit: if kind.is_some() { MAX_LIMIT } else { PER_KIND },
        };
        match state.services.search(&page.caller, &req).await {
            Ok(results) => {
                let listed = |g: &SearchGroup| i64::try_from(g.items.len()).unwrap_or(i64::MAX);
                view.capped = kind.is_some() && results.groups.iter().any(|g| g.count > listed(g));
                let total = match (results.total, results.more) {
                    (1, false) => "1 result".to_owned(),
                    (n, more) => format!("{} results", counted(n, more)),
                };
                view.searched = Some((results.q.clone(), total));
                view.groups = results
                    .groups
                    .into_iter()
                    .map(|g| GroupView {
                        more: (kind.is_none() && g.count > listed(&g)).then(|| More {
                            href: href(&results.q, g.kind),
                            text: format!(
                                "All {} {}",
                                counted(g.count, g.more),
                                g.label.to_lowercase()
                            ),
                        }),
                        count: counted(g.count, g.more),
                        group: g,
                    })
                    .collect();
            }
            Err(AppError::Validation(errors)) => {
                view.error = errors.get("q").map(str::to_owned);
            }
            Err(e) => return Err(e.into()),
        }
    }
    render(StatusCode::OK, &view)
}
