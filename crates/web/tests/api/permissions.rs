//! The permission matrix over HTTP: each role against representative endpoints.
//! (The full matrix is unit-tested in `formula_domain::authz`; this checks the
//! API answers with the right statuses — 403 for forbidden, 404 for invisible.)

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, TestUser, id_of};

struct Company {
    app: TestApp,
    /// admin, executive, project_manager, designer, coordinator, craftsman, client — in that order.
    roles: Vec<(&'static str, TestUser)>,
    client_a: String,
    project_a: String,
    project_b: String,
    task_of_craftsman: String,
    task_of_designer: String,
}

async fn company() -> Company {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let client_a = app.client(&admin.auth, "Alpha Hotels").await;
    let client_b = app.client(&admin.auth, "Beta Offices").await;
    let executive = app.user(&admin, "executive", "Eve Executive", None).await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let coordinator = app
        .user(&admin, "coordinator", "Cory Coordinator", None)
        .await;
    let craftsman = app.user(&admin, "craftsman", "Carl Craftsman", None).await;
    let client = app
        .user(&admin, "client", "Cleo Client", Some(&client_a))
        .await;

    // Project A (client A): Paula manages; Dana, Cory and Carl are on the team.
    let project_a = app
        .project(&pm.auth, "Lobby joinery", &client_a, &pm.id())
        .await;
    app.member(&pm.auth, &project_a, &designer, "designer")
        .await;
    app.member(&pm.auth, &project_a, &coordinator, "coordinator")
        .await;
    app.member(&pm.auth, &project_a, &craftsman, "craftsman")
        .await;
    // Project B (client B): the admin's, with nobody else on it.
    let project_b = app
        .project(&admin.auth, "Office fit-out", &client_b, &admin.id())
        .await;

    let task_of_craftsman = id_of(
        &app.task(
            &pm.auth,
            &project_a,
            json!({"title": "Install doors", "assignee_id": craftsman.id()}),
        )
        .await,
    );
    let task_of_designer = id_of(
        &app.task(
            &pm.auth,
            &project_a,
            json!({"title": "Draw doors", "assignee_id": designer.id()}),
        )
        .await,
    );

    let roles = vec![
        ("admin", admin),
        ("executive", executive),
        ("project_manager", pm),
        ("designer", designer),
        ("coordinator", coordinator),
        ("craftsman", craftsman),
        ("client", client),
    ];
    Company {
        app,
        roles,
        client_a,
        project_a,
        project_b,
        task_of_craftsman,
        task_of_designer,
    }
}

impl Company {
    /// Calls the endpoint as every role and compares the statuses, in role order.
    async fn expect(
        &self,
        method: Method,
        path: &str,
        body: impl Fn(usize) -> Option<Value>,
        expected: [u16; 7],
    ) {
        let mut got = Vec::new();
        for (i, (_, user)) in self.roles.iter().enumerate() {
            got.push(
                self.app
                    .call(method.clone(), path, &user.auth, body(i))
                    .await
                    .status
                    .as_u16(),
            );
        }
        let names: Vec<&str> = self.roles.iter().map(|(n, _)| *n).collect();
        assert_eq!(got, expected, "{method} {path} for {names:?}");
    }

    fn user(&self, role: &str) -> &TestUser {
        &self.roles.iter().find(|(n, _)| *n == role).unwrap().1
    }
}

fn none(_: usize) -> Option<Value> {
    None
}

#[tokio::test]
async fn each_role_gets_the_right_answer() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        "/api/v1/users",
        none,
        [200, 200, 200, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/users/{}", c.user("craftsman").id()),
        none,
        [200, 200, 200, 403, 403, 200, 403],
    )
    .await;
    c.expect(Method::POST, "/api/v1/users", |i| Some(json!({"email": format!("n{i}@example.com"), "name": "N", "password": "long enough pass", "role": "designer"})), [201, 403, 403, 403, 403, 403, 403]).await;
    c.expect(
        Method::POST,
        "/api/v1/invitations",
        |i| Some(json!({"email": format!("inv{i}@example.com"), "name": "N", "role": "designer"})),
        [201, 403, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/users/{}/invitation", c.user("craftsman").id()),
        none,
        [202, 403, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/clients",
        none,
        [200, 200, 200, 200, 200, 403, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/clients/{}", c.client_a),
        none,
        [200, 200, 200, 200, 200, 403, 200],
    )
    .await;
    c.expect(
        Method::POST,
        "/api/v1/clients",
        |i| Some(json!({"name": format!("New client {i}")})),
        [201, 403, 201, 403, 403, 403, 403],
    )
    .await;
    c.expect(Method::POST, "/api/v1/projects", |_| Some(json!({"name": "P", "client_id": c.client_a, "manager_id": c.user("project_manager").id(), "sector": "retail", "business_line": "fit_out"})), [201, 403, 201, 403, 403, 403, 403]).await;

    // Visibility: other projects answer 404, as if they did not exist.
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    // Calendar feed links: everyone makes their own; a project's only if they see it.
    c.expect(
        Method::GET,
        "/api/v1/me/calendar-feeds",
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::POST,
        "/api/v1/me/calendar-feeds",
        |_| Some(json!({"project_id": a})),
        [201, 201, 201, 201, 201, 201, 201],
    )
    .await;
    c.expect(
        Method::POST,
        "/api/v1/me/calendar-feeds",
        |_| Some(json!({"project_id": b})),
        [201, 201, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/tasks"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/tasks"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/tasks/{}", c.task_of_designer),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;

    // Work on tasks: the team creates them; craftsmen change only their own.
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/tasks"),
        |_| Some(json!({"title": "More work"})),
        [201, 403, 201, 201, 201, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{b}/tasks"),
        |_| Some(json!({"title": "More work"})),
        [201, 403, 404, 404, 404, 404, 404],
    )
    .await;
    let craftsmans = format!("/api/v1/tasks/{}", c.task_of_craftsman);
    // Each successful save moves the version on; send the current one every time.
    let mut version = 1;
    let mut got = Vec::new();
    for (_, user) in &c.roles {
        let r = c
            .app
            .call(
                Method::PATCH,
                &craftsmans,
                &user.auth,
                Some(json!({"progress": 10 + version, "version": version})),
            )
            .await;
        if r.status == 200 {
            version += 1;
        }
        got.push(r.status.as_u16());
    }
    assert_eq!(
        got,
        [200, 403, 200, 200, 200, 200, 403],
        "PATCH own-assigned task"
    );
    c.expect(
        Method::PATCH,
        &format!("/api/v1/tasks/{}", c.task_of_designer),
        |_| Some(json!({"title": "Draw doors", "version": 99})),
        [409, 403, 409, 409, 409, 403, 403],
    )
    .await;

    // Task features: a checklist is the task's (whoever may change the task changes it);
    // the company's labels are read by the staff and kept by administrators and managers.
    c.expect(
        Method::POST,
        &format!("/api/v1/tasks/{}/checklist", c.task_of_designer),
        |_| Some(json!({"text": "Check the hinges"})),
        [201, 403, 201, 201, 201, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/tasks/{}/checklist", c.task_of_designer),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::POST,
        "/api/v1/labels",
        |i| Some(json!({"name": format!("Label {i}"), "colour": "teal"})),
        [201, 403, 201, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/labels",
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{b}/tasks/bulk"),
        |_| Some(json!({"tasks": [{"id": c.task_of_designer, "version": 1}], "status": "review"})),
        [422, 403, 404, 404, 404, 404, 404],
    )
    .await;

    // Managing the project: its managers (and admins) only.
    c.expect(
        Method::PATCH,
        &format!("/api/v1/projects/{a}"),
        |_| Some(json!({"location": "Lisbon", "version": 99})),
        [409, 403, 409, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/status"),
        |_| Some(json!({"status": "awarded", "version": 99})),
        [409, 403, 409, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/members"),
        |_| Some(json!({"user_id": c.user("coordinator").id(), "role": "coordinator"})),
        [200, 403, 200, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::DELETE,
        &format!("/api/v1/projects/{a}?version=99"),
        none,
        [409, 403, 403, 403, 403, 403, 403],
    )
    .await;

    // Scope of work: the office team reads it (client users do not see prices and costs);
    // the project manager and coordinators keep it.
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/scope"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/scope-items"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    let scope: Value = c
        .app
        .get(
            &format!("/api/v1/projects/{a}/scope"),
            &c.user("admin").auth,
        )
        .await
        .json();
    let group = id_of(&scope["groups"][1]);
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/scope-items"),
        |_| Some(json!({"group_id": group, "name": "Wall panels"})),
        [201, 403, 201, 403, 201, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/scope-groups"),
        |i| Some(json!({"name": format!("Extra {i}")})),
        [201, 403, 201, 403, 201, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/scope/default-groups"),
        none,
        [200, 403, 200, 403, 200, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{b}/scope/default-groups"),
        none,
        [200, 403, 404, 404, 404, 404, 404],
    )
    .await;
    let item = id_of(
        &c.app
            .post(
                &format!("/api/v1/projects/{a}/scope-items"),
                &c.user("admin").auth,
                json!({"group_id": group, "name": "Doors"}),
            )
            .await
            .expect(201)
            .json(),
    );
    c.expect(
        Method::GET,
        &format!("/api/v1/scope-items/{item}"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::PATCH,
        &format!("/api/v1/scope-items/{item}"),
        |_| Some(json!({"progress": 5, "version": 99})),
        [409, 403, 409, 403, 409, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/scope-groups/{group}/move"),
        |_| Some(json!({"index": 1})),
        [204, 403, 204, 403, 204, 403, 403],
    )
    .await;

    // Attachments: whoever may see the thing sees its files.
    c.expect(
        Method::GET,
        &format!("/api/v1/attachments?owner_type=project&owner_id={a}"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/attachments?owner_type=project&owner_id={b}"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/attachments?owner_type=scope_item&owner_id={item}"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!(
            "/api/v1/attachments?owner_type=task&owner_id={}",
            c.task_of_designer
        ),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;

    // Comments: whoever may see a record reads its discussion; executives only read.
    c.expect(
        Method::GET,
        &format!("/api/v1/comments?record_type=project&record_id={a}"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/comments?record_type=project&record_id={b}"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/comments?record_type=scope_item&record_id={item}"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::POST,
        "/api/v1/comments",
        |_| Some(json!({"record_type": "project", "record_id": a, "body": "Noted", "visibility": "client"})),
        [201, 403, 201, 201, 201, 201, 201],
    )
    .await;
    c.expect(
        Method::POST,
        "/api/v1/comments",
        |_| Some(json!({"record_type": "project", "record_id": b, "body": "Noted"})),
        [201, 403, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::PUT,
        "/api/v1/following",
        |_| Some(json!({"record_type": "project", "record_id": a, "following": true})),
        [204, 204, 204, 204, 204, 204, 204],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/mentionable?record_type=project&record_id={a}"),
        none,
        [200, 403, 200, 200, 200, 200, 200],
    )
    .await;
    // Notifications: everyone has an inbox of their own, and no way into anyone else's.
    for path in [
        "/api/v1/notifications",
        "/api/v1/notifications/unread",
        "/api/v1/me/notification-settings",
    ] {
        c.expect(Method::GET, path, none, [200, 200, 200, 200, 200, 200, 200])
            .await;
    }
    c.expect(
        Method::GET,
        &format!("/api/v1/notifications/{a}"),
        none,
        [404, 404, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::POST,
        "/api/v1/notifications/read",
        |_| Some(json!({})),
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::PUT,
        "/api/v1/me/notification-settings",
        |_| Some(json!({"time_zone": "Europe/London", "email": [{"category": "comments", "mode": "off"}]})),
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    // A comment's files: whoever may read the comment (never a client user an internal one's).
    for (visibility, client) in [("internal", 404), ("client", 200)] {
        let comment = id_of(
            &c.app
                .post(
                    "/api/v1/comments",
                    &c.user("admin").auth,
                    json!({"record_type": "project", "record_id": a, "body": "Photo", "visibility": visibility}),
                )
                .await
                .expect(201)
                .json(),
        );
        let (mime, body) = crate::drawings::multipart(
            "photo.png",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDAT\x78\xda\x63\x64\xf8\xcf\x50\x0f\x00\x03\x86\x01\x80\x5a\x34\x7d\x6b\x00\x00\x00\x00IEND\xaeB`\x82",
            &[("owner_type", "comment"), ("owner_id", comment.as_str())],
        );
        let file = id_of(
            &c.app
                .send(TestApp::build(
                    Method::POST,
                    "/api/v1/attachments",
                    &c.user("admin").auth,
                    &[("content-type", mime.as_str())],
                    Some(axum::body::Body::from(body)),
                    false,
                ))
                .await
                .expect(201)
                .json(),
        );
        c.expect(
            Method::GET,
            &format!("/api/v1/attachments?owner_type=comment&owner_id={comment}"),
            none,
            [200, 200, 200, 200, 200, 200, client],
        )
        .await;
        // A photo's copies go to whoever may see the photo (its original to the team only:
        // a client user's download above is the display copy, see `photos.rs`).
        for copy in ["file", "display", "thumbnail"] {
            c.expect(
                Method::GET,
                &format!("/api/v1/attachments/{file}/{copy}"),
                none,
                [200, 200, 200, 200, 200, 200, client],
            )
            .await;
        }
    }
    // Activity: whoever sees a project reads its feed (client users their part of it), and
    // a record's where they see the record; everyone has their own waiting list.
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/activity"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/activity"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!(
            "/api/v1/activity?record_type=task&record_id={}",
            c.task_of_designer
        ),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/activity?record_type=scope_item&record_id={item}"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/me/waiting",
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    // Changing a drawing's details: those who manage drawings (each after the first is
    // stale, which is checked after permission), as for linking scope items.
    let drawing = id_of(
        &c.app
            .post(
                &format!("/api/v1/projects/{a}/drawings"),
                &c.user("project_manager").auth,
                json!({"number": "SD-1", "title": "Doors"}),
            )
            .await
            .expect(201)
            .json(),
    );
    c.expect(
        Method::PATCH,
        &format!("/api/v1/drawings/{drawing}"),
        |_| Some(json!({"title": "Doors and frames", "version": 1})),
        [200, 403, 409, 409, 409, 403, 403],
    )
    .await;

    // Search: everyone searches, and finds only what they may see (search.rs); craftsmen
    // and client users find the team's tasks of project A, nobody but the administrators
    // and executives anything of project B.
    c.expect(
        Method::GET,
        "/api/v1/search?q=doors",
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/search",
        none,
        [422, 422, 422, 422, 422, 422, 422],
    )
    .await;
    for (role, user) in &c.roles {
        let found = c
            .app
            .get("/api/v1/search?q=office+fit&kind=project", &user.auth)
            .await
            .json();
        let sees_b = matches!(*role, "admin" | "executive");
        assert_eq!(
            found["total"],
            i64::from(sees_b),
            "{role} searching project B: {found}"
        );
    }

    // Oversight.
    c.expect(
        Method::GET,
        "/api/v1/audit",
        none,
        [200, 200, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/system/outbox",
        none,
        [200, 403, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/system/jobs",
        none,
        [200, 403, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/dashboard",
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;

    // The company settings (the letterhead): every internal user reads them, administrators
    // change them; the priced scope PDF goes where the scope's prices go.
    c.expect(
        Method::GET,
        "/api/v1/company",
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::PUT,
        "/api/v1/company",
        |i| Some(json!({"name": format!("Northwind {i}"), "version": 0})),
        [200, 403, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::DELETE,
        "/api/v1/company/logo",
        none,
        [428, 428, 428, 428, 428, 428, 428],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/company/logo",
        none,
        [404, 404, 404, 404, 404, 404, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/scope.pdf"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/scope.pdf"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
}

#[tokio::test]
async fn executives_read_everything_and_change_nothing() {
    let c = company().await;
    let exec = &c.user("executive").auth;
    let (a, client) = (&c.project_a, &c.client_a);
    let writes = [
        (
            Method::POST,
            "/api/v1/users".to_owned(),
            json!({"email": "x@example.com", "name": "X", "password": "long enough pass", "role": "designer"}),
        ),
        (
            Method::POST,
            "/api/v1/clients".to_owned(),
            json!({"name": "X"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/clients/{client}"),
            json!({"name": "X", "version": 1}),
        ),
        (
            Method::POST,
            format!("/api/v1/clients/{client}/contacts"),
            json!({"name": "X"}),
        ),
        (
            Method::POST,
            "/api/v1/projects".to_owned(),
            json!({"name": "X", "client_id": client, "manager_id": c.user("project_manager").id(), "sector": "retail", "business_line": "mep"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/projects/{a}"),
            json!({"name": "X", "version": 1}),
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{a}/status"),
            json!({"status": "awarded", "version": 1}),
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{a}/members"),
            json!({"user_id": c.user("executive").id(), "role": "member"}),
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{a}/tasks"),
            json!({"title": "X"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/tasks/{}", c.task_of_designer),
            json!({"title": "X", "version": 1}),
        ),
    ];
    for (method, path, body) in writes {
        c.app
            .call(method.clone(), &path, exec, Some(body))
            .await
            .problem(403, "forbidden");
    }
    c.app
        .delete(
            &format!("/api/v1/tasks/{}?version=1", c.task_of_designer),
            exec,
        )
        .await
        .problem(403, "forbidden");
    c.app
        .delete(&format!("/api/v1/clients/{client}?version=1"), exec)
        .await
        .problem(403, "forbidden");
    assert_eq!(
        c.app.get("/api/v1/projects", exec).await.expect(200).json()["total"],
        2
    );
}

#[tokio::test]
async fn client_users_see_only_their_organisation() {
    let c = company().await;
    let cli = &c.user("client").auth;
    let clients = c.app.get("/api/v1/clients", cli).await.expect(200).json();
    assert_eq!(clients["total"], 1);
    assert_eq!(clients["items"][0]["id"], c.client_a.as_str());
    let projects = c.app.get("/api/v1/projects", cli).await.expect(200).json();
    assert_eq!(projects["total"], 1);
    assert_eq!(projects["items"][0]["id"], c.project_a.as_str());
    c.app
        .get(&format!("/api/v1/projects/{}", c.project_a), cli)
        .await
        .expect(200);
    c.app
        .get(&format!("/api/v1/projects/{}", c.project_b), cli)
        .await
        .problem(404, "not_found");
    c.app
        .get(&format!("/api/v1/projects/{}/members", c.project_b), cli)
        .await
        .problem(404, "not_found");
    // Their own account, not others'.
    c.app
        .get(&format!("/api/v1/users/{}", c.user("client").id()), cli)
        .await
        .expect(200);
    c.app
        .get(&format!("/api/v1/users/{}", c.user("designer").id()), cli)
        .await
        .problem(403, "forbidden");
}

/// Snags: whoever sees the project sees its snags (client users only those shared with
/// them) and may raise one (not executives); the team works on them; the project manager
/// and coordinators verify them and sign rooms off.
#[tokio::test]
async fn snags_are_raised_by_the_team_and_the_client_and_verified_by_the_site_managers() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let admin = &c.user("admin").auth;
    let app = &c.app;
    let post = |path: String, body: Value| async move {
        id_of(&app.post(&path, admin, body).await.expect(201).json())
    };
    let locs = format!("/api/v1/projects/{a}/locations");
    let building = post(
        locs.clone(),
        json!({"kind": "building", "code": "S1", "name": "Site"}),
    )
    .await;
    let level = post(
        locs.clone(),
        json!({"kind": "level", "parent_id": building, "code": "S1-L1", "name": "Level"}),
    )
    .await;
    let room = post(
        locs,
        json!({"kind": "room", "parent_id": level, "code": "S1-101", "name": "Room"}),
    )
    .await;
    let snags = format!("/api/v1/projects/{a}/snags");
    let internal = post(snags.clone(), json!({"room_id": room, "title": "Internal"})).await;
    let shared = post(
        snags.clone(),
        json!({"room_id": room, "title": "Shared", "client_visible": true}),
    )
    .await;

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        &snags,
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/snags"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/snags/{internal}"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/snags/{shared}"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/snags/{internal}/photos"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &snags,
        |_| Some(json!({"room_id": room, "title": "Chipped"})),
        [201, 403, 201, 201, 201, 201, 201],
    )
    .await;
    c.expect(
        Method::PATCH,
        &format!("/api/v1/snags/{shared}"),
        |_| Some(json!({"title": "Shared snag", "version": 99})),
        [409, 403, 409, 403, 409, 409, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/snags/{shared}/fix"),
        |_| Some(json!({"version": 99})),
        [409, 403, 409, 403, 409, 409, 403],
    )
    .await;
    for action in ["verify", "close", "reject", "reopen"] {
        c.expect(
            Method::POST,
            &format!("/api/v1/snags/{shared}/{action}"),
            |_| Some(json!({"version": 99})),
            [409, 403, 409, 403, 409, 403, 403],
        )
        .await;
    }
    c.expect(
        Method::POST,
        &format!("/api/v1/snags/{internal}/fix"),
        |_| Some(json!({"version": 99})),
        [409, 403, 409, 403, 409, 409, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/snags.xlsx"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/snags.pdf"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/rooms/{room}/sign-off"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    // Open snags block it: those who may sign are told so, the others are refused.
    c.expect(
        Method::POST,
        &format!("/api/v1/rooms/{room}/sign-off"),
        |_| Some(json!({})),
        [409, 403, 409, 403, 409, 403, 403],
    )
    .await;
    c.expect(
        Method::DELETE,
        &format!("/api/v1/rooms/{room}/sign-off"),
        none,
        [404, 403, 404, 403, 404, 403, 403],
    )
    .await;
}

/// RFIs: whoever sees the project sees its RFIs (client users only those addressed to them
/// or shared with the client); the project manager, designers and coordinators raise, edit,
/// link, close, reopen and send them, and answer them, as does a client user the RFI is
/// addressed to.
#[tokio::test]
async fn rfis_are_kept_by_the_team_and_answered_by_their_addressee() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let admin = &c.user("admin").auth;
    let app = &c.app;
    let rfis = format!("/api/v1/projects/{a}/rfis");
    let raise = |body: Value| {
        let rfis = rfis.clone();
        async move { id_of(&app.post(&rfis, admin, body).await.expect(201).json()) }
    };
    let internal = raise(json!({"subject": "Internal", "question": "Q",
        "addressed_to_user_id": c.user("designer").id()}))
    .await;
    let to_client = raise(json!({"subject": "To the client", "question": "Q",
        "addressed_to_user_id": c.user("client").id()}))
    .await;
    let external = raise(json!({"subject": "Outside", "question": "Q",
        "addressed_to_email": "ana@studio.example"}))
    .await;

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        &rfis,
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/rfis"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    for path in [
        format!("/api/v1/rfis/{internal}"),
        format!("/api/v1/rfis/{internal}/pdf"),
        format!("/api/v1/rfis/{external}"),
    ] {
        c.expect(
            Method::GET,
            &path,
            none,
            [200, 200, 200, 200, 200, 200, 404],
        )
        .await;
    }
    for path in [
        format!("/api/v1/rfis/{to_client}"),
        format!("/api/v1/rfis/{to_client}/pdf"),
        format!("/api/v1/projects/{a}/rfis.xlsx"),
    ] {
        c.expect(
            Method::GET,
            &path,
            none,
            [200, 200, 200, 200, 200, 200, 200],
        )
        .await;
    }
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/rfis.xlsx"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    let designer = c.user("designer").id();
    c.expect(
        Method::POST,
        &rfis,
        |_| Some(json!({"subject": "S", "question": "Q", "addressed_to_user_id": designer})),
        [201, 403, 201, 201, 201, 403, 403],
    )
    .await;
    c.expect(
        Method::PATCH,
        &format!("/api/v1/rfis/{to_client}"),
        |_| Some(json!({"subject": "S", "version": 99})),
        [409, 403, 409, 409, 409, 403, 403],
    )
    .await;
    c.expect(
        Method::PUT,
        &format!("/api/v1/rfis/{to_client}/links"),
        |_| Some(json!({"version": 99})),
        [409, 403, 409, 409, 409, 403, 403],
    )
    .await;
    for action in ["close", "reopen"] {
        c.expect(
            Method::POST,
            &format!("/api/v1/rfis/{to_client}/{action}"),
            |_| Some(json!({"version": 99})),
            [409, 403, 409, 409, 409, 403, 403],
        )
        .await;
    }
    c.expect(
        Method::POST,
        &format!("/api/v1/rfis/{to_client}/answer"),
        |_| Some(json!({"answer": "A", "version": 99})),
        [409, 403, 409, 409, 409, 403, 409],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/rfis/{internal}/answer"),
        |_| Some(json!({"answer": "A", "version": 99})),
        [409, 403, 409, 409, 409, 403, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/rfis/{external}/send"),
        none,
        [200, 403, 200, 200, 200, 403, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/rfis/{internal}/send"),
        none,
        [409, 403, 409, 409, 409, 403, 404],
    )
    .await;
}

/// Variations: whoever sees the project sees its variations (client users only those
/// submitted to them and their own requests); the project manager and coordinators price
/// and submit them; the client and the project manager decide; the client and the
/// managers raise them.
#[tokio::test]
async fn variations_are_priced_by_the_managers_and_decided_by_the_client() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let admin = &c.user("admin").auth;
    let app = &c.app;
    let list = format!("/api/v1/projects/{a}/variations");
    let scope = app
        .get(&format!("/api/v1/projects/{a}/scope"), admin)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][0]);
    let draft = app
        .post(&list, admin, json!({"title": "Draft"}))
        .await
        .expect(201)
        .json();
    let draft = id_of(&draft);
    let sub = app
        .post(&list, admin, json!({"title": "Submitted"}))
        .await
        .expect(201)
        .json();
    let d = app
        .post(
            &format!("/api/v1/variations/{}/lines", id_of(&sub)),
            admin,
            json!({"kind": "add", "group_id": group, "name": "Bench", "quantity": "1",
                "unit_price_minor": 1000, "version": sub["version"]}),
        )
        .await
        .expect(200)
        .json();
    let sub = id_of(&sub);
    app.post(
        &format!("/api/v1/variations/{sub}/submit"),
        admin,
        json!({"version": d["variation"]["version"]}),
    )
    .await
    .expect(200);

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        &list,
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/variations"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &list,
        |_| Some(json!({"title": "Another"})),
        [201, 403, 201, 403, 201, 403, 201],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/variations/{draft}"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/variations/{sub}"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::PATCH,
        &format!("/api/v1/variations/{draft}"),
        |_| Some(json!({"title": "Renamed", "version": 99})),
        [409, 403, 409, 403, 409, 403, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/variations/{draft}/lines"),
        |_| Some(json!({"kind": "omit", "version": 99})),
        [409, 403, 409, 403, 409, 403, 404],
    )
    .await;
    let line = format!("/api/v1/variations/{draft}/lines/{draft}");
    c.expect(
        Method::PUT,
        &line,
        |_| Some(json!({"kind": "omit", "version": 99})),
        [409, 403, 409, 403, 409, 403, 404],
    )
    .await;
    c.expect(
        Method::DELETE,
        &line,
        none,
        [428, 428, 428, 428, 428, 428, 428],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/variations/{draft}/submit"),
        |_| Some(json!({"version": 99})),
        [409, 403, 409, 403, 409, 403, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/variations/{sub}/withdraw"),
        |_| Some(json!({"version": 99})),
        [409, 403, 409, 403, 409, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/variations/{sub}/decide"),
        |_| Some(json!({"decision": "approved", "version": 99})),
        [409, 403, 409, 403, 403, 403, 409],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/variations/{draft}/pdf"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/variations/{sub}/pdf"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/variations.xlsx"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/variations.xlsx"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
}

/// Locations: whoever sees a project sees its structure (client users too: it holds no
/// prices); the project manager and coordinators keep it, as they keep the scope.
#[tokio::test]
async fn locations_are_seen_by_the_project_and_kept_by_the_scope_keepers() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let admin = &c.user("admin").auth;
    let building = id_of(
        &c.app
            .post(
                &format!("/api/v1/projects/{a}/locations"),
                admin,
                json!({"kind": "building", "code": "T1", "name": "Tower"}),
            )
            .await
            .expect(201)
            .json(),
    );
    let room_type = id_of(
        &c.app
            .post(
                &format!("/api/v1/projects/{a}/room-types"),
                admin,
                json!({"code": "KING", "name": "King room"}),
            )
            .await
            .expect(201)
            .json(),
    );

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/locations"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/locations"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/locations/{building}"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/room-types/{room_type}"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/locations"),
        |i| Some(json!({"kind": "level", "parent_id": building, "code": format!("T1-L{i}"), "name": "Level"})),
        [201, 403, 201, 403, 201, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/room-types"),
        |i| Some(json!({"code": format!("T{i}"), "name": "Type"})),
        [201, 403, 201, 403, 201, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/locations/pattern-preview"),
        |_| Some(json!({"building_id": building, "levels_from": 1, "levels_to": 2, "rooms_from": 1, "rooms_to": 3})),
        [200, 403, 200, 403, 200, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/locations/pattern"),
        |i| Some(json!({"building_id": building, "levels_from": 10 + i, "levels_to": 10 + i, "rooms_from": 1, "rooms_to": 2})),
        [201, 403, 201, 403, 201, 403, 403],
    )
    .await;
    c.expect(
        Method::PATCH,
        &format!("/api/v1/locations/{building}"),
        |_| Some(json!({"name": "Tower one", "version": 99})),
        [409, 403, 409, 403, 409, 403, 403],
    )
    .await;
    c.expect(
        Method::DELETE,
        &format!("/api/v1/room-types/{room_type}?version=99"),
        none,
        [409, 403, 409, 403, 409, 403, 403],
    )
    .await;
    c.expect(
        Method::DELETE,
        &format!("/api/v1/locations/{building}?version=1"),
        none,
        [409, 403, 409, 403, 409, 403, 403],
    )
    .await;
    // Project B's structure is invisible to those not on it.
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{b}/locations"),
        |i| Some(json!({"kind": "building", "code": format!("B{i}"), "name": "B"})),
        [201, 403, 404, 404, 404, 404, 404],
    )
    .await;
}

/// Installation: the staff read the records (client users follow progress elsewhere: no
/// installers' notes, no records); the project manager, coordinators and craftsmen on the
/// team record and reverse them. Another project's rooms are invisible (404).
#[tokio::test]
async fn installations_are_recorded_by_the_site_team_and_read_by_the_staff() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let admin = &c.user("admin").auth;
    let app = &c.app;
    let post = |path: String, body: Value| async move {
        app.post(&path, admin, body).await.expect(201).json()
    };
    let post = &post;
    let room_in = |project: String| async move {
        let building = id_of(
            &post(
                format!("/api/v1/projects/{project}/locations"),
                json!({"kind": "building", "code": "T1", "name": "Tower"}),
            )
            .await,
        );
        let level = id_of(
            &post(
                format!("/api/v1/projects/{project}/locations"),
                json!({"kind": "level", "parent_id": building, "code": "T1-L01", "name": "Level 1"}),
            )
            .await,
        );
        id_of(
            &post(
                format!("/api/v1/projects/{project}/locations"),
                json!({"kind": "room", "parent_id": level, "code": "T1-L01-0101", "name": "Room 101"}),
            )
            .await,
        )
    };
    let room = room_in(a.clone()).await;
    let other_room = room_in(b.clone()).await;
    let scope = c
        .app
        .get(&format!("/api/v1/projects/{a}/scope"), admin)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][1]);
    let item = post(
        format!("/api/v1/projects/{a}/scope-items"),
        json!({"group_id": group, "name": "Wardrobe", "room_id": room, "quantity": "100",
            "drawing_required": false, "spec_required": false}),
    )
    .await;
    c.app
        .post(
            &format!("/api/v1/scope-items/{}/release", id_of(&item)),
            admin,
            json!({"version": item["version"]}),
        )
        .await
        .expect(200);
    // Enough delivered to site for every record below.
    crate::deliveries::deliver(&c.app, c.user("admin"), a, &item, 20).await;
    let install = json!({"scope_item_id": item["id"], "quantity": "1"});
    let record = id_of(
        &post(
            format!("/api/v1/rooms/{room}/installations"),
            install.clone(),
        )
        .await,
    );

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        &format!("/api/v1/rooms/{room}/installation"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/rooms/{other_room}/installation"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/rooms/{room}/installations"),
        |_| Some(install.clone()),
        [201, 403, 201, 403, 201, 201, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/installations/{record}"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/installations"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/installations"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    // Reversing: each role tries a record of its own to reverse.
    let mut got = Vec::new();
    for (_, user) in &c.roles {
        let target = id_of(
            &post(
                format!("/api/v1/rooms/{room}/installations"),
                install.clone(),
            )
            .await,
        );
        got.push(
            c.app
                .post(
                    &format!("/api/v1/installations/{target}/reverse"),
                    &user.auth,
                    json!({}),
                )
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(got, [201, 403, 201, 403, 201, 201, 403]);
}

#[tokio::test]
async fn goods_are_received_by_the_site_team_and_never_seen_by_client_users() {
    use crate::goods_receipts::sent_order;
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let pm = c.user("project_manager");
    let (order, line) = sent_order(&c.app, a, &pm.id(), 100, "2030-01-01", None).await;
    let (other, _) = sent_order(&c.app, b, &pm.id(), 100, "2030-01-01", None).await;
    let receive = json!({"lines": [{"line_id": line, "quantity": "1"}]});

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        &format!("/api/v1/purchase-orders/{order}/receiving"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/purchase-orders/{order}/receipts"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/purchase-orders/{order}/receipts"),
        |_| Some(receive.clone()),
        [201, 403, 201, 403, 201, 201, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/purchase-orders/{other}/receiving"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/cost-control"),
        none,
        [200, 200, 200, 403, 200, 403, 403],
    )
    .await;
}

#[tokio::test]
async fn deliveries_are_planned_by_the_managers_received_by_the_site_team_and_never_seen_by_client_users()
 {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let admin = c.user("admin");
    let app = &c.app;
    let scope = app
        .get(&format!("/api/v1/projects/{a}/scope"), &admin.auth)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][1]);
    let item = app
        .post(
            &format!("/api/v1/projects/{a}/scope-items"),
            &admin.auth,
            json!({"group_id": group, "name": "Wardrobe", "quantity": "100",
                "drawing_required": false, "spec_required": false}),
        )
        .await
        .expect(201)
        .json();
    let item = app
        .post(
            &format!("/api/v1/scope-items/{}/release", id_of(&item)),
            &admin.auth,
            json!({"version": item["version"]}),
        )
        .await
        .expect(200)
        .json();
    crate::deliveries::pack(app, admin, a, &item, 30).await;
    let plan = json!({"lines": [{"scope_item_id": item["id"], "quantity": "1"}]});
    let new_note = || async {
        app.post(
            &format!("/api/v1/projects/{a}/delivery-notes"),
            &admin.auth,
            plan.clone(),
        )
        .await
        .expect(201)
        .json()
    };
    let dispatched = || async {
        let n = new_note().await;
        app.post(
            &format!("/api/v1/delivery-notes/{}/dispatch", id_of(&n)),
            &admin.auth,
            json!({"version": n["version"]}),
        )
        .await
        .expect(200)
        .json()
    };
    let note = id_of(&new_note().await);

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/delivery-notes"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/delivery-notes"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/packed-items"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/delivery-notes/{note}"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/delivery-notes/{note}/pdf"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/delivery-notes"),
        |_| Some(plan.clone()),
        [201, 403, 201, 403, 201, 403, 403],
    )
    .await;
    // The writes of one note: each role tries a note of its own.
    let mut put = Vec::new();
    let mut dispatch = Vec::new();
    let mut cancel = Vec::new();
    let mut receive = Vec::new();
    for (_, user) in &c.roles {
        let n = new_note().await;
        put.push(
            app.call(
                Method::PUT,
                &format!("/api/v1/delivery-notes/{}", id_of(&n)),
                &user.auth,
                Some(json!({"version": n["version"], "vehicle": "Truck",
                    "lines": [{"scope_item_id": item["id"], "quantity": "1"}]})),
            )
            .await
            .status
            .as_u16(),
        );
        let n = new_note().await;
        dispatch.push(
            app.post(
                &format!("/api/v1/delivery-notes/{}/dispatch", id_of(&n)),
                &user.auth,
                json!({"version": n["version"]}),
            )
            .await
            .status
            .as_u16(),
        );
        let n = new_note().await;
        cancel.push(
            app.post(
                &format!("/api/v1/delivery-notes/{}/cancel", id_of(&n)),
                &user.auth,
                json!({"version": n["version"]}),
            )
            .await
            .status
            .as_u16(),
        );
        let n = dispatched().await;
        receive.push(
            app.post(
                &format!("/api/v1/delivery-notes/{}/receipts", id_of(&n)),
                &user.auth,
                json!({"signed_name": "Sam", "lines": [{"line_id": n["lines"][0]["id"],
                    "quantity": "1"}]}),
            )
            .await
            .status
            .as_u16(),
        );
    }
    assert_eq!(put, [200, 403, 200, 403, 200, 403, 404], "PUT");
    assert_eq!(dispatch, [200, 403, 200, 403, 200, 403, 404], "dispatch");
    assert_eq!(cancel, [200, 403, 200, 403, 200, 403, 404], "cancel");
    assert_eq!(receive, [201, 403, 201, 403, 201, 201, 404], "receive");
}

#[tokio::test]
async fn the_commercial_summary_is_for_managers_and_never_for_client_users() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/commercial"),
        none,
        [200, 200, 200, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/commercial"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/portfolio",
        none,
        [200, 200, 200, 403, 403, 403, 403],
    )
    .await;
    // A project manager's portfolio holds the projects of their teams only.
    let pm = c
        .app
        .get("/api/v1/portfolio", &c.user("project_manager").auth)
        .await
        .expect(200)
        .json();
    let ids: Vec<&str> = pm["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str()]);
}

/// Purchase orders: the staff who see the project see its orders (designers and craftsmen
/// without prices, tested in `purchase_orders`); project managers and coordinators raise,
/// edit, send, cancel and close them; project managers and executives approve; client
/// users meet none of it (403 on the project's routes, 404 for an order).
#[tokio::test]
async fn purchase_orders_are_the_buyers_and_never_the_clients() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let admin = &c.user("admin").auth;
    let app = &c.app;
    let supplier = crate::purchase_orders::supplier(app, admin, "Veneer Co", None).await;
    let list = format!("/api/v1/projects/{a}/purchase-orders");
    let body = json!({"supplier_id": supplier, "lines": [
        {"description": "Hinges", "quantity": "10", "unit": "pcs", "unit_price_minor": 250}]});
    let po = id_of(
        &app.post(&list, admin, body.clone())
            .await
            .expect(201)
            .json(),
    );

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        &list,
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/purchase-orders"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    for path in [
        format!("/api/v1/purchase-orders/{po}"),
        format!("/api/v1/purchase-orders/{po}/pdf"),
    ] {
        c.expect(
            Method::GET,
            &path,
            none,
            [200, 200, 200, 200, 200, 200, 404],
        )
        .await;
    }
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/purchase-orders.xlsx"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &list,
        |_| Some(body.clone()),
        [201, 403, 201, 403, 201, 403, 403],
    )
    .await;
    let stale = |_| Some(json!({"version": 99}));
    c.expect(
        Method::PATCH,
        &format!("/api/v1/purchase-orders/{po}"),
        stale,
        [409, 403, 409, 403, 409, 403, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/purchase-orders/{po}/lines"),
        |_| {
            Some(json!({"description": "x", "quantity": "1", "unit": "pcs",
                "unit_price_minor": 1, "version": 99}))
        },
        [409, 403, 409, 403, 409, 403, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/purchase-orders/{po}/approve"),
        stale,
        [409, 409, 409, 403, 403, 403, 404],
    )
    .await;
    for action in ["send", "close"] {
        c.expect(
            Method::POST,
            &format!("/api/v1/purchase-orders/{po}/{action}"),
            stale,
            [409, 403, 409, 403, 409, 403, 404],
        )
        .await;
    }
    c.expect(
        Method::POST,
        &format!("/api/v1/purchase-orders/{po}/cancel"),
        |_| Some(json!({"reason": "r", "version": 99})),
        [409, 403, 409, 403, 409, 403, 404],
    )
    .await;
}

#[tokio::test]
async fn the_supplier_directory_is_the_staffs_and_never_a_client_users() {
    let c = company().await;
    let admin = &c.user("admin").auth;
    let supplier = id_of(
        &c.app
            .post("/api/v1/suppliers", admin, json!({"name": "Veneer Co"}))
            .await
            .expect(201)
            .json(),
    );
    let contact = id_of(
        &c.app
            .post(
                &format!("/api/v1/suppliers/{supplier}/contacts"),
                admin,
                json!({"name": "Ahmed"}),
            )
            .await
            .expect(201)
            .json(),
    );
    let s = format!("/api/v1/suppliers/{supplier}");
    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        "/api/v1/suppliers",
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(Method::GET, &s, none, [200, 200, 200, 200, 200, 200, 404])
        .await;
    c.expect(
        Method::GET,
        &format!("{s}/contacts"),
        none,
        [200, 200, 200, 200, 200, 200, 404],
    )
    .await;
    c.expect(
        Method::POST,
        "/api/v1/suppliers",
        |i| Some(json!({"name": format!("Supplier {i}")})),
        [201, 403, 201, 403, 201, 403, 403],
    )
    .await;
    c.expect(
        Method::PATCH,
        &s,
        |_| Some(json!({"notes": "x"})),
        // Each successful change moves the version on: the next caller's is stale.
        [428, 428, 428, 428, 428, 428, 428],
    )
    .await;
    c.expect(
        Method::PATCH,
        &format!("{s}?x=1"),
        |i| Some(json!({"notes": format!("n{i}"), "version": 1})),
        [200, 403, 409, 403, 409, 403, 404],
    )
    .await;
    c.expect(
        Method::PUT,
        &format!("{s}/contacts/{contact}"),
        |_| Some(json!({"name": "Ahmed"})),
        [200, 403, 200, 403, 200, 403, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("{s}/contacts"),
        |_| Some(json!({"name": "Beth"})),
        [201, 403, 201, 403, 201, 403, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("{s}/archive?version=2"),
        none,
        [200, 403, 409, 403, 409, 403, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("{s}/unarchive?version=3"),
        none,
        [200, 403, 409, 403, 409, 403, 404],
    )
    .await;
    c.expect(
        Method::DELETE,
        &format!("{s}/contacts/{contact}"),
        none,
        [204, 403, 404, 403, 404, 403, 404],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/company/purchasing",
        none,
        [200, 403, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::PUT,
        "/api/v1/company/purchasing",
        // The first save creates the settings (before the company's details, too).
        |_| Some(json!({"version": 0})),
        [200, 403, 403, 403, 403, 403, 403],
    )
    .await;
}

#[tokio::test]
async fn labels_are_for_the_staff_who_see_the_workshop() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let admin = &c.user("admin").auth;
    for project in [a, b] {
        let scope = c
            .app
            .get(&format!("/api/v1/projects/{project}/scope"), admin)
            .await
            .expect(200)
            .json();
        let group = id_of(&scope["groups"][1]);
        c.app
            .post(
                &format!("/api/v1/projects/{project}/scope-items"),
                admin,
                json!({"group_id": group, "name": "Wardrobe", "quantity": "2"}),
            )
            .await
            .expect(201);
    }
    // ViewWorkshop: staff on the project (and administrators and executives everywhere),
    // never client users (the page's probes are in labels.rs).
    //                                                                   adm  exe  pm   des  coo  cra  cli
    for path in [
        format!("/api/v1/projects/{a}/labels.pdf"),
        format!("/api/v1/projects/{a}/labels.pdf?layout=thermal&per_unit=true"),
    ] {
        c.expect(
            Method::GET,
            &path,
            none,
            [200, 200, 200, 200, 200, 200, 403],
        )
        .await;
    }
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/labels.pdf"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
}

/// The workshop's throughput per week (issue 17, progress): the staff who see the workshop
/// (`ViewWorkshop`), never client users, not even on their own project.
#[tokio::test]
async fn the_workshop_throughput_is_for_the_staff() {
    let c = company().await;
    let a = format!("/api/v1/projects/{}/workshop-throughput", c.project_a);
    c.expect(Method::GET, &a, none, [200, 200, 200, 200, 200, 200, 403])
        .await;
    let b = format!("/api/v1/projects/{}/workshop-throughput", c.project_b);
    c.expect(Method::GET, &b, none, [200, 200, 404, 404, 404, 404, 404])
        .await;
    // The overview shows its card only to them, and only when there is something to show:
    // a project without workshop moves has none for anyone.
    let admin = c.user("admin");
    let page = c
        .app
        .get(&format!("/projects/{}", c.project_a), &admin.auth)
        .await
        .text();
    assert!(!page.contains("Workshop throughput"));
}

#[tokio::test]
async fn the_workshop_is_run_by_the_production_team_and_never_seen_by_client_users() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let admin = &c.user("admin").auth;
    let app = &c.app;
    let scope = app
        .get(&format!("/api/v1/projects/{a}/scope"), admin)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][1]);
    let item = app
        .post(
            &format!("/api/v1/projects/{a}/scope-items"),
            admin,
            json!({"group_id": group, "name": "Wardrobe", "quantity": "100",
                "drawing_required": false, "spec_required": false}),
        )
        .await
        .expect(201)
        .json();
    let item_id = id_of(&item);
    app.post(
        &format!("/api/v1/scope-items/{item_id}/release"),
        admin,
        json!({"version": item["version"]}),
    )
    .await
    .expect(200);
    let stages = app
        .get(&format!("/api/v1/projects/{a}/workshop/stages"), admin)
        .await
        .expect(200)
        .json();
    let stage = |key: &str| {
        stages["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap()["id"]
            .clone()
    };
    // 30 through every stage up to finishing, so QA has something to check.
    for key in [
        "cutting",
        "edge_banding",
        "machining",
        "assembly",
        "finishing",
    ] {
        app.post(
            &format!("/api/v1/projects/{a}/workshop/moves"),
            admin,
            json!({"scope_item_id": item_id, "stage_id": stage(key), "quantity": "30"}),
        )
        .await
        .expect(201);
    }
    let cut = json!({"scope_item_id": item_id, "stage_id": stage("cutting"), "quantity": "1"});
    let pass = json!({"scope_item_id": item_id, "quantity": "1", "result": "pass"});
    let first_move = id_of(
        &app.post(
            &format!("/api/v1/projects/{a}/workshop/moves"),
            admin,
            cut.clone(),
        )
        .await
        .expect(201)
        .json()["move"],
    );
    let check = id_of(
        &app.post(
            &format!("/api/v1/projects/{a}/workshop/qa-checks"),
            admin,
            pass.clone(),
        )
        .await
        .expect(201)
        .json()["check"],
    );
    let list = json!({"stages": [
        {"key": "cutting", "name": "Cutting", "kind": "work"},
        {"key": "edge_banding", "name": "Edge-banding", "kind": "work"},
        {"key": "machining", "name": "Machining (CNC)", "kind": "work"},
        {"key": "assembly", "name": "Assembly", "kind": "work"},
        {"key": "finishing", "name": "Finishing", "kind": "work"},
        {"key": "qa", "name": "QA", "kind": "qa"},
        {"key": "packed", "name": "Packed", "kind": "packed"}
    ]});

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        "/api/v1/company/workshop-stages",
        none,
        [200, 403, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::PUT,
        "/api/v1/company/workshop-stages",
        |_| Some(list.clone()),
        [200, 403, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/workshop/stages"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::PUT,
        &format!("/api/v1/projects/{a}/workshop/stages"),
        |_| Some(list.clone()),
        [200, 403, 200, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/workshop/board"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/workshop/board"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/workshop/positions"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/workshop/moves"),
        |_| Some(cut.clone()),
        [201, 403, 201, 403, 201, 201, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/workshop/moves/{first_move}"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/workshop/qa-checks"),
        |_| Some(pass.clone()),
        [201, 403, 201, 403, 201, 201, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/workshop/qa-checks/{check}"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/scope-items/{item_id}/workshop"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    // Undoing: each role tries a move of its own to undo.
    let mut got = Vec::new();
    for (_, user) in &c.roles {
        let target = id_of(
            &app.post(
                &format!("/api/v1/projects/{a}/workshop/moves"),
                admin,
                cut.clone(),
            )
            .await
            .expect(201)
            .json()["move"],
        );
        got.push(
            app.post(
                &format!("/api/v1/workshop/moves/{target}/undo"),
                &user.auth,
                json!({}),
            )
            .await
            .status
            .as_u16(),
        );
    }
    assert_eq!(got, [201, 403, 201, 403, 201, 201, 403]);
}

/// The workshop's stage pages, signed in with a browser session as each role.

#[tokio::test]
async fn the_workshop_stage_pages_answer_each_role() {
    let c = company().await;
    let a = &c.project_a;
    let mut sessions = Vec::new();
    for (_, user) in &c.roles {
        sessions.push(
            c.app
                .login(&user.user.email, crate::support::PASSWORD)
                .await
                .0,
        );
    }
    let mut fields = vec![("rows", "7".to_owned()), ("op", "save".to_owned())];
    let defaults = [
        ("cutting", "Cutting", "work"),
        ("edge_banding", "Edge-banding", "work"),
        ("machining", "Machining (CNC)", "work"),
        ("assembly", "Assembly", "work"),
        ("finishing", "Finishing", "work"),
        ("qa", "QA", "qa"),
        ("packed", "Packed", "packed"),
    ];
    let names: Vec<(String, String, String)> = (0..7)
        .map(|i| (format!("key_{i}"), format!("name_{i}"), format!("kind_{i}")))
        .collect();
    for (i, (k, n, kd)) in names.iter().enumerate() {
        fields.push((k.as_str(), defaults[i].0.to_owned()));
        fields.push((n.as_str(), defaults[i].1.to_owned()));
        fields.push((kd.as_str(), defaults[i].2.to_owned()));
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let project_page = format!("/projects/{a}/workshop/stages");
    let mut got = Vec::new();
    for s in &sessions {
        got.push([
            c.app
                .get("/admin/company/workshop-stages", s)
                .await
                .status
                .as_u16(),
            crate::scope::form(&c.app, "/admin/company/workshop-stages", s, &fields)
                .await
                .status
                .as_u16(),
            c.app.get(&project_page, s).await.status.as_u16(),
            crate::scope::form(&c.app, &project_page, s, &fields)
                .await
                .status
                .as_u16(),
        ]);
    }
    //          company GET, POST; project GET, POST
    assert_eq!(
        got,
        [
            [200, 303, 200, 303], // admin
            [403, 403, 200, 403], // executive
            [403, 403, 200, 303], // project manager
            [403, 403, 200, 403], // designer
            [403, 403, 200, 403], // coordinator
            [403, 403, 200, 403], // craftsman
            [403, 403, 403, 403], // client
        ]
    );
}

/// The company-wide workshop board (`GET /api/v1/workshop/board`, the page `/workshop`): the
/// staff, each with the cards of the projects whose workshop they may see (`ViewWorkshop`,
/// checked per project); a client user sees none of it (403), not even their own project's,
/// and someone not on a project does not see its cards.
#[tokio::test]
async fn the_company_workshop_board_shows_each_user_the_projects_they_may_see() {
    let c = company().await;
    let admin = &c.user("admin").auth;
    let app = &c.app;
    let mut items = Vec::new();
    for project in [&c.project_a, &c.project_b] {
        let scope = app
            .get(&format!("/api/v1/projects/{project}/scope"), admin)
            .await
            .expect(200)
            .json();
        let item = app
            .post(
                &format!("/api/v1/projects/{project}/scope-items"),
                admin,
                json!({"group_id": id_of(&scope["groups"][1]), "name": "Wardrobe", "quantity": "4",
                    "drawing_required": false, "spec_required": false}),
            )
            .await
            .expect(201)
            .json();
        app.post(
            &format!("/api/v1/scope-items/{}/release", id_of(&item)),
            admin,
            json!({"version": item["version"]}),
        )
        .await
        .expect(200);
        items.push(id_of(&item));
    }
    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::GET,
        "/api/v1/workshop/board",
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    let cards = |board: &Value| -> Vec<String> {
        board["columns"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|col| col["cards"].as_array().unwrap().iter())
            .map(|card| card["scope_item_id"].as_str().unwrap().to_owned())
            .collect()
    };
    for (role, sees_b) in [
        ("admin", true),
        ("executive", true),
        ("project_manager", false),
        ("designer", false),
        ("coordinator", false),
        ("craftsman", false),
    ] {
        let board = app
            .get("/api/v1/workshop/board", &c.user(role).auth)
            .await
            .expect(200)
            .json();
        let seen = cards(&board);
        assert!(seen.contains(&items[0]), "{role} sees project A's card");
        assert_eq!(
            seen.contains(&items[1]),
            sees_b,
            "{role} and project B's card: {board}"
        );
        assert_eq!(board["items"], if sees_b { 2 } else { 1 }, "{role}");
        let first = &board["columns"][0]["cards"][0];
        assert!(
            first["project_code"].is_string() && first["code"].is_string(),
            "{first}"
        );
    }
    // The filters: one project, a search that matches nothing.
    let only_b = app
        .get(
            &format!("/api/v1/workshop/board?project_id={}", c.project_b),
            admin,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(cards(&only_b), vec![items[1].clone()]);
    let none_found = app
        .get("/api/v1/workshop/board?q=zzz-nothing", admin)
        .await
        .expect(200)
        .json();
    assert_eq!(none_found["items"], 0);
    app.get("/api/v1/workshop/board?project_id=nope", admin)
        .await
        .expect(422);
    // The page: the staff's navigation links it; a client user is refused.
    let client = c.user("client");
    let cleo = app
        .login(&client.user.email, crate::support::PASSWORD)
        .await
        .0;
    app.get("/workshop", &cleo).await.expect(403);
    let pm = c.user("project_manager");
    let paula = app.login(&pm.user.email, crate::support::PASSWORD).await.0;
    let page = app.get("/workshop", &paula).await.expect(200).text();
    assert!(page.contains("href=\"/workshop\""), "the nav links it");
    assert!(
        page.contains("Lobby joinery") && !page.contains("Office fit-out"),
        "{page}"
    );
    let home = app.get("/profile", &cleo).await.expect(200).text();
    assert!(
        !home.contains("href=\"/workshop\""),
        "no link for a client user"
    );
}

/// The schedule (issue 20): whoever sees a project's tasks sees its dependencies, plan,
/// baselines and calendar (client users included, as they see the tasks); its manager keeps
/// them; the company's calendar is read by the staff and kept by administrators.
#[tokio::test]
async fn the_schedule_is_seen_with_the_tasks_and_kept_by_the_project_manager() {
    let c = company().await;
    let (a, b) = (&c.project_a, &c.project_b);
    let pm = &c.user("project_manager").auth;
    let hub = id_of(&c.app.task(pm, a, json!({"title": "Hub"})).await);
    let mut ends = Vec::new();
    for i in 0..7 {
        ends.push(id_of(
            &c.app
                .task(pm, a, json!({"title": format!("End {i}")}))
                .await,
        ));
    }

    //                                                                   adm  exe  pm   des  coo  cra  cli
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/dependencies"),
        |i| Some(json!({"predecessor_id": hub, "successor_id": ends[i]})),
        [201, 403, 201, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/dependencies"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/dependencies"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/tasks/{hub}/dependencies"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/schedule/proposal"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{b}/schedule/proposal"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    // An empty apply: refused as input by those who may apply, as forbidden by the rest.
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/schedule/apply"),
        |_| Some(json!({"changes": []})),
        [422, 403, 422, 403, 403, 403, 403],
    )
    .await;
    // The millwork chain shows order-by dates and orders: the staff who read the scope see
    // it, never client users; the project manager applies the template.
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/chains"),
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{b}/chains"),
        none,
        [200, 200, 404, 404, 404, 404, 404],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/chains"),
        |_| Some(json!({})),
        [422, 403, 422, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::POST,
        &format!("/api/v1/projects/{a}/baselines"),
        |i| Some(json!({"name": format!("Baseline {i}")})),
        [201, 403, 201, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/baselines"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    let baselines = c
        .app
        .get(&format!("/api/v1/projects/{a}/baselines"), pm)
        .await
        .expect(200)
        .json();
    let base = id_of(&baselines["items"][0]);
    c.expect(
        Method::GET,
        &format!("/api/v1/baselines/{base}"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/company/calendar",
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::PUT,
        "/api/v1/company/calendar",
        |_| Some(json!({"working_weekdays": ["mon", "tue", "wed", "thu", "fri"], "version": 0})),
        [200, 403, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        "/api/v1/company/workflow",
        none,
        [200, 200, 200, 200, 200, 200, 403],
    )
    .await;
    c.expect(
        Method::PUT,
        "/api/v1/company/workflow",
        |_| Some(json!({"steps": [{"step": "installation", "working_days": 2}], "version": 0})),
        [200, 403, 403, 403, 403, 403, 403],
    )
    .await;
    c.expect(
        Method::GET,
        &format!("/api/v1/projects/{a}/calendar"),
        none,
        [200, 200, 200, 200, 200, 200, 200],
    )
    .await;
    c.expect(
        Method::PUT,
        &format!("/api/v1/projects/{a}/calendar"),
        // The administrator saves first (version 0), the manager after (version 1).
        |i| Some(json!({"extra_holidays": [], "version": if i == 2 { 1 } else { 0 }})),
        [200, 403, 200, 403, 403, 403, 403],
    )
    .await;
    // Removing a dependency or a baseline: everyone but the manager (and the administrator)
    // is refused; the manager removes it.
    let deps = c
        .app
        .get(&format!("/api/v1/projects/{a}/dependencies"), pm)
        .await
        .expect(200)
        .json();
    let first = id_of(&deps["items"][0]);
    for path in [
        format!("/api/v1/dependencies/{first}"),
        format!("/api/v1/baselines/{base}"),
    ] {
        for role in [
            "executive",
            "designer",
            "coordinator",
            "craftsman",
            "client",
        ] {
            let status = c
                .app
                .delete(&path, &c.user(role).auth)
                .await
                .status
                .as_u16();
            assert_eq!(status, 403, "{role} DELETE {path}");
        }
        c.app.delete(&path, pm).await.expect(204);
    }
}
