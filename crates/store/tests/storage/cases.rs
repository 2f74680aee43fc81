//! The storage suite. Every case takes a freshly migrated `Db` and runs unchanged on
//! SQLite and on PostgreSQL.

use formula_app::error::AppError;
use formula_app::ports::{ApiToken, OutboxMail, ReviewSettings, SessionRecord};
use formula_app::query::{
    AuditQuery, ClientQuery, ClientSort, Dir, Paging, ProjectQuery, ProjectSort, ScopeQuery,
    TaskQuery, TaskSort, UserQuery, UserSort,
};
use formula_app::repos::prelude::*;
use formula_domain::authz::{ClientScope, ProjectScope};
use formula_domain::client::{ClientStatus, Contact};
use formula_domain::drawing::{Decision, Review, RevisionStatus};
use formula_domain::money::Money;
use formula_domain::project::{ProjectRole, ProjectStatus};
use formula_domain::scope::ScopeStatus;
use formula_domain::spec::{Procurement, Spec, SpecDecision, SpecReview, SpecStatus};
use formula_domain::task::TaskStatus;
use formula_domain::user::{Role, User, UserStatus};
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_duplicate, assert_stale, days, now, today};

fn paging(limit: u32, page: u64) -> Paging {
    Paging::new(Some(page), Some(limit)).unwrap()
}

async fn add_user(db: &Db, email: &str, name: &str, role: Role) -> User {
    let u = f::user(email, name, role);
    db.insert_user(
        &u,
        "argon2-hash",
        &f::audit(None, "create", "user", u.id, &u.email),
    )
    .await
    .unwrap();
    u
}

async fn audit_count(db: &Db, entity_type: &str, entity_id: Uuid) -> i64 {
    let q = AuditQuery {
        entity_type: Some(entity_type.into()),
        entity_id: Some(entity_id),
        ..Default::default()
    };
    db.list_audit(&q).await.unwrap().total
}

fn session(user: &User, hash: &str, expires_in: time::Duration) -> SessionRecord {
    let at = now();
    SessionRecord {
        id: Uuid::now_v7(),
        user_id: user.id,
        token_hash: hash.into(),
        created_at: at,
        last_seen_at: at,
        expires_at: at + expires_in,
        ip: Some("10.0.0.1".into()),
        user_agent: None,
    }
}

pub async fn migrations_are_idempotent(db: &Db) {
    db.migrate().await.expect("a second migrate is a no-op");
    db.ping().await.unwrap();
    assert_eq!(db.count_users().await.unwrap(), 0);
    assert_eq!(
        db.list_projects(&ProjectQuery::default(), ProjectScope::All)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        formula_app::repos::Database::backend(db),
        db.backend().as_str()
    );
}

pub async fn users_round_trip_and_emails_are_unique(db: &Db) {
    let ana = add_user(db, "ana@example.com", "Ana Admin", Role::Admin).await;
    assert_eq!(db.count_users().await.unwrap(), 1);
    assert_eq!(db.get_user(ana.id).await.unwrap(), Some(ana.clone()));
    assert_eq!(db.get_user(Uuid::now_v7()).await.unwrap(), None);

    let (found, hash) = db
        .user_credentials("ANA@Example.com")
        .await
        .unwrap()
        .expect("case-insensitive lookup");
    assert_eq!((found, hash.as_str()), (ana.clone(), "argon2-hash"));
    assert!(
        db.user_credentials("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );

    let dup = f::user("Ana@EXAMPLE.com", "Another Ana", Role::Designer);
    let err = db
        .insert_user(
            &dup,
            "h",
            &f::audit(None, "create", "user", dup.id, &dup.email),
        )
        .await
        .unwrap_err();
    assert_duplicate(err, "email");
    assert_eq!(db.get_user(dup.id).await.unwrap(), None);
    assert_eq!(
        audit_count(db, "user", dup.id).await,
        0,
        "a failed insert leaves no audit row"
    );
    assert_eq!(audit_count(db, "user", ana.id).await, 1);

    // Changing an email to one already taken is refused the same way.
    let bo = add_user(db, "bo@example.com", "Bo", Role::Designer).await;
    let mut next = bo.clone();
    next.email = "ana@example.com".into();
    let err = db
        .update_user(
            &next,
            1,
            &f::audit(Some(&ana), "update", "user", bo.id, "bo"),
        )
        .await
        .unwrap_err();
    assert_duplicate(err, "email");
    assert_eq!(db.get_user(bo.id).await.unwrap(), Some(bo));
}

pub async fn users_are_listed_with_filters_sort_and_paging(db: &Db) {
    add_user(db, "zed@example.com", "zed Zimmer", Role::Craftsman).await;
    add_user(db, "amy@example.com", "Amy Adams", Role::ProjectManager).await;
    let mo = add_user(db, "mo@example.com", "Mo Moss", Role::Designer).await;
    add_user(db, "bea@example.com", "Bea 50%_Off", Role::Admin).await;

    let all = db.list_users(&UserQuery::default()).await.unwrap();
    let names: Vec<&str> = all.items.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        names,
        ["Amy Adams", "Bea 50%_Off", "Mo Moss", "zed Zimmer"],
        "by name, case-insensitively"
    );
    assert_eq!(all.total, 4);

    let q = |s: &str| UserQuery {
        q: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(db.list_users(&q("MOSS")).await.unwrap().items[0].id, mo.id);
    assert_eq!(db.list_users(&q("mo@")).await.unwrap().total, 1);
    assert_eq!(
        db.list_users(&q("50%_")).await.unwrap().total,
        1,
        "wildcards are literal"
    );
    assert_eq!(db.list_users(&q("0%")).await.unwrap().total, 1);
    assert_eq!(db.list_users(&q("%")).await.unwrap().total, 1);
    assert_eq!(
        db.list_users(&q("   ")).await.unwrap().total,
        4,
        "a blank search is no filter"
    );

    let pms = db
        .list_users(&UserQuery {
            role: Some(Role::ProjectManager),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(pms.items.len(), 1);
    assert_eq!(pms.items[0].name, "Amy Adams");

    let mut disabled = mo.clone();
    disabled.status = UserStatus::Disabled;
    db.update_user(&disabled, 1, &f::audit(None, "update", "user", mo.id, "mo"))
        .await
        .unwrap();
    let active = db
        .list_users(&UserQuery {
            status: Some(UserStatus::Active),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(active.total, 3);

    let by_role = db
        .list_users(&UserQuery {
            sort: Some((UserSort::Role, Dir::Asc)),
            ..Default::default()
        })
        .await
        .unwrap();
    let roles: Vec<Role> = by_role.items.iter().map(|u| u.role).collect();
    assert_eq!(
        roles,
        [
            Role::Admin,
            Role::ProjectManager,
            Role::Designer,
            Role::Craftsman
        ]
    );
    let by_email = db
        .list_users(&UserQuery {
            sort: Some((UserSort::Email, Dir::Desc)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_email.items[0].email, "zed@example.com");

    let page2 = db
        .list_users(&UserQuery {
            paging: paging(3, 2),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (page2.total, page2.items.len(), page2.page, page2.pages()),
        (4, 1, 2, 2)
    );
    assert_eq!(page2.items[0].name, "zed Zimmer");
}

pub async fn user_updates_are_compare_and_set(db: &Db) {
    let admin = add_user(db, "admin@example.com", "Admin", Role::Admin).await;
    let u = add_user(db, "cy@example.com", "Cy", Role::Designer).await;
    let mut next = u.clone();
    next.name = "Cy Cole".into();
    next.skills = vec!["veneer".into()];
    next.updated_at = now();
    let saved = db
        .update_user(
            &next,
            1,
            &f::audit(Some(&admin), "update", "user", u.id, "cy"),
        )
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.name, "Cy Cole");
    assert_eq!(saved.skills, ["veneer"]);
    assert_eq!(saved.updated_at, next.updated_at);

    let mut late = u.clone();
    late.name = "Lost write".into();
    let err = db
        .update_user(
            &late,
            1,
            &f::audit(Some(&admin), "update", "user", u.id, "cy"),
        )
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (2, None));
    assert_eq!(
        db.get_user(u.id).await.unwrap().unwrap().name,
        "Cy Cole",
        "the stale write changed nothing"
    );
    assert_eq!(
        audit_count(db, "user", u.id).await,
        2,
        "create and one update; the stale write left no audit row"
    );

    let ghost = f::user("ghost@example.com", "Ghost", Role::Designer);
    let err = db
        .update_user(&ghost, 1, &f::audit(None, "update", "user", ghost.id, "g"))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
}

pub async fn sessions_are_stored_found_and_expired(db: &Db) {
    let u = add_user(db, "s@example.com", "Sam", Role::Designer).await;
    let live = session(&u, "hash-live", days(1));
    let old = session(&u, "hash-old", -days(1));
    db.insert_session(&live).await.unwrap();
    db.insert_session(&old).await.unwrap();

    let (found, user) = db.session_by_hash("hash-live").await.unwrap().unwrap();
    assert_eq!(found, live);
    assert_eq!(user, u);
    assert!(db.session_by_hash("nope").await.unwrap().is_none());

    let later = now() + time::Duration::minutes(5);
    db.touch_session(live.id, later).await.unwrap();
    assert_eq!(
        db.session_by_hash("hash-live")
            .await
            .unwrap()
            .unwrap()
            .0
            .last_seen_at,
        later
    );

    assert_eq!(db.delete_expired_sessions(now()).await.unwrap(), 1);
    assert!(db.session_by_hash("hash-old").await.unwrap().is_none());
    assert!(db.session_by_hash("hash-live").await.unwrap().is_some());

    db.delete_session(live.id).await.unwrap();
    assert!(db.session_by_hash("hash-live").await.unwrap().is_none());
    db.delete_session(live.id)
        .await
        .expect("deleting twice is harmless");
}

pub async fn active_sessions_are_counted_until_they_expire(db: &Db) {
    assert_eq!(db.count_active_sessions(now()).await.unwrap(), 0);
    let u = add_user(db, "count@example.com", "Cora", Role::Designer).await;
    let v = add_user(db, "count2@example.com", "Cyd", Role::Designer).await;
    db.insert_session(&session(&u, "count-a", days(1)))
        .await
        .unwrap();
    db.insert_session(&session(&v, "count-b", days(2)))
        .await
        .unwrap();
    db.insert_session(&session(&u, "count-old", -days(1)))
        .await
        .unwrap();
    assert_eq!(db.count_active_sessions(now()).await.unwrap(), 2);
    // Later on, only the two-day session is still live.
    let later = now() + days(1) + time::Duration::hours(1);
    assert_eq!(db.count_active_sessions(later).await.unwrap(), 1);
    let pool = db.pool_status();
    assert!(pool.max >= 1 && pool.idle <= pool.size, "{pool:?}");
}

pub async fn disabling_a_user_ends_their_sessions(db: &Db) {
    let admin = add_user(db, "admin@example.com", "Admin", Role::Admin).await;
    let u = add_user(db, "d@example.com", "Dee", Role::Craftsman).await;
    db.insert_session(&session(&u, "d-1", days(1)))
        .await
        .unwrap();
    db.insert_session(&session(&admin, "a-1", days(1)))
        .await
        .unwrap();
    let mut next = u.clone();
    next.name = "Dee Renamed".into();
    db.update_user(
        &next,
        1,
        &f::audit(Some(&admin), "update", "user", u.id, "d"),
    )
    .await
    .unwrap();
    assert!(
        db.session_by_hash("d-1").await.unwrap().is_some(),
        "other edits keep sessions"
    );
    next.status = UserStatus::Disabled;
    db.update_user(
        &next,
        2,
        &f::audit(Some(&admin), "update", "user", u.id, "d"),
    )
    .await
    .unwrap();
    assert!(db.session_by_hash("d-1").await.unwrap().is_none());
    assert!(db.session_by_hash("a-1").await.unwrap().is_some());
}

pub async fn set_password_keeps_only_the_current_session(db: &Db) {
    let u = add_user(db, "p@example.com", "Pat", Role::Designer).await;
    let here = session(&u, "p-here", days(1));
    db.insert_session(&here).await.unwrap();
    db.insert_session(&session(&u, "p-phone", days(1)))
        .await
        .unwrap();
    db.set_password(
        u.id,
        "new-hash",
        Some(here.id),
        &f::audit(Some(&u), "change_password", "user", u.id, "p"),
    )
    .await
    .unwrap();
    assert_eq!(
        db.user_credentials("p@example.com")
            .await
            .unwrap()
            .unwrap()
            .1,
        "new-hash"
    );
    assert!(db.session_by_hash("p-here").await.unwrap().is_some());
    assert!(db.session_by_hash("p-phone").await.unwrap().is_none());
    assert_eq!(
        db.get_user(u.id).await.unwrap().unwrap().version,
        1,
        "a password is not a profile edit"
    );

    db.set_password(
        u.id,
        "newer-hash",
        None,
        &f::audit(Some(&u), "change_password", "user", u.id, "p"),
    )
    .await
    .unwrap();
    assert!(db.session_by_hash("p-here").await.unwrap().is_none());
    assert_eq!(audit_count(db, "user", u.id).await, 3);

    let err = db
        .set_password(
            Uuid::now_v7(),
            "h",
            None,
            &f::audit(None, "x", "user", u.id, "p"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
}

pub async fn api_tokens_are_stored_found_and_revoked(db: &Db) {
    let u = add_user(db, "t@example.com", "Tia", Role::ProjectManager).await;
    let other = add_user(db, "o@example.com", "Oz", Role::ProjectManager).await;
    let token = ApiToken {
        id: Uuid::now_v7(),
        user_id: u.id,
        name: "CI".into(),
        prefix: "fpm_abcdef".into(),
        created_at: now(),
        expires_at: Some(now() + days(30)),
        last_used_at: None,
    };
    db.insert_token(
        &token,
        "tok-hash",
        &f::audit(Some(&u), "create", "api_token", token.id, "CI"),
    )
    .await
    .unwrap();
    assert_eq!(db.list_tokens(u.id).await.unwrap(), vec![token.clone()]);
    assert!(db.list_tokens(other.id).await.unwrap().is_empty());

    let (found, owner) = db.token_by_hash("tok-hash").await.unwrap().unwrap();
    assert_eq!((found, owner.id), (token.clone(), u.id));
    assert!(db.token_by_hash("other").await.unwrap().is_none());

    let used = now();
    db.touch_token(token.id, used).await.unwrap();
    assert_eq!(
        db.list_tokens(u.id).await.unwrap()[0].last_used_at,
        Some(used)
    );

    let revoke = |by: &User| f::audit(Some(by), "delete", "api_token", token.id, "CI");
    assert!(
        !db.delete_token(other.id, token.id, &revoke(&other))
            .await
            .unwrap(),
        "only the owner's token"
    );
    assert!(db.delete_token(u.id, token.id, &revoke(&u)).await.unwrap());
    assert!(!db.delete_token(u.id, token.id, &revoke(&u)).await.unwrap());
    assert!(db.token_by_hash("tok-hash").await.unwrap().is_none());
    assert_eq!(
        audit_count(db, "api_token", token.id).await,
        2,
        "create and the one real delete"
    );
}

fn reset_mail() -> formula_app::jobs::NewJob {
    formula_app::jobs::NewJob::email("r@example.com", "Reset", "Open the link")
}

pub async fn reset_tokens_work_once_and_expire(db: &Db) {
    let u = add_user(db, "r@example.com", "Rae", Role::Designer).await;
    db.insert_session(&session(&u, "r-1", days(1)))
        .await
        .unwrap();
    db.insert_reset(
        u.id,
        "reset-ok",
        now() + time::Duration::hours(1),
        &reset_mail(),
    )
    .await
    .unwrap();
    db.insert_reset(
        u.id,
        "reset-sibling",
        now() + time::Duration::hours(1),
        &reset_mail(),
    )
    .await
    .unwrap();
    db.insert_reset(
        u.id,
        "reset-expired",
        now() - time::Duration::seconds(1),
        &reset_mail(),
    )
    .await
    .unwrap();
    let entry = f::audit(None, "reset_password", "user", Uuid::nil(), "");

    assert_eq!(
        db.consume_reset("reset-expired", now(), "h1", &entry)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.consume_reset("unknown", now(), "h1", &entry)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.user_credentials("r@example.com")
            .await
            .unwrap()
            .unwrap()
            .1,
        "argon2-hash"
    );

    assert_eq!(
        db.consume_reset("reset-ok", now(), "h2", &entry)
            .await
            .unwrap(),
        Some(u.id)
    );
    assert_eq!(
        db.user_credentials("r@example.com")
            .await
            .unwrap()
            .unwrap()
            .1,
        "h2"
    );
    assert!(
        db.session_by_hash("r-1").await.unwrap().is_none(),
        "a reset ends every session"
    );
    assert_eq!(
        db.consume_reset("reset-ok", now(), "h3", &entry)
            .await
            .unwrap(),
        None,
        "used once only"
    );
    assert_eq!(
        db.consume_reset("reset-sibling", now(), "h3", &entry)
            .await
            .unwrap(),
        None,
        "other links retired"
    );
    assert_eq!(
        db.user_credentials("r@example.com")
            .await
            .unwrap()
            .unwrap()
            .1,
        "h2"
    );

    let trail = db
        .list_audit(&AuditQuery {
            action: Some("reset_password".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(trail.total, 1);
    assert_eq!(
        (
            trail.items[0].entity_id,
            trail.items[0].entity_label.as_str()
        ),
        (u.id, "r@example.com")
    );
}

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
    db.insert_project(&p, &f::audit(Some(&pm), "create", "project", p.id, &p.code))
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

/// Two clients, a manager, a designer and three projects, for the project and task cases.
struct World {
    acme: formula_domain::client::Client,
    beta: formula_domain::client::Client,
    pm: User,
    designer: User,
    p1: formula_domain::project::Project,
    p2: formula_domain::project::Project,
    p3: formula_domain::project::Project,
}

async fn world(db: &Db) -> World {
    let pm = add_user(db, "pm@example.com", "Pia Manager", Role::ProjectManager).await;
    let designer = add_user(db, "dd@example.com", "Dan Designer", Role::Designer).await;
    let acme = f::client("Acme Hotels");
    let beta = f::client("Beta Developments");
    for c in [&acme, &beta] {
        db.insert_client(c, &f::audit(Some(&pm), "create", "client", c.id, &c.name))
            .await
            .unwrap();
    }
    let p1 = f::project("WSC-25-001", "Lobby joinery", &acme, &pm);
    let mut p2 = f::project("WSC-25-002", "Ballroom panels", &acme, &pm);
    p2.end_date = None;
    p2.location = Some("Abu Dhabi".into());
    let mut p3 = f::project("WSC-25-010", "Apartments", &beta, &pm);
    p3.end_date = Some(f::today() + days(10));
    for p in [&p1, &p2, &p3] {
        db.insert_project(p, &f::audit(Some(&pm), "create", "project", p.id, &p.code))
            .await
            .unwrap();
    }
    db.upsert_member(
        p1.id,
        designer.id,
        ProjectRole::Designer,
        &f::audit(Some(&pm), "add_member", "project", p1.id, "p1"),
    )
    .await
    .unwrap();
    World {
        acme,
        beta,
        pm,
        designer,
        p1,
        p2,
        p3,
    }
}

fn codes(page: &formula_app::query::Page<formula_domain::project::Project>) -> Vec<&str> {
    page.items.iter().map(|p| p.code.as_str()).collect()
}

pub async fn projects_are_scoped_filtered_sorted_and_paged(db: &Db) {
    let w = world(db).await;
    assert_eq!(
        db.get_project(w.p1.id).await.unwrap(),
        Some(w.p1.clone()),
        "round trip incl. dates and money"
    );

    let list =
        |q: ProjectQuery, s: ProjectScope| async move { db.list_projects(&q, s).await.unwrap() };
    let all = list(ProjectQuery::default(), ProjectScope::All).await;
    assert_eq!(
        codes(&all),
        ["WSC-25-010", "WSC-25-002", "WSC-25-001"],
        "newest code first by default"
    );
    assert_eq!(
        codes(
            &list(
                ProjectQuery::default(),
                ProjectScope::MemberOf(w.designer.id)
            )
            .await
        ),
        ["WSC-25-001"]
    );
    assert_eq!(
        list(ProjectQuery::default(), ProjectScope::MemberOf(w.pm.id))
            .await
            .total,
        3,
        "the manager is a member"
    );
    assert_eq!(
        list(
            ProjectQuery::default(),
            ProjectScope::MemberOf(Uuid::now_v7())
        )
        .await
        .total,
        0
    );
    assert_eq!(
        codes(&list(ProjectQuery::default(), ProjectScope::OfClient(w.beta.id)).await),
        ["WSC-25-010"]
    );
    assert_eq!(
        list(ProjectQuery::default(), ProjectScope::OfClient(w.acme.id))
            .await
            .total,
        2
    );
    assert_eq!(
        list(ProjectQuery::default(), ProjectScope::None)
            .await
            .total,
        0
    );

    let q = |s: &str| ProjectQuery {
        q: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(
        list(q("beta DEV"), ProjectScope::All).await.total,
        1,
        "searches the client name"
    );
    assert_eq!(
        codes(&list(q("abu"), ProjectScope::All).await),
        ["WSC-25-002"],
        "and the location"
    );
    assert_eq!(
        codes(&list(q("25-00"), ProjectScope::All).await),
        ["WSC-25-002", "WSC-25-001"],
        "and the code"
    );
    assert_eq!(
        codes(&list(q("lobby"), ProjectScope::MemberOf(w.designer.id)).await),
        ["WSC-25-001"]
    );
    assert_eq!(
        list(q("ballroom"), ProjectScope::MemberOf(w.designer.id))
            .await
            .total,
        0,
        "search stays in scope"
    );

    let by_client = ProjectQuery {
        client_id: Some(w.beta.id),
        ..Default::default()
    };
    assert_eq!(
        codes(&list(by_client, ProjectScope::All).await),
        ["WSC-25-010"]
    );
    let by_manager = ProjectQuery {
        manager_id: Some(w.pm.id),
        ..Default::default()
    };
    assert_eq!(list(by_manager, ProjectScope::All).await.total, 3);
    let by_other = ProjectQuery {
        manager_id: Some(w.designer.id),
        ..Default::default()
    };
    assert_eq!(list(by_other, ProjectScope::All).await.total, 0);

    let mut active = w.p2.clone();
    active.status = ProjectStatus::Awarded;
    db.update_project(
        &active,
        1,
        &f::audit(Some(&w.pm), "status_change", "project", w.p2.id, "p2"),
    )
    .await
    .unwrap();
    let by_status = ProjectQuery {
        status: Some(ProjectStatus::Awarded),
        ..Default::default()
    };
    assert_eq!(
        codes(&list(by_status, ProjectScope::All).await),
        ["WSC-25-002"]
    );

    let sorted = |s: ProjectSort, d: Dir| ProjectQuery {
        sort: Some((s, d)),
        ..Default::default()
    };
    assert_eq!(
        codes(&list(sorted(ProjectSort::Name, Dir::Asc), ProjectScope::All).await),
        ["WSC-25-010", "WSC-25-002", "WSC-25-001"]
    );
    assert_eq!(
        codes(&list(sorted(ProjectSort::EndDate, Dir::Asc), ProjectScope::All).await),
        ["WSC-25-010", "WSC-25-001", "WSC-25-002"],
        "no end date sorts last"
    );
    assert_eq!(
        codes(&list(sorted(ProjectSort::EndDate, Dir::Desc), ProjectScope::All).await),
        ["WSC-25-001", "WSC-25-010", "WSC-25-002"],
        "…in both directions"
    );
    assert_eq!(
        codes(&list(sorted(ProjectSort::Status, Dir::Desc), ProjectScope::All).await)[0],
        "WSC-25-002",
        "awarded comes after on tender in the lifecycle"
    );
    assert_eq!(
        codes(&list(sorted(ProjectSort::CreatedAt, Dir::Asc), ProjectScope::All).await),
        ["WSC-25-001", "WSC-25-002", "WSC-25-010"]
    );

    let page = |n: u64| ProjectQuery {
        paging: paging(2, n),
        ..Default::default()
    };
    let first = list(page(1), ProjectScope::All).await;
    let second = list(page(2), ProjectScope::All).await;
    assert_eq!(
        (first.total, codes(&first)),
        (3, vec!["WSC-25-010", "WSC-25-002"])
    );
    assert_eq!((second.total, codes(&second)), (3, vec!["WSC-25-001"]));
    let scoped = db
        .list_projects(&page(1), ProjectScope::OfClient(w.acme.id))
        .await
        .unwrap();
    assert_eq!((scoped.total, scoped.pages()), (2, 1));

    assert_eq!(db.max_project_seq("WSC-25-").await.unwrap(), Some(10));
    assert_eq!(db.max_project_seq("WSC-26-").await.unwrap(), None);
    assert_eq!(
        db.max_project_seq("WSC-2_-").await.unwrap(),
        None,
        "the prefix is literal"
    );

    let dup = f::project("WSC-25-001", "Copy", &w.acme, &w.pm);
    let err = db
        .insert_project(
            &dup,
            &f::audit(Some(&w.pm), "create", "project", dup.id, "x"),
        )
        .await
        .unwrap_err();
    assert_duplicate(err, "code");
    assert_eq!(db.get_project(dup.id).await.unwrap(), None);

    let mut wrong_currency = f::project("WSC-25-020", "Mixed", &w.acme, &w.pm);
    wrong_currency.budget = Some(Money {
        amount_minor: 5,
        currency: "EUR".into(),
    });
    let err = db
        .insert_project(
            &wrong_currency,
            &f::audit(Some(&w.pm), "create", "project", wrong_currency.id, "x"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)), "{err:?}");
}

pub async fn project_access_and_teams(db: &Db) {
    let w = world(db).await;
    let access = db
        .project_access(w.p1.id, w.designer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (access.client_id, access.membership),
        (w.acme.id, Some(ProjectRole::Designer))
    );
    let access = db
        .project_access(w.p2.id, w.designer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.membership, None);
    assert_eq!(
        db.project_access(w.p1.id, w.pm.id)
            .await
            .unwrap()
            .unwrap()
            .membership,
        Some(ProjectRole::ProjectManager)
    );
    assert!(
        db.project_access(Uuid::now_v7(), w.pm.id)
            .await
            .unwrap()
            .is_none()
    );

    let team = db.list_members(w.p1.id).await.unwrap();
    let people: Vec<(&str, ProjectRole, Role)> = team
        .iter()
        .map(|m| (m.name.as_str(), m.project_role, m.user_role))
        .collect();
    assert_eq!(
        people,
        [
            (
                "Pia Manager",
                ProjectRole::ProjectManager,
                Role::ProjectManager
            ),
            ("Dan Designer", ProjectRole::Designer, Role::Designer)
        ]
    );
    assert_eq!(team[1].email, "dd@example.com");

    let entry = |a: &str| f::audit(Some(&w.pm), a, "project", w.p1.id, "p1");
    db.upsert_member(
        w.p1.id,
        w.designer.id,
        ProjectRole::Coordinator,
        &entry("add_member"),
    )
    .await
    .unwrap();
    assert_eq!(
        db.list_members(w.p1.id).await.unwrap()[1].project_role,
        ProjectRole::Coordinator,
        "upsert changes the role"
    );
    assert!(
        db.remove_member(w.p1.id, w.designer.id, &entry("remove_member"))
            .await
            .unwrap()
    );
    assert!(
        !db.remove_member(w.p1.id, w.designer.id, &entry("remove_member"))
            .await
            .unwrap()
    );
    assert_eq!(db.list_members(w.p1.id).await.unwrap().len(), 1);
    let q = AuditQuery {
        entity_id: Some(w.p1.id),
        action: Some("remove_member".into()),
        ..Default::default()
    };
    assert_eq!(
        db.list_audit(&q).await.unwrap().total,
        1,
        "only the real removal is audited"
    );

    // A new manager joins the team when the project changes hands.
    let nina = add_user(db, "nina@example.com", "Nina New", Role::ProjectManager).await;
    let mut handed = w.p1.clone();
    handed.manager_id = nina.id;
    let saved = db
        .update_project(&handed, 1, &entry("update"))
        .await
        .unwrap();
    assert_eq!(saved.manager_name, "Nina New");
    let team = db.list_members(w.p1.id).await.unwrap();
    assert!(
        team.iter()
            .any(|m| m.user_id == nina.id && m.project_role == ProjectRole::ProjectManager)
    );
    assert!(
        team.iter().any(|m| m.user_id == w.pm.id),
        "the previous manager stays until removed"
    );
}

pub async fn project_updates_are_compare_and_set(db: &Db) {
    let w = world(db).await;
    let mut next = w.p1.clone();
    next.name = "Lobby joinery, phase 2".into();
    next.budget = Some(Money {
        amount_minor: 99_00,
        currency: "USD".into(),
    });
    next.end_date = None;
    next.updated_at = now();
    let saved = db
        .update_project(
            &next,
            1,
            &f::audit(Some(&w.pm), "update", "project", w.p1.id, "p1"),
        )
        .await
        .unwrap();
    assert_eq!(
        saved,
        formula_domain::project::Project {
            version: 2,
            ..next.clone()
        }
    );

    // Someone still holding version 1 is refused, told who saved, and changes nothing.
    let mut late = w.p1.clone();
    late.name = "Overwritten".into();
    let err = db
        .update_project(
            &late,
            1,
            &f::audit(Some(&w.designer), "update", "project", w.p1.id, "p1"),
        )
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (2, Some("Pia Manager".into())));
    assert_eq!(db.get_project(w.p1.id).await.unwrap().unwrap(), saved);
    let trail = db
        .list_audit(&AuditQuery {
            entity_type: Some("project".into()),
            entity_id: Some(w.p1.id),
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = trail.items.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        ["update", "add_member", "create"],
        "newest first; the refused write left no row"
    );

    // The name of whoever saved last is derived from the audit actor.
    let mut by_designer = saved.clone();
    by_designer.priority = formula_domain::enums::Priority::Urgent;
    let saved = db
        .update_project(
            &by_designer,
            2,
            &f::audit(Some(&w.designer), "update", "project", w.p1.id, "p1"),
        )
        .await
        .unwrap();
    assert_eq!(saved.updated_by_name.as_deref(), Some("Dan Designer"));

    let err = db
        .delete_project(
            w.p1.id,
            2,
            &f::audit(Some(&w.pm), "delete", "project", w.p1.id, "p1"),
        )
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (3, Some("Dan Designer".into())));
    let ghost = f::project("WSC-99-001", "Ghost", &w.acme, &w.pm);
    let err = db
        .update_project(
            &ghost,
            1,
            &f::audit(Some(&w.pm), "update", "project", ghost.id, "g"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
}

pub async fn tasks_crud_and_derived_project_figures(db: &Db) {
    let w = world(db).await;
    let entry = |id: Uuid, by: &User| f::audit(Some(by), "create", "task", id, "task");
    let mut late = f::task(
        &w.p1,
        "Shop drawings",
        TaskStatus::InProgress,
        50,
        Some(today() - days(1)),
    );
    late.assignee_id = Some(w.designer.id);
    late.assignee_name = Some(w.designer.name.clone());
    late.updated_by_name = Some(w.pm.name.clone());
    let done = f::task(
        &w.p1,
        "Site survey",
        TaskStatus::Completed,
        100,
        Some(today() - days(5)),
    );
    let dropped = f::task(
        &w.p1,
        "Mock-up",
        TaskStatus::Cancelled,
        30,
        Some(today() - days(5)),
    );
    let open = f::task(&w.p1, "Veneer samples", TaskStatus::Pending, 0, None);
    for t in [&late, &done, &dropped, &open] {
        db.insert_task(t, &entry(t.id, &w.pm)).await.unwrap();
    }
    assert_eq!(
        db.get_task(late.id).await.unwrap(),
        Some(late.clone()),
        "round trip with derived names"
    );
    assert_eq!(db.get_task(Uuid::now_v7()).await.unwrap(), None);

    let p1 = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!(
        (p1.task_total, p1.task_completed, p1.task_overdue),
        (4, 1, 1)
    );
    assert_eq!(
        p1.progress, 50,
        "average of 50, 100 and 0; the cancelled task does not count"
    );
    let listed = db
        .list_projects(&ProjectQuery::default(), ProjectScope::All)
        .await
        .unwrap();
    let from_list = listed.items.iter().find(|p| p.id == w.p1.id).unwrap();
    assert_eq!(from_list, &p1, "the list derives the same figures");
    let p2 = listed.items.iter().find(|p| p.id == w.p2.id).unwrap();
    assert_eq!((p2.task_total, p2.progress), (0, 0));
    assert_eq!(db.list_members(w.p1.id).await.unwrap()[1].open_tasks, 1);

    // Update: compare-and-set, and the saver's name comes back.
    let mut next = late.clone();
    next.status = TaskStatus::Review;
    next.progress = 90;
    next.actual_hours = Some(3.25);
    let saved = db
        .update_task(&next, 1, &entry(late.id, &w.designer))
        .await
        .unwrap();
    assert_eq!(
        (saved.version, saved.progress, saved.actual_hours),
        (2, 90, Some(3.25))
    );
    assert_eq!(saved.updated_by_name.as_deref(), Some("Dan Designer"));
    let err = db
        .update_task(&late, 1, &entry(late.id, &w.pm))
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (2, Some("Dan Designer".into())));
    assert_eq!(
        db.get_task(late.id).await.unwrap().unwrap().status,
        TaskStatus::Review
    );
    assert_eq!(
        db.get_project(w.p1.id).await.unwrap().unwrap().progress,
        63,
        "(90 + 100 + 0) / 3, rounded"
    );

    let mut finished = saved.clone();
    finished.status = TaskStatus::Completed;
    finished.progress = 100;
    finished.completed_at = Some(now());
    let finished = db
        .update_task(&finished, 2, &entry(late.id, &w.designer))
        .await
        .unwrap();
    let p1 = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!(
        (p1.task_completed, p1.task_overdue),
        (2, 0),
        "a completed task is not overdue"
    );

    let err = db
        .delete_task(late.id, 2, &entry(late.id, &w.pm))
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (3, Some("Dan Designer".into())));
    db.delete_task(late.id, finished.version, &entry(late.id, &w.pm))
        .await
        .unwrap();
    assert_eq!(db.get_task(late.id).await.unwrap(), None);
    let err = db
        .delete_task(late.id, 3, &entry(late.id, &w.pm))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    assert_eq!(
        audit_count(db, "task", late.id).await,
        4,
        "create, two updates, delete"
    );

    // Deleting the project takes its tasks and team along.
    db.delete_project(
        w.p1.id,
        1,
        &f::audit(Some(&w.pm), "delete", "project", w.p1.id, "p1"),
    )
    .await
    .unwrap();
    assert_eq!(db.get_task(open.id).await.unwrap(), None);
    assert!(db.list_members(w.p1.id).await.unwrap().is_empty());
    assert_eq!(db.get_project(w.p1.id).await.unwrap(), None);
}

pub async fn overdue_counts_kept_as_of_another_day_are_recounted(t: &crate::support::TestDb) {
    let db = &t.db;
    let w = world(db).await;
    let entry = |id: Uuid| f::audit(Some(&w.pm), "create", "task", id, "task");
    let overdue = |title: &str| {
        f::task(
            &w.p1,
            title,
            TaskStatus::Pending,
            0,
            Some(today() - days(3)),
        )
    };
    let (a, b) = (overdue("A"), overdue("B"));
    for task in [&a, &b] {
        db.insert_task(task, &entry(task.id)).await.unwrap();
    }
    let count = || async { db.get_project(w.p1.id).await.unwrap().unwrap().task_overdue };
    assert_eq!(count().await, 2);

    // A roll-up left as of another day, with a wrong number: reads count instead.
    t.outside("UPDATE project_rollups SET task_overdue = 99, overdue_as_of = '2000-01-01'")
        .await;
    assert_eq!(
        count().await,
        2,
        "read counts when the roll-up is not as of today"
    );
    let listed = db
        .list_projects(&ProjectQuery::default(), ProjectScope::All)
        .await
        .unwrap();
    let p1 = listed.items.iter().find(|p| p.id == w.p1.id).unwrap();
    assert_eq!(p1.task_overdue, 2, "and so does the list");

    // The next write recounts as of today; later ones add and take away.
    let c = overdue("C");
    db.insert_task(&c, &entry(c.id)).await.unwrap();
    assert_eq!(count().await, 3);
    let kept = "SELECT task_overdue FROM project_rollups WHERE overdue_as_of IS NOT NULL \
                AND overdue_as_of <> '2000-01-01' AND task_overdue <> 99";
    assert_eq!(t.outside(kept).await, 3, "recounted as of today");
    let mut done = a.clone();
    done.status = TaskStatus::Completed;
    done.completed_at = Some(now());
    db.update_task(&done, 1, &entry(a.id)).await.unwrap();
    assert_eq!(count().await, 2, "completed");
    let mut later = b.clone();
    later.due_date = Some(today() + days(3));
    db.update_task(&later, 1, &entry(b.id)).await.unwrap();
    assert_eq!(count().await, 1, "due later");
    db.delete_task(c.id, 1, &entry(c.id)).await.unwrap();
    assert_eq!(count().await, 0, "deleted");
    assert_eq!(
        t.outside("SELECT COUNT(*) FROM project_rollups WHERE overdue_as_of <> '2000-01-01' AND task_overdue <> 0")
            .await,
        0,
        "the kept numbers followed"
    );
}

pub async fn tasks_are_listed_by_scope_assignee_and_status(db: &Db) {
    let w = world(db).await;
    let mk = |p: &formula_domain::project::Project,
              title: &str,
              status: TaskStatus,
              due: Option<time::Date>| {
        let mut t = f::task(p, title, status, 0, due);
        t.assignee_id = Some(w.designer.id);
        t
    };
    let tasks = [
        mk(&w.p1, "Alpha", TaskStatus::Pending, Some(today() + days(3))),
        mk(
            &w.p1,
            "bravo",
            TaskStatus::InProgress,
            Some(today() - days(2)),
        ),
        mk(
            &w.p1,
            "Charlie",
            TaskStatus::Completed,
            Some(today() - days(9)),
        ),
        mk(&w.p1, "Delta", TaskStatus::Pending, None),
        f::task(&w.p3, "Echo", TaskStatus::Pending, 0, Some(today())),
    ];
    for t in &tasks {
        db.insert_task(t, &f::audit(Some(&w.pm), "create", "task", t.id, &t.title))
            .await
            .unwrap();
    }
    let titles = |page: formula_app::query::Page<formula_domain::task::Task>| -> Vec<String> {
        page.items.into_iter().map(|t| t.title).collect()
    };
    let list = |q: TaskQuery, s: ProjectScope| async move { db.list_tasks(&q, s).await.unwrap() };

    let all = list(TaskQuery::default(), ProjectScope::All).await;
    assert_eq!(all.total, 5);
    assert_eq!(
        titles(all),
        ["Charlie", "bravo", "Echo", "Alpha", "Delta"],
        "due date first, undated last"
    );

    let mine = TaskQuery {
        assignee_id: Some(w.designer.id),
        open_only: true,
        ..Default::default()
    };
    assert_eq!(
        titles(list(mine.clone(), ProjectScope::All).await),
        ["bravo", "Alpha", "Delta"]
    );
    assert_eq!(list(mine, ProjectScope::MemberOf(w.pm.id)).await.total, 3);

    assert_eq!(
        titles(list(TaskQuery::default(), ProjectScope::MemberOf(w.designer.id)).await).len(),
        4
    );
    assert_eq!(
        titles(list(TaskQuery::default(), ProjectScope::OfClient(w.beta.id)).await),
        ["Echo"]
    );
    assert_eq!(
        list(TaskQuery::default(), ProjectScope::None).await.total,
        0
    );

    let of_p3 = TaskQuery {
        project_id: Some(w.p3.id),
        ..Default::default()
    };
    assert_eq!(
        titles(list(of_p3.clone(), ProjectScope::All).await),
        ["Echo"]
    );
    assert_eq!(
        list(of_p3, ProjectScope::MemberOf(w.designer.id))
            .await
            .total,
        0,
        "scope applies to a project's tasks"
    );

    let done = TaskQuery {
        status: Some(TaskStatus::Completed),
        ..Default::default()
    };
    assert_eq!(titles(list(done, ProjectScope::All).await), ["Charlie"]);
    let due = TaskQuery {
        due_before: Some(today()),
        open_only: true,
        ..Default::default()
    };
    assert_eq!(titles(list(due, ProjectScope::All).await), ["bravo"]);
    // My work's windows: due from a day (inclusive) to before another, optionally with the
    // undated ones; completed since a moment, latest first.
    let window = TaskQuery {
        due_from: Some(today()),
        due_before: Some(today() + days(4)),
        ..Default::default()
    };
    assert_eq!(
        titles(list(window, ProjectScope::All).await),
        ["Echo", "Alpha"]
    );
    let later = TaskQuery {
        due_from: Some(today() + days(1)),
        ..Default::default()
    };
    assert_eq!(titles(list(later, ProjectScope::All).await), ["Alpha"]);
    let undated = TaskQuery {
        undated: true,
        ..Default::default()
    };
    assert_eq!(titles(list(undated, ProjectScope::All).await), ["Delta"]);
    let since = |at: time::OffsetDateTime| TaskQuery {
        completed_since: Some(at),
        sort: Some((TaskSort::CompletedAt, Dir::Desc)),
        ..Default::default()
    };
    assert_eq!(
        titles(list(since(now() - days(14)), ProjectScope::All).await),
        ["Charlie"]
    );
    assert_eq!(
        list(since(now() + days(1)), ProjectScope::All).await.total,
        0
    );
    let q = TaskQuery {
        q: Some("RAV".into()),
        ..Default::default()
    };
    assert_eq!(titles(list(q, ProjectScope::All).await), ["bravo"]);
    // Batched reads (my work): each query's count, and each query's page, in query order,
    // with arguments numbered across the queries and the scope applied to each.
    let open_due_soon = TaskQuery {
        due_from: Some(today()),
        open_only: true,
        paging: Paging {
            limit: 1,
            offset: 0,
        },
        ..Default::default()
    };
    let batch = [
        TaskQuery::default(),
        open_due_soon,
        TaskQuery {
            undated: true,
            ..Default::default()
        },
        TaskQuery {
            q: Some("no such task".into()),
            ..Default::default()
        },
    ];
    assert_eq!(
        db.count_tasks_each(&batch, ProjectScope::All)
            .await
            .unwrap(),
        [5, 2, 1, 0]
    );
    assert_eq!(
        db.count_tasks_each(&batch, ProjectScope::OfClient(w.beta.id))
            .await
            .unwrap(),
        [1, 1, 0, 0]
    );
    assert!(
        db.count_tasks_each(&[], ProjectScope::All)
            .await
            .unwrap()
            .is_empty()
    );
    let pages: Vec<Vec<String>> = db
        .task_pages(&batch, ProjectScope::All)
        .await
        .unwrap()
        .into_iter()
        .map(|page| page.into_iter().map(|t| t.title).collect())
        .collect();
    assert_eq!(
        pages,
        [
            vec!["Charlie", "bravo", "Echo", "Alpha", "Delta"],
            vec!["Echo"],
            vec!["Delta"],
            vec![],
        ]
    );

    let sort = |s: TaskSort, d: Dir| TaskQuery {
        sort: Some((s, d)),
        ..Default::default()
    };
    assert_eq!(
        titles(list(sort(TaskSort::Title, Dir::Asc), ProjectScope::All).await),
        ["Alpha", "bravo", "Charlie", "Delta", "Echo"]
    );
    assert_eq!(
        titles(list(sort(TaskSort::DueDate, Dir::Desc), ProjectScope::All).await),
        ["Alpha", "Echo", "bravo", "Charlie", "Delta"]
    );
    assert_eq!(
        titles(list(sort(TaskSort::Status, Dir::Desc), ProjectScope::All).await)[0],
        "Charlie"
    );
    assert_eq!(
        list(sort(TaskSort::Priority, Dir::Asc), ProjectScope::All)
            .await
            .total,
        5
    );
    assert_eq!(
        titles(list(sort(TaskSort::CreatedAt, Dir::Asc), ProjectScope::All).await)[0],
        "Alpha"
    );

    let paged = TaskQuery {
        paging: paging(2, 3),
        ..Default::default()
    };
    let last = list(paged, ProjectScope::All).await;
    assert_eq!((last.total, last.pages()), (5, 3));
    assert_eq!(titles(last), ["Delta"]);
}

pub async fn dashboard_counts_stay_in_scope(db: &Db) {
    let w = world(db).await;
    let mut active = w.p3.clone();
    active.status = ProjectStatus::Awarded;
    db.update_project(
        &active,
        1,
        &f::audit(Some(&w.pm), "status_change", "project", w.p3.id, "p3"),
    )
    .await
    .unwrap();
    let tasks = [
        f::task(
            &w.p1,
            "late",
            TaskStatus::Pending,
            0,
            Some(today() - days(1)),
        ),
        f::task(&w.p1, "due today", TaskStatus::InProgress, 0, Some(today())),
        f::task(
            &w.p1,
            "done late",
            TaskStatus::Completed,
            100,
            Some(today() - days(3)),
        ),
        f::task(
            &w.p3,
            "late elsewhere",
            TaskStatus::Review,
            90,
            Some(today() - days(1)),
        ),
    ];
    for t in &tasks {
        db.insert_task(t, &f::audit(Some(&w.pm), "create", "task", t.id, &t.title))
            .await
            .unwrap();
    }
    let all = db
        .dashboard_counts(ProjectScope::All, today())
        .await
        .unwrap();
    assert_eq!((all.open_tasks, all.overdue_tasks), (3, 2));
    assert_eq!(
        all.projects_by_status.len(),
        ProjectStatus::ALL.len(),
        "every status, zeros included"
    );
    let count = |c: &formula_app::ports::DashboardCounts, s: ProjectStatus| {
        c.projects_by_status
            .iter()
            .find(|(x, _)| *x == s)
            .map(|(_, n)| *n)
    };
    assert_eq!(
        (
            count(&all, ProjectStatus::OnTender),
            count(&all, ProjectStatus::Awarded)
        ),
        (Some(2), Some(1))
    );
    assert_eq!(count(&all, ProjectStatus::Active), Some(0));

    let designer = db
        .dashboard_counts(ProjectScope::MemberOf(w.designer.id), today())
        .await
        .unwrap();
    assert_eq!((designer.open_tasks, designer.overdue_tasks), (2, 1));
    assert_eq!(count(&designer, ProjectStatus::OnTender), Some(1));
    assert_eq!(count(&designer, ProjectStatus::Awarded), Some(0));

    let beta = db
        .dashboard_counts(ProjectScope::OfClient(w.beta.id), today())
        .await
        .unwrap();
    assert_eq!(
        (
            beta.open_tasks,
            beta.overdue_tasks,
            count(&beta, ProjectStatus::Awarded)
        ),
        (1, 1, Some(1))
    );
    let tomorrow = db
        .dashboard_counts(ProjectScope::All, today() + days(1))
        .await
        .unwrap();
    assert_eq!(tomorrow.overdue_tasks, 3, "`today` decides what is overdue");
    let none = db
        .dashboard_counts(ProjectScope::None, today())
        .await
        .unwrap();
    assert_eq!(
        (
            none.open_tasks,
            none.overdue_tasks,
            count(&none, ProjectStatus::OnTender)
        ),
        (0, 0, Some(0))
    );
}

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

pub async fn mail_outbox_keeps_newest_first(db: &Db) {
    for (i, subject) in ["one", "two", "three"].iter().enumerate() {
        let mail = OutboxMail {
            id: Uuid::now_v7(),
            to_address: "a@example.com".into(),
            subject: (*subject).into(),
            body: "Hello".into(),
            status: "logged".into(),
            created_at: now() + time::Duration::seconds(i as i64),
        };
        db.insert_mail(&mail).await.unwrap();
    }
    let mails = db.list_mail(2).await.unwrap();
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["three", "two"]);
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
    assert_eq!((p.scope_items, p.progress), (3, 38));

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
    assert_eq!(p.progress, 75);

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
    assert_eq!((p.scope_items, p.progress), (3, 50));
    let mut cancelled = repriced.clone();
    cancelled.status = ScopeStatus::Cancelled;
    db.save_scope(&[], &[], &[(cancelled.clone(), 2)], &[by("update", b.id)])
        .await
        .unwrap();
    let p = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!((p.scope_items, p.progress), (2, 100));
    let mut reinstated = cancelled.clone();
    reinstated.status = ScopeStatus::InProgress;
    db.save_scope(&[], &[], &[(reinstated, 3)], &[by("update", b.id)])
        .await
        .unwrap();
    let p = db.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!((p.scope_items, p.progress), (3, 50));

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

pub async fn specs_settings_and_releases_round_trip(db: &Db) {
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
    let d = f::drawing(&w.p1, "SD-1", vec![]);
    db.insert_drawing(&d, &f::audit(Some(&w.pm), "create", "drawing", d.id, "d"))
        .await
        .unwrap();
    let by = |id: Uuid| f::audit(Some(&w.pm), "spec", "spec", id, "s");
    let mut s = f::spec(&w.p1, "V-01");
    s.scope_item_ids = vec![item.id];
    s.drawing_ids = vec![d.id];
    db.insert_spec(&s, &by(s.id)).await.unwrap();
    assert_duplicate(
        db.insert_spec(&f::spec(&w.p1, "v-01"), &by(s.id))
            .await
            .unwrap_err(),
        "code",
    );
    let stored = db.get_spec(s.id).await.unwrap().unwrap();
    assert_eq!(stored.currency, w.p1.currency);
    assert_eq!(stored.updated_by_name.as_deref(), Some(w.pm.name.as_str()));
    assert_eq!(
        Spec {
            currency: s.currency.clone(),
            updated_by_name: None,
            ..stored.clone()
        },
        s
    );

    let mut next = stored.clone();
    next.status = SpecStatus::Approved;
    next.procurement = Some(Procurement::Ordered);
    next.po_number = Some("PO-1".into());
    next.order_date = Some(today());
    next.delivered_quantity = formula_domain::scope::Quantity(500);
    next.scope_item_ids = vec![];
    let review = SpecReview {
        id: Uuid::now_v7(),
        spec_id: s.id,
        reviewer_id: Some(w.pm.id),
        reviewer_name: Some(w.pm.name.clone()),
        decision: SpecDecision::Approved,
        comments: None,
        at: now(),
    };
    let saved = db
        .update_spec(&next, 1, Some(&review), &by(s.id))
        .await
        .unwrap();
    assert_eq!(
        (saved.version, saved.procurement, saved.scope_item_ids.len()),
        (2, Some(Procurement::Ordered), 0)
    );
    assert_eq!(saved.delivered_quantity, next.delivered_quantity);
    assert_stale(db.update_spec(&next, 1, None, &by(s.id)).await.unwrap_err());
    assert_eq!(db.list_spec_reviews(s.id).await.unwrap(), vec![review]);
    assert_eq!(db.list_specs(w.p1.id).await.unwrap().len(), 1);
    assert!(db.list_specs(w.p2.id).await.unwrap().is_empty());

    // The readiness rule defaults to "materials must be ordered" and can be switched.
    assert!(db.require_materials_ordered(w.p1.id).await.unwrap());
    db.set_require_materials_ordered(w.p1.id, false, &by(w.p1.id))
        .await
        .unwrap();
    assert!(!db.require_materials_ordered(w.p1.id).await.unwrap());
    db.set_require_materials_ordered(w.p1.id, true, &by(w.p1.id))
        .await
        .unwrap();
    assert!(db.require_materials_ordered(w.p1.id).await.unwrap());

    // Review settings: none by default; saved as a whole; the materials rule is kept.
    assert_eq!(
        db.review_settings(w.p2.id).await.unwrap(),
        ReviewSettings::default()
    );
    let settings = ReviewSettings {
        client_approvals: true,
        reviewer_ids: vec![w.designer.id],
    };
    db.save_review_settings(w.p1.id, &settings, &by(w.p1.id))
        .await
        .unwrap();
    assert_eq!(db.review_settings(w.p1.id).await.unwrap(), settings);
    assert!(db.require_materials_ordered(w.p1.id).await.unwrap());
    db.save_review_settings(w.p1.id, &ReviewSettings::default(), &by(w.p1.id))
        .await
        .unwrap();
    assert_eq!(
        db.review_settings(w.p1.id).await.unwrap(),
        ReviewSettings::default()
    );

    // A release happens once, compare-and-set, with its note and who released it.
    let released = db
        .release_scope_item(item.id, 1, Some("Override: sample approved"), &by(item.id))
        .await
        .unwrap();
    assert!(released.released_at.is_some());
    assert_eq!(
        released.released_by_name.as_deref(),
        Some(w.pm.name.as_str())
    );
    assert_eq!(
        released.release_note.as_deref(),
        Some("Override: sample approved")
    );
    assert_stale(
        db.release_scope_item(item.id, 2, None, &by(item.id))
            .await
            .unwrap_err(),
    );
}

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

pub async fn spec_imports_are_all_or_nothing(db: &Db) {
    let w = world(db).await;
    let by = |id: Uuid| f::audit(Some(&w.pm), "import", "spec", id, "s");
    let first = f::spec(&w.p1, "V-01");
    db.insert_spec(&first, &by(first.id)).await.unwrap();
    let mut changed = first.clone();
    changed.description = "Oak veneer".into();
    let new = f::spec(&w.p1, "ST-01");
    // A stale version anywhere fails the whole save: the new spec is not written either.
    let err = db
        .save_specs(
            std::slice::from_ref(&new),
            &[(changed.clone(), 7)],
            &[by(new.id), by(changed.id)],
        )
        .await
        .unwrap_err();
    assert_stale(err);
    assert!(db.get_spec(new.id).await.unwrap().is_none());
    db.save_specs(
        std::slice::from_ref(&new),
        &[(changed.clone(), 1)],
        &[by(new.id), by(changed.id)],
    )
    .await
    .unwrap();
    let stored = db.get_spec(first.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.description.as_str(), stored.version),
        ("Oak veneer", 2)
    );
    assert_eq!(db.get_spec(new.id).await.unwrap().unwrap().code, "ST-01");
}
