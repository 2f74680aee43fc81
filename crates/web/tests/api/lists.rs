//! Every list endpoint: paging, filters, sorting, and precise 422s for bad values.

use serde_json::{Value, json};

use crate::support::{Auth, PASSWORD, Resp, TestApp, TestUser};

/// A small company: four users, three clients, three projects, three tasks.
struct World {
    app: TestApp,
    admin: TestUser,
    pm: TestUser,
    designer: TestUser,
    craftsman: TestUser,
    alpha: String,
    beta: String,
    p1: String,
    p2: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let craftsman = app.user(&admin, "craftsman", "Carl Craftsman", None).await;
    let alpha = app.client(&admin.auth, "Alpha Hotels").await;
    let beta = app.client(&admin.auth, "Beta Offices").await;
    app.client(&admin.auth, "Gamma Retail").await;
    let p1 = app
        .project(&pm.auth, "Lobby joinery", &alpha, &pm.id())
        .await;
    let p2 = app
        .project(&pm.auth, "Office fit-out", &beta, &pm.id())
        .await;
    app.project(&admin.auth, "Spa cabinets", &alpha, &admin.id())
        .await;
    app.post(
        &format!("/api/v1/projects/{p2}/status"),
        &pm.auth,
        json!({"status": "awarded", "version": 1}),
    )
    .await
    .expect(200);
    app.member(&pm.auth, &p1, &designer, "designer").await;
    app.member(&pm.auth, &p1, &craftsman, "craftsman").await;
    app.task(
        &pm.auth,
        &p1,
        json!({"title": "Cut panels", "assignee_id": designer.id(), "due_date": "2099-01-10"}),
    )
    .await;
    app.task(
        &pm.auth,
        &p1,
        json!({"title": "Order hinges", "status": "completed"}),
    )
    .await;
    app.task(
        &pm.auth,
        &p1,
        json!({"title": "Install doors", "status": "in_progress", "assignee_id": craftsman.id()}),
    )
    .await;
    World {
        app,
        admin,
        pm,
        designer,
        craftsman,
        alpha,
        beta,
        p1,
        p2,
    }
}

fn strings(list: &Value, field: &str) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn list(w: &World, path: &str, auth: &Auth) -> Value {
    w.app.get(path, auth).await.expect(200).json()
}

#[tokio::test]
async fn lists_page_filter_and_sort() {
    let w = world().await;
    let a = &w.admin.auth;

    // Users.
    let page1 = list(&w, "/api/v1/users?limit=3", a).await;
    assert_eq!(
        (
            page1["total"].as_i64(),
            page1["page"].as_u64(),
            page1["limit"].as_u64()
        ),
        (Some(4), Some(1), Some(3))
    );
    assert_eq!(page1["items"].as_array().unwrap().len(), 3);
    let page2 = list(&w, "/api/v1/users?limit=3&page=2", a).await;
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    assert_eq!(page2["page"], 2);
    let mut all = strings(&page1, "email");
    all.extend(strings(&page2, "email"));
    all.sort();
    assert_eq!(all.len(), 4);
    let desc = strings(&list(&w, "/api/v1/users?sort=-email", a).await, "email");
    let mut expected = all.clone();
    expected.reverse();
    assert_eq!(desc, expected);
    assert_eq!(
        strings(&list(&w, "/api/v1/users?role=designer", a).await, "name"),
        ["Dana Designer"]
    );
    assert_eq!(
        strings(&list(&w, "/api/v1/users?q=Craft", a).await, "name"),
        ["Carl Craftsman"]
    );
    assert_eq!(
        list(&w, "/api/v1/users?status=disabled", a).await["total"],
        0
    );
    assert!(
        list(&w, "/api/v1/users?page=9", a).await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Clients.
    assert_eq!(
        strings(&list(&w, "/api/v1/clients?sort=name", a).await, "name"),
        ["Alpha Hotels", "Beta Offices", "Gamma Retail"]
    );
    assert_eq!(
        strings(
            &list(&w, "/api/v1/clients?sort=-name&limit=2", a).await,
            "name"
        ),
        ["Gamma Retail", "Beta Offices"]
    );
    assert_eq!(
        strings(&list(&w, "/api/v1/clients?q=Beta", a).await, "name"),
        ["Beta Offices"]
    );
    assert_eq!(
        list(&w, "/api/v1/clients?status=active", a).await["total"],
        3
    );
    assert_eq!(
        list(&w, "/api/v1/clients?status=prospect", a).await["total"],
        0
    );

    // Projects (with derived health).
    let by_client = list(
        &w,
        &format!("/api/v1/projects?client_id={}&sort=name", w.alpha),
        a,
    )
    .await;
    assert_eq!(
        strings(&by_client, "name"),
        ["Lobby joinery", "Spa cabinets"]
    );
    assert_eq!(by_client["items"][0]["health"], "not_started");
    assert_eq!(
        strings(
            &list(
                &w,
                &format!("/api/v1/projects?manager_id={}&sort=name", w.pm.id()),
                a
            )
            .await,
            "name"
        ),
        ["Lobby joinery", "Office fit-out"]
    );
    assert_eq!(
        strings(
            &list(&w, "/api/v1/projects?status=awarded", a).await,
            "name"
        ),
        ["Office fit-out"]
    );
    assert_eq!(
        strings(&list(&w, "/api/v1/projects?q=Spa", a).await, "name"),
        ["Spa cabinets"]
    );
    let codes = strings(&list(&w, "/api/v1/projects?sort=code", a).await, "code");
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
    let rev = strings(&list(&w, "/api/v1/projects?sort=-code", a).await, "code");
    sorted.reverse();
    assert_eq!(rev, sorted);
    let second = list(&w, "/api/v1/projects?sort=code&limit=1&page=2", a).await;
    assert_eq!(
        (second["total"].as_i64(), strings(&second, "code")),
        (Some(3), vec![codes[1].clone()])
    );
    // What a project manager sees is their own teams' projects.
    assert_eq!(list(&w, "/api/v1/projects", &w.pm.auth).await["total"], 2);
    assert_eq!(
        list(&w, "/api/v1/projects", &w.craftsman.auth).await["total"],
        1
    );

    // A project's tasks.
    let tasks = format!("/api/v1/projects/{}/tasks", w.p1);
    assert_eq!(list(&w, &tasks, a).await["total"], 3);
    assert_eq!(
        strings(&list(&w, &format!("{tasks}?sort=title"), a).await, "title"),
        ["Cut panels", "Install doors", "Order hinges"]
    );
    assert_eq!(
        strings(
            &list(&w, &format!("{tasks}?sort=-title&limit=1"), a).await,
            "title"
        ),
        ["Order hinges"]
    );
    assert_eq!(
        strings(
            &list(&w, &format!("{tasks}?status=completed"), a).await,
            "title"
        ),
        ["Order hinges"]
    );
    assert_eq!(
        strings(
            &list(&w, &format!("{tasks}?assignee_id={}", w.designer.id()), a).await,
            "title"
        ),
        ["Cut panels"]
    );
    assert_eq!(
        strings(
            &list(&w, &format!("{tasks}?open=true&sort=title"), a).await,
            "title"
        ),
        ["Cut panels", "Install doors"]
    );
    assert_eq!(
        strings(&list(&w, &format!("{tasks}?q=hinges"), a).await, "title"),
        ["Order hinges"]
    );
    assert_eq!(
        list(&w, &format!("/api/v1/projects/{}/tasks", w.p2), a).await["total"],
        0
    );

    // The audit trail.
    let audit = list(&w, "/api/v1/audit?entity_type=client&action=create", a).await;
    assert_eq!(audit["total"], 3);
    let limited = list(&w, "/api/v1/audit?entity_type=project&limit=2", a).await;
    assert_eq!(limited["items"].as_array().unwrap().len(), 2);
    assert!(
        limited["total"].as_i64().unwrap() >= 4,
        "3 creations and a status change: {limited}"
    );
    let of_p2 = list(&w, &format!("/api/v1/audit?entity_id={}", w.p2), a).await;
    assert!(
        of_p2["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["entity_id"] == w.p2.as_str())
    );
    assert_eq!(
        strings(&of_p2, "action"),
        ["status_change", "create"],
        "newest first"
    );
    let by_pm = list(&w, &format!("/api/v1/audit?actor_id={}", w.pm.id()), a).await;
    assert!(by_pm["total"].as_i64().unwrap() > 0);
    assert!(
        by_pm["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_id"] == w.pm.id().as_str())
    );

    // Unpaged lists have the same shape.
    let team = list(&w, &format!("/api/v1/projects/{}/members", w.p1), a).await;
    assert_eq!(
        (team["total"].as_i64(), team["page"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(team["items"][0]["project_role"], "project_manager");
    let contacts = list(&w, &format!("/api/v1/clients/{}/contacts", w.beta), a).await;
    assert_eq!(contacts["total"], 0);
    assert!(contacts["items"].as_array().unwrap().is_empty());
    assert_eq!(list(&w, "/api/v1/me/tokens", a).await["total"], 1);
    assert_eq!(list(&w, "/api/v1/system/outbox", a).await["total"], 0);

    // My work and the dashboard.
    let mine = list(&w, "/api/v1/me/tasks", &w.designer.auth).await;
    assert_eq!(mine["later"][0]["title"], "Cut panels");
    for group in ["overdue", "due_this_week", "done_recently"] {
        assert!(
            mine[group].as_array().unwrap().is_empty(),
            "{group}: {mine}"
        );
    }
    assert_eq!(
        mine["totals"],
        json!({"overdue": 0, "due_this_week": 0, "later": 1, "done_recently": 0})
    );
    let dash = list(&w, "/api/v1/dashboard", a).await;
    assert_eq!(dash["open_tasks"], 2);
    let by_status = dash["projects_by_status"].as_array().unwrap();
    assert!(
        by_status.contains(&json!(["on_tender", 2])) && by_status.contains(&json!(["awarded", 1])),
        "{dash}"
    );
    assert_eq!(
        list(&w, "/api/v1/dashboard", &w.craftsman.auth).await["open_tasks"],
        2
    );
}

/// My work groups a person's tasks by due date (the day boundaries inclusive where people
/// expect them), lists the first 25 per group (up to 200 when asked) with each group's
/// total, and shows what they completed lately by completion time, whatever the task's due
/// date was.
#[tokio::test]
async fn my_work_groups_limits_and_recent_completions() {
    let w = world().await;
    let (app, pm, p1) = (&w.app, &w.pm.auth, &w.p1);
    let today = time::OffsetDateTime::now_utc().date();
    let day = |n: i64| (today + time::Duration::days(n)).to_string();
    let mine = |title: &str, due: Option<String>| json!({"title": title, "assignee_id": w.designer.id(), "due_date": due});
    for (title, due) in [
        ("Yesterday", Some(day(-1))),
        ("Today", Some(day(0))),
        ("In a week", Some(day(7))),
        ("In eight days", Some(day(8))),
        ("Undated", None),
    ] {
        app.task(pm, p1, mine(title, due)).await;
    }
    // Due long ago, completed now: done recently, not overdue.
    let old = app.task(pm, p1, mine("Old survey", Some(day(-60)))).await;
    app.patch(
        &format!("/api/v1/tasks/{}", old["id"].as_str().unwrap()),
        pm,
        json!({"status": "completed", "version": old["version"]}),
    )
    .await
    .expect(200);
    for n in 0..55 {
        app.task(pm, p1, mine(&format!("Later {n:02}"), Some(day(30 + n))))
            .await;
    }

    let work = list(&w, "/api/v1/me/tasks", &w.designer.auth).await;
    let titles = |group: &str| -> Vec<String> {
        work[group]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles("overdue"), ["Yesterday"]);
    assert_eq!(titles("due_this_week"), ["Today", "In a week"]);
    assert_eq!(titles("done_recently"), ["Old survey"]);
    let later = titles("later");
    assert_eq!(later.len(), 25, "a group lists 25 unless asked for more");
    assert_eq!(
        &later[..3],
        ["In eight days", "Later 00", "Later 01"],
        "soonest first"
    );
    assert!(!later.contains(&"Undated".to_owned()), "undated come last");
    let more = list(&w, "/api/v1/me/tasks?limit=200", &w.designer.auth).await;
    let later = more["later"].as_array().unwrap();
    assert_eq!(later.len(), 58);
    assert_eq!(later[55]["title"], "Later 54");
    assert_eq!(later[56]["title"], "Cut panels", "due in 2099");
    assert_eq!(later[57]["title"], "Undated", "undated last");
    let fewer = list(&w, "/api/v1/me/tasks?limit=1", &w.designer.auth).await;
    assert_eq!(fewer["due_this_week"].as_array().unwrap().len(), 1);
    assert_eq!(fewer["totals"], work["totals"]);
    for bad in ["0", "201", "many"] {
        let problem = app
            .get(&format!("/api/v1/me/tasks?limit={bad}"), &w.designer.auth)
            .await
            .problem(422, "validation_failed");
        assert_eq!(Resp::fields(&problem), ["limit"], "{bad}");
    }
    assert_eq!(
        work["totals"],
        json!({"overdue": 1, "due_this_week": 2, "later": 58, "done_recently": 1}),
        "Cut panels, In eight days, 55 later and Undated"
    );

    // The page shows the totals and says when a group is cut short.
    let (cookie, _) = app.login(&w.designer.user.email, PASSWORD).await;
    let page = app.get("/my-work", &cookie).await.expect(200).text();
    assert!(page.contains("Showing the 25 due first of 58"), "{page}");
    assert!(page.contains(r#"Later <span class="count">58</span>"#));
    assert!(page.contains(r#"href="/my-work?all=1#later""#), "{page}");
    let all = app.get("/my-work?all=1", &cookie).await.expect(200).text();
    assert!(all.contains("Undated") && all.contains("Later 54"), "{all}");
    assert!(!all.contains("Showing the"), "nothing cut short: {all}");
}

#[tokio::test]
async fn bad_list_parameters_are_422_naming_each_field() {
    let w = world().await;
    let a = &w.admin.auth;
    let lists = [
        "/api/v1/users".to_owned(),
        "/api/v1/clients".to_owned(),
        "/api/v1/projects".to_owned(),
        format!("/api/v1/projects/{}/tasks", w.p1),
        "/api/v1/audit".to_owned(),
    ];
    for path in &lists {
        let v = w
            .app
            .get(&format!("{path}?limit=500"), a)
            .await
            .problem(422, "validation_failed");
        assert_eq!(Resp::fields(&v), ["limit"], "{path}: {v}");
        assert!(
            v["errors"][0]["message"].as_str().unwrap().contains("200"),
            "{v}"
        );
        for bad in ["limit=0", "limit=ten", "limit=-1"] {
            let v = w
                .app
                .get(&format!("{path}?{bad}"), a)
                .await
                .problem(422, "validation_failed");
            assert_eq!(Resp::fields(&v), ["limit"], "{path}?{bad}");
        }
        for bad in ["page=0", "page=first"] {
            let v = w
                .app
                .get(&format!("{path}?{bad}"), a)
                .await
                .problem(422, "validation_failed");
            assert_eq!(Resp::fields(&v), ["page"], "{path}?{bad}");
        }
        // The largest page size and unknown parameters are fine.
        w.app
            .get(&format!("{path}?limit=200&page=1&utm_source=mail"), a)
            .await
            .expect(200);
    }

    // Every bad value is reported at once.
    let long = "x".repeat(201);
    let v = w
        .app
        .get(&format!("/api/v1/projects?limit=0&page=x&status=bogus&sort=nope&client_id=123&manager_id=&q={long}"), a)
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        Resp::fields(&v),
        ["client_id", "limit", "page", "q", "sort", "status"]
    );
    let status = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "status")
        .unwrap();
    assert!(
        status["message"].as_str().unwrap().contains("on_tender"),
        "lists the allowed values: {status}"
    );
    let sort = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "sort")
        .unwrap();
    assert!(
        sort["message"].as_str().unwrap().contains("end_date"),
        "lists the sort keys: {sort}"
    );

    let v = w
        .app
        .get("/api/v1/users?role=root&sort=password", a)
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["role", "sort"]);
    let v = w
        .app
        .get("/api/v1/clients?status=gone", a)
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["status"]);
    let v = w
        .app
        .get(
            &format!(
                "/api/v1/projects/{}/tasks?open=maybe&due_before=2026-13-01&assignee_id=me",
                w.p1
            ),
            a,
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["assignee_id", "due_before", "open"]);
    let v = w
        .app
        .get("/api/v1/audit?entity_id=nope&actor_id=1", a)
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["actor_id", "entity_id"]);

    // Filters with good values still work alongside sorting.
    let due = w
        .app
        .get(
            &format!(
                "/api/v1/projects/{}/tasks?due_before=2100-01-01&sort=-due_date",
                w.p1
            ),
            a,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(strings(&due, "title"), ["Cut panels"]);
}
