//! Background job workers and the schedules of periodic jobs.

use formula_app::jobs::{self, Cron, SchedulerConfig};

use super::reader::Reader;

/// Background jobs (see docs/operations.md → "Background jobs").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSettings {
    /// Job worker tasks in this process; 0 runs neither workers nor the scheduler here.
    pub workers: u32,
    /// When expired sessions and reset links are deleted; `None` is off.
    pub cleanup_sessions: Option<Cron>,
    /// When old audit entries are deleted; `None` is off.
    pub audit_retention: Option<Cron>,
    /// When planner statistics are refreshed; `None` is off.
    pub db_maintenance: Option<Cron>,
    /// Audit entries older than this many days are deleted (except kept actions).
    pub audit_retention_days: u32,
}

impl JobSettings {
    /// The scheduler's view of these settings.
    pub fn scheduler(&self) -> SchedulerConfig {
        SchedulerConfig::new(
            self.cleanup_sessions.clone(),
            self.audit_retention.clone(),
            self.db_maintenance.clone(),
            self.audit_retention_days,
        )
    }

    /// The effective values, for `check-config`'s listing.
    pub(super) fn lines(&self) -> [(&'static str, String); 5] {
        let cron = |c: &Option<Cron>| c.as_ref().map_or_else(|| "off".to_owned(), Cron::to_string);
        [
            ("JOB_WORKERS", self.workers.to_string()),
            ("SCHEDULE_CLEANUP_SESSIONS", cron(&self.cleanup_sessions)),
            ("SCHEDULE_AUDIT_RETENTION", cron(&self.audit_retention)),
            ("SCHEDULE_DB_MAINTENANCE", cron(&self.db_maintenance)),
            (
                "AUDIT_RETENTION_DAYS",
                self.audit_retention_days.to_string(),
            ),
        ]
    }
}

/// Reads `JOB_WORKERS`, the `SCHEDULE_*` variables and `AUDIT_RETENTION_DAYS`.
pub(super) fn read_jobs(r: &mut Reader<'_>) -> JobSettings {
    let mut schedule = |name: &str, default: &str| -> Option<Cron> {
        let raw = r.get(name).unwrap_or_else(|| default.to_owned());
        if raw.eq_ignore_ascii_case("off") {
            return None;
        }
        match Cron::parse(&raw) {
            Ok(c) => Some(c),
            Err(m) => {
                r.error(name, format!("{m} (or off to disable it)"));
                Cron::parse(default).ok()
            }
        }
    };
    let cleanup_sessions = schedule("SCHEDULE_CLEANUP_SESSIONS", jobs::DEFAULT_CLEANUP_SESSIONS);
    let audit_retention = schedule("SCHEDULE_AUDIT_RETENTION", jobs::DEFAULT_AUDIT_RETENTION);
    let db_maintenance = schedule("SCHEDULE_DB_MAINTENANCE", jobs::DEFAULT_DB_MAINTENANCE);
    JobSettings {
        workers: r.number(
            "JOB_WORKERS",
            1,
            0,
            64,
            "a whole number (0 turns jobs off here)",
        ),
        cleanup_sessions,
        audit_retention,
        db_maintenance,
        audit_retention_days: r.number(
            "AUDIT_RETENTION_DAYS",
            365,
            1,
            36_500,
            "a whole number of days",
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::config::test_support::{error_for, load};

    #[test]
    fn job_settings_are_checked() {
        let c = load(&[]).unwrap();
        assert_eq!(c.jobs.workers, 1);
        assert_eq!(c.jobs.audit_retention_days, 365);
        assert_eq!(
            c.jobs
                .cleanup_sessions
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("*/15 * * * *")
        );
        assert_eq!(c.jobs.scheduler().schedules.len(), 6);
        let c = load(&[
            ("JOB_WORKERS", "0"),
            ("SCHEDULE_DB_MAINTENANCE", "off"),
            ("SCHEDULE_AUDIT_RETENTION", "15 1 * * 0"),
            ("AUDIT_RETENTION_DAYS", "90"),
        ])
        .unwrap();
        assert_eq!(c.jobs.workers, 0);
        assert_eq!(c.jobs.db_maintenance, None);
        assert_eq!(c.jobs.scheduler().schedules.len(), 5);
        assert!(
            c.redacted_lines()
                .contains(&"SCHEDULE_DB_MAINTENANCE=off".to_owned())
        );
        for (name, value) in [
            ("SCHEDULE_CLEANUP_SESSIONS", "every 15 minutes"),
            ("SCHEDULE_AUDIT_RETENTION", "0 25 * * *"),
            ("SCHEDULE_DB_MAINTENANCE", "*/0 * * * *"),
            ("JOB_WORKERS", "-1"),
            ("AUDIT_RETENTION_DAYS", "0"),
        ] {
            let msg = error_for(&[(name, value)], name);
            assert!(msg.starts_with(&format!("{name}: ")), "{msg}");
        }
        assert!(
            error_for(
                &[("SCHEDULE_AUDIT_RETENTION", "0 25 * * *")],
                "SCHEDULE_AUDIT_RETENTION"
            )
            .contains("hour field")
        );
    }
}
