//! Tasks, and the project figures derived from them (counts, overdue, progress).

use formula_app::error::AppError;
use formula_app::query::{Dir, Paging, ProjectQuery, TaskQuery, TaskSort};
use formula_app::repos::prelude::*;
use formula_domain::authz::ProjectScope;
use formula_domain::task::TaskStatus;
use formula_domain::user::User;
use formula_store::{Backend, Db};
use uuid::Uuid;

use crate::fixtures::{self as f, assert_stale, days, now, paging, today};
use crate::world::{audit_count, world};

pub async fn tasks_crud_and_derived_project_figures(db: &Db) {
    let w = world(db).await;
    let entry = |id: Uuid, by: &User| f::audit(Some(by), "create", "task", id, "task");
    let mut late = f::task(
        &w.p1,
        "Shop drawings",
        TaskStatus::InProgress,
        50,
        Some(today() - days(1)),
    );
    late.assignee_id = Some(w.designer.id);
    late.assignee_name = Some(w.designer.name.clone());
    late.updated_by_name = Some(w.pm.name.clone());
    let done = f::task(
        &w.p1,
        "Site survey",
        TaskStatus::Completed,
        100,
        Some(today() - days(5)),
    );
    let dropped = f::task(
        &w.p1,
        "Mock-up",
        TaskStatus::Cancelled,
        30,
        Some(today() - days(5)),
    );
    let open = f::task(&w.p1, "Veneer samples", TaskStatus::Pending, 0, None);
    for t in [&late, &done, &dropped, &open] {
        db.insert_task(t, &entry(t.id, &w.pm), &[]).await.unwrap();
    }
    assert_eq!(
        db.get_task(late.id).await.unwrap(),
        Some(late.clone()),
        "round trip with derived names"
    );
    assert_eq!(db.get_task(Uuid::now_v7()).await.unwrap(), None);

    let p1 = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!(
        (p1.task_total, p1.task_completed, p1.task_overdue),
        (4, 1, 1)
    );
    assert_eq!(
        p1.progress,
        Some(50),
        "average of 50, 100 and 0; the cancelled task does not count"
    );
    let listed = db
        .list_projects(&ProjectQuery::default(), ProjectScope::All)
        .await
        .unwrap();
    let from_list = listed.items.iter().find(|p| p.id == w.p1.id).unwrap();
    assert_eq!(from_list, &p1, "the list derives the same figures");
    let p2 = listed.items.iter().find(|p| p.id == w.p2.id).unwrap();
    assert_eq!((p2.task_total, p2.progress), (0, Some(0)));
    assert_eq!(db.list_members(w.p1.id).await.unwrap()[1].open_tasks, 1);

    // Update: compare-and-set, and the saver's name comes back.
    let mut next = late.clone();
    next.status = TaskStatus::Review;
    next.progress = 90;
    next.actual_hours = Some(3.25);
    let saved = db
        .update_task(&next, 1, &entry(late.id, &w.designer))
        .await
        .unwrap();
    assert_eq!(
        (saved.version, saved.progress, saved.actual_hours),
        (2, 90, Some(3.25))
    );
    assert_eq!(saved.updated_by_name.as_deref(), Some("Dan Designer"));
    let err = db
        .update_task(&late, 1, &entry(late.id, &w.pm))
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (2, Some("Dan Designer".into())));
    assert_eq!(
        db.get_task(late.id).await.unwrap().unwrap().status,
        TaskStatus::Review
    );
    assert_eq!(
        db.get_project(w.p1.id).await.unwrap().unwrap().progress,
        Some(63),
        "(90 + 100 + 0) / 3, rounded"
    );

    let mut finished = saved.clone();
    finished.status = TaskStatus::Completed;
    finished.progress = 100;
    finished.completed_at = Some(now());
    let finished = db
        .update_task(&finished, 2, &entry(late.id, &w.designer))
        .await
        .unwrap();
    let p1 = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!(
        (p1.task_completed, p1.task_overdue),
        (2, 0),
        "a completed task is not overdue"
    );

    let err = db
        .delete_task(late.id, 2, &entry(late.id, &w.pm))
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (3, Some("Dan Designer".into())));
    db.delete_task(late.id, finished.version, &entry(late.id, &w.pm))
        .await
        .unwrap();
    assert_eq!(db.get_task(late.id).await.unwrap(), None);
    let err = db
        .delete_task(late.id, 3, &entry(late.id, &w.pm))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    assert_eq!(
        audit_count(db, "task", late.id).await,
        4,
        "create, two updates, delete"
    );

    // Deleting the project takes its tasks and team along.
    db.delete_project(
        w.p1.id,
        1,
        &f::audit(Some(&w.pm), "delete", "project", w.p1.id, "p1"),
    )
    .await
    .unwrap();
    assert_eq!(db.get_task(open.id).await.unwrap(), None);
    assert!(db.list_members(w.p1.id).await.unwrap().is_empty());
    assert_eq!(db.get_project(w.p1.id).await.unwrap(), None);
}

pub async fn overdue_counts_kept_as_of_another_day_are_recounted(t: &crate::support::TestDb) {
    let db = &t.db;
    let w = world(db).await;
    let entry = |id: Uuid| f::audit(Some(&w.pm), "create", "task", id, "task");
    let overdue = |title: &str| {
        f::task(
            &w.p1,
            title,
            TaskStatus::Pending,
            0,
            Some(today() - days(3)),
        )
    };
    let (a, b) = (overdue("A"), overdue("B"));
    for task in [&a, &b] {
        db.insert_task(task, &entry(task.id), &[]).await.unwrap();
    }
    let count = || async { db.get_project(w.p1.id).await.unwrap().unwrap().task_overdue };
    assert_eq!(count().await, 2);

    // A roll-up left as of another day, with a wrong number: reads count instead.
    t.outside("UPDATE project_rollups SET task_overdue = 99, overdue_as_of = '2000-01-01'")
        .await;
    assert_eq!(
        count().await,
        2,
        "read counts when the roll-up is not as of today"
    );
    let listed = db
        .list_projects(&ProjectQuery::default(), ProjectScope::All)
        .await
        .unwrap();
    let p1 = listed.items.iter().find(|p| p.id == w.p1.id).unwrap();
    assert_eq!(p1.task_overdue, 2, "and so does the list");

    // The next write recounts as of today; later ones add and take away.
    let c = overdue("C");
    db.insert_task(&c, &entry(c.id), &[]).await.unwrap();
    assert_eq!(count().await, 3);
    let kept = "SELECT task_overdue FROM project_rollups WHERE overdue_as_of IS NOT NULL \
                AND overdue_as_of <> '2000-01-01' AND task_overdue <> 99";
    assert_eq!(t.outside(kept).await, 3, "recounted as of today");
    let mut done = a.clone();
    done.status = TaskStatus::Completed;
    done.completed_at = Some(now());
    db.update_task(&done, 1, &entry(a.id)).await.unwrap();
    assert_eq!(count().await, 2, "completed");
    let mut later = b.clone();
    later.due_date = Some(today() + days(3));
    db.update_task(&later, 1, &entry(b.id)).await.unwrap();
    assert_eq!(count().await, 1, "due later");
    db.delete_task(c.id, 1, &entry(c.id)).await.unwrap();
    assert_eq!(count().await, 0, "deleted");
    assert_eq!(
        t.outside("SELECT COUNT(*) FROM project_rollups WHERE overdue_as_of <> '2000-01-01' AND task_overdue <> 0")
            .await,
        0,
        "the kept numbers followed"
    );
}

pub async fn tasks_are_listed_by_scope_assignee_and_status(db: &Db) {
    let w = world(db).await;
    let mk = |p: &formula_domain::project::Project,
              title: &str,
              status: TaskStatus,
              due: Option<time::Date>| {
        let mut t = f::task(p, title, status, 0, due);
        t.assignee_id = Some(w.designer.id);
        t
    };
    let tasks = [
        mk(&w.p1, "Alpha", TaskStatus::Pending, Some(today() + days(3))),
        mk(
            &w.p1,
            "bravo",
            TaskStatus::InProgress,
            Some(today() - days(2)),
        ),
        mk(
            &w.p1,
            "Charlie",
            TaskStatus::Completed,
            Some(today() - days(9)),
        ),
        mk(&w.p1, "Delta", TaskStatus::Pending, None),
        f::task(&w.p3, "Echo", TaskStatus::Pending, 0, Some(today())),
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
    let titles = |page: formula_app::query::Page<formula_domain::task::Task>| -> Vec<String> {
        page.items.into_iter().map(|t| t.title).collect()
    };
    let list = |q: TaskQuery, s: ProjectScope| async move { db.list_tasks(&q, s).await.unwrap() };

    let all = list(TaskQuery::default(), ProjectScope::All).await;
    assert_eq!(all.total, 5);
    assert_eq!(
        titles(all),
        ["Charlie", "bravo", "Echo", "Alpha", "Delta"],
        "due date first, undated last"
    );

    let mine = TaskQuery {
        assignee_id: Some(w.designer.id),
        open_only: true,
        ..Default::default()
    };
    assert_eq!(
        titles(list(mine.clone(), ProjectScope::All).await),
        ["bravo", "Alpha", "Delta"]
    );
    assert_eq!(list(mine, ProjectScope::MemberOf(w.pm.id)).await.total, 3);

    assert_eq!(
        titles(list(TaskQuery::default(), ProjectScope::MemberOf(w.designer.id)).await).len(),
        4
    );
    assert_eq!(
        titles(list(TaskQuery::default(), ProjectScope::OfClient(w.beta.id)).await),
        ["Echo"]
    );
    assert_eq!(
        list(TaskQuery::default(), ProjectScope::None).await.total,
        0
    );

    let of_p3 = TaskQuery {
        project_id: Some(w.p3.id),
        ..Default::default()
    };
    assert_eq!(
        titles(list(of_p3.clone(), ProjectScope::All).await),
        ["Echo"]
    );
    assert_eq!(
        list(of_p3, ProjectScope::MemberOf(w.designer.id))
            .await
            .total,
        0,
        "scope applies to a project's tasks"
    );

    let done = TaskQuery {
        status: Some(TaskStatus::Completed),
        ..Default::default()
    };
    assert_eq!(titles(list(done, ProjectScope::All).await), ["Charlie"]);
    let due = TaskQuery {
        due_before: Some(today()),
        open_only: true,
        ..Default::default()
    };
    assert_eq!(titles(list(due, ProjectScope::All).await), ["bravo"]);
    // My work's windows: due from a day (inclusive) to before another, optionally with the
    // undated ones; completed since a moment, latest first.
    let window = TaskQuery {
        due_from: Some(today()),
        due_before: Some(today() + days(4)),
        ..Default::default()
    };
    assert_eq!(
        titles(list(window, ProjectScope::All).await),
        ["Echo", "Alpha"]
    );
    let later = TaskQuery {
        due_from: Some(today() + days(1)),
        ..Default::default()
    };
    assert_eq!(titles(list(later, ProjectScope::All).await), ["Alpha"]);
    let undated = TaskQuery {
        undated: true,
        ..Default::default()
    };
    assert_eq!(titles(list(undated, ProjectScope::All).await), ["Delta"]);
    let since = |at: time::OffsetDateTime| TaskQuery {
        completed_since: Some(at),
        sort: Some((TaskSort::CompletedAt, Dir::Desc)),
        ..Default::default()
    };
    assert_eq!(
        titles(list(since(now() - days(14)), ProjectScope::All).await),
        ["Charlie"]
    );
    assert_eq!(
        list(since(now() + days(1)), ProjectScope::All).await.total,
        0
    );
    let q = TaskQuery {
        q: Some("RAV".into()),
        ..Default::default()
    };
    assert_eq!(titles(list(q, ProjectScope::All).await), ["bravo"]);
    // Batched reads (my work): each query's count, and each query's page, in query order,
    // with arguments numbered across the queries and the scope applied to each.
    let open_due_soon = TaskQuery {
        due_from: Some(today()),
        open_only: true,
        paging: Paging {
            limit: 1,
            offset: 0,
        },
        ..Default::default()
    };
    let batch = [
        TaskQuery::default(),
        open_due_soon,
        TaskQuery {
            undated: true,
            ..Default::default()
        },
        TaskQuery {
            q: Some("no such task".into()),
            ..Default::default()
        },
    ];
    assert_eq!(
        db.count_tasks_each(&batch, ProjectScope::All)
            .await
            .unwrap(),
        [5, 2, 1, 0]
    );
    assert_eq!(
        db.count_tasks_each(&batch, ProjectScope::OfClient(w.beta.id))
            .await
            .unwrap(),
        [1, 1, 0, 0]
    );
    assert!(
        db.count_tasks_each(&[], ProjectScope::All)
            .await
            .unwrap()
            .is_empty()
    );
    let pages: Vec<Vec<String>> = db
        .task_pages(&batch, ProjectScope::All)
        .await
        .unwrap()
        .into_iter()
        .map(|page| page.into_iter().map(|t| t.title).collect())
        .collect();
    assert_eq!(
        pages,
        [
            vec!["Charlie", "bravo", "Echo", "Alpha", "Delta"],
            vec!["Echo"],
            vec!["Delta"],
            vec![],
        ]
    );

    let sort = |s: TaskSort, d: Dir| TaskQuery {
        sort: Some((s, d)),
        ..Default::default()
    };
    assert_eq!(
        titles(list(sort(TaskSort::Title, Dir::Asc), ProjectScope::All).await),
        ["Alpha", "bravo", "Charlie", "Delta", "Echo"]
    );
    assert_eq!(
        titles(list(sort(TaskSort::DueDate, Dir::Desc), ProjectScope::All).await),
        ["Alpha", "Echo", "bravo", "Charlie", "Delta"]
    );
    assert_eq!(
        titles(list(sort(TaskSort::Status, Dir::Desc), ProjectScope::All).await)[0],
        "Charlie"
    );
    assert_eq!(
        list(sort(TaskSort::Priority, Dir::Asc), ProjectScope::All)
            .await
            .total,
        5
    );
    assert_eq!(
        titles(list(sort(TaskSort::CreatedAt, Dir::Asc), ProjectScope::All).await)[0],
        "Alpha"
    );

    let paged = TaskQuery {
        paging: paging(2, 3),
        ..Default::default()
    };
    let last = list(paged, ProjectScope::All).await;
    assert_eq!((last.total, last.pages()), (5, 3));
    assert_eq!(titles(last), ["Delta"]);
}

/// What is open on a project: open and overdue tasks (completed and cancelled ones are not),
/// counted per project. Scope items, drawings and specifications are counted by the same read;
/// a project with none has zero of each.
pub async fn open_work_counts_only_what_is_open(db: &Db) {
    let w = world(db).await;
    let tasks = [
        f::task(
            &w.p1,
            "Late",
            TaskStatus::InProgress,
            50,
            Some(today() - days(1)),
        ),
        f::task(&w.p1, "Due today", TaskStatus::Pending, 0, Some(today())),
        f::task(&w.p1, "Undated", TaskStatus::Review, 90, None),
        f::task(
            &w.p1,
            "Done",
            TaskStatus::Completed,
            100,
            Some(today() - days(5)),
        ),
        f::task(
            &w.p1,
            "Dropped",
            TaskStatus::Cancelled,
            10,
            Some(today() - days(5)),
        ),
        f::task(
            &w.p2,
            "Elsewhere",
            TaskStatus::Pending,
            0,
            Some(today() - days(9)),
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
    let open = db.open_work(w.p1.id, today()).await.unwrap();
    assert_eq!((open.open_tasks, open.overdue_tasks), (3, 1));
    assert_eq!(
        (
            open.open_scope_items,
            open.drawings_not_approved,
            open.specs_not_approved
        ),
        (0, 0, 0)
    );
    let other = db.open_work(w.p2.id, today()).await.unwrap();
    assert_eq!((other.open_tasks, other.overdue_tasks), (1, 1));
    assert!(
        db.open_work(Uuid::now_v7(), today())
            .await
            .unwrap()
            .is_clear()
    );
}

/// A value PostgreSQL refuses (its data exceptions, SQLSTATE class 22, here a date before
/// 4713 BC) is the caller's mistake: a validation error, never "busy" or an internal one.
pub async fn a_value_postgres_cannot_hold_is_invalid_input(db: &Db) {
    let ancient = time::Date::from_calendar_date(-5000, time::Month::January, 1).unwrap();
    let q = TaskQuery {
        due_before: Some(ancient),
        ..Default::default()
    };
    match db.list_tasks(&q, ProjectScope::All).await {
        Err(AppError::Validation(_)) => assert_eq!(db.backend(), Backend::Postgres),
        Ok(page) => {
            // SQLite compares dates as text, so it simply finds nothing.
            assert_eq!(db.backend(), Backend::Sqlite);
            assert_eq!(page.total, 0);
        }
        Err(other) => panic!("{other:?}"),
    }
}

both_backends! {
    a_value_postgres_cannot_hold_is_invalid_input,
    tasks_crud_and_derived_project_figures,
    overdue_counts_kept_as_of_another_day_are_recounted,
    tasks_are_listed_by_scope_assignee_and_status,
    open_work_counts_only_what_is_open,
}
