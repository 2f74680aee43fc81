//! Native TLS (`TLS_CERT_FILE`, `TLS_KEY_FILE`) on the real binary: a self-signed certificate
//! made by the `openssl` CLI, TLS 1.2 and 1.3 negotiated, TLS 1.1 refused, HTTPS answers
//! with HSTS and the client's address, a stalled handshake does not block others, and
//! SIGTERM still drains and exits 0. Clients are `openssl s_client` and `curl -k`.

use std::fs;
use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use crate::process::free_port;

const BOUND: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);

/// A temporary directory with a fresh self-signed certificate for 127.0.0.1.
struct Certs {
    dir: PathBuf,
}

impl Certs {
    fn new() -> Certs {
        let dir = std::env::temp_dir().join(format!(
            "formula-tls-test-{}-{}",
            std::process::id(),
            free_port()
        ));
        fs::create_dir_all(&dir).unwrap();
        let out = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .output()
            .expect("run openssl (scripts/test.sh installs it)");
        assert!(out.status.success(), "openssl req: {out:?}");
        Certs { dir }
    }

    fn cert(&self) -> String {
        self.dir.join("cert.pem").display().to_string()
    }

    fn key(&self) -> String {
        self.dir.join("key.pem").display().to_string()
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// `formula-pm serve` with TLS on a free port; killed on drop.
struct TlsServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl TlsServer {
    fn start(certs: &Certs) -> TlsServer {
        let port = free_port();
        let log = certs.dir.join("server.log");
        let file = fs::File::create(&log).unwrap();
        // Only what the test sets: nothing inherited can point the server elsewhere.
        let child = Command::new(env!("CARGO_BIN_EXE_formula-pm"))
            .arg("serve")
            .env_clear()
            .env("PORT", port.to_string())
            .env("BIND", "127.0.0.1")
            .env("DATA_DIR", certs.dir.join("data"))
            .env("LOG_FORMAT", "pretty")
            .env("PUBLIC_URL", format!("https://127.0.0.1:{port}"))
            .env("TLS_CERT_FILE", certs.cert())
            .env("TLS_KEY_FILE", certs.key())
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("spawn formula-pm serve");
        let mut server = TlsServer { child, port, log };
        let deadline = Instant::now() + BOUND;
        while server.curl("/health/ready").0 != 200 {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("formula-pm exited ({status}):\n{}", server.log());
            }
            assert!(Instant::now() < deadline, "not ready:\n{}", server.log());
            std::thread::sleep(POLL);
        }
        server
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `curl -k` over HTTPS: the status (0 when no answer) and the response headers.
    fn curl(&self, path: &str) -> (u16, String) {
        let out = Command::new("curl")
            .args([
                "-k",
                "-sS",
                "--noproxy",
                "*",
                "--max-time",
                "5",
                "-o",
                "/dev/null",
            ])
            .args(["-D", "-", "-w", "%{http_code}"])
            .arg(format!("https://{}{path}", self.addr()))
            .output()
            .expect("run curl (scripts/test.sh installs it)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let status = text
            .get(text.len().saturating_sub(3)..)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    /// `openssl s_client` with extra arguments, closing at once (no input).
    fn s_client(&self, args: &[&str]) -> Output {
        Command::new("openssl")
            .args(["s_client", "-connect", &self.addr()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run openssl s_client")
    }

    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
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
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- formula-pm log ---\n{}", self.log());
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn serves_https_with_tls_1_2_and_1_3_only_and_drains_on_sigterm() {
    let certs = Certs::new();
    let mut server = TlsServer::start(&certs);

    for (flag, name) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let out = server.s_client(&[flag]);
        let t = text(&out);
        assert!(out.status.success(), "{flag} refused:\n{t}");
        assert!(
            t.contains(&format!("New, {name}")),
            "{flag} not negotiated:\n{t}"
        );
    }
    // SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all; the server must refuse it.
    let out = server.s_client(&["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    let t = text(&out);
    assert!(!out.status.success(), "TLS 1.1 accepted:\n{t}");
    assert!(!t.contains("New, TLSv1.1"), "TLS 1.1 negotiated:\n{t}");

    // A client that connects and never starts its handshake holds up nobody.
    let mut stalled = TcpStream::connect(server.addr()).unwrap();
    let mut garbage = TcpStream::connect(server.addr()).unwrap();
    garbage.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let (status, headers) = server.curl("/health/live");
    assert_eq!(status, 200, "{headers}");
    let lower = headers.to_ascii_lowercase();
    assert!(
        lower.contains("strict-transport-security: max-age="),
        "{headers}"
    );

    // Handlers see the peer address (ConnectInfo): the request log names the client.
    let (status, _) = server.curl("/api/v1/projects");
    assert_eq!(status, 401);
    let deadline = Instant::now() + BOUND;
    while !server.log().lines().any(|l| {
        l.contains(r#"route="/api/v1/projects""#) && l.contains(r#"client_ip="127.0.0.1""#)
    }) {
        assert!(
            Instant::now() < deadline,
            "no request log:\n{}",
            server.log()
        );
        std::thread::sleep(POLL);
    }

    // SIGTERM: the port closes and the process exits 0, the stalled client notwithstanding.
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server
        .wait_exit(BOUND)
        .unwrap_or_else(|| panic!("still running after SIGTERM:\n{}", server.log()));
    assert!(status.success(), "exit status {status}:\n{}", server.log());
    assert!(TcpStream::connect(server.addr()).is_err());
    assert!(server.log().contains("Formula PM stopped"));
    let _ = stalled.write_all(b"x");
}

#[test]
fn check_config_names_the_tls_problems() {
    let certs = Certs::new();
    let check = |env: &[(&str, &str)]| -> (bool, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_formula-pm"))
            .arg("check-config")
            .env_clear()
            .env("DATA_DIR", certs.dir.join("data"))
            .envs(env.iter().copied())
            .output()
            .unwrap();
        (out.status.success(), text(&out))
    };
    let (cert, key) = (certs.cert(), certs.key());
    let (ok, t) = check(&[("TLS_CERT_FILE", &cert), ("TLS_KEY_FILE", &key)]);
    assert!(ok, "{t}");

    let (ok, t) = check(&[("TLS_CERT_FILE", &cert)]);
    assert!(!ok && t.contains("TLS_KEY_FILE"), "{t}");
    // The certificate is no key: the message names TLS_KEY_FILE and never prints the file.
    let (ok, t) = check(&[("TLS_CERT_FILE", &cert), ("TLS_KEY_FILE", &cert)]);
    assert!(!ok && t.contains("TLS_KEY_FILE"), "{t}");
    let body = fs::read_to_string(&cert).unwrap();
    assert!(!t.contains(body.lines().nth(1).unwrap()), "{t}");
    let (ok, t) = check(&[
        ("TLS_CERT_FILE", &cert),
        ("TLS_KEY_FILE", &key),
        ("APP_ENV", "production"),
        ("PUBLIC_URL", "http://pm.example.com"),
        ("ALLOW_INSECURE_HTTP", "true"),
    ]);
    assert!(
        !ok && t.contains("PUBLIC_URL") && t.contains("TLS_CERT_FILE"),
        "{t}"
    );
}
