//! Field-level validation errors, shared by every use case.

use serde::Serialize;

/// One problem with one input field, phrased so the user knows what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A collection of field errors; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Message for a field, if any (used to render errors beside form fields).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    /// `Ok(())` when no errors were collected.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// What a field holding a refused control character is told.
pub const CONTROL_CHARACTERS: &str =
    "must not contain control characters (only tab, line feed and carriage return are allowed)";

/// Whether `c` is refused in any text coming in: a control character other than tab, line
/// feed and carriage return. PostgreSQL cannot store a NUL (SQLite would keep it), and the
/// others are never typed by a person, so both databases are spared them alike.
pub fn is_refused_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether `text` holds a character [`is_refused_char`] refuses.
pub fn has_refused_chars(text: &str) -> bool {
    text.chars().any(is_refused_char)
}

/// Trims a required text field and checks its length.
pub fn required_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.add(field, "is required");
    } else if v.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    }
    v.to_owned()
}

/// Trims an optional text field (empty becomes `None`) and checks its length.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    }
    Some(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_but_tab_and_line_breaks_are_refused() {
        for c in ['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}'] {
            assert!(has_refused_chars(&format!("a{c}b")), "{c:?}");
        }
        assert!(!has_refused_chars("tab\tline\r\nbreak, ünïcode, \u{202e}"));
    }
}
