//! The millwork chain over HTTP (docs/schedule.md, "The millwork chain"): an item's latest
//! dates worked back from its installation date (the hand-computed chain of the domain's
//! tests), the workflow template applied as nine linked tasks and re-applied to a new date,
//! who may see and apply it, and a drawing approved late turning the item at risk with the
//! reason, its steps completed and its managers told once.

use std::sync::Arc;

use formula_app::ports::{Clock, FixedClock};
use serde_json::{Value, json};
use time::macros::datetime;

use crate::drawings::upload;
use crate::support::{PASSWORD, TestApp, id_of};

fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

fn step<'a>(chain: &'a Value, step: &str) -> &'a Value {
    chain["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == step)
        .unwrap_or_else(|| panic!("no step {step} in {chain}"))
}

#[tokio::test]
async fn the_chain_is_applied_worked_back_and_turns_at_risk_when_an_approval_slips() {
    // Wednesday 11 March 2026.
    let clock = Arc::new(FixedClock::new(datetime!(2026-03-11 09:30 UTC)));
    let app = TestApp::with_config(Default::default(), Some(clock.clone())).await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let client_id = app.client(&admin.auth, "Alpha Hotels").await;
    let client = app
        .user(&admin, "client", "Chloe Client", Some(&client_id))
        .await;
    let p = app
        .project(&pm.auth, "Lobby joinery", &client_id, &pm.id())
        .await;
    app.member(&pm.auth, &p, &designer, "designer").await;
    let scope = app
        .get(&format!("/api/v1/projects/{p}/scope"), &pm.auth)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][0]);
    let item = id_of(
        &app.post(
            &format!("/api/v1/projects/{p}/scope-items"),
            &pm.auth,
            json!({"group_id": group, "name": "Reception desk", "quantity": "1",
                   "install_on": "2026-06-01", "drawing_required": true, "spec_required": true}),
        )
        .await
        .expect(201)
        .json(),
    );
    let drawing = id_of(
        &app.post(
            &format!("/api/v1/projects/{p}/drawings"),
            &designer.auth,
            json!({"number": "SD-104", "title": "Reception desk", "kind": "elevation",
                   "scope_item_ids": [item]}),
        )
        .await
        .expect(201)
        .json(),
    );
    // An item needing neither drawing nor specification: its chain has no such steps.
    app.post(
        &format!("/api/v1/projects/{p}/scope-items"),
        &pm.auth,
        json!({"group_id": group, "name": "Skirting", "quantity": "40", "unit": "m",
               "install_on": "2026-06-01", "drawing_required": false, "spec_required": false}),
    )
    .await
    .expect(201);
    let chains = format!("/api/v1/projects/{p}/chains");
    let list = app.get(&chains, &pm.auth).await.expect(200).json();
    let skirting: Vec<&str> = list["items"][1]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        skirting,
        [
            "site_measure",
            "procurement",
            "production",
            "delivery",
            "installation"
        ]
    );
    let chain = |auth| {
        let app = &app;
        let chains = chains.clone();
        async move {
            let list = app.get(&chains, auth).await.expect(200).json();
            list["items"][0].clone()
        }
    };

    // Worked back from Monday 1 June with the assumed 28-day lead time (by hand in the
    // domain's tests): drawing from 6 March, approval by 19 March, order by 1 April.
    let c = chain(&pm.auth).await;
    assert_eq!(c["applied"], false);
    assert_eq!(c["lead_time_days"], 28);
    assert_eq!(c["lead_time_assumed"], true);
    assert_eq!(step(&c, "shop_drawing")["latest_start"], "2026-03-06");
    assert_eq!(step(&c, "client_approval")["latest_finish"], "2026-03-19");
    assert_eq!(step(&c, "procurement")["latest_start"], "2026-04-01");
    assert_eq!(step(&c, "production")["latest_start"], "2026-04-30");
    // The drawing should have started by 6 March: already late on the 11th.
    assert_eq!(c["at_risk"], true, "{c}");
    assert!(
        c["reasons"][0]
            .as_str()
            .unwrap()
            .contains("shop drawing should have started by 2026-03-06"),
        "{c}"
    );

    // Who may: client users never see the chain (order-by dates, orders); a designer sees
    // it but may not apply the template; bad input is named.
    app.get(&chains, &client.auth)
        .await
        .problem(403, "forbidden");
    app.post(&chains, &designer.auth, json!({"scope_item_ids": [item]}))
        .await
        .problem(403, "forbidden");
    let v = app
        .post(&chains, &pm.auth, json!({}))
        .await
        .problem(422, "validation_failed");
    assert!(v.to_string().contains("choose the items to plan"), "{v}");
    let v = app
        .post(
            &chains,
            &pm.auth,
            json!({"scope_item_ids": ["00000000-0000-0000-0000-000000000001"]}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(
        v.to_string()
            .contains("is not a scope item of this project"),
        "{v}"
    );
    let v = app
        .post(
            &chains,
            &pm.auth,
            json!({"level_id": "00000000-0000-0000-0000-000000000001"}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(v.to_string().contains("no scope item"), "{v}");
    let v = app
        .post(
            &chains,
            &pm.auth,
            json!({"room_id": "00000000-0000-0000-0000-000000000001"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(crate::support::Resp::fields(&v), ["room_id"]);

    // Applied: nine linked tasks on the latest dates, the installation finishing no later
    // than planned.
    let done = app
        .post(&chains, &pm.auth, json!({"scope_item_ids": [item]}))
        .await
        .expect(200)
        .json();
    assert_eq!(
        (done["tasks_created"].as_i64(), done["tasks_moved"].as_i64()),
        (Some(9), Some(0))
    );
    let deps = app
        .get(&format!("/api/v1/projects/{p}/dependencies"), &pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(deps["items"].as_array().unwrap().len(), 8, "{deps}");
    let tasks = app
        .get(&format!("/api/v1/projects/{p}/tasks?limit=50"), &pm.auth)
        .await
        .expect(200)
        .json();
    let task = |step: &str| {
        tasks["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["title"].as_str().unwrap().starts_with(step))
            .unwrap_or_else(|| panic!("no task {step} in {tasks}"))
            .clone()
    };
    let install = task("Installation: ");
    assert_eq!(install["start_date"], "2026-06-01");
    assert_eq!(install["constraint_kind"], "fnlt");
    assert_eq!(install["constraint_on"], "2026-06-02");
    assert_eq!(install["scope_item_id"], item.as_str());
    let drawing_task = task("Shop drawing: ");
    assert_eq!(
        (
            drawing_task["start_date"].as_str(),
            drawing_task["due_date"].as_str()
        ),
        (Some("2026-03-06"), Some("2026-03-16"))
    );
    assert_eq!(chain(&pm.auth).await["applied"], true);

    // Again with a new date a week later: the same tasks move, none is added; the item
    // keeps the new date.
    let again = app
        .post(
            &chains,
            &pm.auth,
            json!({"scope_item_ids": [item], "install_on": "2026-06-08"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        (
            again["tasks_created"].as_i64(),
            again["tasks_moved"].as_i64()
        ),
        (Some(0), Some(9))
    );
    assert_eq!(again["chains"][0]["install_on"], "2026-06-08");
    let c = app
        .post(
            &chains,
            &pm.auth,
            json!({"scope_item_ids": [item], "install_on": "2026-06-01"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(c["chains"][0]["install_on"], "2026-06-01");

    // Two weeks on, the drawing is submitted and approved: four working days after its
    // approval was due, and the rest no longer fits before 1 June.
    clock.set(datetime!(2026-03-25 09:30 UTC));
    let rev = id_of(
        &upload(&app, &designer.auth, &drawing, "SD-104 A.pdf", &pdf("A"))
            .await
            .expect(201)
            .json(),
    );
    app.post(
        &format!("/api/v1/drawing-revisions/{rev}/submit"),
        &designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/drawing-revisions/{rev}/review"),
        &pm.auth,
        json!({"decision": "approved", "version": 2}),
    )
    .await
    .expect(200);
    let c = chain(&pm.auth).await;
    assert_eq!(c["at_risk"], true, "{c}");
    let reasons = c["reasons"].to_string();
    assert!(
        reasons.contains("drawing SD-104 approved 4 working days late"),
        "{reasons}"
    );
    assert_eq!(step(&c, "client_approval")["done"], true);
    assert_eq!(step(&c, "client_approval")["forecast_finish"], "2026-03-25");

    // The hourly check completes the drawing's steps and tells the manager once; the client
    // hears nothing.
    let now = clock.now();
    app.services.send_reminders(now).await.unwrap();
    app.services.send_reminders(now).await.unwrap();
    let told = |auth| {
        let app = &app;
        async move {
            let inbox = app
                .get("/api/v1/notifications", auth)
                .await
                .expect(200)
                .json();
            inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["event"] == "item_at_risk")
                .map(|n| n["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let pm_told = told(&pm.auth).await;
    assert_eq!(pm_told.len(), 1, "{pm_told:?}");
    assert!(
        pm_told[0].contains("is at risk for installation on 2026-06-01"),
        "{pm_told:?}"
    );
    assert!(told(&client.auth).await.is_empty());
    let approval = app
        .get(
            &format!("/api/v1/tasks/{}", id_of(&task("Client approval: "))),
            &pm.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(approval["status"], "completed");
    assert_eq!(approval["due_date"], "2026-03-25");

    // The page: the item at risk with its reason, the form for the manager only.
    let (s, _) = app.login(&pm.user.email, PASSWORD).await;
    let page = app
        .get(&format!("/projects/{p}/schedule/chain"), &s)
        .await
        .expect(200)
        .text();
    assert!(page.contains("At risk"), "{page}");
    assert!(page.contains("approved 4 working days late"), "{page}");
    assert!(page.contains("Apply template"), "{page}");
    let (s, _) = app.login(&designer.user.email, PASSWORD).await;
    let page = app
        .get(&format!("/projects/{p}/schedule/chain"), &s)
        .await
        .expect(200)
        .text();
    assert!(!page.contains("Apply template"), "{page}");
}

/// The template applied to every item on a level, then in a room: an item on a room type is
/// on every level and in every room of that type; a step that exists is not made twice.
#[tokio::test]
async fn the_template_is_applied_to_a_level_and_to_a_room() {
    let b = crate::scope::boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let post = |path: String, body: Value| async move {
        id_of(&app.post(&path, pm, body).await.expect(201).json())
    };
    let tower = post(
        format!("/api/v1/projects/{p}/locations"),
        json!({"kind": "building", "code": "T1", "name": "Tower 1"}),
    )
    .await;
    let king = post(
        format!("/api/v1/projects/{p}/room-types"),
        json!({"code": "KING", "name": "King guest room"}),
    )
    .await;
    app.post(
        &format!("/api/v1/projects/{p}/locations/pattern"),
        pm,
        json!({"building_id": tower, "levels_from": 1, "levels_to": 2, "rooms_from": 1,
            "rooms_to": 1, "room_type_id": king}),
    )
    .await
    .expect(201);
    let tree = app
        .get(&format!("/api/v1/projects/{p}/locations"), pm)
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
    let (levels, rooms) = (of_kind("level"), of_kind("room"));
    let group = id_of(&b.scope(pm).await["groups"][0]);
    post(
        format!("/api/v1/projects/{p}/scope-items"),
        json!({"group_id": group, "name": "Wardrobe", "room_type_id": king,
            "quantity_per_room": "1"}),
    )
    .await;
    post(
        format!("/api/v1/projects/{p}/scope-items"),
        json!({"group_id": group, "name": "Vanity", "room_id": rooms[1]}),
    )
    .await;
    let chains = format!("/api/v1/projects/{p}/chains");
    // Level 1 holds the wardrobe only: five steps (no drawing or specification needed).
    let done = app
        .post(
            &chains,
            pm,
            json!({"level_id": levels[0], "install_on": "2027-03-01"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        (done["items"].as_i64(), done["tasks_created"].as_i64()),
        (Some(1), Some(5)),
        "{done}"
    );
    // The level 2 room holds both: the wardrobe's steps stay, the vanity's are made.
    let done = app
        .post(
            &chains,
            pm,
            json!({"room_id": rooms[1], "install_on": "2027-03-01"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        (
            done["items"].as_i64(),
            done["tasks_created"].as_i64(),
            done["tasks_moved"].as_i64()
        ),
        (Some(2), Some(5), Some(0)),
        "{done}"
    );
}
