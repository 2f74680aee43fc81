//! Activity feeds (audit entries and comments, merged newest first, keyset-paged) and what
//! waits for someone (reviews to decide, mentions to answer). What a client user may see is
//! decided here in SQL: `formula_domain::activity::CLIENT_VISIBLE` for changes, the comment's
//! visibility and the record's for comments.

use formula_app::repos::{
    ActivityRepo, Audience, FeedCursor, FeedEntry, FeedOf, FeedQuery, FeedRow, WaitingFor,
    WaitingRow,
};
use formula_domain::activity::{CLIENT_VISIBLE, COMMENT_ACTIONS, TOLD_WITHOUT_CHANGES};
use formula_domain::comment::RecordKind;
use formula_domain::waiting::WaitingKind;
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::changes_from_json;
use crate::error::DbResult;
use crate::pool::Db;
use crate::projects::apply_scope;
use crate::rows::parse_enum;
use crate::sql::{Filter, Stmt};

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: Uuid,
    at: OffsetDateTime,
    actor_id: Option<Uuid>,
    actor_name: Option<String>,
    action: String,
    entity_type: String,
    entity_id: Uuid,
    entity_label: String,
    changes: String,
}

#[derive(sqlx::FromRow)]
struct CommentRow {
    id: Uuid,
    at: OffsetDateTime,
    actor_id: Option<Uuid>,
    actor_name: Option<String>,
    record_kind: String,
    record_id: Uuid,
    parent_id: Option<Uuid>,
    label: Option<String>,
    visibility: String,
    body: String,
}

#[derive(sqlx::FromRow)]
struct WaitRow {
    id: Uuid,
    record_kind: String,
    record_id: Uuid,
    parent_id: Option<Uuid>,
    label: Option<String>,
    title: Option<String>,
    project_id: Uuid,
    project_code: String,
    from_name: Option<String>,
    since: OffsetDateTime,
}

impl WaitRow {
    fn into_row(self, kind: WaitingKind) -> DbResult<WaitingRow> {
        Ok(WaitingRow {
            kind,
            id: self.id,
            record_kind: parse_enum(&self.record_kind, "threads.kind")?,
            record_id: self.record_id,
            parent_id: self.parent_id,
            label: self.label.unwrap_or_default(),
            title: self.title,
            project_id: self.project_id,
            project_code: self.project_code,
            from_name: self.from_name,
            since: self.since,
        })
    }
}

/// The joins that name a comment's record (`t` is its thread): a task's title, an item's,
/// drawing's or specification's code, a revision as "SD-101 rev B", a project's code.
const RECORD_JOINS: &str = "LEFT JOIN tasks tk ON tk.id = t.task_id \
     LEFT JOIN scope_items si ON si.id = t.scope_item_id \
     LEFT JOIN drawings d ON d.id = t.drawing_id \
     LEFT JOIN drawing_revisions dr ON dr.id = t.drawing_revision_id \
     LEFT JOIN drawings rd ON rd.id = dr.drawing_id \
     LEFT JOIN specs sp ON sp.id = t.spec_id \
     LEFT JOIN projects tp ON tp.id = t.id";

const RECORD_LABEL: &str =
    "COALESCE(tk.title, si.code, d.number, rd.number || ' rev ' || dr.label, sp.code, tp.code)";

/// The thread `t` (with [`RECORD_JOINS`]) is on a record the client's users can see: their
/// project, its tasks, a drawing or revision once submitted, a specification once submitted;
/// never the scope of work.
const CLIENT_SEES_THREAD: &str = "(t.kind IN ('project', 'task') \
     OR (t.kind = 'drawing' AND EXISTS (SELECT 1 FROM drawing_revisions x \
         WHERE x.drawing_id = t.drawing_id AND x.status <> 'draft')) \
     OR (t.kind = 'drawing_revision' AND dr.status <> 'draft') \
     OR (t.kind = 'spec' AND sp.status <> 'draft'))";

/// `(at, id) < cursor` on `at_col`, `id_col`: a row value, so both backends seek the index.
fn before(f: &mut Filter, at_col: &str, id_col: &str, cursor: Option<FeedCursor>) {
    if let Some(c) = cursor {
        let at = f.arg(c.at);
        let id = f.arg(c.id);
        f.and(format!("({at_col}, {id_col}) < ({at}, {id})"));
    }
}

/// A `col IN (…)` over static words, bound.
fn in_list(f: &mut Filter, col: &str, words: &[&str]) -> String {
    let list: Vec<String> = words.iter().map(|w| f.arg(*w)).collect();
    format!("{col} IN ({})", list.join(", "))
}

fn changes_stmt(q: &FeedQuery) -> Stmt {
    let mut f = Filter::new();
    match q.of {
        FeedOf::Project(id) => {
            let p = f.arg(id);
            f.and(format!("a.project_id = {p}"));
        }
        FeedOf::Record(kind, id) => {
            let k = f.arg(kind.as_str());
            let i = f.arg(id);
            f.and(format!("a.entity_type = {k} AND a.entity_id = {i}"));
        }
    }
    let not_comments = in_list(&mut f, "a.action", COMMENT_ACTIONS);
    f.and(format!("NOT {not_comments}"));
    if q.audience == Audience::Client {
        let mut allowed = Vec::new();
        for (entity_type, actions) in CLIENT_VISIBLE {
            let t = f.arg(*entity_type);
            let a = in_list(&mut f, "a.action", actions);
            allowed.push(format!("(a.entity_type = {t} AND {a})"));
        }
        f.and(format!("({})", allowed.join(" OR ")));
    }
    before(&mut f, "a.at", "a.id", q.before);
    // Changes are read only where the sentence needs them.
    let untold = TOLD_WITHOUT_CHANGES
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let where_sql = f.where_sql();
    let mut stmt = f.stmt;
    stmt.sql = format!(
        "SELECT a.id, a.at, a.actor_id, a.actor_name, a.action, a.entity_type, a.entity_id, \
         a.entity_label, CASE WHEN a.action IN ({untold}) THEN '[]' ELSE a.changes END AS changes \
         FROM audit_log a{where_sql} \
         ORDER BY a.at DESC, a.id DESC LIMIT {}",
        q.limit.max(1)
    );
    stmt
}

/// The comments of a page; `after`: only those newer than this row (when a full page of
/// changes already ends there, older comments cannot make the page).
fn comments_stmt(q: &FeedQuery, after: Option<FeedCursor>) -> Stmt {
    let mut f = Filter::new();
    f.and("c.deleted_at IS NULL");
    match q.of {
        FeedOf::Project(id) => {
            let p = f.arg(id);
            f.and(format!("c.project_id = {p}"));
        }
        FeedOf::Record(RecordKind::Drawing, id) => {
            let i = f.arg(id);
            f.and(format!(
                "c.thread_id IN (SELECT x.id FROM drawings x WHERE x.id = {i} \
                 UNION ALL SELECT x.id FROM drawing_revisions x WHERE x.drawing_id = {i})"
            ));
        }
        FeedOf::Record(_, id) => {
            let i = f.arg(id);
            f.and(format!("c.thread_id = {i}"));
        }
    }
    if q.audience == Audience::Client {
        f.and(format!("c.visibility = 'client' AND {CLIENT_SEES_THREAD}"));
    }
    before(&mut f, "c.created_at", "c.id", q.before);
    if let Some(c) = after {
        let at = f.arg(c.at);
        let id = f.arg(c.id);
        f.and(format!("(c.created_at, c.id) > ({at}, {id})"));
    }
    let where_sql = f.where_sql();
    let mut stmt = f.stmt;
    stmt.sql = format!(
        "SELECT c.id, c.created_at AS at, c.author_id AS actor_id, u.name AS actor_name, \
         t.kind AS record_kind, t.id AS record_id, dr.drawing_id AS parent_id, \
         {RECORD_LABEL} AS label, c.visibility, c.body \
         FROM comments c JOIN threads t ON t.id = c.thread_id LEFT JOIN users u ON u.id = c.author_id \
         {RECORD_JOINS}{where_sql} ORDER BY c.created_at DESC, c.id DESC LIMIT {}",
        q.limit.max(1)
    );
    stmt
}

impl TryFrom<ChangeRow> for FeedRow {
    type Error = crate::error::DbError;
    fn try_from(r: ChangeRow) -> DbResult<Self> {
        Ok(FeedRow {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            entry: FeedEntry::Change {
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                label: r.entity_label,
                changes: changes_from_json(&r.changes)?,
            },
        })
    }
}

impl TryFrom<CommentRow> for FeedRow {
    type Error = crate::error::DbError;
    fn try_from(r: CommentRow) -> DbResult<Self> {
        Ok(FeedRow {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            entry: FeedEntry::Comment {
                record_kind: parse_enum(&r.record_kind, "threads.kind")?,
                record_id: r.record_id,
                parent_id: r.parent_id,
                label: r.label.unwrap_or_default(),
                visibility: parse_enum(&r.visibility, "comments.visibility")?,
                body: r.body,
            },
        })
    }
}

/// The decider condition on project `p` for `who` (see `review::may_decide`): a client's
/// organisation where the project lets clients approve; otherwise a team member who is a
/// designated reviewer, or (with none named) whose role decides this kind.
fn decides(f: &mut Filter, who: &WaitingFor, by_role: bool) {
    match who.client_id {
        Some(client) => {
            let c = f.arg(client);
            f.and(format!(
                "p.client_id = {c} AND EXISTS (SELECT 1 FROM project_settings ps \
                 WHERE ps.project_id = p.id AND ps.client_approvals = 1)"
            ));
        }
        None => {
            let u = f.arg(who.user_id);
            let unnamed = if by_role {
                " OR NOT EXISTS (SELECT 1 FROM project_reviewers pr WHERE pr.project_id = p.id)"
            } else {
                ""
            };
            f.and(format!(
                "EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = {u}) \
                 AND (EXISTS (SELECT 1 FROM project_reviewers pr WHERE pr.project_id = p.id \
                 AND pr.user_id = {u}){unnamed})"
            ));
        }
    }
}

fn drawings_waiting(who: &WaitingFor) -> Stmt {
    let mut f = Filter::new();
    f.and("r.status = 'submitted'");
    decides(&mut f, who, who.decides_drawings);
    let where_sql = f.where_sql();
    let mut stmt = f.stmt;
    stmt.sql = format!(
        "SELECT r.id, 'drawing' AS record_kind, d.id AS record_id, NULL AS parent_id, \
         d.number || ' rev ' || r.label AS label, d.title AS title, p.id AS project_id, \
         p.code AS project_code, u.name AS from_name, COALESCE(r.submitted_at, r.uploaded_at) AS since \
         FROM drawing_revisions r JOIN drawings d ON d.id = r.drawing_id \
         JOIN projects p ON p.id = d.project_id LEFT JOIN users u ON u.id = r.uploaded_by\
         {where_sql} ORDER BY 10, r.id LIMIT {}",
        who.limit.max(1)
    );
    stmt
}

fn specs_waiting(who: &WaitingFor) -> Stmt {
    let mut f = Filter::new();
    f.and("s.status = 'submitted'");
    decides(&mut f, who, who.decides_specs);
    let where_sql = f.where_sql();
    let mut stmt = f.stmt;
    // Specifications keep no submission time of their own: their audit trail has it.
    let submitted = "FROM audit_log a WHERE a.entity_type = 'spec' AND a.entity_id = s.id \
                     AND a.action = 'submit'";
    stmt.sql = format!(
        "SELECT s.id, 'spec' AS record_kind, s.id AS record_id, NULL AS parent_id, \
         s.code AS label, s.description AS title, p.id AS project_id, p.code AS project_code, \
         (SELECT a.actor_name {submitted} ORDER BY a.at DESC LIMIT 1) AS from_name, \
         COALESCE((SELECT MAX(a.at) {submitted}), s.updated_at) AS since \
         FROM specs s JOIN projects p ON p.id = s.project_id{where_sql} \
         ORDER BY 10, s.id LIMIT {}",
        who.limit.max(1)
    );
    stmt
}

fn mentions_stmt(who: &WaitingFor) -> Stmt {
    let mut f = Filter::new();
    let u = f.arg(who.user_id);
    f.and(format!(
        "m.user_id = {u} AND c.deleted_at IS NULL AND (c.author_id IS NULL OR c.author_id <> {u}) \
         AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.author_id = {u} \
         AND r.thread_id = c.thread_id AND r.deleted_at IS NULL \
         AND (r.created_at, r.id) > (c.created_at, c.id))"
    ));
    apply_scope(&mut f, who.scope);
    if !who.sees_scope {
        f.and("t.kind <> 'scope_item'");
    }
    if who.client_id.is_some() {
        f.and(format!("c.visibility = 'client' AND {CLIENT_SEES_THREAD}"));
    }
    let where_sql = f.where_sql();
    let mut stmt = f.stmt;
    stmt.sql = format!(
        "SELECT c.id, t.kind AS record_kind, t.id AS record_id, dr.drawing_id AS parent_id, \
         {RECORD_LABEL} AS label, c.body AS title, p.id AS project_id, p.code AS project_code, \
         u.name AS from_name, c.created_at AS since \
         FROM comment_mentions m JOIN comments c ON c.id = m.comment_id \
         JOIN threads t ON t.id = c.thread_id JOIN projects p ON p.id = c.project_id \
         LEFT JOIN users u ON u.id = c.author_id {RECORD_JOINS}{where_sql} \
         ORDER BY c.created_at, c.id LIMIT {}",
        who.limit.max(1)
    );
    stmt
}

#[repo]
impl ActivityRepo for Db {
    async fn activity(&self, query: &FeedQuery) -> DbResult<Vec<FeedRow>> {
        let changes_query = changes_stmt(query);
        let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
        let with_comments = query.with_comments;
        let (changes, comments) = on_reader!(self, |pool| {
            let changes = fetch_all!(pool, ChangeRow, changes_query)?;
            if with_comments {
                let after = (changes.len() >= limit)
                    .then(|| changes.last())
                    .flatten()
                    .map(|r| FeedCursor { at: r.at, id: r.id });
                let comments = comments_stmt(query, after);
                (changes, fetch_all!(pool, CommentRow, comments)?)
            } else {
                (changes, Vec::new())
            }
        });
        let mut rows = Vec::with_capacity(changes.len() + comments.len());
        for r in changes {
            rows.push(FeedRow::try_from(r)?);
        }
        for r in comments {
            rows.push(FeedRow::try_from(r)?);
        }
        // Each list is newest first; the page is the newest `limit` of both.
        rows.sort_by_key(|r| std::cmp::Reverse((r.at, r.id)));
        rows.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
        Ok(rows)
    }

    async fn reviews_waiting(&self, who: &WaitingFor) -> DbResult<Vec<WaitingRow>> {
        let (drawings, specs) = (drawings_waiting(who), specs_waiting(who));
        let (drawings, specs) = on_reader!(self, |pool| {
            (
                fetch_all!(pool, WaitRow, drawings)?,
                fetch_all!(pool, WaitRow, specs)?,
            )
        });
        let mut out = Vec::with_capacity(drawings.len() + specs.len());
        for r in drawings {
            out.push(r.into_row(WaitingKind::DrawingReview)?);
        }
        for r in specs {
            out.push(r.into_row(WaitingKind::SpecReview)?);
        }
        Ok(out)
    }

    async fn mentions_waiting(&self, who: &WaitingFor) -> DbResult<Vec<WaitingRow>> {
        let stmt = mentions_stmt(who);
        let rows = on_reader!(self, |pool| fetch_all!(pool, WaitRow, stmt)?);
        rows.into_iter()
            .map(|r| r.into_row(WaitingKind::Mention))
            .collect()
    }
}
