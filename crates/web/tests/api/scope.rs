//! The scope of work through the API: groups, items with exact totals and suggested
//! codes, ordering, two people editing one item, project progress, and spreadsheet
//! import and export.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{Auth, TestApp, TestUser, id_of};

pub struct Boq {
    pub app: TestApp,
    pub admin: TestUser,
    pub pm: TestUser,
    pub project: String,
}

pub async fn boq() -> Boq {
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
    pub(crate) async fn scope(&self, auth: &Auth) -> Value {
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
pub async fn form(
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
async fn the_scope_totals_show_the_boq_total_and_the_contract_value_apart() {
    let b = boq().await;
    let client = b.app.client(&b.admin.auth, "Beta Resorts").await;
    let body = json!({"name": "Villa fit-out", "client_id": client, "manager_id": b.pm.id(),
        "sector": "hospitality", "business_line": "millwork", "currency": "USD",
        "contract_value_minor": 123_456_789_012_i64});
    let project = id_of(
        &b.app
            .post("/api/v1/projects", &b.pm.auth, body)
            .await
            .expect(201)
            .json(),
    );
    let scope = b
        .app
        .get(&format!("/api/v1/projects/{project}/scope"), &b.pm.auth)
        .await
        .expect(200)
        .json();
    let group = id_of(
        scope["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "Millwork")
            .unwrap(),
    );
    b.app
        .post(
            &format!("/api/v1/projects/{project}/scope-items"),
            &b.pm.auth,
            json!({"group_id": group, "name": "Wardrobe", "quantity": "3", "unit": "pcs",
                "unit_price_minor": 9_876_543_210_i64}),
        )
        .await
        .expect(201);
    let (pm, _) = b
        .app
        .login(&b.pm.user.email, crate::support::PASSWORD)
        .await;
    let page = b
        .app
        .get(&format!("/projects/{project}/scope"), &pm)
        .await
        .expect(200)
        .text();
    let stat = |label: &str| -> String {
        let at = page
            .find(&format!("<dt class=\"stat-label\">{label}"))
            .unwrap_or_else(|| panic!("no stat {label}: {page}"));
        let rest = &page[at..];
        let start = rest.find("<dd class=\"stat-value\">").unwrap() + 23;
        let end = rest.find("</dd>").unwrap();
        rest[start..end].to_owned()
    };
    // The sum of the items is the BOQ total; the contract value is the project's own figure.
    assert_eq!(stat("BOQ total (USD)"), "296,296,296.30");
    assert_eq!(stat("Contract value (USD)"), "1,234,567,890.12");
    assert!(page.contains("class=\"stats stats-money\""), "{page}");

    // Large figures shrink and wrap inside their cards instead of widening the page.
    let css = b
        .app
        .get(&formula_web::assets::url("app.css"), &Auth::None)
        .await
        .expect(200)
        .text();
    let stats_children = crate::pages::rule(&css, ".stats > *");
    assert!(stats_children.contains("min-width: 0"), "{stats_children}");
    let value = crate::pages::rule(&css, ".stat-value");
    for d in [
        "overflow-wrap: anywhere",
        "font-variant-numeric: tabular-nums",
        "font-size: clamp(",
        "margin: 0",
    ] {
        assert!(value.contains(d), "{d} in {value}");
    }

    // Without a contract value the card says so.
    let page = b
        .app
        .get(&format!("/projects/{}/scope", b.project), &pm)
        .await
        .expect(200)
        .text();
    assert!(
        page.contains("Contract value (USD)</dt><dd class=\"stat-value\">—</dd>"),
        "{page}"
    );
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

pub async fn send_file(
    app: &TestApp,
    path: &str,
    auth: &Auth,
    bytes: Vec<u8>,
    mime: &str,
) -> crate::support::Resp {
    app.send(TestApp::build(
        Method::POST,
        path,
        auth,
        &[("content-type", mime)],
        Some(axum::body::Body::from(bytes)),
        false,
    ))
    .await
}

const BAD_BOQ: &str = "Group,Item code,Name,Room,Qty,Unit,Rate,Status,Progress %\n\
Millwork,,Reception desk,Lobby,1,set,\"12,500.00\",In progress,40\n\
Millwork,,Wall panels,Lobby,12.5,m2,1240,,\n\
Joinery,J-1,Bench,Lobby,two,pcs,100,,\n\
Millwork,M-9,,Bar,1,bananas,5.555,Done-ish,120\n";

#[tokio::test]
async fn a_boq_spreadsheet_is_checked_imported_once_and_exported() {
    let b = boq().await;
    let import = |dry: bool| {
        format!(
            "/api/v1/projects/{}/scope/import?dry_run={dry}&file_name=boq.csv",
            b.project
        )
    };

    // The check lists every bad row with the columns to fix; nothing is written.
    let v = send_file(
        &b.app,
        &import(true),
        &b.pm.auth,
        BAD_BOQ.into(),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (
            v["valid"].as_bool(),
            v["creates"].as_i64(),
            v["invalid"].as_i64()
        ),
        (Some(false), Some(2), Some(2))
    );
    let bad: Vec<(i64, Vec<&str>)> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "invalid")
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["field"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        bad,
        [
            (4, vec!["Qty"]),
            (5, vec!["Name", "Status", "Progress %", "Rate", "Unit"])
        ]
    );
    assert_eq!(v["new_groups"], json!(["Joinery"]));
    let v = send_file(
        &b.app,
        &import(false),
        &b.pm.auth,
        BAD_BOQ.into(),
        "text/csv",
    )
    .await
    .problem(422, "validation_failed");
    assert!(
        crate::support::Resp::fields(&v).contains(&"line 4: Qty".to_string()),
        "{v}"
    );
    assert_eq!(
        b.scope(&b.pm.auth).await["totals"]["items"],
        0,
        "nothing was written"
    );
    assert_eq!(
        b.scope(&b.pm.auth).await["groups"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "no group was added"
    );

    // Fixed, it imports in one go; codes are given to rows without one.
    let fixed = BAD_BOQ.replace(",two,", ",2,").replace(
        "Millwork,M-9,,Bar,1,bananas,5.555,Done-ish,120",
        "Millwork,M-9,Bar stools,Bar,1,pcs,5.55,Completed,100",
    );
    let v = send_file(
        &b.app,
        &import(false),
        &b.pm.auth,
        fixed.clone().into(),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (v["valid"].as_bool(), v["creates"].as_i64()),
        (Some(true), Some(4))
    );
    let scope = b.scope(&b.pm.auth).await;
    assert_eq!(scope["totals"]["items"], 4);
    assert_eq!(
        scope["totals"]["total_minor"],
        1_250_000 + 1_550_000 + 20_000 + 555
    );
    assert!(codes(&scope).iter().any(|c| c.ends_with("-M-001")));

    // The same file again changes nothing: rows with a code match on it, rows without one
    // match the item of the same group, name and location.
    let v = send_file(
        &b.app,
        &import(false),
        &b.pm.auth,
        fixed.clone().into(),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (v["unchanged"].as_i64(), v["creates"].as_i64()),
        (Some(4), Some(0)),
        "{v}"
    );
    assert_eq!(b.scope(&b.pm.auth).await["totals"]["items"], 4);

    // The export carries every code and imports back as no change.
    let export = b
        .app
        .get(
            &format!("/api/v1/projects/{}/scope/export?format=xlsx", b.project),
            &b.pm.auth,
        )
        .await
        .expect(200);
    assert!(
        export
            .header("content-disposition")
            .unwrap()
            .contains(".xlsx")
    );
    let bytes = export.body.to_vec();
    let table = formula_reports::read_table(&bytes, "export.xlsx").unwrap();
    assert_eq!(table.rows.len(), 4);
    let total_col = table.headers.iter().position(|h| h == "Total").unwrap();
    assert_eq!(table.rows[0].cells[total_col], "12500");
    let v = send_file(
        &b.app,
        &import(false).replace("boq.csv", "export.xlsx"),
        &b.pm.auth,
        bytes,
        formula_reports::XLSX_MIME,
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (
            v["unchanged"].as_i64(),
            v["creates"].as_i64(),
            v["updates"].as_i64()
        ),
        (Some(4), Some(0), Some(0)),
        "{v}"
    );
    assert_eq!(v["ignored_headers"], json!(["Total"]));

    // A CSV export re-imports unchanged too, and a changed price updates that one item.
    let csv = b
        .app
        .get(
            &format!("/api/v1/projects/{}/scope/export?format=csv", b.project),
            &b.pm.auth,
        )
        .await
        .expect(200)
        .body
        .to_vec();
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with('\u{feff}'));
    let changed = text.replacen("12500.00", "13000.00", 1);
    let v = send_file(
        &b.app,
        &import(false),
        &b.pm.auth,
        changed.into(),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (v["updates"].as_i64(), v["unchanged"].as_i64()),
        (Some(1), Some(3)),
        "{v}"
    );

    // The template has the columns and no rows; bad formats and files are explained.
    let t = b
        .app
        .get("/api/v1/scope/template?format=xlsx", &b.pm.auth)
        .await
        .expect(200)
        .body
        .to_vec();
    let table = formula_reports::read_table(&t, "t.xlsx").unwrap();
    assert!(table.rows.is_empty() && table.headers.contains(&"Item code".to_string()));
    b.app
        .get("/api/v1/scope/template?format=pdf", &b.pm.auth)
        .await
        .problem(422, "validation_failed");
    let v = send_file(
        &b.app,
        &import(true),
        &b.pm.auth,
        b"%PDF-1.4\x00\x00".to_vec(),
        "application/pdf",
    )
    .await
    .problem(422, "validation_failed");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not an .xlsx or .csv"),
        "{v}"
    );
    send_file(&b.app, &import(true), &b.pm.auth, Vec::new(), "text/csv")
        .await
        .problem(422, "validation_failed");
}

/// A `multipart/form-data` body with the CSRF field and one file, as a browser sends it.
/// The checked rows an import preview's confirmation form carries, unescaped.
pub fn confirm_rows(html: &str) -> String {
    html.split("name=\"rows\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
        .replace("&#39;", "'")
}

pub fn multipart(csrf: &str, name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----formula-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn importing_in_the_browser_previews_then_confirms() {
    let b = boq().await;
    let (pm, _) = b
        .app
        .login(&b.pm.user.email, crate::support::PASSWORD)
        .await;
    let Auth::Cookie {
        token,
        csrf: Some(csrf),
    } = &pm
    else {
        panic!("cookie auth");
    };
    // A browser form carries the token in a field, not a header.
    let browser = Auth::Cookie {
        token: token.clone(),
        csrf: None,
    };
    let page = format!("/projects/{}/scope/import", b.project);
    assert!(
        b.app
            .get(&page, &pm)
            .await
            .expect(200)
            .text()
            .contains("Check the file")
    );

    let upload = |file: &'static str| {
        let (mime, body) = multipart(csrf, "boq.csv", file.as_bytes());
        TestApp::build(
            Method::POST,
            &page,
            &browser,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        )
    };
    let html = b.app.send(upload(BAD_BOQ)).await.expect(422).text();
    assert!(html.contains("2 row(s) need fixing"), "{html}");
    assert!(html.contains("Nothing was imported"));
    assert!(
        !html.contains("/scope/import/confirm"),
        "no confirmation for a bad file"
    );

    let good = "Group,Name,Qty,Unit,Rate\nMillwork,Reception desk,1,set,12500\nElectrical,Floor boxes,4,pcs,85.50\n";
    let html = b.app.send(upload(good)).await.expect(200).text();
    assert!(html.contains("Every row can be imported: 2 new"), "{html}");
    // The confirmation carries the checked rows; it is a normal form post.
    let rows = confirm_rows(&html);
    let confirm = format!("{page}/confirm");
    form(
        &b.app,
        &confirm,
        &pm,
        &[("file_name", "boq.csv"), ("rows", rows.as_str())],
    )
    .await
    .expect(303);
    let scope = b.scope(&b.pm.auth).await;
    assert_eq!(scope["totals"]["items"], 2);
    assert_eq!(scope["totals"]["total_minor"], 1_250_000 + 34_200);
    // Confirming the same rows again changes nothing.
    let again = form(
        &b.app,
        &confirm,
        &pm,
        &[("file_name", "boq.csv"), ("rows", rows.as_str())],
    )
    .await
    .expect(303);
    assert!(
        again
            .header("location")
            .unwrap()
            .contains("import_unchanged")
    );
    // A wrong token is refused before anything is read into the scope.
    let (mime, body) = multipart("not-the-token", "boq.csv", good.as_bytes());
    b.app
        .send(TestApp::build(
            Method::POST,
            &page,
            &browser,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        ))
        .await
        .expect(403);
}

#[tokio::test]
async fn a_large_scope_lists_one_group_at_a_time() {
    let b = boq().await;
    let mut csv = String::from("Group,Name,Qty,Unit,Rate\n");
    for i in 0..70 {
        let group = if i % 2 == 0 { "Millwork" } else { "Electrical" };
        csv.push_str(&format!("{group},Item {i},1,pcs,100\n"));
    }
    send_file(
        &b.app,
        &format!(
            "/api/v1/projects/{}/scope/import?dry_run=false&file_name=big.csv",
            b.project
        ),
        &b.pm.auth,
        csv.into_bytes(),
        "text/csv",
    )
    .await
    .expect(200);
    let (pm, _) = b
        .app
        .login(&b.pm.user.email, crate::support::PASSWORD)
        .await;
    let page = format!("/projects/{}/scope", b.project);
    let html = b.app.get(&page, &pm).await.expect(200).text();
    assert!(html.contains("This scope has 70 items"), "{html}");
    assert!(html.contains("List its 35 items"));
    assert!(
        !html.contains("Item 12<"),
        "no item rows until a group is opened"
    );
    let millwork = b.group("Millwork").await;
    let html = b
        .app
        .get(&format!("{page}?group={millwork}"), &pm)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains(">Item 12<") && !html.contains(">Item 13<"),
        "{html}"
    );
    assert!(html.len() < 60 * 1024, "{} bytes", html.len());
}
