//! What every page shares, as served: the stylesheet's form layout, the favicon, error pages
//! inside the app shell, and one date format everywhere.

use serde_json::json;

use crate::support::{Auth, PASSWORD, TestApp};

/// The declarations of the rule whose selector (at the start of a line) is exactly `selector`.
pub fn rule<'a>(css: &'a str, selector: &str) -> &'a str {
    let at = css
        .find(&format!("\n{selector} {{"))
        .unwrap_or_else(|| panic!("no rule {selector:?} in the stylesheet"));
    let rest = &css[at..];
    let open = rest.find('{').unwrap() + 1;
    let close = rest.find('}').unwrap();
    &rest[open..close]
}

async fn stylesheet(app: &TestApp) -> String {
    app.get(&formula_web::assets::url("app.css"), &Auth::None)
        .await
        .expect(200)
        .text()
}

#[tokio::test]
async fn a_checkbox_and_its_label_sit_on_one_row() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app
        .project(&admin.auth, "Lobby", &client, &admin.id())
        .await;
    let (cookie, _) = app.login("admin@example.com", PASSWORD).await;
    // The register's "Reviews overdue" filter is a checkbox field.
    let page = app
        .get(&format!("/projects/{project}/drawings"), &cookie)
        .await
        .expect(200)
        .text();
    let field = &page[page
        .find("class=\"field field-check\"")
        .unwrap_or_else(|| panic!("no checkbox field: {page}"))..];
    let input = field.find("type=\"checkbox\"").unwrap();
    let label = field.find("<label for=").unwrap();
    assert!(
        input < label,
        "the box comes first, then its label: {field}"
    );

    // `.field` stacks its children in a column; a checkbox field puts the box and its label
    // side by side, left-aligned, with any hint or error under the label.
    let css = stylesheet(&app).await;
    let check = rule(&css, ".field-check");
    for d in [
        "display: grid",
        "grid-template-columns: auto minmax(0, 1fr)",
        "justify-items: start",
    ] {
        assert!(check.contains(d), "{d} in .field-check {{{check}}}");
    }
    assert!(rule(&css, ".field-check > :is(.hint, .field-error)").contains("grid-column: 2"));
    assert!(rule(&css, ".field-check > label").contains("cursor: pointer"));
}

#[tokio::test]
async fn the_favicon_is_served_and_linked() {
    let app = TestApp::new().await;
    app.admin().await;
    let ico = app.get("/favicon.ico", &Auth::None).await.expect(200);
    assert_eq!(ico.header("content-type").as_deref(), Some("image/x-icon"));
    assert_eq!(
        ico.header("cache-control").as_deref(),
        Some("public, max-age=86400")
    );
    assert_eq!(&ico.body[..4], &[0, 0, 1, 0], "an ICO file");

    let svg = formula_web::assets::url("favicon.svg");
    for path in ["/login", "/no/such/page"] {
        let html = app.get(path, &Auth::None).await.text();
        assert!(
            html.contains(&format!(
                "<link rel=\"icon\" href=\"{svg}\" type=\"image/svg+xml\">"
            )),
            "{path}: {html}"
        );
    }
    let (cookie, _) = app.login("admin@example.com", PASSWORD).await;
    assert!(
        app.get("/", &cookie)
            .await
            .expect(200)
            .text()
            .contains(&svg)
    );
    let icon = app.get(&svg, &Auth::None).await.expect(200);
    assert_eq!(
        icon.header("content-type").as_deref(),
        Some("image/svg+xml")
    );
    assert!(icon.header("cache-control").unwrap().contains("immutable"));
    assert!(icon.text().starts_with("<svg"));
}

#[tokio::test]
async fn error_pages_keep_the_shell_for_a_signed_in_user() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let designer = app.user(&admin, "designer", "Dora Designer", None).await;
    let (cookie, _) = app.login(&designer.user.email, PASSWORD).await;

    let signed_in = |html: &str| {
        html.contains("Dora Designer")
            && html.contains("action=\"/logout\"")
            && html.contains("<nav class=\"topnav\"")
            && html.contains("href=\"/my-work\"")
    };
    // Not found, and forbidden (only administrators manage users).
    for (path, status) in [("/no/such/page", 404), ("/users", 403)] {
        let html = app.get(path, &cookie).await.expect(status).text();
        assert!(signed_in(&html), "{path}: {html}");
        assert!(!html.contains("href=\"/login\""), "{path}: {html}");
        assert!(html.contains(&format!("Error {status}")), "{path}: {html}");
        assert!(html.contains("Go to the dashboard"));
    }
    // Without a session, or with one that has ended, the page offers to sign in.
    let ended = Auth::Cookie {
        token: "fps_no-such-session".into(),
        csrf: None,
    };
    for auth in [Auth::None, ended] {
        let html = app.get("/no/such/page", &auth).await.expect(404).text();
        assert!(html.contains("href=\"/login\""), "{html}");
        assert!(!signed_in(&html), "{html}");
    }
    // The API keeps answering problem+json.
    app.get("/api/v1/no/such", &cookie)
        .await
        .problem(404, "not_found");
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2026-03-21` → `21 Mar 2026`.
fn day(iso: &str) -> String {
    let (y, m, d) = (&iso[..4], &iso[5..7], &iso[8..10]);
    let m: usize = m.parse().unwrap();
    format!("{} {} {y}", d.trim_start_matches('0'), MONTHS[m - 1])
}

/// Every `<time datetime="…">text</time>` of a page.
fn times(html: &str) -> Vec<(String, String)> {
    html.split("<time datetime=\"")
        .skip(1)
        .map(|s| {
            let (attr, rest) = s.split_once('"').unwrap();
            let start = rest.find('>').unwrap() + 1;
            let end = rest.find("</time>").unwrap();
            (attr.to_owned(), rest[start..end].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn dates_and_times_read_alike_everywhere() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let client = app.client(&admin.auth, "Alpha Hotels").await;
    let body = json!({"name": "Lobby", "client_id": client, "manager_id": admin.id(),
        "sector": "hospitality", "business_line": "millwork",
        "start_date": "2026-03-21", "end_date": "2027-01-05"});
    let project = crate::support::id_of(
        &app.post("/api/v1/projects", &admin.auth, body)
            .await
            .expect(201)
            .json(),
    );
    let task = app
        .task(
            &admin.auth,
            &project,
            json!({"title": "Fit hinges", "assignee_id": admin.id(), "start_date": "2026-03-22", "due_date": "2026-04-09"}),
        )
        .await;
    let task = crate::support::id_of(&task);
    let (cookie, _) = app.login("admin@example.com", PASSWORD).await;

    let mut seen = (0, 0);
    for path in [
        format!("/projects/{project}"),
        "/projects".to_owned(),
        format!("/clients/{client}"),
        "/my-work".to_owned(),
        format!("/tasks/{task}"),
        "/profile".to_owned(),
    ] {
        let html = app.get(&path, &cookie).await.expect(200).text();
        for (attr, text) in times(&html) {
            if attr.len() == 10 {
                // A day: `21 Mar 2026`.
                assert_eq!(text, day(&attr), "{path}: {attr}");
                seen.0 += 1;
            } else {
                // An instant, in UTC until the script localises it: `21 Mar 2026, 14:58 UTC`.
                let utc = time::OffsetDateTime::parse(
                    &attr,
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap()
                .to_offset(time::UtcOffset::UTC);
                let expected = format!(
                    "{}, {:02}:{:02} UTC",
                    day(&utc.date().to_string()),
                    utc.hour(),
                    utc.minute()
                );
                assert_eq!(text, expected, "{path}: {attr}");
                seen.1 += 1;
            }
        }
        // No date is written any other way outside a form field.
        for iso in ["2026-03-21", "2027-01-05", "2026-04-09", "2026-03-22"] {
            for (at, _) in html.match_indices(iso) {
                let before = &html[..at];
                assert!(
                    before.ends_with("datetime=\"") || before.ends_with("value=\""),
                    "{path}: {iso} shown as is: …{}",
                    &html[at.saturating_sub(80)..(at + 20).min(html.len())]
                );
            }
        }
    }
    assert!(seen.0 >= 5 && seen.1 >= 3, "{seen:?}");

    // Form fields keep ISO dates (what <input type=date> takes).
    let edit = app
        .get(&format!("/projects/{project}/edit"), &cookie)
        .await
        .expect(200)
        .text();
    assert!(edit.contains("value=\"2026-03-21\""), "{edit}");

    // The script localises days and instants in the same style.
    let js = app
        .get(&formula_web::assets::url("app.js"), &Auth::None)
        .await
        .expect(200)
        .text();
    assert!(js.contains("dateStyle: \"medium\", timeZone: \"UTC\""));
    assert!(js.contains("dateStyle: \"medium\", timeStyle: \"short\""));
    assert!(!js.contains("toLocaleString"));
}
