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
    db.insert_task(&task, &by(task.id)).await.unwrap();
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

both_backends! {
    attachments_and_deleted_files,
}
