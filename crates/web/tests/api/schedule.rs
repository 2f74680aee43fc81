//! The schedule over HTTP: dependencies (a loop refused naming it, another project's task
//! refused), a reschedule's proposal on a hand-made network and calendar, applying it all or
//! nothing, baselines with their slippage, and the calendars.

use serde_json::{Value, json};

use crate::scope::boq;
use crate::support::{Auth, PASSWORD, TestApp, id_of};

async fn dep(
    app: &TestApp,
    auth: &Auth,
    p: &str,
    from: &str,
    to: &str,
    body: Value,
) -> crate::support::Resp {
    let mut b = json!({"predecessor_id": from, "successor_id": to});
    if let (Some(b), Some(extra)) = (b.as_object_mut(), body.as_object()) {
        b.extend(extra.clone());
    }
    app.post(&format!("/api/v1/projects/{p}/dependencies"), auth, b)
        .await
}

fn row<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["task_id"] == id)
        .unwrap_or_else(|| panic!("no row {id} in {plan}"))
}

#[tokio::test]
async fn dependencies_refuse_loops_and_other_projects() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let fit = id_of(&app.task(pm, p, json!({"title": "Fit wardrobes"})).await);
    let snag = id_of(&app.task(pm, p, json!({"title": "Snag"})).await);
    let hand = id_of(&app.task(pm, p, json!({"title": "Handover"})).await);

    let created = dep(app, pm, p, &fit, &snag, json!({"lag_days": 2}))
        .await
        .expect(201)
        .json();
    assert_eq!(created["kind"], "finish_to_start");
    assert_eq!(created["lag_days"], 2);
    assert_eq!(created["predecessor_title"], "Fit wardrobes");
    dep(
        app,
        pm,
        p,
        &snag,
        &hand,
        json!({"kind": "start_to_start", "lag_days": -1}),
    )
    .await
    .expect(201);

    // Closing the chain is refused, naming the loop in order.
    let loop_ = dep(app, pm, p, &hand, &fit, json!({}))
        .await
        .problem(422, "validation_failed");
    assert!(
        loop_
            .to_string()
            .contains("would make a loop: Fit wardrobes → Snag → Handover → Fit wardrobes"),
        "{loop_}"
    );
    let two = dep(app, pm, p, &snag, &fit, json!({}))
        .await
        .problem(422, "validation_failed");
    assert!(
        two.to_string()
            .contains("would make a loop: Fit wardrobes → Snag → Fit wardrobes"),
        "{two}"
    );
    // Itself, a lag out of range, the same pair again.
    dep(app, pm, p, &fit, &fit, json!({}))
        .await
        .problem(422, "validation_failed");
    let lag = dep(app, pm, p, &fit, &hand, json!({"lag_days": 400}))
        .await
        .problem(422, "validation_failed");
    assert!(lag.to_string().contains("lag_days"), "{lag}");
    dep(app, pm, p, &fit, &snag, json!({"kind": "finish_to_finish"}))
        .await
        .problem(409, "duplicate");

    // A task of another project is refused.
    let client = app.client(&b.admin.auth, "Beta Homes").await;
    let other = app.project(pm, "Villas", &client, &b.pm.id()).await;
    let far = id_of(&app.task(pm, &other, json!({"title": "Elsewhere"})).await);
    let across = dep(app, pm, p, &fit, &far, json!({}))
        .await
        .problem(422, "validation_failed");
    assert!(
        across
            .to_string()
            .contains("must be a task of this project"),
        "{across}"
    );

    let list = app
        .get(&format!("/api/v1/projects/{p}/dependencies"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let of_snag = app
        .get(&format!("/api/v1/tasks/{snag}/dependencies"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(of_snag["items"].as_array().unwrap().len(), 2);

    // Removing one lets the loop's last link in.
    let first = id_of(&list["items"][0]);
    app.delete(&format!("/api/v1/dependencies/{first}"), pm)
        .await
        .expect(204);
    app.delete(&format!("/api/v1/dependencies/{first}"), pm)
        .await
        .problem(404, "not_found");
    dep(app, pm, p, &hand, &fit, json!({})).await.expect(201);
}

/// A hand-made network on a calendar with a holiday (Monday 14 January 2030):
///
/// | task | dates now     | after        | proposed      | float |
/// |------|---------------|--------------|---------------|-------|
/// | A    | Mon 7 – Wed 9 | –            | (stays)       | 0     |
/// | B    | Mon 7 – Tue 8 | A (fs)       | Thu 10 – Fri 11 | 0   |
/// | D    | Mon 7         | B (fs + 1 d) | Wed 16        | 0     |
/// | M ◆  | Mon 7         | D (fs)       | Wed 16        | 0     |
/// | E    | Tue 8         | –            | (stays)       | 5     |
///
/// D: after Friday 11, Monday is the holiday, Tuesday the lag, Wednesday the day.
#[tokio::test]
async fn a_reschedule_proposes_applies_and_a_baseline_measures_the_slip() {
    let b = boq().await;
    let (app, pm, p, admin) = (&b.app, &b.pm.auth, &b.project, &b.admin.auth);
    app.call(
        axum::http::Method::PUT,
        "/api/v1/company/calendar",
        admin,
        Some(
            json!({"working_weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "holidays": [{"date": "2030-01-14", "name": "Founders' Day"}], "version": 0}),
        ),
    )
    .await
    .expect(200);
    let task = |title: &str, start: &str, due: &str| json!({"title": title, "start_date": start, "due_date": due});
    let a = id_of(&app.task(pm, p, task("A", "2030-01-07", "2030-01-09")).await);
    let bb = id_of(&app.task(pm, p, task("B", "2030-01-07", "2030-01-08")).await);
    let d = id_of(&app.task(pm, p, task("D", "2030-01-07", "2030-01-07")).await);
    let m = app
        .task(
            pm,
            p,
            json!({"title": "M", "is_milestone": true, "due_date": "2030-01-07"}),
        )
        .await;
    assert_eq!(
        m["start_date"], "2030-01-07",
        "a milestone's one date is its start too"
    );
    let m = id_of(&m);
    let e = id_of(&app.task(pm, p, task("E", "2030-01-08", "2030-01-08")).await);
    dep(app, pm, p, &a, &bb, json!({})).await.expect(201);
    dep(app, pm, p, &bb, &d, json!({"lag_days": 1}))
        .await
        .expect(201);
    dep(app, pm, p, &d, &m, json!({})).await.expect(201);

    let propose = || async {
        app.post(
            &format!("/api/v1/projects/{p}/schedule/proposal"),
            pm,
            json!({}),
        )
        .await
        .expect(200)
        .json()
    };
    let plan = propose().await;
    assert_eq!(plan["finish"], "2030-01-16");
    assert_eq!(plan["moves"], 3);
    let expect = [
        (&a, "2030-01-07", "2030-01-09", 0, false),
        (&bb, "2030-01-10", "2030-01-11", 0, true),
        (&d, "2030-01-16", "2030-01-16", 0, true),
        (&m, "2030-01-16", "2030-01-16", 0, true),
        (&e, "2030-01-08", "2030-01-08", 5, false),
    ];
    for (id, start, due, float, moves) in expect {
        let r = row(&plan, id);
        assert_eq!(r["proposed_start"], start, "{r}");
        assert_eq!(r["proposed_due"], due, "{r}");
        assert_eq!(r["total_float"], float, "{r}");
        assert_eq!(r["critical"], float == 0, "{r}");
        assert_eq!(r["moves"], moves, "{r}");
    }
    assert!(plan["violations"].as_array().unwrap().is_empty());
    // Nothing moved by proposing.
    let b_now = app
        .get(&format!("/api/v1/tasks/{bb}"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(b_now["start_date"], "2030-01-07");

    // A baseline of the plan as it stands.
    let base = app
        .post(
            &format!("/api/v1/projects/{p}/baselines"),
            pm,
            json!({"name": "Contract programme"}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(base["tasks"], 5);
    app.post(
        &format!("/api/v1/projects/{p}/baselines"),
        pm,
        json!({"name": " "}),
    )
    .await
    .problem(422, "validation_failed");

    let changes: Vec<Value> = plan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["moves"] == true)
        .map(|r| {
            json!({"task_id": r["task_id"], "version": r["version"],
            "start": r["proposed_start"], "due": r["proposed_due"]})
        })
        .collect();

    // Someone edits D meanwhile: applying moves nothing and names D.
    let d_task = app
        .get(&format!("/api/v1/tasks/{d}"), pm)
        .await
        .expect(200)
        .json();
    app.patch(
        &format!("/api/v1/tasks/{d}"),
        pm,
        json!({"title": "D (carcasses)", "version": d_task["version"]}),
    )
    .await
    .expect(200);
    let stale = app
        .post(
            &format!("/api/v1/projects/{p}/schedule/apply"),
            pm,
            json!({"changes": changes}),
        )
        .await
        .problem(409, "stale");
    assert!(stale.to_string().contains("D (carcasses)"), "{stale}");
    let b_now = app
        .get(&format!("/api/v1/tasks/{bb}"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(
        (b_now["start_date"].as_str(), b_now["version"].as_i64()),
        (Some("2030-01-07"), Some(1))
    );

    // A fresh proposal applies.
    let plan = propose().await;
    let changes: Vec<Value> = plan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["moves"] == true)
        .map(|r| {
            json!({"task_id": r["task_id"], "version": r["version"],
            "start": r["proposed_start"], "due": r["proposed_due"]})
        })
        .collect();
    let applied = app
        .post(
            &format!("/api/v1/projects/{p}/schedule/apply"),
            pm,
            json!({"changes": changes}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(applied["moved"], 3);
    let b_now = app
        .get(&format!("/api/v1/tasks/{bb}"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(b_now["start_date"], "2030-01-10");
    assert_eq!(b_now["due_date"], "2030-01-11");
    assert_eq!(b_now["version"], 2);
    let m_now = app
        .get(&format!("/api/v1/tasks/{m}"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(
        (m_now["start_date"].as_str(), m_now["due_date"].as_str()),
        (Some("2030-01-16"), Some("2030-01-16"))
    );
    let audit = app
        .get(
            &format!("/api/v1/audit?entity_type=task&entity_id={bb}&action=reschedule"),
            admin,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(audit["total"], 1, "{audit}");
    assert_eq!(propose().await["moves"], 0, "the plan now stands");

    // The baseline: milestones first, each slip in working days (the holiday not counted).
    let cmp = app
        .get(&format!("/api/v1/baselines/{}", id_of(&base)), pm)
        .await
        .expect(200)
        .json();
    let rows = cmp["rows"].as_array().unwrap();
    assert_eq!(rows[0]["task_id"], m);
    assert_eq!(
        rows[0]["finish_slip_days"], 6,
        "Mon 7 → Wed 16 is 6 working days"
    );
    let slip = |id: &str| rows.iter().find(|r| r["task_id"] == id).unwrap().clone();
    assert_eq!(slip(&bb)["start_slip_days"], 3);
    assert_eq!(slip(&bb)["finish_slip_days"], 3);
    assert_eq!(slip(&a)["finish_slip_days"], 0);

    // A deadline D cannot meet is said in words.
    let d_task = app
        .get(&format!("/api/v1/tasks/{d}"), pm)
        .await
        .expect(200)
        .json();
    app.patch(
        &format!("/api/v1/tasks/{d}"),
        pm,
        json!({"constraint_kind": "fnlt", "constraint_on": "2030-01-15", "version": d_task["version"]}),
    )
    .await
    .expect(200);
    let plan = propose().await;
    let words = plan["violations"].to_string();
    assert!(
        words.contains("D (carcasses)") && words.contains("2030-01-15"),
        "{words}"
    );
    assert!(!row(&plan, &d)["violations"].as_array().unwrap().is_empty());

    // Deleting the baseline.
    app.delete(&format!("/api/v1/baselines/{}", id_of(&base)), pm)
        .await
        .expect(204);
    let list = app
        .get(&format!("/api/v1/projects/{p}/baselines"), pm)
        .await
        .expect(200)
        .json();
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn task_fields_and_calendars_are_checked() {
    let b = boq().await;
    let (app, pm, p, admin) = (&b.app, &b.pm.auth, &b.project, &b.admin.auth);
    // Constraint pairs, milestones of one date, a scope item of another project.
    let bad = app
        .post(
            &format!("/api/v1/projects/{p}/tasks"),
            pm,
            json!({"title": "T", "constraint_kind": "snet"}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(bad.to_string().contains("constraint_on"), "{bad}");
    let bad = app
        .post(
            &format!("/api/v1/projects/{p}/tasks"),
            pm,
            json!({"title": "T", "is_milestone": true, "start_date": "2030-01-07", "due_date": "2030-01-08"}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(bad.to_string().contains("due_date"), "{bad}");
    let bad = app
        .post(
            &format!("/api/v1/projects/{p}/tasks"),
            pm,
            json!({"title": "T", "scope_item_id": uuid::Uuid::now_v7()}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(bad.to_string().contains("scope_item_id"), "{bad}");
    let t = app
        .task(
            pm,
            p,
            json!({"title": "T", "constraint_kind": "snet", "constraint_on": "2030-02-01"}),
        )
        .await;
    assert_eq!(t["constraint_kind"], "snet");
    assert_eq!(t["is_milestone"], false);
    let cleared = app
        .patch(
            &format!("/api/v1/tasks/{}", id_of(&t)),
            pm,
            json!({"constraint_kind": null, "constraint_on": null, "version": t["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(cleared["constraint_kind"], Value::Null);

    // The company calendar: Monday to Friday until saved; administrators only; checked.
    let cal = app
        .get("/api/v1/company/calendar", pm)
        .await
        .expect(200)
        .json();
    assert_eq!(
        cal["working_weekdays"],
        json!(["mon", "tue", "wed", "thu", "fri"])
    );
    assert_eq!(cal["version"], 0);
    let put = |auth: &Auth, body: Value| {
        let auth = auth.clone();
        async move {
            app.call(
                axum::http::Method::PUT,
                "/api/v1/company/calendar",
                &auth,
                Some(body),
            )
            .await
        }
    };
    put(pm, json!({"working_weekdays": ["mon"], "version": 0}))
        .await
        .problem(403, "forbidden");
    let none = put(admin, json!({"working_weekdays": [], "version": 0}))
        .await
        .problem(422, "validation_failed");
    assert!(
        none.to_string().contains("at least one working weekday"),
        "{none}"
    );
    let twice = put(
        admin,
        json!({"working_weekdays": ["sun", "mon"], "holidays": [
            {"date": "2030-01-01", "name": "New Year"}, {"date": "2030-01-01", "name": "Again"}], "version": 0}),
    )
    .await
    .problem(422, "validation_failed");
    assert!(twice.to_string().contains("twice"), "{twice}");
    let saved = put(
        admin,
        json!({"working_weekdays": ["sun", "mon", "tue", "wed", "thu"], "version": 0}),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        saved["working_weekdays"],
        json!(["mon", "tue", "wed", "thu", "sun"])
    );
    put(admin, json!({"working_weekdays": ["mon"], "version": 0}))
        .await
        .problem(409, "stale_version");

    // A project's overrides: its manager keeps them; the team reads them.
    let pc = app
        .get(&format!("/api/v1/projects/{p}/calendar"), pm)
        .await
        .expect(200)
        .json();
    assert_eq!(pc["working_weekdays"], Value::Null);
    let saved = app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/projects/{p}/calendar"),
            pm,
            Some(
                json!({"working_weekdays": ["mon", "tue", "wed", "thu", "fri", "sat"],
                "extra_holidays": [{"date": "2030-03-01", "name": "Site closed"}],
                "extra_working_days": [{"date": "2030-03-03", "name": "Sunday push"}],
                "version": 0}),
            ),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["extra_holidays"][0]["name"], "Site closed");
    let both = app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/projects/{p}/calendar"),
            pm,
            Some(
                json!({"extra_holidays": [{"date": "2030-03-01", "name": "a"}],
                "extra_working_days": [{"date": "2030-03-01", "name": "b"}], "version": 1}),
            ),
        )
        .await
        .problem(422, "validation_failed");
    assert!(both.to_string().contains("2030-03-01"), "{both}");
}

/// The Gantt page draws every task as a bar (a milestone as a diamond) under its scope group,
/// an arrow per dependency, the critical path in its own class, and a baseline's ghost bars
/// when one is picked; the zoom changes the scale, and the phone's list holds the same tasks.
#[tokio::test]
async fn the_gantt_draws_the_plan_with_its_critical_path_and_a_baseline() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let scope = b.scope(pm).await;
    let item = app
        .post(
            &format!("/api/v1/projects/{p}/scope-items"),
            pm,
            json!({"group_id": id_of(&scope["groups"][1]), "name": "Reception desk", "quantity": "1"}),
        )
        .await
        .expect(201)
        .json();
    let group_name = scope["groups"][1]["name"].as_str().unwrap().to_owned();
    let task = |title: &str, start: &str, due: &str| json!({"title": title, "start_date": start, "due_date": due, "scope_item_id": item["id"]});
    let fab = id_of(
        &app.task(pm, p, task("Fabricate desk", "2030-01-07", "2030-01-11"))
            .await,
    );
    let fit = id_of(
        &app.task(pm, p, task("Install desk", "2030-01-14", "2030-01-15"))
            .await,
    );
    let side = id_of(
        &app.task(pm, p, json!({"title": "Order <signage>", "start_date": "2030-01-07", "due_date": "2030-01-07"}))
            .await,
    );
    let done = id_of(
        &app.task(
            pm,
            p,
            json!({"title": "Handover", "is_milestone": true, "due_date": "2030-01-15"}),
        )
        .await,
    );
    dep(app, pm, p, &fab, &fit, json!({})).await.expect(201);
    dep(app, pm, p, &fit, &done, json!({})).await.expect(201);

    let (session, _) = app.login(&b.pm.user.email, PASSWORD).await;
    let page = app
        .get(&format!("/projects/{p}/gantt?zoom=week"), &session)
        .await
        .expect(200)
        .text();
    for id in [&fab, &fit, &side, &done] {
        assert!(
            page.contains(&format!("href=\"/tasks/{id}\"")),
            "a link for {id}"
        );
    }
    // Each bar is labelled by its task's row in the list of names.
    for n in 0..4 {
        assert!(page.contains(&format!("<li id=\"gt{n}\"")), "row {n}");
        assert!(
            page.contains(&format!("aria-labelledby=\"gt{n}\"")),
            "bar {n}"
        );
    }
    assert_eq!(page.matches("class=\"gantt-task\"").count(), 4);
    assert_eq!(
        page.matches("class=\"gantt-link").count(),
        2,
        "one arrow per dependency"
    );
    assert_eq!(page.matches("class=\"gantt-link critical\"").count(), 2);
    assert_eq!(
        page.matches("class=\"bar critical\"").count(),
        2,
        "fabricate and install"
    );
    assert!(
        page.contains("class=\"bar critical milestone\""),
        "the handover diamond"
    );
    assert!(
        page.contains(&group_name) && page.contains("Other tasks"),
        "grouped by scope group"
    );
    assert!(page.contains("Order &#60;signage&#62;") && !page.contains("Order <signage>"));
    assert!(page.contains("data-day-px=\"28\""), "the week zoom");
    assert!(!page.contains("gantt-ghost"), "no baseline picked");
    assert!(page.contains("class=\"gantt-list\""), "the phone's list");

    let base = app
        .post(
            &format!("/api/v1/projects/{p}/baselines"),
            pm,
            json!({"name": "Contract"}),
        )
        .await
        .expect(201)
        .json();
    let page = app
        .get(
            &format!("/projects/{p}/gantt?zoom=quarter&baseline={}", id_of(&base)),
            &session,
        )
        .await
        .expect(200)
        .text();
    assert_eq!(page.matches("class=\"gantt-ghost\"").count(), 4);
    assert!(page.contains("data-day-px=\"3\"") && page.contains("Q1 2030"));
    // Someone who may not see the project gets no chart.
    let other = app
        .user(&b.admin, "project_manager", "Other Manager", None)
        .await;
    let (other_session, _) = app.login(&other.user.email, PASSWORD).await;
    assert_eq!(
        app.get(&format!("/projects/{p}/gantt"), &other_session)
            .await
            .status
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn the_workflow_template_is_kept_by_administrators_and_checked() {
    let b = boq().await;
    let (app, pm, admin) = (&b.app, &b.pm.auth, &b.admin.auth);
    let client = app.client(admin, "Gamma Homes").await;
    let guest = app
        .user(&b.admin, "client", "Carla Client", Some(&client))
        .await;

    // The standard template until saved; staff read it, client users never.
    let w = app.get("/api/v1/company/workflow", pm).await.expect(200);
    assert_eq!(w.etag(), "\"0\"");
    let w = w.json();
    assert_eq!(w["standard"], true);
    assert_eq!(w["steps"].as_array().unwrap().len(), 9);
    assert_eq!(
        w["steps"][8],
        json!({"step": "installation", "working_days": 2})
    );
    app.get("/api/v1/company/workflow", &guest.auth)
        .await
        .problem(403, "forbidden");

    let put = |auth: &Auth, body: Value| {
        let auth = auth.clone();
        async move {
            app.call(
                axum::http::Method::PUT,
                "/api/v1/company/workflow",
                &auth,
                Some(body),
            )
            .await
        }
    };
    let short = json!({"steps": [
        {"step": "installation", "working_days": 3},
        {"step": "shop_drawing", "working_days": 10},
        {"step": "procurement", "working_days": 40},
        {"step": "production", "working_days": 15}], "version": 0});
    put(pm, short.clone()).await.problem(403, "forbidden");
    let says = |body: &Value, words: &str| {
        assert!(body.to_string().contains(words), "{words:?} in {body}");
    };
    let no_install = put(
        admin,
        json!({"steps": [{"step": "production", "working_days": 15}], "version": 0}),
    )
    .await
    .problem(422, "validation_failed");
    says(&no_install, "the chain must end with installation");
    let twice = put(
        admin,
        json!({"steps": [{"step": "production", "working_days": 15},
            {"step": "production", "working_days": 5}, {"step": "installation", "working_days": 1}],
            "version": 0}),
    )
    .await
    .problem(422, "validation_failed");
    says(&twice, "Production appears twice");
    let long = put(
        admin,
        json!({"steps": [{"step": "production", "working_days": 251},
            {"step": "installation", "working_days": 1}], "version": 0}),
    )
    .await
    .problem(422, "validation_failed");
    says(&long, "at most 250");
    let long = put(
        admin,
        json!({"steps": [{"step": "procurement", "working_days": 300},
            {"step": "installation", "working_days": 1}], "version": 0}),
    )
    .await
    .problem(422, "validation_failed");
    says(&long, "Procurement takes 300 working days");

    let saved = put(admin, short.clone()).await.expect(200);
    assert_eq!(saved.etag(), "\"1\"");
    let saved = saved.json();
    assert_eq!(saved["standard"], false);
    assert_eq!(
        saved["steps"],
        json!([{"step": "shop_drawing", "working_days": 10},
            {"step": "procurement", "working_days": 0},
            {"step": "production", "working_days": 15},
            {"step": "installation", "working_days": 3}]),
        "in the chain's order; procurement takes the lead time"
    );
    assert_eq!(saved["updated_by_name"], b.admin.user.name);
    put(admin, short).await.expect(409);
    let audit = app
        .get("/api/v1/audit?entity_type=workflow_template", admin)
        .await
        .expect(200)
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(
        app.get("/api/v1/company/workflow", pm)
            .await
            .expect(200)
            .json(),
        saved
    );

    // The page: administrators only, a row per step, procurement without days.
    let (session, _) = app.login(&b.admin.user.email, PASSWORD).await;
    let page = app
        .get("/admin/company/workflow", &session)
        .await
        .expect(200)
        .text();
    assert_eq!(page.matches("name=\"include\"").count(), 9);
    assert_eq!(page.matches(" checked>").count(), 4, "{page}");
    assert!(
        page.contains("the material&#39;s lead time") || page.contains("the material's lead time")
    );
    assert!(
        page.contains("name=\"days_production\" value=\"15\""),
        "{page}"
    );
    let company = app.get("/admin/company", &session).await.expect(200).text();
    assert!(company.contains("href=\"/admin/company/workflow\""));
    let refused = crate::scope::form(
        app,
        "/admin/company/workflow",
        &session,
        &[
            ("version", "1"),
            ("include", "production"),
            ("days_production", "12"),
        ],
    )
    .await
    .expect(422)
    .text();
    assert!(
        refused.contains("the chain must end with installation"),
        "{refused}"
    );
    crate::scope::form(
        app,
        "/admin/company/workflow",
        &session,
        &[
            ("version", "1"),
            ("include", "production"),
            ("days_production", "12"),
            ("include", "installation"),
            ("days_installation", "1"),
        ],
    )
    .await
    .expect(303);
    let w = app
        .get("/api/v1/company/workflow", pm)
        .await
        .expect(200)
        .json();
    assert_eq!(
        w["steps"],
        json!([{"step": "production", "working_days": 12},
            {"step": "installation", "working_days": 1}])
    );
    let (pm_session, _) = app.login(&b.pm.user.email, PASSWORD).await;
    app.get("/admin/company/workflow", &pm_session)
        .await
        .expect(403);
}
