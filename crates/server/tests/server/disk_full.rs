//! A full disk (issue 14, defect 3), on a small tmpfs that the test mounts (as root) and
//! fills: writes answer 507 with a problem naming the disk — never a 500, and never the
//! SQLite writer left inside a failed transaction so that every later write fails —
//! readiness reports the disk, reads keep working, and once space is freed everything works
//! again without a restart. On SQLite the database and the uploaded files share the full
//! disk; on PostgreSQL the cluster's data directory is on it (SQLSTATE 53100).
//!
//! Mounting needs root (`CAP_SYS_ADMIN`); without it the tests say so and pass, skipped.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

use crate::resilience::{
    App, BOUND, Cluster, Dir, EMAIL, PASSWORD, POLL, agent, bearer, call, create_admin_with,
    project,
};

/// A tmpfs of a fixed size mounted on a temporary directory; unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts one, or says why not (on stderr, visibly) and returns `None`.
    fn mount(label: &str, size: &str) -> Option<Tmpfs> {
        let dir = std::env::temp_dir().join(format!(
            "formula-tmpfs-{label}-{}",
            uuid::Uuid::now_v7().simple()
        ));
        fs::create_dir_all(&dir).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0777"),
                "tmpfs",
            ])
            .arg(&dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            other => {
                let why = match other {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
                    Err(e) => e.to_string(),
                };
                eprintln!(
                    "SKIPPED {label}: cannot mount a tmpfs to fill (run the tests as root): {why}"
                );
                let _ = fs::remove_dir(&dir);
                None
            }
        }
    }

    /// Fills the filesystem to the last byte; returns the filler file.
    fn fill(&self) -> PathBuf {
        let path = self.dir.join("filler");
        let mut f = fs::File::create(&path).unwrap();
        let chunk = vec![0xa5u8; 1 << 20];
        for size in [1 << 20, 64 << 10, 4 << 10, 512, 1] {
            loop {
                match f.write(&chunk[..size]) {
                    Ok(n) if n == size => continue,
                    Ok(_) => break,
                    Err(e) if e.raw_os_error() == Some(28) => break,
                    Err(e) => panic!("filling the tmpfs: {e}"),
                }
            }
        }
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.dir)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Something still holds a file there: detach it now, it goes when released.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
        let _ = fs::remove_dir(&self.dir);
    }
}

/// A `multipart/form-data` upload of `bytes` as `name`, with the bearer `auth`.
fn upload(url: &str, auth: &str, name: &str, bytes: &[u8]) -> (u16, Value) {
    let boundary = "----formula-disk-full";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut resp = agent()
        .post(url)
        .header("authorization", auth)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={boundary}"),
        )
        .send(&body[..])
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn pdf(marker: &str) -> Vec<u8> {
    let mut b = format!("%PDF-1.4\n% {marker}\n").into_bytes();
    // Large enough that a full disk cannot take it in a block left over.
    b.extend(std::iter::repeat_n(b'%', 256 << 10));
    b.extend_from_slice(b"\n%%EOF\n");
    b
}

/// A 507 problem naming the disk.
fn assert_storage_problem(what: &str, status: u16, problem: &Value) {
    assert_eq!(status, 507, "{what}: {problem}");
    assert_eq!(problem["code"], "insufficient_storage", "{what}: {problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("is full") && detail.contains("nothing was saved"),
        "{what}: {problem}"
    );
}

/// Creates clients until the disk refuses one (a write may still fit in space the database
/// already holds). Every answer is 201 or the 507 problem, never anything else.
fn write_until_refused(app: &App, h: &[(&str, &str)], label: &str) -> Value {
    for n in 0..5000 {
        let (status, content_type, body, _) = call(
            "POST",
            &app.url("/api/v1/clients"),
            h,
            Some(json!({"name": format!("{label} client {n}")})),
        )
        .unwrap();
        match status {
            201 => continue,
            507 => {
                assert!(
                    content_type.starts_with("application/problem+json"),
                    "{content_type}"
                );
                return body;
            }
            other => panic!("write {n} on a full disk answered {other}: {body}"),
        }
    }
    panic!("the full disk never refused a write")
}

/// Polls (bounded) until `/health/ready` answers `status`; returns its body.
fn ready_until(app: &App, status: u16) -> Value {
    let deadline = Instant::now() + BOUND;
    loop {
        let (got, _, body, _) = call("GET", &app.url("/health/ready"), &[], None).unwrap();
        if got == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "readiness never answered {status}; last {got}: {body}"
        );
        std::thread::sleep(POLL);
    }
}

fn login(app: &App) -> (u16, Value) {
    let (status, _, body, _) = call(
        "POST",
        &app.url("/api/v1/auth/login"),
        &[],
        Some(json!({"email": EMAIL, "password": PASSWORD})),
    )
    .unwrap();
    (status, body)
}

/// Files left under `dir` (recursively).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A project with one drawing; returns the drawing's upload URL.
fn drawing(app: &App, auth: &str, project_id: &str) -> String {
    let (status, _, d, _) = call(
        "POST",
        &app.url(&format!("/api/v1/projects/{project_id}/drawings")),
        &[("authorization", auth)],
        Some(json!({"number": "SD-101", "title": "Reception desk"})),
    )
    .unwrap();
    assert_eq!(status, 201, "{d}");
    app.url(&format!(
        "/api/v1/drawings/{}/revisions",
        d["id"].as_str().unwrap()
    ))
}

#[test]
fn sqlite_on_a_full_disk_answers_507_and_recovers_without_a_restart() {
    let Some(disk) = Tmpfs::mount("sqlite", "32m") else {
        return;
    };
    let dir = Dir::new("disk-full-sqlite");
    let data = disk.dir.join("data");
    let data = data.to_str().unwrap();
    // Readiness must notice the refused writes themselves, not a free-space percentage.
    let env = [
        ("DATA_DIR", data),
        ("HEALTH_DISK_WARN_PERCENT", "0"),
        ("HEALTH_DISK_FAIL_PERCENT", "0"),
    ];
    create_admin_with(&dir.0, None, &env);
    let app = App::start_with(&dir.0, None, 1, &env);
    let (auth, admin_id) = bearer(&app);
    let h = [("authorization", auth.as_str())];
    let project_id = project(&app, &auth, &admin_id);
    let revisions = drawing(&app, &auth, &project_id);
    let uploads = Path::new(data).join("uploads");
    let spool = Path::new(data).join("uploads-tmp");

    let filler = disk.fill();
    let problem = write_until_refused(&app, &h, "sqlite");
    assert_storage_problem("the first refused write", 507, &problem);
    // Not wedged: later writes are refused the same way, sign-in included.
    for n in 0..3 {
        let (status, _, problem, _) = call(
            "POST",
            &app.url("/api/v1/clients"),
            &h,
            Some(json!({"name": format!("Refused {n}")})),
        )
        .unwrap();
        assert_storage_problem("a later write", status, &problem);
    }
    let (status, problem) = login(&app);
    assert_storage_problem("sign-in", status, &problem);
    // An upload cannot be spooled: refused the same way, and nothing is left behind.
    let (status, problem) = upload(&revisions, &auth, "SD-101 A.pdf", &pdf("A"));
    assert_storage_problem("an upload", status, &problem);
    assert_eq!(files_under(&spool), Vec::<PathBuf>::new());
    assert_eq!(files_under(&uploads), Vec::<PathBuf>::new());
    // Readiness says why; reads still work.
    let ready = ready_until(&app, 503);
    assert_eq!(ready["failing"], json!(["disk"]), "{ready}");
    assert_eq!(ready["checks"]["disk"]["status"], "fail", "{ready}");
    assert!(
        ready["checks"]["disk"]["writes_refused_since"].is_string(),
        "{ready}"
    );
    assert!(
        ready["checks"]["disk"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("full")),
        "{ready}"
    );
    let (status, _, _, _) = call("GET", &app.url("/api/v1/projects"), &h, None).unwrap();
    assert_eq!(status, 200);

    // Space returns: the same server recovers by itself.
    fs::remove_file(filler).unwrap();
    let ready = ready_until(&app, 200);
    assert_eq!(ready["checks"]["disk"]["status"], "ok", "{ready}");
    assert!(
        ready["checks"]["disk"]["writes_refused_since"].is_null(),
        "{ready}"
    );
    let (status, body) = login(&app);
    assert_eq!(status, 200, "sign-in after the disk was freed: {body}");
    let (status, _, body, _) = call(
        "POST",
        &app.url("/api/v1/clients"),
        &h,
        Some(json!({"name": "After the disk was freed"})),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let (status, body) = upload(&revisions, &auth, "SD-101 A.pdf", &pdf("A"));
    assert_eq!(status, 201, "an upload after the disk was freed: {body}");
    assert_eq!(files_under(&uploads).len(), 1);
    drop(app);
}

#[test]
fn postgres_on_a_full_disk_answers_507_and_recovers_without_a_restart() {
    let Some(disk) = Tmpfs::mount("postgres", "160m") else {
        return;
    };
    let cluster = Cluster::init_in(disk.dir.join("pg"));
    cluster.start();
    let url = cluster.url();
    let dir = Dir::new("disk-full-postgres");
    create_admin_with(&dir.0, Some(&url), &[]);
    let app = App::start_with(&dir.0, Some(&url), 1, &[]);
    let (auth, admin_id) = bearer(&app);
    let h = [("authorization", auth.as_str())];
    let project_id = project(&app, &auth, &admin_id);
    let revisions = drawing(&app, &auth, &project_id);

    let filler = disk.fill();
    let problem = write_until_refused(&app, &h, "postgres");
    assert_storage_problem("the first refused write", 507, &problem);
    // Readiness reports it (degraded: the other instances share this database, and reads
    // still work), until a write succeeds again.
    let (status, _, ready, _) = call("GET", &app.url("/health/ready"), &[], None).unwrap();
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["status"], "degraded", "{ready}");
    assert_eq!(ready["checks"]["disk"]["status"], "degraded", "{ready}");
    assert!(
        ready["checks"]["disk"]["writes_refused_since"].is_string(),
        "{ready}"
    );
    // Other writes: refused the same way or, where PostgreSQL still has room in a page,
    // saved; never a 500. An upload that cannot be recorded leaves no file behind.
    for n in 0..3 {
        let (status, _, body, _) = call(
            "POST",
            &app.url("/api/v1/clients"),
            &h,
            Some(json!({"name": format!("Refused {n}")})),
        )
        .unwrap();
        if status != 201 {
            assert_storage_problem("a later write", status, &body);
        }
    }
    let (status, body) = login(&app);
    if status != 200 {
        assert_storage_problem("sign-in", status, &body);
    }
    let (status, _, _, _) = call("GET", &app.url("/api/v1/projects"), &h, None).unwrap();
    assert_eq!(status, 200);

    fs::remove_file(filler).unwrap();
    let (status, _, body, _) = call(
        "POST",
        &app.url("/api/v1/clients"),
        &h,
        Some(json!({"name": "After the disk was freed"})),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let ready = ready_until(&app, 200);
    assert_eq!(ready["status"], "ok", "{ready}");
    assert!(
        ready["checks"]["disk"]["writes_refused_since"].is_null(),
        "{ready}"
    );
    let (status, body) = login(&app);
    assert_eq!(status, 200, "sign-in after the disk was freed: {body}");
    let (status, body) = upload(&revisions, &auth, "SD-101 A.pdf", &pdf("A"));
    assert_eq!(status, 201, "an upload after the disk was freed: {body}");
    drop(app);
    drop(cluster);
}
