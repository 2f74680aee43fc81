//! A tender that was not won has no progress to show: the bid's tasks may all be done, but
//! no contract work was, so the API answers no figure and the pages show "—", not 100 %.

use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn a_project_not_awarded_shows_no_progress() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let id = app
        .project(&pm.auth, "Lost tender", &client, &pm.id())
        .await;
    // The bid was prepared in full.
    app.task(
        &pm.auth,
        &id,
        json!({"title": "Price the tender", "status": "completed"}),
    )
    .await;
    let project = format!("/api/v1/projects/{id}");
    assert_eq!(app.get(&project, &pm.auth).await.json()["progress"], 100);

    app.post(
        &format!("{project}/status"),
        &pm.auth,
        json!({"status": "not_awarded", "version": 1}),
    )
    .await
    .expect(200);
    let p = app.get(&project, &pm.auth).await.expect(200).json();
    assert_eq!(
        (&p["status"], &p["progress"]),
        (&json!("not_awarded"), &json!(null)),
        "{p}"
    );

    let (cookie, _) = app.login(&pm.user.email, crate::support::PASSWORD).await;
    for page in [
        format!("/projects/{id}"),
        "/projects".to_owned(),
        "/".to_owned(),
    ] {
        let html = app.get(&page, &cookie).await.expect(200).text();
        assert!(!html.contains("100%"), "{page}: {html}");
        if page != "/" {
            assert!(html.contains("No progress: not awarded"), "{page}: {html}");
        }
    }
}
