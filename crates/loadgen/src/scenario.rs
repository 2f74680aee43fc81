//! One virtual user: its own connection and session, the loop of deploy/perf/k6.js.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::args::{Credentials, Options};
use crate::stats::{Endpoint, Sample};

/// Whom the comment step mentions: an executive of the seed-demo company.
const MENTION: &str = "richard.hale";

/// Shared by the users and the main thread.
pub struct Shared {
    pub opts: Options,
    pub started: Instant,
    pub deadline: Instant,
    pub stop: AtomicBool,
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    pub iterations: AtomicU64,
    pub active: AtomicUsize,
    /// The first distinct failures, to tell the operator what went wrong.
    pub error_examples: Mutex<Vec<String>>,
}

impl Shared {
    fn over(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || Instant::now() >= self.deadline
    }

    fn note_error(&self, what: String) {
        let mut v = self
            .error_examples
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if v.len() < 20 && !v.contains(&what) {
            v.push(what);
        }
    }

    /// Sleeps `d`, or less when the run ends first.
    fn sleep(&self, d: Duration) {
        let until = (Instant::now() + d).min(self.deadline);
        while !self.over() {
            let now = Instant::now();
            if now >= until {
                break;
            }
            thread::sleep((until - now).min(Duration::from_millis(250)));
        }
    }
}

/// xorshift64*: think times and picks, no crate needed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        if v.is_empty() {
            None
        } else {
            v.get((self.next() % v.len() as u64) as usize)
        }
    }
}

enum Auth {
    None,
    Session { cookie: String, csrf: String },
    Token(String),
}

struct Answer {
    status: u16,
    body: Vec<u8>,
}

struct User {
    shared: Arc<Shared>,
    samples: Arc<Mutex<Vec<Sample>>>,
    agent: ureq::Agent,
    auth: Auth,
    rng: Rng,
    index: usize,
    projects: Vec<String>,
}

impl User {
    /// One request, timed until the body is read, recorded as `endpoint`.
    fn call(&mut self, endpoint: Endpoint, method: &str, path: &str, body: Option<&str>) -> Answer {
        let url = format!("{}{}", self.shared.opts.base, path);
        let unsafe_method = method != "GET";
        let t0 = Instant::now();
        let result = (|| -> Result<(u16, Vec<u8>), ureq::Error> {
            let mut headers: Vec<(&str, String)> = vec![("accept", "application/json".into())];
            match &self.auth {
                Auth::None => {}
                Auth::Session { cookie, csrf } => {
                    headers.push(("cookie", cookie.clone()));
                    if unsafe_method {
                        headers.push(("x-csrf-token", csrf.clone()));
                    }
                }
                Auth::Token(t) => headers.push(("authorization", format!("Bearer {t}"))),
            }
            let mut response = match (method, body) {
                ("POST", body) => {
                    let mut r = self.agent.post(&url);
                    for (k, v) in &headers {
                        r = r.header(*k, v);
                    }
                    r.content_type("application/json")
                        .send(body.unwrap_or("{}"))?
                }
                ("DELETE", _) => {
                    let mut r = self.agent.delete(&url);
                    for (k, v) in &headers {
                        r = r.header(*k, v);
                    }
                    r.call()?
                }
                _ => {
                    let mut r = self.agent.get(&url);
                    for (k, v) in &headers {
                        r = r.header(*k, v);
                    }
                    r.call()?
                }
            };
            let status = response.status().as_u16();
            if endpoint == Endpoint::Login && status == 200 {
                // Keep the session cookie's `name=value`; the CSRF token comes in the body.
                if let Some(c) = response
                    .headers()
                    .get("set-cookie")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(';').next())
                {
                    self.auth = Auth::Session {
                        cookie: c.trim().to_owned(),
                        csrf: String::new(),
                    };
                }
            }
            let bytes = response
                .body_mut()
                .with_config()
                .limit(256 * 1024 * 1024)
                .read_to_vec()?;
            Ok((status, bytes))
        })();
        let elapsed = t0.elapsed();
        let (status, body) = match result {
            Ok(x) => x,
            Err(e) => {
                self.shared
                    .note_error(format!("{} {}: {e}", endpoint.name(), method));
                (0, Vec::new())
            }
        };
        let sample = Sample {
            endpoint,
            start_ms: u32::try_from(t0.duration_since(self.shared.started).as_millis())
                .unwrap_or(u32::MAX),
            micros: u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX),
            status,
        };
        self.shared.requests.fetch_add(1, Ordering::Relaxed);
        if !sample.ok() {
            self.shared.errors.fetch_add(1, Ordering::Relaxed);
            if status != 0 {
                let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
                self.shared
                    .note_error(format!("{} -> {status}: {text}", endpoint.name()));
            }
        }
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(sample);
        Answer { status, body }
    }

    fn login(&mut self) -> bool {
        match self.shared.opts.credentials.clone() {
            Credentials::Token(t) => {
                self.auth = Auth::Token(t);
                true
            }
            Credentials::Password { email, password } => {
                self.auth = Auth::None;
                let body = serde_json::json!({ "email": email, "password": password }).to_string();
                let a = self.call(Endpoint::Login, "POST", "/api/v1/auth/login", Some(&body));
                let csrf = json(&a.body).and_then(|v| {
                    v.get("csrf_token")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                });
                match (&mut self.auth, csrf, a.status) {
                    (Auth::Session { csrf: slot, .. }, Some(token), 200) => {
                        *slot = token;
                        true
                    }
                    _ => {
                        self.auth = Auth::None;
                        false
                    }
                }
            }
        }
    }

    fn think(&mut self) {
        let (lo, hi) = self.shared.opts.think_ms;
        let ms = self.rng.between(lo, hi);
        self.shared.sleep(Duration::from_millis(ms));
    }

    /// One pass of the scenario. Returns false when the session was lost (401).
    fn iteration(&mut self, n: u64) -> bool {
        let sh = Arc::clone(&self.shared);
        let mut authed = true;
        let mut check = |a: &Answer| {
            if a.status == 401 {
                authed = false;
            }
        };

        let a = self.call(
            Endpoint::ProjectList,
            "GET",
            "/api/v1/projects?limit=50",
            None,
        );
        check(&a);
        if let Some(ids) = json(&a.body).map(|v| active_project_ids(&v))
            && !ids.is_empty()
        {
            self.projects = ids;
        }
        let Some(project) = self.rng.pick(&self.projects).cloned() else {
            return authed; // nothing to look at yet (the list failed); try again next loop
        };
        let runs = |e: Endpoint| !sh.opts.skip.contains(&e) && !sh.over();
        if runs(Endpoint::ProjectDetail) {
            let a = self.call(
                Endpoint::ProjectDetail,
                "GET",
                &format!("/api/v1/projects/{project}"),
                None,
            );
            check(&a);
        }
        if runs(Endpoint::ProjectTasks) {
            let a = self.call(
                Endpoint::ProjectTasks,
                "GET",
                &format!("/api/v1/projects/{project}/tasks?limit=50"),
                None,
            );
            check(&a);
        }
        if runs(Endpoint::MyWork) {
            let a = self.call(Endpoint::MyWork, "GET", "/api/v1/me/tasks", None);
            check(&a);
        }
        if runs(Endpoint::Search) {
            let term = self
                .rng
                .pick(&sh.opts.search_terms)
                .cloned()
                .unwrap_or_default();
            let a = self.call(
                Endpoint::Search,
                "GET",
                &format!("/api/v1/projects?q={}&limit=50", encode(&term)),
                None,
            );
            check(&a);
        }
        if runs(Endpoint::GlobalSearch) {
            let words = self
                .rng
                .pick(&sh.opts.global_terms)
                .cloned()
                .unwrap_or_default();
            let a = self.call(
                Endpoint::GlobalSearch,
                "GET",
                &format!("/api/v1/search?q={}&limit=10", encode(&words)),
                None,
            );
            check(&a);
        }
        // A comment mentioning an executive (who sees every project): the write whose
        // notification fan-out (the mention, the record's followers, the mail job) is timed.
        if runs(Endpoint::Comment) {
            let body = serde_json::json!({
                "record_type": "project",
                "record_id": project,
                "body": format!("@{MENTION} load test note {}-{n}: please check the site dimensions", self.index),
            })
            .to_string();
            let a = self.call(Endpoint::Comment, "POST", "/api/v1/comments", Some(&body));
            check(&a);
        }
        if !runs(Endpoint::CreateTask) {
            return authed;
        }
        let body = serde_json::json!({
            "title": format!("Load test task {}-{n}", self.index),
            "priority": "medium",
        })
        .to_string();
        let a = self.call(
            Endpoint::CreateTask,
            "POST",
            &format!("/api/v1/projects/{project}/tasks"),
            Some(&body),
        );
        check(&a);
        let created = json(&a.body).and_then(|v| {
            Some((
                v.get("id")?.as_str()?.to_owned(),
                v.get("version")?.as_i64()?,
            ))
        });
        // The task is removed even when the run is over, so a run leaves no test data behind.
        if let (201, Some((id, version))) = (a.status, created) {
            let a = self.call(
                Endpoint::DeleteTask,
                "DELETE",
                &format!("/api/v1/tasks/{id}?version={version}"),
                None,
            );
            check(&a);
        }
        authed
    }
}

fn json(body: &[u8]) -> Option<Value> {
    serde_json::from_slice(body).ok()
}

/// Ids of the active projects on a page (all of them when none is active).
fn active_project_ids(page: &Value) -> Vec<String> {
    let items = page.get("items").and_then(Value::as_array);
    let ids = |only_active: bool| -> Vec<String> {
        items
            .into_iter()
            .flatten()
            .filter(|p| !only_active || p.get("status").and_then(Value::as_str) == Some("active"))
            .filter_map(|p| p.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect()
    };
    let active = ids(true);
    if active.is_empty() {
        ids(false)
    } else {
        active
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs virtual user `index` (0-based) until the deadline; it starts after its share of the ramp.
pub fn run_user(shared: Arc<Shared>, samples: Arc<Mutex<Vec<Sample>>>, index: usize) {
    let opts = &shared.opts;
    let offset = opts.ramp.mul_f64(index as f64 / opts.vus as f64);
    shared.sleep(offset.saturating_sub(shared.started.elapsed()));
    if shared.over() {
        return;
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None) // never through a proxy: the target is this machine
        .max_redirects(0) // and never anywhere a redirect points
        .timeout_global(Some(opts.timeout))
        .user_agent("formula-loadgen")
        .build()
        .new_agent();
    let nanos = shared.started.elapsed().as_nanos() as u64;
    let mut user = User {
        samples,
        agent,
        auth: Auth::None,
        rng: Rng::new(nanos ^ (index as u64 + 1).wrapping_mul(0x1000_0000_01B3)),
        index,
        projects: Vec::new(),
        shared: Arc::clone(&shared),
    };
    shared.active.fetch_add(1, Ordering::Relaxed);
    let mut authed = false;
    let mut n = 0u64;
    while !shared.over() {
        if !authed {
            authed = user.login();
            if !authed {
                user.think(); // back off before signing in again
                continue;
            }
        }
        authed = user.iteration(n);
        n += 1;
        shared.iterations.fetch_add(1, Ordering::Relaxed);
        user.think();
    }
    shared.active.fetch_sub(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode("fit-out"), "fit-out");
        assert_eq!(encode("Benchmark fit-out 01"), "Benchmark%20fit-out%2001");
        assert_eq!(encode("a&b=c"), "a%26b%3Dc");
        assert_eq!(encode("Tomás"), "Tom%C3%A1s");
    }

    #[test]
    fn picks_active_projects() {
        let page = serde_json::json!({"items": [
            {"id": "a", "status": "active"},
            {"id": "b", "status": "on_tender"},
            {"id": "c", "status": "active"},
        ]});
        assert_eq!(active_project_ids(&page), ["a", "c"]);
        let none_active = serde_json::json!({"items": [{"id": "b", "status": "completed"}]});
        assert_eq!(active_project_ids(&none_active), ["b"]);
        assert!(active_project_ids(&serde_json::json!({})).is_empty());
    }

    #[test]
    fn think_times_stay_in_range() {
        let mut rng = Rng::new(42);
        for _ in 0..1000 {
            let v = rng.between(1000, 3000);
            assert!((1000..=3000).contains(&v));
        }
        assert_eq!(rng.between(5, 5), 5);
    }
}
