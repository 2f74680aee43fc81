//! What the store keeps as a record: the audit trail and the mail outbox.

use formula_app::ports::OutboxMail;
use formula_app::query::AuditQuery;
use formula_app::repos::prelude::*;
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{now, paging};
use crate::world::world;

pub async fn audit_trail_is_filtered_and_newest_first(db: &Db) {
    let w = world(db).await;
    let all = db.list_audit(&AuditQuery::default()).await.unwrap();
    // 2 users, 2 clients, 3 projects, 1 team change.
    assert_eq!(all.total, 8);
    assert_eq!(all.items[0].action, "add_member", "newest first");
    assert!(all.items.windows(2).all(|w| w[0].at >= w[1].at));
    let first = &all.items[all.items.len() - 1];
    assert_eq!(
        (first.actor_id, first.actor_name.as_deref()),
        (None, Some("system"))
    );
    assert_eq!(first.request_id.as_deref(), Some("req-1"));
    assert_eq!(first.changes.len(), 1);
    assert_eq!(first.changes[0].new, serde_json::json!("pm@example.com"));

    let by_pm = db
        .list_audit(&AuditQuery {
            actor_id: Some(w.pm.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_pm.total, 6);
    let creates = AuditQuery {
        action: Some("create".into()),
        entity_type: Some("project".into()),
        ..Default::default()
    };
    assert_eq!(db.list_audit(&creates).await.unwrap().total, 3);
    let one = AuditQuery {
        entity_type: Some("project".into()),
        entity_id: Some(w.p1.id),
        ..Default::default()
    };
    assert_eq!(db.list_audit(&one).await.unwrap().total, 2);
    let paged = db
        .list_audit(&AuditQuery {
            paging: paging(3, 3),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((paged.total, paged.items.len()), (8, 2));
    assert_eq!(paged.items[1].id, first.id);
}

pub async fn audit_filters_by_any_of_several_actions_and_names_ids(db: &Db) {
    let w = world(db).await;
    let either = AuditQuery {
        actions: vec!["create".into(), "add_member".into()],
        ..Default::default()
    };
    let found = db.list_audit(&either).await.unwrap();
    assert_eq!(found.total, 8);
    let only = AuditQuery {
        actions: vec!["add_member".into()],
        ..Default::default()
    };
    assert_eq!(db.list_audit(&only).await.unwrap().total, 1);

    // Users, clients and projects are named; an unknown id is left out.
    let unknown = Uuid::now_v7();
    let mut names = db
        .names_of(&[w.pm.id, w.acme.id, w.p1.id, unknown])
        .await
        .unwrap();
    names.sort();
    let mut want = vec![
        (w.pm.id, "Pia Manager".to_owned()),
        (w.acme.id, "Acme Hotels".to_owned()),
        (w.p1.id, "WSC-25-001 Lobby joinery".to_owned()),
    ];
    want.sort();
    assert_eq!(names, want);
    assert!(db.names_of(&[]).await.unwrap().is_empty());
}

pub async fn mail_outbox_keeps_newest_first(db: &Db) {
    for (i, subject) in ["one", "two", "three"].iter().enumerate() {
        let mail = OutboxMail {
            id: Uuid::now_v7(),
            to_address: "a@example.com".into(),
            subject: (*subject).into(),
            body: "Hello".into(),
            status: "logged".into(),
            created_at: now() + time::Duration::seconds(i as i64),
            attachments: Vec::new(),
        };
        db.insert_mail(&mail).await.unwrap();
    }
    let mails = db.list_mail(2).await.unwrap();
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["three", "two"]);
}

both_backends! {
    audit_trail_is_filtered_and_newest_first,
    audit_filters_by_any_of_several_actions_and_names_ids,
    mail_outbox_keeps_newest_first,
}
