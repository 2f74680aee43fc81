//! `/metrics` on the real binary: the output passes `promtool check metrics` (Debian package
//! `prometheus`, installed by scripts/test.sh), `METRICS_TOKEN` is enforced, and
//! `METRICS_BIND` moves the endpoint to a listener of its own.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{Server, free_port};

const TOKEN: &str = "metrics-test-token-0123456789";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

fn get(url: &str, bearer: Option<&str>) -> (u16, String) {
    let mut req = agent().get(url);
    if let Some(t) = bearer {
        req = req.header("authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

/// Runs `promtool check metrics` on the text; returns its verdict and output.
fn promtool(text: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("run promtool (apt-get install prometheus, or use scripts/test.sh): {e}")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn metrics_pass_promtool_and_need_the_token() {
    let backups = std::env::temp_dir().join(format!(
        "formula-metrics-backup-{}",
        uuid::Uuid::now_v7().simple()
    ));
    let backup_dir = backups.display().to_string();
    // A backup job runs at once (every minute's slot is due), for the job and backup metrics.
    let server = Server::start_with(&[
        ("METRICS_TOKEN", TOKEN),
        ("BACKUP_SCHEDULE", "* * * * *"),
        ("BACKUP_DIR", &backup_dir),
    ]);
    // Some traffic: a page (redirecting to first-run setup), an API error, an unknown path.
    get(&server.url("/login"), None);
    get(&server.url("/api/v1/auth/me"), None);
    get(&server.url("/no/such/path"), None);

    let url = server.url("/metrics");
    // Counts vary: the scheduler also enqueues the previous minute's slot at start.
    let backup_done = r#"jobs_runs_total{kind="backup",outcome="done"} "#;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !get(&url, Some(TOKEN)).1.contains(backup_done) {
        assert!(
            Instant::now() < deadline,
            "no backup job ran:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(get(&url, None).0, 401, "no token");
    assert_eq!(
        get(&url, Some("not-the-token-at-all")).0,
        401,
        "wrong token"
    );
    let (status, text) = get(&url, Some(TOKEN));
    assert_eq!(status, 200);
    for series in [
        r#"http_requests_total{method="GET",route="/login",status="303"} 1"#,
        r#"http_requests_total{method="GET",route="/api/v1/auth/me",status="401"} 1"#,
        r#"http_requests_total{method="GET",route="<unmatched>",status="404"} 1"#,
        r#"db_query_duration_seconds_count{operation="ping"}"#,
        "http_connections_open ",
        r#"db_pool_connections{state="idle"}"#,
        "db_pool_acquire_wait_seconds ",
        "active_sessions 0",
        backup_done,
        r#"job_duration_seconds_count{kind="backup"} "#,
        r#"jobs_queue_depth{status="done"} "#,
        r#"jobs_queue_depth{status="dead"} 0"#,
        "jobs_dead_letter 0",
        "backup_last_success_timestamp_seconds ",
        "backup_last_size_bytes ",
    ] {
        assert!(text.contains(series), "missing {series:?} in:\n{text}");
    }
    let (ok, said) = promtool(&text);
    assert!(
        ok,
        "promtool check metrics failed:\n{said}\n--- metrics ---\n{text}"
    );
    let _ = std::fs::remove_dir_all(&backups);
}

#[test]
fn metrics_bind_serves_metrics_on_its_own_listener_only() {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let server = Server::start_with(&[("METRICS_BIND", &bind)]);
    assert_eq!(get(&server.url("/metrics"), None).0, 404);
    let (status, text) = get(&format!("http://{bind}/metrics"), None);
    assert_eq!(status, 200);
    assert!(text.contains("# TYPE http_requests_total counter"));
    // Only /metrics lives there.
    assert_eq!(get(&format!("http://{bind}/health/live"), None).0, 404);
}
