//! The calendar in headless Chromium against the real server: a project's month with its
//! tasks and RFI on their days, moving to the next and previous month and to the week view,
//! the phone's agenda at 375 px, and a feed link made on the profile page that a calendar
//! application could read (and a revoked one it no longer can).

use serde_json::{Value, json};

use crate::browser::{Session, Step, first_run_setup};
use crate::browser_installation::Api;
use crate::process::Server;
use crate::webdriver::Browser;

fn fetch(url: &str) -> (u16, String, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent();
    let mut resp = agent
        .get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET feed: {e}"));
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let status = resp.status().as_u16();
    (
        status,
        kind,
        resp.body_mut().read_to_string().unwrap_or_default(),
    )
}

#[test]
fn browser_calendar() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base.clone(), "Calendar");
    let me = api.ok("GET", "/auth/me", Value::Null);
    let my_id = me["user"]["id"].clone();
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor lobby", "client_id": client["id"], "manager_id": my_id,
               "sector": "hospitality", "business_line": "millwork"}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    for (title, start, due) in [
        ("Install reception panels", Some("2026-03-03"), "2026-03-05"),
        ("Shop drawings, lobby", None, "2026-03-05"),
        ("Snag walk with the client", None, "2026-04-02"),
        ("Order brass trims", None, "2026-02-20"),
    ] {
        api.ok(
            "POST",
            &format!("/projects/{p}/tasks"),
            json!({"title": title, "start_date": start, "due_date": due, "assignee_id": my_id}),
        );
    }
    api.ok(
        "POST",
        &format!("/projects/{p}/rfis"),
        json!({"subject": "Door handle finish", "question": "Brass or bronze?",
               "addressed_to_email": "ana@studio.example", "required_by": "2026-03-10"}),
    );

    // March, from the Calendar tab.
    s.b.set_window_size(1280, 900).step("desktop width");
    s.goto(&format!("/projects/{p}"));
    s.click(&format!("a[href='/projects/{p}/calendar']"));
    s.wait("#cal-h");
    s.goto(&format!(
        "/projects/{p}/calendar?view=month&date=2026-03-01"
    ));
    s.wait_text("#cal-h", "March 2026");
    s.wait_text("#day-2026-03-05 .cal-task", "Install reception panels");
    s.wait_text("#day-2026-03-05", "Shop drawings, lobby");
    s.wait_text("#day-2026-03-10 .cal-rfi", "RFI-001 Door handle finish");
    s.screenshot("calendar-month-1280");

    // Next month, then back two.
    s.click("#cal-next");
    s.wait_text("#cal-h", "April 2026");
    s.wait_text("#day-2026-04-02 .cal-task", "Snag walk with the client");
    s.click("#cal-prev");
    s.wait_text("#cal-h", "March 2026");
    s.click("#cal-prev");
    s.wait_text("#cal-h", "February 2026");
    s.wait_text("#day-2026-02-20", "Order brass trims");

    // The week of 4 March: the panels span Tuesday to Thursday.
    s.goto(&format!("/projects/{p}/calendar?view=week&date=2026-03-04"));
    s.wait_text("#cal-h", "Week of 2 March 2026");
    for d in ["2026-03-03", "2026-03-04", "2026-03-05"] {
        s.wait_text(&format!("#day-{d}"), "Install reception panels");
    }
    s.screenshot("calendar-week-1280");
    s.click(".cal-views a[href*='view=month']");
    s.wait_text("#cal-h", "March 2026");
    s.check_csp_clean();

    // A phone: the month is an agenda of the days that hold something, and fits.
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&format!(
        "/projects/{p}/calendar?view=month&date=2026-03-01"
    ));
    s.wait_text(".cal-agenda", "Install reception panels");
    let shown =
        s.b.execute(
            "return [document.documentElement.scrollWidth <= window.innerWidth,
                     getComputedStyle(document.querySelector('.cal-grid-wrap')).display,
                     getComputedStyle(document.querySelector('.cal-agenda')).display]",
            vec![],
        )
        .step("layout");
    assert_eq!(shown, json!([true, "none", "block"]), "agenda at 375 px");
    s.screenshot("calendar-agenda-375");
    s.goto("/my-work/calendar?view=week&date=2026-03-04");
    s.wait_text("#day-2026-03-05", "Shop drawings, lobby");
    s.screenshot("my-calendar-week-375");
    s.b.set_window_size(1280, 900).step("desktop width");

    // A feed link from the profile: shown once, read as iCal, then revoked.
    s.goto("/profile");
    s.select("#feed-project", &p);
    s.click("form[action='/profile/calendar-feeds'] button[type=submit]");
    let code = s.wait("code#new-feed");
    let url = s.b.text(&code).step("feed url");
    assert!(url.starts_with(&base) && url.ends_with(".ics"), "{url}");
    s.screenshot("profile-feeds-1280");
    let (status, kind, body) = fetch(&url);
    assert_eq!(
        (status, kind.as_str()),
        (200, "text/calendar; charset=utf-8")
    );
    assert!(body.contains("BEGIN:VCALENDAR\r\n"), "{body}");
    // (The March tasks are older than the feed's 90 days back; the API tests check contents.)
    assert!(body.contains("X-WR-CALNAME:FPM-"), "{body}");
    s.goto("/profile");
    s.wait("#calendar-feeds form[action$='/revoke']");
    s.b.execute(
        "document.querySelector('#calendar-feeds form[action$=\"/revoke\"]').submit()",
        vec![],
    )
    .step("revoke");
    s.wait_text(".flash", "revoked");
    assert_eq!(fetch(&url).0, 404);
    s.check_csp_clean();
}
