//! Attachments through the API and the pages: files on every kind of owner, downloads with
//! ranges, who may see and add them, bad files refused precisely, and files that leave
//! storage with their record or with what they were attached to.

use axum::http::Method;
use serde_json::{Value, json};

use crate::drawings::multipart;
use crate::support::{Auth, Resp, TestApp, TestUser, files_under, id_of};

fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

async fn attach(
    app: &TestApp,
    auth: &Auth,
    owner_type: &str,
    owner_id: &str,
    name: &str,
    file: &[u8],
) -> Resp {
    let (mime, body) = multipart(
        name,
        file,
        &[
            ("owner_type", owner_type),
            ("owner_id", owner_id),
            ("purpose", "photo"),
            ("caption", "From the site visit"),
        ],
    );
    app.send(TestApp::build(
        Method::POST,
        "/api/v1/attachments",
        auth,
        &[("content-type", mime.as_str())],
        Some(axum::body::Body::from(body)),
        false,
    ))
    .await
}

struct World {
    app: TestApp,
    pm: TestUser,
    designer: TestUser,
    client: TestUser,
    project: String,
    task: String,
    item: String,
    item_version: i64,
    drawing: String,
    spec: String,
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
    let scope: Value = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .json();
    let millwork = id_of(&scope["groups"][1]);
    let item = app
        .post(
            &format!("/api/v1/projects/{project}/scope-items"),
            &pm.auth,
            json!({"group_id": millwork, "name": "Reception desk"}),
        )
        .await
        .expect(201)
        .json();
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
    let spec = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/specs"),
            &designer.auth,
            json!({"code": "V-01", "description": "Walnut veneer", "category": "veneer"}),
        )
        .await
        .expect(201)
        .json(),
    );
    World {
        app,
        pm,
        designer,
        client,
        project,
        task,
        item: id_of(&item),
        item_version: item["version"].as_i64().unwrap(),
        drawing,
        spec,
    }
}

fn list_path(owner_type: &str, owner_id: &str) -> String {
    format!("/api/v1/attachments?owner_type={owner_type}&owner_id={owner_id}")
}

#[tokio::test]
async fn files_attach_to_everything_and_leave_with_what_they_are_on() {
    let w = world().await;
    let app = &w.app;
    let owners = [
        ("project", w.project.as_str()),
        ("task", w.task.as_str()),
        ("scope_item", w.item.as_str()),
        ("drawing", w.drawing.as_str()),
        ("spec", w.spec.as_str()),
    ];
    let mut ids = Vec::new();
    for (kind, id) in owners {
        let a = attach(app, &w.pm.auth, kind, id, "survey.pdf", &pdf(kind))
            .await
            .expect(201)
            .json();
        assert_eq!(
            (&a["owner_type"], &a["purpose"], &a["file"]["mime"]),
            (&json!(kind), &json!("photo"), &json!("application/pdf"))
        );
        assert!(a.get("blob_key").is_none(), "storage keys stay inside");
        let list = app
            .get(&list_path(kind, id), &w.pm.auth)
            .await
            .expect(200)
            .json();
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{kind}");
        assert_eq!(list["can_manage"], true);
        ids.push(id_of(&a));
    }
    assert_eq!(files_under(&app.files).len(), 5);

    // Downloads: whole, or a range; PDFs open in the browser.
    let file = format!("/api/v1/attachments/{}/file", ids[1]);
    let whole = app.get(&file, &w.pm.auth).await.expect(200);
    assert_eq!(whole.text().into_bytes(), pdf("task"));
    assert!(
        whole
            .header("content-disposition")
            .unwrap()
            .starts_with("inline")
    );
    let part = app
        .send(TestApp::build(
            Method::GET,
            &file,
            &w.pm.auth,
            &[("range", "bytes=0-4")],
            None,
            false,
        ))
        .await
        .expect(206);
    assert_eq!(part.text(), "%PDF-");

    // The client sees the project's files, not the scope of work or a draft drawing's.
    let client = &w.client.auth;
    app.get(&list_path("project", &w.project), client)
        .await
        .expect(200);
    app.get(&list_path("scope_item", &w.item), client)
        .await
        .problem(403, "forbidden");
    app.get(&list_path("drawing", &w.drawing), client)
        .await
        .expect(404);
    app.get(&format!("/api/v1/attachments/{}/file", ids[2]), client)
        .await
        .problem(403, "forbidden");
    app.get(&format!("/api/v1/attachments/{}/file", ids[3]), client)
        .await
        .expect(404);
    // Seeing is not adding: a designer may not change the project, a client nothing.
    let list = app
        .get(&list_path("project", &w.project), &w.designer.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(list["can_manage"], false);
    attach(
        app,
        &w.designer.auth,
        "project",
        &w.project,
        "x.pdf",
        &pdf("x"),
    )
    .await
    .problem(403, "forbidden");
    attach(app, client, "spec", &w.spec, "x.pdf", &pdf("x"))
        .await
        .expect(404);
    app.delete(&format!("/api/v1/attachments/{}", ids[0]), &w.designer.auth)
        .await
        .problem(403, "forbidden");

    // Removing an attachment removes its file.
    app.delete(&format!("/api/v1/attachments/{}", ids[0]), &w.pm.auth)
        .await
        .expect(204);
    app.get(&format!("/api/v1/attachments/{}", ids[0]), &w.pm.auth)
        .await
        .expect(404);
    assert_eq!(files_under(&app.files).len(), 4);
    // Deleting what files are on removes them too.
    app.delete(&format!("/api/v1/tasks/{}?version=1", w.task), &w.pm.auth)
        .await
        .expect(204);
    app.delete(
        &format!("/api/v1/scope-items/{}?version={}", w.item, w.item_version),
        &w.pm.auth,
    )
    .await
    .expect(204);
    assert_eq!(
        files_under(&app.files).len(),
        2,
        "drawing and spec files stay"
    );
    assert!(files_under(&app.spool).is_empty());
}

#[tokio::test]
async fn bad_attachments_are_refused_precisely_and_leave_nothing() {
    let w = world().await;
    let app = &w.app;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    for (name, bytes, why) in [
        ("sheet.pdf", png.clone(), "is not a PDF"),
        ("sheet.pdf", b"%PDF-1.4\n1 0 obj".to_vec(), "incomplete"),
        ("notes.txt", Vec::new(), "empty"),
        ("boq.xlsx", b"not a spreadsheet".to_vec(), "named .xlsx"),
        ("photo.jpg", b"GIF89a....".to_vec(), "is not a JPEG"),
    ] {
        let v = attach(app, &w.pm.auth, "task", &w.task, name, &bytes)
            .await
            .problem(422, "validation_failed");
        let message = v["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(why), "{name}: {message}");
    }
    // Any other file is kept, as a download only.
    let notes = attach(
        app,
        &w.pm.auth,
        "task",
        &w.task,
        "../notes.txt",
        b"Measured 2.40 m",
    )
    .await
    .expect(201)
    .json();
    assert_eq!(notes["file"]["name"], "notes.txt");
    assert_eq!(notes["file"]["mime"], "application/octet-stream");
    let download = app
        .get(
            &format!("/api/v1/attachments/{}/file", id_of(&notes)),
            &w.pm.auth,
        )
        .await
        .expect(200);
    assert!(
        download
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    // Files are limited by MAX_UPLOAD_SIZE, not by the (smaller) limit on other bodies.
    // (A survey instrument's raw data: photos are decoded, and this is none.)
    let mut survey = b"SURVEY".to_vec();
    survey.resize(3 * 1024 * 1024, 7);
    attach(app, &w.pm.auth, "task", &w.task, "wall.dat", &survey)
        .await
        .expect(201);
    // What the file is for must be said, and exist.
    let v = attach(app, &w.pm.auth, "invoice", &w.task, "a.pdf", &pdf("a"))
        .await
        .problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "owner_type");
    attach(app, &w.pm.auth, "task", &w.project, "a.pdf", &pdf("a"))
        .await
        .expect(404);
    let v = app
        .get("/api/v1/attachments?owner_type=task", &w.pm.auth)
        .await
        .problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "owner_id");
    assert_eq!(files_under(&app.files).len(), 2, "only the accepted files");
    assert!(files_under(&app.spool).is_empty(), "no spooled leftovers");
}

#[tokio::test]
async fn the_attachments_card_works_without_javascript() {
    let w = world().await;
    let app = &w.app;
    let (pm, _) = app.login(&w.pm.user.email, crate::support::PASSWORD).await;
    let Auth::Cookie {
        token,
        csrf: Some(csrf),
    } = &pm
    else {
        panic!("cookie auth")
    };
    let browser = Auth::Cookie {
        token: token.clone(),
        csrf: None,
    };
    let page = format!("/tasks/{}", w.task);
    assert!(
        app.get(&page, &pm)
            .await
            .expect(200)
            .text()
            .contains("No files attached yet")
    );
    let post = |name: &'static str, file: Vec<u8>, token: String| {
        let (mime, body) = multipart(
            name,
            &file,
            &[
                ("_csrf", token.as_str()),
                ("owner_type", "task"),
                ("owner_id", w.task.as_str()),
                ("back", page.as_str()),
                ("purpose", "document"),
                ("caption", "Survey"),
            ],
        );
        TestApp::build(
            Method::POST,
            "/attachments",
            &browser,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        )
    };
    // A refused file comes back on a page of its own, the reason beside the field.
    let refused = app
        .send(post("survey.pdf", b"not a pdf".to_vec(), csrf.clone()))
        .await
        .expect(422)
        .text();
    assert!(refused.contains("is not a PDF"), "{refused}");
    assert!(refused.contains(&format!("value=\"{page}\"")));
    // Without the form's token nothing is stored.
    app.send(post("survey.pdf", pdf("s"), "forged".into()))
        .await
        .expect(403);
    let done = app
        .send(post("survey.pdf", pdf("s"), csrf.clone()))
        .await
        .expect(303);
    assert_eq!(
        done.header("location").unwrap(),
        format!("{page}#attachments")
    );
    let html = app.get(&page, &pm).await.expect(200).text();
    assert!(
        html.contains("survey.pdf") && html.contains("Survey"),
        "{html}"
    );
    let list = app
        .get(&list_path("task", &w.task), &w.pm.auth)
        .await
        .json();
    let id = id_of(&list["items"][0]);
    app.get(&format!("/attachments/{id}/file"), &pm)
        .await
        .expect(200);
    // Removing returns to the page; an outside address is never followed.
    let body =
        serde_urlencoded::to_string([("_csrf", csrf.as_str()), ("back", "https://evil.example/")])
            .unwrap();
    let removed = app
        .send(TestApp::build(
            Method::POST,
            &format!("/attachments/{id}/delete"),
            &browser,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(axum::body::Body::from(body)),
            false,
        ))
        .await
        .expect(303);
    assert_eq!(removed.header("location").unwrap(), "/#attachments");
    assert!(files_under(&app.files).is_empty());
    // The card is on every page that can hold files.
    for path in [
        format!("/projects/{}", w.project),
        format!("/scope-items/{}/edit", w.item),
        format!("/drawings/{}", w.drawing),
        format!("/specs/{}", w.spec),
    ] {
        let html = app.get(&path, &pm).await.expect(200).text();
        assert!(html.contains("id=\"attachments\""), "{path}");
    }
}
