//! Invitations: an administrator invites a person by e-mail (the page's default, or the
//! API); the mail carries a single-use, expiring link where they choose their password and
//! are signed in. Inviting again replaces the link; a used, expired or replaced link gives a
//! page that says so. Typing a password for them stays possible.

use axum::http::Method;
use formula_app::repos::prelude::*;
use serde_json::json;

use crate::scope::form;
use crate::support::{Auth, PASSWORD, TestApp, id_of};

/// Sends the queued e-mails and returns the invitation token mailed to `to` last.
async fn mailed_token(app: &TestApp, admin: &Auth, to: &str) -> String {
    app.services
        .drain_jobs("test", time::OffsetDateTime::now_utc(), 10)
        .await
        .unwrap();
    let outbox = app
        .get("/api/v1/system/outbox", admin)
        .await
        .expect(200)
        .json();
    let mail = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to_address"] == to)
        .unwrap_or_else(|| panic!("no mail to {to}: {outbox}"));
    assert!(
        mail["subject"].as_str().unwrap().contains("invited"),
        "{mail}"
    );
    let link = mail["body"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .find(|w| w.contains("/invitations/"))
        .expect("an invitation link")
        .to_owned();
    assert!(
        link.starts_with("http://127.0.0.1:5014/invitations/"),
        "{link}"
    );
    link.rsplit('/').next().unwrap().to_owned()
}

/// A public form post (no session), as the invited person's browser sends it.
async fn public_post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> crate::support::Resp {
    let body = serde_urlencoded::to_string(fields).unwrap();
    app.send(TestApp::build(
        Method::POST,
        path,
        &Auth::None,
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(axum::body::Body::from(body)),
        false,
    ))
    .await
}

#[tokio::test]
async fn an_invited_user_chooses_a_password_once_and_is_signed_in() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let (cookie, _) = app.login("admin@example.com", PASSWORD).await;

    // The new-user page offers the invitation, chosen by default, and the typed password.
    let page = app.get("/users/new", &cookie).await.expect(200).text();
    assert!(
        page.contains(r#"id="f-access-invite" name="access" value="invite" checked"#),
        "{page}"
    );
    assert!(page.contains(r#"value="password""#));
    let resp = form(
        &app,
        "/users/new",
        &cookie,
        &[
            ("access", "invite"),
            ("name", "Ivy Invited"),
            ("email", "ivy@example.com"),
            ("password", ""),
            ("role", "designer"),
        ],
    )
    .await
    .expect(303);
    assert_eq!(
        resp.header("location").as_deref(),
        Some("/users?m=user_invited")
    );
    let token = mailed_token(&app, &admin.auth, "ivy@example.com").await;

    // Only a hash of the link's token is stored.
    assert!(app.db.find_invitation(&token).await.unwrap().is_none());
    let stored = app
        .db
        .find_invitation(&formula_app::secrets::token_hash(&token))
        .await
        .unwrap()
        .expect("the invitation, by hash");
    assert_eq!(stored.user.name, "Ivy Invited");
    // Nobody can sign in before the invitation is accepted.
    let v = app
        .post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({"email": "ivy@example.com", "password": ""}),
        )
        .await;
    assert_ne!(v.status, 200);

    let link = format!("/invitations/{token}");
    let page = app.get(&link, &Auth::None).await.expect(200).text();
    assert!(page.contains("Welcome, Ivy Invited"), "{page}");
    let short = public_post(&app, &link, &[("password", "short")])
        .await
        .expect(422)
        .text();
    assert!(short.contains("f-password-error"), "{short}");

    // The chosen password is set and the person is signed in.
    let chosen = "my own long passphrase";
    let resp = public_post(&app, &link, &[("password", chosen)])
        .await
        .expect(303);
    assert_eq!(
        resp.header("location").as_deref(),
        Some("/?m=invitation_accepted")
    );
    let set_cookie = resp.header("set-cookie").expect("a session cookie");
    let session = set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap();
    let signed_in = Auth::Cookie {
        token: session,
        csrf: None,
    };
    let home = app.get("/", &signed_in).await.expect(200).text();
    assert!(home.contains("Ivy Invited"), "{home}");
    app.login("ivy@example.com", chosen).await;

    // The link works once: then it says so, and changes nothing.
    let used = public_post(&app, &link, &[("password", "somebody else's pass")])
        .await
        .expect(410)
        .text();
    assert!(used.contains("already used"), "{used}");
    let used = app.get(&link, &Auth::None).await.expect(410).text();
    assert!(used.contains("already used"), "{used}");
    app.login("ivy@example.com", chosen).await;

    // The audit trail has the invitation and its acceptance.
    let trail = app
        .get("/api/v1/audit?entity_type=user", &admin.auth)
        .await
        .expect(200)
        .json();
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"invite") && actions.contains(&"accept_invitation"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn inviting_again_replaces_the_link_and_expired_links_say_so() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let body = json!({"email": "otto@example.com", "name": "Otto", "role": "craftsman"});
    // Only administrators invite.
    app.post("/api/v1/invitations", &pm.auth, body.clone())
        .await
        .expect(403);
    let otto = app
        .post("/api/v1/invitations", &admin.auth, body.clone())
        .await
        .expect(201)
        .json();
    let otto_id = id_of(&otto);
    let first = mailed_token(&app, &admin.auth, "otto@example.com").await;
    // The address is now taken.
    app.post("/api/v1/invitations", &admin.auth, body)
        .await
        .expect(409);

    let again = format!("/api/v1/users/{otto_id}/invitation");
    app.post(&again, &pm.auth, json!({})).await.expect(403);
    app.call(Method::POST, &again, &admin.auth, None)
        .await
        .expect(202);
    let second = mailed_token(&app, &admin.auth, "otto@example.com").await;
    assert_ne!(first, second);

    // The first link was replaced: it no longer works, and says to ask for a new one.
    let old = app
        .get(&format!("/invitations/{first}"), &Auth::None)
        .await
        .expect(404)
        .text();
    assert!(old.contains("Ask your administrator"), "{old}");
    public_post(
        &app,
        &format!("/invitations/{first}"),
        &[("password", "a long enough pass")],
    )
    .await
    .expect(404);
    // The second one works.
    public_post(
        &app,
        &format!("/invitations/{second}"),
        &[("password", "a long enough pass")],
    )
    .await
    .expect(303);

    // An expired link says so (arranged beneath the use cases: issued 8 days ago).
    let token = "an-expired-invitation-token";
    let user = app
        .db
        .get_user(otto_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let long_ago = time::OffsetDateTime::now_utc() - time::Duration::days(8);
    app.db
        .replace_invitation(
            None,
            &formula_app::repos::Invitation {
                user_id: user.id,
                token_hash: formula_app::secrets::token_hash(token),
                invited_by: None,
                created_at: long_ago,
                expires_at: long_ago + formula_app::invitations::INVITATION_VALIDITY,
            },
            &formula_app::jobs::NewJob::email("otto@example.com", "Invited", "…"),
            &formula_domain::audit::AuditEntry {
                id: uuid::Uuid::now_v7(),
                at: long_ago,
                actor_id: None,
                actor_name: None,
                action: "invite".into(),
                entity_type: "user".into(),
                entity_id: user.id,
                entity_label: user.email.clone(),
                changes: Vec::new(),
                request_id: None,
                ip: None,
                user_agent: None,
                project_id: None,
            },
        )
        .await
        .unwrap();
    let expired = app
        .get(&format!("/invitations/{token}"), &Auth::None)
        .await
        .expect(410)
        .text();
    assert!(expired.contains("has expired"), "{expired}");
    let refused = public_post(
        &app,
        &format!("/invitations/{token}"),
        &[("password", "another long pass")],
    )
    .await
    .expect(410)
    .text();
    assert!(refused.contains("has expired"), "{refused}");
}

#[tokio::test]
async fn the_administrator_can_still_type_a_password_and_resend_from_the_edit_page() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let (cookie, _) = app.login("admin@example.com", PASSWORD).await;
    let resp = form(
        &app,
        "/users/new",
        &cookie,
        &[
            ("access", "password"),
            ("name", "Pat Typed"),
            ("email", "pat@example.com"),
            ("password", "typed by the admin"),
            ("role", "designer"),
        ],
    )
    .await
    .expect(303);
    assert_eq!(
        resp.header("location").as_deref(),
        Some("/users?m=user_created")
    );
    app.login("pat@example.com", "typed by the admin").await;
    // Choosing to set a password needs one.
    let page = form(
        &app,
        "/users/new",
        &cookie,
        &[
            ("access", "password"),
            ("name", "No Pass"),
            ("email", "np@example.com"),
            ("password", ""),
            ("role", "designer"),
        ],
    )
    .await
    .expect(422)
    .text();
    assert!(page.contains("f-password-error"), "{page}");

    // The edit page sends a new invitation, whose link sets a new password.
    let users = app.get("/api/v1/users", &admin.auth).await.json();
    let pat = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "pat@example.com")
        .map(id_of)
        .unwrap();
    let edit = app
        .get(&format!("/users/{pat}/edit"), &cookie)
        .await
        .expect(200)
        .text();
    assert!(edit.contains(&format!(r#"action="/users/{pat}/invite""#)));
    let resp = form(&app, &format!("/users/{pat}/invite"), &cookie, &[])
        .await
        .expect(303);
    assert_eq!(
        resp.header("location").as_deref(),
        Some(format!("/users/{pat}/edit?m=invited").as_str())
    );
    let token = mailed_token(&app, &admin.auth, "pat@example.com").await;
    public_post(
        &app,
        &format!("/invitations/{token}"),
        &[("password", "chosen by pat now")],
    )
    .await
    .expect(303);
    app.login("pat@example.com", "chosen by pat now").await;
}
