//! Every field the API can change, the UI can change, for the same people: a material
//! specification (sent back for revision, then changed and resubmitted), a drawing's
//! details, and deleting a project. Each form is compare-and-set on the version it showed.

use serde_json::{Value, json};

use crate::scope::{boq, form};
use crate::support::{PASSWORD, TestUser, id_of};

#[tokio::test]
async fn a_spec_sent_back_is_edited_in_the_ui_and_resubmitted() {
    let b = boq().await;
    let app = &b.app;
    let admin = TestUser {
        user: b.admin.user.clone(),
        auth: b.admin.auth.clone(),
    };
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    app.member(&b.pm.auth, &b.project, &designer, "designer")
        .await;
    let spec = app
        .post(
            &format!("/api/v1/projects/{}/specs", b.project),
            &designer.auth,
            json!({"code": "V-01", "description": "Walnut veneer", "category": "veneer",
                "quantity": "12", "unit": "m2"}),
        )
        .await
        .expect(201)
        .json();
    let id = id_of(&spec);
    app.post(
        &format!("/api/v1/specs/{id}/submit"),
        &designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/specs/{id}/review"),
        &b.pm.auth,
        json!({"decision": "revise_and_resubmit", "comments": "Say the finish", "version": 2}),
    )
    .await
    .expect(200);

    // The designer opens the spec: it offers an edit form with every field.
    let (d, _) = app.login(&designer.user.email, PASSWORD).await;
    let page = app
        .get(&format!("/specs/{id}"), &d)
        .await
        .expect(200)
        .text();
    assert!(
        page.contains(&format!("href=\"/specs/{id}/edit\"")),
        "a spec sent back offers editing"
    );
    let edit = format!("/specs/{id}/edit");
    let page = app.get(&edit, &d).await.expect(200).text();
    for field in [
        "code",
        "description",
        "category",
        "material",
        "finish",
        "colour",
        "dimensions",
        "hardware",
        "quantity",
        "unit",
        "unit_cost",
        "supplier_id",
        "part_number",
        "lead_time_days",
        "needed_on",
        "location",
        "phase",
    ] {
        assert!(
            page.contains(&format!("name=\"{field}\"")),
            "the edit form has {field}"
        );
    }
    assert!(page.contains("value=\"Walnut veneer\""));

    let fields = [
        ("version", "3"),
        ("code", "V-01"),
        ("description", "Walnut veneer, book-matched"),
        ("category", "veneer"),
        ("material", "American walnut"),
        ("finish", "Matt lacquer 10 %"),
        ("colour", "Natural"),
        ("dimensions", "2500 × 1250"),
        ("hardware", ""),
        ("quantity", "14.5"),
        ("unit", "m2"),
        ("unit_cost", "80.50"),
        ("supplier_id", ""),
        ("part_number", "WAL-BM-06"),
        ("lead_time_days", "21"),
        ("needed_on", "2027-03-01"),
        ("location", "Lobby"),
        ("phase", "1"),
    ];
    form(app, &edit, &d, &fields).await.expect(303);
    let saved: Value = app
        .get(&format!("/api/v1/specs/{id}"), &b.pm.auth)
        .await
        .expect(200)
        .json();
    let s = &saved["spec"];
    assert_eq!(
        (
            s["material"].as_str(),
            s["finish"].as_str(),
            s["colour"].as_str(),
            s["status"].as_str(),
        ),
        (
            Some("American walnut"),
            Some("Matt lacquer 10 %"),
            Some("Natural"),
            Some("draft")
        ),
        "{s}"
    );
    assert_eq!(s["total_minor"], json!(116_725));
    assert_eq!(s["hardware"], Value::Null, "an emptied field is cleared");
    assert_eq!(s["version"], json!(4));

    // A second save from the same form is stale: refused, naming who saved, input kept.
    let stale = form(app, &edit, &d, &fields).await.expect(409).text();
    assert!(stale.contains("Dana Designer"), "names who saved first");
    assert!(
        stale.contains("value=\"American walnut\""),
        "keeps the input"
    );

    // A mistake is shown beside its field.
    let mut bad = fields.to_vec();
    bad[0] = ("version", "4");
    bad[9] = ("quantity", "lots");
    let resp = form(app, &edit, &d, &bad).await.expect(422).text();
    assert!(resp.contains("f-quantity-error"), "{resp}");

    // Resubmitted with the changes, the spec is locked: no edit link, and a save is refused.
    form(app, &format!("/specs/{id}/submit"), &d, &[("version", "4")])
        .await
        .expect(303);
    let page = app
        .get(&format!("/specs/{id}"), &d)
        .await
        .expect(200)
        .text();
    assert!(!page.contains(&format!("href=\"/specs/{id}/edit\"")));
    let mut late = fields.to_vec();
    late[0] = ("version", "5");
    let resp = form(app, &edit, &d, &late).await.expect(422).text();
    assert!(resp.contains("its content cannot change"), "{resp}");

    // Whoever may not manage specifications gets no form.
    let viewer = app.user(&admin, "craftsman", "Carl Craftsman", None).await;
    app.member(&b.pm.auth, &b.project, &viewer, "craftsman")
        .await;
    let (v, _) = app.login(&viewer.user.email, PASSWORD).await;
    app.get(&edit, &v).await.expect(403);
    form(app, &edit, &v, &late).await.expect(403);
}

#[tokio::test]
async fn the_spec_form_links_drawings_as_the_api_does() {
    let b = boq().await;
    let app = &b.app;
    let spec = app
        .post(
            &format!("/api/v1/projects/{}/specs", b.project),
            &b.pm.auth,
            json!({"code": "V-02", "description": "Oak", "category": "veneer",
                "quantity": "1", "unit": "pcs"}),
        )
        .await
        .expect(201)
        .json();
    let id = id_of(&spec);
    let drawing = app
        .post(
            &format!("/api/v1/projects/{}/drawings", b.project),
            &b.pm.auth,
            json!({"number": "SD-7", "title": "Panelling"}),
        )
        .await
        .expect(201)
        .json();
    let (pm, _) = app.login(&b.pm.user.email, PASSWORD).await;
    let page = app
        .get(&format!("/specs/{id}"), &pm)
        .await
        .expect(200)
        .text();
    assert!(
        page.contains("name=\"drawing_id\""),
        "drawings can be linked"
    );
    form(
        app,
        &format!("/specs/{id}/scope-items"),
        &pm,
        &[("version", "1"), ("drawing_id", &id_of(&drawing))],
    )
    .await
    .expect(303);
    let saved: Value = app
        .get(&format!("/api/v1/specs/{id}"), &b.pm.auth)
        .await
        .json();
    assert_eq!(saved["spec"]["drawing_ids"], json!([id_of(&drawing)]));
    // The add form takes material, finish and colour too.
    let tab = app
        .get(&format!("/projects/{}/materials", b.project), &pm)
        .await
        .expect(200)
        .text();
    for f in ["material", "finish", "colour"] {
        assert!(tab.contains(&format!("id=\"f-{f}\"")), "add form has {f}");
    }
}

#[tokio::test]
async fn a_drawings_details_are_edited_in_the_ui_and_the_api() {
    let b = boq().await;
    let app = &b.app;
    let drawing = app
        .post(
            &format!("/api/v1/projects/{}/drawings", b.project),
            &b.pm.auth,
            json!({"number": "SD-101", "title": "Reception desk"}),
        )
        .await
        .expect(201)
        .json();
    let id = id_of(&drawing);

    // The API changes the title, compare-and-set.
    let d = app
        .patch(
            &format!("/api/v1/drawings/{id}"),
            &b.pm.auth,
            json!({"title": "Reception desk elevation", "version": 1}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(d["title"], "Reception desk elevation");
    app.patch(
        &format!("/api/v1/drawings/{id}"),
        &b.pm.auth,
        json!({"title": "Stale", "version": 1}),
    )
    .await
    .problem(409, "stale_version");

    // The page offers the same through a form.
    let (pm, _) = app.login(&b.pm.user.email, PASSWORD).await;
    let page = app
        .get(&format!("/drawings/{id}"), &pm)
        .await
        .expect(200)
        .text();
    assert!(page.contains(&format!("href=\"/drawings/{id}/edit\"")));
    let edit = format!("/drawings/{id}/edit");
    let page = app.get(&edit, &pm).await.expect(200).text();
    assert!(page.contains("value=\"Reception desk elevation\""));
    let fields = [
        ("version", "2"),
        ("title", "Reception desk, plan and elevation"),
        ("kind", "elevation"),
        ("area", "Lobby"),
    ];
    form(app, &edit, &pm, &fields).await.expect(303);
    let d: Value = app
        .get(&format!("/api/v1/drawings/{id}"), &b.pm.auth)
        .await
        .json();
    assert_eq!(
        (
            d["drawing"]["title"].as_str(),
            d["drawing"]["kind"].as_str(),
            d["drawing"]["area"].as_str()
        ),
        (
            Some("Reception desk, plan and elevation"),
            Some("elevation"),
            Some("Lobby")
        )
    );
    let stale = form(app, &edit, &pm, &fields).await.expect(409).text();
    assert!(stale.contains("value=\"Reception desk, plan and elevation\""));
    let mut blank = fields.to_vec();
    blank[0] = ("version", "3");
    blank[1] = ("title", " ");
    let resp = form(app, &edit, &pm, &blank).await.expect(422).text();
    assert!(resp.contains("f-title-error"));

    // A viewer may not.
    let admin = TestUser {
        user: b.admin.user.clone(),
        auth: b.admin.auth.clone(),
    };
    let viewer = app.user(&admin, "craftsman", "Carl Craftsman", None).await;
    app.member(&b.pm.auth, &b.project, &viewer, "craftsman")
        .await;
    let (v, _) = app.login(&viewer.user.email, PASSWORD).await;
    app.get(&edit, &v).await.expect(403);
    app.patch(
        &format!("/api/v1/drawings/{id}"),
        &viewer.auth,
        json!({"title": "Mine", "version": 3}),
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn an_administrator_deletes_a_project_from_its_edit_page() {
    let b = boq().await;
    let app = &b.app;
    let edit = format!("/projects/{}/edit", b.project);
    let delete = format!("/projects/{}/delete", b.project);

    // The manager edits the project but may not delete it: no button, and 403.
    let (pm, _) = app.login(&b.pm.user.email, PASSWORD).await;
    let page = app.get(&edit, &pm).await.expect(200).text();
    assert!(!page.contains(&format!("action=\"{delete}\"")));
    form(app, &delete, &pm, &[("version", "1")])
        .await
        .expect(403);

    let (admin, _) = app.login(&b.admin.user.email, PASSWORD).await;
    let page = app.get(&edit, &admin).await.expect(200).text();
    assert!(
        page.contains(&format!("action=\"{delete}\"")) && page.contains("data-confirm="),
        "an administrator gets a delete button that asks first"
    );
    // A stale version is refused and the project stays.
    let resp = form(app, &delete, &admin, &[("version", "0")])
        .await
        .expect(409)
        .text();
    assert!(resp.contains("Reload"), "{resp}");
    let resp = form(app, &delete, &admin, &[("version", "1")])
        .await
        .expect(303);
    assert_eq!(
        resp.header("location").as_deref(),
        Some("/projects?m=project_deleted")
    );
    app.get(&format!("/api/v1/projects/{}", b.project), &b.admin.auth)
        .await
        .expect(404);
}
