//! Issue 16's walk through a hotel, in headless Chromium against the real server: a room type
//! and 2 levels × 10 rooms made from a pattern on the Locations tab, three items per room of
//! the type, one room installed on a 375 px phone with a photo, a snag raised there by the
//! client's user, put on an item, fixed and verified by the team, and the room signed off — the
//! room matrix read after each step.

use serde_json::{Value, json};

use crate::browser::{ADMIN_EMAIL, ADMIN_PASSWORD, Session, Step, first_run_setup, temp_file};
use crate::browser_installation::Api;
use crate::process::Server;
use crate::webdriver::Browser;

const PHOTO: &[u8] = include_bytes!("../../../web/tests/api/fixtures/photos/orient-6-gps.jpg");
const CLIENT_EMAIL: &str = "carla@harbor.example";

fn sign_in(s: &Session, email: &str, password: &str) {
    s.click("form[action='/logout'] button");
    s.wait("form[action='/login']");
    s.fill("#f-email", email);
    s.fill("#f-password", password);
    s.click("form[action='/login'] button[type=submit]");
    s.wait_text("h1", "Dashboard");
}

/// The matrix legend's count for a state ("Installed 3"; "Signed_off 3" for two words).
fn matrix_says(s: &Session, p: &str, text: &str) {
    s.goto(&format!("/projects/{p}/site"));
    // Each key, label and count of the legend is its own line.
    s.wait_text(".mx-legend", &text.replace(' ', "\n").replace('_', " "));
}

/// Submits the snag page's button for a move (fix, verify).
fn snag_move(s: &Session, transition: &str, then: &str) {
    s.click(&format!(
        ".big-buttons form:has(input[name=transition][value={transition}]) button"
    ));
    s.wait_text(".chip", then);
}

#[test]
fn browser_site_from_a_pattern_to_a_signed_off_room() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "Site walk");
    let me = api.ok("GET", "/auth/me", Value::Null);
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor hotel guest rooms", "client_id": client["id"],
               "manager_id": me["user"]["id"], "sector": "hospitality",
               "business_line": "millwork"}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    api.ok(
        "POST",
        "/users",
        json!({"email": CLIENT_EMAIL, "name": "Carla Client", "password": ADMIN_PASSWORD,
               "role": "client", "client_id": client["id"]}),
    );
    let tower = api.ok(
        "POST",
        &format!("/projects/{p}/locations"),
        json!({"kind": "building", "code": "T1", "name": "Tower 1"}),
    );
    let tower = tower["id"].as_str().unwrap();

    // The room type and the rooms, on the Locations tab.
    s.goto(&format!("/projects/{p}/locations"));
    s.fill("#t-code", "KING");
    s.fill("#t-name", "King guest room");
    s.click(&format!(
        "form[action='/projects/{p}/room-types'] button[type=submit]"
    ));
    s.wait_text("#types-h", "1");
    let king = s.option_value("#p-room_type_id", "KING · King guest room");
    s.select("#p-building_id", tower);
    s.fill("#p-levels_from", "1");
    s.fill("#p-levels_to", "2");
    s.fill("#p-rooms_from", "1");
    s.fill("#p-rooms_to", "10");
    s.select("#p-room_type_id", &king);
    s.click(&format!(
        "form[action='/projects/{p}/locations/pattern'] button[value=create]"
    ));
    s.wait_text("#tree-h", "20 rooms");
    s.check_csp_clean();

    // Three items on every King room, released to production.
    let scope = api.ok("GET", &format!("/projects/{p}/scope"), Value::Null);
    let group = scope["groups"][1]["id"].clone();
    let mut items = Vec::new();
    for name in ["Wardrobe", "Headboard", "Bedside table"] {
        let item = api.ok(
            "POST",
            &format!("/projects/{p}/scope-items"),
            json!({"group_id": group, "name": name, "room_type_id": king,
                   "quantity_per_room": "1", "drawing_required": false,
                   "spec_required": false}),
        );
        api.ok(
            "POST",
            &format!("/scope-items/{}/release", item["id"].as_str().unwrap()),
            json!({"version": item["version"]}),
        );
        items.push(item["id"].as_str().unwrap().to_owned());
    }
    // One room's worth of each delivered to site (only what was received is installed).
    for item in &items {
        crate::browser_delivery::deliver(&api, &p, item, 1);
    }
    // The first room's three cells are covered by what was received; the other rooms' wait
    // in the workshop (docs/site.md: received quantities cover rooms in order).
    matrix_says(&s, &p, "Delivered 3");
    matrix_says(&s, &p, "In_production 57");
    s.screenshot("site-matrix-released");

    // On a phone: room T1-L01-0101, every item installed, the first with a photo.
    let tree = api.ok("GET", &format!("/projects/{p}/locations"), Value::Null);
    let room = tree["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "T1-L01-0101")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.b.set_window_size(375, 800).step("phone width");
    let photo = temp_file("wardrobe.jpg", PHOTO);
    for (k, item) in items.iter().enumerate() {
        s.goto(&format!("/rooms/{room}"));
        s.click(&format!("#item-{item} summary"));
        if k == 0 {
            s.attach(&format!("#p-{item}"), &photo);
        }
        s.click(&format!("#item-{item} form button[type=submit]"));
        s.wait_text(".flash", "installation was recorded");
    }
    s.wait_text(".room-summary", "All installed");
    s.wait(".install-history img[src$='/thumbnail']");
    let fits =
        s.b.execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .step("width");
    assert_eq!(fits, json!(true), "the room page fits 375 px");
    s.b.set_window_size(1280, 900).step("desktop width");
    matrix_says(&s, &p, "Installed 3");

    // The client's user raises a snag in the room, with a photo, from the phone form.
    sign_in(&s, CLIENT_EMAIL, ADMIN_PASSWORD);
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&format!("/projects/{p}/snags/new"));
    s.select("#f-room_id", &room);
    s.fill("#f-title", "Scratch on the wardrobe door");
    s.attach("#f-file", &photo);
    s.click(&format!(
        "form[action='/projects/{p}/snags/new'] button[type=submit]"
    ));
    s.wait_text("h1", "SN-001");
    let snag = s.path().split(['?', '#']).next().unwrap().to_owned();
    s.check_csp_clean();
    s.b.set_window_size(1280, 900).step("desktop width");
    matrix_says(&s, &p, "Installed 3");

    // The team puts it on the wardrobe (the cell turns snagged), fixes and verifies it.
    sign_in(&s, ADMIN_EMAIL, ADMIN_PASSWORD);
    s.goto(&snag);
    s.click("#edit-h");
    s.select("#e-scope_item_id", &items[0]);
    s.click(&format!("form[action='{snag}/edit'] button[type=submit]"));
    s.wait_text(".flash", "Saved");
    matrix_says(&s, &p, "Snagged 1");
    s.goto(&snag);
    snag_move(&s, "fix", "Fixed");
    snag_move(&s, "verify", "Verified");
    matrix_says(&s, &p, "Installed 3");

    // The room is signed off with the client's name; the matrix shows it.
    s.goto(&format!("/projects/{p}/snags?room_id={room}"));
    s.fill("#s-client_name", "Carla Client");
    s.click(&format!(
        "form[action='/rooms/{room}/sign-off'] button[type=submit]"
    ));
    s.wait_text("#signoff", "Signed off");
    matrix_says(&s, &p, "Signed_off 3");
    s.screenshot("site-matrix-signed-off");
    s.check_csp_clean();
    let state = api.ok("GET", &format!("/rooms/{room}/sign-off"), Value::Null);
    assert_eq!(
        state["signed_off"]["client_name"], "Carla Client",
        "{state}"
    );
}
