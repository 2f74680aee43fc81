//! Installation by room through the API: the room sheet, recording with the limits of the
//! room (its own items, its type's items per room), of release and of what was received on
//! site, refusals that say what is
//! left, reversal once, a retried record (and photo) that makes one, the room-ready
//! notification, and deletes refused while something is installed.

use axum::http::Method;
use serde_json::{Value, json};

use crate::drawings::multipart;
use crate::support::{Auth, Resp, TestApp, TestUser, id_of};

const PHOTO: &[u8] = include_bytes!("fixtures/photos/orient-6-gps.jpg");

pub struct Site {
    pub app: TestApp,
    pub pm: TestUser,
    pub coordinator: TestUser,
    pub craftsman: TestUser,
    pub designer: TestUser,
    pub client: TestUser,
    pub project: String,
    /// T1-L01-0101 … 0103, all of room type KING.
    pub rooms: Vec<String>,
    /// 1 in room 0101, released.
    pub desk: Value,
    /// 2 per KING room, released.
    pub bedside: Value,
    /// 1 in room 0101, not released.
    pub mirror: Value,
}

impl Site {
    pub async fn install(&self, auth: &Auth, room: &str, item: &Value, quantity: &str) -> Resp {
        self.app
            .post(
                &format!("/api/v1/rooms/{room}/installations"),
                auth,
                json!({"scope_item_id": item["id"], "quantity": quantity}),
            )
            .await
    }

    pub async fn sheet(&self, room: &str) -> Value {
        self.app
            .get(&format!("/api/v1/rooms/{room}/installation"), &self.pm.auth)
            .await
            .expect(200)
            .json()
    }
}

fn sheet_item<'a>(sheet: &'a Value, item: &Value) -> &'a Value {
    sheet["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["scope_item_id"] == item["id"])
        .unwrap_or_else(|| panic!("{} not on {sheet}", item["code"]))
}

/// A project with three KING rooms, a desk in the first, two bedside tables per KING room,
/// and a mirror (not released) in the first; the team: the manager, a coordinator, a
/// craftsman and a designer; and a client user of the project's client.
pub async fn site() -> Site {
    site_on(TestApp::new().await).await
}

/// [`site`] on a given application (PostgreSQL, say).
pub async fn site_on(app: TestApp) -> Site {
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let coordinator = app
        .user(&admin, "coordinator", "Cory Coordinator", None)
        .await;
    let craftsman = app.user(&admin, "craftsman", "Carl Craftsman", None).await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let client_org = app.client(&admin.auth, "Alpha Hotels").await;
    let client = app
        .user(&admin, "client", "Cleo Client", Some(&client_org))
        .await;
    let project = app
        .project(&pm.auth, "Hotel fit-out", &client_org, &pm.id())
        .await;
    app.member(&pm.auth, &project, &coordinator, "coordinator")
        .await;
    app.member(&pm.auth, &project, &craftsman, "craftsman")
        .await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let auth = &pm.auth;
    let post = |path: String, body: Value| {
        let app = &app;
        async move { app.post(&path, auth, body).await.expect(201).json() }
    };
    let tower = id_of(
        &post(
            format!("/api/v1/projects/{project}/locations"),
            json!({"kind": "building", "code": "T1", "name": "Tower 1"}),
        )
        .await,
    );
    let king = id_of(
        &post(
            format!("/api/v1/projects/{project}/room-types"),
            json!({"code": "KING", "name": "King guest room"}),
        )
        .await,
    );
    post(
        format!("/api/v1/projects/{project}/locations/pattern"),
        json!({"building_id": tower, "levels_from": 1, "levels_to": 1, "rooms_from": 1,
            "rooms_to": 3, "room_type_id": king}),
    )
    .await;
    let tree = app
        .get(&format!("/api/v1/projects/{project}/locations"), auth)
        .await
        .expect(200)
        .json();
    let rooms: Vec<String> = tree["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "room")
        .map(id_of)
        .collect();
    assert_eq!(rooms.len(), 3);
    let scope = app
        .get(&format!("/api/v1/projects/{project}/scope"), auth)
        .await
        .expect(200)
        .json();
    let group = scope["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Millwork")
        .map(id_of)
        .unwrap();
    let item = |name: &'static str, placement: Value| {
        let mut body = json!({"group_id": group, "name": name, "drawing_required": false,
            "spec_required": false});
        for (k, v) in placement.as_object().unwrap() {
            body[k] = v.clone();
        }
        post(format!("/api/v1/projects/{project}/scope-items"), body)
    };
    let release = |item: Value| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/scope-items/{}/release", id_of(&item)),
                auth,
                json!({"version": item["version"]}),
            )
            .await
            .expect(200)
            .json()
        }
    };
    let desk = release(item("Desk", json!({"room_id": rooms[0], "quantity": "1"})).await).await;
    let bedside = release(
        item(
            "Bedside table",
            json!({"room_type_id": king, "quantity_per_room": "2"}),
        )
        .await,
    )
    .await;
    let mirror = item("Mirror", json!({"room_id": rooms[0], "quantity": "1"})).await;
    // All of the desk and the bedside tables delivered to site (packed in the workshop,
    // dispatched, received): only what was received is installed.
    crate::deliveries::deliver(&app, &pm, &project, &desk, 1).await;
    crate::deliveries::deliver(&app, &pm, &project, &bedside, 6).await;
    Site {
        app,
        pm,
        coordinator,
        craftsman,
        designer,
        client,
        project,
        rooms,
        desk,
        bedside,
        mirror,
    }
}

#[tokio::test]
async fn items_are_installed_room_by_room_within_what_each_room_holds() {
    let s = site().await;
    let (app, pm) = (&s.app, &s.pm.auth);
    let (r1, r2) = (&s.rooms[0], &s.rooms[1]);

    // The sheet: the room's own items and its type's, each with what it needs.
    let sheet = s.sheet(r1).await;
    assert_eq!(sheet["room"]["code"], "T1-L01-0101");
    assert_eq!(sheet["room_type_code"], "KING");
    assert_eq!(sheet["ancestors"][0]["code"], "T1");
    assert_eq!(sheet["items"].as_array().unwrap().len(), 3);
    let bedside = sheet_item(&sheet, &s.bedside);
    assert_eq!(
        (
            &bedside["placed"],
            &bedside["required"],
            &bedside["left_to_install"]
        ),
        (&json!("room_type"), &json!("2"), &json!("2"))
    );
    let mirror = sheet_item(&sheet, &s.mirror);
    assert_eq!(
        (&mirror["released"], &mirror["left_to_install"]),
        (&json!(false), &json!("0"))
    );
    assert_eq!(sheet["complete"], false);
    assert_eq!(sheet["can_record"], true);

    // Recorded, with its place in the answer.
    let made = s.install(pm, r1, &s.bedside, "2").await.expect(201);
    assert!(
        made.header("location")
            .unwrap()
            .starts_with("/api/v1/installations/")
    );
    let made = made.json();
    assert_eq!(made["quantity"], "2");
    assert_eq!(made["installer"], "Paula Manager");
    assert_eq!(made["room_code"], "T1-L01-0101");
    assert!(made["installed_on"].is_string());
    // Per room: room 0102 holds its own two.
    s.install(pm, r2, &s.bedside, "1").await.expect(201);
    let p = s
        .install(pm, r2, &s.bedside, "2")
        .await
        .problem(409, "not_enough_left");
    assert_eq!(p["detail"], "only 1 of 2 left to install in T1-L01-0102");
    assert_eq!(p["errors"][0]["field"], "quantity");
    let p = s
        .install(pm, r1, &s.bedside, "0.5")
        .await
        .problem(409, "not_enough_left");
    assert_eq!(p["detail"], "only 0 of 2 left to install in T1-L01-0101");
    // Only a released item, and only where it is placed.
    let p = s
        .install(pm, r1, &s.mirror, "1")
        .await
        .problem(409, "not_released");
    assert!(
        p["detail"].as_str().unwrap().contains("not released"),
        "{p}"
    );
    s.install(pm, r2, &s.desk, "1")
        .await
        .problem(409, "not_in_room");
    // What the input must be.
    let bad = s
        .install(pm, r1, &s.desk, "0")
        .await
        .problem(422, "validation_failed");
    assert_eq!(bad["errors"][0]["field"], "quantity");
    let tomorrow = (time::OffsetDateTime::now_utc().date() + time::Duration::days(2)).to_string();
    let bad = app
        .post(
            &format!("/api/v1/rooms/{r1}/installations"),
            pm,
            json!({"scope_item_id": s.desk["id"], "quantity": "1", "installed_on": tomorrow,
                "note": "x".repeat(2001)}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(crate::support::Resp::fields(&bad), ["installed_on", "note"]);
    let bad = app
        .post(
            &format!("/api/v1/rooms/{r1}/installations"),
            pm,
            json!({"scope_item_id": s.desk["id"], "quantity": "1", "installed_on": "1899-12-31"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(crate::support::Resp::fields(&bad), ["installed_on"]);
    let bad = app
        .post(
            &format!("/api/v1/rooms/{r1}/installations"),
            pm,
            json!({"scope_item_id": s.project, "quantity": "1"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(bad["errors"][0]["field"], "scope_item_id");
    // A building is not a room.
    let tree = app
        .get(&format!("/api/v1/projects/{}/locations", s.project), pm)
        .await
        .json();
    let tower = id_of(&tree["locations"][0]);
    app.get(&format!("/api/v1/rooms/{tower}/installation"), pm)
        .await
        .problem(404, "not_found");

    // Reversed once; a reversal is not reversed.
    let reverse = format!("/api/v1/installations/{}/reverse", id_of(&made));
    let back = app
        .post(&reverse, pm, json!({"note": "Wrong room"}))
        .await
        .expect(201)
        .json();
    assert_eq!(back["quantity"], "-2");
    assert_eq!(back["reverses_id"], made["id"]);
    app.post(&reverse, pm, json!({}))
        .await
        .problem(409, "already_reversed");
    app.post(
        &format!("/api/v1/installations/{}/reverse", id_of(&back)),
        pm,
        json!({}),
    )
    .await
    .problem(409, "not_reversible");
    let again = app
        .get(&format!("/api/v1/installations/{}", id_of(&made)), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(again["reversed_by_id"], back["id"]);
    let sheet = s.sheet(r1).await;
    assert_eq!(sheet_item(&sheet, &s.bedside)["installed"], "0");
    assert_eq!(sheet["recent"][0]["id"], back["id"]);
    s.install(pm, r1, &s.bedside, "2").await.expect(201);

    // The project's records, filtered.
    let project = &s.project;
    let list = |q: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/projects/{project}/installations{q}"), pm)
                .await
                .expect(200)
                .json()
        }
    };
    assert_eq!(list(String::new()).await["total"], 4);
    assert_eq!(list(format!("?room_id={r2}")).await["total"], 1);
    let level = tree["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "level")
        .map(id_of)
        .unwrap();
    assert_eq!(list(format!("?level_id={level}")).await["total"], 4);
    assert_eq!(
        list(format!("?building_id={tower}&limit=1")).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        list(format!("?building_id={}", s.project)).await["total"],
        0
    );
    assert_eq!(
        list(format!("?scope_item_id={}", id_of(&s.desk))).await["total"],
        0
    );
    app.get(
        &format!("/api/v1/projects/{}/installations?room_id=x", s.project),
        pm,
    )
    .await
    .problem(422, "validation_failed");

    // What is installed stays: neither the item nor the room is deleted.
    let p = app
        .delete(
            &format!(
                "/api/v1/scope-items/{}?version={}",
                id_of(&s.bedside),
                s.bedside["version"]
            ),
            pm,
        )
        .await
        .problem(409, "has_dependents");
    assert!(
        p["detail"].as_str().unwrap().contains("installation"),
        "{p}"
    );
    let room: Value = app.get(&format!("/api/v1/locations/{r2}"), pm).await.json();
    let p = app
        .delete(
            &format!("/api/v1/locations/{r2}?version={}", room["version"]),
            pm,
        )
        .await
        .problem(409, "has_dependents");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains(s.bedside["code"].as_str().unwrap()),
        "{p}"
    );
}

#[tokio::test]
async fn a_retried_record_and_its_photo_make_one_each() {
    let s = site().await;
    let (app, pm) = (&s.app, &s.pm.auth);
    let r1 = &s.rooms[0];
    let send = |key: &str| {
        let app = &app;
        let key = key.to_owned();
        let body = json!({"scope_item_id": s.bedside["id"], "quantity": "1",
            "installer": "Ivo's team", "note": "Left side"});
        async move {
            app.call_with(
                Method::POST,
                &format!("/api/v1/rooms/{r1}/installations"),
                pm,
                &[("idempotency-key", key.as_str())],
                Some(body),
            )
            .await
        }
    };
    let first = send("install-1").await.expect(201).json();
    let again = send("install-1").await.expect(200).json();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(s.sheet(r1).await["recent"].as_array().unwrap().len(), 1);
    assert_eq!(sheet_item(&s.sheet(r1).await, &s.bedside)["installed"], "1");

    // The photo, attached to the record, once.
    let attach = |key: &'static str| {
        let (mime, body) = multipart(
            "bedside.jpg",
            PHOTO,
            &[
                ("owner_type", "installation"),
                ("owner_id", first["id"].as_str().unwrap()),
                ("purpose", "photo"),
            ],
        );
        app.send(TestApp::build(
            Method::POST,
            "/api/v1/attachments",
            pm,
            &[("content-type", mime.as_str()), ("idempotency-key", key)],
            Some(axum::body::Body::from(body)),
            false,
        ))
    };
    let photo = attach("photo-1").await.expect(201).json();
    let same = attach("photo-1").await.expect(200).json();
    assert_eq!(same["id"], photo["id"]);
    let listed = app
        .get(
            &format!(
                "/api/v1/attachments?owner_type=installation&owner_id={}",
                first["id"].as_str().unwrap()
            ),
            pm,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let record = app
        .get(&format!("/api/v1/installations/{}", id_of(&first)), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(record["photo"]["id"], photo["id"]);
    assert!(record["photo"]["image"]["width"].is_number());
    // Nobody outside the installers attaches to a record; a client user does not see it.
    app.get(
        &format!("/api/v1/attachments/{}", id_of(&photo)),
        &s.client.auth,
    )
    .await
    .expect(403);
    let (mime, body) = multipart(
        "x.jpg",
        PHOTO,
        &[
            ("owner_type", "installation"),
            ("owner_id", first["id"].as_str().unwrap()),
        ],
    );
    app.send(TestApp::build(
        Method::POST,
        "/api/v1/attachments",
        &s.designer.auth,
        &[("content-type", mime.as_str())],
        Some(axum::body::Body::from(body)),
        false,
    ))
    .await
    .problem(403, "forbidden");
}

#[tokio::test]
async fn a_completed_room_tells_the_managers_and_coordinators() {
    let s = site().await;
    let (app, carl) = (&s.app, &s.craftsman.auth);
    let r2 = &s.rooms[1];
    let told = |user: &TestUser| {
        let auth = user.auth.clone();
        async move {
            let page = app
                .get("/api/v1/notifications?category=site", &auth)
                .await
                .expect(200)
                .json();
            // Only the room's news (the deliveries of the set-up are news too).
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["event"] == "room_ready")
                .cloned()
                .collect::<Vec<_>>()
        }
    };
    // Room 0102 holds only its two bedside tables: one, then the other completes it.
    s.install(carl, r2, &s.bedside, "1").await.expect(201);
    assert!(told(&s.pm).await.is_empty());
    s.install(carl, r2, &s.bedside, "1").await.expect(201);
    assert_eq!(s.sheet(r2).await["complete"], true);
    for user in [&s.pm, &s.coordinator] {
        let items = told(user).await;
        assert_eq!(items.len(), 1, "{}", user.user.name);
        assert_eq!(items[0]["event"], "room_ready");
        assert_eq!(items[0]["link"], format!("/rooms/{r2}"));
        assert!(
            items[0]["title"].as_str().unwrap().contains("T1-L01-0102"),
            "{}",
            items[0]
        );
    }
    // Nobody else, the installer included.
    assert!(told(&s.designer).await.is_empty());
    assert!(told(&s.craftsman).await.is_empty());
    assert!(told(&s.client).await.is_empty());
    // Room 0101 is not complete while its mirror waits (not released): nothing more.
    s.install(carl, &s.rooms[0], &s.bedside, "2")
        .await
        .expect(201);
    s.install(carl, &s.rooms[0], &s.desk, "1").await.expect(201);
    assert_eq!(told(&s.pm).await.len(), 1);
}

#[tokio::test]
async fn only_the_installers_record_and_the_team_reads() {
    let s = site().await;
    let r1 = &s.rooms[0];
    // A designer reads but does not record; a client user neither (they follow progress).
    s.install(&s.designer.auth, r1, &s.bedside, "1")
        .await
        .problem(403, "forbidden");
    s.install(&s.client.auth, r1, &s.bedside, "1")
        .await
        .problem(403, "forbidden");
    s.app
        .get(
            &format!("/api/v1/rooms/{r1}/installation"),
            &s.designer.auth,
        )
        .await
        .expect(200);
    s.app
        .get(&format!("/api/v1/rooms/{r1}/installation"), &s.client.auth)
        .await
        .problem(403, "forbidden");
    let made = s
        .install(&s.craftsman.auth, r1, &s.bedside, "1")
        .await
        .expect(201)
        .json();
    s.app
        .get(
            &format!("/api/v1/installations/{}", id_of(&made)),
            &s.client.auth,
        )
        .await
        .problem(403, "forbidden");
    s.app
        .post(
            &format!("/api/v1/installations/{}/reverse", id_of(&made)),
            &s.designer.auth,
            json!({}),
        )
        .await
        .problem(403, "forbidden");
}

/// The room page: reached from the Locations tab, an Install form per item with a camera
/// control and a fresh idempotency key; the form sent twice records once (with its photo),
/// a refusal comes back beside the field, and the history offers the reversal.
#[tokio::test]
async fn the_room_page_records_once_per_form_with_its_photo() {
    let s = site().await;
    let app = &s.app;
    let r1 = &s.rooms[0];
    let (carl, _) = app
        .login(&s.craftsman.user.email, crate::support::PASSWORD)
        .await;
    let Auth::Cookie {
        token,
        csrf: Some(csrf),
    } = &carl
    else {
        panic!("cookie auth")
    };
    let browser = Auth::Cookie {
        token: token.clone(),
        csrf: None,
    };
    let tab = app
        .get(&format!("/projects/{}/locations", s.project), &carl)
        .await
        .expect(200)
        .text();
    assert!(tab.contains(&format!("href=\"/rooms/{r1}\"")), "{tab}");
    let page = format!("/rooms/{r1}");
    let html = app.get(&page, &carl).await.expect(200).text();
    assert!(html.contains("T1-L01-0101"));
    assert!(html.contains("0</strong> of 2 pcs installed"), "{html}");
    assert!(html.contains("accept=\"image/*\" capture=\"environment\""));
    let bedside = s.bedside["id"].as_str().unwrap();
    let key = html
        .split(&format!("name=\"scope_item_id\" value=\"{bedside}\"><input type=\"hidden\" name=\"idempotency_key\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the bedside form's key")
        .to_owned();
    let post = |quantity: &str, key: &str| {
        let (mime, body) = multipart(
            "bedside.jpg",
            PHOTO,
            &[
                ("_csrf", csrf.as_str()),
                ("scope_item_id", bedside),
                ("idempotency_key", key),
                ("quantity", quantity),
                ("installed_on", ""),
                ("installer", "Carl's crew"),
                ("note", "Both sides"),
            ],
        );
        TestApp::build(
            Method::POST,
            &format!("/rooms/{r1}/installations"),
            &browser,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        )
    };
    for _ in 0..2 {
        let done = app.send(post("2", &key)).await.expect(303);
        assert_eq!(
            done.header("location").unwrap(),
            format!("/rooms/{r1}?m=installed#item-{bedside}")
        );
    }
    let sheet = s.sheet(r1).await;
    assert_eq!(sheet["recent"].as_array().unwrap().len(), 1);
    assert_eq!(sheet["recent"][0]["installer"], "Carl's crew");
    assert!(sheet["recent"][0]["photo"]["id"].is_string());
    assert_eq!(sheet_item(&sheet, &s.bedside)["installed"], "2");
    // More than is left: the page again, the reason beside the quantity.
    let refused = app.send(post("1", "another-key")).await.expect(422).text();
    assert!(
        refused.contains("only 0 of 2 left to install in T1-L01-0101"),
        "{refused}"
    );
    // The history shows the photo and offers the reversal, which lands back on the room.
    let html = app.get(&page, &carl).await.expect(200).text();
    let record = sheet["recent"][0]["id"].as_str().unwrap();
    assert!(html.contains("/thumbnail\""), "a thumbnail");
    assert!(html.contains(&format!("action=\"/installations/{record}/reverse\"")));
    let reversed = app
        .call(
            Method::POST,
            &format!("/installations/{record}/reverse"),
            &carl,
            None,
        )
        .await;
    assert_eq!(reversed.status.as_u16(), 303, "{}", reversed.text());
    assert_eq!(sheet_item(&s.sheet(r1).await, &s.bedside)["installed"], "0");
    // A client user has no room page (their progress view is elsewhere).
    let (cleo, _) = app
        .login(&s.client.user.email, crate::support::PASSWORD)
        .await;
    app.get(&page, &cleo).await.expect(403);
    let tab = app
        .get(&format!("/projects/{}/locations", s.project), &cleo)
        .await
        .expect(200)
        .text();
    assert!(
        !tab.contains("href=\"/rooms/"),
        "no room links for a client"
    );
}

/// The same rules through the whole stack on PostgreSQL (SQLite above): the limit of the
/// room, a retried record made once, the reversal once, the sums on the sheet. (The race
/// itself is tested on both databases in the storage suite.)
#[tokio::test]
async fn recording_holds_on_postgresql_too() {
    let s = site_on(TestApp::on_postgres().await).await;
    let (app, pm) = (&s.app, &s.pm.auth);
    let r1 = &s.rooms[0];
    let send = |key: &'static str, quantity: &'static str| {
        let body = json!({"scope_item_id": s.bedside["id"], "quantity": quantity,
            "installed_on": "2026-01-15"});
        async move {
            app.call_with(
                Method::POST,
                &format!("/api/v1/rooms/{r1}/installations"),
                pm,
                &[("idempotency-key", key)],
                Some(body),
            )
            .await
        }
    };
    let first = send("pg-1", "1.5").await.expect(201).json();
    assert_eq!(first["installed_on"], "2026-01-15");
    assert_eq!(
        send("pg-1", "1.5").await.expect(200).json()["id"],
        first["id"]
    );
    let p = send("pg-2", "1").await.problem(409, "not_enough_left");
    assert_eq!(p["detail"], "only 0.5 of 2 left to install in T1-L01-0101");
    let reverse = format!("/api/v1/installations/{}/reverse", id_of(&first));
    app.post(&reverse, pm, json!({})).await.expect(201);
    app.post(&reverse, pm, json!({}))
        .await
        .problem(409, "already_reversed");
    send("pg-3", "2").await.expect(201);
    let sheet = s.sheet(r1).await;
    assert_eq!(sheet_item(&sheet, &s.bedside)["installed"], "2");
    assert_eq!(sheet["recent"].as_array().unwrap().len(), 3);
    let list = app
        .get(
            &format!("/api/v1/projects/{}/installations?room_id={r1}", s.project),
            pm,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(list["total"], 3);
}
