//! Change events: every project or task write that commits announces itself on the event
//! bus (ids and versions only); a refused write announces nothing.

use std::sync::Arc;

use formula_app::AppConfig;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::TryRecvError;

use crate::support::{Auth, PASSWORD, TestApp, id_of};

/// The events published so far, parsed.
fn drain(rx: &mut tokio::sync::broadcast::Receiver<String>) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        match rx.try_recv() {
            Ok(json) => out.push(serde_json::from_str(&json).unwrap()),
            Err(TryRecvError::Empty) => return out,
            Err(e) => panic!("event bus: {e}"),
        }
    }
}

#[tokio::test]
async fn committed_writes_publish_events_with_ids_and_versions() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let mut events = app.services.events.subscribe();
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app
        .project(&admin.auth, "Lobby joinery", &client, &admin.id())
        .await;
    let task = app
        .task(&admin.auth, &project, json!({"title": "Shop drawings"}))
        .await;
    let task_id = id_of(&task);
    let path = format!("/api/v1/tasks/{task_id}");
    app.patch(&path, &admin.auth, json!({"progress": 50, "version": 1}))
        .await
        .expect(200);
    // A stale write is refused and announces nothing.
    app.patch(&path, &admin.auth, json!({"progress": 60, "version": 1}))
        .await
        .expect(409);

    let got = drain(&mut events);
    let summary: Vec<(&str, &str, Option<i64>)> = got
        .iter()
        .map(|e| {
            assert_eq!(e["project_id"], project.as_str(), "{e}");
            (
                e["kind"].as_str().unwrap(),
                e["id"].as_str().unwrap(),
                e["version"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("project.created", project.as_str(), Some(1)),
            ("task.created", task_id.as_str(), Some(1)),
            ("task.updated", task_id.as_str(), Some(2)),
        ]
    );
    // Ids and versions only, and who made the change: never the record's data.
    for e in &got {
        let mut keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["actor", "id", "kind", "project_id", "version"],
            "{e}"
        );
        assert_eq!(e["actor"], admin.id().as_str());
    }
}

/// Reads the stream until a frame naming `event`, and returns that frame.
pub async fn frame_with(body: &mut axum::body::Body, event: &str) -> String {
    use http_body_util::BodyExt;
    let mut text = String::new();
    loop {
        let frame = body
            .frame()
            .await
            .expect("the stream stays open")
            .expect("a frame");
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            if block.contains(&format!("event: {event}\n")) {
                return block;
            }
        }
    }
}

#[tokio::test]
async fn the_live_stream_sends_changes_only_for_visible_projects() {
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let theirs = app
        .project(&pm.auth, "Lobby joinery", &client, &pm.id())
        .await;
    let others = app
        .project(&admin.auth, "Office fit-out", &client, &admin.id())
        .await;

    // Unauthenticated: refused like any API call.
    app.get("/api/v1/events", &crate::support::Auth::None)
        .await
        .problem(401, "unauthenticated");

    let req = TestApp::build(
        axum::http::Method::GET,
        "/api/v1/events",
        &pm.auth,
        &[("accept", "text/event-stream")],
        None,
        false,
    );
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    assert_eq!(resp.headers()["x-accel-buffering"], "no");
    let mut body = resp.into_body();

    // A change on a project she cannot see is not sent; one on hers is — the first frame to
    // arrive.
    app.task(&admin.auth, &others, json!({"title": "Secret"}))
        .await;
    let task = app
        .task(&admin.auth, &theirs, json!({"title": "Shop drawings"}))
        .await;
    let frame = frame_with(&mut body, "change").await;
    let data: Value = serde_json::from_str(
        frame
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (
            data["kind"].as_str(),
            data["id"].as_str(),
            data["project_id"].as_str()
        ),
        (
            Some("task.created"),
            Some(id_of(&task).as_str()),
            Some(theirs.as_str())
        )
    );
    assert!(!frame.contains("Shop drawings"), "ids only, never data");
    assert!(!frame.contains("actor"), "{frame}");
}

/// The data of a `change` frame.
fn change_of(frame: &str) -> Value {
    serde_json::from_str(
        frame
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .expect("a data line"),
    )
    .expect("JSON")
}

#[tokio::test]
async fn nobody_hears_of_their_own_changes_on_any_of_their_streams() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app
        .project(&admin.auth, "Lobby joinery", &client, &pm.id())
        .await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let (pm_session, _) = app.login("paula.manager@example.com", PASSWORD).await;
    let mut pm_token_stream = open_stream(&app, "/api/v1/events", &pm.auth).await;
    let mut pm_browser_stream = open_stream(&app, "/events", &pm_session).await;
    let mut designer_stream = open_stream(&app, "/api/v1/events", &designer.auth).await;

    // Her own changes, through the API and through a page: neither of her streams hears of
    // them; the designer's does. Then the designer's change reaches her — the first frame
    // both of her streams carry.
    let own = app
        .task(&pm.auth, &project, json!({"title": "Her own"}))
        .await;
    crate::scope::form(
        &app,
        &format!("/projects/{project}/tasks"),
        &pm_session,
        &[("title", "From the page"), ("priority", "medium")],
    )
    .await
    .expect(303);
    let designers = app
        .task(&designer.auth, &project, json!({"title": "The designer's"}))
        .await;
    for stream in [&mut pm_token_stream, &mut pm_browser_stream] {
        let data = change_of(&frame_with(stream, "change").await);
        assert_eq!(data["kind"], "task.created");
        assert_eq!(
            data["id"],
            id_of(&designers).as_str(),
            "her own change was sent: {data}"
        );
    }
    let data = change_of(&frame_with(&mut designer_stream, "change").await);
    assert_eq!(data["id"], id_of(&own).as_str(), "{data}");
}

/// Bounds every wait for a stream to end; it normally ends within milliseconds.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);

/// Opens a live-update stream at `path` (`/api/v1/events` or `/events`) and returns its body.
async fn open_stream(app: &TestApp, path: &str, auth: &Auth) -> axum::body::Body {
    use tower::ServiceExt;
    let req = TestApp::build(
        axum::http::Method::GET,
        path,
        auth,
        &[("accept", "text/event-stream")],
        None,
        false,
    );
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    resp.into_body()
}

/// Reads `body` until the server ends the stream; fails if it is still open after
/// [`PATIENCE`].
async fn ends(body: &mut axum::body::Body, what: &str) {
    use http_body_util::BodyExt;
    let read = async {
        while let Some(frame) = body.frame().await {
            frame.expect("a frame");
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .unwrap_or_else(|_| panic!("{what}: the stream stayed open"));
}

/// Creates an API token for the caller of `auth` through the API: `(bearer, token id)`.
async fn new_token(app: &TestApp, auth: &Auth, body: Value) -> (Auth, String) {
    let created = app.post("/api/v1/me/tokens", auth, body).await.expect(201);
    let created = created.json();
    (
        Auth::Bearer(created["secret"].as_str().unwrap().to_owned()),
        created["token"]["id"].as_str().unwrap().to_owned(),
    )
}

/// A change every stream of `admin` may see, made by another administrator (nobody hears of
/// their own changes): a new client and project.
async fn some_change(app: &TestApp, admin: &crate::support::TestUser, name: &str) {
    let other = app
        .user(admin, "admin", &format!("Other Admin {name}"), None)
        .await;
    let client = app.client(&other.auth, name).await;
    app.project(&other.auth, name, &client, &other.id()).await;
}

#[tokio::test]
async fn revoking_an_api_token_ends_its_open_stream_and_no_other() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let (kept, _) = new_token(&app, &admin.auth, json!({"name": "kept"})).await;
    let (revoked, revoked_id) = new_token(&app, &admin.auth, json!({"name": "revoked"})).await;
    let mut kept_stream = open_stream(&app, "/api/v1/events", &kept).await;
    let mut revoked_stream = open_stream(&app, "/api/v1/events", &revoked).await;

    app.delete(&format!("/api/v1/me/tokens/{revoked_id}"), &admin.auth)
        .await
        .expect(204);
    ends(&mut revoked_stream, "the revoked token's stream").await;
    // Reconnecting is refused like any call with the revoked token.
    app.get("/api/v1/events", &revoked)
        .await
        .problem(401, "unauthenticated");

    // The other token's stream is in force and still delivers.
    assert_eq!(app.services.end_streams_out_of_force().await.unwrap(), 0);
    some_change(&app, &admin, "Alpha Hotels").await;
    frame_with(&mut kept_stream, "change").await;
    assert_eq!(app.services.open_streams(), 1);
}

#[tokio::test]
async fn signing_out_ends_the_sessions_browser_stream_and_no_other() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let (signed_out, _) = app.login("admin@example.com", PASSWORD).await;
    let (other, _) = app.login("admin@example.com", PASSWORD).await;
    let mut signed_out_stream = open_stream(&app, "/events", &signed_out).await;
    let mut other_stream = open_stream(&app, "/events", &other).await;

    app.post("/api/v1/auth/logout", &signed_out, json!({}))
        .await
        .expect(204);
    ends(&mut signed_out_stream, "the signed-out session's stream").await;

    assert_eq!(app.services.end_streams_out_of_force().await.unwrap(), 0);
    some_change(&app, &admin, "Alpha Hotels").await;
    frame_with(&mut other_stream, "change").await;
}

#[tokio::test]
async fn an_expired_session_or_token_ends_its_stream() {
    use formula_app::ports::FixedClock;
    let start = time::OffsetDateTime::now_utc();
    let clock = Arc::new(FixedClock::new(start));
    let config = AppConfig {
        // Expiry is nobody's action: only the periodic check sees it.
        stream_recheck: std::time::Duration::from_millis(50),
        ..AppConfig::default()
    };
    let idle = config.session_idle;
    let app = TestApp::with_config(config, Some(clock.clone())).await;
    let admin = app.admin().await;
    let (session, _) = app.login("admin@example.com", PASSWORD).await;
    let (token, _) = new_token(
        &app,
        &admin.auth,
        json!({"name": "one day", "expires_in_days": 1}),
    )
    .await;
    let mut session_stream = open_stream(&app, "/events", &session).await;
    let mut token_stream = open_stream(&app, "/api/v1/events", &token).await;

    // The session idles out (the open stream is no use of it); the token is still valid.
    clock.set(start + idle + time::Duration::minutes(1));
    ends(&mut session_stream, "the idle session's stream").await;
    assert_eq!(app.services.end_streams_out_of_force().await.unwrap(), 0);
    assert_eq!(app.services.open_streams(), 1);

    clock.set(start + time::Duration::days(2));
    ends(&mut token_stream, "the expired token's stream").await;
}

#[tokio::test]
async fn disabling_a_user_ends_their_streams_and_no_one_elses() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let (session, _) = app.login("paula.manager@example.com", PASSWORD).await;
    let mut by_token = open_stream(&app, "/api/v1/events", &pm.auth).await;
    let mut by_session = open_stream(&app, "/events", &session).await;
    let mut admins = open_stream(&app, "/api/v1/events", &admin.auth).await;

    let path = format!("/api/v1/users/{}", pm.id());
    let version = app.get(&path, &admin.auth).await.expect(200).json()["version"].clone();
    app.patch(
        &path,
        &admin.auth,
        json!({"status": "disabled", "version": version}),
    )
    .await
    .expect(200);
    ends(&mut by_token, "the disabled user's token stream").await;
    ends(&mut by_session, "the disabled user's browser stream").await;

    assert_eq!(app.services.end_streams_out_of_force().await.unwrap(), 0);
    some_change(&app, &admin, "Alpha Hotels").await;
    frame_with(&mut admins, "change").await;
}

/// The next `n` change frames of a stream.
async fn changes_heard(stream: &mut axum::body::Body, n: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(change_of(&frame_with(stream, "change").await));
    }
    out
}

#[tokio::test]
async fn schedule_changes_reach_the_open_schedule_and_gantt_pages() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app
        .project(&admin.auth, "Lobby joinery", &client, &pm.id())
        .await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let task = |title: &str, start: &str, due: &str| json!({"title": title, "start_date": start, "due_date": due});
    let a = id_of(
        &app.task(
            &pm.auth,
            &project,
            task("Fabricate", "2030-01-07", "2030-01-09"),
        )
        .await,
    );
    let b = id_of(
        &app.task(
            &pm.auth,
            &project,
            task("Install", "2030-01-07", "2030-01-08"),
        )
        .await,
    );

    // Both pages follow the project's tasks and its schedule (what a change's kind and
    // project name, as app.js matches them).
    let (session, _) = app.login("dana.designer@example.com", PASSWORD).await;
    for page in ["schedule", "gantt"] {
        let html = app
            .get(&format!("/projects/{project}/{page}"), &session)
            .await
            .expect(200)
            .text();
        assert!(
            html.contains(&format!("data-live=\"task:{project} schedule:{project}\"")),
            "{page}: {html}"
        );
    }
    let mut stream = open_stream(&app, "/events", &session).await;
    let followed = |changes: &[Value]| {
        for c in changes {
            let entity = c["kind"].as_str().unwrap().split('.').next().unwrap();
            assert!(matches!(entity, "task" | "schedule"), "{c}");
            assert_eq!(c["project_id"], project.as_str(), "{c}");
        }
    };
    let ids = |changes: &[Value]| -> Vec<String> {
        let mut v: Vec<String> = changes
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let mut both = vec![a.clone(), b.clone()];
    both.sort();

    // A dependency added: both its tasks changed (each task page's Dependencies card too).
    let dep = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/dependencies"),
            &pm.auth,
            json!({"predecessor_id": a, "successor_id": b}),
        )
        .await
        .expect(201)
        .json(),
    );
    let heard = changes_heard(&mut stream, 2).await;
    followed(&heard);
    assert_eq!(ids(&heard), both);

    // A reschedule applied: the task it moves, with its new version.
    let plan = app
        .post(
            &format!("/api/v1/projects/{project}/schedule/proposal"),
            &pm.auth,
            json!({}),
        )
        .await
        .expect(200)
        .json();
    let changes: Vec<Value> = plan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["moves"] == true)
        .map(|r| json!({"task_id": r["task_id"], "version": r["version"], "start": r["proposed_start"], "due": r["proposed_due"]}))
        .collect();
    assert_eq!(changes.len(), 1, "{plan}");
    app.post(
        &format!("/api/v1/projects/{project}/schedule/apply"),
        &pm.auth,
        json!({"changes": changes}),
    )
    .await
    .expect(200);
    let heard = changes_heard(&mut stream, 1).await;
    followed(&heard);
    assert_eq!(
        (
            heard[0]["kind"].as_str(),
            heard[0]["id"].as_str(),
            heard[0]["version"].as_i64()
        ),
        (Some("task.updated"), Some(b.as_str()), Some(2))
    );

    // A baseline saved and deleted.
    let baseline = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/baselines"),
            &pm.auth,
            json!({"name": "Contract programme"}),
        )
        .await
        .expect(201)
        .json(),
    );
    app.delete(&format!("/api/v1/baselines/{baseline}"), &pm.auth)
        .await
        .expect(204);
    let heard = changes_heard(&mut stream, 2).await;
    followed(&heard);
    for c in &heard {
        assert_eq!(
            (c["kind"].as_str(), c["id"].as_str()),
            (Some("schedule.baseline"), Some(baseline.as_str()))
        );
    }

    // The dependency removed: both its tasks again.
    app.delete(&format!("/api/v1/dependencies/{dep}"), &pm.auth)
        .await
        .expect(204);
    let heard = changes_heard(&mut stream, 2).await;
    followed(&heard);
    assert_eq!(ids(&heard), both);
}
