//! The scheduler: enqueues each periodic job once per matching minute across every
//! instance. Two mechanisms make "once" hold:
//!
//! 1. a lease row in `scheduler_leases`, taken with an atomic upsert-if-expired, so only one
//!    instance (the holder) looks at the schedules at a time;
//! 2. each slot's job carries a `unique_key` (`kind@2026-01-01T03:30Z`), so even two
//!    instances that both believe they hold the lease (a lease expiring mid-tick) cannot
//!    enqueue the same slot twice.
//!
//! The lease is a [`super::lease::Lease`]: in the database by default, so no other service
//! is needed; with Redis configured, a Redis lease (`SET key holder NX PX …`) instead.

use std::time::Duration as StdDuration;

use time::{Duration, OffsetDateTime};
use tokio::sync::watch;

use super::{AUDIT_RETENTION, CLEANUP_SESSIONS, Cron, DB_MAINTENANCE, JOBS_CLEANUP, NewJob};
use crate::error::AppResult;
use crate::notifications::mail::{DEFAULT_NOTIFICATION_DIGEST, NOTIFICATION_DIGEST};
use crate::notifications::reminders::{DEFAULT_NOTIFICATION_REMINDERS, NOTIFICATION_REMINDERS};
use crate::services::Services;

/// The lease the scheduling instance holds.
pub const LEASE_NAME: &str = "scheduler";
/// How often the scheduler looks at the clock; several times a minute, so no minute is missed.
const TICK: StdDuration = StdDuration::from_secs(15);
/// How long a lease lasts without renewal: a few ticks, so a stopped holder is replaced soon.
const LEASE_FOR: StdDuration = StdDuration::from_secs(60);
/// Attempts of a scheduled job (the next slot comes anyway).
const SCHEDULED_ATTEMPTS: i32 = 3;

/// One periodic job.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub kind: String,
    pub cron: Cron,
    pub payload: serde_json::Value,
}

/// Every periodic job of this installation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchedulerConfig {
    pub schedules: Vec<Schedule>,
}

impl SchedulerConfig {
    /// The built-in schedules; `None` for a schedule turns it off.
    pub fn new(
        cleanup_sessions: Option<Cron>,
        audit_retention: Option<Cron>,
        db_maintenance: Option<Cron>,
        audit_retention_days: u32,
    ) -> SchedulerConfig {
        let mut schedules = Vec::new();
        let mut add = |kind: &str, cron: Option<Cron>, payload: serde_json::Value| {
            if let Some(cron) = cron {
                schedules.push(Schedule {
                    kind: kind.to_owned(),
                    cron,
                    payload,
                });
            }
        };
        add(CLEANUP_SESSIONS, cleanup_sessions, serde_json::json!({}));
        add(
            AUDIT_RETENTION,
            audit_retention,
            serde_json::json!({"days": audit_retention_days}),
        );
        add(DB_MAINTENANCE, db_maintenance, serde_json::json!({}));
        add(
            JOBS_CLEANUP,
            Cron::parse(DEFAULT_JOBS_CLEANUP).ok(),
            serde_json::json!({}),
        );
        // Notifications: the digests due this quarter-hour, and the day's reminders (each
        // stored once per day, so the hourly runs after the first find nothing new).
        add(
            NOTIFICATION_DIGEST,
            Cron::parse(DEFAULT_NOTIFICATION_DIGEST).ok(),
            serde_json::json!({}),
        );
        add(
            NOTIFICATION_REMINDERS,
            Cron::parse(DEFAULT_NOTIFICATION_REMINDERS).ok(),
            serde_json::json!({}),
        );
        SchedulerConfig { schedules }
    }
}

/// `SCHEDULE_CLEANUP_SESSIONS` unless set: every 15 minutes.
pub const DEFAULT_CLEANUP_SESSIONS: &str = "*/15 * * * *";
/// `SCHEDULE_AUDIT_RETENTION` unless set: daily at 02:00 UTC.
pub const DEFAULT_AUDIT_RETENTION: &str = "0 2 * * *";
/// `SCHEDULE_DB_MAINTENANCE` unless set: daily at 03:30 UTC.
pub const DEFAULT_DB_MAINTENANCE: &str = "30 3 * * *";
/// Finished jobs are cleaned up daily at 04:00 UTC.
const DEFAULT_JOBS_CLEANUP: &str = "0 4 * * *";

/// The minute containing `at`, in UTC.
fn minute_of(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    at - Duration::seconds(i64::from(at.second()))
        - Duration::nanoseconds(i64::from(at.nanosecond()))
}

impl Services {
    /// Enqueues every schedule that fires in the minute of `at`, once per slot however
    /// often it is called and by however many instances. Returns how many were new.
    pub async fn enqueue_scheduled(
        &self,
        config: &SchedulerConfig,
        at: OffsetDateTime,
    ) -> AppResult<usize> {
        let slot = minute_of(at);
        let mut added = 0;
        for s in config.schedules.iter().filter(|s| s.cron.matches(slot)) {
            let job = NewJob {
                max_attempts: SCHEDULED_ATTEMPTS,
                run_at: slot,
                unique_key: Some(format!(
                    "{}@{:04}-{:02}-{:02}T{:02}:{:02}Z",
                    s.kind,
                    slot.year(),
                    u8::from(slot.month()),
                    slot.day(),
                    slot.hour(),
                    slot.minute()
                )),
                ..NewJob::new(&s.kind, s.payload.clone())
            };
            if self.enqueue_job(&job).await? {
                added += 1;
            }
        }
        Ok(added)
    }
}

/// Runs the scheduler until `shutdown` turns true: every [`TICK`], takes or renews the
/// lease and, while holding it, enqueues the slots of this minute and the previous one
/// (so a tick late across a minute boundary misses nothing). Gives the lease up on exit.
pub async fn run_scheduler(
    services: Services,
    config: SchedulerConfig,
    holder: String,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::info!(target: "formula_pm::jobs", holder, schedules = config.schedules.len(), "scheduler started");
    let mut leading = false;
    while !*shutdown.borrow() {
        let now = OffsetDateTime::now_utc();
        match services
            .lease
            .try_acquire(LEASE_NAME, &holder, LEASE_FOR)
            .await
        {
            Ok(held) => {
                if held != leading {
                    tracing::info!(target: "formula_pm::jobs", holder, leading = held, "scheduler lease changed hands");
                    leading = held;
                }
                if held {
                    for at in [now - Duration::minutes(1), now] {
                        if let Err(e) = services.enqueue_scheduled(&config, at).await {
                            tracing::warn!(target: "formula_pm::jobs", error = %e, "cannot enqueue scheduled jobs");
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(target: "formula_pm::jobs", error = %e, "cannot take the scheduler lease")
            }
        }
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            () = tokio::time::sleep(TICK) => {}
        }
    }
    if leading && let Err(e) = services.lease.release(LEASE_NAME, &holder).await {
        tracing::warn!(target: "formula_pm::jobs", error = %e, "cannot release the scheduler lease");
    }
    tracing::info!(target: "formula_pm::jobs", holder, "scheduler stopped");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn defaults_parse_and_every_kind_is_scheduled() {
        let c = SchedulerConfig::new(
            Cron::parse(DEFAULT_CLEANUP_SESSIONS).ok(),
            Cron::parse(DEFAULT_AUDIT_RETENTION).ok(),
            Cron::parse(DEFAULT_DB_MAINTENANCE).ok(),
            365,
        );
        let kinds: Vec<&str> = c.schedules.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                CLEANUP_SESSIONS,
                AUDIT_RETENTION,
                DB_MAINTENANCE,
                JOBS_CLEANUP,
                NOTIFICATION_DIGEST,
                NOTIFICATION_REMINDERS
            ]
        );
        assert_eq!(c.schedules[1].payload["days"], 365);
        let off = SchedulerConfig::new(None, None, None, 30);
        assert_eq!(
            off.schedules.len(),
            3,
            "jobs_cleanup, digests and reminders always run"
        );
    }

    #[test]
    fn slots_are_whole_minutes() {
        assert_eq!(
            minute_of(datetime!(2026-01-01 03:30:59.999 +01:00)),
            datetime!(2026-01-01 02:30 UTC)
        );
    }
}
