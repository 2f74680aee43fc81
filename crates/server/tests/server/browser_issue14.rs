//! Browser flows for what issue 14 fixed, in headless Chromium against the real server:
//! creating an API token (a reload does not create another), a European CSV import (a
//! decimal comma is not read as thousands), editing a specification sent back for revision
//! (and a stale save keeping what was typed), a drawing's details, completing a project
//! (the confirmation lists what is open), the checkbox and money layouts at 1280 and 375 px,
//! the audit page's details toggle, and an invitation accepted from the outbox.
//!
//! With `UI_SCREENSHOTS=<dir>`, every page changed for the issue is saved at 1280 and 375 px.

use serde_json::{Value, json};

use crate::browser::{
    ADMIN_NAME, ADMIN_PASSWORD, Session, Step, first_run_setup, id_after, temp_file,
};
use crate::process::Server;
use crate::webdriver::Browser;

/// The JSON API with the token created in the browser.
struct Api {
    agent: ureq::Agent,
    token: String,
    base: String,
}

impl Api {
    fn new(s: &Session, token: &str) -> Api {
        Api {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .proxy(None)
                .build()
                .new_agent(),
            token: token.to_owned(),
            base: s.server.url("/api/v1"),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let resp = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
            ("PATCH", Some(b)) => self
                .agent
                .patch(&url)
                .header("Authorization", &auth)
                .send_json(b),
            (_, b) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(b.unwrap_or_else(|| json!({}))),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let v = resp.body_mut().read_json().unwrap_or(Value::Null);
        (status, v)
    }

    fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.call(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {v}"
        );
        v
    }
}

/// Saves the page at 1280 and at 375 px wide (tall enough to show most of it), when
/// `UI_SCREENSHOTS` names a directory, then goes back to 1280 × 900.
fn shoot(s: &Session, name: &str) {
    let Ok(dir) = std::env::var("UI_SCREENSHOTS") else {
        return;
    };
    for (w, h) in [(1280, 1600), (375, 1600)] {
        s.b.set_window_size(w, h).step("resize");
        let _ =
            s.b.screenshot_png(std::path::Path::new(&dir).join(format!("i14-{name}-{w}.png")));
    }
    s.b.set_window_size(1280, 900).step("resize back");
}

/// The page's width against the window's (a page wider than the window scrolls sideways).
fn widths(s: &Session) -> (i64, i64) {
    let v =
        s.b.execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .step("measure");
    (
        v[0].as_i64().unwrap_or(i64::MAX),
        v[1].as_i64().unwrap_or(0),
    )
}

#[test]
fn browser_issue_14_flows() {
    let b = Browser::start()
        .unwrap_or_else(|e| panic!("start headless Chromium (set CHROMEDRIVER / CHROMIUM): {e}"));
    let s = Session {
        b,
        server: Server::start(),
    };
    first_run_setup(&s);
    let token = token_is_created_once(&s);
    let api = Api::new(&s, &token);
    let project = project_with_big_money(&s, &api);
    european_csv_import(&s, &project);
    let spec = spec_edited_after_revise_and_resubmit(&s, &api, &project);
    drawing_details(&s, &project);
    checkbox_and_money_layouts(&s, &project, &spec);
    project_completion(&s, &api, &project);
    audit_details(&s);
    invitation_accepted(&s);
}

/// Creating a token shows its secret once; reloading the page (F5) creates no other.
fn token_is_created_once(s: &Session) -> String {
    s.goto("/profile");
    s.fill("#tk-name", "Browser test");
    s.click("form[action='/profile/tokens'] button[type=submit]");
    let code = s.wait("code#new-token");
    let secret = s.b.text(&code).step("token text");
    assert!(secret.starts_with("fpm_"), "{secret}");
    assert!(
        s.path().starts_with("/profile?"),
        "the POST redirected to a page that is safe to reload: {}",
        s.path()
    );
    s.check_csp_clean();
    s.b.execute("location.reload();", vec![]).step("reload");
    s.b.wait_for_absent("code#new-token", crate::browser::WAIT)
        .step("the secret is shown once");
    let rows = s.b.find_all("#tokens tbody tr").step("token rows");
    let named = rows
        .iter()
        .filter(|r| {
            s.b.text(r)
                .map(|t| t.contains("Browser test"))
                .unwrap_or(false)
        })
        .count();
    assert_eq!(named, 1, "reloading created no second token");
    secret
}

/// A client and an awarded, active project whose money is large enough to test the layout.
fn project_with_big_money(s: &Session, api: &Api) -> String {
    let client = api.ok("POST", "/clients", Some(json!({"name": "Harbor Hotels"})));
    let me = api.ok("GET", "/auth/me", None);
    let project = api.ok(
        "POST",
        "/projects",
        Some(
            json!({"name": "Grand lobby and 400 guest rooms", "client_id": client["id"],
            "manager_id": me["user"]["id"], "sector": "hospitality", "business_line": "millwork",
            "currency": "USD", "contract_value_minor": 123_456_789_012_i64}),
        ),
    );
    let id = project["id"].as_str().unwrap().to_owned();
    for status in ["awarded", "active"] {
        let p = api.ok("GET", &format!("/projects/{id}"), None);
        api.ok(
            "POST",
            &format!("/projects/{id}/status"),
            Some(json!({"status": status, "version": p["version"]})),
        );
    }
    let _ = s;
    id
}

/// `55,00` in a semicolon file is 55, not 5,500: the line totals 3,520.00.
fn european_csv_import(s: &Session, project: &str) {
    s.goto(&format!("/projects/{project}/scope/import"));
    let csv = temp_file(
        "boq-eu.csv",
        "Group;Name;Room;Qty;Unit;Unit price\nConstruction;Gypsum partition;Corridor;64;m²;55,00\nMillwork;Reception desk;Lobby;1;set;98.765.432,10\n"
            .as_bytes(),
    );
    let file = s.wait("#f-file");
    s.b.send_keys(&file, &csv).step("attach the CSV");
    s.click("form[enctype='multipart/form-data'] button[type=submit]");
    s.wait_text(".flash-success", "Every row can be imported: 2 new");
    s.check_csp_clean();
    s.click("form[action$='/scope/import/confirm'] button");
    s.wait_text(".flash", "spreadsheet was imported");
    s.wait_text(".scope-table td", "Gypsum partition");
    s.wait_text(".scope-table td", "3,520.00");
    s.wait_text(".scope-table td", "98,765,432.10");
    let html = s.b.page_source().step("source");
    assert!(
        !html.contains("352,000.00"),
        "the decimal comma was not read as a thousands separator"
    );
}

/// A spec sent back is edited (material, finish, colour and the rest), a stale save keeps
/// what was typed, and the revised spec is resubmitted.
fn spec_edited_after_revise_and_resubmit(s: &Session, api: &Api, project: &str) -> String {
    s.goto(&format!("/projects/{project}/materials"));
    s.fill("#f-code", "V-01");
    s.fill("#f-description", "Walnut veneer, book-matched");
    s.select("#f-category", "veneer");
    s.fill("#f-material", "American walnut");
    s.fill("#f-finish", "Matt lacquer");
    s.fill("#f-colour", "Natural");
    s.click(&format!(
        "form[action='/projects/{project}/materials'] button"
    ));
    s.wait_text("h2", "V-01");
    s.wait_text(".kv dd", "American walnut · Matt lacquer · Natural");
    let spec = id_after(&s.path(), "/specs/");
    s.click("form[action$='/submit'] button");
    s.wait_text(".flash", "submitted for review");
    s.select("#r-decision", "revise_and_resubmit");
    s.fill(
        "#r-comments",
        "Say the sheen, and who to call at the supplier",
    );
    s.click("form[action$='/review'] button");
    s.wait_text(".flash", "decision was recorded");

    // The spec page now offers editing; the form holds every field.
    s.click(&format!("a[href='/specs/{spec}/edit']"));
    s.wait_text("h2", "Edit V-01");
    assert_eq!(s.value("#f-material"), "American walnut");
    s.check_csp_clean();
    shoot(s, "spec-edit");
    s.fill("#f-finish", "Satin lacquer, 20 % sheen");
    s.fill("#f-part_number", "WAL-BM-06");
    s.click(&format!(
        "form[action='/specs/{spec}/edit'] button[type=submit]"
    ));
    s.wait_text(".flash", "changes were saved");
    s.wait_text(".kv dd", "Satin lacquer, 20 % sheen");
    s.wait_text(".kv dd", "WAL-BM-06");
    s.wait_text(".chip", "Draft");
    shoot(s, "spec-page");

    // Someone saves first through the API: the form says who, and keeps the typing.
    s.goto(&format!("/specs/{spec}/edit"));
    let version = s.value(&format!(
        "form[action='/specs/{spec}/edit'] input[name=version]"
    ));
    api.ok(
        "PATCH",
        &format!("/specs/{spec}"),
        Some(json!({"colour": "Smoked", "version": version.parse::<i64>().unwrap()})),
    );
    s.fill("#f-colour", "Honey");
    s.click(&format!(
        "form[action='/specs/{spec}/edit'] button[type=submit]"
    ));
    let notice = s.wait(".conflict");
    let text = s.b.text(&notice).step("conflict text");
    assert!(text.contains(ADMIN_NAME), "names who saved first: {text}");
    assert_eq!(s.value("#f-colour"), "Honey", "the typing is kept");
    s.check_csp_clean();

    // Resubmitted, the spec is locked again: no edit link.
    s.goto(&format!("/specs/{spec}"));
    s.click("form[action$='/submit'] button");
    s.wait_text(".flash", "submitted for review");
    assert!(
        s.b.find_all(&format!("a[href='/specs/{spec}/edit']"))
            .step("edit links")
            .is_empty(),
        "a submitted spec cannot be edited"
    );
    spec
}

fn drawing_details(s: &Session, project: &str) {
    s.goto(&format!("/projects/{project}/drawings"));
    s.fill("#n-number", "SD-101");
    s.fill("#n-title", "Reception desk");
    s.click(&format!(
        "form[method=post][action='/projects/{project}/drawings'] button"
    ));
    s.wait_text("h2", "SD-101");
    let drawing = id_after(&s.path(), "/drawings/");
    s.click(&format!("a[href='/drawings/{drawing}/edit']"));
    s.wait_text("h2", "Edit SD-101");
    s.check_csp_clean();
    shoot(s, "drawing-edit");
    s.fill("#f-title", "Reception desk, plan and elevation");
    s.select("#f-kind", "elevation");
    s.fill("#f-area", "Lobby");
    s.click(&format!(
        "form[action='/drawings/{drawing}/edit'] button[type=submit]"
    ));
    s.wait_text(".flash", "changes were saved");
    s.wait_text("h2", "SD-101 · Reception desk, plan and elevation");
    s.wait_text(".kv dd", "Elevation");
    s.wait_text(".kv dd", "Lobby");
    shoot(s, "drawing-page");
}

/// Every checkbox sits left of its label on the same line; the Scope tab's money fits its
/// cards and no page scrolls sideways on a 375 px phone.
fn checkbox_and_money_layouts(s: &Session, project: &str, spec: &str) {
    let check_boxes = |path: &str| {
        let v =
            s.b.execute(
                "return Array.from(document.querySelectorAll('.field-check')).map(function (f) {\
               var i = f.querySelector('input').getBoundingClientRect();\
               var l = f.querySelector('label').getBoundingClientRect();\
               return [i.right <= l.left + 1, i.top < l.bottom && i.bottom > l.top, f.textContent.trim()];\
             });",
                vec![],
            )
            .step("measure checkboxes");
        let fields = v.as_array().cloned().unwrap_or_default();
        assert!(!fields.is_empty(), "{path} has checkbox fields");
        for f in fields {
            assert_eq!(
                (f[0].as_bool(), f[1].as_bool()),
                (Some(true), Some(true)),
                "{path}: the box of {} is beside its label",
                f[2]
            );
        }
    };
    for (w, h) in [(1280, 900), (375, 812)] {
        s.b.set_window_size(w, h).step("resize");
        s.goto(&format!("/specs/{spec}"));
        s.wait_text("h2", "V-01");
        check_boxes(&format!("/specs/{spec} at {w} px"));
        s.goto("/profile");
        check_boxes(&format!("/profile at {w} px"));

        s.goto(&format!("/projects/{project}/scope"));
        s.wait(".stats-money");
        let v =
            s.b.execute(
                "return Array.from(document.querySelectorAll('.stats-money .stat')).map(function (c) {\
               var v = c.querySelector('.stat-value'); var cr = c.getBoundingClientRect();\
               var vr = v.getBoundingClientRect(); var text = document.createRange();\
               text.selectNodeContents(v); var lines = c.classList.contains('stat-progress') ? 1 : text.getClientRects().length;\
               return [v.scrollWidth <= v.clientWidth + 1 && vr.right <= cr.right + 1 && vr.left >= cr.left - 1 && lines === 1, c.textContent.trim()];\
             });",
                vec![],
            )
            .step("measure money");
        let cards = v.as_array().cloned().unwrap_or_default();
        assert!(cards.len() >= 4, "the totals are shown");
        for c in cards {
            assert_eq!(
                c[0].as_bool(),
                Some(true),
                "at {w} px the amount fits its card on one line: {}",
                c[1]
            );
        }
        let text = s.b.text(&s.wait(".stats-money")).step("totals");
        assert!(
            text.contains("1,234,567,890.12"),
            "the contract value is shown: {text}"
        );
        let (scroll, inner) = widths(s);
        assert!(
            scroll <= inner,
            "/projects/{project}/scope at {w} px: no horizontal scroll ({scroll} > {inner})"
        );
        s.screenshot(&format!("/i14-scope-{w}"));
    }
    s.b.set_window_size(1280, 900).step("resize back");
}

/// Completing asks first and lists what is still open; confirming completes.
fn project_completion(s: &Session, api: &Api, project: &str) {
    api.ok(
        "POST",
        &format!("/projects/{project}/tasks"),
        Some(json!({"title": "Snag list walk-through"})),
    );
    s.goto(&format!("/projects/{project}"));
    s.click(&format!("a[href='/projects/{project}/complete']"));
    s.wait_text("h2", "completed?");
    s.wait_text("li", "1 open task");
    s.wait_text("li", "2 scope items not completed");
    s.wait_text("li", "1 drawing without an approved revision");
    s.wait_text("li", "1 specification not approved");
    s.check_csp_clean();
    shoot(s, "complete");
    assert!(
        s.path().ends_with("/complete"),
        "nothing changed yet: {}",
        s.path()
    );
    s.click(&format!(
        "form[action='/projects/{project}/status'] button.btn-primary"
    ));
    s.wait_text(".flash", "status was changed");
    s.wait_text(".page-header .chip", "Completed");

    // The project's edit page offers deletion to an administrator (asking first).
    s.goto(&format!("/projects/{project}/edit"));
    let del = s.wait(&format!("form[action='/projects/{project}/delete']"));
    assert!(
        s.b.attr(&del, "data-confirm")
            .step("confirm")
            .is_some_and(|c| c.contains("cannot be undone")),
        "deleting asks first"
    );
    s.check_csp_clean();
    shoot(s, "project-edit");
}

/// The audit page summarises each change; the details open without script.
fn audit_details(s: &Session) {
    s.goto("/audit?entity_type=spec");
    s.wait_text("#results td", "update");
    let summary = s.wait_text("#results summary", "finish");
    s.b.click(&summary).step("open the details");
    s.wait_text("#results dd", "Satin lacquer, 20 % sheen");
    let html = s.b.page_source().step("source");
    assert!(!html.contains(".000000"), "no sub-second times");
    s.check_csp_clean();
    shoot(s, "audit");
}

/// An administrator invites by e-mail; the invited person opens the link from the outbox,
/// chooses a password and is signed in; the link then says it was used.
fn invitation_accepted(s: &Session) {
    s.goto("/users/new");
    s.wait("#f-access-invite:checked");
    let password = s.b.find("#f-password").step("password field");
    assert_eq!(
        s.b.property(&password, "offsetParent").step("shown"),
        Value::Null,
        "no password is asked for an invitation"
    );
    shoot(s, "user-new");
    s.fill("#f-name", "Ivy Invited");
    s.fill("#f-email", "ivy@example.com");
    s.select("#f-role", "designer");
    s.click("form[action='/users/new'] button[type=submit]");
    s.wait_text(".flash", "invited by e-mail");
    let mut body = String::new();
    for _ in 0..100 {
        s.goto("/outbox");
        if let Ok(el) = s.b.find("pre.mail-body") {
            body = s.b.text(&el).step("mail body");
            if body.contains("/invitations/") {
                break;
            }
        }
    }
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/invitations/"))
        .unwrap_or_else(|| panic!("an invitation link in the outbox: {body}"))
        .to_owned();
    s.click("form[action='/logout'] button");
    s.wait_text(".flash", "signed out");

    s.b.goto(&link).step("open the invitation");
    s.wait_text("p", "Welcome, Ivy Invited");
    s.check_csp_clean();
    shoot(s, "invitation");
    s.fill("#f-password", "short");
    s.click("form[action^='/invitations/'] button[type=submit]");
    s.wait_text("#f-password-error", "at least 10 characters");
    s.fill("#f-password", "ivy's own passphrase");
    s.click("form[action^='/invitations/'] button[type=submit]");
    s.wait_text("h1", "Dashboard");
    s.wait_text(".flash", "you are signed in");
    s.wait_text(".user-menu a", "Ivy Invited");

    s.click("form[action='/logout'] button");
    // Signed out for sure before the link is opened again (a signed-in visit is another page).
    s.wait_text(".flash", "signed out");
    s.b.goto(&link).step("open the link again");
    s.wait_text("h1", "already used");
    s.check_csp_clean();
    shoot(s, "invitation-used");

    // Back as the administrator, for whatever runs next.
    s.goto("/login");
    s.fill("#f-email", crate::browser::ADMIN_EMAIL);
    s.fill("#f-password", ADMIN_PASSWORD);
    s.click("form[action='/login'] button[type=submit]");
    s.wait_text("h1", "Dashboard");
}
