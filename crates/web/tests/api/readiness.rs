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
    // Ordering and delivery are no longer recorded on the specification by hand: they are
    // refused, telling what to do instead.
    let procure = format!("/api/v1/specs/{s}/procurement");
    for (status, says) in [
        ("ordered", "raise one from it"),
        ("partially_delivered", "Receive goods"),
        ("delivered", "Receive goods"),
    ] {
        let v = app
            .post(
                &procure,
                &coordinator.auth,
                json!({"status": status, "version": 3}),
            )
            .await
            .problem(422, "validation_failed");
        assert_eq!(Resp::fields(&v), ["status"]);
        assert!(v.to_string().contains(says), "{v}");
    }
    // The old order fields are gone from the request.
    app.post(
        &procure,
        &coordinator.auth,
        json!({"status": "ordered", "po_number": "PO-7781", "version": 3}),
    )
    .await
    .expect(422);
    // Not delivered yet: it cannot be installed either.
    app.post(
        &procure,
        &coordinator.auth,
        json!({"status": "installed", "version": 3}),
    )
    .await
    .problem(409, "invalid_transition");

    // The coordinator names its supplier from the directory and raises a purchase order
    // from it; an administrator approves it (no approval limit is set) and the coordinator
    // sends it: the specification is ordered. Half of it arrives.
    let veneer = app
        .post(
            "/api/v1/suppliers",
            &coordinator.auth,
            json!({"name": "Veneer Co", "email": "orders@veneer.example"}),
        )
        .await
        .expect(201)
        .json();
    app.patch(
        &format!("/api/v1/specs/{s}"),
        &coordinator.auth,
        json!({"supplier_id": veneer["id"], "version": 3}),
    )
    .await
    .expect(200);
    let po = app
        .post(
            &format!("/api/v1/projects/{project}/purchase-orders"),
            &coordinator.auth,
            json!({"spec_ids": [s]}),
        )
        .await
        .expect(201)
        .json();
    let po_id = id_of(&po);
    let approved = app
        .post(
            &format!("/api/v1/purchase-orders/{po_id}/approve"),
            &admin.auth,
            json!({"version": po["version"]}),
        )
        .await
        .expect(200)
        .json();
    app.post(
        &format!("/api/v1/purchase-orders/{po_id}/send"),
        &coordinator.auth,
        json!({"version": approved["version"]}),
    )
    .await
    .expect(200);
    let line = po["lines"][0]["id"].clone();
    app.post(
        &format!("/api/v1/purchase-orders/{po_id}/receipts"),
        &coordinator.auth,
        json!({"lines": [{"line_id": line, "quantity": "5"}]}),
    )
    .await
    .expect(201);
    let ordered: Value = app
        .get(&format!("/api/v1/specs/{s}"), &pm.auth)
        .await
        .json();
    assert_eq!(
        (
            ordered["spec"]["procurement"].as_str(),
            ordered["spec"]["delivered_quantity"].as_str()
        ),
        (Some("partially_delivered"), Some("5"))
    );
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
    let veneer = id_of(
        &app.post(
            "/api/v1/suppliers",
            &admin.auth,
            json!({"name": "Veneer Co", "email": "orders@veneer.example"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let materials = format!("/projects/{project}/materials");
    let html = app.get(&materials, &web).await.expect(200).text();
    assert!(html.contains("No material specifications yet"));
    // The add form offers the directory's suppliers, not a free-text box.
    assert!(
        html.contains(&format!("<option value=\"{veneer}\">Veneer Co</option>")),
        "{html}"
    );
    assert!(!html.contains("name=\"supplier\""));
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
            ("supplier_id", veneer.clone()),
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

    // The spec page records no order by hand: ordering by hand is refused, and the page
    // offers a purchase order instead.
    let html = app.get(&page, &web).await.expect(200).text();
    assert!(!html.contains("p-po_number") && !html.contains("name=\"po_number\""));
    assert!(html.contains("Veneer Co"), "{html}");
    assert!(html.contains("Not on any purchase order yet"), "{html}");
    assert!(html.contains("Raise purchase order"), "{html}");
    let html = form(
        format!("{page}/procurement"),
        vec![("version", "4".into()), ("status", "ordered".into())],
    )
    .await
    .expect(422)
    .text();
    assert!(html.contains("raise one from it"), "{html}");

    // Raised from the spec page, approved and sent: ordered, ready, released from the
    // Readiness tab.
    let raised = form(
        format!("/projects/{project}/purchasing/raise"),
        vec![("spec_id", spec.clone())],
    )
    .await
    .expect(303);
    let order = raised
        .header("location")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    form(format!("{order}/approve"), vec![("version", "1".into())])
        .await
        .expect(303);
    form(format!("{order}/send"), vec![("version", "2".into())])
        .await
        .expect(303);
    let html = app.get(&page, &web).await.expect(200).text();
    assert!(
        html.contains("chip-sent") && html.contains(&format!("href=\"{order}\"")),
        "the spec page lists its order: {html}"
    );
    assert!(!html.contains("Raise purchase order"), "ordered already");
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
