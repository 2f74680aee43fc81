//! Calendar feed links (hashes only, like API tokens).

use formula_app::error::AppError;
use formula_app::repos::{CalendarFeed, CalendarFeedRepo};
use formula_domain::audit::AuditEntry;
use formula_domain::user::User;
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::sql::Stmt;
use crate::users::{USER_COLUMNS, UserRow};

const FEED_COLUMNS: &str = "f.id AS feed_id, f.user_id AS feed_user_id, f.project_id AS feed_project_id, \
     p.code AS feed_project_code, p.name AS feed_project_name, f.prefix AS feed_prefix, \
     f.created_at AS feed_created_at, f.last_used_at AS feed_last_used_at, f.revoked_at AS feed_revoked_at";

const FEED_FROM: &str = "calendar_feeds f LEFT JOIN projects p ON p.id = f.project_id";

#[derive(sqlx::FromRow)]
struct FeedRow {
    feed_id: Uuid,
    feed_user_id: Uuid,
    feed_project_id: Option<Uuid>,
    feed_project_code: Option<String>,
    feed_project_name: Option<String>,
    feed_prefix: String,
    feed_created_at: OffsetDateTime,
    feed_last_used_at: Option<OffsetDateTime>,
    feed_revoked_at: Option<OffsetDateTime>,
}

impl From<FeedRow> for CalendarFeed {
    fn from(r: FeedRow) -> Self {
        CalendarFeed {
            id: r.feed_id,
            user_id: r.feed_user_id,
            project_id: r.feed_project_id,
            project_code: r.feed_project_code,
            project_name: r.feed_project_name,
            prefix: r.feed_prefix,
            created_at: r.feed_created_at,
            last_used_at: r.feed_last_used_at,
            revoked_at: r.feed_revoked_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct FeedUserRow {
    #[sqlx(flatten)]
    feed: FeedRow,
    #[sqlx(flatten)]
    user: UserRow,
}

#[repo]
impl CalendarFeedRepo for Db {
    async fn insert_feed(
        &self,
        feed: &CalendarFeed,
        token_hash: &str,
        replacing: Option<Uuid>,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let insert = Stmt::new(
            "INSERT INTO calendar_feeds (id, user_id, project_id, prefix, token_hash, created_at, last_used_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)",
        )
        .bind(feed.id)
        .bind(feed.user_id)
        .bind(feed.project_id)
        .bind(&feed.prefix)
        .bind(token_hash)
        .bind(feed.created_at);
        let revoke = replacing.map(|old| {
            Stmt::new(
                "UPDATE calendar_feeds SET revoked_at = $1 \
                 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            )
            .bind(feed.created_at)
            .bind(old)
            .bind(feed.user_id)
        });
        in_tx!(self, |tx| {
            if let Some(revoke) = revoke
                && exec!(&mut *tx, revoke)?.rows_affected() == 0
            {
                return Err(DbError::App(AppError::NotFound("calendar feed")));
            }
            exec!(&mut *tx, insert)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn list_feeds(&self, user_id: Uuid) -> DbResult<Vec<CalendarFeed>> {
        let stmt = Stmt::new(format!(
            "SELECT {FEED_COLUMNS} FROM {FEED_FROM} WHERE f.user_id = $1 \
             ORDER BY f.created_at DESC, f.id DESC"
        ))
        .bind(user_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, FeedRow, stmt)?);
        Ok(rows.into_iter().map(CalendarFeed::from).collect())
    }

    async fn get_feed(&self, user_id: Uuid, id: Uuid) -> DbResult<Option<CalendarFeed>> {
        let stmt = Stmt::new(format!(
            "SELECT {FEED_COLUMNS} FROM {FEED_FROM} WHERE f.id = $1 AND f.user_id = $2"
        ))
        .bind(id)
        .bind(user_id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, FeedRow, stmt)?);
        Ok(row.map(CalendarFeed::from))
    }

    async fn feed_by_hash(&self, token_hash: &str) -> DbResult<Option<(CalendarFeed, User)>> {
        let stmt = Stmt::new(format!(
            "SELECT {FEED_COLUMNS}, {USER_COLUMNS} FROM {FEED_FROM} \
             JOIN users u ON u.id = f.user_id WHERE f.token_hash = $1"
        ))
        .bind(token_hash);
        let row = on_reader!(self, |pool| fetch_optional!(pool, FeedUserRow, stmt)?);
        row.map(|r| Ok((CalendarFeed::from(r.feed), User::try_from(r.user)?)))
            .transpose()
    }

    async fn touch_feed(&self, id: Uuid, at: OffsetDateTime) -> DbResult<()> {
        let stmt = Stmt::new("UPDATE calendar_feeds SET last_used_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn revoke_feed(
        &self,
        user_id: Uuid,
        id: Uuid,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<bool> {
        let stmt = Stmt::new(
            "UPDATE calendar_feeds SET revoked_at = $1 \
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(user_id);
        Ok(in_tx!(self, |tx| {
            let revoked = exec!(&mut *tx, stmt)?.rows_affected() > 0;
            // Nothing happened, so there is nothing to audit.
            if revoked {
                exec!(&mut *tx, audit::insert(entry))?;
            }
            revoked
        }))
    }
}
