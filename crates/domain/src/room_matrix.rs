//! The room matrix and site progress: the state one room's quantity of one scope item has
//! reached, and how installation and sign-off feed the project's progress with per-project
//! weights.
//!
//! A cell is one scope item expected in one room: a room item in its room (the item's whole
//! quantity), or a room-type item in each room of the type (its quantity per room).

use serde::{Deserialize, Serialize};

use crate::errors::FieldErrors;

/// The step a room's quantity of an item has reached, lowest first. The matrix colours a
/// cell by it and prints its [`CellState::symbol`] beside the colour.
///
/// Extension point for the workshop issue: its steps ("in production", "delivered") slot in
/// between [`CellState::Released`] and [`CellState::PartlyInstalled`] — a variant here, a
/// branch in [`cell_state`] fed by the production ledger, a symbol, a weight in
/// [`ProgressWeights`], and a CSS class `mx-<state>`. Nothing else names the states.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// The item is not released to production yet.
    NotReleased,
    /// Released to production; nothing installed in this room yet.
    Released,
    /// Some, not all, of the room's quantity is installed.
    PartlyInstalled,
    /// The room's whole quantity is installed.
    Installed,
    /// An open or fixed (not yet verified) snag on this item in this room.
    Snagged,
    /// The room is signed off.
    SignedOff,
}

impl CellState {
    pub const ALL: [CellState; 6] = [
        CellState::NotReleased,
        CellState::Released,
        CellState::PartlyInstalled,
        CellState::Installed,
        CellState::Snagged,
        CellState::SignedOff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CellState::NotReleased => "not_released",
            CellState::Released => "released",
            CellState::PartlyInstalled => "partly_installed",
            CellState::Installed => "installed",
            CellState::Snagged => "snagged",
            CellState::SignedOff => "signed_off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CellState::NotReleased => "Not released",
            CellState::Released => "Released",
            CellState::PartlyInstalled => "Partly installed",
            CellState::Installed => "Installed",
            CellState::Snagged => "Snagged",
            CellState::SignedOff => "Signed off",
        }
    }

    /// The text printed in a cell, so colour is never the only carrier. A partly installed
    /// cell prints its count instead ("1/3").
    pub fn symbol(self) -> &'static str {
        match self {
            CellState::NotReleased => "·",
            CellState::Released => "R",
            CellState::PartlyInstalled => "½",
            CellState::Installed => "✓",
            CellState::Snagged => "!",
            CellState::SignedOff => "★",
        }
    }

    /// The short CSS class of the state (`mx-nr`, …), kept short because a 300 × 30 matrix
    /// repeats it 9,000 times.
    pub fn class(self) -> &'static str {
        match self {
            CellState::NotReleased => "nr",
            CellState::Released => "re",
            CellState::PartlyInstalled => "pi",
            CellState::Installed => "in",
            CellState::Snagged => "sn",
            CellState::SignedOff => "so",
        }
    }
}

/// What is known about one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CellFacts {
    /// The room's quantity of the item, in thousandths.
    pub expected_milli: i64,
    /// Installed in this room (the ledger's sum), in thousandths.
    pub installed_milli: i64,
    pub released: bool,
    /// Open or fixed snags on this item in this room.
    pub open_snags: i64,
    pub signed_off: bool,
}

/// The state a cell shows: signed off, else snagged, else how much is installed, else
/// whether the item is released.
pub fn cell_state(f: &CellFacts) -> CellState {
    if f.signed_off {
        CellState::SignedOff
    } else if f.open_snags > 0 {
        CellState::Snagged
    } else if f.installed_milli > 0 && f.installed_milli >= f.expected_milli {
        CellState::Installed
    } else if f.installed_milli > 0 {
        CellState::PartlyInstalled
    } else if f.released {
        // The workshop issue's "in production" and "delivered" go here.
        CellState::Released
    } else {
        CellState::NotReleased
    }
}

/// How much each step counts towards an item's progress on site, in whole percent summing
/// to 100. Everything up to release (drawings, approvals, materials, production) is the
/// `released` step: before release that share is the item's own progress figure, after it
/// the full share. `installed` counts the fraction of the quantity installed, `signed_off`
/// the fraction of the item's rooms signed off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressWeights {
    /// Up to and including release to production (default 20).
    #[schema(minimum = 0, maximum = 100)]
    pub released: i32,
    /// Installed in the rooms (default 70).
    #[schema(minimum = 0, maximum = 100)]
    pub installed: i32,
    /// Rooms signed off (default 10).
    #[schema(minimum = 0, maximum = 100)]
    pub signed_off: i32,
}

impl Default for ProgressWeights {
    fn default() -> Self {
        ProgressWeights {
            released: 20,
            installed: 70,
            signed_off: 10,
        }
    }
}

impl ProgressWeights {
    /// Each weight 0–100 and together exactly 100.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, w) in [
            ("released", self.released),
            ("installed", self.installed),
            ("signed_off", self.signed_off),
        ] {
            if !(0..=100).contains(&w) {
                errors.add(field, "must be a whole percentage from 0 to 100");
            }
        }
        if errors.is_empty() && self.released + self.installed + self.signed_off != 100 {
            errors.add(
                "released",
                "the three weights must add up to 100 (released + installed + signed off)",
            );
        }
        errors.into_result()
    }

    /// Progress in hundredths of a percent (0–10,000) of something `released` (else at
    /// `own_progress` percent before release), with `installed` of `expected` installed and
    /// `signed` of `expected` in signed-off rooms. Nothing expected: the own progress.
    pub fn basis_points(
        &self,
        released: bool,
        own_progress: i32,
        expected: i64,
        installed: i64,
        signed: i64,
    ) -> i64 {
        let own = i64::from(own_progress.clamp(0, 100));
        if expected <= 0 {
            return own * 100;
        }
        let fraction = |part: i64| {
            (i128::from(part.clamp(0, expected)) * 10_000 / i128::from(expected)) as i64
        };
        let pre = if released { 10_000 } else { own * 100 };
        let total = i64::from(self.released) * pre
            + i64::from(self.installed) * fraction(installed)
            + i64::from(self.signed_off) * fraction(signed);
        (total / 100).clamp(0, 10_000)
    }
}

/// A weighted average of progress figures in basis points: by value where anything has a
/// value, else by count (as the project's scope rule: cost-weighted, count-weighted when
/// nothing is priced).
#[derive(Debug, Clone, Copy, Default)]
pub struct Average {
    count: i64,
    sum: i128,
    weight: i128,
    weighted: i128,
}

impl Average {
    pub fn add(&mut self, basis_points: i64, value: i128) {
        self.count += 1;
        self.sum += i128::from(basis_points);
        let w = value.max(0);
        self.weight += w;
        self.weighted += w * i128::from(basis_points);
    }

    /// Adds everything `other` was given (a room's cells into its level's average).
    pub fn merge(&mut self, other: &Average) {
        self.count += other.count;
        self.sum += other.sum;
        self.weight += other.weight;
        self.weighted += other.weighted;
    }

    pub fn count(&self) -> i64 {
        self.count
    }

    /// Whole percent, rounded; `None` when nothing was added.
    pub fn percent(&self) -> Option<i32> {
        let bp = if self.weight > 0 {
            self.weighted / self.weight
        } else if self.count > 0 {
            self.sum / i128::from(self.count)
        } else {
            return None;
        };
        i32::try_from((bp + 50).clamp(0, 10_050) / 100).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(expected: i64, installed: i64, released: bool) -> CellFacts {
        CellFacts {
            expected_milli: expected,
            installed_milli: installed,
            released,
            ..Default::default()
        }
    }

    #[test]
    fn a_cell_shows_the_furthest_step() {
        assert_eq!(cell_state(&facts(3000, 0, false)), CellState::NotReleased);
        assert_eq!(cell_state(&facts(3000, 0, true)), CellState::Released);
        assert_eq!(
            cell_state(&facts(3000, 1000, true)),
            CellState::PartlyInstalled
        );
        assert_eq!(cell_state(&facts(3000, 3000, true)), CellState::Installed);
        let snagged = CellFacts {
            open_snags: 1,
            ..facts(3000, 3000, true)
        };
        assert_eq!(cell_state(&snagged), CellState::Snagged);
        let signed = CellFacts {
            signed_off: true,
            ..snagged
        };
        assert_eq!(cell_state(&signed), CellState::SignedOff);
    }

    #[test]
    fn weights_must_add_up_to_100() {
        assert!(ProgressWeights::default().validate().is_ok());
        let w = ProgressWeights {
            released: 50,
            installed: 50,
            signed_off: 10,
        };
        assert!(w.validate().is_err());
        let w = ProgressWeights {
            released: -10,
            installed: 100,
            signed_off: 10,
        };
        assert!(w.validate().is_err());
    }

    #[test]
    fn progress_counts_each_step_by_its_weight() {
        let w = ProgressWeights::default();
        // Not released, item at 50 %: half of the 20 % share.
        assert_eq!(w.basis_points(false, 50, 3000, 0, 0), 1_000);
        assert_eq!(w.basis_points(true, 0, 3000, 0, 0), 2_000);
        // One of three installed: 20 + 70 / 3.
        assert_eq!(w.basis_points(true, 0, 3000, 1000, 0), 4_333);
        assert_eq!(w.basis_points(true, 0, 3000, 3000, 0), 9_000);
        assert_eq!(w.basis_points(true, 0, 3000, 3000, 3000), 10_000);
        // More than expected never counts beyond 100 %.
        assert_eq!(w.basis_points(true, 0, 3000, 9000, 9000), 10_000);
        // Nothing expected: the item's own figure.
        assert_eq!(w.basis_points(false, 40, 0, 0, 0), 4_000);
    }

    #[test]
    fn averages_weigh_by_value_else_by_count() {
        let mut a = Average::default();
        assert_eq!(a.percent(), None);
        a.add(10_000, 0);
        a.add(0, 0);
        assert_eq!(a.percent(), Some(50));
        a.add(0, 300);
        a.add(10_000, 100);
        assert_eq!(a.percent(), Some(25));
    }
}
