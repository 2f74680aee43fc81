//! Activity feeds and "waiting for me" through the API and on the pages: what happened told
//! in words, alike changes told as one, paging by cursor, and the rule that matters most: a
//! client user's feed never holds an internal comment, a price, a draft or the scope of work.

use serde_json::{Value, json};

use crate::drawings::upload;
use crate::support::{PASSWORD, TestApp, TestUser, id_of};

fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

struct World {
    app: TestApp,
    admin: TestUser,
    pm: TestUser,
    designer: TestUser,
    client: TestUser,
    outsider: TestUser,
    project: String,
    other_project: String,
    task: String,
    item: String,
    drawing: String,
    revision: String,
    spec: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let outsider = app.user(&admin, "designer", "Olaf Outside", None).await;
    let client_org = app.client(&admin.auth, "Alpha Hotels").await;
    let client = app
        .user(&admin, "client", "Cleo Client", Some(&client_org))
        .await;
    let project = app
        .project(&pm.auth, "Lobby joinery", &client_org, &pm.id())
        .await;
    let other_org = app.client(&admin.auth, "Beta Offices").await;
    let other_project = app
        .project(&admin.auth, "Office fit-out", &other_org, &admin.id())
        .await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let task = id_of(
        &app.task(&pm.auth, &project, json!({"title": "Site survey"}))
            .await,
    );
    let scope: Value = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .json();
    let millwork = id_of(&scope["groups"][1]);
    let item = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/scope-items"),
            &pm.auth,
            json!({"group_id": millwork, "name": "Reception desk", "code": "LBY-M-001",
                   "unit_price_minor": 4_200_000}),
        )
        .await
        .expect(201)
        .json(),
    );
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
    let revision = id_of(
        &upload(&app, &designer.auth, &drawing, "SD-101 A.pdf", &pdf("A"))
            .await
            .expect(201)
            .json(),
    );
    let spec = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/specs"),
            &designer.auth,
            json!({"code": "V-01", "description": "Walnut veneer", "category": "veneer",
                   "unit_cost_minor": 777_700}),
        )
        .await
        .expect(201)
        .json(),
    );
    World {
        app,
        admin,
        pm,
        designer,
        client,
        outsider,
        project,
        other_project,
        task,
        item,
        drawing,
        revision,
        spec,
    }
}

impl World {
    async fn submit_drawing(&self) {
        self.app
            .post(
                &format!("/api/v1/drawing-revisions/{}/submit", self.revision),
                &self.designer.auth,
                json!({"version": 1}),
            )
            .await
            .expect(200);
    }

    async fn submit_spec(&self) {
        self.app
            .post(
                &format!("/api/v1/specs/{}/submit", self.spec),
                &self.designer.auth,
                json!({"version": 1}),
            )
            .await
            .expect(200);
    }

    async fn comment(&self, user: &TestUser, kind: &str, id: &str, body: &str, vis: &str) -> Value {
        self.app
            .post(
                "/api/v1/comments",
                &user.auth,
                json!({"record_type": kind, "record_id": id, "body": body, "visibility": vis}),
            )
            .await
            .expect(201)
            .json()
    }

    async fn feed(&self, user: &TestUser) -> Value {
        self.app
            .get(
                &format!("/api/v1/projects/{}/activity?limit=100", self.project),
                &user.auth,
            )
            .await
            .expect(200)
            .json()
    }
}

fn texts(feed: &Value) -> Vec<String> {
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_project_feed_tells_what_happened_in_words() {
    let w = world().await;
    let app = &w.app;
    app.patch(
        &format!("/api/v1/scope-items/{}", w.item),
        &w.pm.auth,
        json!({"unit_price_minor": 4_900_000, "version": 1}),
    )
    .await
    .expect(200);
    w.submit_drawing().await;
    app.post(
        &format!("/api/v1/drawing-revisions/{}/review", w.revision),
        &w.pm.auth,
        json!({"decision": "approved_as_noted", "comments": "Radius the corners", "version": 2}),
    )
    .await
    .expect(200);
    w.comment(&w.pm, "task", &w.task, "SECRET margin note", "internal")
        .await;
    w.comment(&w.pm, "task", &w.task, "Survey booked for Monday", "client")
        .await;

    let team = w.feed(&w.pm).await;
    let said = texts(&team);
    for expected in [
        "Paula Manager commented on task “Site survey”",
        "Paula Manager approved SD-101 rev A as noted",
        "Dana Designer submitted SD-101 rev A for review",
        "Dana Designer uploaded SD-101 rev A",
        "Dana Designer added specification V-01",
        "Dana Designer added drawing SD-101",
        "Paula Manager added item LBY-M-001",
        "Paula Manager added task “Site survey”",
        "Paula Manager added Dana Designer to the team as Designer",
    ] {
        assert!(
            said.iter().any(|t| t == expected),
            "{expected:?} in {said:#?}"
        );
    }
    assert!(
        said.iter()
            .any(|t| t.starts_with("Paula Manager updated item LBY-M-001 (unit price")),
        "{said:#?}"
    );
    let code = app
        .get(&format!("/api/v1/projects/{}", w.project), &w.pm.auth)
        .await
        .json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = format!("Paula Manager created project {code}");
    assert_eq!(said.last(), Some(&created));
    // Newest first, each line with its time, who, what and where to read more.
    let first = &team["items"][0];
    assert_eq!(first["kind"], "comment");
    assert_eq!(first["excerpt"], "Survey booked for Monday");
    assert_eq!(first["visibility"], "client");
    assert_eq!(first["record_type"], "task");
    assert_eq!(first["record_id"], w.task.as_str());
    let href = first["href"].as_str().unwrap();
    assert!(
        href.starts_with(&format!("/tasks/{}#comment-", w.task)),
        "{href}"
    );
    let review = team["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["action"] == "review")
        .unwrap();
    assert_eq!(review["href"], format!("/drawings/{}", w.drawing));
    assert_eq!(review["count"], 1);
    assert_eq!(review["actor_name"], "Paula Manager");
    assert!(team["next_cursor"].is_null());
    let raw = serde_json::to_string(&team).unwrap();
    assert!(
        raw.contains("SECRET margin note"),
        "the team reads internal comments"
    );

    // The client's part: the project, its tasks, what was submitted to them and decided, and
    // comments visible to them. No internal note, no scope, no prices, no drafts.
    let client = w.feed(&w.client).await;
    assert_eq!(
        texts(&client),
        vec![
            "Paula Manager commented on task “Site survey”",
            "Paula Manager approved SD-101 rev A as noted",
            "Dana Designer submitted SD-101 rev A for review",
            "Paula Manager added task “Site survey”",
            created.as_str(),
        ]
    );
    let raw = serde_json::to_string(&client).unwrap();
    for secret in [
        "SECRET",
        "LBY-M-001",
        "4900000",
        "4200000",
        "777700",
        "V-01",
        "uploaded",
        "internal",
        "unit price",
        "Radius the corners",
    ] {
        assert!(
            !raw.contains(secret),
            "{secret} in the client's feed: {raw}"
        );
    }

    // A deleted record's lines stay, without a link.
    let doomed = id_of(
        &app.task(&w.pm.auth, &w.project, json!({"title": "Doomed"}))
            .await,
    );
    app.delete(&format!("/api/v1/tasks/{doomed}?version=1"), &w.pm.auth)
        .await
        .expect(204);
    let after = w.feed(&w.pm).await;
    let doomed_lines: Vec<&Value> = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["record_id"] == doomed.as_str())
        .collect();
    assert_eq!(doomed_lines.len(), 2, "{after}");
    assert!(doomed_lines.iter().all(|i| i["href"].is_null()), "{after}");
    assert_eq!(after["items"][2]["href"], team["items"][0]["href"]);

    // Nobody else's project, and nothing of it through a guessed id.
    w.app
        .get(
            &format!("/api/v1/projects/{}/activity", w.other_project),
            &w.client.auth,
        )
        .await
        .expect(404);
    w.app
        .get(
            &format!("/api/v1/projects/{}/activity", w.project),
            &w.outsider.auth,
        )
        .await
        .expect(404);
}

#[tokio::test]
async fn alike_changes_by_one_person_in_one_minute_are_one_line() {
    let w = world().await;
    let app = &w.app;
    // Three tasks completed at once: one line. (A minute may turn while they are made; then
    // they are made again, the test asserting what one minute holds.)
    loop {
        let minute = time::OffsetDateTime::now_utc().unix_timestamp() / 60;
        let mut ids = Vec::new();
        for title in ["Fit doors", "Fit drawers", "Fit handles"] {
            ids.push(id_of(
                &app.task(&w.designer.auth, &w.project, json!({"title": title}))
                    .await,
            ));
        }
        for id in &ids {
            app.patch(
                &format!("/api/v1/tasks/{id}"),
                &w.designer.auth,
                json!({"status": "completed", "version": 1}),
            )
            .await
            .expect(200);
        }
        if time::OffsetDateTime::now_utc().unix_timestamp() / 60 != minute {
            continue;
        }
        let said = texts(&w.feed(&w.pm).await);
        assert_eq!(said[0], "Dana Designer completed 3 tasks", "{said:#?}");
        assert_eq!(said[1], "Dana Designer added 3 tasks", "{said:#?}");
        let line = &w.feed(&w.pm).await["items"][0];
        assert_eq!(line["count"], 3);
        assert!(line["record_id"].is_null());
        assert_eq!(line["href"], format!("/projects/{}/tasks", w.project));
        break;
    }
}

#[tokio::test]
async fn feeds_page_by_cursor_and_refuse_bad_paging() {
    let w = world().await;
    let app = &w.app;
    for i in 0..7 {
        w.comment(
            &w.designer,
            "task",
            &w.task,
            &format!("note {i}"),
            "internal",
        )
        .await;
    }
    let all = texts(&w.feed(&w.pm).await);
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/projects/{}/activity?limit=3", w.project);
    loop {
        let page: Value = app.get(&path, &w.pm.auth).await.expect(200).json();
        let items = texts(&page);
        assert!(items.len() <= 3 && !items.is_empty(), "{page}");
        seen.extend(items);
        match page["next_cursor"].as_str() {
            Some(c) => {
                path = format!("/api/v1/projects/{}/activity?limit=3&cursor={c}", w.project);
            }
            None => break,
        }
    }
    assert_eq!(seen, all, "every line once, newest first");
    assert_eq!(seen[0], "Dana Designer commented on task “Site survey”");

    for bad in [
        "cursor=yesterday",
        "cursor=12-zz",
        "limit=0",
        "limit=101",
        "limit=x",
    ] {
        let body = app
            .get(
                &format!("/api/v1/projects/{}/activity?{bad}", w.project),
                &w.pm.auth,
            )
            .await
            .problem(422, "validation_failed");
        let field = bad.split('=').next().unwrap();
        assert!(
            crate::support::Resp::fields(&body).contains(&field.to_owned()),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn a_record_feed_holds_that_record_only() {
    let w = world().await;
    let app = &w.app;
    w.submit_drawing().await;
    w.comment(
        &w.pm,
        "drawing_revision",
        &w.revision,
        "Check rev A dims",
        "internal",
    )
    .await;
    w.comment(&w.pm, "task", &w.task, "About the survey", "internal")
        .await;
    let feed = |user: &TestUser, kind: &str, id: &str| {
        let path = format!("/api/v1/activity?record_type={kind}&record_id={id}");
        let auth = user.auth.clone();
        async move { app.get(&path, &auth).await }
    };
    let drawing = feed(&w.pm, "drawing", &w.drawing).await.expect(200).json();
    assert_eq!(
        texts(&drawing),
        vec![
            "Paula Manager commented on SD-101 rev A",
            "Dana Designer submitted SD-101 rev A for review",
            "Dana Designer uploaded SD-101 rev A",
            "Dana Designer added drawing SD-101",
        ]
    );
    assert_eq!(
        drawing["items"][0]["href"],
        format!("/drawings/{}", w.drawing)
    );
    let task = feed(&w.pm, "task", &w.task).await.expect(200).json();
    assert_eq!(
        texts(&task),
        vec![
            "Paula Manager commented on task “Site survey”",
            "Paula Manager added task “Site survey”",
        ]
    );
    // The client: their part of the drawing's; the scope of work does not exist for them.
    let theirs = feed(&w.client, "drawing", &w.drawing)
        .await
        .expect(200)
        .json();
    assert_eq!(
        texts(&theirs),
        vec!["Dana Designer submitted SD-101 rev A for review"]
    );
    feed(&w.client, "scope_item", &w.item).await.expect(404);
    feed(&w.client, "spec", &w.spec).await.expect(404);
    feed(&w.outsider, "task", &w.task).await.expect(404);
    let project = feed(&w.pm, "project", &w.project).await.expect(200).json();
    assert_eq!(texts(&project), texts(&w.feed(&w.pm).await));
    feed(&w.pm, "drawing_revision", &w.revision)
        .await
        .problem(422, "validation_failed");
    app.get("/api/v1/activity?record_type=task", &w.pm.auth)
        .await
        .problem(422, "validation_failed");
    app.get(
        &format!("/api/v1/activity?record_type=table&record_id={}", w.task),
        &w.pm.auth,
    )
    .await
    .problem(422, "validation_failed");
}

#[tokio::test]
async fn reviews_and_mentions_wait_for_the_right_person() {
    let w = world().await;
    let app = &w.app;
    let waiting = |user: &TestUser| {
        let auth = user.auth.clone();
        async move {
            let v: Value = app
                .get("/api/v1/me/waiting", &auth)
                .await
                .expect(200)
                .json();
            v
        }
    };
    let labels = |v: &Value| -> Vec<(String, String)> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["kind"].as_str().unwrap().to_owned(),
                    i["label"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert!(labels(&waiting(&w.pm).await).is_empty());
    w.submit_drawing().await;
    w.submit_spec().await;

    // The project manager decides (no reviewers named); the oldest first, with its age.
    let pm = waiting(&w.pm).await;
    assert_eq!(
        labels(&pm),
        vec![
            ("drawing_review".into(), "SD-101 rev A".into()),
            ("spec_review".into(), "V-01".into())
        ]
    );
    assert_eq!(pm["reviews"], 2);
    assert_eq!(pm["mentions"], 0);
    let first = &pm["items"][0];
    assert_eq!(first["age"], "just now");
    assert_eq!(first["from_name"], "Dana Designer");
    assert!(!first["project_code"].as_str().unwrap().is_empty());
    assert_eq!(first["href"], format!("/drawings/{}#review-h", w.drawing));
    assert_eq!(
        pm["items"][1]["href"],
        format!("/specs/{}#approve-h", w.spec)
    );
    assert!(labels(&waiting(&w.designer).await).is_empty());
    // Administrators may decide anything, but their list is the projects they are on.
    assert!(labels(&waiting(&w.admin).await).is_empty());

    // Named reviewers, and the client's users where the project lets them approve.
    app.call(
        axum::http::Method::PUT,
        &format!("/api/v1/projects/{}/review-settings", w.project),
        &w.pm.auth,
        Some(json!({"client_approvals": true, "reviewer_ids": [w.designer.id()]})),
    )
    .await
    .expect(200);
    assert!(labels(&waiting(&w.pm).await).is_empty());
    assert_eq!(labels(&waiting(&w.designer).await).len(), 2);
    assert_eq!(labels(&waiting(&w.client).await).len(), 2);

    // Deciding takes it off everyone's list.
    app.post(
        &format!("/api/v1/drawing-revisions/{}/review", w.revision),
        &w.designer.auth,
        json!({"decision": "approved", "version": 2}),
    )
    .await
    .expect(200);
    assert_eq!(
        labels(&waiting(&w.client).await),
        vec![("spec_review".into(), "V-01".into())]
    );

    // A mention waits until answered in that discussion.
    let c = w
        .comment(
            &w.pm,
            "task",
            &w.task,
            "@dana.designer can you book the survey?",
            "internal",
        )
        .await;
    let dana = waiting(&w.designer).await;
    assert_eq!(dana["mentions"], 1);
    let mention = dana["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "mention")
        .unwrap()
        .clone();
    assert_eq!(mention["label"], "Site survey");
    assert_eq!(mention["title"], "@dana.designer can you book the survey?");
    assert_eq!(mention["from_name"], "Paula Manager");
    assert_eq!(
        mention["href"],
        format!("/tasks/{}#comment-{}", w.task, id_of(&c))
    );
    // Internal: never the client's, even when the client is mentioned somewhere visible.
    w.comment(
        &w.pm,
        "task",
        &w.task,
        "@cleo.client access on Monday?",
        "client",
    )
    .await;
    let cleo = waiting(&w.client).await;
    assert_eq!(cleo["mentions"], 1);
    assert!(
        !serde_json::to_string(&cleo)
            .unwrap()
            .contains("book the survey")
    );
    w.comment(
        &w.designer,
        "task",
        &w.task,
        "Booked for Tuesday",
        "internal",
    )
    .await;
    assert_eq!(waiting(&w.designer).await["mentions"], 0);
}

#[tokio::test]
async fn the_pages_show_activity_and_what_waits() {
    let w = world().await;
    let app = &w.app;
    w.submit_drawing().await;
    w.comment(&w.pm, "task", &w.task, "SECRET margin note", "internal")
        .await;
    w.comment(
        &w.pm,
        "task",
        &w.task,
        "@dana.designer please look",
        "internal",
    )
    .await;
    let (pm, _) = app.login("paula.manager@example.com", PASSWORD).await;
    let (dana, _) = app.login("dana.designer@example.com", PASSWORD).await;
    let (cleo, _) = app.login("cleo.client@example.com", PASSWORD).await;

    let tab = app
        .get(&format!("/projects/{}/activity", w.project), &pm)
        .await
        .expect(200)
        .text();
    assert!(tab.contains("aria-current=\"page\">Activity"), "{tab}");
    assert!(tab.contains("SECRET margin note"));
    assert!(tab.contains(&format!(
        "<a href=\"/drawings/{}\">SD-101 rev A</a>",
        w.drawing
    )));
    let theirs = app
        .get(&format!("/projects/{}/activity", w.project), &cleo)
        .await
        .expect(200)
        .text();
    assert!(theirs.contains("submitted"), "{theirs}");
    for secret in ["SECRET", "please look", "LBY-M-001", "uploaded"] {
        assert!(
            !theirs.contains(secret),
            "{secret} on the client's Activity tab"
        );
    }
    app.get(
        &format!("/projects/{}/activity?cursor=nope", w.project),
        &pm,
    )
    .await
    .expect(400);

    // What people typed is shown as text: a title, a comment.
    let xss = "<img src=x onerror=alert(1)>";
    app.task(
        &w.pm.auth,
        &w.project,
        json!({"title": format!("Task {xss}")}),
    )
    .await;
    w.comment(
        &w.pm,
        "task",
        &w.task,
        &format!("Look {xss} <script>alert(2)</script>"),
        "internal",
    )
    .await;
    let tab = app
        .get(&format!("/projects/{}/activity", w.project), &pm)
        .await
        .expect(200)
        .text();
    assert!(!tab.contains("<img src=x"), "{tab}");
    assert!(!tab.contains("<script>alert"), "{tab}");
    assert!(
        tab.contains("“Task &#60;img src=x onerror=alert(1)&#62;”"),
        "{tab}"
    );
    assert!(tab.contains("Look &#60;img src=x"), "{tab}");

    // The record pages carry the card.
    let task = app
        .get(&format!("/tasks/{}", w.task), &pm)
        .await
        .expect(200)
        .text();
    assert!(task.contains("id=\"activity-h\""), "{task}");
    assert!(task.contains("Paula Manager</strong> added task"));
    let item = app
        .get(&format!("/scope-items/{}/edit", w.item), &pm)
        .await
        .expect(200)
        .text();
    assert!(item.contains("id=\"activity-h\""));
    for page in [
        format!("/drawings/{}", w.drawing),
        format!("/specs/{}", w.spec),
    ] {
        let html = app.get(&page, &pm).await.expect(200).text();
        assert!(html.contains("id=\"activity-h\""), "{page}");
    }

    // My work and the dashboard: the review for the manager, the mention for the designer.
    for path in ["/my-work", "/"] {
        let html = app.get(path, &pm).await.expect(200).text();
        assert!(html.contains("Waiting for me"), "{path}");
        assert!(html.contains("SD-101 rev A"), "{path}: {html}");
        assert!(html.contains("just now"), "{path}");
        let html = app.get(path, &dana).await.expect(200).text();
        assert!(html.contains("please look"), "{path}");
        let html = app.get(path, &cleo).await.expect(200).text();
        assert!(html.contains("Nothing waits for you"), "{path}");
    }
}
