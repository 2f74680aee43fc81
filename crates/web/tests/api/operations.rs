//! Production runtime over HTTP: health endpoints, `/metrics` (series, labels, token),
//! request/correlation id headers and the administrators' status report.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};

use formula_web::metrics::Metrics;
use formula_web::{AppState, WebConfig};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::support::{Auth, Captured, PASSWORD, Resp, TestApp};

/// A second router over the test app's database, whose store calls are timed into its own
/// registry, as the server wires them; the state gives the test the draining switch.
fn metered(app: &TestApp, web: WebConfig) -> (Router, AppState) {
    let metrics = Arc::new(Metrics::new());
    let observed = metrics.clone();
    app.db.time_queries(
        Arc::new(move |operation, elapsed| observed.observe_query(operation, elapsed)),
        std::time::Duration::from_millis(250),
    );
    let state = AppState::new(app.services.clone(), web).with_metrics(metrics);
    (formula_web::router(state.clone()), state)
}

async fn send(
    router: &Router,
    method: Method,
    path: &str,
    auth: &Auth,
    headers: &[(&str, &str)],
) -> Resp {
    let req: Request<Body> = TestApp::build(method, path, auth, headers, None, false);
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let (parts, body) = resp.into_parts();
    Resp {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.expect("body").to_bytes(),
    }
}

#[tokio::test]
async fn metrics_count_requests_by_matched_route() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let (router, _) = metered(&app, WebConfig::default());
    let own = format!("/api/v1/users/{}", admin.id());
    let missing = format!("/api/v1/users/{}", uuid::Uuid::now_v7());
    send(&router, Method::GET, &own, &admin.auth, &[])
        .await
        .expect(200);
    send(&router, Method::GET, &missing, &admin.auth, &[])
        .await
        .expect(404);
    send(
        &router,
        Method::GET,
        "/no/such/page-named-xyzzy",
        &admin.auth,
        &[],
    )
    .await
    .expect(404);
    // One refused sign-in, one session.
    let wrong = TestApp::build(
        Method::POST,
        "/api/v1/auth/login",
        &Auth::None,
        &[],
        Some(Body::from(
            json!({"email": "admin@example.com", "password": "not the password"}).to_string(),
        )),
        true,
    );
    assert_eq!(router.clone().oneshot(wrong).await.unwrap().status(), 401);
    let right = TestApp::build(
        Method::POST,
        "/api/v1/auth/login",
        &Auth::None,
        &[],
        Some(Body::from(
            json!({"email": "admin@example.com", "password": PASSWORD}).to_string(),
        )),
        true,
    );
    assert_eq!(router.clone().oneshot(right).await.unwrap().status(), 200);

    let resp = send(&router, Method::GET, "/metrics", &Auth::None, &[])
        .await
        .expect(200);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = resp.text();
    for line in [
        "# TYPE http_requests_total counter",
        r#"http_requests_total{method="GET",route="/api/v1/users/{id}",status="200"} 1"#,
        r#"http_requests_total{method="GET",route="/api/v1/users/{id}",status="404"} 1"#,
        r#"http_requests_total{method="GET",route="<unmatched>",status="404"} 1"#,
        r#"http_requests_total{method="POST",route="/api/v1/auth/login",status="401"} 1"#,
        "# TYPE http_request_duration_seconds histogram",
        r#"http_request_duration_seconds_bucket{method="GET",route="/api/v1/users/{id}",le="+Inf"} 2"#,
        r#"http_request_duration_seconds_count{method="GET",route="/api/v1/users/{id}"} 2"#,
        // The scrape itself is the one request in flight.
        "http_requests_in_flight 1",
        "login_failures_total 1",
        "active_sessions 1",
        "# TYPE rate_limit_rejections_total counter",
        "# TYPE db_query_duration_seconds histogram",
        r#"db_query_duration_seconds_count{operation="get_user"} "#,
        r#"db_query_duration_seconds_count{operation="user_credentials"} 2"#,
        r#"db_pool_connections{state="max"} "#,
        "# TYPE db_pool_acquire_wait_seconds gauge",
        "db_pool_acquire_wait_seconds ",
        r#"formula_pm_build_info{version=""#,
        "process_start_time_seconds ",
        "process_resident_memory_bytes ",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    for le in ["0.001", "0.01", "0.1", "1", "10"] {
        let bucket = format!(
            r#"http_request_duration_seconds_bucket{{method="GET",route="/api/v1/users/{{id}}",le="{le}"}}"#
        );
        assert!(text.contains(&bucket), "missing bucket {le}");
    }
    // Raw paths and ids never become label values.
    assert!(!text.contains("xyzzy"));
    assert!(!text.contains(&admin.id()));
}

#[tokio::test]
async fn metrics_token_is_required_when_configured() {
    let app = TestApp::new().await;
    let mut web = WebConfig::default();
    web.ops.metrics_token = Some("a-long-metrics-token-0123".into());
    let (router, _) = metered(&app, web);
    let resp = send(&router, Method::GET, "/metrics", &Auth::None, &[])
        .await
        .expect(401);
    assert!(resp.header("www-authenticate").is_some());
    send(
        &router,
        Method::GET,
        "/metrics",
        &Auth::Bearer("wrong-token".into()),
        &[],
    )
    .await
    .expect(401);
    let ok = send(
        &router,
        Method::GET,
        "/metrics",
        &Auth::Bearer("a-long-metrics-token-0123".into()),
        &[],
    )
    .await
    .expect(200);
    assert!(ok.text().contains("http_requests_total"));

    // With a listener of its own, the main router does not serve it at all.
    let mut web = WebConfig::default();
    web.ops.metrics_on_main = false;
    let (router, _) = metered(&app, web);
    send(&router, Method::GET, "/metrics", &Auth::None, &[])
        .await
        .expect(404);
}

#[tokio::test]
async fn health_reports_checks_and_fails_while_draining() {
    let app = TestApp::new().await;
    let (router, state) = metered(&app, WebConfig::default());
    let live = send(&router, Method::GET, "/health/live", &Auth::None, &[])
        .await
        .expect(200);
    assert_eq!(live.json(), json!({"status": "ok"}));

    let ready = send(&router, Method::GET, "/health/ready", &Auth::None, &[])
        .await
        .expect(200)
        .json();
    assert!(
        ready["status"] == "ok" || ready["status"] == "degraded",
        "{ready}"
    );
    assert_eq!(ready["version"], env!("CARGO_PKG_VERSION"));
    assert!(ready["commit"].is_string());
    assert!(ready["uptime_seconds"].is_u64());
    assert_eq!(ready["checks"]["database"]["status"], "ok");
    assert_eq!(ready["checks"]["database"]["backend"], "sqlite");
    assert!(ready["checks"]["database"]["latency_ms"].is_number());
    assert_eq!(
        ready["checks"]["redis"],
        json!({"status": "disabled", "latency_ms": null, "required": false})
    );
    assert!(ready["checks"]["disk"]["free_bytes"].is_u64());
    assert!(ready["checks"]["disk"]["free_percent"].is_number());

    state.runtime.start_draining();
    let draining = send(&router, Method::GET, "/health/ready", &Auth::None, &[])
        .await
        .expect(503)
        .json();
    assert_eq!(draining["status"], "fail");
    assert_eq!(draining["failing"], json!(["draining"]));
    // Liveness is unaffected: the process is fine, it is only leaving. Every answer now
    // tells the client to reconnect, which takes it to another instance.
    let live = send(&router, Method::GET, "/health/live", &Auth::None, &[])
        .await
        .expect(200);
    assert_eq!(live.header("connection").as_deref(), Some("close"));
}

#[tokio::test]
async fn disk_thresholds_decide_degraded_and_fail() {
    let app = TestApp::new().await;
    let mut web = WebConfig::default();
    // No filesystem has more than 100 % free: "warn" is always reached.
    web.ops.data_dir = std::env::temp_dir();
    web.ops.disk_warn_percent = 101.0;
    web.ops.disk_fail_percent = 0.0;
    let (router, _) = metered(&app, web.clone());
    let degraded = send(&router, Method::GET, "/health/ready", &Auth::None, &[])
        .await
        .expect(200)
        .json();
    assert_eq!(degraded["status"], "degraded");
    assert_eq!(degraded["checks"]["disk"]["status"], "degraded");

    web.ops.disk_fail_percent = 101.0;
    let (router, _) = metered(&app, web);
    let failed = send(&router, Method::GET, "/health/ready", &Auth::None, &[])
        .await
        .expect(503)
        .json();
    assert_eq!(failed["failing"], json!(["disk"]));
}

#[tokio::test]
async fn every_response_carries_request_and_correlation_ids() {
    let app = TestApp::new().await;
    let plain = app.get("/health/live", &Auth::None).await.expect(200);
    let request_id = plain.header("x-request-id").expect("x-request-id");
    assert_eq!(plain.header("x-correlation-id"), Some(request_id));

    let given = app
        .call_with(
            Method::GET,
            "/no/such/page",
            &Auth::None,
            &[
                ("x-correlation-id", "order-42_retry-1"),
                ("x-request-id", "req-7"),
            ],
            None,
        )
        .await
        .expect(404);
    assert_eq!(
        given.header("x-correlation-id").as_deref(),
        Some("order-42_retry-1")
    );
    assert_eq!(given.header("x-request-id").as_deref(), Some("req-7"));

    // Anything odd is replaced, never echoed.
    let odd = app
        .call_with(
            Method::GET,
            "/health/live",
            &Auth::None,
            &[("x-correlation-id", "a b<script>")],
            None,
        )
        .await
        .expect(200);
    assert_eq!(odd.header("x-correlation-id"), odd.header("x-request-id"));
}

#[tokio::test]
async fn system_status_is_for_administrators() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let designer = app.user(&admin, "designer", "Dee Signer", None).await;
    let status = app
        .get("/api/v1/system/status", &admin.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(status["readiness"]["checks"]["database"]["status"], "ok");
    assert!(status["pool"]["max"].as_u64().unwrap() >= 1);
    assert!(status["http_requests_in_flight"].as_i64().unwrap() >= 1);
    assert!(status["http_connections"].is_i64());
    app.get("/api/v1/system/status", &designer.auth)
        .await
        .expect(403);

    let (cookie, _) = app.login("admin@example.com", PASSWORD).await;
    let page = app.get("/system", &cookie).await.expect(200).text();
    assert!(page.contains("<h1>System</h1>"), "{page}");
    assert!(page.contains("sqlite"));
    assert!(
        page.contains(r#"href="/system""#),
        "nav link for administrators"
    );
}

#[tokio::test]
async fn the_request_log_line_names_ids_route_user_and_size() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(out.clone())
        .finish();
    // The test runs on one thread, so the subscriber sees every request below.
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests run on other threads without a subscriber; if one of them reached the
    // request-log call site first, its cached "not interested" would hide our events.
    tracing::callsite::rebuild_interest_cache();

    let path = format!("/api/v1/users/{}", admin.id());
    let resp = app
        .call_with(
            Method::GET,
            &path,
            &admin.auth,
            &[("x-correlation-id", "batch-7")],
            None,
        )
        .await
        .expect(200);
    app.get("/api/v1/auth/me", &Auth::None).await.expect(401);

    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|l: &serde_json::Value| l["message"] == "request")
        .collect();
    let ok = lines
        .iter()
        .find(|l| l["route"] == "/api/v1/users/{id}")
        .unwrap_or_else(|| panic!("no request line in {text}"));
    assert_eq!(ok["level"], "INFO");
    assert_eq!(ok["method"], "GET");
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["correlation_id"], "batch-7");
    assert_eq!(
        ok["request_id"].as_str(),
        resp.header("x-request-id").as_deref()
    );
    assert_eq!(ok["user_id"], admin.id());
    assert_eq!(ok["bytes"].as_u64(), Some(resp.body.len() as u64));
    assert!(ok["duration_ms"].is_number());

    let refused = lines
        .iter()
        .find(|l| l["route"] == "/api/v1/auth/me")
        .unwrap_or_else(|| panic!("no request line in {text}"));
    assert_eq!(refused["level"], "WARN");
    assert_eq!(refused["status"], 401);
    assert!(refused.get("user_id").is_none(), "{refused}");
    // The correlation id falls back to the request id.
    assert_eq!(refused["correlation_id"], refused["request_id"]);
}

#[tokio::test]
async fn slow_database_calls_are_logged_with_their_operation() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    // A zero threshold makes every call "slow", so the test needs no slow query.
    app.db
        .time_queries(Arc::new(|_, _| {}), std::time::Duration::ZERO);
    let router = formula_web::router(AppState::new(app.services.clone(), WebConfig::default()));
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(out.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    send(&router, Method::GET, "/api/v1/projects", &admin.auth, &[])
        .await
        .expect(200);

    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let slow: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|l: &serde_json::Value| l["message"] == "slow query")
        .collect();
    let list = slow
        .iter()
        .find(|l| l["operation"] == "list_projects")
        .unwrap_or_else(|| panic!("no slow-query line for list_projects in {text}"));
    assert_eq!(list["level"], "WARN");
    assert!(list["duration_ms"].is_number());
}
