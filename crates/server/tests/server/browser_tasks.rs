//! The task board and the Tasks tab's bulk edit in headless Chromium against the real
//! server, as the project's manager: a card moved to In progress with the keyboard (its
//! "Move to" control) and another dragged onto In review, each column's count following;
//! two tasks ticked on the Tasks tab and their due dates shifted by a week at once; the
//! board and a task page (checklist, labels, subtasks) at 1280 and 375 px.

use serde_json::{Value, json};

use crate::browser::{Session, Step, first_run_setup};
use crate::browser_installation::Api;
use crate::process::Server;
use crate::webdriver::Browser;

/// The WebDriver key code for Enter.
const ENTER: &str = "\u{e007}";

/// The count shown in a board column's heading.
fn count(s: &Session, status: &str) -> String {
    let el = s.wait(&format!("#tb-c-{status} .count"));
    s.b.text(&el).step("column count")
}

#[test]
fn browser_task_board_moves_cards_and_bulk_shifts_due_dates() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "Board scene");
    let me = api.ok("GET", "/auth/me", Value::Null);
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor hotel rooms", "client_id": client["id"], "manager_id": me["user"]["id"],
               "sector": "hospitality", "business_line": "millwork"}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    let label = api.ok(
        "POST",
        "/labels",
        json!({"name": "Urgent", "colour": "red"}),
    );
    let task = |title: &str, due: &str| -> String {
        let t = api.ok(
            "POST",
            &format!("/projects/{p}/tasks"),
            json!({"title": title, "due_date": due, "assignee_id": me["user"]["id"]}),
        );
        t["id"].as_str().unwrap().to_owned()
    };
    let a = task("Survey the rooms", "2026-03-02");
    let b = task("Draw the wardrobes", "2026-03-09");
    let c = task("Order veneer", "2026-03-16");
    api.ok(
        "PUT",
        &format!("/tasks/{a}/labels"),
        json!({"label_ids": [label["id"]], "version": 1}),
    );
    for text in ["Measure", "Photograph", "Note the sockets"] {
        api.ok(
            "POST",
            &format!("/tasks/{a}/checklist"),
            json!({"text": text}),
        );
    }
    api.ok(
        "POST",
        &format!("/projects/{p}/tasks"),
        json!({"title": "Level 2 rooms", "parent_id": a}),
    );

    s.b.set_window_size(1280, 900).step("desktop width");
    s.goto(&format!("/projects/{p}/tasks/board"));
    s.wait(&format!("#card-{a}"));
    assert_eq!(count(&s, "pending"), "4");
    assert_eq!(count(&s, "in_progress"), "0");
    s.check_csp_clean();
    s.screenshot("task-board-1280");

    // The keyboard: the card's "Move to" select, then Enter on its Move button.
    s.select(&format!("#mv-{b}"), "in_progress");
    let button = s.wait(&format!("#card-{b} form.tb-move button[type=submit]"));
    s.b.send_keys(&button, ENTER).step("Enter on Move");
    s.wait_text("#tb-c-in_progress .count", "1");
    assert_eq!(count(&s, "pending"), "3");

    // A drag of another card onto In review: the events Chromium would send (WebDriver's
    // pointer actions do not start an HTML5 drag), the page's own handlers do the rest.
    let dragged = s
        .b
        .execute(
            "var card = document.getElementById(arguments[0]);
             var col = document.querySelector('.tb-col[data-tb-status=review]');
             if (!card || !col) { return 'missing'; }
             var dt = new DataTransfer();
             card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, cancelable: true, dataTransfer: dt}));
             var over = new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt});
             col.dispatchEvent(over);
             if (!over.defaultPrevented) { return 'column refused the drag'; }
             col.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
             return 'dropped';",
            vec![json!(format!("card-{c}"))],
        )
        .step("drag the card");
    assert_eq!(dragged, json!("dropped"));
    s.wait_text("#tb-c-review .count", "1");
    assert_eq!(count(&s, "pending"), "2");
    let moved = api.ok("GET", &format!("/tasks/{c}"), Value::Null);
    assert_eq!(moved["status"], "review");
    assert_eq!(moved["progress"], 90, "review sets 90 %");

    // A stale card: changed by someone else after the board was shown, then moved here.
    let before = api.ok("GET", &format!("/tasks/{a}"), Value::Null);
    api.ok(
        "PATCH",
        &format!("/tasks/{a}"),
        json!({"title": "Survey all rooms", "version": before["version"]}),
    );
    s.select(&format!("#mv-{a}"), "completed");
    s.click(&format!("#card-{a} form.tb-move button[type=submit]"));
    s.wait_text(".flash", "someone changed that task first");
    s.wait_text(&format!("#card-{a} .tb-title"), "Survey all rooms");
    assert_eq!(count(&s, "completed"), "0");

    s.b.set_window_size(375, 812).step("phone width");
    s.goto(&format!("/projects/{p}/tasks/board"));
    s.wait(&format!("#card-{a}"));
    s.screenshot("task-board-375");

    // The task page: checklist 0/3, the label, the subtask.
    s.goto(&format!("/tasks/{a}"));
    s.wait_text("#checklist-h", "0/3");
    s.wait_text("#subtasks", "Level 2 rooms");
    s.screenshot("task-page-375");
    s.b.set_window_size(1280, 900).step("desktop width");
    s.goto(&format!("/tasks/{a}"));
    s.click("#checklist li:first-child form.ci-tick button");
    s.wait_text("#checklist-h", "1/3");
    s.screenshot("task-page-1280");

    // Bulk: tick two rows, shift their due dates by a week.
    s.goto(&format!("/projects/{p}/tasks"));
    let b_version = api.ok("GET", &format!("/tasks/{b}"), Value::Null)["version"].clone();
    let c_version = api.ok("GET", &format!("/tasks/{c}"), Value::Null)["version"].clone();
    s.click(&format!("input[name=task][value='{b}:{b_version}']"));
    s.click(&format!("input[name=task][value='{c}:{c_version}']"));
    s.fill("#bk-shift", "7");
    s.screenshot("task-bulk-1280");
    s.click("#bulk-form button[type=submit]");
    s.wait_text(".flash", "saved");
    assert_eq!(
        api.ok("GET", &format!("/tasks/{b}"), Value::Null)["due_date"],
        "2026-03-16"
    );
    assert_eq!(
        api.ok("GET", &format!("/tasks/{c}"), Value::Null)["due_date"],
        "2026-03-23"
    );
    assert_eq!(
        api.ok("GET", &format!("/tasks/{a}"), Value::Null)["due_date"],
        "2026-03-02",
        "an unticked task keeps its date"
    );
}
