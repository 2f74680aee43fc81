//! The lobby project's schedule, through the same use cases as in the app: a chain of tasks
//! for the reception desk (fabricate, install, then the lobby's handover milestone) linked by
//! dependencies, a baseline saved while the plan held, then the workshop running three days
//! late and a reschedule applied, so the comparison with the baseline shows the slip. Then
//! the company's workflow template applied to the first millwork items (their own
//! installation dates, or ten weeks out), the steps the approvals already completed ticked
//! off, and a second baseline of the whole programme.

use formula_app::chains::ApplyChain;
use formula_app::context::Caller;
use formula_app::schedule::{ApplyChange, ApplySchedule, NewBaseline, NewDependency};
use formula_app::tasks::{NewTask, TaskPatch};
use formula_app::{AppError, Services};
use formula_domain::schedule::LinkKind;
use time::{Date, Duration, Weekday};
use uuid::Uuid;

/// The Monday on or after `d`.
fn monday_from(d: Date) -> Date {
    let mut d = d;
    while d.weekday() != Weekday::Monday {
        d += Duration::days(1);
    }
    d
}

/// Seeds the chain, its baseline and the slip; returns how many dependencies were made.
pub async fn seed(
    s: &Services,
    pm: &Caller,
    project_id: Uuid,
    today: Date,
) -> Result<usize, AppError> {
    let monday = monday_from(today + Duration::days(7));
    let day = |n: i64| monday + Duration::days(n);
    let task = |title: &str, start: Date, due: Date, milestone: bool| NewTask {
        title: title.to_owned(),
        start_date: Some(start),
        due_date: Some(due),
        is_milestone: milestone,
        ..Default::default()
    };
    // Fabricate Mon–Fri, install the next Mon–Wed, hand over on Thursday.
    let fabricate = s
        .create_task(
            pm,
            project_id,
            task("Fabricate the reception desk", day(0), day(4), false),
        )
        .await?;
    let install = s
        .create_task(
            pm,
            project_id,
            task("Install the reception desk", day(7), day(9), false),
        )
        .await?;
    let handover = s
        .create_task(
            pm,
            project_id,
            task("Lobby handover", day(10), day(10), true),
        )
        .await?;
    let link = |a: Uuid, b: Uuid| NewDependency {
        predecessor_id: a,
        successor_id: b,
        kind: Some(LinkKind::FinishToStart),
        lag_days: 0,
    };
    s.add_dependency(pm, project_id, link(fabricate.id, install.id))
        .await?;
    s.add_dependency(pm, project_id, link(install.id, handover.id))
        .await?;
    s.save_baseline(
        pm,
        project_id,
        NewBaseline {
            name: "Contract programme".into(),
        },
    )
    .await?;
    // The workshop needs three more days; the rest follows when the manager reschedules.
    s.update_task(
        pm,
        fabricate.id,
        fabricate.version,
        TaskPatch {
            due_date: Some(Some(day(9))),
            ..TaskPatch::default()
        },
    )
    .await?;
    let plan = s.schedule_proposal(pm, project_id).await?;
    let changes: Vec<ApplyChange> = plan
        .rows
        .iter()
        .filter(|r| r.moves && (r.task_id == install.id || r.task_id == handover.id))
        .map(|r| ApplyChange {
            task_id: r.task_id,
            version: r.version,
            start: r.proposed_start,
            due: r.proposed_due,
        })
        .collect();
    if !changes.is_empty() {
        s.apply_schedule(pm, project_id, ApplySchedule { changes })
            .await?;
    }
    seed_chains(s, pm, project_id, today).await?;
    Ok(2)
}

/// How many of the project's items get their millwork chain.
const CHAIN_ITEMS: usize = 8;

/// The workflow template on the first items: those with an installation date keep it, the
/// others are installed ten weeks out (some of them will be at risk, as on a real job).
async fn seed_chains(
    s: &Services,
    pm: &Caller,
    project_id: Uuid,
    today: Date,
) -> Result<(), AppError> {
    let items: Vec<_> = s
        .item_chains(pm, project_id)
        .await?
        .into_iter()
        .take(CHAIN_ITEMS)
        .collect();
    let (dated, undated): (Vec<_>, Vec<_>) = items.iter().partition(|c| c.install_on.is_some());
    if !dated.is_empty() {
        let apply = ApplyChain {
            scope_item_ids: dated.iter().map(|c| c.scope_item_id).collect(),
            ..ApplyChain::default()
        };
        s.apply_chain(pm, project_id, apply).await?;
    }
    if !undated.is_empty() {
        let apply = ApplyChain {
            scope_item_ids: undated.iter().map(|c| c.scope_item_id).collect(),
            install_on: Some(monday_from(today + Duration::weeks(10))),
            ..ApplyChain::default()
        };
        s.apply_chain(pm, project_id, apply).await?;
    }
    s.sync_chain_steps(project_id).await?;
    s.save_baseline(
        pm,
        project_id,
        NewBaseline {
            name: "Millwork programme".into(),
        },
    )
    .await?;
    Ok(())
}
