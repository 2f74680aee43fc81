//! Calendar feed links: stored as hashes, found by hash with their owner, revoked (and
//! regenerated: the old link revoked and the new one stored in one transaction).

use formula_app::error::AppError;
use formula_app::repos::CalendarFeed;
use formula_app::repos::prelude::*;
use formula_domain::user::Role;
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, now};
use crate::world::{add_user, audit_count, world};

fn feed(user_id: Uuid, project: Option<&formula_domain::project::Project>) -> CalendarFeed {
    CalendarFeed {
        id: Uuid::now_v7(),
        user_id,
        project_id: project.map(|p| p.id),
        project_code: project.map(|p| p.code.clone()),
        project_name: project.map(|p| p.name.clone()),
        prefix: "fpc_abcdef".into(),
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    }
}

pub async fn feeds_are_stored_found_touched_and_revoked(db: &Db) {
    let w = world(db).await;
    let other = add_user(db, "cf-o@example.com", "Oz", Role::ProjectManager).await;
    let mine = feed(w.pm.id, None);
    let project = feed(w.pm.id, Some(&w.p1));
    for (fd, hash) in [(&mine, "hash-mine"), (&project, "hash-project")] {
        db.insert_feed(
            fd,
            hash,
            None,
            &f::audit(Some(&w.pm), "create", "calendar_feed", fd.id, "feed"),
        )
        .await
        .unwrap();
    }
    let listed = db.list_feeds(w.pm.id).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&mine) && listed.contains(&project));
    assert!(db.list_feeds(other.id).await.unwrap().is_empty());
    assert_eq!(
        db.get_feed(w.pm.id, project.id).await.unwrap(),
        Some(project.clone())
    );
    assert_eq!(db.get_feed(other.id, project.id).await.unwrap(), None);

    let (found, owner) = db.feed_by_hash("hash-project").await.unwrap().unwrap();
    assert_eq!((found, owner.id), (project.clone(), w.pm.id));
    assert!(db.feed_by_hash("nope").await.unwrap().is_none());

    let used = now() + time::Duration::minutes(3);
    db.touch_feed(mine.id, used).await.unwrap();
    assert_eq!(
        db.get_feed(w.pm.id, mine.id)
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(used)
    );

    let revoke = |by| f::audit(Some(by), "revoke", "calendar_feed", mine.id, "feed");
    assert!(
        !db.revoke_feed(other.id, mine.id, now(), &revoke(&other))
            .await
            .unwrap(),
        "only the owner's feed"
    );
    let at = now() + time::Duration::minutes(5);
    assert!(
        db.revoke_feed(w.pm.id, mine.id, at, &revoke(&w.pm))
            .await
            .unwrap()
    );
    assert!(
        !db.revoke_feed(w.pm.id, mine.id, at, &revoke(&w.pm))
            .await
            .unwrap(),
        "revoking twice changes nothing"
    );
    let (gone, _) = db.feed_by_hash("hash-mine").await.unwrap().unwrap();
    assert_eq!(gone.revoked_at, Some(at), "kept, marked revoked");
    assert_eq!(audit_count(db, "calendar_feed", mine.id).await, 2);
}

pub async fn regenerating_revokes_the_old_feed_in_the_same_transaction(db: &Db) {
    let w = world(db).await;
    let old = feed(w.pm.id, Some(&w.p2));
    db.insert_feed(
        &old,
        "hash-old",
        None,
        &f::audit(Some(&w.pm), "create", "calendar_feed", old.id, "feed"),
    )
    .await
    .unwrap();
    let mut new = feed(w.pm.id, Some(&w.p2));
    new.created_at = now() + time::Duration::minutes(1);
    let entry = f::audit(Some(&w.pm), "regenerate", "calendar_feed", new.id, "feed");
    db.insert_feed(&new, "hash-new", Some(old.id), &entry)
        .await
        .unwrap();
    let (o, _) = db.feed_by_hash("hash-old").await.unwrap().unwrap();
    assert_eq!(o.revoked_at, Some(new.created_at));
    let (n, _) = db.feed_by_hash("hash-new").await.unwrap().unwrap();
    assert_eq!(n.revoked_at, None);

    // Replacing a feed already revoked (or another user's) stores nothing.
    let third = feed(w.pm.id, Some(&w.p2));
    let err = db
        .insert_feed(&third, "hash-third", Some(old.id), &entry)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    let err = db
        .insert_feed(&third, "hash-third", Some(Uuid::now_v7()), &entry)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    assert!(db.feed_by_hash("hash-third").await.unwrap().is_none());

    // A hash is unique.
    let dup = feed(w.designer.id, None);
    let entry = f::audit(Some(&w.designer), "create", "calendar_feed", dup.id, "feed");
    assert!(
        db.insert_feed(&dup, "hash-new", None, &entry)
            .await
            .is_err(),
        "two feeds never share a token hash"
    );
}

both_backends! {
    feeds_are_stored_found_touched_and_revoked,
    regenerating_revokes_the_old_feed_in_the_same_transaction,
}
