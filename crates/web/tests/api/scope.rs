//! The scope of work through the API: groups, items with exact totals and suggested
//! codes, ordering, two people editing one item, project progress, and spreadsheet
//! import and export.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{Auth, TestApp, TestUser, id_of};

struct Boq {
    app: TestApp,
    admin: TestUser,
    pm: TestUser,
    project: String,
}

async fn boq() -> Boq {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app
        .project(&pm.auth, "Lobby joinery", &client, &pm.id())
        .await;
    Boq {
        app,
        admin,
        pm,
        project,
    }
}

impl Boq {
    async fn scope(&self, auth: &Auth) -> Value {
        self.app
            .get(&format!("/api/v1/projects/{}/scope", self.project), auth)
            .await
            .expect(200)
            .json()
    }

    async fn group(&self, name: &str) -> String {
        let scope = self.scope(&self.pm.auth).await;
        let g = scope["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap_or_else(|| panic!("no group {name} in {scope}"));
        id_of(g)
    }

    async fn item(&self, body: Value) -> Value {
        self.app
            .post(
                &format!("/api/v1/projects/{}/scope-items", self.project),
                &self.pm.auth,
                body,
            )
            .await
            .expect(201)
            .json()
    }
}

fn codes(scope: &Value) -> Vec<String> {
    scope["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_scope_is_built_priced_and_totalled_exactly() {
    let b = boq().await;
    let scope = b.scope(&b.pm.auth).await;
    let names: Vec<&str> = scope["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Construction", "Millwork", "Electrical", "Mechanical/MEP"]
    );
    assert_eq!(scope["totals"]["items"], 0);
    assert!(scope["units"].as_array().unwrap().iter().any(|u| u == "m²"));

    let millwork = b.group("Millwork").await;
    let electrical = b.group("Electrical").await;
    let project: Value = b
        .app
        .get(&format!("/api/v1/projects/{}", b.project), &b.pm.auth)
        .await
        .json();
    let code = project["code"].as_str().unwrap().to_owned();

    // Codes are suggested per group; quantities and money are exact.
    let vanity = b
        .item(json!({"group_id": millwork, "name": "Vanity unit", "quantity": "12.5", "unit": "M2", "unit_price_minor": 123456, "progress": 40}))
        .await;
    assert_eq!(vanity["code"], format!("{code}-M-001"));
    assert_eq!(vanity["unit"], "m²");
    assert_eq!(vanity["quantity"], "12.5");
    assert_eq!(vanity["total_minor"], 1_543_200);
    assert_eq!(
        (
            vanity["drawing_required"].as_bool(),
            vanity["spec_required"].as_bool()
        ),
        (Some(true), Some(true)),
        "millwork items need drawings and specs by default"
    );
    let desk = b
        .item(json!({"group_id": millwork, "name": "Reception desk", "quantity": 1, "unit_price_minor": 500000, "budget_cost_minor": 300000, "actual_cost_minor": 345000}))
        .await;
    assert_eq!(desk["code"], format!("{code}-M-002"));
    let sockets = b
        .item(json!({"group_id": electrical, "code": "EL-7", "name": "Floor boxes", "quantity": 0.1, "unit_price_minor": 1, "status": "completed"}))
        .await;
    assert_eq!(
        (
            sockets["total_minor"].as_i64(),
            sockets["progress"].as_i64()
        ),
        (Some(0), Some(100))
    );
    assert_eq!(sockets["drawing_required"], false);

    // Subtotals per group and totals for the project.
    let scope = b.scope(&b.pm.auth).await;
    let m = scope["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Millwork")
        .unwrap();
    assert_eq!(m["totals"]["total_minor"], 2_043_200);
    assert_eq!(m["totals"]["items"], 2);
    assert_eq!(scope["totals"]["total_minor"], 2_043_200);
    assert_eq!(scope["totals"]["budget_cost_minor"], 300_000);
    assert_eq!(
        codes(&scope),
        [
            format!("{code}-M-001"),
            format!("{code}-M-002"),
            "EL-7".into()
        ]
    );

    // Project progress is the cost-weighted average of the items:
    // (1,543,200 × 40 + 500,000 × 0 + 0 × 100) / 2,043,200 = 30.2 → 30.
    let project: Value = b
        .app
        .get(&format!("/api/v1/projects/{}", b.project), &b.pm.auth)
        .await
        .json();
    assert_eq!(project["progress"], 30);
    assert_eq!(project["scope_items"], 3);

    // Bad input names each field to fix.
    let v = b
        .app
        .post(
            &format!("/api/v1/projects/{}/scope-items", b.project),
            &b.pm.auth,
            json!({"group_id": millwork, "name": " ", "quantity": "1.2345", "unit": "bananas", "unit_price_minor": -5, "progress": 120}),
        )
        .await
        .problem(422, "invalid_body");
    assert!(v["detail"].as_str().unwrap().contains("quantity"), "{v}");
    let v = b
        .app
        .post(
            &format!("/api/v1/projects/{}/scope-items", b.project),
            &b.pm.auth,
            json!({"group_id": millwork, "name": " ", "unit": "bananas", "unit_price_minor": -5, "progress": 120}),
        )
        .await
        .problem(422, "validation_failed");
    let mut fields = crate::support::Resp::fields(&v);
    fields.sort();
    assert_eq!(fields, ["name", "progress", "unit", "unit_price_minor"]);
    let v = b
        .app
        .post(
            &format!("/api/v1/projects/{}/scope-items", b.project),
            &b.pm.auth,
            json!({"group_id": electrical, "code": "el-7", "name": "Again"}),
        )
        .await
        .problem(409, "duplicate");
    assert_eq!(crate::support::Resp::fields(&v), ["code"]);
}

#[tokio::test]
async fn items_move_and_two_editors_never_overwrite_each_other() {
    let b = boq().await;
    let millwork = b.group("Millwork").await;
    let construction = b.group("Construction").await;
    let mut ids = Vec::new();
    for name in ["A", "B", "C"] {
        ids.push(id_of(
            &b.item(json!({"group_id": millwork, "name": name})).await,
        ));
    }
    let path = |id: &str| format!("/api/v1/scope-items/{id}");

    // C to the top of its group.
    b.app
        .post(
            &format!("{}/move", path(&ids[2])),
            &b.pm.auth,
            json!({"index": 0, "version": 1}),
        )
        .await
        .expect(200);
    let scope = b.scope(&b.pm.auth).await;
    let names: Vec<&str> = scope["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["C", "A", "B"]);
    // A into Construction; Construction comes first, so A leads the list.
    let moved = b
        .app
        .call_with(
            Method::POST,
            &format!("{}/move", path(&ids[0])),
            &b.pm.auth,
            &[("if-match", "\"1\"")],
            Some(json!({"group_id": construction, "index": 5})),
        )
        .await
        .expect(200);
    assert_eq!(moved.json()["group_name"], "Construction");
    let scope = b.scope(&b.pm.auth).await;
    let names: Vec<&str> = scope["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["A", "C", "B"]);

    // Two people edit B from version 1: the second is refused and told who saved.
    let first = b
        .app
        .patch(
            &path(&ids[1]),
            &b.pm.auth,
            json!({"progress": 50, "version": 1}),
        )
        .await
        .expect(200);
    assert_eq!(first.etag(), "\"2\"");
    let v = b
        .app
        .patch(
            &path(&ids[1]),
            &b.pm.auth,
            json!({"progress": 80, "version": 1}),
        )
        .await
        .problem(409, "stale_version");
    assert_eq!(v["current_version"], 2);
    b.app
        .call_with(
            Method::PATCH,
            &path(&ids[1]),
            &b.pm.auth,
            &[("if-match", "\"1\"")],
            Some(json!({"progress": 80})),
        )
        .await
        .problem(412, "stale_version");
    let b_now: Value = b.app.get(&path(&ids[1]), &b.pm.auth).await.json();
    assert_eq!(b_now["progress"], 50);

    // Groups: add, rename, move, and delete only when empty.
    let g = b
        .app
        .post(
            &format!("/api/v1/projects/{}/scope-groups", b.project),
            &b.pm.auth,
            json!({"name": "Joinery"}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(g["letter"], "J");
    b.app
        .post(
            &format!("/api/v1/projects/{}/scope-groups", b.project),
            &b.pm.auth,
            json!({"name": "joinery"}),
        )
        .await
        .problem(422, "validation_failed");
    let gid = id_of(&g);
    b.app
        .patch(
            &format!("/api/v1/scope-groups/{gid}"),
            &b.pm.auth,
            json!({"name": "Loose furniture", "version": 1}),
        )
        .await
        .expect(200);
    b.app
        .post(
            &format!("/api/v1/scope-groups/{gid}/move"),
            &b.pm.auth,
            json!({"index": 0}),
        )
        .await
        .expect(204);
    assert_eq!(
        b.scope(&b.pm.auth).await["groups"][0]["name"],
        "Loose furniture"
    );
    b.app
        .call(
            Method::DELETE,
            &format!("/api/v1/scope-groups/{millwork}?version=1"),
            &b.pm.auth,
            None,
        )
        .await
        .problem(409, "has_dependents");
    b.app
        .call(
            Method::DELETE,
            &format!("/api/v1/scope-groups/{gid}?version=2"),
            &b.pm.auth,
            None,
        )
        .await
        .expect(204);
    b.app
        .call(
            Method::DELETE,
            &format!("{}?version=2", path(&ids[1])),
            &b.pm.auth,
            None,
        )
        .await
        .expect(204);
    b.app
        .get(&path(&ids[1]), &b.pm.auth)
        .await
        .problem(404, "not_found");

    // Everything above is in the audit trail.
    let trail: Value = b
        .app
        .get(
            &format!("/api/v1/audit?entity_type=scope_item&entity_id={}", ids[1]),
            &b.admin.auth,
        )
        .await
        .expect(200)
        .json();
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "update", "create"]);
}

/// Posts an HTML form the way a browser without JavaScript does.
async fn form(
    app: &TestApp,
    path: &str,
    auth: &Auth,
    fields: &[(&str, &str)],
) -> crate::support::Resp {
    let body = serde_urlencoded::to_string(fields).unwrap();
    app.send(TestApp::build(
        Method::POST,
        path,
        auth,
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(axum::body::Body::from(body)),
        false,
    ))
    .await
}

#[tokio::test]
async fn the_scope_tab_works_without_javascript() {
    let b = boq().await;
    let (pm, _) = b
        .app
        .login(&b.pm.user.email, crate::support::PASSWORD)
        .await;
    let tab = format!("/projects/{}/scope", b.project);
    let page = b.app.get(&tab, &pm).await.expect(200).text();
    assert!(page.contains("No scope items yet"), "{page}");
    assert!(page.contains("Add a scope item"));
    let millwork = b.group("Millwork").await;

    // A bad row keeps what was typed and says what to fix, beside the field.
    let add = format!("/projects/{}/scope/items", b.project);
    let resp = form(
        &b.app,
        &add,
        &pm,
        &[
            ("group_id", &millwork),
            ("name", "Wardrobe"),
            ("quantity", "2.5"),
            ("unit", "pcs"),
            ("unit_price", "12.345"),
        ],
    )
    .await
    .expect(422);
    let html = resp.text();
    assert!(html.contains("value=\"Wardrobe\""), "typed name kept");
    assert!(html.contains("at most 2 decimals"), "{html}");

    for (name, price) in [("Wardrobe", "1,200.50"), ("Bed head", "800")] {
        form(
            &b.app,
            &add,
            &pm,
            &[
                ("group_id", &millwork),
                ("name", name),
                ("quantity", "2"),
                ("unit", "pcs"),
                ("unit_price", price),
            ],
        )
        .await
        .expect(303);
    }
    let page = b.app.get(&tab, &pm).await.expect(200).text();
    assert!(
        page.contains("2,401.00") && page.contains("4,001.00"),
        "row total and subtotal: {page}"
    );

    // ↓ on the first row moves it below the second.
    let scope = b.scope(&b.pm.auth).await;
    let first = id_of(&scope["items"][0]);
    let down = format!("{first}:down");
    form(
        &b.app,
        &format!("/projects/{}/scope/move", b.project),
        &pm,
        &[("move", down.as_str())],
    )
    .await
    .expect(303);
    let scope = b.scope(&b.pm.auth).await;
    assert_eq!(scope["items"][0]["name"], "Bed head");
    // Drag and drop posts the index, the group and the version the page showed.
    let bed = id_of(&scope["items"][0]);
    let drag = format!("/scope-items/{bed}/move");
    form(
        &b.app,
        &drag,
        &pm,
        &[("index", "1"), ("group_id", &millwork), ("version", "1")],
    )
    .await
    .expect(303);
    let scope = b.scope(&b.pm.auth).await;
    assert_eq!(scope["items"][1]["name"], "Bed head");
    form(
        &b.app,
        &drag,
        &pm,
        &[("index", "0"), ("group_id", &millwork), ("version", "1")],
    )
    .await
    .expect(409);
    // Put it back where the rest of the test expects it.
    form(
        &b.app,
        &drag,
        &pm,
        &[("index", "0"), ("group_id", &millwork), ("version", "2")],
    )
    .await
    .expect(303);

    // The edit page saves, and a stale save is refused with the user's input kept.
    let edit = format!("/scope-items/{first}/edit");
    let page = b.app.get(&edit, &pm).await.expect(200).text();
    assert!(page.contains("Shop drawing required"));
    let fields = [
        ("version", "2"),
        ("code", "X-1"),
        ("name", "Wardrobe L"),
        ("quantity", "3"),
        ("unit", "pcs"),
        ("unit_price", "100"),
        ("status", "in_progress"),
        ("progress", "30"),
        ("spec_required", "1"),
    ];
    form(&b.app, &edit, &pm, &fields).await.expect(303);
    let item: Value = b
        .app
        .get(&format!("/api/v1/scope-items/{first}"), &b.pm.auth)
        .await
        .json();
    assert_eq!(
        (item["code"].as_str(), item["total_minor"].as_i64()),
        (Some("X-1"), Some(30_000))
    );
    assert_eq!(
        (
            item["drawing_required"].as_bool(),
            item["spec_required"].as_bool()
        ),
        (Some(false), Some(true))
    );
    let resp = form(&b.app, &edit, &pm, &fields).await.expect(409);
    assert!(resp.text().contains("value=\"Wardrobe L\""));

    // Groups: add one, and a duplicate name is explained.
    let groups = format!("/projects/{}/scope/groups", b.project);
    form(&b.app, &groups, &pm, &[("group_name", "Loose furniture")])
        .await
        .expect(303);
    let resp = form(&b.app, &groups, &pm, &[("group_name", "loose furniture")])
        .await
        .expect(422);
    assert!(
        resp.text()
            .contains("another group of this project has this name")
    );

    // A designer on the team reads the tab but gets no editing controls.
    let admin = TestUser {
        user: b.admin.user.clone(),
        auth: b.admin.auth.clone(),
    };
    let designer = b.app.user(&admin, "designer", "Dana Designer", None).await;
    b.app
        .member(&b.pm.auth, &b.project, &designer, "designer")
        .await;
    let (d, _) = b
        .app
        .login(&designer.user.email, crate::support::PASSWORD)
        .await;
    let page = b.app.get(&tab, &d).await.expect(200).text();
    assert!(page.contains("Wardrobe L") && !page.contains("Add a scope item"));
    form(
        &b.app,
        &add,
        &d,
        &[("group_id", &millwork), ("name", "Sneaky")],
    )
    .await
    .expect(403);
}
