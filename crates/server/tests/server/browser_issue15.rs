//! Notifications as two people meet them, in two headless Chromiums against the real server
//! mailing a real SMTP server (aiosmtpd on loopback, `scripts/smtp-sink.py`, whose messages are
//! read by Python's standard MIME parser): a designer submits a drawing; the project manager's
//! bell rises without a reload and the mail arrives; the manager opens the mailed link,
//! approves as noted and mentions the designer in a comment; the designer's bell rises and
//! the mail says both.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::browser::{Session, Step, WAIT, first_run_setup, temp_file};
use crate::process::{Server, free_port};
use crate::webdriver::Browser;

/// How long a mail may take: the batch window (1 s here), the worker's idle wait, SMTP.
const MAIL_WAIT: Duration = Duration::from_secs(30);

/// aiosmtpd on a free loopback port, writing one JSON line per message it receives (also
/// used by `browser_rfis`, for the RFI mailed with its PDF).
pub(crate) struct Sink {
    child: Child,
    pub(crate) port: u16,
    out: PathBuf,
}

impl Sink {
    pub(crate) fn start() -> Sink {
        let python = std::env::var("SMTP_SINK_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.py");
        let port = free_port();
        let out =
            std::env::temp_dir().join(format!("formula-smtp-{}-{port}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&out);
        let mut child = Command::new(&python)
            .arg(&script)
            .arg(port.to_string())
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "start {python} {} (aiosmtpd; set SMTP_SINK_PYTHON): {e}",
                    script.display()
                )
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the SMTP sink starts");
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP sink did not start (is aiosmtpd installed?)"
        );
        Sink { child, port, out }
    }

    fn mails(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    /// Waits until the mails to `to` together contain every one of `needles`.
    pub(crate) fn wait_for(&self, to: &str, needles: &[&str]) -> Vec<Value> {
        let deadline = Instant::now() + MAIL_WAIT;
        loop {
            let mine: Vec<Value> = self
                .mails()
                .into_iter()
                .filter(|m| {
                    m["to"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|t| t == to))
                })
                .collect();
            let text: String = mine
                .iter()
                .map(|m| m["text"].as_str().unwrap_or(""))
                .collect();
            if needles.iter().all(|n| text.contains(n)) {
                return mine;
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {to} containing {needles:?} within {MAIL_WAIT:?}; got {mine:#?}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.out);
    }
}

/// Bearer-token calls to the JSON API.
struct Api {
    agent: ureq::Agent,
    token: String,
    base: String,
}

impl Api {
    fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/api/v1{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let resp = match method {
            "GET" => self.agent.get(&url).header("Authorization", &auth).call(),
            _ => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(body),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let v = resp.body_mut().read_json().unwrap_or(Value::Null);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {v}"
        );
        v
    }
}

/// Signs `b` in as `email` on `server`.
fn sign_in(b: &Browser, server: &Server, email: &str, password: &str) {
    b.goto(&server.url("/login")).step("open /login");
    let field = |css: &str, text: &str| {
        let el = b.wait_for(css, WAIT).step(css);
        b.clear(&el).step("clear");
        b.send_keys(&el, text).step("type");
    };
    field("#f-email", email);
    field("#f-password", password);
    let button = b
        .wait_for("form[action='/login'] button[type=submit]", WAIT)
        .step("sign-in button");
    b.click(&button).step("sign in");
    b.wait_for_text("h1", "Dashboard", WAIT).step("signed in");
}

/// The path of the first link in a mail's text whose path starts with `starts`.
fn mailed_path(text: &str, starts: &str) -> String {
    text.split_whitespace()
        .filter_map(|w| w.split_once("://").map(|(_, rest)| rest))
        .filter_map(|rest| rest.find('/').map(|i| &rest[i..]))
        .find(|p| p.starts_with(starts))
        .unwrap_or_else(|| panic!("no link to {starts} in {text}"))
        .to_owned()
}

#[test]
fn browser_notifications_reach_the_bell_and_the_mailbox() {
    let sink = Sink::start();
    let port = sink.port.to_string();
    let server = Server::start_with(&[
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", &port),
        ("SMTP_TLS", "none"),
        ("SMTP_FROM", "Formula PM <pm@formula.test>"),
        ("NOTIFICATION_BATCH_SECONDS", "1"),
    ]);
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    // The administrator's token sets the scene: a client, a manager, a designer, a project.
    s.goto("/profile");
    s.fill("#tk-name", "Scene");
    s.click("form[action='/profile/tokens'] button[type=submit]");
    let code = s.wait("code#new-token");
    let api = Api {
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .new_agent(),
        token: s.b.text(&code).step("token"),
        base: base.clone(),
    };
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let password = "a long enough password 1";
    let pm = api.ok(
        "POST",
        "/users",
        json!({"email": "paula@example.com", "name": "Paula Manager", "role": "project_manager", "password": password}),
    );
    let designer = api.ok(
        "POST",
        "/users",
        json!({"email": "dana@example.com", "name": "Dana Designer", "role": "designer", "password": password}),
    );
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Lobby joinery", "client_id": client["id"], "manager_id": pm["id"],
               "sector": "hospitality", "business_line": "millwork"}),
    );
    let project_id = project["id"].as_str().unwrap().to_owned();
    api.ok(
        "POST",
        &format!("/projects/{project_id}/members"),
        json!({"user_id": designer["id"], "role": "designer"}),
    );
    let drawing = api.ok(
        "POST",
        &format!("/projects/{project_id}/drawings"),
        json!({"number": "SD-101", "title": "Reception desk elevation"}),
    );
    let drawing_id = drawing["id"].as_str().unwrap().to_owned();

    // The manager waits on the drawing register; nothing is unread.
    s.click("form[action='/logout'] button");
    s.wait_text(".flash", "signed out");
    sign_in(&s.b, &s.server, "paula@example.com", password);
    s.goto(&format!("/projects/{project_id}/drawings"));
    s.wait_text("a", "SD-101");
    s.wait("#bell .bell-count[hidden]");

    // The designer, in another browser, uploads and submits revision A.
    let d = Browser::start().unwrap_or_else(|e| panic!("start a second Chromium: {e}"));
    sign_in(&d, &s.server, "dana@example.com", password);
    d.goto(&s.server.url(&format!("/drawings/{drawing_id}")))
        .step("open the drawing");
    let file = d.wait_for("#u-file", WAIT).step("file field");
    let pdf = temp_file("SD-101 A.pdf", b"%PDF-1.4\n% A\n%%EOF\n");
    d.send_keys(&file, &pdf).step("attach");
    let upload = d
        .wait_for(
            "form[enctype='multipart/form-data'] button[type=submit]",
            WAIT,
        )
        .step("upload button");
    d.click(&upload).step("upload");
    d.wait_for_text(".flash", "uploaded as a draft", WAIT)
        .step("uploaded");
    let submit = d
        .wait_for("form[action$='/submit'] button", WAIT)
        .step("submit button");
    d.click(&submit).step("submit");
    d.wait_for_text(".flash", "submitted for review", WAIT)
        .step("submitted");

    // The manager's bell rises without a reload, and the mail arrives.
    s.wait_text("#bell .bell-count", "1");
    assert!(
        s.path()
            .starts_with(&format!("/projects/{project_id}/drawings")),
        "still the same page: {}",
        s.path()
    );
    let mails = sink.wait_for(
        "paula@example.com",
        &["Dana Designer submitted SD-101 rev A for your review"],
    );
    let m = &mails[0];
    assert_eq!(m["multipart"], "multipart/alternative");
    assert!(
        m["subject"].as_str().unwrap().contains("SD-101 rev A"),
        "{m}"
    );
    assert!(
        m["html"]
            .as_str()
            .unwrap()
            .contains(&format!("/drawings/{drawing_id}")),
        "{m}"
    );
    assert!(
        m["list_unsubscribe"]
            .as_str()
            .unwrap()
            .contains("/unsubscribe?t="),
        "{m}"
    );
    assert_eq!(m["list_unsubscribe_post"], "List-Unsubscribe=One-Click");

    // The manager opens the mailed link, approves as noted and mentions the designer.
    let link = mailed_path(m["text"].as_str().unwrap(), "/drawings/");
    assert_eq!(link, format!("/drawings/{drawing_id}"));
    s.goto(&link);
    s.select("#r-decision", "approved_as_noted");
    s.fill("#r-comments", "Edge band in oak, not walnut");
    s.click("form[action$='/review'] button");
    s.wait_text(".flash", "decision was recorded");
    s.fill(
        "#comment-body",
        "@dana thanks, see the edge band note before the workshop starts",
    );
    s.click(".comment-form button[type=submit]");
    s.wait_text(".comment", "see the edge band note");

    // The designer's bell rises on the page she is on, by the decision and the mention; the
    // mail tells both.
    s.check_csp_clean();
    d.wait_for_text("#bell .bell-count", "3", WAIT)
        .step("the designer's bell shows 3 (the first told her she joined the team)");
    sink.wait_for(
        "dana@example.com",
        &[
            "Paula Manager decided SD-101 rev A: approved as noted",
            "Paula Manager mentioned you on SD-101",
            "Edge band in oak",
        ],
    );
    // Her inbox leads to the comment.
    d.goto(&s.server.url("/inbox")).step("open the inbox");
    let mention = d
        .wait_for_text(".inbox-title", "mentioned you on SD-101", WAIT)
        .step("the mention");
    d.click(&mention).step("open the mention");
    d.wait_for_text(".comment", "see the edge band note", WAIT)
        .step("the comment");
    let url = d.current_url().step("url");
    assert!(
        url.contains(&format!("/drawings/{drawing_id}#comment-")),
        "{url}"
    );
}
