//! The calendar pages and the iCal feeds: what each person's feed holds (a client user's
//! never anything internal), links that are revoked and regenerated, a token that opens
//! nothing but its feed, and the documents read by a real iCalendar parser.

use std::io::Write;
use std::process::{Command, Stdio};

use axum::http::Method;
use serde_json::{Value, json};
use time::{Date, Duration};

use crate::support::{Auth, PASSWORD, TestApp, TestUser, id_of};

/// Parses an iCalendar document with the Python `icalendar` package (scripts/ical-check.py)
/// and returns what it read: `{"name", "events": [{"uid", "summary", "start", "end", "url"}]}`.
fn parse_ical(doc: &str) -> Value {
    let python = std::env::var("ICAL_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/ical-check.py");
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("start {python} (set ICAL_PYTHON to a Python with icalendar): {e}")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "icalendar refused the feed ({}; is icalendar installed? scripts/test.sh installs it):\n{doc}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The raw lines of a feed: CRLF-ended, at most 75 octets each.
fn check_lines(doc: &str) {
    assert!(doc.ends_with("\r\n"), "ends with CRLF");
    for line in doc.trim_end_matches("\r\n").split("\r\n") {
        assert!(line.len() <= 75, "{line:?} has {} octets", line.len());
        assert!(!line.contains('\n'), "a bare LF in {line:?}");
    }
}

fn summaries(cal: &Value) -> Vec<String> {
    cal["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap().to_owned())
        .collect()
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The path of a feed URL (`http://…/ical/fpc_….ics`).
fn path_of(url: &str) -> String {
    let i = url.find("/ical/").expect("a feed URL");
    url[i..].to_owned()
}

struct World {
    app: TestApp,
    admin: TestUser,
    pm: TestUser,
    designer: TestUser,
    client: TestUser,
    project: String,
}

/// A project with a task (its title full of what iCal must escape), an internal RFI, one
/// addressed to the client, a draft specification and a purchase order, all dated around
/// today.
async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let org = app.client(&admin.auth, "Alpha Hotels").await;
    let client = app.user(&admin, "client", "Cleo Client", Some(&org)).await;
    let project = app.project(&pm.auth, "Hotel fit-out", &org, &pm.id()).await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let today = app.services.today();
    let day = |n: i64| iso(today + Duration::days(n));
    app.task(
        &pm.auth,
        &project,
        json!({"title": "Fit lobby counter; phase 1, walnut\\oak", "assignee_id": designer.id(),
            "start_date": day(1), "due_date": day(3)}),
    )
    .await;
    let rfis = format!("/api/v1/projects/{project}/rfis");
    app.post(
        &rfis,
        &pm.auth,
        json!({"subject": "Internal void depth", "question": "How deep?",
            "addressed_to_user_id": designer.id(), "required_by": day(2)}),
    )
    .await
    .expect(201);
    app.post(
        &rfis,
        &pm.auth,
        json!({"subject": "Lobby stone colour", "question": "Which stone?",
            "addressed_to_user_id": client.id(), "required_by": day(4)}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/projects/{project}/specs"),
        &pm.auth,
        json!({"code": "V-01", "description": "Draft walnut veneer", "category": "veneer",
            "quantity": "4", "unit": "m2", "needed_on": day(5)}),
    )
    .await
    .expect(201);
    let supplier = crate::purchase_orders::supplier(&app, &admin.auth, "Veneer Co", None).await;
    app.post(
        &format!("/api/v1/projects/{project}/purchase-orders"),
        &pm.auth,
        json!({"supplier_id": supplier, "required_on": day(6)}),
    )
    .await
    .expect(201);
    World {
        app,
        admin,
        pm,
        designer,
        client,
        project,
    }
}

async fn make_feed(app: &TestApp, who: &Auth, project: Option<&str>) -> (String, String) {
    let made = app
        .post(
            "/api/v1/me/calendar-feeds",
            who,
            json!({"project_id": project}),
        )
        .await
        .expect(201)
        .json();
    (id_of(&made["feed"]), path_of(made["url"].as_str().unwrap()))
}

async fn fetch(app: &TestApp, path: &str) -> String {
    let resp = app.get(path, &Auth::None).await.expect(200);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    let doc = resp.text();
    check_lines(&doc);
    doc
}

#[tokio::test]
async fn a_clients_feed_holds_only_what_is_shared_with_them() {
    let w = world().await;
    let app = &w.app;
    let (_, pm_feed) = make_feed(app, &w.pm.auth, Some(&w.project)).await;
    let (_, client_feed) = make_feed(app, &w.client.auth, Some(&w.project)).await;

    let pm_doc = fetch(app, &pm_feed).await;
    let pm_cal = parse_ical(&pm_doc);
    assert!(
        pm_cal["name"].as_str().unwrap().contains("Hotel fit-out"),
        "{pm_cal}"
    );
    let pm_sees = summaries(&pm_cal);
    for wanted in [
        "Fit lobby counter; phase 1, walnut\\oak",
        "Internal void depth",
        "Lobby stone colour",
        "Draft walnut veneer",
        "Veneer Co",
    ] {
        assert!(
            pm_sees.iter().any(|s| s.contains(wanted)),
            "{wanted} in {pm_sees:?}"
        );
    }
    // Escaped on the wire, read back whole by the parser.
    assert!(
        pm_doc
            .replace("\r\n ", "")
            .contains("phase 1\\, walnut\\\\oak")
    );
    let task = pm_cal["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"].as_str().unwrap().contains("Fit lobby counter"))
        .unwrap();
    let today = app.services.today();
    assert_eq!(task["start"], iso(today + Duration::days(1)));
    assert_eq!(
        task["end"],
        iso(today + Duration::days(4)),
        "DTEND is exclusive"
    );
    assert!(task["url"].as_str().unwrap().contains("/tasks/"));

    let client_cal = parse_ical(&fetch(app, &client_feed).await);
    let client_sees = summaries(&client_cal);
    assert!(
        client_sees.iter().any(|s| s.contains("Lobby stone colour")),
        "{client_sees:?}"
    );
    assert!(
        client_sees.iter().any(|s| s.contains("Fit lobby counter")),
        "client users see their projects' tasks, as on the Tasks tab: {client_sees:?}"
    );
    for internal in [
        "Internal void depth",
        "Draft walnut veneer",
        "Veneer Co",
        "Order",
    ] {
        assert!(
            !client_sees.iter().any(|s| s.contains(internal)),
            "{internal} leaked into {client_sees:?}"
        );
    }

    // UIDs are the same from one fetch to the next.
    let again = parse_ical(&fetch(app, &pm_feed).await);
    let uids = |c: &Value| -> Vec<String> {
        c["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["uid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(uids(&pm_cal), uids(&again));

    // The personal feed: the designer's task and the RFI whose turn is theirs.
    let (_, mine) = make_feed(app, &w.designer.auth, None).await;
    let my = summaries(&parse_ical(&fetch(app, &mine).await));
    assert!(my.iter().any(|s| s.contains("Fit lobby counter")), "{my:?}");
    assert!(
        my.iter().any(|s| s.contains("Internal void depth")),
        "{my:?}"
    );
    assert!(
        !my.iter().any(|s| s.contains("Lobby stone colour")),
        "{my:?}"
    );
    // The client's own: the RFI addressed to them.
    let (_, theirs) = make_feed(app, &w.client.auth, None).await;
    let theirs = summaries(&parse_ical(&fetch(app, &theirs).await));
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert!(theirs[0].contains("Lobby stone colour"));

    // A feed of a project one may not see is refused.
    let other_org = app.client(&w.admin.auth, "Beta Homes").await;
    let other = app
        .project(&w.pm.auth, "Elsewhere", &other_org, &w.pm.id())
        .await;
    app.post(
        "/api/v1/me/calendar-feeds",
        &w.client.auth,
        json!({"project_id": other}),
    )
    .await
    .problem(404, "not_found");
}

#[tokio::test]
async fn a_feed_link_is_revoked_regenerated_and_opens_nothing_else() {
    let w = world().await;
    let app = &w.app;
    let (id, first) = make_feed(app, &w.designer.auth, Some(&w.project)).await;
    fetch(app, &first).await;
    let listed = app
        .get("/api/v1/me/calendar-feeds", &w.designer.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(listed["items"][0]["id"], id);
    assert!(listed["items"][0]["last_used_at"].is_string(), "{listed}");
    assert!(
        !listed
            .to_string()
            .contains(first.trim_start_matches("/ical/").trim_end_matches(".ics"))
    );
    // Someone else's feed is not theirs to touch.
    app.delete(&format!("/api/v1/me/calendar-feeds/{id}"), &w.pm.auth)
        .await
        .problem(404, "not_found");

    // Regenerated: the old link is dead at once, the new one works.
    let made = app
        .post(
            &format!("/api/v1/me/calendar-feeds/{id}/regenerate"),
            &w.designer.auth,
            json!({}),
        )
        .await
        .expect(201)
        .json();
    let second = path_of(made["url"].as_str().unwrap());
    assert_ne!(id_of(&made["feed"]), id);
    assert_ne!(first, second);
    let gone = app.get(&first, &Auth::None).await.expect(404);
    assert!(gone.text().contains("revoked"), "{}", gone.text());
    fetch(app, &second).await;
    app.post(
        &format!("/api/v1/me/calendar-feeds/{id}/regenerate"),
        &w.designer.auth,
        json!({}),
    )
    .await
    .problem(404, "not_found");

    // The token opens nothing but its feed: not as a bearer token, not as a session cookie,
    // not without its extension, not anything else under /ical.
    let token = second
        .trim_start_matches("/ical/")
        .trim_end_matches(".ics")
        .to_owned();
    for path in [
        "/api/v1/auth/me",
        "/api/v1/me/calendar-feeds",
        "/api/v1/projects",
    ] {
        app.get(path, &Auth::Bearer(token.clone()))
            .await
            .problem(401, "unauthenticated");
    }
    let cookie = Auth::Cookie {
        token: token.clone(),
        csrf: None,
    };
    let page = app.get("/my-work", &cookie).await;
    assert_eq!(page.status.as_u16(), 303, "a feed token is no session");
    assert!(page.header("location").unwrap().starts_with("/login"));
    let page = app
        .get(&format!("/projects/{}/calendar", w.project), &cookie)
        .await;
    assert_eq!(page.status.as_u16(), 303);
    app.get(&format!("/ical/{token}"), &Auth::None)
        .await
        .expect(404);
    app.call(Method::POST, &second, &Auth::None, None)
        .await
        .expect(405);
    // Nor does an API token open a feed.
    if let Auth::Bearer(api) = &w.designer.auth {
        app.get(&format!("/ical/{api}.ics"), &Auth::None)
            .await
            .expect(404);
    }

    // Taken off the team: the project feed is gone; the designer's own feed stays.
    let (_, mine) = make_feed(app, &w.designer.auth, None).await;
    app.call(
        Method::DELETE,
        &format!("/api/v1/projects/{}/members/{}", w.project, w.designer.id()),
        &w.pm.auth,
        None,
    )
    .await;
    let tasks = app
        .get(&format!("/api/v1/projects/{}/tasks", w.project), &w.pm.auth)
        .await
        .expect(200)
        .json();
    let task = &tasks["items"][0];
    // A member with open tasks stays on the team: hand the task over first.
    app.patch(
        &format!("/api/v1/tasks/{}", id_of(task)),
        &w.pm.auth,
        json!({"assignee_id": w.pm.id(), "version": task["version"]}),
    )
    .await
    .expect(200);
    app.call(
        Method::DELETE,
        &format!("/api/v1/projects/{}/members/{}", w.project, w.designer.id()),
        &w.pm.auth,
        None,
    )
    .await
    .expect(204);
    app.get(&second, &Auth::None).await.expect(404);
    fetch(app, &mine).await;

    // Revoked: 404.
    let (mine_id, _) = {
        let listed = app
            .get("/api/v1/me/calendar-feeds", &w.designer.auth)
            .await
            .expect(200)
            .json();
        let f = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["project_id"].is_null())
            .unwrap()
            .clone();
        (id_of(&f), ())
    };
    app.delete(
        &format!("/api/v1/me/calendar-feeds/{mine_id}"),
        &w.designer.auth,
    )
    .await
    .expect(204);
    app.get(&mine, &Auth::None).await.expect(404);
    app.delete(
        &format!("/api/v1/me/calendar-feeds/{mine_id}"),
        &w.designer.auth,
    )
    .await
    .problem(404, "not_found");

    // A disabled owner's feeds answer 404.
    let (_, pm_feed) = make_feed(app, &w.pm.auth, None).await;
    fetch(app, &pm_feed).await;
    let pm_user = app
        .get(&format!("/api/v1/users/{}", w.pm.id()), &w.admin.auth)
        .await
        .expect(200)
        .json();
    app.patch(
        &format!("/api/v1/users/{}", w.pm.id()),
        &w.admin.auth,
        json!({"status": "disabled", "version": pm_user["version"]}),
    )
    .await
    .expect(200);
    app.get(&pm_feed, &Auth::None).await.expect(404);

    // Every make, regenerate and revoke is in the audit trail.
    let audit = app
        .get(
            "/api/v1/audit?entity_type=calendar_feed&limit=50",
            &w.admin.auth,
        )
        .await
        .expect(200)
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["create", "regenerate", "revoke"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert!(
        !audit.to_string().contains(&token),
        "the secret is not audited"
    );
}

/// The cell or day block of `day` in a calendar page.
fn day_block<'a>(page: &'a str, day: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"day-{day}\""))
        .unwrap_or_else(|| panic!("day {day} in {page}"));
    let rest = &page[start..];
    let end = rest
        .find("</td>")
        .or_else(|| rest.find("</li><li class=\"cal-week-day"))
        .or_else(|| rest.find("</ol>"))
        .unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn the_calendar_pages_show_a_month_and_a_week() {
    let w = world().await;
    let app = &w.app;
    app.task(
        &w.pm.auth,
        &w.project,
        json!({"title": "Install ballroom panels", "start_date": "2026-03-03",
            "due_date": "2026-03-05"}),
    )
    .await;
    app.task(
        &w.pm.auth,
        &w.project,
        json!({"title": "Snag walk", "due_date": "2026-04-02"}),
    )
    .await;
    let (cookie, _) = app.login(&w.pm.user.email, PASSWORD).await;
    let base = format!("/projects/{}/calendar", w.project);

    let month = app
        .get(&format!("{base}?view=month&date=2026-03-17"), &cookie)
        .await
        .expect(200)
        .text();
    assert!(month.contains("March 2026"));
    let cell = day_block(&month, "2026-03-05");
    assert!(cell.contains("Install ballroom panels"), "{cell}");
    assert!(cell.contains("Task due:"), "the kind in words: {cell}");
    assert!(
        !day_block(&month, "2026-03-04").contains("Install ballroom panels"),
        "the month shows a task on its due day"
    );
    // 2 April is in the grid's last week, greyed out.
    assert!(month.contains("class=\"cal-other\" id=\"day-2026-04-02\""));
    assert!(
        month.contains("view=month&#38;date=2026-02-01\" rel=\"prev\""),
        "previous month link: {month}"
    );
    assert!(month.contains("cal-agenda"), "the phone's agenda");

    let week = app
        .get(&format!("{base}?view=week&date=2026-03-04"), &cookie)
        .await
        .expect(200)
        .text();
    assert!(week.contains("Week of 2 March 2026"));
    for d in ["2026-03-03", "2026-03-04", "2026-03-05"] {
        assert!(
            day_block(&week, d).contains("Install ballroom panels"),
            "the week spans the task on {d}"
        );
    }
    assert!(!day_block(&week, "2026-03-06").contains("Install ballroom panels"));

    // A wrong view or date says what to write.
    let bad = app.get(&format!("{base}?view=year"), &cookie).await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
    assert!(bad.text().contains("view=month or view=week"));
    let bad = app.get(&format!("{base}?date=5/3/2026"), &cookie).await;
    assert!(bad.status.is_client_error());

    // The client's calendar: no internal RFI, no order, no draft. The two weeks around the
    // world's dates hold all of them (days 2 to 6 from today).
    let (client_cookie, _) = app.login(&w.client.user.email, PASSWORD).await;
    let today = app.services.today();
    let mut seen = String::new();
    let mut pm_sees = String::new();
    for n in [2, 6] {
        let q = format!("{base}?view=week&date={}", iso(today + Duration::days(n)));
        seen += &app.get(&q, &client_cookie).await.expect(200).text();
        pm_sees += &app.get(&q, &cookie).await.expect(200).text();
    }
    assert!(seen.contains("Lobby stone colour"), "{seen}");
    for internal in ["Internal void depth", "Veneer Co", "Draft walnut veneer"] {
        assert!(
            pm_sees.contains(internal),
            "{internal} on the manager's calendar"
        );
        assert!(!seen.contains(internal), "{internal} shown to a client");
    }

    // My calendar: the designer's task.
    let (designer_cookie, _) = app.login(&w.designer.user.email, PASSWORD).await;
    let mine = app
        .get(
            &format!(
                "/my-work/calendar?view=week&date={}",
                iso(today + Duration::days(2))
            ),
            &designer_cookie,
        )
        .await
        .expect(200)
        .text();
    assert!(mine.contains("Fit lobby counter"), "{mine}");
    assert!(mine.contains("Internal void depth"));
}

/// A task marked as a milestone is a milestone on the calendar: its diamond and the word on
/// the month and week pages, on its one day (never a run of days), and in the feeds an
/// all-day event on that day, "◆ Milestone: …" with the category Milestone.
#[tokio::test]
async fn milestones_are_one_day_diamonds_on_the_pages_and_in_the_feeds() {
    let w = world().await;
    let app = &w.app;
    let today = app.services.today();
    let day = |n: i64| iso(today + Duration::days(n));
    app.task(
        &w.pm.auth,
        &w.project,
        json!({"title": "Handover to the operator", "is_milestone": true, "due_date": day(8),
            "assignee_id": w.designer.id()}),
    )
    .await;
    let (cookie, _) = app.login(&w.pm.user.email, PASSWORD).await;
    let base = format!("/projects/{}/calendar", w.project);

    let month = app
        .get(&format!("{base}?view=month&date={}", day(8)), &cookie)
        .await
        .expect(200)
        .text();
    let cell = day_block(&month, &day(8));
    assert!(cell.contains("cal-entry cal-milestone"), "{cell}");
    assert!(cell.contains("◆"), "the diamond: {cell}");
    assert!(cell.contains("Milestone: "), "the kind in words: {cell}");
    assert!(cell.contains("Handover to the operator"), "{cell}");
    assert!(!cell.contains("Task due:"), "not a plain task: {cell}");

    let week = app
        .get(&format!("{base}?view=week&date={}", day(8)), &cookie)
        .await
        .expect(200)
        .text();
    assert!(day_block(&week, &day(8)).contains("Handover to the operator"));
    assert_eq!(
        week.matches("cal-entry cal-milestone").count(),
        1,
        "a milestone is on one day of the week, not a run: {week}"
    );

    let (_, feed) = make_feed(app, &w.pm.auth, Some(&w.project)).await;
    let doc = fetch(app, &feed).await;
    let cal = parse_ical(&doc);
    let event = cal["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"].as_str().unwrap().contains("Handover"))
        .unwrap_or_else(|| panic!("the milestone in {cal}"));
    assert_eq!(event["summary"], "◆ Milestone: Handover to the operator");
    assert_eq!(event["start"], day(8));
    assert_eq!(event["end"], day(9), "one all-day event");
    assert!(event["uid"].as_str().unwrap().starts_with("milestone-"));
    let unfolded = doc.replace("\r\n ", "");
    assert!(unfolded.contains("CATEGORIES:Milestone\r\n"), "{unfolded}");
    // The assignee's own feed has it as a milestone too.
    let (_, mine) = make_feed(app, &w.designer.auth, None).await;
    let mine = summaries(&parse_ical(&fetch(app, &mine).await));
    assert!(
        mine.iter()
            .any(|s| s == "◆ Milestone: Handover to the operator"),
        "{mine:?}"
    );
}
