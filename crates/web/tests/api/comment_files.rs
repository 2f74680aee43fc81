//! Files on comments: photos and PDFs posted with a comment from its page or attached to it
//! through the API. They go wherever the comment goes and nowhere else: an internal
//! comment's files reach no client user by any route; they survive an edit; deleting the
//! comment hides them; a retried post or upload adds nothing; names are shown inert.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{Auth, PASSWORD, Resp, TestApp, TestUser, id_of};

fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

/// A whole 1 × 1 PNG (photos are decoded for their copies, so a header alone is refused).
fn png() -> Vec<u8> {
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDAT\x78\xda\x63\x64\xf8\xcf\x50\x0f\x00\x03\x86\x01\x80\x5a\x34\x7d\x6b\x00\x00\x00\x00IEND\xaeB`\x82".to_vec()
}

/// A `multipart/form-data` body with text fields and any number of `file` parts (a quote in
/// a file name escaped as browsers and curl send it).
fn form(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----formula-comment-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        let quoted = name.replace('"', "\\\"");
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{quoted}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn send_form(
    app: &TestApp,
    path: &str,
    auth: &Auth,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Resp {
    let (mime, body) = form(fields, files);
    app.send(TestApp::build(
        Method::POST,
        path,
        auth,
        &[("content-type", mime.as_str())],
        Some(axum::body::Body::from(body)),
        false,
    ))
    .await
}

/// Attaches a file to a comment through the API.
async fn attach(app: &TestApp, auth: &Auth, comment: &str, name: &str, bytes: &[u8]) -> Resp {
    send_form(
        app,
        "/api/v1/attachments",
        auth,
        &[("owner_type", "comment"), ("owner_id", comment)],
        &[(name, bytes)],
    )
    .await
}

/// Posts a comment from its page (the multipart form the Discussion card sends).
async fn post_from_page(
    app: &TestApp,
    session: &Auth,
    task: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Resp {
    let Auth::Cookie {
        csrf: Some(csrf), ..
    } = session
    else {
        panic!("a session");
    };
    let back = format!("/tasks/{task}");
    let mut all = vec![
        ("_csrf", csrf.as_str()),
        ("record_type", "task"),
        ("record_id", task),
        ("back", back.as_str()),
    ];
    all.extend_from_slice(fields);
    send_form(app, "/comments", session, &all, files).await
}

async fn comment(app: &TestApp, auth: &Auth, task: &str, body: &str, visibility: &str) -> String {
    id_of(
        &app.post(
            "/api/v1/comments",
            auth,
            json!({"record_type": "task", "record_id": task, "body": body, "visibility": visibility}),
        )
        .await
        .expect(201)
        .json(),
    )
}

async fn discussion(app: &TestApp, auth: &Auth, task: &str) -> Value {
    app.get(
        &format!("/api/v1/comments?record_type=task&record_id={task}"),
        auth,
    )
    .await
    .expect(200)
    .json()
}

struct World {
    app: TestApp,
    admin: TestUser,
    pm: TestUser,
    designer: TestUser,
    client: TestUser,
    task: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
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
    World {
        app,
        admin,
        pm,
        designer,
        client,
        task,
    }
}

#[tokio::test]
async fn an_internal_comments_files_reach_no_client_user_by_any_route() {
    let w = world().await;
    let app = &w.app;
    let internal = comment(
        app,
        &w.pm.auth,
        &w.task,
        "Our margin on this is thin.",
        "internal",
    )
    .await;
    let shared = comment(app, &w.pm.auth, &w.task, "Photos from the visit.", "client").await;
    let secret = id_of(
        &attach(
            app,
            &w.pm.auth,
            &internal,
            "cost breakdown.pdf",
            &pdf("secret"),
        )
        .await
        .expect(201)
        .json(),
    );
    let photo = attach(app, &w.pm.auth, &shared, "lobby wall.png", &png())
        .await
        .expect(201)
        .json();
    assert_eq!(photo["owner_type"], "comment");
    let photo = id_of(&photo);

    // The team reads both comments with their files.
    let d = discussion(app, &w.designer.auth, &w.task).await;
    let files: Vec<&str> = d["comments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["attachments"].as_array().unwrap())
        .map(|a| a["file"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["cost breakdown.pdf", "lobby wall.png"]);
    app.get(
        &format!("/api/v1/attachments/{secret}/file"),
        &w.designer.auth,
    )
    .await
    .expect(200);

    // The client: the shared comment and its photo, and nothing of the internal one.
    let d = discussion(app, &w.client.auth, &w.task).await;
    assert_eq!(d["comments"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["comments"][0]["attachments"][0]["id"], photo.as_str());
    app.get(&format!("/api/v1/attachments/{photo}/file"), &w.client.auth)
        .await
        .expect(200);
    let (session, _) = app.login("cleo.client@example.com", PASSWORD).await;
    for path in [
        format!("/api/v1/attachments/{secret}"),
        format!("/api/v1/attachments/{secret}/file"),
        format!("/api/v1/attachments?owner_type=comment&owner_id={internal}"),
        format!("/api/v1/comments/{internal}"),
    ] {
        app.get(&path, &w.client.auth)
            .await
            .problem(404, "not_found");
    }
    for path in [
        format!("/attachments/{secret}/file"),
        format!("/comments/{internal}/edit"),
    ] {
        app.get(&path, &session).await.expect(404);
    }
    app.delete(&format!("/api/v1/attachments/{secret}"), &w.client.auth)
        .await
        .problem(404, "not_found");
    let page = app
        .get(&format!("/tasks/{}", w.task), &session)
        .await
        .expect(200)
        .text();
    assert!(page.contains("lobby wall.png"), "the shared photo is shown");
    assert!(
        !page.contains("cost breakdown"),
        "an internal file is named"
    );
    assert!(!page.contains(&secret), "an internal file is linked");
    // The record's own attachments never include a comment's files.
    for who in [&w.pm, &w.client] {
        let list = app
            .get(
                &format!("/api/v1/attachments?owner_type=task&owner_id={}", w.task),
                &who.auth,
            )
            .await
            .expect(200)
            .json();
        assert_eq!(list["items"], json!([]), "{list}");
    }
    // Nor can a client user attach anything to the internal comment.
    attach(app, &w.client.auth, &internal, "x.pdf", &pdf("x"))
        .await
        .problem(404, "not_found");
}

#[tokio::test]
async fn only_the_author_adds_and_removes_a_comments_files() {
    let w = world().await;
    let app = &w.app;
    let c = comment(app, &w.pm.auth, &w.task, "Measured.", "internal").await;
    for someone in [&w.designer, &w.admin] {
        attach(app, &someone.auth, &c, "mine.pdf", &pdf("m"))
            .await
            .problem(403, "forbidden");
    }
    let file = id_of(
        &attach(app, &w.pm.auth, &c, "survey.pdf", &pdf("s"))
            .await
            .expect(201)
            .json(),
    );
    app.delete(&format!("/api/v1/attachments/{file}"), &w.designer.auth)
        .await
        .problem(403, "forbidden");
    let list = app
        .get(
            &format!("/api/v1/attachments?owner_type=comment&owner_id={c}"),
            &w.designer.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(list["can_manage"], false);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    app.delete(&format!("/api/v1/attachments/{file}"), &w.pm.auth)
        .await
        .expect(204);
}

#[tokio::test]
async fn files_survive_an_edit_and_deleting_the_comment_hides_them() {
    let w = world().await;
    let app = &w.app;
    let c = comment(app, &w.pm.auth, &w.task, "See the photo.", "client").await;
    let file = id_of(
        &attach(app, &w.pm.auth, &c, "corner.png", &png())
            .await
            .expect(201)
            .json(),
    );
    app.patch(
        &format!("/api/v1/comments/{c}"),
        &w.pm.auth,
        json!({"body": "See the photo of the corner.", "version": 1}),
    )
    .await
    .expect(200);
    let d = discussion(app, &w.client.auth, &w.task).await;
    assert_eq!(
        d["comments"][0]["attachments"][0]["id"],
        file.as_str(),
        "{d}"
    );

    app.delete(&format!("/api/v1/comments/{c}?version=2"), &w.pm.auth)
        .await
        .expect(204);
    let d = discussion(app, &w.pm.auth, &w.task).await;
    assert_eq!(d["comments"][0]["deleted"], true);
    assert_eq!(d["comments"][0]["attachments"], json!([]));
    for who in [&w.pm, &w.admin, &w.client] {
        for path in [
            format!("/api/v1/attachments/{file}"),
            format!("/api/v1/attachments/{file}/file"),
        ] {
            app.get(&path, &who.auth).await.problem(404, "not_found");
        }
    }
    attach(app, &w.pm.auth, &c, "late.png", &png())
        .await
        .problem(404, "not_found");
}

#[tokio::test]
async fn a_retried_post_or_upload_adds_nothing() {
    let w = world().await;
    let app = &w.app;
    let c = comment(app, &w.pm.auth, &w.task, "Drawings attached.", "internal").await;
    let first = attach(app, &w.pm.auth, &c, "plan.pdf", &pdf("p"))
        .await
        .expect(201)
        .json();
    let again = attach(app, &w.pm.auth, &c, "plan.pdf", &pdf("p"))
        .await
        .expect(200)
        .json();
    assert_eq!(again["id"], first["id"]);
    // Another file of the same name is another attachment.
    attach(app, &w.pm.auth, &c, "plan.pdf", &pdf("revised"))
        .await
        .expect(201);

    // A comment sent twice with the id its client chose is posted once.
    let id = uuid::Uuid::now_v7().to_string();
    let body = json!({"record_type": "task", "record_id": w.task, "body": "Sent twice.", "id": id});
    let one = app
        .post("/api/v1/comments", &w.pm.auth, body.clone())
        .await
        .expect(201)
        .json();
    let two = app
        .post("/api/v1/comments", &w.pm.auth, body)
        .await
        .expect(201)
        .json();
    assert_eq!(
        (one["id"].as_str(), two["id"].as_str()),
        (Some(id.as_str()), Some(id.as_str()))
    );
    // The id is not anyone else's to reuse, nor for other text.
    app.post(
        "/api/v1/comments",
        &w.designer.auth,
        json!({"record_type": "task", "record_id": w.task, "body": "Sent twice.", "id": id}),
    )
    .await
    .problem(409, "duplicate");
    app.post(
        "/api/v1/comments",
        &w.pm.auth,
        json!({"record_type": "task", "record_id": w.task, "body": "Other words.", "id": id}),
    )
    .await
    .problem(409, "duplicate");

    // The page's form, sent twice (a double tap, or a retry after a lost answer): one
    // comment, its files once.
    let (session, _) = app.login("paula.manager@example.com", PASSWORD).await;
    let form_id = uuid::Uuid::now_v7().to_string();
    for _ in 0..2 {
        post_from_page(
            app,
            &session,
            &w.task,
            &[
                ("id", form_id.as_str()),
                ("body", "From site, with photos."),
            ],
            &[("wall.png", &png()), ("notes.pdf", &pdf("n"))],
        )
        .await
        .expect(303);
    }
    let d = discussion(app, &w.pm.auth, &w.task).await;
    let posted: Vec<&Value> = d["comments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["body"] == "From site, with photos.")
        .collect();
    assert_eq!(posted.len(), 1, "{d}");
    assert_eq!(posted[0]["id"], form_id.as_str());
    let names: Vec<&str> = posted[0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["file"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["wall.png", "notes.pdf"]);
}

#[tokio::test]
async fn the_comment_form_takes_photos_and_pdfs_and_refuses_a_false_one_keeping_the_text() {
    let w = world().await;
    let app = &w.app;
    let (session, _) = app.login("paula.manager@example.com", PASSWORD).await;
    let page = app
        .get(&format!("/tasks/{}", w.task), &session)
        .await
        .expect(200)
        .text();
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(page.contains("accept=\"image/*,application/pdf\""));
    assert!(page.contains("capture=\"environment\""));

    // A file named .pdf that is not one: nothing is posted, the text comes back.
    let refused = post_from_page(
        app,
        &session,
        &w.task,
        &[("body", "Checked the sample **today**.")],
        &[("wall.png", &png()), ("report.pdf", b"not a pdf at all")],
    )
    .await
    .expect(422)
    .text();
    assert!(
        refused.contains("report.pdf: the file is named .pdf but is not"),
        "{refused}"
    );
    assert!(refused.contains("Checked the sample **today**."));
    assert!(refused.contains("choose the 2 files again"), "{refused}");
    let d = discussion(app, &w.pm.auth, &w.task).await;
    assert_eq!(d["comments"], json!([]), "nothing was posted");

    let done = post_from_page(
        app,
        &session,
        &w.task,
        &[
            ("body", "Checked the sample **today**."),
            ("visibility", "client"),
        ],
        &[("wall.png", &png()), ("report.pdf", &pdf("r"))],
    )
    .await
    .expect(303);
    let to = done.header("location").unwrap();
    assert!(
        to.starts_with(&format!("/tasks/{}#comment-", w.task)),
        "{to}"
    );
    let page = app
        .get(&format!("/tasks/{}", w.task), &session)
        .await
        .expect(200)
        .text();
    let d = discussion(app, &w.pm.auth, &w.task).await;
    let files = d["comments"][0]["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[0]["purpose"].as_str(), files[1]["purpose"].as_str()),
        (Some("photo"), Some("document"))
    );
    let (photo, report) = (id_of(&files[0]), id_of(&files[1]));
    assert!(
        page.contains(&format!(
            "<img src=\"/attachments/{photo}/thumbnail\" alt=\"wall.png\""
        )),
        "the photo is shown: {page}"
    );
    assert!(!page.contains(&format!("<img src=\"/attachments/{report}/file\"")));
    assert!(page.contains(&format!("href=\"/attachments/{report}/file\"")));
    // Shared with the client, so the client sees both.
    app.get(
        &format!("/api/v1/attachments/{report}/file"),
        &w.client.auth,
    )
    .await
    .expect(200);

    // Too many files at once.
    let pngs = png();
    let many: Vec<(&str, &[u8])> = (0..11).map(|_| ("p.png", pngs.as_slice())).collect();
    let refused = post_from_page(app, &session, &w.task, &[("body", "Lots.")], &many)
        .await
        .expect(422)
        .text();
    assert!(refused.contains("at most 10 files"), "{refused}");
}

#[tokio::test]
async fn hostile_file_names_and_mentioned_names_are_rendered_inert() {
    let w = world().await;
    let app = &w.app;
    let payload = "<img src=x onerror=alert(1)>";
    let created = app
        .post(
            "/api/v1/users",
            &w.admin.auth,
            json!({"email": "xss@example.com", "name": payload, "password": PASSWORD, "role": "designer"}),
        )
        .await
        .expect(201)
        .json();
    let project = app
        .get(&format!("/api/v1/tasks/{}", w.task), &w.pm.auth)
        .await
        .expect(200)
        .json()["project_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/projects/{project}/members"),
        &w.pm.auth,
        json!({"user_id": created["id"], "role": "designer"}),
    )
    .await
    .expect(200);
    let c = comment(
        app,
        &w.pm.auth,
        &w.task,
        "Over to @xss for the markup.",
        "internal",
    )
    .await;
    let name = format!("\">{payload}.pdf");
    let file = attach(app, &w.pm.auth, &c, &name, &pdf("x"))
        .await
        .expect(201)
        .json();
    assert_eq!(
        file["file"]["name"],
        name.as_str(),
        "the name is kept as given"
    );

    let d = discussion(app, &w.pm.auth, &w.task).await;
    let html = d["comments"][0]["body_html"].as_str().unwrap();
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("@&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );

    let (session, _) = app.login("paula.manager@example.com", PASSWORD).await;
    for path in [
        format!("/tasks/{}", w.task),
        format!("/comments/{c}/edit?back=/"),
    ] {
        let page = app.get(&path, &session).await.expect(200).text();
        assert!(
            !page.contains(payload),
            "{path}: the payload is live: {page}"
        );
        assert!(!page.contains("\"><img"), "{path}");
        assert!(
            page.contains("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;.pdf")
                || page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.pdf"),
            "{path}: the file name is shown as text: {page}"
        );
    }
    let download = app
        .get(
            &format!("/api/v1/attachments/{}/file", id_of(&file)),
            &w.pm.auth,
        )
        .await
        .expect(200);
    let disposition = download.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("inline; filename=\"_>"),
        "{disposition}"
    );
}

#[tokio::test]
async fn a_client_users_stream_never_hears_of_an_internal_comments_files() {
    use tower::ServiceExt;
    let w = world().await;
    let app = &w.app;
    let internal = comment(app, &w.pm.auth, &w.task, "Internal.", "internal").await;
    let shared = comment(app, &w.pm.auth, &w.task, "Shared.", "client").await;
    let req = TestApp::build(
        Method::GET,
        "/api/v1/events",
        &w.client.auth,
        &[("accept", "text/event-stream")],
        None,
        false,
    );
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    attach(app, &w.pm.auth, &internal, "internal.pdf", &pdf("i"))
        .await
        .expect(201);
    attach(app, &w.pm.auth, &shared, "shared.pdf", &pdf("s"))
        .await
        .expect(201);
    // The first change the client hears of is the shared comment's file: a change to the
    // task's discussion, by id only.
    let frame = crate::events::frame_with(&mut body, "change").await;
    assert!(
        frame.contains("\"kind\":\"comment.files_added\""),
        "{frame}"
    );
    assert!(frame.contains(&format!("\"id\":\"{}\"", w.task)), "{frame}");
    assert!(!frame.contains("shared.pdf"), "{frame}");
}
