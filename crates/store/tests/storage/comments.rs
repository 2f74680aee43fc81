//! Comments, their earlier wordings and mentions, followers, and the codes a comment names.

use formula_app::repos::RecordKey;
use formula_app::repos::prelude::*;
use formula_domain::comment::{Comment, RecordKind, Visibility};
use formula_domain::task::TaskStatus;
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_stale};
use crate::world::{add_user, audit_count, world};

fn comment(
    key: RecordKey,
    author: &formula_domain::user::User,
    body: &str,
    v: Visibility,
) -> Comment {
    Comment {
        id: Uuid::now_v7(),
        record_kind: key.kind,
        record_id: key.id,
        project_id: key.project_id,
        author_id: Some(author.id),
        author_name: Some(author.name.clone()),
        visibility: v,
        body: body.into(),
        created_at: f::now(),
        edited_at: None,
        deleted_at: None,
        version: 1,
    }
}

pub async fn comments_on_records(db: &Db) {
    let w = world(db).await;
    let by = |id: Uuid| f::audit(Some(&w.pm), "comment", "task", id, "t");
    let task = f::task(&w.p1, "Site survey", TaskStatus::Pending, 0, None);
    db.insert_task(&task, &by(task.id), &[]).await.unwrap();
    let on_task = RecordKey {
        kind: RecordKind::Task,
        id: task.id,
        project_id: w.p1.id,
    };
    let on_project = RecordKey {
        kind: RecordKind::Project,
        id: w.p1.id,
        project_id: w.p1.id,
    };

    let internal = comment(on_task, &w.pm, "Check the soffit @dd", Visibility::Internal);
    let shared = comment(on_task, &w.designer, "Survey booked", Visibility::Client);
    db.insert_comment(
        on_task,
        &internal,
        &[w.designer.id],
        &[w.pm.id, w.designer.id],
        &by(task.id),
    )
    .await
    .unwrap();
    db.insert_comment(on_task, &shared, &[], &[w.designer.id], &by(task.id))
        .await
        .unwrap();
    let on_p = comment(on_project, &w.pm, "Kick-off on Monday", Visibility::Client);
    db.insert_comment(on_project, &on_p, &[], &[], &by(w.p1.id))
        .await
        .unwrap();

    // Oldest first; a client's reading leaves out internal ones in the query.
    let all = db.list_comments(task.id, false).await.unwrap();
    assert_eq!(all, vec![internal.clone(), shared.clone()]);
    assert_eq!(
        db.list_comments(task.id, true).await.unwrap(),
        vec![shared.clone()]
    );
    assert_eq!(
        db.list_comments(w.p1.id, false).await.unwrap(),
        vec![on_p.clone()]
    );
    assert_eq!(audit_count(db, "task", task.id).await, 3);

    // Followers: the author and the mentioned designer; an unfollow is remembered.
    assert_eq!(db.followers(task.id).await.unwrap().len(), 2);
    db.set_following(on_task, w.designer.id, false, f::now())
        .await
        .unwrap();
    assert!(!db.is_following(task.id, w.designer.id).await.unwrap());
    db.auto_follow(on_task, &[w.designer.id], f::now())
        .await
        .unwrap();
    assert!(
        !db.is_following(task.id, w.designer.id).await.unwrap(),
        "being involved again does not override an unfollow"
    );
    db.set_following(on_task, w.designer.id, true, f::now())
        .await
        .unwrap();
    assert!(db.is_following(task.id, w.designer.id).await.unwrap());
    // Following creates the thread of a record nobody discussed yet.
    let d = f::drawing(&w.p1, "SD-101", vec![]);
    db.insert_drawing(&d, &by(d.id)).await.unwrap();
    let on_drawing = RecordKey {
        kind: RecordKind::Drawing,
        id: d.id,
        project_id: w.p1.id,
    };
    db.auto_follow(on_drawing, &[w.pm.id], f::now())
        .await
        .unwrap();
    assert_eq!(db.followers(d.id).await.unwrap(), vec![w.pm.id]);

    // Editing keeps the earlier wording, compare-and-set on the version.
    let mut edited = internal.clone();
    edited.body = "Check the soffit and the bulkhead".into();
    edited.edited_at = Some(f::now());
    let saved = db
        .edit_comment(&edited, 1, &[], &[], &by(task.id))
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.body, edited.body);
    assert!(saved.edited_at.is_some());
    let history = db.comment_edits(internal.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].body, "Check the soffit @dd");
    assert_eq!(history[0].edited_by_name.as_deref(), Some("Pia Manager"));
    let (current, _) = assert_stale(
        db.edit_comment(&edited, 1, &[], &[], &by(task.id))
            .await
            .unwrap_err(),
    );
    assert_eq!(current, 2);
    assert_eq!(
        db.comment_edits(internal.id).await.unwrap().len(),
        1,
        "a refused edit keeps nothing"
    );

    // Deleting is soft and once.
    let gone = db
        .delete_comment(shared.id, 1, w.pm.id, f::now(), &by(task.id))
        .await
        .unwrap();
    assert!(gone.deleted_at.is_some());
    assert_eq!(db.list_comments(task.id, false).await.unwrap().len(), 2);
    assert!(matches!(
        db.delete_comment(shared.id, 2, w.pm.id, f::now(), &by(task.id))
            .await
            .unwrap_err(),
        formula_app::AppError::NotFound(_)
    ));

    // Deleting the record deletes its discussion and followers.
    let task_now = db.get_task(task.id).await.unwrap().unwrap();
    db.delete_task(task.id, task_now.version, &by(task.id))
        .await
        .unwrap();
    assert!(db.get_comment(internal.id).await.unwrap().is_none());
    assert!(db.followers(task.id).await.unwrap().is_empty());
    assert_eq!(db.list_comments(w.p1.id, false).await.unwrap().len(), 1);
}

pub async fn references_and_people(db: &Db) {
    let w = world(db).await;
    let by = |id: Uuid| f::audit(Some(&w.pm), "create", "drawing", id, "d");
    let d = f::drawing(&w.p1, "SD-101", vec![]);
    db.insert_drawing(&d, &by(d.id)).await.unwrap();
    let other_project = f::drawing(&w.p2, "SD-102", vec![]);
    db.insert_drawing(&other_project, &by(other_project.id))
        .await
        .unwrap();
    let s = f::spec(&w.p1, "MS-01");
    db.insert_spec(&s, &by(s.id)).await.unwrap();
    let group = f::scope_group(&w.p1, "MILLWORK", "M", 0);
    let item = f::scope_item(&group, "WSC-M-001", 2, Some(150_000), 0);
    db.save_scope(&[group], std::slice::from_ref(&item), &[], &[by(item.id)])
        .await
        .unwrap();

    let codes: Vec<String> = ["SD-101", "SD-102", "MS-01", "WSC-M-001", "XX-1"]
        .into_iter()
        .map(String::from)
        .collect();
    let mut found = db.find_references(w.p1.id, &codes).await.unwrap();
    found.sort_by(|a, b| a.code.cmp(&b.code));
    let found: Vec<(&str, RecordKind, Uuid)> = found
        .iter()
        .map(|r| (r.code.as_str(), r.kind, r.id))
        .collect();
    assert_eq!(
        found,
        vec![
            ("MS-01", RecordKind::Spec, s.id),
            ("SD-101", RecordKind::Drawing, d.id),
            ("WSC-M-001", RecordKind::ScopeItem, item.id),
        ],
        "only the project's own codes"
    );
    assert!(db.find_references(w.p1.id, &[]).await.unwrap().is_empty());

    // The people who may see a project: its team, administrators and executives, and its
    // client's users; not other clients' users, not other teams, not disabled accounts.
    let admin = add_user(
        db,
        "boss@example.com",
        "Ada Admin",
        formula_domain::user::Role::Admin,
    )
    .await;
    let outsider = add_user(
        db,
        "x@example.com",
        "Xavier Other",
        formula_domain::user::Role::Designer,
    )
    .await;
    let mut client_user = f::user(
        "cl@acme.test",
        "Carla Client",
        formula_domain::user::Role::Client,
    );
    client_user.client_id = Some(w.acme.id);
    db.insert_user(
        &client_user,
        "hash",
        &f::audit(None, "create", "user", client_user.id, "c"),
    )
    .await
    .unwrap();
    let mut other_client = f::user(
        "ob@beta.test",
        "Otto Beta",
        formula_domain::user::Role::Client,
    );
    other_client.client_id = Some(w.beta.id);
    db.insert_user(
        &other_client,
        "hash",
        &f::audit(None, "create", "user", other_client.id, "c"),
    )
    .await
    .unwrap();
    let people = db.project_people(w.p1.id).await.unwrap();
    let names: Vec<(&str, bool)> = people
        .iter()
        .map(|p| (p.name.as_str(), p.membership.is_some()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Ada Admin", false),
            ("Carla Client", false),
            ("Dan Designer", true),
            ("Pia Manager", true),
        ]
    );
    let _ = (admin, outsider);
}

both_backends! {
    comments_on_records,
    references_and_people,
}
