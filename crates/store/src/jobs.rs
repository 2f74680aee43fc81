//! The job queue, the scheduler's leases and the housekeeping the scheduled jobs do.
//!
//! Claiming differs per backend: PostgreSQL picks the row with `FOR UPDATE SKIP LOCKED`,
//! so concurrent claimers on several instances each get a different job without waiting;
//! SQLite runs every write on its one writer connection (`BEGIN IMMEDIATE`), so the same
//! `UPDATE … WHERE id = (SELECT … LIMIT 1)` is already exclusive there.

use formula_app::jobs::{Housekeeping, Job, JobQuery, JobQueue, JobStatus, NewJob};
use formula_app::ports::OutboxMail;
use formula_app::query::Page;
use formula_domain::audit::AuditEntry;
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::{Backend, Db};
use crate::rows::{convert, parse_enum, parse_json};
use crate::sql::{Filter, Stmt, limit_offset};

const JOB_COLUMNS: &str = "id, kind, payload, status, attempts, max_attempts, run_at, locked_by, locked_until, \
     last_error, unique_key, created_at, updated_at, finished_at";

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    kind: String,
    payload: String,
    status: String,
    attempts: i32,
    max_attempts: i32,
    run_at: OffsetDateTime,
    locked_by: Option<String>,
    locked_until: Option<OffsetDateTime>,
    last_error: Option<String>,
    unique_key: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    finished_at: Option<OffsetDateTime>,
}

impl TryFrom<JobRow> for Job {
    type Error = DbError;
    fn try_from(r: JobRow) -> DbResult<Self> {
        Ok(Job {
            id: r.id,
            kind: r.kind,
            payload: parse_json(&r.payload, "jobs.payload")?,
            status: parse_enum::<JobStatus>(&r.status, "jobs.status")?,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            run_at: r.run_at,
            locked_by: r.locked_by,
            locked_until: r.locked_until,
            last_error: r.last_error,
            unique_key: r.unique_key,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        })
    }
}

/// The INSERT for one job; run it on the transaction of the change that causes it.
/// A job whose `unique_key` is taken is skipped (`rows_affected` 0).
pub(crate) fn insert(job: &NewJob) -> Stmt {
    let now = OffsetDateTime::now_utc();
    Stmt::new(
        "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, unique_key, created_at, updated_at) \
         VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $7) ON CONFLICT (unique_key) DO NOTHING",
    )
    .bind(job.id)
    .bind(&job.kind)
    .bind(job.payload.to_string())
    .bind(job.max_attempts.max(1))
    .bind(job.run_at)
    .bind(&job.unique_key)
    .bind(now)
}

/// Error messages are kept short in the table; the log has the whole story.
fn clip(error: &str) -> String {
    error.chars().take(2000).collect()
}

#[derive(sqlx::FromRow)]
struct StatusCount {
    status: String,
    n: i64,
}

#[repo]
impl JobQueue for Db {
    async fn enqueue(&self, job: &NewJob) -> DbResult<bool> {
        Ok(in_tx!(self, |tx| exec!(&mut *tx, insert(job))?
            .rows_affected()
            > 0))
    }

    async fn claim_job(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lock_until: OffsetDateTime,
    ) -> DbResult<Option<Job>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let stmt = Stmt::new(format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs WHERE status IN ('queued', 'failed') AND run_at <= $3 \
             ORDER BY run_at, id LIMIT 1{lock}) RETURNING {JOB_COLUMNS}"
        ))
        .bind(worker)
        .bind(lock_until)
        .bind(now);
        let row = in_tx!(self, |tx| fetch_optional!(&mut *tx, JobRow, stmt)?);
        row.map(Job::try_from).transpose()
    }

    async fn complete_job(
        &self,
        id: Uuid,
        worker: &str,
        now: OffsetDateTime,
        mail: Option<&OutboxMail>,
    ) -> DbResult<bool> {
        let done = Stmt::new(
            "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, updated_at = $1, finished_at = $1 \
             WHERE id = $2 AND status = 'running' AND locked_by = $3",
        )
        .bind(now)
        .bind(id)
        .bind(worker);
        Ok(in_tx!(self, |tx| {
            let owned = exec!(&mut *tx, done)?.rows_affected() > 0;
            // Only the worker that still owns the job records its mail: if the lock was lost,
            // the new owner records it, never both.
            if owned && let Some(m) = mail {
                exec!(&mut *tx, crate::auth::insert_mail_stmt(m))?;
            }
            owned
        }))
    }

    async fn fail_job(
        &self,
        id: Uuid,
        worker: &str,
        now: OffsetDateTime,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> DbResult<bool> {
        let stmt = match retry_at {
            Some(at) => Stmt::new(
                "UPDATE jobs SET status = 'failed', run_at = $1, locked_by = NULL, locked_until = NULL, last_error = $2, \
                 updated_at = $3 WHERE id = $4 AND status = 'running' AND locked_by = $5",
            )
            .bind(at),
            None => Stmt::new(
                "UPDATE jobs SET status = 'dead', locked_by = NULL, locked_until = NULL, last_error = $1, \
                 updated_at = $2, finished_at = $2 WHERE id = $3 AND status = 'running' AND locked_by = $4",
            ),
        }
        .bind(clip(error))
        .bind(now)
        .bind(id)
        .bind(worker);
        Ok(in_tx!(self, |tx| exec!(&mut *tx, stmt)?.rows_affected() > 0))
    }

    async fn release_job(&self, id: Uuid, worker: &str, now: OffsetDateTime) -> DbResult<bool> {
        // The attempt never started, so it is not counted.
        let stmt = Stmt::new(
            "UPDATE jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL, updated_at = $1 \
             WHERE id = $2 AND status = 'running' AND locked_by = $3",
        )
        .bind(now)
        .bind(id)
        .bind(worker);
        Ok(in_tx!(self, |tx| exec!(&mut *tx, stmt)?.rows_affected() > 0))
    }

    async fn release_expired_jobs(&self, now: OffsetDateTime) -> DbResult<u64> {
        // A job that keeps killing its instance would otherwise be retried for ever.
        let stmt = Stmt::new(
            "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
             finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END, \
             last_error = 'the worker stopped before finishing (its lock expired)', \
             locked_by = NULL, locked_until = NULL, updated_at = $1 \
             WHERE status = 'running' AND locked_until < $1",
        )
        .bind(now);
        Ok(in_tx!(self, |tx| exec!(&mut *tx, stmt)?.rows_affected()))
    }

    async fn get_job(&self, id: Uuid) -> DbResult<Option<Job>> {
        let stmt = Stmt::new(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1")).bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, JobRow, stmt)?);
        row.map(Job::try_from).transpose()
    }

    async fn list_jobs(&self, query: &JobQuery) -> DbResult<Page<Job>> {
        let mut f = Filter::new();
        if let Some(s) = query.status {
            let p = f.arg(s.as_str());
            f.and(format!("status = {p}"));
        }
        if let Some(k) = query.kind.as_deref() {
            let p = f.arg(k);
            f.and(format!("kind = {p}"));
        }
        let where_sql = f.where_sql();
        let count = Stmt {
            sql: format!("SELECT COUNT(*) FROM jobs{where_sql}"),
            args: f.stmt.args.clone(),
        };
        let mut page = f.stmt;
        let limit = limit_offset(&query.paging);
        page.sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs{where_sql} ORDER BY created_at DESC, id DESC{limit}"
        );
        let (total, rows) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (total, fetch_all!(pool, JobRow, page)?)
        });
        Ok(Page::new(convert(rows)?, total, query.paging))
    }

    async fn retry_dead_job(
        &self,
        id: Uuid,
        now: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<Option<Job>> {
        let stmt = Stmt::new(format!(
            "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, finished_at = NULL, updated_at = $1 \
             WHERE id = $2 AND status = 'dead' RETURNING {JOB_COLUMNS}"
        ))
        .bind(now)
        .bind(id);
        let row = in_tx!(self, |tx| {
            let row = fetch_optional!(&mut *tx, JobRow, stmt)?;
            if row.is_some() {
                exec!(&mut *tx, audit::insert(entry))?;
            }
            row
        });
        row.map(Job::try_from).transpose()
    }

    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> DbResult<bool> {
        // One statement takes a free or expired lease, renews our own, and leaves anyone
        // else's alone (no row returned); concurrent callers serialise on the row.
        let stmt = Stmt::new(
            "INSERT INTO scheduler_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE scheduler_leases.holder = excluded.holder OR scheduler_leases.expires_at <= $4 \
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(until)
        .bind(now);
        Ok(in_tx!(self, |tx| fetch_optional!(
            &mut *tx,
            (String,),
            stmt
        )?
        .is_some()))
    }

    async fn release_lease(&self, name: &str, holder: &str) -> DbResult<()> {
        let stmt = Stmt::new("DELETE FROM scheduler_leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn count_jobs_by_status(&self) -> DbResult<Vec<(JobStatus, i64)>> {
        let stmt =
            Stmt::new("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status");
        let rows = on_reader!(self, |pool| fetch_all!(pool, StatusCount, stmt)?);
        rows.into_iter()
            .map(|r| Ok((parse_enum(&r.status, "jobs.status")?, r.n)))
            .collect()
    }
}

#[repo]
impl Housekeeping for Db {
    async fn delete_stale_credentials(
        &self,
        now: OffsetDateTime,
        idle_before: OffsetDateTime,
    ) -> DbResult<u64> {
        let sessions =
            Stmt::new("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                .bind(now)
                .bind(idle_before);
        let resets =
            Stmt::new("DELETE FROM password_resets WHERE expires_at <= $1 OR used_at IS NOT NULL")
                .bind(now);
        Ok(in_tx!(self, |tx| {
            exec!(&mut *tx, sessions)?.rows_affected() + exec!(&mut *tx, resets)?.rows_affected()
        }))
    }

    async fn delete_audit_before(
        &self,
        before: OffsetDateTime,
        keep_actions: &[&str],
    ) -> DbResult<u64> {
        let mut stmt = Stmt::new("");
        let at = stmt.arg(before);
        let keep: Vec<String> = keep_actions.iter().map(|a| stmt.arg(*a)).collect();
        stmt.sql = if keep.is_empty() {
            format!("DELETE FROM audit_log WHERE at < {at}")
        } else {
            format!(
                "DELETE FROM audit_log WHERE at < {at} AND action NOT IN ({})",
                keep.join(", ")
            )
        };
        Ok(in_tx!(self, |tx| exec!(&mut *tx, stmt)?.rows_affected()))
    }

    async fn delete_finished_jobs(&self, before: OffsetDateTime) -> DbResult<u64> {
        let stmt =
            Stmt::new("DELETE FROM jobs WHERE status = 'done' AND finished_at < $1").bind(before);
        Ok(in_tx!(self, |tx| exec!(&mut *tx, stmt)?.rows_affected()))
    }

    async fn optimize_database(&self) -> DbResult<()> {
        match &self.pool {
            // On the writer: `PRAGMA optimize` may run ANALYZE, which writes statistics.
            crate::pool::Pool::Sqlite { write, .. } => {
                exec!(&mut *write.acquire().await?, Stmt::new("PRAGMA optimize"))?;
            }
            crate::pool::Pool::Postgres(pool) => {
                exec!(&mut *pool.acquire().await?, Stmt::new("ANALYZE"))?;
            }
        }
        Ok(())
    }
}
