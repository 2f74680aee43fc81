//! The Workshop tab: the board shows released items by stage, a card's form moves its
//! quantity on, a refused move says what can go, and the item's page shows its history.

use serde_json::{Value, json};

use crate::scope::{boq, form};
use crate::support::{PASSWORD, id_of};

#[tokio::test]
async fn the_board_moves_quantities_and_the_item_page_shows_them() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let scope = app
        .get(&format!("/api/v1/projects/{p}/scope"), pm)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][1]);
    let item = app
        .post(
            &format!("/api/v1/projects/{p}/scope-items"),
            pm,
            json!({"group_id": group, "name": "Wardrobe", "quantity": "12",
                "drawing_required": false, "spec_required": false}),
        )
        .await
        .expect(201)
        .json();
    let item_id = id_of(&item);
    app.post(
        &format!("/api/v1/scope-items/{item_id}/release"),
        pm,
        json!({"version": item["version"]}),
    )
    .await
    .expect(200);
    let board: Value = app
        .get(&format!("/api/v1/projects/{p}/workshop/board"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(board["columns"].as_array().unwrap().len(), 8);
    assert_eq!(board["columns"][0]["total"], "12");
    let cutting = board["columns"][1]["stage_id"].as_str().unwrap().to_owned();
    let edge = board["columns"][2]["stage_id"].as_str().unwrap().to_owned();

    let c = app.login(&b.pm.user.email, PASSWORD).await.0;
    let html = app
        .get(&format!("/projects/{p}/workshop"), &c)
        .await
        .expect(200)
        .text();
    for text in [
        "Workshop board",
        "Released, not started",
        "Edge-banding",
        "Move →",
        "draggable=\"true\"",
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    let moves = format!("/projects/{p}/workshop/moves");
    let fields = [
        ("scope_item_id", item_id.as_str()),
        ("stage_id", cutting.as_str()),
        ("quantity", "8"),
    ];
    form(app, &moves, &c, &fields).await.expect(303);
    let fields = [
        ("scope_item_id", item_id.as_str()),
        ("stage_id", edge.as_str()),
        ("quantity", "9"),
    ];
    let refused = form(app, &moves, &c, &fields).await.expect(409).text();
    assert!(
        refused.contains("only 8 of 12 are through cutting; 8 can go through edge-banding"),
        "{refused}"
    );
    let board: Value = app
        .get(&format!("/api/v1/projects/{p}/workshop/board"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(board["columns"][0]["total"], "4");
    assert_eq!(board["columns"][1]["total"], "8");
    let page = app
        .get(&format!("/scope-items/{item_id}/edit"), &c)
        .await
        .expect(200)
        .text();
    assert!(
        page.contains("id=\"workshop\"") || page.contains("id=workshop"),
        "{page}"
    );
    assert!(page.contains("8 through Cutting"), "{page}");
}

/// The stage list's fields for the form: `rows`, then `key_i`, `name_i`, `kind_i`.
fn stage_fields(stages: &[(&str, &str, &str)], op: &str) -> Vec<(String, String)> {
    let mut f = vec![
        ("rows".to_owned(), stages.len().to_string()),
        ("op".to_owned(), op.to_owned()),
    ];
    for (i, (key, name, kind)) in stages.iter().enumerate() {
        f.push((format!("key_{i}"), (*key).to_owned()));
        f.push((format!("name_{i}"), (*name).to_owned()));
        f.push((format!("kind_{i}"), (*kind).to_owned()));
    }
    f
}

async fn post_stages(
    app: &crate::support::TestApp,
    path: &str,
    auth: &crate::support::Auth,
    fields: &[(String, String)],
) -> crate::support::Resp {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form(app, path, auth, &fields).await
}

#[tokio::test]
async fn the_stage_pages_edit_the_company_list_and_a_projects_list() {
    let b = boq().await;
    let app = &b.app;
    let (admin, _) = app.login(&b.admin.user.email, PASSWORD).await;
    let (pm, _) = app.login(&b.pm.user.email, PASSWORD).await;
    let p = &b.project;

    // The company's list: administrators only, linked from the company settings.
    app.get("/admin/company/workshop-stages", &pm)
        .await
        .expect(403);
    let settings = app.get("/admin/company", &admin).await.expect(200).text();
    assert!(
        settings.contains("href=\"/admin/company/workshop-stages\""),
        "{settings}"
    );
    let page = app
        .get("/admin/company/workshop-stages", &admin)
        .await
        .expect(200)
        .text();
    for want in [
        "Edge-banding",
        "Machining (CNC)",
        "now the built-in list",
        "Save list",
    ] {
        assert!(page.contains(want), "{want} in {page}");
    }
    let path = "/admin/company/workshop-stages";
    let list = [
        ("cutting", "Cutting", "work"),
        ("assembly", "Assembly", "work"),
        ("qa", "QA", "qa"),
        ("packed", "Packed", "packed"),
    ];
    // Up, add and remove change the form, not the list.
    let moved = post_stages(app, path, &admin, &stage_fields(&list, "up:1"))
        .await
        .expect(200)
        .text();
    assert!(
        moved.find("value=\"Assembly\"").unwrap() < moved.find("value=\"Cutting\"").unwrap(),
        "{moved}"
    );
    assert!(moved.contains("Not saved yet"), "{moved}");
    let added = post_stages(app, path, &admin, &stage_fields(&list, "add"))
        .await
        .expect(200)
        .text();
    assert!(
        added.contains("name=\"name_3\" value=\"\""),
        "a blank row before packed: {added}"
    );
    assert!(added.contains("name=\"rows\" value=\"5\""), "{added}");
    // The domain's rules, beside the row they are about.
    let bad = [
        ("packed", "Packed", "packed"),
        ("cutting", "Cutting", "work"),
    ];
    let refused = post_stages(app, path, &admin, &stage_fields(&bad, "save"))
        .await
        .expect(422)
        .text();
    assert!(refused.contains("were not saved"), "{refused}");
    assert!(
        refused.contains("exactly one packed stage, and it must be the last"),
        "{refused}"
    );
    // A blank name is refused beside its row.
    let blank = [("cutting", " ", "work"), ("packed", "Packed", "packed")];
    let refused = post_stages(app, path, &admin, &stage_fields(&blank, "save"))
        .await
        .expect(422)
        .text();
    assert!(refused.contains("class=\"field-error\""), "{refused}");
    // A new stage gets its key from its name; saved, the API shows the list.
    let mut saved = list.to_vec();
    saved.insert(2, ("", "Spray booth 2", "work"));
    post_stages(app, path, &admin, &stage_fields(&saved, "save"))
        .await
        .expect(303);
    let api: Value = app
        .get("/api/v1/company/workshop-stages", &b.admin.auth)
        .await
        .expect(200)
        .json();
    let keys: Vec<&str> = api["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["cutting", "assembly", "spray_booth_2", "qa", "packed"]
    );
    assert_eq!(api["is_default"], false);
    post_stages(app, path, &admin, &stage_fields(&saved, "defaults"))
        .await
        .expect(303);
    let api: Value = app
        .get("/api/v1/company/workshop-stages", &b.admin.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(api["is_default"], true);

    // A project's own list: its manager renames a stage; the board follows.
    let ppath = format!("/projects/{p}/workshop/stages");
    let page = app.get(&ppath, &pm).await.expect(200).text();
    assert!(page.contains("Save list"), "{page}");
    let board = app
        .get(&format!("/projects/{p}/workshop"), &pm)
        .await
        .expect(200)
        .text();
    assert!(board.contains(&format!("href=\"{ppath}\"")), "{board}");
    let project_list = [
        ("cutting", "Cutting", "work"),
        ("edge_banding", "Edging", "work"),
        ("machining", "Machining (CNC)", "work"),
        ("assembly", "Assembly", "work"),
        ("finishing", "Finishing", "work"),
        ("qa", "QA", "qa"),
        ("packed", "Packed", "packed"),
    ];
    post_stages(app, &ppath, &pm, &stage_fields(&project_list, "save"))
        .await
        .expect(303);
    let page = app.get(&ppath, &pm).await.expect(200).text();
    assert!(page.contains("value=\"Edging\""), "{page}");
    // Two QA stages are refused, saying why.
    let two_qa = [
        ("cutting", "Cutting", "work"),
        ("qa", "QA", "qa"),
        ("qa2", "QA again", "qa"),
        ("packed", "Packed", "packed"),
    ];
    let refused = post_stages(app, &ppath, &pm, &stage_fields(&two_qa, "save"))
        .await
        .expect(422)
        .text();
    assert!(refused.contains("at most one QA stage"), "{refused}");
}

#[tokio::test]
async fn a_retried_move_or_qa_check_counts_once() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let scope = app
        .get(&format!("/api/v1/projects/{p}/scope"), pm)
        .await
        .expect(200)
        .json();
    let item = app
        .post(
            &format!("/api/v1/projects/{p}/scope-items"),
            pm,
            json!({"group_id": id_of(&scope["groups"][1]), "name": "Wardrobe", "quantity": "6",
                "drawing_required": false, "spec_required": false}),
        )
        .await
        .expect(201)
        .json();
    let item_id = id_of(&item);
    app.post(
        &format!("/api/v1/scope-items/{item_id}/release"),
        pm,
        json!({"version": item["version"]}),
    )
    .await
    .expect(200);
    let board: Value = app
        .get(&format!("/api/v1/projects/{p}/workshop/board"), pm)
        .await
        .expect(200)
        .json();
    let stages: Vec<String> = board["columns"].as_array().unwrap()[1..]
        .iter()
        .map(|c| c["stage_id"].as_str().unwrap().to_owned())
        .collect();
    let send = |path: String, key: &'static str, body: Value| async move {
        app.call_with(
            axum::http::Method::POST,
            &path,
            pm,
            &[("idempotency-key", key)],
            Some(body),
        )
        .await
    };
    let moves = format!("/api/v1/projects/{p}/workshop/moves");
    let cut = json!({"scope_item_id": item_id, "stage_id": stages[0], "quantity": "4"});
    let first = send(moves.clone(), "move-1", cut.clone())
        .await
        .expect(201)
        .json();
    let again = send(moves.clone(), "move-1", cut.clone())
        .await
        .expect(200)
        .json();
    assert_eq!(again["move"]["id"], first["move"]["id"]);
    // The same key for another request is refused.
    let other = json!({"scope_item_id": item_id, "stage_id": stages[0], "quantity": "1"});
    send(moves.clone(), "move-1", other).await.expect(409);
    // Through every stage before QA (index 5 is QA), then a keyed QA check, sent twice.
    for (i, stage) in stages[1..5].iter().enumerate() {
        let key: &'static str = ["m2", "m3", "m4", "m5"][i];
        let body = json!({"scope_item_id": item_id, "stage_id": stage, "quantity": "4"});
        send(moves.clone(), key, body).await.expect(201);
    }
    let checks = format!("/api/v1/projects/{p}/workshop/qa-checks");
    let fail = json!({"scope_item_id": item_id, "quantity": "1", "result": "fail",
        "rework_stage_id": stages[3], "notes": "Scratched top"});
    let first = send(checks.clone(), "qa-1", fail.clone())
        .await
        .expect(201)
        .json();
    let again = send(checks.clone(), "qa-1", fail).await.expect(200).json();
    assert_eq!(again["check"]["id"], first["check"]["id"]);
    let board: Value = app
        .get(&format!("/api/v1/projects/{p}/workshop/board"), pm)
        .await
        .expect(200)
        .json();
    let totals: Vec<&str> = board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["total"].as_str().unwrap())
        .collect();
    // 2 not started; 4 moved once (not twice) and on to finishing; one sent back once.
    assert_eq!(totals, ["2", "0", "0", "1", "0", "3", "0", "0"]);
    assert_eq!(board["rework_this_week"]["failures"], 1);
}
