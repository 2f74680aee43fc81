//! The schedule in headless Chromium against the real server, as the project's manager: two
//! dependencies added on a task's page (with the form's kind and lag), the Schedule page's
//! Reschedule showing the successor's proposed dates, Apply moving them; at 375 px the plan
//! and the proposal still read.

use serde_json::{Value, json};

use crate::browser::{Session, Step, first_run_setup};
use crate::browser_installation::Api;
use crate::process::Server;
use crate::webdriver::Browser;

#[test]
fn browser_schedule_links_tasks_reschedules_and_applies() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "Schedule scene");
    let me = api.ok("GET", "/auth/me", Value::Null);
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor lobby", "client_id": client["id"], "manager_id": me["user"]["id"],
               "sector": "hospitality", "business_line": "millwork"}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    // Monday 7 January 2030: fabricate Mon–Wed; install and snag typed on the same Monday.
    let task = |title: &str, start: &str, due: &str| {
        api.ok(
            "POST",
            &format!("/projects/{p}/tasks"),
            json!({"title": title, "start_date": start, "due_date": due}),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let fabricate = task("Fabricate wardrobes", "2030-01-07", "2030-01-09");
    let install = task("Fit wardrobes", "2030-01-07", "2030-01-08");
    let snag = task("Snag", "2030-01-07", "2030-01-07");

    s.b.set_window_size(1280, 900).step("desktop width");
    // On the install task's page: it waits on the fabrication (finish to start).
    s.goto(&format!("/tasks/{install}"));
    s.wait_text("h2#deps-h", "Dependencies");
    s.select("#dep-other_id", &fabricate);
    s.select("#dep-side", "after");
    s.select("#dep-kind", "fs");
    s.click("#task-deps button[type=submit]");
    s.wait_text("#task-deps .dep-list", "Fabricate wardrobes");
    // The snag waits on the install, a day after it finishes.
    s.select("#dep-other_id", &snag);
    s.select("#dep-side", "before");
    s.fill("#dep-lag_days", "1");
    s.click("#task-deps form[action$='/dependencies'] button[type=submit]");
    s.wait_text("#task-deps .dep-list", "Finish to start + 1 d");
    s.screenshot("schedule-1280-task-dependencies");
    s.check_csp_clean();

    // The Schedule page: Reschedule shows what moves.
    s.goto(&format!("/projects/{p}/schedule"));
    s.wait_text("h2#plan-h", "Plan");
    s.check_csp_clean();
    s.click("a[href$='propose=1#proposal']");
    s.wait_text("h2#proposal-h", "Reschedule");
    let proposal = s.wait("#proposal");
    let text = s.b.text(&proposal).step("proposal text");
    assert!(text.contains("2 tasks would move"), "{text}");
    assert!(text.contains("Fit wardrobes"), "{text}");
    // Days are shown in the reader's locale: read them from their machine-readable form.
    let html =
        s.b.execute(
            "return document.getElementById('proposal').innerHTML;",
            vec![],
        )
        .step("proposal markup");
    let html = html.as_str().unwrap_or_default();
    assert!(
        html.contains("datetime=\"2030-01-10\"") && html.contains("datetime=\"2030-01-11\""),
        "install moves to Thu 10 – Fri 11: {html}"
    );
    assert!(
        html.contains("datetime=\"2030-01-15\""),
        "snag moves to Tue 15: {html}"
    );
    s.screenshot("schedule-1280-proposal");
    s.check_csp_clean();

    s.b.set_window_size(375, 800).step("phone width");
    s.screenshot("schedule-375-proposal");
    s.b.set_window_size(1280, 900).step("desktop width");

    // Apply: the dates move.
    s.click("#proposal form button[type=submit]");
    s.wait_text(".flash", "saved");
    let moved = api.ok("GET", &format!("/tasks/{install}"), Value::Null);
    assert_eq!(moved["start_date"], "2030-01-10");
    assert_eq!(moved["due_date"], "2030-01-11");
    let moved = api.ok("GET", &format!("/tasks/{snag}"), Value::Null);
    assert_eq!(moved["start_date"], "2030-01-15");
    s.goto(&format!("/projects/{p}/schedule?propose=1"));
    s.wait_text("#proposal", "nothing would move");
    s.screenshot("schedule-1280-after-apply");
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&format!("/projects/{p}/schedule"));
    s.wait_text("h2#plan-h", "Plan");
    s.screenshot("schedule-375-plan");

    // A baseline, then the calendars: the company's (the administrator's) and the project's.
    s.b.set_window_size(1280, 900).step("desktop width");
    s.fill("#f-name", "Contract programme");
    s.click("form[action$='/baselines'] button[type=submit]");
    s.wait_text("#compare-h", "Contract programme");
    s.screenshot("schedule-1280-baseline");
    s.check_csp_clean();
    s.goto("/admin/company/calendar");
    s.wait_text("h1", "Working calendar");
    s.fill("#f-holidays", "2030-01-14 Founders' Day");
    s.click("form[action='/admin/company/calendar'] button[type=submit]");
    s.wait_text(".flash", "saved");
    assert_eq!(s.value("#f-holidays"), "2030-01-14 Founders' Day");
    s.screenshot("calendar-1280-company");
    s.check_csp_clean();
    s.goto(&format!("/projects/{p}/schedule/calendar"));
    s.wait_text("h2#cal-h", "Working calendar");
    s.check_csp_clean();
    s.b.set_window_size(375, 800).step("phone width");
    s.screenshot("calendar-375-project");
    s.goto(&format!("/tasks/{install}"));
    s.wait_text("h2#deps-h", "Dependencies");
    s.screenshot("schedule-375-task-dependencies");
}
