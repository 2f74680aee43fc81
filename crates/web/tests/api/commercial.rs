//! The commercial summary over HTTP: the figures from the project's contract value and its
//! scope's budget and actual cost, the Commercial tab's summary page and the portfolio page,
//! and the portfolio link only for those who may open it.

use serde_json::json;

use crate::support::{PASSWORD, TestApp, id_of};

#[tokio::test]
async fn the_summary_adds_up_the_contract_and_the_cost() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let body = json!({"name": "Lobby joinery", "client_id": client, "manager_id": pm.id(),
        "sector": "hospitality", "business_line": "millwork", "currency": "EUR",
        "contract_value_minor": 10_000_000_i64});
    let project = id_of(
        &app.post("/api/v1/projects", &pm.auth, body)
            .await
            .expect(201)
            .json(),
    );
    app.member(&pm.auth, &project, &designer, "designer").await;
    let scope = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][0]);
    // Over budget (the forecast takes the actual cost) and not started (it takes the budget).
    for (name, budget, actual) in [
        ("Wardrobe", 4_000_000_i64, Some(4_600_000_i64)),
        ("Desk", 2_000_000, None),
    ] {
        app.post(
            &format!("/api/v1/projects/{project}/scope-items"),
            &pm.auth,
            json!({"group_id": group, "name": name, "quantity": "1", "unit": "pcs",
                "unit_price_minor": 5_000_000, "budget_cost_minor": budget, "actual_cost_minor": actual}),
        )
        .await
        .expect(201);
    }
    let s = app
        .get(&format!("/api/v1/projects/{project}/commercial"), &pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(s["currency"], "EUR");
    assert_eq!(s["original_contract_minor"], 10_000_000);
    assert_eq!(s["current_contract_minor"], 10_000_000);
    assert_eq!(s["approved_variations_minor"], 0);
    assert_eq!(s["budget_cost_minor"], 6_000_000);
    assert_eq!(s["actual_cost_minor"], 4_600_000);
    assert_eq!(s["forecast_cost_minor"], 6_600_000);
    assert_eq!(s["forecast_margin_minor"], 3_400_000);
    assert_eq!(s["forecast_margin_permille"], 340);
    assert_eq!(s["cost_deviation"]["state"], "watch", "{s}");

    // The pages: the PM reads the summary under the Commercial tab and the portfolio.
    let (cookie, _) = app.login(&pm.user.email, PASSWORD).await;
    let html = app
        .get(&format!("/projects/{project}/commercial"), &cookie)
        .await
        .expect(200)
        .text();
    for text in [
        "Original contract",
        "100,000.00",
        "66,000.00",
        "34,000.00",
        "34.0 %",
        "Commercial sections",
    ] {
        assert!(html.contains(text), "{text} missing from the summary page");
    }
    let html = app.get("/portfolio", &cookie).await.expect(200).text();
    assert!(html.contains("Lobby joinery") && html.contains("Total EUR (1 project)"));
    assert!(
        html.contains("href=\"/portfolio\""),
        "the PM's navigation links the portfolio"
    );

    // The designer on the team sees the Commercial tab (variations and RFIs) but neither
    // the summary nor the portfolio.
    let (cookie, _) = app.login(&designer.user.email, PASSWORD).await;
    let html = app
        .get(&format!("/projects/{project}"), &cookie)
        .await
        .expect(200)
        .text();
    assert!(html.contains(&format!("href=\"/projects/{project}/variations\"")));
    assert!(!html.contains("href=\"/portfolio\""));
    app.get(&format!("/projects/{project}/commercial"), &cookie)
        .await
        .expect(403);
    app.get("/portfolio", &cookie).await.expect(403);
}
