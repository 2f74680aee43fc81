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
