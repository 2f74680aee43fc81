//! Checklists inside tasks, the company's labels on tasks, subtasks and bulk edits.

use formula_app::error::AppError;
use formula_app::query::TaskQuery;
use formula_app::repos::BulkTask;
use formula_app::repos::prelude::*;
use formula_domain::authz::ProjectScope;
use formula_domain::task::TaskStatus;
use formula_domain::task_features::{ChecklistItem, Label, LabelColour};
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_stale, now, paging};
use crate::world::{audit_count, world};

fn item(task_id: Uuid, text: &str) -> ChecklistItem {
    ChecklistItem {
        id: Uuid::now_v7(),
        task_id,
        text: text.into(),
        done: false,
        done_by: None,
        done_by_name: None,
        done_at: None,
        position: 0,
        updated_at: now(),
        updated_by_name: None,
        version: 1,
    }
}

pub async fn checklists_keep_order_ticks_and_versions(db: &Db) {
    let w = world(db).await;
    let t = f::task(&w.p1, "Install vanity", TaskStatus::Pending, 0, None);
    let a = |action: &str| f::audit(Some(&w.pm), action, "task", t.id, "Install vanity");
    db.insert_task(&t, &a("create"), &[]).await.unwrap();
    let mut ids = Vec::new();
    for text in ["Fix carcass", "Fit doors", "Silicone"] {
        let saved = db
            .insert_checklist_item(&item(t.id, text), w.pm.id, &a("checklist_add"))
            .await
            .unwrap();
        ids.push(saved.id);
    }
    let list = db.list_checklist(t.id).await.unwrap();
    assert_eq!(
        list.iter()
            .map(|i| (i.text.as_str(), i.position))
            .collect::<Vec<_>>(),
        [("Fix carcass", 0), ("Fit doors", 1), ("Silicone", 2)],
        "appended in order"
    );

    // Tick: who and when are kept; a stale version is refused, naming who saved first.
    let mut tick = list[1].clone();
    tick.done = true;
    tick.done_by = Some(w.designer.id);
    tick.done_at = Some(now());
    let ticked = db
        .update_checklist_item(&tick, 1, w.designer.id, &a("checklist_tick"))
        .await
        .unwrap();
    assert!(ticked.done);
    assert_eq!(ticked.version, 2);
    assert_eq!(
        ticked.done_by_name.as_deref(),
        Some(w.designer.name.as_str())
    );
    let err = db
        .update_checklist_item(&tick, 1, w.pm.id, &a("checklist_tick"))
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (2, Some(w.designer.name.clone())));

    // Move the last to the front: the others close up.
    let moved = db
        .move_checklist_item(ids[2], 1, 0, now(), w.pm.id, &a("checklist_move"))
        .await
        .unwrap();
    assert_eq!((moved.position, moved.version), (0, 2));
    let order: Vec<String> = db
        .list_checklist(t.id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.text)
        .collect();
    assert_eq!(order, ["Silicone", "Fix carcass", "Fit doors"]);

    // The task carries its "1/3".
    let got = db.get_task(t.id).await.unwrap().unwrap();
    assert_eq!((got.checklist_done, got.checklist_total), (1, 3));

    // Delete: compare-and-set too.
    assert!(matches!(
        db.delete_checklist_item(ids[0], 7, &a("checklist_delete"))
            .await,
        Err(AppError::Stale { .. })
    ));
    db.delete_checklist_item(ids[0], 1, &a("checklist_delete"))
        .await
        .unwrap();
    assert_eq!(db.list_checklist(t.id).await.unwrap().len(), 2);
    assert_eq!(audit_count(db, "task", t.id).await, 7);
}

pub async fn labels_are_unique_without_case_and_come_off_tasks(db: &Db) {
    let w = world(db).await;
    let label = |name: &str, colour| Label {
        id: Uuid::now_v7(),
        name: name.into(),
        colour,
        version: 1,
    };
    let a = |id: Uuid| f::audit(Some(&w.pm), "create", "label", id, "label");
    let urgent = label("Urgent", LabelColour::Red);
    db.insert_label(&urgent, now(), &a(urgent.id))
        .await
        .unwrap();
    let dup = label("URGENT", LabelColour::Blue);
    match db.insert_label(&dup, now(), &a(dup.id)).await {
        Err(AppError::Conflict { code, fields, .. }) => {
            assert_eq!(code, "duplicate");
            assert!(fields.0.iter().any(|e| e.field == "name"));
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    let site = label("Site", LabelColour::Green);
    db.insert_label(&site, now(), &a(site.id)).await.unwrap();
    assert_eq!(
        db.list_labels()
            .await
            .unwrap()
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>(),
        ["Site", "Urgent"]
    );

    let t = f::task(&w.p1, "Order veneer", TaskStatus::Pending, 0, None);
    db.insert_task(&t, &a(t.id), &[]).await.unwrap();
    let saved = db
        .set_task_labels(t.id, 1, &[urgent.id, site.id], now(), w.pm.id, &a(t.id))
        .await
        .unwrap();
    assert_eq!(saved.version, 2, "setting labels is a change of the task");
    assert_eq!(
        saved
            .labels
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>(),
        ["Site", "Urgent"]
    );
    assert!(matches!(
        db.set_task_labels(t.id, 1, &[], now(), w.pm.id, &a(t.id))
            .await,
        Err(AppError::Stale { .. })
    ));
    // Filter by label.
    let by_label = TaskQuery {
        label_id: Some(urgent.id),
        paging: paging(50, 1),
        ..Default::default()
    };
    assert_eq!(
        db.list_tasks(&by_label, ProjectScope::All)
            .await
            .unwrap()
            .total,
        1
    );

    // Renamed, then deleted: it comes off the task.
    let renamed = db
        .update_label(
            &Label {
                name: "Rush".into(),
                ..urgent.clone()
            },
            1,
            now(),
            &a(urgent.id),
        )
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.version), ("Rush", 2));
    db.delete_label(urgent.id, 2, &a(urgent.id)).await.unwrap();
    let got = db.get_task(t.id).await.unwrap().unwrap();
    assert_eq!(
        got.labels
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>(),
        ["Site"]
    );
}

pub async fn subtasks_are_counted_and_listed_under_their_parent(db: &Db) {
    let w = world(db).await;
    let a = |id: Uuid| f::audit(Some(&w.pm), "create", "task", id, "task");
    let parent = f::task(&w.p1, "Kitchen", TaskStatus::Pending, 0, None);
    db.insert_task(&parent, &a(parent.id), &[]).await.unwrap();
    for title in ["Base units", "Worktop"] {
        let mut sub = f::task(&w.p1, title, TaskStatus::Pending, 0, None);
        sub.parent_id = Some(parent.id);
        db.insert_task(&sub, &a(sub.id), &[]).await.unwrap();
    }
    assert_eq!(db.count_subtasks(parent.id).await.unwrap(), 2);
    let got = db.get_task(parent.id).await.unwrap().unwrap();
    assert_eq!(got.subtask_count, 2);
    let subs = TaskQuery {
        parent_id: Some(parent.id),
        paging: paging(50, 1),
        ..Default::default()
    };
    let page = db.list_tasks(&subs, ProjectScope::All).await.unwrap();
    assert_eq!(page.total, 2);
    assert!(page.items.iter().all(|t| t.parent_id == Some(parent.id)));
    // Deleting the parent deletes its subtasks.
    db.delete_task(parent.id, 1, &a(parent.id)).await.unwrap();
    assert_eq!(
        db.list_tasks(&subs, ProjectScope::All).await.unwrap().total,
        0
    );
}

pub async fn bulk_edits_save_all_or_nothing(db: &Db) {
    let w = world(db).await;
    let a = |id: Uuid| f::audit(Some(&w.pm), "update", "task", id, "task");
    let label = Label {
        id: Uuid::now_v7(),
        name: "Snag".into(),
        colour: LabelColour::Amber,
        version: 1,
    };
    db.insert_label(&label, now(), &a(label.id)).await.unwrap();
    let mut tasks = Vec::new();
    for title in ["One", "Two", "Three"] {
        let t = f::task(&w.p1, title, TaskStatus::Pending, 0, None);
        db.insert_task(&t, &a(t.id), &[]).await.unwrap();
        tasks.push(t);
    }
    let bulk = |versions: [i64; 3]| -> Vec<BulkTask> {
        tasks
            .iter()
            .zip(versions)
            .map(|(t, v)| BulkTask {
                task: formula_domain::task::Task {
                    status: TaskStatus::InProgress,
                    ..t.clone()
                },
                expected_version: v,
                audit: a(t.id),
            })
            .collect()
    };
    // The last is stale: nothing is saved, and the error names it.
    match db
        .bulk_update_tasks(&bulk([1, 1, 9]), &[label.id], &[])
        .await
    {
        Err(AppError::Conflict { code, message, .. }) => {
            assert_eq!(code, "stale");
            assert!(message.contains("Three"), "{message}");
        }
        other => panic!("expected a stale conflict, got {other:?}"),
    }
    for t in &tasks {
        let got = db.get_task(t.id).await.unwrap().unwrap();
        assert_eq!((got.status, got.version), (TaskStatus::Pending, 1));
        assert!(got.labels.is_empty());
    }
    db.bulk_update_tasks(&bulk([1, 1, 1]), &[label.id], &[])
        .await
        .unwrap();
    for t in &tasks {
        let got = db.get_task(t.id).await.unwrap().unwrap();
        assert_eq!((got.status, got.version), (TaskStatus::InProgress, 2));
        assert_eq!(got.labels.len(), 1);
        assert_eq!(audit_count(db, "task", t.id).await, 2, "one entry per task");
    }
    // Taking a label off.
    db.bulk_update_tasks(&bulk([2, 2, 2]), &[], &[label.id])
        .await
        .unwrap();
    assert!(
        db.get_task(tasks[0].id)
            .await
            .unwrap()
            .unwrap()
            .labels
            .is_empty()
    );
}

both_backends! {
    checklists_keep_order_ticks_and_versions,
    labels_are_unique_without_case_and_come_off_tasks,
    subtasks_are_counted_and_listed_under_their_parent,
    bulk_edits_save_all_or_nothing,
}
