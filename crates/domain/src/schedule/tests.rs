use std::time::Instant;

use proptest::prelude::*;
use time::{Date, Duration, macros::date};
use uuid::Uuid;

use super::*;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n + 1)
}

fn act(n: u128, duration: u32) -> Activity {
    Activity {
        id: id(n),
        name: ((b'A' + u8::try_from(n).unwrap()) as char).to_string(),
        duration,
        start: None,
        constraint: None,
        fixed: false,
    }
}

fn fs(from: u128, to: u128) -> Link {
    Link {
        from: id(from),
        to: id(to),
        kind: LinkKind::FinishToStart,
        lag: 0,
    }
}

fn row(plan: &Plan, n: u128) -> &Scheduled {
    plan.rows.iter().find(|r| r.id == id(n)).unwrap()
}

const MONDAY: Date = date!(2026 - 03 - 02);

/// A textbook network of ten activities, computed by hand in working-day numbers
/// (day 0 = Monday 2 March 2026, Monday to Friday):
///
/// | act | dur | after | ES | EF | LS | LF | float |
/// |-----|-----|-------|----|----|----|----|-------|
/// | A   | 3   | –     | 0  | 3  | 0  | 3  | 0     |
/// | B   | 4   | A     | 3  | 7  | 3  | 7  | 0     |
/// | C   | 2   | A     | 3  | 5  | 9  | 11 | 6     |
/// | D   | 5   | B     | 7  | 12 | 7  | 12 | 0     |
/// | E   | 1   | C     | 5  | 6  | 11 | 12 | 6     |
/// | F   | 2   | C     | 5  | 7  | 11 | 13 | 6     |
/// | G   | 4   | D, E  | 12 | 16 | 12 | 16 | 0     |
/// | H   | 3   | F     | 7  | 10 | 13 | 16 | 6     |
/// | I   | 2   | G, H  | 16 | 18 | 16 | 18 | 0     |
/// | J   | 1   | I     | 18 | 19 | 18 | 19 | 0     |
///
/// The critical path is A, B, D, G, I, J.
#[test]
fn a_textbook_network_matches_the_hand_computation() {
    let durations = [3, 4, 2, 5, 1, 2, 4, 3, 2, 1];
    let acts: Vec<Activity> = durations
        .iter()
        .enumerate()
        .map(|(i, &d)| act(i as u128, d))
        .collect();
    let links = [
        fs(0, 1),
        fs(0, 2),
        fs(1, 3),
        fs(2, 4),
        fs(2, 5),
        fs(3, 6),
        fs(4, 6),
        fs(5, 7),
        fs(6, 8),
        fs(7, 8),
        fs(8, 9),
    ];
    let plan = schedule(MONDAY, &acts, &links, &WorkCalendar::standard()).unwrap();
    let cal = WorkCalendar::standard();
    let day = |n: i32| cal.add_working_days(MONDAY, n);
    let expected = [
        // (ES, EF, LS, LF, float) in working-day numbers; finishes are exclusive.
        (0, 3, 0, 3, 0),
        (3, 7, 3, 7, 0),
        (3, 5, 9, 11, 6),
        (7, 12, 7, 12, 0),
        (5, 6, 11, 12, 6),
        (5, 7, 11, 13, 6),
        (12, 16, 12, 16, 0),
        (7, 10, 13, 16, 6),
        (16, 18, 16, 18, 0),
        (18, 19, 18, 19, 0),
    ];
    for (i, (es, ef, ls, lf, float)) in expected.into_iter().enumerate() {
        let r = row(&plan, i as u128);
        assert_eq!(r.early_start, day(es), "ES of {i}");
        assert_eq!(r.early_finish, day(ef - 1), "EF of {i}");
        assert_eq!(r.late_start, day(ls), "LS of {i}");
        assert_eq!(r.late_finish, day(lf - 1), "LF of {i}");
        assert_eq!(r.total_float, float, "float of {i}");
        assert_eq!(r.critical, float == 0, "critical {i}");
    }
    // The same figures as calendar dates: A is Mon 2–Wed 4 March, G Wed 18–Mon 23, and the
    // project ends on Thursday 26 March.
    assert_eq!(row(&plan, 0).early_finish, date!(2026 - 03 - 04));
    assert_eq!(row(&plan, 6).early_start, date!(2026 - 03 - 18));
    assert_eq!(row(&plan, 6).early_finish, date!(2026 - 03 - 23));
    assert_eq!(plan.finish, date!(2026 - 03 - 26));
    assert!(plan.violations.is_empty());
}

#[test]
fn start_to_start_finish_to_finish_and_lags() {
    let cal = WorkCalendar::standard();
    let acts = [act(0, 5), act(1, 3), act(2, 2), act(3, 4)];
    let links = [
        // B starts 2 days after A starts; C finishes with A; D starts 1 day before A ends.
        Link {
            kind: LinkKind::StartToStart,
            lag: 2,
            ..fs(0, 1)
        },
        Link {
            kind: LinkKind::FinishToFinish,
            lag: 0,
            ..fs(0, 2)
        },
        Link {
            lag: -1,
            ..fs(0, 3)
        },
    ];
    let plan = schedule(MONDAY, &acts, &links, &cal).unwrap();
    assert_eq!(row(&plan, 1).early_start, date!(2026 - 03 - 04));
    assert_eq!(row(&plan, 2).early_start, date!(2026 - 03 - 05));
    assert_eq!(row(&plan, 2).early_finish, date!(2026 - 03 - 06));
    assert_eq!(row(&plan, 3).early_start, date!(2026 - 03 - 06));
    assert_eq!(row(&plan, 3).early_finish, date!(2026 - 03 - 11));
    assert_eq!(plan.finish, date!(2026 - 03 - 11));
    assert!(row(&plan, 3).critical && row(&plan, 0).critical);
}

#[test]
fn holidays_push_the_work_and_milestones_sit_on_the_last_day() {
    let cal = WorkCalendar::new(
        [true, true, true, true, true, false, false],
        [date!(2026 - 03 - 04)],
    )
    .unwrap();
    let acts = [act(0, 3), act(1, 0), act(2, 1)];
    let plan = schedule(MONDAY, &acts, &[fs(0, 1), fs(1, 2)], &cal).unwrap();
    // A works Mon, Tue, Thu; the milestone is dated Thursday; C follows on Friday.
    assert_eq!(row(&plan, 0).early_finish, date!(2026 - 03 - 05));
    assert_eq!(row(&plan, 1).early_start, date!(2026 - 03 - 05));
    assert_eq!(row(&plan, 1).early_finish, date!(2026 - 03 - 05));
    assert_eq!(row(&plan, 2).early_start, date!(2026 - 03 - 06));
}

#[test]
fn unlinked_and_fixed_activities_keep_their_dates_and_successors_follow() {
    let cal = WorkCalendar::standard();
    let a = Activity {
        start: Some(date!(2026 - 03 - 09)),
        ..act(0, 2)
    };
    let b = Activity {
        start: Some(date!(2026 - 03 - 02)),
        ..act(1, 2)
    };
    // C is started (fixed) before A finishes: history, not moved.
    let c = Activity {
        start: Some(date!(2026 - 03 - 03)),
        fixed: true,
        ..act(2, 1)
    };
    let plan = schedule(MONDAY, &[a, b, c], &[fs(0, 1), fs(0, 2)], &cal).unwrap();
    assert_eq!(row(&plan, 0).early_start, date!(2026 - 03 - 09));
    assert_eq!(row(&plan, 1).early_start, date!(2026 - 03 - 11));
    assert_eq!(row(&plan, 2).early_start, date!(2026 - 03 - 03));
}

#[test]
fn constraints_hold_and_a_missed_deadline_is_said_in_words() {
    let cal = WorkCalendar::standard();
    let a = Activity {
        constraint: Some(Constraint::StartNoEarlierThan(date!(2026 - 03 - 07))),
        ..act(0, 3)
    };
    let b = Activity {
        constraint: Some(Constraint::FinishNoLaterThan(date!(2026 - 03 - 12))),
        ..act(1, 2)
    };
    let plan = schedule(MONDAY, &[a, b], &[fs(0, 1)], &cal).unwrap();
    // A may not start before Saturday 7: it starts Monday 9, ends Wednesday 11; B ends Friday 13.
    assert_eq!(row(&plan, 0).early_start, date!(2026 - 03 - 09));
    assert_eq!(row(&plan, 1).early_finish, date!(2026 - 03 - 13));
    assert_eq!(row(&plan, 1).total_float, -1);
    assert_eq!(row(&plan, 0).total_float, -1);
    assert_eq!(
        plan.violations,
        vec![Violation {
            id: id(1),
            message: "B must finish by 2026-03-12 but can finish on 2026-03-13 at the earliest \
                      (1 working day late)"
                .into(),
        }]
    );
}

#[test]
fn a_loop_is_refused_naming_it() {
    let acts = [act(0, 1), act(1, 1), act(2, 1), act(3, 1)];
    let links = [fs(0, 1), fs(1, 2), fs(2, 3), fs(3, 1)];
    assert_eq!(
        schedule(MONDAY, &acts, &links, &WorkCalendar::standard()),
        Err(ScheduleError::Cycle("B → C → D → B".into()))
    );
    let ids: Vec<Uuid> = acts.iter().map(|a| a.id).collect();
    assert_eq!(find_cycle(&ids, &links[..3]), None);
    assert_eq!(
        schedule(MONDAY, &acts, &[fs(2, 2)], &WorkCalendar::standard()),
        Err(ScheduleError::SelfLink("C".into()))
    );
}

#[test]
fn slippage_counts_working_days() {
    let cal = WorkCalendar::standard();
    let slips = slippage(
        &[(id(0), date!(2026 - 03 - 02), date!(2026 - 03 - 06))],
        &[
            (id(0), date!(2026 - 03 - 03), date!(2026 - 03 - 10)),
            (id(1), MONDAY, MONDAY),
        ],
        &cal,
    );
    assert_eq!(
        slips,
        vec![Slip {
            id: id(0),
            start_days: 1,
            finish_days: 2
        }]
    );
}

/// A random acyclic network: links only go from a lower to a higher number.
fn networks() -> impl Strategy<Value = (Vec<Activity>, Vec<Link>)> {
    (2_usize..40).prop_flat_map(|n| {
        (
            prop::collection::vec((0_u32..8, prop::option::of(0_i64..30)), n),
            prop::collection::vec((0..n, 0..n, 0_usize..3, -3_i32..4), 0..n * 2),
        )
            .prop_map(move |(acts, links)| {
                let acts: Vec<Activity> = acts
                    .into_iter()
                    .enumerate()
                    .map(|(i, (d, start))| Activity {
                        start: start.map(|s| MONDAY + Duration::days(s)),
                        ..act(i as u128, d)
                    })
                    .collect();
                let links = links
                    .into_iter()
                    .filter(|(a, b, _, _)| a < b)
                    .map(|(a, b, k, lag)| Link {
                        from: id(a as u128),
                        to: id(b as u128),
                        kind: LinkKind::ALL[k],
                        lag,
                    })
                    .collect();
                (acts, links)
            })
    })
}

proptest! {
    #[test]
    fn a_feasible_plan_has_no_negative_float_and_respects_every_link(
        (acts, links) in networks()
    ) {
        let cal = WorkCalendar::standard();
        let ids: Vec<Uuid> = acts.iter().map(|a| a.id).collect();
        prop_assert_eq!(find_cycle(&ids, &links), None);
        let plan = schedule(MONDAY, &acts, &links, &cal).unwrap();
        prop_assert!(plan.violations.is_empty());
        prop_assert!(plan.rows.iter().any(|r| r.critical));
        for r in &plan.rows {
            prop_assert!(r.total_float >= 0);
            prop_assert!(r.early_start <= r.late_start);
            prop_assert!(r.early_finish <= plan.finish);
            prop_assert!(r.early_start >= MONDAY);
        }
        // Every link holds between the early dates (in working days).
        let by_id = |id: Uuid| plan.rows.iter().find(|r| r.id == id).unwrap();
        let dur = |id: Uuid| acts.iter().find(|a| a.id == id).unwrap().duration;
        for l in &links {
            let (p, s) = (by_id(l.from), by_id(l.to));
            // Boundaries: a start is at the start of its day, a finish at the end of its last.
            let start_of = |r: &Scheduled, d: u32| if d == 0 { cal.add_working_days(r.early_start, 1) } else { r.early_start };
            let end_of = |r: &Scheduled| cal.add_working_days(r.early_finish, 1);
            let gap = match l.kind {
                LinkKind::FinishToStart => cal.working_days_between(end_of(p), start_of(s, dur(s.id))),
                LinkKind::StartToStart => cal.working_days_between(start_of(p, dur(p.id)), start_of(s, dur(s.id))),
                LinkKind::FinishToFinish => cal.working_days_between(end_of(p), end_of(s)),
            };
            prop_assert!(gap >= l.lag, "{:?} gap {} < lag {}", l.kind, gap, l.lag);
        }
    }

    #[test]
    fn closing_a_chain_into_a_loop_is_always_found((acts, _) in networks()) {
        let ids: Vec<Uuid> = acts.iter().map(|a| a.id).collect();
        let mut links: Vec<Link> = ids.windows(2).map(|w| Link { from: w[0], to: w[1], kind: LinkKind::FinishToStart, lag: 0 }).collect();
        links.push(Link { from: ids[ids.len() - 1], to: ids[0], kind: LinkKind::FinishToStart, lag: 0 });
        let cycle = find_cycle(&ids, &links).unwrap();
        prop_assert_eq!(cycle.first(), cycle.last());
        for w in cycle.windows(2) {
            prop_assert!(links.iter().any(|l| l.from == w[0] && l.to == w[1]));
        }
    }
}

/// The budget: 5,000 tasks and 10,000 links in ≤ 50 ms. Run in release:
/// `cargo test --release -p formula-domain schedule_bench -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn schedule_bench() {
    let n = 5_000_usize;
    let acts: Vec<Activity> = (0..n)
        .map(|i| Activity {
            id: Uuid::from_u128(i as u128 + 1),
            name: format!("Task {i}"),
            duration: (i % 9) as u32,
            start: None,
            constraint: (i % 97 == 0)
                .then_some(Constraint::FinishNoLaterThan(date!(2027 - 06 - 30))),
            fixed: false,
        })
        .collect();
    // Two links into every task from the 50 before it, deterministic.
    let links: Vec<Link> = (1..n)
        .flat_map(|i| {
            let a = i.saturating_sub(1 + (i * 7) % 50);
            let b = i.saturating_sub(1 + (i * 13) % 50);
            [
                (a, i, LinkKind::FinishToStart, 0),
                (b, i, LinkKind::ALL[i % 3], (i % 5) as i32 - 2),
            ]
        })
        .chain([
            (0, n - 1, LinkKind::StartToStart, 1),
            (1, n - 1, LinkKind::FinishToStart, 0),
        ])
        .map(|(a, b, kind, lag)| Link {
            from: Uuid::from_u128(a as u128 + 1),
            to: Uuid::from_u128(b as u128 + 1),
            kind,
            lag,
        })
        .collect();
    assert_eq!(links.len(), 10_000);
    let cal = WorkCalendar::new(
        [true, true, true, true, true, false, false],
        (0..40).map(|w| MONDAY + Duration::days(w * 37)),
    )
    .unwrap();
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let plan = schedule(MONDAY, &acts, &links, &cal).unwrap();
        times.push(t.elapsed());
        assert_eq!(plan.rows.len(), n);
    }
    times.sort();
    println!(
        "schedule 5000 tasks / 10000 links: p50 {:?}, p95 {:?}, max {:?}",
        times[25], times[47], times[49]
    );
}
