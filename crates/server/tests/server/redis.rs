//! Several real `formula-pm serve` instances sharing one real `redis-server` (started here
//! on a free loopback port, without persistence): one login rate limit across instances,
//! no failed request while Redis stops, readiness `degraded` then `ok` again after Redis
//! restarts (without restarting the app), the dashboard cache invalidated by writes, and
//! live-update streams ended on one instance when access ends on another.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::process::free_port;

/// Upper bound of every wait in this module; none is a timing assertion.
const BOUND: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);
const PASSWORD: &str = "redis-test-password-1";
const EMAIL: &str = "admin@example.com";

/// A `redis-server` of this test, killed on drop.
struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    fn start() -> RedisServer {
        let mut server = RedisServer {
            port: free_port(),
            child: None,
        };
        server.restart();
        server
    }

    /// Starts (again) on the same port and waits until it accepts connections.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (scripts/test.sh installs it)");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < BOUND, "redis-server did not start");
            std::thread::sleep(POLL);
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A `formula-pm serve` on SQLite in a directory of its own; killed on drop.
struct App {
    child: Child,
    dir: PathBuf,
    base: String,
}

/// `formula-pm ARGS` with only the variables given.
fn command(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_formula-pm"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TMPDIR", std::env::temp_dir())
        .env("DATA_DIR", dir.join("data"))
        .env("LOG_FORMAT", "pretty")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

impl App {
    /// Creates the admin (when `admin`), starts the server with `env` and waits until it
    /// answers readiness.
    fn start(label: &str, admin: bool, env: &[(&str, &str)]) -> App {
        let dir = std::env::temp_dir().join(format!(
            "formula-redis-{label}-{}",
            uuid::Uuid::now_v7().simple()
        ));
        fs::create_dir_all(&dir).unwrap();
        if admin {
            let mut admin_env = vec![("ADMIN_PASSWORD", PASSWORD)];
            admin_env.extend(env.iter().filter(|(k, _)| *k == "DATABASE_URL"));
            let out = command(&dir, &admin_env)
                .args(["create-admin", "--email", EMAIL, "--name", "Admin"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "create-admin: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let port = free_port();
        let log = fs::File::create(dir.join("server.log")).unwrap();
        let child = command(&dir, env)
            .arg("serve")
            .env("PORT", port.to_string())
            .env("BIND", "127.0.0.1")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut app = App {
            child,
            dir,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = app.child.try_wait() {
                panic!("formula-pm exited ({status}):\n{}", app.log());
            }
            if call("GET", &app.url("/health/ready"), &[], None).is_ok_and(|r| r.0 == 200) {
                return app;
            }
            assert!(started.elapsed() < BOUND, "not ready:\n{}", app.log());
            std::thread::sleep(POLL);
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// `/health/ready`: the HTTP status and the body.
    fn readiness(&self) -> (u16, Value) {
        let (status, body, _) = call("GET", &self.url("/health/ready"), &[], None).unwrap();
        (status, body)
    }

    /// Polls readiness until `want` holds for it (bounded).
    fn wait_readiness(&self, what: &str, want: impl Fn(u16, &Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let (status, body) = self.readiness();
            if want(status, &body) {
                return body;
            }
            assert!(
                started.elapsed() < BOUND,
                "readiness never became {what}: {status} {body}\n{}",
                self.log()
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- formula-pm log ---\n{}", self.log());
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// One request: `(status, JSON body or null, set-cookie values)`.
fn call(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Result<(u16, Value, Vec<String>), ureq::Error> {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        // Generous: only a hang reaches it.
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent();
    let mut resp = if method == "GET" || method == "DELETE" {
        let mut r = if method == "GET" {
            agent.get(url)
        } else {
            agent.delete(url)
        };
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.call()?
    } else {
        let mut r = agent.post(url);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.send_json(body.unwrap_or(Value::Null))?
    };
    let status = resp.status().as_u16();
    let cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        cookies,
    ))
}

/// Signs in and creates an API token; returns `(bearer header value, admin user id)`.
fn bearer(app: &App) -> (String, String) {
    let (status, me, cookies) = call(
        "POST",
        &app.url("/api/v1/auth/login"),
        &[],
        Some(json!({"email": EMAIL, "password": PASSWORD})),
    )
    .unwrap();
    assert_eq!(status, 200, "login: {me}");
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let user_id = me["user"]["id"].as_str().unwrap().to_owned();
    let cookie = cookies.join("; ");
    let (status, token, _) = call(
        "POST",
        &app.url("/api/v1/me/tokens"),
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(json!({"name": "redis"})),
    )
    .unwrap();
    assert_eq!(status, 201, "token: {token}");
    (
        format!("Bearer {}", token["secret"].as_str().unwrap()),
        user_id,
    )
}

/// Projects counted on the dashboard.
fn dashboard_projects(app: &App, auth: &str) -> i64 {
    let (status, counts, _) = call(
        "GET",
        &app.url("/api/v1/dashboard"),
        &[("authorization", auth)],
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "dashboard: {counts}");
    counts["projects_by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[1].as_i64().unwrap())
        .sum()
}

/// The value of the unlabelled series `name` on `/metrics` (0 when absent).
fn metric(app: &App, name: &str) -> u64 {
    series(app, &format!("{name} "))
}

/// The value of `cache_requests_total{result="<result>"}` on `/metrics` (0 when absent).
fn cache_requests(app: &App, result: &str) -> u64 {
    series(
        app,
        &format!("cache_requests_total{{result=\"{result}\"}} "),
    )
}

/// The value of the series whose line starts with `prefix` on `/metrics` (0 when absent).
fn series(app: &App, prefix: &str) -> u64 {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent();
    let text = agent
        .get(&app.url("/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[test]
fn two_instances_enforce_one_login_limit() {
    let redis = RedisServer::start();
    let url = redis.url();
    let env = [
        ("REDIS_URL", url.as_str()),
        ("RATE_LIMIT_LOGIN_PER_MINUTE", "5"),
    ];
    let apps = [
        App::start("limit-a", false, &env),
        App::start("limit-b", false, &env),
    ];
    for app in &apps {
        let body = app.readiness().1;
        assert_eq!(body["checks"]["redis"]["status"], "ok", "{body}");
    }
    let mut allowed = 0;
    for n in 0..14 {
        let app = &apps[n % 2];
        // A different account each time: only the per-IP limit applies.
        let (status, body, _) = call(
            "POST",
            &app.url("/api/v1/auth/login"),
            &[],
            Some(
                json!({"email": format!("nobody{n}@example.com"), "password": "wrong-password-1"}),
            ),
        )
        .unwrap();
        if status != 429 {
            assert_eq!(status, 401, "{body}");
            allowed += 1;
        }
    }
    assert_eq!(allowed, 5, "the sum over both instances is the one limit");
}

#[test]
fn a_redis_outage_fails_no_request_and_readiness_recovers_on_its_own() {
    let mut redis = RedisServer::start();
    let url = redis.url();
    let app = App::start("outage", true, &[("REDIS_URL", url.as_str())]);
    let (auth, manager_id) = bearer(&app);
    let body = app.readiness().1;
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["checks"]["redis"]["status"], "ok", "{body}");
    assert!(body["checks"]["redis"]["latency_ms"].is_number(), "{body}");

    // The dashboard is cached, and a write is visible at once to the next read.
    assert_eq!(dashboard_projects(&app, &auth), 0);
    assert_eq!(dashboard_projects(&app, &auth), 0);
    assert!(
        cache_requests(&app, "hit") >= 1,
        "the second read was cached"
    );
    let h = [("authorization", auth.as_str())];
    let (status, client, _) = call(
        "POST",
        &app.url("/api/v1/clients"),
        &h,
        Some(json!({"name": "Hotel Meridian"})),
    )
    .unwrap();
    assert_eq!(status, 201, "{client}");
    let (status, project, _) = call(
        "POST",
        &app.url("/api/v1/projects"),
        &h,
        Some(json!({
            "name": "Lobby joinery",
            "client_id": client["id"],
            "manager_id": manager_id,
            "sector": "hospitality",
            "business_line": "millwork",
        })),
    )
    .unwrap();
    assert_eq!(status, 201, "{project}");
    assert_eq!(
        dashboard_projects(&app, &auth),
        1,
        "no stale count after a write"
    );

    // Authenticated reads in a loop while Redis is killed (a dozen before, two dozen
    // after): none fails.
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let load = {
        let (done, stop, failures) = (done.clone(), stop.clone(), failures.clone());
        let (projects, dashboard) = (app.url("/api/v1/projects"), app.url("/api/v1/dashboard"));
        let auth = auth.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let url = if n % 2 == 0 { &projects } else { &dashboard };
                n += 1;
                match call("GET", url, &[("authorization", &auth)], None) {
                    Ok((200, _, _)) => {}
                    Ok((status, body, _)) => {
                        failures.lock().unwrap().push(format!("{status} {body}"))
                    }
                    Err(e) => failures.lock().unwrap().push(e.to_string()),
                }
                done.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let wait_done = |n: usize| {
        let started = Instant::now();
        while done.load(Ordering::SeqCst) < n {
            assert!(started.elapsed() < BOUND, "the load stalled at {n}");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    wait_done(12);
    redis.stop();
    wait_done(done.load(Ordering::SeqCst) + 24);
    stop.store(true, Ordering::SeqCst);
    load.join().unwrap();
    assert_eq!(*failures.lock().unwrap(), Vec::<String>::new());

    let body = app.wait_readiness("degraded", |status, body| {
        status == 200 && body["status"] == "degraded"
    });
    assert_eq!(body["checks"]["redis"]["status"], "fail", "{body}");
    assert_eq!(
        body["failing"],
        json!([]),
        "an optional Redis fails nothing"
    );
    // The failures opened the circuit: Redis is left alone until a probe gets an answer.
    assert_eq!(body["checks"]["redis"]["circuit"], "open", "{body}");
    assert_eq!(metric(&app, "redis_circuit_open"), 1);
    assert!(metric(&app, "redis_circuit_opened_total") >= 1);
    let skipped = metric(&app, "redis_calls_skipped_total");
    // Writes still succeed and are visible (the cache is bypassed).
    assert_eq!(dashboard_projects(&app, &auth), 1);
    assert!(metric(&app, "redis_calls_skipped_total") > skipped);

    redis.restart();
    let body = app.wait_readiness("ok", |status, body| status == 200 && body["status"] == "ok");
    assert_eq!(body["checks"]["redis"]["status"], "ok", "{body}");
    assert_eq!(body["checks"]["redis"]["circuit"], "closed", "{body}");
    assert_eq!(metric(&app, "redis_circuit_open"), 0);
    assert_eq!(dashboard_projects(&app, &auth), 1);
}

#[test]
fn a_required_redis_that_is_down_fails_readiness() {
    let mut redis = RedisServer::start();
    let url = redis.url();
    let app = App::start(
        "required",
        false,
        &[("REDIS_URL", url.as_str()), ("REDIS_REQUIRED", "true")],
    );
    redis.stop();
    let body = app.wait_readiness("failing", |status, _| status == 503);
    assert_eq!(body["status"], "fail", "{body}");
    assert_eq!(body["failing"], json!(["redis"]), "{body}");
    assert_eq!(body["checks"]["redis"]["required"], true, "{body}");
    redis.restart();
    app.wait_readiness("ok", |status, body| status == 200 && body["status"] == "ok");
}

/// A live-update stream read on a thread of its own: reports when it opened and when the
/// server ended it.
struct LiveStream {
    events: std::sync::mpsc::Receiver<Result<&'static str, String>>,
}

impl LiveStream {
    /// Opens `url` with `headers` and waits for its first frame.
    fn open(url: &str, headers: &[(&str, &str)]) -> LiveStream {
        use std::io::BufRead;
        // No overall timeout: the stream is meant to stay open until the server ends it.
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .new_agent();
        let mut req = agent.get(url).header("accept", "text/event-stream");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.call().unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        let (tx, events) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(resp.into_body().into_reader()).lines();
            let mut greeted = false;
            for line in lines.by_ref() {
                match line {
                    Ok(l) if !greeted && l.contains("live updates") => {
                        greeted = true;
                        let _ = tx.send(Ok("open"));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                        return;
                    }
                }
            }
            let _ = tx.send(Ok("ended"));
        });
        let stream = LiveStream { events };
        assert_eq!(stream.next(), Ok("open"), "{url}");
        stream
    }

    fn next(&self) -> Result<&'static str, String> {
        self.events
            .recv_timeout(BOUND)
            .unwrap_or_else(|_| panic!("the stream stayed open"))
    }

    fn is_open(&self) -> bool {
        matches!(
            self.events.try_recv(),
            Err(std::sync::mpsc::TryRecvError::Empty)
        )
    }
}

#[test]
fn streams_end_when_access_ends_on_another_instance() {
    let redis = RedisServer::start();
    let db = crate::pg::Database::create();
    let (redis_url, db_url) = (redis.url(), db.url.clone());
    let env = [
        ("REDIS_URL", redis_url.as_str()),
        ("DATABASE_URL", db_url.as_str()),
    ];
    let a = App::start("streams-a", true, &env);
    let b = App::start("streams-b", false, &env);

    // Signed in on A: a browser session and an API token, both valid on either instance.
    let (status, me, cookies) = call(
        "POST",
        &a.url("/api/v1/auth/login"),
        &[],
        Some(json!({"email": EMAIL, "password": PASSWORD})),
    )
    .unwrap();
    assert_eq!(status, 200, "login: {me}");
    let cookie = cookies.join("; ");
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let session = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let (status, token, _) = call(
        "POST",
        &a.url("/api/v1/me/tokens"),
        &session,
        Some(json!({"name": "streams"})),
    )
    .unwrap();
    assert_eq!(status, 201, "token: {token}");
    let bearer = format!("Bearer {}", token["secret"].as_str().unwrap());
    let token_id = token["token"]["id"].as_str().unwrap();

    let by_token = LiveStream::open(&a.url("/api/v1/events"), &[("authorization", &bearer)]);
    let by_session = LiveStream::open(&a.url("/events"), &[("cookie", &cookie)]);

    // The token is revoked on B: its stream on A ends; the session's stream does not.
    let (status, body, _) = call(
        "DELETE",
        &b.url(&format!("/api/v1/me/tokens/{token_id}")),
        &session,
        None,
    )
    .unwrap();
    assert_eq!(status, 204, "revoke: {body}");
    assert_eq!(by_token.next(), Ok("ended"), "{}", a.log());
    assert!(by_session.is_open());

    // Signing out on B ends the browser stream on A.
    let logout = b.url("/api/v1/auth/logout");
    let (status, body, _) = call("POST", &logout, &session, Some(json!({}))).unwrap();
    assert_eq!(status, 204, "sign out: {body}");
    assert_eq!(by_session.next(), Ok("ended"), "{}", a.log());

    drop((a, b));
    db.drop_now();
}
