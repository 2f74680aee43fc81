//! Background jobs: a queue in the database, a worker that runs them and a scheduler that
//! enqueues the periodic ones.
//!
//! - A job is enqueued in the same transaction as the change that causes it (the password
//!   reset writes its token and its `send_email` job together), so a crash never loses one.
//! - Workers claim one due job at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single
//!   writer connection on SQLite), so several instances never run the same job twice.
//! - A failed attempt is retried with exponential back-off; after `max_attempts` the job is
//!   `dead` and waits for an administrator (`/api/v1/system/jobs`, the Jobs page).
//! - A claimed job is locked for [`LOCK_FOR`]; if its instance dies, the lock expires and the
//!   job goes back to the queue.
//!
//! The ports are [`JobQueue`] and [`Housekeeping`]; `formula-store` implements both.

pub mod cron;
mod host;
pub mod lease;
mod scheduler;
pub(crate) mod worker;

use async_trait::async_trait;
use formula_domain::audit::AuditEntry;
use formula_domain::authz::{Action, Resource};
use formula_domain::enums::UnknownValue;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::ports::OutboxMail;
use crate::query::{Page, Paging};
use crate::services::{Services, audit, ensure};

pub use cron::Cron;
pub use host::{JobHost, NoHost};
pub use scheduler::{
    DEFAULT_AUDIT_RETENTION, DEFAULT_CLEANUP_SESSIONS, DEFAULT_DB_MAINTENANCE, LEASE_NAME,
    Schedule, SchedulerConfig, run_scheduler,
};
pub use worker::{RunOutcome, run_worker};

/// Sends one email: payload `{to, subject, body}`, and optionally `attachments`, a list of
/// `{blob_key, file_name, content_type}`: stored files (kept by the BlobStore, as the
/// attachment of a record) the worker reads and attaches when it sends.
pub const SEND_EMAIL: &str = "send_email";
/// Deletes expired and idle sessions and used or expired password-reset links, and removes
/// stored files whose records were deleted but whose removal failed at the time.
pub const CLEANUP_SESSIONS: &str = "cleanup_sessions";
/// Deletes audit entries older than the retention (payload `{days}`), except [`KEEP_ACTIONS`].
pub const AUDIT_RETENTION: &str = "audit_retention";
/// Refreshes the query planner's statistics (PostgreSQL `ANALYZE`, SQLite `PRAGMA optimize`).
pub const DB_MAINTENANCE: &str = "db_maintenance";
/// Deletes finished jobs older than [`DONE_JOBS_KEPT`].
pub const JOBS_CLEANUP: &str = "jobs_cleanup";

/// Audit actions kept whatever their age: decisions a contractor may have to prove years
/// later. Today that is a project's status change (tender awarded, not awarded, cancelled…);
/// approval actions join this list when approvals arrive.
pub const KEEP_ACTIONS: &[&str] = &["status_change", "approve", "reject"];
/// Attempts before a job is dead, unless the job says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 5;
/// How long a claimed job stays locked to its worker. A job still running after this is
/// presumed lost with its instance and handed to another worker.
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// Finished (`done`) jobs are deleted after this long; dead ones stay until retried.
pub const DONE_JOBS_KEPT: Duration = Duration::days(14);
/// The first retry waits this long; each further one twice as long.
const BACKOFF_BASE: Duration = Duration::seconds(30);
/// Longest wait between two attempts.
const BACKOFF_CAP: Duration = Duration::hours(1);

/// Where a job is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for `run_at`.
    Queued,
    /// Claimed by a worker (`locked_by`) until `locked_until`.
    Running,
    /// Finished successfully.
    Done,
    /// An attempt failed; it is retried at `run_at`.
    Failed,
    /// Every attempt failed: an administrator may retry it.
    Dead,
}

impl JobStatus {
    /// Every status, in life order.
    pub const ALL: &'static [JobStatus] = &[
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Done,
        JobStatus::Failed,
        JobStatus::Dead,
    ];

    /// The stored / wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Dead => "dead",
        }
    }
}

impl std::str::FromStr for JobStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownValue {
                allowed: "queued, running, done, failed, dead".into(),
            })
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: Uuid,
    /// What to do: `send_email`, `cleanup_sessions`, `audit_retention`, `db_maintenance`,
    /// `jobs_cleanup`, or a kind the server handles itself through a [`JobHost`] (`backup`).
    pub kind: String,
    /// The job's input, as the handler of its kind expects it.
    pub payload: serde_json::Value,
    pub status: JobStatus,
    /// Attempts started so far.
    pub attempts: i32,
    pub max_attempts: i32,
    /// When it may (next) run.
    #[serde(with = "time::serde::rfc3339")]
    pub run_at: OffsetDateTime,
    /// The worker running it, while `running`.
    pub locked_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Set for scheduled jobs (`kind@slot`), so one slot is enqueued once across instances.
    pub unique_key: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub max_attempts: i32,
    pub run_at: OffsetDateTime,
    /// When set, a second job with the same key is silently not enqueued.
    pub unique_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` to run now, with the default number of attempts.
    pub fn new(kind: &str, payload: serde_json::Value) -> NewJob {
        NewJob {
            id: formula_domain::new_id(),
            kind: kind.to_owned(),
            payload,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_at: OffsetDateTime::now_utc(),
            unique_key: None,
        }
    }

    /// The `send_email` job for one message.
    pub fn email(to: &str, subject: &str, body: &str) -> NewJob {
        NewJob::new(
            SEND_EMAIL,
            serde_json::json!({"to": to, "subject": subject, "body": body}),
        )
    }

    /// The `send_email` job for one message with stored files attached.
    pub fn email_with(
        to: &str,
        subject: &str,
        body: &str,
        attachments: &[JobAttachment],
    ) -> NewJob {
        NewJob::new(
            SEND_EMAIL,
            serde_json::json!({
                "to": to,
                "subject": subject,
                "body": body,
                "attachments": attachments,
            }),
        )
    }
}

/// A stored file a `send_email` job attaches: the blob's key (never shown), and the name
/// and type the mail gives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobAttachment {
    pub blob_key: String,
    pub file_name: String,
    pub content_type: String,
}

/// Filters of the admin job list.
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    pub status: Option<JobStatus>,
    pub kind: Option<String>,
    pub paging: Paging,
}

/// The job queue and the scheduler's leases. Methods that change a claimed job take the
/// worker's id and do nothing (returning `false`) if the job is no longer locked by it:
/// its lock expired and another worker took it over.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Enqueues a job on its own. Returns `false` if its `unique_key` is already taken.
    /// Jobs caused by a change are enqueued by that change's store method instead.
    async fn enqueue(&self, job: &NewJob) -> AppResult<bool>;
    /// Claims the earliest due job (`queued` or `failed`, `run_at <= now`): marks it
    /// `running`, counts the attempt and locks it to `worker` until `lock_until`.
    async fn claim_job(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lock_until: OffsetDateTime,
    ) -> AppResult<Option<Job>>;
    /// Marks the job `done`; with `mail`, records it in the outbox in the same transaction.
    async fn complete_job(
        &self,
        id: Uuid,
        worker: &str,
        now: OffsetDateTime,
        mail: Option<&OutboxMail>,
    ) -> AppResult<bool>;
    /// Records a failed attempt: `failed` until `retry_at`, or `dead` when `None`.
    async fn fail_job(
        &self,
        id: Uuid,
        worker: &str,
        now: OffsetDateTime,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> AppResult<bool>;
    /// Puts a claimed job that was not started back in the queue, uncounted.
    async fn release_job(&self, id: Uuid, worker: &str, now: OffsetDateTime) -> AppResult<bool>;
    /// Requeues `running` jobs whose lock expired (their instance died); ones that used
    /// up their attempts become `dead`. Returns how many.
    async fn release_expired_jobs(&self, now: OffsetDateTime) -> AppResult<u64>;
    async fn get_job(&self, id: Uuid) -> AppResult<Option<Job>>;
    /// Jobs matching the query, newest first.
    async fn list_jobs(&self, query: &JobQuery) -> AppResult<Page<Job>>;
    /// Requeues a `dead` job with fresh attempts, and audits it. `None` if it is not dead (any more).
    async fn retry_dead_job(
        &self,
        id: Uuid,
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<Option<Job>>;
    /// Takes or renews the lease `name` for `holder` until `until`, unless another holder's
    /// lease is still valid at `now`. Atomic: of two instances asking, one gets it.
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> AppResult<bool>;
    /// Gives up a lease (on shutdown), if `holder` still has it.
    async fn release_lease(&self, name: &str, holder: &str) -> AppResult<()>;
    /// How many jobs are in each status (statuses without any are left out). One grouped
    /// count, cheap enough for every metrics scrape.
    async fn count_jobs_by_status(&self) -> AppResult<Vec<(JobStatus, i64)>>;
}

/// Periodic clean-up the scheduled jobs perform.
#[async_trait]
pub trait Housekeeping: Send + Sync {
    /// Deletes sessions expired at `now` or unused since `idle_before`, and reset links that
    /// are used or expired. Returns how many rows went.
    async fn delete_stale_credentials(
        &self,
        now: OffsetDateTime,
        idle_before: OffsetDateTime,
    ) -> AppResult<u64>;
    /// Deletes audit entries older than `before` whose action is not in `keep_actions`.
    async fn delete_audit_before(
        &self,
        before: OffsetDateTime,
        keep_actions: &[&str],
    ) -> AppResult<u64>;
    /// Deletes `done` jobs finished before `before`.
    async fn delete_finished_jobs(&self, before: OffsetDateTime) -> AppResult<u64>;
    /// Refreshes planner statistics (PostgreSQL `ANALYZE`; SQLite `PRAGMA optimize`).
    async fn optimize_database(&self) -> AppResult<()>;
}

/// The wait before retrying after attempt number `attempts` (1-based) failed:
/// 30 s × 2^(attempts−1), at most an hour, plus up to 10 % jitter so jobs that failed
/// together do not all retry in the same instant.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    let base = (BACKOFF_BASE * 2i32.pow(exp)).min(BACKOFF_CAP);
    let mut byte = [0u8; 2];
    let jitter = match getrandom::fill(&mut byte) {
        Ok(()) => base * (f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX) / 10.0),
        Err(_) => Duration::ZERO,
    };
    base + jitter
}

impl Services {
    /// Wakes an idle worker of this process at once (after enqueueing).
    pub(crate) fn wake_workers(&self) {
        self.job_wake.notify_one();
    }

    /// Enqueues a job on its own (not as part of another change).
    pub async fn enqueue_job(&self, job: &NewJob) -> AppResult<bool> {
        let added = self.store.enqueue(job).await?;
        if added {
            self.wake_workers();
        }
        Ok(added)
    }

    /// The job list (administrators).
    pub async fn list_jobs(&self, caller: &Caller, query: &JobQuery) -> AppResult<Page<Job>> {
        ensure(caller, Action::ManageSystem, &Resource::Global)?;
        self.store.list_jobs(query).await
    }

    /// One job (administrators).
    pub async fn get_job(&self, caller: &Caller, id: Uuid) -> AppResult<Job> {
        ensure(caller, Action::ManageSystem, &Resource::Global)?;
        self.store
            .get_job(id)
            .await?
            .ok_or(AppError::NotFound("job"))
    }

    /// Puts a dead job back in the queue with fresh attempts (administrators).
    pub async fn retry_job(&self, caller: &Caller, id: Uuid) -> AppResult<Job> {
        let job = self.get_job(caller, id).await?;
        let not_dead = || AppError::Conflict {
            code: "not_dead",
            message: "only dead jobs can be retried; this one is still in the queue or done".into(),
            fields: formula_domain::errors::FieldErrors::new(),
        };
        if job.status != JobStatus::Dead {
            return Err(not_dead());
        }
        let entry = audit(caller, "retry", "job", job.id, &job.kind, Vec::new());
        let job = self
            .store
            .retry_dead_job(id, self.now(), &entry)
            .await?
            .ok_or_else(not_dead)?;
        self.wake_workers();
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_small_jitter() {
        for (attempts, base) in [(1, 30), (2, 60), (3, 120), (4, 240), (8, 3600), (40, 3600)] {
            let wait = backoff(attempts);
            let base = Duration::seconds(base);
            assert!(wait >= base && wait <= base * 1.1, "{attempts}: {wait}");
        }
        assert!(backoff(0) >= BACKOFF_BASE);
    }

    #[test]
    fn statuses_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>(), Ok(*s));
        }
        assert!("stuck".parse::<JobStatus>().is_err());
    }
}
