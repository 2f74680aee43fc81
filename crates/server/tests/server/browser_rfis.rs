//! Issue 19's RFI loop, in headless Chromium against the real server: an RFI raised from the
//! Commercial tab to an outside e-mail address, about a room and a scope item; the mail with
//! its PDF attached waits in the administrator's outbox (no SMTP here); the team records the
//! addressee's answer with a cost impact, and the RFI's page offers "Start a variation",
//! whose form comes prefilled from the RFI and makes a draft variation that names it. The
//! register and the RFI's page are looked at on a 375 px phone and at 1280 px. With a real
//! SMTP server (aiosmtpd on loopback), the addressee's mail arrives with the PDF attached.

use serde_json::{Value, json};

use crate::browser::{Session, Step, first_run_setup, id_after};
use crate::browser_installation::Api;
use crate::browser_issue15::Sink;
use crate::process::Server;
use crate::webdriver::Browser;

/// The page fits the window's width (nothing sticks out sideways on a phone).
fn fits(s: &Session) -> bool {
    s.b.execute(
        "return document.documentElement.scrollWidth <= window.innerWidth;",
        Vec::new(),
    )
    .step("measure the page")
        == json!(true)
}

#[test]
fn browser_rfi_to_an_outside_address_answered_with_a_cost_impact() {
    let server = Server::start();
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "RFIs");
    let me = api.ok("GET", "/auth/me", Value::Null);
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor hotel lobby", "client_id": client["id"],
               "manager_id": me["user"]["id"], "sector": "hospitality",
               "business_line": "millwork"}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    let made = |path: &str, body: Value| -> String {
        api.ok("POST", &format!("/projects/{p}/{path}"), body)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let tower = made(
        "locations",
        json!({"kind": "building", "code": "T1", "name": "Tower 1"}),
    );
    let level = made(
        "locations",
        json!({"kind": "level", "parent_id": tower, "code": "T1-L00", "name": "Ground"}),
    );
    let lobby = made(
        "locations",
        json!({"kind": "room", "parent_id": level, "code": "T1-L00-LOB", "name": "Lobby"}),
    );
    let scope = api.ok("GET", &format!("/projects/{p}/scope"), Value::Null);
    let counter = made(
        "scope-items",
        json!({"group_id": scope["groups"][0]["id"], "code": "RC-01",
               "name": "Reception counter", "room_id": lobby, "quantity": "1", "unit": "pcs"}),
    );

    // The Commercial tab's RFIs, empty, says what to do.
    s.goto(&format!("/projects/{p}/rfis"));
    s.wait_text(".empty", "No RFIs yet");
    s.click(&format!("a[href='/projects/{p}/rfis/new']"));
    s.fill("#f-subject", "Reception counter top");
    s.fill(
        "#f-question",
        "Which stone for the counter top: the Calacatta on SD-101 or the quartz sample?",
    );
    s.fill("#f-addressed_to_email", "ana@studio.example");
    s.fill("#f-addressed_to_name", "Ana Architect");
    s.set_value("#f-required_by", "2020-01-10");
    s.select("#f-room_ids", &lobby);
    s.select("#f-scope_item_ids", &counter);
    s.check_csp_clean();
    s.click("form[action$='/rfis/new'] button[type=submit]");
    s.wait_text(".flash", "mailed to its addressee with its PDF");
    s.wait_text("h1", "RFI-001");
    let rfi = id_after(&s.path(), "/rfis/");
    s.wait_text(".facts", "Ana Architect <ana@studio.example>");
    s.wait_text(".facts", "T1-L00-LOB");
    s.wait_text(".facts", "RC-01");
    s.wait_text("#attachments", "RFI-001.pdf");
    s.check_csp_clean();

    // The mail with the PDF attached is in the outbox once the worker has run.
    let mut outbox = Value::Null;
    for _ in 0..100 {
        outbox = api.ok("GET", "/system/outbox", Value::Null);
        if outbox["items"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["to_address"] == "ana@studio.example"))
        {
            break;
        }
        s.goto("/outbox");
    }
    let mail = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to_address"] == "ana@studio.example")
        .expect("the RFI's mail is in the outbox");
    assert_eq!(mail["attachments"], json!(["RFI-001.pdf"]));
    assert_eq!(
        mail["subject"],
        format!(
            "RFI-001: Reception counter top ({})",
            project["code"].as_str().unwrap()
        )
    );
    s.goto("/outbox");
    s.wait_text(".mail", "RFI-001.pdf");
    s.check_csp_clean();

    // The register: overdue in red, the ball with the addressee; at phone width too.
    s.goto(&format!("/projects/{p}/rfis"));
    s.wait_text(".rfi-table", "RFI-001");
    s.wait_text(".rfi-overdue", "Ana Architect");
    s.check_csp_clean();
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&format!("/projects/{p}/rfis"));
    s.wait_text(".rfi-table", "Reception counter top");
    assert!(fits(&s), "the register fits 375 px");
    s.b.execute(
        "document.querySelector('.rfi-table').scrollIntoView();",
        Vec::new(),
    )
    .step("scroll to the register");
    s.screenshot("rfis-register-phone");
    s.goto(&format!("/rfis/{rfi}"));
    s.wait_text("h1", "RFI-001");
    assert!(fits(&s), "the RFI's page fits 375 px");
    s.screenshot("rfi-page-phone");
    s.b.set_window_size(1280, 900).step("desktop width");

    // The team records Ana's answer with a cost impact: a variation is offered.
    s.goto(&format!("/rfis/{rfi}"));
    s.fill(
        "#a-answer",
        "Quartz, as the sample; 30 mm with a mitred edge.",
    );
    s.click("#a-cost_impact");
    s.click(&format!(
        "form[action='/rfis/{rfi}/answer'] button[type=submit]"
    ));
    s.wait_text(".flash", "Answer recorded");
    s.wait_text(".chip", "Answered");
    s.wait_text(".rfi-answer", "Quartz, as the sample");
    let start = s.wait_text(".rfi-variation a", "Start a variation");
    let href =
        s.b.attr(&start, "href")
            .step("the link")
            .unwrap_or_default();
    assert_eq!(href, format!("/projects/{p}/variations/new?rfi={rfi}"));
    s.check_csp_clean();

    // Starting the variation from the answer: the form comes prefilled from the RFI, and the
    // draft it creates says which RFI it answers.
    s.click(".rfi-variation a");
    s.wait_text("h2", "New variation");
    assert!(
        s.value("input[name=title]").starts_with("RFI-001"),
        "the title names the RFI"
    );
    assert_eq!(s.value("select[name=reason]"), "rfi");
    s.click("form[action$='/variations/new'] button[type=submit]");
    s.wait_text("dd", "from RFI-001");
    let variation = s.path();
    assert!(variation.starts_with("/variations/"), "{variation}");
    s.goto(&format!("/rfis/{rfi}"));
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&format!("/rfis/{rfi}"));
    s.wait_text(".rfi-variation", "Start a variation");
    assert!(fits(&s), "the answered RFI fits 375 px");
    s.screenshot("rfi-answered-phone");
    s.b.set_window_size(1280, 900).step("desktop width");
}

/// With SMTP configured, the outside addressee's mail arrives at a real SMTP server with the
/// RFI's PDF attached, and the outbox says it was sent, naming the file.
#[test]
fn browser_rfi_mail_reaches_an_smtp_server_with_its_pdf() {
    let sink = Sink::start();
    let port = sink.port.to_string();
    let server = Server::start_with(&[
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", &port),
        ("SMTP_TLS", "none"),
        ("SMTP_FROM", "Formula PM <pm@formula.test>"),
    ]);
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, "RFI mail");
    let me = api.ok("GET", "/auth/me", Value::Null);
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor hotel lobby", "client_id": client["id"],
               "manager_id": me["user"]["id"], "sector": "hospitality",
               "business_line": "millwork"}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    s.goto(&format!("/projects/{p}/rfis/new"));
    s.fill("#f-subject", "Door hardware");
    s.fill("#f-question", "Which lever handle on the suite doors?");
    s.fill("#f-addressed_to_email", "ana@studio.example");
    s.click("form[action$='/rfis/new'] button[type=submit]");
    s.wait_text(".flash", "mailed to its addressee with its PDF");

    let mails = sink.wait_for(
        "ana@studio.example",
        &["Which lever handle on the suite doors?"],
    );
    let mail = &mails[0];
    assert_eq!(
        mail["subject"],
        format!(
            "RFI-001: Door hardware ({})",
            project["code"].as_str().unwrap()
        )
    );
    assert_eq!(mail["multipart"], "multipart/mixed");
    let files = mail["attachments"].as_array().expect("attachments");
    assert_eq!(files.len(), 1, "{mail:#}");
    assert_eq!(files[0]["name"], "RFI-001.pdf");
    assert_eq!(files[0]["type"], "application/pdf");
    assert_eq!(files[0]["head"], "%PDF-");
    assert!(files[0]["size"].as_u64().unwrap() > 1_000, "{mail:#}");
    // The outbox says it was sent, and with which file.
    let mut sent = Value::Null;
    for _ in 0..100 {
        let outbox = api.ok("GET", "/system/outbox", Value::Null);
        if let Some(m) = outbox["items"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["to_address"] == "ana@studio.example"))
        {
            sent = m.clone();
            break;
        }
        s.goto("/outbox");
    }
    assert_eq!(sent["status"], "sent", "{sent:#}");
    assert_eq!(sent["attachments"], json!(["RFI-001.pdf"]));
}
