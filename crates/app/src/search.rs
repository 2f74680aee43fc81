//! Global search over projects, clients, tasks, scope items, drawings, specifications,
//! comments and people: the words typed (the last one a prefix), the hits the caller may see
//! (filtered in the query, so neither a hit nor a count ever reveals something else), grouped
//! by kind, each with a highlighted snippet and the page that shows it.

use formula_domain::authz::{Action, Resource, authorize};
use formula_domain::comment::RecordKind;
use formula_domain::errors::FieldErrors;
use formula_domain::search::{
    RANKED, SearchKind, Segment, Terms, highlight, search_scope, snippet,
};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::AppResult;
use crate::repos::SearchHit;
use crate::services::{Services, ensure};

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Hits per kind unless asked otherwise, and the most that may be asked for.
pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 50;
/// About how many characters of a record's text a snippet shows.
const SNIPPET_CHARS: usize = 180;

/// What to search for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub q: String,
    /// Only this kind (all kinds when none).
    pub kind: Option<SearchKind>,
    /// Hits per kind, 1–[`MAX_LIMIT`].
    pub limit: u32,
}

/// The hits, grouped by kind.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    /// The query as searched (trimmed).
    pub q: String,
    /// The words searched for, as the index keeps them; the last one also matched the start
    /// of longer words when `prefix`.
    pub words: Vec<String>,
    pub prefix: bool,
    /// Hits across all groups (each group's `count` added up).
    pub total: i64,
    /// Some group has more hits than it counts (`total` is then a lower bound).
    pub more: bool,
    /// Kinds with at least one hit, in a fixed order (projects, clients, tasks, scope items,
    /// drawings, specifications, comments, people).
    pub groups: Vec<SearchGroup>,
}

/// The hits of one kind.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchGroup {
    pub kind: SearchKind,
    /// Its heading ("Scope items").
    pub label: String,
    /// How many records of this kind match, up to 200: the items are the best ranked of
    /// them. When more match, `more` is set and these are the newest 200.
    pub count: i64,
    /// More records of this kind match than `count` (show it as "200+").
    pub more: bool,
    pub items: Vec<SearchResult>,
}

/// One record found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub kind: SearchKind,
    pub id: Uuid,
    /// What it is called (a comment: who wrote it, on what).
    pub title: String,
    /// The title as HTML, every character escaped, the words found in `<mark>`.
    pub title_html: String,
    /// Some of its text around the first word found, as plain text.
    pub snippet: String,
    /// The snippet as HTML, every character escaped, the words found in `<mark>`.
    pub snippet_html: String,
    /// The page that shows it, if the caller may open one (a comment: its anchor there).
    pub url: Option<String>,
    /// Its project (none for clients and people; a project's is itself).
    pub project: Option<SearchProjectRef>,
    /// For a comment: the record it is on.
    pub on: Option<SearchRecordRef>,
    /// For a comment: its author.
    pub author_name: Option<String>,
    /// For a comment: when it was written.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
}

/// A project, as a result names it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchProjectRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

/// The record a comment is on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchRecordRef {
    pub kind: RecordKind,
    pub id: Uuid,
    pub label: String,
}

/// Escapes text for HTML (element content and quoted attributes).
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The pieces as plain text and as HTML: each piece escaped, the hits wrapped in `<mark>`
/// (the only markup; nothing of the stored text can open a tag).
fn render(segments: &[Segment]) -> (String, String) {
    let mut plain = String::new();
    let mut html = String::new();
    for s in segments {
        plain.push_str(&s.text);
        if s.hit {
            html.push_str("<mark>");
            escape(&s.text, &mut html);
            html.push_str("</mark>");
        } else {
            escape(&s.text, &mut html);
        }
    }
    (plain, html)
}

/// A comment's Markdown as the words a reader sees: text and code, HTML as the text it is
/// shown as, blocks and line breaks as spaces (`**50 mm**` reads "50 mm").
fn markdown_text(body: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser};
    let mut out = String::with_capacity(body.len());
    for event in Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak | Event::Start(_) | Event::End(_) => out.push(' '),
            _ => {}
        }
    }
    out
}

/// Checks a request: a query with something in it, not too long; a limit in range.
fn check(req: &SearchRequest) -> AppResult<String> {
    let mut errors = FieldErrors::new();
    let q = req.q.trim();
    if q.is_empty() {
        errors.add("q", "Type a word to search for.");
    } else if q.chars().count() > MAX_QUERY_CHARS {
        errors.add("q", format!("must be at most {MAX_QUERY_CHARS} characters"));
    } else if formula_domain::errors::has_refused_chars(q) {
        errors.add("q", formula_domain::errors::CONTROL_CHARACTERS);
    }
    if !(1..=MAX_LIMIT).contains(&req.limit) {
        errors.add(
            "limit",
            format!("must be a whole number between 1 and {MAX_LIMIT}"),
        );
    }
    errors.into_result()?;
    Ok(q.to_owned())
}

impl Services {
    /// Searches everything the caller may see. Visibility is the pages' own, applied in the
    /// query: projects as in project lists; a client user finds only their organisation's
    /// projects, never scope items (prices), drafts, or internal comments, and only the
    /// comments visible to the client on records shown to them; people are the directory
    /// for those who may read it, otherwise the teams of the projects the caller sees.
    pub async fn search(&self, caller: &Caller, req: &SearchRequest) -> AppResult<SearchResults> {
        ensure(caller, Action::Search, &Resource::Global)?;
        let q = check(req)?;
        let terms = Terms::parse(&q);
        let mut results = SearchResults {
            q,
            words: terms.words.clone(),
            prefix: terms.prefix,
            total: 0,
            more: false,
            groups: Vec::new(),
        };
        if terms.is_empty() {
            // Only punctuation: nothing can match.
            return Ok(results);
        }
        let scope = search_scope(&caller.actor);
        let kinds: Vec<SearchKind> = req.kind.into_iter().collect();
        let hits = self.store.search(&terms, &scope, &kinds, req.limit).await?;
        let people_pages = authorize(&caller.actor, Action::ManageUsers, &Resource::Global);
        for kind in SearchKind::ALL {
            let of_kind: Vec<&SearchHit> = hits.iter().filter(|h| h.kind == kind).collect();
            let Some(first) = of_kind.first() else {
                continue;
            };
            // The store counts one past the newest it ranks, to tell that there are more.
            let more = first.total > i64::from(RANKED);
            let count = first.total.min(i64::from(RANKED));
            results.total += count;
            results.more |= more;
            results.groups.push(SearchGroup {
                kind,
                label: kind.plural().to_owned(),
                count,
                more,
                items: of_kind
                    .into_iter()
                    .map(|h| result(h, &terms, people_pages))
                    .collect(),
            });
        }
        Ok(results)
    }
}

/// One hit as the caller sees it.
fn result(h: &SearchHit, terms: &Terms, people_pages: bool) -> SearchResult {
    let project = match (h.project_id, &h.project_code, &h.project_name) {
        (Some(id), Some(code), Some(name)) => Some(SearchProjectRef {
            id,
            code: code.clone(),
            name: name.clone(),
        }),
        _ => None,
    };
    let (title, title_html) = if h.kind == SearchKind::Comment {
        let author = h.author_name.as_deref().unwrap_or("Someone (removed)");
        let title = match &h.on {
            Some(on) => format!("{author} on {}", on.label),
            None => author.to_owned(),
        };
        let mut html = String::new();
        escape(&title, &mut html);
        (title, html)
    } else {
        render(&highlight(&h.title, terms))
    };
    let text = if h.kind == SearchKind::Comment {
        markdown_text(&h.body)
    } else {
        h.body.clone()
    };
    let (snippet, snippet_html) = render(&snippet(&text, terms, SNIPPET_CHARS));
    let id = h.id;
    let url = match h.kind {
        SearchKind::Project => Some(format!("/projects/{id}")),
        SearchKind::Client => Some(format!("/clients/{id}")),
        SearchKind::Task => Some(format!("/tasks/{id}")),
        SearchKind::ScopeItem => Some(format!("/scope-items/{id}/edit")),
        SearchKind::Drawing => Some(format!("/drawings/{id}")),
        SearchKind::Spec => Some(format!("/specs/{id}")),
        SearchKind::Person => people_pages.then(|| format!("/users/{id}/edit")),
        SearchKind::Comment => h.on.as_ref().map(|on| {
            let page = on.page_id;
            let path = match on.kind {
                RecordKind::Project => format!("/projects/{page}"),
                RecordKind::Task => format!("/tasks/{page}"),
                RecordKind::ScopeItem => format!("/scope-items/{page}/edit"),
                RecordKind::Drawing | RecordKind::DrawingRevision => format!("/drawings/{page}"),
                RecordKind::Spec => format!("/specs/{page}"),
            };
            format!("{path}#comment-{id}")
        }),
    };
    SearchResult {
        kind: h.kind,
        id,
        title,
        title_html,
        snippet,
        snippet_html,
        url,
        project,
        on: h.on.as_ref().map(|on| SearchRecordRef {
            kind: on.kind,
            id: on.id,
            label: on.label.clone(),
        }),
        author_name: h.author_name.clone(),
        created_at: h.created_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(kind: SearchKind, title: &str, body: &str) -> SearchHit {
        SearchHit {
            kind,
            id: Uuid::from_u128(7),
            project_id: Some(Uuid::from_u128(1)),
            project_code: Some("FPM-26-001".into()),
            project_name: Some("Lobby".into()),
            title: title.into(),
            body: body.into(),
            total: 1,
            author_name: Some("Hannah <b>Keller</b>".into()),
            created_at: None,
            on: Some(crate::repos::CommentedRecord {
                kind: RecordKind::DrawingRevision,
                id: Uuid::from_u128(8),
                label: "SD-101 rev B".into(),
                page_id: Uuid::from_u128(9),
            }),
        }
    }

    #[test]
    fn stored_markup_is_escaped_and_only_hits_are_marked() {
        let terms = Terms::parse("onerror scr");
        let r = result(
            &hit(
                SearchKind::ScopeItem,
                "A-01 <script>alert(1)</script>",
                "Desk <img src=x onerror=alert(1)> in oak",
            ),
            &terms,
            false,
        );
        assert_eq!(
            r.title_html,
            "A-01 &lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"
        );
        assert_eq!(
            r.snippet_html,
            "Desk &lt;img src=x <mark>onerror</mark>=alert(1)&gt; in oak"
        );
        assert_eq!(r.snippet, "Desk <img src=x onerror=alert(1)> in oak");
        assert_eq!(
            r.url.as_deref(),
            Some(&*format!("/scope-items/{}/edit", r.id))
        );
        // A comment's title is who wrote it on what, escaped; its link is its anchor on the
        // page that shows the record (a revision's: its drawing).
        let c = result(&hit(SearchKind::Comment, "", "see <b>"), &terms, false);
        assert_eq!(c.title, "Hannah <b>Keller</b> on SD-101 rev B");
        assert_eq!(
            c.title_html,
            "Hannah &lt;b&gt;Keller&lt;/b&gt; on SD-101 rev B"
        );
        assert_eq!(
            c.url.as_deref(),
            Some(&*format!(
                "/drawings/{}#comment-{}",
                Uuid::from_u128(9),
                c.id
            ))
        );
        // People link to their account only for those who manage accounts.
        assert!(
            result(&hit(SearchKind::Person, "P", ""), &terms, false)
                .url
                .is_none()
        );
        assert!(
            result(&hit(SearchKind::Person, "P", ""), &terms, true)
                .url
                .is_some()
        );
    }

    #[test]
    fn comment_snippets_read_as_text() {
        let terms = Terms::parse("onyx");
        let c = result(
            &hit(
                SearchKind::Comment,
                "",
                "Confirm the **onyx** supplier:\n\n- `20 mm`\n- <img src=x onerror=alert(1)>",
            ),
            &terms,
            false,
        );
        assert_eq!(
            c.snippet,
            "Confirm the onyx supplier: 20 mm <img src=x onerror=alert(1)>"
        );
        assert!(c.snippet_html.contains("<mark>onyx</mark>"));
        assert!(c.snippet_html.contains("&lt;img src=x"));
    }

    #[test]
    fn requests_are_checked() {
        let req = |q: &str, limit| SearchRequest {
            q: q.into(),
            kind: None,
            limit,
        };
        assert!(check(&req("  ", 10)).is_err());
        assert!(check(&req(&"a".repeat(201), 10)).is_err());
        assert!(check(&req(&"a".repeat(200), 10)).is_ok());
        assert!(check(&req("oak", 0)).is_err());
        assert!(check(&req("oak", 51)).is_err());
        assert!(check(&req("a\u{7}b", 5)).is_err());
        assert_eq!(check(&req("  oak ", 50)).ok().as_deref(), Some("oak"));
    }
}
