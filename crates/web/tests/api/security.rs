//! Rate limits per route class, the client IP behind trusted proxies, CORS for API-token
//! clients, and body-size limits.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use formula_web::WebConfig;
use formula_web::client_ip::TrustedProxies;
use formula_web::ratelimit::{Limit, RateLimits};
use serde_json::json;

use crate::support::{Auth, PASSWORD, Resp, TestApp};

/// The request as if it came over TCP from `ip`.
fn from(ip: &str, mut req: Request<Body>) -> Request<Body> {
    let addr = SocketAddr::new(ip.parse().expect("ip"), 40_000);
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

fn login_request(email: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let body = json!({"email": email, "password": "not the password"}).to_string();
    TestApp::build(
        Method::POST,
        "/api/v1/auth/login",
        &Auth::None,
        headers,
        Some(Body::from(body)),
        true,
    )
}

fn with_limits(limits: RateLimits) -> WebConfig {
    WebConfig {
        rate_limits: limits,
        ..WebConfig::default()
    }
}

#[track_caller]
fn assert_rate_limited(resp: Resp, limit: u32) {
    let retry = resp.header("retry-after").expect("Retry-After");
    let reset = resp.header("ratelimit-reset").expect("RateLimit-Reset");
    assert_eq!(resp.header("ratelimit-limit"), Some(limit.to_string()));
    assert_eq!(resp.header("ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(retry, reset);
    assert!(retry.parse::<u64>().unwrap() >= 1, "{retry}");
    resp.problem(429, "rate_limited");
}

#[tokio::test]
async fn a_login_brute_force_from_one_ip_is_stopped_at_the_configured_count() {
    let app = TestApp::with_web(with_limits(RateLimits {
        login: Limit::per_minute(3),
        ..RateLimits::default()
    }))
    .await;
    app.admin().await;
    // Different accounts each time, so the per-account throttle never steps in first.
    for (n, left) in [(1, "2"), (2, "1"), (3, "0")] {
        let resp = app
            .send(from(
                "198.51.100.7",
                login_request(&format!("guess{n}@example.com"), &[]),
            ))
            .await;
        assert_eq!(resp.header("ratelimit-remaining").as_deref(), Some(left));
        assert_eq!(resp.header("ratelimit-limit").as_deref(), Some("3"));
        resp.problem(401, "unauthenticated");
    }
    let resp = app
        .send(from(
            "198.51.100.7",
            login_request("admin@example.com", &[]),
        ))
        .await;
    assert_rate_limited(resp, 3);

    // The HTML sign-in form shares the count, and answers with a page.
    let form = TestApp::build(
        Method::POST,
        "/login",
        &Auth::None,
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(Body::from("email=admin%40example.com&password=x")),
        false,
    );
    let resp = app.send(from("198.51.100.7", form)).await.expect(429);
    assert!(
        resp.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(resp.header("retry-after").is_some());
    assert!(resp.text().contains("Too many requests"), "{}", resp.text());

    // Another address is not affected, and signs in.
    let body = json!({"email": "admin@example.com", "password": PASSWORD}).to_string();
    let ok = TestApp::build(
        Method::POST,
        "/api/v1/auth/login",
        &Auth::None,
        &[],
        Some(Body::from(body)),
        true,
    );
    app.send(from("198.51.100.8", ok)).await.expect(200);
}

#[tokio::test]
async fn callers_are_counted_by_credential_when_they_have_one_and_by_ip_otherwise() {
    let app = TestApp::with_web(with_limits(RateLimits {
        api_read: Limit::per_minute(3),
        ..RateLimits::default()
    }))
    .await;
    let admin = app.admin().await;
    let designer = app.user(&admin, "designer", "Dee Signer", None).await;
    let read = |auth: &Auth, ip: &str| {
        from(
            ip,
            TestApp::build(Method::GET, "/api/v1/auth/me", auth, &[], None, false),
        )
    };

    // Two users behind one office address each get their own allowance.
    for left in ["2", "1", "0"] {
        let resp = app
            .send(read(&admin.auth, "203.0.113.10"))
            .await
            .expect(200);
        assert_eq!(resp.header("ratelimit-remaining").as_deref(), Some(left));
        assert_eq!(resp.header("ratelimit-limit").as_deref(), Some("3"));
        assert!(resp.header("ratelimit-reset").is_some());
    }
    assert_rate_limited(app.send(read(&admin.auth, "203.0.113.10")).await, 3);
    app.send(read(&designer.auth, "203.0.113.10"))
        .await
        .expect(200);
    // …wherever the over-limit user goes, the limit follows the credential.
    assert_rate_limited(app.send(read(&admin.auth, "203.0.113.99")).await, 3);

    // Anonymous callers are counted by IP.
    for _ in 0..3 {
        app.send(read(&Auth::None, "203.0.113.20"))
            .await
            .expect(401);
    }
    assert_rate_limited(app.send(read(&Auth::None, "203.0.113.20")).await, 3);
    app.send(read(&Auth::None, "203.0.113.21"))
        .await
        .expect(401);

    // Made-up tokens do not buy fresh allowances: their 401s count against the IP.
    for n in 0..3 {
        let fake = Auth::Bearer(format!("fpm_made_up_{n}"));
        app.send(read(&fake, "203.0.113.30")).await.expect(401);
    }
    let fake = Auth::Bearer("fpm_made_up_again".into());
    assert_rate_limited(app.send(read(&fake, "203.0.113.30")).await, 3);
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    let app = TestApp::with_web(WebConfig {
        trusted_proxies: TrustedProxies::parse("10.0.0.0/8").unwrap(),
        rate_limits: RateLimits {
            login: Limit::per_minute(2),
            ..RateLimits::default()
        },
        ..WebConfig::default()
    })
    .await;
    let admin = app.admin().await;
    let via_proxy = |client: &str, n: u32| {
        from(
            "10.0.0.2",
            login_request(
                &format!("p{n}@example.com"),
                &[("x-forwarded-for", &format!("6.6.6.6, {client}"))],
            ),
        )
    };
    // Behind the proxy, each client has its own count.
    app.send(via_proxy("192.0.2.1", 1)).await.expect(401);
    app.send(via_proxy("192.0.2.1", 2)).await.expect(401);
    assert_rate_limited(app.send(via_proxy("192.0.2.1", 3)).await, 2);
    app.send(via_proxy("192.0.2.2", 4)).await.expect(401);

    // A direct client forging the header is counted by its own address.
    for n in 0..2 {
        let spoof = format!("192.0.2.{}", 100 + n);
        let req = login_request(&format!("s{n}@example.com"), &[("x-forwarded-for", &spoof)]);
        app.send(from("198.51.100.50", req)).await.expect(401);
    }
    let req = login_request("s9@example.com", &[("x-forwarded-for", "192.0.2.200")]);
    assert_rate_limited(app.send(from("198.51.100.50", req)).await, 2);

    // The audit trail records the forwarded client, not the proxy.
    let req = TestApp::build(
        Method::POST,
        "/api/v1/clients",
        &admin.auth,
        &[("x-forwarded-for", "192.0.2.77")],
        Some(Body::from(json!({"name": "Audited Hotel"}).to_string())),
        true,
    );
    app.send(from("10.0.0.3", req)).await.expect(201);
    let audit = app
        .get("/api/v1/audit?limit=5", &admin.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(audit["items"][0]["ip"], "192.0.2.77", "{audit}");
}

#[tokio::test]
async fn cors_preflights_are_answered_for_listed_origins_only() {
    let app = TestApp::with_web(WebConfig {
        cors_allowed_origins: vec!["https://tools.example.com".into()],
        ..WebConfig::default()
    })
    .await;
    let admin = app.admin().await;
    let preflight = |origin: &str| {
        TestApp::build(
            Method::OPTIONS,
            "/api/v1/clients",
            &Auth::None,
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization, content-type",
                ),
            ],
            None,
            false,
        )
    };
    let ok = app
        .send(preflight("https://tools.example.com"))
        .await
        .expect(204);
    assert_eq!(
        ok.header("access-control-allow-origin").as_deref(),
        Some("https://tools.example.com")
    );
    let methods = ok.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("PATCH") && methods.contains("DELETE"),
        "{methods}"
    );
    let headers = ok.header("access-control-allow-headers").unwrap();
    assert!(
        headers.contains("Authorization") && headers.contains("If-Match"),
        "{headers}"
    );
    assert!(ok.header("access-control-max-age").is_some());
    assert_eq!(ok.header("vary").as_deref(), Some("Origin"));
    assert!(ok.header("access-control-allow-credentials").is_none());

    let denied = app.send(preflight("https://evil.example.com")).await;
    assert!(denied.header("access-control-allow-origin").is_none());
    denied.problem(403, "cors_origin_not_allowed");

    // Real requests from the listed origin: readable, never with credentials.
    let origin = [("origin", "https://tools.example.com")];
    let resp = app
        .call_with(Method::GET, "/api/v1/clients", &admin.auth, &origin, None)
        .await
        .expect(200);
    assert_eq!(
        resp.header("access-control-allow-origin").as_deref(),
        Some("https://tools.example.com")
    );
    let exposed = resp.header("access-control-expose-headers").unwrap();
    assert!(
        exposed.contains("ETag") && exposed.contains("RateLimit-Remaining"),
        "{exposed}"
    );
    assert!(resp.header("access-control-allow-credentials").is_none());

    // A bearer-token write from the listed origin passes the same-origin check…
    app.call_with(
        Method::POST,
        "/api/v1/clients",
        &admin.auth,
        &origin,
        Some(json!({"name": "Cross-origin client"})),
    )
    .await
    .expect(201);
    // …but not when it also carries a cookie, nor from another origin.
    let Auth::Bearer(token) = &admin.auth else {
        panic!("bearer")
    };
    let with_cookie = [
        ("origin", "https://tools.example.com"),
        ("cookie", "formula_session=anything"),
    ];
    app.call_with(
        Method::POST,
        "/api/v1/clients",
        &Auth::Bearer(token.clone()),
        &with_cookie,
        Some(json!({"name": "Riding a session"})),
    )
    .await
    .problem(403, "cross_origin");
    app.call_with(
        Method::POST,
        "/api/v1/clients",
        &admin.auth,
        &[("origin", "https://evil.example.com")],
        Some(json!({"name": "Evil"})),
    )
    .await
    .problem(403, "cross_origin");
    // Cookie sessions from a listed origin stay refused.
    let (cookie, _) = app.login("admin@example.com", PASSWORD).await;
    app.call_with(
        Method::POST,
        "/api/v1/clients",
        &cookie,
        &origin,
        Some(json!({"name": "Cookie write"})),
    )
    .await
    .problem(403, "cross_origin");
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let app = TestApp::new().await;
    let req = TestApp::build(
        Method::OPTIONS,
        "/api/v1/clients",
        &Auth::None,
        &[
            ("origin", "https://tools.example.com"),
            ("access-control-request-method", "POST"),
        ],
        None,
        false,
    );
    let resp = app.send(req).await;
    assert!(resp.header("access-control-allow-origin").is_none());
    assert_ne!(resp.status, 204);
}

#[tokio::test]
async fn sign_in_bodies_are_limited_to_16_kib() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let big = json!({"email": "a@example.com", "password": "x".repeat(20 * 1024)}).to_string();
    let len = big.len().to_string();
    // With a declared length: refused before the body is read.
    let req = TestApp::build(
        Method::POST,
        "/api/v1/auth/login",
        &Auth::None,
        &[("content-length", &len)],
        Some(Body::from(big.clone())),
        true,
    );
    app.send(req).await.problem(413, "body_too_large");
    // Streamed without a length: cut off while reading.
    let req = TestApp::build(
        Method::POST,
        "/api/v1/auth/login",
        &Auth::None,
        &[],
        Some(Body::from(big.clone())),
        true,
    );
    app.send(req).await.problem(413, "body_too_large");
    // The HTML form answers with a page.
    let form = format!("email=a%40example.com&password={}", "x".repeat(20 * 1024));
    let form_len = form.len().to_string();
    let req = TestApp::build(
        Method::POST,
        "/login",
        &Auth::None,
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("content-length", &form_len),
        ],
        Some(Body::from(form)),
        false,
    );
    let resp = app.send(req).await.expect(413);
    assert!(
        resp.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    // Other JSON endpoints keep the general limit (1 MiB).
    let note = "n".repeat(20 * 1024);
    let resp = app
        .post(
            "/api/v1/clients",
            &admin.auth,
            json!({"name": "Big notes", "notes": note}),
        )
        .await;
    assert_ne!(resp.status, 413, "{}", resp.text());
}
