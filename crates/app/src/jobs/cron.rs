//! A five-field cron expression (`minute hour day-of-month month day-of-week`), evaluated
//! in UTC. Each field takes `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, and
//! comma-separated lists of those. Day of week is 0–7 with both 0 and 7 meaning Sunday.
//! As in classic cron, when both day fields are restricted a day matching either runs.
//!
//! Hand-written rather than a crate: the whole grammar is a few dozen lines.

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

/// A parsed schedule. Displays as the text it was parsed from (normalised spacing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    text: String,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Whether the day-of-month / day-of-week field was `*` (for the either-day rule).
    any_day: bool,
    any_weekday: bool,
}

/// The fields in order: name, lowest and highest value.
const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
];

impl Cron {
    /// Parses `minute hour day-of-month month day-of-week`; the error says which field is wrong.
    pub fn parse(text: &str) -> Result<Cron, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(format!(
                "must have 5 fields (minute hour day-of-month month day-of-week), like \"30 3 * * *\"; got {} field(s)",
                parts.len()
            ));
        }
        let mut masks = [0u64; 5];
        for (i, (part, (name, lo, hi))) in parts.iter().zip(FIELDS).enumerate() {
            masks[i] = field(part, lo, hi).map_err(|m| format!("{name} field {part:?}: {m}"))?;
        }
        // Sunday is both 0 and 7.
        if masks[4] & (1 << 7) != 0 {
            masks[4] |= 1;
        }
        Ok(Cron {
            text: parts.join(" "),
            minutes: masks[0],
            hours: masks[1],
            days: masks[2],
            months: masks[3],
            weekdays: masks[4],
            any_day: parts[2] == "*",
            any_weekday: parts[4] == "*",
        })
    }

    /// Whether the schedule fires in the minute containing `at` (converted to UTC).
    pub fn matches(&self, at: OffsetDateTime) -> bool {
        let at = at.to_offset(time::UtcOffset::UTC);
        let bit = |mask: u64, v: u8| mask & (1u64 << v) != 0;
        let day = bit(self.days, at.day());
        let weekday = bit(self.weekdays, at.weekday().number_days_from_sunday());
        let day_ok = match (self.any_day, self.any_weekday) {
            (true, true) => true,
            (false, true) => day,
            (true, false) => weekday,
            (false, false) => day || weekday,
        };
        bit(self.minutes, at.minute())
            && bit(self.hours, at.hour())
            && bit(self.months, u8::from(at.month()))
            && day_ok
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Cron {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cron::parse(s)
    }
}

/// One field as a bit mask of the values it allows.
fn field(text: &str, lo: u32, hi: u32) -> Result<u64, String> {
    let mut mask = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step = number(s, "step")?;
                if step == 0 {
                    return Err("a step must be at least 1".into());
                }
                (r, step)
            }
            None => (item, 1),
        };
        let (from, to) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (number(a, "value")?, number(b, "value")?)
        } else {
            let v = number(range, "value")?;
            // `5/15` means from 5 to the end in steps of 15.
            (v, if step > 1 { hi } else { v })
        };
        if from < lo || to > hi {
            return Err(format!("values must be between {lo} and {hi}"));
        }
        if from > to {
            return Err(format!("the range {from}-{to} runs backwards"));
        }
        let mut v = from;
        while v <= to {
            mask |= 1u64 << v;
            v += step;
        }
    }
    Ok(mask)
}

fn number(text: &str, what: &str) -> Result<u32, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("expected a number as {what}, got {text:?}"));
    }
    text.parse()
        .map_err(|_| format!("expected a number as {what}, got {text:?}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn cron(s: &str) -> Cron {
        Cron::parse(s).unwrap()
    }

    #[test]
    fn every_minute_matches_everything() {
        let c = cron("* * * * *");
        assert!(c.matches(datetime!(2026-02-28 23:59 UTC)));
        assert!(c.matches(datetime!(2026-01-01 00:00 UTC)));
    }

    #[test]
    fn steps_lists_and_ranges() {
        let c = cron("*/15 9-17 * * 1-5");
        assert!(c.matches(datetime!(2026-11-25 09:45 UTC))); // a Wednesday
        assert!(!c.matches(datetime!(2026-11-25 09:46 UTC)));
        assert!(!c.matches(datetime!(2026-11-25 18:00 UTC)));
        assert!(!c.matches(datetime!(2026-11-29 10:00 UTC))); // Sunday
        let c = cron("0,30 3 1,15 1-3 *");
        assert!(c.matches(datetime!(2026-03-15 03:30 UTC)));
        assert!(!c.matches(datetime!(2026-04-15 03:30 UTC)));
        assert!(!c.matches(datetime!(2026-03-16 03:30 UTC)));
        let c = cron("10-50/20 * * * *");
        for (m, hit) in [(10, true), (30, true), (50, true), (20, false), (0, false)] {
            assert_eq!(
                c.matches(datetime!(2026-01-01 00:00 UTC).replace_minute(m).unwrap()),
                hit,
                "{m}"
            );
        }
        // `5/20`: from 5 to the end of the range.
        let c = cron("5/20 * * * *");
        assert!(c.matches(datetime!(2026-01-01 00:45 UTC)));
        assert!(!c.matches(datetime!(2026-01-01 00:15 UTC)));
    }

    #[test]
    fn sunday_is_zero_and_seven() {
        let sunday = datetime!(2026-11-29 03:00 UTC);
        assert!(cron("0 3 * * 0").matches(sunday));
        assert!(cron("0 3 * * 7").matches(sunday));
        assert!(!cron("0 3 * * 6").matches(sunday));
    }

    #[test]
    fn restricted_day_fields_match_either() {
        // The 1st of the month, or any Monday.
        let c = cron("0 0 1 * 1");
        assert!(c.matches(datetime!(2026-12-01 00:00 UTC))); // Tuesday the 1st
        assert!(c.matches(datetime!(2026-11-30 00:00 UTC))); // Monday
        assert!(!c.matches(datetime!(2026-12-02 00:00 UTC)));
    }

    #[test]
    fn times_are_compared_in_utc() {
        let c = cron("30 3 * * *");
        assert!(c.matches(datetime!(2026-01-01 05:30 +02:00)));
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        let err = |s: &str| Cron::parse(s).unwrap_err();
        assert!(err("* * * *").contains("5 fields"));
        assert!(err("60 * * * *").contains("minute field"));
        assert!(err("* 24 * * *").contains("hour field"));
        assert!(err("* * 0 * *").contains("day of month"));
        assert!(err("* * * 13 *").contains("month field"));
        assert!(err("* * * * 8").contains("day of week"));
        assert!(err("*/0 * * * *").contains("step"));
        assert!(err("5-1 * * * *").contains("backwards"));
        assert!(err("a * * * *").contains("number"));
        assert!(err("1,,2 * * * *").contains("number"));
        assert!(err("-1 * * * *").contains("number"));
    }

    #[test]
    fn display_round_trips() {
        assert_eq!(cron("  */15   * * * * ").to_string(), "*/15 * * * *");
        assert_eq!(cron("30 3 * * *"), "30 3 * * *".parse().unwrap());
    }
}
