//! The schedule: a task's schedule fields, dependencies, the calendars, applying a
//! reschedule all or nothing, and baselines.

use formula_app::error::AppError;
use formula_app::repos::DateChange;
use formula_app::repos::prelude::*;
use formula_domain::planning::{
    Baseline, BaselineTask, CompanyCalendar, CompanyWorkflow, ConstraintKind, Dependency, Holiday,
    ProjectCalendar, Weekday,
};
use formula_domain::schedule::{ChainStep, LinkKind, TemplateStep, WorkflowTemplate};
use formula_domain::task::{Task, TaskStatus};
use formula_domain::user::User;
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_duplicate, assert_stale, days, now, today};
use crate::world::{audit_count, world};

async fn add_task(db: &Db, p: &formula_domain::project::Project, title: &str, by: &User) -> Task {
    let mut t = f::task(p, title, TaskStatus::Pending, 0, Some(today() + days(3)));
    t.start_date = Some(today());
    db.insert_task(&t, &f::audit(Some(by), "create", "task", t.id, title), &[])
        .await
        .unwrap();
    t
}

fn dependency(a: &Task, b: &Task, kind: LinkKind, lag: i32) -> Dependency {
    Dependency {
        id: Uuid::now_v7(),
        project_id: a.project_id,
        predecessor_id: a.id,
        predecessor_title: a.title.clone(),
        successor_id: b.id,
        successor_title: b.title.clone(),
        kind,
        lag_days: lag,
        created_by_name: None,
        created_at: now(),
    }
}

pub async fn schedule_fields_of_a_task_round_trip(db: &Db) {
    let w = world(db).await;
    let mut t = f::task(&w.p1, "Handover", TaskStatus::Pending, 0, Some(today()));
    t.start_date = Some(today());
    t.is_milestone = true;
    t.constraint_kind = Some(ConstraintKind::Fnlt);
    t.constraint_on = Some(today() + days(10));
    t.updated_by_name = Some(w.pm.name.clone());
    db.insert_task(&t, &f::audit(Some(&w.pm), "create", "task", t.id, "t"), &[])
        .await
        .unwrap();
    assert_eq!(db.get_task(t.id).await.unwrap(), Some(t.clone()));
    let mut next = t.clone();
    next.is_milestone = false;
    next.constraint_kind = Some(ConstraintKind::Snet);
    next.constraint_on = Some(today() + days(1));
    let saved = db
        .update_task(
            &next,
            1,
            &f::audit(Some(&w.pm), "update", "task", t.id, "t"),
        )
        .await
        .unwrap();
    assert!(!saved.is_milestone);
    assert_eq!(saved.constraint_kind, Some(ConstraintKind::Snet));
    assert_eq!(saved.constraint_on, Some(today() + days(1)));
    assert_eq!(db.schedule_tasks(w.p1.id).await.unwrap(), vec![saved]);
}

pub async fn dependencies_are_kept_once_and_within_a_project(db: &Db) {
    let w = world(db).await;
    let a = add_task(db, &w.p1, "Fit wardrobes", &w.pm).await;
    let b = add_task(db, &w.p1, "Snag", &w.pm).await;
    let c = add_task(db, &w.p1, "Handover", &w.pm).await;
    let other = add_task(db, &w.p2, "Elsewhere", &w.pm).await;
    let entry = |d: &Dependency| f::audit(Some(&w.pm), "create", "dependency", d.id, "dep");

    let ab = dependency(&a, &b, LinkKind::FinishToStart, 2);
    db.insert_dependency(&ab, &entry(&ab)).await.unwrap();
    let bc = dependency(&b, &c, LinkKind::StartToStart, -1);
    db.insert_dependency(&bc, &entry(&bc)).await.unwrap();
    let mut listed = db.list_dependencies(w.p1.id).await.unwrap();
    listed.iter_mut().for_each(|d| d.created_by_name = None);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].predecessor_title, "Fit wardrobes");
    assert_eq!(
        (listed[0].kind, listed[0].lag_days),
        (LinkKind::FinishToStart, 2)
    );
    assert_eq!(
        (listed[1].kind, listed[1].lag_days),
        (LinkKind::StartToStart, -1)
    );
    let got = db.get_dependency(ab.id).await.unwrap().unwrap();
    assert_eq!(got.created_by_name.as_deref(), Some(w.pm.name.as_str()));
    assert_eq!(db.task_dependencies(b.id).await.unwrap().len(), 2);
    assert_eq!(audit_count(db, "dependency", ab.id).await, 1);

    // The same pair again is a duplicate; the other way round is the engine's business.
    let again = dependency(&a, &b, LinkKind::FinishToFinish, 0);
    assert_duplicate(
        db.insert_dependency(&again, &entry(&again))
            .await
            .unwrap_err(),
        "predecessor_id",
    );
    // The database itself refuses a link across projects, and a task linked to itself.
    let mut across = dependency(&a, &other, LinkKind::FinishToStart, 0);
    across.project_id = w.p1.id;
    assert!(
        db.insert_dependency(&across, &entry(&across))
            .await
            .is_err()
    );
    let selfish = dependency(&a, &a, LinkKind::FinishToStart, 0);
    assert!(
        db.insert_dependency(&selfish, &entry(&selfish))
            .await
            .is_err()
    );
    assert_eq!(db.list_dependencies(w.p1.id).await.unwrap().len(), 2);

    // Removing one; a deleted task takes its dependencies with it.
    db.delete_dependency(
        bc.id,
        &f::audit(Some(&w.pm), "delete", "dependency", bc.id, "d"),
    )
    .await
    .unwrap();
    assert!(matches!(
        db.delete_dependency(
            bc.id,
            &f::audit(Some(&w.pm), "delete", "dependency", bc.id, "d")
        )
        .await,
        Err(AppError::NotFound(_))
    ));
    db.delete_task(a.id, 1, &f::audit(Some(&w.pm), "delete", "task", a.id, "t"))
        .await
        .unwrap();
    assert!(db.list_dependencies(w.p1.id).await.unwrap().is_empty());
}

pub async fn calendars_are_saved_compare_and_set(db: &Db) {
    let w = world(db).await;
    let fresh = db.company_calendar().await.unwrap();
    assert_eq!(
        fresh,
        CompanyCalendar::default(),
        "Monday to Friday until saved"
    );
    let entry = || f::audit(Some(&w.pm), "update", "work_calendar", Uuid::nil(), "cal");
    let day = |n: i64, name: &str| Holiday {
        date: today() + days(n),
        name: name.into(),
    };
    let mut cal = CompanyCalendar {
        working_weekdays: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu],
        holidays: vec![day(1, "Founders' Day"), day(30, "National Day")],
        updated_at: Some(now()),
        ..CompanyCalendar::default()
    };
    let saved = db
        .save_company_calendar(&cal, 0, w.pm.id, &entry())
        .await
        .unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(saved.working_weekdays, cal.working_weekdays);
    assert_eq!(saved.holidays, cal.holidays);
    assert_eq!(saved.updated_by_name.as_deref(), Some(w.pm.name.as_str()));
    // A second first save, and a save from version 0 again, are stale.
    let (v, by) = assert_stale(
        db.save_company_calendar(&cal, 0, w.pm.id, &entry())
            .await
            .unwrap_err(),
    );
    assert_eq!((v, by.as_deref()), (1, Some(w.pm.name.as_str())));
    cal.holidays.pop();
    let again = db
        .save_company_calendar(&cal, 1, w.pm.id, &entry())
        .await
        .unwrap();
    assert_eq!((again.version, again.holidays.len()), (2, 1));
    assert_eq!(db.company_calendar().await.unwrap(), again);

    // A project's overrides.
    assert_eq!(
        db.project_calendar(w.p1.id).await.unwrap(),
        ProjectCalendar::none(w.p1.id)
    );
    let mut pc = ProjectCalendar::none(w.p1.id);
    pc.working_weekdays = Some(vec![Weekday::Mon, Weekday::Sat]);
    pc.extra_holidays = vec![day(5, "Site closed")];
    pc.extra_working_days = vec![day(6, "Saturday push")];
    let entry = || f::audit(Some(&w.pm), "update", "project_calendar", w.p1.id, "cal");
    let saved = db
        .save_project_calendar(&pc, 0, w.pm.id, &entry())
        .await
        .unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(saved.working_weekdays, pc.working_weekdays);
    assert_eq!(saved.extra_holidays, pc.extra_holidays);
    assert_eq!(saved.extra_working_days, pc.extra_working_days);
    assert_stale(
        db.save_project_calendar(&pc, 0, w.pm.id, &entry())
            .await
            .unwrap_err(),
    );
    pc.working_weekdays = None;
    pc.extra_working_days.clear();
    let saved = db
        .save_project_calendar(&pc, 1, w.pm.id, &entry())
        .await
        .unwrap();
    assert_eq!(saved.working_weekdays, None);
    assert!(saved.extra_working_days.is_empty());
    assert_eq!(db.project_calendar(w.p1.id).await.unwrap(), saved);
    assert_eq!(
        db.project_calendar(w.p2.id).await.unwrap(),
        ProjectCalendar::none(w.p2.id),
        "another project's are its own"
    );
}

pub async fn a_reschedule_is_applied_all_or_nothing(db: &Db) {
    let w = world(db).await;
    let a = add_task(db, &w.p1, "Fit wardrobes", &w.pm).await;
    let b = add_task(db, &w.p1, "Snag", &w.pm).await;
    let move_to = |t: &Task, version: i64, n: i64| DateChange {
        task_id: t.id,
        title: t.title.clone(),
        version,
        start: today() + days(n),
        due: today() + days(n + 1),
    };
    let audits = |ts: &[&Task]| {
        ts.iter()
            .map(|t| f::audit(Some(&w.pm), "reschedule", "task", t.id, &t.title))
            .collect::<Vec<_>>()
    };
    // Someone edits b: its version moves to 2.
    let mut edited = b.clone();
    edited.title = "Snag walk".into();
    db.update_task(
        &edited,
        1,
        &f::audit(Some(&w.pm), "update", "task", b.id, "b"),
    )
    .await
    .unwrap();
    let err = db
        .apply_schedule(
            w.p1.id,
            &[move_to(&a, 1, 10), move_to(&b, 1, 12)],
            w.pm.id,
            now(),
            &audits(&[&a, &b]),
        )
        .await
        .unwrap_err();
    match err {
        AppError::Conflict { code, message, .. } => {
            assert_eq!(code, "stale");
            assert!(message.contains("Snag"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let a_now = db.get_task(a.id).await.unwrap().unwrap();
    assert_eq!(
        (a_now.version, a_now.start_date),
        (1, a.start_date),
        "nothing moved"
    );
    assert_eq!(audit_count(db, "task", a.id).await, 1);

    // A task of another project is not moved through this one.
    let other = add_task(db, &w.p2, "Elsewhere", &w.pm).await;
    assert!(
        db.apply_schedule(w.p1.id, &[move_to(&other, 1, 3)], w.pm.id, now(), &[])
            .await
            .is_err()
    );

    db.apply_schedule(
        w.p1.id,
        &[move_to(&a, 1, 10), move_to(&b, 2, 12)],
        w.pm.id,
        now(),
        &audits(&[&a, &b]),
    )
    .await
    .unwrap();
    let a_now = db.get_task(a.id).await.unwrap().unwrap();
    let b_now = db.get_task(b.id).await.unwrap().unwrap();
    assert_eq!(
        (a_now.version, a_now.start_date, a_now.due_date),
        (2, Some(today() + days(10)), Some(today() + days(11)))
    );
    assert_eq!(
        (b_now.version, b_now.start_date),
        (3, Some(today() + days(12)))
    );
    assert_eq!(b_now.updated_by_name.as_deref(), Some(w.pm.name.as_str()));
    assert_eq!(audit_count(db, "task", a.id).await, 2);
}

pub async fn baselines_keep_the_dates_they_were_saved_with(db: &Db) {
    let w = world(db).await;
    let a = add_task(db, &w.p1, "Fit wardrobes", &w.pm).await;
    let b = Baseline {
        id: Uuid::now_v7(),
        project_id: w.p1.id,
        name: "Contract programme".into(),
        created_by_name: Some(w.pm.name.clone()),
        created_at: now(),
        tasks: 2,
    };
    let gone = Uuid::now_v7();
    let tasks = vec![
        BaselineTask {
            task_id: a.id,
            title: a.title.clone(),
            is_milestone: false,
            start: today(),
            finish: today() + days(3),
        },
        BaselineTask {
            task_id: gone,
            title: "Deleted since".into(),
            is_milestone: true,
            start: today() + days(4),
            finish: today() + days(4),
        },
    ];
    db.insert_baseline(
        &b,
        &tasks,
        &f::audit(Some(&w.pm), "create", "baseline", b.id, "b"),
    )
    .await
    .unwrap();
    let mut listed = db.list_baselines(w.p1.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    listed[0].created_at = b.created_at;
    assert_eq!(listed[0].name, b.name);
    assert_eq!(listed[0].tasks, 2);
    assert_eq!(db.get_baseline(b.id).await.unwrap().unwrap().tasks, 2);
    assert_eq!(db.baseline_tasks(b.id).await.unwrap(), tasks);
    assert!(db.list_baselines(w.p2.id).await.unwrap().is_empty());

    // The task moving later leaves the baseline as it was.
    let mut moved = a.clone();
    moved.start_date = Some(today() + days(7));
    moved.due_date = Some(today() + days(9));
    db.update_task(
        &moved,
        1,
        &f::audit(Some(&w.pm), "update", "task", a.id, "a"),
    )
    .await
    .unwrap();
    assert_eq!(db.baseline_tasks(b.id).await.unwrap(), tasks);

    db.delete_baseline(
        b.id,
        &f::audit(Some(&w.pm), "delete", "baseline", b.id, "b"),
    )
    .await
    .unwrap();
    assert_eq!(db.get_baseline(b.id).await.unwrap(), None);
    assert!(db.baseline_tasks(b.id).await.unwrap().is_empty());
    assert!(matches!(
        db.delete_baseline(
            b.id,
            &f::audit(Some(&w.pm), "delete", "baseline", b.id, "b")
        )
        .await,
        Err(AppError::NotFound(_))
    ));
}

pub async fn the_workflow_template_is_saved_whole_compare_and_set(db: &Db) {
    let w = world(db).await;
    assert_eq!(
        db.workflow_template().await.unwrap(),
        CompanyWorkflow::default(),
        "the standard template until saved"
    );
    let entry = || {
        f::audit(
            Some(&w.pm),
            "update",
            "workflow_template",
            Uuid::nil(),
            "wf",
        )
    };
    let step = |step, working_days| TemplateStep { step, working_days };
    let short = WorkflowTemplate::new(vec![
        step(ChainStep::ShopDrawing, 10),
        step(ChainStep::Procurement, 0),
        step(ChainStep::Production, 250),
        step(ChainStep::Installation, 3),
    ])
    .unwrap();
    let saved = db
        .save_workflow_template(&short, 0, w.pm.id, now(), &entry())
        .await
        .unwrap();
    assert_eq!(saved.template, short);
    assert_eq!(saved.version, 1);
    assert_eq!(saved.updated_by_name.as_deref(), Some(w.pm.name.as_str()));
    assert_eq!(db.workflow_template().await.unwrap(), saved);
    // A second first save is stale, and so is a save from a version that moved on.
    let (v, by) = assert_stale(
        db.save_workflow_template(&short, 0, w.pm.id, now(), &entry())
            .await
            .unwrap_err(),
    );
    assert_eq!((v, by.as_deref()), (1, Some(w.pm.name.as_str())));
    let standard = WorkflowTemplate::standard();
    let again = db
        .save_workflow_template(&standard, 1, w.pm.id, now(), &entry())
        .await
        .unwrap();
    assert_eq!((again.version, &again.template), (2, &standard));
    assert_stale(
        db.save_workflow_template(&short, 1, w.pm.id, now(), &entry())
            .await
            .unwrap_err(),
    );
    assert_eq!(db.workflow_template().await.unwrap(), again);
    assert_eq!(
        audit_count(db, "workflow_template", Uuid::nil()).await,
        2,
        "one audit row per save, none for refused ones"
    );
}

both_backends! {
    the_workflow_template_is_saved_whole_compare_and_set,
    schedule_fields_of_a_task_round_trip,
    dependencies_are_kept_once_and_within_a_project,
    calendars_are_saved_compare_and_set,
    a_reschedule_is_applied_all_or_nothing,
    baselines_keep_the_dates_they_were_saved_with,
}

/// Two managers apply the workflow template to one item at the same instant on PostgreSQL:
/// the second one's check for the step ran before the first committed, so the unique index
/// refuses its write, and the manager is told so (a duplicate, never a server error).
#[tokio::test]
async fn postgres_a_chain_step_taken_meanwhile_is_a_duplicate() {
    use formula_app::repos::ChainWrite;
    use sqlx::Connection;

    let t = crate::support::postgres().await;
    let db = &*t.db;
    let w = world(db).await;
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    let item = f::scope_item(&group, "WSC-M-001", 2, Some(50_000), 0);
    db.save_scope(
        std::slice::from_ref(&group),
        std::slice::from_ref(&item),
        &[],
        &[f::audit(Some(&w.pm), "create", "scope_item", item.id, "x")],
    )
    .await
    .unwrap();
    let mut first = f::task(
        &w.p1,
        "Production (first manager)",
        TaskStatus::Pending,
        0,
        None,
    );
    first.scope_item_id = Some(item.id);
    db.insert_task(
        &first,
        &f::audit(Some(&w.pm), "create", "task", first.id, "x"),
        &[],
    )
    .await
    .unwrap();
    let mut second = f::task(&w.p1, "Production", TaskStatus::Pending, 0, None);
    second.scope_item_id = Some(item.id);

    // The first manager's write, not yet committed, holds the step.
    let mut other = t.postgres_connection().await.unwrap();
    let mut tx = other.begin().await.unwrap();
    sqlx::query("UPDATE tasks SET chain_step = 'production' WHERE id = $1")
        .bind(first.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let write = ChainWrite {
        tasks: vec![(second.clone(), ChainStep::Production)],
        ..ChainWrite::default()
    };
    let racing = db.write_chain(w.p1.id, &write, w.pm.id, now(), &[]);
    let commit = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        tx.commit().await.unwrap();
    };
    let (result, ()) = tokio::join!(racing, commit);
    assert_duplicate(result.unwrap_err(), "scope_item_ids");
    assert_eq!(db.get_task(second.id).await.unwrap(), None, "nothing saved");
    t.finish().await;
}
