//! Keeps secrets out of the log: every formatted line passes through [`redact_line`] before
//! it is written, whoever logged it (our code, sqlx, a panic message).
//!
//! - In JSON lines, the value of any key that names a secret (see [`is_sensitive`]) is
//!   replaced, at any depth; string values holding JSON are parsed and redacted too.
//! - In any text (pretty lines, messages, URLs inside strings), `name=value` and
//!   `name: value` pairs whose name is sensitive lose their value, so
//!   `/reset?token=abc&x=1` becomes `/reset?token=[REDACTED]&x=1`.
//!
//! Redacting the formatted line rather than each field catches secrets that arrive nested
//! inside a field's text, at the price of parsing lines that mention a sensitive word.

use std::io::{self, Write};

use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Key fragments that mark a value as secret (compared case-insensitively).
const SENSITIVE: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "session",
    "csrf",
];

/// Whether a key names a secret (`password`, `X-CSRF-Token`, `db_password_hash`, …).
pub fn is_sensitive(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SENSITIVE.iter().any(|s| key.contains(s))
}

fn mentions_sensitive(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    SENSITIVE.iter().any(|s| lower.contains(s))
}

/// Redacts one formatted log line (JSON or text; a trailing newline is kept).
pub fn redact_line(line: &str) -> String {
    if !mentions_sensitive(line) {
        return line.to_owned();
    }
    let (body, newline) = match line.strip_suffix('\n') {
        Some(b) => (b, "\n"),
        None => (line, ""),
    };
    if body.trim_start().starts_with('{')
        && let Ok(mut value) = serde_json::from_str::<Value>(body)
    {
        redact_value(&mut value);
        return format!("{value}{newline}");
    }
    format!("{}{newline}", redact_text(body))
}

/// Redacts a JSON value in place.
pub fn redact_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if is_sensitive(key) && !v.is_null() {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    redact_value(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::String(s) => {
            if !mentions_sensitive(s) {
                return;
            }
            let trimmed = s.trim_start();
            if (trimmed.starts_with('{') || trimmed.starts_with('['))
                && let Ok(mut inner) = serde_json::from_str::<Value>(s)
            {
                redact_value(&mut inner);
                *s = inner.to_string();
            } else {
                *s = redact_text(s);
            }
        }
        _ => {}
    }
}

/// Skips ANSI colour sequences (`ESC [ … m`) that pretty output puts around field names.
fn skip_ansi(b: &[u8], mut i: usize) -> usize {
    while i + 1 < b.len() && b[i] == 0x1b && b[i + 1] == b'[' {
        let mut j = i + 2;
        while j < b.len() && !b[j].is_ascii_alphabetic() {
            j += 1;
        }
        i = (j + 1).min(b.len());
    }
    i
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    loop {
        let j = skip_ansi(b, i);
        if j < b.len() && b[j] == b' ' {
            i = j + 1;
        } else {
            return j;
        }
    }
}

/// Redacts `name=value`, `name: value`, `"name": "value"` and `name=\"value\"` where `name`
/// is sensitive. Values end at the closing quote, or at `&`, whitespace or punctuation that
/// ends a value; `Bearer`/`Basic` schemes are kept so the line still says what was sent.
pub fn redact_text(text: &str) -> String {
    let b = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut pos = 0;
    while pos < b.len() {
        let Some((start, len)) = SENSITIVE
            .iter()
            .filter_map(|s| lower[pos..].find(s).map(|i| (pos + i, s.len())))
            .min()
        else {
            break;
        };
        // The whole name: `password_hash`, `x-csrf-token`.
        let mut j = start + len;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-') {
            j += 1;
        }
        let name_end = j;
        // A closing quote of a quoted key: `"password"` or `\"password\"`.
        let mut k = skip_ansi(b, j);
        if k < b.len() && b[k] == b'\\' && b.get(k + 1) == Some(&b'"') {
            k += 2;
        } else if k < b.len() && b[k] == b'"' {
            k += 1;
        }
        k = skip_spaces(b, k);
        if k >= b.len() || (b[k] != b'=' && b[k] != b':') {
            pos = name_end;
            continue;
        }
        let mut v = skip_spaces(b, k + 1);
        // Keep an authorization scheme, redact the credential after it.
        for scheme in ["bearer ", "basic "] {
            if lower[v.min(lower.len())..].starts_with(scheme) {
                v += scheme.len();
            }
        }
        let end = value_end(b, v);
        let (v, end) = match end {
            ValueEnd::Quoted { open, close } => (v + open, close),
            ValueEnd::Bare(e) => (v, e),
        };
        if end > v {
            out.push_str(&text[copied..v]);
            out.push_str(REDACTED);
            copied = end;
        }
        pos = end.max(name_end);
    }
    out.push_str(&text[copied..]);
    out
}

enum ValueEnd {
    /// A quoted value: the quote is `open` bytes long; the value ends at `close`.
    Quoted {
        open: usize,
        close: usize,
    },
    Bare(usize),
}

fn value_end(b: &[u8], v: usize) -> ValueEnd {
    if v < b.len() && b[v] == b'\\' && b.get(v + 1) == Some(&b'"') {
        // `\"value\"`, as Debug formatting writes strings inside text.
        let mut i = v + 2;
        while i + 1 < b.len() && !(b[i] == b'\\' && b[i + 1] == b'"') {
            i += 1;
        }
        return ValueEnd::Quoted {
            open: 2,
            close: i.min(b.len()),
        };
    }
    if v < b.len() && b[v] == b'"' {
        let mut i = v + 1;
        while i < b.len() && b[i] != b'"' {
            if b[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        return ValueEnd::Quoted {
            open: 1,
            close: i.min(b.len()),
        };
    }
    // A structure (`[…]`, `{…}`, or Debug output such as `String("…")`, `Some(…)`) is
    // redacted whole, through its matching bracket.
    let mut i = v;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    if i < b.len() && (b[i] == b'(' || b[i] == b'[' || b[i] == b'{') && (i == v || b[i] != b'[') {
        return ValueEnd::Bare(balanced_end(b, i));
    }
    // `Object {…}`, as serde_json's Debug output writes maps.
    if i > v && i + 1 < b.len() && b[i] == b' ' && b[i + 1] == b'{' {
        return ValueEnd::Bare(balanced_end(b, i + 1));
    }
    let mut i = v;
    while i < b.len()
        && !matches!(
            b[i],
            b'&' | b' ' | b'\t' | b'\n' | b',' | b';' | b'}' | b']' | b')' | b'"' | b'\'' | 0x1b
        )
    {
        i += 1;
    }
    ValueEnd::Bare(i)
}

/// The index after the bracket that closes the one at `open`, skipping quoted text; the
/// end of the text when it never closes.
fn balanced_end(b: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// A `MakeWriter` whose writers redact each formatted event before passing it on.
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

/// Writes redacted lines to the inner writer. The fmt layer writes each event with one
/// `write_all` of the complete, formatted event, so every `write` holds whole lines.
pub struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact_line(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects everything written, for assertions.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    const SECRETS: &[&str] = &[
        "hunter2-pass",
        "s3cr3t-value",
        "tok-123456",
        "Bearer-xyz",
        "cookie-abc",
        "key-999",
        "sess-777",
        "csrf-555",
        "reset-tok-1",
        "pw-in-url",
        "nested-pw",
        "debug-pw",
    ];

    fn log_everything() {
        let payload = serde_json::json!({
            "user": {"email": "a@example.com", "password": "hunter2-pass",
                     "profile": {"client_secret": "s3cr3t-value", "tokens": ["tok-123456"]}},
            "headers": {"Authorization": "Bearer Bearer-xyz", "Cookie": "formula_session=cookie-abc"},
            "api_key": "key-999",
            "inner": "{\"session_id\": \"sess-777\", \"ok\": 1}",
        })
        .to_string();
        tracing::info!(
            payload = %payload,
            csrf_token = "csrf-555",
            url = "https://pm.example.com/reset-password?token=reset-tok-1&lang=en",
            db = "postgres://pm@db/x?password=pw-in-url",
            form = ?serde_json::json!({"a": {"b": {"passwd": "nested-pw"}}}),
            "user signed in with password: debug-pw and more"
        );
    }

    fn captured_with(json: bool) -> String {
        let out = Captured::default();
        let writer = Redacting(out.clone());
        let builder = tracing_subscriber::fmt()
            .with_writer(writer)
            .with_ansi(false);
        if json {
            let sub = builder.json().flatten_event(true).finish();
            tracing::subscriber::with_default(sub, log_everything);
        } else {
            let sub = builder.finish();
            tracing::subscriber::with_default(sub, log_everything);
        }
        out.text()
    }

    #[test]
    fn no_secret_survives_in_json_lines() {
        let text = captured_with(true);
        assert!(text.contains("a@example.com"), "{text}");
        assert!(text.contains("lang=en"), "{text}");
        for s in SECRETS {
            assert!(!text.contains(s), "{s} leaked: {text}");
        }
        let line: Value = serde_json::from_str(text.trim()).expect("still one JSON line");
        assert_eq!(line["csrf_token"], REDACTED);
    }

    #[test]
    fn no_secret_survives_in_pretty_lines() {
        let text = captured_with(false);
        assert!(text.contains("a@example.com"), "{text}");
        for s in SECRETS {
            assert!(!text.contains(s), "{s} leaked: {text}");
        }
    }

    #[test]
    fn text_pairs_are_redacted_and_the_rest_kept() {
        assert_eq!(
            redact_text("GET /x?a=1&access_token=abc&b=2"),
            "GET /x?a=1&access_token=[REDACTED]&b=2"
        );
        assert_eq!(
            redact_text("Authorization: Bearer abc.def"),
            "Authorization: Bearer [REDACTED]"
        );
        assert_eq!(
            redact_text("listing tokens for a user"),
            "listing tokens for a user"
        );
        assert_eq!(
            redact_text(r#"{"password": "a\"b", "x": 1}"#),
            r#"{"password": "[REDACTED]", "x": 1}"#
        );
        let colored = "\u{1b}[3mpassword\u{1b}[0m\u{1b}[2m=\u{1b}[0m\"pw\" next";
        assert!(!redact_text(colored).contains("pw\""));
    }

    #[test]
    fn lines_without_sensitive_words_pass_unchanged() {
        let line = "{\"route\":\"/api/v1/users/{id}\",\"status\":200}\n";
        assert_eq!(redact_line(line), line);
    }
}
