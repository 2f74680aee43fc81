//! Goods receipts: what arrived against a purchase order, on one day, under one delivery
//! note, per line. Receipts are a ledger (DESIGN.md §10): a line's `received_milli` is the sum
//! of its receipt lines, kept in the transaction that adds each receipt, with the order's row
//! locked, so it never passes the ordered quantity unless a receipt line accepts the
//! over-delivery with a reason ([`check_line`]).
//!
//! What a receipt moves besides its lines: the order (sent → partially received → received,
//! [`order_status_after`]) and each linked specification's procurement (partially delivered /
//! delivered, [`spec_procurement_after`]), which drives the readiness gate.
//!
//! Cost control splits the value of a line linked through a specification across the
//! specification's scope items in proportion to their quantities, exactly
//! ([`split_exact`]: largest remainder, so the parts always sum to the whole).

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::attachment::Attachment;
use crate::scope::Quantity;
use crate::spec::Procurement;

/// Longest delivery-note number, receiver name, note and over-delivery reason accepted.
pub const DELIVERY_NOTE_MAX: usize = 120;
pub const RECEIVED_BY_MAX: usize = 120;
pub const NOTE_MAX: usize = 2000;
pub const REASON_MAX: usize = 500;
/// Most lines in one receipt (an order has at most this many lines).
pub const LINES_MAX: usize = 500;

/// The order states a receipt may be recorded in.
pub const RECEIVABLE: [&str; 2] = ["sent", "partially_received"];
/// The order states whose lines commit money (approved or further, not cancelled).
pub const COMMITTED: [&str; 5] = [
    "approved",
    "sent",
    "partially_received",
    "received",
    "closed",
];

/// Whether goods may be received against an order in `status`.
pub fn receivable(status: &str) -> bool {
    RECEIVABLE.contains(&status)
}

/// Why a receipt line is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not more than zero.
    NotPositive(String),
    /// Past the ordered quantity without an accepted over-delivery.
    OverDelivery(String),
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Refusal::NotPositive(m) | Refusal::OverDelivery(m) => m,
        }
    }

    /// A stable code for the problem document.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotPositive(_) => "invalid_quantity",
            Refusal::OverDelivery(_) => "over_delivery",
        }
    }
}

/// Checks receiving `quantity` more of a line that ordered `ordered` and has `received`:
/// more than zero, and not past the ordered quantity unless the over-delivery is accepted
/// (a reason given).
pub fn check_line(
    position: i64,
    ordered: Quantity,
    received: Quantity,
    quantity: Quantity,
    over_delivery_accepted: bool,
) -> Result<(), Refusal> {
    if quantity.0 <= 0 {
        return Err(Refusal::NotPositive(format!(
            "line {position}: the quantity received must be more than 0"
        )));
    }
    let after = received.0.saturating_add(quantity.0);
    if after > ordered.0 && !over_delivery_accepted {
        let left = Quantity((ordered.0 - received.0).max(0));
        return Err(Refusal::OverDelivery(format!(
            "line {position}: only {left} of {ordered} left to receive; accept the over-delivery with a reason to receive more"
        )));
    }
    Ok(())
}

/// The order's state once its lines hold `(ordered, received)`: received when every line is
/// fully received, partially received otherwise.
pub fn order_status_after(lines: &[(Quantity, Quantity)]) -> &'static str {
    if lines.iter().all(|(o, r)| r >= o) {
        "received"
    } else {
        "partially_received"
    }
}

/// A specification's procurement once `delivered` of its `quantity` has arrived: delivered
/// when all of it has, partially delivered when some has; an installed specification stays
/// installed, and nothing received leaves it where it was.
pub fn spec_procurement_after(
    current: Option<Procurement>,
    quantity: Quantity,
    delivered: Quantity,
) -> Option<Procurement> {
    if current == Some(Procurement::Installed) || delivered.0 <= 0 {
        return current;
    }
    if delivered >= quantity {
        Some(Procurement::Delivered)
    } else {
        Some(Procurement::PartiallyDelivered)
    }
}

/// A line is late when it has a required date and was not fully received by then: received
/// after it, or still short after it (`today`).
pub fn line_is_late(
    required_on: Option<Date>,
    ordered: Quantity,
    received: Quantity,
    received_on: Option<Date>,
    today: Date,
) -> bool {
    let Some(required) = required_on else {
        return false;
    };
    if received >= ordered {
        received_on.is_some_and(|d| d > required)
    } else {
        today > required
    }
}

/// Splits `total` across parts weighted by `weights` (non-negative), exactly: each part is
/// `total × weight / Σweights` rounded down, and the units left over go one each to the
/// parts with the largest remainders (ties to the earlier part), so the parts always sum to
/// `total`. With no weight at all (empty, or all zero) the split is equal. A negative total
/// is split as its opposite, negated.
pub fn split_exact(total: i64, weights: &[i64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    if total < 0 {
        return split_exact_wide(-i128::from(total), weights)
            .into_iter()
            .map(|p| i64::try_from(-p).unwrap_or(i64::MIN))
            .collect();
    }
    split_exact_wide(i128::from(total), weights)
        .into_iter()
        .map(|p| i64::try_from(p).unwrap_or(i64::MAX))
        .collect()
}

fn split_exact_wide(total: i128, weights: &[i64]) -> Vec<i128> {
    let w: Vec<i128> = weights.iter().map(|w| i128::from((*w).max(0))).collect();
    let sum: i128 = w.iter().sum();
    let (w, sum) = if sum == 0 {
        (vec![1; w.len()], w.len() as i128)
    } else {
        (w, sum)
    };
    let mut parts: Vec<i128> = w.iter().map(|x| total * x / sum).collect();
    let mut rests: Vec<(i128, usize)> = w
        .iter()
        .enumerate()
        .map(|(i, x)| (total * x % sum, i))
        .collect();
    let left = total - parts.iter().sum::<i128>();
    // Largest remainder first; equal remainders keep their order.
    rests.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rests.into_iter().take(usize::try_from(left).unwrap_or(0)) {
        parts[i] += 1;
    }
    parts
}

/// Two currencies met in one sum: refused rather than mixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixedCurrencies {
    pub expected: String,
    pub found: String,
}

impl std::fmt::Display for MixedCurrencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot add {} to {}: a sum holds one currency",
            self.found, self.expected
        )
    }
}

/// A committed order line as cost control reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostLine {
    pub currency: String,
    pub total_minor: i64,
    pub unit_price_minor: i64,
    pub received: Quantity,
    /// Linked to this scope item directly.
    pub scope_item_id: Option<Uuid>,
    /// Else, the scope items of its specification with their quantities.
    pub spec_items: Vec<(Uuid, Quantity)>,
}

impl CostLine {
    /// What has arrived of it: received quantity × unit price.
    pub fn received_value(&self) -> i64 {
        self.received.times(self.unit_price_minor).unwrap_or(0)
    }
}

/// Committed and actual cost of one scope item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ItemCost {
    pub committed_minor: i64,
    pub actual_minor: i64,
}

/// Committed (line totals) and actual (received value) cost per scope item, in `currency`.
/// A line linked to an item counts whole for it; a line linked through a specification is
/// split across the specification's items in proportion to their quantities
/// ([`split_exact`]), so what the items carry sums exactly to the line. A line in another
/// currency is refused.
pub fn costs_by_item(
    currency: &str,
    lines: &[CostLine],
) -> Result<std::collections::BTreeMap<Uuid, ItemCost>, MixedCurrencies> {
    let mut out: std::collections::BTreeMap<Uuid, ItemCost> = Default::default();
    for line in lines {
        if line.currency != currency {
            return Err(MixedCurrencies {
                expected: currency.to_owned(),
                found: line.currency.clone(),
            });
        }
        let actual = line.received_value();
        if let Some(item) = line.scope_item_id {
            let c = out.entry(item).or_default();
            c.committed_minor = c.committed_minor.saturating_add(line.total_minor);
            c.actual_minor = c.actual_minor.saturating_add(actual);
            continue;
        }
        let weights: Vec<i64> = line.spec_items.iter().map(|(_, q)| q.0).collect();
        let committed = split_exact(line.total_minor, &weights);
        let received = split_exact(actual, &weights);
        for (((item, _), c), a) in line.spec_items.iter().zip(committed).zip(received) {
            let e = out.entry(*item).or_default();
            e.committed_minor = e.committed_minor.saturating_add(c);
            e.actual_minor = e.actual_minor.saturating_add(a);
        }
    }
    Ok(out)
}

/// A line of an order as the receiving page shows it (no price: a craftsman receives).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReceivingLine {
    pub id: Uuid,
    pub position: i64,
    pub description: String,
    pub unit: String,
    pub spec_id: Option<Uuid>,
    pub scope_item_id: Option<Uuid>,
    /// Ordered (a decimal string).
    pub quantity: Quantity,
    /// Received so far.
    pub received: Quantity,
    /// Left to receive (never below 0).
    pub remaining: Quantity,
    pub required_on: Option<Date>,
    /// The day of the last receipt of the line.
    pub received_on: Option<Date>,
    /// Not fully received by its required date (or received after it).
    pub late: bool,
}

/// An order as receiving sees it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReceivingOrder {
    pub id: Uuid,
    pub project_id: Uuid,
    pub number: String,
    /// `draft`, `approved`, `sent`, `partially_received`, `received`, `closed`, `cancelled`.
    pub status: String,
    pub supplier_name: String,
    pub created_by: Option<Uuid>,
    pub lines: Vec<ReceivingLine>,
    pub version: i64,
}

/// One line of a receipt.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GoodsReceiptLine {
    pub line_id: Uuid,
    pub position: i64,
    pub description: String,
    pub unit: String,
    pub quantity: Quantity,
    /// Set when the line accepted receiving more than was ordered.
    pub over_delivery_reason: Option<String>,
}

/// A receipt as the team reads it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GoodsReceipt {
    pub id: Uuid,
    pub purchase_order_id: Uuid,
    pub received_on: Date,
    pub delivery_note: Option<String>,
    pub received_by: Option<Uuid>,
    /// Who received it: the user's name, or the name typed in.
    pub received_by_name: Option<String>,
    pub note: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub lines: Vec<GoodsReceiptLine>,
    pub photos: Vec<Attachment>,
}

/// A receipt line about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReceiptLine {
    pub line_id: Uuid,
    pub quantity: Quantity,
    pub over_delivery_reason: Option<String>,
}

/// A receipt about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGoodsReceipt {
    pub id: Uuid,
    pub purchase_order_id: Uuid,
    pub received_on: Date,
    pub delivery_note: Option<String>,
    pub received_by: Option<Uuid>,
    pub received_by_name: Option<String>,
    pub note: Option<String>,
    pub recorded_at: OffsetDateTime,
    pub lines: Vec<NewReceiptLine>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn q(n: i64) -> Quantity {
        Quantity::units(n)
    }

    #[test]
    fn a_line_is_received_up_to_its_quantity_unless_more_is_accepted() {
        assert!(check_line(1, q(10), q(4), q(6), false).is_ok());
        let e = check_line(1, q(10), q(4), q(7), false).unwrap_err();
        assert_eq!(e.code(), "over_delivery");
        assert!(e.message().contains("only 6 of 10 left"), "{}", e.message());
        assert!(check_line(1, q(10), q(4), q(7), true).is_ok());
        assert_eq!(
            check_line(2, q(10), q(0), Quantity(0), false)
                .unwrap_err()
                .code(),
            "invalid_quantity"
        );
    }

    #[test]
    fn an_order_is_received_when_every_line_is() {
        assert_eq!(
            order_status_after(&[(q(2), q(2)), (q(3), q(4))]),
            "received"
        );
        assert_eq!(
            order_status_after(&[(q(2), q(2)), (q(3), q(1))]),
            "partially_received"
        );
        assert!(receivable("sent") && receivable("partially_received"));
        assert!(!receivable("draft") && !receivable("received"));
    }

    #[test]
    fn receipts_move_a_specification_to_delivered() {
        use Procurement::*;
        assert_eq!(
            spec_procurement_after(Some(Ordered), q(10), q(3)),
            Some(PartiallyDelivered)
        );
        assert_eq!(
            spec_procurement_after(Some(PartiallyDelivered), q(10), q(10)),
            Some(Delivered)
        );
        assert_eq!(
            spec_procurement_after(Some(Installed), q(10), q(10)),
            Some(Installed)
        );
        assert_eq!(
            spec_procurement_after(Some(Ordered), q(10), q(0)),
            Some(Ordered)
        );
    }

    #[test]
    fn late_lines() {
        let due = Some(date!(2026 - 03 - 10));
        let today = date!(2026 - 03 - 12);
        assert!(line_is_late(due, q(5), q(2), None, today));
        assert!(!line_is_late(due, q(5), q(2), None, date!(2026 - 03 - 10)));
        assert!(line_is_late(
            due,
            q(5),
            q(5),
            Some(date!(2026 - 03 - 11)),
            today
        ));
        assert!(!line_is_late(
            due,
            q(5),
            q(5),
            Some(date!(2026 - 03 - 10)),
            today
        ));
        assert!(!line_is_late(None, q(5), q(0), None, today));
    }

    #[test]
    fn a_split_goes_by_weight_and_the_remainder_to_the_largest_rests() {
        assert_eq!(split_exact(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(split_exact(10, &[3, 0, 1]), vec![8, 0, 2]);
        assert_eq!(split_exact(7, &[0, 0]), vec![4, 3]);
        assert_eq!(split_exact(-100, &[1, 1, 1]), vec![-34, -33, -33]);
        assert!(split_exact(5, &[]).is_empty());
    }

    #[test]
    fn item_costs_split_spec_lines_by_quantity_and_refuse_a_second_currency() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let lines = vec![
            CostLine {
                currency: "USD".into(),
                total_minor: 1000,
                unit_price_minor: 100,
                received: q(4),
                scope_item_id: None,
                spec_items: vec![(a, q(1)), (b, q(2))],
            },
            CostLine {
                currency: "USD".into(),
                total_minor: 500,
                unit_price_minor: 50,
                received: q(10),
                scope_item_id: Some(c),
                spec_items: vec![(a, q(1))],
            },
        ];
        let costs = costs_by_item("USD", &lines).unwrap();
        assert_eq!(
            costs[&a],
            ItemCost {
                committed_minor: 333,
                actual_minor: 133
            }
        );
        assert_eq!(
            costs[&b],
            ItemCost {
                committed_minor: 667,
                actual_minor: 267
            }
        );
        assert_eq!(
            costs[&c],
            ItemCost {
                committed_minor: 500,
                actual_minor: 500
            }
        );
        let mut other = lines.clone();
        other[1].currency = "EUR".into();
        let e = costs_by_item("USD", &other).unwrap_err();
        assert_eq!(e.found, "EUR");
    }

    proptest! {
        #[test]
        fn the_parts_of_a_split_sum_to_the_whole(
            total in -1_000_000_000_000i64..1_000_000_000_000,
            weights in proptest::collection::vec(0i64..10_000_000_000, 1..12),
        ) {
            let parts = split_exact(total, &weights);
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(parts.iter().map(|p| i128::from(*p)).sum::<i128>(), i128::from(total));
            // Each part is within one unit of its exact share.
            let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
            if sum > 0 {
                for (p, w) in parts.iter().zip(&weights) {
                    let exact = i128::from(total) * i128::from(*w);
                    let diff = i128::from(*p) * sum - exact;
                    prop_assert!(diff.abs() < sum, "part {} weight {}", p, w);
                }
            }
        }
    }
}
