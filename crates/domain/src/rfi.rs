//! RFIs (requests for information): a question the contractor puts to someone, numbered
//! per project (`RFI-001`).
//!
//! An RFI is addressed to exactly one of a user (of the team or the client's) or an
//! outside e-mail address (with an optional name), which receives it as a mail with its
//! PDF. Its states: open → answered → closed, and a closed or answered one may be reopened
//! ([`RfiMove`]). The "ball in court" follows from the state ([`Rfi::ball_in_court`]): the
//! addressee's while it is open, the raiser's (to close it) once answered, nobody's when
//! closed. It is overdue while open past its required-by date. An answer may say it has a
//! cost or a time impact, which offers to start a variation from it.
//!
//! It is internal unless shared with the client: an RFI addressed to a client user is
//! always visible to that client.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::enums::string_enum;
use crate::errors::{FieldErrors, optional_text, required_text};

string_enum!(
    /// Where an RFI is in its life.
    RfiStatus {
        Open => "open", "Open",
        Answered => "answered", "Answered",
        Closed => "closed", "Closed",
    }
);

string_enum!(
    /// A move of an RFI that is not an answer: closing it, or reopening it.
    RfiMove {
        Close => "close", "Close",
        Reopen => "reopen", "Reopen",
    }
);

impl RfiMove {
    /// The states it may start from.
    pub fn from(self) -> &'static [RfiStatus] {
        match self {
            RfiMove::Close => &[RfiStatus::Open, RfiStatus::Answered],
            RfiMove::Reopen => &[RfiStatus::Answered, RfiStatus::Closed],
        }
    }

    pub fn to(self) -> RfiStatus {
        match self {
            RfiMove::Close => RfiStatus::Closed,
            RfiMove::Reopen => RfiStatus::Open,
        }
    }

    /// The new state from `current`, or `None` when this move does not start there.
    pub fn apply(self, current: RfiStatus) -> Option<RfiStatus> {
        self.from().contains(&current).then(|| self.to())
    }

    /// The past tense, for the audit trail.
    pub fn done(self) -> &'static str {
        match self {
            RfiMove::Close => "closed",
            RfiMove::Reopen => "reopened",
        }
    }
}

impl RfiStatus {
    /// Whether an answer may be recorded now (only while open).
    pub fn may_answer(self) -> bool {
        self == RfiStatus::Open
    }

    /// The states an RFI may go to from here (answer, close, reopen), for the error
    /// message of a refused move.
    pub fn next(self) -> Vec<RfiStatus> {
        let mut out = Vec::new();
        if self.may_answer() {
            out.push(RfiStatus::Answered);
        }
        for m in RfiMove::ALL {
            if let Some(to) = m.apply(self) {
                out.push(to);
            }
        }
        out
    }
}

string_enum!(
    /// Whose turn it is.
    BallInCourt {
        Addressee => "addressee", "Addressee",
        Raiser => "raiser", "Raiser",
        Nobody => "nobody", "Nobody",
    }
);

/// Whose turn it is in `status`.
pub fn ball_in_court(status: RfiStatus) -> BallInCourt {
    match status {
        RfiStatus::Open => BallInCourt::Addressee,
        RfiStatus::Answered => BallInCourt::Raiser,
        RfiStatus::Closed => BallInCourt::Nobody,
    }
}

/// An RFI's number as people say it: `RFI-001` (at least three digits).
pub fn rfi_code(number: i64) -> String {
    format!("RFI-{number:03}")
}

/// Longest subject, question, answer and addressee name accepted.
pub const SUBJECT_MAX: usize = 200;
pub const QUESTION_MAX: usize = 10_000;
pub const ANSWER_MAX: usize = 10_000;
pub const NAME_MAX: usize = 200;
/// Most drawings, scope items or rooms one RFI links to (each).
pub const LINKS_MAX: usize = 100;

/// Who an RFI is addressed to: exactly one of a user or an outside address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressee {
    User(Uuid),
    External { email: String, name: Option<String> },
}

impl Addressee {
    /// Reads the addressee from its three fields; every problem goes to `errors`. The
    /// e-mail address is normalised (trimmed, lower-case).
    pub fn read(
        errors: &mut FieldErrors,
        user_id: Option<Uuid>,
        email: Option<&str>,
        name: Option<&str>,
    ) -> Option<Addressee> {
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        let name = optional_text(errors, "addressed_to_name", name, NAME_MAX);
        match (user_id, email) {
            (Some(id), None) => {
                if name.is_some() {
                    errors.add(
                        "addressed_to_name",
                        "is only for an outside address; a user is addressed by their account",
                    );
                    return None;
                }
                Some(Addressee::User(id))
            }
            (None, Some(e)) => match crate::user::normalize_email(e) {
                Ok(email) => Some(Addressee::External { email, name }),
                Err(why) => {
                    errors.add("addressed_to_email", why);
                    None
                }
            },
            (Some(_), Some(_)) => {
                errors.add(
                    "addressed_to_email",
                    "give either a user (addressed_to_user_id) or an e-mail address, not both",
                );
                None
            }
            (None, None) => {
                errors.add(
                    "addressed_to_user_id",
                    "is required: address the RFI to a user, or give an outside e-mail address (addressed_to_email)",
                );
                None
            }
        }
    }
}

/// An RFI's subject and question, checked.
pub fn check_text(errors: &mut FieldErrors, subject: &str, question: &str) -> (String, String) {
    (
        required_text(errors, "subject", subject, SUBJECT_MAX),
        required_text(errors, "question", question, QUESTION_MAX),
    )
}

/// Something an RFI links to, with what its page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RfiLink {
    pub id: Uuid,
    /// The drawing's number, the item's code, the room's code.
    pub code: String,
    pub name: String,
}

/// The drawings, scope items and rooms an RFI links to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RfiLinks {
    pub drawings: Vec<RfiLink>,
    pub scope_items: Vec<RfiLink>,
    pub rooms: Vec<RfiLink>,
}

/// An RFI as the API and pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rfi {
    pub id: Uuid,
    pub project_id: Uuid,
    pub number: i64,
    /// `RFI-001`.
    pub code: String,
    pub subject: String,
    pub question: String,
    pub raised_by: Option<Uuid>,
    pub raised_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    /// The user it is addressed to (or none for an outside address).
    pub addressed_to_user_id: Option<Uuid>,
    pub addressed_to_user_name: Option<String>,
    /// The outside address it is addressed to (or none for a user).
    pub addressed_to_email: Option<String>,
    pub addressed_to_name: Option<String>,
    pub required_by: Option<Date>,
    pub status: RfiStatus,
    /// Whose turn it is: the addressee's while open, the raiser's once answered.
    pub ball_in_court: BallInCourt,
    /// Open and past its required-by date (as of today).
    pub overdue: bool,
    /// Shown to the client's users (always so when addressed to a client user).
    pub client_visible: bool,
    pub answer: Option<String>,
    pub answered_by: Option<Uuid>,
    /// Who answered: the user's name, or for an outside addressee the address (or name) the
    /// team recorded the answer for.
    pub answered_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    pub cost_impact: bool,
    pub time_impact: bool,
    pub closed_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    /// When it was last mailed to its outside addressee.
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    /// Files attached to it (the PDFs mailed included).
    pub attachment_count: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl Rfi {
    /// Whether it is open past its required-by date on `today`.
    pub fn is_overdue(&self, today: Date) -> bool {
        self.status == RfiStatus::Open && self.required_by.is_some_and(|d| d < today)
    }

    /// Who it is addressed to, in words ("Ana Architect", "Ana <ana@studio.example>").
    pub fn addressee_label(&self) -> String {
        match (
            &self.addressed_to_user_name,
            &self.addressed_to_email,
            &self.addressed_to_name,
        ) {
            (Some(u), _, _) => u.clone(),
            (None, Some(e), Some(n)) => format!("{n} <{e}>"),
            (None, Some(e), None) => e.clone(),
            _ => "(a former user)".to_owned(),
        }
    }

    /// Addressed to an outside e-mail address (which is mailed the RFI).
    pub fn is_external(&self) -> bool {
        self.addressed_to_user_id.is_none() && self.addressed_to_email.is_some()
    }

    /// The person whose turn it is, in words, or `None` when nobody's.
    pub fn ball_in_court_label(&self) -> Option<String> {
        match self.ball_in_court {
            BallInCourt::Addressee => Some(self.addressee_label()),
            BallInCourt::Raiser => Some(
                self.raised_by_name
                    .clone()
                    .unwrap_or_else(|| "the raiser".into()),
            ),
            BallInCourt::Nobody => None,
        }
    }

    /// "Cost", "Time", "Cost and time", or `None`.
    pub fn impact_label(&self) -> Option<&'static str> {
        match (self.cost_impact, self.time_impact) {
            (true, true) => Some("Cost and time"),
            (true, false) => Some("Cost"),
            (false, true) => Some("Time"),
            (false, false) => None,
        }
    }

    /// Whether its answer offers to start a variation.
    pub fn offers_variation(&self) -> bool {
        self.answer.is_some() && (self.cost_impact || self.time_impact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine() {
        use RfiMove::*;
        use RfiStatus::*;
        let cases = [
            (Close, Open, Some(Closed)),
            (Close, Answered, Some(Closed)),
            (Close, Closed, None),
            (Reopen, Answered, Some(Open)),
            (Reopen, Closed, Some(Open)),
            (Reopen, Open, None),
        ];
        for (m, from, to) in cases {
            assert_eq!(m.apply(from), to, "{m} from {from}");
        }
        assert!(Open.may_answer());
        assert!(!Answered.may_answer());
        assert!(!Closed.may_answer());
        assert_eq!(Open.next(), vec![Answered, Closed]);
        assert_eq!(Answered.next(), vec![Closed, Open]);
        assert_eq!(Closed.next(), vec![Open]);
    }

    #[test]
    fn the_ball_follows_the_state() {
        assert_eq!(ball_in_court(RfiStatus::Open), BallInCourt::Addressee);
        assert_eq!(ball_in_court(RfiStatus::Answered), BallInCourt::Raiser);
        assert_eq!(ball_in_court(RfiStatus::Closed), BallInCourt::Nobody);
    }

    #[test]
    fn codes_read_as_people_say_them() {
        assert_eq!(rfi_code(3), "RFI-003");
        assert_eq!(rfi_code(1234), "RFI-1234");
    }

    #[test]
    fn exactly_one_addressee() {
        let id = Uuid::from_u128(7);
        let mut e = FieldErrors::new();
        assert_eq!(
            Addressee::read(&mut e, Some(id), None, None),
            Some(Addressee::User(id))
        );
        assert!(e.is_empty());
        assert_eq!(
            Addressee::read(&mut e, None, Some(" Ana@Studio.Example "), Some("Ana")),
            Some(Addressee::External {
                email: "ana@studio.example".into(),
                name: Some("Ana".into())
            })
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(
            Addressee::read(&mut e, Some(id), Some("a@b.example"), None),
            None
        );
        assert!(e.get("addressed_to_email").is_some());
        let mut e = FieldErrors::new();
        assert_eq!(Addressee::read(&mut e, None, None, None), None);
        assert!(e.get("addressed_to_user_id").is_some());
        let mut e = FieldErrors::new();
        assert_eq!(
            Addressee::read(&mut e, None, Some("not an address"), None),
            None
        );
        assert!(e.get("addressed_to_email").is_some());
        let mut e = FieldErrors::new();
        assert_eq!(Addressee::read(&mut e, Some(id), None, Some("Ana")), None);
        assert!(e.get("addressed_to_name").is_some());
    }

    fn rfi(status: RfiStatus, required_by: Option<Date>) -> Rfi {
        let at = OffsetDateTime::UNIX_EPOCH;
        Rfi {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            number: 1,
            code: rfi_code(1),
            subject: "s".into(),
            question: "q".into(),
            raised_by: None,
            raised_by_name: Some("Pat".into()),
            raised_at: at,
            addressed_to_user_id: None,
            addressed_to_user_name: None,
            addressed_to_email: Some("ana@studio.example".into()),
            addressed_to_name: Some("Ana".into()),
            required_by,
            status,
            ball_in_court: ball_in_court(status),
            overdue: false,
            client_visible: false,
            answer: None,
            answered_by: None,
            answered_by_name: None,
            answered_at: None,
            cost_impact: false,
            time_impact: false,
            closed_by_name: None,
            closed_at: None,
            sent_at: None,
            attachment_count: 0,
            updated_at: at,
            version: 1,
        }
    }

    #[test]
    fn overdue_only_while_open_past_the_date() {
        let day = Date::from_calendar_date(2026, time::Month::March, 10).unwrap();
        let next = day.next_day().unwrap();
        assert!(rfi(RfiStatus::Open, Some(day)).is_overdue(next));
        assert!(!rfi(RfiStatus::Open, Some(day)).is_overdue(day));
        assert!(!rfi(RfiStatus::Answered, Some(day)).is_overdue(next));
        assert!(!rfi(RfiStatus::Open, None).is_overdue(next));
        let r = rfi(RfiStatus::Open, None);
        assert_eq!(r.addressee_label(), "Ana <ana@studio.example>");
        assert_eq!(
            r.ball_in_court_label().as_deref(),
            Some("Ana <ana@studio.example>")
        );
        assert!(r.is_external());
        let mut a = rfi(RfiStatus::Answered, None);
        assert_eq!(a.ball_in_court_label().as_deref(), Some("Pat"));
        assert!(!a.offers_variation());
        a.answer = Some("Use oak".into());
        a.cost_impact = true;
        assert!(a.offers_variation());
        assert_eq!(a.impact_label(), Some("Cost"));
        assert_eq!(rfi(RfiStatus::Closed, None).ball_in_court_label(), None);
    }
}
