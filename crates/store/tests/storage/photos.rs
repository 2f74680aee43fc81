//! Photos (migration 0022): an image attachment's copies stored and read back, made late for
//! an older image once only, and noted for removal with the attachment; idempotency keys
//! claimed once, answered, refused or freed, and forgotten after their lifetime.

use formula_app::repos::prelude::*;
use formula_app::repos::{Claim, KeyUse};
use formula_domain::attachment::{Attachment, ImageCopies, OwnerKind};
use formula_domain::task::TaskStatus;
use formula_store::Db;
use time::Duration;
use uuid::Uuid;

use crate::fixtures as f;
use crate::world::world;

fn copies(a: &Attachment, w: u32, h: u32) -> ImageCopies {
    let (display_key, thumb_key) = Attachment::copy_keys_for(a.project_id, a.id, Uuid::now_v7());
    ImageCopies {
        width: w,
        height: h,
        display_key,
        thumb_key,
    }
}

pub async fn photo_copies_are_kept_and_removed_with_their_attachment(db: &Db) {
    let w = world(db).await;
    let by = |id: Uuid| f::audit(Some(&w.pm), "attach", "task", id, "t");
    let task = f::task(&w.p1, "Site survey", TaskStatus::Pending, 0, None);
    db.insert_task(&task, &by(task.id), &[]).await.unwrap();
    let mut photo = f::attachment(&w.p1, OwnerKind::Task, task.id, "wall.jpg");
    photo.file.mime = "image/jpeg".into();
    photo.uploaded_by_name = Some(w.pm.name.clone());
    photo.image = Some(copies(&photo, 1536, 2048));
    let mut older = f::attachment(&w.p1, OwnerKind::Task, task.id, "older.png");
    older.file.mime = "image/png".into();
    older.uploaded_by_name = Some(w.pm.name.clone());
    for a in [&photo, &older] {
        db.insert_attachment(a, &by(task.id)).await.unwrap();
    }
    assert_eq!(
        db.get_attachment(photo.id).await.unwrap(),
        Some(photo.clone())
    );
    assert_eq!(
        db.get_attachment(older.id).await.unwrap().unwrap().image,
        None
    );

    // Copies made late for an older image are recorded once: a second maker loses.
    let first = copies(&older, 40, 30);
    assert!(db.set_attachment_copies(older.id, &first).await.unwrap());
    assert!(
        !db.set_attachment_copies(older.id, &copies(&older, 40, 30))
            .await
            .unwrap()
    );
    let read = db.get_attachment(older.id).await.unwrap().unwrap();
    assert_eq!(read.image, Some(first.clone()));
    assert_eq!(
        db.list_attachments(OwnerKind::Task, task.id).await.unwrap()[1].image,
        Some(first.clone())
    );

    // Removing the attachment, or what it is on, notes the original and both copies.
    assert!(db.delete_attachment(photo.id, &by(task.id)).await.unwrap());
    db.delete_task(task.id, task.version, &by(task.id))
        .await
        .unwrap();
    let p = photo.image.as_ref().unwrap();
    let mut expected = vec![
        photo.blob_key.clone(),
        p.display_key.clone(),
        p.thumb_key.clone(),
        older.blob_key.clone(),
        first.display_key.clone(),
        first.thumb_key.clone(),
    ];
    expected.sort();
    assert_eq!(db.deleted_files(100).await.unwrap(), expected);
}

pub async fn idempotency_keys_are_claimed_once_and_expire(db: &Db) {
    let w = world(db).await;
    let now = f::now();
    let first = KeyUse {
        request_hash: "a".repeat(64),
        record_kind: "attachment".into(),
        record_id: None,
    };
    let claim = |user: Uuid, key: &'static str, at: time::OffsetDateTime| {
        let first = first.clone();
        async move {
            db.claim_idempotency_key(
                user,
                key,
                &first,
                at,
                at - Duration::hours(24),
                at - Duration::minutes(10),
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(claim(w.pm.id, "k1", now).await, Claim::Claimed);
    // While the first request runs, the key is taken without a record.
    assert_eq!(claim(w.pm.id, "k1", now).await, Claim::Taken(first.clone()));
    // Keys are per user.
    assert_eq!(claim(w.designer.id, "k1", now).await, Claim::Claimed);
    let made = Uuid::now_v7();
    db.finish_idempotency_key(w.pm.id, "k1", made)
        .await
        .unwrap();
    let taken = KeyUse {
        record_id: Some(made),
        ..first.clone()
    };
    assert_eq!(claim(w.pm.id, "k1", now).await, Claim::Taken(taken.clone()));
    // Releasing never frees a finished key; it frees a failed claim.
    db.release_idempotency_key(w.pm.id, "k1").await.unwrap();
    assert_eq!(claim(w.pm.id, "k1", now).await, Claim::Taken(taken.clone()));
    db.release_idempotency_key(w.designer.id, "k1")
        .await
        .unwrap();
    assert_eq!(claim(w.designer.id, "k1", now).await, Claim::Claimed);
    // A claim never finished is abandoned after ten minutes; a finished key lasts a day.
    let later = now + Duration::minutes(11);
    assert_eq!(claim(w.designer.id, "k1", later).await, Claim::Claimed);
    assert_eq!(claim(w.pm.id, "k1", later).await, Claim::Taken(taken));
    let next_day = now + Duration::hours(25);
    assert_eq!(claim(w.pm.id, "k1", next_day).await, Claim::Claimed);
    // The clean-up forgets what is older than the cut-off.
    assert_eq!(claim(w.pm.id, "k2", now).await, Claim::Claimed);
    assert_eq!(
        db.delete_expired_idempotency_keys(now + Duration::hours(24) + Duration::seconds(1))
            .await
            .unwrap(),
        2,
        "k2 and the other user's k1; k1 claimed again the next day stays"
    );
}

both_backends! {
    photo_copies_are_kept_and_removed_with_their_attachment,
    idempotency_keys_are_claimed_once_and_expire,
}
