//! Issue 18's purchase order loop, in headless Chromium against the real server: the project
//! manager raises a purchase order from two approved specifications on the Purchasing tab;
//! with the approval limit below its total, the manager's approval is refused naming the
//! limit; an executive approves it; the manager sends it, and the mail with the PDF is in
//! the outbox. The goods then arrive in two deliveries, received on a phone-width page, and
//! the order and its specifications follow. Pages are looked at at 1280 and 375 px
//! (screenshots with `UI_SCREENSHOTS=<dir>`).

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

/// Runs one statement on the server's SQLite file. The supplier directory's API and the
/// approval-limit settings belong to the suppliers module; until it is merged, this test
/// writes the supplier and the limit here (replace with those APIs at merge).
fn sql(server: &Server, statement: &str) {
    let url = format!("sqlite://{}", server.sqlite_file().display());
    let statement = statement.to_owned();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query("PRAGMA busy_timeout = 5000")
                .execute(&mut c)
                .await
                .unwrap();
            sqlx::query(&statement).execute(&mut c).await.unwrap();
            c.close().await.unwrap();
        });
}

fn hex(id: &str) -> String {
    id.replace('-', "")
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
    let supplier = "0190f0f0-0000-7000-8000-000000000001";
    sql(
        &s.server,
        &format!(
            "INSERT INTO suppliers (id, name, categories, email, address, tax_number, payment_terms, \
             archived, created_at, updated_at, version) VALUES (X'{}', 'Veneer Co', 'veneer', \
             'orders@veneer.example', '1 Mill Road', 'GB123456789', '30 days net', 0, \
             '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1)",
            hex(supplier)
        ),
    );
    for (code, cost) in [("V-01", 12_345), ("V-02", 50_000)] {
        let spec = api.ok(
            "POST",
            &format!("/projects/{p}/specs"),
            json!({"code": code, "description": format!("Walnut veneer {code}"),
                   "category": "veneer", "quantity": "4", "unit": "m2",
                   "unit_cost_minor": cost, "needed_on": "2026-03-01"}),
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
        sql(
            &s.server,
            &format!(
                "UPDATE specs SET supplier_id = X'{}' WHERE id = X'{}'",
                hex(supplier),
                hex(&id)
            ),
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
    sql(
        &s.server,
        &format!(
            "INSERT INTO po_approval_limits (currency, project_manager_limit_minor, updated_at, version) \
             VALUES ('{currency}', 100000, '2026-01-01T00:00:00Z', 1)"
        ),
    );
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

    // The goods arrive in two deliveries, recorded on a phone: 1 of the 4 m² of each line,
    // then the rest. The order is partly received, then received, and its specifications
    // with it.
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
    receive("3", "DN-1002");
    s.wait(".page-header .chip-received");
    s.wait_text(".receive-lines", "left 0");
    s.screenshot("receive-all-375");
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
}
