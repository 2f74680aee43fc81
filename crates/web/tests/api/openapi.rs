//! The OpenAPI document describes exactly the routes the API serves, and the
//! HTML reference renders from it.
//!
//! The whole document is an `insta` snapshot
//! (`tests/api/snapshots/api__openapi__document.snap`), so every API change —
//! a route, a parameter, a schema, a response — shows in review. After a
//! deliberate change, run `cargo insta test -p formula-web --test api -- openapi`
//! and `cargo insta review`, or, without cargo-insta,
//! `INSTA_UPDATE=always cargo test -p formula-web --test api -- openapi`, and
//! review the diff. CI (`CI=true`) never writes snapshots: a mismatch fails.

use axum::http::Method;
use serde_json::Value;

use crate::support::{Auth, TestApp};

/// Operations that need no sign-in.
const OPEN: &[&str] = &[
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/password-reset",
    "POST /api/v1/auth/password-reset/confirm",
    "GET /api/v1/openapi.json",
];

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

/// The whole document as reviewed, keys sorted. The version is checked in
/// `the_document_describes_every_operation`, so a release does not rewrite it.
#[tokio::test]
async fn the_document_matches_its_snapshot() {
    let app = TestApp::new().await;
    let mut doc = document(&app).await;
    doc.sort_all_objects();
    doc["info"]["version"] = "[version]".into();
    let pretty = serde_json::to_string_pretty(&doc).unwrap();
    insta::assert_snapshot!("document", pretty);
}

#[tokio::test]
async fn the_document_describes_every_operation() {
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
    let doc = document(&app).await;
    let routes = operations(&doc);
    assert!(!routes.is_empty());
    for route in routes {
        assert!(
            html.contains(&format!("<code>{route}</code>")),
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
