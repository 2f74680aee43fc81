//! Production runtime: health checks, the Prometheus endpoint, the draining flag set at
//! shutdown, and the status report administrators see.
//!
//! `/health/live` answers without any I/O (the process is up). `/health/ready` answers 200
//! only when the database replies within `HEALTH_DB_TIMEOUT_MS`, the disk holding `DATA_DIR`
//! is not nearly full, a required Redis answers and the server is not shutting down; it is
//! cheap (one `SELECT 1`, one `statvfs`, one Redis `PING`), so load balancers may poll it often.
//!
//! A write refused for lack of disk space (an answer 507, see [`watch_storage`]) is reported
//! by the disk check until a write succeeds again. On SQLite it fails readiness while a
//! small probe file cannot be written in `DATA_DIR`, and clears itself once one can; on
//! PostgreSQL, whose disk this server cannot probe, it degrades readiness instead, so that
//! every instance is not taken out of service at once for a fault they share.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use formula_app::jobs::JobStatus;

use crate::metrics::{COMMIT, Metrics, Scrape, VERSION, backup_status};
use crate::state::AppState;

/// Settings for health checks, metrics and request logs.
#[derive(Debug, Clone)]
pub struct OpsConfig {
    /// The directory whose filesystem the disk check measures.
    pub data_dir: PathBuf,
    /// How long the readiness check waits for the database.
    pub db_timeout: Duration,
    /// Free space (percent) under which readiness is `degraded` (still 200).
    pub disk_warn_percent: f64,
    /// Free space (percent) under which readiness fails (503).
    pub disk_fail_percent: f64,
    /// Bearer token `/metrics` requires; `None` leaves it open.
    pub metrics_token: Option<String>,
    /// Whether the main router serves `/metrics` (`false` when it has a listener of its own).
    pub metrics_on_main: bool,
    /// Requests slower than this are logged at warn.
    pub slow_request: Duration,
    /// Where backups are written (`BACKUP_DIR`), for the backup metrics; `None` leaves
    /// them out.
    pub backup_dir: Option<PathBuf>,
    /// Whether readiness fails (503) rather than degrades when Redis fails (`REDIS_REQUIRED`).
    pub redis_required: bool,
}

impl Default for OpsConfig {
    fn default() -> Self {
        OpsConfig {
            data_dir: PathBuf::from("./data"),
            db_timeout: Duration::from_millis(1000),
            disk_warn_percent: 10.0,
            disk_fail_percent: 2.0,
            metrics_token: None,
            metrics_on_main: true,
            slow_request: Duration::from_millis(1000),
            backup_dir: None,
            redis_required: false,
        }
    }
}

/// What the server knows about itself while running.
pub struct Runtime {
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    draining: AtomicBool,
    /// Wakes long-lived responses (live-update streams) when draining starts, so they end
    /// and shutdown does not wait out its grace period for them.
    drained: tokio::sync::watch::Sender<bool>,
    started: Instant,
    /// When a write was first refused for lack of disk space, until one succeeds again.
    storage_refused: std::sync::Mutex<Option<time::OffsetDateTime>>,
}

impl Runtime {
    /// A runtime that starts now, not draining.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Runtime {
            metrics,
            draining: AtomicBool::new(false),
            drained: tokio::sync::watch::channel(false).0,
            started: Instant::now(),
            storage_refused: std::sync::Mutex::new(None),
        }
    }

    /// Records that a write was refused because a disk is full (kept from the first such
    /// refusal until a write succeeds).
    pub fn note_storage_refused(&self) {
        if let Ok(mut since) = self.storage_refused.lock() {
            since.get_or_insert_with(time::OffsetDateTime::now_utc);
        }
    }

    /// Records that a write succeeded: there is room again.
    pub fn note_write_succeeded(&self) {
        if let Ok(mut since) = self.storage_refused.lock()
            && since.is_some()
        {
            *since = None;
            tracing::info!("writes succeed again: the disk has room");
        }
    }

    /// Since when writes have been refused for lack of disk space, if they still are.
    pub fn storage_refused_since(&self) -> Option<time::OffsetDateTime> {
        self.storage_refused.lock().ok().and_then(|s| *s)
    }

    /// Marks the server as shutting down: readiness answers 503 from now on, so load
    /// balancers stop sending new work while open requests finish.
    pub fn start_draining(&self) {
        self.draining.swap(true, Ordering::SeqCst);
        self.drained.send_replace(true);
    }

    /// Becomes `true` when draining starts.
    pub fn drain_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.drained.subscribe()
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Whole seconds since start.
    pub fn uptime_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// While the server drains before it stops (after SIGTERM), every answer says
/// `Connection: close`: the client's next request opens a new connection, which the load
/// balancer, seeing readiness fail, sends to another instance. So when the server stops
/// accepting, no keep-alive connection is left idle for a request to race its closing.
pub async fn close_connections_when_draining(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let mut resp = next.run(req).await;
    if state.runtime.is_draining() {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

/// The outcome of one check, or of readiness as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    /// Working, but needs attention soon (e.g. the disk is filling up).
    Degraded,
    Fail,
    /// The component is not configured.
    Disabled,
}

/// The database check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DatabaseCheck {
    pub status: CheckStatus,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Round-trip time of `SELECT 1`; absent when it failed or timed out.
    pub latency_ms: Option<f64>,
}

/// The Redis check: `disabled` without `REDIS_URL`; `fail` without a `PING` while the
/// circuit breaker is open; else one `PING`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RedisCheck {
    pub status: CheckStatus,
    /// Round-trip time of `PING`; absent when disabled, failed or timed out.
    pub latency_ms: Option<f64>,
    /// Whether a failure fails readiness (`REDIS_REQUIRED`) or only degrades it.
    pub required: bool,
    /// The circuit breaker in front of Redis (absent without `REDIS_URL`): `open` after
    /// repeated failures, while Redis is not called at all and the fallbacks answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit: Option<CircuitState>,
}

/// The state of Redis's circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Calls go to Redis.
    Closed,
    /// Calls fail at once without Redis; a background probe closes it when Redis answers.
    Open,
}

impl CircuitState {
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
        }
    }
}

/// Free space on the filesystem holding `DATA_DIR`, and writes refused for lack of it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiskCheck {
    pub status: CheckStatus,
    /// Bytes available to the server's user; absent when the filesystem cannot be read.
    pub free_bytes: Option<u64>,
    /// Available space as a percentage of the filesystem's size.
    pub free_percent: Option<f64>,
    /// Since when writes have been refused because a disk is full (answered 507), while
    /// they still are.
    #[serde(with = "time::serde::rfc3339::option")]
    pub writes_refused_since: Option<time::OffsetDateTime>,
    /// What is wrong, in words, when the check is not `ok`.
    pub message: Option<String>,
}

/// Every readiness check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Checks {
    pub database: DatabaseCheck,
    /// Redis (`REDIS_URL`), optional.
    pub redis: RedisCheck,
    pub disk: DiskCheck,
}

/// The body of `/health/ready`. Named `HealthReport` in the API document, where
/// `Readiness` is a project's production readiness.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = HealthReport)]
pub struct Readiness {
    /// `ok`, `degraded` (200, needs attention) or `fail` (503).
    pub status: CheckStatus,
    pub version: &'static str,
    /// The commit the binary was built from, or `unknown`.
    pub commit: &'static str,
    pub uptime_seconds: u64,
    /// `true` once shutdown has begun.
    pub draining: bool,
    /// Names of the checks that fail (`database`, `disk`, `redis`, `draining`).
    pub failing: Vec<&'static str>,
    pub checks: Checks,
}

/// Runs the readiness checks.
pub async fn readiness(state: &AppState) -> Readiness {
    let ops = &state.web.ops;
    let services = &state.services;
    let started = Instant::now();
    let database = match tokio::time::timeout(ops.db_timeout, services.ping_database()).await {
        Ok(Ok(())) => DatabaseCheck {
            status: CheckStatus::Ok,
            backend: services.database_backend(),
            // Microsecond precision is plenty for a health report.
            latency_ms: Some((started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0),
        },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database check failed");
            DatabaseCheck {
                status: CheckStatus::Fail,
                backend: services.database_backend(),
                latency_ms: None,
            }
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = ops.db_timeout.as_millis() as u64,
                "readiness: the database did not answer in time"
            );
            DatabaseCheck {
                status: CheckStatus::Fail,
                backend: services.database_backend(),
                latency_ms: None,
            }
        }
    };
    let disk = disk_check(state).await;
    let redis = redis_check(state).await;
    let draining = state.runtime.is_draining();

    let mut failing = Vec::new();
    if database.status == CheckStatus::Fail {
        failing.push("database");
    }
    if disk.status == CheckStatus::Fail {
        failing.push("disk");
    }
    if redis.status == CheckStatus::Fail && ops.redis_required {
        failing.push("redis");
    }
    if draining {
        failing.push("draining");
    }
    let status = if !failing.is_empty() {
        CheckStatus::Fail
    } else if disk.status == CheckStatus::Degraded || redis.status == CheckStatus::Fail {
        // An optional Redis down: rate limits count per instance and the cache is
        // bypassed, so the server still serves correctly.
        CheckStatus::Degraded
    } else {
        CheckStatus::Ok
    };
    Readiness {
        status,
        version: VERSION,
        commit: COMMIT,
        uptime_seconds: state.runtime.uptime_seconds(),
        draining,
        failing,
        checks: Checks {
            database,
            redis,
            disk,
        },
    }
}

async fn redis_check(state: &AppState) -> RedisCheck {
    let required = state.web.ops.redis_required;
    let Some(redis) = &state.redis else {
        return RedisCheck {
            status: CheckStatus::Disabled,
            latency_ms: None,
            required,
            circuit: None,
        };
    };
    let circuit = redis.circuit();
    if circuit.is_some_and(|c| c.open) {
        // Redis failed repeatedly and its probe has not had an answer yet: no need to wait
        // for another timeout to know.
        return RedisCheck {
            status: CheckStatus::Fail,
            latency_ms: None,
            required,
            circuit: Some(CircuitState::Open),
        };
    }
    let started = Instant::now();
    let outcome = tokio::time::timeout(state.web.ops.db_timeout, redis.ping()).await;
    let latency = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
    // As it is after this ping (a failure may have been the one that opened it).
    let circuit = redis.circuit().map(|c| {
        if c.open {
            CircuitState::Open
        } else {
            CircuitState::Closed
        }
    });
    match outcome {
        Ok(Ok(())) => RedisCheck {
            status: CheckStatus::Ok,
            latency_ms: Some(latency),
            required,
            circuit,
        },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the Redis check failed");
            RedisCheck {
                status: CheckStatus::Fail,
                latency_ms: None,
                required,
                circuit,
            }
        }
        Err(_) => {
            tracing::warn!("readiness: Redis did not answer in time");
            RedisCheck {
                status: CheckStatus::Fail,
                latency_ms: None,
                required,
                circuit,
            }
        }
    }
}

async fn disk_check(state: &AppState) -> DiskCheck {
    let ops = &state.web.ops;
    let dir = ops.data_dir.clone();
    // statvfs may block on a network filesystem; keep it off the async workers.
    let measured = tokio::task::spawn_blocking(move || free_space(&dir))
        .await
        .ok()
        .flatten();
    let mut check = match measured {
        None => DiskCheck {
            status: CheckStatus::Fail,
            free_bytes: None,
            free_percent: None,
            writes_refused_since: None,
            message: Some("the filesystem holding DATA_DIR cannot be measured".into()),
        },
        Some((free_bytes, free_percent)) => {
            let (status, message) = if free_percent < ops.disk_fail_percent {
                (
                    CheckStatus::Fail,
                    Some("the disk holding DATA_DIR is nearly full"),
                )
            } else if free_percent < ops.disk_warn_percent {
                (
                    CheckStatus::Degraded,
                    Some("the disk holding DATA_DIR is filling up"),
                )
            } else {
                (CheckStatus::Ok, None)
            };
            DiskCheck {
                status,
                free_bytes: Some(free_bytes),
                free_percent: Some((free_percent * 100.0).round() / 100.0),
                writes_refused_since: None,
                message: message.map(str::to_owned),
            }
        }
    };
    let Some(since) = state.runtime.storage_refused_since() else {
        return check;
    };
    // A write was refused for lack of space: is there room again where SQLite and the
    // uploaded files live?
    let dir = ops.data_dir.clone();
    let probe = tokio::task::spawn_blocking(move || probe_write(&dir))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    let sqlite = state.services.database_backend() == "sqlite";
    match probe {
        Ok(()) if sqlite => {
            state.runtime.note_write_succeeded();
            return check;
        }
        Err(e) if formula_app::error::is_storage_full(&e) => {
            check.status = CheckStatus::Fail;
            check.message = Some(
                "writes are refused: the disk holding DATA_DIR is full (free space, and writes resume by themselves)".into(),
            );
        }
        // PostgreSQL's disk is not this server's to probe: a write that succeeds clears it.
        _ => {
            if check.status == CheckStatus::Ok {
                check.status = CheckStatus::Degraded;
            }
            check.message = Some(
                "a write was refused because a disk is full (the database's or the file storage's); this clears with the next write that succeeds".into(),
            );
        }
    }
    check.writes_refused_since = Some(since);
    check
}

/// Writes, syncs and removes a small file in `dir`: whether a write there finds room.
fn probe_write(dir: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let path = dir.join(".formula-pm-space-probe");
    let written = std::fs::File::create(&path).and_then(|mut f| {
        // A few SQLite pages' worth, so the room found is room a write can use.
        f.write_all(&[0u8; 64 * 1024])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&path);
    written
}

/// Watches every answer for writes refused for lack of disk space (507) and for writes
/// that succeed, for the disk check of readiness.
pub async fn watch_storage(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let write = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let resp = next.run(req).await;
    let status = resp.status();
    if status == StatusCode::INSUFFICIENT_STORAGE {
        state.runtime.note_storage_refused();
    } else if write && (status.is_success() || status == StatusCode::SEE_OTHER) {
        state.runtime.note_write_succeeded();
    }
    resp
}

/// Bytes available to unprivileged users and that as a percentage, for the filesystem of
/// `dir` or, when it does not exist yet (PostgreSQL deployments), its nearest existing parent.
pub fn free_space(dir: &Path) -> Option<(u64, f64)> {
    let absolute = std::path::absolute(dir).ok()?;
    let existing = absolute.ancestors().find(|p| p.exists())?;
    let st = rustix::fs::statvfs(existing).ok()?;
    let free = st.f_bavail.saturating_mul(st.f_frsize);
    if st.f_blocks == 0 {
        // Pseudo filesystems report no size; nothing can fill them.
        return Some((free, 100.0));
    }
    Some((free, st.f_bavail as f64 / st.f_blocks as f64 * 100.0))
}

/// `GET /health/live`: the process is up. No I/O.
pub async fn live() -> Response {
    Json(serde_json::json!({"status": "ok"})).into_response()
}

/// `GET /health/ready`: 200 when ready (`ok` or `degraded`), else 503 naming what fails.
pub async fn ready(State(state): State<AppState>) -> Response {
    let report = readiness(&state).await;
    let code = if report.status == CheckStatus::Fail {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, Json(report)).into_response()
}

/// `GET /metrics`: the Prometheus text exposition. With `METRICS_TOKEN` set, only for
/// `Authorization: Bearer <token>`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.web.ops.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .unwrap_or("");
        if !crate::csrf::same(given, expected) {
            let mut resp = (
                StatusCode::UNAUTHORIZED,
                "metrics require Authorization: Bearer <METRICS_TOKEN>\n",
            )
                .into_response();
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return resp;
        }
    }
    let services = &state.services;
    let active_sessions = match tokio::time::timeout(
        state.web.ops.db_timeout,
        services.count_active_sessions(),
    )
    .await
    {
        Ok(Ok(n)) => Some(n),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: cannot count sessions");
            None
        }
        Err(_) => None,
    };
    let jobs = match tokio::time::timeout(state.web.ops.db_timeout, services.count_jobs_by_status())
        .await
    {
        Ok(Ok(counted)) => {
            let mut counts = [0i64; 5];
            for (status, n) in counted {
                if let Some(i) = JobStatus::ALL.iter().position(|s| *s == status)
                    && let Some(slot) = counts.get_mut(i)
                {
                    *slot = n;
                }
            }
            Some(counts)
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: cannot count jobs");
            None
        }
        Err(_) => None,
    };
    // File metadata only; off the async workers in case BACKUP_DIR is on a network share.
    let backup = match state.web.ops.backup_dir.clone() {
        Some(dir) => tokio::task::spawn_blocking(move || backup_status(&dir))
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let pool = services.pool_status();
    let pool_wait = services.pool_acquire_wait().await.ok();
    let scrape = Scrape {
        active_sessions,
        pool: (pool.max > 0).then_some(pool),
        pool_wait,
        jobs,
        backup,
        redis_circuit: state.redis.as_ref().and_then(|r| r.circuit()),
    };
    let body = state.runtime.metrics.render(&scrape);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// What administrators see at `/api/v1/system/status` and `/system`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemStatus {
    /// The readiness report, as `/health/ready` answers it.
    pub readiness: Readiness,
    /// Database connection pool usage.
    pub pool: formula_app::ports::PoolStatus,
    /// Open HTTP connections.
    pub http_connections: i64,
    /// Requests being answered right now (this one included).
    pub http_requests_in_flight: i64,
    /// Resident memory of the process in bytes, when the platform tells.
    pub resident_memory_bytes: Option<u64>,
}

/// Gathers the status report (the caller checks permission: `Services::check_system_status`).
pub async fn system_status(state: &AppState) -> SystemStatus {
    let metrics = &state.runtime.metrics;
    SystemStatus {
        readiness: readiness(state).await,
        pool: state.services.pool_status(),
        http_connections: metrics.open_connections(),
        http_requests_in_flight: metrics.in_flight(),
        resident_memory_bytes: crate::metrics::resident_memory_bytes(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn free_space_is_read_for_missing_directories_through_their_parent() {
        let (free, percent) =
            free_space(&std::env::temp_dir().join("no/such/dir/formula-pm")).unwrap();
        assert!(free > 0);
        assert!((0.0..=100.0).contains(&percent));
    }
}
