//! Runs the real `formula-pm serve` for a test: a free loopback port, a fresh
//! data directory, readiness by polling `/health/ready` (bounded), killed on drop.

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long the server may take to answer `/health/ready` after it was spawned.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);

/// Configuration the test controls itself; anything inherited could point the server elsewhere.
const CLEARED: &[&str] = &[
    "APP_ENV",
    "PUBLIC_URL",
    "ALLOW_INSECURE_HTTP",
    "DATABASE_URL",
    "DATABASE_URL_FILE",
    "LOG_LEVEL",
    "DEFAULT_CURRENCY",
    "PROJECT_CODE_PREFIX",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "MAX_BODY_BYTES",
    "ADMIN_PASSWORD",
    "ADMIN_PASSWORD_FILE",
    "SEED_PASSWORD",
    "SEED_PASSWORD_FILE",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_PASSWORD_FILE",
    "SMTP_FROM",
    "REDIS_URL",
    "TLS_CERT_FILE",
    "TLS_KEY_FILE",
    "REDIS_URL_FILE",
    "REDIS_REQUIRED",
    "LOG_FILE",
    "LOG_MAX_SIZE",
    "LOG_MAX_FILES",
    "SLOW_REQUEST_MS",
    "METRICS_TOKEN",
    "METRICS_TOKEN_FILE",
    "METRICS_BIND",
    "HEALTH_DB_TIMEOUT_MS",
    "HEALTH_DISK_WARN_PERCENT",
    "HEALTH_DISK_FAIL_PERCENT",
    "SHUTDOWN_GRACE_SECONDS",
    "JOB_WORKERS",
    "SCHEDULE_CLEANUP_SESSIONS",
    "SCHEDULE_AUDIT_RETENTION",
    "SCHEDULE_DB_MAINTENANCE",
    "AUDIT_RETENTION_DAYS",
    "BACKUP_DIR",
    "BACKUP_RETENTION_DAYS",
    "BACKUP_SCHEDULE",
];

/// A running server; dropping it kills the process and removes its data.
pub struct Server {
    child: Child,
    dir: PathBuf,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Server {
    /// Starts `formula-pm serve` on SQLite in a temporary directory and waits until it is ready.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Like [`Server::start`], with extra environment variables.
    pub fn start_with(env: &[(&str, &str)]) -> Server {
        let dir = temp_dir();
        let port = free_port();
        let log = fs::File::create(dir.join("server.log")).expect("create server log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_formula-pm"));
        // Every variable the loader reads, so nothing from the developer's shell leaks in.
        for name in CLEARED.iter().chain(formula_pm::config::VARIABLES) {
            cmd.env_remove(name);
        }
        cmd.arg("serve")
            .env("PORT", port.to_string())
            .env("BIND", "127.0.0.1")
            .env("DATA_DIR", dir.join("data"))
            .env("LOG_FORMAT", "pretty")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log);
        for (name, value) in env {
            cmd.env(name, value);
        }
        let child = cmd.spawn().expect("spawn formula-pm serve");
        let mut server = Server {
            child,
            dir,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .new_agent();
        let deadline = Instant::now() + READY_TIMEOUT;
        let url = format!("{}/health/ready", self.base);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "formula-pm exited during start-up ({status}):\n{}",
                    self.log()
                );
            }
            if agent.get(&url).call().is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "formula-pm not ready after {READY_TIMEOUT:?}:\n{}",
                self.log()
            );
            std::thread::sleep(POLL);
        }
    }

    /// The server's output so far (for failure messages).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// The server's process id (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for the process to exit on its own; `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }

    /// An absolute URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- formula-pm log ---\n{}", self.log());
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

fn temp_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "formula-server-test-{}-{n}-{nanos}",
        std::process::id()
    ));
    fs::create_dir_all(&dir).expect("create temp dir");
    dir
}
