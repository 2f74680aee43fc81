//! Locations through the API: the tree with its rules, pattern preview and all-or-nothing
//! creation, room-type items whose quantity counts every room of the type, filters, and
//! refusals that say what is in the way.

use serde_json::{Value, json};

use crate::scope::boq;
use crate::support::{Resp, id_of};

#[tokio::test]
async fn a_hotel_is_set_up_from_a_pattern_and_items_count_every_room() {
    let b = boq().await;
    let (app, auth, p) = (&b.app, &b.pm.auth, &b.project);
    let post = |path: String, body: Value| async move { app.post(&path, auth, body).await };

    // The rules of the tree, each said where it applies.
    let body = post(
        format!("/api/v1/projects/{p}/locations"),
        json!({"kind": "room", "code": "R1", "name": "Room"}),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&body), ["parent_id"]);
    let body = post(
        format!("/api/v1/projects/{p}/locations"),
        json!({"kind": "building", "code": "T 1", "name": ""}),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&body), ["code", "name"]);
    let tower = post(
        format!("/api/v1/projects/{p}/locations"),
        json!({"kind": "building", "code": "T1", "name": "Tower 1"}),
    )
    .await
    .expect(201);
    assert!(
        tower
            .header("location")
            .unwrap()
            .contains("/api/v1/locations/")
    );
    let tower = id_of(&tower.json());
    let king = id_of(
        &post(
            format!("/api/v1/projects/{p}/room-types"),
            json!({"code": "KING", "name": "King guest room"}),
        )
        .await
        .expect(201)
        .json(),
    );
    post(
        format!("/api/v1/projects/{p}/room-types"),
        json!({"code": "king", "name": "Again"}),
    )
    .await
    .problem(409, "duplicate");

    // 2 levels × 10 rooms, previewed, then created.
    let pattern = json!({"building_id": tower, "levels_from": 1, "levels_to": 2,
        "rooms_from": 1, "rooms_to": 10, "room_type_id": king});
    let preview = post(
        format!("/api/v1/projects/{p}/locations/pattern-preview"),
        pattern.clone(),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(preview["new_levels"], 2);
    assert_eq!(preview["new_rooms"], 20);
    assert_eq!(preview["levels"][1]["rooms"][9]["code"], "T1-L02-0210");
    let made = post(
        format!("/api/v1/projects/{p}/locations/pattern"),
        pattern.clone(),
    )
    .await
    .expect(201)
    .json();
    assert_eq!(made, json!({"levels": 2, "rooms": 20}));
    // Again: every room code is taken now, and the answer names them.
    let problem = post(format!("/api/v1/projects/{p}/locations/pattern"), pattern)
        .await
        .problem(409, "duplicate");
    assert!(
        problem["detail"].as_str().unwrap().contains("T1-L01-0101"),
        "{problem}"
    );
    let bad = post(
        format!("/api/v1/projects/{p}/locations/pattern-preview"),
        json!({"building_id": tower, "levels_from": 3, "levels_to": 3, "rooms_from": 1,
            "rooms_to": 3, "room_code": "{building}-{lvl}"}),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&bad), ["room_code"]);

    // Three items per King room: one line covers the 20 rooms.
    let group = id_of(&b.scope(auth).await["groups"][1]);
    let item = post(
        format!("/api/v1/projects/{p}/scope-items"),
        json!({"group_id": group, "name": "Bedside tables", "room_type_id": king,
            "quantity_per_room": "3", "unit_price_minor": 25000}),
    )
    .await
    .expect(201)
    .json();
    assert_eq!(item["quantity"], "60");
    assert_eq!(item["total_minor"], 1_500_000);
    assert_eq!(item["placement"]["room_count"], 20);
    assert_eq!(item["placement"]["room_type_code"], "KING");
    let scope = b.scope(auth).await;
    assert_eq!(scope["totals"]["total_minor"], 1_500_000);
    // In one room and on a type at once is refused.
    let tree = app
        .get(&format!("/api/v1/projects/{p}/locations"), auth)
        .await
        .expect(200)
        .json();
    let rooms: Vec<&Value> = tree["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "room")
        .collect();
    assert_eq!(rooms.len(), 20);
    assert_eq!(tree["room_types"][0]["room_count"], 20);
    let room = id_of(rooms[0]);
    let body = post(
        format!("/api/v1/projects/{p}/scope-items"),
        json!({"group_id": group, "name": "Both", "room_type_id": king, "room_id": room}),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&body), ["room_id"]);

    // Filters: by room type and by room (a room-type item is in each of its rooms).
    let listed = |q: String| async move {
        app.get(&format!("/api/v1/projects/{p}/scope-items?{q}"), auth)
            .await
            .expect(200)
            .json()["total"]
            .clone()
    };
    assert_eq!(listed(format!("room_type_id={king}")).await, 1);
    assert_eq!(listed(format!("room_id={room}")).await, 1);
    assert_eq!(listed(format!("level_id={tower}")).await, 0);

    // A room taken off the type takes 3 tables with it.
    let r = app
        .patch(
            &format!("/api/v1/locations/{room}"),
            auth,
            json!({"room_type_id": null, "version": 1}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(r["room_type_id"], Value::Null);
    let now = app
        .get(&format!("/api/v1/scope-items/{}", id_of(&item)), auth)
        .await
        .expect(200)
        .json();
    assert_eq!(now["quantity"], "57");

    // Deleting what is in use is refused, saying by what.
    let problem = app
        .delete(&format!("/api/v1/room-types/{king}?version=1"), auth)
        .await
        .problem(409, "has_dependents");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(item["code"].as_str().unwrap()),
        "{problem}"
    );
    let problem = app
        .delete(&format!("/api/v1/locations/{tower}?version=1"), auth)
        .await
        .problem(409, "has_dependents");
    assert!(
        problem["detail"].as_str().unwrap().contains("T1-L01"),
        "{problem}"
    );
}

/// The scope import and export carry placements: *Placed in* (a room code or a room type
/// code) and *Quantity per room*; an unknown code is that row's error and nothing is written.
#[tokio::test]
async fn scope_spreadsheets_carry_placements() {
    let b = boq().await;
    let (app, auth, p) = (&b.app, &b.pm.auth, &b.project);
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
        json!({"building_id": tower, "levels_from": 1, "levels_to": 2, "rooms_from": 1,
            "rooms_to": 10, "room_type_id": king}),
    )
    .await
    .expect(201);
    let import =
        |dry: bool| format!("/api/v1/projects/{p}/scope/import?dry_run={dry}&file_name=boq.csv");
    let bad = "Group,Name,Placed in,Quantity per room,Qty,Rate\n\
        Millwork,Wardrobe,king,2,,1000\n\
        Millwork,Vanity,T1-L01-0105,,1,500\n\
        Millwork,Desk,T9-NOWHERE,,1,100\n";
    let v = crate::scope::send_file(app, &import(true), auth, bad.into(), "text/csv")
        .await
        .expect(200)
        .json();
    assert_eq!(v["valid"], false);
    let row = &v["rows"][2];
    assert_eq!(row["errors"][0]["field"], "Placed in");
    assert!(
        row["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("T9-NOWHERE"),
        "{row}"
    );
    send_file_refused(app, &import(false), auth, bad).await;
    assert_eq!(b.scope(auth).await["items"].as_array().unwrap().len(), 0);

    let good = "Group,Name,Placed in,Quantity per room,Qty,Rate\n\
        Millwork,Wardrobe,king,2,,1000\n\
        Millwork,Vanity,T1-L01-0105,,1,500\n";
    crate::scope::send_file(app, &import(false), auth, good.into(), "text/csv")
        .await
        .expect(200);
    let scope = b.scope(auth).await;
    let wardrobe = scope["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Wardrobe")
        .unwrap();
    assert_eq!(wardrobe["quantity"], "40");
    assert_eq!(wardrobe["total_minor"], 40 * 1000 * 100);
    let csv = app
        .get(
            &format!("/api/v1/projects/{p}/scope/export?format=csv"),
            auth,
        )
        .await
        .expect(200)
        .text();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("Placed in,Quantity per room"),
        "{csv}"
    );
    assert!(csv.contains(",KING,2,40,"), "{csv}");
    assert!(csv.contains(",T1-L01-0105,,1,"), "{csv}");
    // Importing the export again changes nothing.
    let v = crate::scope::send_file(app, &import(true), auth, csv.into_bytes(), "text/csv")
        .await
        .expect(200)
        .json();
    assert_eq!(v["unchanged"], 2, "{v}");
}

/// A spreadsheet of places: checked row by row (parents on earlier lines, kinds, room types,
/// codes taken), imported all or nothing, exported in tree order, and imported back
/// unchanged. Only those who keep the locations import; a client user may export.
#[tokio::test]
async fn locations_are_imported_from_a_spreadsheet_and_exported_back() {
    let b = boq().await;
    let (app, auth, p) = (&b.app, &b.pm.auth, &b.project);
    app.post(
        &format!("/api/v1/projects/{p}/room-types"),
        auth,
        json!({"code": "KING", "name": "King guest room"}),
    )
    .await
    .expect(201);
    let import = |dry: bool| {
        format!("/api/v1/projects/{p}/locations/import?dry_run={dry}&file_name=places.csv")
    };
    let bad = "Code,Name,Kind,Parent,Room type\n\
        T1,Tower 1,Building,,\n\
        T1-L01,Level 1,Floor,T1,\n\
        T1-L01-0101,Room 0101,Room,T1-L01,KING\n\
        T1-L01-0102,Room 0102,Room,T1-L09,KING\n\
        T1-L01-0103,Room 0103,Corridor,T1-L01,\n\
        T1-L02,Level 2,Level,T1-L01-0101,\n\
        T1-L01-0104,Room 0104,Room,T1-L01,QUEEN\n\
        T1-L01-0101,Again,Room,T1-L01,\n";
    let v = crate::scope::send_file(app, &import(true), auth, bad.into(), "text/csv")
        .await
        .expect(200)
        .json();
    assert_eq!(v["valid"], false);
    assert_eq!(
        (v["creates"].as_u64(), v["invalid"].as_u64()),
        (Some(3), Some(5))
    );
    let message = |line: u64| -> String {
        let row = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["line"] == line)
            .unwrap();
        format!(
            "{}: {}",
            row["errors"][0]["field"], row["errors"][0]["message"]
        )
    };
    assert!(message(5).contains("T1-L09 is neither"), "{}", message(5));
    assert!(
        message(6).contains("Building, Level, Zone or Room"),
        "{}",
        message(6)
    );
    assert!(
        message(7).contains("a level sits in a building"),
        "{}",
        message(7)
    );
    assert!(
        message(8).contains("QUEEN is not a room type"),
        "{}",
        message(8)
    );
    assert!(message(9).contains("also on line 4"), "{}", message(9));
    send_file_refused(app, &import(false), auth, bad).await;
    let tree = app
        .get(&format!("/api/v1/projects/{p}/locations"), auth)
        .await
        .expect(200)
        .json();
    assert_eq!(
        tree["locations"].as_array().unwrap().len(),
        0,
        "all or nothing"
    );

    let good = "Code,Name,Kind,Parent,Room type\n\
        T1,Tower 1,Building,,\n\
        T1-L01,Level 1,Floor,T1,\n\
        T1-L01-0101,Room 0101,Room,T1-L01,KING\n\
        T1-L01-0102,Room 0102,room,T1-L01,King guest room\n";
    let v = crate::scope::send_file(app, &import(false), auth, good.into(), "text/csv")
        .await
        .expect(200)
        .json();
    assert_eq!(v["creates"], 4);
    let tree = app
        .get(&format!("/api/v1/projects/{p}/locations"), auth)
        .await
        .expect(200)
        .json();
    assert_eq!(tree["room_types"][0]["room_count"], 2);
    let room = tree["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "T1-L01-0102")
        .unwrap();
    assert_eq!(room["level_id"], tree["locations"][1]["id"]);

    // The export lists parents first and imports back unchanged.
    let csv = app
        .get(
            &format!("/api/v1/projects/{p}/locations/export?format=csv"),
            auth,
        )
        .await
        .expect(200)
        .text();
    assert_eq!(
        csv.trim_start_matches('\u{feff}').replace("\r\n", "\n"),
        "Code,Name,Kind,Parent,Room type\n\
        T1,Tower 1,Building,,\n\
        T1-L01,Level 1,Level,T1,\n\
        T1-L01-0101,Room 0101,Room,T1-L01,KING\n\
        T1-L01-0102,Room 0102,Room,T1-L01,KING\n"
    );
    let v = crate::scope::send_file(app, &import(false), auth, csv.into_bytes(), "text/csv")
        .await
        .expect(200)
        .json();
    assert_eq!(
        (v["creates"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(4))
    );
    // A row that says something else about an existing place is refused, not applied.
    let renamed = "Code,Name,Kind,Parent\nT1,Tower One,Building,\n";
    let v = crate::scope::send_file(app, &import(true), auth, renamed.into(), "text/csv")
        .await
        .expect(200)
        .json();
    assert!(
        v["rows"][0]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("exists already"),
        "{v}"
    );
    app.get("/api/v1/locations/template?format=xlsx", auth)
        .await
        .expect(200);

    // A client user of the project reads and exports the places but imports nothing.
    let project = app
        .get(&format!("/api/v1/projects/{p}"), auth)
        .await
        .expect(200)
        .json();
    let client_id = project["client_id"].as_str().unwrap().to_owned();
    let client = app
        .user(&b.admin, "client", "Carla Client", Some(&client_id))
        .await;
    app.get(
        &format!("/api/v1/projects/{p}/locations/export?format=xlsx"),
        &client.auth,
    )
    .await
    .expect(200);
    let r =
        crate::scope::send_file(app, &import(true), &client.auth, good.into(), "text/csv").await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.text());
    let designer = app.user(&b.admin, "designer", "Dana Designer", None).await;
    app.member(auth, p, &designer, "member").await;
    let r =
        crate::scope::send_file(app, &import(true), &designer.auth, good.into(), "text/csv").await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.text());
}

async fn send_file_refused(
    app: &crate::support::TestApp,
    path: &str,
    auth: &crate::support::Auth,
    csv: &str,
) {
    let r = crate::scope::send_file(app, path, auth, csv.as_bytes().to_vec(), "text/csv").await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
}

/// Drawings and specifications refer to rooms, levels and room types: set by those who keep
/// them, read by whoever sees the record, refused when not the project's, and forgotten when
/// the place is deleted.
#[tokio::test]
async fn drawings_and_specs_refer_to_places() {
    let b = boq().await;
    let (app, auth, p) = (&b.app, &b.pm.auth, &b.project);
    let post = |path: String, body: Value| async move { app.post(&path, auth, body).await };
    let tower = id_of(
        &post(
            format!("/api/v1/projects/{p}/locations"),
            json!({"kind": "building", "code": "T1", "name": "Tower 1"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let level = id_of(
        &post(
            format!("/api/v1/projects/{p}/locations"),
            json!({"kind": "level", "parent_id": tower, "code": "T1-L03", "name": "Level 3"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let king = id_of(
        &post(
            format!("/api/v1/projects/{p}/room-types"),
            json!({"code": "KING", "name": "King guest room"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let drawing = id_of(
        &post(
            format!("/api/v1/projects/{p}/drawings"),
            json!({"number": "SD-101", "title": "King room joinery", "kind": "elevation"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let spec = id_of(
        &post(
            format!("/api/v1/projects/{p}/specs"),
            json!({"code": "V-01", "description": "Walnut veneer", "category": "veneer"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let put = |path: String, a: crate::support::Auth, body: Value| async move {
        app.call(axum::http::Method::PUT, &path, &a, Some(body))
            .await
    };
    let places = app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/drawings/{drawing}/places"),
            auth,
            Some(json!({"place_ids": [king, level, king]})),
        )
        .await
        .expect(200)
        .json();
    let codes: Vec<&str> = places
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["KING", "T1-L03"]);
    assert_eq!(places[0]["kind"], "room_type");
    put(
        format!("/api/v1/specs/{spec}/places"),
        auth.clone(),
        json!({"place_ids": [level]}),
    )
    .await
    .expect(200);
    // A place of another project (or anything else) is refused.
    let body = put(
        format!("/api/v1/specs/{spec}/places"),
        auth.clone(),
        json!({"place_ids": [drawing]}),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&body), ["place_ids"]);
    // A craftsman on the team reads but does not set them.
    let craftsman = app.user(&b.admin, "craftsman", "Carl Craft", None).await;
    app.member(auth, p, &craftsman, "member").await;
    app.get(
        &format!("/api/v1/drawings/{drawing}/places"),
        &craftsman.auth,
    )
    .await
    .expect(200);
    put(
        format!("/api/v1/drawings/{drawing}/places"),
        craftsman.auth.clone(),
        json!({"place_ids": []}),
    )
    .await
    .problem(403, "forbidden");
    // A client user does not see a draft drawing, so nor its places.
    let project = app
        .get(&format!("/api/v1/projects/{p}"), auth)
        .await
        .expect(200)
        .json();
    let client = app
        .user(
            &b.admin,
            "client",
            "Carla Client",
            project["client_id"].as_str(),
        )
        .await;
    let r = app
        .get(&format!("/api/v1/drawings/{drawing}/places"), &client.auth)
        .await;
    assert_eq!(r.status.as_u16(), 404, "{}", r.text());
    // Lists filtered by place find what refers to it (or to the room type of a room there).
    let listed = |path: String| async move {
        let v = app.get(&path, auth).await.expect(200).json();
        let items = if v.is_array() { v } else { v["items"].clone() };
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(format!("/api/v1/projects/{p}/drawings?room_type_id={king}")).await,
        std::slice::from_ref(&drawing)
    );
    assert_eq!(
        listed(format!("/api/v1/projects/{p}/specs?level_id={level}")).await,
        std::slice::from_ref(&spec)
    );
    assert!(
        listed(format!("/api/v1/projects/{p}/specs?room_type_id={king}"))
            .await
            .is_empty()
    );
    // Deleting the room type forgets the reference.
    app.delete(&format!("/api/v1/room-types/{king}?version=1"), auth)
        .await
        .expect(204);
    let places = app
        .get(&format!("/api/v1/drawings/{drawing}/places"), auth)
        .await
        .expect(200)
        .json();
    assert_eq!(places.as_array().unwrap().len(), 1);
    // The page shows them and sets them by code; an unknown code is named.
    let (pm, _) = app.login(&b.pm.user.email, crate::support::PASSWORD).await;
    let crate::support::Auth::Cookie {
        token,
        csrf: Some(csrf),
    } = &pm
    else {
        panic!("cookie auth")
    };
    let browser = crate::support::Auth::Cookie {
        token: token.clone(),
        csrf: None,
    };
    let html = app
        .get(&format!("/drawings/{drawing}"), &pm)
        .await
        .expect(200)
        .text();
    assert!(html.contains("T1-L03"), "{html}");
    let form = |codes: &str| {
        crate::support::TestApp::build(
            axum::http::Method::POST,
            &format!("/drawings/{drawing}/places"),
            &browser,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(axum::body::Body::from(
                serde_urlencoded::to_string([("_csrf", csrf.as_str()), ("places", codes)]).unwrap(),
            )),
            false,
        )
    };
    let refused = app.send(form("T1, NOWHERE")).await.text();
    assert!(refused.contains("NOWHERE is not a location"), "{refused}");
    app.send(form("t1 t1-l03")).await.expect(303);
    let places = app
        .get(&format!("/api/v1/drawings/{drawing}/places"), auth)
        .await
        .expect(200)
        .json();
    assert_eq!(places.as_array().unwrap().len(), 2);
}
