//! The dashboard's counts, kept to what the viewer may see.

use formula_app::repos::prelude::*;
use formula_domain::authz::ProjectScope;
use formula_domain::project::ProjectStatus;
use formula_domain::task::TaskStatus;
use formula_store::Db;

use crate::fixtures::{self as f, days, today};
use crate::world::world;

pub async fn dashboard_counts_stay_in_scope(db: &Db) {
    let w = world(db).await;
    let mut active = w.p3.clone();
    active.status = ProjectStatus::Awarded;
    db.update_project(
        &active,
        1,
        &f::audit(Some(&w.pm), "status_change", "project", w.p3.id, "p3"),
    )
    .await
    .unwrap();
    let tasks = [
        f::task(
            &w.p1,
            "late",
            TaskStatus::Pending,
            0,
            Some(today() - days(1)),
        ),
        f::task(&w.p1, "due today", TaskStatus::InProgress, 0, Some(today())),
        f::task(
            &w.p1,
            "done late",
            TaskStatus::Completed,
            100,
            Some(today() - days(3)),
        ),
        f::task(
            &w.p3,
            "late elsewhere",
            TaskStatus::Review,
            90,
            Some(today() - days(1)),
        ),
    ];
    for t in &tasks {
        db.insert_task(
            t,
            &f::audit(Some(&w.pm), "create", "task", t.id, &t.title),
            &[],
        )
        .await
        .unwrap();
    }
    let all = db
        .dashboard_counts(ProjectScope::All, today())
        .await
        .unwrap();
    assert_eq!((all.open_tasks, all.overdue_tasks), (3, 2));
    assert_eq!(
        all.projects_by_status.len(),
        ProjectStatus::ALL.len(),
        "every status, zeros included"
    );
    let count = |c: &formula_app::ports::DashboardCounts, s: ProjectStatus| {
        c.projects_by_status
            .iter()
            .find(|(x, _)| *x == s)
            .map(|(_, n)| *n)
    };
    assert_eq!(
        (
            count(&all, ProjectStatus::OnTender),
            count(&all, ProjectStatus::Awarded)
        ),
        (Some(2), Some(1))
    );
    assert_eq!(count(&all, ProjectStatus::Active), Some(0));

    let designer = db
        .dashboard_counts(ProjectScope::MemberOf(w.designer.id), today())
        .await
        .unwrap();
    assert_eq!((designer.open_tasks, designer.overdue_tasks), (2, 1));
    assert_eq!(count(&designer, ProjectStatus::OnTender), Some(1));
    assert_eq!(count(&designer, ProjectStatus::Awarded), Some(0));

    let beta = db
        .dashboard_counts(ProjectScope::OfClient(w.beta.id), today())
        .await
        .unwrap();
    assert_eq!(
        (
            beta.open_tasks,
            beta.overdue_tasks,
            count(&beta, ProjectStatus::Awarded)
        ),
        (1, 1, Some(1))
    );
    let tomorrow = db
        .dashboard_counts(ProjectScope::All, today() + days(1))
        .await
        .unwrap();
    assert_eq!(tomorrow.overdue_tasks, 3, "`today` decides what is overdue");
    let none = db
        .dashboard_counts(ProjectScope::None, today())
        .await
        .unwrap();
    assert_eq!(
        (
            none.open_tasks,
            none.overdue_tasks,
            count(&none, ProjectStatus::OnTender)
        ),
        (0, 0, Some(0))
    );
}

both_backends! {
    dashboard_counts_stay_in_scope,
}
