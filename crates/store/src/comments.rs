//! Comments, their earlier wordings and mentions, and who follows which record (migration
//! 0016). A record's thread row is created by the first comment or follow that needs it.

use formula_app::AppError;
use formula_app::repos::{CommentRepo, Person, RecordKey, Reference};
use formula_domain::audit::AuditEntry;
use formula_domain::comment::{Comment, CommentEdit, RecordKind};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::parse_enum;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct CommentRow {
    id: Uuid,
    record_kind: String,
    record_id: Uuid,
    project_id: Uuid,
    author_id: Option<Uuid>,
    author_name: Option<String>,
    visibility: String,
    body: String,
    created_at: OffsetDateTime,
    edited_at: Option<OffsetDateTime>,
    deleted_at: Option<OffsetDateTime>,
    version: i64,
}

impl TryFrom<CommentRow> for Comment {
    type Error = DbError;
    fn try_from(r: CommentRow) -> DbResult<Self> {
        Ok(Comment {
            id: r.id,
            record_kind: parse_enum(&r.record_kind, "threads.kind")?,
            record_id: r.record_id,
            project_id: r.project_id,
            author_id: r.author_id,
            author_name: r.author_name,
            visibility: parse_enum(&r.visibility, "comments.visibility")?,
            body: r.body,
            created_at: r.created_at,
            edited_at: r.edited_at,
            deleted_at: r.deleted_at,
            version: r.version,
        })
    }
}

const SELECT: &str = "SELECT c.id, t.kind AS record_kind, c.thread_id AS record_id, c.project_id, \
     c.author_id, u.name AS author_name, c.visibility, c.body, c.created_at, c.edited_at, \
     c.deleted_at, c.version FROM comments c JOIN threads t ON t.id = c.thread_id \
     LEFT JOIN users u ON u.id = c.author_id";

fn by_id(id: Uuid) -> Stmt {
    Stmt::new(format!("{SELECT} WHERE c.id = $1")).bind(id)
}

#[derive(sqlx::FromRow)]
struct EditRow {
    body: String,
    edited_by_name: Option<String>,
    edited_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct ReferenceRow {
    code: String,
    kind: String,
    id: Uuid,
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: Uuid,
    name: String,
    email: String,
    role: String,
    client_id: Option<Uuid>,
    member_role: Option<String>,
}

/// The record's thread, if it has none yet: its one foreign key is the column of its kind.
pub(crate) fn ensure_thread(record: RecordKey, at: OffsetDateTime) -> Stmt {
    let column = |kind: RecordKind| (record.kind == kind).then_some(record.id);
    Stmt::new(
        "INSERT INTO threads (id, project_id, kind, task_id, scope_item_id, drawing_id, \
         drawing_revision_id, spec_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(record.id)
    .bind(record.project_id)
    .bind(record.kind.as_str())
    .bind(column(RecordKind::Task))
    .bind(column(RecordKind::ScopeItem))
    .bind(column(RecordKind::Drawing))
    .bind(column(RecordKind::DrawingRevision))
    .bind(column(RecordKind::Spec))
    .bind(at)
}

pub(crate) fn follow(record_id: Uuid, user_id: Uuid, at: OffsetDateTime) -> Stmt {
    Stmt::new(
        "INSERT INTO watchers (thread_id, user_id, state, since) VALUES ($1, $2, 'following', $3) \
         ON CONFLICT (thread_id, user_id) DO NOTHING",
    )
    .bind(record_id)
    .bind(user_id)
    .bind(at)
}

fn mention(comment_id: Uuid, user_id: Uuid) -> Stmt {
    Stmt::new(
        "INSERT INTO comment_mentions (comment_id, user_id) VALUES ($1, $2) \
         ON CONFLICT (comment_id, user_id) DO NOTHING",
    )
    .bind(comment_id)
    .bind(user_id)
}

/// Why a compare-and-set on a comment changed nothing: gone, deleted, or saved by someone.
fn stale(current: Option<Comment>) -> DbError {
    match current {
        Some(c) if c.deleted_at.is_none() => DbError::App(AppError::Stale {
            current_version: c.version,
            updated_by: c.author_name,
            updated_at: Some(c.edited_at.unwrap_or(c.created_at)),
        }),
        _ => DbError::App(AppError::NotFound("comment")),
    }
}

#[repo]
impl CommentRepo for Db {
    async fn list_comments(&self, record_id: Uuid, client_only: bool) -> DbResult<Vec<Comment>> {
        let only = if client_only {
            " AND c.visibility = 'client'"
        } else {
            ""
        };
        let stmt = Stmt::new(format!(
            "{SELECT} WHERE c.thread_id = $1{only} ORDER BY c.created_at, c.id"
        ))
        .bind(record_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, CommentRow, stmt)?);
        rows.into_iter().map(Comment::try_from).collect()
    }

    async fn get_comment(&self, id: Uuid) -> DbResult<Option<Comment>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, CommentRow, by_id(id))?);
        row.map(Comment::try_from).transpose()
    }

    async fn insert_comment(
        &self,
        record: RecordKey,
        c: &Comment,
        mentions: &[Uuid],
        followers: &[Uuid],
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let insert = Stmt::new(
            "INSERT INTO comments (id, thread_id, project_id, author_id, visibility, body, \
             created_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1)",
        )
        .bind(c.id)
        .bind(record.id)
        .bind(record.project_id)
        .bind(c.author_id)
        .bind(c.visibility.as_str())
        .bind(&c.body)
        .bind(c.created_at);
        in_tx!(self, |tx| {
            exec!(&mut *tx, ensure_thread(record, c.created_at))?;
            exec!(&mut *tx, insert)?;
            for user in mentions {
                exec!(&mut *tx, mention(c.id, *user))?;
            }
            for user in followers {
                exec!(&mut *tx, follow(record.id, *user, c.created_at))?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn edit_comment(
        &self,
        c: &Comment,
        expected_version: i64,
        mentions: &[Uuid],
        followers: &[Uuid],
        entry: &AuditEntry,
    ) -> DbResult<Comment> {
        let edited_at = c.edited_at.unwrap_or(entry.at);
        let keep_old = Stmt::new(
            "INSERT INTO comment_edits (id, comment_id, body, edited_by, edited_at) \
             SELECT $1, id, body, $2, $3 FROM comments WHERE id = $4",
        )
        .bind(formula_domain::new_id())
        .bind(entry.actor_id)
        .bind(edited_at)
        .bind(c.id);
        let update = Stmt::new(
            "UPDATE comments SET body = $1, edited_at = $2, version = version + 1 \
             WHERE id = $3 AND version = $4 AND deleted_at IS NULL",
        )
        .bind(&c.body)
        .bind(edited_at)
        .bind(c.id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            // The wording being replaced is kept first; a refused update rolls it back.
            exec!(&mut *tx, keep_old)?;
            if exec!(&mut *tx, update)?.rows_affected() == 0 {
                let current = fetch_optional!(&mut *tx, CommentRow, by_id(c.id))?;
                return Err(stale(current.map(Comment::try_from).transpose()?));
            }
            exec!(
                &mut *tx,
                Stmt::new("DELETE FROM comment_mentions WHERE comment_id = $1").bind(c.id)
            )?;
            for user in mentions {
                exec!(&mut *tx, mention(c.id, *user))?;
            }
            for user in followers {
                exec!(&mut *tx, follow(c.record_id, *user, edited_at))?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, CommentRow, by_id(c.id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("comment")))
            .and_then(Comment::try_from)
    }

    async fn delete_comment(
        &self,
        id: Uuid,
        expected_version: i64,
        deleted_by: Uuid,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<Comment> {
        let update = Stmt::new(
            "UPDATE comments SET deleted_at = $1, deleted_by = $2, version = version + 1 \
             WHERE id = $3 AND version = $4 AND deleted_at IS NULL",
        )
        .bind(at)
        .bind(deleted_by)
        .bind(id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, update)?.rows_affected() == 0 {
                let current = fetch_optional!(&mut *tx, CommentRow, by_id(id))?;
                return Err(stale(current.map(Comment::try_from).transpose()?));
            }
            exec!(
                &mut *tx,
                Stmt::new("DELETE FROM comment_mentions WHERE comment_id = $1").bind(id)
            )?;
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, CommentRow, by_id(id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("comment")))
            .and_then(Comment::try_from)
    }

    async fn comment_edits(&self, id: Uuid) -> DbResult<Vec<CommentEdit>> {
        let stmt = Stmt::new(
            "SELECT e.body, u.name AS edited_by_name, e.edited_at FROM comment_edits e \
             LEFT JOIN users u ON u.id = e.edited_by WHERE e.comment_id = $1 \
             ORDER BY e.edited_at, e.id",
        )
        .bind(id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, EditRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| CommentEdit {
                body: r.body,
                edited_by_name: r.edited_by_name,
                edited_at: r.edited_at,
            })
            .collect())
    }

    async fn set_following(
        &self,
        record: RecordKey,
        user_id: Uuid,
        following: bool,
        at: OffsetDateTime,
    ) -> DbResult<()> {
        let upsert = Stmt::new(
            "INSERT INTO watchers (thread_id, user_id, state, since) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (thread_id, user_id) DO UPDATE SET state = excluded.state, \
             since = excluded.since",
        )
        .bind(record.id)
        .bind(user_id)
        .bind(if following { "following" } else { "muted" })
        .bind(at);
        in_tx!(self, |tx| {
            exec!(&mut *tx, ensure_thread(record, at))?;
            exec!(&mut *tx, upsert)?;
        });
        Ok(())
    }

    async fn auto_follow(
        &self,
        record: RecordKey,
        users: &[Uuid],
        at: OffsetDateTime,
    ) -> DbResult<()> {
        if users.is_empty() {
            return Ok(());
        }
        in_tx!(self, |tx| {
            exec!(&mut *tx, ensure_thread(record, at))?;
            for user in users {
                exec!(&mut *tx, follow(record.id, *user, at))?;
            }
        });
        Ok(())
    }

    async fn is_following(&self, record_id: Uuid, user_id: Uuid) -> DbResult<bool> {
        let stmt = Stmt::new(
            "SELECT COUNT(*) FROM watchers WHERE thread_id = $1 AND user_id = $2 \
             AND state = 'following'",
        )
        .bind(record_id)
        .bind(user_id);
        let n = on_reader!(self, |pool| fetch_scalar!(pool, i64, stmt)?);
        Ok(n > 0)
    }

    async fn followers(&self, record_id: Uuid) -> DbResult<Vec<Uuid>> {
        let stmt = Stmt::new(
            "SELECT user_id FROM watchers WHERE thread_id = $1 AND state = 'following' \
             ORDER BY user_id",
        )
        .bind(record_id);
        Ok(on_reader!(self, |pool| fetch_scalars!(pool, Uuid, stmt)?))
    }

    async fn find_references(
        &self,
        project_id: Uuid,
        codes: &[String],
    ) -> DbResult<Vec<Reference>> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = Stmt::new(String::new());
        let project = stmt.arg(project_id);
        let list = codes
            .iter()
            .map(|c| stmt.arg(c.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        stmt.sql = format!(
            "SELECT code, 'scope_item' AS kind, id FROM scope_items \
             WHERE project_id = {project} AND code IN ({list}) \
             UNION ALL SELECT number AS code, 'drawing' AS kind, id FROM drawings \
             WHERE project_id = {project} AND number IN ({list}) \
             UNION ALL SELECT code, 'spec' AS kind, id FROM specs \
             WHERE project_id = {project} AND code IN ({list})"
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, ReferenceRow, stmt)?);
        rows.into_iter()
            .map(|r| {
                Ok(Reference {
                    kind: parse_enum(&r.kind, "reference kind")?,
                    code: r.code,
                    id: r.id,
                })
            })
            .collect()
    }

    async fn project_people(&self, project_id: Uuid) -> DbResult<Vec<Person>> {
        let stmt = Stmt::new(
            "SELECT u.id, u.name, u.email, u.role, u.client_id, m.role AS member_role \
             FROM users u LEFT JOIN project_members m ON m.user_id = u.id AND m.project_id = $1 \
             WHERE u.status = 'active' AND (u.role IN ('admin', 'executive') \
             OR m.user_id IS NOT NULL OR (u.role = 'client' \
             AND u.client_id = (SELECT client_id FROM projects WHERE id = $1))) \
             ORDER BY u.name, u.id",
        )
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, PersonRow, stmt)?);
        rows.into_iter()
            .map(|r| {
                Ok(Person {
                    id: r.id,
                    name: r.name,
                    email: r.email,
                    role: parse_enum(&r.role, "users.role")?,
                    client_id: r.client_id,
                    membership: r
                        .member_role
                        .as_deref()
                        .map(|r| parse_enum(r, "project_members.role"))
                        .transpose()?,
                })
            })
            .collect()
    }
}
