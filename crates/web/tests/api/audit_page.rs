//! The audit page as people read it: names instead of ids, times to the minute, each
//! entry's changes summarised with the details behind a toggle, 100 entries inside the
//! page budget, and an entity filter that covers the scope, drawings, specs and releases.

use serde_json::{Value, json};

use crate::scope::boq;
use crate::support::{PASSWORD, TestUser, id_of};

/// Whether the text holds a time with fractions of a second (`12:34:56.789`).
fn has_fractional_seconds(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(10).any(|w| {
        let d = |i: usize| w[i].is_ascii_digit();
        d(0) && d(1)
            && w[2] == b':'
            && d(3)
            && d(4)
            && w[5] == b':'
            && d(6)
            && d(7)
            && w[8] == b'.'
            && d(9)
    })
}

#[tokio::test]
async fn a_hundred_realistic_entries_read_well_within_the_page_budget() {
    let b = boq().await;
    let app = &b.app;
    let p = &b.project;
    let admin = TestUser {
        user: b.admin.user.clone(),
        auth: b.admin.auth.clone(),
    };
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    app.member(&b.pm.auth, p, &designer, "designer").await;
    let scope: Value = app
        .get(&format!("/api/v1/projects/{p}/scope"), &b.pm.auth)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][0]);

    // A working week: tasks assigned and started; scope items, materials and drawings added.
    for i in 0..20 {
        let task = app
            .task(
                &b.pm.auth,
                p,
                json!({"title": format!("Site measure, room {}", 100 + i),
                    "assignee_id": designer.id(), "due_date": "2027-01-15"}),
            )
            .await;
        app.patch(
            &format!("/api/v1/tasks/{}", id_of(&task)),
            &designer.auth,
            json!({"status": "in_progress", "assignee_id": b.pm.id(), "version": 1}),
        )
        .await
        .expect(200);
    }
    let mut items = Vec::new();
    for i in 0..20 {
        let item = app
            .post(
                &format!("/api/v1/projects/{p}/scope-items"),
                &b.pm.auth,
                json!({"group_id": group, "name": format!("Wardrobe type {i}"),
                    "description": "Full-height wardrobe, walnut veneer doors, soft-close hinges and LED strip",
                    "location": format!("Guest room {}", 100 + i), "quantity": "12", "unit": "pcs",
                    "unit_price_minor": 185_000, "drawing_required": false, "spec_required": false}),
            )
            .await
            .expect(201)
            .json();
        items.push(item);
    }
    for (i, item) in items.iter().take(10).enumerate() {
        let spec = app
            .post(
                &format!("/api/v1/projects/{p}/specs"),
                &designer.auth,
                json!({"code": format!("V-{i:02}"), "description": "Walnut veneer, book-matched",
                    "category": "veneer", "material": "American walnut", "finish": "Matt lacquer",
                    "colour": "Natural", "quantity": "40", "unit": "m2", "unit_cost_minor": 8_050,
                    "lead_time_days": 21, "needed_on": "2027-03-01",
                    "scope_item_ids": [id_of(item)]}),
            )
            .await
            .expect(201)
            .json();
        app.patch(
            &format!("/api/v1/specs/{}", id_of(&spec)),
            &designer.auth,
            json!({"finish": "Satin lacquer", "version": 1}),
        )
        .await
        .expect(200);
    }
    for (i, item) in items.iter().take(5).enumerate() {
        app.post(
            &format!("/api/v1/projects/{p}/drawings"),
            &designer.auth,
            json!({"number": format!("SD-10{i}"), "title": "Wardrobe elevation",
                "scope_item_ids": [id_of(item)]}),
        )
        .await
        .expect(201);
    }
    let item = id_of(&items[19]);
    app.post(
        &format!("/api/v1/scope-items/{item}/release"),
        &b.pm.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    // The last change hands the project to another manager.
    let other = app.user(&admin, "project_manager", "Pat Other", None).await;
    app.patch(
        &format!("/api/v1/projects/{p}"),
        &b.admin.auth,
        json!({"manager_id": other.id(), "version": 1}),
    )
    .await
    .expect(200);

    let (cookie, _) = app.login(&b.admin.user.email, PASSWORD).await;
    let html = app.get("/audit", &cookie).await.expect(200).text();
    if let Ok(path) = std::env::var("AUDIT_HTML") {
        std::fs::write(path, &html).unwrap();
    }
    let rows = html.matches("<tr>").count() - 1;
    assert_eq!(rows, 100, "a full page of entries");
    assert!(
        html.len() <= 60 * 1024,
        "100 entries fit the 60 KB page budget: {} bytes",
        html.len()
    );
    // Names, not ids: the manager change reads by name.
    assert!(
        html.contains("<dt>manager<dd><del>Paula Manager</del> → Pat Other"),
        "{html}"
    );
    assert!(
        !html.contains(&format!("→ {}", other.id())),
        "no raw ids in the changes"
    );
    assert!(
        html.contains("<dt>assignee<dd><del>Dana Designer</del> → Paula Manager"),
        "task reassignment reads by name"
    );
    assert!(html.contains("<dt>status<dd><del>pending</del> → in progress"));
    assert!(html.contains("<dt>finish<dd><del>Matt lacquer</del> → Satin lacquer"));
    // Times to the minute (the markup keeps seconds, never their fractions).
    assert!(!has_fractional_seconds(&html), "no sub-second timestamps");
    // Changes are summarised, the details behind a toggle that needs no script.
    assert!(
        html.contains("<details><summary>assignee, status</summary>"),
        "{html}"
    );
    assert!(!html.contains("<script>"));

    // The entity filter covers scope items, drawings, specs and releases.
    for (value, label) in [
        ("scope_item", "Scope item"),
        ("drawing", "Drawing"),
        ("spec", "Material spec"),
        ("release", "Release to production"),
    ] {
        assert!(
            html.contains(&format!("<option value=\"{value}\">{label}</option>")),
            "entity filter offers {label}"
        );
    }
    let releases = app
        .get("/audit?entity_type=release", &cookie)
        .await
        .expect(200)
        .text();
    assert_eq!(releases.matches("<tr>").count() - 1, 1, "{releases}");
    assert!(releases.contains("release"), "{releases}");
    let specs = app
        .get("/audit?entity_type=spec", &cookie)
        .await
        .expect(200)
        .text();
    assert_eq!(specs.matches("<tr>").count() - 1, 20);
    let drawings = app
        .get("/audit?entity_type=drawing&action=create", &cookie)
        .await
        .expect(200)
        .text();
    assert_eq!(drawings.matches("<tr>").count() - 1, 5);
}
