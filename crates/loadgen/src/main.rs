//! `formula-loadgen`: the load test scenario of deploy/perf/k6.js, for machines without k6.
//!
//! Loopback only and bounded in time (see `args`): one thread per virtual user, each with its
//! own keep-alive connection and session. At the end it prints req/s and p50/p95/p99 per
//! endpoint, errors, and the server's memory when given its pid; `--out` writes the same as JSON.

mod args;
mod procfs;
mod scenario;
mod stats;

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use args::{Options, Parsed};
use scenario::Shared;
use stats::{Endpoint, Kind, Sample, Summary};

/// Memory and CPU of the server while the load ran.
#[derive(Default)]
struct ServerUsage {
    rss_start_kib: Option<u64>,
    rss_peak_kib: Option<u64>,
    rss_end_kib: Option<u64>,
    cpu_start_s: Option<f64>,
    cpu_end_s: Option<f64>,
}

impl ServerUsage {
    fn sample(&mut self, pid: &str) {
        if let Some(kib) = procfs::rss_kib(pid) {
            self.rss_start_kib.get_or_insert(kib);
            self.rss_peak_kib = Some(self.rss_peak_kib.map_or(kib, |p| p.max(kib)));
            self.rss_end_kib = Some(kib);
        }
        if let Some(cpu) = procfs::cpu_seconds(pid) {
            self.cpu_start_s.get_or_insert(cpu);
            self.cpu_end_s = Some(cpu);
        }
    }
    fn cpu_used_s(&self) -> Option<f64> {
        Some(self.cpu_end_s? - self.cpu_start_s?)
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let opts = match args::parse(&argv, &|k| std::env::var(k).ok()) {
        Ok(Parsed::Run(o)) => *o,
        Ok(Parsed::Help) => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("formula-loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(pid) = opts.pid
        && procfs::rss_kib(&pid.to_string()).is_none()
    {
        eprintln!("formula-loadgen: --pid {pid}: no such process (or /proc is unreadable)");
        return ExitCode::from(2);
    }
    run(opts)
}

fn run(opts: Options) -> ExitCode {
    let started = Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let shared = Arc::new(Shared {
        deadline: started + opts.duration,
        started,
        stop: AtomicBool::new(false),
        requests: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        iterations: AtomicU64::new(0),
        active: AtomicUsize::new(0),
        error_examples: Mutex::new(Vec::new()),
        opts,
    });
    let opts = &shared.opts;
    eprintln!(
        "formula-loadgen: {} users against {} for {} s (ramp {} s, think {}-{} ms)",
        opts.vus,
        opts.base,
        opts.duration.as_secs(),
        opts.ramp.as_secs(),
        opts.think_ms.0,
        opts.think_ms.1
    );

    let mut buckets = Vec::with_capacity(opts.vus);
    let mut handles = Vec::with_capacity(opts.vus);
    for i in 0..opts.vus {
        let samples = Arc::new(Mutex::new(Vec::new()));
        buckets.push(Arc::clone(&samples));
        let sh = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name(format!("vu-{i}"))
            .stack_size(512 * 1024)
            .spawn(move || scenario::run_user(sh, samples, i));
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => {
                eprintln!("formula-loadgen: cannot start user {i}: {e}");
                shared.stop.store(true, Ordering::Relaxed);
                break;
            }
        }
    }

    // Watch: memory every 200 ms, progress every 10 s, until the deadline.
    let pid = opts.pid.map(|p| p.to_string());
    let mut usage = ServerUsage::default();
    let own_cpu_start = procfs::cpu_seconds("self");
    let mut next_report = started + Duration::from_secs(10);
    while Instant::now() < shared.deadline && !shared.stop.load(Ordering::Relaxed) {
        if let Some(pid) = &pid {
            usage.sample(pid);
        }
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(10);
            eprintln!(
                "  {:>4} s  users {:>4}  requests {:>8}  errors {:>6}{}",
                started.elapsed().as_secs(),
                shared.active.load(Ordering::Relaxed),
                shared.requests.load(Ordering::Relaxed),
                shared.errors.load(Ordering::Relaxed),
                usage
                    .rss_end_kib
                    .map(|k| format!("  server RSS {:.1} MB", k as f64 / 1024.0))
                    .unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(200));
    }
    shared.stop.store(true, Ordering::Relaxed);

    // Users finish the request they are in (at most the request timeout, plus the delete of a
    // task they just created); whoever is still busy after that is left behind.
    let grace = Instant::now() + 2 * opts.timeout + Duration::from_secs(1);
    while handles.iter().any(|h| !h.is_finished()) && Instant::now() < grace {
        if let Some(pid) = &pid {
            usage.sample(pid);
        }
        thread::sleep(Duration::from_millis(50));
    }
    let stuck = handles.iter().filter(|h| !h.is_finished()).count();
    if let Some(pid) = &pid {
        usage.sample(pid);
    }
    let wall = started.elapsed().as_secs_f64();
    let own_cpu = procfs::cpu_seconds("self")
        .zip(own_cpu_start)
        .map(|(e, s)| e - s);

    let samples: Vec<Sample> = buckets
        .iter()
        .flat_map(|b| b.lock().unwrap_or_else(PoisonError::into_inner).clone())
        .collect();
    let report = Report::new(&shared, &samples, wall);
    let text = report.table(&usage, own_cpu, stuck);
    println!("{text}");

    let examples = shared
        .error_examples
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    if !examples.is_empty() {
        eprintln!("first errors:");
        for e in &examples {
            eprintln!("  {e}");
        }
        if examples.iter().any(|e| e.starts_with("login -> 429")) {
            eprintln!(
                "  (sign-ins are rate limited per client IP: start the server with \
                 RATE_LIMIT_LOGIN_PER_MINUTE at least the number of users)"
            );
        }
    }

    if let Some(path) = &opts.out {
        let mut doc = report.to_json(&usage, own_cpu, stuck, started_unix);
        doc["error_examples"] = json!(examples);
        let written = std::fs::File::create(path).and_then(|mut f| {
            f.write_all(
                serde_json::to_string_pretty(&doc)
                    .unwrap_or_default()
                    .as_bytes(),
            )?;
            f.write_all(b"\n")
        });
        if let Err(e) = written {
            eprintln!("formula-loadgen: cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
    }

    let k6_ok = report.k6_thresholds_pass();
    let code = if opts.fail_on_threshold && !k6_ok {
        3
    } else {
        0
    };
    // Exit without joining: a user stuck past the grace period must not extend the run.
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

/// The summaries the table and the JSON are made of.
struct Report<'a> {
    shared: &'a Shared,
    /// Start and end of the measured window (after the ramp), in seconds since the start.
    window: (f64, f64),
    by_endpoint: Vec<(Endpoint, Summary)>,
    reads: Summary,
    writes: Summary,
    searches: Summary,
    overall: Summary,
    whole_run: Summary,
    whole_run_by_endpoint: Vec<(Endpoint, Summary)>,
    wall_s: f64,
}

impl<'a> Report<'a> {
    fn new(shared: &'a Shared, samples: &[Sample], wall_s: f64) -> Report<'a> {
        let opts = &shared.opts;
        let from = opts.ramp.as_secs_f64();
        let to = opts.duration.as_secs_f64();
        let in_window = |s: &&Sample| {
            let t = f64::from(s.start_ms) / 1000.0;
            t >= from && t < to
        };
        let window_s = to - from;
        let of = |e: Endpoint, windowed: bool| {
            let secs = if windowed { window_s } else { wall_s };
            Summary::of(
                samples
                    .iter()
                    .filter(|s| s.endpoint == e)
                    .filter(|s| !windowed || in_window(s)),
                secs,
            )
        };
        let by_endpoint = Endpoint::ALL.iter().map(|&e| (e, of(e, true))).collect();
        let whole_run_by_endpoint = Endpoint::ALL.iter().map(|&e| (e, of(e, false))).collect();
        let kind = |k: Kind| {
            Summary::of(
                samples
                    .iter()
                    .filter(in_window)
                    .filter(|s| s.endpoint.kind() == k),
                window_s,
            )
        };
        Report {
            shared,
            window: (from, to),
            by_endpoint,
            reads: kind(Kind::Read),
            writes: kind(Kind::Write),
            searches: kind(Kind::Search),
            overall: Summary::of(samples.iter().filter(in_window), window_s),
            whole_run: Summary::of(samples.iter(), wall_s),
            whole_run_by_endpoint,
            wall_s,
        }
    }

    /// The k6 script's thresholds, over the whole run like k6: p95 < 500 ms, errors < 1 %.
    fn k6_thresholds_pass(&self) -> bool {
        self.whole_run.requests > 0
            && self.whole_run.p95_ms < 500.0
            && self.whole_run.error_rate() < 0.01
    }

    /// DESIGN.md §9 at full load: reads p95 ≤ 20 ms, writes p95 ≤ 50 ms, the global search
    /// p95 ≤ 50 ms (when it ran), no errors.
    fn design_budgets_pass(&self) -> bool {
        self.overall.requests > 0
            && self.reads.p95_ms <= 20.0
            && self.writes.p95_ms <= 50.0
            && (self.searches.requests == 0 || self.searches.p95_ms <= 50.0)
            && self.whole_run.errors == 0
    }

    fn table(&self, usage: &ServerUsage, own_cpu: Option<f64>, stuck: usize) -> String {
        let opts = &self.shared.opts;
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(format!(
            "\n{}: {} users, {} s ({} s ramp), {} iterations; latency over the {:.0} s after the ramp",
            opts.label,
            opts.vus,
            opts.duration.as_secs(),
            opts.ramp.as_secs(),
            self.shared.iterations.load(Ordering::Relaxed),
            self.window.1 - self.window.0
        ));
        line(format!(
            "{:<16} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9} {:>7}",
            "endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"
        ));
        let row = |name: &str, s: &Summary| {
            format!(
                "{:<16} {:>9} {:>8.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>7}",
                name, s.requests, s.rps, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms, s.errors
            )
        };
        for (e, s) in &self.by_endpoint {
            if *e == Endpoint::Login {
                continue; // sign-ins happen during the ramp: shown below over the whole run
            }
            line(row(e.name(), s));
        }
        line(row("reads", &self.reads));
        line(row("writes", &self.writes));
        if self.searches.requests > 0 {
            line(row("searches", &self.searches));
        }
        line(row("all", &self.overall));
        if let Some((_, login)) = self
            .whole_run_by_endpoint
            .iter()
            .find(|(e, _)| *e == Endpoint::Login)
        {
            line(row("login (run)", login));
        }
        line(row("whole run", &self.whole_run));
        if let Some(peak) = usage.rss_peak_kib {
            let mb = |k: Option<u64>| k.map_or(0.0, |k| k as f64 / 1024.0);
            line(format!(
                "server RSS: {:.1} MB at start, {:.1} MB peak, {:.1} MB at end; server CPU {:.0} s ({:.0} % of one core)",
                mb(usage.rss_start_kib),
                mb(Some(peak)),
                mb(usage.rss_end_kib),
                usage.cpu_used_s().unwrap_or(0.0),
                usage.cpu_used_s().unwrap_or(0.0) / self.wall_s * 100.0
            ));
        }
        if let Some(cpu) = own_cpu {
            line(format!(
                "load generator CPU {:.0} s ({:.0} % of one core)",
                cpu,
                cpu / self.wall_s * 100.0
            ));
        }
        if stuck > 0 {
            line(format!(
                "{stuck} users were still waiting for an answer when the run ended"
            ));
        }
        let verdict = |ok: bool| if ok { "pass" } else { "FAIL" };
        line(format!(
            "k6 thresholds (whole run p95 < 500 ms, errors < 1 %): {}",
            verdict(self.k6_thresholds_pass())
        ));
        line(format!(
            "DESIGN.md §9 (reads p95 <= 20 ms, writes and searches p95 <= 50 ms, 0 errors): {}",
            verdict(self.design_budgets_pass())
        ));
        out
    }

    fn to_json(
        &self,
        usage: &ServerUsage,
        own_cpu: Option<f64>,
        stuck: usize,
        started_unix: u64,
    ) -> Value {
        let opts = &self.shared.opts;
        // Sign-ins happen during the ramp, so the window after it has none: they are in
        // `whole_run_endpoints` only.
        let endpoints = |list: &[(Endpoint, Summary)]| -> Vec<Value> {
            list.iter()
                .filter(|(e, s)| *e != Endpoint::Login || s.requests > 0)
                .map(|(e, s)| {
                    let mut v = s.to_json();
                    v["name"] = json!(e.name());
                    v["request"] = json!(e.request());
                    v
                })
                .collect()
        };
        json!({
            "tool": "formula-loadgen",
            "label": opts.label,
            "url": opts.base,
            "started_unix": started_unix,
            "settings": {
                "vus": opts.vus,
                "ramp_s": opts.ramp.as_secs(),
                "duration_s": opts.duration.as_secs(),
                "think_ms": [opts.think_ms.0, opts.think_ms.1],
                "timeout_s": opts.timeout.as_secs(),
                "auth": match opts.credentials {
                    args::Credentials::Password { .. } => "session per user",
                    args::Credentials::Token(_) => "shared API token",
                },
            },
            "window_s": [self.window.0, self.window.1],
            "wall_s": (self.wall_s * 10.0).round() / 10.0,
            "iterations": self.shared.iterations.load(Ordering::Relaxed),
            "endpoints": endpoints(&self.by_endpoint),
            "reads": self.reads.to_json(),
            "writes": self.writes.to_json(),
            "searches": self.searches.to_json(),
            "overall": self.overall.to_json(),
            "whole_run": self.whole_run.to_json(),
            "whole_run_endpoints": endpoints(&self.whole_run_by_endpoint),
            "server": {
                "pid": opts.pid,
                "rss_start_kib": usage.rss_start_kib,
                "rss_peak_kib": usage.rss_peak_kib,
                "rss_end_kib": usage.rss_end_kib,
                "cpu_s": usage.cpu_used_s().map(|c| (c * 10.0).round() / 10.0),
            },
            "loadgen_cpu_s": own_cpu.map(|c| (c * 10.0).round() / 10.0),
            "users_still_busy_at_end": stuck,
            "k6_thresholds_pass": self.k6_thresholds_pass(),
            "design_budgets_pass": self.design_budgets_pass(),
        })
    }
}
