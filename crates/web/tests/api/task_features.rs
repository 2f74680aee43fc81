//! Checklists, labels, subtasks and bulk edits of tasks over the API.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, TestUser, id_of};

struct Setup {
    app: TestApp,
    admin: TestUser,
    pm: TestUser,
    project: String,
    other_project: String,
}

async fn setup() -> Setup {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let project = app
        .project(&pm.auth, "Lobby joinery", &client, &pm.id())
        .await;
    let other_project = app
        .project(&pm.auth, "Spa joinery", &client, &pm.id())
        .await;
    Setup {
        app,
        admin,
        pm,
        project,
        other_project,
    }
}

#[tokio::test]
async fn a_checklist_is_added_ticked_moved_and_deleted_with_versions() {
    let s = setup().await;
    let (app, pm) = (&s.app, &s.pm.auth);
    let task = id_of(
        &app.task(pm, &s.project, json!({"title": "Fit vanity"}))
            .await,
    );
    let mut ids = Vec::new();
    for text in ["Carcass", "Doors", "Silicone"] {
        let item = app
            .post(
                &format!("/api/v1/tasks/{task}/checklist"),
                pm,
                json!({"text": text}),
            )
            .await
            .expect(201)
            .json();
        ids.push(id_of(&item));
    }
    // Blank and over-long text is refused, saying what to fix.
    let r = app
        .post(
            &format!("/api/v1/tasks/{task}/checklist"),
            pm,
            json!({"text": " "}),
        )
        .await
        .expect(422)
        .json();
    assert_eq!(r["errors"][0]["field"], "text", "{r}");
    app.post(
        &format!("/api/v1/tasks/{task}/checklist"),
        pm,
        json!({"text": "x".repeat(501)}),
    )
    .await
    .expect(422);

    let ticked = app
        .call(
            Method::PATCH,
            &format!("/api/v1/checklist-items/{}", ids[1]),
            pm,
            Some(json!({"done": true, "version": 1})),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(ticked["done"], true);
    assert_eq!(ticked["done_by_name"], "Paula Manager");
    // The same version again is stale.
    app.call(
        Method::PATCH,
        &format!("/api/v1/checklist-items/{}", ids[1]),
        pm,
        Some(json!({"done": false, "version": 1})),
    )
    .await
    .expect(409);
    // Move the last first.
    app.call(
        Method::PATCH,
        &format!("/api/v1/checklist-items/{}", ids[2]),
        pm,
        Some(json!({"position": 0, "version": 1})),
    )
    .await
    .expect(200);
    let list: Value = app
        .get(&format!("/api/v1/tasks/{task}/checklist"), pm)
        .await
        .expect(200)
        .json();
    let texts: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Silicone", "Carcass", "Doors"]);
    let t = app
        .get(&format!("/api/v1/tasks/{task}"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(
        (t["checklist_done"].clone(), t["checklist_total"].clone()),
        (json!(1), json!(3))
    );
    app.call(
        Method::DELETE,
        &format!("/api/v1/checklist-items/{}?version=1", ids[0]),
        pm,
        None,
    )
    .await
    .expect(204);
    // Its changes are in the task's audit trail.
    let audit = app
        .get(&format!("/api/v1/audit?entity_id={task}"), &s.admin.auth)
        .await
        .expect(200)
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "checklist_add",
        "checklist_tick",
        "checklist_move",
        "checklist_delete",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn labels_are_unique_whatever_the_case_and_only_known_ones_go_on_tasks() {
    let s = setup().await;
    let (app, pm) = (&s.app, &s.pm.auth);
    let urgent = app
        .post(
            "/api/v1/labels",
            pm,
            json!({"name": "Urgent", "colour": "red"}),
        )
        .await
        .expect(201)
        .json();
    let r = app
        .post(
            "/api/v1/labels",
            pm,
            json!({"name": "urgent", "colour": "blue"}),
        )
        .await
        .expect(409)
        .json();
    assert_eq!(r["code"], "duplicate", "{r}");
    // Colours come from the palette only.
    app.post(
        "/api/v1/labels",
        pm,
        json!({"name": "Mauve", "colour": "#ff00ff"}),
    )
    .await
    .expect(422);
    let task = app
        .task(pm, &s.project, json!({"title": "Order veneer"}))
        .await;
    let id = id_of(&task);
    // A label that is not the company's is refused, and nothing changes.
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/tasks/{id}/labels"),
            pm,
            Some(json!({"label_ids": [uuid::Uuid::now_v7()], "version": 1})),
        )
        .await
        .expect(422)
        .json();
    assert_eq!(r["errors"][0]["field"], "label_ids", "{r}");
    let saved = app
        .call(
            Method::PUT,
            &format!("/api/v1/tasks/{id}/labels"),
            pm,
            Some(json!({"label_ids": [id_of(&urgent)], "version": 1})),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(saved["labels"][0]["name"], "Urgent");
    assert_eq!(saved["version"], 2);
    let listed = app
        .get(
            &format!(
                "/api/v1/projects/{}/tasks?label_id={}",
                s.project,
                id_of(&urgent)
            ),
            pm,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(listed["total"], 1);
}

#[tokio::test]
async fn subtasks_are_one_level_deep() {
    let s = setup().await;
    let (app, pm) = (&s.app, &s.pm.auth);
    let parent = id_of(&app.task(pm, &s.project, json!({"title": "Kitchen"})).await);
    let child = app
        .task(
            pm,
            &s.project,
            json!({"title": "Worktop", "parent_id": parent}),
        )
        .await;
    assert_eq!(child["parent_id"], json!(parent));
    // No grandchildren.
    let r = app
        .post(
            &format!("/api/v1/projects/{}/tasks", s.project),
            pm,
            json!({"title": "Sink cut-out", "parent_id": id_of(&child)}),
        )
        .await
        .expect(422)
        .json();
    assert_eq!(r["errors"][0]["field"], "parent_id", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("subtasks cannot have subtasks"),
        "{r}"
    );
    // A task with subtasks does not become one.
    let other = id_of(&app.task(pm, &s.project, json!({"title": "Bathroom"})).await);
    let r = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tasks/{parent}"),
            pm,
            Some(json!({"parent_id": other, "version": 1})),
        )
        .await
        .expect(422)
        .json();
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("has subtasks"),
        "{r}"
    );
    // Nor a task of another project.
    let elsewhere = id_of(
        &app.task(pm, &s.other_project, json!({"title": "Sauna"}))
            .await,
    );
    app.call(
        Method::PATCH,
        &format!("/api/v1/tasks/{other}"),
        pm,
        Some(json!({"parent_id": elsewhere, "version": 1})),
    )
    .await
    .expect(422);
    let subs = app
        .get(&format!("/api/v1/tasks/{parent}/subtasks"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(subs.as_array().unwrap().len(), 1);
    let p = app
        .get(&format!("/api/v1/tasks/{parent}"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(p["subtask_count"], 1);
}

#[tokio::test]
async fn a_bulk_edit_saves_all_or_nothing() {
    let s = setup().await;
    let (app, pm) = (&s.app, &s.pm.auth);
    let label = id_of(
        &app.post(
            "/api/v1/labels",
            pm,
            json!({"name": "Snag", "colour": "amber"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let a = app
        .task(
            pm,
            &s.project,
            json!({"title": "A", "due_date": "2026-03-10"}),
        )
        .await;
    let b = app
        .task(
            pm,
            &s.project,
            json!({"title": "B", "due_date": "2026-03-20"}),
        )
        .await;
    let bulk = format!("/api/v1/projects/{}/tasks/bulk", s.project);
    // B is stale: 409 naming it, and A is unchanged.
    let r = app
        .post(
            &bulk,
            pm,
            json!({"tasks": [{"id": id_of(&a), "version": 1}, {"id": id_of(&b), "version": 5}],
                   "status": "in_progress", "shift_days": 7}),
        )
        .await
        .expect(409)
        .json();
    assert!(
        r["detail"].as_str().unwrap_or_default().contains("“B”") || r.to_string().contains("“B”"),
        "{r}"
    );
    let got = app
        .get(&format!("/api/v1/tasks/{}", id_of(&a)), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(
        (got["status"].clone(), got["due_date"].clone()),
        (json!("pending"), json!("2026-03-10"))
    );
    // A task of another project: 422, nothing saved.
    let elsewhere = app.task(pm, &s.other_project, json!({"title": "C"})).await;
    app.post(
        &bulk,
        pm,
        json!({"tasks": [{"id": id_of(&a), "version": 1}, {"id": id_of(&elsewhere), "version": 1}],
               "status": "review"}),
    )
    .await
    .expect(422);
    // Both current: all saved, dates shifted, label added, one audit entry each.
    let saved = app
        .post(
            &bulk,
            pm,
            json!({"tasks": [{"id": id_of(&a), "version": 1}, {"id": id_of(&b), "version": 1}],
                   "status": "in_progress", "shift_days": -3, "add_label_ids": [label]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(saved["tasks"][0]["version"], 2);
    for (t, due) in [(&a, "2026-03-07"), (&b, "2026-03-17")] {
        let got = app
            .get(&format!("/api/v1/tasks/{}", id_of(t)), pm)
            .await
            .expect(200)
            .json();
        assert_eq!(got["status"], "in_progress");
        assert_eq!(got["due_date"], due);
        assert_eq!(got["labels"][0]["name"], "Snag");
        let audit = app
            .get(
                &format!("/api/v1/audit?entity_id={}", id_of(t)),
                &s.admin.auth,
            )
            .await
            .expect(200)
            .json();
        assert_eq!(audit["total"], 2, "created, then the bulk change: {audit}");
    }
    // Nothing to change is refused.
    app.post(
        &bulk,
        pm,
        json!({"tasks": [{"id": id_of(&a), "version": 2}]}),
    )
    .await
    .expect(422);
}

/// The board's and the task list's level filter: a task is on a level through its scope item,
/// in one of the level's rooms or on a room type with rooms there (as the scope counts it).
#[tokio::test]
async fn tasks_filter_by_the_level_of_their_scope_item() {
    let s = setup().await;
    let (app, pm, p) = (&s.app, &s.pm.auth, &s.project);
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
    assert_eq!((levels.len(), rooms.len()), (2, 2));
    let scope = app
        .get(&format!("/api/v1/projects/{p}/scope"), pm)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][0]);
    // Wardrobes in every King room (both levels); a vanity in the level 2 room only; a desk
    // placed nowhere.
    let wardrobe = post(
        format!("/api/v1/projects/{p}/scope-items"),
        json!({"group_id": group, "name": "Wardrobe", "room_type_id": king,
            "quantity_per_room": "1"}),
    )
    .await;
    let vanity = post(
        format!("/api/v1/projects/{p}/scope-items"),
        json!({"group_id": group, "name": "Vanity", "room_id": rooms[1]}),
    )
    .await;
    let desk = post(
        format!("/api/v1/projects/{p}/scope-items"),
        json!({"group_id": group, "name": "Lobby desk"}),
    )
    .await;
    for (title, item) in [
        ("Fit wardrobes", Some(&wardrobe)),
        ("Fit vanity", Some(&vanity)),
        ("Fit desk", Some(&desk)),
        ("Site meeting", None),
    ] {
        app.task(pm, p, json!({"title": title, "scope_item_id": item}))
            .await;
    }
    let titles = |v: &Value| -> Vec<String> {
        let mut t: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect();
        t.sort();
        t
    };
    let on = |level: &str| format!("/api/v1/projects/{p}/tasks?level_id={level}");
    let level1 = app.get(&on(&levels[0]), pm).await.expect(200).json();
    assert_eq!(titles(&level1), ["Fit wardrobes"], "{level1}");
    let level2 = app.get(&on(&levels[1]), pm).await.expect(200).json();
    assert_eq!(titles(&level2), ["Fit vanity", "Fit wardrobes"], "{level2}");
    assert_eq!(level2["total"], 2);
    // An unknown level matches nothing; a malformed id is refused like any other (422).
    let nowhere = app
        .get(&on(&uuid::Uuid::now_v7().to_string()), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(nowhere["total"], 0);
    app.get(&format!("/api/v1/projects/{p}/tasks?level_id=L1"), pm)
        .await
        .expect(422);

    // The board: the level control lists the project's levels and narrows the columns.
    let (session, _) = app.login(&s.pm.user.email, crate::support::PASSWORD).await;
    let board = app
        .get(&format!("/projects/{p}/tasks/board"), &session)
        .await
        .expect(200)
        .text();
    assert!(
        board.contains("id=\"tb-level\""),
        "the board offers the level filter"
    );
    for level in &levels {
        assert!(
            board.contains(&format!("<option value=\"{level}\">")),
            "{board}"
        );
    }
    assert!(board.contains("Fit desk"));
    let board = app
        .get(
            &format!("/projects/{p}/tasks/board?level_id={}", levels[0]),
            &session,
        )
        .await
        .expect(200)
        .text();
    assert!(board.contains("Fit wardrobes"), "{board}");
    assert!(!board.contains("Fit vanity") && !board.contains("Fit desk"));
    assert!(
        board.contains(&format!("<option value=\"{}\" selected>", levels[0])),
        "the chosen level stays chosen"
    );
    // Moves from the filtered board come back to it.
    assert!(board.contains(&format!("level_id={}", levels[0])));
}
