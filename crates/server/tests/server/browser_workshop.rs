//! The workshop board in headless Chromium against the real server, as the project's
//! manager: a released item's quantity moved on with the keyboard (the card's quantity field,
//! then Enter on its Move button), another part dragged onto the next column, on through the
//! stages to QA, a QA failure sent back to an earlier stage with a note (the counts move
//! back), then a pass and on to Packed; the item's page shows the moves and the checks; at
//! 375 px the columns scroll sideways and a card's controls are still reachable.

use serde_json::{Value, json};

use crate::browser::{Session, Step, first_run_setup};
use crate::browser_installation::Api;
use crate::process::Server;
use crate::webdriver::Browser;

/// The WebDriver key code for Enter.
const ENTER: &str = "\u{e007}";

/// The total shown in a column's heading.
fn total(s: &Session, key: &str) -> String {
    let el = s.wait(&format!("#ws-c-{key} .count"));
    s.b.text(&el).step("column total")
}

#[test]
fn browser_workshop_board_moves_quantities_through_qa_with_rework() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "Workshop scene");
    // The scene: a project the signed-in administrator manages, one item of 12 released.
    let me = api.ok("GET", "/auth/me", Value::Null);
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor hotel rooms", "client_id": client["id"], "manager_id": me["user"]["id"],
               "sector": "hospitality", "business_line": "millwork"}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    let scope = api.ok("GET", &format!("/projects/{p}/scope"), Value::Null);
    let group = scope["groups"][1]["id"].clone();
    let item = api.ok(
        "POST",
        &format!("/projects/{p}/scope-items"),
        json!({"group_id": group, "name": "Wardrobe", "quantity": "12",
               "drawing_required": false, "spec_required": false}),
    );
    let item_id = item["id"].as_str().unwrap().to_owned();
    api.ok(
        "POST",
        &format!("/scope-items/{item_id}/release"),
        json!({"version": item["version"]}),
    );
    let board = api.ok("GET", &format!("/projects/{p}/workshop/board"), Value::Null);
    let stage = |key: &str| -> String {
        board["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .and_then(|c| c["stage_id"].as_str())
            .unwrap_or_else(|| panic!("no stage {key} in {board}"))
            .to_owned()
    };

    s.b.set_window_size(1280, 900).step("desktop width");
    s.goto(&format!("/projects/{p}/workshop"));
    s.wait_text("h2#board-h", "Workshop board");
    assert_eq!(total(&s, "not_started"), "12");
    s.screenshot("workshop-1280-released");

    // The keyboard: type into the card's quantity field, Enter on its Move button.
    let card = format!("#ws-not_started-{item_id}");
    s.fill(&format!("#m-not_started-{item_id}"), "7");
    let button = s.wait(&format!("{card} form.ws-move button[type=submit]"));
    s.b.send_keys(&button, ENTER).step("Enter on Move");
    s.wait_text(".flash", "Moved.");
    assert_eq!(total(&s, "not_started"), "5");
    assert_eq!(total(&s, "cutting"), "7");

    // A drag of the cutting card onto the edge-banding column. WebDriver's pointer actions
    // do not start an HTML5 drag in Chromium, so the test dispatches the same events the
    // browser would (dragstart on the card, dragover and drop on the column) and answers the
    // page's "how many" prompt; the page's own handlers do the rest.
    let dragged = s
        .b
        .execute(
            "var card = document.getElementById(arguments[0]);
             var col = document.querySelector('#ws-c-edge_banding').closest('.ws-col');
             if (!card || !col) { return 'missing'; }
             if (card.getAttribute('data-ws-next') !== col.getAttribute('data-ws-stage')) { return 'not next'; }
             window.prompt = function (question, value) { window.__asked = question + '|' + value; return '4'; };
             var dt = new DataTransfer();
             card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, cancelable: true, dataTransfer: dt}));
             var over = new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt});
             col.dispatchEvent(over);
             if (!over.defaultPrevented) { return 'column refused the drag'; }
             col.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
             return window.__asked || 'no prompt';",
            vec![json!(format!("ws-cutting-{item_id}"))],
        )
        .step("drag the card");
    assert_eq!(
        dragged,
        json!("How many move on to Edge-banding?|7"),
        "the drop asks how many, all by default"
    );
    s.wait_text(".flash", "Moved.");
    s.wait_text("#ws-c-edge_banding .count", "4");
    assert_eq!(total(&s, "cutting"), "3");

    // On to the stage before QA through the API (the board's forms do the same as above).
    for key in ["machining", "assembly", "finishing"] {
        api.ok(
            "POST",
            &format!("/projects/{p}/workshop/moves"),
            json!({"scope_item_id": item_id, "stage_id": stage(key), "quantity": "4"}),
        );
    }
    s.goto(&format!("/projects/{p}/workshop"));
    assert_eq!(total(&s, "finishing"), "4");
    s.screenshot("workshop-1280-at-qa");

    // A QA failure: 2 go back to assembly, with what is wrong.
    let fin = format!("#ws-finishing-{item_id}");
    s.click(&format!("{fin} details.ws-fail summary"));
    s.fill(&format!("#f-q-{item_id}"), "2");
    s.select(&format!("#f-s-{item_id}"), &stage("assembly"));
    s.fill(&format!("#f-n-{item_id}"), "Door hinge side chipped");
    s.screenshot("workshop-1280-qa-fail-form");
    s.click(&format!("{fin} details.ws-fail button[type=submit]"));
    s.wait_text(".flash", "QA check recorded.");
    assert_eq!(total(&s, "finishing"), "2", "two left waiting for QA");
    assert_eq!(
        total(&s, "machining"),
        "2",
        "the failed two are back before assembly, to go through it again"
    );
    s.wait_text(".ws-rework", "1 failed check, 2 sent back");

    // A pass for the other two, then on to Packed.
    s.fill(&format!("#p-{item_id}"), "2");
    s.click(&format!("{fin} form.ws-move button[type=submit]"));
    s.wait_text(".flash", "QA check recorded.");
    assert_eq!(total(&s, "qa"), "2");
    s.fill(&format!("#m-qa-{item_id}"), "2");
    let button = s.wait(&format!(
        "#ws-qa-{item_id} form.ws-move button[type=submit]"
    ));
    s.b.send_keys(&button, ENTER)
        .step("Enter on Move to Packed");
    s.wait_text(".flash", "Moved.");
    assert_eq!(total(&s, "packed"), "2");
    assert_eq!(total(&s, "finishing"), "0");
    s.screenshot("workshop-1280-packed");
    s.check_csp_clean();

    // The item's page: its positions, the moves and the QA checks.
    s.click(&format!("#ws-packed-{item_id} .ws-head a"));
    let history = s.wait_text("#workshop", "QA checks");
    let text = s.b.text(&history).step("history");
    for want in [
        "7 through Cutting",
        "4 through Edge-banding",
        "2 through Packed",
        "2 sent back for rework, to go on from Machining (CNC)",
        "Fail",
        "back to Assembly",
        "Door hinge side chipped",
        "Pass",
        "Rework: 1 failed QA check, 2 sent back",
    ] {
        assert!(
            text.contains(want),
            "{want:?} in the item's history: {text}"
        );
    }
    s.screenshot("workshop-1280-item-history");

    // A phone: the page does not overflow, the board scrolls sideways, and the Move button
    // of a card in a far column is reachable.
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&format!("/projects/{p}/workshop"));
    s.wait_text("h2#board-h", "Workshop board");
    let widths =
        s.b.execute(
            "var b = document.querySelector('.ws-board');
             return [document.documentElement.scrollWidth <= window.innerWidth,
                     b.scrollWidth > b.clientWidth, getComputedStyle(b).overflowX];",
            vec![],
        )
        .step("widths");
    let wide =
        s.b.execute(
            "return Array.from(document.querySelectorAll('body *')).filter(function (e) {
               return e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.ws-col');
             }).slice(0, 8).map(function (e) { var st = getComputedStyle(e); return e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + st.display + ' ' + (e.parentElement ? getComputedStyle(e.parentElement).display : ''); });",
            vec![],
        )
        .step("what is wide");
    assert_eq!(
        widths,
        json!([true, true, "auto"]),
        "the page fits 375 px and the board scrolls sideways; wider than the phone: {wide}"
    );
    s.screenshot("workshop-375");
    s.b.execute(
        "document.getElementById(arguments[0]).scrollIntoView({inline: 'start', block: 'center'});",
        vec![json!(format!("ws-machining-{item_id}"))],
    )
    .step("scroll to machining");
    s.screenshot("workshop-375-scrolled");
    s.fill(&format!("#m-machining-{item_id}"), "1");
    s.click(&format!(
        "#ws-machining-{item_id} form.ws-move button[type=submit]"
    ));
    s.wait_text(".flash", "Moved.");
    assert_eq!(total(&s, "machining"), "1");
    assert_eq!(total(&s, "assembly"), "1");
    s.check_csp_clean();

    // The stage lists: the project's (its manager) and the company's (administrators).
    s.click("a[href$='/workshop/stages']");
    s.wait_text("h2", "Workshop stages");
    s.screenshot("workshop-stages-375");
    s.b.set_window_size(1280, 900).step("desktop width");
    s.goto("/admin/company/workshop-stages");
    s.wait_text("h1", "Workshop stages");
    s.click("button[value='add']");
    s.wait_text(".flash", "Not saved yet");
    s.fill("#st-name-6", "Spray booth");
    s.click("button.btn-primary[value='save']");
    s.wait_text(".flash", "Stages saved.");
    s.screenshot("workshop-stages-company-1280");
    s.check_csp_clean();
}
