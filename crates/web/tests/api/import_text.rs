//! Control characters in imported cells: a NUL or an escape in a cell an import reads is
//! that row's error, naming the line and the column, in a `.csv` and in an `.xlsx`, for
//! both imports (it used to reach the database, which refused it as a whole).

use formula_testkit::xlsx;
use serde_json::Value;

use crate::scope::{boq, send_file};

/// The preview row of `line`.
fn row(v: &Value, line: i64) -> Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["line"] == line)
        .cloned()
        .unwrap_or_else(|| panic!("no line {line}: {v}"))
}

#[tokio::test]
async fn a_control_character_in_an_imported_cell_is_a_row_error_naming_line_and_column() {
    let b = boq().await;
    // A NUL far enough into a .csv that the file is still text; an escape early on.
    let mut csv = String::from("Group,Name,Room\n");
    for i in 0..200 {
        csv.push_str(&format!("Millwork,Desk {i},Lobby\n"));
    }
    csv.push_str("Millwork,Bad\u{0}desk,Bar\nJoinery,Bench,Hall\u{1b}[31m\n");
    let rows = [
        xlsx::row(1, &["Group", "Name", "Room"]),
        xlsx::row(2, &["Millwork", "Desk", "Lobby"]),
        // Excel writes a NUL as `_x0000_`; a character reference works too.
        xlsx::row(3, &["Millwork", "Bad_x0000_desk", "Bar"]),
        xlsx::row(4, &["Joinery", "Bench", "Hall&#27;[31m"]),
    ];
    let book = xlsx::workbook(None, &rows.concat(), None);
    let files = [
        ("boq.csv", csv.into_bytes(), "text/csv", (202, 203)),
        ("boq.xlsx", book, formula_reports::XLSX_MIME, (3, 4)),
    ];
    for (name, file, mime, (nul_line, esc_line)) in files {
        let import = |dry: bool| {
            format!(
                "/api/v1/projects/{}/scope/import?dry_run={dry}&file_name={name}",
                b.project
            )
        };
        let v = send_file(&b.app, &import(true), &b.pm.auth, file.clone(), mime)
            .await
            .expect(200)
            .json();
        assert_eq!(v["invalid"], 2, "{name}: {v}");
        for (line, column) in [(nul_line, "Name"), (esc_line, "Room")] {
            let r = row(&v, line);
            assert_eq!(r["action"], "invalid", "{name}");
            assert_eq!(r["errors"][0]["field"], column, "{name}: {r}");
            assert!(
                r["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("control characters"),
                "{r}"
            );
        }
        // Importing it is refused by row and column, as a 422 and not by the database.
        let v = send_file(&b.app, &import(false), &b.pm.auth, file, mime)
            .await
            .problem(422, "validation_failed");
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                format!("line {nul_line}: Name"),
                format!("line {esc_line}: Room")
            ],
            "{name}"
        );
    }

    // The materials import, the same way.
    let materials = |name: &str| {
        format!(
            "/api/v1/projects/{}/specs/import?dry_run=false&file_name={name}",
            b.project
        )
    };
    let csv =
        "Code,Description,Supplier\nV-01,Walnut veneer,Veneer House\nV-02,Oak veneer,Acme\u{7}\n";
    let v = send_file(
        &b.app,
        &materials("m.csv"),
        &b.pm.auth,
        csv.into(),
        "text/csv",
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "line 3: Supplier", "{v}");
    let rows = [
        xlsx::row(1, &["Code", "Description", "Supplier"]),
        xlsx::row(2, &["V-01", "Walnut_x0000_ veneer", "Veneer House"]),
    ];
    let book = xlsx::workbook(None, &rows.concat(), None);
    let v = send_file(
        &b.app,
        &materials("m.xlsx"),
        &b.pm.auth,
        book,
        formula_reports::XLSX_MIME,
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "line 2: Description", "{v}");
    // Nothing was imported.
    let scope = b.scope(&b.pm.auth).await;
    assert_eq!(scope["totals"]["items"], 0);
}
