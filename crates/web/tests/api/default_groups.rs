//! A project's default scope groups are created with the project, audited; opening the
//! Scope tab never writes, and a project without groups offers to add them (a POST).

use axum::http::Method;
use serde_json::Value;

use crate::scope::{Boq, boq, form};
use crate::support::id_of;

const DEFAULTS: [&str; 4] = ["Construction", "Millwork", "Electrical", "Mechanical/MEP"];

async fn group_names(b: &Boq) -> Vec<String> {
    let scope: Value = b
        .app
        .get(&format!("/api/v1/projects/{}/scope", b.project), &b.pm.auth)
        .await
        .expect(200)
        .json();
    scope["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The audit entries recording a scope group created, by whom.
async fn group_creations(b: &Boq) -> Vec<(String, String)> {
    let audit: Value = b
        .app
        .get(
            "/api/v1/audit?entity_type=scope_group&action=create&limit=200",
            &b.admin.auth,
        )
        .await
        .expect(200)
        .json();
    audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["entity_label"].as_str().unwrap_or_default().to_owned(),
                e["actor_name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_new_project_has_the_default_groups_with_audit_entries() {
    let b = boq().await;
    // Before anything reads the scope.
    let mut created = group_creations(&b).await;
    created.sort();
    let mut expected: Vec<(String, String)> = DEFAULTS
        .iter()
        .map(|n| ((*n).to_owned(), "Paula Manager".to_owned()))
        .collect();
    expected.sort();
    assert_eq!(created, expected);
    assert_eq!(group_names(&b).await, DEFAULTS);
}

#[tokio::test]
async fn opening_the_scope_tab_of_a_project_without_groups_writes_nothing() {
    let b = boq().await;
    let scope: Value = b
        .app
        .get(&format!("/api/v1/projects/{}/scope", b.project), &b.pm.auth)
        .await
        .json();
    for g in scope["groups"].as_array().unwrap() {
        b.app
            .call(
                Method::DELETE,
                &format!("/api/v1/scope-groups/{}?version=1", id_of(g)),
                &b.pm.auth,
                None,
            )
            .await
            .expect(204);
    }
    let audited = group_creations(&b).await.len();

    let (pm, _) = b
        .app
        .login(&b.pm.user.email, crate::support::PASSWORD)
        .await;
    let tab = format!("/projects/{}/scope", b.project);
    let html = b.app.get(&tab, &pm).await.expect(200).text();
    assert!(html.contains("This project has no groups yet"), "{html}");
    let action = format!("action=\"/projects/{}/scope/default-groups\"", b.project);
    assert!(html.contains(&action), "a button that posts: {html}");
    // Neither the page nor the API created anything.
    assert!(group_names(&b).await.is_empty());
    assert_eq!(group_creations(&b).await.len(), audited);

    // The button adds them, audited as the person who pressed it.
    let added = form(&b.app, &format!("{tab}/default-groups"), &pm, &[])
        .await
        .expect(303);
    assert!(added.header("location").unwrap().starts_with(&tab));
    assert_eq!(group_names(&b).await, DEFAULTS);
    assert_eq!(group_creations(&b).await.len(), audited + 4);
    // Pressed twice (a second tab), nothing more is added.
    form(&b.app, &format!("{tab}/default-groups"), &pm, &[])
        .await
        .expect(303);
    assert_eq!(group_creations(&b).await.len(), audited + 4);

    // The same through the API.
    let path = format!("/api/v1/projects/{}/scope/default-groups", b.project);
    let groups: Value = b
        .app
        .post(&path, &b.pm.auth, serde_json::json!({}))
        .await
        .expect(200)
        .json();
    assert_eq!(groups.as_array().unwrap().len(), 4, "{groups}");
}
