//! The rule every text input passes on its way in: no control characters except tab, line
//! feed and carriage return. A NUL cannot be stored by PostgreSQL (SQLite would keep it),
//! and the others are never typed by a person, so both databases are spared them alike and
//! the client is told, with a 422 naming the field, what to fix. The extractors apply it to
//! JSON bodies ([`crate::error::ApiJson`]), forms and uploads; [`refuse_in_query`] to every
//! query string.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use formula_app::AppError;
use formula_domain::errors::{CONTROL_CHARACTERS as MESSAGE, FieldErrors, has_refused_chars};
use serde_json::Value;

use crate::error::{ApiError, PageError};

/// Whether `c` is refused in text: a control character other than tab, LF and CR (the
/// domain's rule, which spreadsheet imports apply to their cells too).
pub use formula_domain::errors::is_refused_char as is_refused;

fn has_refused(text: &str) -> bool {
    has_refused_chars(text)
}

/// A field name as it can be shown: a name that itself holds control characters is escaped.
fn shown(name: &str) -> String {
    if has_refused(name) {
        name.escape_default().to_string()
    } else {
        name.to_owned()
    }
}

fn refuse(errors: &mut FieldErrors, field: &str) {
    if errors.get(field).is_none() {
        errors.add(field, MESSAGE);
    }
}

/// Checks named values (a query string, a form, the text parts of an upload); a name
/// holding a refused character is refused too.
pub fn check_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for (name, value) in pairs {
        if has_refused(name) || has_refused(value) {
            refuse(&mut errors, &shown(name));
        }
    }
    errors
}

/// Checks every string of a JSON body, and every key, naming each by its path
/// (`name`, `contacts[0].email`).
pub fn check_json(value: &Value) -> FieldErrors {
    let mut errors = FieldErrors::new();
    walk(value, "", &mut errors);
    errors
}

fn walk(value: &Value, path: &str, errors: &mut FieldErrors) {
    match value {
        Value::String(s) if has_refused(s) => refuse(errors, path),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), errors);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let key_path = if path.is_empty() {
                    shown(key)
                } else {
                    format!("{path}.{}", shown(key))
                };
                if has_refused(key) {
                    refuse(errors, &key_path);
                } else {
                    walk(item, &key_path, errors);
                }
            }
        }
        _ => {}
    }
}

/// Middleware: a query string holding a refused character is answered 422 naming the
/// parameter, as problem+json under `/api/` and as a page elsewhere. One that cannot be
/// decoded at all is left to the handler, which says so in its own way.
pub async fn refuse_in_query(req: Request, next: Next) -> Response {
    let errors = req
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .map(|pairs| check_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
        .unwrap_or_default();
    if errors.is_empty() {
        return next.run(req).await;
    }
    let error = AppError::Validation(errors);
    if req.uri().path().starts_with("/api/") {
        ApiError::from(error).into_response()
    } else {
        PageError::App(error).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(e: &FieldErrors) -> Vec<&str> {
        e.0.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn only_tab_lf_and_cr_of_the_control_characters_pass() {
        for c in ['\t', '\n', '\r', 'a', 'é', ' ', '\u{202e}'] {
            assert!(!is_refused(c), "{c:?}");
        }
        for c in ['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            assert!(is_refused(c), "{c:?}");
        }
    }

    #[test]
    fn json_strings_and_keys_are_named_by_their_path() {
        let body = json!({
            "name": "ok\ttoo",
            "notes": "bell\u{7}",
            "contacts": [{"email": "fine"}, {"email": "a\u{0}b"}],
            "extra": {"bad\u{1}key": 1},
        });
        let e = check_json(&body);
        let mut named = fields(&e);
        named.sort_unstable();
        assert_eq!(
            named,
            ["contacts[1].email", "extra.bad\\u{1}key", "notes"],
            "{e:?}"
        );
        assert!(check_json(&json!({"n": 1, "t": "line\r\nnext"})).is_empty());
    }

    #[test]
    fn pairs_are_named_once() {
        let e = check_pairs([("q", "\u{0}"), ("q", "\u{1}"), ("sort", "name")]);
        assert_eq!(fields(&e), ["q"]);
    }
}
