//! Dispatch and receipt of a delivery on a 375 px phone, in headless Chromium against the real
//! server: a planned note dispatched from its page, received in part on the phone (a photo
//! from the file input, the receiver's typed name as the signature), the received quantity
//! installed in a room, one more refused with what was received, and the room matrix cell of
//! that room following. The page fits the phone's width and breaks no CSP rule.

use serde_json::{Value, json};

use crate::browser::{Session, Step, first_run_setup, temp_file};
use crate::browser_installation::Api;
use crate::process::Server;
use crate::webdriver::Browser;

const PHOTO: &[u8] = include_bytes!("../../../web/tests/api/fixtures/photos/orient-6-gps.jpg");

/// Takes `units` of a released item through every workshop stage to packed, as the
/// workshop would: a move through each stage, a passed QA check at the QA stage.
pub(crate) fn pack(api: &Api, project: &str, item: &str, units: i64) {
    let board = api.ok(
        "GET",
        &format!("/projects/{project}/workshop/board"),
        Value::Null,
    );
    for column in board["columns"].as_array().unwrap() {
        let Some(stage) = column["next_stage_id"].as_str() else {
            continue;
        };
        if column["next_kind"] == "qa" {
            api.ok(
                "POST",
                &format!("/projects/{project}/workshop/qa-checks"),
                json!({"scope_item_id": item, "quantity": units.to_string(), "result": "pass"}),
            );
        } else {
            api.ok(
                "POST",
                &format!("/projects/{project}/workshop/moves"),
                json!({"scope_item_id": item, "stage_id": stage, "quantity": units.to_string()}),
            );
        }
    }
}

/// Packs, plans, dispatches and receives `units` of an item through the API.
pub(crate) fn deliver(api: &Api, project: &str, item: &str, units: i64) {
    pack(api, project, item, units);
    let note = api.ok(
        "POST",
        &format!("/projects/{project}/delivery-notes"),
        json!({"lines": [{"scope_item_id": item, "quantity": units.to_string()}]}),
    );
    let id = note["id"].as_str().unwrap().to_owned();
    let note = api.ok(
        "POST",
        &format!("/delivery-notes/{id}/dispatch"),
        json!({"version": note["version"]}),
    );
    api.ok(
        "POST",
        &format!("/delivery-notes/{id}/receipts"),
        json!({"signed_name": "Site gate", "lines": [{"line_id": note["lines"][0]["id"],
               "quantity": units.to_string()}]}),
    );
}

#[test]
fn browser_dispatching_and_receiving_a_delivery_on_a_phone() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "Scene");
    // The scene: a level of two King rooms, three bedside tables per room, released, and 4
    // of them packed in the workshop.
    let me = api.ok("GET", "/auth/me", Value::Null);
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor hotel rooms", "client_id": client["id"], "manager_id": me["user"]["id"],
               "sector": "hospitality", "business_line": "millwork", "location": "Kordon 12, Izmir"}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    let tower = api.ok(
        "POST",
        &format!("/projects/{p}/locations"),
        json!({"kind": "building", "code": "T1", "name": "Tower 1"}),
    );
    let king = api.ok(
        "POST",
        &format!("/projects/{p}/room-types"),
        json!({"code": "KING", "name": "King guest room"}),
    );
    api.ok(
        "POST",
        &format!("/projects/{p}/locations/pattern"),
        json!({"building_id": tower["id"], "levels_from": 1, "levels_to": 1, "rooms_from": 1,
               "rooms_to": 2, "room_type_id": king["id"]}),
    );
    let scope = api.ok("GET", &format!("/projects/{p}/scope"), Value::Null);
    let group = scope["groups"][1]["id"].clone();
    let item = api.ok(
        "POST",
        &format!("/projects/{p}/scope-items"),
        json!({"group_id": group, "name": "Bedside table", "room_type_id": king["id"],
               "quantity_per_room": "3", "drawing_required": false, "spec_required": false}),
    );
    let item_id = item["id"].as_str().unwrap().to_owned();
    api.ok(
        "POST",
        &format!("/scope-items/{item_id}/release"),
        json!({"version": item["version"]}),
    );
    pack(&api, &p, &item_id, 4);

    // Planned on the Deliveries tab (desktop): the form shows what is packed and free.
    s.goto(&format!("/projects/{p}/deliveries"));
    s.wait_text(".delivery-items", "4 pcs");
    s.fill(&format!("#q-{item_id}"), "4");
    s.fill("#vehicle", "35 HB 220");
    s.fill("#driver", "Deniz Kaya");
    s.click(".delivery-form button[type=submit]");
    s.wait_text(".flash", "delivery note was planned");
    s.wait_text("h1", "DN-001");
    s.screenshot("delivery-planned-1280");

    // On the phone: dispatched from its page, then received in part.
    s.b.set_window_size(375, 800).step("phone width");
    s.click("form[action$='/dispatch'] button[type=submit]");
    s.wait_text(".flash", "dispatched");
    s.click("a[href$='/receive']");
    s.wait_text("h1", "Receive DN-001");
    let line =
        s.b.execute(
            "return document.querySelector('.receive-line input[inputmode=decimal]').id",
            vec![],
        )
        .step("line input");
    let line = format!("#{}", line.as_str().unwrap());
    assert_eq!(s.value(&line), "4", "defaults to what is still to come");
    s.fill(&line, "3");
    let photo = temp_file("truck.jpg", PHOTO);
    s.attach("#photo", &photo);
    s.fill("#signed_name", "Selin Aydin");
    let fits =
        s.b.execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .step("width");
    assert_eq!(fits, json!(true), "the receiving page fits 375 px");
    s.screenshot("delivery-receive-375");
    s.click(".receive-form button[type=submit]");
    s.wait_text(".flash", "receipt was recorded");
    s.wait_text(".chip", "Partially received");
    s.wait_text(".install-history", "Selin Aydin");
    s.wait(".install-history img[src$='/thumbnail']");
    s.screenshot("delivery-received-375");
    s.check_csp_clean();

    // What was received is installed: 2 in room 0102, then in room 0101 two more are
    // refused with what was received and installed, and the last one goes in.
    let tree = api.ok("GET", &format!("/projects/{p}/locations"), Value::Null);
    let room = |code: &str| {
        tree["locations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == code)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let quantity = format!("#q-{item_id}");
    let submit = format!("#item-{item_id} form button[type=submit]");
    s.goto(&format!("/rooms/{}", room("T1-L01-0102")));
    s.click(&format!("#item-{item_id} summary"));
    assert_eq!(s.value(&quantity), "3", "what the room holds, all on site");
    s.fill(&quantity, "2");
    s.click(&submit);
    s.wait_text(".flash", "installation was recorded");
    s.goto(&format!("/rooms/{}", room("T1-L01-0101")));
    s.click(&format!("#item-{item_id} summary"));
    assert_eq!(s.value(&quantity), "1", "what is still on site");
    s.fill(&quantity, "2");
    s.click(&submit);
    s.wait_text(".field-error", "received on site and 2 installed");
    s.screenshot("delivery-install-refused-375");
    s.fill(&quantity, "1");
    s.click(&submit);
    s.wait_text(".flash", "installation was recorded");

    // The room matrix: both rooms' cells moved from released to partly installed.
    s.b.set_window_size(1280, 900).step("desktop width");
    s.goto(&format!("/projects/{p}/site"));
    // Each key, label and count of the legend is its own line.
    s.wait_text(".mx-legend", "Partly installed\n2");
    s.screenshot("delivery-matrix-1280");
    let note = api.ok(
        "GET",
        &format!("/projects/{p}/delivery-notes?status=partially_received"),
        Value::Null,
    );
    assert_eq!(note[0]["received"], "3");
}
