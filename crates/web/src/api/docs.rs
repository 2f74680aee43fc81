//! The OpenAPI document (generated from the handlers' `#[utoipa::path]`s),
//! served as JSON at `/api/v1/openapi.json` and as a readable HTML reference
//! at `/api/docs`, rendered on the server from the same document.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use utoipa::Modify;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr};

use super::problems::{ProblemResponse, add_derived};
use crate::error::{Problem, error_page};

/// The document's skeleton: metadata, security schemes and shared components.
/// Paths are added by `api::router()` from the handlers.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Formula PM",
        version = env!("CARGO_PKG_VERSION"),
        description = "Project management for millwork, fit-out and construction contractors.\n\n\
            Authenticate with a personal API token (`Authorization: Bearer fpm_…`, created at `POST /api/v1/me/tokens`) \
            or with the session cookie from `POST /api/v1/auth/login`; cookie-authenticated writes must also send \
            `X-CSRF-Token`. Errors are RFC 9457 `application/problem+json` with a stable `code`. Mutable resources \
            carry `ETag: \"<version>\"`; writes send it back as `If-Match` (or a `version` field): without one the \
            answer is 428, with a stale one 412 (`If-Match`) or 409 (`version`).",
        license(name = "AGPL-3.0-only")
    ),
    modifiers(&SecuritySchemes),
    components(schemas(Problem), responses(ProblemResponse)),
    security(("bearer" = []), ("session_cookie" = [])),
    tags(
        (name = "auth", description = "Signing in and out, your account, passwords and API tokens"),
        (name = "users", description = "User accounts (managed by administrators)"),
        (name = "clients", description = "Client organisations and their contacts"),
        (name = "projects", description = "Projects, their status lifecycle and teams"),
        (name = "tasks", description = "Tasks on projects, and your own work"),
        (name = "drawings", description = "Shop drawings: the register, revisions with their files, and reviews"),
        (name = "specs", description = "Material specifications: approval, procurement and costs"),
        (name = "attachments", description = "Files attached to projects, tasks, scope items, drawings and specifications"),
        (name = "comments", description = "Discussion on records: comments (internal or visible to the client), mentions, following"),
        (name = "notifications", description = "My notifications: the inbox, the unread count, marking read, and how each category is mailed"),
        (name = "activity", description = "What happened on a project or a record, and what is waiting for you"),
        (name = "search", description = "Global search over everything the caller can see"),
        (name = "readiness", description = "The production-readiness gate and releasing items to production"),
        (name = "scope", description = "A project's scope of work (bill of quantities): groups, priced items, import and export"),
        (name = "locations", description = "A project's locations (buildings, levels, zones, rooms) and room types, one by one or from a pattern"),
        (name = "installations", description = "Installation by room: the room sheet, recording and reversing what was installed (a ledger)"),
        (name = "site", description = "On site: the room matrix, progress by level and room, the weights of each step, and the workshop's throughput per week"),
        (name = "deliveries", description = "Delivery notes: planning what goes to site, dispatching it against what the workshop packed, receiving it on site signed by a typed name, and the note's PDF"),
        (name = "snags", description = "Snags (punch items) by room: raising, fixing, verifying and closing them, their photos, the xlsx and PDF lists for the site walk, and room sign-off"),
        (name = "commercial", description = "The commercial summary of a project and of the portfolio: contract value, variations, cost and margin"),
        (name = "variations", description = "Variations (change orders): priced lines that add, omit or change scope items, submitted to the client, whose approval changes the scope and the contract value in one step; the PDF and the register"),
        (name = "rfis", description = "RFIs (requests for information): the register with its ball in court and overdue flags, raising one to a user or an outside address (mailed with its PDF), links to drawings, scope items and rooms, answers, closing and reopening, the PDF and the xlsx register"),
        (name = "purchase orders", description = "Purchase orders: numbered PO-<year>-<seq> without gaps, raised by hand or from approved specifications, approved within the approval limits, sent to the supplier as a PDF by e-mail, cancelled or closed; the PDF and the xlsx register. Prices only for those who may see them"),
        (name = "suppliers", description = "The supplier directory: suppliers with their trade categories, terms, lead times and contacts, archiving, and each supplier's specifications, purchase orders and delivery figures"),
        (name = "workshop", description = "The workshop: the company's and each project's stages, the board, moving quantities of released items through the stages (a ledger, with undo), QA checks with rework, and an item's workshop history"),
        (name = "schedule", description = "The schedule: dependencies between tasks (loops refused), a reschedule's proposal (early and late dates, float, the critical path, violated constraints) and applying it in one transaction, baselines and slippage, and the working calendars"),
        (name = "oversight", description = "Dashboard, audit trail and system outbox"),
        (name = "labels", description = "Item labels for the workshop: A4 sheets or thermal labels with the item's code, name, project, room or level, quantity and a QR code of its page"),
        (name = "company", description = "The company settings: the letterhead on documents, and its logo"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal API token (`fpm_…`), created at POST /api/v1/me/tokens",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "formula_session",
                "The browser session from POST /api/v1/auth/login (named `__Host-formula_session` over https). \
                 Writes also need the `X-CSRF-Token` header.",
            ))),
        );
    }
}

/// Adds what every operation shares: the error responses that follow from its
/// shape (`problems::add_derived`), and words for a success documented without.
pub fn finish(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            add_derived(op);
            // A success documented without words gets the status's name.
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response
                    && r.description.is_empty()
                {
                    let reason = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|c| StatusCode::from_u16(c).ok())
                        .and_then(|c| c.canonical_reason());
                    r.description = reason.unwrap_or("Success").to_owned();
                }
            }
        }
    }
}

/// The document as served: the generated one with the input rules of [`super::contract`].
pub fn as_served(doc: &OpenApi) -> Value {
    let mut value = serde_json::to_value(doc).unwrap_or(Value::Null);
    super::contract::tighten(&mut value);
    value
}

/// The generated document, serialised once, shared with the handlers that serve it.
#[derive(Clone)]
pub struct ApiDocument {
    json: Bytes,
    html: Arc<Result<String, String>>,
}

impl ApiDocument {
    pub fn new(doc: &OpenApi) -> Self {
        let value = as_served(doc);
        let json = serde_json::to_vec_pretty(&value).unwrap_or_default();
        let html = Reference::from_document(&value)
            .render()
            .map_err(|e| e.to_string());
        if let Err(e) = &html {
            tracing::error!(error = %e, "rendering the API reference failed");
        }
        ApiDocument {
            json: Bytes::from(json),
            html: Arc::new(html),
        }
    }
}

/// The OpenAPI document
///
/// This API described in OpenAPI 3.1 (what `/api/docs` shows as a page).
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
pub async fn openapi_json(Extension(doc): Extension<ApiDocument>) -> Response {
    let mut resp = doc.json.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The API reference as an HTML page.
pub async fn reference_page(Extension(doc): Extension<ApiDocument>) -> Response {
    match doc.html.as_ref() {
        Ok(html) => Html(html.clone()).into_response(),
        Err(_) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The API reference could not be rendered.",
        ),
    }
}

// ---- The HTML reference: a view of the JSON document. ----

#[derive(Template)]
#[template(path = "api_docs.html")]
struct Reference {
    title: String,
    version: String,
    description: Vec<Rich>,
    sections: Vec<Section>,
    schemas: Vec<SchemaView>,
}

struct Section {
    tag: String,
    description: Rich,
    operations: Vec<OperationView>,
}

struct OperationView {
    anchor: String,
    method: String,
    path: String,
    summary: Rich,
    description: Rich,
    signed_in: bool,
    parameters: Vec<ParamView>,
    request: Option<TypeRef>,
    responses: Vec<ResponseView>,
}

struct ParamView {
    name: String,
    location: String,
    required: bool,
    ty: TypeRef,
    description: Rich,
}

struct ResponseView {
    status: String,
    description: Rich,
    body: Option<TypeRef>,
}

struct SchemaView {
    name: String,
    description: Rich,
    fields: Vec<FieldView>,
    values: Vec<String>,
}

struct FieldView {
    name: String,
    required: bool,
    ty: TypeRef,
    description: Rich,
}

/// Text with `code` spans, as in the document's descriptions.
struct Rich(Vec<Span>);

struct Span {
    code: bool,
    text: String,
}

impl Rich {
    fn parse(text: &str) -> Rich {
        let spans = text
            .split('`')
            .enumerate()
            .filter(|(_, t)| !t.is_empty())
            .map(|(i, t)| Span {
                code: i % 2 == 1,
                text: t.to_owned(),
            })
            .collect();
        Rich(spans)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A schema type as text, linking to a named schema when it is one.
struct TypeRef {
    text: String,
    link: Option<String>,
}

impl TypeRef {
    fn of(schema: &Value) -> TypeRef {
        let link = referenced_name(schema);
        TypeRef {
            text: type_text(schema),
            link,
        }
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

fn ref_name(r: &str) -> String {
    r.rsplit('/').next().unwrap_or(r).to_owned()
}

/// The first named schema a schema refers to (directly, in an array, or in a nullable union).
fn referenced_name(schema: &Value) -> Option<String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return Some(ref_name(r));
    }
    if let Some(items) = schema.get("items") {
        return referenced_name(items);
    }
    ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(referenced_name)
}

/// A short human description of a schema's type: `string (uuid)`, `Task[]`, `ProjectStatus | null`.
fn type_text(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return ref_name(r);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            return list.iter().map(type_text).collect::<Vec<_>>().join(" | ");
        }
    }
    if let Some(list) = schema.get("allOf").and_then(Value::as_array) {
        return list.iter().map(type_text).collect::<Vec<_>>().join(" & ");
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        return format!("one of: {}", names.join(", "));
    }
    let types: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let mut parts: Vec<String> = types
        .iter()
        .map(|t| match t.as_str() {
            "array" => format!(
                "{}[]",
                schema
                    .get("items")
                    .map_or_else(|| "any".to_owned(), type_text)
            ),
            other => match schema.get("format").and_then(Value::as_str) {
                Some(f) if other != "null" => format!("{other} ({f})"),
                _ => other.to_owned(),
            },
        })
        .collect();
    if parts.is_empty() {
        parts.push(if schema.get("properties").is_some() {
            "object".into()
        } else {
            "any".into()
        });
    }
    parts.join(" | ")
}

/// What a status means when the document only says "a problem".
fn status_meaning(status: &str) -> String {
    match status {
        "default" => "Any other error".to_owned(),
        "400" => "Malformed request: bad JSON, or an id in the path that is not a UUID".to_owned(),
        "401" => "Not signed in, or the token or session is no longer valid".to_owned(),
        "403" => {
            "Not allowed for your role (or a missing `X-CSRF-Token` on a cookie request)".to_owned()
        }
        "404" => "No such resource, or not one you may see".to_owned(),
        "422" => "Invalid input; `errors` names each field".to_owned(),
        other => other
            .parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .and_then(|c| c.canonical_reason())
            .unwrap_or("Error")
            .to_owned(),
    }
}

fn body_schema(content: Option<&Value>) -> Option<TypeRef> {
    let content = content?.as_object()?;
    let (_, media) = content.iter().next()?;
    media.get("schema").map(TypeRef::of)
}

impl Reference {
    fn from_document(doc: &Value) -> Reference {
        let info = doc.get("info").cloned().unwrap_or(Value::Null);
        let tags: Vec<(String, String)> = doc
            .get("tags")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .map(|t| (text(t, "name"), text(t, "description")))
                    .collect()
            })
            .unwrap_or_default();
        let responses = doc
            .pointer("/components/responses")
            .cloned()
            .unwrap_or(Value::Null);
        let mut sections: Vec<Section> = tags
            .iter()
            .map(|(tag, description)| Section {
                tag: tag.clone(),
                description: Rich::parse(description),
                operations: Vec::new(),
            })
            .collect();
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                for method in METHODS {
                    let Some(op) = item.get(method) else { continue };
                    let view = operation_view(path, method, op, &responses);
                    let tag = op
                        .pointer("/tags/0")
                        .and_then(Value::as_str)
                        .unwrap_or("other")
                        .to_owned();
                    match sections.iter_mut().find(|s| s.tag == tag) {
                        Some(s) => s.operations.push(view),
                        None => sections.push(Section {
                            tag,
                            description: Rich(Vec::new()),
                            operations: vec![view],
                        }),
                    }
                }
            }
        }
        sections.retain(|s| !s.operations.is_empty());
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(name, s)| schema_view(name, s)).collect())
            .unwrap_or_default();
        Reference {
            title: text(&info, "title"),
            version: text(&info, "version"),
            description: text(&info, "description")
                .split("\n\n")
                .map(Rich::parse)
                .collect(),
            sections,
            schemas,
        }
    }
}

fn operation_view(path: &str, method: &str, op: &Value, shared: &Value) -> OperationView {
    let parameters = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| ParamView {
                    name: text(p, "name"),
                    location: text(p, "in"),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    ty: p.get("schema").map_or(
                        TypeRef {
                            text: "any".into(),
                            link: None,
                        },
                        TypeRef::of,
                    ),
                    description: Rich::parse(&text(p, "description")),
                })
                .collect()
        })
        .unwrap_or_default();
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|rs| {
            rs.iter()
                .map(|(status, r)| match r.get("$ref").and_then(Value::as_str) {
                    // The shared problem response: say what the status means here.
                    Some(name) => {
                        let shared = shared.get(ref_name(name)).unwrap_or(r);
                        ResponseView {
                            status: status.clone(),
                            description: Rich::parse(&status_meaning(status)),
                            body: body_schema(shared.get("content")),
                        }
                    }
                    None => ResponseView {
                        status: status.clone(),
                        description: Rich::parse(&text(r, "description")),
                        body: body_schema(r.get("content")),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let signed_in = !op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
        });
    let anchor: String = format!("{method}-{path}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    OperationView {
        anchor,
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        summary: Rich::parse(&text(op, "summary")),
        description: Rich::parse(&text(op, "description")),
        signed_in,
        parameters,
        request: op
            .pointer("/requestBody/content")
            .and_then(|c| body_schema(Some(c))),
        responses,
    }
}

fn schema_view(name: &str, s: &Value) -> SchemaView {
    let required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields: Vec<FieldView> = Vec::new();
    // Flattened structs are `allOf` of a reference and an object; show the object's own fields.
    let parts: Vec<&Value> = match s.get("allOf").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None => vec![s],
    };
    for part in parts {
        let part_required: Vec<&str> = part
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(r) = part.get("$ref").and_then(Value::as_str) {
            fields.push(FieldView {
                name: "…".into(),
                required: true,
                ty: TypeRef {
                    text: format!("all fields of {}", ref_name(r)),
                    link: Some(ref_name(r)),
                },
                description: Rich(Vec::new()),
            });
        }
        if let Some(props) = part.get("properties").and_then(Value::as_object) {
            for (field, fs) in props {
                fields.push(FieldView {
                    name: field.clone(),
                    required: required.contains(&field.as_str())
                        || part_required.contains(&field.as_str()),
                    ty: TypeRef::of(fs),
                    description: Rich::parse(&text(fs, "description")),
                });
            }
        }
    }
    let values = s
        .get("enum")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    SchemaView {
        name: name.to_owned(),
        description: Rich::parse(&text(s, "description")),
        fields,
        values,
    }
}
