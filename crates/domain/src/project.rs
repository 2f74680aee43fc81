//! Projects: the tender lifecycle, team roles, and derived progress and health.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::enums::{Priority, string_enum};
use crate::money::Money;

string_enum!(
    /// The tender-to-handover lifecycle.
    ProjectStatus {
        OnTender => "on_tender", "On tender",
        Awarded => "awarded", "Awarded",
        NotAwarded => "not_awarded", "Not awarded",
        Active => "active", "Active",
        OnHold => "on_hold", "On hold",
        Completed => "completed", "Completed",
        Cancelled => "cancelled", "Cancelled",
    }
);

impl ProjectStatus {
    /// Statuses reachable from this one.
    pub fn allowed_next(self) -> &'static [ProjectStatus] {
        use ProjectStatus::*;
        match self {
            OnTender => &[Awarded, NotAwarded, Cancelled],
            Awarded => &[Active, Cancelled],
            Active => &[OnHold, Completed, Cancelled],
            OnHold => &[Active, Cancelled],
            NotAwarded | Completed | Cancelled => &[],
        }
    }

    /// Whether `self → to` is a legal transition.
    pub fn can_become(self, to: ProjectStatus) -> bool {
        self.allowed_next().contains(&to)
    }

    /// Final statuses admit no further change.
    pub fn is_final(self) -> bool {
        self.allowed_next().is_empty()
    }
}

string_enum!(
    /// Market sector of a project.
    Sector {
        Commercial => "commercial", "Commercial",
        Residential => "residential", "Residential",
        Retail => "retail", "Retail",
        Hospitality => "hospitality", "Hospitality",
        Healthcare => "healthcare", "Healthcare",
        Industrial => "industrial", "Industrial",
        Education => "education", "Education",
        Other => "other", "Other",
    }
);

string_enum!(
    /// Which part of the business delivers a project.
    BusinessLine {
        Millwork => "millwork", "Millwork",
        FitOut => "fit_out", "Fit-out / general contracting",
        Electrical => "electrical", "Electrical",
        Mep => "mep", "MEP",
    }
);

string_enum!(
    /// A person's role on one project's team.
    ProjectRole {
        ProjectManager => "project_manager", "Project manager",
        Designer => "designer", "Designer",
        Coordinator => "coordinator", "Coordinator",
        SiteSupervisor => "site_supervisor", "Site supervisor",
        Craftsman => "craftsman", "Craftsman",
        Member => "member", "Team member",
    }
);

string_enum!(
    /// Derived schedule health.
    Health {
        NotStarted => "not_started", "Not started",
        OnTrack => "on_track", "On track",
        AtRisk => "at_risk", "At risk",
        Overdue => "overdue", "Overdue",
        Closed => "closed", "Closed",
    }
);

/// A contract or tender.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Project {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub client_id: Uuid,
    pub client_name: String,
    pub sector: Sector,
    pub business_line: BusinessLine,
    pub priority: Priority,
    pub status: ProjectStatus,
    pub manager_id: Uuid,
    pub manager_name: String,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub contract_value: Option<Money>,
    pub budget: Option<Money>,
    pub currency: String,
    pub location: Option<String>,
    pub contract_number: Option<String>,
    pub description: Option<String>,
    /// Task counts, used to derive progress and health.
    pub task_total: i64,
    pub task_completed: i64,
    pub task_overdue: i64,
    /// Scope items that count towards progress (not cancelled).
    pub scope_items: i64,
    /// 0–100: the cost-weighted average progress of the scope items (count-weighted when
    /// none is priced); without scope, the average progress of the not-cancelled tasks.
    /// `null` for a tender that was not won: its tasks were the bid, and no contract work was.
    pub progress: Option<i32>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by_name: Option<String>,
    pub version: i64,
}

/// The progress a project in `status` shows, from the `figure` its scope or tasks give. A
/// tender that was not won has none: its tasks were the bid (often all done), and no
/// contract work was. A cancelled project keeps the figure it reached, which is what was
/// done before the stop.
pub fn measured_progress(status: ProjectStatus, figure: i32) -> Option<i32> {
    (status != ProjectStatus::NotAwarded).then_some(figure)
}

impl Project {
    /// Schedule health on `today`, derived from dates, progress and overdue tasks.
    pub fn health(&self, today: Date) -> Health {
        schedule_health(
            self.status,
            self.start_date,
            self.end_date,
            self.progress.unwrap_or(0),
            self.task_overdue,
            today,
        )
    }
}

/// Derives schedule health. Overdue: past the end date and not finished.
/// At risk: has overdue tasks, or progress trails elapsed time by more than 20 points.
pub fn schedule_health(
    status: ProjectStatus,
    start: Option<Date>,
    end: Option<Date>,
    progress: i32,
    overdue_tasks: i64,
    today: Date,
) -> Health {
    use ProjectStatus::*;
    match status {
        Completed | Cancelled | NotAwarded => return Health::Closed,
        OnTender | Awarded => return Health::NotStarted,
        Active | OnHold => {}
    }
    if end.is_some_and(|e| today > e) {
        return Health::Overdue;
    }
    if overdue_tasks > 0 {
        return Health::AtRisk;
    }
    if let (Some(s), Some(e)) = (start, end) {
        let total = (e - s).whole_days().max(1);
        let elapsed = (today - s).whole_days().clamp(0, total);
        let expected = elapsed * 100 / total;
        if expected - i64::from(progress) > 20 {
            return Health::AtRisk;
        }
    }
    Health::OnTrack
}

/// A member of a project's team.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub user_role: crate::user::Role,
    pub project_role: ProjectRole,
    /// Open tasks assigned to this member on this project.
    pub open_tasks: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

/// Suggests the next project code: `{prefix}-{yy}-{nnn}` after the highest existing sequence.
pub fn next_project_code(prefix: &str, year: i32, existing_max_seq: Option<u32>) -> String {
    let seq = existing_max_seq.unwrap_or(0) + 1;
    format!("{prefix}-{:02}-{seq:03}", year.rem_euclid(100))
}

/// Checks a project code: 2–32 upper-case letters, digits and dashes.
pub fn check_project_code(code: &str) -> Result<String, &'static str> {
    let c = code.trim().to_ascii_uppercase();
    if c.len() < 2 || c.len() > 32 || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') {
        return Err("must be 2–32 letters, digits or dashes, like WSC-25-001");
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn a_tender_not_won_has_no_progress() {
        use ProjectStatus::*;
        assert_eq!(measured_progress(NotAwarded, 100), None);
        assert_eq!(measured_progress(OnTender, 30), Some(30));
        assert_eq!(measured_progress(Active, 40), Some(40));
        assert_eq!(
            measured_progress(Cancelled, 40),
            Some(40),
            "what was done before the stop"
        );
        assert_eq!(measured_progress(Completed, 100), Some(100));
    }

    #[test]
    fn lifecycle_follows_the_tender_flow() {
        use ProjectStatus::*;
        assert!(OnTender.can_become(Awarded));
        assert!(OnTender.can_become(NotAwarded));
        assert!(Awarded.can_become(Active));
        assert!(Active.can_become(OnHold) && OnHold.can_become(Active));
        assert!(Active.can_become(Completed));
        assert!(!OnTender.can_become(Active));
        assert!(!Completed.can_become(Active));
        for s in [OnTender, Awarded, Active, OnHold] {
            assert!(s.can_become(Cancelled), "{s} can be cancelled");
        }
    }

    proptest! {
        #[test]
        fn final_states_are_terminal_and_no_self_loops(s in prop::sample::select(ProjectStatus::ALL.to_vec())) {
            prop_assert!(!s.can_become(s));
            if s.is_final() {
                for t in ProjectStatus::ALL { prop_assert!(!s.can_become(*t)); }
            } else {
                prop_assert!(s.can_become(ProjectStatus::Cancelled));
            }
        }
    }

    #[test]
    fn health_is_derived() {
        let s = Some(date!(2026 - 01 - 01));
        let e = Some(date!(2026 - 12 - 31));
        let mid = date!(2026 - 07 - 01);
        assert_eq!(
            schedule_health(ProjectStatus::Active, s, e, 50, 0, mid),
            Health::OnTrack
        );
        assert_eq!(
            schedule_health(ProjectStatus::Active, s, e, 10, 0, mid),
            Health::AtRisk
        );
        assert_eq!(
            schedule_health(ProjectStatus::Active, s, e, 60, 2, mid),
            Health::AtRisk
        );
        assert_eq!(
            schedule_health(ProjectStatus::Active, s, e, 99, 0, date!(2027 - 01 - 02)),
            Health::Overdue
        );
        assert_eq!(
            schedule_health(ProjectStatus::Completed, s, e, 100, 0, mid),
            Health::Closed
        );
        assert_eq!(
            schedule_health(ProjectStatus::OnTender, s, e, 0, 0, mid),
            Health::NotStarted
        );
    }

    #[test]
    fn codes_are_suggested_in_sequence() {
        assert_eq!(next_project_code("WSC", 2025, None), "WSC-25-001");
        assert_eq!(next_project_code("WSC", 2026, Some(41)), "WSC-26-042");
        assert_eq!(check_project_code(" wsc-25-001 "), Ok("WSC-25-001".into()));
        assert!(check_project_code("a b").is_err());
    }
}
