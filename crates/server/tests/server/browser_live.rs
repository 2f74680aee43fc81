//! Browser flows of live updates (issue 15) in headless Chromium against the real server: live updates
//! that update (a task another person adds appears in the open list, and the Tasks count
//! with it, without a reload or a notice; one's own edit announces nothing; a new comment
//! appears in the open discussion while a reply is being typed; a form being typed in is
//! left alone, with a notice); a comment posted from its page with a photo and a PDF, shown
//! under it, and a file another person attaches appearing in the open discussion.
//!
//! With `UI_SCREENSHOTS=<dir>`, the pages are saved at 1280 and 375 px.

use serde_json::{Value, json};

use crate::browser::{ADMIN_EMAIL, ADMIN_PASSWORD, Session, Step, first_run_setup, temp_file};
use crate::process::Server;
use crate::webdriver::Browser;

/// Someone using the JSON API with a token of their own.
struct Api {
    agent: ureq::Agent,
    base: String,
    bearer: String,
    id: String,
}

impl Api {
    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build()
            .new_agent()
    }

    /// Signs in with a password and creates an API token to act with.
    fn sign_in(server: &Server, email: &str, password: &str) -> Api {
        let agent = Api::agent();
        let mut resp = agent
            .post(&server.url("/api/v1/auth/login"))
            .send_json(json!({"email": email, "password": password}))
            .unwrap();
        assert_eq!(resp.status(), 200, "sign in as {email}");
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ");
        let me: Value = resp.body_mut().read_json().unwrap();
        let csrf = me["csrf_token"].as_str().unwrap().to_owned();
        let mut resp = agent
            .post(&server.url("/api/v1/me/tokens"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .send_json(json!({"name": "browser test"}))
            .unwrap();
        assert_eq!(resp.status(), 201, "token for {email}");
        let token: Value = resp.body_mut().read_json().unwrap();
        Api {
            agent,
            base: server.url("/api/v1"),
            bearer: format!("Bearer {}", token["secret"].as_str().unwrap()),
            id: me["user"]["id"].as_str().unwrap_or_default().to_owned(),
        }
    }

    fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let resp = match method {
            "GET" => self
                .agent
                .get(&url)
                .header("authorization", &self.bearer)
                .call(),
            "PATCH" => self
                .agent
                .patch(&url)
                .header("authorization", &self.bearer)
                .send_json(body.unwrap_or(Value::Null)),
            _ => self
                .agent
                .post(&url)
                .header("authorization", &self.bearer)
                .send_json(body.unwrap_or(Value::Null)),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_json().unwrap_or(Value::Null))
    }

    /// A `multipart/form-data` POST with text fields and one file.
    fn upload(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        name: &str,
        bytes: &[u8],
    ) -> (u16, Value) {
        let boundary = "----formula-browser-test";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut resp = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("authorization", &self.bearer)
            .header(
                "content-type",
                &format!("multipart/form-data; boundary={boundary}"),
            )
            .send(&body[..])
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_json().unwrap_or(Value::Null))
    }

    fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.send(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {v}"
        );
        v
    }
}

/// Saves the page at 1280 and at 375 px wide when `UI_SCREENSHOTS` names a directory,
/// scrolled to `at` if given.
fn shoot(s: &Session, name: &str, at: Option<&str>) {
    let Ok(dir) = std::env::var("UI_SCREENSHOTS") else {
        return;
    };
    for (w, h) in [(1280, 1400), (375, 1400)] {
        s.b.set_window_size(w, h).step("resize");
        if let Some(css) = at {
            s.b.execute(
                "document.querySelector(arguments[0]).scrollIntoView();",
                vec![json!(css)],
            )
            .step("scroll");
        }
        let _ =
            s.b.screenshot_png(std::path::Path::new(&dir).join(format!("i15-{name}-{w}.png")));
    }
    s.b.set_window_size(1280, 900).step("resize back");
}

/// Waits until the page's live-update stream is open (app.js marks `<html>`).
fn stream_open(s: &Session) {
    s.wait("html[data-live-state='open']");
}

/// Marks the page, to tell later whether it was reloaded (a reload forgets the mark).
fn mark_page(s: &Session) {
    s.b.execute("window.__notReloaded = true;", vec![])
        .step("mark the page");
}

fn not_reloaded(s: &Session) -> bool {
    s.b.execute("return window.__notReloaded === true;", vec![])
        .step("read the mark")
        .as_bool()
        .unwrap_or(false)
}

fn no_live_notice(s: &Session, when: &str) {
    assert!(
        s.b.find_all("#live-notice").step("notice").is_empty(),
        "{when}: a live-update notice is shown"
    );
}

#[test]
fn browser_issue_15_flows() {
    let b = Browser::start()
        .unwrap_or_else(|e| panic!("start headless Chromium (set CHROMEDRIVER / CHROMIUM): {e}"));
    let s = Session {
        b,
        server: Server::start(),
    };
    first_run_setup(&s);
    let ada = Api::sign_in(&s.server, ADMIN_EMAIL, ADMIN_PASSWORD);
    let client = ada.ok("POST", "/clients", Some(json!({"name": "Harbor Hotels"})));
    let project = ada.ok(
        "POST",
        "/projects",
        Some(json!({
            "name": "Lobby joinery",
            "client_id": client["id"],
            "manager_id": ada.id,
            "sector": "hospitality",
            "business_line": "millwork",
        })),
    );
    let project = project["id"].as_str().unwrap().to_owned();
    ada.ok(
        "POST",
        "/users",
        Some(json!({
            "email": "paula@example.com",
            "name": "Paula Manager",
            "password": "another long secret",
            "role": "project_manager",
        })),
    );
    let paula = Api::sign_in(&s.server, "paula@example.com", "another long secret");
    ada.ok(
        "POST",
        &format!("/projects/{project}/members"),
        Some(json!({"user_id": paula.id, "role": "project_manager"})),
    );
    live_task_list(&s, &paula, &project);
    let task = live_discussion(&s, &paula, &project);
    comment_with_files(&s, &paula, &task);
}

/// Ada has the project's tasks open; Paula adds a task through the API: the row and the
/// Tasks count appear without a reload and without a notice. Ada's own edit announces
/// nothing to her.
fn live_task_list(s: &Session, paula: &Api, project: &str) {
    s.goto(&format!("/projects/{project}/tasks"));
    s.wait_text(".empty", "No tasks yet");
    s.wait_text("#project-tabs a[aria-current=page] .count", "0");
    stream_open(s);
    mark_page(s);

    paula.ok(
        "POST",
        &format!("/projects/{project}/tasks"),
        Some(json!({"title": "Survey the lobby walls"})),
    );
    s.wait_text("#results td a", "Survey the lobby walls");
    s.wait_text("#project-tabs a[aria-current=page] .count", "1");
    assert!(not_reloaded(s), "the page was reloaded");
    no_live_notice(s, "another person's new task");
    s.wait("#results tr.live-new");

    // Ada adds one herself (the form swaps in place) and moves it on.
    s.fill("#nt-title", "Order the veneer");
    s.click("#tasks-panel form button[type=submit]");
    s.wait_text("#tasks-panel .flash", "Created");
    let link = s.wait_text("#results td a", "Order the veneer");
    let href =
        s.b.attr(&link, "href")
            .step("task link")
            .unwrap_or_default();
    let own = href.trim_start_matches("/tasks/").to_owned();
    s.choose_in_swapped(&format!("#task-{own} select[name=status]"), "in_progress");
    s.wait(&format!("#task-{own} input[name=version][value='2']"));

    // Paula's next change arrives after Ada's own ones: by then, had Ada been told of her
    // own, a notice or a refresh would have happened first.
    paula.ok(
        "POST",
        &format!("/projects/{project}/tasks"),
        Some(json!({"title": "Check the fire rating"})),
    );
    s.wait_text("#results td a", "Check the fire rating");
    s.wait_text("#project-tabs a[aria-current=page] .count", "3");
    no_live_notice(s, "after her own edit");
    assert!(not_reloaded(s), "the page was reloaded");
    assert_eq!(
        s.value(&format!("#task-{own} select[name=status]")),
        "in_progress"
    );
    s.check_csp_clean();
    shoot(s, "live-tasks", None);
}

/// A comment Paula posts appears in the discussion Ada has open, while Ada's half-typed
/// reply stays as it is. When Ada is typing in the task's own form and Paula changes the
/// task, the form is left alone and a notice says so.
fn live_discussion(s: &Session, paula: &Api, project: &str) -> String {
    let task = paula.ok(
        "POST",
        &format!("/projects/{project}/tasks"),
        Some(json!({"title": "Approve the sample board"})),
    );
    let task_id = task["id"].as_str().unwrap().to_owned();
    s.goto(&format!("/tasks/{task_id}"));
    s.wait_text("#comments", "No comments yet");
    stream_open(s);
    mark_page(s);
    s.fill("#comment-body", "I think we should");

    paula.ok(
        "POST",
        "/comments",
        Some(json!({
            "record_type": "task",
            "record_id": task_id,
            "body": "The **walnut** sample arrived today.",
        })),
    );
    s.wait_text(".comments .comment-body", "walnut sample arrived");
    assert_eq!(s.value("#comment-body"), "I think we should");
    assert!(not_reloaded(s), "the page was reloaded");
    no_live_notice(s, "a new comment");

    // Typing in the task's form: Paula's change leaves the form alone, and says so.
    s.fill("#f-title", "Approve the sample board (walnut)");
    paula.ok(
        "PATCH",
        &format!("/tasks/{task_id}"),
        Some(json!({"progress": 50, "version": 1})),
    );
    s.wait_text("#live-notice", "while you were typing");
    assert_eq!(s.value("#f-title"), "Approve the sample board (walnut)");
    assert!(not_reloaded(s), "the page was reloaded");
    s.check_csp_clean();
    task_id
}

/// A valid 1 × 1 PNG (a site photo, for the test's purposes).
const PHOTO: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDAT\x78\xda\x63\x64\xf8\xcf\x50\x0f\x00\x03\x86\x01\x80\x5a\x34\x7d\x6b\x00\x00\x00\x00IEND\xaeB`\x82";

fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

/// Ada posts a comment with a photo and a PDF from the task's page: the photo shows under the
/// comment, the PDF as a link. Then Paula attaches a file to her own comment through the API,
/// and it appears in Ada's open discussion.
fn comment_with_files(s: &Session, paula: &Api, task: &str) {
    s.goto(&format!("/tasks/{task}"));
    s.wait_text(".comments .comment-body", "walnut sample arrived");
    stream_open(s);
    s.fill(
        "#comment-body",
        "Sample board photographed; the **supplier's sheet** is attached.",
    );
    let photo = temp_file("sample board.png", PHOTO);
    let sheet = temp_file("walnut data sheet.pdf", &pdf("sheet"));
    s.attach("#comment-files", &format!("{photo}\n{sheet}"));
    s.click(".comment-form button[type=submit]");
    let img = s.wait(".comments .comment-photo img");
    assert_eq!(
        s.b.attr(&img, "alt").step("alt").as_deref(),
        Some("sample board.png")
    );
    // The element arrives with the comment; its picture may still be on its way (a busy
    // machine): allow it a few seconds to load.
    let mut loaded = json!(false);
    for _ in 0..50 {
        loaded =
            s.b.execute(
                "return arguments[0].complete && arguments[0].naturalWidth > 0;",
                vec![img.to_json()],
            )
            .step("image loaded");
        if loaded == json!(true) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(loaded, json!(true), "the photo is shown");
    s.wait_text(".comments .comment-file", "walnut data sheet.pdf");
    s.check_csp_clean();
    mark_page(s);

    let discussion = paula.ok(
        "GET",
        &format!("/comments?record_type=task&record_id={task}"),
        None,
    );
    let hers = discussion["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["author_name"] == "Paula Manager")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = paula.upload(
        "/attachments",
        &[("owner_type", "comment"), ("owner_id", &hers)],
        "walnut, second board.pdf",
        &pdf("second"),
    );
    assert_eq!(status, 201);
    s.wait_text(".comments .comment-file", "walnut, second board.pdf");
    assert!(not_reloaded(s), "the page was reloaded");
    no_live_notice(s, "a file on another person's comment");
    shoot(s, "comment-files", Some("#comments"));
}
