//! A handler that panics answers 500 problem+json naming the request id, and the same
//! router goes on answering.

use axum::routing::get;
use formula_web::{AppState, WebConfig};

use crate::support::{Auth, TestApp};

async fn boom() -> &'static str {
    panic!("a handler bug")
}

#[tokio::test]
async fn a_panicking_handler_answers_500_with_the_request_id_and_the_server_goes_on() {
    let mut app = TestApp::new().await;
    app.admin().await;
    let state = AppState::new(app.services.clone(), WebConfig::default());
    // A test-only route, wrapped in the same middleware as the real ones.
    let routes = formula_web::routes(&state).route("/__panic", get(boom));
    app.router = formula_web::with_middleware(routes, state);

    let resp = app.get("/__panic", &Auth::None).await;
    let id = resp.header("x-request-id").expect("x-request-id");
    let csp = resp
        .headers
        .get_all("content-security-policy")
        .iter()
        .count();
    let body = resp.problem(500, "internal");
    assert_eq!(body["request_id"], id.as_str(), "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("request id"),
        "{body}"
    );
    assert_eq!(csp, 1);

    // An incoming id is the one named.
    let resp = app
        .call_with(
            axum::http::Method::GET,
            "/__panic",
            &Auth::None,
            &[("x-request-id", "req-42")],
            None,
        )
        .await;
    assert_eq!(resp.header("x-request-id").as_deref(), Some("req-42"));
    assert_eq!(resp.problem(500, "internal")["request_id"], "req-42");

    // The next request on the same router is answered normally.
    app.get("/health/live", &Auth::None).await.expect(200);
    app.get("/login", &Auth::None).await.expect(200);
}
