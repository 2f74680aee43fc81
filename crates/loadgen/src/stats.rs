//! Samples and their summaries. Every request is kept (a few bytes each: 100 users for ten
//! minutes make a few hundred thousand), so percentiles are exact, not estimated.

use std::collections::BTreeMap;

/// The steps of the scenario, in loop order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    Login,
    ProjectList,
    ProjectDetail,
    ProjectTasks,
    MyWork,
    Search,
    GlobalSearch,
    CreateTask,
    DeleteTask,
    Comment,
}

impl Endpoint {
    pub const ALL: [Endpoint; 10] = [
        Endpoint::Login,
        Endpoint::ProjectList,
        Endpoint::ProjectDetail,
        Endpoint::ProjectTasks,
        Endpoint::MyWork,
        Endpoint::Search,
        Endpoint::GlobalSearch,
        Endpoint::CreateTask,
        Endpoint::DeleteTask,
        Endpoint::Comment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Login => "login",
            Endpoint::ProjectList => "project list",
            Endpoint::ProjectDetail => "project detail",
            Endpoint::ProjectTasks => "project tasks",
            Endpoint::MyWork => "my work",
            Endpoint::Search => "search",
            Endpoint::GlobalSearch => "global search",
            Endpoint::CreateTask => "create task",
            Endpoint::DeleteTask => "delete task",
            Endpoint::Comment => "comment with a mention",
        }
    }

    /// The request, with placeholders for ids.
    pub fn request(self) -> &'static str {
        match self {
            Endpoint::Login => "POST /api/v1/auth/login",
            Endpoint::ProjectList => "GET /api/v1/projects?limit=50",
            Endpoint::ProjectDetail => "GET /api/v1/projects/{id}",
            Endpoint::ProjectTasks => "GET /api/v1/projects/{id}/tasks?limit=50",
            Endpoint::MyWork => "GET /api/v1/me/tasks",
            Endpoint::Search => "GET /api/v1/projects?q={term}&limit=50",
            Endpoint::GlobalSearch => "GET /api/v1/search?q={words}&limit=10",
            Endpoint::CreateTask => "POST /api/v1/projects/{id}/tasks",
            Endpoint::DeleteTask => "DELETE /api/v1/tasks/{id}?version={v}",
            Endpoint::Comment => "POST /api/v1/comments (mentioning @richard.hale)",
        }
    }

    /// Reads, writes and the global search have different budgets (DESIGN.md §9); signing
    /// in has none.
    pub fn kind(self) -> Kind {
        match self {
            Endpoint::Login => Kind::Login,
            Endpoint::CreateTask | Endpoint::DeleteTask | Endpoint::Comment => Kind::Write,
            Endpoint::GlobalSearch => Kind::Search,
            _ => Kind::Read,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    Read,
    Write,
    /// The global search (p95 ≤ 50 ms over ≥ 20,000 tasks and scope items and 50,000 comments).
    Search,
}

/// One request. `status` 0 means no HTTP answer (connection error or timeout).
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub endpoint: Endpoint,
    /// When it started, in milliseconds since the run began.
    pub start_ms: u32,
    /// Until the whole response body was read, in microseconds.
    pub micros: u32,
    pub status: u16,
}

impl Sample {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Nearest-rank percentile of ascending `sorted` values (`p` in 0–100); 0 when empty.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// What a set of samples comes to.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub requests: u64,
    pub errors: u64,
    pub rps: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Responses by status ("200", "429", "transport" …).
    pub statuses: BTreeMap<String, u64>,
}

impl Summary {
    /// Summarises `samples` measured over `seconds` of wall time.
    pub fn of<'a>(samples: impl Iterator<Item = &'a Sample>, seconds: f64) -> Summary {
        let mut micros = Vec::new();
        let mut s = Summary::default();
        for x in samples {
            micros.push(x.micros);
            if !x.ok() {
                s.errors += 1;
            }
            let key = if x.status == 0 {
                "transport".to_owned()
            } else {
                x.status.to_string()
            };
            *s.statuses.entry(key).or_default() += 1;
        }
        micros.sort_unstable();
        let ms = |us: u32| f64::from(us) / 1000.0;
        s.requests = micros.len() as u64;
        if seconds > 0.0 {
            s.rps = s.requests as f64 / seconds;
        }
        if !micros.is_empty() {
            s.mean_ms =
                micros.iter().map(|&u| f64::from(u)).sum::<f64>() / micros.len() as f64 / 1000.0;
            s.p50_ms = ms(percentile(&micros, 50.0));
            s.p95_ms = ms(percentile(&micros, 95.0));
            s.p99_ms = ms(percentile(&micros, 99.0));
            s.max_ms = ms(percentile(&micros, 100.0));
        }
        s
    }

    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let round = |v: f64| (v * 100.0).round() / 100.0;
        serde_json::json!({
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.rps),
            "mean_ms": round(self.mean_ms),
            "p50_ms": round(self.p50_ms),
            "p95_ms": round(self.p95_ms),
            "p99_ms": round(self.p99_ms),
            "max_ms": round(self.max_ms),
            "statuses": self.statuses,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 95.0), 95);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&v, 0.0), 1);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
        // Ten values: p95 is the 10th (rank ceil(9.5)), p50 the 5th.
        let ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1000];
        assert_eq!(percentile(&ten, 50.0), 5);
        assert_eq!(percentile(&ten, 95.0), 1000);
        assert_eq!(percentile(&ten, 90.0), 9);
    }

    #[test]
    fn summary_counts_errors_and_rates() {
        let mk = |micros, status| Sample {
            endpoint: Endpoint::MyWork,
            start_ms: 0,
            micros,
            status,
        };
        let samples = [mk(1000, 200), mk(3000, 200), mk(2000, 500), mk(4000, 0)];
        let s = Summary::of(samples.iter(), 2.0);
        assert_eq!((s.requests, s.errors), (4, 2));
        assert!((s.rps - 2.0).abs() < 1e-9);
        assert!((s.mean_ms - 2.5).abs() < 1e-9);
        assert!((s.p50_ms - 2.0).abs() < 1e-9);
        assert!((s.max_ms - 4.0).abs() < 1e-9);
        assert!((s.error_rate() - 0.5).abs() < 1e-9);
        assert_eq!(s.statuses.get("transport"), Some(&1));
        assert_eq!(s.statuses.get("200"), Some(&2));
    }
}
