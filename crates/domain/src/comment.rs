//! Comments: what can be discussed, who may read a comment (internal unless marked visible
//! to the client), and the words in a comment that mean something: `@mentions` of people
//! and the codes of items, drawings and specifications.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::errors::FieldErrors;

/// The longest comment, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;
/// At most this many mentions and this many code references count per comment.
pub const MAX_MENTIONS: usize = 20;
pub const MAX_REFERENCES: usize = 100;

/// A kind of record that can be discussed and followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Project,
    Task,
    ScopeItem,
    Drawing,
    DrawingRevision,
    Spec,
}

impl RecordKind {
    pub const ALL: [RecordKind; 6] = [
        RecordKind::Project,
        RecordKind::Task,
        RecordKind::ScopeItem,
        RecordKind::Drawing,
        RecordKind::DrawingRevision,
        RecordKind::Spec,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Project => "project",
            RecordKind::Task => "task",
            RecordKind::ScopeItem => "scope_item",
            RecordKind::Drawing => "drawing",
            RecordKind::DrawingRevision => "drawing_revision",
            RecordKind::Spec => "spec",
        }
    }

    /// The word a person would use for it.
    pub fn noun(self) -> &'static str {
        match self {
            RecordKind::Project => "project",
            RecordKind::Task => "task",
            RecordKind::ScopeItem => "scope item",
            RecordKind::Drawing => "drawing",
            RecordKind::DrawingRevision => "drawing revision",
            RecordKind::Spec => "specification",
        }
    }
}

impl std::str::FromStr for RecordKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                "must be project, task, scope_item, drawing, drawing_revision or spec".to_owned()
            })
    }
}

/// Who may read a comment besides the contractor's team.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The contractor's team only (the default).
    #[default]
    Internal,
    /// Also the client's users who can see the record.
    Client,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Internal => "internal",
            Visibility::Client => "client",
        }
    }
}

impl std::str::FromStr for Visibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "internal" => Ok(Visibility::Internal),
            "client" => Ok(Visibility::Client),
            _ => Err("must be internal or client".to_owned()),
        }
    }
}

/// A comment as stored. A deleted comment keeps its place but never shows its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: Uuid,
    /// The discussed record (its id is the thread's id).
    pub record_kind: RecordKind,
    pub record_id: Uuid,
    pub project_id: Uuid,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub visibility: Visibility,
    pub body: String,
    pub created_at: OffsetDateTime,
    pub edited_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// An earlier wording of an edited comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CommentEdit {
    pub body: String,
    pub edited_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub edited_at: OffsetDateTime,
}

/// Checks a comment's text: not blank, not longer than [`MAX_BODY_CHARS`]. Returns it with
/// surrounding blank lines removed.
pub fn check_body(errors: &mut FieldErrors, body: &str) -> String {
    let body = body.trim_end().trim_start_matches(['\n', '\r']);
    if body.trim().is_empty() {
        errors.add("body", "Write something before posting.");
    } else if body.chars().count() > MAX_BODY_CHARS {
        errors.add(
            "body",
            format!("A comment can be at most {MAX_BODY_CHARS} characters; split it in two."),
        );
    }
    body.to_owned()
}

/// The parts of a comment's text that are prose, not code: inline code spans and fenced or
/// indented code blocks are left out, so `@x` or `SD-101` written as code stays code.
fn prose_lines(body: &str) -> impl Iterator<Item = String> + '_ {
    let mut fenced = false;
    body.lines().filter_map(move |line| {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            return None;
        }
        if fenced || line.starts_with("    ") || line.starts_with('\t') {
            return None;
        }
        // Drop inline code spans: every other piece between backticks.
        Some(line.split('`').step_by(2).collect::<Vec<_>>().join(" "))
    })
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '@')
}

/// The people a comment mentions, as written: `@hannah.keller` (the part of their e-mail
/// address before the `@`) or `@hannah.keller@example.com` (the whole address). Lowercased,
/// without duplicates, in order of appearance, at most [`MAX_MENTIONS`].
pub fn mentions(body: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for line in prose_lines(body) {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let starts = chars[i] == '@' && (i == 0 || !is_handle_char(chars[i - 1]));
            if !starts {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < chars.len() && is_handle_char(chars[j]) {
                j += 1;
            }
            let handle: String = chars[i + 1..j].iter().collect();
            let handle = handle.trim_end_matches(['.', '-', '@', '+']).to_lowercase();
            if !handle.is_empty() && !found.contains(&handle) && found.len() < MAX_MENTIONS {
                found.push(handle);
            }
            i = j.max(i + 1);
        }
    }
    found
}

/// Does `handle` (from [`mentions`]) name the person with this e-mail address?
pub fn handle_matches(handle: &str, email: &str) -> bool {
    let email = email.to_lowercase();
    if handle.contains('@') {
        return email == handle;
    }
    email.split('@').next() == Some(handle)
}

/// The handle to write for a person: the part of their address before the `@`.
pub fn handle_of(email: &str) -> String {
    email.split('@').next().unwrap_or(email).to_lowercase()
}

fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/')
}

/// Words that look like an item code, drawing number or specification code (`SD-101`,
/// `FPM-26-001-M-004`): letters and digits with a `-`, `.`, `_` or `/` inside, at least one
/// of each. Which of them really exist in the project is for the caller to look up.
pub fn reference_candidates(body: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for line in prose_lines(body) {
        for word in line.split(|c: char| !is_code_char(c)) {
            let word = word.trim_matches(|c: char| matches!(c, '-' | '.' | '_' | '/'));
            let looks_like_code = (2..=64).contains(&word.len())
                && word.chars().any(|c| c.is_ascii_digit())
                && word.chars().any(|c| c.is_ascii_alphabetic())
                && word.contains(['-', '.', '_', '/']);
            if looks_like_code && !found.iter().any(|f| f == word) {
                if found.len() == MAX_REFERENCES {
                    return found;
                }
                found.push(word.to_owned());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_in_prose_not_in_code_or_addresses() {
        let body = "Thanks @Hannah.Keller, and @tom@example.com.\n\
                    mail me at anna@example.com\n`@not.this` here\n```\n@nor.this\n```\n@hannah.keller again";
        assert_eq!(mentions(body), vec!["hannah.keller", "tom@example.com"]);
    }

    #[test]
    fn a_handle_matches_the_local_part_or_the_whole_address() {
        assert!(handle_matches("hannah.keller", "Hannah.Keller@demo.test"));
        assert!(handle_matches(
            "hannah.keller@demo.test",
            "hannah.keller@demo.test"
        ));
        assert!(!handle_matches("hannah", "hannah.keller@demo.test"));
        assert_eq!(handle_of("Hannah.Keller@demo.test"), "hannah.keller");
    }

    #[test]
    fn codes_are_candidates_plain_words_and_numbers_are_not() {
        let body = "See SD-101 and FPM-26-001-M-004, not 2026 or well-known. `SD-999` is code.";
        assert_eq!(
            reference_candidates(body),
            vec!["SD-101", "FPM-26-001-M-004"]
        );
    }

    #[test]
    fn the_body_is_required_and_bounded() {
        let mut e = FieldErrors::new();
        check_body(&mut e, "  \n ");
        assert!(e.into_result().is_err());
        let mut e = FieldErrors::new();
        check_body(&mut e, &"x".repeat(MAX_BODY_CHARS + 1));
        assert!(e.into_result().is_err());
        let mut e = FieldErrors::new();
        assert_eq!(check_body(&mut e, "\n hi \n"), " hi");
        assert!(e.into_result().is_ok());
    }
}
