//! Malformed requests get precise 4xx problems, and writes must name the version they change.

use axum::body::Body;
use axum::http::Method;
use serde_json::json;

use crate::support::{Resp, TestApp, id_of};

#[tokio::test]
async fn malformed_requests_get_precise_problems() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let a = &admin.auth;

    let req = TestApp::build(
        Method::POST,
        "/api/v1/clients",
        a,
        &[],
        Some(Body::from(r#"{"name": "#)),
        true,
    );
    app.send(req).await.problem(400, "malformed_json");

    let body = || Some(Body::from(r#"{"name": "Hotel"}"#));
    let req = TestApp::build(
        Method::POST,
        "/api/v1/clients",
        a,
        &[("content-type", "text/plain")],
        body(),
        false,
    );
    app.send(req).await.problem(415, "unsupported_media_type");
    let req = TestApp::build(Method::POST, "/api/v1/clients", a, &[], body(), false);
    app.send(req).await.problem(415, "unsupported_media_type");

    let v = app
        .post(
            "/api/v1/clients",
            a,
            json!({"name": "Hotel", "colour": "red"}),
        )
        .await
        .problem(422, "invalid_body");
    assert!(
        v["detail"].as_str().unwrap().contains("colour"),
        "names the unknown field: {v}"
    );
    let v = app
        .post("/api/v1/clients", a, json!({"name": 42}))
        .await
        .problem(422, "invalid_body");
    assert!(v["detail"].as_str().unwrap().contains("name"), "{v}");
    app.post("/api/v1/clients", a, json!({}))
        .await
        .problem(422, "invalid_body");
    app.post("/api/v1/users", a, json!({"email": "r@example.com", "name": "R", "password": "long enough pass", "role": "root"}))
        .await
        .problem(422, "invalid_body");

    // Validation by the use case: 422 with the fields to fix.
    let v = app
        .post(
            "/api/v1/clients",
            a,
            json!({"name": "  ", "website": "not a site"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["name", "website"]);
    // Uniqueness: 409 naming the field.
    app.post("/api/v1/users", a, json!({"email": "d@example.com", "name": "D", "password": "long enough pass", "role": "designer"})).await.expect(201);
    let v = app.post("/api/v1/users", a, json!({"email": "D@example.com", "name": "D2", "password": "long enough pass", "role": "designer"})).await.problem(409, "duplicate");
    assert_eq!(Resp::fields(&v), ["email"]);

    // Ids in paths must be UUIDs: 400, never 500.
    for path in [
        "/api/v1/projects/not-a-uuid",
        "/api/v1/tasks/123",
        "/api/v1/users/zzz",
        "/api/v1/clients/x/contacts",
        "/api/v1/projects/1/tasks",
    ] {
        let v = app.get(path, a).await.problem(400, "invalid_id");
        assert!(v["detail"].as_str().unwrap().contains("`id`"), "{v}");
    }
    let client = app.client(a, "Hotel Azul").await;
    let v = app
        .delete(&format!("/api/v1/clients/{client}/contacts/nope"), a)
        .await
        .problem(400, "invalid_id");
    assert!(v["detail"].as_str().unwrap().contains("contact_id"), "{v}");
    app.delete(
        &format!("/api/v1/clients/{client}/contacts/{}", uuid::Uuid::now_v7()),
        a,
    )
    .await
    .problem(404, "not_found");
    app.get(&format!("/api/v1/projects/{}", uuid::Uuid::now_v7()), a)
        .await
        .problem(404, "not_found");

    // Too large: 413.
    let big = json!({"name": "x".repeat(1_100_000)});
    app.post("/api/v1/clients", a, big)
        .await
        .problem(413, "body_too_large");

    // No such route under /api: a problem too.
    app.get("/api/v1/nothing-here", a)
        .await
        .problem(404, "not_found");
}

#[tokio::test]
async fn request_bodies_must_be_json_objects() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let a = &admin.auth;
    for body in [
        json!(["Array Client Ltd"]),
        json!("Array Client Ltd"),
        json!(42),
        json!(null),
    ] {
        let v = app
            .post("/api/v1/clients", a, body.clone())
            .await
            .problem(422, "invalid_body");
        assert!(
            v["detail"].as_str().unwrap().contains("JSON object"),
            "{body}: {v}"
        );
    }
    let clients = app.get("/api/v1/clients", a).await.expect(200).json();
    assert_eq!(clients["total"], 0, "nothing was created: {clients}");
}

#[tokio::test]
async fn control_characters_are_refused_naming_the_field() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let a = &admin.auth;
    let fields = |v: &serde_json::Value| Resp::fields(v);

    // Before signing in: a NUL in the email is the caller's mistake, not a busy database.
    let v = app
        .post(
            "/api/v1/auth/login",
            &crate::support::Auth::None,
            json!({"email": "a\u{0}@x.test", "password": "whatever it is"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(fields(&v), ["email"]);

    // Query strings: the parameter is named, whichever list it is.
    for path in [
        "/api/v1/clients?q=%00",
        "/api/v1/projects?q=a%01b",
        "/api/v1/users?sort=%1Bname",
    ] {
        let v = app.get(path, a).await.problem(422, "validation_failed");
        let name = path.split(['?', '=']).nth(1).unwrap();
        assert_eq!(fields(&v), [name], "{path}: {v}");
    }

    // Bodies: every string, nested ones by their path; tab, LF and CR are ordinary text.
    let v = app
        .post(
            "/api/v1/clients",
            a,
            json!({"name": "Hotel\u{7f}", "notes": "bell\u{7}"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(fields(&v), ["name", "notes"]);
    app.post(
        "/api/v1/clients",
        a,
        json!({"name": "Hotel Azul", "notes": "line one\r\nline two\tend"}),
    )
    .await
    .expect(201);

    // Multipart text fields and file names.
    let (mime, body) = crate::drawings::multipart(
        "site.pdf",
        b"%PDF-1.7\n%%EOF",
        &[
            ("owner_type", "task"),
            ("owner_id", &uuid::Uuid::now_v7().to_string()),
            ("caption", "From the\u{0} visit"),
        ],
    );
    let req = TestApp::build(
        Method::POST,
        "/api/v1/attachments",
        a,
        &[("content-type", mime.as_str())],
        Some(Body::from(body)),
        false,
    );
    let v = app.send(req).await.problem(422, "validation_failed");
    assert_eq!(fields(&v), ["caption"]);

    // Pages: forms and query strings are refused the same way, with a page naming the field.
    let form = TestApp::build(
        Method::POST,
        "/login",
        &crate::support::Auth::None,
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(Body::from("email=a%00%40x.test&password=x")),
        false,
    );
    let page = app.send(form).await.expect(422);
    assert!(page.text().contains("email must not"), "{}", page.text());
    let (cookie, _) = app
        .login("admin@example.com", crate::support::PASSWORD)
        .await;
    let page = app.get("/clients?q=%00", &cookie).await.expect(422);
    assert!(page.text().contains("q must not"), "{}", page.text());
    let crate::support::Auth::Cookie {
        token,
        csrf: Some(csrf),
    } = &cookie
    else {
        panic!("cookie auth")
    };
    let browser = crate::support::Auth::Cookie {
        token: token.clone(),
        csrf: None,
    };
    let body =
        serde_urlencoded::to_string([("_csrf", csrf.as_str()), ("name", "Bad\u{0}Co")]).unwrap();
    let form = TestApp::build(
        Method::POST,
        "/clients/new",
        &browser,
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(Body::from(body)),
        false,
    );
    let page = app.send(form).await.expect(422);
    assert!(page.text().contains("name must not"), "{}", page.text());
    let clients = app.get("/api/v1/clients", a).await.expect(200).json();
    assert_eq!(clients["total"], 1, "only Hotel Azul: {clients}");
}

#[tokio::test]
async fn writes_name_the_version_they_change() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let a = &admin.auth;
    let id = app.client(a, "Hotel Azul").await;
    let path = format!("/api/v1/clients/{id}");

    let got = app.get(&path, a).await.expect(200);
    assert_eq!(got.etag(), "\"1\"");
    assert_eq!(got.json()["version"], 1);

    let v = app
        .patch(&path, a, json!({"name": "Hotel Azul Group"}))
        .await
        .problem(428, "precondition_required");
    assert!(v["detail"].as_str().unwrap().contains("If-Match"), "{v}");

    let changed = app
        .call_with(
            Method::PATCH,
            &path,
            a,
            &[("if-match", "\"1\"")],
            Some(json!({"name": "Hotel Azul Group"})),
        )
        .await
        .expect(200);
    assert_eq!(changed.etag(), "\"2\"");
    assert_eq!(changed.json()["name"], "Hotel Azul Group");

    // A stale If-Match is a failed precondition; a stale body version is a conflict.
    let v = app
        .call_with(
            Method::PATCH,
            &path,
            a,
            &[("if-match", "\"1\"")],
            Some(json!({"name": "Lost"})),
        )
        .await
        .problem(412, "stale_version");
    assert_eq!(v["current_version"], 2);
    let v = app
        .patch(&path, a, json!({"name": "Lost", "version": 1}))
        .await
        .problem(409, "stale_version");
    assert_eq!(v["current_version"], 2);
    assert_eq!(app.get(&path, a).await.json()["name"], "Hotel Azul Group");

    // Both, disagreeing: 400. Unparseable or wildcard If-Match: 400.
    app.call_with(
        Method::PATCH,
        &path,
        a,
        &[("if-match", "\"3\"")],
        Some(json!({"notes": "n", "version": 2})),
    )
    .await
    .problem(400, "conflicting_versions");
    for bad in ["*", "\"abc\"", "\"1\", \"2\"", "\"0\""] {
        app.call_with(
            Method::PATCH,
            &path,
            a,
            &[("if-match", bad)],
            Some(json!({"notes": "n"})),
        )
        .await
        .problem(400, "invalid_if_match");
    }
    // Both, agreeing, and the weak and bare forms are accepted.
    app.call_with(
        Method::PATCH,
        &path,
        a,
        &[("if-match", "2")],
        Some(json!({"notes": "n", "version": 2})),
    )
    .await
    .expect(200);
    let r = app
        .call_with(
            Method::PATCH,
            &path,
            a,
            &[("if-match", "W/\"3\"")],
            Some(json!({"notes": null})),
        )
        .await
        .expect(200);
    assert_eq!(r.etag(), "\"4\"");
    assert!(r.json()["notes"].is_null());

    // Deleting names the version too: If-Match or ?version=.
    app.delete(&path, a)
        .await
        .problem(428, "precondition_required");
    let v = app
        .delete(&format!("{path}?version=abc"), a)
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["version"]);
    app.delete(&format!("{path}?version=1"), a)
        .await
        .problem(409, "stale_version");
    app.call_with(Method::DELETE, &path, a, &[("if-match", "\"1\"")], None)
        .await
        .problem(412, "stale_version");
    app.call_with(Method::DELETE, &path, a, &[("if-match", "\"4\"")], None)
        .await
        .expect(204);
    app.get(&path, a).await.problem(404, "not_found");

    // A client with projects cannot be deleted.
    let other = app.client(a, "Beta Offices").await;
    app.project(a, "Office fit-out", &other, &admin.id()).await;
    app.delete(&format!("/api/v1/clients/{other}?version=1"), a)
        .await
        .problem(409, "has_dependents");

    // Users and projects carry ETags as well.
    let user = app
        .get(&format!("/api/v1/users/{}", admin.id()), a)
        .await
        .expect(200);
    assert_eq!(user.etag(), format!("\"{}\"", user.json()["version"]));
    let projects = app.get("/api/v1/projects", a).await.json();
    let pid = id_of(&projects["items"][0]);
    let p = app
        .get(&format!("/api/v1/projects/{pid}"), a)
        .await
        .expect(200);
    assert_eq!(p.etag(), "\"1\"");
    let created = app
        .post("/api/v1/clients", a, json!({"name": "Gamma Retail"}))
        .await
        .expect(201);
    assert_eq!(created.etag(), "\"1\"");
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/clients/{}", id_of(&created.json())))
    );
}

/// A broken or missing multipart form is a problem document like every other API error
/// (it was axum's `text/plain` sentence).
#[tokio::test]
async fn broken_upload_forms_are_problems() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let a = &admin.auth;
    let drawing = format!("/api/v1/drawings/{}/revisions", uuid::Uuid::now_v7());
    for path in ["/api/v1/attachments", drawing.as_str()] {
        // No form at all.
        let req = TestApp::build(Method::POST, path, a, &[], None, false);
        app.send(req).await.problem(415, "unsupported_media_type");
        // A form without its boundary.
        let req = TestApp::build(
            Method::POST,
            path,
            a,
            &[("content-type", "multipart/form-data")],
            Some(Body::from("--x\r\n")),
            false,
        );
        app.send(req).await.problem(400, "malformed_multipart");
    }
}

/// JSON does not tell `30.0` from `30`, and neither does the API document's schema: a whole
/// number written with a point is accepted where an integer is expected.
#[tokio::test]
async fn whole_numbers_with_a_point_are_integers() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let v = app
        .post(
            "/api/v1/me/tokens",
            &admin.auth,
            json!({"name": "Script", "expires_in_days": 30.0}),
        )
        .await
        .expect(201)
        .json();
    assert!(v["token"]["expires_at"].is_string(), "{v}");
    app.post(
        "/api/v1/me/tokens",
        &admin.auth,
        json!({"name": "Script", "expires_in_days": 30.5}),
    )
    .await
    .problem(422, "invalid_body");
}
