//! The working calendar: which days count as working days, and arithmetic in them.

use std::collections::BTreeSet;

use time::{Date, Duration};

use super::ScheduleError;

/// Working weekdays (Monday first) plus dated exceptions. Project overrides are applied with
/// [`WorkCalendar::with_overrides`]; an extra working day wins over a holiday on the same date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    weekdays: [bool; 7],
    holidays: BTreeSet<Date>,
    extra_working: BTreeSet<Date>,
}

impl WorkCalendar {
    /// A calendar with at least one working weekday (otherwise nothing could ever be scheduled).
    pub fn new(
        working_weekdays: [bool; 7],
        holidays: impl IntoIterator<Item = Date>,
    ) -> Result<Self, ScheduleError> {
        if !working_weekdays.contains(&true) {
            return Err(ScheduleError::NoWorkingDays);
        }
        Ok(Self {
            weekdays: working_weekdays,
            holidays: holidays.into_iter().collect(),
            extra_working: BTreeSet::new(),
        })
    }

    /// Monday to Friday, no holidays.
    pub fn standard() -> Self {
        Self {
            weekdays: [true, true, true, true, true, false, false],
            holidays: BTreeSet::new(),
            extra_working: BTreeSet::new(),
        }
    }

    /// This calendar as a project sees it: its own weekdays if it has them, more holidays, and
    /// days worked although the company calendar says otherwise.
    pub fn with_overrides(
        &self,
        working_weekdays: Option<[bool; 7]>,
        extra_holidays: impl IntoIterator<Item = Date>,
        extra_working: impl IntoIterator<Item = Date>,
    ) -> Result<Self, ScheduleError> {
        let mut out = Self::new(
            working_weekdays.unwrap_or(self.weekdays),
            self.holidays.iter().copied().chain(extra_holidays),
        )?;
        out.extra_working = self
            .extra_working
            .iter()
            .copied()
            .chain(extra_working)
            .collect();
        Ok(out)
    }

    /// The working weekdays, Monday first.
    pub fn weekdays(&self) -> [bool; 7] {
        self.weekdays
    }

    pub fn is_working(&self, day: Date) -> bool {
        if self.extra_working.contains(&day) {
            return true;
        }
        self.weekdays[usize::from(day.weekday().number_days_from_monday())]
            && !self.holidays.contains(&day)
    }

    /// `day` if it is a working day, else the next one.
    pub fn next_working(&self, day: Date) -> Date {
        let mut d = day;
        while !self.is_working(d) {
            d = step(d, 1);
        }
        d
    }

    /// `day` if it is a working day, else the one before.
    pub fn previous_working(&self, day: Date) -> Date {
        let mut d = day;
        while !self.is_working(d) {
            d = step(d, -1);
        }
        d
    }

    /// The date `n` working days after `day` (before it when `n` is negative). `day` itself need
    /// not be a working day: Friday + 1 is Monday, and so is Saturday + 1.
    pub fn add_working_days(&self, day: Date, n: i32) -> Date {
        let dir = if n < 0 { -1 } else { 1 };
        let mut d = day;
        for _ in 0..n.unsigned_abs() {
            d = step(d, dir);
            while !self.is_working(d) {
                d = step(d, dir);
            }
        }
        d
    }

    /// Working days in `(a, b]`, negative when `b` is before `a`: the slip from `a` to `b`.
    pub fn working_days_between(&self, a: Date, b: Date) -> i32 {
        let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        let mut count = 0_i32;
        let mut d = lo;
        while d < hi {
            d = step(d, 1);
            if self.is_working(d) {
                count += 1;
            }
        }
        sign * count
    }

    /// Working days in `[start, end]`, both included: a task's duration. Zero when `end` is
    /// before `start`.
    pub fn working_days_inclusive(&self, start: Date, end: Date) -> u32 {
        if end < start {
            return 0;
        }
        let first = u32::from(self.is_working(start));
        first + self.working_days_between(start, end).unsigned_abs()
    }
}

fn step(d: Date, days: i64) -> Date {
    // The calendar never leaves the years a project can have (1–9999); saturate at the edges.
    d.checked_add(Duration::days(days)).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn weekends_and_holidays_are_skipped() {
        let cal = WorkCalendar::new(
            [true, true, true, true, true, false, false],
            [date!(2026 - 12 - 25)],
        )
        .unwrap();
        // Friday + 1 = Monday; Thursday 24 Dec + 1 skips Christmas and the weekend.
        assert_eq!(
            cal.add_working_days(date!(2026 - 03 - 06), 1),
            date!(2026 - 03 - 09)
        );
        assert_eq!(
            cal.add_working_days(date!(2026 - 12 - 24), 1),
            date!(2026 - 12 - 28)
        );
        assert_eq!(
            cal.add_working_days(date!(2026 - 12 - 28), -1),
            date!(2026 - 12 - 24)
        );
        assert_eq!(
            cal.add_working_days(date!(2026 - 03 - 07), 1),
            date!(2026 - 03 - 09)
        );
        assert_eq!(
            cal.working_days_inclusive(date!(2026 - 03 - 02), date!(2026 - 03 - 13)),
            10
        );
        assert_eq!(
            cal.working_days_inclusive(date!(2026 - 03 - 07), date!(2026 - 03 - 08)),
            0
        );
        assert_eq!(
            cal.next_working(date!(2026 - 03 - 07)),
            date!(2026 - 03 - 09)
        );
        assert_eq!(
            cal.previous_working(date!(2026 - 03 - 07)),
            date!(2026 - 03 - 06)
        );
    }

    #[test]
    fn a_project_can_work_a_saturday_and_add_a_holiday() {
        let company = WorkCalendar::standard();
        let project = company
            .with_overrides(None, [date!(2026 - 03 - 10)], [date!(2026 - 03 - 07)])
            .unwrap();
        assert!(project.is_working(date!(2026 - 03 - 07)));
        assert!(!project.is_working(date!(2026 - 03 - 10)));
        assert!(company.is_working(date!(2026 - 03 - 10)));
        assert_eq!(
            project.add_working_days(date!(2026 - 03 - 06), 1),
            date!(2026 - 03 - 07)
        );
    }

    #[test]
    fn a_calendar_without_working_weekdays_is_refused() {
        assert_eq!(
            WorkCalendar::new([false; 7], []),
            Err(ScheduleError::NoWorkingDays)
        );
    }

    fn calendars() -> impl Strategy<Value = WorkCalendar> {
        (
            prop::array::uniform7(any::<bool>())
                .prop_filter("a working day", |w| w.contains(&true)),
            prop::collection::vec(0_i64..120, 0..10),
        )
            .prop_map(|(w, hol)| {
                let base = date!(2026 - 01 - 01);
                WorkCalendar::new(w, hol.into_iter().map(|o| base + Duration::days(o))).unwrap()
            })
    }

    proptest! {
        #[test]
        fn adding_the_days_between_gets_back_to_the_day(
            cal in calendars(), a in 0_i64..200, n in -60_i32..60,
        ) {
            let start = cal.next_working(date!(2026 - 01 - 01) + Duration::days(a));
            let end = cal.add_working_days(start, n);
            prop_assert!(cal.is_working(end));
            prop_assert_eq!(cal.working_days_between(start, end), n);
            prop_assert_eq!(cal.add_working_days(end, -n), start);
        }
    }
}
