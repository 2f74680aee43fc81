//! The supplier directory over HTTP: keeping it, its filters, contacts in order, archiving,
//! the figures of a supplier's orders, and the purchasing settings that decide who sees
//! purchase prices.

use axum::http::Method;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::support::{TestApp, id_of};

/// Runs statements on the test app's SQLite file, beneath the use cases (the purchase
/// orders' own use cases are built elsewhere).
pub async fn sql(app: &TestApp, statements: &[String]) {
    let file = app
        .files
        .parent()
        .expect("data dir")
        .join(formula_store::SQLITE_FILE);
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .expect("second connection");
    for s in statements {
        sqlx::query(s).execute(&mut c).await.expect(s);
    }
    c.close().await.expect("close");
}

fn blob(id: &str) -> String {
    format!("X'{}'", id.replace('-', ""))
}

/// Inserts a purchase order of `total_minor` (USD) to `supplier` on `project`, with one
/// line per `(required_on, received_on)`.
pub async fn order(
    app: &TestApp,
    project: &str,
    supplier: &str,
    number: &str,
    status: &str,
    total_minor: i64,
    lines: &[(&str, Option<&str>)],
) {
    let id = uuid::Uuid::now_v7().to_string();
    let mut statements = vec![format!(
        "INSERT INTO purchase_orders (id, project_id, supplier_id, number, status, currency, \
         total_minor, created_at, updated_at, version) VALUES ({}, {}, {}, '{number}', \
         '{status}', 'USD', {total_minor}, '2026-03-01T09:00:00Z', '2026-03-01T09:00:00Z', 1)",
        blob(&id),
        blob(project),
        blob(supplier)
    )];
    for (i, (required, received)) in lines.iter().enumerate() {
        let received = received.map_or("NULL".to_owned(), |r| format!("'{r}'"));
        statements.push(format!(
            "INSERT INTO purchase_order_lines (id, purchase_order_id, position, description, \
             quantity_milli, unit, unit_price_minor, total_minor, required_on, received_milli, \
             received_on) VALUES ({}, {}, {i}, 'Line', 1000, 'pcs', 100, 100, '{required}', \
             1000, {received})",
            blob(&uuid::Uuid::now_v7().to_string()),
            blob(&id)
        ));
    }
    sql(app, &statements).await;
}

#[tokio::test]
async fn the_directory_is_kept_with_unique_names_filters_and_ordered_contacts() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let a = &admin.auth;
    let veneer = app
        .post(
            "/api/v1/suppliers",
            a,
            json!({"name": "Veneer Co", "categories": ["Veneer", "solid surface", "veneer"],
                   "email": "Sales@Veneer.example", "website": "veneer.example",
                   "payment_terms": "30 days net", "lead_time_days": 21}),
        )
        .await
        .expect(201);
    assert_eq!(veneer.etag(), "\"1\"");
    let veneer = veneer.json();
    let id = id_of(&veneer);
    assert_eq!(veneer["categories"], json!(["solid_surface", "veneer"]));
    assert_eq!(veneer["email"], "sales@veneer.example");
    assert_eq!(veneer["website"], "https://veneer.example");
    assert_eq!(veneer["lead_time_days"], 21);

    // The name is unique whatever the case.
    let dup = app
        .post("/api/v1/suppliers", a, json!({"name": "  VENEER co "}))
        .await
        .problem(409, "duplicate");
    assert!(dup["errors"].to_string().contains("name"), "{dup}");
    // Bad fields are named.
    let bad = app
        .post(
            "/api/v1/suppliers",
            a,
            json!({"name": "", "categories": ["<b>"], "lead_time_days": -3, "email": "nope"}),
        )
        .await
        .problem(422, "validation_failed");
    let fields = crate::support::Resp::fields(&bad);
    for f in ["name", "categories", "lead_time_days", "email"] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }

    app.post(
        "/api/v1/suppliers",
        a,
        json!({"name": "Stone House", "categories": ["stone"]}),
    )
    .await
    .expect(201);
    let list = |q: &'static str| {
        let app = &app;
        async move {
            let page = app
                .get(&format!("/api/v1/suppliers{q}"), a)
                .await
                .expect(200)
                .json();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("").await, ["Stone House", "Veneer Co"]);
    assert_eq!(list("?q=veneer").await, ["Veneer Co"]);
    assert_eq!(list("?category=Solid%20surface").await, ["Veneer Co"]);
    assert_eq!(list("?category=stone").await, ["Stone House"]);
    // Only the documented words: `0`/`1` are not booleans in the schema, so they are refused.
    for bad in ["maybe", "0", "1"] {
        app.get(&format!("/api/v1/suppliers?archived={bad}"), a)
            .await
            .problem(422, "validation_failed");
    }

    // Changes are compare-and-set.
    let path = format!("/api/v1/suppliers/{id}");
    let changed = app
        .call_with(
            Method::PATCH,
            &path,
            a,
            &[("if-match", "\"1\"")],
            Some(json!({"notes": "Good on edges", "lead_time_days": null})),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["lead_time_days"], Value::Null);
    app.call_with(
        Method::PATCH,
        &path,
        a,
        &[("if-match", "\"1\"")],
        Some(json!({"notes": "lost"})),
    )
    .await
    .expect(412);

    // Contacts keep their order; one can be moved.
    let contacts = format!("{path}/contacts");
    let mut ids = Vec::new();
    for name in ["Ahmed", "Beth", "Chris"] {
        let c = app
            .post(&contacts, a, json!({"name": name, "role": "Sales"}))
            .await
            .expect(201)
            .json();
        ids.push(id_of(&c));
    }
    app.call(
        Method::PUT,
        &format!("{contacts}/{}", ids[2]),
        a,
        Some(json!({"name": "Chris", "phone": "050 1", "position": 0})),
    )
    .await
    .expect(200);
    app.delete(&format!("{contacts}/{}", ids[0]), a)
        .await
        .expect(204);
    let names: Vec<(String, i64)> = app.get(&contacts, a).await.expect(200).json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["position"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, [("Chris".into(), 0), ("Beth".into(), 1)]);
    app.post(&contacts, a, json!({"name": " "}))
        .await
        .problem(422, "validation_failed");

    // Archived suppliers leave the list unless asked for.
    app.call(Method::POST, &format!("{path}/archive?version=2"), a, None)
        .await
        .expect(200);
    assert_eq!(list("").await, ["Stone House"]);
    assert_eq!(list("?archived=true").await, ["Veneer Co"]);
    assert_eq!(list("?archived=all").await, ["Stone House", "Veneer Co"]);
    app.call(Method::POST, &format!("{path}/unarchive"), a, None)
        .await
        .expect(428);
    app.call_with(
        Method::POST,
        &format!("{path}/unarchive"),
        a,
        &[("if-match", "\"3\"")],
        None,
    )
    .await
    .expect(200);
    let details = app.get(&path, a).await.expect(200).json();
    assert_eq!(details["archived"], false);
    assert_eq!(details["contacts"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn figures_count_placed_orders_and_prices_follow_the_settings() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let a = &admin.auth;
    let client_id = app.client(a, "Alpha Hotels").await;
    let pm = app.user(&admin, "project_manager", "Paula", None).await;
    let designer = app.user(&admin, "designer", "Dana", None).await;
    let craftsman = app.user(&admin, "craftsman", "Carl", None).await;
    let client = app.user(&admin, "client", "Cleo", Some(&client_id)).await;
    let project = app.project(a, "Lobby", &client_id, &pm.id()).await;
    app.member(a, &project, &designer, "designer").await;
    app.member(a, &project, &craftsman, "craftsman").await;
    let supplier = id_of(
        &app.post("/api/v1/suppliers", a, json!({"name": "Veneer Co"}))
            .await
            .expect(201)
            .json(),
    );
    order(
        &app,
        &project,
        &supplier,
        "PO-2026-0001",
        "received",
        150_000,
        &[
            ("2026-03-10", Some("2026-03-09")),
            ("2026-03-10", Some("2026-03-13")),
            ("2026-03-10", Some("2026-03-12")),
            ("2026-03-10", None),
        ],
    )
    .await;
    order(
        &app,
        &project,
        &supplier,
        "PO-2026-0002",
        "sent",
        50_000,
        &[],
    )
    .await;
    // Neither a draft nor a cancelled order counts, nor its lines.
    order(
        &app,
        &project,
        &supplier,
        "PO-2026-0003",
        "draft",
        7,
        &[("2026-03-01", Some("2026-04-01"))],
    )
    .await;
    order(
        &app,
        &project,
        &supplier,
        "PO-2026-0004",
        "cancelled",
        9,
        &[],
    )
    .await;

    let path = format!("/api/v1/suppliers/{supplier}");
    let seen = app.get(&path, &pm.auth).await.expect(200).json();
    let f = &seen["figures"];
    assert_eq!(f["orders"], 2);
    assert_eq!(
        f["order_value"],
        json!([{"amount_minor": 200_000, "currency": "USD"}])
    );
    assert_eq!(f["dated_lines_received"], 3);
    assert_eq!(f["lines_on_time"], 1);
    assert_eq!(f["on_time_percent"], 33);
    assert_eq!(f["lines_late"], 2);
    assert_eq!(f["average_days_late"], 3);
    assert_eq!(seen["orders"].as_array().unwrap().len(), 4);
    assert_eq!(seen["orders"][0]["total"]["currency"], "USD");

    // Designers and craftsmen see the orders but no prices, until the setting says.
    for who in [&designer, &craftsman] {
        let d = app.get(&path, &who.auth).await.expect(200).json();
        assert_eq!(d["figures"]["orders"], 2);
        assert_eq!(d["figures"]["order_value"], Value::Null);
        assert!(
            d["orders"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["total"].is_null())
        );
        assert!(!d.to_string().contains("150000"), "{d}");
    }
    // Client users see nothing of the directory.
    app.get(&path, &client.auth).await.expect(404);
    app.get("/api/v1/suppliers", &client.auth).await.expect(403);

    // The settings may be saved before the company's details (a fresh installation): the
    // first save starts the company settings' row, a second first save is stale.
    let settings = app
        .get("/api/v1/company/purchasing", a)
        .await
        .expect(200)
        .json();
    assert_eq!(settings["version"], 0);
    let first = app
        .call(
            Method::PUT,
            "/api/v1/company/purchasing",
            a,
            Some(json!({"designers_see_prices": false, "version": 0})),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(first["version"], 1);
    app.call(
        Method::PUT,
        "/api/v1/company/purchasing",
        a,
        Some(json!({"designers_see_prices": true, "version": 0})),
    )
    .await
    .expect(409);
    // The company's details come afterwards, on the same row.
    let company = app.get("/api/v1/company", a).await.expect(200).json();
    assert_eq!(
        (company["name"].as_str(), company["version"].as_i64()),
        (Some(""), Some(1))
    );
    app.call(
        Method::PUT,
        "/api/v1/company",
        a,
        Some(json!({"name": "Northwind", "version": 1})),
    )
    .await
    .expect(200);
    let saved = app
        .call_with(
            Method::PUT,
            "/api/v1/company/purchasing",
            a,
            &[("if-match", "\"2\"")],
            Some(json!({"designers_see_prices": true,
                        "approval_limits": [{"currency": "usd", "project_manager_limit_minor": 500000}]})),
        )
        .await
        .expect(200)
        .json();
    let company = app.get("/api/v1/company", a).await.expect(200).json();
    assert_eq!(company["name"], "Northwind");
    assert_eq!(saved["designers_see_prices"], true);
    assert_eq!(saved["craftsmen_see_prices"], false);
    assert_eq!(saved["approval_limits"][0]["currency"], "USD");
    assert_eq!(
        app.services.po_approval_limit("USD").await.unwrap(),
        Some(500_000)
    );
    let d = app.get(&path, &designer.auth).await.expect(200).json();
    assert_eq!(d["figures"]["order_value"][0]["amount_minor"], 200_000);
    let c = app.get(&path, &craftsman.auth).await.expect(200).json();
    assert_eq!(c["figures"]["order_value"], Value::Null);
    // Only administrators keep the settings.
    app.get("/api/v1/company/purchasing", &pm.auth)
        .await
        .expect(403);
    app.call(
        Method::PUT,
        "/api/v1/company/purchasing",
        &pm.auth,
        Some(json!({"version": 3})),
    )
    .await
    .expect(403);
    // Bad limits are named per row.
    let bad = app
        .call(
            Method::PUT,
            "/api/v1/company/purchasing",
            a,
            Some(json!({"version": 3, "approval_limits": [
                {"currency": "USD", "project_manager_limit_minor": 1},
                {"currency": "usd", "project_manager_limit_minor": 2}]})),
        )
        .await
        .problem(422, "validation_failed");
    assert!(bad.to_string().contains("approval_limits[1]"), "{bad}");
}

/// Posts a form with the session's CSRF token.
pub(crate) async fn form(
    app: &TestApp,
    path: &str,
    auth: &crate::support::Auth,
    fields: &[(&str, &str)],
) -> crate::support::Resp {
    let crate::support::Auth::Cookie {
        csrf: Some(csrf), ..
    } = auth
    else {
        panic!("a cookie session");
    };
    let mut body: Vec<String> = vec![format!("_csrf={csrf}")];
    for (k, v) in fields {
        body.push(format!("{k}={}", v.replace(' ', "+").replace(',', "%2C")));
    }
    let req = TestApp::build(
        Method::POST,
        path,
        auth,
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(axum::body::Body::from(body.join("&"))),
        false,
    );
    app.send(req).await
}

#[tokio::test]
async fn the_pages_list_add_and_show_suppliers_for_the_staff_only() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let client_id = app.client(&admin.auth, "Alpha Hotels").await;
    let cli = app.user(&admin, "client", "Cleo", Some(&client_id)).await;
    let designer = app.user(&admin, "designer", "Dana", None).await;
    let (cookie, _) = app
        .login("admin@example.com", crate::support::PASSWORD)
        .await;

    let empty = app.get("/suppliers", &cookie).await.expect(200).text();
    assert!(empty.contains("href=\"/suppliers\""), "nav link");
    assert!(empty.contains("No suppliers yet."));
    // Bad input stays in the form with the messages beside the fields.
    let bad = form(
        &app,
        "/suppliers/new",
        &cookie,
        &[
            ("name", "Veneer Co"),
            ("lead_time_days", "-2"),
            ("categories", "<b>"),
        ],
    )
    .await
    .expect(422)
    .text();
    assert!(bad.contains("value=\"Veneer Co\""), "{bad}");
    assert!(bad.contains("must be 0 to 730 days"), "{bad}");
    let made = form(
        &app,
        "/suppliers/new",
        &cookie,
        &[
            ("name", "Veneer Co"),
            ("categories", "veneer, upholstery"),
            ("lead_time_days", "21"),
            ("payment_terms", "30 days net"),
        ],
    )
    .await
    .expect(303);
    let to = made.header("location").unwrap();
    let page = app.get(&to, &cookie).await.expect(200).text();
    for text in [
        "Veneer Co",
        "Upholstery",
        "30 days net",
        "21 days",
        "Add a contact",
    ] {
        assert!(page.contains(text), "{text}");
    }
    let id = to
        .trim_start_matches("/suppliers/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    form(
        &app,
        &format!("/suppliers/{id}/contacts"),
        &cookie,
        &[("name", "Ahmed"), ("role", "Sales")],
    )
    .await
    .expect(303);
    form(
        &app,
        &format!("/suppliers/{id}/contacts"),
        &cookie,
        &[("name", "Beth")],
    )
    .await
    .expect(303);
    let list = app
        .get("/suppliers?category=upholstery", &cookie)
        .await
        .expect(200)
        .text();
    assert!(list.contains("Veneer Co"));
    let list = app
        .get("/suppliers?q=nothing", &cookie)
        .await
        .expect(200)
        .text();
    assert!(list.contains("No suppliers match"));

    // A designer reads but does not keep the directory.
    let (dcookie, _) = app
        .login(&designer.user.email, crate::support::PASSWORD)
        .await;
    let page = app
        .get(&format!("/suppliers/{id}"), &dcookie)
        .await
        .expect(200)
        .text();
    assert!(page.contains("Ahmed") && !page.contains("Add a contact"));
    app.get("/suppliers/new", &dcookie).await.expect(403);
    // A client user sees neither the link nor the pages.
    let (ccookie, _) = app.login(&cli.user.email, crate::support::PASSWORD).await;
    let home = app.get("/", &ccookie).await.text();
    assert!(!home.contains("href=\"/suppliers\""));
    app.get("/suppliers", &ccookie).await.expect(403);
    app.get(&format!("/suppliers/{id}"), &ccookie)
        .await
        .expect(404);
}

#[tokio::test]
async fn administrators_set_the_purchasing_settings_on_their_page() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app.user(&admin, "project_manager", "Paula", None).await;
    let (cookie, _) = app
        .login("admin@example.com", crate::support::PASSWORD)
        .await;
    let page = app
        .get("/admin/company/purchasing", &cookie)
        .await
        .expect(200)
        .text();
    // A fresh installation: nothing asks for the company's details first.
    assert!(!page.contains("details</a> first"), "{page}");
    let bad = form(
        &app,
        "/admin/company/purchasing",
        &cookie,
        &[("version", "0"), ("currency_0", "U$D"), ("limit_0", "5")],
    )
    .await
    .expect(422)
    .text();
    assert!(bad.contains("three-letter"), "{bad}");
    form(
        &app,
        "/admin/company/purchasing",
        &cookie,
        &[
            ("version", "0"),
            ("craftsmen_see_prices", "1"),
            ("currency_0", "usd"),
            ("limit_0", "5000.50"),
        ],
    )
    .await
    .expect(303);
    // The company's details are saved afterwards and keep the settings.
    app.call(
        Method::PUT,
        "/api/v1/company",
        &admin.auth,
        Some(json!({"name": "Northwind", "version": 1})),
    )
    .await
    .expect(200);
    let kept = app
        .get("/api/v1/company/purchasing", &admin.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(kept["craftsmen_see_prices"], true);
    assert_eq!(kept["version"], 2);
    assert_eq!(
        app.services.po_approval_limit("USD").await.unwrap(),
        Some(500_050)
    );
    let page = app
        .get("/admin/company/purchasing", &cookie)
        .await
        .expect(200)
        .text();
    assert!(page.contains("value=\"5,000.50\""), "{page}");
    let (pcookie, _) = app.login(&pm.user.email, crate::support::PASSWORD).await;
    app.get("/admin/company/purchasing", &pcookie)
        .await
        .expect(403);
}

#[tokio::test]
async fn specifications_name_a_supplier_of_the_directory() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let a = &admin.auth;
    let client_id = app.client(a, "Alpha Hotels").await;
    let project = app.project(a, "Lobby", &client_id, &admin.id()).await;
    let veneer = app
        .post(
            "/api/v1/suppliers",
            a,
            json!({"name": "Veneer Co", "lead_time_days": 28}),
        )
        .await
        .expect(201)
        .json();
    let supplier = id_of(&veneer);
    let spec = app
        .post(
            &format!("/api/v1/projects/{project}/specs"),
            a,
            json!({"code": "V-01", "description": "Walnut veneer", "category": "veneer",
                   "supplier_id": supplier}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(spec["supplier_id"], supplier.as_str());
    assert_eq!(spec["supplier_name"], "Veneer Co");
    // Without a lead time of its own it takes the supplier's.
    assert_eq!(spec["lead_time_days"], 28);
    let id = id_of(&spec);
    // The supplier's page lists it.
    let d = app
        .get(&format!("/api/v1/suppliers/{supplier}"), a)
        .await
        .expect(200)
        .json();
    assert_eq!(d["specs"][0]["code"], "V-01");
    // An unknown supplier is named; an archived one is not offered for new choices.
    let bad = app
        .patch(
            &format!("/api/v1/specs/{id}"),
            a,
            json!({"version": 1, "supplier_id": uuid::Uuid::now_v7()}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(bad.to_string().contains("supplier_id"), "{bad}");
    let other = id_of(
        &app.post("/api/v1/suppliers", a, json!({"name": "Old Timber"}))
            .await
            .expect(201)
            .json(),
    );
    app.call(
        Method::POST,
        &format!("/api/v1/suppliers/{other}/archive?version=1"),
        a,
        None,
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/specs/{id}"),
        a,
        json!({"version": 1, "supplier_id": other}),
    )
    .await
    .problem(422, "validation_failed");
    // Cleared with null.
    let cleared = app
        .patch(
            &format!("/api/v1/specs/{id}"),
            a,
            json!({"version": 1, "supplier_id": null}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(cleared["supplier_id"], Value::Null);
    assert_eq!(cleared["supplier_name"], Value::Null);
    // The page shows the directory's name, linked.
    let (cookie, _) = app
        .login("admin@example.com", crate::support::PASSWORD)
        .await;
    app.patch(
        &format!("/api/v1/specs/{id}"),
        a,
        json!({"version": 2, "supplier_id": supplier}),
    )
    .await
    .expect(200);
    let page = app
        .get(&format!("/specs/{id}"), &cookie)
        .await
        .expect(200)
        .text();
    assert!(
        page.contains(&format!("href=\"/suppliers/{supplier}\">Veneer Co</a>")),
        "{page}"
    );
    let edit = app
        .get(&format!("/specs/{id}/edit"), &cookie)
        .await
        .expect(200)
        .text();
    assert!(edit.contains("Add a supplier to the directory"));
    assert!(
        edit.contains(&format!(
            "<option value=\"{supplier}\" selected>Veneer Co</option>"
        )),
        "{edit}"
    );
}
