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
    let dearer = GOOD.replace("12.5,m2,80,", "12.5,m2,95,");
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

/// The supplier and contact columns name the directory's: found by name whatever the case
/// and spaces; a name not there is added by the same import for those who keep the
/// directory (the check says so), and refused, naming it, for anyone else. The export writes
/// the directory's names, so it imports back unchanged. Through the API a specification's
/// contact must be one of its supplier's.
#[tokio::test]
async fn suppliers_in_a_materials_spreadsheet_come_from_the_directory() {
    let b = boq().await;
    let app = &b.app;
    let designer = app.user(&b.admin, "designer", "Dana Designer", None).await;
    app.member(&b.pm.auth, &b.project, &designer, "designer")
        .await;
    let house = app
        .post(
            "/api/v1/suppliers",
            &b.pm.auth,
            json!({"name": "Veneer House", "lead_time_days": 18}),
        )
        .await
        .expect(201)
        .json();
    let house_id = id_of(&house);
    let ahmed = app
        .post(
            &format!("/api/v1/suppliers/{house_id}/contacts"),
            &b.pm.auth,
            json!({"name": "Ahmed"}),
        )
        .await
        .expect(201)
        .json();
    let csv = "Code,Description,Category,Supplier,Supplier contact\n\
V-01,Walnut veneer,Veneer,  veneer HOUSE ,ahmed\n\
ST-01,Calacatta top,Stone,Stone Co,Sam\n";
    async fn check(b: &Boq, who: &Auth, dry: bool, csv: &str) -> crate::support::Resp {
        send_file(
            &b.app,
            &import(b, dry, "m.csv"),
            who,
            csv.as_bytes().to_vec(),
            "text/csv",
        )
        .await
    }

    // A designer may not add to the directory: the unknown supplier's row is refused.
    let v = check(&b, &designer.auth, true, csv)
        .await
        .expect(200)
        .json();
    assert_eq!(
        (v["valid"].clone(), v["invalid"].clone()),
        (json!(false), json!(1))
    );
    let text = v["rows"].to_string();
    assert!(
        text.contains("Stone Co is not in the supplier directory") && text.contains("add it"),
        "{text}"
    );
    assert_eq!(v["directory_additions"], json!([]));

    // The project manager's check says what the import adds; nothing is added before it.
    let v = check(&b, &b.pm.auth, true, csv).await.expect(200).json();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(
        v["directory_additions"],
        json!([
            "adds supplier Stone Co to the directory",
            "adds Sam to the contacts of Stone Co"
        ])
    );
    let stone = "/api/v1/suppliers?q=Stone&archived=all";
    assert_eq!(
        app.get(stone, &b.pm.auth).await.expect(200).json()["items"],
        json!([])
    );
    check(&b, &b.pm.auth, false, csv).await.expect(200);
    let found = app.get(stone, &b.pm.auth).await.expect(200).json();
    assert_eq!(found["items"][0]["name"], "Stone Co");
    let list = specs(&b).await;
    let by_code = |code: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == code)
            .unwrap()
            .clone()
    };
    let v01 = by_code("V-01");
    assert_eq!(
        (
            &v01["supplier_id"],
            &v01["supplier_name"],
            &v01["supplier_contact_id"],
            &v01["supplier_contact_name"],
            &v01["lead_time_days"],
        ),
        (
            &json!(house_id),
            &json!("Veneer House"),
            &ahmed["id"],
            &json!("Ahmed"),
            &json!(18)
        )
    );
    let st01 = by_code("ST-01");
    assert_eq!(
        (&st01["supplier_name"], &st01["supplier_contact_name"]),
        (&json!("Stone Co"), &json!("Sam"))
    );
    assert!(st01["supplier"].is_null(), "no free text is written");

    // The export names them as the directory does; the designer imports it back unchanged.
    let export = app
        .get(
            &format!("/api/v1/projects/{}/specs/export?format=csv", b.project),
            &designer.auth,
        )
        .await
        .expect(200);
    let text = String::from_utf8(export.body.to_vec()).unwrap();
    assert!(text.contains("Veneer House,Ahmed"), "{text}");
    let v = send_file(
        app,
        &import(&b, true, "m.csv"),
        &designer.auth,
        export.body.to_vec(),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (v["unchanged"].clone(), v["valid"].clone()),
        (json!(2), json!(true)),
        "{v}"
    );

    // Through the API: free text is refused; a contact must be the supplier's own.
    let v01_id = id_of(&v01);
    app.patch(
        &format!("/api/v1/specs/{v01_id}"),
        &designer.auth,
        json!({"supplier": "Veneer House", "version": v01["version"]}),
    )
    .await
    .expect(422);
    let sam = st01["supplier_contact_id"].clone();
    let v = app
        .patch(
            &format!("/api/v1/specs/{v01_id}"),
            &designer.auth,
            json!({"supplier_contact_id": sam, "version": v01["version"]}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(crate::support::Resp::fields(&v), ["supplier_contact_id"]);
    assert!(v.to_string().contains("contacts of Veneer House"), "{v}");
    // Another supplier drops the previous one's contact; its own contact is then chosen.
    let moved = app
        .patch(
            &format!("/api/v1/specs/{v01_id}"),
            &designer.auth,
            json!({"supplier_id": st01["supplier_id"], "version": v01["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert!(moved["supplier_contact_id"].is_null(), "{moved}");
    let moved = app
        .patch(
            &format!("/api/v1/specs/{v01_id}"),
            &designer.auth,
            json!({"supplier_contact_id": sam, "version": moved["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(moved["supplier_contact_name"], "Sam");
}
