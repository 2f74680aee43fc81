//! Printing labels, in headless Chromium against the real server: from an item's page to
//! the Labels page, thermal stock and one label per unit chosen, and the PDF the form
//! downloads read back (`pdftotext`): a PDF with the item's code, one page per unit. The
//! page is looked at 1280 and 375 px wide and breaks no CSP rule.

use serde_json::{Value, json};

use crate::browser::{Session, Step, first_run_setup};
use crate::browser_installation::Api;
use crate::process::Server;
use crate::webdriver::Browser;

/// Fetches what the labels form would download, as the signed-in user, and returns the
/// status, the content type and the bytes.
fn download(s: &Session) -> (u64, String, Vec<u8>) {
    let got =
        s.b.execute(
            "var f = document.getElementById('labels-form');
             var url = f.action + '?' + new URLSearchParams(new FormData(f)).toString();
             var x = new XMLHttpRequest();
             x.open('GET', url, false);
             x.overrideMimeType('text/plain; charset=x-user-defined');
             x.send();
             var bytes = [];
             for (var i = 0; i < x.responseText.length; i++) {
               bytes.push(x.responseText.charCodeAt(i) & 0xff);
             }
             return [x.status, x.getResponseHeader('content-type'), bytes];",
            vec![],
        )
        .step("download the labels");
    let bytes = got[2]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    (
        got[0].as_u64().unwrap(),
        got[1].as_str().unwrap_or_default().to_owned(),
        bytes,
    )
}

fn pdftotext(pdf: &[u8]) -> String {
    let file = std::env::temp_dir().join(format!("formula-labels-{}.pdf", std::process::id()));
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    let _ = std::fs::remove_file(&file);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn browser_printing_labels() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "Labels");
    // A hotel with a level of two King rooms and two wardrobes per room, released.
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
        json!({"building_id": tower["id"], "levels_from": 1, "levels_to": 1, "rooms_from": 1,
               "rooms_to": 2, "room_type_id": king["id"]}),
    );
    let scope = api.ok("GET", &format!("/projects/{p}/scope"), Value::Null);
    let group = scope["groups"][1]["id"].clone();
    let item = api.ok(
        "POST",
        &format!("/projects/{p}/scope-items"),
        json!({"group_id": group, "name": "Wardrobe", "room_type_id": king["id"],
               "quantity_per_room": "2", "drawing_required": false, "spec_required": false}),
    );
    let item_id = item["id"].as_str().unwrap().to_owned();
    let code = item["code"].as_str().unwrap().to_owned();
    api.ok(
        "POST",
        &format!("/scope-items/{item_id}/release"),
        json!({"version": item["version"]}),
    );

    // From the Scope tab and from the item's page.
    s.goto(&format!("/projects/{p}/scope"));
    s.wait(&format!("a[href='/projects/{p}/labels']"));
    s.goto(&format!("/scope-items/{item_id}/edit"));
    s.click(&format!("a[href='/projects/{p}/labels?item={item_id}']"));
    s.wait_text("#labels-h", &code);
    s.wait(&format!("input[name=item][value='{item_id}']:checked"));
    s.screenshot("labels-1280");

    // Thermal, one label per unit: four pages, each with the code.
    s.click("#f-layout-thermal");
    s.click("#f-per_unit");
    s.wait("button[type=submit].btn-primary");
    let (status, kind, pdf) = download(&s);
    assert_eq!(status, 200);
    assert_eq!(kind, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = pdftotext(&pdf);
    assert!(text.contains(&code), "{text}");
    assert_eq!(text.matches('\u{c}').count(), 4, "{text}");
    assert!(
        text.contains("Unit 4 of 4") && text.contains("T1-L01-0102"),
        "{text}"
    );

    // The page at phone width fits.
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&format!("/projects/{p}/labels"));
    s.wait_text("#labels-items-h", "Items");
    let fits =
        s.b.execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .step("width");
    assert_eq!(fits, json!(true), "the labels page fits 375 px");
    s.screenshot("labels-375");
    s.check_csp_clean();
}
