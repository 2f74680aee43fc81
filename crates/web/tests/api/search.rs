//! Global search over HTTP: `GET /api/v1/search` and the `/search` page, across roles, with
//! hostile markup in what is found.

use serde_json::{Value, json};

use crate::support::{Auth, PASSWORD, TestApp, TestUser, id_of};

struct World {
    app: TestApp,
    admin: TestUser,
    pm: TestUser,
    designer: TestUser,
    client: TestUser,
    project: String,
    other: String,
    task: String,
    item: String,
}

/// Project A (client Alpha; Paula manages, Dana designs) with a task, a scope item and
/// comments; project B (client Beta) is the administrator's alone. Cleo is Alpha's user.
async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let alpha = app.client(&admin.auth, "Alpha Hotels").await;
    let beta = app.client(&admin.auth, "Beta Offices").await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let client = app
        .user(&admin, "client", "Cleo Client", Some(&alpha))
        .await;
    let project = app
        .project(&pm.auth, "Lobby joinery", &alpha, &pm.id())
        .await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let other = app
        .project(&admin.auth, "Office fit-out", &beta, &admin.id())
        .await;
    let task = id_of(
        &app.task(
            &pm.auth,
            &project,
            json!({"title": "Install reception desk", "description": "Walnut veneer, zebrawood inlay"}),
        )
        .await,
    );
    app.task(
        &admin.auth,
        &other,
        json!({"title": "Walnut cladding", "description": "Beta's zebrawood"}),
    )
    .await;
    let scope: Value = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .expect(200)
        .json();
    let item = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/scope-items"),
            &pm.auth,
            json!({"group_id": id_of(&scope["groups"][0]), "name": "Reception counter",
                   "description": "Quartersawn oak <script>alert(1)</script> <img src=x onerror=alert(2)>"}),
        )
        .await
        .expect(201)
        .json(),
    );
    World {
        app,
        admin,
        pm,
        designer,
        client,
        project,
        other,
        task,
        item,
    }
}

async fn comment(w: &World, auth: &Auth, kind: &str, id: &str, body: &str, visibility: &str) {
    w.app
        .post(
            "/api/v1/comments",
            auth,
            json!({"record_type": kind, "record_id": id, "body": body, "visibility": visibility}),
        )
        .await
        .expect(201);
}

async fn search(app: &TestApp, auth: &Auth, query: &str) -> Value {
    app.get(&format!("/api/v1/search?{query}"), auth)
        .await
        .expect(200)
        .json()
}

/// The count of `kind` in a search answer (0 when it has no group).
fn count(results: &Value, kind: &str) -> i64 {
    results["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kind"] == kind)
        .map_or(0, |g| g["count"].as_i64().unwrap())
}

#[tokio::test]
async fn each_role_finds_only_what_it_may_see() {
    let w = world().await;
    let app = &w.app;
    comment(
        &w,
        &w.pm.auth,
        "task",
        &w.task,
        "Zebrawood sample INTERNAL only",
        "internal",
    )
    .await;
    comment(
        &w,
        &w.pm.auth,
        "task",
        &w.task,
        "Zebrawood sample sent",
        "client",
    )
    .await;
    comment(
        &w,
        &w.pm.auth,
        "scope_item",
        &w.item,
        "Zebrawood priced",
        "internal",
    )
    .await;
    comment(
        &w,
        &w.admin.auth,
        "project",
        &w.other,
        "Zebrawood for Beta",
        "client",
    )
    .await;

    // Every kind in one answer, grouped, with counts; the last word is a prefix.
    let all = search(app, &w.admin.auth, "q=zebra").await;
    assert_eq!(all["q"], "zebra");
    assert_eq!(all["words"], json!(["zebra"]));
    assert_eq!(all["prefix"], true);
    assert_eq!(count(&all, "comment"), 4);
    assert_eq!(count(&all, "task"), 2);
    assert_eq!(all["total"], 6);
    let kinds: Vec<&str> = all["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["task", "comment"], "in a fixed order");
    let first = &all["groups"][0]["items"][0];
    assert!(
        first["url"].as_str().unwrap().starts_with("/tasks/"),
        "{first}"
    );
    assert!(
        first["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>zebrawood</mark>"),
        "{first}"
    );

    // The contractor's team: their projects, internal comments and the scope included.
    let pm = search(app, &w.pm.auth, "q=zebrawood").await;
    assert_eq!((count(&pm, "comment"), count(&pm, "task")), (3, 1));
    let designer = search(app, &w.designer.auth, "q=quartersawn").await;
    assert_eq!(count(&designer, "scope_item"), 1);
    // The client user: their organisation's project, shared comments only, no scope.
    let client = search(app, &w.client.auth, "q=zebrawood").await;
    assert_eq!((count(&client, "comment"), count(&client, "task")), (1, 1));
    let text = serde_json::to_string(&client).unwrap();
    assert!(
        !text.contains("INTERNAL") && !text.contains("priced") && !text.contains("Beta"),
        "{text}"
    );
    assert_eq!(
        search(app, &w.client.auth, "q=quartersawn").await["total"],
        0
    );
    assert_eq!(search(app, &w.client.auth, "q=internal").await["total"], 0);
    assert_eq!(search(app, &w.client.auth, "q=office").await["total"], 0);

    // One kind, a short list: the count still counts them all.
    let one = search(app, &w.admin.auth, "q=zebrawood&kind=comment&limit=1").await;
    assert_eq!(one["groups"].as_array().unwrap().len(), 1);
    assert_eq!(one["groups"][0]["count"], 4);
    assert_eq!(one["groups"][0]["items"].as_array().unwrap().len(), 1);
    let c = &one["groups"][0]["items"][0];
    assert_eq!(c["kind"], "comment");
    assert!(
        c["author_name"].is_string() && c["created_at"].is_string(),
        "{c}"
    );
    assert!(c["url"].as_str().unwrap().contains("#comment-"), "{c}");
    // Projects, clients and people by name.
    let p = search(app, &w.client.auth, "q=lobby").await;
    assert_eq!(count(&p, "project"), 1);
    assert_eq!(
        p["groups"][0]["items"][0]["url"],
        format!("/projects/{}", w.project)
    );
    assert_eq!(
        count(&search(app, &w.client.auth, "q=hotels").await, "client"),
        1
    );
    assert_eq!(
        count(&search(app, &w.client.auth, "q=offices").await, "client"),
        0
    );
    assert_eq!(
        count(&search(app, &w.client.auth, "q=dana").await, "person"),
        1
    );
    assert_eq!(
        count(&search(app, &w.client.auth, "q=ada").await, "person"),
        0
    );
}

#[tokio::test]
async fn bad_queries_are_refused_with_the_field_named() {
    let w = world().await;
    let (app, auth) = (&w.app, &w.pm.auth);
    for query in [
        "",
        "q=",
        "q=%20%20",
        &format!("q={}", "a".repeat(201)),
        "q=oak&limit=0",
        "q=oak&limit=51",
        "q=oak&limit=many",
        "q=oak&kind=invoice",
        "q=a%07b",
    ] {
        let body = app
            .get(&format!("/api/v1/search?{query}"), auth)
            .await
            .problem(422, "validation_failed");
        let fields = crate::support::Resp::fields(&body);
        assert!(
            fields
                .iter()
                .any(|f| ["q", "limit", "kind"].contains(&f.as_str())),
            "{query}: {body}"
        );
    }
    // At the bounds, and nothing but punctuation: answered, nothing found.
    search(app, auth, &format!("q={}&limit=50", "a".repeat(200))).await;
    let none = search(app, auth, "q=%22%2A%28%29%3A%26%7C").await;
    assert_eq!(none["total"], 0);
    assert_eq!(none["words"], json!([]));
    // Signed out: 401.
    app.get("/api/v1/search?q=oak", &Auth::None)
        .await
        .problem(401, "unauthenticated");
}

#[tokio::test]
async fn stored_markup_is_found_and_shown_inert() {
    let w = world().await;
    let app = &w.app;
    comment(
        &w,
        &w.pm.auth,
        "task",
        &w.task,
        "Beware <script>alert(3)</script><img src=y onerror=alert(4)> zebrawood",
        "client",
    )
    .await;
    // The API: plain text as stored, HTML escaped with only <mark> added.
    let r = search(app, &w.admin.auth, "q=onerror").await;
    assert_eq!(r["total"], 2, "{r}");
    for g in r["groups"].as_array().unwrap() {
        for it in g["items"].as_array().unwrap() {
            let html = it["snippet_html"].as_str().unwrap();
            assert!(
                !html.contains("<script") && !html.contains("<img"),
                "{html}"
            );
            assert!(
                html.contains("&lt;img src=") && html.contains("<mark>onerror</mark>"),
                "{html}"
            );
            assert!(
                it["snippet"].as_str().unwrap().contains("<img src="),
                "{it}"
            );
        }
    }
    // The page, for the team and for the client (who sees the shared comment only).
    for who in [&w.pm, &w.client] {
        let (auth, _) = app.login(&who.user.email, PASSWORD).await;
        let html = app
            .get("/search?q=onerror+alert", &auth)
            .await
            .expect(200)
            .text();
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src="),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;") && html.contains("<mark>onerror</mark>"),
            "{html}"
        );
        let (items, comments) = (
            html.contains("id=\"search-scope_item\""),
            html.contains("id=\"search-comment\""),
        );
        if who.user.role == formula_domain::user::Role::Client {
            assert!(!items && comments, "{html}");
        } else {
            assert!(items && comments, "{html}");
        }
    }
}

#[tokio::test]
async fn the_page_works_without_javascript() {
    let w = world().await;
    let app = &w.app;
    let (auth, _) = app.login(&w.designer.user.email, PASSWORD).await;
    // The header of every page has the box; the page itself answers a GET form.
    let home = app.get("/", &auth).await.expect(200).text();
    assert!(home.contains("action=\"/search\"") && home.contains("aria-keyshortcuts=\"/\""));
    let empty = app.get("/search", &auth).await.expect(200).text();
    assert!(empty.contains("id=\"search-page-q\"") && !empty.contains("id=\"results\""));
    let found = app
        .get("/search?q=reception+coun", &auth)
        .await
        .expect(200)
        .text();
    assert!(
        found.contains(&format!("/scope-items/{}/edit", w.item)),
        "{found}"
    );
    assert!(
        found.contains("<mark>Reception</mark> <mark>counter</mark>"),
        "{found}"
    );
    let nothing = app
        .get("/search?q=mahogany", &auth)
        .await
        .expect(200)
        .text();
    assert!(nothing.contains("Nothing you can see matches"), "{nothing}");
    let long = app
        .get(&format!("/search?q={}", "a".repeat(201)), &auth)
        .await
        .expect(200)
        .text();
    assert!(long.contains("must be at most 200 characters"), "{long}");
    // More hits than listed: a link to all of that kind.
    for i in 0..6 {
        app.task(
            &w.pm.auth,
            &w.project,
            json!({"title": format!("Teak shelf {i}")}),
        )
        .await;
    }
    let page = app.get("/search?q=teak", &auth).await.expect(200).text();
    assert!(
        page.contains("href=\"/search?q=teak&#38;kind=task\">All 6 tasks</a>"),
        "{page}"
    );
    let all = app
        .get("/search?q=teak&kind=task", &auth)
        .await
        .expect(200)
        .text();
    assert_eq!(all.matches("<mark>Teak</mark>").count(), 6);
    let _ = &w.other;
}
