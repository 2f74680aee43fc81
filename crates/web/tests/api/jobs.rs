//! Background jobs through the whole application: the password-reset email goes through the
//! queue and lands in the outbox exactly once; a job that keeps failing ends up dead, where
//! administrators (only) see it and retry it.

use axum::http::Method;
use formula_app::jobs::{NewJob, RunOutcome};
use serde_json::json;
use time::OffsetDateTime;

use crate::support::{Auth, Captured, PASSWORD, TestApp};

async fn outbox(app: &TestApp, auth: &Auth) -> Vec<serde_json::Value> {
    app.get("/api/v1/system/outbox", auth)
        .await
        .expect(200)
        .json()["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_reset_email_is_delivered_once_by_the_worker() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    app.post(
        "/api/v1/auth/password-reset",
        &Auth::None,
        json!({"email": "admin@example.com"}),
    )
    .await
    .expect(202);

    // Committed with the reset link, waiting for a worker.
    assert!(outbox(&app, &admin.auth).await.is_empty());
    let queued = app
        .get("/api/v1/system/jobs?status=queued", &admin.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(queued["total"], 1, "{queued}");
    assert_eq!(queued["items"][0]["kind"], "send_email");
    assert_eq!(queued["items"][0]["payload"]["to"], "admin@example.com");

    let now = OffsetDateTime::now_utc();
    assert_eq!(app.services.drain_jobs("test", now, 10).await.unwrap(), 1);
    assert_eq!(app.services.drain_jobs("test", now, 10).await.unwrap(), 0);
    let mails = outbox(&app, &admin.auth).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["to_address"], "admin@example.com");
    assert_eq!(mails[0]["status"], "logged");
    assert!(
        mails[0]["body"]
            .as_str()
            .unwrap()
            .contains("/reset-password/")
    );
    let done = app
        .get("/api/v1/system/jobs?status=done", &admin.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(done["total"], 1, "{done}");
    assert_eq!(done["items"][0]["attempts"], 1);
}

#[tokio::test]
async fn without_smtp_the_log_says_where_a_reset_email_is_but_never_holds_its_link() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(out.clone())
        .finish();
    // The test runs on one thread, so the subscriber sees the request and the job below.
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    app.post(
        "/api/v1/auth/password-reset",
        &Auth::None,
        json!({"email": "admin@example.com"}),
    )
    .await
    .expect(202);
    let now = OffsetDateTime::now_utc();
    assert_eq!(app.services.drain_jobs("test", now, 10).await.unwrap(), 1);

    let mails = outbox(&app, &admin.auth).await;
    let body = mails[0]["body"].as_str().unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/reset-password/"))
        .expect("a reset link in the outbox");
    let token = link.rsplit('/').next().unwrap();

    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(
        !text.contains(token) && !text.contains("/reset-password/"),
        "the log holds the reset link: {text}"
    );
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let logged = lines
        .iter()
        .find(|l| l["message"].as_str().is_some_and(|m| m.contains("outbox")))
        .unwrap_or_else(|| panic!("no line pointing to the outbox in {text}"));
    assert_eq!(logged["level"], "INFO");
    assert_eq!(logged["subject"], mails[0]["subject"], "{logged}");
    assert!(logged.get("body").is_none(), "{logged}");
}

#[tokio::test]
async fn a_failing_job_goes_dead_and_only_admins_see_and_retry_it() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let exec = app.user(&admin, "executive", "Eve Exec", None).await;
    let job = NewJob {
        max_attempts: 3,
        ..NewJob::new("no_such_kind", json!({"n": 1}))
    };
    assert!(app.services.enqueue_job(&job).await.unwrap());

    // Each failure schedules the next attempt later; the last one leaves it dead.
    let mut now = OffsetDateTime::now_utc();
    for attempt in 1..=3 {
        let (ran, outcome) = app
            .services
            .run_next_job("test", now)
            .await
            .unwrap()
            .expect("a due job");
        assert_eq!((ran.id, ran.attempts), (job.id, attempt));
        match outcome {
            RunOutcome::Retry(at) if attempt < 3 => {
                assert!(at > now);
                assert!(
                    app.services
                        .run_next_job("test", now)
                        .await
                        .unwrap()
                        .is_none(),
                    "not before its back-off"
                );
                now = at;
            }
            RunOutcome::Dead if attempt == 3 => {}
            other => panic!("attempt {attempt}: {other:?}"),
        }
    }
    assert!(
        app.services
            .run_next_job("test", now + time::Duration::days(1))
            .await
            .unwrap()
            .is_none()
    );

    let dead = app
        .get("/api/v1/system/jobs?status=dead", &admin.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(dead["total"], 1, "{dead}");
    assert_eq!(dead["items"][0]["id"], job.id.to_string());
    assert!(
        dead["items"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("no handler for job kind")
    );
    app.get("/api/v1/system/jobs?status=stuck", &admin.auth)
        .await
        .problem(422, "validation_failed");

    let retry = format!("/api/v1/system/jobs/{}/retry", job.id);
    app.get("/api/v1/system/jobs", &exec.auth)
        .await
        .problem(403, "forbidden");
    app.call(Method::POST, &retry, &exec.auth, None)
        .await
        .problem(403, "forbidden");
    app.get("/api/v1/system/jobs", &Auth::None)
        .await
        .expect(401);

    let again = app
        .call(Method::POST, &retry, &admin.auth, None)
        .await
        .expect(200)
        .json();
    assert_eq!(
        (again["status"].as_str(), again["attempts"].as_i64()),
        (Some("queued"), Some(0))
    );
    app.call(Method::POST, &retry, &admin.auth, None)
        .await
        .problem(409, "not_dead");
    app.call(
        Method::POST,
        &format!("/api/v1/system/jobs/{}/retry", uuid::Uuid::now_v7()),
        &admin.auth,
        None,
    )
    .await
    .problem(404, "not_found");
    let audit = app
        .get("/api/v1/audit?entity_type=job&action=retry", &admin.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(audit["total"], 1, "{audit}");
    let (ran, _) = app
        .services
        .run_next_job("test", OffsetDateTime::now_utc())
        .await
        .unwrap()
        .expect("the retried job runs again");
    assert_eq!((ran.id, ran.attempts), (job.id, 1));
}

#[tokio::test]
async fn the_jobs_page_is_for_administrators() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    app.user(&admin, "executive", "Eve Exec", None).await;
    let job = NewJob {
        max_attempts: 1,
        ..NewJob::new("no_such_kind", json!({}))
    };
    app.services.enqueue_job(&job).await.unwrap();
    app.services
        .drain_jobs("test", OffsetDateTime::now_utc(), 5)
        .await
        .unwrap();

    let (cookie, _) = app.login("admin@example.com", PASSWORD).await;
    let page = app
        .get("/jobs?status=dead", &cookie)
        .await
        .expect(200)
        .text();
    assert!(page.contains("Background jobs"), "{page}");
    assert!(page.contains("no_such_kind"), "{page}");
    assert!(
        page.contains(&format!("action=\"/jobs/{}/retry\"", job.id)),
        "{page}"
    );
    assert!(page.contains("href=\"/jobs\""), "the nav links to the page");

    let (exec, _) = app.login("eve.exec@example.com", PASSWORD).await;
    let page = app.get("/", &exec).await.expect(200).text();
    assert!(!page.contains("href=\"/jobs\""), "no link for others");
    app.get("/jobs", &exec).await.expect(403);
}
