//! The critical path method over a network of activities: a forward pass for the early dates,
//! a backward pass for the late ones, and the float between them.
//!
//! Internally every date is an index into the working days from an origin, and an activity
//! occupies `[start, start + duration)`. A milestone (duration 0) sits on the boundary at the
//! end of the working day it is dated on.

use std::collections::HashMap;

use time::Date;
use uuid::Uuid;

use super::{ScheduleError, WorkCalendar};
use crate::enums::string_enum;

string_enum!(
    /// How a dependency ties its successor to its predecessor.
    LinkKind {
        FinishToStart => "fs", "Finish to start",
        StartToStart => "ss", "Start to start",
        FinishToFinish => "ff", "Finish to finish",
    }
);

/// A date an activity must respect on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    StartNoEarlierThan(Date),
    FinishNoLaterThan(Date),
}

/// One thing to schedule: a task, or a milestone when `duration` is 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: Uuid,
    /// Used in messages ("would make a loop: A → B → A").
    pub name: String,
    /// In working days.
    pub duration: u32,
    /// The current start (for a milestone, its date). An activity without predecessors keeps
    /// it; a linked one starts as early as its predecessors allow.
    pub start: Option<Date>,
    pub constraint: Option<Constraint>,
    /// Started or finished: its dates are history, and only its successors follow from them.
    pub fixed: bool,
}

/// A dependency: `to` follows `from` with a lag in working days (negative overlaps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub from: Uuid,
    pub to: Uuid,
    pub kind: LinkKind,
    pub lag: i32,
}

/// Early and late dates of one activity. Finish dates are the last working day of the activity;
/// a milestone's start and finish are its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    pub id: Uuid,
    pub early_start: Date,
    pub early_finish: Date,
    pub late_start: Date,
    pub late_finish: Date,
    /// Working days the activity can slip without moving the finish or breaking a
    /// "finish no later than"; negative when the plan cannot meet such a date.
    pub total_float: i32,
    /// No float: on the critical path.
    pub critical: bool,
}

/// A constraint the plan cannot meet, said in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub id: Uuid,
    pub message: String,
}

/// The scheduled network, in the order the activities were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub rows: Vec<Scheduled>,
    /// The last finish of any activity.
    pub finish: Date,
    pub violations: Vec<Violation>,
}

/// The loop the links make, in order and starting again with its first activity, if any.
pub fn find_cycle(ids: &[Uuid], links: &[Link]) -> Option<Vec<Uuid>> {
    let index: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); ids.len()];
    for l in links {
        if let (Some(&a), Some(&b)) = (index.get(&l.from), index.get(&l.to)) {
            next[a].push(b);
        }
    }
    // Iterative depth-first search: 0 unvisited, 1 on the current path, 2 done.
    let mut state = vec![0_u8; ids.len()];
    for root in 0..ids.len() {
        if state[root] != 0 {
            continue;
        }
        let mut path: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (node, ref mut edge)) = path.last_mut() {
            if let Some(&succ) = next[node].get(*edge) {
                *edge += 1;
                match state[succ] {
                    0 => {
                        state[succ] = 1;
                        path.push((succ, 0));
                    }
                    1 => {
                        let from = path.iter().position(|&(n, _)| n == succ).unwrap_or(0);
                        let mut cycle: Vec<Uuid> =
                            path[from..].iter().map(|&(n, _)| ids[n]).collect();
                        cycle.push(ids[succ]);
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                path.pop();
            }
        }
    }
    None
}

/// "A → B → C → A", naming each activity of a loop found by [`find_cycle`].
pub fn describe_cycle(cycle: &[Uuid], name_of: impl Fn(Uuid) -> String) -> String {
    cycle
        .iter()
        .map(|id| name_of(*id))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Schedules the network from `project_start` on `calendar`.
pub fn schedule(
    project_start: Date,
    activities: &[Activity],
    links: &[Link],
    calendar: &WorkCalendar,
) -> Result<Plan, ScheduleError> {
    let n = activities.len();
    let index: HashMap<Uuid, usize> = activities
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id, i))
        .collect();
    let mut preds: Vec<Vec<(usize, LinkKind, i64)>> = vec![Vec::new(); n];
    let mut succs: Vec<Vec<(usize, LinkKind, i64)>> = vec![Vec::new(); n];
    for l in links {
        let from = *index
            .get(&l.from)
            .ok_or(ScheduleError::UnknownActivity(l.from))?;
        let to = *index
            .get(&l.to)
            .ok_or(ScheduleError::UnknownActivity(l.to))?;
        if from == to {
            return Err(ScheduleError::SelfLink(activities[from].name.clone()));
        }
        preds[to].push((from, l.kind, i64::from(l.lag)));
        succs[from].push((to, l.kind, i64::from(l.lag)));
    }
    let order = topological_order(&succs, &preds).ok_or_else(|| {
        let ids: Vec<Uuid> = activities.iter().map(|a| a.id).collect();
        let cycle = find_cycle(&ids, links).unwrap_or_default();
        ScheduleError::Cycle(describe_cycle(&cycle, |id| {
            index
                .get(&id)
                .map(|&i| activities[i].name.clone())
                .unwrap_or_default()
        }))
    })?;

    let origin = activities
        .iter()
        .flat_map(|a| {
            let c = a.constraint.map(|c| match c {
                Constraint::StartNoEarlierThan(d) | Constraint::FinishNoLaterThan(d) => d,
            });
            [a.start, c]
        })
        .flatten()
        .fold(project_start, Date::min);
    let mut days = Days::new(calendar, origin);
    let floor = days.ceil(project_start);
    // A milestone is a boundary: at the earliest, the end of the project's first working day.
    let floor_of = |a: &Activity| floor + i64::from(a.duration == 0);
    let dur: Vec<i64> = activities.iter().map(|a| i64::from(a.duration)).collect();

    // Forward pass.
    let mut es = vec![0_i64; n];
    for &v in &order {
        let a = &activities[v];
        let own_start = a.start.map(|d| {
            if a.duration == 0 {
                days.floor(d) + 1
            } else {
                days.ceil(d)
            }
        });
        es[v] = if a.fixed {
            own_start.unwrap_or(floor_of(a))
        } else {
            let mut start = if preds[v].is_empty() {
                own_start.unwrap_or(floor_of(a))
            } else {
                floor_of(a)
            };
            for &(p, kind, lag) in &preds[v] {
                start = start.max(match kind {
                    LinkKind::FinishToStart => es[p] + dur[p] + lag,
                    LinkKind::StartToStart => es[p] + lag,
                    LinkKind::FinishToFinish => es[p] + dur[p] + lag - dur[v],
                });
            }
            if let Some(Constraint::StartNoEarlierThan(d)) = a.constraint {
                start = start.max(days.ceil(d) + i64::from(a.duration == 0));
            }
            start
        };
    }
    let end = (0..n).map(|v| es[v] + dur[v]).max().unwrap_or(floor + 1);

    // Backward pass.
    let mut lf = vec![end; n];
    for &v in order.iter().rev() {
        let mut finish = end;
        if let Some(Constraint::FinishNoLaterThan(d)) = activities[v].constraint {
            finish = finish.min(days.floor(d) + 1);
        }
        for &(s, kind, lag) in &succs[v] {
            finish = finish.min(match kind {
                LinkKind::FinishToStart => lf[s] - dur[s] - lag,
                LinkKind::StartToStart => lf[s] - dur[s] - lag + dur[v],
                LinkKind::FinishToFinish => lf[s] - lag,
            });
        }
        lf[v] = finish;
    }

    let mut violations = Vec::new();
    let mut rows = Vec::with_capacity(n);
    for (v, a) in activities.iter().enumerate() {
        let ef = es[v] + dur[v];
        let ls = lf[v] - dur[v];
        let float = ls - es[v];
        if let Some(Constraint::FinishNoLaterThan(d)) = a.constraint {
            let late = ef - (days.floor(d) + 1);
            if late > 0 {
                violations.push(Violation {
                    id: a.id,
                    message: format!(
                        "{} must finish by {} but can finish on {} at the earliest ({} working day{} late)",
                        a.name,
                        d,
                        days.finish(es[v], ef),
                        late,
                        if late == 1 { "" } else { "s" }
                    ),
                });
            }
        }
        rows.push(Scheduled {
            id: a.id,
            early_start: days.start(es[v], ef),
            early_finish: days.finish(es[v], ef),
            late_start: days.start(ls, lf[v]),
            late_finish: days.finish(ls, lf[v]),
            total_float: i32::try_from(float).unwrap_or(i32::MAX),
            critical: float <= 0,
        });
    }
    Ok(Plan {
        rows,
        finish: days.finish(end, end),
        violations,
    })
}

/// Kahn's algorithm; `None` when the links make a loop.
fn topological_order(
    succs: &[Vec<(usize, LinkKind, i64)>],
    preds: &[Vec<(usize, LinkKind, i64)>],
) -> Option<Vec<usize>> {
    let mut waiting: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut ready: Vec<usize> = (0..preds.len()).filter(|&v| waiting[v] == 0).collect();
    ready.reverse();
    let mut order = Vec::with_capacity(preds.len());
    while let Some(v) = ready.pop() {
        order.push(v);
        for &(s, _, _) in &succs[v] {
            waiting[s] -= 1;
            if waiting[s] == 0 {
                ready.push(s);
            }
        }
    }
    (order.len() == preds.len()).then_some(order)
}

/// Working days numbered from an origin, growing as later ones are asked for.
struct Days<'a> {
    calendar: &'a WorkCalendar,
    dates: Vec<Date>,
}

impl<'a> Days<'a> {
    fn new(calendar: &'a WorkCalendar, origin: Date) -> Self {
        Self {
            calendar,
            dates: vec![calendar.next_working(origin)],
        }
    }

    fn grow_to(&mut self, day: Date) {
        while let Some(&last) = self.dates.last().filter(|l| **l < day) {
            self.dates.push(self.calendar.add_working_days(last, 1));
        }
    }

    /// The index of `day`, or of the next working day.
    fn ceil(&mut self, day: Date) -> i64 {
        self.grow_to(day);
        to_i64(self.dates.partition_point(|d| *d < day))
    }

    /// The index of `day`, or of the working day before it.
    fn floor(&mut self, day: Date) -> i64 {
        self.grow_to(day);
        to_i64(self.dates.partition_point(|d| *d <= day)) - 1
    }

    fn date(&mut self, i: i64) -> Date {
        match usize::try_from(i) {
            Ok(i) => {
                while self.dates.len() <= i {
                    let last = self.dates[self.dates.len() - 1];
                    self.dates.push(self.calendar.add_working_days(last, 1));
                }
                self.dates[i]
            }
            // Only late dates before the origin (a plan that cannot meet its constraints).
            Err(_) => self
                .calendar
                .add_working_days(self.dates[0], i32::try_from(i).unwrap_or(i32::MIN)),
        }
    }

    /// The first working day of `[start, finish)`; a milestone's date.
    fn start(&mut self, start: i64, finish: i64) -> Date {
        if start == finish {
            self.milestone(start)
        } else {
            self.date(start)
        }
    }

    /// The last working day of `[start, finish)`; a milestone's date.
    fn finish(&mut self, start: i64, finish: i64) -> Date {
        if start == finish {
            self.milestone(start)
        } else {
            self.date(finish - 1)
        }
    }

    /// A milestone on the boundary `at` is dated on the working day that ends there.
    fn milestone(&mut self, at: i64) -> Date {
        self.date(at - 1)
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
