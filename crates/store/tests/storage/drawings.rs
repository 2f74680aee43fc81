//! Drawings: revisions, reviews and links to scope items.

use formula_app::error::AppError;
use formula_app::repos::prelude::*;
use formula_domain::drawing::{Decision, Review, RevisionStatus};
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_duplicate, assert_stale, now};
use crate::world::world;

pub async fn drawings_keep_revisions_reviews_and_links(db: &Db) {
    let w = world(db).await;
    let g = f::scope_group(&w.p1, "Millwork", "M", 0);
    let item = f::scope_item(&g, "WSC-M-001", 1, None, 0);
    db.save_scope(
        std::slice::from_ref(&g),
        std::slice::from_ref(&item),
        &[],
        &[],
    )
    .await
    .unwrap();
    let by = |id: Uuid| f::audit(Some(&w.pm), "drawing", "drawing", id, "d");
    let d = f::drawing(&w.p1, "SD-101", vec![item.id]);
    db.insert_drawing(&d, &by(d.id)).await.unwrap();
    assert_duplicate(
        db.insert_drawing(&f::drawing(&w.p1, "sd-101", vec![]), &by(d.id))
            .await
            .unwrap_err(),
        "number",
    );
    let stored = db.get_drawing(d.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.scope_item_ids.clone(), stored.current.clone()),
        (vec![item.id], None)
    );

    // Revisions: the newest is current; a second upload of the same number loses the race.
    let a = f::revision(&d, 1);
    db.insert_revision(&a, &by(d.id)).await.unwrap();
    let race = f::revision(&d, 1);
    let err = db.insert_revision(&race, &by(d.id)).await.unwrap_err();
    assert!(
        matches!(
            err,
            AppError::Conflict {
                code: "revision_race",
                ..
            }
        ),
        "{err:?}"
    );
    let mut submitted = a.clone();
    submitted.status = RevisionStatus::Submitted;
    submitted.submitted_at = Some(now());
    let saved = db
        .set_revision_status(&submitted, 1, None, &by(d.id))
        .await
        .unwrap();
    assert_eq!(
        (saved.status, saved.version),
        (RevisionStatus::Submitted, 2)
    );
    assert_eq!(saved.file, a.file);

    // A decision with its review, compare-and-set: a second decision on the old version fails.
    let mut decided = saved.clone();
    decided.status = RevisionStatus::ReviseAndResubmit;
    decided.decided_at = Some(now());
    let review = Review {
        id: Uuid::now_v7(),
        revision_id: a.id,
        reviewer_id: Some(w.pm.id),
        reviewer_name: Some(w.pm.name.clone()),
        decision: Decision::ReviseAndResubmit,
        comments: Some("Add the plinth".into()),
        at: now(),
    };
    db.set_revision_status(&decided, 2, Some(&review), &by(d.id))
        .await
        .unwrap();
    let mut late = review.clone();
    late.id = Uuid::now_v7();
    assert_stale(
        db.set_revision_status(&decided, 2, Some(&late), &by(d.id))
            .await
            .unwrap_err(),
    );
    assert_eq!(db.list_reviews(d.id).await.unwrap(), vec![review]);

    let b = f::revision(&d, 2);
    db.insert_revision(&b, &by(d.id)).await.unwrap();
    let revs: Vec<String> = db
        .list_revisions(d.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.label)
        .collect();
    assert_eq!(revs, ["B", "A"]);
    let listed = db.list_drawings(w.p1.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    let current = listed[0].current.clone().unwrap();
    assert_eq!(
        (current.label.as_str(), current.status),
        ("B", RevisionStatus::Draft)
    );

    // Links are replaced as a whole, compare-and-set; deleting the item drops its link.
    let mut next = stored.clone();
    next.scope_item_ids = vec![];
    next.title = "Renamed".into();
    let saved = db.update_drawing(&next, 1, &by(d.id)).await.unwrap();
    assert_eq!(
        (
            saved.title.as_str(),
            saved.version,
            saved.scope_item_ids.len()
        ),
        ("Renamed", 2, 0)
    );
    assert_stale(db.update_drawing(&next, 1, &by(d.id)).await.unwrap_err());
    let mut relink = saved.clone();
    relink.scope_item_ids = vec![item.id];
    db.update_drawing(&relink, 2, &by(d.id)).await.unwrap();
    db.delete_scope_item(item.id, 1, &by(item.id))
        .await
        .unwrap();
    assert!(
        db.get_drawing(d.id)
            .await
            .unwrap()
            .unwrap()
            .scope_item_ids
            .is_empty()
    );
    assert!(db.list_drawings(w.p2.id).await.unwrap().is_empty());
}

both_backends! {
    drawings_keep_revisions_reviews_and_links,
}
