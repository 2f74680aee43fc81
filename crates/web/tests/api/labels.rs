//! Item labels (`GET /api/v1/projects/{id}/labels.pdf` and the Labels page): which items and
//! units get a label, what each says (read back with `pdftotext`), fonts embedded
//! (`pdffonts`), every QR code decoded from a 300 dpi rendering (`pdftoppm`, `zbarimg`) to the
//! item's page under `PUBLIC_URL`, the limits, and who may print them.

use std::process::Command;

use serde_json::Value;

use crate::installations::{Site, site};
use crate::support::{Auth, PASSWORD, TestApp, id_of};

fn tool(name: &str, args: &[&str], pdf: &[u8], out_dir: Option<&std::path::Path>) -> String {
    let dir = std::env::temp_dir().join(format!("formula-labels-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("labels.pdf");
    std::fs::write(&file, pdf).unwrap();
    let mut cmd = Command::new(name);
    cmd.args(args).arg(&file);
    match (name, out_dir) {
        ("pdftotext", _) => {
            cmd.arg("-");
        }
        (_, Some(out)) => {
            cmd.arg(out.join("label"));
        }
        _ => {}
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{name} (poppler-utils) must be installed: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn text(pdf: &[u8]) -> String {
    let t = tool("pdftotext", &[], pdf, None);
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pages(pdf: &[u8]) -> usize {
    tool("pdftotext", &[], pdf, None).matches('\u{c}').count()
}

/// The QR code of the label at `slot` (0-based, on page `page`), rendered alone at 300 dpi.
fn qr_of(pdf: &[u8], thermal: bool, page: usize, slot: usize) -> Vec<String> {
    const MM: f64 = 300.0 / 25.4;
    let (x, y, w, h) = if thermal {
        (0.0, 0.0, 100.0, 50.0)
    } else {
        (
            4.65 + (slot % 2) as f64 * 101.6,
            15.15 + (slot / 2) as f64 * 38.1,
            99.1,
            38.1,
        )
    };
    let px = |mm: f64| ((mm * MM).round() as i64).to_string();
    let out = std::env::temp_dir().join(format!("formula-qr-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&out).unwrap();
    let page = page.to_string();
    tool(
        "pdftoppm",
        &[
            "-r",
            "300",
            "-gray",
            "-png",
            "-singlefile",
            "-f",
            &page,
            "-l",
            &page,
            "-x",
            &px(x),
            "-y",
            &px(y),
            "-W",
            &px(w),
            "-H",
            &px(h),
        ],
        pdf,
        Some(&out),
    );
    let decoded = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(out.join("label.png"))
        .output()
        .expect("zbarimg (zbar-tools) must be installed");
    let _ = std::fs::remove_dir_all(&out);
    String::from_utf8(decoded.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn url_of(item: &Value) -> String {
    format!("http://127.0.0.1:5014/scope-items/{}/edit", id_of(item))
}

async fn labels(s: &Site, auth: &Auth, query: &str) -> crate::support::Resp {
    s.app
        .get(
            &format!("/api/v1/projects/{}/labels.pdf?{query}", s.project),
            auth,
        )
        .await
}

fn code(item: &Value) -> String {
    item["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn one_label_per_item_says_what_and_where_and_its_qr_opens_the_item() {
    let s = site().await;
    let resp = labels(&s, &s.pm.auth, "").await.expect(200);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/pdf")
    );
    assert!(
        resp.header("content-disposition")
            .unwrap()
            .contains("-labels.pdf")
    );
    let pdf = resp.body;
    let t = text(&pdf);
    let project = s
        .app
        .get(&format!("/api/v1/projects/{}", s.project), &s.pm.auth)
        .await
        .json();
    for expected in [
        code(&s.desk),
        code(&s.bedside),
        code(&s.mirror),
        "Desk".into(),
        "Bedside table".into(),
        "Mirror".into(),
        format!("{} Hotel fit-out", project["code"].as_str().unwrap()),
        // The desk's room and its level; the bedside tables' room type over three rooms.
        "T1-L01-0101 Room 101 · Level 1".into(),
        "KING King guest room · 3 rooms · Level 1".into(),
        "Qty 1 pcs".into(),
        "Qty 6 pcs".into(),
    ] {
        assert!(t.contains(&expected), "{expected:?} missing from {t}");
    }
    let fonts = tool("pdffonts", &[], &pdf, None);
    for row in fonts.lines().skip(2) {
        let flags: Vec<&str> = row.split_whitespace().rev().skip(2).take(3).collect();
        assert_eq!(flags, ["yes", "yes", "yes"], "{fonts}");
    }
    // In scope order, each QR code holds its item's page.
    for (slot, item) in [&s.desk, &s.bedside, &s.mirror].into_iter().enumerate() {
        assert_eq!(qr_of(&pdf, false, 1, slot), [url_of(item)], "label {slot}");
    }
}

#[tokio::test]
async fn one_label_per_unit_names_each_units_room_and_a_place_prints_its_own() {
    let s = site().await;
    let bedside = id_of(&s.bedside);
    let pdf = labels(
        &s,
        &s.pm.auth,
        &format!("items={bedside}&per_unit=true&layout=thermal"),
    )
    .await
    .expect(200)
    .body;
    // Six units, two for each KING room in building order, one thermal label a page.
    assert_eq!(pages(&pdf), 6);
    let t = text(&pdf);
    for k in 1..=6 {
        assert!(t.contains(&format!("Unit {k} of 6")), "{t}");
    }
    let rooms: Vec<usize> = ["0101", "0102", "0103"]
        .iter()
        .map(|r| t.matches(&format!("T1-L01-{r}")).count())
        .collect();
    assert_eq!(rooms, [2, 2, 2], "{t}");
    for page in [1, 6] {
        assert_eq!(qr_of(&pdf, true, page, 0), [url_of(&s.bedside)]);
    }
    // Only the units for the second room, keeping their numbers.
    let room = &s.rooms[1];
    let pdf = labels(
        &s,
        &s.pm.auth,
        &format!("room_id={room}&per_unit=true&released=true"),
    )
    .await
    .expect(200)
    .body;
    let t = text(&pdf);
    assert!(
        t.contains("Unit 3 of 6") && t.contains("Unit 4 of 6"),
        "{t}"
    );
    assert!(
        !t.contains("Unit 1 of 6") && !t.contains(&code(&s.desk)),
        "{t}"
    );
    // A whole item gets "Unit 1 of 1", a quantity like 2.5 m one label with its quantity.
    let group = s
        .app
        .get(&format!("/api/v1/projects/{}/scope", s.project), &s.pm.auth)
        .await
        .json()["groups"][1]["id"]
        .clone();
    let skirting = s
        .app
        .post(
            &format!("/api/v1/projects/{}/scope-items", s.project),
            &s.pm.auth,
            serde_json::json!({"group_id": group, "name": "Skirting", "quantity": "2.5", "unit": "m"}),
        )
        .await
        .expect(201)
        .json();
    let pdf = labels(
        &s,
        &s.pm.auth,
        &format!(
            "items={},{}&per_unit=true",
            id_of(&skirting),
            id_of(&s.desk)
        ),
    )
    .await
    .expect(200)
    .body;
    let t = text(&pdf);
    assert!(t.contains("Qty 2.5 m") && t.contains("Unit 1 of 1"), "{t}");
    assert_eq!(qr_of(&pdf, false, 1, 0), [url_of(&skirting)]);
    assert_eq!(qr_of(&pdf, false, 1, 1), [url_of(&s.desk)]);

    // A whole quantity of a measured unit is one thing too: 30 m² of panelling is one
    // label, not thirty.
    let panelling = s
        .app
        .post(
            &format!("/api/v1/projects/{}/scope-items", s.project),
            &s.pm.auth,
            serde_json::json!({"group_id": group, "name": "Wall panelling", "quantity": "30", "unit": "m²"}),
        )
        .await
        .expect(201)
        .json();
    let pdf = labels(
        &s,
        &s.pm.auth,
        &format!("items={}&per_unit=true", id_of(&panelling)),
    )
    .await
    .expect(200)
    .body;
    let t = text(&pdf);
    assert!(
        t.contains("Qty 30 m²") && !t.contains("Unit 1 of 30"),
        "{t}"
    );
    assert_eq!(qr_of(&pdf, false, 1, 0), [url_of(&panelling)]);
}

#[tokio::test]
async fn filters_choose_the_items_and_bad_requests_say_what_to_fix() {
    let s = site().await;
    // Released only: the mirror is not.
    let t = text(
        &labels(&s, &s.pm.auth, "released=true")
            .await
            .expect(200)
            .body,
    );
    assert!(
        t.contains(&code(&s.desk)) && !t.contains(&code(&s.mirror)),
        "{t}"
    );

    let fields = |r: crate::support::Resp| {
        let body = r.problem(422, "validation_failed");
        crate::support::Resp::fields(&body)
    };
    for (query, field) in [
        ("layout=roll".to_owned(), "layout"),
        ("per_unit=maybe".to_owned(), "per_unit"),
        ("items=desk".to_owned(), "items"),
        (format!("items={}", uuid::Uuid::now_v7()), "items"),
        (format!("items={}&released=true", id_of(&s.mirror)), "items"),
    ] {
        assert_eq!(
            fields(labels(&s, &s.pm.auth, &query).await),
            [field],
            "{query}"
        );
    }
    // More than 1,000 labels in one request: refused, saying what to do.
    let group = s
        .app
        .get(&format!("/api/v1/projects/{}/scope", s.project), &s.pm.auth)
        .await
        .json()["groups"][1]["id"]
        .clone();
    s.app
        .post(
            &format!("/api/v1/projects/{}/scope-items", s.project),
            &s.pm.auth,
            serde_json::json!({"group_id": group, "name": "Hangers", "quantity": "1001"}),
        )
        .await
        .expect(201);
    let body = labels(&s, &s.pm.auth, "per_unit=true")
        .await
        .problem(422, "validation_failed");
    assert!(body.to_string().contains("more than 1000 labels"), "{body}");
    labels(&s, &s.pm.auth, "").await.expect(200);
    // Client users never.
    labels(&s, &s.client.auth, "").await.expect(403);
}

async fn cookie(app: &TestApp, email: &str) -> Auth {
    app.login(email, PASSWORD).await.0
}

#[tokio::test]
async fn the_page_chooses_items_and_downloads_the_pdf() {
    let s = site().await;
    let pm = cookie(&s.app, &s.pm.user.email).await;
    // The Scope tab and the item's page lead to it.
    let tab = s
        .app
        .get(&format!("/projects/{}/scope", s.project), &pm)
        .await
        .expect(200)
        .text();
    assert!(
        tab.contains(&format!("href=\"/projects/{}/labels\"", s.project)),
        "{tab}"
    );
    let item_page = s
        .app
        .get(&format!("/scope-items/{}/edit", id_of(&s.desk)), &pm)
        .await
        .expect(200)
        .text();
    let link = format!("/projects/{}/labels?item={}", s.project, id_of(&s.desk));
    assert!(item_page.contains(&link), "{item_page}");
    // From the item: just that item, ticked.
    let page = s.app.get(&link, &pm).await.expect(200).text();
    assert!(page.contains(&code(&s.desk)) && !page.contains(&code(&s.mirror)));
    assert!(page.contains("Download PDF"));
    // All items, filtered to the released ones.
    let page = s
        .app
        .get(&format!("/projects/{}/labels?released=1", s.project), &pm)
        .await
        .expect(200)
        .text();
    assert!(page.contains(&code(&s.bedside)) && !page.contains(&code(&s.mirror)));
    // The download as the form sends it: two items ticked, thermal, one per unit.
    let pdf = s
        .app
        .get(
            &format!(
                "/projects/{}/labels.pdf?released=1&pick=1&item={}&item={}&layout=thermal&per_unit=1",
                s.project,
                id_of(&s.desk),
                id_of(&s.bedside)
            ),
            &pm,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(pages(&pdf), 7);
    assert!(text(&pdf).contains(&code(&s.desk)));
    // Nothing ticked: the page again, saying so.
    let again = s
        .app
        .get(
            &format!("/projects/{}/labels.pdf?pick=1&layout=a4", s.project),
            &pm,
        )
        .await
        .expect(422)
        .text();
    assert!(again.contains("Tick at least one item"), "{again}");
    // Client users do not see the page.
    let client = cookie(&s.app, &s.client.user.email).await;
    let status = s
        .app
        .get(&format!("/projects/{}/labels", s.project), &client)
        .await
        .status
        .as_u16();
    assert_eq!(status, 403);
}
