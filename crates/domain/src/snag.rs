//! Snags (punch items) and room sign-off.
//!
//! A snag is a defect found on site, in one room, optionally on one scope item there. Its
//! states: open → fixed → verified → closed, or rejected; a snag that was fixed, verified,
//! closed or rejected may be reopened. Who moves it ([`Transition::action`]): the people
//! who work on snags mark them fixed; those who run the site (`VerifySnags`) verify, close,
//! reject and reopen. Snags are numbered per project (`SN-001`).
//!
//! A room may be signed off when every item expected in it is fully installed and no snag in
//! it [`SnagStatus::blocks_signoff`] (open or fixed: a fixed snag has not been checked yet).
//! [`Blockers`] says what is in the way, in words.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::authz::Action;
use crate::enums::string_enum;
use crate::scope::Quantity;

string_enum!(
    /// Where a snag is in its life.
    SnagStatus {
        Open => "open", "Open",
        Fixed => "fixed", "Fixed",
        Verified => "verified", "Verified",
        Closed => "closed", "Closed",
        Rejected => "rejected", "Rejected",
    }
);

impl SnagStatus {
    /// Still to be dealt with: open, or fixed and not yet checked. Such a snag keeps its
    /// room from being signed off; verified, closed and rejected ones do not.
    pub fn blocks_signoff(self) -> bool {
        matches!(self, SnagStatus::Open | SnagStatus::Fixed)
    }
}

string_enum!(
    /// What kind of defect: the fixed list a fit-out contractor's site walk uses.
    SnagCategory {
        Finish => "finish", "Finish (paint, lacquer, veneer)",
        Damage => "damage", "Damage (scratch, dent, chip)",
        Missing => "missing", "Missing part or item",
        Alignment => "alignment", "Alignment, gaps or levels",
        Hardware => "hardware", "Hardware (hinges, handles, locks)",
        Cleaning => "cleaning", "Cleaning",
        Other => "other", "Other",
    }
);

string_enum!(
    /// A move of a snag from one state to another.
    Transition {
        Fix => "fix", "Mark fixed",
        Verify => "verify", "Verify",
        Close => "close", "Close",
        Reject => "reject", "Reject",
        Reopen => "reopen", "Reopen",
    }
);

impl Transition {
    /// The permission it needs.
    pub fn action(self) -> Action {
        match self {
            Transition::Fix => Action::WorkSnags,
            _ => Action::VerifySnags,
        }
    }

    /// The states it may start from.
    pub fn from(self) -> &'static [SnagStatus] {
        use SnagStatus::*;
        match self {
            Transition::Fix => &[Open],
            Transition::Verify => &[Fixed],
            Transition::Close => &[Verified],
            Transition::Reject => &[Open, Fixed],
            Transition::Reopen => &[Fixed, Verified, Closed, Rejected],
        }
    }

    /// The state it leads to.
    pub fn to(self) -> SnagStatus {
        match self {
            Transition::Fix => SnagStatus::Fixed,
            Transition::Verify => SnagStatus::Verified,
            Transition::Close => SnagStatus::Closed,
            Transition::Reject => SnagStatus::Rejected,
            Transition::Reopen => SnagStatus::Open,
        }
    }

    /// The new state from `current`, or `None` when this move does not start there.
    pub fn apply(self, current: SnagStatus) -> Option<SnagStatus> {
        self.from().contains(&current).then(|| self.to())
    }

    /// The moves that start from `status`, in the order the buttons show them.
    pub fn available(status: SnagStatus) -> Vec<Transition> {
        Transition::ALL
            .iter()
            .copied()
            .filter(|t| t.from().contains(&status))
            .collect()
    }

    /// The past tense, for the audit trail and notifications.
    pub fn done(self) -> &'static str {
        match self {
            Transition::Fix => "marked fixed",
            Transition::Verify => "verified",
            Transition::Close => "closed",
            Transition::Reject => "rejected",
            Transition::Reopen => "reopened",
        }
    }
}

/// A snag's number as people say it: `SN-001` (at least three digits).
pub fn snag_code(number: i64) -> String {
    format!("SN-{number:03}")
}

/// Longest title, description, trade name and rejection reason accepted.
pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 5_000;
pub const TRADE_MAX: usize = 120;
pub const REASON_MAX: usize = 2_000;

/// A snag as the API and pages show it (with the names of the room, item and people).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Snag {
    pub id: Uuid,
    pub project_id: Uuid,
    pub number: i64,
    /// `SN-001`.
    pub code: String,
    pub room_id: Uuid,
    pub room_code: String,
    pub room_name: String,
    /// The level and building the room is on (none when the room sits elsewhere).
    pub level_id: Option<Uuid>,
    pub level_code: Option<String>,
    pub level_name: Option<String>,
    pub building_id: Option<Uuid>,
    /// The scope item it is about (never shown to client users).
    pub scope_item_id: Option<Uuid>,
    pub scope_item_code: Option<String>,
    pub scope_item_name: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub category: SnagCategory,
    /// Who is to fix it: a member of the project team, or a trade (or neither yet).
    pub responsible_user_id: Option<Uuid>,
    pub responsible_user_name: Option<String>,
    pub responsible_trade: Option<String>,
    pub due_on: Option<Date>,
    pub status: SnagStatus,
    /// Open or fixed and past its due date (as of today).
    pub overdue: bool,
    /// Shown to the client's users.
    pub client_visible: bool,
    pub raised_by: Option<Uuid>,
    pub raised_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    pub fixed_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub fixed_at: Option<OffsetDateTime>,
    pub verified_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    pub closed_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    /// Why it was rejected (while it is).
    pub rejected_reason: Option<String>,
    /// Photos attached to it.
    pub photo_count: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl Snag {
    /// Whether it is past due on `today` and still to be dealt with.
    pub fn is_overdue(&self, today: Date) -> bool {
        self.status.blocks_signoff() && self.due_on.is_some_and(|d| d < today)
    }

    /// Who is to fix it, in words ("Tom Fitter", "Painter", or none).
    pub fn responsible(&self) -> Option<String> {
        match (&self.responsible_user_name, &self.responsible_trade) {
            (Some(u), Some(t)) => Some(format!("{u} ({t})")),
            (Some(u), None) => Some(u.clone()),
            (None, Some(t)) => Some(t.clone()),
            (None, None) => None,
        }
    }
}

/// A room's current sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SignOff {
    pub id: Uuid,
    pub room_id: Uuid,
    pub signed_by: Option<Uuid>,
    pub signed_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
    /// The client's representative who signed with us, when one did.
    pub client_name: Option<String>,
    pub note: Option<String>,
}

/// An item expected in a room and how much of it is installed there (thousandths).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ItemShortfall {
    pub scope_item_id: Uuid,
    pub code: String,
    pub name: String,
    pub installed: Quantity,
    pub expected: Quantity,
}

/// A snag in the way of a sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SnagBlocker {
    pub id: Uuid,
    pub code: String,
    pub status: SnagStatus,
}

/// What keeps a room from being signed off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Blockers {
    /// Items expected in the room and not fully installed there.
    pub items: Vec<ItemShortfall>,
    /// Snags in the room still open or fixed (not yet verified).
    pub snags: Vec<SnagBlocker>,
}

impl Blockers {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.snags.is_empty()
    }

    /// "2 items not installed: WR-01 (1 of 3), DS-02 (0 of 1); 1 open snag: SN-004".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.items.is_empty() {
            let list: Vec<String> = self
                .items
                .iter()
                .map(|i| format!("{} ({} of {})", i.code, i.installed, i.expected))
                .collect();
            parts.push(format!(
                "{} not installed: {}",
                plural(self.items.len(), "item", "items"),
                list.join(", ")
            ));
        }
        if !self.snags.is_empty() {
            let open = self
                .snags
                .iter()
                .filter(|s| s.status == SnagStatus::Open)
                .count();
            let list: Vec<String> = self.snags.iter().map(|s| s.code.clone()).collect();
            let word = if open == self.snags.len() {
                ("open snag", "open snags")
            } else if open == 0 {
                (
                    "fixed snag not yet verified",
                    "fixed snags not yet verified",
                )
            } else {
                ("open or unverified snag", "open or unverified snags")
            };
            parts.push(format!(
                "{}: {}",
                plural(self.snags.len(), word.0, word.1),
                list.join(", ")
            ));
        }
        parts.join("; ")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine() {
        use SnagStatus::*;
        use Transition::*;
        let cases = [
            (Fix, Open, Some(Fixed)),
            (Fix, Fixed, None),
            (Verify, Fixed, Some(Verified)),
            (Verify, Open, None),
            (Close, Verified, Some(Closed)),
            (Close, Open, None),
            (Close, Fixed, None),
            (Reject, Open, Some(Rejected)),
            (Reject, Fixed, Some(Rejected)),
            (Reject, Closed, None),
            (Reopen, Closed, Some(Open)),
            (Reopen, Rejected, Some(Open)),
            (Reopen, Open, None),
        ];
        for (t, from, to) in cases {
            assert_eq!(t.apply(from), to, "{t} from {from}");
        }
        assert_eq!(Transition::available(Open), vec![Fix, Reject]);
        assert_eq!(Transition::available(Closed), vec![Reopen]);
        assert_eq!(Fix.action(), Action::WorkSnags);
        assert_eq!(Close.action(), Action::VerifySnags);
    }

    #[test]
    fn only_open_and_fixed_block_signoff() {
        let blocking: Vec<_> = SnagStatus::ALL
            .iter()
            .filter(|s| s.blocks_signoff())
            .collect();
        assert_eq!(blocking, [&SnagStatus::Open, &SnagStatus::Fixed]);
    }

    #[test]
    fn codes_and_blockers_read_as_people_say_them() {
        assert_eq!(snag_code(4), "SN-004");
        assert_eq!(snag_code(1234), "SN-1234");
        let b = Blockers {
            items: vec![
                ItemShortfall {
                    scope_item_id: Uuid::nil(),
                    code: "WR-01".into(),
                    name: "Wardrobe".into(),
                    installed: Quantity(1000),
                    expected: Quantity(3000),
                },
                ItemShortfall {
                    scope_item_id: Uuid::nil(),
                    code: "DS-02".into(),
                    name: "Desk".into(),
                    installed: Quantity(0),
                    expected: Quantity(1500),
                },
            ],
            snags: vec![SnagBlocker {
                id: Uuid::nil(),
                code: "SN-004".into(),
                status: SnagStatus::Open,
            }],
        };
        assert_eq!(
            b.describe(),
            "2 items not installed: WR-01 (1 of 3), DS-02 (0 of 1.5); 1 open snag: SN-004"
        );
        assert!(Blockers::default().is_empty());
    }
}
