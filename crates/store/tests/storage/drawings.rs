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

/// SD-101 with rev B approved: a draft rev C must not displace B. The register row carries
/// both, and what a client is shown (the latest revision past draft) stays B until C is
/// submitted.
pub async fn an_approved_revision_stays_in_effect_behind_a_newer_one(db: &Db) {
    let w = world(db).await;
    let by = |id: Uuid| f::audit(Some(&w.pm), "drawing", "drawing", id, "d");
    let d = f::drawing(&w.p1, "SD-101", vec![]);
    db.insert_drawing(&d, &by(d.id)).await.unwrap();
    let step = |r: &formula_domain::drawing::Revision, status, version| {
        let mut next = r.clone();
        next.status = status;
        next.submitted_at = Some(now());
        async move {
            db.set_revision_status(&next, version, None, &by(d.id))
                .await
                .unwrap()
        }
    };
    let a = f::revision(&d, 1);
    db.insert_revision(&a, &by(d.id)).await.unwrap();
    step(&a, RevisionStatus::Submitted, 1).await;
    step(&a, RevisionStatus::Rejected, 2).await;
    let b = f::revision(&d, 2);
    db.insert_revision(&b, &by(d.id)).await.unwrap();
    step(&b, RevisionStatus::Submitted, 1).await;
    step(&b, RevisionStatus::Approved, 2).await;
    let c = f::revision(&d, 3);
    db.insert_revision(&c, &by(d.id)).await.unwrap();

    let label = |s: &Option<formula_domain::drawing::RevisionSummary>| {
        s.as_ref().map(|s| (s.label.clone(), s.status))
    };
    let shown = |d: &formula_domain::drawing::Drawing| {
        (label(&d.current), label(&d.approved), label(&d.shared))
    };
    let rev = |l: &str, s| Some((l.to_owned(), s));
    let listed = db.list_drawings(w.p1.id).await.unwrap();
    let got = db.get_drawing(d.id).await.unwrap().unwrap();
    assert_eq!(listed, vec![got.clone()]);
    assert_eq!(
        shown(&got),
        (
            rev("C", RevisionStatus::Draft),
            rev("B", RevisionStatus::Approved),
            rev("B", RevisionStatus::Approved)
        )
    );
    assert_eq!(got.status_text(), "B approved · C draft");

    // C in review: shared with the client; B still approved.
    step(&c, RevisionStatus::Submitted, 1).await;
    let got = db.get_drawing(d.id).await.unwrap().unwrap();
    assert_eq!(
        shown(&got),
        (
            rev("C", RevisionStatus::Submitted),
            rev("B", RevisionStatus::Approved),
            rev("C", RevisionStatus::Submitted)
        )
    );
    // C approved as noted: the newest approval takes over, and the register shows one status.
    step(&c, RevisionStatus::ApprovedAsNoted, 2).await;
    let got = db.get_drawing(d.id).await.unwrap().unwrap();
    let c_noted = rev("C", RevisionStatus::ApprovedAsNoted);
    assert_eq!(shown(&got), (c_noted.clone(), c_noted.clone(), c_noted));
    assert_eq!(got.approved_and_newer(), None);

    // A drawing with nothing approved and only a draft: nothing approved, nothing shared.
    let e = f::drawing(&w.p1, "SD-102", vec![]);
    db.insert_drawing(&e, &by(e.id)).await.unwrap();
    db.insert_revision(&f::revision(&e, 1), &by(e.id))
        .await
        .unwrap();
    let got = db.get_drawing(e.id).await.unwrap().unwrap();
    assert_eq!(shown(&got), (rev("A", RevisionStatus::Draft), None, None));
}

both_backends! {
    drawings_keep_revisions_reviews_and_links,
    an_approved_revision_stays_in_effect_behind_a_newer_one,
}
