//! Spreadsheets written the European way: `;`-separated files with decimal commas import
//! the amounts they say (never a hundred times more), a value that could be read two ways is
//! a row error naming its cell, and the number format can be chosen on the API and the page.

use axum::http::Method;
use serde_json::{Value, json};

use crate::scope::{Boq, boq, confirm_rows, form, send_file};
use crate::support::{Auth, Resp, TestApp};

const EUROPEAN: &str = "Group;Name;Room;Qty;Unit;Unit price\n\
Construction;Gypsum;Corridor;64;m²;55,00\n";

fn scope_import(b: &Boq, query: &str) -> String {
    format!(
        "/api/v1/projects/{}/scope/import?file_name=boq.csv&{query}",
        b.project
    )
}

async fn import_csv(b: &Boq, query: &str, csv: &str) -> Resp {
    send_file(
        &b.app,
        &scope_import(b, query),
        &b.pm.auth,
        csv.as_bytes().to_vec(),
        "text/csv",
    )
    .await
}

async fn scope(b: &Boq) -> Value {
    b.app
        .get(&format!("/api/v1/projects/{}/scope", b.project), &b.pm.auth)
        .await
        .expect(200)
        .json()
}

/// The errors of the preview's invalid rows: (line, column, message).
fn row_errors(v: &Value) -> Vec<(i64, String, String)> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "invalid")
        .flat_map(|r| {
            r["errors"].as_array().unwrap().iter().map(|e| {
                (
                    r["line"].as_i64().unwrap(),
                    e["field"].as_str().unwrap().to_owned(),
                    e["message"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect()
}

#[tokio::test]
async fn a_semicolon_csv_with_decimal_commas_imports_the_amounts_it_says() {
    let b = boq().await;
    let v = import_csv(&b, "dry_run=false", EUROPEAN)
        .await
        .expect(200)
        .json();
    assert_eq!(
        (&v["creates"], &v["number_format"]),
        (&json!(1), &json!("decimal_comma")),
        "{v}"
    );
    let s = scope(&b).await;
    // 64 × 55,00 = 3 520,00, not 352 000,00.
    assert_eq!(s["items"][0]["unit_price_minor"], 5_500, "{s}");
    assert_eq!(s["items"][0]["total_minor"], 352_000, "{s}");
    assert_eq!(s["totals"]["total_minor"], 352_000);

    // Thousands points, decimal quantities and grouped totals read the same way.
    let more = "Group;Name;Qty;Unit;Unit price;Budget cost\n\
Millwork;Desk;1,5;pcs;1.234,50;1.000.000\n";
    import_csv(&b, "dry_run=false", more).await.expect(200);
    let s = scope(&b).await;
    let desk = s["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Desk")
        .unwrap();
    assert_eq!(
        (
            &desk["quantity"],
            &desk["unit_price_minor"],
            &desk["total_minor"],
            &desk["budget_cost_minor"]
        ),
        (
            &json!("1.5"),
            &json!(123_450),
            &json!(185_175),
            &json!(100_000_000)
        ),
        "{desk}"
    );
}

#[tokio::test]
async fn a_number_that_reads_two_ways_is_a_row_error_naming_its_cell() {
    let b = boq().await;
    // With the decimal comma only inferred from the semicolons, "1.234" is 1234 or 1.234.
    let ambiguous = "Group;Name;Qty;Unit;Rate\nMillwork;Desk;2;pcs;1.234\n";
    let v = import_csv(&b, "dry_run=true", ambiguous)
        .await
        .expect(200)
        .json();
    let errors = row_errors(&v);
    assert_eq!(errors.len(), 1, "{v}");
    assert_eq!((errors[0].0, errors[0].1.as_str()), (2, "Rate"));
    assert!(errors[0].2.contains("1.234"), "{errors:?}");
    let refused = import_csv(&b, "dry_run=false", ambiguous)
        .await
        .problem(422, "validation_failed");
    assert!(
        Resp::fields(&refused).contains(&"line 2: Rate".to_string()),
        "{refused}"
    );
    assert_eq!(scope(&b).await["totals"]["items"], 0, "nothing was written");

    // Separators mixed the wrong way round, or twice the decimal mark: errors, not guesses.
    let mixed =
        "Group;Name;Qty;Unit;Rate\nMillwork;Desk;2;pcs;1,234.50\nMillwork;Bench;1,2,5;pcs;10\n";
    let v = import_csv(&b, "dry_run=true", mixed)
        .await
        .expect(200)
        .json();
    let fields: Vec<(i64, String)> = row_errors(&v).into_iter().map(|(l, f, _)| (l, f)).collect();
    assert_eq!(
        fields,
        [(2, "Rate".to_string()), (3, "Qty".to_string())],
        "{v}"
    );

    // Chosen explicitly, the rule settles it: 1.234 is one thousand two hundred and thirty-four.
    let v = import_csv(&b, "dry_run=false&number_format=decimal_comma", ambiguous)
        .await
        .expect(200)
        .json();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(scope(&b).await["totals"]["total_minor"], 246_800);

    // Decimal points chosen for a file that has commas: "55,00" is not fifty-five hundred.
    let v = import_csv(&b, "dry_run=true&number_format=decimal_point", EUROPEAN)
        .await
        .expect(200)
        .json();
    let errors = row_errors(&v);
    assert_eq!(
        errors
            .iter()
            .map(|e| (e.0, e.1.as_str()))
            .collect::<Vec<_>>(),
        [(2, "Unit price")],
        "{v}"
    );
    // The same in a comma-separated file, where the comma cell had to be quoted.
    let quoted = "Group,Name,Qty,Unit,Unit price\nConstruction,Gypsum,64,m²,\"55,00\"\n";
    let v = import_csv(&b, "dry_run=true", quoted)
        .await
        .expect(200)
        .json();
    assert_eq!(v["number_format"], "decimal_point");
    assert_eq!(row_errors(&v).len(), 1, "{v}");

    // An unknown format is the caller's mistake.
    let v = import_csv(&b, "dry_run=true&number_format=german", EUROPEAN)
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["number_format"], "{v}");
}

#[tokio::test]
async fn tab_separated_files_are_read_too() {
    let b = boq().await;
    let tsv = "Group\tName\tQty\tUnit\tUnit price\nMillwork\tReception desk\t2\tpcs\t1,250.50\n";
    let v = import_csv(&b, "dry_run=false", tsv)
        .await
        .expect(200)
        .json();
    assert_eq!(v["creates"], 1, "{v}");
    assert_eq!(scope(&b).await["totals"]["total_minor"], 250_100);
}

#[tokio::test]
async fn the_materials_import_reads_decimal_commas_alike() {
    let b = boq().await;
    let path = |query: &str| {
        format!(
            "/api/v1/projects/{}/specs/import?file_name=m.csv&{query}",
            b.project
        )
    };
    let csv = "Code;Description;Qty;Unit;Unit cost;Lead time (days)\n\
V-01;Walnut veneer;12,5;m2;80,00;21\n\
V-02;Oak veneer;3;m2;1.234\n";
    let v = send_file(
        &b.app,
        &path("dry_run=true"),
        &b.pm.auth,
        csv.into(),
        "text/csv",
    )
    .await
    .expect(200)
    .json();
    let errors = row_errors(&v);
    assert_eq!(
        errors
            .iter()
            .map(|e| (e.0, e.1.as_str()))
            .collect::<Vec<_>>(),
        [(3, "Unit cost")],
        "{v}"
    );
    let fixed = csv.replace("1.234", "1.234,00");
    send_file(
        &b.app,
        &path("dry_run=false"),
        &b.pm.auth,
        fixed.into(),
        "text/csv",
    )
    .await
    .expect(200);
    let list: Value = b
        .app
        .get(&format!("/api/v1/projects/{}/specs", b.project), &b.pm.auth)
        .await
        .expect(200)
        .json();
    let totals: Vec<(&str, i64)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["code"].as_str().unwrap(),
                s["total_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(totals.contains(&("V-01", 100_000)), "{totals:?}");
    assert!(totals.contains(&("V-02", 370_200)), "{totals:?}");
}

/// A `multipart/form-data` body with the CSRF field, the number format and one file.
fn upload_body(csrf: &str, number_format: &str, file: &str) -> (String, Vec<u8>) {
    let boundary = "----formula-test-boundary";
    let field = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    };
    let body = format!(
        "{}{}--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"boq.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n",
        field("_csrf", csrf),
        field("number_format", number_format),
    );
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

#[tokio::test]
async fn the_import_page_offers_the_number_format() {
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
        let html = b
            .app
            .get(&format!("/projects/{}/{tab}/import", b.project), &pm)
            .await
            .expect(200)
            .text();
        assert!(html.contains("Number format"), "{html}");
        assert!(
            html.contains("value=\"decimal_comma\"") && html.contains("1.234,56"),
            "{html}"
        );
    }
    let page = format!("/projects/{}/scope/import", b.project);
    let upload = |format: &str| {
        let (mime, body) = upload_body(csrf, format, EUROPEAN);
        TestApp::build(
            Method::POST,
            &page,
            &browser,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        )
    };
    // Decimal points chosen: the comma cell is named as the problem, nothing to confirm.
    let html = b.app.send(upload("decimal_point")).await.expect(422).text();
    assert!(html.contains("1 row(s) need fixing"), "{html}");
    // Left automatic, the semicolons tell; the preview says how numbers were read.
    let html = b.app.send(upload("auto")).await.expect(200).text();
    assert!(html.contains("Every row can be imported: 1 new"), "{html}");
    assert!(html.contains("1.234,56"), "{html}");
    let rows = confirm_rows(&html);
    form(
        &b.app,
        &format!("{page}/confirm"),
        &pm,
        &[("file_name", "boq.csv"), ("rows", rows.as_str())],
    )
    .await
    .expect(303);
    assert_eq!(scope(&b).await["totals"]["total_minor"], 352_000);
}
