//! The calendar: what falls due on which day (tasks and milestones, delivery notes, RFIs,
//! purchase orders, material specifications), the month or week a page shows, and the same
//! entries written as an iCalendar feed (RFC 5545).
//!
//! Reviews have no due date of their own, so they are not entries: a programme's approval
//! steps are tasks.

use serde::Serialize;
use time::{Date, Duration, Month, OffsetDateTime, Weekday};
use uuid::Uuid;

/// What an entry is. Each kind has its own marker (a symbol and a word), so the calendar
/// never tells kinds apart by colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Task,
    Milestone,
    Delivery,
    Rfi,
    PurchaseOrder,
    Spec,
}

impl EntryKind {
    /// Every kind, in the order of the legend.
    pub const ALL: [EntryKind; 6] = [
        EntryKind::Task,
        EntryKind::Milestone,
        EntryKind::Delivery,
        EntryKind::Rfi,
        EntryKind::PurchaseOrder,
        EntryKind::Spec,
    ];

    /// Stable name (CSS class, iCal UID).
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Task => "task",
            EntryKind::Milestone => "milestone",
            EntryKind::Delivery => "delivery",
            EntryKind::Rfi => "rfi",
            EntryKind::PurchaseOrder => "purchase-order",
            EntryKind::Spec => "spec",
        }
    }

    /// The word a reader sees (and a screen reader reads) before the entry.
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Task => "Task due",
            EntryKind::Milestone => "Milestone",
            EntryKind::Delivery => "Delivery",
            EntryKind::Rfi => "RFI required by",
            EntryKind::PurchaseOrder => "Order required on",
            EntryKind::Spec => "Material needed on site",
        }
    }

    /// A symbol of its own shape for each kind.
    pub fn marker(self) -> &'static str {
        match self {
            EntryKind::Task => "●",
            EntryKind::Milestone => "◆",
            EntryKind::Delivery => "▲",
            EntryKind::Rfi => "?",
            EntryKind::PurchaseOrder => "■",
            EntryKind::Spec => "✱",
        }
    }
}

/// One thing on one day (or, for a task with a start date, a run of days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CalendarEntry {
    pub kind: EntryKind,
    /// The record's id.
    pub id: Uuid,
    pub project_id: Uuid,
    pub project_code: String,
    /// What it is: `RFI-003 Ceiling void depth`, a task's title.
    pub title: String,
    /// The first day of a task that has a start date before its due date.
    pub start: Option<Date>,
    /// The day it falls due (or is planned for).
    pub date: Date,
    /// The path of its page, e.g. `/rfis/{id}`.
    pub path: String,
    /// Finished: a completed task, a received delivery, an answered RFI…
    pub done: bool,
}

impl CalendarEntry {
    /// The first day it shows on.
    pub fn first_day(&self) -> Date {
        self.start.filter(|s| *s < self.date).unwrap_or(self.date)
    }

    /// Whether it runs over more than one day (a task started before its due date).
    pub fn spans(&self) -> bool {
        self.start.is_some_and(|s| s < self.date)
    }

    /// Whether it shows on `day`: its due day, or in the week view any day of its run.
    pub fn on(&self, day: Date, spanning: bool) -> bool {
        if spanning {
            self.first_day() <= day && day <= self.date
        } else {
            self.date == day
        }
    }

    /// Whether any of its days falls within `first..=last`.
    pub fn overlaps(&self, first: Date, last: Date) -> bool {
        self.first_day() <= last && self.date >= first
    }
}

/// Sorts entries by day, then kind, then title (stable for tests and feeds).
pub fn sort(entries: &mut [CalendarEntry]) {
    entries.sort_by(|a, b| {
        (a.date, a.kind as u8, &a.title, a.id).cmp(&(b.date, b.kind as u8, &b.title, b.id))
    });
}

/// Month grid or week list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Month,
    Week,
}

impl View {
    pub fn as_str(self) -> &'static str {
        match self {
            View::Month => "month",
            View::Week => "week",
        }
    }

    /// `month` (the default for an empty value) or `week`.
    pub fn parse(s: &str) -> Option<View> {
        match s {
            "" | "month" => Some(View::Month),
            "week" => Some(View::Week),
            _ => None,
        }
    }
}

/// The days a calendar page shows: a month as whole weeks (Monday to Sunday), or one week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub view: View,
    /// The day asked for (the month's first day for a month).
    pub anchor: Date,
    /// First and last day shown, inclusive.
    pub first: Date,
    pub last: Date,
}

/// The Monday on or before `d`.
pub fn monday_of(d: Date) -> Date {
    d - Duration::days(i64::from(d.weekday().number_days_from_monday()))
}

fn month_start(d: Date) -> Date {
    d.replace_day(1).unwrap_or(d)
}

fn month_end(d: Date) -> Date {
    let days = d.month().length(d.year());
    d.replace_day(days).unwrap_or(d)
}

impl Period {
    /// The view around `day`.
    pub fn new(view: View, day: Date) -> Period {
        match view {
            View::Month => {
                let start = month_start(day);
                let first = monday_of(start);
                let last = monday_of(month_end(day)) + Duration::days(6);
                Period {
                    view,
                    anchor: start,
                    first,
                    last,
                }
            }
            View::Week => {
                let first = monday_of(day);
                Period {
                    view,
                    anchor: first,
                    first,
                    last: first + Duration::days(6),
                }
            }
        }
    }

    /// The period before this one.
    pub fn prev(&self) -> Period {
        match self.view {
            View::Month => Period::new(View::Month, self.anchor - Duration::days(1)),
            View::Week => Period::new(View::Week, self.first - Duration::days(7)),
        }
    }

    /// The period after this one.
    pub fn next(&self) -> Period {
        match self.view {
            View::Month => Period::new(View::Month, month_end(self.anchor) + Duration::days(1)),
            View::Week => Period::new(View::Week, self.first + Duration::days(7)),
        }
    }

    /// Every day shown, in order.
    pub fn days(&self) -> Vec<Date> {
        let mut out = Vec::new();
        let mut d = self.first;
        while d <= self.last {
            out.push(d);
            d += Duration::days(1);
        }
        out
    }

    /// Whether `d` belongs to the month shown (greyed out otherwise).
    pub fn in_month(&self, d: Date) -> bool {
        d.month() == self.anchor.month() && d.year() == self.anchor.year()
    }

    /// The heading: `March 2026`, or `Week of 2 March 2026`.
    pub fn title(&self) -> String {
        match self.view {
            View::Month => format!("{} {}", month_name(self.anchor.month()), self.anchor.year()),
            View::Week => format!(
                "Week of {} {} {}",
                self.first.day(),
                month_name(self.first.month()),
                self.first.year()
            ),
        }
    }
}

/// English month name.
pub fn month_name(m: Month) -> &'static str {
    match m {
        Month::January => "January",
        Month::February => "February",
        Month::March => "March",
        Month::April => "April",
        Month::May => "May",
        Month::June => "June",
        Month::July => "July",
        Month::August => "August",
        Month::September => "September",
        Month::October => "October",
        Month::November => "November",
        Month::December => "December",
    }
}

/// Short English weekday name.
pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

/// How far a feed reaches: this many days back…
pub const FEED_DAYS_BACK: i64 = 90;
/// …and this many ahead of the day it is fetched.
pub const FEED_DAYS_AHEAD: i64 = 400;

/// What an iCalendar document is called and where its entries link to.
pub struct IcalHead<'a> {
    /// `X-WR-CALNAME`: what a calendar application names the subscription.
    pub name: &'a str,
    /// The public base URL (`https://pm.example.com`), for entry links and UIDs.
    pub base_url: &'a str,
    /// `DTSTAMP` of every event: when the feed was made.
    pub stamp: OffsetDateTime,
}

/// The entries as an iCalendar document (RFC 5545): CRLF line ends, lines folded at 75
/// octets, text escaped, all-day `DATE` values, one `VEVENT` per entry with a UID that stays
/// the same from one fetch to the next.
pub fn to_ical(head: &IcalHead<'_>, entries: &[CalendarEntry]) -> String {
    let base = head.base_url.trim_end_matches('/');
    let host = base
        .split_once("://")
        .map_or(base, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("formula-pm");
    let stamp = head.stamp.to_offset(time::UtcOffset::UTC);
    let dtstamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        stamp.year(),
        u8::from(stamp.month()),
        stamp.day(),
        stamp.hour(),
        stamp.minute(),
        stamp.second()
    );
    let mut out = String::new();
    let mut line = |s: &str| push_folded(&mut out, s);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Formula PM//Calendar//EN");
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line(&format!("X-WR-CALNAME:{}", escape_text(head.name)));
    line("REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    line("X-PUBLISHED-TTL:PT1H");
    for e in entries {
        let done = if e.done { " (done)" } else { "" };
        let summary = format!("{} {}: {}{done}", e.kind.marker(), e.kind.label(), e.title);
        let description = format!("{} · {}", e.project_code, e.kind.label());
        line("BEGIN:VEVENT");
        line(&format!("UID:{}-{}@{host}", e.kind.as_str(), e.id));
        line(&format!("DTSTAMP:{dtstamp}"));
        line(&format!("DTSTART;VALUE=DATE:{}", ical_date(e.first_day())));
        line(&format!(
            "DTEND;VALUE=DATE:{}",
            ical_date(e.date + Duration::days(1))
        ));
        line(&format!("SUMMARY:{}", escape_text(&summary)));
        line(&format!("DESCRIPTION:{}", escape_text(&description)));
        line(&format!("CATEGORIES:{}", escape_text(e.kind.label())));
        line(&format!("URL:{base}{}", e.path));
        line("TRANSP:TRANSPARENT");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

fn ical_date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Escapes a TEXT value: backslash, semicolon, comma and line breaks (RFC 5545 §3.3.11).
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            // Other control characters are not allowed in TEXT.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded so that no line exceeds 75 octets (a continuation line
/// starts with a space, which counts), never splitting a UTF-8 character, and ended by CRLF.
fn push_folded(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn entry(kind: EntryKind, title: &str, date: Date) -> CalendarEntry {
        CalendarEntry {
            kind,
            id: Uuid::from_u128(7),
            project_id: Uuid::from_u128(1),
            project_code: "P-001".into(),
            title: title.into(),
            start: None,
            date,
            path: "/tasks/x".into(),
            done: false,
        }
    }

    #[test]
    fn a_month_is_whole_weeks_from_monday() {
        let p = Period::new(View::Month, date!(2026 - 03 - 17));
        assert_eq!(p.anchor, date!(2026 - 03 - 01));
        assert_eq!(p.first, date!(2026 - 02 - 23));
        assert_eq!(p.last, date!(2026 - 04 - 05));
        assert_eq!(p.days().len() % 7, 0);
        assert_eq!(p.title(), "March 2026");
        assert_eq!(p.prev().anchor, date!(2026 - 02 - 01));
        assert_eq!(p.next().anchor, date!(2026 - 04 - 01));
        assert_eq!(
            Period::new(View::Month, date!(2026 - 12 - 31))
                .next()
                .anchor,
            date!(2027 - 01 - 01)
        );
    }

    #[test]
    fn a_week_runs_monday_to_sunday() {
        let p = Period::new(View::Week, date!(2026 - 03 - 05));
        assert_eq!(p.first, date!(2026 - 03 - 02));
        assert_eq!(p.last, date!(2026 - 03 - 08));
        assert_eq!(p.prev().first, date!(2026 - 02 - 23));
        assert_eq!(p.next().first, date!(2026 - 03 - 09));
        assert_eq!(p.title(), "Week of 2 March 2026");
    }

    #[test]
    fn a_task_spans_from_start_to_due_in_the_week_view() {
        let mut e = entry(EntryKind::Task, "Fit", date!(2026 - 03 - 05));
        e.start = Some(date!(2026 - 03 - 03));
        assert!(e.on(date!(2026 - 03 - 04), true));
        assert!(!e.on(date!(2026 - 03 - 04), false));
        assert!(e.on(date!(2026 - 03 - 05), false));
        assert!(e.overlaps(date!(2026 - 02 - 23), date!(2026 - 03 - 03)));
        assert!(!e.overlaps(date!(2026 - 03 - 06), date!(2026 - 03 - 08)));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape_text("a,b;c\\d\ne\r\nf"),
            "a\\,b\\;c\\\\d\\ne\\nf".to_owned()
        );
    }

    #[test]
    fn lines_fold_at_75_octets_without_splitting_characters() {
        let title = "é".repeat(100);
        let doc = to_ical(
            &IcalHead {
                name: "Mine, all",
                base_url: "https://pm.example.com/",
                stamp: datetime!(2026-03-01 10:20:30 UTC),
            },
            &[entry(EntryKind::Rfi, &title, date!(2026 - 03 - 05))],
        );
        assert!(doc.ends_with("END:VCALENDAR\r\n"));
        for l in doc.split("\r\n") {
            assert!(l.len() <= 75, "{l:?} is {} octets", l.len());
            assert!(!l.contains('\n') && !l.contains('\r'));
        }
        let unfolded = doc.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:? RFI required by: {title}\r\n")));
        assert!(unfolded.contains("X-WR-CALNAME:Mine\\, all\r\n"));
        assert!(
            unfolded.contains("UID:rfi-00000000-0000-0000-0000-000000000007@pm.example.com\r\n")
        );
        assert!(unfolded.contains("DTSTAMP:20260301T102030Z\r\n"));
        assert!(unfolded.contains("DTSTART;VALUE=DATE:20260305\r\n"));
        assert!(unfolded.contains("DTEND;VALUE=DATE:20260306\r\n"));
        assert!(unfolded.contains("URL:https://pm.example.com/tasks/x\r\n"));
    }
}
