//! The Gantt chart's geometry: where each bar, milestone, baseline ghost, dependency arrow,
//! time-scale tick and the today line go, in SVG pixels, for a zoom level. The page's template
//! prints it as inline SVG (no script needed to read it); app.js adds dragging on top. The task
//! names are not drawn: they are the HTML list beside the chart, one row of [`ROW`] pixels each
//! under a header of [`HEADER`] (app.css keeps the two in line).

use std::collections::HashMap;

use formula_domain::schedule::LinkKind;
use time::{Date, Duration, Month, Weekday};
use uuid::Uuid;

/// Height of one row.
pub const ROW: i64 = 28;
/// Height of the time scale at the top.
pub const HEADER: i64 = 40;
const BAR_TOP: i64 = 7;
const BAR_HEIGHT: i64 = 14;

/// How much time a day takes on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zoom {
    Week,
    #[default]
    Month,
    Quarter,
}

impl Zoom {
    pub const ALL: [Zoom; 3] = [Zoom::Week, Zoom::Month, Zoom::Quarter];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|z| z.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Zoom::Week => "week",
            Zoom::Month => "month",
            Zoom::Quarter => "quarter",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Zoom::Week => "Week",
            Zoom::Month => "Month",
            Zoom::Quarter => "Quarter",
        }
    }

    /// Pixels per calendar day.
    pub fn day_px(self) -> i64 {
        match self {
            Zoom::Week => 28,
            Zoom::Month => 8,
            Zoom::Quarter => 3,
        }
    }
}

/// One task or milestone to draw.
#[derive(Debug, Clone)]
pub struct GanttTask {
    pub id: Uuid,
    pub label: String,
    /// The heading it is drawn under (a scope group or a level); tasks come grouped.
    pub group: String,
    pub start: Date,
    pub finish: Date,
    pub milestone: bool,
    pub critical: bool,
    pub done: bool,
    /// The saved baseline's dates, drawn as a ghost under the bar.
    pub baseline: Option<(Date, Date)>,
    pub float: Option<i32>,
    pub version: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct GanttLink {
    pub from: Uuid,
    pub to: Uuid,
    pub kind: LinkKind,
}

/// The chart, ready to print.
#[derive(Debug)]
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub day_px: i64,
    /// The date at the left edge of the chart (x = 0).
    pub origin: Date,
    pub weekends: Vec<i64>,
    pub ticks: Vec<Tick>,
    pub groups: Vec<GroupRow>,
    pub bars: Vec<Bar>,
    pub arrows: Vec<Arrow>,
    pub today: Option<i64>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Tick {
    pub x: i64,
    pub label: String,
    /// A month (or quarter, or week) boundary: a longer line and its label on the top line.
    pub major: bool,
}

/// A group's heading row (its name is in the list of names beside the chart).
#[derive(Debug)]
pub struct GroupRow {
    pub y: i64,
}

#[derive(Debug)]
pub struct Bar {
    pub id: Uuid,
    /// The top of its row; the shapes below are placed within the row.
    pub y: i64,
    pub x: i64,
    pub w: i64,
    pub milestone: bool,
    /// "bar", plus "critical" and/or "done".
    pub class: String,
    /// The milestone's diamond, as SVG points within its row.
    pub diamond: String,
    /// The baseline ghost: x and width.
    pub ghost: Option<(i64, i64)>,
    pub start: Date,
    pub finish: Date,
    pub version: i64,
}

impl Bar {
    /// The bar's top within its row.
    pub fn bar_y(&self) -> i64 {
        BAR_TOP
    }

    /// The baseline ghost's top within the row, under the bar.
    pub fn ghost_y(&self) -> i64 {
        BAR_TOP + BAR_HEIGHT + 2
    }
}

#[derive(Debug)]
pub struct Arrow {
    /// The SVG path.
    pub d: String,
    pub critical: bool,
}

/// Lays the tasks out, in the order given, under their group headings.
pub fn layout(tasks: &[GanttTask], links: &[GanttLink], zoom: Zoom, today: Date) -> Chart {
    let px = zoom.day_px();
    let dates = tasks
        .iter()
        .flat_map(|t| {
            [
                Some(t.start),
                Some(t.finish),
                t.baseline.map(|b| b.0),
                t.baseline.map(|b| b.1),
            ]
        })
        .flatten();
    let (first, last) = dates.fold((today, today), |(lo, hi), d| (lo.min(d), hi.max(d)));
    let origin = snap_back(first - Duration::days(7), zoom);
    let end = last + Duration::days(14);
    let days = (end - origin).whole_days() + 1;
    let x_of = |d: Date| (d - origin).whole_days() * px;

    let mut groups = Vec::new();
    let mut bars = Vec::with_capacity(tasks.len());
    let mut y = HEADER;
    let mut current: Option<&str> = None;
    for t in tasks {
        if current != Some(t.group.as_str()) && !t.group.is_empty() {
            groups.push(GroupRow { y });
            y += ROW;
        }
        current = Some(t.group.as_str());
        let x = x_of(t.start);
        let w = ((t.finish - t.start).whole_days() + 1).max(1) * px;
        // A milestone marks the end of its day.
        let cx = x_of(t.finish) + px;
        let cy = ROW / 2;
        let mut class = String::from("bar");
        if t.critical {
            class.push_str(" critical");
        }
        if t.done {
            class.push_str(" done");
        }
        bars.push(Bar {
            id: t.id,
            y,
            x,
            w,
            milestone: t.milestone,
            class,
            diamond: format!(
                "{},{} {},{} {},{} {},{}",
                cx,
                cy - 7,
                cx + 7,
                cy,
                cx,
                cy + 7,
                cx - 7,
                cy
            ),
            ghost: t
                .baseline
                .map(|(s, f)| (x_of(s), ((f - s).whole_days() + 1).max(1) * px)),
            start: t.start,
            finish: t.finish,
            version: t.version,
        });
        y += ROW;
    }

    let row_of: HashMap<Uuid, usize> = bars.iter().enumerate().map(|(i, b)| (b.id, i)).collect();
    let arrows = links
        .iter()
        .filter_map(|l| {
            let (p, s) = (&bars[*row_of.get(&l.from)?], &bars[*row_of.get(&l.to)?]);
            let end_of = |b: &Bar| {
                if b.milestone {
                    x_of(b.finish) + px + 7
                } else {
                    b.x + b.w
                }
            };
            let start_of = |b: &Bar| {
                if b.milestone {
                    x_of(b.finish) + px - 7
                } else {
                    b.x
                }
            };
            let (x1, x2) = match l.kind {
                LinkKind::FinishToStart => (end_of(p), start_of(s)),
                LinkKind::StartToStart => (start_of(p), start_of(s)),
                LinkKind::FinishToFinish => (end_of(p), end_of(s)),
            };
            let (y1, y2) = (p.y + ROW / 2, s.y + ROW / 2);
            let d = if l.kind == LinkKind::FinishToFinish {
                // Into the successor's end from the right.
                let xm = x1.max(x2) + 8;
                format!("M{x1},{y1}H{xm}V{y2}H{}", x2 + 2)
            } else if x2 >= x1 + 12 || l.kind == LinkKind::StartToStart {
                let xm = if l.kind == LinkKind::StartToStart {
                    x1.min(x2) - 8
                } else {
                    x1 + 6
                };
                format!("M{x1},{y1}H{xm}V{y2}H{}", x2 - 2)
            } else {
                // The successor starts before the predecessor ends: go round, between the rows.
                let ymid = if y2 > y1 { y2 - ROW / 2 } else { y2 + ROW / 2 };
                format!("M{x1},{y1}H{}V{ymid}H{}V{y2}H{}", x1 + 6, x2 - 8, x2 - 2)
            };
            Some(Arrow {
                d,
                critical: p.class.contains("critical") && s.class.contains("critical"),
            })
        })
        .collect();

    let weekends = if zoom == Zoom::Quarter {
        Vec::new()
    } else {
        (0..days)
            .map(|i| origin + Duration::days(i))
            .filter(|d| matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
            .map(x_of)
            .collect()
    };
    Chart {
        width: days * px,
        height: y.max(HEADER + ROW),
        day_px: px,
        origin,
        weekends,
        ticks: ticks(origin, days, zoom, &x_of),
        groups,
        bars,
        arrows,
        today: (today >= origin && today <= end).then(|| x_of(today) + px / 2),
    }
}

/// The left edge: a Monday for weeks and months, the first of a month for quarters.
fn snap_back(d: Date, zoom: Zoom) -> Date {
    match zoom {
        Zoom::Quarter => d.replace_day(1).unwrap_or(d),
        _ => d - Duration::days(i64::from(d.weekday().number_days_from_monday())),
    }
}

fn ticks(origin: Date, days: i64, zoom: Zoom, x_of: &impl Fn(Date) -> i64) -> Vec<Tick> {
    (0..days)
        .map(|i| origin + Duration::days(i))
        .filter_map(|d| {
            let first_of_month = d.day() == 1;
            let monday = d.weekday() == Weekday::Monday;
            let (label, major) = match zoom {
                Zoom::Week if monday => (format!("{} {}", d.day(), short_month(d.month())), true),
                Zoom::Week => (d.day().to_string(), false),
                Zoom::Month if first_of_month => {
                    (format!("{} {}", short_month(d.month()), d.year()), true)
                }
                Zoom::Month if monday => (d.day().to_string(), false),
                Zoom::Quarter if first_of_month && (u8::from(d.month()) - 1) % 3 == 0 => (
                    format!("Q{} {}", (u8::from(d.month()) - 1) / 3 + 1, d.year()),
                    true,
                ),
                Zoom::Quarter if first_of_month => (short_month(d.month()).to_owned(), false),
                _ => return None,
            };
            Some(Tick {
                x: x_of(d),
                label,
                major,
            })
        })
        .collect()
}

fn short_month(m: Month) -> &'static str {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    NAMES[usize::from(u8::from(m) - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn task(n: u128, group: &str, start: Date, finish: Date) -> GanttTask {
        GanttTask {
            id: Uuid::from_u128(n),
            label: format!("Task {n}"),
            group: group.into(),
            start,
            finish,
            milestone: false,
            critical: false,
            done: false,
            baseline: None,
            float: None,
            version: 1,
        }
    }

    #[test]
    fn bars_sit_on_their_dates_under_their_groups() {
        let a = task(1, "Level 1", date!(2026 - 03 - 04), date!(2026 - 03 - 06));
        let mut b = task(2, "Level 1", date!(2026 - 03 - 09), date!(2026 - 03 - 09));
        b.milestone = true;
        b.critical = true;
        let mut c = task(3, "Level 2", date!(2026 - 03 - 10), date!(2026 - 03 - 12));
        c.baseline = Some((date!(2026 - 03 - 09), date!(2026 - 03 - 11)));
        let chart = layout(&[a, b, c], &[], Zoom::Week, date!(2026 - 03 - 05));
        // Seven days before the first start, back to a Monday: 23 February.
        assert_eq!(chart.origin, date!(2026 - 02 - 23));
        let x = |d: Date| (d - chart.origin).whole_days() * 28;
        assert_eq!(
            chart.groups.iter().map(|g| g.y).collect::<Vec<_>>(),
            [40, 124],
            "a heading row before each group"
        );
        let bars = &chart.bars;
        assert_eq!(
            (bars[0].x, bars[0].w, bars[0].y),
            (x(date!(2026 - 03 - 04)), 3 * 28, 68)
        );
        assert_eq!(bars[1].class, "bar critical");
        assert!(
            bars[1]
                .diamond
                .starts_with(&format!("{},", x(date!(2026 - 03 - 09)) + 28))
        );
        assert_eq!(bars[2].y, 152);
        assert_eq!(bars[2].ghost, Some((x(date!(2026 - 03 - 09)), 3 * 28)));
        assert_eq!(chart.today, Some(x(date!(2026 - 03 - 05)) + 14));
        assert_eq!(chart.height, 180);
        assert!(chart.weekends.contains(&x(date!(2026 - 03 - 07))));
    }

    #[test]
    fn arrows_join_finish_to_start_and_go_round_an_overlap() {
        let a = task(1, "", date!(2026 - 03 - 02), date!(2026 - 03 - 06));
        let b = task(2, "", date!(2026 - 03 - 09), date!(2026 - 03 - 10));
        let c = task(3, "", date!(2026 - 03 - 05), date!(2026 - 03 - 10));
        let links = [
            GanttLink {
                from: Uuid::from_u128(1),
                to: Uuid::from_u128(2),
                kind: LinkKind::FinishToStart,
            },
            GanttLink {
                from: Uuid::from_u128(1),
                to: Uuid::from_u128(3),
                kind: LinkKind::FinishToStart,
            },
            GanttLink {
                from: Uuid::from_u128(9),
                to: Uuid::from_u128(3),
                kind: LinkKind::FinishToStart,
            },
        ];
        let chart = layout(&[a, b, c], &links, Zoom::Month, date!(2026 - 03 - 02));
        assert_eq!(
            chart.arrows.len(),
            2,
            "a link to a task not drawn is left out"
        );
        let end_a = chart.bars[0].x + chart.bars[0].w;
        assert!(
            chart.arrows[0]
                .d
                .starts_with(&format!("M{end_a},{}", 40 + 14))
        );
        assert!(
            chart.arrows[0]
                .d
                .ends_with(&format!("H{}", chart.bars[1].x - 2))
        );
        // C starts before A ends: the arrow turns back between the rows.
        assert_eq!(chart.arrows[1].d.matches('V').count(), 2);
    }

    #[test]
    fn the_scale_labels_months_and_quarters() {
        let a = task(1, "", date!(2026 - 01 - 20), date!(2026 - 05 - 10));
        let month = layout(
            std::slice::from_ref(&a),
            &[],
            Zoom::Month,
            date!(2026 - 02 - 01),
        );
        assert!(month.ticks.iter().any(|t| t.major && t.label == "Feb 2026"));
        assert!(
            month
                .ticks
                .iter()
                .all(|t| t.major || t.label.parse::<u8>().is_ok())
        );
        let quarter = layout(&[a], &[], Zoom::Quarter, date!(2026 - 02 - 01));
        assert_eq!(quarter.origin, date!(2026 - 01 - 01));
        assert_eq!(
            quarter
                .ticks
                .iter()
                .filter(|t| t.major)
                .map(|t| t.label.as_str())
                .collect::<Vec<_>>(),
            ["Q1 2026", "Q2 2026"]
        );
        assert!(quarter.weekends.is_empty());
    }

    #[test]
    fn zoom_round_trips() {
        for z in Zoom::ALL {
            assert_eq!(Zoom::parse(z.as_str()), Some(z));
        }
    }
}
