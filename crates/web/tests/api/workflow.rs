//! Business rules through the API: the project lifecycle, task rules, two people
//! editing one task, the audit trail, contacts and teams.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, id_of};

fn allowed(v: &Value) -> Vec<&str> {
    v["allowed"]
        .as_array()
        .expect("allowed")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[tokio::test]
async fn project_status_follows_the_lifecycle() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let id = app
        .project(&pm.auth, "Lobby joinery", &client, &pm.id())
        .await;
    let path = format!("/api/v1/projects/{id}/status");
    let p = &pm.auth;

    let v = app
        .post(&path, p, json!({"status": "active", "version": 1}))
        .await
        .problem(409, "invalid_transition");
    assert_eq!(allowed(&v), ["awarded", "not_awarded", "cancelled"]);
    app.post(&path, p, json!({"status": "awarded"}))
        .await
        .problem(428, "precondition_required");
    app.post(&path, p, json!({"status": "won", "version": 1}))
        .await
        .problem(422, "invalid_body");

    let r = app
        .call_with(
            Method::POST,
            &path,
            p,
            &[("if-match", "\"1\"")],
            Some(json!({"status": "awarded"})),
        )
        .await
        .expect(200);
    assert_eq!(r.etag(), "\"2\"");
    let body = r.json();
    assert_eq!(
        (body["status"].as_str(), body["health"].as_str()),
        (Some("awarded"), Some("not_started"))
    );
    app.call_with(
        Method::POST,
        &path,
        p,
        &[("if-match", "\"1\"")],
        Some(json!({"status": "active"})),
    )
    .await
    .problem(412, "stale_version");

    let mut version = 2;
    for status in ["active", "on_hold", "active", "completed"] {
        let body = app
            .post(&path, p, json!({"status": status, "version": version}))
            .await
            .expect(200)
            .json();
        assert_eq!(body["status"], status);
        version += 1;
    }
    let v = app
        .post(&path, p, json!({"status": "active", "version": version}))
        .await
        .problem(409, "invalid_transition");
    assert!(allowed(&v).is_empty());
    assert!(v["detail"].as_str().unwrap().contains("final"), "{v}");
    let got = app
        .get(&format!("/api/v1/projects/{id}"), p)
        .await
        .expect(200);
    assert_eq!(
        (got.json()["status"].as_str(), got.json()["health"].as_str()),
        (Some("completed"), Some("closed"))
    );

    let trail = app
        .get(
            &format!("/api/v1/audit?entity_id={id}&action=status_change"),
            &admin.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(trail["total"], 5);
    let last = &trail["items"][0];
    assert!(
        last["changes"]
            .as_array()
            .unwrap()
            .contains(&json!({"field": "status", "old": "active", "new": "completed"})),
        "{last}"
    );
}

#[tokio::test]
async fn task_rules_apply_over_http() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let outsider = app.user(&admin, "designer", "Otto Outsider", None).await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app
        .project(&pm.auth, "Lobby joinery", &client, &pm.id())
        .await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let p = &pm.auth;

    let v = app
        .post(
            &format!("/api/v1/projects/{project}/tasks"),
            p,
            json!({"title": "Cut panels", "assignee_id": outsider.id()}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["assignee_id"]);
    let v = app
        .post(&format!("/api/v1/projects/{project}/tasks"), p, json!({"title": "", "progress": 150, "start_date": "2026-05-02", "due_date": "2026-05-01"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["due_date", "progress", "title"]);

    let task = app
        .task(
            p,
            &project,
            json!({"title": "Cut panels", "assignee_id": designer.id(), "progress": 20}),
        )
        .await;
    assert_eq!(
        (
            task["status"].as_str(),
            task["progress"].as_i64(),
            task["assignee_name"].as_str()
        ),
        (Some("pending"), Some(20), Some("Dana Designer"))
    );
    let path = format!("/api/v1/tasks/{}", id_of(&task));

    let v = app
        .patch(
            &path,
            p,
            json!({"assignee_id": outsider.id(), "version": 1}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["assignee_id"]);

    let review = app
        .patch(&path, p, json!({"status": "review", "version": 1}))
        .await
        .expect(200)
        .json();
    assert_eq!(
        (
            review["progress"].as_i64(),
            review["completed_at"].is_null()
        ),
        (Some(90), true)
    );
    let done = app
        .patch(&path, p, json!({"status": "completed", "version": 2}))
        .await
        .expect(200);
    assert_eq!(done.etag(), "\"3\"");
    let done = done.json();
    assert_eq!(done["progress"], 100);
    assert!(done["completed_at"].is_string(), "{done}");
    let reopened = app
        .patch(&path, p, json!({"status": "in_progress", "version": 3}))
        .await
        .expect(200)
        .json();
    assert_eq!(
        (
            reopened["progress"].as_i64(),
            reopened["completed_at"].is_null()
        ),
        (Some(90), true)
    );
    let created_done = app
        .task(
            p,
            &project,
            json!({"title": "Order hinges", "status": "completed"}),
        )
        .await;
    assert_eq!(created_done["progress"], 100);
    assert!(created_done["completed_at"].is_string());

    app.call_with(Method::DELETE, &path, p, &[("if-match", "\"4\"")], None)
        .await
        .expect(204);
    app.get(&path, p).await.problem(404, "not_found");
}

#[tokio::test]
async fn two_editors_on_one_task() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app
        .project(&pm.auth, "Lobby joinery", &client, &pm.id())
        .await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let id = id_of(
        &app.task(
            &pm.auth,
            &project,
            json!({"title": "Cut panels", "priority": "low"}),
        )
        .await,
    );
    let path = format!("/api/v1/tasks/{id}");

    // Both open the task at version 1.
    let etag = app.get(&path, &pm.auth).await.expect(200).etag();
    assert_eq!(
        app.get(&path, &designer.auth).await.expect(200).etag(),
        etag
    );

    // Paula saves first.
    let saved = app
        .call_with(
            Method::PATCH,
            &path,
            &pm.auth,
            &[("if-match", etag.as_str())],
            Some(json!({"title": "Cut oak panels", "priority": "high"})),
        )
        .await
        .expect(200);
    assert_eq!(saved.etag(), "\"2\"");

    // Dana's save is refused, saying who got there first: 412 through If-Match, 409 through the body.
    let v = app
        .call_with(
            Method::PATCH,
            &path,
            &designer.auth,
            &[("if-match", etag.as_str())],
            Some(json!({"title": "Cut walnut panels"})),
        )
        .await
        .problem(412, "stale_version");
    assert_eq!(
        (v["current_version"].as_i64(), v["updated_by"].as_str()),
        (Some(2), Some("Paula Manager"))
    );
    assert!(
        v["detail"].as_str().unwrap().contains("Paula Manager"),
        "{v}"
    );
    let v = app
        .patch(
            &path,
            &designer.auth,
            json!({"title": "Cut walnut panels", "version": 1}),
        )
        .await
        .problem(409, "stale_version");
    assert_eq!(
        (v["current_version"].as_i64(), v["updated_by"].as_str()),
        (Some(2), Some("Paula Manager"))
    );

    let now = app.get(&path, &designer.auth).await.expect(200);
    assert_eq!(now.etag(), "\"2\"");
    assert_eq!(
        (
            now.json()["title"].as_str(),
            now.json()["priority"].as_str()
        ),
        (Some("Cut oak panels"), Some("high"))
    );

    // The audit trail has the change with old → new values, and who made it.
    let trail = app
        .get(
            &format!("/api/v1/audit?entity_type=task&entity_id={id}"),
            &admin.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(trail["total"], 2, "create and one update: {trail}");
    let update = &trail["items"][0];
    assert_eq!(
        (update["action"].as_str(), update["actor_name"].as_str()),
        (Some("update"), Some("Paula Manager"))
    );
    assert_eq!(update["actor_id"], pm.id().as_str());
    let changes = update["changes"].as_array().unwrap();
    assert!(
        changes.contains(&json!({"field": "title", "old": "Cut panels", "new": "Cut oak panels"})),
        "{update}"
    );
    assert!(
        changes.contains(&json!({"field": "priority", "old": "low", "new": "high"})),
        "{update}"
    );
    assert_eq!(trail["items"][1]["action"], "create");
    // Designers may not read the audit trail.
    app.get(&format!("/api/v1/audit?entity_id={id}"), &designer.auth)
        .await
        .problem(403, "forbidden");
}

#[tokio::test]
async fn contacts_teams_and_code_suggestions() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let a = &admin.auth;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let alpha = app.client(a, "Alpha Hotels").await;
    let beta = app.client(a, "Beta Offices").await;
    let cleo = app
        .user(&admin, "client", "Cleo Client", Some(&alpha))
        .await;

    // Contacts live under their client.
    let contacts = format!("/api/v1/clients/{alpha}/contacts");
    let v = app
        .post(
            &contacts,
            &pm.auth,
            json!({"name": "Ana", "email": "not-mail"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["email"]);
    let contact = app
        .post(
            &contacts,
            &pm.auth,
            json!({"name": "Ana Lopes", "role": "Buyer", "email": " Ana@Alpha.example "}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(
        (contact["email"].as_str(), contact["client_id"].as_str()),
        (Some("ana@alpha.example"), Some(alpha.as_str()))
    );
    assert_eq!(
        app.get(&contacts, &cleo.auth).await.expect(200).json()["total"],
        1
    );
    let cid = id_of(&contact);
    app.delete(&format!("/api/v1/clients/{beta}/contacts/{cid}"), a)
        .await
        .problem(404, "not_found");
    app.delete(
        &format!("/api/v1/clients/{alpha}/contacts/{cid}"),
        &cleo.auth,
    )
    .await
    .problem(403, "forbidden");
    app.delete(&format!("/api/v1/clients/{alpha}/contacts/{cid}"), &pm.auth)
        .await
        .expect(204);
    app.delete(&format!("/api/v1/clients/{alpha}/contacts/{cid}"), &pm.auth)
        .await
        .problem(404, "not_found");

    // Code suggestions follow the codes in use.
    let first = app
        .get("/api/v1/projects/code-suggestion", &pm.auth)
        .await
        .expect(200)
        .json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        first.starts_with("FPM-") && first.ends_with("-001"),
        "{first}"
    );
    let project = app
        .project(&pm.auth, "Lobby joinery", &alpha, &pm.id())
        .await;
    let next = app
        .get("/api/v1/projects/code-suggestion", &pm.auth)
        .await
        .expect(200)
        .json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(next.ends_with("-002"), "{next}");

    // Teams.
    let members = format!("/api/v1/projects/{project}/members");
    let v = app
        .post(
            &members,
            &pm.auth,
            json!({"user_id": cleo.id(), "role": "member"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["user_id"]);
    let team = app
        .post(
            &members,
            &pm.auth,
            json!({"user_id": designer.id(), "role": "designer"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(team["total"], 2);
    app.delete(&format!("{members}/{}", pm.id()), &pm.auth)
        .await
        .problem(409, "is_manager");
    let task = app
        .task(
            &pm.auth,
            &project,
            json!({"title": "Draw doors", "assignee_id": designer.id()}),
        )
        .await;
    app.delete(&format!("{members}/{}", designer.id()), &pm.auth)
        .await
        .problem(409, "has_open_tasks");
    app.patch(
        &format!("/api/v1/tasks/{}", id_of(&task)),
        &designer.auth,
        json!({"status": "completed", "version": 1}),
    )
    .await
    .expect(200);
    app.delete(&format!("{members}/{}", designer.id()), &pm.auth)
        .await
        .expect(204);
    app.delete(&format!("{members}/{}", designer.id()), &pm.auth)
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get(&members, &pm.auth).await.expect(200).json()["total"],
        1
    );
    // Off the team, the project is out of sight.
    app.get(&format!("/api/v1/projects/{project}"), &designer.auth)
        .await
        .problem(404, "not_found");
}

/// Completing asks first and shows what is still open; an administrator reopens a completed
/// project with a reason that lands in the audit trail; nobody else can, and a reason is needed.
#[tokio::test]
async fn completion_shows_open_work_and_only_admins_reopen_with_a_reason() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let id = app
        .project(&pm.auth, "Lobby joinery", &client, &pm.id())
        .await;
    let status = format!("/api/v1/projects/{id}/status");
    for (i, s) in ["awarded", "active"].into_iter().enumerate() {
        app.post(&status, &pm.auth, json!({"status": s, "version": i + 1}))
            .await
            .expect(200);
    }
    app.task(
        &pm.auth,
        &id,
        json!({"title": "Fix the reception desk", "due_date": "2020-01-01"}),
    )
    .await;
    app.task(&pm.auth, &id, json!({"title": "Touch up the panels"}))
        .await;

    // What is open, through the API and on the confirmation page (no JavaScript needed).
    let open = app
        .get(&format!("/api/v1/projects/{id}/open-work"), &pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(open["open_tasks"], 2);
    assert_eq!(open["overdue_tasks"], 1);
    let (pm_cookie, _) = app.login(&pm.user.email, crate::support::PASSWORD).await;
    let overview = app
        .get(&format!("/projects/{id}"), &pm_cookie)
        .await
        .expect(200)
        .text();
    assert!(
        overview.contains(&format!("href=\"/projects/{id}/complete\"")),
        "Mark completed leads to the confirmation page"
    );
    let confirm = app
        .get(&format!("/projects/{id}/complete"), &pm_cookie)
        .await
        .expect(200)
        .text();
    assert!(
        confirm.contains("<strong>2</strong> open tasks"),
        "{confirm}"
    );
    assert!(confirm.contains("1 overdue"), "{confirm}");
    assert!(confirm.contains("Complete the project"), "{confirm}");

    app.post(
        &status,
        &pm.auth,
        json!({"status": "completed", "version": 3}),
    )
    .await
    .expect(200);

    // Only administrators reopen, only completed projects, only with a reason.
    let reopen = format!("/api/v1/projects/{id}/reopen");
    app.post(
        &reopen,
        &pm.auth,
        json!({"reason": "Snagging", "version": 4}),
    )
    .await
    .problem(403, "forbidden");
    let v = app
        .post(&reopen, &admin.auth, json!({"reason": "  ", "version": 4}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["reason"]);
    let body = app
        .post(
            &reopen,
            &admin.auth,
            json!({"reason": "Snagging on level 3 after handover", "version": 4}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(body["status"], "active");
    app.post(
        &reopen,
        &admin.auth,
        json!({"reason": "Again", "version": 5}),
    )
    .await
    .problem(409, "invalid_transition");

    let trail = app
        .get(
            &format!("/api/v1/audit?entity_id={id}&action=reopen"),
            &admin.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(trail["total"], 1);
    let changes = trail["items"][0]["changes"].as_array().unwrap();
    assert!(changes.contains(&json!({"field": "status", "old": "completed", "new": "active"})));
    assert!(changes.contains(
        &json!({"field": "reason", "old": null, "new": "Snagging on level 3 after handover"})
    ));
}

/// An administrator reopens through the overview page's form; a missing reason is said beside
/// the field and nothing changes.
#[tokio::test]
async fn the_reopen_form_needs_a_reason() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let id = app
        .project(&admin.auth, "Lobby joinery", &client, &admin.id())
        .await;
    let status = format!("/api/v1/projects/{id}/status");
    for (i, s) in ["awarded", "active", "completed"].into_iter().enumerate() {
        app.post(&status, &admin.auth, json!({"status": s, "version": i + 1}))
            .await
            .expect(200);
    }
    let (cookie, _) = app.login(&admin.user.email, crate::support::PASSWORD).await;
    let overview = app
        .get(&format!("/projects/{id}"), &cookie)
        .await
        .expect(200)
        .text();
    assert!(overview.contains("Reason for reopening"), "{overview}");
    let path = format!("/projects/{id}/reopen");
    let html = crate::scope::form(&app, &path, &cookie, &[("version", "4"), ("reason", "")])
        .await
        .expect(422)
        .text();
    assert!(html.contains("is required"), "{html}");
    crate::scope::form(
        &app,
        &path,
        &cookie,
        &[("version", "4"), ("reason", "Snagging")],
    )
    .await
    .expect(303);
    let got = app
        .get(&format!("/api/v1/projects/{id}"), &admin.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(got["status"], "active");
}
