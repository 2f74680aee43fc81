//! Failure behaviour of the real binary: a PostgreSQL outage (readiness fails and API
//! requests answer a clean 503 while the database is down, and both recover without
//! restarting the app), a stopped or hung PostgreSQL answered 503 with `Retry-After` within
//! 2 s by default, and `kill -9` in the middle of a burst of writes on both backends
//! (every acknowledged write survives and the database stays consistent).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::pg;
use crate::process::free_port;

/// Upper bound of every wait in this module; none is a timing assertion.
pub(crate) const BOUND: Duration = Duration::from_secs(60);
pub(crate) const POLL: Duration = Duration::from_millis(50);
pub(crate) const PASSWORD: &str = "resilience-test-password";
pub(crate) const EMAIL: &str = "admin@example.com";

/// A temporary directory removed when dropped.
pub(crate) struct Dir(pub(crate) PathBuf);

impl Dir {
    pub(crate) fn new(label: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!(
            "formula-resilience-{label}-{}",
            uuid::Uuid::now_v7().simple()
        ));
        fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        // Generous: only a hang reaches it.
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

/// `formula-pm ARGS` with only the variables given (nothing inherited can point it elsewhere).
fn command(data_dir: &Path, database_url: Option<&str>, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_formula-pm"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TMPDIR", std::env::temp_dir())
        .env("DATA_DIR", data_dir.join("data"))
        .env("LOG_FORMAT", "pretty")
        .stdin(Stdio::null());
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// `formula-pm create-admin` on the database the app will use.
fn create_admin(dir: &Path, database_url: Option<&str>) {
    create_admin_with(dir, database_url, &[]);
}

/// [`create_admin`] with more variables (a `DATA_DIR` elsewhere).
pub(crate) fn create_admin_with(dir: &Path, database_url: Option<&str>, env: &[(&str, &str)]) {
    let mut vars = vec![("ADMIN_PASSWORD", PASSWORD)];
    vars.extend_from_slice(env);
    let out = command(dir, database_url, &vars)
        .args(["create-admin", "--email", EMAIL, "--name", "Admin"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "create-admin failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running `formula-pm serve` on data the test keeps across restarts; killed on drop.
pub(crate) struct App {
    child: Child,
    log: PathBuf,
    base: String,
}

impl App {
    /// Starts the server on `dir` (log in `dir/server-N.log`) and waits until it is ready.
    fn start(dir: &Path, database_url: Option<&str>, run: u32) -> App {
        App::start_with(dir, database_url, run, &[("HEALTH_DB_TIMEOUT_MS", "500")])
    }

    /// Like [`App::start`], with `env` (a `DATA_DIR` elsewhere, health thresholds) instead of
    /// the shorter readiness timeout.
    pub(crate) fn start_with(
        dir: &Path,
        database_url: Option<&str>,
        run: u32,
        env: &[(&str, &str)],
    ) -> App {
        let port = free_port();
        let log = dir.join(format!("server-{run}.log"));
        let file = fs::File::create(&log).unwrap();
        let port = port.to_string();
        let mut vars = vec![
            ("PORT", port.as_str()),
            ("BIND", "127.0.0.1"),
            // The burst must not be cut short by the write limit.
            ("RATE_LIMIT_ENABLED", "false"),
            ("JOB_WORKERS", "0"),
        ];
        vars.extend_from_slice(env);
        let child = command(dir, database_url, &vars)
            .arg("serve")
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let mut app = App {
            child,
            log,
            base: format!("http://127.0.0.1:{port}"),
        };
        assert!(app.wait_ready_status(200), "not ready:\n{}", app.log());
        app
    }

    pub(crate) fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Polls `/health/ready` (bounded) until it answers `status`.
    pub(crate) fn wait_ready_status(&mut self, status: u16) -> bool {
        let deadline = Instant::now() + BOUND;
        while Instant::now() < deadline {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("formula-pm exited ({exit}):\n{}", self.log());
            }
            if self.ready_status() == Some(status) {
                return true;
            }
            std::thread::sleep(POLL);
        }
        false
    }

    fn ready_status(&self) -> Option<u16> {
        agent()
            .get(&self.url("/health/ready"))
            .call()
            .ok()
            .map(|r| r.status().as_u16())
    }

    /// `kill -9`: no shutdown code runs.
    fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits (bounded) for a clean exit.
    fn stop(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + BOUND;
        loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                assert!(exit.success(), "exit {exit}:\n{}", self.log());
                return;
            }
            assert!(Instant::now() < deadline, "no exit:\n{}", self.log());
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
    }
}

/// One HTTP exchange: status, content type and JSON body (`Null` when not JSON).
pub(crate) fn call(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Result<(u16, String, Value, Vec<String>), ureq::Error> {
    let agent = agent();
    let mut resp = match method {
        "GET" => {
            let mut r = agent.get(url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.call()?
        }
        _ => {
            let mut r = agent.post(url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.send_json(body.unwrap_or(Value::Null))?
        }
    };
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok((status, content_type, json, cookies))
}

/// Signs in and creates an API token; returns `(bearer header value, admin user id)`.
pub(crate) fn bearer(app: &App) -> (String, String) {
    let (status, _, me, cookies) = call(
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
    let (status, _, token, _) = call(
        "POST",
        &app.url("/api/v1/me/tokens"),
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(json!({"name": "resilience"})),
    )
    .unwrap();
    assert_eq!(status, 201, "token: {token}");
    let secret = token["secret"].as_str().unwrap();
    (format!("Bearer {secret}"), user_id)
}

/// Creates a client and a project through the API; returns the project id.
pub(crate) fn project(app: &App, auth: &str, manager_id: &str) -> String {
    let h = [("authorization", auth)];
    let (status, _, client, _) = call(
        "POST",
        &app.url("/api/v1/clients"),
        &h,
        Some(json!({"name": "Hotel Meridian"})),
    )
    .unwrap();
    assert_eq!(status, 201, "client: {client}");
    let (status, _, project, _) = call(
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
    assert_eq!(status, 201, "project: {project}");
    project["id"].as_str().unwrap().to_owned()
}

/// A PostgreSQL server of this test's own, which it stops and starts (the shared one in
/// [`pg`] must stay up for the other tests). A watchdog stops it if the test process dies.
pub(crate) struct Cluster {
    root: PathBuf,
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    fn init() -> Cluster {
        Cluster::init_in(std::env::temp_dir().join(format!(
            "formula-resilience-pg-{}",
            uuid::Uuid::now_v7().simple()
        )))
    }

    /// A new cluster whose files (data, WAL, socket, log) are all under `root`.
    pub(crate) fn init_in(root: PathBuf) -> Cluster {
        let bin = pg::find_bin_dir().unwrap();
        fs::create_dir_all(&root).unwrap();
        let as_postgres = pg::is_root();
        if as_postgres {
            pg::run(
                &root,
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&root),
                "chown",
            )
            .unwrap();
        }
        let cluster = Cluster {
            data: root.join("data"),
            root,
            bin,
            port: pg::free_port().unwrap(),
            as_postgres,
        };
        pg::run(
            &cluster.root,
            cluster.tool("initdb").arg("-D").arg(&cluster.data).args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]),
            "initdb",
        )
        .unwrap();
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runuser}{pg_ctl} -D {data} stop -m immediate >/dev/null 2>&1; rm -rf {root}",
            pid = std::process::id(),
            runuser = if as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            pg_ctl = cluster.bin.join("pg_ctl").display(),
            data = cluster.data.display(),
            root = cluster.root.display(),
        );
        // Never waited for: it must outlive this process to clean up after it.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &stop])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        cluster
    }

    fn tool(&self, name: &str) -> Command {
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(name));
            c
        } else {
            Command::new(self.bin.join(name))
        };
        c.current_dir(&self.root);
        c
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again, on the same port) and waits until it accepts connections.
    pub(crate) fn start(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c full_page_writes=off",
            self.port,
            self.root.display()
        );
        let log = self.root.join("postgres.log");
        pg::run(
            &self.root,
            self.tool("pg_ctl")
                .arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o", &options, "start"]),
            "pg_ctl start",
        )
        .unwrap();
    }

    /// Stops the server, disconnecting every client (`-m fast`), as an outage or a
    /// database restart does.
    fn stop(&self) {
        pg::run(
            &self.root,
            self.tool("pg_ctl")
                .arg("-D")
                .arg(&self.data)
                .args(["-w", "-t", "60", "-m", "fast", "stop"]),
            "pg_ctl stop",
        )
        .unwrap();
    }
}

impl Cluster {
    /// Freezes every process of the server (SIGSTOP), as a hung host or a debugger does:
    /// connections stay open and accept bytes, nothing answers. Thawed when dropped.
    fn freeze(&self) -> Frozen {
        let pidfile = fs::read_to_string(self.data.join("postmaster.pid")).unwrap();
        let postmaster: u32 = pidfile.lines().next().unwrap().trim().parse().unwrap();
        let mut pids = vec![postmaster];
        for entry in fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            // `pid (comm) state ppid …`; comm may hold spaces, so split after the last ')'.
            let stat = fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(postmaster) {
                pids.push(pid);
            }
        }
        signal("-STOP", &pids);
        Frozen(pids)
    }
}

/// This test's own PostgreSQL processes, stopped until dropped.
struct Frozen(Vec<u32>);

impl Drop for Frozen {
    fn drop(&mut self) {
        signal("-CONT", &self.0);
    }
}

fn signal(sig: &str, pids: &[u32]) {
    let status = Command::new("kill")
        .arg(sig)
        .args(pids.iter().map(u32::to_string))
        .status()
        .unwrap();
    assert!(status.success(), "kill {sig} {pids:?}");
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = fs::remove_dir_all(&self.root);
    }
}

#[test]
fn a_postgres_outage_answers_503_and_recovers_without_a_restart() {
    let cluster = Cluster::init();
    cluster.start();
    let url = cluster.url();
    let dir = Dir::new("outage");
    create_admin(&dir.0, Some(&url));
    let mut app = App::start(&dir.0, Some(&url), 1);
    let (auth, admin_id) = bearer(&app);
    let project_id = project(&app, &auth, &admin_id);
    let tasks = app.url(&format!("/api/v1/projects/{project_id}/tasks"));
    let h = [("authorization", auth.as_str())];
    assert_eq!(call("GET", &tasks, &h, None).unwrap().0, 200);

    cluster.stop();
    // The next probe fails: HEALTH_DB_TIMEOUT_MS bounds the database check.
    let (status, _, ready, _) = call("GET", &app.url("/health/ready"), &[], None).unwrap();
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["checks"]["database"]["status"], "fail", "{ready}");
    assert!(
        ready["failing"]
            .as_array()
            .unwrap()
            .contains(&json!("database"))
    );
    // An API call (its bearer token needs the database too) is a problem, not a hang or a 500.
    for (method, body) in [("GET", None), ("POST", Some(json!({"title": "Doors"})))] {
        let (status, content_type, problem, _) = call(method, &tasks, &h, body).unwrap();
        assert_eq!(status, 503, "{method}: {problem}");
        assert!(
            content_type.starts_with("application/problem+json"),
            "{content_type}"
        );
        assert_eq!(problem["code"], "unavailable", "{problem}");
    }
    // Liveness needs no database: the process is fine.
    assert_eq!(
        call("GET", &app.url("/health/live"), &[], None).unwrap().0,
        200
    );

    cluster.start();
    assert!(
        app.wait_ready_status(200),
        "not ready again:\n{}",
        app.log()
    );
    let (status, _, task, _) =
        call("POST", &tasks, &h, Some(json!({"title": "Reception desk"}))).unwrap();
    assert_eq!(status, 201, "{task}");
    assert_eq!(call("GET", &tasks, &h, None).unwrap().0, 200);
    app.stop();
}

/// Writes tasks from several threads until told to stop; returns the ids of the 201s.
fn burst(
    app: &App,
    auth: &str,
    project_id: &str,
    acked: &Arc<Mutex<Vec<String>>>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..4)
        .map(|t| {
            let url = app.url(&format!("/api/v1/projects/{project_id}/tasks"));
            let auth = auth.to_owned();
            let acked = acked.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let body = json!({"title": format!("Burst {t}-{n}")});
                    // Anything but a 201 (killed mid-request) is not acknowledged, so that
                    // task may or may not exist.
                    if let Ok((201, _, task, _)) =
                        call("POST", &url, &[("authorization", &auth)], Some(body))
                    {
                        acked
                            .lock()
                            .unwrap()
                            .push(task["id"].as_str().unwrap().to_owned());
                    }
                }
            })
        })
        .collect()
}

/// Starts a burst, kills the server with SIGKILL once enough writes were acknowledged,
/// restarts it on the same data and checks every acknowledged task is there. Returns them.
fn crash_during_burst(dir: &Path, database_url: Option<&str>) -> Vec<String> {
    create_admin(dir, database_url);
    let mut app = App::start(dir, database_url, 1);
    let (auth, admin_id) = bearer(&app);
    let project_id = project(&app, &auth, &admin_id);

    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let threads = burst(&app, &auth, &project_id, &acked, &stop);
    let deadline = Instant::now() + BOUND;
    while acked.lock().unwrap().len() < 60 {
        assert!(
            Instant::now() < deadline,
            "the burst stalled:\n{}",
            app.log()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Mid-burst: the writers are still sending.
    app.kill9();
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        t.join().unwrap();
    }
    drop(app);
    let acked = acked.lock().unwrap().clone();

    let mut app = App::start(dir, database_url, 2);
    let h = [("authorization", auth.as_str())];
    for id in &acked {
        let (status, _, task, _) =
            call("GET", &app.url(&format!("/api/v1/tasks/{id}")), &h, None).unwrap();
        assert_eq!(status, 200, "acknowledged task {id} is lost: {task}");
    }
    // The restarted server takes writes.
    let url = app.url(&format!("/api/v1/projects/{project_id}/tasks"));
    let (status, _, _, _) = call("POST", &url, &h, Some(json!({"title": "After"}))).unwrap();
    assert_eq!(status, 201);
    app.stop();
    acked
}

/// Runs one query on a fresh connection of backend `$conn` and returns its rows, each
/// column as text (text columns as they are, integers formatted).
macro_rules! query_rows {
    ($conn:ty, $url:expr, $sql:expr) => {{
        use sqlx::{Connection, Row};
        let (url, sql): (&str, &str) = ($url, $sql);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut conn = <$conn>::connect(url).await.unwrap();
            let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
            let out: Vec<Vec<String>> = rows
                .iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| {
                            row.try_get::<String, _>(i)
                                .or_else(|_| row.try_get::<i64, _>(i).map(|n| n.to_string()))
                                .unwrap_or_else(|e| panic!("{sql}: column {i}: {e}"))
                        })
                        .collect()
                })
                .collect();
            let _ = conn.close().await;
            out
        })
    }};
}

/// Rows that break a reference between the stored records (should be none).
const DANGLING: &str = "SELECT 'task' AS what, count(*) AS n FROM tasks t \
     LEFT JOIN projects p ON p.id = t.project_id WHERE p.id IS NULL \
     UNION ALL SELECT 'project', count(*) FROM projects p \
     LEFT JOIN clients c ON c.id = p.client_id WHERE c.id IS NULL";

fn assert_no_dangling(rows: &[Vec<String>]) {
    for row in rows {
        assert_eq!(row[1], "0", "dangling {} rows", row[0]);
    }
}

#[test]
fn kill_9_mid_burst_loses_no_acknowledged_write_on_sqlite() {
    let dir = Dir::new("crash-sqlite");
    let acked = crash_during_burst(&dir.0, None);
    // Read-only, after the clean stop (the write-ahead log is checkpointed by then).
    let file = dir.0.join("data").join("formula-pm.sqlite3");
    let url = format!("sqlite://{}?mode=ro", file.display());
    let check = query_rows!(sqlx::SqliteConnection, &url, "PRAGMA integrity_check");
    assert_eq!(check, vec![vec!["ok".to_owned()]]);
    let fk = query_rows!(
        sqlx::SqliteConnection,
        &url,
        "SELECT count(*) FROM pragma_foreign_key_check"
    );
    assert_eq!(fk, vec![vec!["0".to_owned()]], "foreign-key violations");
    assert_no_dangling(&query_rows!(sqlx::SqliteConnection, &url, DANGLING));
    let n = query_rows!(sqlx::SqliteConnection, &url, "SELECT count(*) FROM tasks");
    assert!(n[0][0].parse::<usize>().unwrap() > acked.len());
}

#[test]
fn kill_9_mid_burst_loses_no_acknowledged_write_on_postgres() {
    let db = pg::Database::create();
    let dir = Dir::new("crash-pg");
    let acked = crash_during_burst(&dir.0, Some(&db.url));
    assert_no_dangling(&query_rows!(sqlx::PgConnection, &db.url, DANGLING));
    let n = query_rows!(sqlx::PgConnection, &db.url, "SELECT count(*) FROM tasks");
    assert!(n[0][0].parse::<usize>().unwrap() > acked.len());
    db.drop_now();
}

/// One API call while the database is out: it must be a 503 problem with `Retry-After`,
/// within 2 seconds of the request (the settings' defaults promise it; a hang would reach
/// the 30 s request timeout).
fn answers_503_soon(app: &App, what: &str, method: &str, url: &str, auth: &str) {
    let body = (method == "POST").then(|| json!({"title": "During the outage"}));
    let started = Instant::now();
    let agent = agent();
    let resp = match body {
        None => agent.get(url).header("authorization", auth).call(),
        Some(b) => agent.post(url).header("authorization", auth).send_json(b),
    };
    let elapsed = started.elapsed();
    let mut resp = resp.unwrap_or_else(|e| panic!("{what}: {method} failed: {e}\n{}", app.log()));
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    assert_eq!(status, 503, "{what}: {method}: {text}");
    assert!(text.contains("\"unavailable\""), "{what}: {text}");
    assert!(
        retry_after
            .as_deref()
            .is_some_and(|v| v.parse::<u32>().is_ok()),
        "{what}: Retry-After {retry_after:?}"
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "{what}: {method} took {elapsed:?}\n{}",
        app.log()
    );
}

#[test]
fn a_stopped_or_hung_postgres_answers_503_with_retry_after_within_2_s() {
    let cluster = Cluster::init();
    cluster.start();
    let url = cluster.url();
    let dir = Dir::new("hung");
    create_admin(&dir.0, Some(&url));
    // The defaults of DB_ACQUIRE_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS, HEALTH_DB_TIMEOUT_MS.
    let mut app = App::start_with(&dir.0, Some(&url), 1, &[]);
    let (auth, admin_id) = bearer(&app);
    let project_id = project(&app, &auth, &admin_id);
    let tasks = app.url(&format!("/api/v1/projects/{project_id}/tasks"));
    let h = [("authorization", auth.as_str())];
    assert_eq!(call("GET", &tasks, &h, None).unwrap().0, 200);

    // Hung: every PostgreSQL process stopped; the pooled connections stay open, unanswered.
    let frozen = cluster.freeze();
    for method in ["GET", "POST", "GET"] {
        answers_503_soon(&app, "hung", method, &tasks, &auth);
    }
    assert_eq!(app.ready_status(), Some(503));
    drop(frozen);
    assert!(
        app.wait_ready_status(200),
        "not ready after the thaw:\n{}",
        app.log()
    );
    assert_eq!(call("GET", &tasks, &h, None).unwrap().0, 200);

    // Stopped: connections are closed and new ones refused.
    cluster.stop();
    for method in ["GET", "POST", "GET"] {
        answers_503_soon(&app, "stopped", method, &tasks, &auth);
    }
    cluster.start();
    assert!(
        app.wait_ready_status(200),
        "not ready again:\n{}",
        app.log()
    );
    let (status, _, task, _) = call(
        "POST",
        &tasks,
        &h,
        Some(json!({"title": "After the outage"})),
    )
    .unwrap();
    assert_eq!(status, 201, "{task}");
    app.stop();
}
