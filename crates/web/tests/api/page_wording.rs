//! What the pages say: labels capitalised like every other, breadcrumbs that name the
//! project, and messages about the thing that was done.

use serde_json::json;

use crate::scope::{boq, form};
use crate::support::id_of;

#[tokio::test]
async fn material_categories_are_capitalised_like_other_labels() {
    let b = boq().await;
    b.app
        .post(
            &format!("/api/v1/projects/{}/specs", b.project),
            &b.pm.auth,
            json!({"code": "SS-01", "description": "Corian top", "category": "solid_surface",
                   "quantity": "2", "unit": "m²", "unit_cost_minor": 10000}),
        )
        .await
        .expect(201);
    let (pm, _) = b
        .app
        .login(&b.pm.user.email, crate::support::PASSWORD)
        .await;
    let html = b
        .app
        .get(&format!("/projects/{}/materials", b.project), &pm)
        .await
        .expect(200)
        .text();
    // In the costs by category as in the list and the form.
    assert!(!html.contains("solid surface"), "{html}");
    assert!(html.contains("<tr><td>Solid surface</td>"), "{html}");
}

#[tokio::test]
async fn a_scope_items_breadcrumb_names_its_project() {
    let b = boq().await;
    let project: serde_json::Value = b
        .app
        .get(&format!("/api/v1/projects/{}", b.project), &b.pm.auth)
        .await
        .json();
    let code = project["code"].as_str().unwrap();
    let scope: serde_json::Value = b
        .app
        .get(&format!("/api/v1/projects/{}/scope", b.project), &b.pm.auth)
        .await
        .json();
    let item = b
        .app
        .post(
            &format!("/api/v1/projects/{}/scope-items", b.project),
            &b.pm.auth,
            json!({"group_id": id_of(&scope["groups"][1]), "name": "Reception desk"}),
        )
        .await
        .expect(201)
        .json();
    let (pm, _) = b
        .app
        .login(&b.pm.user.email, crate::support::PASSWORD)
        .await;
    let html = b
        .app
        .get(&format!("/scope-items/{}/edit", id_of(&item)), &pm)
        .await
        .expect(200)
        .text();
    let crumbs = html
        .split("<ul class=\"breadcrumbs\">")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .unwrap();
    assert_eq!(
        crumbs,
        format!(
            "<li><a href=\"/projects\">Projects</a></li><li><a href=\"/projects/{p}\" title=\"Lobby joinery\">{code}</a></li><li><a href=\"/projects/{p}/scope\">Scope</a></li>",
            p = b.project
        )
    );
    // The line under the heading has no separator left dangling.
    let header = html
        .split("</h1>")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .unwrap();
    assert!(!header.trim_end().ends_with('·'), "{header}");
    assert!(!header.contains("· ·"), "{header}");
}

#[tokio::test]
async fn submitting_a_specification_says_the_specification_was_submitted() {
    let b = boq().await;
    let spec = b
        .app
        .post(
            &format!("/api/v1/projects/{}/specs", b.project),
            &b.pm.auth,
            json!({"code": "V-01", "description": "Walnut veneer", "category": "veneer"}),
        )
        .await
        .expect(201)
        .json();
    let (pm, _) = b
        .app
        .login(&b.pm.user.email, crate::support::PASSWORD)
        .await;
    let page = format!("/specs/{}", id_of(&spec));
    let done = form(&b.app, &format!("{page}/submit"), &pm, &[("version", "1")])
        .await
        .expect(303);
    let location = done.header("location").unwrap();
    let html = b.app.get(&location, &pm).await.expect(200).text();
    assert!(
        html.contains("The specification was submitted for review"),
        "{html}"
    );
    assert!(!html.contains("revision"), "{html}");
}
