//! The workshop's throughput per week, for the project overview: how much was packed (and
//! how many items had something packed) in each ISO week, and how much went back for
//! rework, over the last few weeks. Staff who may see the workshop (`ViewWorkshop`) only.
//!
//! Weeks are ISO weeks (Monday to Sunday) in UTC, as every timestamp is kept. A week's
//! figure counts forward moves into the packed stage made that week and not undone since,
//! so it never goes negative; an undone move counts in no week.

use std::collections::{HashMap, HashSet};

use formula_domain::authz::{Action, Resource};
use formula_domain::errors::FieldErrors;
use serde::Serialize;
use time::{Date, Duration, OffsetDateTime, Time};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::AppResult;
use crate::repos::FlowRow;
use crate::services::{Services, ensure};

/// Weeks shown when none are asked for.
pub const DEFAULT_WEEKS: u8 = 12;
/// The most weeks one request may ask for.
pub const MAX_WEEKS: u8 = 26;

/// One ISO week of the workshop's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ThroughputWeek {
    /// The ISO week, `2026-W49`.
    #[schema(example = "2026-W49")]
    pub week: String,
    /// Its Monday.
    pub starts_on: Date,
    /// Quantity moved into the packed stage that week (not undone), in thousandths of the
    /// items' units, whatever the unit.
    pub packed_milli: i64,
    /// Scope items with something packed that week.
    pub packed_items: usize,
    /// Rework moves (a QA failure sending a quantity back to an earlier stage), not undone.
    pub rework_moves: usize,
    /// Quantity sent back for rework, in thousandths.
    pub rework_milli: i64,
}

/// `GET /projects/{id}/workshop-throughput`: the last weeks, oldest first, the current
/// (unfinished) week last.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkshopThroughput {
    pub project_id: Uuid,
    pub weeks: Vec<ThroughputWeek>,
    /// Packed over all the weeks shown, in thousandths.
    pub packed_milli: i64,
    /// Rework moves over all the weeks shown.
    pub rework_moves: usize,
}

impl WorkshopThroughput {
    /// Whether anything was packed or reworked in the weeks shown.
    pub fn is_empty(&self) -> bool {
        self.packed_milli == 0 && self.rework_moves == 0
    }

    /// The largest week's packed quantity (the scale of the overview's bars), at least 1.
    pub fn busiest_milli(&self) -> i64 {
        self.weeks
            .iter()
            .map(|w| w.packed_milli)
            .max()
            .unwrap_or(0)
            .max(1)
    }
}

/// The Monday of `day`'s ISO week.
fn monday_of(day: Date) -> Date {
    day - Duration::days(i64::from(day.weekday().number_days_from_monday()))
}

/// The first instant counted when `weeks` weeks up to `today`'s are shown.
pub fn window_start(today: Date, weeks: u8) -> OffsetDateTime {
    let first = monday_of(today) - Duration::weeks(i64::from(weeks.max(1)) - 1);
    first.with_time(Time::MIDNIGHT).assume_utc()
}

/// Buckets the moves into `weeks` ISO weeks ending with `today`'s, oldest first. Moves
/// outside the window are left out.
pub fn weekly(today: Date, weeks: u8, rows: &[FlowRow]) -> Vec<ThroughputWeek> {
    let weeks = weeks.max(1);
    let first = monday_of(today) - Duration::weeks(i64::from(weeks) - 1);
    let mut out: Vec<ThroughputWeek> = (0..weeks)
        .map(|k| {
            let starts_on = first + Duration::weeks(i64::from(k));
            let (year, week, _) = starts_on.to_iso_week_date();
            ThroughputWeek {
                week: format!("{year}-W{week:02}"),
                starts_on,
                packed_milli: 0,
                packed_items: 0,
                rework_moves: 0,
                rework_milli: 0,
            }
        })
        .collect();
    let mut items: HashMap<usize, HashSet<Uuid>> = HashMap::new();
    for r in rows {
        let day = r.moved_at.to_offset(time::UtcOffset::UTC).date();
        let offset = (day - first).whole_days();
        if offset < 0 {
            continue;
        }
        let Ok(k) = usize::try_from(offset / 7) else {
            continue;
        };
        let Some(w) = out.get_mut(k) else {
            continue;
        };
        if r.rework {
            w.rework_moves += 1;
            w.rework_milli += r.quantity_milli;
        } else {
            w.packed_milli += r.quantity_milli;
            items.entry(k).or_default().insert(r.scope_item_id);
        }
    }
    for (k, set) in items {
        if let Some(w) = out.get_mut(k) {
            w.packed_items = set.len();
        }
    }
    out
}

impl Services {
    /// Whether the caller may see the project's workshop (for showing the overview's card).
    pub fn may_view_workshop(
        &self,
        caller: &Caller,
        access: formula_domain::authz::ProjectAccess,
    ) -> bool {
        self.may(caller, Action::ViewWorkshop, access)
    }

    /// The workshop's throughput per ISO week over the last `weeks` weeks (1–26, default
    /// 12), the current week last.
    pub async fn workshop_throughput(
        &self,
        caller: &Caller,
        project_id: Uuid,
        weeks: Option<u8>,
    ) -> AppResult<WorkshopThroughput> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewWorkshop, &Resource::Project(access))?;
        let weeks = weeks.unwrap_or(DEFAULT_WEEKS);
        if !(1..=MAX_WEEKS).contains(&weeks) {
            let mut e = FieldErrors::new();
            e.add(
                "weeks",
                format!("must be a whole number from 1 to {MAX_WEEKS}"),
            );
            return Err(e.into());
        }
        let today = self.today();
        let rows = self
            .store
            .workshop_flow(project_id, window_start(today, weeks))
            .await?;
        let weeks = weekly(today, weeks, &rows);
        Ok(WorkshopThroughput {
            project_id,
            packed_milli: weeks.iter().map(|w| w.packed_milli).sum(),
            rework_moves: weeks.iter().map(|w| w.rework_moves).sum(),
            weeks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn row(at: OffsetDateTime, item: u128, q: i64, rework: bool) -> FlowRow {
        FlowRow {
            moved_at: at,
            scope_item_id: Uuid::from_u128(item),
            quantity_milli: q,
            rework,
        }
    }

    #[test]
    fn weeks_are_iso_weeks_ending_with_this_one() {
        // Monday 7 December 2026 is in 2026-W50.
        let w = weekly(date!(2026 - 12 - 09), 3, &[]);
        let names: Vec<&str> = w.iter().map(|w| w.week.as_str()).collect();
        assert_eq!(names, ["2026-W48", "2026-W49", "2026-W50"]);
        assert_eq!(w[0].starts_on, date!(2026 - 11 - 23));
        assert_eq!(
            window_start(date!(2026 - 12 - 09), 3),
            datetime!(2026 - 11 - 23 0:00 UTC)
        );
        // Across a year end: 2027-01-01 is a Friday of 2026-W53.
        let w = weekly(date!(2027 - 01 - 04), 2, &[]);
        let names: Vec<&str> = w.iter().map(|w| w.week.as_str()).collect();
        assert_eq!(names, ["2026-W53", "2027-W01"]);
    }

    #[test]
    fn packing_and_rework_fall_in_their_weeks() {
        let rows = [
            // Before the window: left out.
            row(datetime!(2026 - 11 - 22 23:59 UTC), 1, 5000, false),
            row(datetime!(2026 - 11 - 23 0:00 UTC), 1, 2000, false),
            row(datetime!(2026 - 11 - 29 23:59 UTC), 2, 1500, false),
            row(datetime!(2026 - 11 - 29 12:00 UTC), 1, 1000, false),
            row(datetime!(2026 - 12 - 01 8:00 UTC), 3, 1000, true),
            row(datetime!(2026 - 12 - 02 8:00 UTC), 3, 2000, true),
            row(datetime!(2026 - 12 - 08 8:00 +02:00), 3, 4000, false),
        ];
        let w = weekly(date!(2026 - 12 - 09), 3, &rows);
        assert_eq!((w[0].packed_milli, w[0].packed_items), (4500, 2));
        assert_eq!((w[0].rework_moves, w[0].rework_milli), (0, 0));
        assert_eq!((w[1].packed_milli, w[1].packed_items), (0, 0));
        assert_eq!((w[1].rework_moves, w[1].rework_milli), (2, 3000));
        assert_eq!((w[2].packed_milli, w[2].packed_items), (4000, 1));
    }
}
