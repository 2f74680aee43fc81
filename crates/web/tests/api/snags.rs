//! Snags through the API, on both databases: raising (a client user's arrives open, shared
//! with the client, with them as its author), each move and its refusals, who may do what,
//! client users never meeting an internal snag (list, get, photos, exports, search,
//! activity), notifications to the responsible person and the raiser, room sign-off refused
//! with its blockers then allowed and reopened by a later snag, and the exports read back
//! (the spreadsheet, and the PDF with poppler's `pdftotext` and `pdffonts`).

use std::process::Command;

use axum::http::Method;
use serde_json::{Value, json};

use crate::drawings::multipart;
use crate::support::{Resp, TestApp, TestUser, id_of};

const PHOTO: &[u8] = include_bytes!("fixtures/photos/orient-6-gps.jpg");

struct Site {
    app: TestApp,
    pm: TestUser,
    designer: TestUser,
    craftsman: TestUser,
    executive: TestUser,
    client: TestUser,
    other_client: TestUser,
    project: String,
    level: String,
    r101: String,
    r102: String,
    item: String,
}

async fn site(app: TestApp) -> Site {
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let craftsman = app.user(&admin, "craftsman", "Carl Fitter", None).await;
    let executive = app.user(&admin, "executive", "Eve Executive", None).await;
    let org = app.client(&admin.auth, "Alpha Hotels").await;
    let other_org = app.client(&admin.auth, "Beta Homes").await;
    let client = app.user(&admin, "client", "Cleo Client", Some(&org)).await;
    let other_client = app
        .user(&admin, "client", "Otto Other", Some(&other_org))
        .await;
    let project = app.project(&pm.auth, "Hotel fit-out", &org, &pm.id()).await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    app.member(&pm.auth, &project, &craftsman, "craftsman")
        .await;
    let post = |path: String, body: Value| {
        let (app, auth) = (&app, &pm.auth);
        async move { id_of(&app.post(&path, auth, body).await.expect(201).json()) }
    };
    let locs = format!("/api/v1/projects/{project}/locations");
    let tower = post(
        locs.clone(),
        json!({"kind": "building", "code": "T1", "name": "Tower 1"}),
    )
    .await;
    let level = post(
        locs.clone(),
        json!({"kind": "level", "parent_id": tower, "code": "T1-L01", "name": "Level 1"}),
    )
    .await;
    let r101 = post(
        locs.clone(),
        json!({"kind": "room", "parent_id": level, "code": "T1-L01-0101", "name": "Room 101"}),
    )
    .await;
    let r102 = post(
        locs.clone(),
        json!({"kind": "room", "parent_id": level, "code": "T1-L01-0102", "name": "Room 102"}),
    )
    .await;
    let scope = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][0]);
    let item = post(
        format!("/api/v1/projects/{project}/scope-items"),
        json!({"group_id": group, "code": "WR-01", "name": "Wardrobe", "room_id": r101,
            "quantity": "3", "unit": "pcs"}),
    )
    .await;
    Site {
        app,
        pm,
        designer,
        craftsman,
        executive,
        client,
        other_client,
        project,
        level,
        r101,
        r102,
        item,
    }
}

impl Site {
    async fn raise(&self, who: &TestUser, body: Value) -> Resp {
        self.app
            .post(
                &format!("/api/v1/projects/{}/snags", self.project),
                &who.auth,
                body,
            )
            .await
    }

    async fn list(&self, who: &TestUser, query: &str) -> Value {
        self.app
            .get(
                &format!("/api/v1/projects/{}/snags?{query}", self.project),
                &who.auth,
            )
            .await
            .expect(200)
            .json()
    }

    async fn act(&self, who: &TestUser, snag: &Value, action: &str, body: Value) -> Resp {
        let mut body = body;
        if body.get("version").is_none() {
            body["version"] = snag["version"].clone();
        }
        self.app
            .post(
                &format!("/api/v1/snags/{}/{action}", snag["id"].as_str().unwrap()),
                &who.auth,
                body,
            )
            .await
    }

    async fn inbox(&self, who: &TestUser) -> Vec<(String, String)> {
        let page = self
            .app
            .get("/api/v1/notifications", &who.auth)
            .await
            .expect(200)
            .json();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["event"].as_str().unwrap().to_owned(),
                    n["link"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    async fn signoff(&self, who: &TestUser, room: &str) -> Value {
        self.app
            .get(&format!("/api/v1/rooms/{room}/sign-off"), &who.auth)
            .await
            .expect(200)
            .json()
    }
}

fn codes(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_life_of_snags_and_a_room_sign_off(app: TestApp) {
    let w = site(app).await;
    let app = &w.app;

    // The designer raises an internal snag on the wardrobe, for the fitter, due yesterday.
    let yesterday = (time::OffsetDateTime::now_utc().date() - time::Duration::days(1)).to_string();
    let sn1 = w
        .raise(
            &w.designer,
            json!({"room_id": w.r101, "scope_item_id": w.item, "title": "Door scratched",
                "description": "Left door, 20 cm scratch", "category": "damage",
                "responsible_user_id": w.craftsman.id(), "due_on": yesterday}),
        )
        .await
        .expect(201);
    assert!(sn1.header("location").unwrap().contains("/api/v1/snags/"));

    let sn1 = sn1.json();
    assert_eq!(sn1["code"], "SN-001");
    assert_eq!(sn1["status"], "open");
    assert_eq!(sn1["client_visible"], false);
    assert_eq!(sn1["overdue"], true);
    assert_eq!(sn1["scope_item_code"], "WR-01");
    assert_eq!(sn1["raised_by_name"], "Dana Designer");
    assert_eq!(sn1["level_code"], "T1-L01");
    let link1 = format!("/snags/{}", sn1["id"].as_str().unwrap());
    assert!(
        w.inbox(&w.craftsman)
            .await
            .contains(&("snag_assigned".into(), link1.clone()))
    );

    // Refusals: a room of the project, an item in that room, a team member.
    let bad = w
        .raise(
            &w.pm,
            json!({"room_id": w.level, "scope_item_id": w.item, "title": " ",
                "responsible_user_id": w.client.id()}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        Resp::fields(&bad),
        ["responsible_user_id", "room_id", "title"]
    );
    let bad = w
        .raise(
            &w.pm,
            json!({"room_id": w.r102, "scope_item_id": w.item, "title": "Wrong room"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&bad), ["scope_item_id"]);

    // The designer may raise but not fix; nobody verifies what is not fixed.
    w.act(&w.designer, &sn1, "fix", json!({}))
        .await
        .problem(403, "forbidden");
    w.act(&w.pm, &sn1, "verify", json!({}))
        .await
        .problem(409, "invalid_transition");

    // The client never meets the internal snag.
    let sn1_path = format!("/api/v1/snags/{}", sn1["id"].as_str().unwrap());
    app.get(&sn1_path, &w.client.auth)
        .await
        .problem(404, "not_found");
    app.get(&format!("{sn1_path}/photos"), &w.client.auth)
        .await
        .problem(404, "not_found");
    assert_eq!(w.list(&w.client, "").await["total"], 0);
    assert_eq!(w.list(&w.client, "client_visible=false").await["total"], 0);
    // Another client's user does not see the project at all.
    app.get(
        &format!("/api/v1/projects/{}/snags", w.project),
        &w.other_client.auth,
    )
    .await
    .expect(404);

    // The client raises one: open, shared, theirs; the team's fields are not theirs to set.
    let bad = w
        .raise(
            &w.client,
            json!({"room_id": w.r101, "title": "Stain", "responsible_trade": "Painter",
                "scope_item_id": w.item}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&bad), ["responsible_trade", "scope_item_id"]);
    let sn2 = w
        .raise(
            &w.client,
            json!({"room_id": w.r101, "title": "Stain on the desk", "category": "cleaning",
                "client_visible": false}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(sn2["code"], "SN-002");
    assert_eq!(sn2["status"], "open");
    assert_eq!(sn2["client_visible"], true);
    assert_eq!(sn2["raised_by"], w.client.id());
    assert_eq!(sn2["raised_by_name"], "Cleo Client");
    assert_eq!(codes(&w.list(&w.client, "").await), ["SN-002"]);
    assert_eq!(codes(&w.list(&w.pm, "").await), ["SN-001", "SN-002"]);
    let link2 = format!("/snags/{}", sn2["id"].as_str().unwrap());
    assert!(
        w.inbox(&w.pm)
            .await
            .contains(&("snag_raised".into(), link2.clone()))
    );
    // The client may not work on it.
    w.act(&w.client, &sn2, "fix", json!({}))
        .await
        .problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/snags/{}", sn2["id"].as_str().unwrap()),
        &w.client.auth,
        json!({"title": "x", "version": 1}),
    )
    .await
    .problem(403, "forbidden");

    // Filters.
    assert_eq!(codes(&w.list(&w.pm, "overdue=true").await), ["SN-001"]);
    assert_eq!(
        codes(&w.list(&w.pm, "client_visible=true").await),
        ["SN-002"]
    );
    assert_eq!(
        codes(
            &w.list(&w.pm, &format!("responsible_user_id={}", w.craftsman.id()))
                .await
        ),
        ["SN-001"]
    );
    assert_eq!(
        codes(&w.list(&w.pm, &format!("level_id={}", w.level)).await).len(),
        2
    );
    assert_eq!(
        codes(&w.list(&w.pm, &format!("room_id={}", w.r102)).await).len(),
        0
    );
    assert_eq!(codes(&w.list(&w.pm, "q=stain").await), ["SN-002"]);
    assert_eq!(codes(&w.list(&w.pm, "status=fixed").await).len(), 0);
    let bad = app
        .get(
            &format!("/api/v1/projects/{}/snags?status=done&room_id=x", w.project),
            &w.pm.auth,
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&bad), ["room_id", "status"]);

    // Assigning the client's snag to a trade, then the fitter fixes it (a stale version is
    // refused), the manager verifies and closes it; the client hears of both.
    let sn2 = app
        .patch(
            &format!("/api/v1/snags/{}", sn2["id"].as_str().unwrap()),
            &w.pm.auth,
            json!({"responsible_trade": "Cleaner", "version": sn2["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(sn2["responsible_trade"], "Cleaner");
    let bad = app
        .patch(
            &format!("/api/v1/snags/{}", sn2["id"].as_str().unwrap()),
            &w.pm.auth,
            json!({"client_visible": false, "version": sn2["version"]}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&bad), ["client_visible"]);
    w.act(&w.craftsman, &sn2, "fix", json!({"version": 1}))
        .await
        .problem(409, "stale_version");
    let sn2 = w
        .act(&w.craftsman, &sn2, "fix", json!({}))
        .await
        .expect(200)
        .json();
    assert_eq!(sn2["status"], "fixed");
    assert_eq!(sn2["fixed_by_name"], "Carl Fitter");
    w.act(&w.craftsman, &sn2, "verify", json!({}))
        .await
        .problem(403, "forbidden");
    let sn2 = w
        .act(&w.pm, &sn2, "verify", json!({}))
        .await
        .expect(200)
        .json();
    let sn2 = w
        .act(&w.pm, &sn2, "close", json!({}))
        .await
        .expect(200)
        .json();
    assert_eq!(sn2["status"], "closed");
    let inbox = w.inbox(&w.client).await;
    assert!(
        inbox.contains(&("snag_fixed".into(), link2.clone())),
        "{inbox:?}"
    );
    assert!(
        inbox.contains(&("snag_closed".into(), link2.clone())),
        "{inbox:?}"
    );
    // Nothing about the internal snag reached the client.
    assert!(!inbox.iter().any(|(_, l)| *l == link1), "{inbox:?}");

    // Reject needs a reason; reopen brings it back; then it is fixed.
    w.act(&w.pm, &sn1, "reject", json!({}))
        .await
        .problem(422, "validation_failed");
    let sn1 = w
        .act(&w.pm, &sn1, "reject", json!({"reason": "Not our scope"}))
        .await
        .expect(200)
        .json();
    assert_eq!(sn1["status"], "rejected");
    assert_eq!(sn1["rejected_reason"], "Not our scope");
    w.act(&w.pm, &sn1, "close", json!({}))
        .await
        .problem(409, "invalid_transition");
    let sn1 = w
        .act(&w.pm, &sn1, "reopen", json!({}))
        .await
        .expect(200)
        .json();
    assert_eq!(sn1["status"], "open");
    assert_eq!(sn1["rejected_reason"], Value::Null);
    w.act(&w.craftsman, &sn1, "fix", json!({}))
        .await
        .expect(200);

    // Room 101: the wardrobes are not installed and SN-001 is fixed, not verified.
    let state = w.signoff(&w.pm, &w.r101).await;
    assert_eq!(state["ready"], false);
    assert_eq!(state["can_sign_off"], true);
    assert_eq!(
        state["summary"],
        "1 item not installed: WR-01 (0 of 3); 1 fixed snag not yet verified: SN-001"
    );
    let refused = app
        .post(
            &format!("/api/v1/rooms/{}/sign-off", w.r101),
            &w.pm.auth,
            json!({}),
        )
        .await
        .problem(409, "not_ready");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("WR-01 (0 of 3); 1 fixed snag not yet verified: SN-001"),
        "{refused}"
    );
    // The client sees the state, not the internal snag's number.
    let theirs = w.signoff(&w.client, &w.r101).await;
    assert_eq!(theirs["ready"], false);
    assert_eq!(theirs["can_sign_off"], false);
    assert!(!theirs.to_string().contains("SN-001"), "{theirs}");

    // Room 102 holds nothing and no snag: signed off, with the client's name.
    let signed = app
        .post(
            &format!("/api/v1/rooms/{}/sign-off", w.r102),
            &w.pm.auth,
            json!({"client_name": "Mr Alpha", "note": "Walked together"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(signed["signed_off"]["client_name"], "Mr Alpha");
    assert_eq!(signed["signed_off"]["signed_by_name"], "Paula Manager");
    app.post(
        &format!("/api/v1/rooms/{}/sign-off", w.r102),
        &w.pm.auth,
        json!({}),
    )
    .await
    .problem(409, "already_signed_off");
    app.post(
        &format!("/api/v1/rooms/{}/sign-off", w.r102),
        &w.craftsman.auth,
        json!({}),
    )
    .await
    .problem(403, "forbidden");
    // A snag raised there later reopens it.
    let sn3 = w
        .raise(
            &w.client,
            json!({"room_id": w.r102, "title": "Skirting loose", "category": "alignment"}),
        )
        .await
        .expect(201)
        .json();
    let state = w.signoff(&w.pm, &w.r102).await;
    assert_eq!(state["signed_off"], Value::Null);
    assert_eq!(state["summary"], "1 open snag: SN-003");
    let history = app
        .get(
            &format!("/api/v1/audit?entity_id={}", w.r102),
            &w.executive.auth,
        )
        .await
        .expect(200)
        .json();
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"signoff_reopened"), "{actions:?}");
    assert!(actions.contains(&"sign_off"), "{actions:?}");
    // Fixed, verified: the room is ready again; signed off, then withdrawn.
    let sn3 = w
        .act(&w.craftsman, &sn3, "fix", json!({}))
        .await
        .expect(200)
        .json();
    w.act(&w.pm, &sn3, "verify", json!({})).await.expect(200);
    assert_eq!(w.signoff(&w.pm, &w.r102).await["ready"], true);
    app.post(
        &format!("/api/v1/rooms/{}/sign-off", w.r102),
        &w.pm.auth,
        json!({}),
    )
    .await
    .expect(200);
    let withdrawn = app
        .delete(&format!("/api/v1/rooms/{}/sign-off", w.r102), &w.pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(withdrawn["signed_off"], Value::Null);
    app.delete(&format!("/api/v1/rooms/{}/sign-off", w.r102), &w.pm.auth)
        .await
        .problem(404, "not_found");

    // The spreadsheet: everything for the team, the shared snags for the client.
    let book = app
        .get(
            &format!("/api/v1/projects/{}/snags.xlsx", w.project),
            &w.pm.auth,
        )
        .await
        .expect(200);
    let table = formula_reports::read_table(&book.body, "snags.xlsx").unwrap();
    assert_eq!(&table.headers[..3], ["Snag", "Level", "Room"]);
    let first: Vec<&str> = table.rows.iter().map(|r| r.cells[0].as_str()).collect();
    assert_eq!(first, ["SN-001", "SN-002", "SN-003"]);
    assert_eq!(table.rows[0].cells[4], "WR-01");
    assert_eq!(table.rows[0].cells[8], "Fixed");
    let book = app
        .get(
            &format!("/api/v1/projects/{}/snags.xlsx", w.project),
            &w.client.auth,
        )
        .await
        .expect(200);
    let table = formula_reports::read_table(&book.body, "snags.xlsx").unwrap();
    let first: Vec<&str> = table.rows.iter().map(|r| r.cells[0].as_str()).collect();
    assert_eq!(first, ["SN-002", "SN-003"]);
    assert!(!String::from_utf8_lossy(&book.body).contains("Door scratched"));

    // The client's feed tells nothing of snags; the team's does.
    let feed = app
        .get(
            &format!("/api/v1/projects/{}/activity", w.project),
            &w.client.auth,
        )
        .await
        .expect(200)
        .text();
    assert!(!feed.contains("SN-001"), "{feed}");
    let feed = app
        .get(
            &format!("/api/v1/projects/{}/activity", w.project),
            &w.pm.auth,
        )
        .await
        .expect(200)
        .text();
    assert!(feed.contains("SN-001"), "{feed}");
    // Search never returns a snag to the client.
    let found = app
        .get("/api/v1/search?q=scratched", &w.client.auth)
        .await
        .expect(200)
        .text();
    assert!(!found.contains("Door scratched"), "{found}");
}

#[tokio::test]
async fn the_life_of_snags_and_a_room_sign_off_on_sqlite() {
    the_life_of_snags_and_a_room_sign_off(TestApp::new().await).await;
}

#[tokio::test]
async fn the_life_of_snags_and_a_room_sign_off_on_postgresql() {
    the_life_of_snags_and_a_room_sign_off(TestApp::on_postgres().await).await;
}

fn poppler(tool: &str, pdf: &[u8]) -> String {
    let file = std::env::temp_dir().join(format!("formula-snags-{}.pdf", uuid::Uuid::now_v7()));
    std::fs::write(&file, pdf).unwrap();
    let mut cmd = Command::new(tool);
    if tool == "pdftotext" {
        cmd.arg("-layout").arg(&file).arg("-");
    } else if tool == "pdfimages" {
        cmd.arg("-list").arg(&file);
    } else {
        cmd.arg(&file);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) must be installed: {e}"));
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{tool}");
    String::from_utf8(out.stdout).unwrap()
}

async fn photo(w: &Site, who: &TestUser, snag: &str, key: Option<&str>) -> Resp {
    let (mime, body) = multipart("door.jpg", PHOTO, &[("caption", "Left door")]);
    let mut headers = vec![("content-type", mime.as_str())];
    if let Some(k) = key {
        headers.push(("idempotency-key", k));
    }
    w.app
        .send(TestApp::build(
            Method::POST,
            &format!("/api/v1/snags/{snag}/photos"),
            &who.auth,
            &headers,
            Some(axum::body::Body::from(body)),
            false,
        ))
        .await
}

async fn photos_and_the_site_walk_pdf(app: TestApp) {
    let w = site(app).await;
    let internal = w
        .raise(
            &w.pm,
            json!({"room_id": w.r101, "title": "Hinge missing", "category": "hardware",
                "responsible_trade": "Joiner"}),
        )
        .await
        .expect(201)
        .json();
    let shared = w
        .raise(
            &w.client,
            json!({"room_id": w.r102, "title": "Paint drip", "category": "finish"}),
        )
        .await
        .expect(201)
        .json();
    let (internal_id, shared_id) = (
        internal["id"].as_str().unwrap(),
        shared["id"].as_str().unwrap(),
    );
    // A photo sent twice with one key makes one record; the client adds to their own snag.
    let first = photo(&w, &w.pm, internal_id, Some("k-1"))
        .await
        .expect(201)
        .json();
    let again = photo(&w, &w.pm, internal_id, Some("k-1"))
        .await
        .expect(200)
        .json();
    assert_eq!(first["id"], again["id"]);
    assert!(first["image"]["thumb_key"].is_null() || first["image"].is_object());
    photo(&w, &w.client, shared_id, None).await.expect(201);
    photo(&w, &w.client, internal_id, None)
        .await
        .problem(404, "not_found");
    photo(&w, &w.designer, shared_id, None)
        .await
        .problem(403, "forbidden");
    let photos = w
        .app
        .get(&format!("/api/v1/snags/{internal_id}/photos"), &w.pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(photos["items"].as_array().unwrap().len(), 1);
    assert_eq!(photos["can_manage"], true);
    // The client is served the stripped copy of their snag's photo, never the original.
    let theirs = w
        .app
        .get(&format!("/api/v1/snags/{shared_id}/photos"), &w.client.auth)
        .await
        .expect(200)
        .json();
    let photo_id = theirs["items"][0]["id"].as_str().unwrap();
    let file = w
        .app
        .get(
            &format!("/api/v1/attachments/{photo_id}/file"),
            &w.client.auth,
        )
        .await
        .expect(200);
    assert!(!file.body.windows(4).any(|b| b == b"Exif"));

    // The PDF for the site walk: grouped by level and room, with thumbnails.
    let pdf = w
        .app
        .get(
            &format!("/api/v1/projects/{}/snags.pdf", w.project),
            &w.pm.auth,
        )
        .await
        .expect(200);
    assert_eq!(
        pdf.header("content-type").as_deref(),
        Some("application/pdf")
    );
    let text = poppler("pdftotext", &pdf.body);
    for expected in [
        "Snag list",
        "Level 1 (T1-L01)",
        "T1-L01-0101 · Room 101",
        "T1-L01-0102 · Room 102",
        "SN-001",
        "Hinge missing",
        "For Joiner",
        "SN-002",
        "Paint drip",
        "Page 1 of 1",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let fonts = poppler("pdffonts", &pdf.body);
    for row in fonts.lines().skip(2) {
        let flags: Vec<&str> = row.split_whitespace().rev().skip(2).take(3).collect();
        assert_eq!(flags, ["yes", "yes", "yes"], "{fonts}");
    }
    // Two thumbnails (one per snag) besides the letterhead's nothing: `pdfimages -list`
    // prints two header lines and a line per picture.
    let images = poppler("pdfimages", &pdf.body).lines().count();
    assert_eq!(images, 4, "the thumbnails are in the PDF");
    // The client's PDF holds only their snag; filters apply as on the list.
    let text = poppler(
        "pdftotext",
        &w.app
            .get(
                &format!("/api/v1/projects/{}/snags.pdf", w.project),
                &w.client.auth,
            )
            .await
            .expect(200)
            .body,
    );
    assert!(text.contains("Paint drip"), "{text}");
    assert!(!text.contains("Hinge missing"), "{text}");
    let text = poppler(
        "pdftotext",
        &w.app
            .get(
                &format!(
                    "/api/v1/projects/{}/snags.pdf?room_id={}",
                    w.project, w.r101
                ),
                &w.pm.auth,
            )
            .await
            .expect(200)
            .body,
    );
    assert!(
        text.contains("Hinge missing") && !text.contains("Paint drip"),
        "{text}"
    );
}

#[tokio::test]
async fn photos_and_the_site_walk_pdf_on_sqlite() {
    photos_and_the_site_walk_pdf(TestApp::new().await).await;
}

#[tokio::test]
async fn photos_and_the_site_walk_pdf_on_postgresql() {
    photos_and_the_site_walk_pdf(TestApp::on_postgres().await).await;
}

/// Due tomorrow: the responsible person is reminded; overdue: they and the managers, once
/// a day however often the job runs.
#[tokio::test]
async fn due_and_overdue_snags_are_reminded_once_a_day() {
    let w = site(TestApp::new().await).await;
    let today = time::OffsetDateTime::now_utc();
    let tomorrow = (today.date() + time::Duration::days(1)).to_string();
    let last_week = (today.date() - time::Duration::days(7)).to_string();
    for (title, due) in [("Due soon", &tomorrow), ("Late", &last_week)] {
        w.raise(
            &w.pm,
            json!({"room_id": w.r101, "title": title, "responsible_user_id": w.craftsman.id(),
                "due_on": due}),
        )
        .await
        .expect(201);
    }
    w.app.services.send_reminders(today).await.unwrap();
    w.app.services.send_reminders(today).await.unwrap();
    let events: Vec<String> = w
        .inbox(&w.craftsman)
        .await
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    assert_eq!(
        events.iter().filter(|e| *e == "snag_due").count(),
        1,
        "{events:?}"
    );
    assert_eq!(
        events.iter().filter(|e| *e == "snag_overdue").count(),
        1,
        "{events:?}"
    );
    let pm: Vec<String> = w.inbox(&w.pm).await.into_iter().map(|(e, _)| e).collect();
    assert_eq!(pm, ["snag_overdue"]);
}

/// The pages: the client raises a snag from the phone form (sent twice with its key, one
/// snag), the team moves it with the big buttons, and the room is signed off from the Snags
/// tab filtered to it.
#[tokio::test]
async fn the_pages_raise_move_and_sign_off() {
    use crate::support::{Auth, PASSWORD};
    let w = site(TestApp::new().await).await;
    let app = &w.app;
    let login = |email: String| async move {
        let (auth, _) = app.login(&email, PASSWORD).await;
        let Auth::Cookie {
            token,
            csrf: Some(csrf),
        } = &auth
        else {
            panic!("cookie auth")
        };
        (
            auth.clone(),
            csrf.clone(),
            Auth::Cookie {
                token: token.clone(),
                csrf: None,
            },
        )
    };
    let (client, client_csrf, client_browser) = login(w.client.user.email.clone()).await;
    w.raise(&w.pm, json!({"room_id": w.r101, "title": "Internal only"}))
        .await
        .expect(201);
    let tab = app
        .get(&format!("/projects/{}/snags", w.project), &client)
        .await
        .expect(200)
        .text();
    assert!(!tab.contains("Internal only"), "{tab}");
    assert!(tab.contains("Raise a snag"), "{tab}");
    let form = app
        .get(&format!("/projects/{}/snags/new", w.project), &client)
        .await
        .expect(200)
        .text();
    assert!(
        form.contains("accept=\"image/*\" capture=\"environment\""),
        "{form}"
    );
    assert!(
        form.contains("<optgroup label=\"T1-L01 · Level 1\">"),
        "{form}"
    );
    assert!(
        !form.contains("Who fixes it"),
        "the team's fields are not the client's"
    );
    let key = form
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let raise = || {
        let (mime, body) = multipart(
            "stain.jpg",
            PHOTO,
            &[
                ("_csrf", client_csrf.as_str()),
                ("idempotency_key", key.as_str()),
                ("room_id", w.r102.as_str()),
                ("title", "Stain on the wall"),
                ("category", "cleaning"),
            ],
        );
        TestApp::build(
            Method::POST,
            &format!("/projects/{}/snags/new", w.project),
            &client_browser,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        )
    };
    let first = app.send(raise()).await.expect(303);
    let again = app.send(raise()).await.expect(303);
    let to = first.header("location").unwrap();
    assert!(to.ends_with("?m=created"), "{to}");
    assert!(
        to.starts_with(&again.header("location").unwrap()),
        "one snag"
    );
    let list = w.list(&w.client, "").await;
    assert_eq!(codes(&list), ["SN-002"]);
    assert_eq!(list["items"][0]["photo_count"], 1);
    assert_eq!(list["items"][0]["raised_by_name"], "Cleo Client");
    assert_eq!(w.list(&w.pm, "").await["total"], 2);
    let snag_page = to.trim_end_matches("?m=created").to_owned();
    let mine = app.get(&snag_page, &client).await.expect(200).text();
    assert!(mine.contains("Stain on the wall") && !mine.contains("Mark fixed"));

    // The fitter marks it fixed, the manager verifies and closes it: big buttons.
    let (fitter, fitter_csrf, _) = login(w.craftsman.user.email.clone()).await;
    let html = app.get(&snag_page, &fitter).await.expect(200).text();
    assert!(html.contains(">Mark fixed</button>"), "{html}");
    assert!(!html.contains(">Verify</button>"));
    let id = snag_page.trim_start_matches("/snags/");
    crate::scope::form(
        app,
        &format!("/snags/{id}/move"),
        &fitter,
        &[
            ("_csrf", &fitter_csrf),
            ("version", "1"),
            ("transition", "fix"),
        ],
    )
    .await
    .expect(303);
    let (pm, pm_csrf, _) = login(w.pm.user.email.clone()).await;
    // The team's list shows both; the internal one marked as not shared.
    let html = app
        .get(&format!("/projects/{}/snags", w.project), &pm)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("Internal only") && html.contains("Client sees"),
        "{html}"
    );
    // A stale button says so and changes nothing.
    let stale = crate::scope::form(
        app,
        &format!("/snags/{id}/move"),
        &pm,
        &[
            ("_csrf", &pm_csrf),
            ("version", "1"),
            ("transition", "verify"),
        ],
    )
    .await
    .expect(409)
    .text();
    assert!(stale.contains("someone else changed this first"), "{stale}");
    for (version, t) in [("2", "verify"), ("3", "close")] {
        crate::scope::form(
            app,
            &format!("/snags/{id}/move"),
            &pm,
            &[("_csrf", &pm_csrf), ("version", version), ("transition", t)],
        )
        .await
        .expect(303);
    }
    // Room 102 is ready: the tab filtered to it offers the sign-off, which is recorded.
    let tab = format!("/projects/{}/snags?room_id={}", w.project, w.r102);
    let html = app.get(&tab, &pm).await.expect(200).text();
    assert!(html.contains("Sign off T1-L01-0102"), "{html}");
    crate::scope::form(
        app,
        &format!("/rooms/{}/sign-off", w.r102),
        &pm,
        &[("_csrf", &pm_csrf), ("client_name", "Mr Alpha")],
    )
    .await
    .expect(303);
    let html = app.get(&tab, &client).await.expect(200).text();
    assert!(html.contains("Signed off"), "{html}");
    assert!(html.contains("with Mr Alpha for the client"), "{html}");
    assert!(!html.contains("Withdraw sign-off"));
    // Room 101 is not ready: the tab says what blocks it, and a sign-off is refused there.
    let refused = crate::scope::form(
        app,
        &format!("/rooms/{}/sign-off", w.r101),
        &pm,
        &[("_csrf", &pm_csrf)],
    )
    .await
    .expect(422)
    .text();
    assert!(refused.contains("WR-01 (0 of 3)"), "{refused}");
    // The exports from the tab.
    let pdf = app
        .get(
            &format!("/projects/{}/snags.pdf?status=closed", w.project),
            &client,
        )
        .await
        .expect(200);
    assert!(poppler("pdftotext", &pdf.body).contains("Stain on the wall"));
}

/// A raise sent again with its `Idempotency-Key` (an answer lost on the way) raises one snag.
async fn a_retried_raise_makes_one_snag(app: TestApp) {
    let w = site(app).await;
    let keyed = |title: &str| {
        TestApp::build(
            Method::POST,
            &format!("/api/v1/projects/{}/snags", w.project),
            &w.pm.auth,
            &[("idempotency-key", "raise-1")],
            Some(axum::body::Body::from(
                json!({"room_id": w.r102, "title": title}).to_string(),
            )),
            true,
        )
    };
    let first = w
        .app
        .send(keyed("Gap at the skirting"))
        .await
        .expect(201)
        .json();
    let again = w
        .app
        .send(keyed("Gap at the skirting"))
        .await
        .expect(200)
        .json();
    assert_eq!(first["id"], again["id"]);
    w.app
        .send(keyed("Another"))
        .await
        .problem(409, "idempotency_key_reused");
    assert_eq!(w.list(&w.pm, "").await["total"], 1);
}

#[tokio::test]
async fn a_retried_raise_makes_one_snag_on_sqlite() {
    a_retried_raise_makes_one_snag(TestApp::new().await).await;
}

#[tokio::test]
async fn a_retried_raise_makes_one_snag_on_postgresql() {
    a_retried_raise_makes_one_snag(TestApp::on_postgres().await).await;
}
