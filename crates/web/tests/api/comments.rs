//! Comments through the API: a discussion on every kind of record, mentions and code links,
//! edits with their history, soft deletion, following, and the rule that matters most: a
//! client user never reads, finds or is told of an internal comment, by any route.

use serde_json::{Value, json};

use crate::drawings::upload;
use crate::support::{Auth, TestApp, TestUser, id_of};

fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

struct World {
    app: TestApp,
    admin: TestUser,
    pm: TestUser,
    designer: TestUser,
    executive: TestUser,
    outsider: TestUser,
    client: TestUser,
    project: String,
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
    let executive = app.user(&admin, "executive", "Eve Director", None).await;
    let outsider = app.user(&admin, "designer", "Olaf Outside", None).await;
    let client_org = app.client(&admin.auth, "Alpha Hotels").await;
    let client = app
        .user(&admin, "client", "Cleo Client", Some(&client_org))
        .await;
    let project = app
        .project(&pm.auth, "Lobby joinery", &client_org, &pm.id())
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
            json!({"group_id": millwork, "name": "Reception desk", "code": "LBY-M-001"}),
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
    // Submitted: the client sees the drawing and this revision from now on.
    app.post(
        &format!("/api/v1/drawing-revisions/{revision}/submit"),
        &designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    let spec = app
        .post(
            &format!("/api/v1/projects/{project}/specs"),
            &designer.auth,
            json!({"code": "V-01", "description": "Walnut veneer", "category": "veneer"}),
        )
        .await
        .expect(201)
        .json();
    app.post(
        &format!("/api/v1/specs/{}/submit", id_of(&spec)),
        &designer.auth,
        json!({"version": spec["version"]}),
    )
    .await
    .expect(200);
    World {
        app,
        admin,
        pm,
        designer,
        executive,
        outsider,
        client,
        project,
        task,
        item,
        drawing,
        revision,
        spec: id_of(&spec),
    }
}

async fn post(
    app: &TestApp,
    auth: &Auth,
    kind: &str,
    id: &str,
    body: &str,
    visibility: &str,
) -> crate::support::Resp {
    app.post(
        "/api/v1/comments",
        auth,
        json!({"record_type": kind, "record_id": id, "body": body, "visibility": visibility}),
    )
    .await
}

fn discussion_path(kind: &str, id: &str) -> String {
    format!("/api/v1/comments?record_type={kind}&record_id={id}")
}

#[tokio::test]
async fn a_discussion_with_mentions_links_edits_and_deletion() {
    let w = world().await;
    let app = &w.app;
    let c = post(
        app,
        &w.designer.auth,
        "task",
        &w.task,
        "**Measured.** @paula.manager please check SD-101 against LBY-M-001 and V-01.",
        "internal",
    )
    .await
    .expect(201);
    let etag = c.etag();
    let c = c.json();
    assert_eq!(c["visibility"], "internal");
    assert_eq!(c["author_name"], "Dana Designer");
    let html = c["body_html"].as_str().unwrap();
    assert!(html.contains("<strong>Measured.</strong>"), "{html}");
    assert!(
        html.contains("<span class=\"mention\">@Paula Manager</span>"),
        "{html}"
    );
    for (code, href) in [
        ("SD-101", format!("/drawings/{}", w.drawing)),
        ("LBY-M-001", format!("/scope-items/{}/edit", w.item)),
        ("V-01", format!("/specs/{}", w.spec)),
    ] {
        assert!(
            html.contains(&format!(
                "href=\"{href}\" rel=\"noopener noreferrer nofollow\">{code}</a>"
            )),
            "{code} links to {href}: {html}"
        );
    }
    let id = id_of(&c);

    // The author and the mentioned manager follow the task now.
    let d = app
        .get(&discussion_path("task", &w.task), &w.pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(d["following"], true);
    assert_eq!(d["comments"].as_array().unwrap().len(), 1);
    assert_eq!(
        d["comments"][0]["can_edit"], false,
        "the manager can't rewrite it"
    );
    let d = app
        .get(&discussion_path("task", &w.task), &w.designer.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(d["following"], true);
    assert_eq!(d["comments"][0]["can_edit"], true);

    // Only the author edits; the earlier wording is kept.
    app.patch(
        &format!("/api/v1/comments/{id}"),
        &w.pm.auth,
        json!({"body": "mine now", "version": 1}),
    )
    .await
    .problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/comments/{id}"),
        &w.admin.auth,
        json!({"body": "mine now", "version": 1}),
    )
    .await
    .problem(403, "forbidden");
    let edited = app
        .call_with(
            axum::http::Method::PATCH,
            &format!("/api/v1/comments/{id}"),
            &w.designer.auth,
            &[("if-match", etag.as_str())],
            Some(json!({"body": "Measured twice."})),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(edited["body"], "Measured twice.");
    assert!(edited["edited_at"].is_string());
    let history = app
        .get(&format!("/api/v1/comments/{id}/history"), &w.pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert!(
        history[0]["body"]
            .as_str()
            .unwrap()
            .starts_with("**Measured.**")
    );
    // A stale version is refused, naming who saved.
    app.patch(
        &format!("/api/v1/comments/{id}"),
        &w.designer.auth,
        json!({"body": "again", "version": 1}),
    )
    .await
    .problem(409, "stale_version");

    // An administrator deletes it; it keeps its place without its text.
    app.delete(&format!("/api/v1/comments/{id}?version=2"), &w.admin.auth)
        .await
        .expect(204);
    let d = app
        .get(&discussion_path("task", &w.task), &w.pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(d["comments"][0]["deleted"], true);
    assert!(d["comments"][0]["body"].is_null());
    assert_eq!(d["comments"][0]["body_html"], "");
    assert_eq!(
        app.get(&format!("/api/v1/comments/{id}/history"), &w.pm.auth)
            .await
            .expect(200)
            .json(),
        json!([])
    );

    // Following is the reader's choice.
    app.call_with(
        axum::http::Method::PUT,
        "/api/v1/following",
        &w.pm.auth,
        &[],
        Some(json!({"record_type": "task", "record_id": w.task, "following": false})),
    )
    .await
    .expect(204);
    let d = app
        .get(&discussion_path("task", &w.task), &w.pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(d["following"], false);
}

#[tokio::test]
async fn who_may_comment_and_who_may_be_mentioned() {
    let w = world().await;
    let app = &w.app;
    // Executives read, they don't comment; outsiders don't even see the record.
    post(app, &w.executive.auth, "task", &w.task, "Hi", "internal")
        .await
        .problem(403, "forbidden");
    app.get(&discussion_path("task", &w.task), &w.executive.auth)
        .await
        .expect(200);
    post(app, &w.outsider.auth, "task", &w.task, "Hi", "internal")
        .await
        .problem(404, "not_found");
    app.get(&discussion_path("task", &w.task), &w.outsider.auth)
        .await
        .problem(404, "not_found");

    // A mention of someone who can't see the record, or of nobody, names them.
    let p = post(
        app,
        &w.pm.auth,
        "task",
        &w.task,
        "@olaf.outside have a look",
        "internal",
    )
    .await
    .problem(422, "validation_failed");
    assert!(
        p.to_string()
            .contains("@olaf.outside is not someone who can see this task"),
        "{p}"
    );
    // A client user can't be mentioned in an internal comment, but can in a shared one.
    let p = post(
        app,
        &w.pm.auth,
        "task",
        &w.task,
        "@cleo.client FYI",
        "internal",
    )
    .await
    .problem(422, "validation_failed");
    assert!(
        p.to_string().contains("Cleo Client is a client user"),
        "{p}"
    );
    post(
        app,
        &w.pm.auth,
        "task",
        &w.task,
        "@cleo.client FYI",
        "client",
    )
    .await
    .expect(201);
    // Nor on the scope of work, which clients can't see at all.
    let p = post(
        app,
        &w.pm.auth,
        "scope_item",
        &w.item,
        "@cleo.client price?",
        "client",
    )
    .await
    .problem(422, "validation_failed");
    assert!(
        p.to_string()
            .contains("The client can't see this scope item"),
        "{p}"
    );
    // Bad input says what to fix.
    post(app, &w.pm.auth, "task", &w.task, "   ", "internal")
        .await
        .problem(422, "validation_failed");
    app.get(
        "/api/v1/comments?record_type=invoice&record_id=x",
        &w.pm.auth,
    )
    .await
    .problem(422, "validation_failed");

    // The autocomplete offers who can see the record; for the scope, no client users.
    let people = app
        .get(
            &format!(
                "/api/v1/mentionable?record_type=task&record_id={}&q=cl",
                w.task
            ),
            &w.pm.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        people,
        json!([{"name": "Cleo Client", "handle": "cleo.client", "client": true}])
    );
    let people = app
        .get(
            &format!(
                "/api/v1/mentionable?record_type=scope_item&record_id={}",
                w.item
            ),
            &w.pm.auth,
        )
        .await
        .expect(200)
        .json();
    let names: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Dana Designer")
            && !names.contains(&"Cleo Client")
            && !names.contains(&"Olaf Outside"),
        "{names:?}"
    );
}

#[tokio::test]
async fn client_users_never_reach_an_internal_comment_by_any_route() {
    let w = world().await;
    let app = &w.app;
    let records = [
        ("project", w.project.as_str()),
        ("task", w.task.as_str()),
        ("drawing", w.drawing.as_str()),
        ("drawing_revision", w.revision.as_str()),
        ("spec", w.spec.as_str()),
    ];
    let mut internal_ids = Vec::new();
    for (kind, id) in records {
        let secret = post(
            app,
            &w.pm.auth,
            kind,
            id,
            &format!("INTERNAL margin note on {kind}"),
            "internal",
        )
        .await
        .expect(201)
        .json();
        internal_ids.push(id_of(&secret));
        post(
            app,
            &w.pm.auth,
            kind,
            id,
            &format!("Shared note on {kind}"),
            "client",
        )
        .await
        .expect(201);
        // The client reads the shared one only, and what the client writes is shared.
        let d = app
            .get(&discussion_path(kind, id), &w.client.auth)
            .await
            .expect(200)
            .json();
        let bodies: Vec<&str> = d["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["body"].as_str().unwrap())
            .collect();
        assert_eq!(bodies, vec![format!("Shared note on {kind}")], "{kind}");
        assert_eq!(d["can_comment_internally"], false);
        let mine = post(app, &w.client.auth, kind, id, "Looks good", "internal")
            .await
            .expect(201)
            .json();
        assert_eq!(mine["visibility"], "client", "{kind}");
        // Staff see all three.
        let d = app
            .get(&discussion_path(kind, id), &w.designer.auth)
            .await
            .expect(200)
            .json();
        assert_eq!(d["comments"].as_array().unwrap().len(), 3, "{kind}");
    }
    // Not one by id, its history, an edit or a deletion.
    for id in &internal_ids {
        app.get(&format!("/api/v1/comments/{id}"), &w.client.auth)
            .await
            .problem(404, "not_found");
        app.get(&format!("/api/v1/comments/{id}/history"), &w.client.auth)
            .await
            .problem(404, "not_found");
        app.patch(
            &format!("/api/v1/comments/{id}"),
            &w.client.auth,
            json!({"body": "x", "version": 1}),
        )
        .await
        .problem(404, "not_found");
        app.delete(&format!("/api/v1/comments/{id}?version=1"), &w.client.auth)
            .await
            .problem(404, "not_found");
    }
    // The scope of work is internal: its discussion does not exist for a client.
    post(
        app,
        &w.pm.auth,
        "scope_item",
        &w.item,
        "INTERNAL cost is 40% under",
        "internal",
    )
    .await
    .expect(201);
    app.get(&discussion_path("scope_item", &w.item), &w.client.auth)
        .await
        .problem(404, "not_found");
    post(
        app,
        &w.client.auth,
        "scope_item",
        &w.item,
        "hello",
        "client",
    )
    .await
    .problem(404, "not_found");
    app.get(
        &format!(
            "/api/v1/mentionable?record_type=scope_item&record_id={}",
            w.item
        ),
        &w.client.auth,
    )
    .await
    .problem(404, "not_found");
    // A code in a shared comment links for the client only where the client may go.
    let shared = post(
        app,
        &w.pm.auth,
        "project",
        &w.project,
        "See SD-101 and LBY-M-001",
        "client",
    )
    .await
    .expect(201);
    let d = app
        .get(&discussion_path("project", &w.project), &w.client.auth)
        .await
        .expect(200)
        .json();
    let html = d["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == shared.json()["id"])
        .unwrap()["body_html"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(html.contains(&format!("/drawings/{}", w.drawing)), "{html}");
    assert!(!html.contains("/scope-items/"), "{html}");
    // Nothing internal anywhere in what the client received.
    for (kind, id) in records {
        let text = app
            .get(&discussion_path(kind, id), &w.client.auth)
            .await
            .expect(200)
            .text();
        assert!(!text.contains("INTERNAL"), "{kind}: {text}");
    }
}

#[tokio::test]
async fn hostile_markup_in_a_comment_is_stored_as_written_and_shown_inert() {
    let w = world().await;
    let app = &w.app;
    let body = "Hi <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) \
                <a href=\"javascript:alert(4)\">y</a>";
    let c = post(app, &w.pm.auth, "task", &w.task, body, "internal")
        .await
        .expect(201)
        .json();
    assert_eq!(c["body"], body, "kept as written");
    let html = c["body_html"].as_str().unwrap();
    assert!(
        !html.contains("<script")
            && !html.contains("<img")
            && !html.contains("<a href=\"javascript"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;"), "shown as text: {html}");
}

#[tokio::test]
async fn the_discussion_works_on_the_pages_without_javascript() {
    let w = world().await;
    let app = &w.app;
    let (pm, _) = app.login(&w.pm.user.email, crate::support::PASSWORD).await;
    let (client, _) = app
        .login(&w.client.user.email, crate::support::PASSWORD)
        .await;
    let form = |auth: &Auth, path: &str, fields: &[(&str, &str)]| {
        let body = serde_urlencoded::to_string(fields).unwrap();
        app.send(TestApp::build(
            axum::http::Method::POST,
            path,
            auth,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(axum::body::Body::from(body)),
            false,
        ))
    };
    let page = format!("/projects/{}", w.project);
    let post = |auth: &Auth, body: &'static str, shared: bool| {
        let mut fields = vec![
            ("record_type", "project"),
            ("record_id", w.project.as_str()),
            ("back", page.as_str()),
            ("body", body),
        ];
        if shared {
            fields.push(("visibility", "client"));
        }
        let auth = auth.clone();
        let path = "/comments".to_owned();
        async move { form(&auth, &path, &fields).await }
    };
    let internal = post(
        &pm,
        "Our **margin** here is thin <script>alert(1)</script>",
        false,
    )
    .await
    .expect(303);
    let to = internal.header("location").unwrap();
    assert!(to.starts_with(&format!("{page}#comment-")), "{to}");
    let internal_id = to.rsplit("#comment-").next().unwrap().to_owned();
    post(&pm, "Site visit on **Monday**", true)
        .await
        .expect(303);

    let html = app.get(&page, &pm).await.expect(200).text();
    assert!(
        html.contains("Our <strong>margin</strong> here is thin"),
        "rendered Markdown"
    );
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script>alert"),
        "inert"
    );
    assert!(html.contains("Site visit on <strong>Monday</strong>"));
    // The client's page shows the shared comment and nothing of the internal one.
    let html = app.get(&page, &client).await.expect(200).text();
    assert!(html.contains("Site visit on <strong>Monday</strong>"));
    assert!(
        !html.contains("margin"),
        "an internal comment reached a client page"
    );
    assert!(
        !html.contains("comment-visibility"),
        "a client can't choose: theirs is shared"
    );
    // A client's own comment is shared; the internal one's pages don't exist for them.
    post(&client, "Thanks, see you there", false)
        .await
        .expect(303);
    app.get(
        &format!("/comments/{internal_id}/edit?back={page}"),
        &client,
    )
    .await
    .expect(404);
    app.get(
        &format!("/comments/{internal_id}/history?back={page}"),
        &client,
    )
    .await
    .expect(404);

    // A refused comment comes back with its text and the reason.
    let refused = post(&pm, "Ask @olaf.outside about the veneer", false)
        .await
        .expect(422)
        .text();
    assert!(
        refused.contains("Ask @olaf.outside about the veneer"),
        "text kept"
    );
    assert!(refused.contains("is not someone who can see this project"));

    // Edit, with the earlier wording one click away; then delete.
    let edit = app
        .get(&format!("/comments/{internal_id}/edit?back={page}"), &pm)
        .await
        .expect(200)
        .text();
    assert!(edit.contains("Our **margin** here is thin"));
    form(
        &pm,
        &format!("/comments/{internal_id}/edit"),
        &[
            ("body", "Margin is fine"),
            ("version", "1"),
            ("back", &page),
        ],
    )
    .await
    .expect(303);
    let history = app
        .get(&format!("/comments/{internal_id}/history?back={page}"), &pm)
        .await
        .expect(200)
        .text();
    assert!(history.contains("Margin is fine") && history.contains("Our **margin** here is thin"));
    form(
        &pm,
        &format!("/comments/{internal_id}/delete"),
        &[("version", "2"), ("back", &page)],
    )
    .await
    .expect(303);
    let html = app.get(&page, &pm).await.expect(200).text();
    assert!(html.contains("This comment was deleted."));
    assert!(!html.contains("Margin is fine"));

    // Following from the page.
    form(
        &client,
        "/following",
        &[
            ("record_type", "project"),
            ("record_id", &w.project),
            ("following", "true"),
            ("back", &page),
        ],
    )
    .await
    .expect(303);
    assert!(
        app.get(&page, &client)
            .await
            .expect(200)
            .text()
            .contains("Following ✓")
    );
}

#[tokio::test]
async fn a_client_users_live_stream_never_hears_of_an_internal_comment() {
    use tower::ServiceExt;
    let w = world().await;
    let app = &w.app;
    let req = TestApp::build(
        axum::http::Method::GET,
        "/api/v1/events",
        &w.client.auth,
        &[("accept", "text/event-stream")],
        None,
        false,
    );
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    // An internal comment on the task, then a shared one on the project: the first change
    // the client hears of is the shared one.
    post(app, &w.pm.auth, "task", &w.task, "internal", "internal")
        .await
        .expect(201);
    post(app, &w.pm.auth, "project", &w.project, "shared", "client")
        .await
        .expect(201);
    let frame = crate::events::frame_with(&mut body, "change").await;
    assert!(frame.contains("\"kind\":\"comment.added\""), "{frame}");
    assert!(
        frame.contains(&format!("\"id\":\"{}\"", w.project)),
        "{frame}"
    );
    assert!(!frame.contains("internal"), "{frame}");
}
