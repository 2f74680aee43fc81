//! `formula-pm backup` with `BACKUP_S3_*`: the archive and its `.sha256` file reach a fake
//! S3 endpoint (a tiny HTTP server in the test) as signed path-style PUTs, and a bucket
//! that refuses them fails the command while the local archive stays.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use formula_infra::s3::sigv4;
use sha2::{Digest, Sha256};

const BUCKET: &str = "pm-backups";
const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// One request the fake endpoint received.
struct Received {
    method: String,
    path: String,
    /// Header names lowercased.
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// An HTTP/1.1 server on a free loopback port answering every request with `status` (and
/// an S3-style XML error body unless 2xx), recording what it received.
struct FakeS3 {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl FakeS3 {
    fn start(status: u16) -> FakeS3 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopping) = (received.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    serve(conn, status, &log);
                }
            }
        });
        FakeS3 {
            port,
            received,
            stop,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.received.lock().unwrap())
    }
}

impl Drop for FakeS3 {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Reads requests off one connection (keep-alive or not) and answers each.
fn serve(conn: TcpStream, status: u16, log: &Mutex<Vec<Received>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap();
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        // S3 needs a Content-Length on PUT Object; a chunked body would be refused there.
        let length: usize = headers
            .get("content-length")
            .map_or(0, |l| l.parse().unwrap());
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        log.lock().unwrap().push(Received {
            method,
            path,
            headers,
            body,
        });
        let answer = if (200..300).contains(&status) {
            String::new()
        } else {
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".to_owned()
        };
        let response = format!(
            "HTTP/1.1 {status} Fake\r\nContent-Length: {}\r\nContent-Type: application/xml\r\n\r\n{answer}",
            answer.len()
        );
        if out.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// A temporary directory removed when dropped.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(label: &str) -> Dir {
    let dir = std::env::temp_dir().join(format!(
        "formula-backup-s3-test-{label}-{}",
        uuid::Uuid::now_v7().simple()
    ));
    fs::create_dir_all(&dir).unwrap();
    Dir(dir)
}

/// Runs `formula-pm ARGS` on `data_dir` with only the variables given.
fn run(data_dir: &Path, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_formula-pm"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TMPDIR", std::env::temp_dir())
        .env("DATA_DIR", data_dir)
        .env("LOG_FORMAT", "pretty")
        .envs(vars.iter().copied())
        .stdin(Stdio::null());
    cmd.output().expect("run formula-pm")
}

fn text(out: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn s3_vars(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("BACKUP_S3_ENDPOINT", endpoint.to_owned()),
        ("BACKUP_S3_BUCKET", BUCKET.to_owned()),
        ("BACKUP_S3_REGION", "eu-central-1".to_owned()),
        ("BACKUP_S3_PREFIX", "nightly/pm-".to_owned()),
        ("BACKUP_S3_ACCESS_KEY_ID", KEY_ID.to_owned()),
        ("BACKUP_S3_SECRET_ACCESS_KEY", SECRET.to_owned()),
    ]
}

fn backup(data: &Path, endpoint: &str) -> Output {
    let vars = s3_vars(endpoint);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run(data, &vars, &["backup"])
}

/// The archive `LATEST` names.
fn latest(backups: &Path) -> PathBuf {
    let name = fs::read_to_string(backups.join("LATEST")).unwrap();
    backups.join(name.trim())
}

fn migrated(work: &Dir) -> PathBuf {
    let data = work.0.join("data");
    let out = run(&data, &[], &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    data
}

#[test]
fn backups_are_uploaded_with_signed_path_style_puts() {
    let work = temp_dir("upload");
    let data = migrated(&work);
    let s3 = FakeS3::start(200);
    let out = backup(&data, &s3.endpoint());
    assert!(out.status.success(), "{}", text(&out));

    let archive = latest(&data.join("backups"));
    let name = archive.file_name().unwrap().to_str().unwrap().to_owned();
    let sidecar = PathBuf::from(format!("{}.sha256", archive.display()));
    let received = s3.take();
    let expected = [
        (
            format!("/{BUCKET}/nightly/pm-{name}"),
            fs::read(&archive).unwrap(),
        ),
        (
            format!("/{BUCKET}/nightly/pm-{name}.sha256"),
            fs::read(&sidecar).unwrap(),
        ),
    ];
    assert_eq!(received.len(), 2, "{}", text(&out));
    for (request, (path, body)) in received.iter().zip(&expected) {
        assert_eq!(request.method, "PUT");
        assert_eq!(&request.path, path);
        assert!(
            request.body == *body,
            "{path}: the body differs from the file"
        );
        let h = |name: &str| request.headers.get(name).map(String::as_str);
        assert_eq!(h("content-length"), Some(body.len().to_string().as_str()));
        assert_eq!(h("transfer-encoding"), None);
        let payload = hex::encode(Sha256::digest(body));
        assert_eq!(h("x-amz-content-sha256"), Some(payload.as_str()));
        // The signature, recomputed from what arrived, matches the one sent.
        let amz_date = h("x-amz-date").unwrap();
        let host = format!("127.0.0.1:{}", s3.port);
        assert_eq!(h("host"), Some(host.as_str()));
        let signer = sigv4::Signer {
            access_key_id: KEY_ID,
            secret_access_key: SECRET,
            region: "eu-central-1",
            service: "s3",
        };
        let expected_auth = signer.authorization(
            &sigv4::Request {
                method: "PUT",
                path,
                query: "",
                headers: &[
                    ("host", &host),
                    ("x-amz-content-sha256", &payload),
                    ("x-amz-date", amz_date),
                ],
                payload_sha256: &payload,
            },
            amz_date,
        );
        assert_eq!(h("authorization"), Some(expected_auth.as_str()));
        assert!(
            expected_auth.contains(&format!(
                "Credential={KEY_ID}/{}/eu-central-1/s3/aws4_request",
                &amz_date[..8]
            )),
            "{expected_auth}"
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("Uploaded: s3://{BUCKET}/nightly/pm-{name}\n")),
        "{stdout}"
    );
}

#[test]
fn a_refused_upload_fails_the_backup_but_keeps_the_local_archive() {
    let work = temp_dir("refused");
    let data = migrated(&work);
    for status in [403, 500] {
        let s3 = FakeS3::start(status);
        let out = backup(&data, &s3.endpoint());
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("was written and is complete, but uploading it to s3://pm-backups/nightly/pm-formula-pm-")
                && stderr.contains(&format!("answered HTTP {status}: AccessDenied: Access Denied")),
            "{}",
            text(&out)
        );
        // Only the archive was tried; it and its checksum stay, complete and verifiable.
        assert_eq!(s3.take().len(), 1);
        let archive = latest(&data.join("backups"));
        assert!(stderr.contains(&archive.display().to_string()), "{stderr}");
        assert!(PathBuf::from(format!("{}.sha256", archive.display())).exists());
        let out = run(&data, &[], &["backup", "verify", archive.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out));
    }
    // An endpoint nobody listens on ("cannot reach …") fails the same way.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = backup(&data, &format!("http://127.0.0.1:{closed}"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("but uploading it to s3://pm-backups/"),
        "{}",
        text(&out)
    );
}

/// Waits (bounded) until the server's log has a line containing every one of `parts`.
fn wait_for_log(server: &crate::process::Server, parts: &[&str]) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if server
            .log()
            .lines()
            .any(|l| parts.iter().all(|p| l.contains(p)))
        {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

#[test]
fn scheduled_backups_are_uploaded_and_a_failed_upload_is_retried() {
    for (status, expect) in [
        (
            200,
            &[&["backup uploaded", "nightly/pm-formula-pm-"][..]][..],
        ),
        (
            403,
            &[
                &[
                    "backup upload failed",
                    "s3://pm-backups/nightly/pm-",
                    "AccessDenied",
                ][..],
                &["job failed; will retry", "kind=backup"][..],
            ][..],
        ),
    ] {
        let work = temp_dir("scheduled");
        let dir = work.0.display().to_string();
        let s3 = FakeS3::start(status);
        let vars = s3_vars(&s3.endpoint());
        let mut env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // Every minute, so the current minute's slot is due as soon as the scheduler starts.
        env.extend([("BACKUP_SCHEDULE", "* * * * *"), ("BACKUP_DIR", &dir)]);
        let server = crate::process::Server::start_with(&env);
        for parts in expect {
            assert!(wait_for_log(&server, parts), "{}", server.log());
        }
        drop(server);
        let received = s3.take();
        assert!(!received.is_empty());
        assert!(
            received
                .iter()
                .all(|r| r.method == "PUT" && r.path.starts_with("/pm-backups/nightly/pm-")),
            "{:?}",
            received.iter().map(|r| &r.path).collect::<Vec<_>>()
        );
        // The local archive is there either way.
        assert!(latest(&work.0).is_file());
    }
}
