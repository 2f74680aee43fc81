//! Issue 18's purchase order loop, in headless Chromium against the real server, set up as
//! a new company would: on a fresh installation the administrator sets the project
//! manager's approval limit on the purchasing settings page (before the company's details)
//! and adds the supplier on the directory's page. The project manager raises a purchase
//! order from two approved specifications on the Purchasing tab; with the approval limit
//! below its total, the manager's approval is refused naming the limit; an executive
//! approves it; the manager sends it, and the mail with the PDF is in the outbox. The
//! project wants materials delivered before its items are ready; the goods arrive in two
//! deliveries, received on a phone-width page: after the first the two scope items are
//! still blocked (not delivered), after the second they are ready. Pages are looked at at
//! 1280 and 375 px (screenshots with `UI_SCREENSHOTS=<dir>`).

use serde_json::{Value, json};

use crate::browser::{ADMIN_PASSWORD, Session, Step, first_run_setup};
use crate::browser_installation::Api;
use crate::process::Server;
use crate::webdriver::Browser;

const PM_EMAIL: &str = "pia@formula.example";
const EXEC_EMAIL: &str = "eve@formula.example";

fn sign_in(s: &Session, email: &str) {
    s.click("form[action='/logout'] button");
    s.wait("form[action='/login']");
    s.fill("#f-email", email);
    s.fill("#f-password", ADMIN_PASSWORD);
    s.click("form[action='/login'] button[type=submit]");
    s.wait_text("h1", "Dashboard");
}

#[test]
fn browser_purchase_order_raised_from_specs_approved_and_sent() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "Purchasing");
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
        json!({"email": EXEC_EMAIL, "name": "Eve Executive", "password": ADMIN_PASSWORD,
               "role": "executive"}),
    );
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor hotel lobby", "client_id": client["id"],
               "manager_id": pm["id"], "sector": "hospitality", "business_line": "millwork"}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    let currency = project["currency"].as_str().unwrap().to_owned();

    // A fresh installation: the administrator sets the project manager's approval limit
    // before the company's details, below the order's total to come.
    s.goto("/admin/company/purchasing");
    s.wait_text("h1", "Purchasing settings");
    s.fill("#f-currency_0", &currency);
    s.fill("#f-limit_0", "1000");
    s.click("form[action='/admin/company/purchasing'] button[type=submit]");
    s.wait_text(".flash", "saved");
    assert_eq!(s.value("#f-limit_0"), "1,000.00");

    // The supplier goes into the directory on its page.
    s.goto("/suppliers/new");
    s.fill("#f-name", "Veneer Co");
    s.fill("#f-categories", "veneer");
    s.fill("#f-email", "orders@veneer.example");
    s.fill("#f-tax_number", "GB123456789");
    s.fill("#f-payment_terms", "30 days net");
    s.fill("#f-address", "1 Mill Road");
    s.click("form[action='/suppliers/new'] button[type=submit]");
    s.wait_text("h1", "Veneer Co");
    let supplier = s
        .path()
        .trim_start_matches("/suppliers/")
        .split(['?', '#'])
        .next()
        .unwrap()
        .to_owned();

    // Two scope items, each needing its material: the specifications name the supplier.
    let group = api.ok(
        "POST",
        &format!("/projects/{p}/scope-groups"),
        json!({"name": "Joinery"}),
    );
    for (code, cost, item) in [
        ("V-01", 12_345, "Reception desk"),
        ("V-02", 50_000, "Wall panels"),
    ] {
        let it = api.ok(
            "POST",
            &format!("/projects/{p}/scope-items"),
            json!({"group_id": group["id"], "name": item, "drawing_required": false,
                   "spec_required": true}),
        );
        let spec = api.ok(
            "POST",
            &format!("/projects/{p}/specs"),
            json!({"code": code, "description": format!("Walnut veneer {code}"),
                   "category": "veneer", "quantity": "4", "unit": "m2",
                   "unit_cost_minor": cost, "needed_on": "2026-03-01",
                   "supplier_id": supplier, "scope_item_ids": [it["id"]]}),
        );
        let id = spec["id"].as_str().unwrap().to_owned();
        let sub = api.ok(
            "POST",
            &format!("/specs/{id}/submit"),
            json!({"version": spec["version"]}),
        );
        api.ok(
            "POST",
            &format!("/specs/{id}/review"),
            json!({"decision": "approved", "version": sub["version"]}),
        );
    }

    // The project manager raises the order from both specifications.
    sign_in(&s, PM_EMAIL);
    s.goto(&format!("/projects/{p}"));
    s.click("#project-tabs a[href$='/purchasing']");
    s.wait_text("#raise-h", "Raise from approved specs");
    s.screenshot("purchasing-register-empty-1280");
    for cb in
        s.b.find_all("input[name=spec_id]")
            .step("the specs to order")
    {
        s.b.click(&cb).step("tick a spec");
    }
    s.click("form[action$='/purchasing/raise'] button[type=submit]");
    let heading = s.wait("#po-h");
    let po = s.b.text(&heading).step("the order's heading");
    assert!(po.contains("Veneer Co"), "{po}");
    s.wait_text(".po-lines", "V-01 Walnut veneer V-01");
    s.wait_text(".po-lines", "V-02 Walnut veneer V-02");
    // 4 × 123.45 + 4 × 500.00
    s.wait_text(".po-total", "2,493.80");
    let order_path = s.path();
    s.screenshot("purchase-order-draft-1280");
    s.b.set_window_size(375, 812).step("resize to a phone");
    s.screenshot("purchase-order-draft-375");
    s.b.execute(
        "document.querySelector('#lines-h').scrollIntoView()",
        Vec::new(),
    )
    .step("scroll to the lines");
    s.screenshot("purchase-order-lines-375");
    s.b.set_window_size(1280, 900).step("resize back");

    // The limit below the total: the manager's approval is refused, naming the limit.
    s.goto(&order_path);
    s.click("form[action$='/approve'] button[type=submit]");
    s.wait_text(".flash", "approval limit of 1,000.00");
    s.wait_text("#po-h + p .chip", "Draft");

    // An executive approves it.
    sign_in(&s, EXEC_EMAIL);
    s.goto(&order_path);
    s.click("form[action$='/approve'] button[type=submit]");
    s.wait_text("#po-h + p .chip", "Approved");

    // The manager sends it; the mail with the PDF is in the outbox.
    sign_in(&s, PM_EMAIL);
    s.goto(&order_path);
    s.click("form[action$='/send'] button[type=submit]");
    s.wait_text("#po-h + p .chip", "Sent");
    s.wait("a[href$='/receive']");
    // The PDF as sent is kept among the order's files.
    s.wait_text("#attachments", ".pdf");
    s.screenshot("purchase-order-sent-1280");
    s.goto(&format!("/projects/{p}/purchasing"));
    s.wait_text(".po-table", "Sent");
    s.screenshot("purchasing-register-1280");
    s.b.set_window_size(375, 812).step("resize to a phone");
    s.screenshot("purchasing-register-375");
    s.b.set_window_size(1280, 900).step("resize back");
    let number = po.split(' ').next().unwrap().to_owned();
    let mut found = Value::Null;
    for _ in 0..100 {
        let outbox = api.ok("GET", "/system/outbox", Value::Null);
        if let Some(m) = outbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["to_address"] == "orders@veneer.example")
        {
            found = m.clone();
            break;
        }
        // The worker runs the queued mail shortly; poll the outbox until it is there.
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        found["attachments"],
        json!([format!("{number}.pdf")]),
        "{found}"
    );
    s.check_csp_clean();

    // The project wants its materials delivered in full before an item is ready: ordered
    // is not enough any more.
    s.goto(&format!("/projects/{p}/readiness"));
    s.click("#rule-delivered");
    s.click("form[action$='/readiness/rule'] button[type=submit]");
    s.wait_text("#rates-h", "0 of 2 items");
    assert!(
        s.b.execute(
            "return document.querySelector('#rule-delivered').checked",
            Vec::new()
        )
        .step("the rule chosen")
            == json!(true)
    );
    s.wait_text(
        "#items-h + .table-wrap",
        "Material V-01 is ordered but not delivered yet",
    );
    s.screenshot("readiness-rule-delivered-1280");

    // The goods arrive in two deliveries, recorded on a phone: 1 of the 4 m² of each line,
    // then the rest. The order is partly received, then received, and its specifications
    // with it; the items stay blocked until everything has come.
    s.b.set_window_size(375, 812).step("resize to a phone");
    s.goto(&order_path);
    s.click("a[href$='/receive']");
    s.wait_text("#lines-h", "What arrived");
    let receive = |each: &str, note: &str| {
        for input in
            s.b.find_all("input[name^='q-']")
                .step("the lines' quantities")
        {
            s.b.clear(&input).step("clear a quantity");
            s.b.send_keys(&input, each).step("type a quantity");
        }
        s.fill("#delivery_note", note);
        s.click("form.receive-form button[type=submit]");
    };
    receive("1", "DN-1001");
    s.wait(".page-header .chip-partially_received");
    s.wait_text("#receipts-h", "1");
    s.screenshot("receive-partly-375");
    let receiving = s.path();
    s.goto(&format!("/projects/{p}/readiness"));
    s.wait_text("#rates-h", "0 of 2 items");
    let items = s.wait_text("#items-h + .table-wrap", "partially delivered");
    let text = s.b.text(&items).step("the items");
    for code in ["V-01", "V-02"] {
        assert!(
            text.contains(&format!(
                "Material {code} is partially delivered: 3 m² of 4 m² still to come"
            )),
            "{text}"
        );
    }
    assert_eq!(text.matches("Material not delivered").count(), 2, "{text}");
    s.screenshot("readiness-partly-delivered-375");
    s.goto(&receiving);
    s.wait_text("#lines-h", "What arrived");
    receive("3", "DN-1002");
    s.wait(".page-header .chip-received");
    s.wait_text(".receive-lines", "left 0");
    s.screenshot("receive-all-375");
    s.check_csp_clean();
    // Everything came: both items are ready for production.
    s.goto(&format!("/projects/{p}/readiness"));
    s.wait_text("#rates-h", "2 of 2 items");
    let items = s.wait("#items-h + .table-wrap");
    let text = s.b.text(&items).step("the items");
    assert_eq!(text.matches("Ready").count(), 2, "{text}");
    assert!(!text.contains("Blocked"), "{text}");
    s.screenshot("readiness-delivered-375");
    s.check_csp_clean();
    s.b.set_window_size(1280, 900).step("resize back");
    let specs = api.ok("GET", &format!("/projects/{p}/specs"), Value::Null);
    let states: Vec<&str> = specs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["procurement"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(states, ["delivered", "delivered"], "{specs}");

    // An order raised by hand on a phone: the supplier from the directory, where and when;
    // then a line for a scope item; then its header changed while a draft.
    s.b.set_window_size(375, 812).step("resize to a phone");
    s.goto(&format!("/projects/{p}/purchasing"));
    s.click("a[href$='/purchase-orders/new']");
    s.wait_text("#header-h", "New purchase order");
    s.select("#f-supplier_id", &supplier);
    s.set_value("#f-required_on", "2027-01-15");
    s.fill("#f-delivery_address", "Harbor hotel, service entrance");
    s.screenshot("purchase-order-new-375");
    s.click("form[action$='/purchase-orders/new'] button[type=submit]");
    s.wait_text("#po-h + p .chip", "Draft");
    let item = s.option_value("#l-orders", "Scope item");
    s.select("#l-orders", &item);
    s.fill("#l-quantity", "2");
    s.fill("#l-unit_price", "75");
    s.screenshot("purchase-order-add-line-375");
    s.click("form[action$='/lines#lines-h'] button[type=submit]");
    s.wait_text(".po-lines", "Reception desk");
    s.click(".po-actions a[href$='/edit']");
    s.wait_text("#header-h", "Edit");
    s.fill("#f-terms", "14 days net");
    s.screenshot("purchase-order-header-375");
    s.b.set_window_size(1280, 900).step("resize back");
    s.screenshot("purchase-order-header-1280");
    s.click("form[action$='/edit'] button[type=submit]");
    s.wait_text(".kv", "14 days net");
    s.screenshot("purchase-order-by-hand-1280");
    s.check_csp_clean();
}
