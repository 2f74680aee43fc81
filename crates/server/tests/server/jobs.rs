//! Background jobs in the real binary: the scheduler enqueues a due slot, a worker runs it,
//! and on SIGTERM both stop before the process exits 0. `JOB_WORKERS=0` runs neither.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::Server;

const BOUND: Duration = Duration::from_secs(60);

/// Waits (bounded) until the server's log has a line containing every one of `parts`.
fn wait_for_log(server: &Server, parts: &[&str]) -> bool {
    let deadline = Instant::now() + BOUND;
    while Instant::now() < deadline {
        if server
            .log()
            .lines()
            .any(|l| parts.iter().all(|p| l.contains(p)))
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn the_scheduler_enqueues_and_a_worker_runs_scheduled_jobs() {
    // Every minute, so the current minute's slot is due as soon as the scheduler starts.
    let mut server = Server::start_with(&[("SCHEDULE_CLEANUP_SESSIONS", "* * * * *")]);
    assert!(
        wait_for_log(&server, &["job done", "cleanup_sessions"]),
        "no cleanup_sessions job ran:\n{}",
        server.log()
    );

    let status = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let exit = server
        .wait_exit(BOUND)
        .expect("the server exits after SIGTERM");
    assert!(exit.success(), "exit status {exit}:\n{}", server.log());
    let log = server.log();
    assert!(log.contains("job worker stopped"), "{log}");
    assert!(log.contains("scheduler stopped"), "{log}");
}

#[test]
fn job_workers_zero_runs_no_jobs_here() {
    let server = Server::start_with(&[("JOB_WORKERS", "0")]);
    assert!(
        wait_for_log(&server, &["JOB_WORKERS=0"]),
        "{}",
        server.log()
    );
    let log = server.log();
    assert!(!log.contains("job worker started"), "{log}");
    assert!(!log.contains("scheduler started"), "{log}");
}

#[test]
fn scheduled_backups_are_written_and_verify() {
    let backups = std::env::temp_dir().join(format!(
        "formula-scheduled-backup-{}",
        uuid::Uuid::now_v7().simple()
    ));
    let dir = backups.display().to_string();
    // Every minute, so the current minute's slot is due as soon as the scheduler starts.
    let server = Server::start_with(&[("BACKUP_SCHEDULE", "* * * * *"), ("BACKUP_DIR", &dir)]);
    assert!(
        wait_for_log(&server, &["job done", "backup"]),
        "no backup job ran:\n{}",
        server.log()
    );
    let latest = std::fs::read_to_string(backups.join("LATEST")).expect("LATEST written");
    let archive = backups.join(latest.trim());
    assert!(archive.is_file(), "{}", archive.display());
    let out = Command::new(env!("CARGO_BIN_EXE_formula-pm"))
        .args(["backup", "verify"])
        .arg(&archive)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TMPDIR", std::env::temp_dir())
        .env("DATA_DIR", backups.join("unused"))
        .output()
        .expect("run formula-pm backup verify");
    assert!(
        out.status.success(),
        "verify refused the scheduled backup: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("OK: "));
    drop(server);
    let _ = std::fs::remove_dir_all(&backups);
}

#[test]
fn a_failing_backup_job_is_retried_like_any_job() {
    // BACKUP_DIR is a file: no archive can be written there.
    let file = std::env::temp_dir().join(format!(
        "formula-backup-dir-is-a-file-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::write(&file, b"not a directory").unwrap();
    let dir = file.display().to_string();
    let server = Server::start_with(&[("BACKUP_SCHEDULE", "* * * * *"), ("BACKUP_DIR", &dir)]);
    assert!(
        wait_for_log(&server, &["job failed; will retry", "backup"]),
        "the backup job did not fail and retry:\n{}",
        server.log()
    );
    drop(server);
    let _ = std::fs::remove_file(&file);
}
