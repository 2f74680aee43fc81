//! Signing in and out, CSRF, throttling, API tokens and passwords.

use axum::http::Method;
use serde_json::json;

use crate::support::{Auth, PASSWORD, Resp, TestApp};

const LOGIN: &str = "/api/v1/auth/login";

fn without_csrf(auth: &Auth) -> Auth {
    match auth {
        Auth::Cookie { token, .. } => Auth::Cookie {
            token: token.clone(),
            csrf: None,
        },
        other => other.clone(),
    }
}

#[tokio::test]
async fn sign_in_me_and_sign_out_with_the_session_cookie() {
    let app = TestApp::new().await;
    let admin = app.admin().await;

    // Addresses are matched trimmed and case-insensitively.
    let (cookie, resp) = app.login(" Admin@Example.COM ", PASSWORD).await;
    let set = resp.header("set-cookie").unwrap();
    for part in [
        "formula_session=fps_",
        "Path=/",
        "HttpOnly",
        "SameSite=Lax",
        "Max-Age=604800",
    ] {
        assert!(set.contains(part), "{part} missing from {set}");
    }
    let body = resp.json();
    assert_eq!(body["user"]["email"], "admin@example.com");
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();

    let me = app.get("/api/v1/auth/me", &cookie).await.expect(200).json();
    assert_eq!(me["user"]["id"], admin.id());
    assert_eq!(me["csrf_token"], csrf);

    // Cookie-authenticated writes need the CSRF header; reads do not.
    let bare = without_csrf(&cookie);
    app.post("/api/v1/clients", &bare, json!({"name": "Hotel Azul"}))
        .await
        .problem(403, "csrf_failed");
    let Auth::Cookie { token, .. } = &cookie else {
        unreachable!()
    };
    let wrong = Auth::Cookie {
        token: token.clone(),
        csrf: Some("0".repeat(64)),
    };
    app.post("/api/v1/clients", &wrong, json!({"name": "Hotel Azul"}))
        .await
        .problem(403, "csrf_failed");
    app.post("/api/v1/clients", &cookie, json!({"name": "Hotel Azul"}))
        .await
        .expect(201);
    app.get("/api/v1/clients", &bare).await.expect(200);

    // Signing out needs the CSRF token too, ends the session server-side and clears the cookie.
    app.call(Method::POST, "/api/v1/auth/logout", &bare, None)
        .await
        .problem(403, "csrf_failed");
    let out = app
        .call(Method::POST, "/api/v1/auth/logout", &cookie, None)
        .await
        .expect(204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    app.get("/api/v1/auth/me", &cookie)
        .await
        .problem(401, "unauthenticated");
    app.get("/api/v1/auth/me", &Auth::None)
        .await
        .problem(401, "unauthenticated");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::new().await;
    app.admin().await;
    let wrong = app
        .post(
            LOGIN,
            &Auth::None,
            json!({"email": "admin@example.com", "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post(
            LOGIN,
            &Auth::None,
            json!({"email": "nobody@example.com", "password": "not the password"}),
        )
        .await;
    assert!(wrong.header("set-cookie").is_none() && unknown.header("set-cookie").is_none());
    assert_eq!(
        wrong.body, unknown.body,
        "the answers must not reveal which accounts exist"
    );
    wrong.problem(401, "unauthenticated");
    unknown.problem(401, "unauthenticated");
}

#[tokio::test]
async fn sign_in_is_throttled_after_five_failures() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let other = app.user(&admin, "designer", "Dana Designer", None).await;
    for _ in 0..5 {
        app.post(
            LOGIN,
            &Auth::None,
            json!({"email": "admin@example.com", "password": "not the password"}),
        )
        .await
        .expect(401);
    }
    // Locked now, even with the right password.
    let resp = app
        .post(
            LOGIN,
            &Auth::None,
            json!({"email": "admin@example.com", "password": PASSWORD}),
        )
        .await;
    let retry: u64 = resp
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    resp.problem(429, "rate_limited");
    // Other accounts are not locked.
    app.login(&other.user.email, PASSWORD).await;
}

#[tokio::test]
async fn api_tokens_are_created_listed_used_and_revoked() {
    let app = TestApp::new().await;
    app.admin().await;
    let (cookie, _) = app.login("admin@example.com", PASSWORD).await;

    let v = app
        .post("/api/v1/me/tokens", &cookie, json!({"name": ""}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["name"]);
    let v = app
        .post(
            "/api/v1/me/tokens",
            &cookie,
            json!({"name": "x", "expires_in_days": 0}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["expires_in_days"]);

    let created = app
        .post(
            "/api/v1/me/tokens",
            &cookie,
            json!({"name": "Reporting", "expires_in_days": 30}),
        )
        .await
        .expect(201)
        .json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("fpm_"));
    assert_eq!(created["token"]["prefix"].as_str().unwrap(), &secret[..10]);
    assert!(created["token"]["expires_at"].is_string());
    let token_id = created["token"]["id"].as_str().unwrap().to_owned();

    // The list shows the token (and the helper's), never a secret.
    let list = app.get("/api/v1/me/tokens", &cookie).await.expect(200);
    assert!(!list.text().contains(&secret));
    let list = list.json();
    assert_eq!(list["total"], 2);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Reporting" && t["id"] == token_id.as_str())
    );

    // A bearer token works without CSRF, and `me` has no CSRF token for it.
    let bearer = Auth::Bearer(secret.clone());
    let me = app.get("/api/v1/auth/me", &bearer).await.expect(200).json();
    assert_eq!(me["user"]["email"], "admin@example.com");
    assert!(me["csrf_token"].is_null());
    app.post(
        "/api/v1/clients",
        &bearer,
        json!({"name": "Scripted client"}),
    )
    .await
    .expect(201);

    app.delete(&format!("/api/v1/me/tokens/{token_id}"), &cookie)
        .await
        .expect(204);
    app.get("/api/v1/auth/me", &bearer)
        .await
        .problem(401, "unauthenticated");
    app.delete(&format!("/api/v1/me/tokens/{token_id}"), &cookie)
        .await
        .problem(404, "not_found");
    app.get(
        "/api/v1/auth/me",
        &Auth::Bearer("fpm_not-a-real-token".into()),
    )
    .await
    .problem(401, "unauthenticated");
}

/// The secret in `<code class="secret" id="new-token" …>SECRET</code>`, if the page shows one.
fn shown_secret(html: &str) -> Option<String> {
    let at = html.find("id=\"new-token\"")?;
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    let end = rest.find("</code>")?;
    Some(rest[start..end].to_owned())
}

#[tokio::test]
async fn creating_a_token_in_the_ui_redirects_and_shows_the_secret_once() {
    let app = TestApp::new().await;
    app.admin().await;
    let (cookie, _) = app.login("admin@example.com", PASSWORD).await;
    let (other_session, _) = app.login("admin@example.com", PASSWORD).await;
    let tokens = |auth: Auth| {
        let app = &app;
        async move {
            app.get("/api/v1/me/tokens", &auth).await.expect(200).json()["total"]
                .as_i64()
                .unwrap()
        }
    };
    let before = tokens(cookie.clone()).await;

    // Post/Redirect/Get: the POST answers with a redirect, not with the secret.
    let resp = crate::scope::form(
        &app,
        "/profile/tokens",
        &cookie,
        &[("name", "Nightly export"), ("expires_in_days", "")],
    )
    .await
    .expect(303);
    assert!(shown_secret(&resp.text()).is_none());
    let to = resp.header("location").unwrap();
    assert_eq!(to, "/profile?m=token_created#tokens");
    let page = to.split('#').next().unwrap();

    // Kept for this session only: the user's other session finds nothing there.
    let elsewhere = app.get(page, &other_session).await.expect(200).text();
    assert!(shown_secret(&elsewhere).is_none(), "{elsewhere}");

    // The page after the redirect shows the secret, not to be stored by any cache…
    let shown = app.get(page, &cookie).await.expect(200);
    assert_eq!(shown.header("cache-control").as_deref(), Some("no-store"));
    let html = shown.text();
    let secret = shown_secret(&html).unwrap_or_else(|| panic!("no secret shown: {html}"));
    assert!(secret.starts_with("fpm_"), "{secret}");
    assert!(html.contains("Token “Nightly export” created."), "{html}");
    app.get("/api/v1/auth/me", &Auth::Bearer(secret.clone()))
        .await
        .expect(200);

    // …once: reloading it shows no secret, says why, and creates nothing.
    let again = app.get(page, &cookie).await.expect(200).text();
    assert!(shown_secret(&again).is_none(), "{again}");
    assert!(!again.contains(&secret));
    assert!(again.contains("shown only once"), "{again}");
    assert_eq!(tokens(cookie.clone()).await, before + 1);
    // The plain profile page never looks for one.
    let plain = app.get("/profile", &cookie).await.expect(200).text();
    assert!(shown_secret(&plain).is_none());

    // A form with errors is answered in place, as before, and creates nothing.
    let bad = crate::scope::form(&app, "/profile/tokens", &cookie, &[("name", "")])
        .await
        .expect(422)
        .text();
    assert!(bad.contains("field-error"), "{bad}");
    assert_eq!(tokens(cookie).await, before + 1);
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let app = TestApp::new().await;
    app.admin().await;
    let (here, _) = app.login("admin@example.com", PASSWORD).await;
    let (elsewhere, _) = app.login("admin@example.com", PASSWORD).await;
    let new = "a much longer passphrase";

    let v = app
        .post(
            "/api/v1/auth/password",
            &here,
            json!({"current_password": "wrong one!", "new_password": new}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["current_password"]);
    let v = app
        .post(
            "/api/v1/auth/password",
            &here,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["new_password"]);
    app.post(
        "/api/v1/auth/password",
        &without_csrf(&here),
        json!({"current_password": PASSWORD, "new_password": new}),
    )
    .await
    .problem(403, "csrf_failed");

    app.post(
        "/api/v1/auth/password",
        &here,
        json!({"current_password": PASSWORD, "new_password": new}),
    )
    .await
    .expect(204);
    app.get("/api/v1/auth/me", &here).await.expect(200);
    app.get("/api/v1/auth/me", &elsewhere)
        .await
        .problem(401, "unauthenticated");
    app.post(
        LOGIN,
        &Auth::None,
        json!({"email": "admin@example.com", "password": PASSWORD}),
    )
    .await
    .expect(401);
    app.login("admin@example.com", new).await;
}

#[tokio::test]
async fn password_reset_mails_a_link_that_works_once() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let reset = "/api/v1/auth/password-reset";

    app.post(reset, &Auth::None, json!({"email": "admin@example.com"}))
        .await
        .expect(202);
    // Unknown addresses get the same answer, and no mail.
    app.post(reset, &Auth::None, json!({"email": "ghost@example.com"}))
        .await
        .expect(202);
    let v = app
        .post(reset, &Auth::None, json!({"email": "not an address"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["email"]);

    // The email goes out through the job queue.
    app.services
        .drain_jobs("test", time::OffsetDateTime::now_utc(), 10)
        .await
        .unwrap();
    let outbox = app
        .get("/api/v1/system/outbox", &admin.auth)
        .await
        .expect(200)
        .json();
    let mails = outbox["items"].as_array().unwrap();
    assert_eq!(mails.len(), 1, "{outbox}");
    assert_eq!(mails[0]["to_address"], "admin@example.com");
    assert_eq!(mails[0]["status"], "logged");
    let body = mails[0]["body"].as_str().unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/reset-password/"))
        .expect("a reset link");
    assert!(
        link.starts_with("http://127.0.0.1:5014/reset-password/"),
        "{link}"
    );
    let token = link.rsplit('/').next().unwrap();

    let confirm = "/api/v1/auth/password-reset/confirm";
    let v = app
        .post(
            confirm,
            &Auth::None,
            json!({"token": token, "password": "short"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["password"]);
    let new = "reset to something long";
    app.post(
        confirm,
        &Auth::None,
        json!({"token": token, "password": new}),
    )
    .await
    .expect(204);
    let v = app
        .post(
            confirm,
            &Auth::None,
            json!({"token": token, "password": "yet another passphrase"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["token"]);

    // The new password signs in; the old one no longer does.
    app.login("admin@example.com", new).await;
    app.post(
        LOGIN,
        &Auth::None,
        json!({"email": "admin@example.com", "password": PASSWORD}),
    )
    .await
    .expect(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_run_setups_create_one_administrator() {
    let app = TestApp::new().await;
    let mut attempts = tokio::task::JoinSet::new();
    for n in 0..12 {
        let body = serde_urlencoded::to_string([
            ("name", format!("Admin {n}")),
            ("email", format!("admin{n}@example.com")),
            ("password", PASSWORD.to_owned()),
        ])
        .unwrap();
        let req = crate::support::TestApp::build(
            Method::POST,
            "/setup",
            &Auth::None,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(axum::body::Body::from(body)),
            false,
        );
        let router = app.router.clone();
        attempts.spawn(async move {
            use tower::ServiceExt;
            let resp = router.oneshot(req).await.unwrap();
            (
                resp.status().as_u16(),
                resp.headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or_default()
                    .to_owned(),
            )
        });
    }
    let answers = attempts.join_all().await;
    let welcomed = answers
        .iter()
        .filter(|(status, to)| *status == 303 && to == "/?m=welcome")
        .count();
    assert_eq!(welcomed, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, to)| *status == 303 && (to == "/?m=welcome" || to == "/login")),
        "the others are sent to sign in: {answers:?}"
    );
    use formula_app::repos::prelude::*;
    assert_eq!(app.db.count_users().await.unwrap(), 1);
}

/// The `api_tokens` change recorded by the latest `action` on `user_id`, as (old, new).
async fn tokens_revoked_in_audit(
    app: &TestApp,
    admin: &Auth,
    user_id: &str,
    action: &str,
) -> Option<(i64, i64)> {
    let trail = app
        .get(
            &format!("/api/v1/audit?entity_type=user&entity_id={user_id}&action={action}"),
            admin,
        )
        .await
        .expect(200)
        .json();
    trail["items"][0]["changes"]
        .as_array()?
        .iter()
        .find(|c| c["field"] == "api_tokens")
        .map(|c| (c["old"].as_i64().unwrap(), c["new"].as_i64().unwrap()))
}

#[tokio::test]
async fn a_password_reset_revokes_every_api_token() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Pia Manager", None)
        .await;
    app.get("/api/v1/auth/me", &pm.auth).await.expect(200);
    app.post(
        "/api/v1/auth/password-reset",
        &Auth::None,
        json!({"email": pm.user.email}),
    )
    .await
    .expect(202);
    app.services
        .drain_jobs("test", time::OffsetDateTime::now_utc(), 10)
        .await
        .unwrap();
    let outbox = app
        .get("/api/v1/system/outbox", &admin.auth)
        .await
        .expect(200)
        .json();
    let body = outbox["items"][0]["body"].as_str().unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/reset-password/"))
        .expect("a reset link");
    let token = link.rsplit('/').next().unwrap();
    app.post(
        "/api/v1/auth/password-reset/confirm",
        &Auth::None,
        json!({"token": token, "password": "reset to something long"}),
    )
    .await
    .expect(204);
    app.get("/api/v1/auth/me", &pm.auth)
        .await
        .problem(401, "unauthenticated");
    app.get("/api/v1/auth/me", &admin.auth).await.expect(200);
    assert_eq!(
        tokens_revoked_in_audit(&app, &admin.auth, &pm.id(), "reset_password").await,
        Some((1, 0))
    );
}

#[tokio::test]
async fn changing_the_password_revokes_api_tokens_when_asked() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let (here, _) = app.login("admin@example.com", PASSWORD).await;
    let first = "a much longer passphrase";
    app.post(
        "/api/v1/auth/password",
        &here,
        json!({"current_password": PASSWORD, "new_password": first}),
    )
    .await
    .expect(204);
    app.get("/api/v1/auth/me", &admin.auth).await.expect(200);
    app.post(
        "/api/v1/auth/password",
        &here,
        json!({"current_password": first, "new_password": "another long passphrase", "revoke_tokens": true}),
    )
    .await
    .expect(204);
    app.get("/api/v1/auth/me", &admin.auth)
        .await
        .problem(401, "unauthenticated");
    app.get("/api/v1/auth/me", &here).await.expect(200);
    assert_eq!(
        tokens_revoked_in_audit(&app, &here, &admin.id(), "change_password").await,
        Some((1, 0))
    );

    // The profile page offers the same choice.
    let page = app.get("/profile", &here).await.expect(200).text();
    assert!(
        page.contains(r#"name="revoke_tokens" type="checkbox""#),
        "{page}"
    );
    let script = app.token_for(&admin.user).await;
    let Auth::Cookie {
        token,
        csrf: Some(csrf),
    } = &here
    else {
        panic!("cookie auth")
    };
    let body = serde_urlencoded::to_string([
        ("_csrf", csrf.as_str()),
        ("current_password", "another long passphrase"),
        ("new_password", "a third long passphrase"),
        ("revoke_tokens", "1"),
    ])
    .unwrap();
    let form = crate::support::TestApp::build(
        Method::POST,
        "/profile/password",
        &Auth::Cookie {
            token: token.clone(),
            csrf: None,
        },
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(axum::body::Body::from(body)),
        false,
    );
    app.send(form).await.expect(303);
    app.get("/api/v1/auth/me", &script)
        .await
        .problem(401, "unauthenticated");
}

#[tokio::test]
async fn enabling_a_disabled_user_again_does_not_revive_their_tokens() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Pia Manager", None)
        .await;
    let path = format!("/api/v1/users/{}", pm.id());
    app.get("/api/v1/auth/me", &pm.auth).await.expect(200);
    app.patch(
        &path,
        &admin.auth,
        json!({"status": "disabled", "version": 1}),
    )
    .await
    .expect(200);
    app.get("/api/v1/auth/me", &pm.auth)
        .await
        .problem(401, "unauthenticated");
    app.patch(
        &path,
        &admin.auth,
        json!({"status": "active", "version": 2}),
    )
    .await
    .expect(200);
    app.get("/api/v1/auth/me", &pm.auth)
        .await
        .problem(401, "unauthenticated");
    let v = app.get(&path, &admin.auth).await.expect(200).json();
    assert_eq!(v["status"], "active");
}
