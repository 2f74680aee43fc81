//! What every page shares, as served: the stylesheet's form layout.

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
