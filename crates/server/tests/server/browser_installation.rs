//! Installation on a 375 px phone, in headless Chromium against the real server: from the
//! Locations tab to a room, an item installed with a photo from the form, the record in the
//! room's history with its thumbnail, a second install refused with what is left, beside the
//! field; the page fits the phone's width and breaks no CSP rule.

use serde_json::{Value, json};

use crate::browser::{Session, Step, first_run_setup, temp_file};
use crate::process::Server;
use crate::webdriver::Browser;

const PHOTO: &[u8] = include_bytes!("../../../web/tests/api/fixtures/photos/orient-6-gps.jpg");

/// Bearer-token calls to the JSON API.
pub(crate) struct Api {
    pub(crate) agent: ureq::Agent,
    pub(crate) token: String,
    pub(crate) base: String,
}

impl Api {
    /// An API token made on the profile page by the signed-in user of `s`, for `base`.
    pub(crate) fn from_profile(s: &Session, base: String, name: &str) -> Api {
        s.goto("/profile");
        s.fill("#tk-name", name);
        s.click("form[action='/profile/tokens'] button[type=submit]");
        let code = s.wait("code#new-token");
        Api {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .proxy(None)
                .build()
                .new_agent(),
            token: s.b.text(&code).step("token"),
            base,
        }
    }

    pub(crate) fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/api/v1{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let resp = match method {
            "GET" => self.agent.get(&url).header("Authorization", &auth).call(),
            "PUT" => self
                .agent
                .put(&url)
                .header("Authorization", &auth)
                .send_json(body),
            "PATCH" => self
                .agent
                .patch(&url)
                .header("Authorization", &auth)
                .send_json(body),
            _ => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(body),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let v = resp.body_mut().read_json().unwrap_or(Value::Null);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {v}"
        );
        v
    }
}

#[test]
fn browser_installing_in_a_room_on_a_phone() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "Scene");
    // The scene: a hotel with two levels of two King rooms, three bedside tables per room.
    let me = api.ok("GET", "/auth/me", Value::Null);
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor hotel rooms", "client_id": client["id"], "manager_id": me["user"]["id"],
               "sector": "hospitality", "business_line": "millwork"}),
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
        json!({"building_id": tower["id"], "levels_from": 1, "levels_to": 2, "rooms_from": 1,
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
    // All 12 made, packed and delivered to site: only what was received is installed.
    crate::browser_delivery::deliver(&api, &p, &item_id, 12);

    // On the phone: the Locations tab, then the room.
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&format!("/projects/{p}/locations"));
    s.click("a[href^='/rooms/'][title='Room 102']");
    s.wait_text("h1", "T1-L01-0102");
    s.wait_text(".room-of", "0 of 3 pcs installed");
    let fits =
        s.b.execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .step("width");
    assert_eq!(fits, json!(true), "the room page fits 375 px");
    s.screenshot("room-375");

    // Install two, with a photo from the form.
    s.click(&format!("#item-{item_id} summary"));
    let quantity = format!("#q-{item_id}");
    assert_eq!(s.value(&quantity), "3", "defaults to what is left");
    s.fill(&quantity, "2");
    s.fill(&format!("#n-{item_id}"), "Left and right of the bed");
    let photo = temp_file("bedside.jpg", PHOTO);
    s.attach(&format!("#p-{item_id}"), &photo);
    s.click(&format!("#item-{item_id} form button[type=submit]"));
    s.wait_text(".flash", "installation was recorded");
    s.wait_text(".room-of", "2 of 3 pcs installed");
    s.wait_text(".install-history", "Left and right of the bed");
    s.wait(".install-history img[src$='/thumbnail']");
    s.screenshot("room-375-installed");

    // Two more is one too many: the reason comes back beside the quantity.
    s.click(&format!("#item-{item_id} summary"));
    assert_eq!(s.value(&quantity), "1");
    s.fill(&quantity, "2");
    s.click(&format!("#item-{item_id} form button[type=submit]"));
    s.wait_text(".field-error", "only 1 of 3 left to install in T1-L01-0102");
    s.check_csp_clean();
    let sheet = api.ok(
        "GET",
        &format!(
            "/rooms/{}/installation",
            s.path()
                .trim_start_matches("/rooms/")
                .split(['/', '?', '#'])
                .next()
                .unwrap()
        ),
        Value::Null,
    );
    assert_eq!(sheet["items"][0]["installed"], "2");
    assert_eq!(sheet["recent"].as_array().unwrap().len(), 1);
    assert!(sheet["recent"][0]["photo"]["image"].is_object());
}
