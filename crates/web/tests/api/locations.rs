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

async fn send_file_refused(
    app: &crate::support::TestApp,
    path: &str,
    auth: &crate::support::Auth,
    csv: &str,
) {
    let r = crate::scope::send_file(app, path, auth, csv.as_bytes().to_vec(), "text/csv").await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
}
