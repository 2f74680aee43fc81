//! Delivery notes: what leaves the workshop for site, and what arrives there (docs/workshop.md,
//! "Delivery notes: dispatch and receipt on site").
//!
//! A note is numbered per project (`DN-001`), names a destination (a level, building or zone
//! of the project's locations, and an address), a planned date, a vehicle and a driver, and
//! lines: a scope item and a quantity. Its states: planned → dispatched → partially received →
//! received, or cancelled (only while planned). It is edited only while planned.
//!
//! Two ledger rules, checked again by the store in the writing transaction with the items'
//! rows (dispatch) or the note's row (receipt) locked:
//! - a dispatch takes at most what is packed and not yet dispatched on another note
//!   ([`check_dispatch`]);
//! - a receipt takes a line at most to what was dispatched on it ([`check_receipt_line`]).
//!
//! What is received on site is what may be installed (`installation::installable`).

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::attachment::Attachment;
use crate::enums::string_enum;
use crate::scope::Quantity;

/// Longest address, vehicle, driver, signed name and note accepted.
pub const ADDRESS_MAX: usize = 500;
pub const VEHICLE_MAX: usize = 120;
pub const DRIVER_MAX: usize = 120;
pub const SIGNED_NAME_MAX: usize = 120;
pub const NOTES_MAX: usize = 2000;
pub const LINE_NOTE_MAX: usize = 500;
pub const REASON_MAX: usize = 500;
/// Most lines on one note.
pub const LINES_MAX: usize = 200;

string_enum!(
    /// Where a delivery note is in its life.
    DeliveryStatus {
        Planned => "planned", "Planned",
        Dispatched => "dispatched", "Dispatched",
        PartiallyReceived => "partially_received", "Partially received",
        Received => "received", "Received",
        Cancelled => "cancelled", "Cancelled",
    }
);

impl DeliveryStatus {
    /// Goods may be received on site against it: dispatched, or received in part.
    pub fn receivable(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Dispatched | DeliveryStatus::PartiallyReceived
        )
    }

    /// Its lines count as dispatched (they left the workshop).
    pub fn on_the_road(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Dispatched
                | DeliveryStatus::PartiallyReceived
                | DeliveryStatus::Received
        )
    }
}

/// "DN-007".
pub fn note_code(number: i64) -> String {
    format!("DN-{number:03}")
}

/// Why a dispatch or a receipt is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// More than is packed and not yet dispatched.
    NotPacked(String),
    /// More than is still to come on the line.
    OverReceipt(String),
    /// Not more than zero.
    NotPositive(String),
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Refusal::NotPacked(m) | Refusal::OverReceipt(m) | Refusal::NotPositive(m) => m,
        }
    }

    /// A stable code for the problem document.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotPacked(_) => "not_packed",
            Refusal::OverReceipt(_) => "over_receipt",
            Refusal::NotPositive(_) => "invalid_quantity",
        }
    }
}

/// Checks dispatching `wanted` of an item of which `packed` went into the packed stage and
/// `dispatched` left on other notes already.
pub fn check_dispatch(
    item_code: &str,
    wanted: Quantity,
    packed: Quantity,
    dispatched: Quantity,
) -> Result<(), Refusal> {
    let free = Quantity((packed.0 - dispatched.0).max(0));
    if wanted > free {
        let verb = if free == Quantity::units(1) {
            "is"
        } else {
            "are"
        };
        return Err(Refusal::NotPacked(format!(
            "only {free} of {item_code} {verb} packed and not yet dispatched; {wanted} cannot be dispatched"
        )));
    }
    Ok(())
}

/// Checks receiving `quantity` more on line `position` (of `item_code`) that dispatched
/// `dispatched` and received `received` so far.
pub fn check_receipt_line(
    position: i64,
    item_code: &str,
    dispatched: Quantity,
    received: Quantity,
    quantity: Quantity,
) -> Result<(), Refusal> {
    if quantity.0 <= 0 {
        return Err(Refusal::NotPositive(format!(
            "line {position}: the quantity received must be more than 0"
        )));
    }
    if received.0.saturating_add(quantity.0) > dispatched.0 {
        let left = Quantity((dispatched.0 - received.0).max(0));
        return Err(Refusal::OverReceipt(format!(
            "line {position} ({item_code}): only {left} of {dispatched} dispatched is still to come; {quantity} cannot be received"
        )));
    }
    Ok(())
}

/// The note's state once its lines hold `(dispatched, received)`: received when every line
/// has all of it, partially received otherwise (a receipt always takes something).
pub fn status_after_receipt(lines: &[(Quantity, Quantity)]) -> DeliveryStatus {
    if lines.iter().all(|(d, r)| r >= d) {
        DeliveryStatus::Received
    } else {
        DeliveryStatus::PartiallyReceived
    }
}

/// One line of a note, as it is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryLine {
    pub id: Uuid,
    /// From 1, in the order entered.
    pub position: i64,
    pub scope_item_id: Uuid,
    pub item_code: String,
    pub item_name: String,
    pub unit: String,
    /// Where the item goes: its room, or its room type (code), if placed.
    pub place: Option<String>,
    /// Dispatched (or to dispatch) on this note.
    #[schema(value_type = String, example = "4")]
    pub quantity: Quantity,
    /// Received on site so far.
    #[schema(value_type = String, example = "2")]
    pub received: Quantity,
    /// Still to come: `quantity − received` once dispatched.
    #[schema(value_type = String, example = "2")]
    pub remaining: Quantity,
    pub note: Option<String>,
}

/// A line of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryReceiptLine {
    pub line_id: Uuid,
    pub position: i64,
    pub item_code: String,
    #[schema(value_type = String, example = "2")]
    pub quantity: Quantity,
}

/// What arrived on site, once, signed by a name typed on the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryReceipt {
    pub id: Uuid,
    pub delivery_note_id: Uuid,
    pub received_on: Date,
    /// The signed-in user who recorded it.
    pub received_by: Option<Uuid>,
    pub received_by_name: Option<String>,
    /// The receiver's name, typed as the signature.
    pub signed_name: String,
    pub note: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub lines: Vec<DeliveryReceiptLine>,
    /// Photos taken on receipt.
    pub photos: Vec<Attachment>,
}

/// A delivery note with its lines and receipts (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryNote {
    pub id: Uuid,
    pub project_id: Uuid,
    pub number: i64,
    /// "DN-001".
    pub code: String,
    pub status: DeliveryStatus,
    /// A level, building or zone of the project.
    pub destination_id: Option<Uuid>,
    /// The destination's code and name, e.g. "T1-L03 Level 3".
    pub destination: Option<String>,
    pub address: Option<String>,
    pub planned_on: Option<Date>,
    pub vehicle: Option<String>,
    pub driver: Option<String>,
    pub notes: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub dispatched_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub dispatched_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub cancelled_at: Option<OffsetDateTime>,
    pub cancelled_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
    pub lines: Vec<DeliveryLine>,
    pub receipts: Vec<DeliveryReceipt>,
}

impl DeliveryNote {
    /// Lines with something still to come.
    pub fn open_lines(&self) -> impl Iterator<Item = &DeliveryLine> {
        self.lines.iter().filter(|l| l.remaining.0 > 0)
    }
}

/// A note in a list: no lines, their count and totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliverySummary {
    pub id: Uuid,
    pub number: i64,
    pub code: String,
    pub status: DeliveryStatus,
    pub destination: Option<String>,
    pub planned_on: Option<Date>,
    pub vehicle: Option<String>,
    pub driver: Option<String>,
    pub line_count: i64,
    #[schema(value_type = String, example = "12")]
    pub quantity: Quantity,
    #[schema(value_type = String, example = "8")]
    pub received: Quantity,
    #[serde(with = "time::serde::rfc3339::option")]
    pub dispatched_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// A scope item as the note form offers it: what is packed and not yet dispatched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PackedItem {
    pub scope_item_id: Uuid,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub place: Option<String>,
    /// Through the packed stage (the production ledger).
    #[schema(value_type = String, example = "10")]
    pub packed: Quantity,
    /// On notes dispatched already.
    #[schema(value_type = String, example = "6")]
    pub dispatched: Quantity,
    /// Packed, not yet dispatched: what a dispatch may take.
    #[schema(value_type = String, example = "4")]
    pub available: Quantity,
}

/// A line to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub id: Uuid,
    pub scope_item_id: Uuid,
    pub quantity: Quantity,
    pub note: Option<String>,
}

/// What a planned note holds besides its lines (checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteDetails {
    pub destination_id: Option<Uuid>,
    pub address: Option<String>,
    pub planned_on: Option<Date>,
    pub vehicle: Option<String>,
    pub driver: Option<String>,
    pub notes: Option<String>,
    pub lines: Vec<NewLine>,
}

/// A receipt to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReceipt {
    pub id: Uuid,
    pub delivery_note_id: Uuid,
    pub received_on: Date,
    pub received_by: Option<Uuid>,
    pub signed_name: String,
    pub note: Option<String>,
    pub recorded_at: OffsetDateTime,
    /// (line id, quantity).
    pub lines: Vec<(Uuid, Quantity)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn numbers_read_dn_and_three_digits() {
        assert_eq!(note_code(1), "DN-001");
        assert_eq!(note_code(1234), "DN-1234");
    }

    #[test]
    fn a_dispatch_takes_only_what_is_packed_and_not_yet_dispatched() {
        assert!(check_dispatch("X-1", q("4"), q("10"), q("6")).is_ok());
        let e = check_dispatch("FPM-26-001-M-004", q("5"), q("10"), q("6")).unwrap_err();
        assert_eq!(e.code(), "not_packed");
        assert_eq!(
            e.message(),
            "only 4 of FPM-26-001-M-004 are packed and not yet dispatched; 5 cannot be dispatched"
        );
        let e = check_dispatch("X-1", q("2"), q("1"), q("0")).unwrap_err();
        assert!(e.message().starts_with("only 1 of X-1 is packed"));
        // Dispatched more than is packed (an undo in the workshop): nothing is free.
        assert!(check_dispatch("X-1", q("1"), q("1"), q("3")).is_err());
    }

    #[test]
    fn a_receipt_never_passes_what_was_dispatched() {
        assert!(check_receipt_line(1, "X-1", q("4"), q("1"), q("3")).is_ok());
        let e = check_receipt_line(2, "X-1", q("4"), q("1"), q("4")).unwrap_err();
        assert_eq!(e.code(), "over_receipt");
        assert!(
            e.message().contains("only 3 of 4 dispatched"),
            "{}",
            e.message()
        );
        assert_eq!(
            check_receipt_line(1, "X-1", q("4"), q("0"), Quantity(0))
                .unwrap_err()
                .code(),
            "invalid_quantity"
        );
    }

    #[test]
    fn the_note_is_received_when_every_line_is() {
        assert_eq!(
            status_after_receipt(&[(q("4"), q("4")), (q("2"), q("1"))]),
            DeliveryStatus::PartiallyReceived
        );
        assert_eq!(
            status_after_receipt(&[(q("4"), q("4")), (q("2"), q("2"))]),
            DeliveryStatus::Received
        );
        assert!(DeliveryStatus::Dispatched.receivable());
        assert!(!DeliveryStatus::Planned.receivable());
        assert!(DeliveryStatus::Received.on_the_road());
        assert!(!DeliveryStatus::Cancelled.on_the_road());
    }
}
