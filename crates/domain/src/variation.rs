//! Variations (change orders): a priced change to the contract. Its lines add new scope
//! items, omit existing ones, or change an existing one's quantity or rate; each line's
//! amount is the change in contract value it makes, computed exactly as the scope prices an
//! item (`Quantity::times`, rounded half away from zero), and the variation's total is their
//! sum. It goes through the one review workflow (`crate::review`): a draft is submitted to
//! the client, who approves or rejects it; before a decision it may be withdrawn. On approval
//! the scope changes and the contract value moves by the total, once.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::enums::string_enum;
use crate::errors::FieldErrors;
use crate::review::{Decided, Reviewable, review_words};
use crate::scope::Quantity;

/// Longest title, description and note accepted.
pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;
pub const NOTE_MAX: usize = 2_000;
/// At most this many lines on one variation.
pub const LINES_MAX: usize = 500;
/// The time impact accepted, in days either way.
pub const TIME_IMPACT_MAX_DAYS: i32 = 3650;
/// Largest amount of money accepted in a rate (as the scope: 10 trillion major units).
pub const MONEY_MAX_MINOR: i64 = 1_000_000_000_000_000;

string_enum!(
    /// Why the contract changes.
    VariationReason {
        ClientRequest => "client_request", "Client request",
        DesignChange => "design_change", "Design change",
        SiteCondition => "site_condition", "Site condition",
        Rfi => "rfi", "RFI",
    }
);

string_enum!(
    /// What a line does to the scope.
    LineKind {
        Add => "add", "Add",
        Omit => "omit", "Omit",
        Change => "change", "Change",
    }
);

review_words!(
    /// Where a variation is in its approval by the client.
    VariationStatus {
        Draft => "draft", "Draft",
        Submitted => "submitted", "Submitted to client",
        Approved => "approved", "Approved",
        Rejected => "rejected", "Rejected",
    }
    /// The client's decision on a submitted variation.
    VariationDecision {
        Approved => "approved", "Approve",
        Rejected => "rejected", "Reject",
    }
);

/// `VO-001`: a variation's number as people say it.
pub fn variation_code(number: i64) -> String {
    format!("VO-{number:03}")
}

/// A variation of a project's contract.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Variation {
    pub id: Uuid,
    pub project_id: Uuid,
    /// Counts per project from 1.
    pub number: i64,
    /// `VO-001`.
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub reason: VariationReason,
    /// The RFI that caused it.
    pub rfi_id: Option<Uuid>,
    /// `RFI-004`, when it came from an RFI.
    pub rfi_code: Option<String>,
    /// Requested by the client (a request arrives as a draft for the team to price).
    pub requested_by_client: bool,
    /// Days the change adds to (or, negative, takes from) the programme. Hidden from client
    /// users while a draft.
    pub time_impact_days: Option<i32>,
    /// The project's currency.
    pub currency: String,
    /// The change in contract value: the sum of the lines, in minor units. `null` for client
    /// users while it is a draft (its prices are the team's until submitted).
    pub total_minor: Option<i64>,
    pub status: VariationStatus,
    pub raised_by: Option<Uuid>,
    pub raised_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub submitted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    /// When an approval changed the scope and the contract value (at most once).
    #[serde(with = "time::serde::rfc3339::option")]
    pub applied_at: Option<OffsetDateTime>,
    /// Withdrawn before a decision: nothing more happens to it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub withdrawn_at: Option<OffsetDateTime>,
    pub withdrawn_by_name: Option<String>,
    pub withdrawn_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl Variation {
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn_at.is_some()
    }

    /// Its lines and header may still change: a draft not withdrawn.
    pub fn is_editable(&self) -> bool {
        self.status == VariationStatus::Draft && !self.is_withdrawn()
    }

    /// Withdrawing is possible before a decision.
    pub fn may_withdraw(&self) -> bool {
        matches!(
            self.status,
            VariationStatus::Draft | VariationStatus::Submitted
        ) && !self.is_withdrawn()
    }

    /// The word shown for where it is (withdrawn shows over its review state).
    pub fn state_word(&self) -> &'static str {
        if self.is_withdrawn() {
            "withdrawn"
        } else {
            self.status.as_str()
        }
    }

    /// The label shown for where it is.
    pub fn state_label(&self) -> &'static str {
        if self.is_withdrawn() {
            "Withdrawn"
        } else {
            self.status.label()
        }
    }
}

/// One priced line of a variation.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VariationLine {
    pub id: Uuid,
    pub variation_id: Uuid,
    /// Order on the variation, 0-based.
    pub position: i64,
    pub kind: LineKind,
    /// The item omitted or changed; for an add line, the item it created once approved.
    pub scope_item_id: Option<Uuid>,
    /// The item's code now (or, for an add line, the code it will be given when set).
    pub code: Option<String>,
    /// Add lines: the group the new item goes in.
    pub group_id: Option<Uuid>,
    pub group_name: Option<String>,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub description: Option<String>,
    /// Omit and change lines: the item as it was priced.
    pub quantity_before: Option<Quantity>,
    pub unit_price_before_minor: Option<i64>,
    /// Add and change lines: the quantity and rate after the change.
    pub quantity: Option<Quantity>,
    pub unit_price_minor: Option<i64>,
    /// The change in contract value this line makes, in minor units.
    pub amount_minor: i64,
    pub note: Option<String>,
}

/// A decision on a variation, as recorded (by the client, or by a project manager recording
/// the client's decision given outside the app: `reviewer_name` says who recorded it).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VariationReview {
    pub id: Uuid,
    pub variation_id: Uuid,
    pub reviewer_id: Option<Uuid>,
    pub reviewer_name: Option<String>,
    pub decision: VariationDecision,
    pub comments: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A variation is decided on itself: a rejected one stays rejected (raise a new one).
impl Reviewable for Variation {
    type Status = VariationStatus;
    type Record = VariationReview;
    const RESUBMITTED_IN_PLACE: bool = false;

    fn review_status(&self) -> VariationStatus {
        self.status
    }

    fn enter(&mut self, status: VariationStatus, _by: &str, at: OffsetDateTime) {
        self.status = status;
        match status {
            VariationStatus::Submitted => self.submitted_at = Some(at),
            VariationStatus::Approved => {
                self.decided_at = Some(at);
                self.applied_at = Some(at);
            }
            VariationStatus::Rejected => self.decided_at = Some(at),
            VariationStatus::Draft => {}
        }
        self.updated_at = at;
    }

    fn record(&self, d: Decided<VariationDecision>) -> VariationReview {
        VariationReview {
            id: d.id,
            variation_id: self.id,
            reviewer_id: d.reviewer_id,
            reviewer_name: d.reviewer_name,
            decision: d.decision,
            comments: d.comments,
            at: d.at,
        }
    }
}

/// An item's priced total, as the scope computes it: `quantity × rate`, rounded half away
/// from zero; no rate prices it at nothing.
pub fn item_total(quantity: Quantity, unit_price_minor: Option<i64>) -> Option<i64> {
    match unit_price_minor {
        Some(rate) => quantity.times(rate),
        None => Some(0),
    }
}

/// What a line prices: the item before (omit, change) and after (add, change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pricing {
    pub kind: LineKind,
    pub before: Option<(Quantity, Option<i64>)>,
    pub after: Option<(Quantity, i64)>,
}

/// The change in contract value a line makes: add = quantity × rate; omit = −(the item's
/// current total); change = new total − old total. `None` when a side the kind needs is
/// missing or the amount does not fit.
pub fn line_amount(p: Pricing) -> Option<i64> {
    let before = || p.before.and_then(|(q, r)| item_total(q, r));
    let after = || p.after.and_then(|(q, r)| q.times(r));
    match p.kind {
        LineKind::Add => after(),
        LineKind::Omit => before()?.checked_neg(),
        LineKind::Change => after()?.checked_sub(before()?),
    }
}

/// What an approved line leaves the item at: its quantity and rate. An omitted item keeps
/// its rate at quantity 0 (so its total is 0); a changed or added one takes the new ones.
pub fn applied(p: Pricing) -> Option<(Quantity, Option<i64>)> {
    match p.kind {
        LineKind::Omit => p.before.map(|(_, r)| (Quantity::default(), r)),
        LineKind::Add | LineKind::Change => p.after.map(|(q, r)| (q, Some(r))),
    }
}

/// The sum of the lines' amounts, exactly; `None` if it overflows.
pub fn total_of<'a>(amounts: impl IntoIterator<Item = &'a i64>) -> Option<i64> {
    amounts
        .into_iter()
        .try_fold(0i64, |acc, a| acc.checked_add(*a))
}

/// Checks a time impact in days.
pub fn check_time_impact(errors: &mut FieldErrors, days: Option<i32>) {
    if let Some(d) = days
        && !(-TIME_IMPACT_MAX_DAYS..=TIME_IMPACT_MAX_DAYS).contains(&d)
    {
        errors.add(
            "time_impact_days",
            format!("must be between -{TIME_IMPACT_MAX_DAYS} and {TIME_IMPACT_MAX_DAYS} days"),
        );
    }
}

/// Checks a rate: zero or more, at most [`MONEY_MAX_MINOR`].
pub fn check_rate(errors: &mut FieldErrors, field: &str, rate: i64) {
    if !(0..=MONEY_MAX_MINOR).contains(&rate) {
        errors.add(field, "must be zero or more and at most 10 trillion");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{self, StatusWord};
    use proptest::prelude::*;

    fn q(units: i64) -> Quantity {
        Quantity::units(units)
    }

    #[test]
    fn codes_count_from_one() {
        assert_eq!(variation_code(1), "VO-001");
        assert_eq!(variation_code(1234), "VO-1234");
    }

    #[test]
    fn lines_price_the_change_in_contract_value() {
        let add = Pricing {
            kind: LineKind::Add,
            before: None,
            after: Some((Quantity(2_500), 1_999)),
        };
        // 2.5 × 19.99 = 49.975 → 49.98 (half away from zero, as the scope rounds).
        assert_eq!(line_amount(add), Some(4_998));
        assert_eq!(line_amount(add), Quantity(2_500).times(1_999));
        let omit = Pricing {
            kind: LineKind::Omit,
            before: Some((q(3), Some(10_000))),
            after: None,
        };
        assert_eq!(line_amount(omit), Some(-30_000));
        let unpriced = Pricing {
            kind: LineKind::Omit,
            before: Some((q(3), None)),
            after: None,
        };
        assert_eq!(line_amount(unpriced), Some(0));
        let change = Pricing {
            kind: LineKind::Change,
            before: Some((q(3), Some(10_000))),
            after: Some((q(5), 9_000)),
        };
        assert_eq!(line_amount(change), Some(45_000 - 30_000));
        let missing = Pricing {
            kind: LineKind::Change,
            before: None,
            after: Some((q(5), 9_000)),
        };
        assert_eq!(line_amount(missing), None);
    }

    #[test]
    fn the_review_takes_variations_through_draft_submitted_decided() {
        let mut v = variation();
        assert_eq!(review::submit(&v), Ok(VariationStatus::Submitted));
        assert!(review::decide(&v, VariationDecision::Approved).is_err());
        let at = OffsetDateTime::UNIX_EPOCH + time::Duration::days(2);
        v.enter(VariationStatus::Submitted, "Paula", at);
        assert_eq!(v.submitted_at, Some(at));
        assert_eq!(
            review::decide(&v, VariationDecision::Rejected),
            Ok(VariationStatus::Rejected)
        );
        let mut approved = v.clone();
        approved.enter(VariationStatus::Approved, "Cleo", at);
        assert_eq!(approved.applied_at, Some(at));
        v.enter(VariationStatus::Rejected, "Cleo", at);
        assert_eq!((v.decided_at, v.applied_at), (Some(at), None));
        // Decided is final; a rejected variation is not resubmitted in place.
        assert!(review::submit(&v).is_err());
        assert!(review::allowed_next::<Variation>(VariationStatus::Approved).is_empty());
        for s in VariationStatus::ALL {
            assert_eq!(s.word(), s.state().as_str());
        }
    }

    #[test]
    fn withdrawal_is_before_a_decision() {
        let mut v = variation();
        assert!(v.may_withdraw() && v.is_editable());
        v.status = VariationStatus::Submitted;
        assert!(v.may_withdraw() && !v.is_editable());
        v.withdrawn_at = Some(OffsetDateTime::UNIX_EPOCH);
        assert!(!v.may_withdraw());
        assert_eq!(v.state_word(), "withdrawn");
        v.withdrawn_at = None;
        v.status = VariationStatus::Approved;
        assert!(!v.may_withdraw());
    }

    #[test]
    fn bounds_are_checked() {
        let mut e = FieldErrors::new();
        check_time_impact(&mut e, Some(10));
        check_time_impact(&mut e, Some(-10));
        check_rate(&mut e, "unit_price_minor", 0);
        assert!(e.is_empty());
        check_time_impact(&mut e, Some(TIME_IMPACT_MAX_DAYS + 1));
        check_rate(&mut e, "unit_price_minor", -1);
        assert_eq!(e.0.len(), 2);
    }

    fn variation() -> Variation {
        Variation {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            number: 1,
            code: variation_code(1),
            title: "Extra shelving".into(),
            description: None,
            reason: VariationReason::ClientRequest,
            rfi_id: None,
            rfi_code: None,
            requested_by_client: false,
            time_impact_days: None,
            currency: "USD".into(),
            total_minor: Some(0),
            status: VariationStatus::Draft,
            raised_by: None,
            raised_by_name: None,
            raised_at: OffsetDateTime::UNIX_EPOCH,
            submitted_at: None,
            decided_at: None,
            applied_at: None,
            withdrawn_at: None,
            withdrawn_by_name: None,
            withdrawn_reason: None,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            version: 1,
        }
    }

    fn pricing() -> impl Strategy<Value = Pricing> {
        let qty = (0i64..=1_000_000_000).prop_map(Quantity);
        let rate = 0i64..=100_000_000_000;
        (
            prop::sample::select(LineKind::ALL.to_vec()),
            qty.clone(),
            prop::option::of(rate.clone()),
            qty,
            rate,
        )
            .prop_map(|(kind, qb, rb, qa, ra)| Pricing {
                kind,
                before: (kind != LineKind::Add).then_some((qb, rb)),
                after: (kind != LineKind::Omit).then_some((qa, ra)),
            })
    }

    /// A scope of priced items and a run of variations, each priced against the scope as it
    /// is then, and approved or rejected.
    /// Items as (quantity, rate); a variation's lines as (item, kind, quantity, rate), and
    /// whether it is approved.
    type Scope = Vec<(Quantity, Option<i64>)>;
    type Runs = Vec<(Vec<(usize, LineKind, Quantity, i64)>, bool)>;

    fn history() -> impl Strategy<Value = (Scope, Runs)> {
        let item = (
            (0i64..=10_000_000).prop_map(Quantity),
            prop::option::of(0i64..=10_000_000),
        );
        let line = (
            0usize..8,
            prop::sample::select(LineKind::ALL.to_vec()),
            (0i64..=10_000_000).prop_map(Quantity),
            0i64..=10_000_000,
        );
        (
            prop::collection::vec(item, 1..8),
            prop::collection::vec((prop::collection::vec(line, 0..6), any::<bool>()), 0..10),
        )
    }

    proptest! {
        /// The current contract value is the original plus the approved variations, exactly,
        /// and the scope's total moved by the same amount (rejections change nothing).
        #[test]
        fn contract_value_is_the_original_plus_the_approved_variations(
            (mut scope, runs) in history(),
            original in 0i64..=1_000_000_000_000,
        ) {
            let scope_total = |scope: &[(Quantity, Option<i64>)]| -> i64 {
                scope.iter().map(|(q, r)| item_total(*q, *r).unwrap()).sum()
            };
            let start = scope_total(&scope);
            let mut contract = original;
            let mut approved_sum = 0i64;
            for (lines, approve) in runs {
                // One line per item, as the use cases keep it; adds append new items.
                let mut seen = Vec::new();
                let mut priced = Vec::new();
                for (i, kind, q, r) in lines {
                    let i = i % scope.len();
                    if kind != LineKind::Add && seen.contains(&i) {
                        continue;
                    }
                    seen.push(i);
                    let p = Pricing {
                        kind,
                        before: (kind != LineKind::Add).then_some(scope[i]),
                        after: (kind != LineKind::Omit).then_some((q, r)),
                    };
                    priced.push((i, p, line_amount(p).unwrap()));
                }
                let total = total_of(priced.iter().map(|(_, _, a)| a)).unwrap();
                if approve {
                    for (i, p, _) in &priced {
                        let after = applied(*p).unwrap();
                        match p.kind {
                            LineKind::Add => scope.push(after),
                            _ => scope[*i] = after,
                        }
                    }
                    contract += total;
                    approved_sum += total;
                }
            }
            prop_assert_eq!(contract, original + approved_sum);
            prop_assert_eq!(scope_total(&scope) - start, approved_sum);
        }

        /// The lines' amounts sum exactly to the total, and the total is the change between
        /// the scope priced before and after, item by item (as the BOQ totals them).
        #[test]
        fn line_amounts_sum_exactly_to_the_total(lines in prop::collection::vec(pricing(), 0..40)) {
            let amounts: Vec<i64> = lines.iter().map(|p| line_amount(*p).unwrap()).collect();
            let total = total_of(&amounts).unwrap();
            let before: i128 = lines
                .iter()
                .filter_map(|p| p.before)
                .map(|(q, r)| i128::from(item_total(q, r).unwrap()))
                .sum();
            let after: i128 = lines
                .iter()
                .filter_map(|p| p.after)
                .map(|(q, r)| i128::from(q.times(r).unwrap()))
                .sum();
            prop_assert_eq!(i128::from(total), after - before);
            prop_assert_eq!(total, amounts.iter().sum::<i64>());
        }
    }
}
