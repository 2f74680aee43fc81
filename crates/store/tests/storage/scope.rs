//! The scope of work: groups and items, their order, totals and versions, and
//! all-or-nothing saves.

use formula_app::RequestCtx;
use formula_app::accounts::actor_for;
use formula_app::context::Caller;
use formula_app::error::AppError;
use formula_app::query::ScopeQuery;
use formula_app::repos::prelude::*;
use formula_app::scope::NewScopeItem;
use formula_domain::scope::ScopeStatus;
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_duplicate, assert_stale, paging};
use crate::support::TestDb;
use crate::world::{audit_count, world};

pub async fn scope_groups_and_items_keep_order_totals_and_versions(db: &Db) {
    let w = world(db).await;
    let by = |what: &str, id: Uuid| f::audit(Some(&w.pm), what, "scope", id, "s");
    let millwork = f::scope_group(&w.p1, "Millwork", "M", 0);
    let electrical = f::scope_group(&w.p1, "Electrical", "E", 1);
    let inserted = db
        .insert_scope_groups(
            &[millwork.clone(), electrical.clone()],
            &[by("create", millwork.id)],
        )
        .await
        .unwrap();
    assert_eq!(inserted, 2);
    assert_eq!(audit_count(db, "scope", millwork.id).await, 1);
    // Inserting defaults again (a second first visit) adds nothing.
    let again = f::scope_group(&w.p1, "millwork", "Q", 5);
    assert_eq!(db.insert_scope_groups(&[again], &[]).await.unwrap(), 0);
    // Another project may use the same names.
    let other = f::scope_group(&w.p2, "Millwork", "M", 0);
    db.save_scope(std::slice::from_ref(&other), &[], &[], &[])
        .await
        .unwrap();
    // A duplicate name in a plain insert is a precise conflict.
    let dup = f::scope_group(&w.p1, "ELECTRICAL", "X", 3);
    assert_duplicate(
        db.save_scope(&[dup], &[], &[], &[]).await.unwrap_err(),
        "name",
    );

    // Items append to the end of their group, in insertion order.
    let a = f::scope_item(&millwork, "WSC-M-001", 2, Some(150_000), 50);
    let b = f::scope_item(&millwork, "WSC-M-002", 1, Some(100_000), 0);
    let c = f::scope_item(&electrical, "WSC-E-001", 10, None, 100);
    db.save_scope(
        &[],
        &[a.clone(), b.clone(), c.clone()],
        &[],
        &[by("create", a.id)],
    )
    .await
    .unwrap();
    let all = db
        .list_scope_items(&ScopeQuery::all(w.p1.id))
        .await
        .unwrap();
    let order: Vec<&str> = all.items.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(order, ["WSC-M-001", "WSC-M-002", "WSC-E-001"]);
    assert_eq!(all.items[1].position, 1);
    let stored = db.get_scope_item(a.id).await.unwrap().unwrap();
    assert_eq!(stored.quantity, a.quantity);
    assert_eq!(stored.total_minor, Some(300_000));
    assert_eq!(stored.group_name, "Millwork");
    assert!(stored.drawing_required && !stored.spec_required);
    assert_eq!(stored.currency, w.p1.currency);

    // Codes are unique per project, whatever their case.
    let clash = f::scope_item(&electrical, "wsc-m-001", 1, None, 0);
    assert_duplicate(
        db.save_scope(&[], &[clash], &[], &[]).await.unwrap_err(),
        "code",
    );
    let mut codes = db.scope_item_codes(w.p1.id).await.unwrap();
    codes.sort();
    assert_eq!(codes, ["WSC-E-001", "WSC-M-001", "WSC-M-002"]);

    // Filters and paging.
    let q = ScopeQuery {
        project_id: w.p1.id,
        group_id: Some(millwork.id),
        q: Some("m-002".into()),
        paging: paging(10, 1),
        ..Default::default()
    };
    let page = db.list_scope_items(&q).await.unwrap();
    assert_eq!((page.total, page.items.len()), (1, 1));

    // Project progress is weighted by item totals: (300,000×50 + 100,000×0) / 400,000 = 37.5 → 38;
    // the unpriced item weighs nothing while others are priced.
    let p = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!((p.scope_items, p.progress), (3, Some(38)));

    // Updates are compare-and-set; a stale one changes nothing.
    let mut next = stored.clone();
    next.progress = 100;
    next.status = ScopeStatus::Completed;
    db.save_scope(&[], &[], &[(next.clone(), 1)], &[by("update", a.id)])
        .await
        .unwrap();
    let err = db
        .save_scope(&[], &[], &[(next.clone(), 1)], &[by("update", a.id)])
        .await
        .unwrap_err();
    assert_stale(err);
    let saved = db.get_scope_item(a.id).await.unwrap().unwrap();
    assert_eq!((saved.version, saved.progress), (2, 100));
    let p = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!(p.progress, Some(75));

    // Repricing and cancelling move the roll-up with them: b at 300,000 weighs as much as
    // a, then b cancelled weighs nothing and is no longer counted; reinstated, it is again.
    let b_stored = db.get_scope_item(b.id).await.unwrap().unwrap();
    let mut repriced = b_stored.clone();
    repriced.unit_price_minor = Some(300_000);
    repriced.total_minor = Some(300_000);
    db.save_scope(&[], &[], &[(repriced.clone(), 1)], &[by("update", b.id)])
        .await
        .unwrap();
    let p = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!((p.scope_items, p.progress), (3, Some(50)));
    let mut cancelled = repriced.clone();
    cancelled.status = ScopeStatus::Cancelled;
    db.save_scope(&[], &[], &[(cancelled.clone(), 2)], &[by("update", b.id)])
        .await
        .unwrap();
    let p = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!((p.scope_items, p.progress), (2, Some(100)));
    let mut reinstated = cancelled.clone();
    reinstated.status = ScopeStatus::InProgress;
    db.save_scope(&[], &[], &[(reinstated, 3)], &[by("update", b.id)])
        .await
        .unwrap();
    let p = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!((p.scope_items, p.progress), (3, Some(50)));

    // Moving: to the front of another group, then back; positions stay dense.
    let moved = db
        .move_scope_item(b.id, 4, electrical.id, 0, &by("move", b.id))
        .await
        .unwrap();
    assert_eq!(
        (moved.group_id, moved.position, moved.version),
        (electrical.id, 0, 5)
    );
    let e: Vec<i64> = db
        .list_scope_items(&ScopeQuery {
            group_id: Some(electrical.id),
            ..ScopeQuery::all(w.p1.id)
        })
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| i.position)
        .collect();
    assert_eq!(e, [0, 1]);
    assert_stale(
        db.move_scope_item(b.id, 4, millwork.id, 0, &by("move", b.id))
            .await
            .unwrap_err(),
    );

    // Groups reorder; a group with items cannot be deleted, an empty one can.
    db.reorder_scope_groups(
        w.p1.id,
        &[electrical.id, millwork.id],
        &by("move", electrical.id),
    )
    .await
    .unwrap();
    let groups = db.list_scope_groups(w.p1.id).await.unwrap();
    assert_eq!(groups[0].id, electrical.id);
    let err = db
        .delete_scope_group(electrical.id, 1, &by("delete", electrical.id))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppError::Conflict {
                code: "has_dependents",
                ..
            }
        ),
        "{err:?}"
    );
    let mut renamed = groups[0].clone();
    renamed.name = "Electrical works".into();
    let renamed = db
        .update_scope_group(&renamed, 1, &by("update", electrical.id))
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.version),
        ("Electrical works", 2)
    );
    assert_stale(
        db.update_scope_group(&renamed, 1, &by("update", electrical.id))
            .await
            .unwrap_err(),
    );
    let empty = f::scope_group(&w.p1, "Spare", "S", 9);
    db.save_scope(std::slice::from_ref(&empty), &[], &[], &[])
        .await
        .unwrap();
    db.delete_scope_group(empty.id, 1, &by("delete", empty.id))
        .await
        .unwrap();
    assert!(db.get_scope_group(empty.id).await.unwrap().is_none());

    // Deleting an item is compare-and-set too; deleting the project removes its scope.
    assert_stale(
        db.delete_scope_item(c.id, 7, &by("delete", c.id))
            .await
            .unwrap_err(),
    );
    db.delete_scope_item(c.id, 1, &by("delete", c.id))
        .await
        .unwrap();
    assert!(db.get_scope_item(c.id).await.unwrap().is_none());
    let p2 = db.get_project(w.p2.id).await.unwrap().unwrap();
    db.delete_project(p2.id, p2.version, &by("delete", p2.id))
        .await
        .unwrap();
    assert!(db.get_scope_group(other.id).await.unwrap().is_none());
}

/// A failed save writes nothing: the group and item of a batch whose last change is stale
/// are rolled back with it.
pub async fn scope_saves_are_all_or_nothing(db: &Db) {
    let w = world(db).await;
    let g = f::scope_group(&w.p1, "Millwork", "M", 0);
    let a = f::scope_item(&g, "WSC-M-001", 1, Some(100), 0);
    db.save_scope(std::slice::from_ref(&g), std::slice::from_ref(&a), &[], &[])
        .await
        .unwrap();
    let extra_group = f::scope_group(&w.p1, "Joinery", "J", 1);
    let extra_item = f::scope_item(&g, "WSC-M-002", 1, None, 0);
    let mut stale = a.clone();
    stale.name = "Changed".into();
    let err = db
        .save_scope(
            std::slice::from_ref(&extra_group),
            std::slice::from_ref(&extra_item),
            &[(stale, 9)],
            &[],
        )
        .await
        .unwrap_err();
    assert_stale(err);
    assert!(db.get_scope_group(extra_group.id).await.unwrap().is_none());
    assert!(db.get_scope_item(extra_item.id).await.unwrap().is_none());
    assert_eq!(db.get_scope_item(a.id).await.unwrap().unwrap().name, a.name);
}

/// Items added at the same moment without a code each get a code of their own: a
/// generated code never fails as taken (only a code the user typed may).
pub async fn concurrent_items_without_codes_all_get_distinct_codes(t: &TestDb) {
    let w = world(t).await;
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    let services = t.services();
    let caller = Caller {
        actor: actor_for(&w.pm),
        ctx: RequestCtx::default(),
    };
    let mut adds = tokio::task::JoinSet::new();
    for n in 0..16 {
        let (services, caller, project) = (services.clone(), caller.clone(), w.p1.id);
        let input = NewScopeItem {
            group_id: group.id,
            name: format!("Item {n}"),
            ..NewScopeItem::default()
        };
        adds.spawn(async move { services.create_scope_item(&caller, project, input).await });
    }
    let mut codes = Vec::new();
    while let Some(added) = adds.join_next().await {
        match added.unwrap() {
            Ok(item) => codes.push(item.code),
            Err(e) => panic!("a generated code collided: {e:?}"),
        }
    }
    codes.sort();
    let expected: Vec<String> = (1..=16).map(|n| format!("WSC-25-001-M-{n:03}")).collect();
    assert_eq!(codes, expected);
    // A code the user typed may still be taken, and says so.
    let typed = NewScopeItem {
        group_id: group.id,
        code: Some("wsc-25-001-m-003".into()),
        name: "Typed".into(),
        ..NewScopeItem::default()
    };
    assert_duplicate(
        services
            .create_scope_item(&caller, w.p1.id, typed)
            .await
            .unwrap_err(),
        "code",
    );
}

/// The installation date (migration 0041) is stored, changed and cleared with the item, and
/// the projects with a released item installed before a day are found.
pub async fn installation_dates_are_kept_and_found(db: &Db) {
    let w = world(db).await;
    let by = |what: &str, id: Uuid| f::audit(Some(&w.pm), what, "scope", id, "s");
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    let mut dated = f::scope_item(&group, "WSC-M-101", 4, None, 0);
    let day = time::macros::date!(2026 - 03 - 13);
    dated.install_on = Some(day);
    let undated = f::scope_item(&group, "WSC-M-102", 1, None, 0);
    db.save_scope(
        std::slice::from_ref(&group),
        &[dated.clone(), undated.clone()],
        &[],
        &[by("create", dated.id)],
    )
    .await
    .unwrap();
    let stored = db.get_scope_item(dated.id).await.unwrap().unwrap();
    assert_eq!(stored.install_on, Some(day));
    let listed = db
        .list_scope_items(&ScopeQuery::all(w.p1.id))
        .await
        .unwrap();
    let dates: Vec<_> = listed.items.iter().map(|i| i.install_on).collect();
    assert_eq!(dates, [Some(day), None]);

    // Not released yet: not a candidate for the workshop's reminder.
    let after = time::macros::date!(2026 - 03 - 20);
    assert!(
        db.projects_installing_before(after)
            .await
            .unwrap()
            .is_empty()
    );
    let released = db
        .release_scope_item(dated.id, 1, None, &by("release", dated.id))
        .await
        .unwrap();
    assert_eq!(released.install_on, Some(day), "a release keeps it");
    assert_eq!(
        db.projects_installing_before(after).await.unwrap(),
        [w.p1.id]
    );
    assert!(
        db.projects_installing_before(day).await.unwrap().is_empty(),
        "before, not on"
    );

    // Changed, then cleared, compare-and-set like every field.
    let mut moved = released.clone();
    let later = time::macros::date!(2026 - 04 - 02);
    moved.install_on = Some(later);
    db.save_scope(
        &[],
        &[],
        &[(moved.clone(), released.version)],
        &[by("update", dated.id)],
    )
    .await
    .unwrap();
    let stored = db.get_scope_item(dated.id).await.unwrap().unwrap();
    assert_eq!(stored.install_on, Some(later));
    assert!(
        db.projects_installing_before(after)
            .await
            .unwrap()
            .is_empty()
    );
    let mut cleared = stored.clone();
    cleared.install_on = None;
    db.save_scope(
        &[],
        &[],
        &[(cleared, stored.version)],
        &[by("update", dated.id)],
    )
    .await
    .unwrap();
    assert_eq!(
        db.get_scope_item(dated.id)
            .await
            .unwrap()
            .unwrap()
            .install_on,
        None
    );
}

both_backends! {
    installation_dates_are_kept_and_found,
    scope_groups_and_items_keep_order_totals_and_versions,
    scope_saves_are_all_or_nothing,
    concurrent_items_without_codes_all_get_distinct_codes,
}
