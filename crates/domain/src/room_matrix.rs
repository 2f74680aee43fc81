//! The room matrix and site progress: the state one room's quantity of one scope item has
//! reached, and how production, delivery, installation and sign-off feed the project's
//! progress with per-project weights.
//!
//! A cell is one scope item expected in one room: a room item in its room (the item's whole
//! quantity), or a room-type item in each room of the type (its quantity per room).
//!
//! Production and delivery are counted per item (the workshop ledger and the delivery notes
//! know the item, not the room). They reach the rooms by one rule, [`fill_in_order`]: what was
//! packed (or received) and is not yet installed covers the rooms' outstanding quantities in
//! the matrix's room order (building → level → zone → room), each room wholly before the next.

use serde::{Deserialize, Serialize};

use crate::errors::FieldErrors;

/// The step a room's quantity of an item has reached, lowest first. The matrix colours a
/// cell by it and prints its [`CellState::symbol`] beside the colour.
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
    /// Released to production; nothing of the item has moved in the workshop yet.
    Released,
    /// Released, and some of the item's quantity has moved in the workshop; the room's
    /// quantity is not yet covered by what was received on site.
    InProduction,
    /// The room's quantity is covered by what was received on site (rooms in matrix order
    /// are covered first); nothing installed here yet.
    Delivered,
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
    pub const ALL: [CellState; 8] = [
        CellState::NotReleased,
        CellState::Released,
        CellState::InProduction,
        CellState::Delivered,
        CellState::PartlyInstalled,
        CellState::Installed,
        CellState::Snagged,
        CellState::SignedOff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CellState::NotReleased => "not_released",
            CellState::Released => "released",
            CellState::InProduction => "in_production",
            CellState::Delivered => "delivered",
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
            CellState::InProduction => "In production",
            CellState::Delivered => "Delivered",
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
            CellState::InProduction => "P",
            CellState::Delivered => "D",
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
            CellState::InProduction => "ip",
            CellState::Delivered => "de",
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
    /// Whether some of the item's quantity has moved in the workshop (net of undos).
    pub started: bool,
    /// The room's quantity covered by what was received on site (see [`fill_in_order`]),
    /// what is installed here included.
    pub delivered_milli: i64,
    /// Open or fixed snags on this item in this room.
    pub open_snags: i64,
    pub signed_off: bool,
}

/// The state a cell shows: signed off, else snagged, else how much is installed, else
/// whether the room's quantity was delivered, else whether the item is in the workshop,
/// else whether it is released.
pub fn cell_state(f: &CellFacts) -> CellState {
    if f.signed_off {
        CellState::SignedOff
    } else if f.open_snags > 0 {
        CellState::Snagged
    } else if f.installed_milli > 0 && f.installed_milli >= f.expected_milli {
        CellState::Installed
    } else if f.installed_milli > 0 {
        CellState::PartlyInstalled
    } else if f.expected_milli > 0 && f.delivered_milli >= f.expected_milli {
        CellState::Delivered
    } else if f.released && f.started {
        CellState::InProduction
    } else if f.released {
        CellState::Released
    } else {
        CellState::NotReleased
    }
}

/// Shares `pool` out over `needs` in their order: each need is met in full while anything
/// is left, the first one that cannot be met takes the rest, and the ones after it get
/// nothing. Negative needs or pool count as zero. This is how an item's packed and received
/// quantities (less what is installed) reach its rooms: in the matrix's room order.
pub fn fill_in_order(pool: i64, needs: &[i64]) -> Vec<i64> {
    let mut left = pool.max(0);
    needs
        .iter()
        .map(|n| {
            let take = (*n).max(0).min(left);
            left -= take;
            take
        })
        .collect()
}

/// How far one item (or one room's quantity of it) has come, in thousandths of its unit.
/// Each later step implies the earlier ones: what is installed was delivered and produced,
/// what was received was produced, so data recorded before the workshop and delivery notes
/// existed keeps its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StepQuantities {
    /// Through the workshop's packed stage (what was dispatched from it since included).
    pub packed: i64,
    /// Received on site.
    pub received: i64,
    /// Installed.
    pub installed: i64,
    /// In rooms that are signed off.
    pub signed: i64,
}

/// How much each step counts towards an item's progress, in whole percent summing to 100
/// (docs/site.md, "Progress by room, level and project"). `released` is drawings and
/// approvals: everything up to release to production; before release that share is the
/// item's own progress figure, after it the full share. `production` counts the fraction of
/// the quantity that reached the workshop's packed stage, `delivery` the fraction received
/// on site, `installed` the fraction installed, `signed_off` the fraction in rooms signed off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressWeights {
    /// Drawings and approvals: up to and including release to production (default 10).
    #[schema(minimum = 0, maximum = 100)]
    pub released: i32,
    /// Production: through the workshop's packed stage (default 50).
    #[schema(minimum = 0, maximum = 100)]
    pub production: i32,
    /// Delivery: received on site (default 10).
    #[schema(minimum = 0, maximum = 100)]
    pub delivery: i32,
    /// Installed in the rooms (default 25).
    #[schema(minimum = 0, maximum = 100)]
    pub installed: i32,
    /// Rooms signed off (default 5).
    #[schema(minimum = 0, maximum = 100)]
    pub signed_off: i32,
}

impl Default for ProgressWeights {
    fn default() -> Self {
        ProgressWeights {
            released: 10,
            production: 50,
            delivery: 10,
            installed: 25,
            signed_off: 5,
        }
    }
}

impl ProgressWeights {
    /// The weights of the three-step scheme before production and delivery counted
    /// (migration 0029's defaults); migration 0044 moves projects still on them to
    /// [`ProgressWeights::default`].
    pub const OLD_DEFAULTS: ProgressWeights = ProgressWeights {
        released: 20,
        production: 0,
        delivery: 0,
        installed: 70,
        signed_off: 10,
    };

    /// The five weights with the names the API and the form use.
    pub fn fields(&self) -> [(&'static str, i32); 5] {
        [
            ("released", self.released),
            ("production", self.production),
            ("delivery", self.delivery),
            ("installed", self.installed),
            ("signed_off", self.signed_off),
        ]
    }

    /// Each weight 0–100 and together exactly 100.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, w) in self.fields() {
            if !(0..=100).contains(&w) {
                errors.add(field, "must be a whole percentage from 0 to 100");
            }
        }
        let sum: i32 = self.fields().iter().map(|(_, w)| w).sum();
        if errors.is_empty() && sum != 100 {
            errors.add(
                "released",
                format!(
                    "the five weights must add up to 100 (drawings and approvals + production \
                     + delivery + installed + signed off); they add up to {sum}"
                ),
            );
        }
        errors.into_result()
    }

    /// Progress in hundredths of a percent (0–10,000) of something `released` (else at
    /// `own_progress` percent before release) with `expected` of it and `done` of it through
    /// each later step. Each step's fraction is floored to a basis point, never above 100 %,
    /// and a later step implies the earlier ones ([`StepQuantities`]). Nothing expected: the
    /// own progress.
    pub fn basis_points(
        &self,
        released: bool,
        own_progress: i32,
        expected: i64,
        done: &StepQuantities,
    ) -> i64 {
        let own = i64::from(own_progress.clamp(0, 100));
        if expected <= 0 {
            return own * 100;
        }
        let fraction = |part: i64| {
            (i128::from(part.clamp(0, expected)) * 10_000 / i128::from(expected)) as i64
        };
        let pre = if released { 10_000 } else { own * 100 };
        let delivered = done.received.max(done.installed);
        let produced = done.packed.max(delivered);
        let total = i64::from(self.released) * pre
            + i64::from(self.production) * fraction(produced)
            + i64::from(self.delivery) * fraction(delivered)
            + i64::from(self.installed) * fraction(done.installed)
            + i64::from(self.signed_off) * fraction(done.signed);
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
    use proptest::prelude::*;

    fn facts(expected: i64, installed: i64, released: bool) -> CellFacts {
        CellFacts {
            expected_milli: expected,
            installed_milli: installed,
            released,
            ..Default::default()
        }
    }

    fn done(packed: i64, received: i64, installed: i64, signed: i64) -> StepQuantities {
        StepQuantities {
            packed,
            received,
            installed,
            signed,
        }
    }

    #[test]
    fn a_cell_shows_the_furthest_step() {
        assert_eq!(cell_state(&facts(3000, 0, false)), CellState::NotReleased);
        assert_eq!(cell_state(&facts(3000, 0, true)), CellState::Released);
        let started = CellFacts {
            started: true,
            ..facts(3000, 0, true)
        };
        assert_eq!(cell_state(&started), CellState::InProduction);
        // Part of the room's quantity received is still production.
        let part = CellFacts {
            delivered_milli: 2000,
            ..started
        };
        assert_eq!(cell_state(&part), CellState::InProduction);
        let delivered = CellFacts {
            delivered_milli: 3000,
            ..started
        };
        assert_eq!(cell_state(&delivered), CellState::Delivered);
        assert_eq!(
            cell_state(&CellFacts {
                installed_milli: 1000,
                ..delivered
            }),
            CellState::PartlyInstalled
        );
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
        // Moving in the workshop before release cannot happen; if the data says so, the
        // cell still says "not released".
        let odd = CellFacts {
            started: true,
            ..facts(3000, 0, false)
        };
        assert_eq!(cell_state(&odd), CellState::NotReleased);
        // Nothing expected is never "delivered".
        assert_eq!(cell_state(&facts(0, 0, true)), CellState::Released);
    }

    #[test]
    fn states_are_listed_in_step_order_with_distinct_marks() {
        let mut sorted = CellState::ALL;
        sorted.sort();
        assert_eq!(sorted, CellState::ALL);
        for (i, a) in CellState::ALL.iter().enumerate() {
            for b in &CellState::ALL[i + 1..] {
                assert_ne!(a.symbol(), b.symbol());
                assert_ne!(a.class(), b.class());
                assert_ne!(a.as_str(), b.as_str());
            }
        }
    }

    #[test]
    fn rooms_are_covered_in_order() {
        assert_eq!(fill_in_order(5000, &[2000, 2000, 2000]), [2000, 2000, 1000]);
        assert_eq!(fill_in_order(4000, &[2000, 0, 2000]), [2000, 0, 2000]);
        assert_eq!(fill_in_order(0, &[2000, 2000]), [0, 0]);
        assert_eq!(fill_in_order(-10, &[2000]), [0]);
        assert_eq!(fill_in_order(9000, &[2000, -5]), [2000, 0]);
        assert!(fill_in_order(9000, &[]).is_empty());
    }

    #[test]
    fn weights_must_add_up_to_100() {
        assert!(ProgressWeights::default().validate().is_ok());
        assert!(ProgressWeights::OLD_DEFAULTS.validate().is_ok());
        let w = ProgressWeights {
            released: 50,
            production: 0,
            delivery: 0,
            installed: 50,
            signed_off: 10,
        };
        let e = w.validate().unwrap_err();
        assert!(format!("{e:?}").contains("they add up to 110"));
        let w = ProgressWeights {
            released: -10,
            production: 0,
            delivery: 10,
            installed: 90,
            signed_off: 10,
        };
        assert!(w.validate().is_err());
        let w = ProgressWeights {
            production: 101,
            ..ProgressWeights::default()
        };
        assert!(w.validate().is_err());
    }

    #[test]
    fn progress_counts_each_step_by_its_weight() {
        let w = ProgressWeights::default();
        // Not released, item at 50 %: half of the 10 % share.
        assert_eq!(w.basis_points(false, 50, 3000, &done(0, 0, 0, 0)), 500);
        assert_eq!(w.basis_points(true, 0, 3000, &done(0, 0, 0, 0)), 1_000);
        // One of three packed: 10 + 50 / 3 (the fraction floored to a basis point).
        assert_eq!(w.basis_points(true, 0, 3000, &done(1000, 0, 0, 0)), 2_666);
        // All packed, two received: 10 + 50 + 10 × 2/3.
        assert_eq!(
            w.basis_points(true, 0, 3000, &done(3000, 2000, 0, 0)),
            6_666
        );
        // All received, one installed: 10 + 50 + 10 + 25 / 3.
        assert_eq!(
            w.basis_points(true, 0, 3000, &done(3000, 3000, 1000, 0)),
            7_833
        );
        assert_eq!(
            w.basis_points(true, 0, 3000, &done(3000, 3000, 3000, 0)),
            9_500
        );
        assert_eq!(
            w.basis_points(true, 0, 3000, &done(3000, 3000, 3000, 3000)),
            10_000
        );
        // More than expected never counts beyond 100 %.
        assert_eq!(
            w.basis_points(true, 0, 3000, &done(9000, 9000, 9000, 9000)),
            10_000
        );
        // Nothing expected: the item's own figure.
        assert_eq!(w.basis_points(false, 40, 0, &done(0, 0, 0, 0)), 4_000);
        // Installed without workshop or delivery records (data from before them): it was
        // produced and delivered.
        assert_eq!(w.basis_points(true, 0, 3000, &done(0, 0, 3000, 0)), 9_500);
        // Received implies produced.
        assert_eq!(w.basis_points(true, 0, 3000, &done(0, 3000, 0, 0)), 7_000);
    }

    #[test]
    fn the_old_weights_give_the_old_figures() {
        let w = ProgressWeights::OLD_DEFAULTS;
        assert_eq!(w.basis_points(false, 50, 3000, &done(0, 0, 0, 0)), 1_000);
        assert_eq!(
            w.basis_points(true, 0, 3000, &done(3000, 3000, 0, 0)),
            2_000
        );
        assert_eq!(w.basis_points(true, 0, 3000, &done(0, 0, 1000, 0)), 4_333);
        assert_eq!(
            w.basis_points(true, 0, 3000, &done(0, 0, 3000, 3000)),
            10_000
        );
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

    /// Five weights adding up to 100: four cut points of 0..=100, sorted.
    fn weights() -> impl Strategy<Value = ProgressWeights> {
        prop::array::uniform4(0..=100i32).prop_map(|mut cuts| {
            cuts.sort_unstable();
            ProgressWeights {
                released: cuts[0],
                production: cuts[1] - cuts[0],
                delivery: cuts[2] - cuts[1],
                installed: cuts[3] - cuts[2],
                signed_off: 100 - cuts[3],
            }
        })
    }

    proptest! {
        #[test]
        fn progress_stays_within_bounds_and_grows_with_each_step(
            w in weights(),
            released in any::<bool>(),
            own in -50..150i32,
            expected in 1..1_000_000i64,
            q in prop::array::uniform4(-1_000_000..2_000_000i64),
            step in 0usize..4,
            more in 0..1_000_000i64,
        ) {
            prop_assert!(w.validate().is_ok());
            let d = done(q[0], q[1], q[2], q[3]);
            let bp = w.basis_points(released, own, expected, &d);
            prop_assert!((0..=10_000).contains(&bp));
            let mut q2 = q;
            q2[step] = q2[step].saturating_add(more);
            let d2 = done(q2[0], q2[1], q2[2], q2[3]);
            prop_assert!(w.basis_points(released, own, expected, &d2) >= bp);
            // Released and everything done is exactly 100 %.
            let all = done(expected, expected, expected, expected);
            prop_assert_eq!(w.basis_points(true, own, expected, &all), 10_000);
            // Released, nothing else: exactly the first weight.
            prop_assert_eq!(
                w.basis_points(true, own, expected, &done(0, 0, 0, 0)),
                i64::from(w.released) * 100
            );
        }

        #[test]
        fn filling_in_order_meets_needs_from_the_front(
            pool in -1_000..100_000i64,
            needs in prop::collection::vec(-100..20_000i64, 0..40),
        ) {
            let fills = fill_in_order(pool, &needs);
            prop_assert_eq!(fills.len(), needs.len());
            let wanted: i64 = needs.iter().map(|n| (*n).max(0)).sum();
            prop_assert_eq!(fills.iter().sum::<i64>(), pool.max(0).min(wanted));
            let mut short = false;
            for (f, n) in fills.iter().zip(&needs) {
                prop_assert!(*f >= 0 && *f <= (*n).max(0));
                if short {
                    prop_assert_eq!(*f, 0);
                }
                if *f < (*n).max(0) {
                    short = true;
                }
            }
        }
    }
}
