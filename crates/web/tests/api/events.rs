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
