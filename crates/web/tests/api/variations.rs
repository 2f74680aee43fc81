//! Variations through the API: the project manager prices a variation (a new item, a
//! quantity increased, an item omitted) and submits it; the client sees it only then, with
//! its lines; the client approves with a comment and the scope and the contract value
//! change; client users never meet a draft's prices (list, get, PDF, xlsx) and hear of the
//! submission; a rejection changes nothing; a variation starts from an RFI; the PDF is read
//! back with poppler's `pdftotext`.

use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Resp, TestApp, TestUser, id_of};

struct Office {
    app: TestApp,
    pm: TestUser,
    client: TestUser,
    other_client: TestUser,
    project: String,
    group: String,
    shelf: String,
}

async fn office(app: TestApp) -> Office {
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let org = app.client(&admin.auth, "Alpha Hotels").await;
    let other_org = app.client(&admin.auth, "Beta Homes").await;
    let client = app.user(&admin, "client", "Cleo Client", Some(&org)).await;
    let other_client = app
        .user(&admin, "client", "Otto Other", Some(&other_org))
        .await;
    let project = app.project(&pm.auth, "Hotel fit-out", &org, &pm.id()).await;
    app.patch(
        &format!("/api/v1/projects/{project}"),
        &pm.auth,
        json!({"contract_value_minor": 10_000_000, "version": 1}),
    )
    .await
    .expect(200);
    let scope = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][1]);
    let shelf = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/scope-items"),
            &pm.auth,
            json!({"group_id": group, "name": "Shelf", "quantity": "4", "unit": "pcs",
                "unit_price_minor": 12_345}),
        )
        .await
        .expect(201)
        .json(),
    );
    Office {
        app,
        pm,
        client,
        other_client,
        project,
        group,
        shelf,
    }
}

impl Office {
    fn list_path(&self) -> String {
        format!("/api/v1/projects/{}/variations", self.project)
    }

    async fn contract_value(&self) -> i64 {
        self.app
            .get(&format!("/api/v1/projects/{}", self.project), &self.pm.auth)
            .await
            .expect(200)
            .json()["contract_value"]["amount_minor"]
            .as_i64()
            .unwrap()
    }

    /// A draft with a new wardrobe (2 × 1,500.00) and the shelves from 4 to 6.
    async fn priced_draft(&self, title: &str) -> (String, i64) {
        let app = &self.app;
        let v = app
            .post(
                &self.list_path(),
                &self.pm.auth,
                json!({"title": title, "time_impact_days": 3}),
            )
            .await
            .expect(201)
            .json();
        let id = id_of(&v);
        let lines = format!("/api/v1/variations/{id}/lines");
        let d = app
            .post(
                &lines,
                &self.pm.auth,
                json!({"kind": "add", "group_id": self.group, "name": "Wardrobe", "unit": "pcs",
                    "quantity": "2", "unit_price_minor": 150_000, "version": v["version"]}),
            )
            .await
            .expect(200)
            .json();
        let d = app
            .post(
                &lines,
                &self.pm.auth,
                json!({"kind": "change", "scope_item_id": self.shelf, "quantity": "6",
                    "version": d["variation"]["version"]}),
            )
            .await
            .expect(200)
            .json();
        assert_eq!(d["variation"]["total_minor"], 300_000 + 2 * 12_345);
        (id, d["variation"]["version"].as_i64().unwrap())
    }
}

fn pdftotext(pdf: &[u8]) -> String {
    let file = std::env::temp_dir().join(format!("formula-vo-{}.pdf", uuid::Uuid::now_v7()));
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

/// The first page of `pdf` as a PNG, by poppler's `pdftoppm`.
fn first_page_png(pdf: &[u8]) -> Vec<u8> {
    let stem = std::env::temp_dir().join(format!("formula-vo-{}", uuid::Uuid::now_v7()));
    let file = stem.with_extension("pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(&stem)
        .output()
        .expect("pdftoppm (poppler-utils) must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png_path = stem.with_extension("png");
    let png = std::fs::read(&png_path).unwrap();
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&png_path);
    png
}

#[tokio::test]
async fn a_variation_is_priced_submitted_and_approved_by_the_client() {
    let o = office(TestApp::new().await).await;
    let app = &o.app;
    let before = o.contract_value().await;
    let (id, version) = o.priced_draft("Extra storage").await;
    let get = format!("/api/v1/variations/{id}");

    // The client meets no draft, by any route.
    app.get(&get, &o.client.auth).await.expect(404);
    app.get(&format!("{get}/pdf"), &o.client.auth)
        .await
        .expect(404);
    let list = app
        .get(&o.list_path(), &o.client.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(list["total"], 0);
    let book = app
        .get(&format!("{}.xlsx", o.list_path()), &o.client.auth)
        .await
        .expect(200);
    let table = formula_reports::read_table(&book.body, "variations.xlsx").unwrap();
    assert!(table.rows.is_empty(), "{:?}", table.rows);
    app.get(&get, &o.other_client.auth).await.expect(404);
    let feed_path = format!("/api/v1/projects/{}/activity", o.project);
    let feed = app.get(&feed_path, &o.client.auth).await.expect(200).text();
    assert!(!feed.contains("VO-001"), "{feed}");
    let feed = app.get(&feed_path, &o.pm.auth).await.expect(200).text();
    assert!(feed.contains("VO-001"), "{feed}");

    // A draft is submitted with its lines; the client hears of it.
    let submitted = app
        .post(
            &format!("{get}/submit"),
            &o.pm.auth,
            json!({"version": version}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(submitted["status"], "submitted");
    let inbox = app
        .get("/api/v1/notifications", &o.client.auth)
        .await
        .expect(200)
        .json();
    assert!(
        inbox["items"].as_array().unwrap().iter().any(
            |n| n["event"] == "variation_submitted" && n["link"] == format!("/variations/{id}")
        ),
        "{inbox}"
    );
    let book = app
        .get(&format!("{}.xlsx", o.list_path()), &o.client.auth)
        .await
        .expect(200);
    let table = formula_reports::read_table(&book.body, "variations.xlsx").unwrap();
    assert_eq!(table.rows.len(), 1);
    assert!(
        format!("{:?}", table.rows[0]).contains("VO-001"),
        "{:?}",
        table.rows
    );
    let seen = app.get(&get, &o.client.auth).await.expect(200).json();
    assert_eq!(seen["lines"].as_array().unwrap().len(), 2);
    // It waits for the client's decision, and for nobody's on the team.
    let waiting = app
        .get("/api/v1/me/waiting", &o.client.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(
        waiting["items"][0]["kind"], "variation_decision",
        "{waiting}"
    );
    assert_eq!(waiting["items"][0]["label"], "VO-001");
    assert_eq!(
        waiting["items"][0]["href"],
        format!("/variations/{id}#decide-h")
    );
    let theirs = app
        .get("/api/v1/me/waiting", &o.other_client.auth)
        .await
        .expect(200)
        .json();
    assert!(theirs["items"].as_array().unwrap().is_empty(), "{theirs}");
    // The client's feed tells of the submission, never of the pricing.
    let feed = app.get(&feed_path, &o.client.auth).await.expect(200).json();
    let told: Vec<String> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.to_string())
        .filter(|t| t.contains("VO-001"))
        .collect();
    assert_eq!(told.len(), 1, "{feed}");
    assert!(!told[0].contains("line"), "{feed}");
    assert_eq!(seen["abilities"]["decide"], true);
    app.get(&get, &o.other_client.auth).await.expect(404);

    // The PDF for the client, read back.
    let pdf = app
        .get(&format!("{get}/pdf"), &o.client.auth)
        .await
        .expect(200);
    let text = pdftotext(&pdf.body);
    for want in [
        "Variation",
        "VO-001",
        "Extra storage",
        "Wardrobe",
        "Shelf",
        "3,000.00",
        "246.90",
        "3,246.90 USD",
        "3 days added",
        "Submitted to client",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }

    // The client approves with a comment: the scope and the value change at once.
    app.post(
        &format!("{get}/decide"),
        &o.client.auth,
        json!({"decision": "approved", "comments": "Go ahead", "version": submitted["version"]}),
    )
    .await
    .expect(200);
    assert_eq!(o.contract_value().await, before + 324_690);
    let shelf = app
        .get(&format!("/api/v1/scope-items/{}", o.shelf), &o.pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(shelf["quantity"], "6");
    let d = app.get(&get, &o.pm.auth).await.expect(200).json();
    let new_item = d["lines"][0]["scope_item_id"].as_str().unwrap().to_owned();
    let wardrobe = app
        .get(&format!("/api/v1/scope-items/{new_item}"), &o.pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(wardrobe["name"], "Wardrobe");
    assert_eq!(wardrobe["total_minor"], 300_000);
    assert_eq!(d["reviews"][0]["comments"], "Go ahead");
    assert_eq!(d["reviews"][0]["reviewer_name"], "Cleo Client");
    // The raiser hears of the decision.
    let inbox = app
        .get("/api/v1/notifications", &o.pm.auth)
        .await
        .expect(200)
        .json();
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["event"] == "variation_decided"),
        "{inbox}"
    );
    // Decided is final, and a second decision changes nothing.
    app.post(
        &format!("{get}/decide"),
        &o.client.auth,
        json!({"decision": "approved", "version": d["variation"]["version"]}),
    )
    .await
    .problem(409, "invalid_transition");
    assert_eq!(o.contract_value().await, before + 324_690);
    let pdf = app
        .get(&format!("{get}/pdf"), &o.client.auth)
        .await
        .expect(200);
    let text = pdftotext(&pdf.body);
    assert!(text.contains("Approved by Cleo Client"), "{text}");
    // Its first page renders (poppler's `pdftoppm`); with `UI_SCREENSHOTS=<dir>` the PNG is
    // kept there for a person to look at.
    let png = first_page_png(&pdf.body);
    assert!(png.starts_with(b"\x89PNG"), "pdftoppm made no PNG");
    if let Ok(dir) = std::env::var("UI_SCREENSHOTS") {
        let _ = std::fs::write(std::path::Path::new(&dir).join("variation-pdf.png"), &png);
    }
}

#[tokio::test]
async fn rejection_and_withdrawal_change_nothing_and_client_requests_stay_unpriced() {
    let o = office(TestApp::new().await).await;
    let app = &o.app;
    let before = o.contract_value().await;
    let (id, version) = o.priced_draft("Rejected one").await;
    let get = format!("/api/v1/variations/{id}");
    let v = app
        .post(
            &format!("{get}/submit"),
            &o.pm.auth,
            json!({"version": version}),
        )
        .await
        .expect(200)
        .json();
    let missing = app
        .post(
            &format!("{get}/decide"),
            &o.client.auth,
            json!({"decision": "rejected", "version": v["version"]}),
        )
        .await
        .expect(422)
        .json();
    assert!(missing.to_string().contains("comments"), "{missing}");
    app.post(
        &format!("{get}/decide"),
        &o.client.auth,
        json!({"decision": "rejected", "comments": "Too dear", "version": v["version"]}),
    )
    .await
    .expect(200);
    assert_eq!(o.contract_value().await, before);
    let shelf = app
        .get(&format!("/api/v1/scope-items/{}", o.shelf), &o.pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(shelf["quantity"], "4");

    // Withdrawn before a decision: nothing more happens to it.
    let (id2, version2) = o.priced_draft("Withdrawn one").await;
    let w = app
        .post(
            &format!("/api/v1/variations/{id2}/withdraw"),
            &o.pm.auth,
            json!({"reason": "Client changed their mind", "version": version2}),
        )
        .await
        .expect(200)
        .json();
    assert!(w["withdrawn_at"].is_string());
    app.post(
        &format!("/api/v1/variations/{id2}/submit"),
        &o.pm.auth,
        json!({"version": w["version"]}),
    )
    .await
    .problem(409, "locked");

    // A client's request: a title and a description; its price stays the team's.
    let req = app
        .post(
            &o.list_path(),
            &o.client.auth,
            json!({"title": "Add a coat rack", "description": "By the door"}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(req["requested_by_client"], true);
    let rid = id_of(&req);
    app.post(
        &format!("/api/v1/variations/{rid}/lines"),
        &o.pm.auth,
        json!({"kind": "add", "group_id": o.group, "name": "Coat rack", "quantity": "1",
            "unit_price_minor": 40_000, "version": req["version"]}),
    )
    .await
    .expect(200);
    let seen = app
        .get(&format!("/api/v1/variations/{rid}"), &o.client.auth)
        .await
        .expect(200)
        .json();
    assert!(seen["variation"]["total_minor"].is_null());
    assert!(seen["lines"].as_array().unwrap().is_empty());
    let list = app
        .get(&o.list_path(), &o.client.auth)
        .await
        .expect(200)
        .json();
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["VO-003", "VO-001"]);
    assert!(list["items"][0]["total_minor"].is_null());
    let pdf = app
        .get(&format!("/api/v1/variations/{rid}/pdf"), &o.client.auth)
        .await
        .expect(200);
    let text = pdftotext(&pdf.body);
    assert!(
        text.contains("Not priced yet") && !text.contains("400.00"),
        "{text}"
    );
    // A client may not send prices or time impacts.
    let refused = app
        .post(
            &o.list_path(),
            &o.client.auth,
            json!({"title": "Faster", "time_impact_days": -5}),
        )
        .await
        .expect(422)
        .json();
    assert!(
        refused.to_string().contains("time_impact_days"),
        "{refused}"
    );
}

#[tokio::test]
async fn lines_are_checked_with_messages_that_say_what_to_fix() {
    let o = office(TestApp::new().await).await;
    let app = &o.app;
    let v = app
        .post(&o.list_path(), &o.pm.auth, json!({"title": "Checks"}))
        .await
        .expect(201)
        .json();
    let lines = format!("/api/v1/variations/{}/lines", id_of(&v));
    let bad: Vec<(Value, &str)> = vec![
        (
            json!({"kind": "add", "name": "X", "quantity": "1", "unit_price_minor": 1}),
            "group_id",
        ),
        (
            json!({"kind": "add", "group_id": o.group, "name": "X", "quantity": "0", "unit_price_minor": 1}),
            "quantity",
        ),
        (
            json!({"kind": "add", "group_id": o.group, "name": "X", "quantity": "1"}),
            "unit_price_minor",
        ),
        (
            json!({"kind": "change", "scope_item_id": o.shelf}),
            "quantity",
        ),
        (json!({"kind": "omit"}), "scope_item_id"),
        (
            json!({"kind": "omit", "scope_item_id": o.group}),
            "scope_item_id",
        ),
        (
            json!({"kind": "add", "group_id": o.group, "name": "X", "quantity": "1", "unit_price_minor": -5}),
            "unit_price_minor",
        ),
    ];
    for (body, field) in bad {
        let mut body = body;
        body["version"] = v["version"].clone();
        let p = app
            .post(&lines, &o.pm.auth, body.clone())
            .await
            .expect(422)
            .json();
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{body} → {p}"
        );
    }
    // Nothing to submit without lines.
    app.post(
        &format!("/api/v1/variations/{}/submit", id_of(&v)),
        &o.pm.auth,
        json!({"version": v["version"]}),
    )
    .await
    .expect(422);
    // A stale version is refused.
    app.post(
        &lines,
        &o.pm.auth,
        json!({"kind": "omit", "scope_item_id": o.shelf, "version": 99}),
    )
    .await
    .expect(409);
}

/// A variation raised from an RFI needs no title: it takes `RFI-001: <subject>` and the
/// reason `rfi`. Without an RFI the title is required, and a blank one is refused; an RFI
/// that is not one of the project's is refused (and then the title is missing too).
#[tokio::test]
async fn a_variation_from_an_rfi_is_titled_after_it() {
    let o = office(TestApp::new().await).await;
    let app = &o.app;
    let rfi = app
        .post(
            &format!("/api/v1/projects/{}/rfis", o.project),
            &o.pm.auth,
            json!({"subject": "Delivery access", "question": "Which lift?",
                "addressed_to_email": "site@example.com"}),
        )
        .await
        .expect(201)
        .json();
    let v = app
        .post(
            &o.list_path(),
            &o.pm.auth,
            json!({"rfi_id": id_of(&rfi), "description": "", "reason": null, "time_impact_days": 0}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(v["title"], "RFI-001: Delivery access");
    assert_eq!(v["reason"], "rfi");
    assert_eq!(v["rfi_id"], rfi["id"]);

    for body in [json!({"description": "No title"}), json!({"title": "  "})] {
        let p = app
            .post(&o.list_path(), &o.pm.auth, body.clone())
            .await
            .expect(422)
            .json();
        assert_eq!(Resp::fields(&p), ["title"], "{body} → {p}");
    }
    let p = app
        .post(&o.list_path(), &o.pm.auth, json!({"rfi_id": o.group}))
        .await
        .expect(422)
        .json();
    assert_eq!(Resp::fields(&p), ["rfi_id", "title"], "{p}");
}

/// The pages as the client reads them: the register without the team's drafts, a draft's
/// page not found, a submitted one with its lines and the decision card; the team's page
/// with the lines editor.
#[tokio::test]
async fn the_pages_show_the_client_only_what_was_submitted() {
    use crate::support::PASSWORD;
    let o = office(TestApp::new().await).await;
    let app = &o.app;
    let (client, _) = app.login(&o.client.user.email, PASSWORD).await;
    let (pm, _) = app.login(&o.pm.user.email, PASSWORD).await;
    let (draft, _) = o.priced_draft("Secret draft").await;
    let (sub, version) = o.priced_draft("Shared one").await;
    app.post(
        &format!("/api/v1/variations/{sub}/submit"),
        &o.pm.auth,
        json!({"version": version}),
    )
    .await
    .expect(200);
    let register = format!("/projects/{}/variations", o.project);
    let tab = app.get(&register, &client).await.expect(200).text();
    assert!(!tab.contains("Secret draft"), "{tab}");
    assert!(
        tab.contains("Shared one") && tab.contains("Request a variation"),
        "{tab}"
    );
    app.get(&format!("/variations/{draft}"), &client)
        .await
        .expect(404);
    app.get(&format!("/variations/{draft}/pdf"), &client)
        .await
        .expect(404);
    let page = app
        .get(&format!("/variations/{sub}"), &client)
        .await
        .expect(200)
        .text();
    assert!(page.contains("Your decision on VO-002"), "{page}");
    assert!(
        page.contains("3,246.90 USD") || page.contains("3,246.90"),
        "{page}"
    );
    assert!(!page.contains("Add a new item"), "{page}");
    let team = app
        .get(&format!("/variations/{draft}"), &pm)
        .await
        .expect(200)
        .text();
    assert!(team.contains("Add a new item") && team.contains("Submit VO-001 to the client"));
    let tab = app.get(&register, &pm).await.expect(200).text();
    assert!(
        tab.contains("Secret draft") && tab.contains("New variation"),
        "{tab}"
    );
    // The form prefills nothing without an RFI, and refuses a link that is not one.
    app.get(&format!("{register}/new"), &pm).await.expect(200);
    app.get(&format!("{register}/new?rfi=nonsense"), &pm)
        .await
        .expect(400);
}
