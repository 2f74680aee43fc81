//! Prometheus metrics: a small hand-written registry (counters, gauges and histograms with
//! label sets) rendered in the text exposition format 0.0.4 at `GET /metrics`.
//!
//! Hand-written because the set is small and fixed: a metrics crate would cost more compile
//! time than these few hundred lines. Series are kept in `Mutex<BTreeMap>`s keyed by label
//! values, so the output is sorted and stable; the locks are held only to bump a number.
//!
//! Route labels are always the *matched* route template (`/api/v1/users/{id}`), never the raw
//! path, so the number of series stays bounded whatever clients send.

pub mod connections;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use formula_app::jobs::JobStatus;
use formula_app::ports::PoolStatus;

/// Upper bounds (seconds) of the HTTP request duration buckets.
pub const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Upper bounds (seconds) of the database call duration buckets.
pub const DB_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Upper bounds (seconds) of the background-job duration buckets: from quick clean-ups to
/// backups of a large database.
pub const JOB_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// The version and commit baked in at build time (`FORMULA_PM_COMMIT`), for build info.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit this binary was built from, or `unknown`.
pub const COMMIT: &str = match option_env!("FORMULA_PM_COMMIT") {
    Some(c) => c,
    None => "unknown",
};

/// A counter per label set.
pub struct CounterVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<Vec<String>, u64>>,
}

impl CounterVec {
    fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        CounterVec {
            name,
            help,
            labels,
            values: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds one to the series with these label values (in the order the labels were declared).
    pub fn inc(&self, values: &[&str]) {
        debug_assert_eq!(values.len(), self.labels.len(), "{}", self.name);
        let key: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        if let Ok(mut map) = self.values.lock() {
            *map.entry(key).or_insert(0) += 1;
        }
    }

    /// The current value of one series (0 when it was never incremented).
    pub fn get(&self, values: &[&str]) -> u64 {
        let key: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        self.values
            .lock()
            .map(|m| m.get(&key).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        let Ok(map) = self.values.lock() else { return };
        if map.is_empty() && self.labels.is_empty() {
            // An unlabelled counter exists from the start, at 0.
            let _ = writeln!(out, "{} 0", self.name);
        }
        for (values, n) in map.iter() {
            let _ = writeln!(
                out,
                "{}{} {n}",
                self.name,
                labels(self.labels, values, None)
            );
        }
    }
}

#[derive(Clone)]
struct HistogramData {
    /// Non-cumulative count per bucket; the last slot is `+Inf`.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// A histogram per label set.
pub struct HistogramVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
    values: Mutex<BTreeMap<Vec<String>, HistogramData>>,
}

impl HistogramVec {
    fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        buckets: &'static [f64],
    ) -> Self {
        HistogramVec {
            name,
            help,
            labels,
            buckets,
            values: Mutex::new(BTreeMap::new()),
        }
    }

    /// Records one observation of `elapsed` for these label values.
    pub fn observe(&self, values: &[&str], elapsed: Duration) {
        debug_assert_eq!(values.len(), self.labels.len(), "{}", self.name);
        let secs = elapsed.as_secs_f64();
        let slot = self
            .buckets
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(self.buckets.len());
        let key: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        if let Ok(mut map) = self.values.lock() {
            let data = map.entry(key).or_insert_with(|| HistogramData {
                counts: vec![0; self.buckets.len() + 1],
                sum: 0.0,
                count: 0,
            });
            if let Some(c) = data.counts.get_mut(slot) {
                *c += 1;
            }
            data.sum += secs;
            data.count += 1;
        }
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "histogram");
        // Copied out so the lock is not held while formatting.
        let series: Vec<(Vec<String>, HistogramData)> = match self.values.lock() {
            Ok(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Err(_) => return,
        };
        for (values, data) in series {
            let mut cumulative = 0;
            for (i, n) in data.counts.iter().enumerate() {
                cumulative += n;
                let le = match self.buckets.get(i) {
                    Some(b) => format_float(*b),
                    None => "+Inf".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "{}_bucket{} {cumulative}",
                    self.name,
                    labels(self.labels, &values, Some(&le))
                );
            }
            let l = labels(self.labels, &values, None);
            let _ = writeln!(out, "{}_sum{l} {}", self.name, format_float(data.sum));
            let _ = writeln!(out, "{}_count{l} {}", self.name, data.count);
        }
    }
}

/// Every metric the server keeps between scrapes. Values read at scrape time (sessions, pool,
/// memory) are passed to [`Metrics::render`] instead.
pub struct Metrics {
    /// `http_requests_total{method,route,status}`.
    pub http_requests: CounterVec,
    /// `http_request_duration_seconds{method,route}`.
    pub http_duration: HistogramVec,
    /// `db_query_duration_seconds{operation}`: one observation per store call (repository
    /// method), reported by the store through [`Metrics::observe_query`].
    pub db_duration: HistogramVec,
    /// `login_failures_total`: sign-ins refused for a wrong email or password.
    pub login_failures: CounterVec,
    /// `rate_limit_rejections_total{limiter}`; see [`Metrics::record_rate_limit_rejection`].
    pub rate_limit_rejections: CounterVec,
    /// `jobs_runs_total{kind,outcome}`; see [`Metrics::record_job`].
    pub job_runs: CounterVec,
    /// `job_duration_seconds{kind}`: one observation per recorded attempt.
    pub job_duration: HistogramVec,
    /// `cache_requests_total{result}` (`hit`, `miss`, `error`), reported by
    /// `formula_app::cache::ObservedCache`.
    pub cache_requests: CounterVec,
    in_flight: AtomicI64,
    connections: AtomicI64,
    started: SystemTime,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Records one store call (the store's query observer calls this).
    pub fn observe_query(&self, operation: &'static str, elapsed: Duration) {
        self.db_duration.observe(&[operation], elapsed);
    }

    /// An empty registry; the process start time is taken now.
    pub fn new() -> Self {
        Metrics {
            http_requests: CounterVec::new(
                "http_requests_total",
                "HTTP requests answered, by method, matched route and status code.",
                &["method", "route", "status"],
            ),
            http_duration: HistogramVec::new(
                "http_request_duration_seconds",
                "Time to produce the response headers, by method and matched route.",
                &["method", "route"],
                HTTP_BUCKETS,
            ),
            db_duration: HistogramVec::new(
                "db_query_duration_seconds",
                "Duration of database calls, by store operation.",
                &["operation"],
                DB_BUCKETS,
            ),
            login_failures: CounterVec::new(
                "login_failures_total",
                "Sign-in attempts refused for a wrong email or password.",
                &[],
            ),
            rate_limit_rejections: CounterVec::new(
                "rate_limit_rejections_total",
                "Requests refused by a rate limit, by limiter.",
                &["limiter"],
            ),
            cache_requests: CounterVec::new(
                "cache_requests_total",
                "Cache lookups by result (hit, miss, error); none without Redis.",
                &["result"],
            ),
            job_runs: CounterVec::new(
                "jobs_runs_total",
                "Background-job attempts, by kind and outcome (done, retry, dead, lost).",
                &["kind", "outcome"],
            ),
            job_duration: HistogramVec::new(
                "job_duration_seconds",
                "Duration of background-job attempts, by kind.",
                &["kind"],
                JOB_BUCKETS,
            ),
            in_flight: AtomicI64::new(0),
            connections: AtomicI64::new(0),
            started: SystemTime::now(),
        }
    }

    /// Counts one request refused by the rate limiter named `limiter` (e.g. `login`, `api`).
    /// The limiter name must come from a fixed set, never from the request.
    pub fn record_rate_limit_rejection(&self, limiter: &str) {
        self.rate_limit_rejections.inc(&[limiter]);
    }

    /// Counts one background-job attempt of `kind` that ended with `outcome` after `elapsed`.
    /// Kinds come from the code's fixed set (a stored job of an unknown kind is counted
    /// under its name, which only the server itself writes).
    pub fn record_job(&self, kind: &str, outcome: &str, elapsed: Duration) {
        self.job_runs.inc(&[kind, outcome]);
        self.job_duration.observe(&[kind], elapsed);
    }

    /// Marks a request as started; the guard marks it finished when dropped (also on panic
    /// or when the client goes away mid-request).
    pub fn request_started(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// Requests being answered right now.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Open HTTP connections (counted by [`connections::CountingListener`]).
    pub fn open_connections(&self) -> i64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// The text exposition, with the values only known at scrape time.
    pub fn render(&self, scrape: &Scrape) -> String {
        let mut out = String::with_capacity(16 * 1024);
        self.http_requests.render(&mut out);
        self.http_duration.render(&mut out);
        gauge(
            &mut out,
            "http_requests_in_flight",
            "HTTP requests being answered.",
            &[(&[], self.in_flight() as f64)],
        );
        gauge(
            &mut out,
            "http_connections_open",
            "Open HTTP connections.",
            &[(&[], self.open_connections() as f64)],
        );
        self.db_duration.render(&mut out);
        if let Some(pool) = scrape.pool {
            let in_use = pool.size.saturating_sub(pool.idle);
            gauge(
                &mut out,
                "db_pool_connections",
                "Database pool connections by state (idle, in_use, max).",
                &[
                    (&[("state", "idle")], f64::from(pool.idle)),
                    (&[("state", "in_use")], f64::from(in_use)),
                    (&[("state", "max")], f64::from(pool.max)),
                ],
            );
        }
        if let Some(wait) = scrape.pool_wait {
            gauge(
                &mut out,
                "db_pool_acquire_wait_seconds",
                "Time to get a connection from the database pool, sampled at scrape.",
                &[(&[], wait.as_secs_f64())],
            );
        }
        self.login_failures.render(&mut out);
        self.rate_limit_rejections.render(&mut out);
        self.job_runs.render(&mut out);
        self.job_duration.render(&mut out);
        if let Some(counts) = scrape.jobs {
            let pairs: Vec<[(&str, &str); 1]> = JobStatus::ALL
                .iter()
                .map(|s| [("status", s.as_str())])
                .collect();
            let series: Vec<(&[(&str, &str)], f64)> = pairs
                .iter()
                .zip(counts)
                .map(|(p, n)| (p.as_slice(), n as f64))
                .collect();
            gauge(
                &mut out,
                "jobs_queue_depth",
                "Background jobs in the queue table, by status.",
                &series,
            );
            let dead = JobStatus::ALL
                .iter()
                .zip(counts)
                .find(|(s, _)| **s == JobStatus::Dead)
                .map_or(0, |(_, n)| n);
            gauge(
                &mut out,
                "jobs_dead_letter",
                "Jobs that failed every attempt and wait for an administrator to retry them.",
                &[(&[], dead as f64)],
            );
        }
        if let Some(b) = scrape.backup {
            gauge(
                &mut out,
                "backup_last_success_timestamp_seconds",
                "When the newest backup archive (named in BACKUP_DIR/LATEST) was written, in seconds since the Unix epoch.",
                &[(&[], b.written_unix)],
            );
            gauge(
                &mut out,
                "backup_last_size_bytes",
                "Size of the newest backup archive in bytes.",
                &[(&[], b.size_bytes as f64)],
            );
        }
        self.cache_requests.render(&mut out);
        if let Some(c) = scrape.redis_circuit {
            gauge(
                &mut out,
                "redis_circuit_open",
                "1 while Redis's circuit breaker is open (Redis not called, fallbacks answer), else 0.",
                &[(&[], if c.open { 1.0 } else { 0.0 })],
            );
            counter(
                &mut out,
                "redis_circuit_opened_total",
                "Times Redis's circuit breaker opened after repeated failures.",
                c.opened_total,
            );
            counter(
                &mut out,
                "redis_calls_skipped_total",
                "Redis calls answered by their fallback at once because the circuit was open.",
                c.skipped_total,
            );
        }
        if let Some(n) = scrape.active_sessions {
            gauge(
                &mut out,
                "active_sessions",
                "Browser sessions not yet expired.",
                &[(&[], n as f64)],
            );
        }
        gauge(
            &mut out,
            "formula_pm_build_info",
            "Version and commit of the running server; always 1.",
            &[(&[("version", VERSION), ("commit", COMMIT)], 1.0)],
        );
        let start = self
            .started
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        gauge(
            &mut out,
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds.",
            &[(&[], start)],
        );
        if let Some(rss) = resident_memory_bytes() {
            gauge(
                &mut out,
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                &[(&[], rss as f64)],
            );
        }
        out
    }
}

/// Values read when `/metrics` is scraped; `None` leaves the metric out (e.g. the database
/// did not answer).
#[derive(Debug, Default, Clone, Copy)]
pub struct Scrape {
    pub active_sessions: Option<i64>,
    pub pool: Option<PoolStatus>,
    /// Time to get a database connection from the pool, sampled at this scrape.
    pub pool_wait: Option<std::time::Duration>,
    /// Jobs per status, in the order of [`JobStatus::ALL`].
    pub jobs: Option<[i64; 5]>,
    /// The newest backup, when `BACKUP_DIR/LATEST` names one that exists.
    pub backup: Option<BackupStatus>,
    /// Redis's circuit breaker, when `REDIS_URL` is set.
    pub redis_circuit: Option<formula_app::health::Circuit>,
}

/// The newest backup archive, from file metadata only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackupStatus {
    /// Modification time of the archive (when writing it finished), Unix seconds.
    pub written_unix: f64,
    pub size_bytes: u64,
}

/// The file in the backup directory naming the newest archive (written by `formula-pm
/// backup` and the `backup` job after each success).
pub const BACKUP_LATEST: &str = "LATEST";

/// Reads `dir/LATEST` and the metadata of the archive it names. `None` when there is no
/// backup yet, or the name is not a plain file name in `dir`.
pub fn backup_status(dir: &std::path::Path) -> Option<BackupStatus> {
    let latest = std::fs::read_to_string(dir.join(BACKUP_LATEST)).ok()?;
    let name = latest.trim();
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return None;
    }
    let meta = std::fs::metadata(dir.join(name)).ok()?;
    if !meta.is_file() {
        return None;
    }
    let written_unix = meta
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    Some(BackupStatus {
        written_unix,
        size_bytes: meta.len(),
    })
}

/// Decrements the in-flight gauge when dropped.
pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The process's resident set size, from `/proc/self/statm` (Linux; `None` elsewhere).
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // 4 KiB pages on every Linux target we ship for; reading the page size needs libc.
    Some(pages * 4096)
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A counter without labels whose value is read at scrape time.
fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, help, "counter");
    let _ = writeln!(out, "{name} {value}");
}

fn gauge(out: &mut String, name: &str, help: &str, series: &[(&[(&str, &str)], f64)]) {
    header(out, name, help, "gauge");
    for (pairs, value) in series {
        let names: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
        let values: Vec<String> = pairs.iter().map(|(_, v)| (*v).to_owned()).collect();
        let _ = writeln!(
            out,
            "{name}{} {}",
            labels(&names, &values, None),
            format_float(*value)
        );
    }
}

/// `{a="1",b="2"}` (with `le` last when given), or nothing for no labels.
fn labels(names: &[&str], values: &[String], le: Option<&str>) -> String {
    let mut parts: Vec<String> = names
        .iter()
        .zip(values)
        .map(|(n, v)| format!("{n}=\"{}\"", escape_label(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// Escapes a label value as the text format requires: backslash, double quote, newline.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Rust's `Display` for floats never uses exponents and prints integers without a dot,
/// both of which Prometheus parses.
fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn counters_and_histograms_render_in_text_format() {
        let m = Metrics::new();
        m.http_requests.inc(&["GET", "/a/{id}", "200"]);
        m.http_requests.inc(&["GET", "/a/{id}", "200"]);
        m.http_duration
            .observe(&["GET", "/a/{id}"], Duration::from_millis(3));
        m.http_duration
            .observe(&["GET", "/a/{id}"], Duration::from_secs(20));
        let text = m.render(&Scrape::default());
        assert!(text.contains("# TYPE http_requests_total counter\n"));
        assert!(
            text.contains(
                "http_requests_total{method=\"GET\",route=\"/a/{id}\",status=\"200\"} 2\n"
            )
        );
        assert!(text.contains(
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{id}\",le=\"0.0025\"} 0\n"
        ));
        assert!(text.contains(
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{id}\",le=\"0.005\"} 1\n"
        ));
        assert!(text.contains(
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{id}\",le=\"10\"} 1\n"
        ));
        assert!(text.contains(
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{id}\",le=\"+Inf\"} 2\n"
        ));
        assert!(
            text.contains(
                "http_request_duration_seconds_count{method=\"GET\",route=\"/a/{id}\"} 2\n"
            )
        );
        assert!(text.contains("login_failures_total 0\n"));
        assert!(text.contains("formula_pm_build_info{version=\""));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let m = Metrics::new();
        m.record_rate_limit_rejection("odd\"name");
        assert!(
            m.render(&Scrape::default())
                .contains("rate_limit_rejections_total{limiter=\"odd\\\"name\"} 1\n")
        );
    }

    #[test]
    fn the_redis_circuit_renders_only_with_redis() {
        let m = Metrics::new();
        assert!(!m.render(&Scrape::default()).contains("redis_circuit"));
        let scrape = Scrape {
            redis_circuit: Some(formula_app::health::Circuit {
                open: true,
                opened_total: 2,
                skipped_total: 41,
            }),
            ..Scrape::default()
        };
        let text = m.render(&scrape);
        for line in [
            "# TYPE redis_circuit_open gauge\nredis_circuit_open 1\n",
            "# TYPE redis_circuit_opened_total counter\nredis_circuit_opened_total 2\n",
            "# TYPE redis_calls_skipped_total counter\nredis_calls_skipped_total 41\n",
        ] {
            assert!(text.contains(line), "{line}");
        }
    }

    #[test]
    fn job_and_backup_metrics_render() {
        let m = Metrics::new();
        m.record_job("backup", "done", Duration::from_millis(20));
        m.record_job("backup", "retry", Duration::from_secs(2));
        let scrape = Scrape {
            jobs: Some([3, 1, 7, 0, 2]),
            backup: Some(BackupStatus {
                written_unix: 1_700_000_000.5,
                size_bytes: 874,
            }),
            ..Scrape::default()
        };
        let text = m.render(&scrape);
        for line in [
            "jobs_runs_total{kind=\"backup\",outcome=\"done\"} 1\n",
            "jobs_runs_total{kind=\"backup\",outcome=\"retry\"} 1\n",
            "job_duration_seconds_bucket{kind=\"backup\",le=\"0.05\"} 1\n",
            "job_duration_seconds_count{kind=\"backup\"} 2\n",
            "jobs_queue_depth{status=\"queued\"} 3\n",
            "jobs_queue_depth{status=\"done\"} 7\n",
            "jobs_queue_depth{status=\"dead\"} 2\n",
            "jobs_dead_letter 2\n",
            "backup_last_success_timestamp_seconds 1700000000.5\n",
            "backup_last_size_bytes 874\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
        // Unknown at scrape time: left out, not reported as 0.
        let text = m.render(&Scrape::default());
        assert!(!text.contains("jobs_queue_depth"));
        assert!(!text.contains("backup_last_size_bytes"));
    }

    #[test]
    fn backup_status_follows_latest_to_a_file_in_the_directory() {
        let dir = std::env::temp_dir().join(format!("formula-metrics-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(backup_status(&dir), None, "no LATEST yet");
        std::fs::write(dir.join("formula-pm-1.tar.gz"), b"12345").unwrap();
        std::fs::write(dir.join(BACKUP_LATEST), b"formula-pm-1.tar.gz\n").unwrap();
        let status = backup_status(&dir).unwrap();
        assert_eq!(status.size_bytes, 5);
        assert!(status.written_unix > 0.0);
        for bad in ["../etc/passwd", "missing.tar.gz", ""] {
            std::fs::write(dir.join(BACKUP_LATEST), bad).unwrap();
            assert_eq!(backup_status(&dir), None, "{bad:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn in_flight_is_released_by_the_guard() {
        let m = Metrics::new();
        {
            let _a = m.request_started();
            let _b = m.request_started();
            assert_eq!(m.in_flight(), 2);
        }
        assert_eq!(m.in_flight(), 0);
    }
}
