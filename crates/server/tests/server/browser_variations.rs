//! Issue 19's variation loop, in headless Chromium against the real server: the project
//! manager raises a variation on the Commercial tab, adds a new item and increases an
//! existing item's quantity, and submits it to the client; the client's user approves it
//! with a comment; the scope then holds the new item and the new quantity, and the
//! project's contract value moved by the variation's total. Pages are looked at at 1280 and
//! 375 px (screenshots with `UI_SCREENSHOTS=<dir>`).

use serde_json::{Value, json};

use crate::browser::{ADMIN_PASSWORD, Session, Step, first_run_setup};
use crate::browser_installation::Api;
use crate::process::Server;
use crate::webdriver::Browser;

const PM_EMAIL: &str = "pia@formula.example";
const CLIENT_EMAIL: &str = "carla@harbor.example";

fn sign_in(s: &Session, email: &str) {
    s.click("form[action='/logout'] button");
    s.wait("form[action='/login']");
    s.fill("#f-email", email);
    s.fill("#f-password", ADMIN_PASSWORD);
    s.click("form[action='/login'] button[type=submit]");
    s.wait_text("h1", "Dashboard");
}

#[test]
fn browser_variation_priced_submitted_and_approved_by_the_client() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "Variations");
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let pm = api.ok(
        "POST",
        "/users",
        json!({"email": PM_EMAIL, "name": "Pia Manager", "password": ADMIN_PASSWORD,
               "role": "project_manager"}),
    );
    api.ok(
        "POST",
        "/users",
        json!({"email": CLIENT_EMAIL, "name": "Carla Client", "password": ADMIN_PASSWORD,
               "role": "client", "client_id": client["id"]}),
    );
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor hotel lobby", "client_id": client["id"],
               "manager_id": pm["id"], "sector": "hospitality", "business_line": "millwork",
               "contract_value_minor": 25_000_000}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    let scope = api.ok("GET", &format!("/projects/{p}/scope"), Value::Null);
    let millwork = scope["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Millwork")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let shelf = api.ok(
        "POST",
        &format!("/projects/{p}/scope-items"),
        json!({"group_id": millwork, "name": "Reception shelf", "quantity": "4", "unit": "pcs",
               "unit_price_minor": 45_000}),
    );
    let shelf_id = shelf["id"].as_str().unwrap().to_owned();

    // The project manager raises and prices the variation on the Commercial tab.
    sign_in(&s, PM_EMAIL);
    s.goto(&format!("/projects/{p}/variations"));
    s.wait_text("#variations-h", "Variations");
    s.click(&format!("a[href='/projects/{p}/variations/new']"));
    s.fill("#f-title", "Extra storage in the lobby");
    s.fill(
        "#f-description",
        "Two more wardrobes and more shelving, as asked on site.",
    );
    s.select("#f-reason", "client_request");
    s.fill("#f-time_impact_days", "5");
    s.click(&format!(
        "form[action='/projects/{p}/variations/new'] button[type=submit]"
    ));
    s.wait_text("#vo-h", "VO-001");
    let vo = s.path().split(['?', '#']).next().unwrap().to_owned();
    s.select("#a-group_id", &millwork);
    s.fill("#a-name", "Lobby wardrobe");
    s.fill("#a-quantity", "2");
    s.fill("#a-rate", "1500");
    s.click("#add-h ~ form button[type=submit]");
    s.wait_text(".flash", "line was added");
    s.select("#c-scope_item_id", &shelf_id);
    s.select("#c-kind", "change");
    s.fill("#c-quantity", "6");
    s.click("#change-h ~ form button[type=submit]");
    s.wait_text(".flash", "line was added");
    // 2 × 1,500.00 + (6 − 4) × 450.00 = 3,900.00
    s.wait_text(".vo-lines tfoot", "3,900.00 USD");
    s.check_csp_clean();
    s.screenshot("variation-draft-1280");
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&vo);
    s.wait_text("#vo-h", "VO-001");
    s.screenshot("variation-draft-375");
    s.goto(&format!("{vo}#lines-h"));
    s.wait_text("#lines-h", "Lines");
    s.screenshot("variation-lines-375");
    s.goto(&format!("{vo}#change-h"));
    s.wait_text("#change-h", "Omit or change");
    s.screenshot("variation-change-375");
    s.b.set_window_size(1280, 900).step("desktop width");
    s.click("#submit-h ~ form button[type=submit]");
    s.wait_text(".flash", "submitted to the client");
    s.wait_text("#vo-h ~ p .chip", "Submitted to client");

    // The client's user sees it submitted, and approves it with a comment.
    sign_in(&s, CLIENT_EMAIL);
    s.goto(&format!("/projects/{p}/variations"));
    s.wait_text(".vo-table", "VO-001");
    s.screenshot("variation-register-client-1280");
    s.goto(&vo);
    s.wait_text("#decide-h", "Your decision on VO-001");
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&vo);
    s.wait_text("#decide-h", "Your decision on VO-001");
    s.screenshot("variation-decide-375");
    s.select("#r-decision", "approved");
    s.fill("#r-comments", "Approved, please go ahead.");
    s.click(&format!("form[action='{vo}/review'] button[type=submit]"));
    s.wait_text(".flash", "decision was recorded");
    s.wait_text("#reviews-h ~ ul", "Carla Client");
    s.check_csp_clean();
    s.b.set_window_size(1280, 900).step("desktop width");
    s.screenshot("variation-approved-1280");

    // The scope holds the new item and the new quantity; the contract value moved.
    let shelf = api.ok("GET", &format!("/scope-items/{shelf_id}"), Value::Null);
    assert_eq!(shelf["quantity"], "6");
    assert_eq!(shelf["total_minor"], 270_000);
    let items = api.ok("GET", &format!("/projects/{p}/scope-items"), Value::Null);
    let wardrobe = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Lobby wardrobe")
        .expect("the approved variation added the wardrobe");
    assert_eq!(wardrobe["quantity"], "2");
    assert_eq!(wardrobe["total_minor"], 300_000);
    let project = api.ok("GET", &format!("/projects/{p}"), Value::Null);
    assert_eq!(
        project["contract_value"]["amount_minor"],
        25_000_000 + 390_000
    );
    // And the scope item's page links back to the variation.
    sign_in(&s, PM_EMAIL);
    s.goto(&format!("/scope-items/{shelf_id}/edit"));
    s.wait_text("#item-vo-h ~ ul", "VO-001");
    s.goto(&format!("/projects/{p}/scope"));
    s.wait_text("main", "Lobby wardrobe");
}
