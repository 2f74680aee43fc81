//! Shop drawings: the register entry and its immutable revisions, each of which goes through
//! the review workflow (`crate::review`).

use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::enums::string_enum;
use crate::files::FileInfo;
use crate::review::{Decided, ReviewState, Reviewable, StatusWord, review_words, shown_to};
use crate::user::Role;

string_enum!(
    /// What a drawing shows.
    DrawingKind {
        Plan => "plan", "Plan",
        Elevation => "elevation", "Elevation",
        Section => "section", "Section",
        Detail => "detail", "Detail",
        Assembly => "assembly", "Assembly",
        Schedule => "schedule", "Schedule",
        Other => "other", "Other",
    }
);

string_enum!(
    /// How revisions are labelled.
    RevisionScheme {
        Letters => "letters", "A, B, C…",
        Numbers => "numbers", "0, 1, 2…",
    }
);

review_words!(
    /// Where one revision is in its review.
    RevisionStatus {
        Draft => "draft", "Draft",
        Submitted => "submitted", "Submitted for review",
        Approved => "approved", "Approved",
        ApprovedAsNoted => "approved_as_noted", "Approved as noted",
        ReviseAndResubmit => "revise_and_resubmit", "Revise and resubmit",
        Rejected => "rejected", "Rejected",
    }
    /// A reviewer's decision on a submitted revision.
    Decision {
        Approved => "approved", "Approve",
        ApprovedAsNoted => "approved_as_noted", "Approve as noted",
        ReviseAndResubmit => "revise_and_resubmit", "Revise and resubmit",
        Rejected => "rejected", "Reject",
    }
);

/// How many days a submitted revision may wait for its review before it is overdue, unless
/// the installation says otherwise (`REVIEW_OVERDUE_DAYS`).
pub const REVIEW_DAYS: i64 = 7;

/// The label of the `seq`-th revision (1-based): A, B, … Z, AA, AB… or 0, 1, 2….
pub fn revision_label(scheme: RevisionScheme, seq: u32) -> String {
    match scheme {
        RevisionScheme::Numbers => seq.saturating_sub(1).to_string(),
        RevisionScheme::Letters => {
            let mut n = seq.max(1);
            let mut s = String::new();
            while n > 0 {
                let rem = u8::try_from((n - 1) % 26).unwrap_or(0);
                s.insert(0, char::from(b'A' + rem));
                n = (n - 1) / 26;
            }
            s
        }
    }
}

/// An entry of a project's drawing register.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Drawing {
    pub id: Uuid,
    pub project_id: Uuid,
    /// Unique per project, e.g. `SD-101`.
    pub number: String,
    pub title: String,
    pub kind: DrawingKind,
    /// Room or area.
    pub area: Option<String>,
    pub scheme: RevisionScheme,
    /// The latest revision, if any was uploaded. A client user is shown the latest revision
    /// submitted to them (never a draft).
    pub current: Option<RevisionSummary>,
    /// The latest approved revision (approved or approved as noted). It stays in effect, for
    /// readiness and the workshop, while a newer revision is drafted or reviewed, until a
    /// newer one is approved. The same as `current` when the latest revision is approved;
    /// null while none is.
    pub approved: Option<RevisionSummary>,
    /// The latest revision past its draft: what a client user sees as `current` (internal;
    /// see [`Drawing::seen_by`]).
    #[serde(skip)]
    pub shared: Option<RevisionSummary>,
    /// Scope items this drawing covers.
    pub scope_item_ids: Vec<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl Drawing {
    /// The register status: the current revision's, or draft before the first upload.
    pub fn status(&self) -> RevisionStatus {
        self.current
            .as_ref()
            .map_or(RevisionStatus::Draft, |c| c.status)
    }

    /// The approved revision in effect and the newer one being worked on, when the latest
    /// revision is not the approved one (B approved, C a draft or in review).
    pub fn approved_and_newer(&self) -> Option<(&RevisionSummary, &RevisionSummary)> {
        match (&self.approved, &self.current) {
            (Some(a), Some(c)) if a.id != c.id => Some((a, c)),
            _ => None,
        }
    }

    /// Whether the register status is `status`: the latest revision's, or the approved
    /// revision's still in effect behind it.
    pub fn has_status(&self, status: RevisionStatus) -> bool {
        self.status() == status || self.approved.as_ref().is_some_and(|a| a.status == status)
    }

    /// The register status in words: "Approved", or "B approved · C in review" while a newer
    /// revision follows the approved one.
    pub fn status_text(&self) -> String {
        match self.approved_and_newer() {
            Some((a, c)) => format!(
                "{} {} · {} {}",
                a.label,
                a.status.short(),
                c.label,
                c.status.short()
            ),
            None => self.status().label().to_owned(),
        }
    }

    /// The drawing as a user of `role` may see it, or `None` when they may not: a client
    /// user sees the latest revision submitted to them as the current one, and nothing of
    /// a drawing whose only revisions are drafts.
    pub fn seen_by(mut self, role: Role) -> Option<Drawing> {
        if shown_to(role, self.status().state()) {
            return Some(self);
        }
        let shared = self.shared.take()?;
        self.current = Some(shared);
        Some(self)
    }

    /// Submitted and waiting longer than `days` (see [`REVIEW_DAYS`]).
    pub fn review_overdue(&self, now: OffsetDateTime, days: i64) -> bool {
        self.current.as_ref().is_some_and(|c| {
            c.status == RevisionStatus::Submitted
                && c.submitted_at
                    .is_some_and(|at| now - at > Duration::days(days))
        })
    }
}

impl RevisionStatus {
    /// The status in a few lower-case words, as the register puts two side by side.
    pub fn short(self) -> &'static str {
        match self {
            RevisionStatus::Draft => "draft",
            RevisionStatus::Submitted => "in review",
            RevisionStatus::Approved => "approved",
            RevisionStatus::ApprovedAsNoted => "approved as noted",
            RevisionStatus::ReviseAndResubmit => "to revise and resubmit",
            RevisionStatus::Rejected => "rejected",
        }
    }

    /// Approved or approved as noted: the revision may be built from.
    pub fn is_approved(self) -> bool {
        matches!(
            self,
            RevisionStatus::Approved | RevisionStatus::ApprovedAsNoted
        )
    }
}

/// A revision as the register shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RevisionSummary {
    pub id: Uuid,
    pub label: String,
    pub status: RevisionStatus,
    #[serde(with = "time::serde::rfc3339::option")]
    pub submitted_at: Option<OffsetDateTime>,
}

/// One uploaded version of a drawing. Its file never changes; its status moves through
/// the review once.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Revision {
    pub id: Uuid,
    pub drawing_id: Uuid,
    pub project_id: Uuid,
    /// 1 for the first upload.
    pub seq: i64,
    pub label: String,
    pub status: RevisionStatus,
    pub notes: Option<String>,
    pub file: FileInfo,
    /// Where the file is kept (internal).
    #[serde(skip)]
    pub blob_key: String,
    pub uploaded_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub submitted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// A reviewer's decision, with their comments.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Review {
    pub id: Uuid,
    pub revision_id: Uuid,
    pub reviewer_id: Option<Uuid>,
    pub reviewer_name: Option<String>,
    pub decision: Decision,
    pub comments: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A revision is what is reviewed: it is never edited, so a drawing sent back is revised by
/// uploading the next revision.
impl Reviewable for Revision {
    type Status = RevisionStatus;
    type Record = Review;
    const RESUBMITTED_IN_PLACE: bool = false;

    fn review_status(&self) -> RevisionStatus {
        self.status
    }

    fn enter(&mut self, status: RevisionStatus, _by: &str, at: OffsetDateTime) {
        self.status = status;
        match status.state() {
            ReviewState::Draft => {}
            ReviewState::Submitted => self.submitted_at = Some(at),
            _ => self.decided_at = Some(at),
        }
    }

    fn record(&self, d: Decided<Decision>) -> Review {
        Review {
            id: d.id,
            revision_id: self.id,
            reviewer_id: d.reviewer_id,
            reviewer_name: d.reviewer_name,
            decision: d.decision,
            comments: d.comments,
            at: d.at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_scheme() {
        let l = |n| revision_label(RevisionScheme::Letters, n);
        assert_eq!(
            (l(1), l(2), l(26), l(27), l(28)),
            ("A".into(), "B".into(), "Z".into(), "AA".into(), "AB".into())
        );
        assert_eq!(revision_label(RevisionScheme::Numbers, 1), "0");
        assert_eq!(revision_label(RevisionScheme::Numbers, 3), "2");
    }

    #[test]
    fn a_revision_keeps_when_it_was_submitted_and_decided() {
        let t = |d| OffsetDateTime::UNIX_EPOCH + Duration::days(d);
        let mut r = Revision {
            id: Uuid::nil(),
            drawing_id: Uuid::nil(),
            project_id: Uuid::nil(),
            seq: 1,
            label: "A".into(),
            status: RevisionStatus::Draft,
            notes: None,
            file: FileInfo {
                name: "A.pdf".into(),
                size: 1,
                sha256: String::new(),
                mime: "application/pdf".into(),
            },
            blob_key: String::new(),
            uploaded_by_name: None,
            uploaded_at: t(0),
            submitted_at: None,
            decided_at: None,
            version: 1,
        };
        r.enter(RevisionStatus::Submitted, "Dana", t(1));
        r.enter(RevisionStatus::ApprovedAsNoted, "Paula", t(2));
        assert_eq!(
            (r.status, r.submitted_at, r.decided_at),
            (RevisionStatus::ApprovedAsNoted, Some(t(1)), Some(t(2)))
        );
    }

    fn summary(label: &str, status: RevisionStatus) -> RevisionSummary {
        RevisionSummary {
            id: Uuid::now_v7(),
            label: label.into(),
            status,
            submitted_at: None,
        }
    }

    fn sd101(
        current: RevisionSummary,
        approved: Option<RevisionSummary>,
        shared: Option<RevisionSummary>,
    ) -> Drawing {
        Drawing {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            number: "SD-101".into(),
            title: "Reception desk".into(),
            kind: DrawingKind::Elevation,
            area: None,
            scheme: RevisionScheme::Letters,
            current: Some(current),
            approved,
            shared,
            scope_item_ids: vec![],
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            version: 1,
        }
    }

    #[test]
    fn the_register_shows_the_approved_revision_beside_a_newer_one() {
        let b = summary("B", RevisionStatus::Approved);
        let c = summary("C", RevisionStatus::Draft);
        let d = sd101(c.clone(), Some(b.clone()), Some(b.clone()));
        assert_eq!(d.status_text(), "B approved · C draft");
        assert!(d.has_status(RevisionStatus::Approved) && d.has_status(RevisionStatus::Draft));
        assert!(!d.has_status(RevisionStatus::Submitted));

        // A client sees B as the current revision, and nothing of the draft.
        let seen = d.clone().seen_by(Role::Client).unwrap();
        assert_eq!(seen.current.as_ref(), Some(&b));
        assert_eq!(seen.status_text(), "Approved");
        assert_eq!(d.clone().seen_by(Role::Designer), Some(d));

        // Once C is submitted, everybody sees both.
        let c = summary("C", RevisionStatus::Submitted);
        let d = sd101(c.clone(), Some(b.clone()), Some(c));
        assert_eq!(
            d.clone().seen_by(Role::Client).unwrap().status_text(),
            "B approved · C in review"
        );

        // A drawing with only a draft is hidden from clients; an approved latest is one status.
        let a = summary("A", RevisionStatus::Draft);
        assert_eq!(sd101(a, None, None).seen_by(Role::Client), None);
        let d = sd101(b.clone(), Some(b.clone()), Some(b));
        assert_eq!(
            (d.status_text(), d.approved_and_newer()),
            ("Approved".into(), None)
        );
    }
}
