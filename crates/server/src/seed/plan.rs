//! Turns the demo projects into dated, assigned tasks with believable statuses. Pure and
//! deterministic: the same seed and the same `today` give the same plan.

use formula_domain::enums::Priority;
use formula_domain::project::{ProjectRole, ProjectStatus};
use formula_domain::task::TaskStatus;
use time::{Date, Duration};

use super::data::{PM, ProjectSpec};

/// A small xorshift64* generator: reproducible, and no dependency for a demo seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // xorshift must never hold zero.
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// Picks by percentage weights (which should add up to 100).
    pub fn weighted<T: Copy>(&mut self, choices: &[(u64, T)]) -> Option<T> {
        let total: u64 = choices.iter().map(|c| c.0).sum();
        let mut roll = self.below(total);
        for (weight, value) in choices {
            if roll < *weight {
                return Some(*value);
            }
            roll -= weight;
        }
        None
    }
}

/// A kind of work in a millwork job, in the order it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Kickoff,
    Survey,
    Samples,
    Drawing,
    Approval,
    Procurement,
    Cnc,
    EdgeBanding,
    Veneer,
    Joinery,
    Spray,
    Install,
    Snag,
    Handover,
}

impl Phase {
    /// Where in the project's schedule (0–1) this work is due.
    fn position(self) -> f64 {
        match self {
            Phase::Kickoff => 0.02,
            Phase::Survey => 0.05,
            Phase::Samples => 0.10,
            Phase::Drawing => 0.15,
            Phase::Approval => 0.23,
            Phase::Procurement => 0.29,
            Phase::Cnc => 0.40,
            Phase::EdgeBanding => 0.46,
            Phase::Veneer | Phase::Joinery => 0.48,
            Phase::Spray => 0.58,
            Phase::Install => 0.78,
            Phase::Snag => 0.92,
            Phase::Handover => 0.98,
        }
    }

    /// Range of estimated hours.
    fn hours(self) -> (u32, u32) {
        match self {
            Phase::Kickoff => (2, 4),
            Phase::Survey => (6, 12),
            Phase::Samples => (3, 8),
            Phase::Drawing => (16, 40),
            Phase::Approval => (2, 6),
            Phase::Procurement => (4, 10),
            Phase::Cnc => (8, 24),
            Phase::EdgeBanding => (6, 16),
            Phase::Veneer => (12, 30),
            Phase::Joinery => (24, 60),
            Phase::Spray => (16, 36),
            Phase::Install => (24, 72),
            Phase::Snag => (4, 10),
            Phase::Handover => (6, 12),
        }
    }

    /// The task title for one item of work.
    fn title(self, item: &str) -> String {
        match self {
            Phase::Kickoff => format!("Kick-off: {item}"),
            Phase::Survey => format!("Site survey and measurement: {item}"),
            Phase::Samples => format!("Sample approval: {item}"),
            Phase::Drawing => format!("Shop drawings: {item}"),
            Phase::Approval => format!("Shop drawing approval: {item}"),
            Phase::Procurement => format!("Order board, veneer and hardware: {item}"),
            Phase::Cnc => format!("CNC cutting and nesting: {item}"),
            Phase::EdgeBanding => format!("Edge banding: {item}"),
            Phase::Veneer => format!("Veneer pressing: {item}"),
            Phase::Joinery => format!("Solid wood joinery: {item}"),
            Phase::Spray => format!("Spray finishing: {item}"),
            Phase::Install => format!("Installation of {item}"),
            Phase::Snag => format!("Snagging: {item}"),
            Phase::Handover => format!("Handover: {item}"),
        }
    }

    /// What the team writes in the task description, where there is something to say.
    fn description(self) -> Option<&'static str> {
        Some(match self {
            Phase::Survey => {
                "Measure openings, floor levels and walls for plumb; photograph service positions; record everything in the survey sheet."
            }
            Phase::Samples => {
                "Prepare a 300 x 300 mm sample board and get the client's signed approval before ordering."
            }
            Phase::Drawing => {
                "Plans, elevations and sections at 1:10 with 1:1 details; show service cut-outs and fixing methods."
            }
            Phase::Approval => {
                "Issue to the consultant and chase comments within five working days. Production starts only on status A or B."
            }
            Phase::Procurement => {
                "Raise purchase orders from the approved cutting list and confirm lead times in the procurement tracker."
            }
            Phase::Cnc => {
                "Nest from the approved cutting list; label every part with its item code."
            }
            Phase::EdgeBanding => {
                "2 mm edging to match the faces as drawn; check the glue line on the first parts."
            }
            Phase::Veneer => "Keep the leaves in sequence as per the approved veneer layout.",
            Phase::Spray => {
                "Primer, sand, two top coats; check sheen and colour against the signed sample."
            }
            Phase::Install => {
                "Check site readiness (walls, first-fix services) the day before; protect finished faces after fixing."
            }
            Phase::Snag => {
                "Walk with the client's representative; log every snag with a photo and a due date."
            }
            Phase::Kickoff | Phase::Joinery | Phase::Handover => return None,
        })
    }

    /// Who usually does this work, by person key ([`PM`] = the project's manager).
    fn candidates(self) -> &'static [&'static str] {
        match self {
            Phase::Kickoff => &[PM],
            Phase::Survey => &["yusuf", "ahmed", "grace"],
            Phase::Samples => &["hannah", "priya", "grace"],
            Phase::Drawing => &["hannah", "tomas", "priya"],
            Phase::Approval => &["hannah", "priya", "tomas", "grace"],
            Phase::Procurement => &["grace", "yusuf"],
            Phase::Cnc => &["luis", "piotr", "oleksandr"],
            Phase::EdgeBanding => &["oleksandr", "piotr"],
            Phase::Veneer => &["piotr", "jack"],
            Phase::Joinery => &["jack", "piotr"],
            Phase::Spray => &["kwame"],
            Phase::Install => &["ahmed", "jack", "piotr"],
            Phase::Snag => &[PM, "yusuf"],
            Phase::Handover => &["grace", "yusuf", PM],
        }
    }

    /// Workshop and site work falls back to a craftsman of the team when the usual person is not on it.
    fn is_craft(self) -> bool {
        matches!(
            self,
            Phase::Cnc
                | Phase::EdgeBanding
                | Phase::Veneer
                | Phase::Joinery
                | Phase::Spray
                | Phase::Install
        )
    }
}

/// A task as it will be created and then moved to its status.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTask {
    pub title: String,
    pub description: Option<&'static str>,
    pub start: Date,
    pub due: Date,
    pub estimated_hours: f64,
    /// Person key of the assignee; `None` leaves the task unassigned.
    pub assignee: Option<&'static str>,
    pub priority: Priority,
    pub status: TaskStatus,
    /// Progress to record for tasks in progress.
    pub progress: i32,
    pub actual_hours: Option<f64>,
}

/// The statuses a project passes through to reach `to` from `on_tender`.
pub fn status_path(to: ProjectStatus) -> &'static [ProjectStatus] {
    use ProjectStatus::*;
    match to {
        OnTender => &[],
        Awarded => &[Awarded],
        NotAwarded => &[NotAwarded],
        Active => &[Awarded, Active],
        OnHold => &[Awarded, Active, OnHold],
        Completed => &[Awarded, Active, Completed],
        Cancelled => &[Awarded, Active, Cancelled],
    }
}

/// Person keys on the team (manager included) with their project roles.
fn team(spec: &ProjectSpec) -> Vec<(&'static str, ProjectRole)> {
    let mut t = vec![(spec.manager, ProjectRole::ProjectManager)];
    t.extend(spec.team.iter().copied());
    t
}

fn assignee(
    spec: &ProjectSpec,
    phase: Phase,
    rotation: usize,
    rng: &mut Rng,
) -> Option<&'static str> {
    // A few tasks are left for the manager to hand out.
    if rng.below(100) < 4 {
        return None;
    }
    let team = team(spec);
    let on_team = |k: &&str| team.iter().any(|(m, _)| m == k);
    let resolve = |k: &'static str| if k == PM { spec.manager } else { k };
    let usual: Vec<&'static str> = phase
        .candidates()
        .iter()
        .map(|k| resolve(k))
        .filter(on_team)
        .collect();
    if !usual.is_empty() {
        return Some(usual[rotation % usual.len()]);
    }
    if phase.is_craft() {
        let crafts: Vec<&'static str> = team
            .iter()
            .filter(|(_, r)| matches!(r, ProjectRole::Craftsman | ProjectRole::SiteSupervisor))
            .map(|(k, _)| *k)
            .collect();
        if !crafts.is_empty() {
            return Some(crafts[rotation % crafts.len()]);
        }
    }
    Some(spec.manager)
}

fn priority(rng: &mut Rng, phase: Option<Phase>) -> Priority {
    let critical = matches!(
        phase,
        Some(Phase::Approval | Phase::Install | Phase::Samples)
    );
    let high = if critical { 40 } else { 20 };
    rng.weighted(&[
        (10, Priority::Low),
        (85 - high, Priority::Medium),
        (high, Priority::High),
        (5, Priority::Urgent),
    ])
    .unwrap_or(Priority::Medium)
}

/// Status by how far the due date is from today, for work that runs normally.
fn status_by_date(rng: &mut Rng, start: Date, due: Date, today: Date) -> TaskStatus {
    use TaskStatus::*;
    let days = (due - today).whole_days();
    let choices: &[(u64, TaskStatus)] = if days < -10 {
        &[(88, Completed), (8, InProgress), (4, Pending)]
    } else if days <= 0 {
        &[
            (35, Completed),
            (30, InProgress),
            (25, Review),
            (10, Pending),
        ]
    } else if days <= 14 {
        &[(50, InProgress), (15, Review), (35, Pending)]
    } else if start > today {
        &[(100, Pending)]
    } else {
        &[(15, InProgress), (85, Pending)]
    };
    rng.weighted(choices).unwrap_or(Pending)
}

fn decide_status(
    rng: &mut Rng,
    spec: &ProjectSpec,
    start: Date,
    due: Date,
    today: Date,
    stop: Option<Date>,
) -> TaskStatus {
    use TaskStatus::*;
    match spec.status {
        ProjectStatus::Completed => rng
            .weighted(&[(96, Completed), (4, Cancelled)])
            .unwrap_or(Completed),
        ProjectStatus::NotAwarded => Completed,
        ProjectStatus::Cancelled => match stop {
            Some(s) if due <= s => Completed,
            _ => Cancelled,
        },
        ProjectStatus::OnHold => match stop {
            Some(s) if due > s => {
                // Work caught by the hold stays where it was.
                if start <= s && rng.below(100) < 40 {
                    InProgress
                } else {
                    Pending
                }
            }
            _ => status_by_date(rng, start, due, today),
        },
        ProjectStatus::OnTender | ProjectStatus::Awarded | ProjectStatus::Active => {
            status_by_date(rng, start, due, today)
        }
    }
}

fn round_half(h: f64) -> f64 {
    (h * 2.0).round() / 2.0
}

/// Plans every task of one project relative to `today`.
pub fn plan_tasks(spec: &ProjectSpec, today: Date, rng: &mut Rng) -> Vec<PlannedTask> {
    let project_start = today + Duration::days(spec.start);
    let length = spec.days.max(1);
    let stop = spec
        .stopped_at
        .map(|f| project_start + Duration::days((f * length as f64).round() as i64));

    // A task before its hours, assignee and status are drawn.
    struct Draft {
        title: String,
        phase: Option<Phase>,
        due: Date,
        fixed_assignee: Option<&'static str>,
        rotation: usize,
    }
    let at = |pos: f64| {
        project_start + Duration::days((pos.clamp(0.01, 0.99) * length as f64).round() as i64)
    };
    let mut drafts = Vec::new();
    // Project-wide work is spread over the first fifth of the schedule, in the order listed.
    let openings = spec.openings.len().max(1) as f64;
    for (j, (title, phase)) in spec.openings.iter().enumerate() {
        let due = at(0.02 + 0.18 * j as f64 / openings);
        drafts.push(Draft {
            title: (*title).to_owned(),
            phase: Some(*phase),
            due,
            fixed_assignee: None,
            rotation: j,
        });
    }
    let items = spec.items.len().max(1) as f64;
    for (i, item) in spec.items.iter().enumerate() {
        for phase in spec.phases {
            let jitter = (rng.unit() - 0.5) * 0.03;
            let due = at(phase.position() + i as f64 / items * 0.12 + jitter);
            drafts.push(Draft {
                title: phase.title(item),
                phase: Some(*phase),
                due,
                fixed_assignee: None,
                rotation: i,
            });
        }
    }
    // Close-out work fills the last tenth.
    let closings = spec.closings.len().max(1) as f64;
    for (j, (title, phase)) in spec.closings.iter().enumerate() {
        let due = at(0.90 + 0.09 * (j + 1) as f64 / closings);
        drafts.push(Draft {
            title: (*title).to_owned(),
            phase: Some(*phase),
            due,
            fixed_assignee: None,
            rotation: j,
        });
    }
    for (title, offset, who) in spec.dated {
        let who = if *who == PM { spec.manager } else { *who };
        drafts.push(Draft {
            title: (*title).to_owned(),
            phase: None,
            due: today + Duration::days(*offset),
            fixed_assignee: Some(who),
            rotation: 0,
        });
    }

    drafts
        .into_iter()
        .map(|d| {
            let (lo, hi) = d.phase.map_or((4, 16), Phase::hours);
            let estimated_hours = f64::from(lo + rng.below(u64::from(hi - lo + 1)) as u32);
            // A working day is about six productive hours.
            let days = (estimated_hours / 6.0).ceil().max(1.0) as i64;
            let mut start = d.due - Duration::days(days);
            if d.phase.is_some() {
                // Scheduled work does not start before the project; tender work does.
                start = start.max(project_start.min(d.due));
            }
            let assignee = match (d.fixed_assignee, d.phase) {
                (Some(who), _) => Some(who),
                (None, Some(phase)) => assignee(spec, phase, d.rotation, rng),
                (None, None) => Some(spec.manager),
            };
            let status = decide_status(rng, spec, start, d.due, today, stop);
            let progress = match status {
                TaskStatus::InProgress => 10 + 5 * rng.below(15) as i32,
                TaskStatus::Review => 90,
                TaskStatus::Completed => 100,
                TaskStatus::Pending | TaskStatus::Cancelled => 0,
            };
            let actual_hours = match status {
                TaskStatus::Completed => {
                    Some(round_half(estimated_hours * (0.8 + rng.unit() * 0.5)))
                }
                TaskStatus::InProgress | TaskStatus::Review => {
                    Some(round_half(estimated_hours * f64::from(progress) / 100.0))
                }
                TaskStatus::Pending | TaskStatus::Cancelled => None,
            };
            PlannedTask {
                title: d.title,
                description: d.phase.and_then(Phase::description),
                start,
                due: d.due,
                estimated_hours,
                assignee,
                priority: priority(rng, d.phase),
                status,
                progress,
                actual_hours,
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::HashSet;

    use time::macros::date;

    use super::super::data::{ADMIN, CLIENTS, PEOPLE, PROJECTS};
    use super::*;

    const TODAY: Date = date!(2026 - 03 - 15);

    fn plan_all(seed: u64) -> Vec<Vec<PlannedTask>> {
        let mut rng = Rng::new(seed);
        PROJECTS
            .iter()
            .map(|p| plan_tasks(p, TODAY, &mut rng))
            .collect()
    }

    #[test]
    fn the_plan_is_reproducible() {
        assert_eq!(plan_all(super::super::SEED), plan_all(super::super::SEED));
        assert_ne!(plan_all(1), plan_all(2));
    }

    #[test]
    fn about_150_tasks_across_every_status() {
        let all: Vec<PlannedTask> = plan_all(super::super::SEED).into_iter().flatten().collect();
        assert!((140..=160).contains(&all.len()), "{} tasks", all.len());
        for s in TaskStatus::ALL {
            assert!(all.iter().any(|t| t.status == *s), "no {s} task");
        }
        let overdue = all
            .iter()
            .filter(|t| t.status.is_open() && t.due < TODAY)
            .count();
        assert!(overdue > 0, "some work should be overdue");
        assert!(all.iter().any(|t| t.status.is_open() && t.due > TODAY));
    }

    #[test]
    fn projects_cover_the_whole_lifecycle() {
        let statuses: HashSet<ProjectStatus> = PROJECTS.iter().map(|p| p.status).collect();
        assert_eq!(statuses.len(), ProjectStatus::ALL.len());
        assert_eq!(PROJECTS.len(), 8);
        for p in PROJECTS {
            let path = status_path(p.status);
            let mut at = ProjectStatus::OnTender;
            for next in path {
                assert!(at.can_become(*next), "{}: {at} → {next}", p.name);
                at = *next;
            }
            assert_eq!(at, p.status);
        }
    }

    #[test]
    fn tasks_are_valid_and_assigned_within_the_team() {
        let mut rng = Rng::new(super::super::SEED);
        for p in PROJECTS {
            let team: Vec<&str> = std::iter::once(p.manager)
                .chain(p.team.iter().map(|(k, _)| *k))
                .collect();
            for t in plan_tasks(p, TODAY, &mut rng) {
                assert!(
                    !t.title.is_empty() && t.title.chars().count() <= 300,
                    "{}",
                    t.title
                );
                assert!(t.start <= t.due, "{}: starts after it is due", t.title);
                assert!((0.0..=100_000.0).contains(&t.estimated_hours));
                if let Some(a) = t.assignee {
                    assert!(
                        team.contains(&a),
                        "{}: {a} is not on the team of {}",
                        t.title,
                        p.name
                    );
                }
            }
        }
    }

    #[test]
    fn every_key_names_a_person_of_the_right_role() {
        use formula_domain::user::Role;
        let role = |k: &str| {
            PEOPLE
                .iter()
                .chain(std::iter::once(&ADMIN))
                .find(|p| p.key == k)
                .map(|p| p.role)
        };
        for p in PROJECTS {
            assert!(
                matches!(role(p.manager), Some(Role::ProjectManager | Role::Admin)),
                "{}",
                p.manager
            );
            for (k, _) in p.team {
                assert!(matches!(role(k), Some(r) if r != Role::Client), "{k}");
            }
            assert!(p.client < CLIENTS.len());
        }
        for c in CLIENTS {
            assert_eq!(role(c.owner), Some(Role::ProjectManager), "{}", c.owner);
        }
        for p in PEOPLE {
            assert_eq!(p.client.is_some(), p.role == Role::Client, "{}", p.name);
            assert!(
                formula_domain::user::normalize_email(p.email).is_ok(),
                "{}",
                p.email
            );
        }
        let roles: HashSet<Role> = PEOPLE.iter().map(|p| p.role).chain([ADMIN.role]).collect();
        assert_eq!(roles.len(), Role::ALL.len(), "a user of every role");
        let keys: HashSet<&str> = PEOPLE.iter().map(|p| p.key).collect();
        assert_eq!(keys.len(), PEOPLE.len(), "person keys are unique");
    }
}
