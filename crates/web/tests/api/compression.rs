//! In-process compression: pages, API answers and static assets are gzip- or
//! brotli-compressed when the client accepts it, and decode to the plain answer; tiny
//! bodies and live-update streams are sent as they are; a compressed ETag is weak.

use std::io::Read;

use axum::http::Method;
use tower::ServiceExt;

use crate::support::{Auth, Resp, TestApp};

/// The same request without and with `Accept-Encoding: <encoding>`.
async fn both(app: &TestApp, path: &str, auth: &Auth, encoding: &str) -> (Resp, Resp) {
    let plain = app.get(path, auth).await.expect(200);
    let packed = app
        .call_with(
            Method::GET,
            path,
            auth,
            &[("accept-encoding", encoding)],
            None,
        )
        .await
        .expect(200);
    (plain, packed)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

#[tokio::test]
async fn pages_api_lists_and_assets_are_compressed_when_accepted() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let a = &admin.auth;
    // Enough projects for the list to be worth compressing.
    let client = app.client(a, "Hotel Azul").await;
    for n in 1..=4 {
        app.project(a, &format!("Lobby joinery {n}"), &client, &admin.id())
            .await;
    }
    let page = app.get("/login", &Auth::None).await.expect(200).text();
    let start = page.find("/assets/app.").expect("stylesheet link");
    let end = start + page[start..].find('"').expect("end of the link");
    let css = page[start..end].to_owned();

    for (what, path, auth) in [
        ("page", "/login", &Auth::None),
        ("API list", "/api/v1/projects", a),
        ("static asset", css.as_str(), &Auth::None),
    ] {
        let (plain, gzip) = both(&app, path, auth, "gzip").await;
        assert_eq!(plain.header("content-encoding"), None, "{what}");
        assert_eq!(
            gzip.header("content-encoding").as_deref(),
            Some("gzip"),
            "{what}"
        );
        let vary: Vec<String> = gzip
            .headers
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_lowercase())
            .collect();
        let vary = vary.join(", ");
        assert!(vary.contains("accept-encoding"), "{what}: vary {vary}");
        assert_eq!(
            gzip.header("content-type"),
            plain.header("content-type"),
            "{what}"
        );
        assert!(gzip.body.len() < plain.body.len(), "{what}");
        assert_eq!(gunzip(&gzip.body), plain.body, "{what}");
        // The ids and security headers are still there, once.
        assert_eq!(gzip.headers.get_all("x-request-id").iter().count(), 1);
        assert_eq!(
            gzip.headers
                .get_all("content-security-policy")
                .iter()
                .count(),
            1
        );

        let (plain, br) = both(&app, path, auth, "br").await;
        assert_eq!(
            br.header("content-encoding").as_deref(),
            Some("br"),
            "{what}"
        );
        assert!(br.body.len() < plain.body.len(), "{what}");
        assert_eq!(unbrotli(&br.body), plain.body, "{what}");

        // A browser offering both gets one of them.
        let (_, any) = both(&app, path, auth, "gzip, deflate, br").await;
        let enc = any.header("content-encoding").unwrap_or_default();
        assert!(enc == "br" || enc == "gzip", "{what}: {enc}");
    }
}

#[tokio::test]
async fn tiny_bodies_and_streams_are_sent_as_they_are_and_compressed_etags_are_weak() {
    let app = TestApp::new().await;
    let admin = app.admin().await;

    let tiny = app
        .call_with(
            Method::GET,
            "/health/live",
            &Auth::None,
            &[("accept-encoding", "gzip, br")],
            None,
        )
        .await
        .expect(200);
    assert_eq!(tiny.header("content-encoding"), None);

    // A live-update stream: only its head is read.
    let req = TestApp::build(
        Method::GET,
        "/api/v1/events",
        &admin.auth,
        &[("accept-encoding", "gzip, br")],
        None,
        false,
    );
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert!(resp.headers().get("content-encoding").is_none());
    drop(resp);

    // Versioned resources big enough to compress carry a weak ETag when compressed,
    // which If-Match accepts.
    let notes = "n".repeat(2000);
    let created = app
        .post(
            "/api/v1/clients",
            &admin.auth,
            serde_json::json!({"name": "Hotel Azul", "notes": notes}),
        )
        .await
        .expect(201);
    let path = format!("/api/v1/clients/{}", created.json()["id"].as_str().unwrap());
    let got = app
        .call_with(
            Method::GET,
            &path,
            &admin.auth,
            &[("accept-encoding", "gzip")],
            None,
        )
        .await
        .expect(200);
    assert_eq!(got.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(got.etag(), "W/\"1\"");
    app.call_with(
        Method::PATCH,
        &path,
        &admin.auth,
        &[("if-match", &got.etag())],
        Some(serde_json::json!({"name": "Hotel Azul Group"})),
    )
    .await
    .expect(200);
}
