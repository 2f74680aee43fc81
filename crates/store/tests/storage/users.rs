//! Users: round trips and unique e-mails, lists with filters, sort and paging, and
//! compare-and-set updates.

use formula_app::error::AppError;
use formula_app::query::{Dir, UserQuery, UserSort};
use formula_app::repos::prelude::*;
use formula_domain::user::{Role, UserStatus};
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_duplicate, assert_stale, now, paging};
use crate::world::{add_user, audit_count};

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

/// First-run setup: of many concurrent attempts on an empty database exactly one creates
/// its user; the others write nothing.
pub async fn only_one_first_run_setup_wins(db: &Db) {
    let attempt = |n: usize| async move {
        let u = f::user(&format!("admin{n}@example.com"), "Admin", Role::Admin);
        let entry = f::audit(None, "create", "user", u.id, &u.email);
        let won = db
            .insert_first_user(&u, "argon2-hash", &entry)
            .await
            .unwrap();
        (won, u)
    };
    let results = futures_util::future::join_all((0..12).map(attempt)).await;
    let winners: Vec<_> = results.iter().filter(|(won, _)| *won).collect();
    assert_eq!(winners.len(), 1, "exactly one setup wins");
    assert_eq!(db.count_users().await.unwrap(), 1);
    let (_, admin) = winners[0];
    assert_eq!(db.get_user(admin.id).await.unwrap().as_ref(), Some(admin));
    assert_eq!(audit_count(db, "user", admin.id).await, 1);
    for (_, u) in results.iter().filter(|(won, _)| !*won) {
        assert_eq!(db.get_user(u.id).await.unwrap(), None);
        assert_eq!(audit_count(db, "user", u.id).await, 0);
    }
    // A later attempt finds setup done.
    let late = f::user("late@example.com", "Late", Role::Admin);
    let entry = f::audit(None, "create", "user", late.id, &late.email);
    assert!(
        !db.insert_first_user(&late, "h", &entry).await.unwrap(),
        "setup is done"
    );
}

/// A database that already has users (created by `create-admin`, or before setup claims
/// existed) is set up: no first user can be added.
pub async fn setup_is_closed_once_any_user_exists(db: &Db) {
    add_user(db, "existing@example.com", "Ex", Role::Admin).await;
    let u = f::user("second@example.com", "Second", Role::Admin);
    let entry = f::audit(None, "create", "user", u.id, &u.email);
    assert!(!db.insert_first_user(&u, "h", &entry).await.unwrap());
    assert_eq!(db.count_users().await.unwrap(), 1);
}

both_backends! {
    only_one_first_run_setup_wins,
    setup_is_closed_once_any_user_exists,
    users_round_trip_and_emails_are_unique,
    users_are_listed_with_filters_sort_and_paging,
    user_updates_are_compare_and_set,
}
