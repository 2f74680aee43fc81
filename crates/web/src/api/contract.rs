//! What the document says about inputs beyond what the derives write: the rules the server
//! applies to every input, and the bounds of particular fields, so that generated clients
//! and fuzzers send what the server accepts and expect it to refuse the rest.
//!
//! Applied to the finished document as JSON ([`tighten`]):
//! - every text input (query parameters, JSON and form fields, and the keys of JSON objects)
//!   refuses control characters other than tab, LF and CR (`crate::text_input`): a `pattern`;
//! - a query parameter sent empty counts as not sent (`params::QueryParams`):
//!   `allowEmptyValue`, and a required one gets the `pattern` of a required text field;
//! - a required text field is refused when blank (`required_text`, after trimming): a
//!   `pattern` asking for one visible character, and `minLength: 1`;
//! - email addresses, passwords and a few other fields: [`FIELDS`].

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// Text without the control characters the server refuses (all but tab, LF and CR).
pub const TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Text as [`TEXT`] holding at least one character that is not white space.
pub const NOT_BLANK: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// A web address as `formula_domain::client::web_address` takes it: `http(s)://…`, or a host
/// name with a dot (`https://` is put before it), without spaces, control characters or
/// `[ ] < > " { } | \ ^` and the backtick; blank is none.
const WEBSITE: &str = r#"^[\t\n\r ]*((https?://[^\u0000-\u0020\u007F-\u009F\[\]<>"{}|\\^`]*|[^\u0000-\u0020\u007F-\u009F\[\]<>"{}|\\^`]*\.[^\u0000-\u0020\u007F-\u009F\[\]<>"{}|\\^`]*)[\t\n\r ]*)?$"#;

/// The largest amount of money, in minor units (`scope::fields::MONEY_MAX_MINOR`).
const MONEY_MAX: i64 = 1_000_000_000_000_000;

/// What a field of an input schema is, beyond its type.
#[derive(Clone, Copy)]
enum Rule {
    /// Trimmed, it must not be empty; at most this many characters.
    Required(u64),
    /// At most this many characters.
    Max(u64),
    /// Any text, even blank (a password being checked, not chosen).
    Text,
    /// Text matching this pattern.
    Pattern(&'static str),
    /// A number from `.0` to `.1`.
    Range(i64, i64),
    /// An email address (at most 254 characters).
    Email,
    /// An email address, or blank for none.
    OptionalEmail,
    /// A new password: 10 to 256 characters.
    NewPassword,
}

/// Bounds of particular fields: (schema, property, rule). Required text fields of the
/// creating schemas are found by themselves (required, non-null strings); these are the
/// rest: fields of patches that must not be blanked when sent, lengths, and formats.
const FIELDS: &[(&str, &str, Rule)] = &[
    ("LoginInput", "email", Rule::Email),
    ("ResetRequest", "email", Rule::Email),
    ("NewUser", "email", Rule::Email),
    ("UserPatch", "email", Rule::Email),
    ("NewContact", "email", Rule::OptionalEmail),
    ("LoginInput", "password", Rule::Text),
    ("PasswordChange", "current_password", Rule::Text),
    ("NewUser", "password", Rule::NewPassword),
    ("ResetConfirm", "password", Rule::NewPassword),
    ("PasswordChange", "new_password", Rule::NewPassword),
    ("NewUser", "name", Rule::Required(120)),
    ("UserPatch", "name", Rule::Required(120)),
    ("UserPatch", "job_title", Rule::Max(120)),
    ("NewUser", "job_title", Rule::Max(120)),
    ("NewUser", "phone", Rule::Max(40)),
    ("UserPatch", "phone", Rule::Max(40)),
    ("NewClient", "name", Rule::Required(200)),
    ("ClientPatch", "name", Rule::Required(200)),
    ("NewClient", "client_type", Rule::Max(100)),
    ("ClientPatch", "client_type", Rule::Max(100)),
    ("NewClient", "address", Rule::Max(500)),
    ("ClientPatch", "address", Rule::Max(500)),
    ("NewClient", "website", Rule::Pattern(WEBSITE)),
    ("ClientPatch", "website", Rule::Pattern(WEBSITE)),
    ("NewClient", "notes", Rule::Max(5000)),
    ("ClientPatch", "notes", Rule::Max(5000)),
    ("SupplierPatch", "name", Rule::Required(200)),
    ("NewSupplier", "website", Rule::Pattern(WEBSITE)),
    ("SupplierPatch", "website", Rule::Pattern(WEBSITE)),
    ("NewSupplier", "email", Rule::OptionalEmail),
    ("SupplierPatch", "email", Rule::OptionalEmail),
    ("SupplierContactInput", "email", Rule::OptionalEmail),
    ("NewContact", "name", Rule::Required(120)),
    ("NewContact", "role", Rule::Max(120)),
    ("NewContact", "phone", Rule::Max(40)),
    ("NewProject", "name", Rule::Required(200)),
    ("ProjectPatch", "name", Rule::Required(200)),
    ("NewProject", "location", Rule::Max(300)),
    ("ProjectPatch", "location", Rule::Max(300)),
    ("NewTask", "title", Rule::Required(300)),
    ("TaskPatch", "title", Rule::Required(300)),
    ("NewTask", "description", Rule::Max(10_000)),
    ("TaskPatch", "description", Rule::Max(10_000)),
    ("NewDrawing", "number", Rule::Required(40)),
    ("NewDrawing", "title", Rule::Required(200)),
    ("NewDrawing", "area", Rule::Max(200)),
    ("NewScopeItem", "location", Rule::Max(200)),
    ("ScopeItemPatch", "location", Rule::Max(200)),
    ("ScopeItemPatch", "description", Rule::Max(10_000)),
    ("NewToken", "name", Rule::Required(100)),
    ("RfiPatch", "subject", Rule::Required(200)),
    ("RfiPatch", "question", Rule::Required(10_000)),
    ("NewRfi", "addressed_to_email", Rule::OptionalEmail),
    ("RfiPatch", "addressed_to_email", Rule::OptionalEmail),
    ("NewRfi", "addressed_to_name", Rule::Max(200)),
    ("RfiPatch", "addressed_to_name", Rule::Max(200)),
    // Three letters, any case (`money::parse_currency` upper-cases them).
    ("NewProject", "currency", Rule::Pattern("^[A-Za-z]{3}$")),
    ("ProjectPatch", "currency", Rule::Pattern("^[A-Za-z]{3}$")),
    ("NewScopeGroup", "name", Rule::Required(200)),
    ("ScopeGroupPatch", "name", Rule::Required(200)),
    // One to three letters, any case (`scope::groups::check_letter` upper-cases them).
    // Left empty when creating, the next free letter is taken.
    (
        "NewScopeGroup",
        "letter",
        Rule::Pattern("^([A-Za-z]{1,3})?$"),
    ),
    (
        "ScopeGroupPatch",
        "letter",
        Rule::Pattern("^[A-Za-z]{1,3}$"),
    ),
    ("NewChecklistItem", "text", Rule::Required(500)),
    ("ChecklistPatch", "text", Rule::Required(500)),
    ("ChecklistPatch", "position", Rule::Range(0, 2_147_483_647)),
    ("LabelInput", "name", Rule::Required(40)),
    ("BulkEdit", "shift_days", Rule::Range(-3650, 3650)),
    ("NewTask", "progress", Rule::Range(0, 100)),
    ("TaskPatch", "progress", Rule::Range(0, 100)),
    ("NewScopeItem", "progress", Rule::Range(0, 100)),
    ("ScopeItemPatch", "progress", Rule::Range(0, 100)),
    ("NewTask", "estimated_hours", Rule::Range(0, 100_000)),
    ("TaskPatch", "estimated_hours", Rule::Range(0, 100_000)),
    ("NewTask", "actual_hours", Rule::Range(0, 100_000)),
    ("TaskPatch", "actual_hours", Rule::Range(0, 100_000)),
    ("NewProject", "budget_minor", Rule::Range(0, MONEY_MAX)),
    ("ProjectPatch", "budget_minor", Rule::Range(0, MONEY_MAX)),
    (
        "NewProject",
        "contract_value_minor",
        Rule::Range(0, MONEY_MAX),
    ),
    (
        "ProjectPatch",
        "contract_value_minor",
        Rule::Range(0, MONEY_MAX),
    ),
    (
        "NewScopeItem",
        "unit_price_minor",
        Rule::Range(0, MONEY_MAX),
    ),
    (
        "ScopeItemPatch",
        "unit_price_minor",
        Rule::Range(0, MONEY_MAX),
    ),
    (
        "NewScopeItem",
        "budget_cost_minor",
        Rule::Range(0, MONEY_MAX),
    ),
    (
        "ScopeItemPatch",
        "budget_cost_minor",
        Rule::Range(0, MONEY_MAX),
    ),
    (
        "NewScopeItem",
        "actual_cost_minor",
        Rule::Range(0, MONEY_MAX),
    ),
    (
        "ScopeItemPatch",
        "actual_cost_minor",
        Rule::Range(0, MONEY_MAX),
    ),
    ("SpecInput", "lead_time_days", Rule::Range(0, 730)),
    // The schedule (`domain::planning`).
    ("NewDependency", "lag_days", Rule::Range(-365, 365)),
    ("NewBaseline", "name", Rule::Required(100)),
    ("Holiday", "name", Rule::Required(100)),
    ("CompanyInput", "email", Rule::OptionalEmail),
    ("CompanyInput", "website", Rule::Pattern(WEBSITE)),
    // Locations and room types (`domain::location::check_code`; the characters a code may
    // hold are a rule of the use case, answered 422).
    ("NewLocation", "code", Rule::Required(40)),
    ("LocationPatch", "code", Rule::Required(40)),
    ("NewLocation", "name", Rule::Required(200)),
    ("LocationPatch", "name", Rule::Required(200)),
    ("NewRoomType", "code", Rule::Required(40)),
    ("RoomTypePatch", "code", Rule::Required(40)),
    ("NewRoomType", "name", Rule::Required(200)),
    ("RoomTypePatch", "name", Rule::Required(200)),
    ("NewRoomType", "description", Rule::Max(2000)),
    ("RoomTypePatch", "description", Rule::Max(2000)),
    // Installation records (`domain::installation::{INSTALLER_MAX, NOTE_MAX}`).
    ("InstallationInput", "installer", Rule::Max(120)),
    ("InstallationInput", "note", Rule::Max(2000)),
    ("ReverseInput", "note", Rule::Max(2000)),
    // Snags and room sign-off (`domain::snag`).
    ("NewSnag", "description", Rule::Max(5000)),
    ("NewSnag", "responsible_trade", Rule::Max(120)),
    ("SnagPatch", "title", Rule::Required(200)),
    ("SnagPatch", "description", Rule::Max(5000)),
    ("SnagPatch", "responsible_trade", Rule::Max(120)),
    ("SnagMoveInput", "reason", Rule::Max(2000)),
    ("SignOffInput", "client_name", Rule::Max(200)),
    ("SignOffInput", "note", Rule::Max(2000)),
    // Variations (`domain::variation`).
    ("NewVariation", "title", Rule::Required(200)),
    ("VariationPatch", "title", Rule::Required(200)),
];

/// A quantity as `scope::Quantity::parse` reads it: up to a billion, three decimals.
const QUANTITY: &str = "^([0-9]{1,9}(\\.[0-9]{1,3})?|1000000000(\\.0{1,3})?)$";

/// Applies the rules above to the document.
pub fn tighten(doc: &mut Value) {
    let inputs = input_schemas(doc);
    // A quantity is a decimal string (a whole number is accepted too).
    if let Some(q) = doc
        .pointer_mut("/components/schemas/Quantity")
        .and_then(Value::as_object_mut)
    {
        q.remove("type");
        q.insert(
            "anyOf".into(),
            json!([
                { "type": "string", "pattern": QUANTITY },
                { "type": "integer", "minimum": 0, "maximum": 1_000_000_000 },
            ]),
        );
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for name in &inputs {
            if let Some(schema) = schemas.get_mut(name) {
                input_object(name, schema);
            }
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                continue;
            };
            for p in params {
                let query = p.get("in").and_then(Value::as_str) == Some("query");
                let required = p.get("required").and_then(Value::as_bool) == Some(true);
                if let Some(schema) = p.get_mut("schema") {
                    // A query parameter sent blank counts as not sent: a required one must
                    // hold something.
                    text(schema, if query && required { NOT_BLANK } else { TEXT });
                }
                if query
                    && !required
                    && let Some(p) = p.as_object_mut()
                {
                    p.insert("allowEmptyValue".into(), Value::Bool(true));
                }
            }
        }
    }
}

/// Names of the component schemas that requests carry (bodies and parameters), with the
/// schemas those refer to.
fn input_schemas(doc: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut todo: Vec<&Value> = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for op in item.values() {
                todo.extend(op.get("requestBody"));
                todo.extend(op.get("parameters"));
            }
        }
    }
    let schemas = doc.pointer("/components/schemas");
    while let Some(v) = todo.pop() {
        match v {
            Value::Object(m) => {
                if let Some(name) = m
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    && found.insert(name.to_owned())
                {
                    todo.extend(schemas.and_then(|s| s.get(name)));
                }
                todo.extend(m.values());
            }
            Value::Array(a) => todo.extend(a),
            _ => {}
        }
    }
    found
}

fn is_string(schema: &Map<String, Value>) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

fn is_nullable(schema: &Map<String, Value>) -> bool {
    matches!(schema.get("type"), Some(Value::Array(ts)) if ts.iter().any(|t| t == "null"))
}

/// A free-text string (no format, values or pattern of its own) gets `pattern`.
fn text(schema: &mut Value, pattern: &str) {
    let Some(s) = schema.as_object_mut() else {
        return;
    };
    if is_string(s)
        && !["format", "enum", "const", "pattern"]
            .iter()
            .any(|k| s.contains_key(*k))
    {
        s.insert("pattern".into(), pattern.into());
    }
}

/// A `u32` (utoipa writes `int32` with `minimum: 0`) takes values up to 4294967295, past
/// what `int32` allows.
fn unsigned(p: &mut Map<String, Value>) {
    let integer = match p.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
        _ => false,
    };
    if integer
        && p.get("format").and_then(Value::as_str) == Some("int32")
        && p.get("minimum").and_then(Value::as_i64) == Some(0)
        && !p.contains_key("maximum")
    {
        p.insert("format".into(), "int64".into());
        p.insert("maximum".into(), u32::MAX.into());
    }
}

/// The rules for one input component (an object of fields, or an enum left alone).
fn input_object(name: &str, schema: &mut Value) {
    let Some(s) = schema.as_object_mut() else {
        return;
    };
    let required: Vec<String> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if s.get("type").and_then(Value::as_str) == Some("object")
        && s.get("additionalProperties") != Some(&Value::Bool(false))
    {
        // Unknown fields (the other parts of a form) are ignored, but they are text like
        // any other, names and values.
        s.insert("propertyNames".into(), json!({ "pattern": TEXT }));
        s.insert(
            "additionalProperties".into(),
            json!({ "type": "string", "pattern": TEXT }),
        );
    }
    let Some(props) = s.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (field, prop) in props.iter_mut() {
        let rule = FIELDS
            .iter()
            .find(|(n, f, _)| *n == name && f == field)
            .map(|(_, _, r)| *r);
        let Some(p) = prop.as_object_mut() else {
            continue;
        };
        match rule {
            Some(Rule::Email) => {
                p.insert("format".into(), "email".into());
                p.insert("maxLength".into(), 254.into());
            }
            Some(Rule::OptionalEmail) => {
                let description = p.remove("description");
                p.clear();
                p.insert(
                    "anyOf".into(),
                    json!([
                        { "type": "string", "format": "email", "maxLength": 254 },
                        { "type": "string", "pattern": "^[\\t\\n\\r ]*$" },
                        { "type": "null" },
                    ]),
                );
                if let Some(d) = description {
                    p.insert("description".into(), d);
                }
            }
            Some(Rule::NewPassword) => {
                p.insert("minLength".into(), 10.into());
                p.insert("maxLength".into(), 256.into());
                p.insert("pattern".into(), TEXT.into());
            }
            Some(Rule::Required(max)) => {
                p.insert("minLength".into(), 1.into());
                p.insert("maxLength".into(), max.into());
                p.insert("pattern".into(), NOT_BLANK.into());
            }
            Some(Rule::Max(max)) => {
                p.insert("maxLength".into(), max.into());
                text(prop, TEXT);
            }
            Some(Rule::Text) => text(prop, TEXT),
            Some(Rule::Pattern(pattern)) => {
                p.insert("pattern".into(), pattern.into());
            }
            Some(Rule::Range(min, max)) => {
                p.insert("minimum".into(), min.into());
                p.insert("maximum".into(), max.into());
            }
            None => {
                unsigned(p);
                let must = required.contains(field) && is_string(p) && !is_nullable(p);
                if must && !p.contains_key("format") && !p.contains_key("enum") {
                    p.insert("minLength".into(), 1.into());
                    text(prop, NOT_BLANK);
                } else {
                    text(prop, TEXT);
                    // Lists of text (skills, ids) hold text too.
                    if let Some(items) = prop.get_mut("items") {
                        text(items, TEXT);
                    }
                }
            }
        }
    }
}
