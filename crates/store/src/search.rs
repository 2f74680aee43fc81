//! Global search (migrations 0018, 0024 and 0052): `search_docs`, kept by triggers, indexed per
//! kind of record by FTS5 on SQLite and by a tsvector under partial GIN indexes on
//! PostgreSQL. Only the matching differs between the two; what the caller may see is one SQL
//! condition per kind, applied before the hits are ranked and counted, so a count never
//! includes something the caller may not open. Each kind ranks its newest [`RANKED`] matches.

use formula_app::repos::{CommentedRecord, SearchHit, SearchRepo};
use formula_domain::authz::{ClientScope, ProjectScope};
use formula_domain::search::{PeopleScope, RANKED, SearchKind, SearchScope, Terms};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::DbResult;
use crate::pool::{Backend, Db};
use crate::rows::parse_enum;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct HitRow {
    kind: String,
    record_id: Uuid,
    project_id: Option<Uuid>,
    project_code: Option<String>,
    project_name: Option<String>,
    title: String,
    body: String,
    total: i64,
    author_name: Option<String>,
    created_at: Option<OffsetDateTime>,
    on_kind: Option<String>,
    on_id: Option<Uuid>,
    on_label: Option<String>,
    on_page: Option<Uuid>,
}

/// Revisions a client user is shown: everything past draft (`review::shown_to`).
const SHOWN: &str = "<> 'draft'";

/// Whether the project `project` (an SQL expression) is one `scope` sees. A set the database
/// builds once per statement (the caller's projects, or their organisation's), not a lookup
/// per hit.
fn project_visible(s: &mut Stmt, scope: ProjectScope, project: &str) -> String {
    match scope {
        ProjectScope::All => "1 = 1".into(),
        ProjectScope::MemberOf(user) => {
            let u = s.arg(user);
            format!(
                "{project} IN (SELECT pm.project_id FROM project_members pm WHERE pm.user_id = {u})"
            )
        }
        ProjectScope::OfClient(client) => {
            let c = s.arg(client);
            format!("{project} IN (SELECT vp.id FROM projects vp WHERE vp.client_id = {c})")
        }
        ProjectScope::None => "1 = 0".into(),
    }
}

/// The condition a document `h` of `kind` (search_docs: kind, record_id, project_id) meets
/// when `scope` may see it, the rule of that record's own page; `None` when `scope` sees no
/// record of that kind.
fn visible(s: &mut Stmt, scope: &SearchScope, kind: SearchKind) -> Option<String> {
    let in_project = |s: &mut Stmt| project_visible(s, scope.projects, "h.project_id");
    match kind {
        SearchKind::Project | SearchKind::Task => Some(in_project(s)),
        // Prices and costs are internal: the scope of work is the contractor's.
        SearchKind::ScopeItem => scope.internal.then(|| in_project(s)),
        SearchKind::Drawing => {
            let shown = if scope.internal {
                String::new()
            } else {
                format!(
                    " AND EXISTS (SELECT 1 FROM drawing_revisions r WHERE r.drawing_id = h.record_id \
                     AND r.status {SHOWN})"
                )
            };
            Some(format!("{}{shown}", in_project(s)))
        }
        SearchKind::Spec => {
            let shown = if scope.internal {
                String::new()
            } else {
                format!(
                    " AND EXISTS (SELECT 1 FROM specs sv WHERE sv.id = h.record_id AND sv.status {SHOWN})"
                )
            };
            Some(format!("{}{shown}", in_project(s)))
        }
        SearchKind::Comment => {
            // A client user reads the comments marked visible to the client, on records
            // shown to them (never on the scope of work).
            let shown = if scope.internal {
                String::new()
            } else {
                format!(
                    " AND EXISTS (SELECT 1 FROM comments cv JOIN threads tv ON tv.id = cv.thread_id \
                     WHERE cv.id = h.record_id AND cv.visibility = 'client' AND cv.deleted_at IS NULL \
                     AND (tv.kind IN ('project', 'task') \
                     OR (tv.kind = 'drawing' AND EXISTS (SELECT 1 FROM drawing_revisions r \
                         WHERE r.drawing_id = tv.drawing_id AND r.status {SHOWN})) \
                     OR (tv.kind = 'drawing_revision' AND EXISTS (SELECT 1 FROM drawing_revisions r \
                         WHERE r.id = tv.drawing_revision_id AND r.status {SHOWN})) \
                     OR (tv.kind = 'spec' AND EXISTS (SELECT 1 FROM specs sv \
                         WHERE sv.id = tv.spec_id AND sv.status {SHOWN}))))"
                )
            };
            Some(format!("{}{shown}", in_project(s)))
        }
        SearchKind::Client => match scope.clients {
            ClientScope::All => Some("1 = 1".into()),
            ClientScope::Only(id) => {
                let c = s.arg(id);
                Some(format!("h.record_id = {c}"))
            }
            ClientScope::None => None,
        },
        SearchKind::Person => match scope.people {
            PeopleScope::All => Some("1 = 1".into()),
            PeopleScope::Related { user_id, client_id } => {
                let me = s.arg(user_id);
                let team = project_visible(s, scope.projects, "tm.project_id");
                let colleague = match client_id {
                    Some(c) => format!(" OR u.client_id = {}", s.arg(c)),
                    None => String::new(),
                };
                Some(format!(
                    "(h.record_id = {me} OR EXISTS (SELECT 1 FROM users u \
                     WHERE u.id = h.record_id AND u.status = 'active' AND (EXISTS (SELECT 1 \
                     FROM project_members tm WHERE tm.user_id = u.id AND {team}){colleague})))"
                ))
            }
        },
    }
}

/// The query's text, bound once, and for PostgreSQL the common table expression that turns
/// it into a tsquery once per statement.
fn query(s: &mut Stmt, backend: Backend, terms: &Terms) -> (String, Option<String>) {
    match backend {
        Backend::Sqlite => (s.arg(terms.fts5()), None),
        Backend::Postgres => {
            let q = s.arg(terms.plain());
            let prefix = if terms.prefix { "true" } else { "false" };
            (
                q.clone(),
                Some(format!(
                    "q AS MATERIALIZED (SELECT search_query({q}, {prefix}) AS q)"
                )),
            )
        }
    }
}

/// How many of each kind's newest documents PostgreSQL keeps in `search_recent` (migration
/// 0052).
const RECENT: u32 = 16_384;

/// The newest [`RANKED`] + 1 documents of `kind` that match and that the caller may see, with
/// their scores (higher is better), and for PostgreSQL the common table expression it reads.
/// Each kind has its own full-text index (SQLite: one FTS5 table per kind; PostgreSQL: a
/// partial GIN index per kind, migration 0024), so the work is bounded by what a group shows,
/// whatever else matches.
fn newest(backend: Backend, q: &str, kind: SearchKind, visible: &str) -> (Option<String>, String) {
    let k = kind.as_str();
    let take = RANKED + 1;
    match backend {
        // bm25 is lower for better matches; the title weighs four times the body. FTS5 walks
        // its matches newest first (rowid order) and stops at the limit, so only those are
        // scored.
        Backend::Sqlite => (
            None,
            format!(
                "SELECT * FROM (SELECT h.kind, h.record_id, h.project_id, \
                 -bm25(search_fts_{k}, 4.0, 1.0) AS score \
                 FROM search_fts_{k} JOIN search_docs h ON h.doc = search_fts_{k}.rowid \
                 WHERE search_fts_{k} MATCH {q} AND {visible} \
                 ORDER BY search_fts_{k}.rowid DESC LIMIT {take}) s_{k}"
            ),
        ),
        // A GIN index has no order, so the newest matches are found by fetching every match's
        // row. The kind's newest documents are also in `search_recent` (migration 0052): when
        // more than are ranked match there, they are the newest; only when not, and when the
        // kind has had more documents than that table keeps, are all of them looked at. Ids
        // are UUIDv7, so the highest are the newest; ranked after the limit.
        Backend::Postgres => {
            let matches = |table: &str, only: &str| {
                format!(
                    "SELECT h.kind, h.record_id, h.project_id, h.words FROM q JOIN {table} h \
                     ON h.kind = '{k}' AND h.words @@ q.q{only} WHERE {visible} \
                     ORDER BY h.record_id DESC LIMIT {take}"
                )
            };
            // Whether the recent matches are the newest: more than are ranked, or the kind
            // never had more documents than the table keeps.
            let complete = format!(
                "((SELECT count(*) FROM recent_{k}) > {RANKED} \
                 OR (SELECT last_value FROM search_docs_seq_{k}) <= {RECENT})"
            );
            let all = matches("search_docs", &format!(" AND NOT {complete}"));
            (
                Some(format!(
                    "recent_{k} AS MATERIALIZED ({})",
                    matches("search_recent", "")
                )),
                format!(
                    "SELECT n.kind, n.record_id, n.project_id, ts_rank(n.words, q.q) AS score \
                     FROM (SELECT * FROM recent_{k} WHERE {complete} UNION ALL ({all})) n, q"
                ),
            )
        }
    }
}

/// The best `limit` of each kind in `seen`, best first: one small top-N per kind (a heap,
/// not a sort of every hit).
fn best(kinds: &[SearchKind], limit: u32) -> String {
    kinds
        .iter()
        .map(|k| {
            format!(
                "SELECT * FROM (SELECT kind, record_id, project_id, score FROM seen \
                 WHERE kind = '{}' ORDER BY score DESC, record_id DESC LIMIT {limit}) b",
                k.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// A hit of a kind the query does not know would be a bug in the migration's triggers.
fn hit(r: HitRow) -> DbResult<SearchHit> {
    let on = match (r.on_kind, r.on_id, r.on_page) {
        (Some(kind), Some(id), Some(page_id)) => Some(CommentedRecord {
            kind: parse_enum(&kind, "threads.kind")?,
            id,
            label: r.on_label.unwrap_or_default(),
            page_id,
        }),
        _ => None,
    };
    Ok(SearchHit {
        kind: parse_enum(&r.kind, "search_docs.kind")?,
        id: r.record_id,
        project_id: r.project_id,
        project_code: r.project_code,
        project_name: r.project_name,
        title: r.title,
        body: r.body,
        total: r.total,
        author_name: r.author_name,
        created_at: r.created_at,
        on,
    })
}

#[repo]
impl SearchRepo for Db {
    async fn search(
        &self,
        terms: &Terms,
        scope: &SearchScope,
        kinds: &[SearchKind],
        limit: u32,
    ) -> DbResult<Vec<SearchHit>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut s = Stmt::default();
        let (q, with_query) = query(&mut s, self.backend(), terms);
        let mut searched = Vec::new();
        let mut parts = Vec::new();
        let mut windows = Vec::new();
        for kind in SearchKind::ALL
            .into_iter()
            .filter(|k| kinds.is_empty() || kinds.contains(k))
        {
            if let Some(visible) = visible(&mut s, scope, kind) {
                let (window, part) = newest(self.backend(), &q, kind, &visible);
                windows.extend(window);
                parts.push(part);
                searched.push(kind);
            }
        }
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit.max(1);
        let best = best(&searched, limit);
        let with_query: String = with_query
            .into_iter()
            .chain(windows)
            .map(|w| format!("{w}, "))
            .collect();
        let seen = parts.join(" UNION ALL ");
        // Only what may be seen is counted and ranked (`seen`, computed once); then the text
        // and labels of the best few of each kind.
        s.sql = format!(
            "WITH {with_query}\
             seen AS MATERIALIZED ({seen}), \
             counts AS (SELECT kind, COUNT(*) AS total FROM seen GROUP BY kind), \
             top AS ({best}) \
             SELECT r.kind, r.record_id, r.project_id, p.code AS project_code, p.name AS project_name, \
                 d.title, d.body, n.total, ca.name AS author_name, c.created_at, \
                 t.kind AS on_kind, t.id AS on_id, \
                 CASE t.kind WHEN 'project' THEN p.code || ' ' || p.name \
                     WHEN 'task' THEN tt.title \
                     WHEN 'scope_item' THEN ts.code || ' ' || ts.name \
                     WHEN 'drawing' THEN td.number || ' ' || td.title \
                     WHEN 'drawing_revision' THEN trd.number || ' rev ' || tr.label \
                     WHEN 'spec' THEN tsp.code || ' ' || tsp.description END AS on_label, \
                 CASE WHEN t.kind = 'drawing_revision' THEN tr.drawing_id ELSE t.id END AS on_page \
             FROM top r \
             JOIN counts n ON n.kind = r.kind \
             JOIN search_docs d ON d.record_id = r.record_id \
             LEFT JOIN projects p ON p.id = r.project_id \
             LEFT JOIN comments c ON r.kind = 'comment' AND c.id = r.record_id \
             LEFT JOIN users ca ON ca.id = c.author_id \
             LEFT JOIN threads t ON t.id = c.thread_id \
             LEFT JOIN tasks tt ON tt.id = t.task_id \
             LEFT JOIN scope_items ts ON ts.id = t.scope_item_id \
             LEFT JOIN drawings td ON td.id = t.drawing_id \
             LEFT JOIN drawing_revisions tr ON tr.id = t.drawing_revision_id \
             LEFT JOIN drawings trd ON trd.id = tr.drawing_id \
             LEFT JOIN specs tsp ON tsp.id = t.spec_id \
             ORDER BY r.kind, r.score DESC, r.record_id DESC"
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, HitRow, s)?);
        rows.into_iter().map(hit).collect()
    }
}

#[cfg(test)]
mod tests {
    use formula_domain::search::{FOLD_FROM, FOLD_TO};

    /// PostgreSQL folds accents with the same table as the highlighter (and as SQLite's
    /// tokenizer, from which it was taken).
    #[test]
    fn postgres_folds_accents_with_the_domain_table() {
        let migration = include_str!("../migrations/postgres/0018_search.sql");
        assert!(migration.contains(&format!("'{FOLD_FROM}'")));
        assert!(migration.contains(&format!("'{FOLD_TO}'")));
    }

    /// The query's idea of how many documents `search_recent` keeps is the migration's: the
    /// backfill and the trigger's push-out both use it.
    #[test]
    fn postgres_recent_documents_are_counted_alike() {
        let migration = include_str!("../migrations/postgres/0052_search_newest_first.sql");
        let kept = super::RECENT.to_string();
        assert_eq!(migration.matches(&format!("n > total - {kept}")).count(), 1);
        assert_eq!(
            migration.matches(&format!("seq = place - {kept}")).count(),
            1
        );
    }
}
