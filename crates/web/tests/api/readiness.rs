//! The whole millwork flow through the API: a BOQ imported, a drawing revised and approved,
//! materials approved and ordered, the readiness gate opening, and the release to
//! production (refused while blocked, overridden only by an administrator with a reason).

use axum::http::Method;
use serde_json::{Value, json};

use crate::drawings::upload;
use crate::support::{Resp, TestApp, id_of};

fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {marker}\n%%EOF\n").into_bytes()
}

#[tokio::test]
async fn an_item_becomes_ready_and_goes_to_production() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let coordinator = app
        .user(&admin, "coordinator", "Cory Coordinator", None)
        .await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app.project(&pm.auth, "Lobby", &client, &pm.id()).await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    app.member(&pm.auth, &project, &coordinator, "coordinator")
        .await;

    // 1. The BOQ: a millwork item (needs drawing + spec) and an electrical one (needs neither).
    let csv = "Group,Item code,Name,Qty,Unit,Rate,Progress %\nMillwork,M-1,Reception desk,1,set,12500,20\nElectrical,E-1,Floor boxes,4,pcs,85,0\n";
    let import = format!("/api/v1/projects/{project}/scope/import?dry_run=false&file_name=boq.csv");
    app.send(TestApp::build(
        Method::POST,
        &import,
        &pm.auth,
        &[("content-type", "text/csv")],
        Some(axum::body::Body::from(csv)),
        false,
    ))
    .await
    .expect(200);
    let scope: Value = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .json();
    let desk = scope["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "M-1")
        .unwrap()
        .clone();
    let desk_id = id_of(&desk);
    let readiness = format!("/api/v1/projects/{project}/readiness");
    let r: Value = app.get(&readiness, &pm.auth).await.expect(200).json();
    assert_eq!(
        (
            r["overall"]["items"].as_i64(),
            r["overall"]["ready"].as_i64()
        ),
        (Some(2), Some(1))
    );
    let kinds = |r: &Value| -> Vec<String> {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "M-1")
            .unwrap()["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds(&r), ["missing_drawing", "missing_spec"]);
    let desk_r = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "M-1")
        .unwrap();
    assert_eq!(
        desk_r["warnings"][0],
        "Progress recorded (20 %) while the item is blocked"
    );

    // Released while blocked: refused, with every reason.
    let release = format!("/api/v1/scope-items/{desk_id}/release");
    let v = app
        .post(&release, &pm.auth, json!({"version": 1}))
        .await
        .problem(409, "not_ready");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("No shop drawing is linked"),
        "{v}"
    );
    app.post(
        &release,
        &pm.auth,
        json!({"version": 1, "override_reason": "Urgent"}),
    )
    .await
    .problem(403, "forbidden");

    // 2. The drawing: rev A sent back, rev B approved.
    let d = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/drawings"),
            &designer.auth,
            json!({"number": "SD-1", "title": "Desk", "scope_item_ids": [desk_id]}),
        )
        .await
        .expect(201)
        .json(),
    );
    let a = id_of(
        &upload(&app, &designer.auth, &d, "a.pdf", &pdf("a"))
            .await
            .expect(201)
            .json(),
    );
    app.post(
        &format!("/api/v1/drawing-revisions/{a}/submit"),
        &designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    let r: Value = app.get(&readiness, &pm.auth).await.json();
    assert_eq!(kinds(&r), ["drawing_awaiting_review", "missing_spec"]);
    assert_eq!(r["next_steps"][0]["action"], "Add and link material specs");
    app.post(
        &format!("/api/v1/drawing-revisions/{a}/review"),
        &pm.auth,
        json!({"decision": "revise_and_resubmit", "comments": "Deeper plinth", "version": 2}),
    )
    .await
    .expect(200);
    let r: Value = app.get(&readiness, &pm.auth).await.json();
    assert_eq!(kinds(&r)[0], "drawing_revise_resubmit");
    let b = id_of(
        &upload(&app, &designer.auth, &d, "b.pdf", &pdf("b"))
            .await
            .expect(201)
            .json(),
    );
    app.post(
        &format!("/api/v1/drawing-revisions/{b}/submit"),
        &designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/drawing-revisions/{b}/review"),
        &pm.auth,
        json!({"decision": "approved", "version": 2}),
    )
    .await
    .expect(200);

    // 3. The material: approved, then not ordered blocks (by the project's rule), ordered frees.
    let spec = app
        .post(
            &format!("/api/v1/projects/{project}/specs"),
            &designer.auth,
            json!({
                "code": "V-01", "description": "Walnut veneer, book-matched", "category": "veneer",
                "quantity": "12.5", "unit": "m²", "unit_cost_minor": 8000, "lead_time_days": 21,
                "needed_on": "2020-01-31", "scope_item_ids": [desk_id], "drawing_ids": [d]
            }),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(spec["total_minor"], 100_000);
    let s = id_of(&spec);
    app.post(
        &format!("/api/v1/specs/{s}/submit"),
        &designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/specs/{s}/review"),
        &designer.auth,
        json!({"decision": "approved", "version": 2}),
    )
    .await
    .problem(403, "forbidden");
    let approved = app
        .post(
            &format!("/api/v1/specs/{s}/review"),
            &pm.auth,
            json!({"decision": "approved", "version": 2}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(approved["procurement"], "to_order");
    // An approved spec's content is locked.
    app.patch(
        &format!("/api/v1/specs/{s}"),
        &designer.auth,
        json!({"description": "Oak", "version": 3}),
    )
    .await
    .problem(409, "locked");
    let r: Value = app.get(&readiness, &pm.auth).await.json();
    assert_eq!(
        kinds(&r),
        ["material_late"],
        "needed long ago and not ordered"
    );
    let list: Value = app
        .get(
            &format!("/api/v1/projects/{project}/specs?late=true"),
            &pm.auth,
        )
        .await
        .json();
    assert_eq!(list["late"], json!(["V-01"]));
    assert_eq!(list["costs"][0]["budget_minor"], 100_000);
    assert_eq!(list["costs"][0]["committed_minor"], 0);
    // The project may decide approval is enough; then the item is ready.
    app.call(
        Method::PUT,
        &format!("/api/v1/projects/{project}/readiness/rule"),
        &pm.auth,
        Some(json!({"materials_rule": "approved"})),
    )
    .await
    .expect(204);
    let r: Value = app.get(&readiness, &pm.auth).await.json();
    assert!(kinds(&r).is_empty());
    app.call(
        Method::PUT,
        &format!("/api/v1/projects/{project}/readiness/rule"),
        &pm.auth,
        Some(json!({"materials_rule": "ordered"})),
    )
    .await
    .expect(204);
    // Ordering needs the PO; the coordinator records it.
    let procure = format!("/api/v1/specs/{s}/procurement");
    let v = app
        .post(
            &procure,
            &coordinator.auth,
            json!({"status": "ordered", "version": 3}),
        )
        .await
        .problem(422, "validation_failed");
    let mut f = Resp::fields(&v);
    f.sort();
    assert_eq!(f, ["expected_delivery", "po_number", "supplier"]);
    app.post(
        &procure,
        &coordinator.auth,
        json!({"status": "delivered", "version": 3}),
    )
    .await
    .problem(409, "invalid_transition");
    app.post(&procure, &coordinator.auth, json!({"status": "ordered", "po_number": "PO-7781", "supplier": "Veneer Co", "order_date": "2026-02-01", "expected_delivery": "2026-02-20", "version": 3}))
        .await
        .expect(200);
    app.post(
        &procure,
        &coordinator.auth,
        json!({"status": "partially_delivered", "delivered_quantity": "5", "version": 4}),
    )
    .await
    .expect(200);
    let list: Value = app
        .get(&format!("/api/v1/projects/{project}/specs"), &pm.auth)
        .await
        .json();
    assert_eq!(
        (
            list["costs"][0]["committed_minor"].as_i64(),
            list["costs"][0]["actual_minor"].as_i64()
        ),
        (Some(100_000), Some(40_000))
    );

    // The order made the desk ready: its project manager hears of it (the coordinator, who
    // ordered, does not), once.
    let inbox = |who: &'static str| {
        let auth = if who == "pm" {
            &pm.auth
        } else {
            &coordinator.auth
        };
        app.get("/api/v1/notifications?category=production", auth)
    };
    let told: Value = inbox("pm").await.expect(200).json();
    let titles: Vec<&str> = told["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["M-1 Reception desk is ready for production"]);
    assert_eq!(told["items"][0]["event"], "item_ready");
    assert_eq!(told["items"][0]["internal"], true);
    let own: Value = inbox("coordinator").await.expect(200).json();
    assert_eq!(own["items"].as_array().unwrap().len(), 0);

    // The project may want materials delivered in full: 5 of 12.5 m² is not enough, and
    // the blocker says how much is still to come.
    let rule = format!("/api/v1/projects/{project}/readiness/rule");
    app.call(
        Method::PUT,
        &rule,
        &pm.auth,
        Some(json!({"materials_rule": "delivered"})),
    )
    .await
    .expect(204);
    let r: Value = app.get(&readiness, &pm.auth).await.json();
    assert_eq!(r["materials_rule"], "delivered");
    assert_eq!(r["require_materials_ordered"], true);
    assert_eq!(kinds(&r), ["material_not_delivered"]);
    assert!(
        r.to_string()
            .contains("Material V-01 is partially delivered: 7.5 m² of 12.5 m² still to come"),
        "{r}"
    );
    app.call(
        Method::PUT,
        &rule,
        &pm.auth,
        Some(json!({"materials_rule": "always"})),
    )
    .await
    .expect(422);
    app.call(
        Method::PUT,
        &rule,
        &pm.auth,
        Some(json!({"materials_rule": "ordered"})),
    )
    .await
    .expect(204);

    // 4. Ready: every item, and the release goes through once.
    let r: Value = app.get(&readiness, &pm.auth).await.json();
    assert_eq!(
        (
            r["overall"]["ready"].as_i64(),
            r["overall"]["percent"].as_i64()
        ),
        (Some(2), Some(100))
    );
    let released = app
        .post(&release, &pm.auth, json!({"version": 1}))
        .await
        .expect(200)
        .json();
    assert!(released["released_at"].is_string());
    assert!(released["release_note"].is_null());
    app.post(&release, &pm.auth, json!({"version": 2}))
        .await
        .problem(409, "already_released");
    let r: Value = app.get(&readiness, &pm.auth).await.json();
    assert_eq!(
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "M-1")
            .unwrap()["released"],
        true
    );

    // An administrator may release a blocked item, with a written reason that is audited.
    let extra = app
        .post(
            &format!("/api/v1/projects/{project}/scope-items"),
            &pm.auth,
            json!({"group_id": desk["group_id"], "name": "Wall panels"}),
        )
        .await
        .expect(201)
        .json();
    let extra_release = format!("/api/v1/scope-items/{}/release", id_of(&extra));
    let v = app
        .post(&extra_release, &admin.auth, json!({"version": 1}))
        .await
        .problem(409, "not_ready");
    assert_eq!(v["errors"].as_array().unwrap().len(), 2);
    let item = app
        .post(
            &extra_release,
            &admin.auth,
            json!({"version": 1, "override_reason": "Client signed the sample board on site"}),
        )
        .await
        .expect(200)
        .json();
    assert!(
        item["release_note"]
            .as_str()
            .unwrap()
            .contains("Client signed the sample board on site")
    );
    // The project manager hears of the release anyway, with its reason.
    let told: Value = app
        .get("/api/v1/notifications?category=production", &pm.auth)
        .await
        .expect(200)
        .json();
    let released = told["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["event"] == "item_released")
        .expect("an item_released notification");
    assert!(
        released["title"]
            .as_str()
            .unwrap()
            .contains("to production anyway, while blocked"),
        "{released}"
    );
    assert_eq!(
        released["excerpt"],
        "Client signed the sample board on site"
    );
    let trail: Value = app
        .get(
            &format!(
                "/api/v1/audit?entity_type=scope_item&entity_id={}&action=release_override",
                id_of(&extra)
            ),
            &admin.auth,
        )
        .await
        .json();
    assert_eq!(trail["total"], 1);
}

#[tokio::test]
async fn materials_and_readiness_pages_work_without_javascript() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app
        .project(&admin.auth, "Lobby", &client, &admin.id())
        .await;
    let (web, _) = app
        .login("admin@example.com", crate::support::PASSWORD)
        .await;
    let form = |path: String, fields: Vec<(&'static str, String)>| {
        let body = serde_urlencoded::to_string(&fields).unwrap();
        app.send(TestApp::build(
            Method::POST,
            &path,
            &web,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(axum::body::Body::from(body)),
            false,
        ))
    };
    let scope: Value = app
        .get(&format!("/api/v1/projects/{project}/scope"), &admin.auth)
        .await
        .json();
    let item = id_of(
        &app.post(&format!("/api/v1/projects/{project}/scope-items"), &admin.auth, json!({"group_id": scope["groups"][1]["id"], "name": "Desk", "drawing_required": false}))
            .await
            .expect(201)
            .json(),
    );
    let materials = format!("/projects/{project}/materials");
    assert!(
        app.get(&materials, &web)
            .await
            .expect(200)
            .text()
            .contains("No material specifications yet")
    );
    let html = form(
        materials.clone(),
        vec![
            ("code", "V-01".into()),
            ("description", "".into()),
            ("category", "veneer".into()),
            ("quantity", "2".into()),
            ("unit", "pcs".into()),
        ],
    )
    .await
    .expect(422)
    .text();
    assert!(html.contains("is required"));
    let created = form(
        materials.clone(),
        vec![
            ("code", "V-01".into()),
            ("description", "Walnut veneer".into()),
            ("category", "veneer".into()),
            ("quantity", "2".into()),
            ("unit", "pcs".into()),
            ("unit_cost", "150".into()),
            ("supplier", "Veneer Co".into()),
            ("lead_time_days", "10".into()),
            ("needed_on", "2099-01-01".into()),
        ],
    )
    .await
    .expect(303);
    let page = created
        .header("location")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let spec = page.trim_start_matches("/specs/").to_owned();
    form(
        format!("{page}/scope-items"),
        vec![("version", "1".into()), ("scope_item_id", item.clone())],
    )
    .await
    .expect(303);
    form(format!("{page}/submit"), vec![("version", "2".into())])
        .await
        .expect(303);
    form(
        format!("{page}/review"),
        vec![("version", "3".into()), ("decision", "approved".into())],
    )
    .await
    .expect(303);

    // Blocked by the order; the page says so and offers the administrator an override only.
    let readiness = format!("/projects/{project}/readiness");
    let html = app.get(&readiness, &web).await.expect(200).text();
    assert!(
        html.contains("Material V-01 is approved but not ordered yet"),
        "{html}"
    );
    assert!(html.contains("Release anyway") && !html.contains(">Release to production<"));
    let html = form(
        format!("/scope-items/{item}/release"),
        vec![("version", "1".into()), ("project_id", project.clone())],
    )
    .await
    .expect(409)
    .text();
    assert!(html.contains("not ready for production"), "{html}");

    // Ordered from the spec page: ready, released from the Readiness tab.
    let html = form(
        format!("{page}/procurement"),
        vec![("version", "4".into()), ("status", "ordered".into())],
    )
    .await
    .expect(422)
    .text();
    assert!(html.contains("is required to record an order"));
    form(
        format!("{page}/procurement"),
        vec![
            ("version", "4".into()),
            ("status", "ordered".into()),
            ("po_number", "PO-1".into()),
            ("expected_delivery", "2099-01-01".into()),
        ],
    )
    .await
    .expect(303);
    let html = app.get(&readiness, &web).await.expect(200).text();
    assert!(
        html.contains("Ready for production: 1 of 1 items (100 %)"),
        "{html}"
    );
    form(
        format!("/scope-items/{item}/release"),
        vec![("version", "1".into()), ("project_id", project.clone())],
    )
    .await
    .expect(303);
    assert!(app.get(&readiness, &web).await.text().contains("Released"));
    assert!(app.get(&materials, &web).await.text().contains("Committed"));
    let detail: Value = app
        .get(&format!("/api/v1/specs/{spec}"), &admin.auth)
        .await
        .json();
    assert_eq!(detail["spec"]["procurement"], "ordered");
    // The materials export, read back by a third-party reader.
    let xlsx = app
        .get(&format!("{materials}/export?format=xlsx"), &web)
        .await
        .expect(200)
        .body
        .to_vec();
    let table = formula_reports::read_table(&xlsx, "m.xlsx").unwrap();
    assert_eq!(
        table.rows[0].cells[..3],
        ["V-01", "Walnut veneer", "Veneer"]
    );
    let csv = app
        .get(&format!("{materials}/export?format=csv"), &web)
        .await
        .expect(200)
        .text();
    assert!(csv.contains("V-01,Walnut veneer,Veneer"), "{csv}");
}
