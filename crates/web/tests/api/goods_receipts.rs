//! Goods receipts over the API: receiving an order in parts, the over-delivery refused
//! unless accepted with a reason, a retry with the same `Idempotency-Key` recording nothing,
//! late lines flagged, no price on receiving, and client users told nothing exists. Orders
//! and their lines are written beneath the use cases (the purchase-order use cases are
//! another part's).

use axum::http::Method;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::support::TestApp;

const PHOTO: &[u8] = include_bytes!("fixtures/photos/orient-6-gps.jpg");

/// Runs statements on the test app's SQLite file, beneath the use cases.
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

/// A sent order of `project` created by `creator`, with one line of `units` at 25.00 each
/// required by `required_on`, linked to `spec` when given: `(order id, line id)`.
pub async fn sent_order(
    app: &TestApp,
    project: &str,
    creator: &str,
    units: i64,
    required_on: &str,
    spec: Option<&str>,
) -> (String, String) {
    let (supplier, order, line) = (
        uuid::Uuid::now_v7().to_string(),
        uuid::Uuid::now_v7().to_string(),
        uuid::Uuid::now_v7().to_string(),
    );
    let ts = "'2026-01-01T12:00:00.000000Z'";
    let number = format!("PO-2026-{}", &order[24..]);
    let spec = spec.map_or("NULL".to_owned(), blob);
    sql(
        app,
        &[
            format!(
                "INSERT INTO suppliers (id, name, categories, archived, created_at, updated_at, version) \
                 VALUES ({}, 'Supplier {}', '', 0, {ts}, {ts}, 1)",
                blob(&supplier),
                &supplier[24..]
            ),
            format!(
                "INSERT INTO purchase_orders (id, project_id, supplier_id, number, status, currency, \
                 total_minor, created_by, created_at, updated_at, version) VALUES ({}, {}, {}, '{number}', \
                 'sent', 'USD', {}, {}, {ts}, {ts}, 1)",
                blob(&order),
                blob(project),
                blob(&supplier),
                units * 2500,
                blob(creator),
            ),
            format!(
                "INSERT INTO purchase_order_lines (id, purchase_order_id, position, spec_id, \
                 description, quantity_milli, unit, unit_price_minor, total_minor, required_on, \
                 received_milli) VALUES ({}, {}, 1, {spec}, 'Walnut veneer sheets', {}, 'sheet', \
                 2500, {}, '{required_on}', 0)",
                blob(&line),
                blob(&order),
                units * 1000,
                units * 2500,
            ),
        ],
    )
    .await;
    (order, line)
}

#[tokio::test]
async fn an_order_is_received_in_parts_and_never_past_its_quantity_unless_accepted() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let project = app.project(&pm.auth, "Lobby", &client, &pm.id()).await;
    let (order, line) = sent_order(&app, &project, &pm.id(), 10, "2020-01-01", None).await;
    let receipts = format!("/api/v1/purchase-orders/{order}/receipts");

    let r = app
        .get(
            &format!("/api/v1/purchase-orders/{order}/receiving"),
            &pm.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(r["order"]["lines"][0]["remaining"], "10");
    assert_eq!(
        r["order"]["lines"][0]["late"], true,
        "past its required date"
    );
    assert_eq!(r["may_receive"], true);
    let text = r.to_string();
    assert!(!text.contains("2500") && !text.contains("price"), "{text}");

    let first = json!({"delivery_note": "DN-881", "lines": [{"line_id": line, "quantity": "4"}]});
    let made = app
        .call_with(
            Method::POST,
            &receipts,
            &pm.auth,
            &[("idempotency-key", "k-1")],
            Some(first.clone()),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(made["lines"][0]["quantity"], "4");
    assert_eq!(made["received_by_name"], "Paula Manager");
    // The same key again: nothing new, the same receipt.
    let again = app
        .call_with(
            Method::POST,
            &receipts,
            &pm.auth,
            &[("idempotency-key", "k-1")],
            Some(first),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(again["id"], made["id"]);

    let over = json!({"lines": [{"line_id": line, "quantity": "7"}]});
    let refused = app.post(&receipts, &pm.auth, over).await.expect(409).json();
    assert_eq!(refused["code"], "over_delivery");
    assert!(
        refused.to_string().contains("only 6 of 10 left"),
        "{refused}"
    );
    let no_reason =
        json!({"lines": [{"line_id": line, "quantity": "7", "accept_over_delivery": true}]});
    app.post(&receipts, &pm.auth, no_reason).await.expect(422);
    let accepted = json!({"received_by_name": "Gate keeper", "lines": [{"line_id": line, "quantity": "7",
        "accept_over_delivery": true, "over_delivery_reason": "Spare sheet kept for repairs"}]});
    app.post(&receipts, &pm.auth, accepted).await.expect(201);
    let list: Value = app.get(&receipts, &pm.auth).await.expect(200).json();
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[0]["received_by_name"], "Gate keeper");
    assert_eq!(
        list[0]["lines"][0]["over_delivery_reason"],
        "Spare sheet kept for repairs"
    );
    let r = app
        .get(
            &format!("/api/v1/purchase-orders/{order}/receiving"),
            &pm.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(r["order"]["status"], "received");
    assert_eq!(r["order"]["lines"][0]["received"], "11");
    assert_eq!(r["may_receive"], false);
    // A received order takes no more.
    let more = json!({"lines": [{"line_id": line, "quantity": "1", "accept_over_delivery": true,
        "over_delivery_reason": "x"}]});
    let e = app.post(&receipts, &pm.auth, more).await.expect(409).json();
    assert_eq!(e["code"], "not_receivable");
    // Bad input is a 422 naming the field, never a 500.
    let bad = json!({"received_on": "2999-01-01", "lines": [{"line_id": order, "quantity": "1"}]});
    let e = app.post(&receipts, &pm.auth, bad).await.expect(422).json();
    let said = e.to_string();
    assert!(
        said.contains("received_on") && said.contains("lines[0]"),
        "{said}"
    );
}

/// The receiving page: no price, a quantity per line prefilled with what is left, a camera
/// control and a fresh idempotency key; the form sent twice records once (with its photo);
/// an over-delivery without a reason comes back beside the field; client users are told
/// nothing exists.
#[tokio::test]
async fn the_receiving_page_records_once_per_form_with_its_photo() {
    use crate::drawings::multipart;
    use crate::support::Auth;
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let carl = app.user(&admin, "craftsman", "Carl Craftsman", None).await;
    let cleo = app
        .user(&admin, "client", "Cleo Client", Some(&client))
        .await;
    let project = app.project(&pm.auth, "Lobby", &client, &pm.id()).await;
    app.member(&pm.auth, &project, &carl, "craftsman").await;
    let (order, line) = sent_order(&app, &project, &pm.id(), 10, "2030-01-01", None).await;
    let page = format!("/purchase-orders/{order}/receive");

    let (carl_web, _) = app.login(&carl.user.email, crate::support::PASSWORD).await;
    let Auth::Cookie {
        token,
        csrf: Some(csrf),
    } = &carl_web
    else {
        panic!("cookie auth")
    };
    let browser = Auth::Cookie {
        token: token.clone(),
        csrf: None,
    };
    let html = app.get(&page, &carl_web).await.expect(200).text();
    assert!(
        html.contains(&format!(
            "name=\"q-{line}\" inputmode=\"decimal\" value=\"10\""
        )),
        "{html}"
    );
    assert!(html.contains("accept=\"image/*\" capture=\"environment\""));
    assert!(
        !html.contains("25.00") && !html.contains("2500"),
        "no price"
    );
    let key = html
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's key")
        .to_owned();
    let q_field = format!("q-{line}");
    let over_field = format!("over-{line}");
    let post = |quantity: &str, over: &str, key: &str| {
        let (mime, body) = multipart(
            "delivery.jpg",
            PHOTO,
            &[
                ("_csrf", csrf.as_str()),
                ("idempotency_key", key),
                (q_field.as_str(), quantity),
                (over_field.as_str(), over),
                ("received_on", ""),
                ("delivery_note", "DN-77"),
                ("received_by_name", "Carl Craftsman"),
                ("note", ""),
            ],
        );
        TestApp::build(
            Method::POST,
            &format!("/purchase-orders/{order}/receipts"),
            &browser,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        )
    };
    for _ in 0..2 {
        let done = app.send(post("6", "", &key)).await.expect(303);
        assert_eq!(
            done.header("location").unwrap(),
            format!("/purchase-orders/{order}/receive?m=received")
        );
    }
    let list: Value = app
        .get(
            &format!("/api/v1/purchase-orders/{order}/receipts"),
            &pm.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "recorded once");
    assert_eq!(list[0]["delivery_note"], "DN-77");
    assert_eq!(list[0]["photos"].as_array().map(Vec::len), Some(1));
    // More than is left, accepted without a reason: the page again, the reason beside it.
    let refused = app
        .send(post("5", "1", "another-key"))
        .await
        .expect(422)
        .text();
    assert!(
        refused.contains("say why more than ordered is accepted"),
        "{refused}"
    );
    let refused = app
        .send(post("5", "", "a-third-key"))
        .await
        .expect(422)
        .text();
    assert!(refused.contains("only 4 of 10 left"), "{refused}");
    let html = app
        .get(&format!("{page}?m=received"), &carl_web)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("Receipt recorded.") && html.contains("/thumbnail\""),
        "{html}"
    );
    // A client user is told it does not exist.
    let (cleo_web, _) = app.login(&cleo.user.email, crate::support::PASSWORD).await;
    app.get(&page, &cleo_web).await.expect(404);
}

/// Cost control: an order line linked to a scope item commits its total to the item, and
/// what is received of it counts as actual; the Scope tab shows the columns to those who
/// may see purchase prices and to nobody else.
#[tokio::test]
async fn committed_and_received_cost_reach_the_scope_tab_of_those_who_see_prices() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let dana = app.user(&admin, "designer", "Dana Designer", None).await;
    let project = app.project(&pm.auth, "Lobby", &client, &pm.id()).await;
    app.member(&pm.auth, &project, &dana, "designer").await;
    let scope = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .expect(200)
        .json();
    let group = scope["groups"][1]["id"].as_str().unwrap().to_owned();
    let item = app
        .post(
            &format!("/api/v1/projects/{project}/scope-items"),
            &pm.auth,
            json!({"group_id": group, "name": "Reception desk", "quantity": "1",
                "budget_cost_minor": 20000, "drawing_required": false, "spec_required": false}),
        )
        .await
        .expect(201)
        .json();
    let item_id = item["id"].as_str().unwrap().to_owned();
    let (order, line) = sent_order(&app, &project, &pm.id(), 10, "2030-01-01", None).await;
    sql(
        &app,
        &[format!(
            "UPDATE purchase_order_lines SET scope_item_id = {} WHERE id = {}",
            blob(&item_id),
            blob(&line)
        )],
    )
    .await;
    app.post(
        &format!("/api/v1/purchase-orders/{order}/receipts"),
        &pm.auth,
        json!({"lines": [{"line_id": line, "quantity": "2"}]}),
    )
    .await
    .expect(201);
    let costs = app
        .get(
            &format!("/api/v1/projects/{project}/cost-control"),
            &pm.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(costs["items"][&item_id]["committed_minor"], 25000);
    assert_eq!(costs["items"][&item_id]["actual_minor"], 5000);
    assert_eq!(costs["items"][&item_id]["budget_minor"], 20000);
    assert_eq!(costs["total"]["committed_minor"], 25000);
    assert_eq!(costs["groups"][&group]["committed_minor"], 25000);

    let (pm_web, _) = app.login(&pm.user.email, crate::support::PASSWORD).await;
    let tab = app
        .get(&format!("/projects/{project}/scope"), &pm_web)
        .await
        .expect(200)
        .text();
    assert!(
        tab.contains("Committed (orders)") && tab.contains("250.00"),
        "{tab}"
    );
    let (dana_web, _) = app.login(&dana.user.email, crate::support::PASSWORD).await;
    let tab = app
        .get(&format!("/projects/{project}/scope"), &dana_web)
        .await
        .expect(200)
        .text();
    assert!(
        !tab.contains("Committed") && !tab.contains("250.00"),
        "no prices for a designer"
    );
}
