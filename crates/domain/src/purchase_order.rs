//! Purchase orders: a project's order to one supplier, with numbered lines. Each line
//! orders a quantity (thousandths) of a specification, a scope item or a free description
//! at a unit price; its total is `quantity × price` computed exactly as the scope prices an
//! item (`Quantity::times`, rounded half away from zero), and the order's total is the sum
//! of its lines. Numbers are `PO-<year>-<seq>` from a per-year sequence (the store takes the
//! next in the creating transaction). States: draft → approved → sent → partially received
//! → received → closed, or cancelled (with a reason, never once goods were received). The
//! receipt states are set by goods receipts; the others by the order's own use cases.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::enums::string_enum;
use crate::errors::FieldErrors;
use crate::scope::Quantity;

/// Longest texts accepted.
pub const DESCRIPTION_MAX: usize = 500;
pub const UNIT_MAX: usize = 20;
pub const TEXT_MAX: usize = 2_000;
pub const REASON_MAX: usize = 500;
/// At most this many lines on one order.
pub const LINES_MAX: usize = 500;
/// Largest unit price accepted (as the scope: 10 trillion major units).
pub const MONEY_MAX_MINOR: i64 = 1_000_000_000_000_000;

string_enum!(
    /// Where a purchase order is.
    PoStatus {
        Draft => "draft", "Draft",
        Approved => "approved", "Approved",
        Sent => "sent", "Sent",
        PartiallyReceived => "partially_received", "Partially received",
        Received => "received", "Received",
        Closed => "closed", "Closed",
        Cancelled => "cancelled", "Cancelled",
    }
);

impl PoStatus {
    /// The states that may follow this one. `PartiallyReceived` and `Received` are set by
    /// goods receipts (a receipt of part of the order, or of all of it).
    pub fn allowed_next(self) -> &'static [PoStatus] {
        use PoStatus::*;
        match self {
            Draft => &[Approved, Cancelled],
            Approved => &[Sent, Cancelled],
            Sent => &[PartiallyReceived, Received, Closed, Cancelled],
            PartiallyReceived => &[PartiallyReceived, Received, Closed],
            Received => &[Closed],
            Closed | Cancelled => &[],
        }
    }

    pub fn may_move_to(self, next: PoStatus) -> bool {
        self.allowed_next().contains(&next)
    }

    /// Goods may be received against it.
    pub fn is_receivable(self) -> bool {
        matches!(self, PoStatus::Sent | PoStatus::PartiallyReceived)
    }
}

/// `PO-2026-0001`: an order's number from its year and sequence.
pub fn po_number(year: i32, seq: i64) -> String {
    format!("PO-{year}-{seq:04}")
}

/// A purchase order's header.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PurchaseOrder {
    pub id: Uuid,
    pub project_id: Uuid,
    pub supplier_id: Uuid,
    pub supplier_name: String,
    /// `PO-2026-0001`.
    pub number: String,
    pub status: PoStatus,
    /// The project's currency.
    pub currency: String,
    /// Sum of the lines' totals in minor units; `null` for a caller who may not see
    /// purchase prices.
    pub total_minor: Option<i64>,
    pub required_on: Option<Date>,
    pub delivery_address: Option<String>,
    pub terms: Option<String>,
    pub notes: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub approved_by: Option<Uuid>,
    pub approved_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub approved_at: Option<OffsetDateTime>,
    pub sent_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    /// The address it was mailed to.
    pub sent_to: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub cancelled_at: Option<OffsetDateTime>,
    pub cancelled_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl PurchaseOrder {
    /// Its header and lines may still change.
    pub fn is_editable(&self) -> bool {
        self.status == PoStatus::Draft
    }

    /// Cancelling is possible until goods were received.
    pub fn may_cancel(&self) -> bool {
        self.status.may_move_to(PoStatus::Cancelled)
    }

    /// Closing: once sent (received, partly received, or sent and not to be received).
    pub fn may_close(&self) -> bool {
        self.status.may_move_to(PoStatus::Closed)
    }

    /// Prices and totals removed (a caller who may not see purchase prices).
    pub fn without_prices(mut self) -> Self {
        self.total_minor = None;
        self
    }
}

/// One line of a purchase order.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PoLine {
    pub id: Uuid,
    pub purchase_order_id: Uuid,
    /// Order on the document, 0-based.
    pub position: i64,
    pub spec_id: Option<Uuid>,
    /// The specification's code, when the line orders one.
    pub spec_code: Option<String>,
    pub scope_item_id: Option<Uuid>,
    /// The scope item's code, when the line orders one.
    pub scope_item_code: Option<String>,
    pub description: String,
    pub quantity: Quantity,
    pub unit: String,
    /// `null` for a caller who may not see purchase prices.
    pub unit_price_minor: Option<i64>,
    /// `quantity × unit price`, rounded half away from zero; `null` without price rights.
    pub total_minor: Option<i64>,
    pub required_on: Option<Date>,
    /// Received so far (set by goods receipts).
    pub received: Quantity,
    pub received_on: Option<Date>,
}

impl PoLine {
    /// Prices removed (a caller who may not see purchase prices).
    pub fn without_prices(mut self) -> Self {
        self.unit_price_minor = None;
        self.total_minor = None;
        self
    }
}

/// A line's total: `quantity × unit price` in minor units, rounded half away from zero
/// (the scope's rounding). `None` when it would overflow.
pub fn line_total(quantity: Quantity, unit_price_minor: i64) -> Option<i64> {
    quantity.times(unit_price_minor)
}

/// The order's total: the exact sum of its lines' totals (`None` on overflow).
pub fn document_total(line_totals: impl IntoIterator<Item = i64>) -> Option<i64> {
    line_totals
        .into_iter()
        .try_fold(0_i64, |acc, t| acc.checked_add(t))
}

/// Checks a line's quantity (more than zero, at most `Quantity::MAX`) and unit price
/// (zero or more, at most `MONEY_MAX_MINOR`), and that its total fits; returns the total.
pub fn check_line(
    errors: &mut FieldErrors,
    quantity: Quantity,
    unit_price_minor: i64,
) -> Option<i64> {
    let mut ok = true;
    if quantity.0 <= 0 {
        errors.add("quantity", "must be more than 0");
        ok = false;
    } else if quantity > Quantity::MAX {
        errors.add("quantity", "must be at most 1,000,000,000");
        ok = false;
    }
    if unit_price_minor < 0 {
        errors.add("unit_price_minor", "must be 0 or more");
        ok = false;
    } else if unit_price_minor > MONEY_MAX_MINOR {
        errors.add(
            "unit_price_minor",
            format!("must be at most {MONEY_MAX_MINOR}"),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    let total = line_total(quantity, unit_price_minor);
    if total.is_none() {
        errors.add("unit_price_minor", "makes a line total too large");
    }
    total
}

/// A currency for an order: only its project's.
pub fn check_currency(errors: &mut FieldErrors, given: Option<&str>, project_currency: &str) {
    if let Some(c) = given
        && !c.trim().eq_ignore_ascii_case(project_currency)
    {
        errors.add(
            "currency",
            format!("must be the project's currency, {project_currency}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_are_padded_to_four() {
        assert_eq!(po_number(2026, 1), "PO-2026-0001");
        assert_eq!(po_number(2026, 12345), "PO-2026-12345");
    }

    #[test]
    fn states_move_as_the_workflow_says() {
        use PoStatus::*;
        assert!(Draft.may_move_to(Approved));
        assert!(!Draft.may_move_to(Sent));
        assert!(Approved.may_move_to(Sent));
        assert!(Sent.may_move_to(PartiallyReceived));
        assert!(Sent.may_move_to(Received));
        assert!(PartiallyReceived.may_move_to(PartiallyReceived));
        assert!(PartiallyReceived.may_move_to(Received));
        assert!(Received.may_move_to(Closed));
        // No cancelling once goods came in.
        assert!(!PartiallyReceived.may_move_to(Cancelled));
        assert!(!Received.may_move_to(Cancelled));
        assert!(Closed.allowed_next().is_empty());
        assert!(Cancelled.allowed_next().is_empty());
        assert!(Sent.is_receivable() && PartiallyReceived.is_receivable());
        assert!(!Approved.is_receivable());
    }

    #[test]
    fn line_totals_round_half_away_from_zero() {
        // 1.5 × 0.01 = 0.015 → 0.02
        assert_eq!(line_total(Quantity(1_500), 1), Some(2));
        assert_eq!(line_total(Quantity(1_499), 1), Some(1));
        assert_eq!(line_total(Quantity(2_000), 12_345), Some(24_690));
    }

    #[test]
    fn lines_are_checked() {
        let mut e = FieldErrors::new();
        assert_eq!(check_line(&mut e, Quantity(0), -1), None);
        assert_eq!(e.0.len(), 2);
        let mut e = FieldErrors::new();
        assert_eq!(check_line(&mut e, Quantity(1_000), 0), Some(0));
        assert!(e.0.is_empty());
    }

    #[test]
    fn currency_must_be_the_projects() {
        let mut e = FieldErrors::new();
        check_currency(&mut e, Some("eur"), "EUR");
        check_currency(&mut e, None, "EUR");
        assert!(e.0.is_empty());
        check_currency(&mut e, Some("USD"), "EUR");
        assert_eq!(e.0.len(), 1);
    }

    proptest! {
        /// Line totals sum exactly to the document total: the sum of the rounded lines,
        /// never a rounding of the unrounded sum.
        #[test]
        fn line_totals_sum_exactly_to_the_document_total(
            lines in proptest::collection::vec((1_i64..=10_000_000, 0_i64..=100_000_000), 0..40)
        ) {
            let totals: Vec<i64> = lines
                .iter()
                .map(|&(q, p)| line_total(Quantity(q), p).expect("fits"))
                .collect();
            let doc = document_total(totals.iter().copied()).expect("fits");
            let exact: i128 = totals.iter().map(|&t| i128::from(t)).sum();
            prop_assert_eq!(i128::from(doc), exact);
            for (&(q, p), &t) in lines.iter().zip(&totals) {
                // Each line is within half a minor unit of the exact product.
                let exact = i128::from(q) * i128::from(p);
                prop_assert!((i128::from(t) * 1000 - exact).abs() <= 500);
            }
        }
    }
}
