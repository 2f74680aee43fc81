//! How values look on a page: money with its currency, dates, timestamps
//! (machine-readable for `<time datetime>` plus a UTC fallback the browser localises).
//! Dates read `21 Mar 2026` and timestamps `21 Mar 2026, 14:58 UTC` everywhere; form fields
//! keep ISO `2026-03-21` (what `<input type=date>` takes).

use formula_domain::money::{Money, format_amount};
use time::{Date, OffsetDateTime};

/// `12,345.67 USD`, or an em dash when there is no amount.
pub fn money(m: &Option<Money>) -> String {
    match m {
        Some(m) => format!(
            "{} {}",
            format_amount(m.amount_minor, &m.currency),
            m.currency
        ),
        None => "—".into(),
    }
}

/// An amount as typed back into a form field (`12345.67`, no separators).
pub fn amount_input(m: &Option<Money>) -> String {
    match m {
        Some(m) => format_amount(m.amount_minor, &m.currency).replace(',', ""),
        None => String::new(),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `31 Mar 2026`: the month by name, so no reader takes the day for the month. The text of
/// `<time datetime="2026-03-31" data-local>` (templates: `l::day`), which app.js localises in
/// the same style (`dateStyle: "medium"`).
pub fn day(d: &Date) -> String {
    let month = MONTHS[usize::from(u8::from(d.month())) - 1];
    format!("{} {month} {}", d.day(), d.year())
}

/// A date as the value of `<input type=date>` (empty when none).
pub fn date_input(d: &Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// RFC 3339, for `<time datetime>`.
pub fn iso(t: &OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `31 Mar 2026, 14:05 UTC`: a [`day`] with the time, the text inside `<time data-local>`
/// until the script localises it (`dateStyle: "medium", timeStyle: "short"`).
pub fn stamp(t: &OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{}, {:02}:{:02} UTC", day(&t.date()), t.hour(), t.minute())
}

/// A wait in words: `45 seconds`, `3 minutes`.
pub fn wait(secs: u64) -> String {
    match secs {
        0..=1 => "1 second".into(),
        2..=90 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// Hours with at most two decimals, as typed back into a field.
pub fn hours(h: &Option<f64>) -> String {
    h.map(|h| {
        let s = format!("{h:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_dates_read_well() {
        let m = Some(Money {
            amount_minor: 1_234_567,
            currency: "USD".into(),
        });
        assert_eq!(money(&m), "12,345.67 USD");
        assert_eq!(amount_input(&m), "12345.67");
        assert_eq!(money(&None), "—");
        assert_eq!(day(&time::macros::date!(2026 - 03 - 01)), "1 Mar 2026");
        assert_eq!(day(&time::macros::date!(2026 - 12 - 31)), "31 Dec 2026");
        assert_eq!(
            date_input(&Some(time::macros::date!(2026 - 03 - 01))),
            "2026-03-01"
        );
        assert_eq!(
            stamp(&time::macros::datetime!(2026-03-01 14:05 +02:00)),
            "1 Mar 2026, 12:05 UTC"
        );
        assert_eq!(wait(600), "10 minutes");
        assert_eq!(hours(&Some(2.5)), "2.5");
        assert_eq!(hours(&Some(3.0)), "3");
    }
}
