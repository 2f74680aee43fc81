//! Notifications through the API and pages: a drawing submitted for review tells its
//! reviewers (the client's approvers too when the project lets them approve), the decision
//! tells the designer, a mention tells the person mentioned; the inbox, the bell, marking
//! read, settings and the unsubscribe page; stored payloads render inert.

use serde_json::{Value, json};

use crate::drawings::upload;
use crate::support::{Auth, PASSWORD, TestApp, id_of};

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

fn kinds(page: &Value) -> Vec<String> {
    let mut k: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap().to_owned())
        .collect();
    k.sort();
    k
}

#[tokio::test]
async fn review_decision_and_mention_reach_the_right_inboxes() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let org = app.client(&admin.auth, "Alpha Hotels").await;
    let client = app.user(&admin, "client", "Cleo Client", Some(&org)).await;
    let project = app.project(&pm.auth, "Lobby joinery", &org, &pm.id()).await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    app.call(
        axum::http::Method::PUT,
        &format!("/api/v1/projects/{project}/review-settings"),
        &pm.auth,
        Some(json!({"client_approvals": true, "reviewer_ids": []})),
    )
    .await
    .expect(200);
    let drawing = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/drawings"),
            &designer.auth,
            json!({"number": "SD-101", "title": "Desk elevation", "kind": "elevation"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let rev = id_of(
        &upload(&app, &designer.auth, &drawing, "SD-101 A.pdf", &pdf())
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

    // Submitted: the project manager and the client's approver are asked; not the designer.
    let pm_inbox = app
        .get("/api/v1/notifications", &pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(kinds(&pm_inbox), ["review_requested"]);
    let asked = &pm_inbox["items"][0];
    assert_eq!(
        asked["title"],
        "Dana Designer submitted SD-101 rev A for your review"
    );
    assert_eq!(asked["link"], format!("/drawings/{drawing}"));
    let client_inbox = app
        .get("/api/v1/notifications", &client.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(kinds(&client_inbox), ["review_requested"]);
    // The designer has heard only of joining the team (she submitted it herself).
    let own = app
        .get("/api/v1/notifications", &designer.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(kinds(&own), ["added_to_team"]);
    assert_eq!(
        own["items"][0]["title"],
        format!(
            "Paula Manager added you to {} Lobby joinery as Designer",
            own["items"][0]["project_code"].as_str().unwrap()
        )
    );
    let unread = app
        .get("/api/v1/notifications/unread", &pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(unread["unread"], 1);

    // Decided: the designer hears; then an internal comment mentioning her, with a payload.
    app.post(
        &format!("/api/v1/drawing-revisions/{rev}/review"),
        &pm.auth,
        json!({"decision": "approved_as_noted", "comments": "Edge band in oak", "version": 2}),
    )
    .await
    .expect(200);
    app.post(
        "/api/v1/comments",
        &pm.auth,
        json!({"record_type": "drawing", "record_id": drawing,
               "body": "@dana.designer see notes <script>alert(1)</script><img src=x onerror=alert(2)>"}),
    )
    .await
    .expect(201);
    let d = app
        .get("/api/v1/notifications", &designer.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(kinds(&d), ["added_to_team", "mentioned", "review_decided"]);
    let decided = d["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["event"] == "review_decided")
        .unwrap();
    assert_eq!(
        decided["title"],
        "Paula Manager decided SD-101 rev A: approved as noted"
    );
    let mention = d["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["event"] == "mentioned")
        .unwrap();
    assert_eq!(mention["internal"], true);
    assert!(mention["link"].as_str().unwrap().contains("#comment-"));
    let only = app
        .get("/api/v1/notifications?category=mentions", &designer.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(kinds(&only), ["mentioned"]);
    // The client user never hears of the internal comment.
    let client_inbox = app
        .get("/api/v1/notifications", &client.auth)
        .await
        .expect(200)
        .json();
    assert!(
        client_inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["internal"] == false
                && n["event"] != "mentioned"
                && n["event"] != "commented"),
        "{client_inbox}"
    );

    // The designer's inbox page and bell: the payload is inert text.
    let (cookie, _) = app.login(&designer.user.email, PASSWORD).await;
    let html = app.get("/inbox", &cookie).await.expect(200).text();
    assert!(html.contains("class=\"bell-count\">3<"), "the bell shows 3");
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)") || html.contains("&#60;script&#62;alert(1)"),
        "escaped: {html}"
    );

    // Opening one marks it read and goes to the comment; then mark all read.
    let id = mention["id"].as_str().unwrap();
    let open = app.get(&format!("/notifications/{id}"), &cookie).await;
    assert_eq!(open.status.as_u16(), 303);
    assert!(open.header("location").unwrap().contains("#comment-"));
    let unread = app
        .get("/api/v1/notifications/unread", &designer.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(unread["unread"], 2);
    let marked = app
        .post("/api/v1/notifications/read", &designer.auth, json!({}))
        .await
        .expect(200)
        .json();
    assert_eq!(marked["marked"], 2);
    // Someone else's notification does not exist for me.
    app.get(&format!("/api/v1/notifications/{id}"), &pm.auth)
        .await
        .problem(404, "not_found");
}

#[tokio::test]
async fn settings_are_checked_and_unsubscribe_needs_a_valid_signature() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let s = app
        .get("/api/v1/me/notification-settings", &admin.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(s["time_zone"], "UTC");
    assert_eq!(s["email"].as_array().unwrap().len(), 8);
    let bad = app
        .call(
            axum::http::Method::PUT,
            "/api/v1/me/notification-settings",
            &admin.auth,
            Some(json!({"time_zone": "Mars/Olympus"})),
        )
        .await
        .problem(422, "validation_failed");
    assert!(bad.to_string().contains("Europe/Istanbul"), "{bad}");
    let ok = app
        .call(
            axum::http::Method::PUT,
            "/api/v1/me/notification-settings",
            &admin.auth,
            Some(json!({"time_zone": "Europe/Istanbul", "email": [{"category": "mentions", "mode": "digest"}]})),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(ok["time_zone"], "Europe/Istanbul");
    assert!(
        ok["email"]
            .as_array()
            .unwrap()
            .contains(&json!({"category": "mentions", "mode": "digest"}))
    );

    // The unsubscribe page asks first; a forged link is refused with a way forward.
    let page = app
        .get("/unsubscribe?t=abc.def", &Auth::None)
        .await
        .expect(200)
        .text();
    assert!(
        page.contains("<form method=\"post\" action=\"/unsubscribe\">"),
        "{page}"
    );
    let body = serde_urlencoded::to_string([("t", "abc.def")]).unwrap();
    let refused = app
        .send(TestApp::build(
            axum::http::Method::POST,
            "/unsubscribe",
            &Auth::None,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(axum::body::Body::from(body)),
            false,
        ))
        .await;
    assert_eq!(refused.status.as_u16(), 400);
    assert!(refused.text().contains("not valid"));
}

/// The assignee's `task_dates_moved` notifications, oldest first: (title, email mode).
async fn moves_heard(app: &TestApp, auth: &Auth) -> Vec<(String, String)> {
    let page = app
        .get("/api/v1/notifications", auth)
        .await
        .expect(200)
        .json();
    let mut out: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "task_dates_moved")
        .map(|n| {
            assert_eq!(n["category"], "assignments", "{n}");
            (
                n["title"].as_str().unwrap().to_owned(),
                n["email_mode"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn a_task_moved_by_someone_else_tells_its_assignee() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let org = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app.project(&pm.auth, "Lobby joinery", &org, &pm.id()).await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let task = |title: &str, start: &str, due: &str| json!({"title": title, "assignee_id": designer.id(), "start_date": start, "due_date": due});
    let kitchen = id_of(
        &app.task(
            &pm.auth,
            &project,
            task("Kitchen – production", "2030-03-04", "2030-03-08"),
        )
        .await,
    );
    let fit = id_of(
        &app.task(
            &pm.auth,
            &project,
            task("Kitchen – installation", "2030-03-04", "2030-03-05"),
        )
        .await,
    );
    let path = format!("/api/v1/tasks/{kitchen}");

    // The manager moves its due date: the assignee hears of it, mailed as she chose for her
    // tasks (right away until she chooses).
    app.patch(
        &path,
        &pm.auth,
        json!({"due_date": "2030-03-11", "version": 1}),
    )
    .await
    .expect(200);
    let heard = moves_heard(&app, &designer.auth).await;
    assert_eq!(
        heard,
        [(
            "Your task “Kitchen – production” moved: due 8 Mar 2030 → 11 Mar 2030".to_owned(),
            "instant".to_owned()
        )]
    );
    assert!(
        moves_heard(&app, &pm.auth).await.is_empty(),
        "whoever moved it is not told"
    );

    // Her own move, and a change that moves no date, tell nobody.
    app.patch(
        &path,
        &designer.auth,
        json!({"start_date": "2030-03-05", "version": 2}),
    )
    .await
    .expect(200);
    app.patch(&path, &pm.auth, json!({"progress": 10, "version": 3}))
        .await
        .expect(200);
    assert_eq!(moves_heard(&app, &designer.auth).await.len(), 1);

    // She prefers her tasks in the digest; then the task form moves both dates.
    app.call(
        axum::http::Method::PUT,
        "/api/v1/me/notification-settings",
        &designer.auth,
        Some(json!({"email": [{"category": "assignments", "mode": "digest"}]})),
    )
    .await
    .expect(200);
    let (session, _) = app.login(&pm.user.email, PASSWORD).await;
    crate::scope::form(
        &app,
        &format!("/tasks/{kitchen}/edit"),
        &session,
        &[
            ("version", "4"),
            ("title", "Kitchen – production"),
            ("status", "pending"),
            ("priority", "medium"),
            ("assignee_id", &designer.id()),
            ("start_date", "2030-03-06"),
            ("due_date", "2030-03-12"),
            ("progress", "10"),
        ],
    )
    .await
    .expect(303);
    let heard = moves_heard(&app, &designer.auth).await;
    assert_eq!(
        heard[1],
        (
            "Your task “Kitchen – production” moved: 5 Mar 2030 – 11 Mar 2030 → 6 Mar 2030 – 12 Mar 2030"
                .to_owned(),
            "digest".to_owned()
        )
    );

    // A bulk shift of due dates: one each.
    app.post(
        &format!("/api/v1/projects/{project}/tasks/bulk"),
        &pm.auth,
        json!({"tasks": [{"id": kitchen, "version": 5}, {"id": fit, "version": 1}], "shift_days": 7}),
    )
    .await
    .expect(200);
    let heard = moves_heard(&app, &designer.auth).await;
    assert_eq!(heard.len(), 4, "{heard:?}");
    assert!(
        heard[2..].iter().any(|(t, _)| t
            == "Your task “Kitchen – installation” moved: 4 Mar 2030 – 5 Mar 2030 → 11 Mar 2030 – 12 Mar 2030"),
        "{heard:?}"
    );

    // A reschedule applied: installation now waits for production, one notification for it.
    app.post(
        &format!("/api/v1/projects/{project}/dependencies"),
        &pm.auth,
        json!({"predecessor_id": kitchen, "successor_id": fit}),
    )
    .await
    .expect(201);
    let plan = app
        .post(
            &format!("/api/v1/projects/{project}/schedule/proposal"),
            &pm.auth,
            json!({}),
        )
        .await
        .expect(200)
        .json();
    let changes: Vec<Value> = plan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["moves"] == true)
        .map(|r| json!({"task_id": r["task_id"], "version": r["version"], "start": r["proposed_start"], "due": r["proposed_due"]}))
        .collect();
    assert_eq!(changes.len(), 1, "{plan}");
    app.post(
        &format!("/api/v1/projects/{project}/schedule/apply"),
        &pm.auth,
        json!({"changes": changes}),
    )
    .await
    .expect(200);
    let heard = moves_heard(&app, &designer.auth).await;
    assert_eq!(heard.len(), 5, "{heard:?}");
    assert_eq!(
        heard[4].0,
        format!(
            "Your task “Kitchen – installation” moved: 11 Mar 2030 – 12 Mar 2030 → {}",
            "20 Mar 2030 – 21 Mar 2030"
        )
    );
}

/// A bulk edit tells people what the same change to one task would: the new assignee hears
/// each task is theirs (and follows it), completion reaches the task's creator.
#[tokio::test]
async fn a_bulk_edit_tells_the_new_assignee_and_the_creator() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let coordinator = app
        .user(&admin, "coordinator", "Cora Coordinator", None)
        .await;
    let org = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app.project(&pm.auth, "Lobby joinery", &org, &pm.id()).await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    app.member(&pm.auth, &project, &coordinator, "coordinator")
        .await;
    let mut ids = Vec::new();
    for title in ["Veneer order", "Edge samples"] {
        ids.push(id_of(
            &app.task(&coordinator.auth, &project, json!({"title": title}))
                .await,
        ));
    }
    let events = |auth| {
        let app = &app;
        async move {
            let page = app
                .get("/api/v1/notifications", auth)
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
                        n["title"].as_str().unwrap().to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };

    app.post(
        &format!("/api/v1/projects/{project}/tasks/bulk"),
        &pm.auth,
        json!({"tasks": [{"id": ids[0], "version": 1}, {"id": ids[1], "version": 1}],
               "assignee_id": designer.id()}),
    )
    .await
    .expect(200);
    let heard = events(&designer.auth).await;
    let assigned: Vec<&String> = heard
        .iter()
        .filter(|(e, _)| e == "task_assigned")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(assigned.len(), 2, "{heard:?}");
    assert!(
        assigned
            .iter()
            .any(|t| t.as_str() == "Paula Manager assigned “Veneer order” to you"),
        "{heard:?}"
    );
    // She follows them now: a comment on one reaches her.
    app.post(
        "/api/v1/comments",
        &coordinator.auth,
        json!({"record_type": "task", "record_id": ids[0], "body": "Samples are in."}),
    )
    .await
    .expect(201);
    assert!(
        events(&designer.auth)
            .await
            .iter()
            .any(|(e, _)| e == "commented"),
        "{:?}",
        events(&designer.auth).await
    );

    // Both completed at once: the coordinator who created them hears of each.
    app.post(
        &format!("/api/v1/projects/{project}/tasks/bulk"),
        &pm.auth,
        json!({"tasks": [{"id": ids[0], "version": 2}, {"id": ids[1], "version": 2}],
               "status": "completed"}),
    )
    .await
    .expect(200);
    let done = events(&coordinator.auth)
        .await
        .into_iter()
        .filter(|(e, _)| e == "task_completed")
        .count();
    assert_eq!(done, 2);
}
