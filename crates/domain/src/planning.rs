//! The stored half of the schedule: dependencies between tasks, the company's working
//! calendar and a project's overrides of it, the company's workflow template, baselines, and
//! the rules a task's milestone flag and constraint date follow. The arithmetic (passes, float, slippage) is in
//! [`crate::schedule`]; this module says what is kept and what is valid.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::enums::string_enum;
use crate::errors::FieldErrors;
use crate::schedule::{Constraint, LinkKind, ScheduleError, WorkCalendar, WorkflowTemplate};

string_enum!(
    /// The date a task must respect on its own.
    ConstraintKind {
        Snet => "snet", "Start no earlier than",
        Fnlt => "fnlt", "Finish no later than",
    }
);

string_enum!(
    /// A day of the week, Monday first.
    Weekday {
        Mon => "mon", "Monday",
        Tue => "tue", "Tuesday",
        Wed => "wed", "Wednesday",
        Thu => "thu", "Thursday",
        Fri => "fri", "Friday",
        Sat => "sat", "Saturday",
        Sun => "sun", "Sunday",
    }
);

/// The longest lag (or lead, negative) a dependency may have, in working days.
pub const MAX_LAG_DAYS: i32 = 365;
/// The most holidays (or project exceptions) one calendar holds.
pub const MAX_CALENDAR_DAYS: usize = 500;

/// A dependency: `successor` is tied to `predecessor` by `kind`, `lag_days` working days later
/// (earlier when negative).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Dependency {
    pub id: Uuid,
    pub project_id: Uuid,
    pub predecessor_id: Uuid,
    pub predecessor_title: String,
    pub successor_id: Uuid,
    pub successor_title: String,
    pub kind: LinkKind,
    /// Working days (negative: a lead), between -365 and 365.
    pub lag_days: i32,
    pub created_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Dependency {
    /// "Finish to start + 2 days", for lists.
    pub fn describe(&self) -> String {
        match self.lag_days {
            0 => self.kind.label().to_owned(),
            n if n > 0 => format!("{} + {n} d", self.kind.label()),
            n => format!("{} − {} d", self.kind.label(), -n),
        }
    }
}

/// A named day: a holiday, or a project's exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub date: Date,
    /// 1–100 characters.
    pub name: String,
}

/// The company's working calendar: its working weekdays and holidays.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CompanyCalendar {
    /// Working weekdays, Monday first (at least one).
    pub working_weekdays: Vec<Weekday>,
    /// In date order.
    pub holidays: Vec<Holiday>,
    pub updated_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// 0 until first saved (Monday to Friday, no holidays, until then).
    pub version: i64,
}

impl Default for CompanyCalendar {
    fn default() -> Self {
        CompanyCalendar {
            working_weekdays: weekdays_of(WorkCalendar::standard().weekdays()),
            holidays: Vec::new(),
            updated_by_name: None,
            updated_at: None,
            version: 0,
        }
    }
}

/// The company's workflow template as stored: the millwork chain's steps and who saved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyWorkflow {
    pub template: WorkflowTemplate,
    pub updated_by_name: Option<String>,
    pub updated_at: Option<OffsetDateTime>,
    /// 0 until first saved (the standard template until then).
    pub version: i64,
}

impl Default for CompanyWorkflow {
    fn default() -> Self {
        CompanyWorkflow {
            template: WorkflowTemplate::standard(),
            updated_by_name: None,
            updated_at: None,
            version: 0,
        }
    }
}

/// A project's overrides of the company calendar.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProjectCalendar {
    pub project_id: Uuid,
    /// The project's own working weekdays; `null`: the company's.
    pub working_weekdays: Option<Vec<Weekday>>,
    /// Days off on this project besides the company's holidays.
    pub extra_holidays: Vec<Holiday>,
    /// Days worked on this project although the company calendar says otherwise (a
    /// Saturday, a holiday); they win over a holiday on the same date.
    pub extra_working_days: Vec<Holiday>,
    pub updated_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// 0 until first saved.
    pub version: i64,
}

impl ProjectCalendar {
    /// No overrides.
    pub fn none(project_id: Uuid) -> Self {
        ProjectCalendar {
            project_id,
            working_weekdays: None,
            extra_holidays: Vec::new(),
            extra_working_days: Vec::new(),
            updated_by_name: None,
            updated_at: None,
            version: 0,
        }
    }
}

/// The calendar a project is scheduled on: the company's with the project's overrides.
pub fn project_work_calendar(
    company: &CompanyCalendar,
    project: &ProjectCalendar,
) -> Result<WorkCalendar, ScheduleError> {
    let base = WorkCalendar::new(
        weekday_mask(&company.working_weekdays),
        company.holidays.iter().map(|h| h.date),
    )?;
    base.with_overrides(
        project.working_weekdays.as_deref().map(weekday_mask),
        project.extra_holidays.iter().map(|h| h.date),
        project.extra_working_days.iter().map(|h| h.date),
    )
}

/// Which weekdays work, Monday first.
pub fn weekday_mask(days: &[Weekday]) -> [bool; 7] {
    let mut mask = [false; 7];
    for d in days {
        if let Some(i) = Weekday::ALL.iter().position(|w| w == d) {
            mask[i] = true;
        }
    }
    mask
}

/// The working weekdays of a mask, Monday first.
pub fn weekdays_of(mask: [bool; 7]) -> Vec<Weekday> {
    Weekday::ALL
        .iter()
        .zip(mask)
        .filter(|(_, on)| *on)
        .map(|(d, _)| *d)
        .collect()
}

/// The stored form of a mask: seven characters, `1` for a working day ("1111100").
pub fn mask_text(mask: [bool; 7]) -> String {
    mask.iter().map(|on| if *on { '1' } else { '0' }).collect()
}

/// Reads [`mask_text`]'s form back.
pub fn parse_mask(text: &str) -> Option<[bool; 7]> {
    let mut mask = [false; 7];
    let mut chars = text.chars();
    for slot in &mut mask {
        *slot = match chars.next()? {
            '1' => true,
            '0' => false,
            _ => return None,
        };
    }
    chars.next().is_none().then_some(mask)
}

/// Checks a list of working weekdays: at least one; returns them in week order, each once.
pub fn check_weekdays(errors: &mut FieldErrors, field: &str, days: &[Weekday]) -> Vec<Weekday> {
    let mask = weekday_mask(days);
    if !mask.contains(&true) {
        errors.add(field, "needs at least one working weekday");
    }
    weekdays_of(mask)
}

/// Checks a list of named days: names of 1–100 characters, each date once, at most
/// [`MAX_CALENDAR_DAYS`]; returns them in date order with trimmed names.
pub fn check_days(errors: &mut FieldErrors, field: &str, days: &[Holiday]) -> Vec<Holiday> {
    if days.len() > MAX_CALENDAR_DAYS {
        errors.add(
            field,
            format!("holds at most {MAX_CALENDAR_DAYS} days; remove past ones"),
        );
    }
    let mut out: Vec<Holiday> = Vec::with_capacity(days.len());
    for d in days {
        let name = d.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errors.add(
                field,
                format!("the day {} needs a name of 1 to 100 characters", d.date),
            );
        } else if crate::errors::has_refused_chars(name) {
            errors.add(
                field,
                format!("the name of {} holds a control character", d.date),
            );
        }
        out.push(Holiday {
            date: d.date,
            name: name.to_owned(),
        });
    }
    out.sort_by_key(|d| d.date);
    if let Some(w) = out.windows(2).find(|w| w[0].date == w[1].date) {
        errors.add(field, format!("lists {} twice", w[0].date));
    }
    out
}

/// A saved baseline of a project's plan.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Baseline {
    pub id: Uuid,
    pub project_id: Uuid,
    /// 1–100 characters.
    pub name: String,
    pub created_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// How many tasks it holds.
    pub tasks: i64,
}

/// One task's dates in a baseline, as they were when it was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BaselineTask {
    pub task_id: Uuid,
    pub title: String,
    pub is_milestone: bool,
    pub start: Date,
    pub finish: Date,
}

/// A task's constraint from its two columns (both or neither).
pub fn constraint_of(kind: Option<ConstraintKind>, on: Option<Date>) -> Option<Constraint> {
    match (kind?, on?) {
        (ConstraintKind::Snet, d) => Some(Constraint::StartNoEarlierThan(d)),
        (ConstraintKind::Fnlt, d) => Some(Constraint::FinishNoLaterThan(d)),
    }
}

/// Checks a constraint pair: a kind needs its date and a date its kind.
pub fn check_constraint(errors: &mut FieldErrors, kind: Option<ConstraintKind>, on: Option<Date>) {
    match (kind, on) {
        (Some(_), None) => errors.add(
            "constraint_on",
            "is needed with a constraint kind; give the date, or clear the kind",
        ),
        (None, Some(_)) => errors.add(
            "constraint_kind",
            "is needed with a constraint date (snet: start no earlier than, fnlt: finish no later than)",
        ),
        _ => {}
    }
}

/// A milestone is a point in time: its start is its due date. Fills the missing one of the
/// two from the other, and refuses two different dates.
pub fn milestone_dates(
    errors: &mut FieldErrors,
    start: Option<Date>,
    due: Option<Date>,
) -> (Option<Date>, Option<Date>) {
    match (start, due) {
        (Some(s), Some(d)) if s != d => {
            errors.add(
                "due_date",
                "of a milestone is its start date; give one date (or the same in both)",
            );
            (start, due)
        }
        (Some(s), None) => (Some(s), Some(s)),
        (None, Some(d)) => (Some(d), Some(d)),
        other => other,
    }
}

/// Checks a baseline's name (1–100 characters) and returns it trimmed.
pub fn baseline_name(errors: &mut FieldErrors, name: &str) -> String {
    crate::errors::required_text(errors, "name", name, 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn masks_round_trip() {
        let mask = [true, true, true, true, false, false, true];
        assert_eq!(parse_mask(&mask_text(mask)), Some(mask));
        assert_eq!(mask_text(mask), "1111001");
        assert_eq!(parse_mask("11111"), None);
        assert_eq!(parse_mask("111110x"), None);
        assert_eq!(weekday_mask(&weekdays_of(mask)), mask);
    }

    #[test]
    fn weekdays_need_one_and_come_back_in_order_once() {
        let mut e = FieldErrors::new();
        check_weekdays(&mut e, "w", &[]);
        assert!(e.get("w").is_some());
        let mut e = FieldErrors::new();
        let days = check_weekdays(&mut e, "w", &[Weekday::Fri, Weekday::Mon, Weekday::Fri]);
        assert!(e.is_empty());
        assert_eq!(days, vec![Weekday::Mon, Weekday::Fri]);
    }

    #[test]
    fn days_are_sorted_named_and_unique() {
        let day = |d: Date, n: &str| Holiday {
            date: d,
            name: n.into(),
        };
        let mut e = FieldErrors::new();
        let out = check_days(
            &mut e,
            "holidays",
            &[
                day(date!(2026 - 12 - 26), " Boxing Day "),
                day(date!(2026 - 12 - 25), "Christmas"),
            ],
        );
        assert!(e.is_empty());
        assert_eq!(out[0].date, date!(2026 - 12 - 25));
        assert_eq!(out[1].name, "Boxing Day");
        let mut e = FieldErrors::new();
        check_days(
            &mut e,
            "holidays",
            &[
                day(date!(2026 - 12 - 25), "a"),
                day(date!(2026 - 12 - 25), "b"),
            ],
        );
        assert!(e.get("holidays").is_some_and(|m| m.contains("twice")));
        let mut e = FieldErrors::new();
        check_days(&mut e, "holidays", &[day(date!(2026 - 12 - 25), " ")]);
        assert!(e.get("holidays").is_some());
    }

    #[test]
    fn milestones_have_one_date() {
        let d = date!(2026 - 03 - 02);
        let mut e = FieldErrors::new();
        assert_eq!(milestone_dates(&mut e, None, Some(d)), (Some(d), Some(d)));
        assert_eq!(milestone_dates(&mut e, Some(d), None), (Some(d), Some(d)));
        assert!(e.is_empty());
        milestone_dates(&mut e, Some(d), Some(date!(2026 - 03 - 03)));
        assert!(e.get("due_date").is_some());
    }

    #[test]
    fn constraints_come_in_pairs() {
        let d = date!(2026 - 03 - 02);
        let mut e = FieldErrors::new();
        check_constraint(&mut e, Some(ConstraintKind::Snet), None);
        assert!(e.get("constraint_on").is_some());
        let mut e = FieldErrors::new();
        check_constraint(&mut e, None, Some(d));
        assert!(e.get("constraint_kind").is_some());
        assert_eq!(
            constraint_of(Some(ConstraintKind::Fnlt), Some(d)),
            Some(Constraint::FinishNoLaterThan(d))
        );
        assert_eq!(constraint_of(None, Some(d)), None);
    }

    #[test]
    fn project_overrides_apply() {
        let company = CompanyCalendar {
            holidays: vec![Holiday {
                date: date!(2026 - 12 - 25),
                name: "Christmas".into(),
            }],
            ..CompanyCalendar::default()
        };
        let mut project = ProjectCalendar::none(Uuid::nil());
        project.extra_working_days.push(Holiday {
            date: date!(2026 - 12 - 26),
            name: "Saturday push".into(),
        });
        let cal = project_work_calendar(&company, &project).unwrap();
        assert!(!cal.is_working(date!(2026 - 12 - 25)));
        assert!(cal.is_working(date!(2026 - 12 - 26)));
        assert!(!cal.is_working(date!(2026 - 12 - 27)));
    }

    #[test]
    fn lags_are_described() {
        let dep = |lag| Dependency {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            predecessor_id: Uuid::nil(),
            predecessor_title: "A".into(),
            successor_id: Uuid::nil(),
            successor_title: "B".into(),
            kind: LinkKind::FinishToStart,
            lag_days: lag,
            created_by_name: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        assert_eq!(dep(0).describe(), "Finish to start");
        assert_eq!(dep(2).describe(), "Finish to start + 2 d");
        assert_eq!(dep(-1).describe(), "Finish to start − 1 d");
    }
}
