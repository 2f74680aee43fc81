//! Activity feeds: what happened on a project or a record, in the words a contractor would
//! use ("Hannah Keller approved SD-101 rev B as noted"), built from the audit trail and the
//! comments.
//!
//! Two rules live here because they must be the same wherever a feed is read:
//! - which audit entries a client user's feed may show ([`CLIENT_VISIBLE`], turned into SQL
//!   by the store): a short allow-list, so that anything added later stays internal until
//!   someone decides otherwise;
//! - how consecutive bulk changes are told as one ("moved 3 items to In progress"):
//!   [`Phrase::key`] and [`same_minute`].

use time::OffsetDateTime;

use crate::audit::FieldChange;
use crate::comment::RecordKind;
use crate::project::{ProjectRole, ProjectStatus};
use crate::scope::ScopeStatus;
use crate::spec::Procurement;
use crate::task::TaskStatus;

/// The audit entries a client user's feed shows, per kind of record: their project's status,
/// its tasks and files, and what was submitted to them and decided. Never the scope of work
/// (prices and costs), drafts, procurement, settings or the team's internal changes; and
/// never the entries' details (old and new values), only the sentence phrased from them.
pub const CLIENT_VISIBLE: &[(&str, &[&str])] = &[
    (
        "project",
        &["create", "status_change", "reopen", "attach", "detach"],
    ),
    (
        "task",
        &[
            "create",
            "update",
            "status_change",
            "delete",
            "attach",
            "detach",
        ],
    ),
    ("drawing", &["submit", "review"]),
    ("spec", &["submit", "review"]),
    // A variation's entries once it is submitted to the client (never its pricing).
    ("variation", &["submit", "review"]),
];

/// The audit actions of comments. Feeds read comments from the comments themselves (their
/// visibility is there, and their audit entries carry the text of earlier wordings), so
/// these entries are left out of every feed.
pub const COMMENT_ACTIONS: &[&str] = &["comment", "edit comment", "delete comment"];

/// The actions whose sentence does not depend on what the entry changed: feeds need not
/// read those entries' changes (a creation's or an import's are the whole record, and
/// imports come by the hundred). [`phrase`] must ignore the changes of each; a test checks.
pub const TOLD_WITHOUT_CHANGES: &[&str] = &[
    "create",
    "import",
    "delete",
    "upload",
    "submit",
    "link",
    "reopen",
    "release",
    "release_override",
    "review_settings",
];

/// Whether a client user's feed may show an audit entry of `action` on `entity_type`.
pub fn client_may_see(entity_type: &str, action: &str) -> bool {
    CLIENT_VISIBLE
        .iter()
        .any(|(t, actions)| *t == entity_type && actions.contains(&action))
}

/// Two moments in the same minute of the clock (bulk changes told as one happened in one).
pub fn same_minute(a: OffsetDateTime, b: OffsetDateTime) -> bool {
    a.unix_timestamp().div_euclid(60) == b.unix_timestamp().div_euclid(60)
}

/// How one change is told: `{actor} {verb} {noun} {label}{tail}` for one record, and
/// `{actor} {verb} {n} {plural}{tail}` for several changed alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub verb: String,
    /// What the record is ("task"), written before its label; empty when the label says it
    /// ("SD-101 rev B").
    pub noun: &'static str,
    pub plural: &'static str,
    pub tail: String,
    /// The label is free text (a title or a name), shown in quotes.
    pub quoted: bool,
    /// The record's label is part of the sentence (not for "added Tom to the team").
    pub labelled: bool,
}

impl Phrase {
    fn new(verb: impl Into<String>, noun: &'static str, plural: &'static str) -> Self {
        Phrase {
            verb: verb.into(),
            noun,
            plural,
            tail: String::new(),
            quoted: false,
            labelled: true,
        }
    }

    fn tail(mut self, tail: impl Into<String>) -> Self {
        self.tail = tail.into();
        self
    }

    fn quoted(mut self) -> Self {
        self.quoted = true;
        self
    }

    fn unlabelled(mut self) -> Self {
        self.labelled = false;
        self
    }

    /// What comes before the record's label, and the label as shown: for one record.
    pub fn before(&self) -> String {
        if !self.labelled || self.noun.is_empty() {
            format!("{} ", self.verb)
        } else {
            format!("{} {} ", self.verb, self.noun)
        }
    }

    /// The label as the sentence shows it (quoted when it is free text; empty when the
    /// sentence does not name the record).
    pub fn label(&self, label: &str) -> String {
        if !self.labelled {
            String::new()
        } else if self.quoted {
            format!("“{label}”")
        } else {
            label.to_owned()
        }
    }

    /// The sentence after the actor's name, for one record.
    pub fn one(&self, label: &str) -> String {
        let before = self.before();
        let label = self.label(label);
        if label.is_empty() {
            format!("{}{}", before.trim_end(), self.tail)
        } else {
            format!("{before}{label}{}", self.tail)
        }
    }

    /// The sentence after the actor's name, for `n` records changed alike.
    pub fn many(&self, n: usize) -> String {
        format!("{} {n} {}{}", self.verb, self.plural, self.tail)
    }

    /// Changes whose phrases share this key differ only by the record, so several of them
    /// by one person in one minute are told as one.
    pub fn key(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}",
            self.verb, self.plural, self.tail, self.labelled
        )
    }
}

/// The words for a kind of record: singular, plural, whether its label is free text.
fn noun_of(entity_type: &str) -> (&'static str, &'static str, bool) {
    match entity_type {
        "project" => ("project", "projects", false),
        "task" => ("task", "tasks", true),
        "scope_group" => ("scope group", "scope groups", true),
        "scope_item" => ("item", "items", false),
        "drawing" => ("drawing", "drawings", false),
        "drawing_revision" => ("", "drawing revisions", false),
        "spec" => ("specification", "specifications", false),
        "location" => ("location", "locations", false),
        "room_type" => ("room type", "room types", false),
        "installation" => ("an installation of", "installations", false),
        "snag" => ("snag", "snags", false),
        "variation" => ("variation", "variations", false),
        "rfi" => ("RFI", "RFIs", false),
        "purchase_order" => ("purchase order", "purchase orders", false),
        _ => ("record", "records", false),
    }
}

/// The noun phrase for a record kind in a comment's sentence.
pub fn comment_phrase(kind: RecordKind) -> Phrase {
    let (noun, plural, quoted) = noun_of(kind.as_str());
    let p = Phrase::new("commented on", noun, plural);
    if quoted { p.quoted() } else { p }
}

fn change<'a>(changes: &'a [FieldChange], field: &str) -> Option<&'a FieldChange> {
    changes.iter().find(|c| c.field == field)
}

fn new_str<'a>(changes: &'a [FieldChange], field: &str) -> Option<&'a str> {
    change(changes, field).and_then(|c| c.new.as_str())
}

/// Fields that are bookkeeping, or repeat another field in other words.
const UNTOLD: &[&str] = &[
    "updated_by_name",
    "updated_at",
    "created_at",
    "completed_at",
    "submitted_at",
    "decided_at",
    "project_code",
    "project_name",
    "client_name",
    "manager_name",
    "group_name",
    "position",
    "version",
    "total_minor",
    "currency",
];

/// The changed fields in words ("due date, priority"), at most four.
fn fields_in_words(changes: &[FieldChange]) -> String {
    let mut words: Vec<String> = Vec::new();
    for c in changes {
        if UNTOLD.contains(&c.field.as_str()) {
            continue;
        }
        let mut f = c.field.as_str();
        for suffix in ["_minor", "_milli", "_ids", "_id", "_name"] {
            f = f.strip_suffix(suffix).unwrap_or(f);
        }
        let w = f.replace('_', " ");
        if !w.is_empty() && !words.contains(&w) {
            words.push(w);
        }
    }
    let more = words.len() > 4;
    words.truncate(4);
    let mut s = words.join(", ");
    if more {
        s.push_str(", …");
    }
    s
}

fn updated(noun: (&'static str, &'static str, bool), changes: &[FieldChange]) -> Phrase {
    let fields = fields_in_words(changes);
    let p = Phrase::new("updated", noun.0, noun.1);
    let p = if noun.2 { p.quoted() } else { p };
    if fields.is_empty() {
        p
    } else {
        p.tail(format!(" ({fields})"))
    }
}

/// A review decision in words: the verb and what follows the record.
fn decided(status: Option<&str>) -> (&'static str, &'static str) {
    match status {
        Some("approved") => ("approved", ""),
        Some("approved_as_noted") => ("approved", " as noted"),
        Some("revise_and_resubmit") => ("sent", " back for revision"),
        Some("rejected") => ("rejected", ""),
        _ => ("reviewed", ""),
    }
}

/// The person's name in a team change (`{"user": name, "role": role}`).
fn member_of(c: Option<&FieldChange>) -> (String, Option<String>) {
    let Some(c) = c else {
        return ("someone".into(), None);
    };
    let v = if c.new.is_object() { &c.new } else { &c.old };
    let name = v
        .get("user")
        .and_then(|u| u.as_str())
        .unwrap_or("someone")
        .to_owned();
    let role = v.get("role").and_then(|r| r.as_str()).map(|r| {
        r.parse::<ProjectRole>()
            .map_or(r.to_owned(), |r| r.label().to_owned())
    });
    (name, role)
}

fn file_of(changes: &[FieldChange]) -> String {
    change(changes, "attachment")
        .and_then(|c| c.new.as_str().or(c.old.as_str()))
        .unwrap_or("a file")
        .to_owned()
}

/// How an audit entry of `action` on `entity_type`, with `changes`, is told.
pub fn phrase(action: &str, entity_type: &str, changes: &[FieldChange]) -> Phrase {
    let noun = noun_of(entity_type);
    let plain = |verb: &str| {
        let p = Phrase::new(verb, noun.0, noun.1);
        if noun.2 { p.quoted() } else { p }
    };
    let status = new_str(changes, "status");
    match (entity_type, action) {
        (_, "create") => plain(if entity_type == "project" {
            "created"
        } else {
            "added"
        }),
        (_, "import") => plain("imported"),
        (_, "delete") => plain("deleted"),
        (_, "attach") => plain(&format!("attached {} to", file_of(changes))),
        (_, "detach") => plain(&format!("removed {} from", file_of(changes))),

        ("project", "status_change") => {
            let to = status
                .and_then(|s| s.parse::<ProjectStatus>().ok())
                .map_or("a new status", |s| s.label());
            plain("moved").tail(format!(" to {to}"))
        }
        ("project", "reopen") => plain("reopened"),
        ("installation", "install") => plain("recorded"),
        ("installation", "reverse") => plain("reversed"),
        ("project", "add_member") => {
            let (name, role) = member_of(change(changes, "member"));
            let p = plain(&format!("added {name} to the team")).unlabelled();
            match role {
                Some(r) => p.tail(format!(" as {r}")),
                None => p,
            }
        }
        ("project", "remove_member") => {
            let (name, _) = member_of(change(changes, "member"));
            plain(&format!("removed {name} from the team")).unlabelled()
        }
        ("project", "review_settings") => {
            plain("changed who reviews drawings and specifications").unlabelled()
        }
        ("project", "readiness_rule") => {
            // Since the rule has three values it is recorded as `materials_rule`; older
            // entries recorded the `require_materials_ordered` switch.
            let rule = change(changes, "materials_rule").and_then(|c| c.new.as_str());
            plain(match rule {
                Some("approved") => "now lets items be ready once their materials are approved",
                Some("ordered") => "now requires materials to be ordered before items are ready",
                Some("delivered") => {
                    "now requires materials to be delivered in full before items are ready"
                }
                _ if change(changes, "require_materials_ordered")
                    .is_some_and(|c| c.new == true) =>
                {
                    "now requires materials to be ordered before items are ready"
                }
                _ => "no longer requires materials to be ordered before items are ready",
            })
            .unlabelled()
        }

        ("task", "status_change") => match status.and_then(|s| s.parse::<TaskStatus>().ok()) {
            Some(TaskStatus::Completed) => plain("completed"),
            Some(TaskStatus::Cancelled) => plain("cancelled"),
            Some(s) => plain("moved").tail(format!(" to {}", s.label())),
            None => plain("moved"),
        },
        ("task", "update") => match change(changes, "assignee_name") {
            Some(c) => match c.new.as_str() {
                Some(name) => plain("assigned").tail(format!(" to {name}")),
                None => plain("unassigned"),
            },
            None => updated(noun, changes),
        },

        ("scope_item", "status_change") => {
            let to = status
                .and_then(|s| s.parse::<ScopeStatus>().ok())
                .map_or("a new status", |s| s.label());
            plain("moved").tail(format!(" to {to}"))
        }
        ("scope_item" | "scope_group", "move") => match new_str(changes, "group") {
            Some(group) => plain("moved").tail(format!(" to {group}")),
            None => plain("reordered"),
        },
        ("scope_item", "release") => plain("released").tail(" to production"),
        ("location", "create_pattern") => {
            Phrase::new("added levels and rooms to", "building", "buildings")
                .tail(" from a pattern")
        }
        ("scope_item", "release_override") => {
            plain("released").tail(" to production despite what blocked it")
        }

        ("drawing", "link") | ("spec", "link") => plain("linked").tail(" to scope items"),
        ("drawing", "upload") => Phrase::new("uploaded", "", "drawing revisions"),
        ("drawing", "submit") => {
            Phrase::new("submitted", "", "drawing revisions").tail(" for review")
        }
        ("drawing", "review") => {
            let (verb, tail) = decided(status);
            Phrase::new(verb, "", "drawing revisions").tail(tail)
        }
        ("spec", "submit") => plain("submitted").tail(" for approval"),
        ("spec", "review") => {
            let (verb, tail) = decided(status);
            plain(verb).tail(tail)
        }
        ("spec", "procurement") => {
            match new_str(changes, "procurement").and_then(|p| p.parse::<Procurement>().ok()) {
                Some(p) => plain("marked").tail(format!(" {}", p.label().to_lowercase())),
                None => updated(noun, changes),
            }
        }

        ("snag", "fix") => plain("marked").tail(" fixed"),
        ("snag", "verify") => plain("verified"),
        ("snag", "close") => plain("closed"),
        ("snag", "reject") => plain("rejected"),
        ("snag", "reopen") => plain("reopened"),
        ("rfi", "answer") => plain("answered"),
        ("rfi", "close") => plain("closed"),
        ("rfi", "reopen") => plain("reopened"),
        ("rfi", "send") => plain("mailed").tail(" with its PDF"),
        ("rfi", "link") => plain("linked").tail(" to drawings, items and rooms"),
        ("purchase_order", "approve") => plain("approved"),
        ("purchase_order", "send") => plain("sent").tail(" to the supplier with its PDF"),
        ("purchase_order", "cancel") => plain("cancelled"),
        ("purchase_order", "close") => plain("closed"),
        ("location", "sign_off") => Phrase::new("signed off", "room", "rooms"),
        ("location", "withdraw_signoff") => {
            Phrase::new("withdrew the sign-off of", "room", "rooms")
        }
        ("location", "signoff_reopened") => {
            Phrase::new("reopened the sign-off of", "room", "rooms").tail(" with a new snag")
        }

        (_, "update" | "status_change") => updated(noun, changes),
        (_, other) => plain(&other.replace('_', " ")),
    }
}

/// A comment's text as one plain line of at most `max` characters: the Markdown marks that
/// only shape it (bold, struck, code, quotes, list bullets, headings) are left out; the page
/// escapes the rest.
pub fn excerpt(body: &str, max: usize) -> String {
    let words: Vec<String> = body
        .lines()
        .map(|line| {
            let mut l = line.trim_start();
            loop {
                let before = l;
                for mark in ["> ", ">", "- ", "* ", "+ ", "#"] {
                    l = l.strip_prefix(mark).unwrap_or(l).trim_start();
                }
                if let Some((n, rest)) = l.split_once(". ")
                    && !n.is_empty()
                    && n.len() <= 3
                    && n.chars().all(|c| c.is_ascii_digit())
                {
                    l = rest.trim_start();
                }
                if l == before {
                    break;
                }
            }
            l.replace("**", "")
                .replace("__", "")
                .replace("~~", "")
                .replace('`', "")
        })
        .collect();
    let line = words
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// How long something has waited, in words: "just now", "12 minutes", "3 hours", "1 day",
/// "5 days", "5 weeks".
pub fn age(since: OffsetDateTime, now: OffsetDateTime) -> String {
    let secs = (now - since).whole_seconds().max(0);
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match secs {
        s if s < 60 => "just now".into(),
        s if s < 3_600 => plural(s / 60, "minute"),
        s if s < 86_400 => plural(s / 3_600, "hour"),
        s if s < 86_400 * 28 => plural(s / 86_400, "day"),
        s => plural(s / (86_400 * 7), "week"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn ch(field: &str, old: serde_json::Value, new: serde_json::Value) -> FieldChange {
        FieldChange {
            field: field.into(),
            old,
            new,
        }
    }

    fn said(action: &str, entity: &str, changes: &[FieldChange], label: &str) -> String {
        phrase(action, entity, changes).one(label)
    }

    #[test]
    fn reviews_read_as_a_contractor_would_say_them() {
        let as_noted = [ch("status", json!("submitted"), json!("approved_as_noted"))];
        assert_eq!(
            said("review", "drawing", &as_noted, "SD-101 rev B"),
            "approved SD-101 rev B as noted"
        );
        let back = [ch(
            "status",
            json!("submitted"),
            json!("revise_and_resubmit"),
        )];
        assert_eq!(
            said("review", "spec", &back, "V-01"),
            "sent specification V-01 back for revision"
        );
        assert_eq!(
            said("submit", "drawing", &[], "SD-101 rev B"),
            "submitted SD-101 rev B for review"
        );
        assert_eq!(
            said("upload", "drawing", &[], "SD-101 rev C"),
            "uploaded SD-101 rev C"
        );
    }

    #[test]
    fn installations_read_as_the_site_would_say_them() {
        assert_eq!(
            said("install", "installation", &[], "WSC-M-001 in T1-L03-0305"),
            "recorded an installation of WSC-M-001 in T1-L03-0305"
        );
        assert_eq!(
            said("reverse", "installation", &[], "WSC-M-001 in T1-L03-0305"),
            "reversed an installation of WSC-M-001 in T1-L03-0305"
        );
        assert_eq!(
            phrase("install", "installation", &[]).many(3),
            "recorded 3 installations"
        );
    }

    #[test]
    fn tasks_items_and_projects() {
        let done = [ch("status", json!("in_progress"), json!("completed"))];
        assert_eq!(
            said("status_change", "task", &done, "Site survey"),
            "completed task “Site survey”"
        );
        let assigned = [
            ch("assignee_id", json!(null), json!("x")),
            ch("assignee_name", json!(null), json!("Tom Craft")),
        ];
        assert_eq!(
            said("update", "task", &assigned, "Site survey"),
            "assigned task “Site survey” to Tom Craft"
        );
        let dates = [
            ch("due_date", json!(null), json!("2026-03-01")),
            ch("updated_by_name", json!("a"), json!("b")),
            ch("priority", json!("low"), json!("high")),
        ];
        assert_eq!(
            said("update", "task", &dates, "Survey"),
            "updated task “Survey” (due date, priority)"
        );
        let moved = [ch("status", json!("not_started"), json!("in_progress"))];
        assert_eq!(
            said("status_change", "scope_item", &moved, "FPM-001-M-004"),
            "moved item FPM-001-M-004 to In progress"
        );
        let active = [ch("status", json!("awarded"), json!("active"))];
        assert_eq!(
            said("status_change", "project", &active, "FPM-26-001"),
            "moved project FPM-26-001 to Active"
        );
        let member = [ch(
            "member",
            json!(null),
            json!({"user": "Tom Craft", "role": "designer"}),
        )];
        assert_eq!(
            said("add_member", "project", &member, "FPM-26-001"),
            "added Tom Craft to the team as Designer"
        );
        let file = [ch("attachment", json!(null), json!("plan.pdf"))];
        assert_eq!(
            said("attach", "task", &file, "Survey"),
            "attached plan.pdf to task “Survey”"
        );
        let ordered = [ch("procurement", json!("to_order"), json!("ordered"))];
        assert_eq!(
            said("procurement", "spec", &ordered, "V-01"),
            "marked specification V-01 ordered"
        );

        for (rule, words) in [
            (
                "delivered",
                "now requires materials to be delivered in full before items are ready",
            ),
            (
                "ordered",
                "now requires materials to be ordered before items are ready",
            ),
            (
                "approved",
                "now lets items be ready once their materials are approved",
            ),
        ] {
            let c = [ch("materials_rule", json!("ordered"), json!(rule))];
            assert_eq!(said("readiness_rule", "project", &c, "FPM-26-001"), words);
        }
        // Entries written before the rule had three values.
        let old = [ch("require_materials_ordered", json!(true), json!(false))];
        assert_eq!(
            said("readiness_rule", "project", &old, "FPM-26-001"),
            "no longer requires materials to be ordered before items are ready"
        );
    }

    #[test]
    fn alike_changes_share_a_key_and_read_as_one() {
        let moved = [ch("status", json!("not_started"), json!("in_progress"))];
        let a = phrase("status_change", "scope_item", &moved);
        let b = phrase("status_change", "scope_item", &moved);
        assert_eq!(a.key(), b.key());
        assert_eq!(a.many(3), "moved 3 items to In progress");
        let held = [ch("status", json!("not_started"), json!("on_hold"))];
        assert_ne!(a.key(), phrase("status_change", "scope_item", &held).key());
        assert_eq!(
            phrase("import", "scope_item", &[]).many(120),
            "imported 120 items"
        );
        assert!(same_minute(
            datetime!(2026-01-05 10:15:00 UTC),
            datetime!(2026-01-05 10:15:59.9 UTC)
        ));
        assert!(!same_minute(
            datetime!(2026-01-05 10:15:59 UTC),
            datetime!(2026-01-05 10:16:00 UTC)
        ));
    }

    #[test]
    fn actions_told_without_changes_ignore_them() {
        let changes = [
            ch("status", json!("draft"), json!("approved")),
            ch("assignee_name", json!(null), json!("Tom")),
            ch("attachment", json!(null), json!("a.pdf")),
            ch("procurement", json!(null), json!("ordered")),
            ch("group", json!("A"), json!("B")),
            ch(
                "member",
                json!(null),
                json!({"user": "Tom", "role": "designer"}),
            ),
            ch("require_materials_ordered", json!(false), json!(true)),
            ch("materials_rule", json!("ordered"), json!("delivered")),
        ];
        for action in TOLD_WITHOUT_CHANGES {
            for t in [
                "project",
                "task",
                "scope_group",
                "scope_item",
                "drawing",
                "spec",
            ] {
                assert_eq!(
                    phrase(action, t, &changes),
                    phrase(action, t, &[]),
                    "{t} {action}"
                );
            }
        }
    }

    #[test]
    fn client_users_see_only_the_listed_actions() {
        assert!(client_may_see("drawing", "review"));
        assert!(client_may_see("task", "status_change"));
        // Prices, drafts, procurement, settings and the team are internal.
        for (t, a) in [
            ("scope_item", "update"),
            ("scope_item", "create"),
            ("scope_item", "release"),
            ("scope_group", "create"),
            ("project", "update"),
            ("project", "review_settings"),
            ("project", "add_member"),
            ("drawing", "upload"),
            ("drawing", "create"),
            ("spec", "create"),
            ("spec", "update"),
            ("spec", "procurement"),
            ("spec", "import"),
            ("task", "comment"),
        ] {
            assert!(!client_may_see(t, a), "{t} {a}");
        }
        for a in COMMENT_ACTIONS {
            for (t, _) in CLIENT_VISIBLE {
                assert!(!client_may_see(t, a), "comment audit {t} {a}");
            }
        }
    }

    #[test]
    fn excerpts_and_ages() {
        assert_eq!(excerpt("  two\n\nlines  ", 20), "two lines");
        assert_eq!(excerpt("abcdefghij", 5), "abcd…");
        assert_eq!(
            excerpt(
                "> quoted **bold** and `code`\n- one\n2. two\n## Head ~~x~~",
                200
            ),
            "quoted bold and code one two Head x"
        );
        assert_eq!(excerpt("@dana_d see V-01_A", 200), "@dana_d see V-01_A");
        let now = datetime!(2026-01-10 12:00 UTC);
        assert_eq!(age(now, now), "just now");
        assert_eq!(age(datetime!(2026-01-10 11:48 UTC), now), "12 minutes");
        assert_eq!(age(datetime!(2026-01-10 09:00 UTC), now), "3 hours");
        assert_eq!(age(datetime!(2026-01-09 12:00 UTC), now), "1 day");
        assert_eq!(age(datetime!(2026-01-05 11:00 UTC), now), "5 days");
        assert_eq!(age(datetime!(2025-12-01 12:00 UTC), now), "5 weeks");
    }
}
