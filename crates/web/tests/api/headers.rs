//! Security headers: each exactly once on every kind of response (a page, an API error,
//! a static file, a 404), and none of them when the proxy owns them.

use formula_web::WebConfig;
use formula_web::security::SecurityHeaders;

use crate::support::{Auth, Resp, TestApp};

const SECURITY_HEADERS: &[&str] = &[
    "content-security-policy",
    "strict-transport-security",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
    "cross-origin-opener-policy",
    "x-frame-options",
];

/// A page, an API error, a static file and a 404, from an app served over https.
async fn sample(security_headers: SecurityHeaders) -> Vec<(&'static str, Resp)> {
    let app = TestApp::with_web(WebConfig {
        public_url: "https://pm.example.com".into(),
        secure_cookies: true,
        security_headers,
        ..WebConfig::default()
    })
    .await;
    app.admin().await;
    let page = app.get("/login", &Auth::None).await.expect(200);
    let html = page.text();
    let start = html.find("/assets/app.").expect("stylesheet link");
    let end = start + html[start..].find('"').expect("end of the link");
    let css = html[start..end].to_owned();
    assert!(css.ends_with(".css"), "{css}");
    let api_error = app.get("/api/v1/auth/me", &Auth::None).await;
    assert_eq!(api_error.status, 401);
    let asset = app.get(&css, &Auth::None).await.expect(200);
    let missing = app.get("/no/such/page", &Auth::None).await.expect(404);
    vec![
        ("page", page),
        ("API error", api_error),
        ("static file", asset),
        ("404", missing),
    ]
}

#[tokio::test]
async fn every_security_header_appears_exactly_once() {
    for (what, resp) in sample(SecurityHeaders::App).await {
        for name in SECURITY_HEADERS {
            assert_eq!(
                resp.headers.get_all(*name).iter().count(),
                1,
                "{name} on the {what}"
            );
        }
        assert_eq!(resp.headers.get_all("x-request-id").iter().count(), 1);
    }
}

#[tokio::test]
async fn none_of_them_when_the_proxy_owns_them() {
    for (what, resp) in sample(SecurityHeaders::Proxy).await {
        for name in SECURITY_HEADERS {
            assert!(
                !resp.headers.contains_key(*name),
                "{name} on the {what} although the proxy sets it"
            );
        }
        assert!(resp.headers.contains_key("x-request-id"), "{what}");
    }
}

#[tokio::test]
async fn hsts_only_over_https() {
    let app = TestApp::new().await;
    let resp = app.get("/no/such/page", &Auth::None).await.expect(404);
    assert!(!resp.headers.contains_key("strict-transport-security"));
    assert!(resp.headers.contains_key("content-security-policy"));
}
