//! Health checks, metrics, log files and shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::AppEnv;
use super::reader::Reader;
use super::secret::{Secret, shown};

/// Health checks, metrics, log files and shutdown (see docs/operations.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsSettings {
    /// Also write log lines to this file, rotated by size.
    pub log_file: Option<PathBuf>,
    /// Rotate the log file when it would grow past this many bytes.
    pub log_max_size: u64,
    /// Rotated log files kept (`LOG_FILE.1` … `LOG_FILE.N`).
    pub log_max_files: u32,
    /// Requests slower than this many milliseconds are logged at warn.
    pub slow_request_ms: u64,
    /// Database calls slower than this many milliseconds are logged at warn.
    pub slow_query_ms: u64,
    /// Bearer token `/metrics` requires.
    pub metrics_token: Option<Secret>,
    /// Serve `/metrics` only on this address instead of the main port.
    pub metrics_bind: Option<SocketAddr>,
    /// How long `/health/ready` waits for the database.
    pub health_db_timeout_ms: u64,
    /// Free disk space (percent) under which readiness is `degraded`.
    pub health_disk_warn_percent: u8,
    /// Free disk space (percent) under which readiness fails.
    pub health_disk_fail_percent: u8,
    /// How long open requests may take to finish after SIGTERM.
    pub shutdown_grace_seconds: u64,
    /// After SIGTERM, how long the server goes on accepting and serving while readiness
    /// fails, before it stops accepting (at most `shutdown_grace_seconds`).
    pub shutdown_drain_seconds: u64,
}

/// Reads the operations settings (`LOG_FILE`, `METRICS_*`, `HEALTH_*`, …); production
/// refuses a `/metrics` that anyone reaching the port could read.
pub(super) fn read_ops(r: &mut Reader<'_>, app_env: AppEnv) -> OpsSettings {
    let log_file = r.get("LOG_FILE").map(PathBuf::from);
    let log_max_size = r.number(
        "LOG_MAX_SIZE",
        10 * 1024 * 1024,
        4096,
        u64::MAX,
        "a number of bytes",
    );
    let log_max_files = r.number("LOG_MAX_FILES", 5, 1, 1000, "a whole number of files");
    let slow_request_ms = r.number(
        "SLOW_REQUEST_MS",
        1000,
        1,
        3_600_000,
        "a number of milliseconds",
    );
    let slow_query_ms = r.number(
        "SLOW_QUERY_MS",
        250,
        1,
        3_600_000,
        "a number of milliseconds",
    );
    let metrics_token = r.secret("METRICS_TOKEN");
    if let Some(t) = &metrics_token
        && (t.expose().len() < 16 || t.expose().chars().any(char::is_whitespace))
    {
        r.error(
            "METRICS_TOKEN",
            "must be at least 16 characters without spaces (e.g. from `openssl rand -hex 32`)",
        );
    }
    let metrics_bind = match r.get("METRICS_BIND") {
        None => None,
        Some(raw) => match raw.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                r.error(
                    "METRICS_BIND",
                    format!("must be an address with a port, like 127.0.0.1:9464 or [::1]:9464, got {raw:?}"),
                );
                None
            }
        },
    };
    if app_env == AppEnv::Production && metrics_token.is_none() && metrics_bind.is_none() {
        r.error(
            "METRICS_TOKEN",
            "must be set in production, or METRICS_BIND set to a listener of its own: otherwise anyone who reaches the port reads /metrics",
        );
    }
    let health_db_timeout_ms = r.number(
        "HEALTH_DB_TIMEOUT_MS",
        1000,
        10,
        60_000,
        "a number of milliseconds",
    );
    let health_disk_warn_percent =
        r.number("HEALTH_DISK_WARN_PERCENT", 10, 0, 100, "a whole percentage");
    let health_disk_fail_percent =
        r.number("HEALTH_DISK_FAIL_PERCENT", 2, 0, 100, "a whole percentage");
    if health_disk_fail_percent > health_disk_warn_percent {
        r.error(
            "HEALTH_DISK_FAIL_PERCENT",
            format!("must not be above HEALTH_DISK_WARN_PERCENT ({health_disk_warn_percent})"),
        );
    }
    let shutdown_grace_seconds = r.number(
        "SHUTDOWN_GRACE_SECONDS",
        30,
        0,
        3600,
        "a whole number of seconds",
    );
    let shutdown_drain_seconds = r.number(
        "SHUTDOWN_DRAIN_SECONDS",
        5,
        0,
        3600,
        "a whole number of seconds",
    );
    OpsSettings {
        log_file,
        log_max_size,
        log_max_files,
        slow_request_ms,
        slow_query_ms,
        metrics_token,
        metrics_bind,
        health_db_timeout_ms,
        health_disk_warn_percent,
        health_disk_fail_percent,
        shutdown_grace_seconds,
        shutdown_drain_seconds,
    }
}

impl OpsSettings {
    /// The effective values, for `check-config`'s listing.
    pub(super) fn lines(&self) -> [(&'static str, String); 12] {
        [
            (
                "LOG_FILE",
                self.log_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            ("LOG_MAX_SIZE", self.log_max_size.to_string()),
            ("LOG_MAX_FILES", self.log_max_files.to_string()),
            ("SLOW_REQUEST_MS", self.slow_request_ms.to_string()),
            ("SLOW_QUERY_MS", self.slow_query_ms.to_string()),
            ("METRICS_TOKEN", shown(self.metrics_token.as_ref())),
            (
                "METRICS_BIND",
                self.metrics_bind.map(|a| a.to_string()).unwrap_or_default(),
            ),
            (
                "HEALTH_DB_TIMEOUT_MS",
                self.health_db_timeout_ms.to_string(),
            ),
            (
                "HEALTH_DISK_WARN_PERCENT",
                self.health_disk_warn_percent.to_string(),
            ),
            (
                "HEALTH_DISK_FAIL_PERCENT",
                self.health_disk_fail_percent.to_string(),
            ),
            (
                "SHUTDOWN_GRACE_SECONDS",
                self.shutdown_grace_seconds.to_string(),
            ),
            (
                "SHUTDOWN_DRAIN_SECONDS",
                self.shutdown_drain_seconds.to_string(),
            ),
        ]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::config::test_support::{error_for, load};

    #[test]
    fn operations_settings_are_parsed_and_checked() {
        let defaults = load(&[]).unwrap().ops;
        assert_eq!(defaults.shutdown_grace_seconds, 30);
        assert_eq!(defaults.shutdown_drain_seconds, 5);
        assert_eq!(defaults.health_db_timeout_ms, 1000);
        assert_eq!(
            (
                defaults.health_disk_warn_percent,
                defaults.health_disk_fail_percent
            ),
            (10, 2)
        );
        assert_eq!(
            (defaults.log_max_size, defaults.log_max_files),
            (10_485_760, 5)
        );
        assert_eq!(defaults.metrics_bind, None);

        let c = load(&[
            ("METRICS_BIND", "127.0.0.1:9464"),
            ("METRICS_TOKEN", "0123456789abcdef0123"),
            ("LOG_FILE", "/var/log/formula-pm.log"),
            ("SHUTDOWN_GRACE_SECONDS", "45"),
            ("SHUTDOWN_DRAIN_SECONDS", "0"),
        ])
        .unwrap()
        .ops;
        assert_eq!(c.metrics_bind, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(c.shutdown_grace_seconds, 45);
        assert_eq!(c.shutdown_drain_seconds, 0);
        assert!(c.log_file.is_some());

        assert!(error_for(&[("METRICS_BIND", "9464")], "METRICS_BIND").contains("127.0.0.1:9464"));
        let short = error_for(&[("METRICS_TOKEN", "short")], "METRICS_TOKEN");
        assert!(
            !short.contains("short"),
            "the secret is not echoed: {short}"
        );
        error_for(
            &[
                ("HEALTH_DISK_WARN_PERCENT", "5"),
                ("HEALTH_DISK_FAIL_PERCENT", "6"),
            ],
            "HEALTH_DISK_FAIL_PERCENT",
        );
        error_for(
            &[("SHUTDOWN_GRACE_SECONDS", "-1")],
            "SHUTDOWN_GRACE_SECONDS",
        );
        error_for(&[("LOG_MAX_SIZE", "10")], "LOG_MAX_SIZE");
        error_for(
            &[("SHUTDOWN_DRAIN_SECONDS", "soon")],
            "SHUTDOWN_DRAIN_SECONDS",
        );
    }

    #[test]
    fn production_refuses_open_metrics() {
        let prod = [
            ("APP_ENV", "production"),
            ("PUBLIC_URL", "https://pm.example.com"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v = prod.to_vec();
            v.extend_from_slice(extra);
            v
        };
        // Neither a token nor a listener of its own: anyone reaching the port reads /metrics.
        let msg = error_for(&prod, "METRICS_TOKEN");
        assert!(msg.contains("METRICS_BIND"), "{msg}");
        assert!(load(&with(&[("METRICS_TOKEN", "0123456789abcdef0123")])).is_ok());
        assert!(load(&with(&[("METRICS_BIND", "127.0.0.1:9464")])).is_ok());
        assert!(load(&[]).is_ok(), "fine in development");
    }
}
