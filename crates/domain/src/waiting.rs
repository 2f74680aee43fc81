//! "Waiting for me": what someone has to act on, gathered from several sources into one list,
//! oldest first. Reviews awaiting their decision and mentions they have not answered today;
//! RFIs and variations join with a variant here and one query in the store each.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::comment::RecordKind;
use crate::enums::string_enum;

string_enum!(
    /// Why something waits for the person.
    WaitingKind {
        DrawingReview => "drawing_review", "Drawing to review",
        SpecReview => "spec_review", "Material to approve",
        Mention => "mention", "Mentioned you",
        VariationDecision => "variation_decision", "Variation to decide",
    }
);

/// One thing waiting for the person.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WaitingItem {
    pub kind: WaitingKind,
    /// What it is: the revision under review, the specification, or the comment.
    pub id: Uuid,
    /// The record to open (a revision's drawing; a comment's record).
    pub record_kind: RecordKind,
    pub record_id: Uuid,
    /// What to call it: "SD-101 rev B", "V-01", a task's title.
    pub label: String,
    /// Its title or description, where it has one.
    pub title: Option<String>,
    pub project_id: Uuid,
    pub project_code: String,
    /// Who it comes from: the uploader or submitter, or the comment's author.
    pub from_name: Option<String>,
    /// Since when it waits (submitted, or the comment posted).
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// How long, in words ("5 days").
    pub age: String,
    /// The page to open (with the comment's anchor for a mention).
    pub href: String,
}

/// Oldest first, then by kind and id so that the order is stable.
pub fn sort(items: &mut [WaitingItem]) {
    items.sort_by_key(|i| (i.since, i.kind, i.id));
}
