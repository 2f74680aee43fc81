//! Purchase orders through the API, on both databases: raised from two approved
//! specifications (supplier and lines from them), refused from specifications of two
//! suppliers; a project manager's approval above the limit refused with the limit named,
//! an executive's accepted; sending mails the PDF (in the outbox with its name) and marks
//! the specifications ordered; the PDF read back with `pdftotext` (number on every page,
//! lines, total); designers and craftsmen get no prices on any route (JSON, PDF, xlsx);
//! client users never meet an order.

use std::process::Command;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Auth, TestApp, TestUser, id_of};

fn pdftotext(pdf: &[u8]) -> String {
    let file = std::env::temp_dir().join(format!("formula-po-{}.pdf", Uuid::now_v7()));
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// A supplier added to the directory through its API (by `admin`, who keeps it).
pub async fn supplier(app: &TestApp, admin: &Auth, name: &str, email: Option<&str>) -> Uuid {
    let s = app
        .post(
            "/api/v1/suppliers",
            admin,
            json!({"name": name, "email": email, "address": "1 Mill Road\nSheffield S1 2AB",
                   "tax_number": "GB123456789", "payment_terms": "30 days net"}),
        )
        .await
        .expect(201)
        .json();
    Uuid::parse_str(&id_of(&s)).unwrap()
}

/// Sets a project manager's approval limit in `currency` on the purchasing settings.
pub async fn set_manager_limit(app: &TestApp, admin: &Auth, currency: &str, limit_minor: i64) {
    let current = app
        .get("/api/v1/company/purchasing", admin)
        .await
        .expect(200)
        .json();
    app.call(
        axum::http::Method::PUT,
        "/api/v1/company/purchasing",
        admin,
        Some(json!({"version": current["version"], "approval_limits": [
            {"currency": currency, "project_manager_limit_minor": limit_minor}]})),
    )
    .await
    .expect(200);
}

/// An approved specification of `project` from `supplier`.
pub async fn approved_spec(
    app: &TestApp,
    pm: &TestUser,
    project: &str,
    code: &str,
    supplier: Option<Uuid>,
    cost: i64,
) -> String {
    let spec = app
        .post(
            &format!("/api/v1/projects/{project}/specs"),
            &pm.auth,
            json!({"code": code, "description": format!("Walnut veneer {code}"), "category": "veneer",
                "quantity": "4", "unit": "m2", "unit_cost_minor": cost, "needed_on": "2026-03-01",
                "supplier_id": supplier}),
        )
        .await
        .expect(201)
        .json();
    let id = id_of(&spec);
    let sub = app
        .post(
            &format!("/api/v1/specs/{id}/submit"),
            &pm.auth,
            json!({"version": spec["version"]}),
        )
        .await
        .expect(200)
        .json();
    app.post(
        &format!("/api/v1/specs/{id}/review"),
        &pm.auth,
        json!({"decision": "approved", "version": sub["version"]}),
    )
    .await
    .expect(200);
    id
}

/// The purchase order notifications of a user, newest first.
async fn po_events(app: &TestApp, who: &TestUser) -> Vec<String> {
    let page = app
        .get("/api/v1/notifications", &who.auth)
        .await
        .expect(200)
        .json();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap().to_owned())
        .filter(|e| e.starts_with("po_"))
        .collect()
}

async fn the_life_of_purchase_orders(app: TestApp) {
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let exec = app.user(&admin, "executive", "Eve Executive", None).await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let craftsman = app.user(&admin, "craftsman", "Carl Fitter", None).await;
    let org = app.client(&admin.auth, "Alpha Hotels").await;
    let client = app.user(&admin, "client", "Cleo Client", Some(&org)).await;
    let project = app.project(&pm.auth, "Hotel fit-out", &org, &pm.id()).await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    app.member(&pm.auth, &project, &craftsman, "craftsman")
        .await;
    let veneer = supplier(
        &app,
        &admin.auth,
        "Veneer Co",
        Some("orders@veneer.example"),
    )
    .await;
    let stone = supplier(&app, &admin.auth, "Stone House", None).await;
    let a = approved_spec(&app, &pm, &project, "V-01", Some(veneer), 12_345).await;
    let b = approved_spec(&app, &pm, &project, "V-02", Some(veneer), 50_000).await;
    let c = approved_spec(&app, &pm, &project, "S-01", Some(stone), 100).await;
    let list = format!("/api/v1/projects/{project}/purchase-orders");

    // Two suppliers: refused, naming the specification.
    let body = app
        .post(&list, &pm.auth, json!({"spec_ids": [a, c]}))
        .await
        .problem(422, "validation_failed");
    assert!(body.to_string().contains("S-01"), "{body}");
    // Another currency: refused.
    app.post(&list, &pm.auth, json!({"spec_ids": [a], "currency": "JPY"}))
        .await
        .problem(422, "validation_failed");

    let po = app
        .post(&list, &pm.auth, json!({"spec_ids": [a, b]}))
        .await
        .expect(201)
        .json();
    let id = id_of(&po);
    let number = po["number"].as_str().unwrap().to_owned();
    assert!(
        number.starts_with("PO-") && number.ends_with("-0001"),
        "{number}"
    );
    assert_eq!(po["supplier_name"], "Veneer Co");
    assert_eq!(po["status"], "draft");
    assert_eq!(po["lines"].as_array().unwrap().len(), 2);
    let total = 4 * 12_345 + 4 * 50_000;
    assert_eq!(po["total_minor"], total);
    assert_eq!(po["lines"][0]["required_on"], "2026-03-01");

    // Designers and craftsmen see the order without a price; client users never.
    for who in [&designer, &craftsman] {
        let seen = app
            .get(&format!("/api/v1/purchase-orders/{id}"), &who.auth)
            .await
            .expect(200)
            .json();
        assert!(seen["total_minor"].is_null());
        assert!(seen["lines"][0]["unit_price_minor"].is_null());
        assert!(seen["lines"][0]["total_minor"].is_null());
        let page = app.get(&list, &who.auth).await.expect(200).json();
        assert!(page["items"][0]["total_minor"].is_null());
        let pdf = app
            .get(&format!("/api/v1/purchase-orders/{id}/pdf"), &who.auth)
            .await
            .expect(200);
        let text = pdftotext(&pdf.body);
        assert!(text.contains(&number));
        assert!(!text.contains("123.45"), "{text}");
        assert!(text.contains("Prices are not shown"), "{text}");
        let xlsx = app
            .get(
                &format!("/api/v1/projects/{project}/purchase-orders.xlsx"),
                &who.auth,
            )
            .await
            .expect(200);
        let table = formula_reports::read_table(&xlsx.body, "orders.xlsx").unwrap();
        assert!(table.headers.iter().any(|h| h == "Supplier"));
        assert!(
            !table.headers.iter().any(|h| h == "Total"),
            "{:?}",
            table.headers
        );
    }
    app.get(&format!("/api/v1/purchase-orders/{id}"), &client.auth)
        .await
        .expect(404);
    app.get(&list, &client.auth).await.expect(403);
    app.get(&format!("/api/v1/purchase-orders/{id}/pdf"), &client.auth)
        .await
        .expect(404);

    // The limit below the total: the project manager is refused, naming the limit.
    set_manager_limit(
        &app,
        &admin.auth,
        po["currency"].as_str().unwrap(),
        total - 1,
    )
    .await;
    let refused = app
        .post(
            &format!("/api/v1/purchase-orders/{id}/approve"),
            &pm.auth,
            json!({"version": po["version"]}),
        )
        .await
        .problem(409, "above_approval_limit");
    assert!(
        refused.to_string().contains("approval limit of"),
        "{refused}"
    );
    let approved = app
        .post(
            &format!("/api/v1/purchase-orders/{id}/approve"),
            &exec.auth,
            json!({"version": po["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved_by_name"], "Eve Executive");
    // Whoever raised it hears of the approval; a designer hears of nothing about orders.
    assert_eq!(po_events(&app, &pm).await, ["po_approved"]);
    assert!(po_events(&app, &designer).await.is_empty());
    // Above the limit, a new order awaits the executives' and administrators' approval, not
    // the project manager's.
    let big = app
        .post(&list, &pm.auth, json!({"spec_ids": [b], "lines": [
            {"description": "Edge banding", "quantity": "1000", "unit": "m", "unit_price_minor": 100}]}))
        .await
        .expect(201)
        .json();
    assert!(big["total_minor"].as_i64().unwrap() > total - 1);
    assert_eq!(po_events(&app, &exec).await, ["po_awaiting_approval"]);
    assert_eq!(po_events(&app, &admin).await, ["po_awaiting_approval"]);

    // The PDF: number on every page, the lines, the total.
    let pdf = app
        .get(&format!("/api/v1/purchase-orders/{id}/pdf"), &pm.auth)
        .await
        .expect(200);
    let text = pdftotext(&pdf.body);
    for page in text.split('\u{c}').filter(|p| !p.trim().is_empty()) {
        assert!(page.contains(&number), "a page without the number: {page}");
        assert!(page.contains("Page "), "{page}");
    }
    assert!(
        text.contains("Veneer Co") && text.contains("GB123456789"),
        "{text}"
    );
    assert!(text.contains("V-01 Walnut veneer V-01"), "{text}");
    assert!(text.contains("123.45") && text.contains("493.80"), "{text}");
    assert!(text.contains("2,493.80"), "{text}");

    // Sending: mailed with the PDF (in the outbox with its name), specs ordered.
    let sent = app
        .post(
            &format!("/api/v1/purchase-orders/{id}/send"),
            &pm.auth,
            json!({"version": approved["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["sent_to"], "orders@veneer.example");
    assert_eq!(sent["abilities"]["receive"], true);
    app.services
        .drain_jobs("test", time::OffsetDateTime::now_utc(), 10)
        .await
        .unwrap();
    let outbox = app
        .get("/api/v1/system/outbox", &admin.auth)
        .await
        .expect(200)
        .json();
    let mail = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to_address"] == "orders@veneer.example")
        .cloned()
        .expect("the order's mail");
    assert_eq!(mail["attachments"], json!([format!("{number}.pdf")]));
    let spec = app
        .get(&format!("/api/v1/specs/{a}"), &pm.auth)
        .await
        .expect(200)
        .json()["spec"]
        .clone();
    assert_eq!(spec["procurement"], "ordered");
    assert_eq!(spec["po_number"], Value::String(number.clone()));
    assert_eq!(spec["expected_delivery"], "2026-03-01");
    // The register filters by status and supplier.
    let page = app
        .get(
            &format!("{list}?status=sent&supplier_id={veneer}"),
            &pm.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(page["total"], 1);
    let none = app
        .get(&format!("{list}?supplier_id={stone}"), &pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(none["total"], 0);

    // By hand, edited while a draft, then cancelled with a reason.
    let hand = app
        .post(
            &list,
            &pm.auth,
            json!({"supplier_id": stone, "lines": [
                {"description": "Marble slab", "quantity": "2.5", "unit": "m2", "unit_price_minor": 1000}]}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(hand["total_minor"], 2500);
    let hid = id_of(&hand);
    let bad = app
        .post(
            &format!("/api/v1/purchase-orders/{hid}/lines"),
            &pm.auth,
            json!({"description": "", "quantity": "0", "unit": "pcs", "unit_price_minor": 1,
                "version": hand["version"]}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(bad.to_string().contains("quantity"), "{bad}");
    let patched = app
        .patch(
            &format!("/api/v1/purchase-orders/{hid}"),
            &pm.auth,
            json!({"notes": "Call before delivery", "version": hand["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(patched["notes"], "Call before delivery");
    app.patch(
        &format!("/api/v1/purchase-orders/{hid}"),
        &pm.auth,
        json!({"notes": "stale", "version": hand["version"]}),
    )
    .await
    .expect(409);
    let cancelled = app
        .post(
            &format!("/api/v1/purchase-orders/{hid}/cancel"),
            &pm.auth,
            json!({"reason": "Ordered elsewhere", "version": patched["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(cancelled["status"], "cancelled");
}

#[tokio::test]
async fn the_life_of_purchase_orders_on_sqlite() {
    the_life_of_purchase_orders(TestApp::new().await).await;
}

#[tokio::test]
async fn the_life_of_purchase_orders_on_postgresql() {
    the_life_of_purchase_orders(TestApp::on_postgres().await).await;
}

/// The pages that raise an order by hand and edit a draft's header: a supplier of the
/// directory, where and when to deliver; then lines naming a specification, a scope item or
/// nothing of the project; the header changed while a draft (a stale form is told so);
/// designers may not raise orders.
#[tokio::test]
async fn an_order_is_raised_by_hand_and_its_header_edited_on_pages() {
    use crate::suppliers::form;
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let org = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app.project(&pm.auth, "Hotel fit-out", &org, &pm.id()).await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let veneer = supplier(
        &app,
        &admin.auth,
        "Veneer Co",
        Some("orders@veneer.example"),
    )
    .await;
    let stone = supplier(&app, &admin.auth, "Stone House", None).await;
    let spec = approved_spec(&app, &pm, &project, "V-01", Some(veneer), 12_345).await;
    let (cookie, _) = app.login(&pm.user.email, crate::support::PASSWORD).await;

    let new = format!("/projects/{project}/purchase-orders/new");
    let page = app.get(&new, &cookie).await.expect(200).text();
    assert!(
        page.contains("Veneer Co") && page.contains("Stone House"),
        "{page}"
    );
    // No supplier: said beside the field.
    let refused = form(&app, &new, &cookie, &[("required_on", "2026-05-01")])
        .await
        .expect(422)
        .text();
    assert!(refused.contains("choose the supplier"), "{refused}");
    let made = form(
        &app,
        &new,
        &cookie,
        &[
            ("supplier_id", &veneer.to_string()),
            ("required_on", "2026-05-01"),
            ("delivery_address", "Site gate 3"),
            ("notes", "Call before delivery"),
        ],
    )
    .await
    .expect(303);
    let to = made.header("location").unwrap();
    assert!(to.contains("m=po_created"), "{to}");
    let id = to
        .trim_start_matches("/purchase-orders/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let po = app
        .get(&format!("/api/v1/purchase-orders/{id}"), &pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(po["supplier_name"], "Veneer Co");
    assert_eq!(po["required_on"], "2026-05-01");
    assert_eq!(po["delivery_address"], "Site gate 3");
    assert_eq!(
        po["terms"], "30 days net",
        "the supplier's terms by default"
    );
    assert_eq!(po["lines"].as_array().unwrap().len(), 0);

    // Lines: a specification (its code and name as the description), and a free one.
    let page = app
        .get(&format!("/purchase-orders/{id}"), &cookie)
        .await
        .expect(200)
        .text();
    assert!(page.contains(&format!("value=\"spec:{spec}\"")), "{page}");
    let lines = format!("/purchase-orders/{id}/lines");
    let spec_choice = format!("spec:{spec}");
    form(
        &app,
        &lines,
        &cookie,
        &[
            ("version", "1"),
            ("orders", &spec_choice),
            ("quantity", "4"),
            ("unit", "m2"),
            ("unit_price", "123.45"),
        ],
    )
    .await
    .expect(303);
    form(
        &app,
        &lines,
        &cookie,
        &[
            ("version", "2"),
            ("description", "Edge banding"),
            ("quantity", "10"),
            ("unit", "m"),
            ("unit_price", "1"),
        ],
    )
    .await
    .expect(303);
    let bad = form(
        &app,
        &lines,
        &cookie,
        &[
            ("version", "3"),
            ("orders", "spec:0190f0f0-0000-7000-8000-000000000001"),
            ("quantity", "1"),
            ("unit", "m"),
            ("unit_price", "1"),
        ],
    )
    .await
    .expect(422)
    .text();
    assert!(bad.contains("of this project"), "{bad}");
    let po = app
        .get(&format!("/api/v1/purchase-orders/{id}"), &pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(po["lines"][0]["description"], "V-01 Walnut veneer V-01");
    assert_eq!(po["lines"][0]["spec_id"], spec.as_str());
    assert_eq!(po["lines"][1]["description"], "Edge banding");
    assert_eq!(po["total_minor"], 4 * 12_345 + 10 * 100);

    // The header, edited while a draft.
    let edit = format!("/purchase-orders/{id}/edit");
    let page = app.get(&edit, &cookie).await.expect(200).text();
    assert!(page.contains("Site gate 3"), "{page}");
    form(
        &app,
        &edit,
        &cookie,
        &[
            ("version", "3"),
            ("supplier_id", &stone.to_string()),
            ("required_on", "2026-06-01"),
            ("delivery_address", "Workshop"),
            ("terms", "50% with order"),
            ("notes", ""),
        ],
    )
    .await
    .expect(303);
    let po = app
        .get(&format!("/api/v1/purchase-orders/{id}"), &pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(po["supplier_name"], "Stone House");
    assert_eq!(po["required_on"], "2026-06-01");
    assert_eq!(po["delivery_address"], "Workshop");
    assert_eq!(po["terms"], "50% with order");
    assert!(po["notes"].is_null());
    // A form of an older version is told someone changed it first.
    let stale = form(
        &app,
        &edit,
        &cookie,
        &[("version", "3"), ("supplier_id", &veneer.to_string())],
    )
    .await
    .expect(409)
    .text();
    assert!(stale.contains("changed"), "{stale}");

    // A designer sees orders but raises none.
    let (dcookie, _) = app
        .login(&designer.user.email, crate::support::PASSWORD)
        .await;
    app.get(&new, &dcookie).await.expect(403);
    app.get(&edit, &dcookie).await.expect(403);
}
