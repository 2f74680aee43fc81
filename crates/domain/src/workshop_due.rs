//! When the workshop must be done with an item (docs/workshop.md, "Late in the workshop").
//!
//! An item with an installation date must be packed [`PACK_ALLOWANCE_DAYS`] working days
//! (Monday to Friday) before it: the time delivery and site handling take. It is *late in the
//! workshop* once today is after that packed-by date and less than its released quantity has
//! reached the packed stage. The board filters items by how soon they are due ([`Due`]).

use time::{Date, Duration, Weekday};

use crate::enums::string_enum;
use crate::scope::Quantity;

/// Working days (Monday to Friday) between "packed" and "installed on site": loading,
/// delivery and site handling. Holidays are not counted out.
pub const PACK_ALLOWANCE_DAYS: u32 = 5;

fn is_working_day(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The day an item installed on `install_on` must be packed by: [`PACK_ALLOWANCE_DAYS`]
/// working days earlier (an installation on Monday is packed by the Monday before).
/// `None` only at the very start of the calendar.
pub fn packed_by(install_on: Date) -> Option<Date> {
    let mut d = install_on;
    let mut left = PACK_ALLOWANCE_DAYS;
    while left > 0 {
        d = d.previous_day()?;
        if is_working_day(d) {
            left -= 1;
        }
    }
    Some(d)
}

/// Whether an item is late in the workshop on `today`: it has a packed-by date, today is
/// after it, and less than its released quantity is packed. An item not released
/// (`released` 0) is never late here: it has not reached the workshop.
pub fn is_late(packed_by: Option<Date>, today: Date, released: Quantity, packed: Quantity) -> bool {
    packed_by.is_some_and(|d| today > d) && released.0 > 0 && packed.0 < released.0
}

string_enum!(
    /// The board's due filter: late in the workshop; not all packed and to be packed by from
    /// today to this Sunday, or to the Sunday of next week; or without an installation date.
    Due {
        Late => "late", "Late",
        ThisWeek => "this_week", "Due this week",
        TwoWeeks => "two_weeks", "Due in 2 weeks",
        NoDate => "no_date", "No date",
    }
);

impl Due {
    /// Whether an item with this packed-by date and these quantities passes the filter.
    pub fn matches(
        self,
        packed_by: Option<Date>,
        today: Date,
        released: Quantity,
        packed: Quantity,
    ) -> bool {
        let open = packed.0 < released.0;
        let within = |weeks: i64| {
            let sunday = end_of_week(today) + Duration::weeks(weeks - 1);
            packed_by.is_some_and(|d| d >= today && d <= sunday)
        };
        match self {
            Due::Late => is_late(packed_by, today, released, packed),
            Due::ThisWeek => open && within(1),
            Due::TwoWeeks => open && within(2),
            Due::NoDate => packed_by.is_none(),
        }
    }
}

/// The Sunday ending `d`'s week (Monday to Sunday); `d` itself on a Sunday.
fn end_of_week(d: Date) -> Date {
    let to_sunday = 6 - i64::from(d.weekday().number_days_from_monday());
    d.checked_add(Duration::days(to_sunday)).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TEN: Quantity = Quantity(10_000);

    #[test]
    fn packed_by_counts_back_five_working_days() {
        // Friday 2026-03-20 → Friday 2026-03-13 (Mon–Thu and the Friday before).
        assert_eq!(
            packed_by(date!(2026 - 03 - 20)),
            Some(date!(2026 - 03 - 13))
        );
        // Monday → the Monday before.
        assert_eq!(
            packed_by(date!(2026 - 03 - 23)),
            Some(date!(2026 - 03 - 16))
        );
        // Wednesday → the Wednesday before.
        assert_eq!(
            packed_by(date!(2026 - 03 - 25)),
            Some(date!(2026 - 03 - 18))
        );
        // A Saturday or Sunday installation: the Monday of that week.
        assert_eq!(
            packed_by(date!(2026 - 03 - 21)),
            Some(date!(2026 - 03 - 16))
        );
        assert_eq!(
            packed_by(date!(2026 - 03 - 22)),
            Some(date!(2026 - 03 - 16))
        );
        assert_eq!(packed_by(Date::MIN), None);
    }

    #[test]
    fn late_after_the_packed_by_day_while_not_all_packed() {
        let by = Some(date!(2026 - 03 - 13));
        let part = Quantity(4_000);
        assert!(!is_late(by, date!(2026 - 03 - 13), TEN, part), "on the day");
        assert!(
            is_late(by, date!(2026 - 03 - 14), TEN, part),
            "the day after"
        );
        assert!(!is_late(by, date!(2026 - 03 - 14), TEN, TEN), "all packed");
        assert!(!is_late(None, date!(2026 - 03 - 14), TEN, part), "no date");
        assert!(
            !is_late(by, date!(2026 - 03 - 14), Quantity(0), Quantity(0)),
            "not released"
        );
    }

    #[test]
    fn due_filters() {
        // Wednesday 2026-03-11; this week ends Sunday 03-15, next week 03-22.
        let today = date!(2026 - 03 - 11);
        let part = Quantity(1_000);
        let m = |due: Due, by: Option<Date>, packed: Quantity| due.matches(by, today, TEN, packed);
        assert!(m(Due::Late, Some(date!(2026 - 03 - 10)), part));
        assert!(!m(Due::ThisWeek, Some(date!(2026 - 03 - 10)), part));
        assert!(m(Due::ThisWeek, Some(today), part));
        assert!(m(Due::ThisWeek, Some(date!(2026 - 03 - 15)), part));
        assert!(!m(Due::ThisWeek, Some(date!(2026 - 03 - 16)), part));
        assert!(!m(Due::ThisWeek, Some(today), TEN), "all packed is not due");
        assert!(m(Due::TwoWeeks, Some(date!(2026 - 03 - 13)), part));
        assert!(m(Due::TwoWeeks, Some(date!(2026 - 03 - 22)), part));
        assert!(!m(Due::TwoWeeks, Some(date!(2026 - 03 - 23)), part));
        assert!(m(Due::NoDate, None, part));
        assert!(!m(Due::NoDate, Some(today), part));
        for d in Due::ALL {
            assert_eq!(d.as_str().parse::<Due>(), Ok(*d));
        }
    }

    proptest! {
        /// The packed-by day is a working day, 5 to 7 calendar days before the installation, and with exactly the allowance of
        /// working days from it up to (not including) the installation.
        #[test]
        fn packed_by_leaves_the_allowance(days in 0i64..40_000) {
            let install = date!(2000 - 01 - 01) + Duration::days(days);
            let by = packed_by(install).expect("far from the start of the calendar");
            prop_assert!(is_working_day(by));
            let gap = (install - by).whole_days();
            prop_assert!((5..=7).contains(&gap), "gap {gap}");
            let mut working = 0;
            let mut d = by;
            while d < install {
                if is_working_day(d) {
                    working += 1;
                }
                d = d.next_day().expect("in range");
            }
            prop_assert_eq!(working, PACK_ALLOWANCE_DAYS);
        }
    }
}
