//! Change events: every project or task write that commits announces itself on the event
//! bus (ids and versions only); a refused write announces nothing.

use serde_json::{Value, json};
use tokio::sync::broadcast::error::TryRecvError;

use crate::support::{TestApp, id_of};

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
    // Ids and versions only: never the record's data.
    assert!(got.iter().all(|e| e.as_object().unwrap().len() == 4));
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

    // A change on a project she cannot see is not sent; hers is — the first frame to arrive.
    app.task(&admin.auth, &others, json!({"title": "Secret"}))
        .await;
    let task = app
        .task(&pm.auth, &theirs, json!({"title": "Shop drawings"}))
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
}
