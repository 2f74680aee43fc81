//! The OpenAPI document lists exactly the routes the API serves, and the HTML
//! reference renders from it.
//!
//! Adding, removing or renaming a route fails these tests until both `ROUTES`
//! below and the snapshot `tests/api/openapi-routes.txt` are updated. To rewrite
//! the snapshot from the current document, run
//! `UPDATE_SNAPSHOTS=1 cargo test -p formula-web --test api openapi`
//! and review the diff.

use std::collections::BTreeSet;

use axum::http::Method;
use serde_json::Value;

use crate::support::{Auth, TestApp};

/// Every route under `/api/v1`, as `METHOD path`.
const ROUTES: &[&str] = &[
    "GET /api/v1/audit",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/logout",
    "GET /api/v1/auth/me",
    "POST /api/v1/auth/password",
    "POST /api/v1/auth/password-reset",
    "POST /api/v1/auth/password-reset/confirm",
    "GET /api/v1/clients",
    "POST /api/v1/clients",
    "GET /api/v1/clients/{id}",
    "PATCH /api/v1/clients/{id}",
    "DELETE /api/v1/clients/{id}",
    "GET /api/v1/clients/{id}/contacts",
    "POST /api/v1/clients/{id}/contacts",
    "DELETE /api/v1/clients/{id}/contacts/{contact_id}",
    "GET /api/v1/dashboard",
    "GET /api/v1/me/tasks",
    "GET /api/v1/me/tokens",
    "POST /api/v1/me/tokens",
    "DELETE /api/v1/me/tokens/{id}",
    "GET /api/v1/openapi.json",
    "GET /api/v1/projects",
    "POST /api/v1/projects",
    "GET /api/v1/projects/code-suggestion",
    "GET /api/v1/projects/{id}",
    "PATCH /api/v1/projects/{id}",
    "DELETE /api/v1/projects/{id}",
    "GET /api/v1/projects/{id}/members",
    "POST /api/v1/projects/{id}/members",
    "DELETE /api/v1/projects/{id}/members/{user_id}",
    "POST /api/v1/projects/{id}/status",
    "GET /api/v1/projects/{id}/tasks",
    "POST /api/v1/projects/{id}/tasks",
    "GET /api/v1/projects/{id}/scope",
    "GET /api/v1/projects/{id}/scope-items",
    "POST /api/v1/projects/{id}/scope-items",
    "POST /api/v1/projects/{id}/scope-groups",
    "GET /api/v1/scope-items/{id}",
    "PATCH /api/v1/scope-items/{id}",
    "DELETE /api/v1/scope-items/{id}",
    "POST /api/v1/scope-items/{id}/move",
    "PATCH /api/v1/scope-groups/{id}",
    "DELETE /api/v1/scope-groups/{id}",
    "POST /api/v1/scope-groups/{id}/move",
    "GET /api/v1/projects/{id}/scope/export",
    "POST /api/v1/projects/{id}/scope/import",
    "GET /api/v1/scope/template",
    "GET /api/v1/projects/{id}/drawings",
    "POST /api/v1/projects/{id}/drawings",
    "GET /api/v1/drawings/{id}",
    "PUT /api/v1/drawings/{id}/scope-items",
    "POST /api/v1/drawings/{id}/revisions",
    "POST /api/v1/drawing-revisions/{id}/submit",
    "POST /api/v1/drawing-revisions/{id}/review",
    "GET /api/v1/drawing-revisions/{id}/file",
    "GET /api/v1/events",
    "GET /api/v1/attachments",
    "POST /api/v1/attachments",
    "GET /api/v1/attachments/{id}",
    "DELETE /api/v1/attachments/{id}",
    "GET /api/v1/attachments/{id}/file",
    "GET /api/v1/projects/{id}/specs",
    "POST /api/v1/projects/{id}/specs",
    "GET /api/v1/specs/{id}",
    "PATCH /api/v1/specs/{id}",
    "POST /api/v1/specs/{id}/submit",
    "POST /api/v1/specs/{id}/review",
    "POST /api/v1/specs/{id}/procurement",
    "GET /api/v1/projects/{id}/specs/export",
    "GET /api/v1/specs/template",
    "POST /api/v1/projects/{id}/specs/import",
    "GET /api/v1/projects/{id}/readiness",
    "PUT /api/v1/projects/{id}/readiness/rule",
    "POST /api/v1/scope-items/{id}/release",
    "GET /api/v1/projects/{id}/review-settings",
    "PUT /api/v1/projects/{id}/review-settings",
    "GET /api/v1/system/jobs",
    "POST /api/v1/system/jobs/{id}/retry",
    "GET /api/v1/system/outbox",
    "GET /api/v1/system/status",
    "GET /api/v1/tasks/{id}",
    "PATCH /api/v1/tasks/{id}",
    "DELETE /api/v1/tasks/{id}",
    "GET /api/v1/users",
    "POST /api/v1/users",
    "GET /api/v1/users/{id}",
    "PATCH /api/v1/users/{id}",
];

/// Operations that need no sign-in.
const OPEN: &[&str] = &[
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/password-reset",
    "POST /api/v1/auth/password-reset/confirm",
    "GET /api/v1/openapi.json",
];

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/openapi-routes.txt");

async fn document(app: &TestApp) -> Value {
    let resp = app
        .get("/api/v1/openapi.json", &Auth::None)
        .await
        .expect(200);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/json")
    );
    resp.json()
}

/// `METHOD path` for every operation in the document.
fn operations(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("path item") {
            if [
                "get", "post", "put", "patch", "delete", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                out.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn the_document_lists_every_route() {
    let app = TestApp::new().await;
    let doc = document(&app).await;

    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "OpenAPI 3.1, got {}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Formula PM");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        (
            schemes["bearer"]["type"].as_str(),
            schemes["bearer"]["scheme"].as_str()
        ),
        (Some("http"), Some("bearer"))
    );
    assert_eq!(
        (
            schemes["session_cookie"]["type"].as_str(),
            schemes["session_cookie"]["in"].as_str()
        ),
        (Some("apiKey"), Some("cookie"))
    );
    assert!(doc["components"]["schemas"]["Problem"].is_object());

    let documented = operations(&doc);
    let expected: BTreeSet<&str> = ROUTES.iter().copied().collect();
    assert_eq!(expected.len(), ROUTES.len(), "ROUTES has duplicates");
    let got: BTreeSet<&str> = documented.iter().map(String::as_str).collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "routes missing from the document: {missing:?}; undocumented in ROUTES: {extra:?}"
    );

    // The snapshot shows every API change in review.
    let lines = documented.join("\n") + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(SNAPSHOT, &lines).expect("write snapshot");
    }
    let snapshot = std::fs::read_to_string(SNAPSHOT).expect("read tests/api/openapi-routes.txt");
    assert_eq!(
        snapshot, lines,
        "the API routes changed: update tests/api/openapi-routes.txt (see the comment at the top of this file)"
    );

    // Every operation is documented as a whole: summary, tag, success and error responses.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no summary"
            );
            assert!(op["tags"][0].is_string(), "{name} has no tag");
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{name} documents no success"
            );
            assert_eq!(
                responses["default"]["$ref"], "#/components/responses/Problem",
                "{name}"
            );
            let open = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            assert_eq!(
                open,
                OPEN.contains(&name.as_str()),
                "{name}: sign-in requirement"
            );
            assert!(
                open || responses.contains_key("401"),
                "{name}: 401 documented"
            );
            if path.contains('{') {
                assert!(
                    responses.contains_key("400"),
                    "{name}: ids in the path can be malformed (400)"
                );
            }
        }
    }

    // Every reference resolves.
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"").skip(1) {
        let target = piece.split('"').next().unwrap();
        let pointer = target.strip_prefix('#').expect("local reference");
        assert!(
            doc.pointer(pointer).is_some(),
            "dangling reference {target}"
        );
    }
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let nil = uuid::Uuid::nil().to_string();
    for op in operations(&doc) {
        let (method, path) = op.split_once(' ').unwrap();
        let path = path
            .replace("{id}", &nil)
            .replace("{contact_id}", &nil)
            .replace("{user_id}", &nil);
        let method: Method = method.parse().unwrap();
        let resp = app.call(method, &path, &Auth::None, None).await;
        let status = resp.status.as_u16();
        // Without credentials or a body, a served route answers 200, 401 or 415 — never 404 or 405.
        assert!(
            [200, 401, 415].contains(&status),
            "{op} answered {status}: {}",
            resp.text()
        );
    }
}

#[tokio::test]
async fn the_reference_page_renders_from_the_document() {
    let app = TestApp::new().await;
    let resp = app.get("/api/docs", &Auth::None).await.expect(200);
    assert!(
        resp.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text();
    assert!(html.contains("Formula PM API"));
    for route in ROUTES {
        let (method, path) = route.split_once(' ').unwrap();
        assert!(
            html.contains(&format!("<code>{method} {path}</code>")),
            "{route} missing from the page"
        );
    }
    // Parameters and schemas are shown, linked by name.
    assert!(html.contains("<code>limit</code>") && html.contains("href=\"#schema-ProjectStatus\""));
    assert!(html.contains("id=\"schema-Problem\"") && html.contains("id=\"schema-TaskPatch\""));
    // Styled by our own stylesheet; nothing inline, nothing from elsewhere.
    assert!(html.contains("href=\"/assets/app."));
    for banned in ["<script", "style=", "<style", "https://", "cdn"] {
        assert!(!html.contains(banned), "the page contains {banned}");
    }
}
