//! The workshop board in headless Chromium against the real server, as the project's
//! manager: a released item's quantity moved on with the keyboard (the card's quantity field,
//! then Enter on its Move button), another part dragged onto the next column, on through the
//! stages to QA, a QA failure sent back to an earlier stage with a note (the counts move
//! back), then a pass and on to Packed; the item's page shows the moves and the checks; at
//! 375 px the columns scroll sideways and a card's controls are still reachable.

use serde_json::{Value, json};

use crate::browser::{Session, Step, first_run_setup};
use crate::browser_installation::Api;

/// Someone else on the API: signs in with a password and makes a token to act with.
fn sign_in(s: &Session, email: &str, password: &str) -> Api {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent();
    let mut resp = agent
        .post(&s.server.url("/api/v1/auth/login"))
        .send_json(json!({"email": email, "password": password}))
        .unwrap_or_else(|e| panic!("sign in as {email}: {e}"));
    assert_eq!(resp.status().as_u16(), 200, "sign in as {email}");
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let me: Value = resp.body_mut().read_json().unwrap_or(Value::Null);
    let mut resp = agent
        .post(&s.server.url("/api/v1/me/tokens"))
        .header("cookie", &cookie)
        .header(
            "x-csrf-token",
            me["csrf_token"].as_str().unwrap_or_default(),
        )
        .send_json(json!({"name": "workshop test"}))
        .unwrap_or_else(|e| panic!("token for {email}: {e}"));
    assert_eq!(resp.status().as_u16(), 201, "token for {email}");
    let token: Value = resp.body_mut().read_json().unwrap_or(Value::Null);
    Api {
        agent,
        token: token["secret"].as_str().unwrap_or_default().to_owned(),
        base: s.server.url(""),
    }
}
use crate::process::Server;
use crate::webdriver::Browser;

/// The WebDriver key codes for Enter and Escape.
const ENTER: &str = "\u{e007}";
const ESCAPE: &str = "\u{e00c}";

/// Whether the dialog with this id is open.
fn dialog_open(s: &Session, id: &str) -> bool {
    s.b.execute(
        "var d = document.getElementById(arguments[0]); return !!(d && d.open);",
        vec![json!(id)],
    )
    .step("dialog open")
        == json!(true)
}

/// At 375 px the page does not scroll sideways; the board does.
fn fits_the_phone(s: &Session) {
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
             }).slice(0, 8).map(function (e) { return e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right); });",
            vec![],
        )
        .step("what is wide");
    assert_eq!(
        widths,
        json!([true, true, "auto"]),
        "the page fits 375 px and the board scrolls sideways; wider than the phone: {wide}"
    );
}

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

    // The keyboard: Enter on the card's Move button opens the shared dialog with the card's
    // quantity; Escape closes it; again, then a quantity and Enter in the field moves it.
    let act = format!("#ws-not_started-{item_id} a.ws-act");
    let button = s.wait(&act);
    s.b.send_keys(&button, ENTER).step("Enter on Move");
    assert!(
        dialog_open(&s, "ws-move-dlg"),
        "Enter opens the move dialog"
    );
    assert_eq!(s.value("#ws-move-q"), "12", "all of the card by default");
    assert_eq!(
        s.b.execute("return document.activeElement.id;", vec![])
            .step("focus"),
        json!("ws-move-q"),
        "the quantity has the focus"
    );
    s.wait_text("#ws-move-dlg [data-ws-what]", "on to Cutting");
    let field = s.wait("#ws-move-q");
    s.b.send_keys(&field, ESCAPE).step("Escape");
    assert!(!dialog_open(&s, "ws-move-dlg"), "Escape closes the dialog");
    let button = s.wait(&act);
    s.b.send_keys(&button, ENTER).step("Enter on Move again");
    assert!(dialog_open(&s, "ws-move-dlg"));
    s.fill("#ws-move-q", "7");
    let field = s.wait("#ws-move-q");
    s.b.send_keys(&field, ENTER).step("Enter in the quantity");
    s.wait_text(".flash", "Moved.");
    assert_eq!(total(&s, "not_started"), "5");
    assert_eq!(total(&s, "cutting"), "7");

    // A drag of the cutting card onto the edge-banding column. WebDriver's pointer actions
    // do not start an HTML5 drag in Chromium, so the test dispatches the same events the
    // browser would (dragstart on the card, dragover and drop on the column); the drop opens
    // the same dialog, which asks how many (all by default).
    let dragged = s
        .b
        .execute(
            "var card = document.getElementById(arguments[0]);
             var col = document.querySelector('#ws-c-edge_banding').closest('.ws-col');
             if (!card || !col) { return 'missing'; }
             var dt = new DataTransfer();
             card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, cancelable: true, dataTransfer: dt}));
             var over = new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt});
             col.dispatchEvent(over);
             if (!over.defaultPrevented) { return 'column refused the drag'; }
             col.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
             var dlg = document.getElementById('ws-move-dlg');
             return dlg.open ? dlg.querySelector('[data-ws-what]').textContent + '|' + document.getElementById('ws-move-q').value : 'no dialog';",
            vec![json!(format!("ws-cutting-{item_id}"))],
        )
        .step("drag the card");
    assert_eq!(
        dragged,
        json!(format!(
            "{} Wardrobe: 7 at Cutting, on to Edge-banding|7",
            item["code"].as_str().unwrap()
        )),
        "the drop asks how many, all by default"
    );
    s.screenshot("workshop-1280-move-dialog");
    s.fill("#ws-move-q", "4");
    s.click("#ws-move-dlg button[type=submit]");
    s.wait_text(".flash", "Moved.");
    s.wait_text("#ws-c-edge_banding .count", "4");
    assert_eq!(total(&s, "cutting"), "3");

    // On to the stage before QA through the API (the board's dialog does the same as above).
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

    // A QA failure in the QA dialog: 2 go back to assembly, with what is wrong.
    let fin = format!("#ws-finishing-{item_id}");
    s.click(&format!("{fin} a.ws-act"));
    assert!(
        dialog_open(&s, "ws-qa-dlg"),
        "the card's QA button opens the QA dialog"
    );
    assert_eq!(s.value("#ws-qa-q"), "4");
    s.fill("#ws-qa-q", "2");
    s.select("#ws-qa-s", &stage("assembly"));
    s.fill("#ws-qa-n", "Door hinge side chipped");
    s.screenshot("workshop-1280-qa-fail-dialog");
    s.click("#ws-qa-dlg button[value=fail]");
    s.wait_text(".flash", "QA check recorded.");
    assert_eq!(total(&s, "finishing"), "2", "two left waiting for QA");
    assert_eq!(
        total(&s, "machining"),
        "2",
        "the failed two are back before assembly, to go through it again"
    );
    s.wait_text(".ws-rework", "1 failed check, 2 sent back");

    // A pass for the other two (the dialog's default button: Enter in the quantity), then on
    // to Packed with the keyboard.
    s.click(&format!("{fin} a.ws-act"));
    assert!(dialog_open(&s, "ws-qa-dlg"));
    assert_eq!(s.value("#ws-qa-n"), "", "the dialog is fresh for each card");
    let field = s.wait("#ws-qa-q");
    s.b.send_keys(&field, ENTER).step("Enter passes QA");
    s.wait_text(".flash", "QA check recorded.");
    assert_eq!(total(&s, "qa"), "2");
    let button = s.wait(&format!("#ws-qa-{item_id} a.ws-act"));
    s.b.send_keys(&button, ENTER)
        .step("Enter on Move to Packed");
    s.wait_text("#ws-move-dlg [data-ws-what]", "on to Packed");
    let field = s.wait("#ws-move-q");
    s.b.send_keys(&field, ENTER).step("Enter in the quantity");
    s.wait_text(".flash", "Moved.");
    assert_eq!(total(&s, "packed"), "2");
    assert_eq!(total(&s, "finishing"), "0");
    s.screenshot("workshop-1280-packed");
    s.check_csp_clean();

    // Without JavaScript the card's button is a link to the card's own page, whose form
    // posts to the same endpoint.
    let href =
        s.b.attr(
            &s.wait(&format!("#ws-machining-{item_id} a.ws-act")),
            "href",
        )
        .step("card link")
        .unwrap_or_default();
    assert!(
        href.contains(&format!("/projects/{p}/workshop/card?item={item_id}&at=")),
        "{href}"
    );
    s.goto(&href);
    s.wait_text("h1", "Wardrobe");
    s.screenshot("workshop-1280-card-page");
    s.fill("#ws-move-q", "1");
    s.click("form[action$='/workshop/moves'] button[type=submit]");
    s.wait_text(".flash", "Moved.");
    assert_eq!(total(&s, "machining"), "1");
    assert_eq!(total(&s, "assembly"), "1");

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
    // of a card in a far column is reachable; the dialog fits the screen.
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&format!("/projects/{p}/workshop"));
    s.wait_text("h2#board-h", "Workshop board");
    fits_the_phone(&s);
    s.screenshot("workshop-375");
    s.b.execute(
        "document.getElementById(arguments[0]).scrollIntoView({inline: 'start', block: 'center'});",
        vec![json!(format!("ws-machining-{item_id}"))],
    )
    .step("scroll to machining");
    s.screenshot("workshop-375-scrolled");
    s.click(&format!("#ws-machining-{item_id} a.ws-act"));
    assert!(dialog_open(&s, "ws-move-dlg"));
    s.screenshot("workshop-375-move-dialog");
    s.click("#ws-move-dlg button[type=submit]");
    s.wait_text(".flash", "Moved.");
    assert_eq!(total(&s, "machining"), "0");
    assert_eq!(total(&s, "assembly"), "2");
    s.check_csp_clean();

    company_board(&s, &api, &p, &item_id);
    s.goto(&format!("/projects/{p}/workshop"));

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

/// The company-wide board (`/workshop`, in the navigation): the cards of both projects in
/// the same columns, the project filter and the search across projects, a move from it
/// through the dialog (back to the company board), at 1280 and 375 px; another person's
/// move on the other screen refreshes it live.
fn company_board(s: &Session, api: &Api, p: &str, item_id: &str) {
    let me = api.ok("GET", "/auth/me", Value::Null);
    let client = api.ok("POST", "/clients", json!({"name": "Quay Offices"}));
    let other = api.ok(
        "POST",
        "/projects",
        json!({"name": "Quay office fit-out", "client_id": client["id"], "manager_id": me["user"]["id"],
               "sector": "commercial", "business_line": "millwork"}),
    );
    let q = other["id"].as_str().unwrap().to_owned();
    let scope = api.ok("GET", &format!("/projects/{q}/scope"), Value::Null);
    let desk = api.ok(
        "POST",
        &format!("/projects/{q}/scope-items"),
        json!({"group_id": scope["groups"][1]["id"], "name": "Reception desk", "quantity": "3",
               "drawing_required": false, "spec_required": false}),
    );
    let desk_id = desk["id"].as_str().unwrap().to_owned();
    api.ok(
        "POST",
        &format!("/scope-items/{desk_id}/release"),
        json!({"version": desk["version"]}),
    );

    s.b.set_window_size(1280, 900).step("desktop width");
    s.goto(&format!("/projects/{p}/workshop"));
    s.click("nav.topnav a[href='/workshop']");
    s.wait_text("h2#board-h", "All projects");
    s.wait(&format!("#ws-not_started-{desk_id}"));
    s.wait(&format!("#ws-packed-{item_id}"));
    assert_eq!(
        total(s, "not_started"),
        "8",
        "5 wardrobes and 3 desks not started"
    );
    assert_eq!(total(s, "assembly"), "2");
    s.screenshot("workshop-company-1280");

    // The desk moves on from the company board, through the same dialog.
    s.click(&format!("#ws-not_started-{desk_id} a.ws-act"));
    assert!(dialog_open(s, "ws-move-dlg"));
    s.wait_text(
        "#ws-move-dlg [data-ws-what]",
        "Reception desk: 3 at Released, not started, on to Cutting",
    );
    s.fill("#ws-move-q", "2");
    s.click("#ws-move-dlg button[type=submit]");
    s.wait_text(".flash", "Moved.");
    s.wait_text("h2#board-h", "All projects");
    assert!(
        s.path().starts_with("/workshop"),
        "back on the company board"
    );
    assert_eq!(total(s, "cutting"), "5", "3 wardrobes and 2 desks");

    // The project filter and the search, across projects.
    s.select("#ws-project", &q);
    s.click("form.filters button[type=submit]");
    s.wait_text("h2#board-h", "1 item");
    assert!(
        s.b.find(&format!("#ws-packed-{item_id}")).is_err(),
        "the other project's cards are filtered out"
    );
    s.goto("/workshop?q=wardrobe");
    s.wait_text("h2#board-h", "1 item");
    s.wait(&format!("#ws-packed-{item_id}"));
    assert!(s.b.find(&format!("#ws-cutting-{desk_id}")).is_err());
    s.goto("/workshop");

    // A second screen: a craftsman on the desk's project moves one on; this board follows.
    let carl = api.ok(
        "POST",
        "/users",
        json!({"email": "carl@example.com", "name": "Carl Craftsman",
               "password": "a long craftsman secret", "role": "craftsman"}),
    )["id"]
        .clone();
    api.ok(
        "POST",
        &format!("/projects/{q}/members"),
        json!({"user_id": carl, "role": "craftsman"}),
    );
    let carl_api = sign_in(s, "carl@example.com", "a long craftsman secret");
    let board = carl_api.ok("GET", &format!("/projects/{q}/workshop/board"), Value::Null);
    let edge = board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "edge_banding")
        .and_then(|c| c["stage_id"].as_str())
        .unwrap()
        .to_owned();
    carl_api.ok(
        "POST",
        &format!("/projects/{q}/workshop/moves"),
        json!({"scope_item_id": desk_id, "stage_id": edge, "quantity": "1"}),
    );
    s.wait(&format!("#ws-edge_banding-{desk_id}"));
    assert_eq!(total(s, "edge_banding"), "1");
    assert_eq!(
        total(s, "cutting"),
        "4",
        "the board followed the move without a reload"
    );

    s.b.set_window_size(375, 800).step("phone width");
    s.goto("/workshop");
    s.wait_text("h2#board-h", "All projects");
    fits_the_phone(s);
    s.screenshot("workshop-company-375");
    s.check_csp_clean();
}
