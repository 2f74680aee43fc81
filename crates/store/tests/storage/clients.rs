//! Clients and their contacts, and many writers at once.

use formula_app::error::AppError;
use formula_app::query::{AuditQuery, ClientQuery, ClientSort, Dir};
use formula_app::repos::prelude::*;
use formula_domain::authz::ClientScope;
use formula_domain::client::{ClientStatus, Contact};
use formula_domain::user::Role;
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_duplicate, assert_stale};
use crate::world::{add_user, audit_count};

pub async fn clients_crud_with_unique_names_and_dependents(db: &Db) {
    let pm = add_user(db, "pm@example.com", "Pia", Role::ProjectManager).await;
    let acme = f::client("Acme Hotels");
    db.insert_client(
        &acme,
        &f::audit(Some(&pm), "create", "client", acme.id, &acme.name),
    )
    .await
    .unwrap();
    assert_eq!(db.get_client(acme.id).await.unwrap(), Some(acme.clone()));

    let dup = f::client("ACME hotels");
    let err = db
        .insert_client(
            &dup,
            &f::audit(Some(&pm), "create", "client", dup.id, &dup.name),
        )
        .await
        .unwrap_err();
    assert_duplicate(err, "name");
    assert_eq!(audit_count(db, "client", dup.id).await, 0);

    let mut next = acme.clone();
    next.status = ClientStatus::Inactive;
    next.notes = Some("Pays late".into());
    let saved = db
        .update_client(
            &next,
            1,
            &f::audit(Some(&pm), "update", "client", acme.id, &acme.name),
        )
        .await
        .unwrap();
    assert_eq!(
        (saved.version, saved.status, saved.notes.as_deref()),
        (2, ClientStatus::Inactive, Some("Pays late"))
    );
    let err = db
        .update_client(
            &acme,
            1,
            &f::audit(Some(&pm), "update", "client", acme.id, "x"),
        )
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (2, None));

    let beta = f::client("Beta Developments");
    db.insert_client(
        &beta,
        &f::audit(Some(&pm), "create", "client", beta.id, &beta.name),
    )
    .await
    .unwrap();
    let mut rename = beta.clone();
    rename.name = "acme HOTELS".into();
    let err = db
        .update_client(
            &rename,
            1,
            &f::audit(Some(&pm), "update", "client", beta.id, "b"),
        )
        .await
        .unwrap_err();
    assert_duplicate(err, "name");

    // Contacts belong to the client.
    let contact = Contact {
        id: Uuid::now_v7(),
        client_id: acme.id,
        name: "Lina".into(),
        role: Some("Procurement".into()),
        email: Some("lina@acme.example".into()),
        phone: None,
    };
    db.insert_contact(
        &contact,
        &f::audit(Some(&pm), "add_contact", "client", acme.id, "Acme"),
    )
    .await
    .unwrap();
    assert_eq!(
        db.list_contacts(acme.id).await.unwrap(),
        vec![contact.clone()]
    );
    assert!(
        !db.delete_contact(
            beta.id,
            contact.id,
            &f::audit(Some(&pm), "x", "client", beta.id, "b")
        )
        .await
        .unwrap()
    );

    // Listing: search, status, scope, sort, derived project count.
    let p = f::project("WSC-25-001", "Lobby", &acme, &pm);
    db.insert_project(
        &p,
        &[],
        &[f::audit(Some(&pm), "create", "project", p.id, &p.code)],
    )
    .await
    .unwrap();
    let list = db
        .list_clients(&ClientQuery::default(), ClientScope::All)
        .await
        .unwrap();
    let names: Vec<(&str, i64)> = list
        .items
        .iter()
        .map(|c| (c.name.as_str(), c.project_count))
        .collect();
    assert_eq!(names, [("Acme Hotels", 1), ("Beta Developments", 0)]);
    let q = ClientQuery {
        q: Some("hotel GROUP".into()),
        ..Default::default()
    };
    assert_eq!(
        db.list_clients(&q, ClientScope::All).await.unwrap().total,
        2,
        "searches the type too"
    );
    let q = ClientQuery {
        status: Some(ClientStatus::Inactive),
        ..Default::default()
    };
    assert_eq!(
        db.list_clients(&q, ClientScope::All).await.unwrap().items[0].id,
        acme.id
    );
    let only = db
        .list_clients(&ClientQuery::default(), ClientScope::Only(beta.id))
        .await
        .unwrap();
    assert_eq!((only.total, only.items[0].id), (1, beta.id));
    assert_eq!(
        db.list_clients(&ClientQuery::default(), ClientScope::None)
            .await
            .unwrap()
            .total,
        0
    );
    let sorted = ClientQuery {
        sort: Some((ClientSort::Name, Dir::Desc)),
        ..Default::default()
    };
    assert_eq!(
        db.list_clients(&sorted, ClientScope::All)
            .await
            .unwrap()
            .items[0]
            .id,
        beta.id
    );
    assert_eq!(
        db.get_client(acme.id).await.unwrap().unwrap().project_count,
        1
    );

    // A client with a project (or users) cannot be deleted.
    let err = db
        .delete_client(
            acme.id,
            2,
            &f::audit(Some(&pm), "delete", "client", acme.id, "Acme"),
        )
        .await
        .unwrap_err();
    match err {
        AppError::Conflict {
            code: "has_dependents",
            message,
            ..
        } => assert!(message.contains("1 project"), "{message}"),
        other => panic!("expected has_dependents, got {other:?}"),
    }
    let mut client_user = f::user("cu@beta.example", "Cu", Role::Client);
    client_user.client_id = Some(beta.id);
    db.insert_user(
        &client_user,
        "h",
        &f::audit(None, "create", "user", client_user.id, "cu"),
    )
    .await
    .unwrap();
    let err = db
        .delete_client(
            beta.id,
            1,
            &f::audit(Some(&pm), "delete", "client", beta.id, "B"),
        )
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

    db.delete_project(
        p.id,
        1,
        &f::audit(Some(&pm), "delete", "project", p.id, &p.code),
    )
    .await
    .unwrap();
    let err = db
        .delete_client(
            acme.id,
            1,
            &f::audit(Some(&pm), "delete", "client", acme.id, "Acme"),
        )
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (2, None));
    db.delete_client(
        acme.id,
        2,
        &f::audit(Some(&pm), "delete", "client", acme.id, "Acme"),
    )
    .await
    .unwrap();
    assert_eq!(db.get_client(acme.id).await.unwrap(), None);
    assert!(
        db.list_contacts(acme.id).await.unwrap().is_empty(),
        "contacts go with their client"
    );
    let err = db
        .delete_client(
            acme.id,
            2,
            &f::audit(Some(&pm), "delete", "client", acme.id, "Acme"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    assert_eq!(
        audit_count(db, "client", acme.id).await,
        4,
        "create, update, add_contact, delete"
    );
}

pub async fn concurrent_writes_all_land(db: &Db) {
    let insert = |n: usize| async move {
        let c = f::client(&format!("Client {n:02}"));
        db.insert_client(&c, &f::audit(None, "create", "client", c.id, &c.name))
            .await
    };
    let results = tokio::join!(
        insert(1),
        insert(2),
        insert(3),
        insert(4),
        insert(5),
        insert(6),
        insert(7),
        insert(8)
    );
    for r in [
        results.0, results.1, results.2, results.3, results.4, results.5, results.6, results.7,
    ] {
        r.unwrap();
    }
    assert_eq!(
        db.list_clients(&ClientQuery::default(), ClientScope::All)
            .await
            .unwrap()
            .total,
        8
    );
    assert_eq!(
        db.list_audit(&AuditQuery::default()).await.unwrap().total,
        8
    );
}

/// A NUL cannot be stored by PostgreSQL; both backends refuse it alike, as the caller's
/// mistake (422), never as a busy or broken database.
pub async fn text_with_a_nul_is_refused_as_invalid_input(db: &Db) {
    let pm = add_user(db, "nul@example.com", "Nia", Role::ProjectManager).await;
    let bad = f::client("Acme\u{0}Hotels");
    let err = db
        .insert_client(
            &bad,
            &f::audit(Some(&pm), "create", "client", bad.id, "Acme"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)), "{err:?}");
    assert_eq!(db.get_client(bad.id).await.unwrap(), None);
    assert_eq!(audit_count(db, "client", bad.id).await, 0);

    let q = ClientQuery {
        q: Some("\u{0}".into()),
        ..Default::default()
    };
    let err = db.list_clients(&q, ClientScope::All).await.unwrap_err();
    assert!(matches!(err, AppError::Validation(_)), "{err:?}");

    // Tab, line feed and carriage return are ordinary text.
    let mut fine = f::client("Beta Developments");
    fine.notes = Some("line one\r\nline two\tend".into());
    db.insert_client(
        &fine,
        &f::audit(Some(&pm), "create", "client", fine.id, &fine.name),
    )
    .await
    .unwrap();
    assert_eq!(db.get_client(fine.id).await.unwrap(), Some(fine));
}

both_backends! {
    clients_crud_with_unique_names_and_dependents,
    concurrent_writes_all_land,
    text_with_a_nul_is_refused_as_invalid_input,
}
