//! Browser flows for issue 15 in headless Chromium against the real server: live updates
//! that update (a task another person adds appears in the open list, and the Tasks count
//! with it, without a reload or a notice; one's own edit announces nothing; a new comment
//! appears in the open discussion while a reply is being typed; a form being typed in is
//! left alone, with a notice).
//!
//! With `UI_SCREENSHOTS=<dir>`, the pages are saved at 1280 and 375 px.

use serde_json::{Value, json};

use crate::browser::{ADMIN_EMAIL, ADMIN_PASSWORD, Session, Step, first_run_setup};
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

    fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.send(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {v}"
        );
        v
    }
}

/// Saves the page at 1280 and at 375 px wide when `UI_SCREENSHOTS` names a directory.
fn shoot(s: &Session, name: &str) {
    let Ok(dir) = std::env::var("UI_SCREENSHOTS") else {
        return;
    };
    for (w, h) in [(1280, 1400), (375, 1400)] {
        s.b.set_window_size(w, h).step("resize");
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
    live_discussion(&s, &paula, &project);
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
    shoot(s, "live-tasks");
}

/// A comment Paula posts appears in the discussion Ada has open, while Ada's half-typed
/// reply stays as it is. When Ada is typing in the task's own form and Paula changes the
/// task, the form is left alone and a notice says so.
fn live_discussion(s: &Session, paula: &Api, project: &str) {
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
}
