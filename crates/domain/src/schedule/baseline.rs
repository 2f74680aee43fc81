//! Comparing the current plan with a saved baseline.

use std::collections::HashMap;

use time::Date;
use uuid::Uuid;

use super::WorkCalendar;

/// How far one task or milestone moved since the baseline, in working days (later is positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slip {
    pub id: Uuid,
    pub start_days: i32,
    pub finish_days: i32,
}

/// The slip of every activity in both the baseline and the current plan, given as
/// `(id, start, finish)`, in the current plan's order.
pub fn slippage(
    baseline: &[(Uuid, Date, Date)],
    current: &[(Uuid, Date, Date)],
    calendar: &WorkCalendar,
) -> Vec<Slip> {
    let saved: HashMap<Uuid, (Date, Date)> =
        baseline.iter().map(|&(id, s, f)| (id, (s, f))).collect();
    current
        .iter()
        .filter_map(|&(id, start, finish)| {
            let &(s, f) = saved.get(&id)?;
            Some(Slip {
                id,
                start_days: calendar.working_days_between(s, start),
                finish_days: calendar.working_days_between(f, finish),
            })
        })
        .collect()
}
