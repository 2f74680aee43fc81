//! Running jobs: claim one, dispatch it to the handler of its kind, record the outcome.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use time::OffsetDateTime;
use tokio::sync::watch;

use super::{
    AUDIT_RETENTION, CLEANUP_SESSIONS, DB_MAINTENANCE, DONE_JOBS_KEPT, JOBS_CLEANUP, Job, JobHost,
    KEEP_ACTIONS, LOCK_FOR, NoHost, SEND_EMAIL, backoff,
};
use crate::error::AppResult;
use crate::ports::OutboxMail;
use crate::services::Services;

/// How long an idle worker waits before looking again (it is also woken at once when this
/// process enqueues a job; jobs enqueued by other instances wait at most this long).
const IDLE_WAIT: StdDuration = StdDuration::from_secs(2);
/// Expired locks are looked for this often (by every worker; the UPDATE is cheap).
const RELEASE_EVERY: StdDuration = StdDuration::from_secs(60);

/// What happened to the job [`Services::run_next_job`] claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// It succeeded.
    Done,
    /// The attempt failed; it runs again at this time.
    Retry(OffsetDateTime),
    /// The attempt failed and it has no attempts left.
    Dead,
    /// Shutdown began before it started: back in the queue, uncounted.
    Released,
    /// Its lock expired while it ran and another worker owns it now; nothing was recorded.
    Lost,
}

impl RunOutcome {
    /// The outcome's name in metrics and logs: `done`, `retry`, `dead`, `released`, `lost`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RunOutcome::Done => "done",
            RunOutcome::Retry(_) => "retry",
            RunOutcome::Dead => "dead",
            RunOutcome::Released => "released",
            RunOutcome::Lost => "lost",
        }
    }
}

/// Why a handler failed.
pub(crate) struct JobError {
    message: String,
    /// Retrying cannot help (e.g. a malformed payload): dead at once.
    permanent: bool,
}

impl JobError {
    pub(crate) fn retry(message: impl Into<String>) -> Self {
        JobError {
            message: message.into(),
            permanent: false,
        }
    }
    pub(crate) fn permanent(message: impl Into<String>) -> Self {
        JobError {
            message: message.into(),
            permanent: true,
        }
    }
}

impl From<crate::error::AppError> for JobError {
    fn from(e: crate::error::AppError) -> Self {
        JobError::retry(e.to_string())
    }
}

/// A successful handler's result: what must be recorded with the job's completion.
pub(crate) enum Completion {
    Plain,
    /// An email to record in the outbox in the transaction that marks the job done, so a
    /// crash cannot record it twice.
    Mail(OutboxMail),
}

impl Services {
    /// Claims the next due job (as of `now`) and runs it. `None` when nothing is due.
    /// Tests call it directly, with `now` in the future to reach retries.
    pub async fn run_next_job(
        &self,
        worker: &str,
        now: OffsetDateTime,
    ) -> AppResult<Option<(Job, RunOutcome)>> {
        self.run_claimed(worker, now, None, &NoHost).await
    }

    /// Runs due jobs until none is left (at most `limit`); returns how many ran.
    pub async fn drain_jobs(
        &self,
        worker: &str,
        now: OffsetDateTime,
        limit: usize,
    ) -> AppResult<usize> {
        let mut ran = 0;
        while ran < limit && self.run_next_job(worker, now).await?.is_some() {
            ran += 1;
        }
        Ok(ran)
    }

    async fn run_claimed(
        &self,
        worker: &str,
        now: OffsetDateTime,
        shutdown: Option<&watch::Receiver<bool>>,
        host: &dyn JobHost,
    ) -> AppResult<Option<(Job, RunOutcome)>> {
        let Some(job) = self.store.claim_job(worker, now, now + LOCK_FOR).await? else {
            return Ok(None);
        };
        if shutdown.is_some_and(|s| *s.borrow()) {
            self.store.release_job(job.id, worker, now).await?;
            return Ok(Some((job, RunOutcome::Released)));
        }
        let started = std::time::Instant::now();
        let result = self.handle(&job, now, host).await;
        let finished = OffsetDateTime::now_utc().max(now);
        let outcome = match result {
            Ok(completion) => {
                let mail = match &completion {
                    Completion::Mail(m) => Some(m),
                    Completion::Plain => None,
                };
                if self
                    .store
                    .complete_job(job.id, worker, finished, mail)
                    .await?
                {
                    RunOutcome::Done
                } else {
                    RunOutcome::Lost
                }
            }
            Err(e) => {
                let retry_at = (!e.permanent && job.attempts < job.max_attempts)
                    .then(|| finished + backoff(job.attempts));
                if self
                    .store
                    .fail_job(job.id, worker, finished, &e.message, retry_at)
                    .await?
                {
                    match retry_at {
                        Some(at) => RunOutcome::Retry(at),
                        None => RunOutcome::Dead,
                    }
                } else {
                    RunOutcome::Lost
                }
            }
        };
        let elapsed = started.elapsed();
        host.finished(&job, &outcome, elapsed);
        let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        match &outcome {
            RunOutcome::Done => {
                tracing::info!(target: "formula_pm::jobs", job_id = %job.id, kind = %job.kind, attempt = job.attempts, duration_ms = ms, "job done");
            }
            RunOutcome::Retry(at) => {
                tracing::warn!(target: "formula_pm::jobs", job_id = %job.id, kind = %job.kind, attempt = job.attempts, retry_at = %at, "job failed; will retry");
            }
            RunOutcome::Dead => {
                tracing::error!(target: "formula_pm::jobs", job_id = %job.id, kind = %job.kind, attempt = job.attempts, "job failed for good (dead); an administrator can retry it");
            }
            RunOutcome::Lost => {
                tracing::warn!(target: "formula_pm::jobs", job_id = %job.id, kind = %job.kind, "job lock expired while it ran; another worker took it over");
            }
            RunOutcome::Released => {}
        }
        Ok(Some((job, outcome)))
    }

    /// Dispatches a job to the handler of its kind.
    async fn handle(
        &self,
        job: &Job,
        now: OffsetDateTime,
        host: &dyn JobHost,
    ) -> Result<Completion, JobError> {
        match job.kind.as_str() {
            SEND_EMAIL => self.send_email(job, now).await,
            crate::notifications::mail::NOTIFICATION_MAIL => {
                self.send_notification_mail(job, now).await
            }
            crate::notifications::mail::NOTIFICATION_DIGEST => {
                let n = self.queue_digests(now).await?;
                tracing::info!(target: "formula_pm::jobs", queued = n, "daily digests queued");
                Ok(Completion::Plain)
            }
            crate::notifications::reminders::NOTIFICATION_REMINDERS => {
                let n = self.send_reminders(now).await?;
                tracing::info!(target: "formula_pm::jobs", reminders = n, "reminders computed");
                Ok(Completion::Plain)
            }
            CLEANUP_SESSIONS => {
                let n = self
                    .store
                    .delete_stale_credentials(now, now - self.config.session_idle)
                    .await?;
                tracing::info!(target: "formula_pm::jobs", deleted = n, "expired sessions and reset links deleted");
                // Files whose records were deleted while storage was away are retried here.
                let files = self.remove_deleted_files().await;
                if files > 0 {
                    tracing::info!(target: "formula_pm::jobs", files, "files of deleted records removed");
                }
                // Idempotency keys are remembered for 24 hours (migration 0022).
                let keys = self.forget_expired_idempotency_keys().await?;
                if keys > 0 {
                    tracing::info!(target: "formula_pm::jobs", keys, "expired idempotency keys forgotten");
                }
                Ok(Completion::Plain)
            }
            AUDIT_RETENTION => {
                let days = job
                    .payload
                    .get("days")
                    .and_then(serde_json::Value::as_i64)
                    .filter(|d| *d >= 1)
                    .ok_or_else(|| {
                        JobError::permanent("payload needs `days`, a whole number of at least 1")
                    })?;
                let n = self
                    .store
                    .delete_audit_before(now - time::Duration::days(days), KEEP_ACTIONS)
                    .await?;
                tracing::info!(target: "formula_pm::jobs", deleted = n, retention_days = days, "old audit entries deleted");
                Ok(Completion::Plain)
            }
            DB_MAINTENANCE => {
                self.store.optimize_database().await?;
                Ok(Completion::Plain)
            }
            JOBS_CLEANUP => {
                let n = self
                    .store
                    .delete_finished_jobs(now - DONE_JOBS_KEPT)
                    .await?;
                tracing::info!(target: "formula_pm::jobs", deleted = n, "finished jobs deleted");
                Ok(Completion::Plain)
            }
            other => match host.run(job).await {
                Some(Ok(())) => Ok(Completion::Plain),
                Some(Err(message)) => Err(JobError::retry(message)),
                // Retried rather than dead at once: during a rolling upgrade, a newer
                // instance may know this kind.
                None => Err(JobError::retry(format!(
                    "no handler for job kind {other:?}"
                ))),
            },
        }
    }

    /// Sends the email through the mailer, or without one only logs that it is waiting in
    /// the outbox. Either way it is recorded in the outbox when the job completes.
    async fn send_email(&self, job: &Job, now: OffsetDateTime) -> Result<Completion, JobError> {
        let field = |name: &str| {
            job.payload
                .get(name)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| JobError::permanent(format!("payload needs `{name}`, a string")))
        };
        let (to, subject, body) = (field("to")?, field("subject")?, field("body")?);
        let files: Vec<super::JobAttachment> = match job.payload.get("attachments") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(list) => serde_json::from_value(list.clone()).map_err(|e| {
                JobError::permanent(format!(
                    "payload `attachments` must be a list of {{blob_key, file_name, content_type}}: {e}"
                ))
            })?,
        };
        let status = if self.mailer.is_configured() && files.is_empty() {
            self.mailer
                .send(&to, &subject, &body)
                .await
                .map_err(|e| JobError::retry(format!("sending the email failed: {e}")))?;
            "sent"
        } else if self.mailer.is_configured() {
            let mut attachments = Vec::with_capacity(files.len());
            for f in &files {
                // A file that cannot be read now (storage away) is retried with the job.
                let bytes = self.read_blob(&f.blob_key).await.map_err(|e| {
                    JobError::retry(format!("reading the attachment {}: {e}", f.file_name))
                })?;
                attachments.push(crate::ports::MailAttachment {
                    file_name: f.file_name.clone(),
                    content_type: f.content_type.clone(),
                    bytes,
                });
            }
            let message = crate::ports::MailMessage {
                to: to.clone(),
                subject: subject.clone(),
                text: body.clone(),
                html: String::new(),
                headers: Vec::new(),
                message_id: format!("<{}@formula-pm.invalid>", job.id),
                attachments,
            };
            self.mailer
                .send_message(&message)
                .await
                .map_err(|e| JobError::retry(format!("sending the email failed: {e}")))?;
            "sent"
        } else {
            // Without SMTP the message is kept in the admin-visible outbox. The log says only
            // that it is there: its body may hold a password-reset link, a credential.
            tracing::info!(
                to,
                subject,
                "email not sent (no SMTP configured); an administrator can read it in the outbox (Admin → Outbox, /outbox)"
            );
            "logged"
        };
        Ok(Completion::Mail(OutboxMail {
            id: formula_domain::new_id(),
            to_address: to,
            subject,
            body,
            status: status.to_owned(),
            created_at: now,
            attachments: files.into_iter().map(|f| f.file_name).collect(),
        }))
    }
}

/// Runs jobs until `shutdown` turns true: claims due jobs one after another, waits
/// [`IDLE_WAIT`] (or until this process enqueues something) when there are none, and now
/// and then returns jobs whose instance died to the queue. A job in progress when shutdown
/// begins is finished; one claimed but not started is released for another instance.
/// `host` adds the process's own job kinds and observes each attempt.
pub async fn run_worker(
    services: Services,
    worker: String,
    mut shutdown: watch::Receiver<bool>,
    host: Arc<dyn JobHost>,
) {
    tracing::info!(target: "formula_pm::jobs", worker, "job worker started");
    let mut last_release: Option<std::time::Instant> = None;
    while !*shutdown.borrow() {
        if last_release.is_none_or(|t| t.elapsed() >= RELEASE_EVERY) {
            last_release = Some(std::time::Instant::now());
            match services
                .store
                .release_expired_jobs(OffsetDateTime::now_utc())
                .await
            {
                Ok(0) => {}
                Ok(n) => {
                    tracing::warn!(target: "formula_pm::jobs", released = n, "jobs of a stopped instance returned to the queue")
                }
                Err(e) => {
                    tracing::warn!(target: "formula_pm::jobs", error = %e, "cannot release expired job locks")
                }
            }
        }
        let ran = services
            .run_claimed(
                &worker,
                OffsetDateTime::now_utc(),
                Some(&shutdown),
                host.as_ref(),
            )
            .await;
        match ran {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(target: "formula_pm::jobs", worker, error = %e, "job queue unavailable; retrying shortly");
            }
        }
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break; // The sender is gone: nobody can ask us to stop any more.
                }
            }
            () = services.job_wake.notified() => {}
            () = tokio::time::sleep(IDLE_WAIT) => {}
        }
    }
    tracing::info!(target: "formula_pm::jobs", worker, "job worker stopped");
}
