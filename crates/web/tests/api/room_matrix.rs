//! The room matrix, site progress and progress weights through the API and the Site tab:
//! states from installations, snags and sign-offs (written here with SQL beneath the use
//! cases, which are built elsewhere), what a client user sees, who is refused, filters, the
//! weights' rule, project progress with and without locations, and the 300-room × 30-item
//! page within the page budget compressed.

use std::io::Read;
use std::time::Instant;

use axum::http::Method;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::scope::{boq, form};
use crate::support::{Auth, PASSWORD, Resp, TestApp, TestUser, id_of};

/// Runs statements on the test app's SQLite file, beneath the use cases.
async fn sql(app: &TestApp, statements: &[String]) {
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

/// A UUID as a SQLite blob literal.
fn blob(id: &str) -> String {
    format!("X'{}'", id.replace('-', ""))
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn install(project: &str, item: &str, room: &str, milli: i64) -> String {
    format!(
        "INSERT INTO installations (id, project_id, scope_item_id, room_id, quantity_milli, \
         installed_on, recorded_at) VALUES ({}, {}, {}, {}, {milli}, '2026-12-01', \
         '2026-12-01T08:00:00Z')",
        blob(&new_id()),
        blob(project),
        blob(item),
        blob(room)
    )
}

fn snag(project: &str, number: i64, item: &str, room: &str, client_visible: bool) -> String {
    format!(
        "INSERT INTO snags (id, project_id, number, room_id, scope_item_id, title, category, \
         status, client_visible, raised_at, updated_at, version) VALUES ({}, {}, {number}, {}, \
         {}, 'Scratch', 'finish', 'open', {}, '2026-12-01T08:00:00Z', '2026-12-01T08:00:00Z', 1)",
        blob(&new_id()),
        blob(project),
        blob(room),
        blob(item),
        i32::from(client_visible)
    )
}

fn sign_off(project: &str, room: &str) -> String {
    format!(
        "INSERT INTO room_signoffs (id, project_id, room_id, signed_at) VALUES ({}, {}, {}, \
         '2026-12-01T09:00:00Z')",
        blob(&new_id()),
        blob(project),
        blob(room)
    )
}

fn release(item: &str) -> String {
    format!(
        "UPDATE scope_items SET released_at = '2026-11-30T08:00:00Z' WHERE id = {}",
        blob(item)
    )
}

/// A building of `levels` × `rooms` King rooms; returns the room ids in code order, the
/// level ids, the room type and a scope group.
async fn hotel(
    app: &TestApp,
    auth: &Auth,
    p: &str,
    levels: u32,
    rooms: u32,
) -> (Vec<String>, Vec<String>, String, String) {
    let tower = id_of(
        &app.post(
            &format!("/api/v1/projects/{p}/locations"),
            auth,
            json!({"kind": "building", "code": "T1", "name": "Tower 1"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let king = id_of(
        &app.post(
            &format!("/api/v1/projects/{p}/room-types"),
            auth,
            json!({"code": "KING", "name": "King guest room"}),
        )
        .await
        .expect(201)
        .json(),
    );
    app.post(
        &format!("/api/v1/projects/{p}/locations/pattern"),
        auth,
        json!({"building_id": tower, "levels_from": 1, "levels_to": levels, "rooms_from": 1,
            "rooms_to": rooms, "room_type_id": king}),
    )
    .await
    .expect(201);
    let tree = app
        .get(&format!("/api/v1/projects/{p}/locations"), auth)
        .await
        .expect(200)
        .json();
    let of_kind = |kind: &str| -> Vec<String> {
        let mut v: Vec<(String, String)> = tree["locations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["kind"] == kind)
            .map(|l| (l["code"].as_str().unwrap().to_owned(), id_of(l)))
            .collect();
        v.sort();
        v.into_iter().map(|(_, id)| id).collect()
    };
    let scope = app
        .get(&format!("/api/v1/projects/{p}/scope"), auth)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][0]);
    (of_kind("room"), of_kind("level"), king, group)
}

async fn type_item(
    app: &TestApp,
    auth: &Auth,
    p: &str,
    group: &str,
    king: &str,
    name: &str,
) -> String {
    id_of(
        &app.post(
            &format!("/api/v1/projects/{p}/scope-items"),
            auth,
            json!({"group_id": group, "name": name, "room_type_id": king,
                "quantity_per_room": "2"}),
        )
        .await
        .expect(201)
        .json(),
    )
}

fn cell(m: &Value, level: usize, room: usize, column: usize) -> &Value {
    &m["levels"][level]["rooms"][room]["cells"][column]
}

#[tokio::test]
async fn the_matrix_shows_each_rooms_state_to_the_team_and_the_client() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let project = app
        .get(&format!("/api/v1/projects/{p}"), pm)
        .await
        .expect(200)
        .json();
    let client_id = project["client_id"].as_str().unwrap().to_owned();
    let (rooms, levels, king, group) = hotel(app, pm, p, 2, 2).await;
    let wardrobe = type_item(app, pm, p, &group, &king, "Wardrobe").await;
    let desk = type_item(app, pm, p, &group, &king, "Desk").await;
    sql(
        app,
        &[
            release(&wardrobe),
            install(p, &wardrobe, &rooms[0], 2000),
            install(p, &wardrobe, &rooms[1], 1000),
            // An internal snag on the desk in room 2, one visible to the client in room 3.
            snag(p, 1, &desk, &rooms[1], false),
            snag(p, 2, &desk, &rooms[2], true),
            sign_off(p, &rooms[3]),
        ],
    )
    .await;

    let path = format!("/api/v1/projects/{p}/room-matrix");
    let m = app.get(&path, pm).await.expect(200).json();
    assert_eq!(m["columns"].as_array().unwrap().len(), 2, "{m}");
    assert_eq!(m["columns"][0]["room_type_code"], "KING");
    assert_eq!(m["levels"].as_array().unwrap().len(), 2);
    assert_eq!(m["levels"][0]["code"], "T1-L01");
    let state = |m: &Value, l, r, c| cell(m, l, r, c)["state"].as_str().unwrap().to_owned();
    assert_eq!(state(&m, 0, 0, 0), "installed");
    assert_eq!(state(&m, 0, 0, 1), "not_released");
    assert_eq!(state(&m, 0, 1, 0), "partly_installed");
    assert_eq!(cell(&m, 0, 1, 0)["installed_milli"], 1000);
    assert_eq!(cell(&m, 0, 1, 0)["quantity_milli"], 2000);
    assert_eq!(state(&m, 0, 1, 1), "snagged");
    assert_eq!(state(&m, 1, 0, 1), "snagged");
    assert_eq!(state(&m, 1, 1, 0), "signed_off");
    assert_eq!(m["levels"][1]["signed_off_rooms"], 1);
    assert!(m["levels"][0]["progress"].is_i64());
    let counts: Vec<(String, i64)> = m["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["state"].as_str().unwrap().to_owned(),
                c["cells"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts.iter().map(|c| c.1).sum::<i64>(), 8);

    // A client user of the project sees the states, but the internal snag does not count.
    let carl = app
        .user(&b.admin, "client", "Carl Client", Some(&client_id))
        .await;
    let seen = app.get(&path, &carl.auth).await.expect(200).json();
    assert_eq!(state(&seen, 0, 1, 1), "not_released");
    assert_eq!(state(&seen, 1, 0, 1), "snagged");
    assert!(!seen.to_string().contains("total"), "no prices: {seen}");
    // Someone outside the project is refused; a client of another client does not see it.
    let other_client = app.client(&b.admin.auth, "Other Hotels").await;
    let olga = app
        .user(&b.admin, "client", "Olga Other", Some(&other_client))
        .await;
    app.get(&path, &olga.auth).await.expect(404);
    let dave = app.user(&b.admin, "designer", "Dave Designer", None).await;
    let refused = app.get(&path, &dave.auth).await;
    assert!(
        matches!(refused.status.as_u16(), 403 | 404),
        "{}",
        refused.status
    );

    // Filters: one level; a bad id is a 422 naming the field.
    let one = app
        .get(&format!("{path}?level_id={}", levels[1]), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(one["levels"].as_array().unwrap().len(), 1);
    assert_eq!(one["levels"][0]["rooms"].as_array().unwrap().len(), 2);
    let bad = app
        .get(&format!("{path}?level_id=nope"), pm)
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&bad), ["level_id"]);
    let none = app
        .get(&format!("{path}?room_type_id={}", new_id()), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(none["levels"], json!([]));
}

#[tokio::test]
async fn progress_follows_the_weights_and_keeps_todays_rule_without_locations() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let project = format!("/api/v1/projects/{p}");
    // No locations: the scope's own figure, as before.
    let scope = app
        .get(&format!("{project}/scope"), pm)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][0]);
    app.post(
        &format!("{project}/scope-items"),
        pm,
        json!({"group_id": group, "name": "Reception desk", "progress": 60}),
    )
    .await
    .expect(201);
    assert_eq!(app.get(&project, pm).await.json()["progress"], 60);
    let sp = app
        .get(&format!("{project}/site-progress"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(sp["has_locations"], false);

    let (rooms, _, king, group) = hotel(app, pm, p, 1, 2).await;
    let wardrobe = type_item(app, pm, p, &group, &king, "Wardrobe").await;
    sql(
        app,
        &[release(&wardrobe), install(p, &wardrobe, &rooms[0], 2000)],
    )
    .await;
    // Wardrobe (what is installed was produced and delivered): 10 + 50 × 2/4 + 10 × 2/4 + 25 ×
    // 2/4 = 52.5 → 53; the desk keeps 60: (53 + 60 + 1) / 2 = 57.
    assert_eq!(app.get(&project, pm).await.json()["progress"], 57);
    let sp = app
        .get(&format!("{project}/site-progress"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(sp["has_locations"], true);
    assert_eq!(sp["levels"][0]["progress"], 53);
    assert_eq!(sp["rooms"][0]["progress"], 95);
    assert_eq!(sp["rooms"][1]["progress"], 10);

    let weights = format!("{project}/progress-weights");
    assert_eq!(
        app.get(&weights, pm).await.expect(200).json(),
        json!({"released": 10, "production": 50, "delivery": 10, "installed": 25, "signed_off": 5})
    );
    let bad = app
        .call(
            Method::PUT,
            &weights,
            pm,
            Some(json!({"released": 50, "production": 0, "delivery": 0, "installed": 60, "signed_off": 0})),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&bad), ["released"]);
    assert!(bad.to_string().contains("they add up to 110"), "{bad}");
    // The three weights of before are not enough: all five are asked for.
    let old = app
        .call(
            Method::PUT,
            &weights,
            pm,
            Some(json!({"released": 20, "installed": 70, "signed_off": 10})),
        )
        .await;
    assert_eq!(old.status.as_u16(), 422, "{}", old.text());
    let client_id = app.get(&project, pm).await.json()["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let carl = app
        .user(&b.admin, "client", "Carl Client", Some(&client_id))
        .await;
    let even =
        json!({"released": 0, "production": 0, "delivery": 0, "installed": 100, "signed_off": 0});
    app.call(Method::PUT, &weights, &carl.auth, Some(even.clone()))
        .await
        .expect(403);
    // The client sees progress, not the right to change how it is counted.
    app.get(&weights, &carl.auth).await.expect(200);
    app.call(Method::PUT, &weights, pm, Some(even.clone()))
        .await
        .expect(200);
    assert_eq!(app.get(&weights, pm).await.json(), even);
    // Wardrobe 50; desk 60: 55.
    assert_eq!(app.get(&project, pm).await.json()["progress"], 55);
}

/// Now as the store writes timestamps (fixed-width RFC 3339).
fn now_ts() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000000Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn stage(project: &str, id: &str, key: &str, kind: &str, position: i64) -> String {
    format!(
        "INSERT INTO workshop_stages (id, project_id, key, name, kind, position, archived, \
         created_at, updated_at, version) VALUES ({}, {}, '{key}', '{key}', '{kind}', \
         {position}, 0, '2026-11-30T08:00:00.000000Z', '2026-11-30T08:00:00.000000Z', 1)",
        blob(id),
        blob(project)
    )
}

fn shift(
    project: &str,
    item: &str,
    from: Option<&str>,
    to: Option<&str>,
    milli: i64,
    kind: &str,
) -> String {
    let opt = |v: Option<&str>| v.map_or_else(|| "NULL".to_owned(), blob);
    format!(
        "INSERT INTO workshop_moves (id, project_id, scope_item_id, from_stage_id, to_stage_id, \
         quantity_milli, kind, moved_at) VALUES ({}, {}, {}, {}, {}, {milli}, '{kind}', '{}')",
        blob(&new_id()),
        blob(project),
        blob(item),
        opt(from),
        opt(to),
        now_ts()
    )
}

/// A delivery note with one line of `item`, all of it received.
fn received(project: &str, item: &str, milli: i64) -> [String; 2] {
    let note = new_id();
    [
        format!(
            "INSERT INTO delivery_notes (id, project_id, number, status, created_at, \
             updated_at, version) VALUES ({}, {}, 1, 'received', '2026-12-01T08:00:00.000000Z', \
             '2026-12-01T08:00:00.000000Z', 1)",
            blob(&note),
            blob(project)
        ),
        format!(
            "INSERT INTO delivery_note_lines (id, delivery_note_id, position, scope_item_id, \
             quantity_milli, received_milli) VALUES ({}, {}, 1, {}, {milli}, {milli})",
            blob(&new_id()),
            blob(&note),
            blob(item)
        ),
    ]
}

/// Production and delivery on the matrix (the ledger and the delivery notes written with SQL
/// beneath their use cases, built elsewhere), for the team and for a client user, and the
/// workshop's throughput for the staff only.
#[tokio::test]
async fn production_and_delivery_show_on_the_matrix_and_throughput_for_the_staff() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let (_, _, king, group) = hotel(app, pm, p, 1, 3).await;
    let wardrobe = type_item(app, pm, p, &group, &king, "Wardrobe").await;
    let desk = type_item(app, pm, p, &group, &king, "Desk").await;
    let (cutting, packed) = (new_id(), new_id());
    let mut statements = vec![
        release(&wardrobe),
        release(&desk),
        stage(p, &cutting, "cutting", "work", 1),
        stage(p, &packed, "packed", "packed", 2),
        // 6 started, 5 packed, 1 sent back for rework: 4 packed; all 4 received on site.
        shift(p, &wardrobe, None, Some(&cutting), 6000, "forward"),
        shift(p, &wardrobe, Some(&cutting), Some(&packed), 5000, "forward"),
        shift(p, &wardrobe, Some(&packed), Some(&cutting), 1000, "rework"),
    ];
    statements.extend(received(p, &wardrobe, 4000));
    sql(app, &statements).await;

    let path = format!("/api/v1/projects/{p}/room-matrix");
    let m = app.get(&path, pm).await.expect(200).json();
    let state = |m: &Value, r, c| cell(m, 0, r, c)["state"].as_str().unwrap().to_owned();
    // Two wardrobes a room: the 4 received cover rooms 1 and 2, in order.
    assert_eq!(state(&m, 0, 0), "delivered", "{m}");
    assert_eq!(state(&m, 1, 0), "delivered");
    assert_eq!(state(&m, 2, 0), "in_production");
    assert_eq!(state(&m, 0, 1), "released");
    // Rooms 1 and 2: wardrobes produced and delivered (10 + 50 + 10 = 70), desks released
    // (10): 40; room 3: 10 and 10.
    assert_eq!(m["levels"][0]["rooms"][0]["progress"], 40);
    assert_eq!(m["levels"][0]["rooms"][2]["progress"], 10);
    let counts = m["counts"].to_string();
    assert!(
        counts.contains(r#"{"cells":2,"state":"delivered"}"#)
            || counts.contains(r#"{"state":"delivered","cells":2}"#),
        "{counts}"
    );

    // A client user sees the same states, and nothing of the workshop behind them.
    let client_id = app.get(&format!("/api/v1/projects/{p}"), pm).await.json()["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let carl = app
        .user(&b.admin, "client", "Carl Client", Some(&client_id))
        .await;
    let seen = app.get(&path, &carl.auth).await.expect(200).json();
    assert_eq!(state(&seen, 0, 0), "delivered");
    assert_eq!(state(&seen, 2, 0), "in_production");
    for word in ["packed", "received", "stage", "total"] {
        assert!(!seen.to_string().contains(word), "{word} in {seen}");
    }
    let page = app
        .get(&format!("/projects/{p}/site"), &cookie(app, &carl).await)
        .await
        .expect(200)
        .text();
    for text in [
        "In production",
        "Delivered",
        "<td class=de>",
        "<td class=ip>",
        ">D</a>",
        ">P</a>",
    ] {
        assert!(page.contains(text), "{text} in {page}");
    }

    // Throughput: this week 5 packed of one item, one rework of 1; the staff only.
    let tp = format!("/api/v1/projects/{p}/workshop-throughput");
    let t = app.get(&tp, pm).await.expect(200).json();
    let weeks = t["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 12);
    let now = &weeks[11];
    assert_eq!(
        (
            &now["packed_milli"],
            &now["packed_items"],
            &now["rework_moves"],
            &now["rework_milli"]
        ),
        (&json!(5000), &json!(1), &json!(1), &json!(1000)),
        "{t}"
    );
    assert!(now["week"].as_str().unwrap().contains("-W"));
    let t4 = app
        .get(&format!("{tp}?weeks=4"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(t4["weeks"].as_array().unwrap().len(), 4);
    for bad in ["0", "27", "many"] {
        let e = app
            .get(&format!("{tp}?weeks={bad}"), pm)
            .await
            .problem(422, "validation_failed");
        assert_eq!(Resp::fields(&e), ["weeks"]);
    }
    app.get(&tp, &carl.auth).await.expect(403);
    let c = cookie(app, &b.pm).await;
    let overview = app
        .get(&format!("/projects/{p}"), &c)
        .await
        .expect(200)
        .text();
    assert!(overview.contains("Workshop throughput"), "{overview}");
    assert!(overview.contains("this week"));
    let theirs = app
        .get(&format!("/projects/{p}"), &cookie(app, &carl).await)
        .await
        .expect(200)
        .text();
    assert!(!theirs.contains("Workshop throughput"));
}

async fn cookie(app: &TestApp, user: &TestUser) -> Auth {
    app.login(&user.user.email, PASSWORD).await.0
}

#[tokio::test]
async fn the_site_tab_and_the_overview_show_the_matrix_and_levels() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let (rooms, levels, king, group) = hotel(app, pm, p, 2, 2).await;
    let wardrobe = type_item(app, pm, p, &group, &king, "Wardrobe").await;
    sql(
        app,
        &[
            release(&wardrobe),
            install(p, &wardrobe, &rooms[0], 1000),
            snag(p, 1, &wardrobe, &rooms[1], true),
        ],
    )
    .await;
    let c = cookie(app, &b.pm).await;
    let html = app
        .get(&format!("/projects/{p}/site"), &c)
        .await
        .expect(200)
        .text();
    for text in [
        "Room matrix",
        "Partly installed",
        "Signed off",
        &format!("href=/rooms/{}", rooms[0]),
        ">1/2</a>",
        &format!(
            "/projects/{p}/snags?room_id={}&amp;scope_item_id={wardrobe}",
            rooms[1]
        ),
        "T1-L01 · Level 1",
        "Save weights",
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    let one = app
        .get(&format!("/projects/{p}/site?level_id={}", levels[1]), &c)
        .await
        .expect(200)
        .text();
    assert!(
        one.contains("mx-wrap one") && !one.contains("T1-L01-0101<"),
        "{one}"
    );
    // Weights from the form: a sum that is not 100 is said beside the form, and nothing is
    // saved; a good one is saved.
    let weights = format!("/projects/{p}/progress-weights");
    let fields = [
        ("released", "50"),
        ("production", "0"),
        ("delivery", "0"),
        ("installed", "60"),
        ("signed_off", "0"),
    ];
    let page = form(app, &weights, &c, &fields).await.expect(422).text();
    assert!(page.contains("must add up to 100"), "{page}");
    let fields = [
        ("released", "10"),
        ("production", "30"),
        ("delivery", "0"),
        ("installed", "50"),
        ("signed_off", "10"),
    ];
    form(app, &weights, &c, &fields).await.expect(303);
    assert_eq!(
        app.get(&format!("/api/v1/projects/{p}/progress-weights"), pm)
            .await
            .json(),
        json!({"released": 10, "production": 30, "delivery": 0, "installed": 50, "signed_off": 10})
    );
    // A client user of the project sees the tab, without the weights form.
    let client_id = app.get(&format!("/api/v1/projects/{p}"), pm).await.json()["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let carl = app
        .user(&b.admin, "client", "Carl Client", Some(&client_id))
        .await;
    let seen = app
        .get(&format!("/projects/{p}/site"), &cookie(app, &carl).await)
        .await
        .expect(200)
        .text();
    assert!(seen.contains("Room matrix") && !seen.contains("Save weights"));
    let overview = app
        .get(&format!("/projects/{p}"), &c)
        .await
        .expect(200)
        .text();
    assert!(overview.contains("Progress by level"), "{overview}");
    assert!(overview.contains(&format!("/projects/{p}/site?level_id={}", levels[0])));
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    flate2::read::GzEncoder::new(bytes, flate2::Compression::default())
        .read_to_end(&mut out)
        .expect("gzip");
    out.len()
}

/// The page budget (DESIGN.md §9: page HTML ≤ 60 KB compressed) holds for the matrix of
/// 300 rooms × 30 items, as the server itself compresses it; the time per page (debug
/// build) is printed for docs/performance.md.
#[tokio::test]
async fn a_300_room_matrix_page_fits_the_page_budget() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let (rooms, _, king, group) = hotel(app, pm, p, 12, 25).await;
    assert_eq!(rooms.len(), 300);
    let mut statements = Vec::new();
    for n in 0..30 {
        let item = type_item(app, pm, p, &group, &king, &format!("Item {n}")).await;
        if n % 3 != 0 {
            statements.push(release(&item));
        }
        for (r, room) in rooms.iter().enumerate() {
            match (n + r) % 5 {
                0 => statements.push(install(p, &item, room, 2000)),
                1 => statements.push(install(p, &item, room, 1000)),
                _ => {}
            }
        }
        if n == 1 {
            for (r, room) in rooms.iter().enumerate().step_by(17) {
                statements.push(snag(p, r as i64 + 1, &item, room, true));
            }
        }
    }
    for room in rooms.iter().step_by(23) {
        statements.push(sign_off(p, room));
    }
    sql(app, &statements).await;
    let c = cookie(app, &b.pm).await;
    let path = format!("/projects/{p}/site");
    let mut times = Vec::new();
    let mut page = None;
    for _ in 0..10 {
        let started = Instant::now();
        let resp = app
            .call_with(Method::GET, &path, &c, &[("accept-encoding", "gzip")], None)
            .await
            .expect(200);
        times.push(started.elapsed());
        page = Some(resp);
    }
    let page = page.unwrap();
    assert_eq!(page.header("content-encoding").as_deref(), Some("gzip"));
    let compressed = page.body.len();
    let mut html = String::new();
    flate2::read::GzDecoder::new(&page.body[..])
        .read_to_string(&mut html)
        .expect("gzip");
    assert_eq!(html.matches("<td").count(), 9000, "every cell is there");
    times.sort();
    println!(
        "room matrix page 300 × 30: {} bytes, {compressed} gzip (server), {} gzip (default level), p50 {:?}, max {:?}",
        html.len(),
        gzip_len(html.as_bytes()),
        times[times.len() / 2],
        times[times.len() - 1]
    );
    assert!(
        compressed <= 60 * 1024,
        "{compressed} bytes compressed, over the 60 KB page budget"
    );
}

/// Drawings, specifications, readiness and the scope filter by building, level, room and
/// room type through the scope items they cover, in the API and on the pages.
#[tokio::test]
async fn lists_filter_by_place_through_their_items() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let (rooms, levels, king, group) = hotel(app, pm, p, 2, 2).await;
    let wardrobe = type_item(app, pm, p, &group, &king, "Wardrobe").await;
    // A vanity in the first room of level 2 only.
    let vanity = id_of(
        &app.post(
            &format!("/api/v1/projects/{p}/scope-items"),
            pm,
            json!({"group_id": group, "name": "Vanity", "room_id": rooms[2]}),
        )
        .await
        .expect(201)
        .json(),
    );
    let unplaced = id_of(
        &app.post(
            &format!("/api/v1/projects/{p}/scope-items"),
            pm,
            json!({"group_id": group, "name": "Lobby desk"}),
        )
        .await
        .expect(201)
        .json(),
    );
    for (number, item) in [("D-01", &wardrobe), ("D-02", &vanity), ("D-03", &unplaced)] {
        app.post(
            &format!("/api/v1/projects/{p}/drawings"),
            pm,
            json!({"number": number, "title": "Elevation", "kind": "elevation",
                "scope_item_ids": [item]}),
        )
        .await
        .expect(201);
    }
    for (code, item) in [("V-01", &wardrobe), ("V-02", &vanity), ("V-03", &unplaced)] {
        app.post(
            &format!("/api/v1/projects/{p}/specs"),
            pm,
            json!({"code": code, "description": "Veneer", "category": "veneer",
                "scope_item_ids": [item]}),
        )
        .await
        .expect(201);
    }
    let codes = |v: &Value, key: &str| -> Vec<String> {
        let mut c: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[key].as_str().unwrap().to_owned())
            .collect();
        c.sort();
        c
    };
    let get = |path: String| async move { app.get(&path, pm).await.expect(200).json() };
    // Level 1 holds King rooms only: the wardrobe's drawing and spec.
    let l1 = format!("level_id={}", levels[0]);
    assert_eq!(
        codes(
            &get(format!("/api/v1/projects/{p}/drawings?{l1}")).await,
            "number"
        ),
        ["D-01"]
    );
    assert_eq!(
        codes(
            &get(format!("/api/v1/projects/{p}/specs?{l1}")).await,
            "code"
        ),
        ["V-01"]
    );
    // The vanity's room: its own item and the wardrobe on its room type.
    let r = format!("room_id={}", rooms[2]);
    assert_eq!(
        codes(
            &get(format!("/api/v1/projects/{p}/drawings?{r}&q=elev")).await,
            "number"
        ),
        ["D-01", "D-02"],
        "the other filters still apply"
    );
    let ready = get(format!("/api/v1/projects/{p}/readiness?{r}")).await;
    let mut items: Vec<String> = ready["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item_id"].as_str().unwrap().to_owned())
        .collect();
    items.sort();
    let mut expected = vec![wardrobe.clone(), vanity.clone()];
    expected.sort();
    assert_eq!(items, expected);
    assert_eq!(ready["overall"]["items"], 2);
    // The room type: the wardrobe only.
    let t = format!("room_type_id={king}");
    assert_eq!(
        codes(
            &get(format!("/api/v1/projects/{p}/specs?{t}")).await,
            "code"
        ),
        ["V-01"]
    );
    // Without a filter, everything; a bad id is a 422 naming it.
    assert_eq!(
        codes(
            &get(format!("/api/v1/projects/{p}/drawings")).await,
            "number"
        ),
        ["D-01", "D-02", "D-03"]
    );
    let bad = app
        .get(&format!("/api/v1/projects/{p}/readiness?room_id=x"), pm)
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&bad), ["room_id"]);

    // The pages: select boxes that keep the other filters, and the lists narrowed.
    let c = cookie(app, &b.pm).await;
    let html = app
        .get(&format!("/projects/{p}/drawings?q=elev&{r}"), &c)
        .await
        .expect(200)
        .text();
    assert!(html.contains(r#"name="room_id""#), "{html}");
    assert!(html.contains(&format!(r#"<option value="{}" selected>"#, rooms[2])));
    assert!(html.contains(r#"value="elev""#), "the search is kept");
    assert!(html.contains("D-02") && !html.contains("D-03"));
    for page in ["materials", "readiness", "scope"] {
        let html = app
            .get(&format!("/projects/{p}/{page}?{l1}"), &c)
            .await
            .expect(200)
            .text();
        assert!(html.contains(r#"name="level_id""#), "{page}: {html}");
        assert!(
            html.contains(&format!(r#"<option value="{}" selected>"#, levels[0])),
            "{page}"
        );
        assert!(!html.contains("Vanity") || page == "materials", "{page}");
    }
}
