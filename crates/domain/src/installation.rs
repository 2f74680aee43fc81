//! Installation by room: a ledger of movements (DESIGN.md §10). Each record moves a quantity
//! of one scope item into "installed" in one room; a mistake is undone by a record that
//! reverses it (the same quantity, negative). Nothing is overwritten: what is installed of an
//! item in a room is the sum of its records.
//!
//! What a room may hold of an item ([`room_limit`]): the item's quantity when it is placed in
//! that room, its quantity per room when it is placed on the room's type. What may be
//! installed of that ([`installable`]) is the one place that decides how far the item has
//! come: nothing before the item is released to production, and never more, over all its
//! rooms, than was received on site on its delivery notes (docs/workshop.md).
//! [`check_movement`] refuses a movement that would take the balance below zero or past
//! what may be installed, in words that say how much is left.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::attachment::Attachment;
use crate::scope::Quantity;

/// Longest installer name and note accepted.
pub const INSTALLER_MAX: usize = 120;
pub const NOTE_MAX: usize = 2000;

/// How an item is placed, as far as installation cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemPlace {
    /// Placed in this one room.
    pub room_id: Option<Uuid>,
    /// Placed on this room type (each room of the type holds `quantity_per_room`).
    pub room_type_id: Option<Uuid>,
    /// The item's (effective) quantity.
    pub quantity: Quantity,
    pub quantity_per_room: Option<Quantity>,
}

/// What a room may hold of an item: the item's quantity for an item placed in the room, its
/// quantity per room for an item on the room's type; `None` when the item is not expected in
/// the room at all.
pub fn room_limit(item: &ItemPlace, room_id: Uuid, room_type_id: Option<Uuid>) -> Option<Quantity> {
    if item.room_id == Some(room_id) {
        return Some(item.quantity);
    }
    match (item.room_type_id, room_type_id) {
        (Some(a), Some(b)) if a == b => Some(item.quantity_per_room.unwrap_or_default()),
        _ => None,
    }
}

/// How far an item has come before site, as far as installation cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemStage {
    /// Released to production.
    pub released: bool,
    /// Received on site, over the item's delivery notes.
    pub received: Quantity,
    /// Installed, over every room.
    pub installed: Quantity,
}

impl ItemStage {
    /// What is on site and not installed yet. Never below zero: records made before
    /// deliveries were kept may hold more than was received; they stay, only new
    /// installations are checked.
    pub fn on_site(&self) -> Quantity {
        Quantity((self.received.0 - self.installed.0).max(0))
    }
}

/// What may be installed in a room that may hold `limit` of an item at `stage` and holds
/// `installed_here`: nothing before the item is released; then at most the room's limit, and
/// at most what the room holds plus what is on site and not installed anywhere. The one rule
/// that decides the available quantity.
pub fn installable(limit: Quantity, installed_here: Quantity, stage: ItemStage) -> Quantity {
    if !stage.released {
        return Quantity(0);
    }
    let reachable = Quantity(installed_here.0.max(0).saturating_add(stage.on_site().0));
    limit.min(reachable)
}

/// Why a movement is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The item is not expected in this room.
    NotInRoom(String),
    /// The item may not be installed yet (not released).
    NotAvailable(String),
    /// More than was received on site and is not installed yet.
    NotReceived(String),
    /// More than is left to install.
    TooMany(String),
    /// Would take back more than is installed.
    BelowZero(String),
}

impl Refusal {
    /// The sentence that says it.
    pub fn message(&self) -> &str {
        match self {
            Refusal::NotInRoom(m)
            | Refusal::NotAvailable(m)
            | Refusal::NotReceived(m)
            | Refusal::TooMany(m)
            | Refusal::BelowZero(m) => m,
        }
    }

    /// A stable code for the problem document.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotInRoom(_) => "not_in_room",
            Refusal::NotAvailable(_) => "not_released",
            Refusal::NotReceived(_) => "not_received",
            Refusal::TooMany(_) => "not_enough_left",
            Refusal::BelowZero(_) => "not_installed",
        }
    }
}

/// What a movement is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Balance<'a> {
    pub item_code: &'a str,
    pub room_code: &'a str,
    /// What the room may hold (`None`: the item is not expected there).
    pub limit: Option<Quantity>,
    pub stage: ItemStage,
    /// What is installed now.
    pub installed: Quantity,
}

/// Checks that moving `delta` (positive: installed; negative: taken back) keeps the balance
/// between zero and what may be installed.
pub fn check_movement(b: &Balance<'_>, delta: Quantity) -> Result<(), Refusal> {
    let Some(limit) = b.limit else {
        return Err(Refusal::NotInRoom(format!(
            "{} is not placed in {} (neither in the room nor on its room type)",
            b.item_code, b.room_code
        )));
    };
    let after = b.installed.0.saturating_add(delta.0);
    if delta.0 > 0 {
        if limit.0 > 0 && !b.stage.released {
            return Err(Refusal::NotAvailable(format!(
                "{} is not released to production yet; only released items can be installed",
                b.item_code
            )));
        }
        if after > limit.0 {
            let left = Quantity((limit.0 - b.installed.0).max(0));
            return Err(Refusal::TooMany(format!(
                "only {left} of {limit} left to install in {}",
                b.room_code
            )));
        }
        let on_site = b.stage.on_site();
        if delta > on_site {
            return Err(Refusal::NotReceived(format!(
                "only {} of {} received on site and {} installed: {on_site} can be installed; \
                 receive it on a delivery note first",
                b.stage.received, b.item_code, b.stage.installed
            )));
        }
    }
    if after < 0 {
        return Err(Refusal::BelowZero(format!(
            "only {} of {} installed in {}; cannot take back {}",
            b.installed,
            b.item_code,
            b.room_code,
            Quantity(-delta.0)
        )));
    }
    Ok(())
}

/// One record of the ledger, as the team reads it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Installation {
    pub id: Uuid,
    pub project_id: Uuid,
    pub scope_item_id: Uuid,
    pub item_code: String,
    pub item_name: String,
    pub unit: String,
    pub room_id: Uuid,
    pub room_code: String,
    pub room_name: String,
    /// The quantity moved: positive when installed, negative for a record that reverses an
    /// earlier one (a decimal string, e.g. `"2"`, `"-2"`).
    #[schema(value_type = String, pattern = r"^-?[0-9]{1,10}(\.[0-9]{1,3})?$", example = "-2")]
    pub quantity: Quantity,
    /// The day it was installed.
    pub installed_on: Date,
    /// Who installed it (a person or a trade), as written.
    pub installer: Option<String>,
    pub note: Option<String>,
    /// The record this one reverses.
    pub reverses_id: Option<Uuid>,
    /// The record that reversed this one (a record is reversed at most once).
    pub reversed_by_id: Option<Uuid>,
    pub recorded_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// The photo taken with it, if any.
    pub photo: Option<Attachment>,
}

impl Installation {
    /// Whether it can still be reversed: an installation not reversed yet (a reversal itself
    /// is never reversed; a new installation is recorded instead).
    pub fn reversible(&self) -> bool {
        self.quantity.0 > 0 && self.reversed_by_id.is_none()
    }
}

/// A record about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstallation {
    pub id: Uuid,
    pub project_id: Uuid,
    pub scope_item_id: Uuid,
    pub room_id: Uuid,
    /// Positive (installed) or negative (taken back); never zero.
    pub quantity: Quantity,
    pub installed_on: Date,
    pub installer: Option<String>,
    pub note: Option<String>,
    pub reverses_id: Option<Uuid>,
    pub recorded_by: Option<Uuid>,
    pub recorded_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn a_room_holds_its_own_items_and_its_types_per_room_quantity() {
        let (room, king, suite) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let in_room = ItemPlace {
            room_id: Some(room),
            room_type_id: None,
            quantity: q("3"),
            quantity_per_room: None,
        };
        assert_eq!(room_limit(&in_room, room, Some(king)), Some(q("3")));
        assert_eq!(room_limit(&in_room, Uuid::from_u128(9), Some(king)), None);
        let on_type = ItemPlace {
            room_id: None,
            room_type_id: Some(king),
            quantity: q("426"),
            quantity_per_room: Some(q("3")),
        };
        assert_eq!(room_limit(&on_type, room, Some(king)), Some(q("3")));
        assert_eq!(room_limit(&on_type, room, Some(suite)), None);
        assert_eq!(room_limit(&on_type, room, None), None);
    }

    fn balance(installed: &str, released: bool) -> Balance<'static> {
        Balance {
            item_code: "WSC-M-001",
            room_code: "T1-L03-0305",
            limit: Some(q("3")),
            stage: ItemStage {
                released,
                received: q("10"),
                installed: q(installed),
            },
            installed: q(installed),
        }
    }

    #[test]
    fn movements_stay_between_zero_and_what_is_installable() {
        assert!(check_movement(&balance("0", true), q("3")).is_ok());
        assert!(check_movement(&balance("2", true), q("1")).is_ok());
        let e = check_movement(&balance("2", true), q("2")).unwrap_err();
        assert_eq!(e.message(), "only 1 of 3 left to install in T1-L03-0305");
        assert_eq!(e.code(), "not_enough_left");
        let e = check_movement(&balance("0", false), q("1")).unwrap_err();
        assert_eq!(e.code(), "not_released");
        assert!(e.message().contains("not released"), "{}", e.message());
        assert!(check_movement(&balance("2", true), Quantity(-2000)).is_ok());
        let e = check_movement(&balance("1", true), Quantity(-2000)).unwrap_err();
        assert_eq!(e.code(), "not_installed");
        assert!(
            e.message().contains("cannot take back 2"),
            "{}",
            e.message()
        );
        // Taking back is allowed even before release (nothing to lose).
        assert!(check_movement(&balance("1", false), Quantity(-1000)).is_ok());
        let mut b = balance("0", true);
        b.limit = None;
        assert_eq!(
            check_movement(&b, q("1")).unwrap_err().code(),
            "not_in_room"
        );
    }

    #[test]
    fn a_reversal_reads_negative() {
        assert_eq!(Quantity(-2500).to_string(), "-2.5");
        assert_eq!(Quantity(-3000).to_string(), "-3");
        assert_eq!(Quantity(-125).to_string(), "-0.125");
    }

    fn stage(released: bool, received: &str, installed: &str) -> ItemStage {
        ItemStage {
            released,
            received: q(received),
            installed: q(installed),
        }
    }

    #[test]
    fn only_a_released_item_is_installable() {
        assert_eq!(installable(q("3"), q("0"), stage(true, "9", "0")), q("3"));
        assert_eq!(installable(q("3"), q("0"), stage(false, "9", "0")), q("0"));
    }

    #[test]
    fn only_what_was_received_on_site_is_installable() {
        // 4 received, 3 installed elsewhere: one more here.
        assert_eq!(installable(q("3"), q("0"), stage(true, "4", "3")), q("1"));
        // What the room holds stays installable (it was received once).
        assert_eq!(installable(q("3"), q("2"), stage(true, "4", "4")), q("2"));
        // Old records beyond what was received break nothing.
        assert_eq!(installable(q("3"), q("3"), stage(true, "0", "9")), q("3"));
        let b = Balance {
            item_code: "FPM-26-001-M-004",
            room_code: "T1-L03-0305",
            limit: Some(q("3")),
            stage: stage(true, "2", "1"),
            installed: q("0"),
        };
        assert!(check_movement(&b, q("1")).is_ok());
        let e = check_movement(&b, q("2")).unwrap_err();
        assert_eq!(e.code(), "not_received");
        assert!(
            e.message()
                .starts_with("only 2 of FPM-26-001-M-004 received on site and 1 installed"),
            "{}",
            e.message()
        );
        // Taking back is never limited by deliveries.
        let mut b = b;
        b.installed = q("1");
        b.stage = stage(true, "0", "5");
        assert!(check_movement(&b, Quantity(-1000)).is_ok());
    }
}
