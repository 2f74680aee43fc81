//! Spreadsheet import bombs: files crafted to unpack into gigabytes, ten million rows or
//! 16,384 columns are refused by both imports (scope and materials) with a 413 saying what
//! is wrong, after reading only what it takes to tell, in the API and in the browser.

use axum::http::Method;
use formula_testkit::xlsx;

use crate::scope::{boq, multipart, send_file};
use crate::support::{Auth, TestApp};

/// The crafted files, and what the refusal of each says.
fn bombs() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    vec![
        (
            "declares gigabytes",
            xlsx::declared_bomb(),
            "xl/worksheets/sheet1.xml unpacks to 3840 MiB",
        ),
        (
            "unpacks to more than it declares",
            xlsx::lying_bomb(4 << 20),
            "unpacks to more than its zip directory declares",
        ),
        (
            "huge shared-strings table",
            xlsx::shared_strings_bomb(10, false),
            "xl/sharedStrings.xml unpacks to 3840 MiB",
        ),
        (
            "16,384 columns",
            xlsx::wide_sheet(true),
            "16384 columns wide",
        ),
        (
            "16,384 columns, undeclared",
            xlsx::wide_sheet(false),
            "201 columns wide",
        ),
        (
            "ten million rows",
            xlsx::tall_sheet(3, true),
            "more than 20000 rows",
        ),
        (
            "more rows than the limit, undeclared",
            xlsx::tall_sheet(formula_reports::MAX_ROWS + 5, false),
            "more than 20000 rows",
        ),
    ]
}

#[tokio::test]
async fn spreadsheet_bombs_are_refused_by_both_imports_saying_why() {
    let b = boq().await;
    for kind in ["scope", "specs"] {
        let path = format!(
            "/api/v1/projects/{}/{kind}/import?dry_run=true&file_name=bomb.xlsx",
            b.project
        );
        for (what, file, reason) in bombs() {
            let v = send_file(&b.app, &path, &b.pm.auth, file, formula_reports::XLSX_MIME)
                .await
                .problem(413, "spreadsheet_too_large");
            let detail = v["detail"].as_str().unwrap();
            assert!(detail.contains(reason), "{kind}, {what}: {detail}");
        }
    }
    // Nothing was imported.
    let scope = b.scope(&b.pm.auth).await;
    assert_eq!(scope["totals"]["items"], 0);
}

#[tokio::test]
async fn a_bomb_uploaded_in_the_browser_gets_the_import_page_with_a_413() {
    let b = boq().await;
    let (pm, _) = b
        .app
        .login(&b.pm.user.email, crate::support::PASSWORD)
        .await;
    let Auth::Cookie {
        token,
        csrf: Some(csrf),
    } = &pm
    else {
        panic!("cookie auth");
    };
    let browser = Auth::Cookie {
        token: token.clone(),
        csrf: None,
    };
    for tab in ["scope", "materials"] {
        let page = format!("/projects/{}/{tab}/import", b.project);
        let (mime, body) = multipart(csrf, "bomb.xlsx", &xlsx::declared_bomb());
        let html = b
            .app
            .send(TestApp::build(
                Method::POST,
                &page,
                &browser,
                &[("content-type", mime.as_str())],
                Some(axum::body::Body::from(body)),
                false,
            ))
            .await
            .expect(413)
            .text();
        assert!(html.contains("bomb.xlsx: the .xlsx file"), "{tab}: {html}");
        assert!(html.contains("unpacks to 3840 MiB"), "{tab}");
    }
}
