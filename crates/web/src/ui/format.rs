//! How values look on a page: money with its currency, dates, timestamps
//! (machine-readable for `<time datetime>` plus a UTC fallback the browser localises).

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

/// `2026-03-31`, or an em dash.
pub fn date(d: &Option<Date>) -> String {
    d.map_or_else(|| "—".into(), |d| d.to_string())
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

/// `2026-03-31 14:05 UTC`: the text inside `<time data-local>` until the script localises it.
pub fn stamp(t: &OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
}

/// A wait in words: `45 seconds`, `3 minutes`.
pub fn wait(secs: u64) -> String {
    match secs {
        0..=1 => "1 second".into(),
        2..=90 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// A JSON value from the audit trail, compactly: strings bare, null as an em dash,
/// long texts cut (the full value stays in the database and the API).
pub fn json(v: &serde_json::Value) -> String {
    const MAX: usize = 160;
    let text = match v {
        serde_json::Value::Null => return "—".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        text
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
        assert_eq!(
            date(&Some(time::macros::date!(2026 - 03 - 01))),
            "2026-03-01"
        );
        assert_eq!(
            stamp(&time::macros::datetime!(2026-03-01 14:05 UTC)),
            "2026-03-01 14:05 UTC"
        );
        assert_eq!(wait(600), "10 minutes");
        assert_eq!(hours(&Some(2.5)), "2.5");
        assert_eq!(hours(&Some(3.0)), "3");
    }
}
