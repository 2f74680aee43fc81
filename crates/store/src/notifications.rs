//! Notifications, their e-mail settings and time zones, and link-signing keys (migration
//! 0017). Every read of an inbox, and every mail, keeps to the projects the recipient can
//! see at that moment: access can change between the event and its delivery.

use formula_app::query::Page;
use formula_app::repos::{
    DigestRecipient, DueTask, InboxQuery, NewNotification, NotificationRepo, RecordKey,
};
use formula_domain::notification::{Category, EmailMode, Notification};
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::comments::ensure_thread;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::parse_enum;
use crate::sql::{Filter, Stmt, limit_offset};

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: Uuid,
    user_id: Uuid,
    project_id: Uuid,
    project_code: String,
    record_kind: String,
    thread_id: Uuid,
    comment_id: Option<Uuid>,
    event: String,
    category: String,
    actor_id: Option<Uuid>,
    actor_name: Option<String>,
    title: String,
    excerpt: Option<String>,
    link: String,
    internal: i32,
    email_mode: String,
    created_at: OffsetDateTime,
    read_at: Option<OffsetDateTime>,
    emailed_at: Option<OffsetDateTime>,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = DbError;
    fn try_from(r: NotificationRow) -> DbResult<Self> {
        Ok(Notification {
            id: r.id,
            user_id: r.user_id,
            project_id: r.project_id,
            project_code: r.project_code,
            record_kind: parse_enum(&r.record_kind, "notifications.record_kind")?,
            record_id: r.thread_id,
            comment_id: r.comment_id,
            event: parse_enum(&r.event, "notifications.event")?,
            category: parse_enum(&r.category, "notifications.category")?,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            title: r.title,
            excerpt: r.excerpt,
            link: r.link,
            internal: r.internal != 0,
            email_mode: parse_enum(&r.email_mode, "notifications.email_mode")?,
            created_at: r.created_at,
            read_at: r.read_at,
            emailed_at: r.emailed_at,
        })
    }
}

fn convert(rows: Vec<NotificationRow>) -> DbResult<Vec<Notification>> {
    rows.into_iter().map(Notification::try_from).collect()
}

const COLUMNS: &str = "n.id, n.user_id, n.project_id, p.code AS project_code, n.record_kind, \
     n.thread_id, n.comment_id, n.event, n.category, n.actor_id, n.actor_name, n.title, \
     n.excerpt, n.link, n.internal, n.email_mode, n.created_at, n.read_at, n.emailed_at";

/// The recipient (active) can see the notification's project now: administrators and
/// executives every project, the team theirs, a client user their organisation's, and only
/// what is not internal.
const VISIBLE: &str = "EXISTS (SELECT 1 FROM users u WHERE u.id = n.user_id \
     AND u.status = 'active' AND (u.role IN ('admin', 'executive') \
     OR (u.role = 'client' AND n.internal = 0 AND u.client_id = p.client_id) \
     OR (u.role <> 'client' AND EXISTS (SELECT 1 FROM project_members m \
         WHERE m.project_id = n.project_id AND m.user_id = n.user_id))))";

#[derive(sqlx::FromRow)]
struct PrefRow {
    category: String,
    mode: String,
}

#[derive(sqlx::FromRow)]
struct DigestRow {
    user_id: Uuid,
    time_zone: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: Uuid,
    project_id: Uuid,
    title: String,
    due_date: Date,
    assignee_id: Option<Uuid>,
}

#[repo]
impl NotificationRepo for Db {
    async fn insert_notifications(
        &self,
        record: RecordKey,
        items: &[NewNotification],
    ) -> DbResult<Vec<Uuid>> {
        let Some(first) = items.first() else {
            return Ok(Vec::new());
        };
        let mut stored = Vec::new();
        in_tx!(self, |tx| {
            exec!(&mut *tx, ensure_thread(record, first.created_at))?;
            for n in items {
                let insert = Stmt::new(
                    "INSERT INTO notifications (id, user_id, project_id, thread_id, record_kind, \
                     comment_id, event, category, actor_id, actor_name, title, excerpt, link, \
                     internal, dedupe_key, email_mode, created_at) VALUES ($1, $2, $3, $4, $5, \
                     $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                     ON CONFLICT (user_id, dedupe_key) DO NOTHING",
                )
                .bind(n.id)
                .bind(n.user_id)
                .bind(record.project_id)
                .bind(record.id)
                .bind(record.kind.as_str())
                .bind(n.comment_id)
                .bind(n.event.as_str())
                .bind(n.event.category().as_str())
                .bind(n.actor_id)
                .bind(&n.actor_name)
                .bind(&n.title)
                .bind(&n.excerpt)
                .bind(&n.link)
                .bind(i32::from(n.internal))
                .bind(&n.dedupe_key)
                .bind(n.email_mode.as_str())
                .bind(n.created_at);
                if exec!(&mut *tx, insert)?.rows_affected() > 0 {
                    stored.push(n.id);
                    if let Some(job) = &n.mail {
                        exec!(&mut *tx, crate::jobs::insert(job))?;
                    }
                }
            }
        });
        Ok(stored)
    }

    async fn list_notifications(
        &self,
        user_id: Uuid,
        query: &InboxQuery,
    ) -> DbResult<Page<Notification>> {
        let mut f = Filter::new();
        let p = f.arg(user_id);
        f.and(format!("n.user_id = {p}"));
        f.and(VISIBLE);
        if query.unread {
            f.and("n.read_at IS NULL");
        }
        if let Some(c) = query.category {
            let p = f.arg(c.as_str());
            f.and(format!("n.category = {p}"));
        }
        if let Some(id) = query.project_id {
            let p = f.arg(id);
            f.and(format!("n.project_id = {p}"));
        }
        let where_sql = f.where_sql();
        let from = "FROM notifications n JOIN projects p ON p.id = n.project_id";
        let count = Stmt {
            sql: format!("SELECT COUNT(*) {from}{where_sql}"),
            args: f.stmt.args.clone(),
        };
        let mut page = f.stmt;
        page.sql = format!(
            "SELECT {COLUMNS} {from}{where_sql} ORDER BY n.created_at DESC, n.id DESC{}",
            limit_offset(&query.paging)
        );
        let (total, rows) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (total, fetch_all!(pool, NotificationRow, page)?)
        });
        Ok(Page::new(convert(rows)?, total, query.paging))
    }

    async fn get_notification(&self, user_id: Uuid, id: Uuid) -> DbResult<Option<Notification>> {
        let stmt = Stmt::new(format!(
            "SELECT {COLUMNS} FROM notifications n JOIN projects p ON p.id = n.project_id \
             WHERE n.id = $1 AND n.user_id = $2 AND {VISIBLE}"
        ))
        .bind(id)
        .bind(user_id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, NotificationRow, stmt)?);
        row.map(Notification::try_from).transpose()
    }

    async fn unread_count(&self, user_id: Uuid) -> DbResult<i64> {
        let stmt = Stmt::new(format!(
            "SELECT COUNT(*) FROM notifications n JOIN projects p ON p.id = n.project_id \
             WHERE n.user_id = $1 AND n.read_at IS NULL AND {VISIBLE}"
        ))
        .bind(user_id);
        Ok(on_reader!(self, |pool| fetch_scalar!(pool, i64, stmt)?))
    }

    async fn mark_read(
        &self,
        user_id: Uuid,
        ids: Option<&[Uuid]>,
        at: OffsetDateTime,
    ) -> DbResult<u64> {
        let mut stmt = Stmt::new("");
        let at_p = stmt.arg(at);
        let user_p = stmt.arg(user_id);
        let only = match ids {
            None => String::new(),
            Some([]) => return Ok(0),
            Some(ids) => {
                let list: Vec<String> = ids.iter().map(|id| stmt.arg(*id)).collect();
                format!(" AND id IN ({})", list.join(", "))
            }
        };
        stmt.sql = format!(
            "UPDATE notifications SET read_at = {at_p} WHERE user_id = {user_p} \
             AND read_at IS NULL{only}"
        );
        let n = in_tx!(self, |tx| exec!(&mut *tx, stmt)?.rows_affected());
        Ok(n)
    }

    async fn email_prefs(&self, user_id: Uuid) -> DbResult<Vec<(Category, EmailMode)>> {
        let stmt = Stmt::new(
            "SELECT category, mode FROM notification_prefs WHERE user_id = $1 ORDER BY category",
        )
        .bind(user_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, PrefRow, stmt)?);
        rows.into_iter()
            .map(|r| {
                Ok((
                    parse_enum(&r.category, "notification_prefs.category")?,
                    parse_enum(&r.mode, "notification_prefs.mode")?,
                ))
            })
            .collect()
    }

    async fn set_email_prefs(
        &self,
        user_id: Uuid,
        prefs: &[(Category, EmailMode)],
    ) -> DbResult<()> {
        in_tx!(self, |tx| {
            for (category, mode) in prefs {
                let upsert = Stmt::new(
                    "INSERT INTO notification_prefs (user_id, category, mode) VALUES ($1, $2, $3) \
                     ON CONFLICT (user_id, category) DO UPDATE SET mode = excluded.mode",
                )
                .bind(user_id)
                .bind(category.as_str())
                .bind(mode.as_str());
                exec!(&mut *tx, upsert)?;
            }
        });
        Ok(())
    }

    async fn time_zone(&self, user_id: Uuid) -> DbResult<Option<String>> {
        let stmt =
            Stmt::new("SELECT time_zone FROM user_settings WHERE user_id = $1").bind(user_id);
        let zones = on_reader!(self, |pool| fetch_scalars!(pool, String, stmt)?);
        Ok(zones.into_iter().next())
    }

    async fn set_time_zone(&self, user_id: Uuid, zone: &str, at: OffsetDateTime) -> DbResult<()> {
        let upsert = Stmt::new(
            "INSERT INTO user_settings (user_id, time_zone, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, \
             updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(zone)
        .bind(at);
        in_tx!(self, |tx| {
            exec!(&mut *tx, upsert)?;
        });
        Ok(())
    }

    async fn take_for_mail(
        &self,
        user_id: Uuid,
        mode: EmailMode,
        mail_id: Uuid,
        up_to: OffsetDateTime,
        at: OffsetDateTime,
    ) -> DbResult<Vec<Notification>> {
        // `p` in VISIBLE is the notification's project, read through a subquery here (an
        // UPDATE has no JOIN on both backends). The conditions sit on the UPDATE itself, not
        // in a subquery of ids, so that PostgreSQL checks them again on a row another
        // instance took meanwhile: `mail_id` is then no longer free, and the row is skipped.
        let visible = VISIBLE.replace(
            "p.client_id",
            "(SELECT pr.client_id FROM projects pr WHERE pr.id = n.project_id)",
        );
        let take = Stmt::new(format!(
            "UPDATE notifications AS n SET mail_id = $1, emailed_at = $2 WHERE n.user_id = $3 \
             AND n.email_mode = $4 AND n.created_at <= $5 AND (n.mail_id IS NULL OR n.mail_id = $1) \
             AND {visible}"
        ))
        .bind(mail_id)
        .bind(at)
        .bind(user_id)
        .bind(mode.as_str())
        .bind(up_to);
        let taken = Stmt::new(format!(
            "SELECT {COLUMNS} FROM notifications n JOIN projects p ON p.id = n.project_id \
             WHERE n.mail_id = $1 ORDER BY n.created_at, n.id"
        ))
        .bind(mail_id);
        let rows = in_tx!(self, |tx| {
            exec!(&mut *tx, take)?;
            fetch_all!(&mut *tx, NotificationRow, taken)?
        });
        convert(rows)
    }

    async fn release_mail(&self, mail_id: Uuid) -> DbResult<()> {
        let stmt = Stmt::new(
            "UPDATE notifications SET mail_id = NULL, emailed_at = NULL WHERE mail_id = $1",
        )
        .bind(mail_id);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn digest_recipients(&self, up_to: OffsetDateTime) -> DbResult<Vec<DigestRecipient>> {
        let stmt = Stmt::new(
            "SELECT u.id AS user_id, s.time_zone FROM users u \
             LEFT JOIN user_settings s ON s.user_id = u.id WHERE u.status = 'active' \
             AND EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = u.id \
             AND n.email_mode = 'digest' AND n.mail_id IS NULL AND n.created_at <= $1) \
             ORDER BY u.id",
        )
        .bind(up_to);
        let rows = on_reader!(self, |pool| fetch_all!(pool, DigestRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| DigestRecipient {
                user_id: r.user_id,
                time_zone: r.time_zone,
            })
            .collect())
    }

    async fn tasks_due(
        &self,
        dates: &[Date],
        overdue_before: Option<Date>,
    ) -> DbResult<Vec<DueTask>> {
        let mut f = Filter::new();
        let mut when: Vec<String> = Vec::new();
        if !dates.is_empty() {
            let list: Vec<String> = dates.iter().map(|d| f.date(*d)).collect();
            when.push(format!("t.due_date IN ({})", list.join(", ")));
        }
        if let Some(d) = overdue_before {
            when.push(format!("t.due_date < {}", f.date(d)));
        }
        if when.is_empty() {
            return Ok(Vec::new());
        }
        f.and(format!("({})", when.join(" OR ")));
        f.and("t.assignee_id IS NOT NULL");
        f.and("t.status NOT IN ('completed', 'cancelled')");
        f.and("p.status IN ('on_tender', 'awarded', 'active', 'on_hold')");
        let mut stmt = f.stmt.clone();
        stmt.sql = format!(
            "SELECT t.id, t.project_id, t.title, t.due_date, t.assignee_id FROM tasks t \
             JOIN projects p ON p.id = t.project_id{} ORDER BY t.due_date, t.id",
            f.where_sql()
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, DueRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| DueTask {
                id: r.id,
                project_id: r.project_id,
                title: r.title,
                due_date: r.due_date,
                assignee_id: r.assignee_id,
            })
            .collect())
    }

    async fn signing_key(
        &self,
        name: &str,
        candidate: &str,
        at: OffsetDateTime,
    ) -> DbResult<String> {
        let insert = Stmt::new(
            "INSERT INTO signing_keys (name, secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(at);
        let read = Stmt::new("SELECT secret FROM signing_keys WHERE name = $1").bind(name);
        let secret = in_tx!(self, |tx| {
            exec!(&mut *tx, insert)?;
            fetch_scalar!(&mut *tx, String, read)?
        });
        Ok(secret)
    }
}
