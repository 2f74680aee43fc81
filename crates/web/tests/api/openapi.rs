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

/// Every `items` in the document, with where it is.
fn all_items<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "items" {
                    out.push((at.clone(), x));
                }
                all_items(x, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                all_items(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn param<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no {name}"))
}

/// What the schema fuzzer found the document getting wrong (issue 14, defect 23).
#[tokio::test]
async fn the_document_tells_the_truth() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];

    // A project's readiness is not the health report (the two were one name).
    let readiness = &doc["paths"]["/api/v1/projects/{id}/readiness"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"]["$ref"];
    let name = readiness.as_str().unwrap().rsplit('/').next().unwrap();
    assert!(
        schemas[name]["properties"]["items"].is_object(),
        "{name} lists the items: {}",
        schemas[name]
    );
    assert!(schemas["HealthReport"]["properties"]["checks"].is_object());

    // Audit changes hold any JSON value.
    for side in ["old", "new"] {
        let s = &schemas["FieldChange"]["properties"][side];
        assert!(s.get("type").is_none(), "FieldChange.{side}: {s}");
    }

    // OpenAPI 3.1 has no array-form `items`.
    let mut items = Vec::new();
    all_items(&doc, String::new(), &mut items);
    for (at, v) in items {
        assert!(!v.is_array(), "array-form items at {at}");
    }

    // Multipart bodies are forms with a binary `file` part.
    for (path, form) in [
        ("/api/v1/attachments", "AttachmentForm"),
        ("/api/v1/drawings/{id}/revisions", "RevisionForm"),
    ] {
        let body = &doc["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"];
        assert_eq!(
            body["schema"]["$ref"],
            format!("#/components/schemas/{form}"),
            "{path}"
        );
        assert_eq!(schemas[form]["properties"]["file"]["format"], "binary");
        assert!(
            schemas[form]["required"]
                .as_array()
                .unwrap()
                .contains(&"file".into())
        );
    }

    // The bounds the server enforces.
    let page = &param(&doc, "/api/v1/projects", "get", "page")["schema"];
    assert_eq!(
        (page["minimum"].as_u64(), page["maximum"].as_u64()),
        (Some(1), Some(1_000_000))
    );
    let limit = &param(&doc, "/api/v1/projects", "get", "limit")["schema"];
    assert_eq!(limit["maximum"], 200);
    let limit = &param(&doc, "/api/v1/me/tasks", "get", "limit")["schema"];
    assert_eq!(limit["maximum"], 200);
    let sort = param(&doc, "/api/v1/projects", "get", "sort")["schema"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        sort.contains(&"end_date".into()) && sort.contains(&"-end_date".into()),
        "{sort:?}"
    );
    let format = &param(&doc, "/api/v1/scope/template", "get", "format")["schema"]["enum"];
    assert_eq!(format, &serde_json::json!(["xlsx", "csv"]));
    // An empty query value counts as not sent.
    assert_eq!(
        param(&doc, "/api/v1/projects", "get", "manager_id")["allowEmptyValue"],
        true
    );
    let name = &schemas["NewClient"]["properties"]["name"];
    assert_eq!(
        (name["minLength"].as_u64(), name["maxLength"].as_u64()),
        (Some(1), Some(200))
    );
    assert_eq!(schemas["NewUser"]["properties"]["email"]["format"], "email");
    assert_eq!(
        schemas["NewUser"]["properties"]["password"]["minLength"],
        10
    );
    // Control characters are refused in every text input, keys included.
    let notes = &schemas["NewClient"]["properties"]["notes"];
    assert!(
        notes["pattern"]
            .as_str()
            .unwrap()
            .contains("\\u0000-\\u0008"),
        "{notes}"
    );
    assert!(schemas["AttachmentForm"]["propertyNames"]["pattern"].is_string());
    // Unknown fields are refused (as the others, review settings now too).
    assert_eq!(schemas["ReviewSettings"]["additionalProperties"], false);
    let if_match = &param(&doc, "/api/v1/tasks/{id}", "patch", "if-match")["schema"];
    assert!(if_match["pattern"].is_string(), "{if_match}");
}

/// The fuzz run (scripts/api-fuzz.sh) sends an `If-Match` and a `version` that disagree, and
/// the API refuses that with 400, which scripts/schemathesis.toml accepts only for the
/// operations it lists (as naming a version, or in a list that says "and the version as
/// above"). Every operation that takes both is listed, so a
/// new one cannot fail the fuzz run by the chance of its examples (as
/// `DELETE /api/v1/checklist-items/{id}` once did).
#[tokio::test]
async fn every_operation_taking_two_versions_is_listed_for_the_fuzzer() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let config = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/schemathesis.toml"
    ))
    .expect("scripts/schemathesis.toml");
    assert!(config.contains("# Writes that name a version"));
    // The names of every list: an operation goes in one list only, and each list that
    // holds such writes allows their 400 ("and the version as above").
    let mut listed: Vec<&str> = Vec::new();
    for (at, _) in config.match_indices("include-name = [") {
        let list = &config[at..];
        let list = &list[..list.find("\n]").expect("the end of a list")];
        listed.extend(list.split('"').skip(1).step_by(2));
    }

    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let if_match = params.iter().any(|p| {
                p["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case("if-match"))
            });
            let in_query = params
                .iter()
                .any(|p| p["name"] == "version" && p["in"] == "query");
            let mut body = &op["requestBody"]["content"]["application/json"]["schema"];
            if let Some(r) = body["$ref"].as_str() {
                body = &doc["components"]["schemas"][r.rsplit('/').next().unwrap()];
            }
            let in_body = body["properties"].get("version").is_some();
            let name = format!("{} {path}", method.to_uppercase());
            if if_match && (in_query || in_body) && !listed.contains(&name.as_str()) {
                missing.push(name);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "add to the version list of scripts/schemathesis.toml: {missing:?}"
    );
}
