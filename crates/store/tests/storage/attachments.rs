//! Attachments and the record of deleted files.

use formula_app::repos::prelude::*;
use formula_domain::task::TaskStatus;
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures as f;
use crate::world::world;

pub async fn attachments_and_deleted_files(db: &Db) {
    use formula_domain::attachment::OwnerKind;
    let w = world(db).await;
    let by = |id: Uuid| f::audit(Some(&w.pm), "attach", "task", id, "t");
    let task = f::task(&w.p1, "Site survey", TaskStatus::Pending, 0, None);
    db.insert_task(&task, &by(task.id), &[]).await.unwrap();
    let d = f::drawing(&w.p1, "SD-201", vec![]);
    db.insert_drawing(&d, &by(d.id)).await.unwrap();
    let rev = f::revision(&d, 1);
    db.insert_revision(&rev, &by(d.id)).await.unwrap();

    let mut photo = f::attachment(&w.p1, OwnerKind::Task, task.id, "wall.jpg");
    let mut notes = f::attachment(&w.p1, OwnerKind::Task, task.id, "notes.pdf");
    // The uploader's name is read from the user who recorded it.
    photo.uploaded_by_name = Some(w.pm.name.clone());
    notes.uploaded_by_name = Some(w.pm.name.clone());
    let on_drawing = f::attachment(&w.p1, OwnerKind::Drawing, d.id, "markup.pdf");
    let on_project = f::attachment(&w.p2, OwnerKind::Project, w.p2.id, "contract.pdf");
    for a in [&photo, &notes, &on_drawing, &on_project] {
        db.insert_attachment(a, &by(a.owner_id)).await.unwrap();
    }
    let listed = db.list_attachments(OwnerKind::Task, task.id).await.unwrap();
    assert_eq!(listed, vec![photo.clone(), notes.clone()]);
    assert!(
        db.list_attachments(OwnerKind::Drawing, task.id)
            .await
            .unwrap()
            .is_empty(),
        "the owner kind is part of the key"
    );
    assert_eq!(
        db.get_attachment(on_drawing.id)
            .await
            .unwrap()
            .map(|a| a.file),
        Some(on_drawing.file.clone())
    );
    assert!(db.deleted_files(100).await.unwrap().is_empty());

    // Removing one attachment notes its file for removal, once.
    assert!(db.delete_attachment(photo.id, &by(task.id)).await.unwrap());
    assert!(!db.delete_attachment(photo.id, &by(task.id)).await.unwrap());
    assert_eq!(
        db.deleted_files(100).await.unwrap(),
        vec![photo.blob_key.clone()]
    );

    // Deleting what files are attached to notes every file it held: the task's attachments,
    // the drawing's revisions and attachments, a whole project's files.
    db.delete_task(task.id, task.version, &by(task.id))
        .await
        .unwrap();
    assert!(db.get_attachment(notes.id).await.unwrap().is_none());
    let project_2 = db.get_project(w.p2.id).await.unwrap().unwrap();
    db.delete_project(w.p2.id, project_2.version, &by(w.p2.id))
        .await
        .unwrap();
    let project_1 = db.get_project(w.p1.id).await.unwrap().unwrap();
    db.delete_project(w.p1.id, project_1.version, &by(w.p1.id))
        .await
        .unwrap();
    let mut expected = vec![
        photo.blob_key.clone(),
        notes.blob_key.clone(),
        on_drawing.blob_key.clone(),
        on_project.blob_key.clone(),
        rev.blob_key.clone(),
    ];
    expected.sort();
    assert_eq!(db.deleted_files(100).await.unwrap(), expected);
    assert_eq!(db.deleted_files(2).await.unwrap(), expected[..2].to_vec());

    // Once removed from storage, the keys are forgotten.
    db.forget_deleted_files(&expected[..3]).await.unwrap();
    assert_eq!(db.deleted_files(100).await.unwrap(), expected[3..].to_vec());
}

/// A comment's files: listed for several comments at once, found again by name and content
/// (a retried upload), kept apart from the record's own attachments, and noted for removal
/// when the comment goes with its record.
pub async fn files_on_comments(db: &Db) {
    use formula_app::repos::RecordKey;
    use formula_domain::attachment::OwnerKind;
    use formula_domain::comment::{Comment, RecordKind, Visibility};
    let w = world(db).await;
    let by = |id: Uuid| f::audit(Some(&w.pm), "attach", "comment", id, "t");
    let task = f::task(&w.p1, "Site survey", TaskStatus::Pending, 0, None);
    db.insert_task(&task, &by(task.id), &[]).await.unwrap();
    let key = RecordKey {
        kind: RecordKind::Task,
        id: task.id,
        project_id: w.p1.id,
    };
    let comment = |body: &str| Comment {
        id: Uuid::now_v7(),
        record_kind: key.kind,
        record_id: key.id,
        project_id: key.project_id,
        author_id: Some(w.pm.id),
        author_name: Some(w.pm.name.clone()),
        visibility: Visibility::Internal,
        body: body.into(),
        created_at: f::now(),
        edited_at: None,
        deleted_at: None,
        version: 1,
    };
    let (first, second, bare) = (comment("One"), comment("Two"), comment("Three"));
    for c in [&first, &second, &bare] {
        db.insert_comment(key, c, &[], &[], &by(c.id))
            .await
            .unwrap();
    }
    let photo = f::attachment(&w.p1, OwnerKind::Comment, first.id, "wall.jpg");
    let mut plan = f::attachment(&w.p1, OwnerKind::Comment, second.id, "plan.pdf");
    plan.file.sha256 = "ab".repeat(32);
    let on_task = f::attachment(&w.p1, OwnerKind::Task, task.id, "wall.jpg");
    for a in [&photo, &plan, &on_task] {
        db.insert_attachment(a, &by(a.owner_id)).await.unwrap();
    }
    let names = |list: Vec<formula_domain::attachment::Attachment>| {
        list.into_iter().map(|a| a.id).collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            db.list_attachments_of(OwnerKind::Comment, &[first.id, second.id, bare.id])
                .await
                .unwrap()
        ),
        [photo.id, plan.id]
    );
    assert!(
        db.list_attachments_of(OwnerKind::Task, &[first.id])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        names(db.list_attachments(OwnerKind::Task, task.id).await.unwrap()),
        [on_task.id],
        "a comment's files are not the record's"
    );
    // The same name and content on the same comment is found again; anything else is not.
    let found = db
        .find_attachment(OwnerKind::Comment, first.id, "wall.jpg", &photo.file.sha256)
        .await
        .unwrap();
    assert_eq!(found.map(|a| a.id), Some(photo.id));
    for (owner, name, sha) in [
        (second.id, "wall.jpg", photo.file.sha256.as_str()),
        (first.id, "wall.png", photo.file.sha256.as_str()),
        (first.id, "wall.jpg", plan.file.sha256.as_str()),
    ] {
        assert!(
            db.find_attachment(OwnerKind::Comment, owner, name, sha)
                .await
                .unwrap()
                .is_none()
        );
    }

    // Deleting the task deletes its discussion, and with it the comments' files.
    db.delete_task(task.id, task.version, &by(task.id))
        .await
        .unwrap();
    for a in [&photo, &plan, &on_task] {
        assert!(db.get_attachment(a.id).await.unwrap().is_none());
    }
    let mut expected = vec![
        photo.blob_key.clone(),
        plan.blob_key.clone(),
        on_task.blob_key.clone(),
    ];
    expected.sort();
    assert_eq!(db.deleted_files(100).await.unwrap(), expected);
}

both_backends! {
    attachments_and_deleted_files,
    files_on_comments,
}
