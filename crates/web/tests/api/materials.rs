//! Material specifications from and to spreadsheets: the import checks every row and
//! writes all or nothing, matches on the code (so a second import changes nothing), never
//! changes an approved specification, and reads back its own export; also in the browser.

use axum::http::Method;
use serde_json::{Value, json};

use crate::scope::{Boq, boq, confirm_rows, form, multipart, send_file};
use crate::support::{Auth, TestApp, id_of};

const BAD: &str = "Code,Description,Category,Qty,Unit,Unit cost,Supplier,Lead time (days),Needed on site\n\
V-01,Walnut veneer,Veneer,12.5,m2,80,Veneer House,21,2027-03-01\n\
ST-01,Calacatta top,plastic,3,m2,450,Stone Co,30,2027-03-15\n\
HW-01,Soft-close hinges,Hardware,40,pcs,4.5,Blum,14,31/03/2027\n\
v-01,Walnut veneer again,Veneer,1,m2,80,,,\n";

const GOOD: &str = "Code,Description,Category,Qty,Unit,Unit cost,Supplier,Lead time (days),Needed on site\n\
V-01,Walnut veneer,Veneer,12.5,m2,80,Veneer House,21,2027-03-01\n\
ST-01,Calacatta top,Stone,3,m2,450,Stone Co,30,2027-03-15\n\
HW-01,Soft-close hinges,Hardware,40,pcs,4.5,Blum,14,2027-03-31\n";

fn import(b: &Boq, dry: bool, name: &str) -> String {
    format!(
        "/api/v1/projects/{}/specs/import?dry_run={dry}&file_name={name}",
        b.project
    )
}

async fn specs(b: &Boq) -> Value {
    b.app
        .get(&format!("/api/v1/projects/{}/specs", b.project), &b.pm.auth)
        .await
        .expect(200)
        .json()
}

#[tokio::test]
async fn a_materials_spreadsheet_is_checked_imported_once_and_exported() {
    let b = boq().await;
    let app = &b.app;
    let csv = |s: &str| s.as_bytes().to_vec();

    // The check names every bad row and column; nothing is written, even when asked to.
    let v = send_file(
        app,
        &import(&b, true, "m.csv"),
        &b.pm.auth,
        csv(BAD),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (v["valid"].clone(), v["invalid"].clone()),
        (json!(false), json!(3))
    );
    let why = |line: u64| -> String {
        let row = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["line"] == line)
            .unwrap();
        row["errors"].to_string()
    };
    assert!(
        why(3).contains("Category") && why(3).contains("Veneer"),
        "{}",
        why(3)
    );
    assert!(
        why(4).contains("Needed on site") && why(4).contains("2027-03-31"),
        "{}",
        why(4)
    );
    assert!(why(5).contains("also on line 2"), "{}", why(5));
    let refused = send_file(
        app,
        &import(&b, false, "m.csv"),
        &b.pm.auth,
        csv(BAD),
        "text/csv",
    )
    .await
    .problem(422, "validation_failed");
    assert!(
        refused.to_string().contains("line 3: Category"),
        "{refused}"
    );
    assert_eq!(specs(&b).await["items"].as_array().unwrap().len(), 0);

    // The corrected file goes in whole; a second time it changes nothing.
    let v = send_file(
        app,
        &import(&b, false, "m.csv"),
        &b.pm.auth,
        csv(GOOD),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (v["creates"].clone(), v["valid"].clone()),
        (json!(3), json!(true))
    );
    let list = specs(&b).await;
    let v01 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "V-01")
        .unwrap()
        .clone();
    assert_eq!(
        (&v01["total_minor"], &v01["unit"], &v01["needed_on"]),
        (&json!(100_000), &json!("m²"), &json!("2027-03-01"))
    );
    let again = send_file(
        app,
        &import(&b, false, "m.csv"),
        &b.pm.auth,
        csv(GOOD),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (again["creates"].clone(), again["unchanged"].clone()),
        (json!(0), json!(3))
    );

    // The export is read back by a third-party reader and imports as it is.
    let export = app
        .get(
            &format!("/api/v1/projects/{}/specs/export?format=xlsx", b.project),
            &b.pm.auth,
        )
        .await
        .expect(200);
    let bytes = export.body.to_vec();
    let table = formula_reports::read_table(&bytes, "materials.xlsx").unwrap();
    assert_eq!(table.rows.len(), 3);
    assert!(table.headers.iter().any(|h| h == "Order by"));
    let v = send_file(
        app,
        &import(&b, false, "materials.xlsx"),
        &b.pm.auth,
        bytes,
        "application/octet-stream",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (v["unchanged"].clone(), v["creates"].clone()),
        (json!(3), json!(0))
    );
    assert!(
        v["ignored_headers"].to_string().contains("Order by"),
        "derived columns are not imported: {}",
        v["ignored_headers"]
    );

    // An approved specification keeps its content: a row changing it is refused.
    let id = id_of(&v01);
    app.post(
        &format!("/api/v1/specs/{id}/submit"),
        &b.pm.auth,
        json!({"version": v01["version"]}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/specs/{id}/review"),
        &b.pm.auth,
        json!({"decision": "approved", "version": v01["version"].as_i64().unwrap() + 1}),
    )
    .await
    .expect(200);
    let dearer = GOOD.replace("Veneer House", "Other Veneers");
    let v = send_file(
        app,
        &import(&b, true, "m.csv"),
        &b.pm.auth,
        csv(&dearer),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(v["invalid"], 1);
    assert!(
        v.to_string()
            .contains("is approved: its content cannot change"),
        "{v}"
    );
    // Unchanged rows of approved specifications are fine.
    let v = send_file(
        app,
        &import(&b, true, "m.csv"),
        &b.pm.auth,
        csv(GOOD),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(v["valid"], true);

    // The template lists the columns.
    let t = app
        .get("/api/v1/specs/template?format=csv", &b.pm.auth)
        .await
        .expect(200)
        .text();
    // (After the byte-order mark that makes Excel read UTF-8.)
    assert!(
        t.trim_start_matches('\u{feff}')
            .starts_with("Code,Description,Category"),
        "{t}"
    );
}

#[tokio::test]
async fn importing_materials_in_the_browser_previews_then_confirms() {
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
    let page = format!("/projects/{}/materials/import", b.project);
    assert!(
        b.app
            .get(&page, &pm)
            .await
            .expect(200)
            .text()
            .contains("Import a materials spreadsheet")
    );
    let upload = |file: &'static str| {
        let (mime, body) = multipart(csrf, "materials.csv", file.as_bytes());
        TestApp::build(
            Method::POST,
            &page,
            &browser,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        )
    };
    let html = b.app.send(upload(BAD)).await.expect(422).text();
    assert!(html.contains("3 row(s) need fixing"), "{html}");
    let html = b.app.send(upload(GOOD)).await.expect(200).text();
    assert!(html.contains("Every row can be imported: 3 new"), "{html}");
    assert!(html.contains("/materials/import/confirm"));
    let rows = confirm_rows(&html);
    let done = form(
        &b.app,
        &format!("{page}/confirm"),
        &pm,
        &[("file_name", "materials.csv"), ("rows", rows.as_str())],
    )
    .await
    .expect(303);
    assert_eq!(
        done.header("location").unwrap(),
        format!("/projects/{}/materials?m=imported", b.project)
    );
    assert_eq!(specs(&b).await["items"].as_array().unwrap().len(), 3);
    b.app
        .get("/materials/template?format=xlsx", &pm)
        .await
        .expect(200);
}
