//! The company settings and the priced scope PDF: saved compare-and-set, a logo checked as
//! documents read it, and the PDF's text read back with poppler's `pdftotext` and its
//! fonts with `pdffonts` (scripts/test.sh installs poppler-utils).

use std::process::Command;

use axum::http::Method;
use formula_testkit::images::png;
use serde_json::json;

use crate::drawings::multipart;
use crate::scope::{boq, form};
use crate::support::{Auth, PASSWORD, Resp, TestApp};

async fn put_logo(app: &TestApp, auth: &Auth, etag: &str, name: &str, file: &[u8]) -> Resp {
    let (mime, body) = multipart(name, file, &[]);
    app.send(TestApp::build(
        Method::PUT,
        "/api/v1/company/logo",
        auth,
        &[("content-type", mime.as_str()), ("if-match", etag)],
        Some(axum::body::Body::from(body)),
        false,
    ))
    .await
}

fn poppler(tool: &str, pdf: &[u8]) -> String {
    let file = std::env::temp_dir().join(format!("formula-{}.pdf", uuid::Uuid::now_v7()));
    std::fs::write(&file, pdf).unwrap();
    let mut cmd = Command::new(tool);
    if tool == "pdftotext" {
        cmd.arg("-layout").arg(&file).arg("-");
    } else {
        cmd.arg(&file);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) must be installed: {e}"));
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn settings_are_saved_compare_and_set_with_a_checked_logo() {
    let b = boq().await;
    let (app, admin) = (&b.app, &b.admin);
    let empty = app.get("/api/v1/company", &admin.auth).await.expect(200);
    assert_eq!(empty.json()["version"], 0);
    assert_eq!(empty.json()["name"], "");

    // No version: 428; a bad field: 422 naming it.
    app.call(
        Method::PUT,
        "/api/v1/company",
        &admin.auth,
        Some(json!({"name": "N"})),
    )
    .await
    .problem(428, "precondition_required");
    let bad = app
        .call(
            Method::PUT,
            "/api/v1/company",
            &admin.auth,
            Some(json!({"name": "N", "email": "nope", "version": 0})),
        )
        .await
        .problem(422, "validation_failed");
    assert!(bad.to_string().contains("email"), "{bad}");

    let saved = app
        .call(
            Method::PUT,
            "/api/v1/company",
            &admin.auth,
            Some(json!({"name": "Northwind Interiors", "website": "northwind.test", "version": 0})),
        )
        .await
        .expect(200);
    assert_eq!(saved.etag(), "\"1\"");
    assert_eq!(saved.json()["website"], "https://northwind.test");
    // A second first save is stale, naming who saved first.
    let stale = app
        .call(
            Method::PUT,
            "/api/v1/company",
            &admin.auth,
            Some(json!({"name": "Other", "version": 0})),
        )
        .await
        .problem(409, "stale_version");
    assert!(stale.to_string().contains(&admin.user.name), "{stale}");

    // Logos: PNG or JPEG only, read whole.
    let gif = put_logo(
        app,
        &admin.auth,
        "\"1\"",
        "logo.gif",
        b"GIF89a\x01\x00\x01\x00",
    )
    .await;
    let body = gif.problem(422, "validation_failed");
    assert!(body.to_string().contains("PNG or JPEG"), "{body}");
    let mut broken = png(60, 20);
    broken.truncate(broken.len() - 40);
    put_logo(app, &admin.auth, "\"1\"", "logo.png", &broken)
        .await
        .problem(422, "validation_failed");
    let logo = png(240, 80);
    let done = put_logo(app, &admin.auth, "\"1\"", "logo.png", &logo)
        .await
        .expect(200);
    assert_eq!(done.json()["has_logo"], true);
    assert_eq!(done.etag(), "\"2\"");
    let back = app
        .get("/api/v1/company/logo", &b.pm.auth)
        .await
        .expect(200);
    assert_eq!(back.header("content-type").as_deref(), Some("image/png"));
    assert_eq!(&back.body[..], &logo[..]);
    // A stale If-Match is 412.
    put_logo(app, &admin.auth, "\"1\"", "logo.png", &logo)
        .await
        .problem(412, "stale_version");
    // Project managers read the settings but do not change them.
    put_logo(app, &b.pm.auth, "\"2\"", "logo.png", &logo)
        .await
        .problem(403, "forbidden");
    let removed = app
        .call_with(
            Method::DELETE,
            "/api/v1/company/logo",
            &admin.auth,
            &[("if-match", "\"2\"")],
            None,
        )
        .await
        .expect(200);
    assert_eq!(removed.json()["has_logo"], false);
    app.get("/api/v1/company/logo", &admin.auth)
        .await
        .expect(404);
}

#[tokio::test]
async fn the_priced_scope_pdf_carries_the_letterhead_items_totals_and_page_numbers() {
    let b = boq().await;
    let (app, admin, pm) = (&b.app, &b.admin, &b.pm);
    app.call(
        Method::PUT,
        "/api/v1/company",
        &admin.auth,
        Some(json!({
            "name": "Northwind Interiors Ltd",
            "address": "12 Harbour Road\nBristol BS1 4XX",
            "tax_number": "GB 123 4567 89",
            "document_terms": "Prices exclude VAT and are valid for 30 days.",
            "version": 0
        })),
    )
    .await
    .expect(200);
    put_logo(app, &admin.auth, "\"1\"", "logo.png", &png(300, 90))
        .await
        .expect(200);
    let scope = b.scope(&pm.auth).await;
    let millwork = scope["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Millwork")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Enough items for several pages.
    for i in 0..70 {
        app.post(
            &format!("/api/v1/projects/{}/scope-items", b.project),
            &pm.auth,
            json!({
                "group_id": millwork,
                "code": format!("MW-{i:03}"),
                "name": format!("Wardrobe type {i}"),
                "description": "Oak veneer, soft-close drawers",
                "quantity": "2.5",
                "unit": "pcs",
                "unit_price_minor": 120000
            }),
        )
        .await
        .expect(201);
    }
    let resp = app
        .get(
            &format!("/api/v1/projects/{}/scope.pdf", b.project),
            &pm.auth,
        )
        .await
        .expect(200);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/pdf")
    );
    assert!(
        resp.header("content-disposition")
            .is_some_and(|d| d.contains(".pdf")),
        "{:?}",
        resp.headers
    );
    let text = poppler("pdftotext", &resp.body);
    for expected in [
        "Northwind Interiors Ltd",
        "Tax no. GB 123 4567 89",
        "Priced scope of work",
        "Alpha Hotels",
        "Lobby joinery",
        "MW-000",
        "MW-069",
        "Wardrobe type 69",
        "3,000.00",
        // 70 × 2.5 × 1,200.00
        "Subtotal Millwork",
        "210,000.00",
        "Prices exclude VAT",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(text.contains("Page 1 of "), "{text}");
    assert!(text.contains("Page 2 of "), "{text}");
    let fonts = poppler("pdffonts", &resp.body);
    for row in fonts.lines().skip(2) {
        let flags: Vec<&str> = row.split_whitespace().rev().skip(2).take(3).collect();
        assert_eq!(flags, ["yes", "yes", "yes"], "{fonts}");
    }
}

#[tokio::test]
async fn administrators_keep_the_settings_and_logo_in_the_ui() {
    let b = boq().await;
    let app = &b.app;
    let (admin, _) = app.login(&b.admin.user.email, PASSWORD).await;
    let (pm, _) = app.login(&b.pm.user.email, PASSWORD).await;
    app.get("/admin/company", &pm).await.expect(403);
    let page = app.get("/admin/company", &admin).await.expect(200).text();
    assert!(page.contains("Save the company's name first"), "{page}");

    let fields = [
        ("name", "Northwind Interiors Ltd"),
        ("address", "12 Harbour Road\r\nBristol"),
        ("email", "office@northwind.test"),
        ("version", "0"),
    ];
    form(app, "/admin/company", &admin, &fields)
        .await
        .expect(303);
    // The same form again is stale: someone (here, the same person) saved first.
    form(app, "/admin/company", &admin, &fields)
        .await
        .expect(409);
    let bad = [("name", " "), ("version", "1")];
    let resp = form(app, "/admin/company", &admin, &bad)
        .await
        .expect(422)
        .text();
    assert!(resp.contains("is required"), "{resp}");

    let Auth::Cookie {
        csrf: Some(csrf), ..
    } = &admin
    else {
        panic!("a browser session")
    };
    let (mime, body) = multipart(
        "logo.png",
        &png(200, 60),
        &[("_csrf", csrf), ("version", "1")],
    );
    app.send(TestApp::build(
        Method::POST,
        "/admin/company/logo",
        &admin,
        &[("content-type", mime.as_str())],
        Some(axum::body::Body::from(body)),
        false,
    ))
    .await
    .expect(303);
    let page = app.get("/admin/company", &admin).await.expect(200).text();
    assert!(page.contains("src=\"/admin/company/logo?v=2\""), "{page}");
    app.get("/admin/company/logo?v=2", &pm).await.expect(200);

    // The Scope tab offers the priced PDF, and it downloads from there.
    let tab = app
        .get(&format!("/projects/{}/scope", b.project), &pm)
        .await
        .expect(200)
        .text();
    let link = format!("href=\"/projects/{}/scope.pdf\"", b.project);
    assert!(tab.contains(&link), "{tab}");
    let pdf = app
        .get(&format!("/projects/{}/scope.pdf", b.project), &pm)
        .await
        .expect(200);
    assert!(pdf.body.starts_with(b"%PDF-"));
    assert!(poppler("pdftotext", &pdf.body).contains("Northwind Interiors Ltd"));
}
