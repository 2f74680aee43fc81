//! Browser flows in headless Chromium against the real server (DESIGN.md §7):
//! first-run setup, signing out and in, a client, a project, a second user on the
//! team, a task created, assigned and moved in place, My work, a stale edit that
//! keeps what the user typed, and the dashboard on a 375 px phone. Every page
//! visited is checked for markup the strict CSP would block.

use std::time::Duration;

use serde_json::{Value, json};

use crate::process::Server;
use crate::webdriver::{Browser, Element};

pub(crate) const WAIT: Duration = Duration::from_secs(10);
pub(crate) const ADMIN_NAME: &str = "Ada Admin";
pub(crate) const ADMIN_EMAIL: &str = "ada@example.com";
pub(crate) const ADMIN_PASSWORD: &str = "correct horse battery";

/// Unwraps a WebDriver result with the step that failed.
pub(crate) trait Step<T> {
    fn step(self, what: &str) -> T;
}

impl<T> Step<T> for Result<T, String> {
    fn step(self, what: &str) -> T {
        self.unwrap_or_else(|e| panic!("{what}: {e}"))
    }
}

/// The browser plus the server it talks to, with the helpers the flows share.
pub(crate) struct Session {
    pub(crate) b: Browser,
    pub(crate) server: Server,
}

impl Session {
    pub(crate) fn goto(&self, path: &str) {
        self.b
            .goto(&self.server.url(path))
            .step(&format!("open {path}"));
    }

    pub(crate) fn wait(&self, css: &str) -> Element {
        self.b.wait_for(css, WAIT).step(&format!("wait for {css}"))
    }

    pub(crate) fn wait_text(&self, css: &str, text: &str) -> Element {
        self.b
            .wait_for_text(css, text, WAIT)
            .step(&format!("wait for {css} containing {text:?}"))
    }

    /// Replaces what a field holds with `text`, typed as a user would.
    pub(crate) fn fill(&self, css: &str, text: &str) {
        let el = self.wait(css);
        self.b.clear(&el).step(&format!("clear {css}"));
        self.b
            .send_keys(&el, text)
            .step(&format!("type into {css}"));
    }

    /// Sets a field's value directly (date inputs take locale-specific keystrokes).
    pub(crate) fn set_value(&self, css: &str, value: &str) {
        let el = self.wait(css);
        self.b
            .execute(
                "arguments[0].value = arguments[1];",
                vec![el.to_json(), json!(value)],
            )
            .step(&format!("set {css}"));
    }

    pub(crate) fn select(&self, css: &str, value: &str) {
        self.wait(css);
        self.b
            .select_option(css, value)
            .step(&format!("choose {value} in {css}"));
    }

    /// Chooses an option in a select that htmx replaces as soon as it changes (so the
    /// select cannot be read back afterwards, unlike `Browser::select_option`).
    pub(crate) fn choose_in_swapped(&self, select_css: &str, value: &str) {
        let option = self.wait(&format!("{select_css} option[value='{value}']"));
        self.b
            .click(&option)
            .step(&format!("choose {value} in {select_css}"));
    }

    /// The value of the option in `select_css` whose label contains `label`.
    pub(crate) fn option_value(&self, select_css: &str, label: &str) -> String {
        let script = "var label = arguments[1];\
                      return Array.from(document.querySelectorAll(arguments[0] + ' option'))\
                      .filter(function (o) { return o.textContent.indexOf(label) >= 0; })\
                      .map(function (o) { return o.value; })[0] || null;";
        let v = self
            .b
            .execute(script, vec![json!(select_css), json!(label)])
            .step("find option");
        v.as_str()
            .unwrap_or_else(|| panic!("no option {label:?} in {select_css}"))
            .to_owned()
    }

    pub(crate) fn click(&self, css: &str) {
        let el = self.wait(css);
        self.b.click(&el).step(&format!("click {css}"));
    }

    pub(crate) fn value(&self, css: &str) -> String {
        let el = self.wait(css);
        self.b
            .property(&el, "value")
            .step(&format!("read {css}"))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub(crate) fn path(&self) -> String {
        let url = self.b.current_url().step("current url");
        url.strip_prefix(&self.server.base)
            .unwrap_or(&url)
            .to_owned()
    }

    /// The strict CSP forbids inline scripts and style attributes: the served pages must
    /// not need them (checked on the live DOM, so scripts that added any would show too).
    pub(crate) fn check_csp_clean(&self) {
        let html = self.b.page_source().step("page source");
        let path = self.path();
        self.screenshot(&path);
        assert!(
            !html.contains(" style="),
            "{path}: a style attribute would be blocked by the CSP"
        );
        for tag in html.split("<script").skip(1) {
            let open = tag.split('>').next().unwrap_or("");
            assert!(
                open.contains("src="),
                "{path}: an inline <script> would be blocked by the CSP"
            );
        }
        for handler in [
            " onclick=",
            " onchange=",
            " onsubmit=",
            " onload=",
            " hx-on",
        ] {
            assert!(
                !html.contains(handler),
                "{path}: `{handler}` needs unsafe-inline or eval"
            );
        }
    }
}

impl Session {
    /// With `UI_SCREENSHOTS=<dir>` set, saves a PNG of the page for a person to look at.
    pub(crate) fn screenshot(&self, path: &str) {
        let Ok(dir) = std::env::var("UI_SCREENSHOTS") else {
            return;
        };
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name: String = path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(60)
            .collect();
        let _ = self
            .b
            .screenshot_png(std::path::Path::new(&dir).join(format!("{n:02}{name}.png")));
    }
}

/// The id in a path like `/projects/<id>?m=created`.
pub(crate) fn id_after(path: &str, prefix: &str) -> String {
    let rest = path
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{path} does not start with {prefix}"));
    rest.split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn browser_flows() {
    run_flows(Server::start());
}

/// The same flows with `DATABASE_URL` pointing at a real PostgreSQL.
#[test]
fn browser_flows_on_postgres() {
    let db = crate::pg::Database::create();
    run_flows(Server::start_with(&[("DATABASE_URL", &db.url)]));
    db.drop_now();
}

fn run_flows(server: Server) {
    let b = Browser::start()
        .unwrap_or_else(|e| panic!("start headless Chromium (set CHROMEDRIVER / CHROMIUM): {e}"));
    let s = Session { b, server };

    first_run_setup(&s);
    sign_out_and_in(&s);
    let client_id = create_client(&s);
    let project_id = create_project(&s, &client_id);
    add_user_to_team(&s, &project_id);
    let task_id = create_and_move_task(&s, &project_id);
    find_in_my_work(&s);
    let token = create_api_token(&s);
    stale_edit_keeps_input(&s, &task_id, &token);
    audit_trail(&s);
    password_reset_through_outbox(&s);
    millwork_flow(&s, &project_id);
    draft_keeps_the_approved_drawing(&s, &project_id);
    phone_width(&s, &project_id);
    designer_sees_their_projects_only(&s, &project_id);
}

pub(crate) fn first_run_setup(s: &Session) {
    s.goto("/");
    s.wait("form[action='/setup']");
    assert_eq!(
        s.path(),
        "/setup",
        "a fresh install sends people to first-run setup"
    );
    s.check_csp_clean();
    s.fill("#f-name", ADMIN_NAME);
    s.fill("#f-email", ADMIN_EMAIL);
    s.fill("#f-password", ADMIN_PASSWORD);
    s.click("form[action='/setup'] button[type=submit]");
    s.wait_text("h1", "Dashboard");
    s.wait_text(".flash", "Welcome");
    s.wait_text(".user-menu a", ADMIN_NAME);
    s.check_csp_clean();
    // Setup is a one-time door.
    s.goto("/setup");
    s.wait_text("h1", "Dashboard");
}

fn sign_out_and_in(s: &Session) {
    s.click("form[action='/logout'] button");
    s.wait_text(".flash", "signed out");
    assert!(
        s.path().starts_with("/login"),
        "signing out lands on the sign-in page, got {}",
        s.path()
    );
    s.check_csp_clean();

    s.fill("#f-email", ADMIN_EMAIL);
    s.fill("#f-password", "not the password");
    s.click("form[action='/login'] button[type=submit]");
    s.wait_text(".flash-error", "Wrong email or password");
    assert_eq!(
        s.value("#f-email"),
        ADMIN_EMAIL,
        "the email stays filled in"
    );
    assert_eq!(
        s.value("#f-password"),
        "",
        "the password is never echoed back"
    );

    s.fill("#f-password", ADMIN_PASSWORD);
    s.click("form[action='/login'] button[type=submit]");
    s.wait_text("h1", "Dashboard");
    s.wait_text(".empty", "No projects yet");
    s.check_csp_clean();
}

fn create_client(s: &Session) -> String {
    s.goto("/clients");
    s.wait_text(".empty", "No clients yet");
    s.click("a[href='/clients/new']");
    s.fill("#f-name", "Harbor Hotels");
    s.fill("#f-client_type", "Hotel group");
    s.fill("#f-website", "harbor-hotels.example");
    s.click("main form button[type=submit]");
    s.wait_text("h1", "Harbor Hotels");
    s.wait_text(".flash", "client was created");
    s.check_csp_clean();

    s.fill("#f-name", "Mina Procurement");
    s.fill("#f-email", "mina@harbor-hotels.example");
    s.click("form[action$='/contacts'] button[type=submit]");
    s.wait_text("#contacts td", "Mina Procurement");
    id_after(&s.path(), "/clients/")
}

fn create_project(s: &Session, client_id: &str) -> String {
    s.click(&format!("a[href='/projects/new?client_id={client_id}']"));
    s.wait("form[action='/projects/new']");
    let code = s.value("#f-code");
    assert!(
        code.ends_with("-001"),
        "the first project code is suggested, got {code:?}"
    );
    assert_eq!(
        s.value("#f-client_id"),
        client_id,
        "the client comes pre-selected"
    );
    s.check_csp_clean();

    s.fill("#f-name", "Lobby and guest floors");
    s.select("#f-sector", "hospitality");
    s.select("#f-business_line", "millwork");
    s.set_value("#f-start_date", "2026-01-05");
    s.set_value("#f-end_date", "2027-06-30");
    s.fill("#f-contract_value", "125,000.5x");
    s.click("form[action='/projects/new'] button[type=submit]");
    // A typo is reported beside its field and nothing typed is lost.
    s.wait("#f-contract_value-error.field-error");
    let field = s.wait("#f-contract_value");
    assert_eq!(
        s.b.attr(&field, "aria-invalid").step("aria-invalid"),
        Some("true".into())
    );
    assert_eq!(s.value("#f-contract_value"), "125,000.5x");
    assert_eq!(s.value("#f-name"), "Lobby and guest floors");
    s.check_csp_clean();

    s.fill("#f-contract_value", "125,000.50");
    s.fill("#f-budget", "98000");
    s.click("form[action='/projects/new'] button[type=submit]");
    s.wait_text("h1", "Lobby and guest floors");
    s.wait_text(".kv dd", "125,000.50 USD");
    let project_id = id_after(&s.path(), "/projects/");

    // Status buttons offer only the allowed next statuses.
    s.wait_text("button", "Mark Awarded");
    s.click("form[action$='/status'] input[value='awarded'] ~ button");
    s.wait_text(".flash", "status was changed");
    s.wait_text("button", "Mark Active");
    assert!(
        s.b.find_all("input[name=to][value='not_awarded']")
            .step("buttons")
            .is_empty(),
        "an awarded project cannot become not awarded"
    );
    s.check_csp_clean();

    s.goto("/projects");
    s.wait_text("#results td", "Lobby and guest floors");
    s.wait_text("#results td.num", "125,000.50 USD");
    project_id
}

fn add_user_to_team(s: &Session, project_id: &str) {
    s.goto("/users/new");
    s.fill("#f-name", "Dana Designer");
    s.fill("#f-email", "dana@example.com");
    // An invitation by e-mail is the default; this time the administrator types a password.
    s.click("#f-access-password");
    s.fill("#f-password", "another long secret");
    s.select("#f-role", "designer");
    s.click("form[action='/users/new'] button[type=submit]");
    s.wait_text("#results td", "Dana Designer");
    s.check_csp_clean();

    s.goto(&format!("/projects/{project_id}/team"));
    let dana = s.option_value("#f-user_id", "Dana Designer");
    s.select("#f-user_id", &dana);
    s.select("#f-project_role", "designer");
    s.click(&format!(
        "form[action='/projects/{project_id}/team'] button[type=submit]"
    ));
    s.wait_text("table.data td", "Dana Designer");
    s.wait_text(".flash", "team was updated");
    s.check_csp_clean();
}

fn create_and_move_task(s: &Session, project_id: &str) -> String {
    s.goto(&format!("/projects/{project_id}/tasks"));
    s.wait_text(".empty", "No tasks yet");
    let admin = s.option_value("#nt-assignee_id", ADMIN_NAME);
    s.fill("#nt-title", "Shop drawings for the lobby desk");
    s.select("#nt-assignee_id", &admin);
    let due = (time::OffsetDateTime::now_utc().date() + time::Duration::days(3)).to_string();
    s.set_value("#nt-due_date", &due);
    s.click("#tasks-panel form button[type=submit]");
    // htmx swaps the panel in place: a fresh form, a notice and the new row.
    s.wait_text("#tasks-panel .flash", "Created");
    let link = s.wait_text("#results td a", "Shop drawings for the lobby desk");
    let href =
        s.b.attr(&link, "href")
            .step("task link")
            .unwrap_or_default();
    let task_id = id_after(&href, "/tasks/");
    assert_eq!(
        s.value("#nt-title"),
        "",
        "the new-task form is ready for the next one"
    );
    s.check_csp_clean();

    // The row saves in place when its status changes.
    let row = format!("#task-{task_id}");
    assert_eq!(s.value(&format!("{row} input[name=version]")), "1");
    s.choose_in_swapped(&format!("{row} select[name=status]"), "in_progress");
    s.wait(&format!("{row} input[name=version][value='2']"));
    s.goto(&format!("/projects/{project_id}/tasks?status=in_progress"));
    assert_eq!(
        s.value(&format!("{row} select[name=status]")),
        "in_progress"
    );
    assert_eq!(s.value(&format!("{row} select[name=assignee_id]")), admin);
    s.check_csp_clean();
    task_id
}

fn find_in_my_work(s: &Session) {
    s.goto("/my-work");
    s.wait_text("#this-week td a", "Shop drawings for the lobby desk");
    s.check_csp_clean();
    s.goto("/");
    s.wait_text("section td a", "Shop drawings for the lobby desk");
}

fn create_api_token(s: &Session) -> String {
    s.goto("/profile");
    s.fill("#tk-name", "End-to-end test");
    s.click("form[action='/profile/tokens'] button[type=submit]");
    let code = s.wait("code#new-token");
    let secret = s.b.text(&code).step("token text");
    assert!(
        secret.starts_with("fpm_"),
        "an API token was shown once, got {secret:?}"
    );
    s.wait_text("#tokens td", "End-to-end test");
    s.check_csp_clean();
    secret
}

fn stale_edit_keeps_input(s: &Session, task_id: &str, token: &str) {
    s.goto(&format!("/tasks/{task_id}/edit"));
    let version: i64 = s
        .value("form[action$='/edit'] input[name=version]")
        .parse()
        .expect("version is a number");

    // Someone else saves first, through the JSON API.
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent();
    let resp = agent
        .patch(&s.server.url(&format!("/api/v1/tasks/{task_id}")))
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(json!({ "status": "review", "version": version }))
        .expect("PATCH the task through the API");
    assert_eq!(resp.status(), 200, "the API change is accepted");

    s.fill("#f-title", "Typed by me, not saved yet");
    s.click("form[action$='/edit'] button[type=submit]");
    let notice = s.wait(".conflict");
    let text = s.b.text(&notice).step("conflict text");
    assert!(
        text.contains(ADMIN_NAME),
        "the notice names who saved first: {text}"
    );
    assert!(
        text.contains("Reload latest"),
        "the notice offers the latest version: {text}"
    );
    assert_eq!(
        s.value("#f-title"),
        "Typed by me, not saved yet",
        "what the user typed is still in the field"
    );
    assert_eq!(
        s.value("form[action$='/edit'] input[name=version]"),
        version.to_string(),
        "the form still refers to the version it was based on"
    );
    s.wait_text("aside .chip", "In review");
    s.check_csp_clean();

    // Nothing was overwritten.
    let latest: Value = agent
        .get(&s.server.url(&format!("/api/v1/tasks/{task_id}")))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("GET the task")
        .body_mut()
        .read_json()
        .expect("task JSON");
    assert_eq!(latest["title"], "Shop drawings for the lobby desk");
    assert_eq!(latest["status"], "review");
}

fn audit_trail(s: &Session) {
    s.goto("/audit?entity_type=task");
    s.wait_text("#results td", "status change");
    // The changes are summarised; their details open on a click, without script.
    s.wait_text("#results tbody tr:first-child summary", "status");
    s.click("#results tbody tr:first-child summary");
    s.wait_text("#results dd", "review");
    s.check_csp_clean();
}

fn password_reset_through_outbox(s: &Session) {
    // Without SMTP the reset email lands in the administrator's outbox.
    s.goto("/forgot-password");
    s.fill("#f-email", ADMIN_EMAIL);
    s.click("form[action='/forgot-password'] button[type=submit]");
    s.wait_text(".flash", "reset link is on its way");
    s.check_csp_clean();
    // A background job sends the email just after the request commits: reload the outbox
    // (a bounded number of times) until it shows.
    for _ in 0..100 {
        s.goto("/outbox");
        if !s
            .b
            .find_all("pre.mail-body")
            .step("look for mail")
            .is_empty()
        {
            break;
        }
    }
    let body =
        s.b.text(&s.wait_text("pre.mail-body", "/reset-password/"))
            .step("mail body");
    s.check_csp_clean();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/reset-password/"))
        .expect("a reset link in the email")
        .to_owned();
    assert!(
        link.starts_with(&s.server.base),
        "the link points at this server: {link}"
    );

    s.b.goto(&link).step("open the reset link");
    s.fill("#f-password", "short");
    s.click("form[action^='/reset-password/'] button[type=submit]");
    s.wait_text("#f-password-error", "at least 10 characters");
    s.check_csp_clean();
    s.fill("#f-password", "a brand new passphrase");
    s.click("form[action^='/reset-password/'] button[type=submit]");
    s.wait_text(".flash", "password was reset");

    // The reset signed every session out; the new password works.
    s.fill("#f-email", ADMIN_EMAIL);
    s.fill("#f-password", "a brand new passphrase");
    s.click("form[action='/login'] button[type=submit]");
    s.wait_text("h1", "Dashboard");
}

/// Writes a file for an `<input type=file>` to pick up.
pub(crate) fn temp_file(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("formula-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("temp file");
    path.to_string_lossy().into_owned()
}

impl Session {
    /// Ticks the checkbox whose label contains `text`.
    pub(crate) fn tick(&self, text: &str) {
        let script = "var t = arguments[0];\
                      var l = Array.from(document.querySelectorAll('label')).find(function (x) { return x.textContent.indexOf(t) >= 0; });\
                      if (!l) { return false; } var c = document.getElementById(l.htmlFor); if (!c.checked) { c.click(); } return true;";
        let found = self.b.execute(script, vec![json!(text)]).step("tick");
        assert_eq!(found, json!(true), "no checkbox labelled {text:?}");
    }

    pub(crate) fn attach(&self, css: &str, path: &str) {
        let el = self.wait(css);
        self.b.send_keys(&el, path).step(&format!("attach {path}"));
    }
}

/// The millwork core as a user meets it: a BOQ imported after fixing what the check
/// rejected, a shop drawing sent back and approved at revision B, a material approved and
/// ordered, and the item released to production once the gate opens.
fn millwork_flow(s: &Session, project_id: &str) {
    // 1. Import: the check names the bad row; the fixed file goes in.
    s.goto(&format!("/projects/{project_id}/scope"));
    s.wait_text("h2", "Scope of work");
    s.click(&format!("a[href='/projects/{project_id}/scope/import']"));
    let bad = temp_file(
        "boq-bad.csv",
        b"Group,Item code,Name,Qty,Unit,Rate\nMillwork,M-1,Reception desk,one,set,12500\nElectrical,E-1,Floor boxes,4,pcs,85\n",
    );
    s.attach("#f-file", &bad);
    s.click("form[enctype='multipart/form-data'] button[type=submit]");
    s.wait_text(".flash-error", "1 row(s) need fixing");
    s.wait_text("tr.is-invalid td", "must be a number like 12.5");
    s.check_csp_clean();
    let good = temp_file(
        "boq.csv",
        b"Group,Item code,Name,Qty,Unit,Rate\nMillwork,M-1,Reception desk,1,set,12500\nElectrical,E-1,Floor boxes,4,pcs,85\n",
    );
    s.attach("#f-file", &good);
    s.click("form[enctype='multipart/form-data'] button[type=submit]");
    s.wait_text(".flash-success", "Every row can be imported: 2 new");
    s.click("form[action$='/scope/import/confirm'] button");
    s.wait_text(".flash", "spreadsheet was imported");
    s.wait_text(".scope-table td", "Reception desk");
    s.check_csp_clean();

    // 2. The drawing: rev A sent back, rev B approved, linked to the desk.
    s.goto(&format!("/projects/{project_id}/drawings"));
    s.fill("#n-number", "SD-101");
    s.fill("#n-title", "Reception desk elevation");
    s.click(&format!(
        "form[method=post][action='/projects/{project_id}/drawings'] button"
    ));
    s.wait_text("h2", "SD-101");
    let pdf = |m: &str| format!("%PDF-1.4\n% {m}\n%%EOF\n").into_bytes();
    s.attach("#u-file", &temp_file("SD-101 A.pdf", &pdf("A")));
    s.click("form[enctype='multipart/form-data'] button[type=submit]");
    s.wait_text(".flash", "uploaded as a draft");
    s.click("form[action$='/submit'] button");
    s.wait_text(".flash", "submitted for review");
    s.select("#r-decision", "revise_and_resubmit");
    s.fill("#r-comments", "Deepen the plinth");
    s.click("form[action$='/review'] button");
    s.wait_text(".flash", "decision was recorded");
    s.attach("#u-file", &temp_file("SD-101 B.pdf", &pdf("B")));
    s.click("form[enctype='multipart/form-data'] button[type=submit]");
    s.wait_text("h2", "Revision B is a draft");
    s.click("form[action$='/submit'] button");
    s.wait_text(".flash", "submitted for review");
    s.select("#r-decision", "approved");
    s.click("form[action$='/review'] button");
    s.wait_text(".chip-approved", "Approved");
    s.wait_text(".stack li", "Deepen the plinth");
    s.tick("M-1");
    s.click("form[action$='/scope-items'] button");
    s.wait_text(".kv dd", "Reception desk");
    s.check_csp_clean();

    // 3. The material: its supplier added to the directory from the add form, the
    //    specification approved, then ordered by a purchase order raised from its page,
    //    approved and sent (nothing is ordered by hand any more).
    s.goto(&format!("/projects/{project_id}/materials"));
    s.click("a[href^='/suppliers/new?back=']");
    s.fill("#f-name", "Veneer Co");
    s.fill("#f-email", "orders@veneer.example");
    s.click("form[action='/suppliers/new'] button[type=submit]");
    s.wait_text("#new-spec-h", "Add a material specification");
    let veneer =
        s.b.execute(
            "var o = Array.from(document.querySelectorAll('#f-supplier_id option'))\
               .find(function (x) { return x.textContent.trim() === 'Veneer Co'; });\
             return o ? o.value : null;",
            vec![],
        )
        .step("the directory's supplier in the select");
    let veneer = veneer
        .as_str()
        .expect("the new supplier is offered")
        .to_owned();
    s.fill("#f-code", "V-01");
    s.fill("#f-description", "Walnut veneer, book-matched");
    s.select("#f-category", "veneer");
    s.select("#f-supplier_id", &veneer);
    s.click(&format!(
        "form[action='/projects/{project_id}/materials'] button"
    ));
    s.wait_text("h2", "V-01");
    s.wait_text(".kv dd a[href^='/suppliers/']", "Veneer Co");
    s.tick("M-1");
    s.click("form[action$='/scope-items'] button");
    s.wait_text(".flash", "changes were saved");
    s.click("form[action$='/submit'] button");
    s.select("#r-decision", "approved");
    s.click("form[action$='/review'] button");
    s.wait_text(".chip-to_order", "To order");
    s.goto(&format!("/projects/{project_id}/readiness"));
    s.wait_text("td", "Material V-01 is approved but not ordered yet");
    s.goto(&format!("/projects/{project_id}/materials"));
    s.click("a[href^='/specs/']");
    s.wait_text("#orders-h", "Purchase orders");
    s.wait_text("p.empty", "Not on any purchase order yet");
    assert!(
        s.b.find_all("form[action$='/procurement']")
            .step("order forms")
            .is_empty(),
        "no order or delivery is recorded by hand"
    );
    s.check_csp_clean();
    s.click("form[action$='/purchasing/raise'] button[type=submit]");
    s.wait_text("#po-h", "Veneer Co");
    s.wait_text(".po-lines", "V-01");
    s.click("form[action$='/approve'] button[type=submit]");
    s.wait_text("#po-h + p .chip", "Approved");
    s.click("form[action$='/send'] button[type=submit]");
    s.wait_text("#po-h + p .chip", "Sent");
    s.check_csp_clean();
    s.goto(&format!("/projects/{project_id}/materials"));
    s.click("a[href^='/specs/']");
    s.wait_text(".chip-ordered", "Ordered");
    s.wait_text("table.data td .chip-sent", "Sent");
    s.check_csp_clean();
    s.screenshot("spec-purchase-orders-1280");
    s.b.set_window_size(375, 812).step("resize to a phone");
    s.screenshot("spec-purchase-orders-375");
    s.b.set_window_size(1280, 900).step("resize back");

    // 4. Ready, and released.
    s.goto(&format!("/projects/{project_id}/readiness"));
    s.wait_text("h2", "Ready for production: 2 of 2 items (100 %)");
    s.click("form[action$='/release'] button");
    s.wait_text(".flash", "released to production");
    s.wait_text(".chip-completed", "Released");
    s.check_csp_clean();
}

/// Issue 14, defect 2: after rev B of SD-101 was approved (`millwork_flow`), a draft rev C
/// neither hides B in the register nor closes the production gate again.
fn draft_keeps_the_approved_drawing(s: &Session, project_id: &str) {
    s.goto(&format!("/projects/{project_id}/drawings"));
    s.click("table.data a[href^='/drawings/']");
    s.wait_text("h2", "SD-101");
    s.attach(
        "#u-file",
        &temp_file("SD-101 C.pdf", b"%PDF-1.4\n% C\n%%EOF\n"),
    );
    s.click("form[enctype='multipart/form-data'] button[type=submit]");
    s.wait_text("h2", "Revision C is a draft");
    s.wait_text(
        ".kv dd",
        "Revision B (Approved), until a newer revision is approved",
    );
    s.check_csp_clean();

    s.goto(&format!("/projects/{project_id}/drawings"));
    let cell = s.wait_text("table.data td .rev-pair", "B approved");
    let text = s.b.text(&cell).step("status cell");
    assert_eq!(
        text, "B approved · C draft",
        "the register shows both revisions"
    );
    assert!(
        s.b.find_all("table.data .chip-draft")
            .step("draft chips")
            .len()
            == 1
            && s.b
                .find_all("table.data .chip-approved")
                .step("approved chips")
                .len()
                == 1,
        "one chip for each revision"
    );
    s.check_csp_clean();
    s.b.set_window_size(375, 812).step("resize to a phone");
    s.goto(&format!("/projects/{project_id}/drawings"));
    s.wait_text("table.data td .rev-pair", "B approved");
    s.b.execute(
        "document.querySelector('.rev-pair').scrollIntoView({block: 'center', inline: 'center'});",
        vec![],
    )
    .step("scroll to the register");
    s.screenshot("/phone/drawing-register");
    s.b.set_window_size(1280, 900).step("resize back");

    // The gate still goes by B, and says C is coming.
    s.goto(&format!("/projects/{project_id}/readiness"));
    s.wait_text("h2", "Ready for production: 2 of 2 items (100 %)");
    s.wait_text(
        "td .hint",
        "Drawing SD-101 rev C is a draft; approved rev B stays in effect",
    );
    s.check_csp_clean();
}

fn phone_width(s: &Session, project_id: &str) {
    s.b.set_window_size(375, 812).step("resize to a phone");
    for (path, heading) in [
        ("/", "Dashboard"),
        ("/projects", "Projects"),
        (
            &format!("/projects/{project_id}/tasks"),
            "Lobby and guest floors",
        ),
        (
            &format!("/projects/{project_id}/drawings"),
            "Lobby and guest floors",
        ),
    ] {
        s.goto(path);
        s.wait_text("h1", heading);
        s.screenshot(&format!("/phone{path}"));
        let size =
            s.b.execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .step("measure");
        let scroll = size[0].as_i64().unwrap_or(i64::MAX);
        let inner = size[1].as_i64().unwrap_or(i64::MAX);
        assert!(
            inner <= 400,
            "the window is phone-sized (innerWidth {inner})"
        );
        // Wide tables scroll inside their own box; the page itself must not.
        assert!(
            scroll <= 375 + 5,
            "{path} fits 375 px without horizontal scrolling (scrollWidth {scroll})"
        );
    }
}

fn designer_sees_their_projects_only(s: &Session, project_id: &str) {
    s.b.set_window_size(1280, 900).step("resize back");
    s.goto("/");
    s.click("form[action='/logout'] button");
    s.fill("#f-email", "dana@example.com");
    s.fill("#f-password", "another long secret");
    s.click("form[action='/login'] button[type=submit]");
    s.wait_text("h1", "Dashboard");
    let nav = s.b.text(&s.wait("nav.topnav")).step("nav text");
    assert!(
        !nav.contains("Users") && !nav.contains("Audit") && !nav.contains("Outbox"),
        "a designer's menu has no administration: {nav}"
    );
    s.wait_text("section td a", "FPM-");

    // Administration pages answer 403 with a page, not a blank.
    s.goto("/users/new");
    s.wait_text("h1", "Forbidden");
    s.check_csp_clean();

    // On their team's project a designer edits tasks in place but cannot change the project's status.
    s.goto(&format!("/projects/{project_id}"));
    s.wait_text("h1", "Lobby and guest floors");
    assert!(
        s.b.find_all("form[action$='/status']")
            .step("status forms")
            .is_empty(),
        "only managers change a project's status"
    );
    s.goto(&format!("/projects/{project_id}/tasks"));
    s.wait("#results select[name=status]");
}
