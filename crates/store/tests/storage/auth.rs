//! What signing in keeps: sessions, API tokens and password-reset tokens.

use formula_app::error::AppError;
use formula_app::ports::{ApiToken, CredentialState, SessionRecord};
use formula_app::query::AuditQuery;
use formula_app::repos::Invitation;
use formula_app::repos::prelude::*;
use formula_domain::user::{Role, User, UserStatus};
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, days, now};
use crate::world::{add_user, audit_count};

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

pub async fn credential_states_are_read_without_touching(db: &Db) {
    let admin = add_user(db, "cs-admin@example.com", "Admin", Role::Admin).await;
    let u = add_user(db, "cs@example.com", "Cas", Role::Designer).await;
    let live = session(&u, "cs-live", days(1));
    let old = session(&u, "cs-old", -days(1));
    db.insert_session(&live).await.unwrap();
    db.insert_session(&old).await.unwrap();
    let token = |expires_at| ApiToken {
        id: Uuid::now_v7(),
        user_id: u.id,
        name: "CI".into(),
        prefix: "fpm_abcdef".into(),
        created_at: now(),
        expires_at,
        last_used_at: Some(now()),
    };
    let (lasting, expiring) = (token(None), token(Some(now() + days(3))));
    for (t, hash) in [(&lasting, "cs-t1"), (&expiring, "cs-t2")] {
        let entry = f::audit(Some(&u), "create", "api_token", t.id, "CI");
        db.insert_token(t, hash, &entry).await.unwrap();
    }
    assert!(db.session_states(&[]).await.unwrap().is_empty());
    assert!(db.token_states(&[]).await.unwrap().is_empty());

    let gone = Uuid::now_v7();
    let mut sessions = db.session_states(&[live.id, gone, old.id]).await.unwrap();
    sessions.sort_by_key(|s| s.id);
    let state = |s: &SessionRecord| CredentialState {
        id: s.id,
        expires_at: Some(s.expires_at),
        last_seen_at: Some(s.last_seen_at),
        user_active: true,
    };
    assert_eq!(
        sessions,
        vec![state(&live), state(&old)],
        "unknown ids are left out"
    );
    let mut tokens = db
        .token_states(&[expiring.id, lasting.id, gone])
        .await
        .unwrap();
    tokens.sort_by_key(|t| t.id);
    let state = |t: &ApiToken| CredentialState {
        id: t.id,
        expires_at: t.expires_at,
        last_seen_at: None,
        user_active: true,
    };
    assert_eq!(tokens, vec![state(&lasting), state(&expiring)]);
    // Reading is no use: the session's last use is unchanged.
    let (found, _) = db.session_by_hash("cs-live").await.unwrap().unwrap();
    assert_eq!(found.last_seen_at, live.last_seen_at);

    // A disabled user's credentials are gone with the disabling; one added later (as a
    // race could) reads as not active.
    let mut next = u.clone();
    next.status = UserStatus::Disabled;
    let entry = f::audit(Some(&admin), "update", "user", u.id, "cs");
    db.update_user(&next, 1, &entry).await.unwrap();
    assert!(db.session_states(&[live.id]).await.unwrap().is_empty());
    let late = session(&u, "cs-late", days(1));
    db.insert_session(&late).await.unwrap();
    let states = db.session_states(&[late.id]).await.unwrap();
    assert_eq!(states.len(), 1);
    assert!(!states[0].user_active);
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
        false,
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
        false,
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
            false,
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

fn invitation(user: &User, hash: &str, valid_for: time::Duration) -> Invitation {
    Invitation {
        user_id: user.id,
        token_hash: hash.into(),
        invited_by: None,
        created_at: now(),
        expires_at: now() + valid_for,
    }
}

pub async fn invitations_are_replaced_work_once_and_expire(db: &Db) {
    let admin = add_user(db, "admin@example.com", "Admin", Role::Admin).await;
    let mail = || formula_app::jobs::NewJob::email("i@example.com", "Invited", "Open the link");
    let invite = |u: &User| f::audit(Some(&admin), "invite", "user", u.id, &u.email);
    let accepted = f::audit(None, "accept_invitation", "user", Uuid::nil(), "");

    // A new account comes with its invitation, in one transaction.
    let ivy = f::user("i@example.com", "Ivy", Role::Designer);
    let created = f::audit(Some(&admin), "create", "user", ivy.id, &ivy.email);
    db.replace_invitation(
        Some((&ivy, "placeholder-hash", &created)),
        &invitation(&ivy, "inv-1", days(7)),
        &mail(),
        &invite(&ivy),
    )
    .await
    .unwrap();
    assert_eq!(db.get_user(ivy.id).await.unwrap().unwrap().name, "Ivy");
    let found = db.find_invitation("inv-1").await.unwrap().unwrap();
    assert_eq!((found.user.id, found.used_at), (ivy.id, None));
    assert!(db.find_invitation("unknown").await.unwrap().is_none());

    // Inviting again replaces the link: the first one no longer exists.
    db.replace_invitation(
        None,
        &invitation(&ivy, "inv-2", days(7)),
        &mail(),
        &invite(&ivy),
    )
    .await
    .unwrap();
    assert!(db.find_invitation("inv-1").await.unwrap().is_none());
    assert_eq!(
        db.accept_invitation("inv-1", now(), "h-old", &accepted)
            .await
            .unwrap(),
        None
    );
    db.insert_session(&session(&ivy, "ivy-old", days(1)))
        .await
        .unwrap();

    // The current link sets the password once, and ends sessions from before.
    assert_eq!(
        db.accept_invitation("inv-2", now(), "h-chosen", &accepted)
            .await
            .unwrap(),
        Some(ivy.id)
    );
    assert_eq!(
        db.user_credentials("i@example.com")
            .await
            .unwrap()
            .unwrap()
            .1,
        "h-chosen"
    );
    assert!(db.session_by_hash("ivy-old").await.unwrap().is_none());
    assert_eq!(
        db.accept_invitation("inv-2", now(), "h-again", &accepted)
            .await
            .unwrap(),
        None,
        "single use"
    );
    let used = db.find_invitation("inv-2").await.unwrap().unwrap();
    assert!(used.used_at.is_some(), "a used link is remembered as used");
    assert_eq!(
        db.user_credentials("i@example.com")
            .await
            .unwrap()
            .unwrap()
            .1,
        "h-chosen"
    );

    // An expired link, and a disabled account's link, do nothing.
    let old = add_user(db, "o@example.com", "Otto", Role::Designer).await;
    db.replace_invitation(
        None,
        &invitation(&old, "inv-late", -time::Duration::seconds(1)),
        &mail(),
        &invite(&old),
    )
    .await
    .unwrap();
    assert_eq!(
        db.accept_invitation("inv-late", now(), "h", &accepted)
            .await
            .unwrap(),
        None
    );
    let off = add_user(db, "x@example.com", "Xena", Role::Designer).await;
    db.replace_invitation(
        None,
        &invitation(&off, "inv-off", days(7)),
        &mail(),
        &invite(&off),
    )
    .await
    .unwrap();
    let mut disabled = off.clone();
    disabled.status = UserStatus::Disabled;
    db.update_user(
        &disabled,
        1,
        &f::audit(Some(&admin), "update", "user", off.id, "x"),
    )
    .await
    .unwrap();
    assert_eq!(
        db.accept_invitation("inv-off", now(), "h", &accepted)
            .await
            .unwrap(),
        None
    );

    // Each invitation and the acceptance are audited.
    let trail = |action: &str| AuditQuery {
        action: Some(action.into()),
        ..Default::default()
    };
    assert_eq!(db.list_audit(&trail("invite")).await.unwrap().total, 4);
    let accepted = db.list_audit(&trail("accept_invitation")).await.unwrap();
    assert_eq!(accepted.total, 1);
    assert_eq!(accepted.items[0].entity_id, ivy.id);
    // Ivy's own trail: created, invited twice, accepted.
    assert_eq!(audit_count(db, "user", ivy.id).await, 4);
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

/// Stores an API token of `user` under `hash`.
async fn add_token(db: &Db, user: &User, hash: &str) -> ApiToken {
    let token = ApiToken {
        id: Uuid::now_v7(),
        user_id: user.id,
        name: hash.into(),
        prefix: "fpm_abcdef".into(),
        created_at: now(),
        expires_at: None,
        last_used_at: None,
    };
    db.insert_token(
        &token,
        hash,
        &f::audit(Some(user), "create", "api_token", token.id, hash),
    )
    .await
    .unwrap();
    token
}

/// The `api_tokens` change of the latest audit entry with `action` on `user`.
async fn revoked_in_audit(db: &Db, user: &User, action: &str) -> Option<(i64, i64)> {
    let trail = db
        .list_audit(&AuditQuery {
            action: Some(action.into()),
            entity_id: Some(user.id),
            ..Default::default()
        })
        .await
        .unwrap();
    let latest = trail.items.first().expect("an audit entry");
    latest
        .changes
        .iter()
        .find(|c| c.field == "api_tokens")
        .map(|c| (c.old.as_i64().unwrap(), c.new.as_i64().unwrap()))
}

pub async fn a_password_reset_revokes_every_api_token(db: &Db) {
    let u = add_user(db, "r@example.com", "Rae", Role::Designer).await;
    let other = add_user(db, "o@example.com", "Oz", Role::Designer).await;
    add_token(db, &u, "rae-ci").await;
    add_token(db, &u, "rae-laptop").await;
    add_token(db, &other, "oz-ci").await;
    db.insert_reset(
        u.id,
        "reset-ok",
        now() + time::Duration::hours(1),
        &reset_mail(),
    )
    .await
    .unwrap();
    let entry = f::audit(None, "reset_password", "user", Uuid::nil(), "");
    db.consume_reset("reset-ok", now(), "h2", &entry)
        .await
        .unwrap()
        .unwrap();
    // Whoever reset the password may not be who made the tokens.
    assert!(db.list_tokens(u.id).await.unwrap().is_empty());
    assert!(db.token_by_hash("rae-ci").await.unwrap().is_none());
    assert_eq!(db.list_tokens(other.id).await.unwrap().len(), 1);
    assert_eq!(
        revoked_in_audit(db, &u, "reset_password").await,
        Some((2, 0))
    );
}

pub async fn a_password_change_revokes_api_tokens_when_asked(db: &Db) {
    let u = add_user(db, "p@example.com", "Pat", Role::Designer).await;
    add_token(db, &u, "pat-ci").await;
    let entry = || f::audit(Some(&u), "change_password", "user", u.id, "p");
    db.set_password(u.id, "h1", None, false, &entry())
        .await
        .unwrap();
    assert!(db.token_by_hash("pat-ci").await.unwrap().is_some());
    assert_eq!(revoked_in_audit(db, &u, "change_password").await, None);
    db.set_password(u.id, "h2", None, true, &entry())
        .await
        .unwrap();
    assert!(db.token_by_hash("pat-ci").await.unwrap().is_none());
    assert_eq!(
        revoked_in_audit(db, &u, "change_password").await,
        Some((1, 0))
    );
}

pub async fn disabled_users_keep_no_api_tokens(db: &Db) {
    let admin = add_user(db, "admin@example.com", "Admin", Role::Admin).await;
    let u = add_user(db, "d@example.com", "Dee", Role::Craftsman).await;
    add_token(db, &u, "dee-ci").await;
    add_token(db, &admin, "admin-ci").await;
    let mut next = u.clone();
    next.status = UserStatus::Disabled;
    db.update_user(
        &next,
        1,
        &f::audit(Some(&admin), "update", "user", u.id, "d"),
    )
    .await
    .unwrap();
    assert!(db.token_by_hash("dee-ci").await.unwrap().is_none());
    assert!(db.token_by_hash("admin-ci").await.unwrap().is_some());
    assert_eq!(revoked_in_audit(db, &u, "update").await, Some((1, 0)));
    // Enabled again, the account starts without the old tokens.
    next.status = UserStatus::Active;
    db.update_user(
        &next,
        2,
        &f::audit(Some(&admin), "update", "user", u.id, "d"),
    )
    .await
    .unwrap();
    assert!(db.token_by_hash("dee-ci").await.unwrap().is_none());
    assert!(db.list_tokens(u.id).await.unwrap().is_empty());
}

pub async fn session_flashes_are_taken_once_and_go_with_their_session(db: &Db) {
    let u = add_user(db, "flash@example.com", "Flo", Role::Designer).await;
    let mine = session(&u, "flash-a", days(1));
    let other = session(&u, "flash-b", days(1));
    db.insert_session(&mine).await.unwrap();
    db.insert_session(&other).await.unwrap();
    let soon = now() + time::Duration::minutes(5);

    assert_eq!(db.take_session_flash(mine.id, now()).await.unwrap(), None);
    db.put_session_flash(mine.id, "first", soon).await.unwrap();
    db.put_session_flash(mine.id, "second", soon).await.unwrap();
    // Keyed by session: another session of the same user finds nothing.
    assert_eq!(db.take_session_flash(other.id, now()).await.unwrap(), None);
    // The newest replaces the older, and one read takes it.
    assert_eq!(
        db.take_session_flash(mine.id, now())
            .await
            .unwrap()
            .as_deref(),
        Some("second")
    );
    assert_eq!(db.take_session_flash(mine.id, now()).await.unwrap(), None);

    // Past its expiry it is not shown, and it is gone all the same.
    db.put_session_flash(mine.id, "late", soon).await.unwrap();
    let after = soon + time::Duration::seconds(1);
    assert_eq!(db.take_session_flash(mine.id, after).await.unwrap(), None);
    assert_eq!(db.take_session_flash(mine.id, now()).await.unwrap(), None);

    // One nobody came back for is removed with the expired sessions; a session's own with it.
    db.put_session_flash(other.id, "stale", now() - time::Duration::minutes(1))
        .await
        .unwrap();
    db.put_session_flash(mine.id, "kept", soon).await.unwrap();
    assert_eq!(db.delete_expired_sessions(now()).await.unwrap(), 0);
    db.put_session_flash(other.id, "fresh", soon).await.unwrap();
    db.delete_session(other.id).await.unwrap();
    assert_eq!(db.take_session_flash(other.id, now()).await.unwrap(), None);
    assert_eq!(
        db.take_session_flash(mine.id, now())
            .await
            .unwrap()
            .as_deref(),
        Some("kept")
    );
}

both_backends! {
    credential_states_are_read_without_touching,
    invitations_are_replaced_work_once_and_expire,
    a_password_reset_revokes_every_api_token,
    a_password_change_revokes_api_tokens_when_asked,
    disabled_users_keep_no_api_tokens,
    sessions_are_stored_found_and_expired,
    active_sessions_are_counted_until_they_expire,
    disabling_a_user_ends_their_sessions,
    set_password_keeps_only_the_current_session,
    api_tokens_are_stored_found_and_revoked,
    reset_tokens_work_once_and_expire,
    session_flashes_are_taken_once_and_go_with_their_session,
}
