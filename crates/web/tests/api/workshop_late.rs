//! Installation dates and items late in the workshop (docs/workshop.md, "Late in the
//! workshop"): the field through the API (create, patch, clear, refusals), the board's
//! packed-by dates, late marks and due filter, and the daily reminder at a chosen date.

use std::sync::Arc;

use formula_app::ports::{Clock, FixedClock};
use serde_json::{Value, json};
use time::macros::datetime;

use crate::scope::boq;
use crate::support::{PASSWORD, Resp, TestApp, TestUser, id_of};

#[tokio::test]
async fn the_installation_date_is_created_patched_cleared_and_checked() {
    let b = boq().await;
    let (app, pm, p) = (&b.app, &b.pm.auth, &b.project);
    let scope = b.scope(pm).await;
    let group = id_of(&scope["groups"][0]);
    let items = format!("/api/v1/projects/{p}/scope-items");
    let item = app
        .post(
            &items,
            pm,
            json!({"group_id": group, "name": "Bar counter", "install_on": "2026-05-04"}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(item["install_on"], "2026-05-04");
    let path = format!("/api/v1/scope-items/{}", id_of(&item));
    let read = app.get(&path, pm).await.expect(200).json();
    assert_eq!(read["install_on"], "2026-05-04");

    let patched = app
        .patch(
            &path,
            pm,
            json!({"install_on": "2026-06-01", "version": read["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(patched["install_on"], "2026-06-01");
    // Another field's patch leaves it.
    let renamed = app
        .patch(
            &path,
            pm,
            json!({"name": "Bar counter, walnut", "version": patched["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(renamed["install_on"], "2026-06-01");
    let cleared = app
        .patch(
            &path,
            pm,
            json!({"install_on": null, "version": renamed["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(cleared["install_on"], Value::Null);

    // Refusals say what to fix.
    let v = app
        .post(
            &items,
            pm,
            json!({"group_id": group, "name": "Shelf", "install_on": "1999-12-31"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["install_on"]);
    assert!(v.to_string().contains("from 2000 on"), "{v}");
    let v = app
        .patch(
            &path,
            pm,
            json!({"install_on": "2026-02-30", "version": cleared["version"]}),
        )
        .await
        .problem(422, "invalid_body");
    assert!(v["detail"].as_str().unwrap().contains("install_on"), "{v}");

    // The item page's form carries it as a date input, and saves it.
    let (c, _) = app.login(&b.pm.user.email, PASSWORD).await;
    let page = app
        .get(&format!("/scope-items/{}/edit", id_of(&item)), &c)
        .await
        .expect(200)
        .text();
    assert!(
        page.contains("name=\"install_on\" type=\"date\""),
        "a date input in {page}"
    );
}

/// A project with a team: the manager, a coordinator and a craftsman (both may move
/// production), a designer (may not), a client user, and a craftsman who will be disabled.
struct Shop {
    app: TestApp,
    clock: Arc<FixedClock>,
    admin: TestUser,
    pm: TestUser,
    coordinator: TestUser,
    craftsman: TestUser,
    designer: TestUser,
    client: TestUser,
    gone: TestUser,
    project: String,
    group: String,
}

async fn shop() -> Shop {
    // Wednesday 11 March 2026.
    let clock = Arc::new(FixedClock::new(datetime!(2026-03-11 09:30 UTC)));
    let app = TestApp::with_config(Default::default(), Some(clock.clone())).await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let client_id = app.client(&admin.auth, "Alpha Hotels").await;
    let project = app
        .project(&pm.auth, "Lobby joinery", &client_id, &pm.id())
        .await;
    let coordinator = app
        .user(&admin, "coordinator", "Cora Ordinator", None)
        .await;
    let craftsman = app.user(&admin, "craftsman", "Carl Maker", None).await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let gone = app.user(&admin, "craftsman", "Gus Gone", None).await;
    let client = app
        .user(&admin, "client", "Chloe Client", Some(&client_id))
        .await;
    for (u, role) in [
        (&coordinator, "coordinator"),
        (&craftsman, "craftsman"),
        (&designer, "designer"),
        (&gone, "craftsman"),
    ] {
        app.member(&pm.auth, &project, u, role).await;
    }
    app.patch(
        &format!("/api/v1/users/{}", gone.id()),
        &admin.auth,
        json!({"status": "disabled", "version": 1}),
    )
    .await
    .expect(200);
    let scope = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][0]);
    Shop {
        app,
        clock,
        admin,
        pm,
        coordinator,
        craftsman,
        designer,
        client,
        gone,
        project,
        group,
    }
}

impl Shop {
    /// Adds an item (needing no drawing or specification), released when asked.
    async fn item(&self, name: &str, install_on: Option<&str>, release: bool) -> String {
        let item = self
            .app
            .post(
                &format!("/api/v1/projects/{}/scope-items", self.project),
                &self.pm.auth,
                json!({"group_id": self.group, "name": name, "quantity": "10",
                    "drawing_required": false, "spec_required": false, "install_on": install_on}),
            )
            .await
            .expect(201)
            .json();
        let id = id_of(&item);
        if release {
            self.app
                .post(
                    &format!("/api/v1/scope-items/{id}/release"),
                    &self.pm.auth,
                    json!({"version": item["version"]}),
                )
                .await
                .expect(200);
        }
        id
    }

    /// The `workshop_late` notifications in someone's inbox: the item each is about.
    async fn late(&self, who: &TestUser) -> Vec<String> {
        let page = self
            .app
            .get("/api/v1/notifications", &who.auth)
            .await
            .expect(200)
            .json();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["event"] == "workshop_late")
            .map(|n| n["record_id"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn board(&self, query: &str) -> Value {
        self.app
            .get(
                &format!("/api/v1/projects/{}/workshop/board{query}", self.project),
                &self.pm.auth,
            )
            .await
            .expect(200)
            .json()
    }
}

/// The items on a board (by id), once each.
fn items_on(board: &Value) -> Vec<String> {
    let mut ids: Vec<String> = board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap().iter())
        .map(|c| c["scope_item_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// On Wednesday 11 March 2026, an item installed on Friday the 13th had to be packed by
/// Friday the 6th: late. Only it is reported, to the manager, the coordinator and the
/// craftsman, once however often the job runs that day, and again the next day.
#[tokio::test]
async fn late_items_notify_the_people_who_move_production_once_a_day() {
    let s = shop().await;
    let late = s.item("Late wardrobe", Some("2026-03-13"), true).await;
    // Packed by Monday 16 March: due in 2 weeks, not late.
    let soon = s.item("Desk", Some("2026-03-23"), true).await;
    // Packed by today: due this week, not late yet.
    let today = s.item("Headboard", Some("2026-03-18"), true).await;
    // Past its date but not released: not the workshop's yet.
    let unreleased = s.item("Luggage rack", Some("2026-03-12"), false).await;
    // No date.
    let undated = s.item("Minibar", None, true).await;
    let _ = unreleased;

    let now = s.clock.now();
    s.app.services.send_reminders(now).await.unwrap();
    s.app.services.send_reminders(now).await.unwrap();
    for who in [&s.pm, &s.coordinator, &s.craftsman] {
        assert_eq!(
            s.late(who).await,
            std::slice::from_ref(&late),
            "{}",
            who.user.name
        );
    }
    for who in [&s.designer, &s.client, &s.admin] {
        assert!(s.late(who).await.is_empty(), "{}", who.user.name);
    }
    // The disabled craftsman heard nothing, as their inbox shows once they are back.
    s.app
        .patch(
            &format!("/api/v1/users/{}", s.gone.id()),
            &s.admin.auth,
            json!({"status": "active", "version": 2}),
        )
        .await
        .expect(200);
    let (gone, _) = s.app.login(&s.gone.user.email, PASSWORD).await;
    let inbox = s
        .app
        .get("/api/v1/notifications", &gone)
        .await
        .expect(200)
        .json();
    let events: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["event"].as_str())
        .collect();
    assert_eq!(events, ["added_to_team"], "{inbox}");

    // The board: packed-by dates, the late mark, and the due filter.
    let board = s.board("").await;
    let cards: Vec<&Value> = board["columns"][0]["cards"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let card = |id: &str| {
        *cards
            .iter()
            .find(|c| c["scope_item_id"] == id)
            .unwrap_or_else(|| panic!("{id} on {board}"))
    };
    assert_eq!(card(&late)["packed_by"], "2026-03-06");
    assert_eq!(card(&late)["late"], true);
    assert_eq!(card(&soon)["packed_by"], "2026-03-16");
    assert_eq!(card(&soon)["late"], false);
    assert_eq!(card(&undated)["packed_by"], Value::Null);
    assert_eq!(
        items_on(&s.board("?due=late").await),
        std::slice::from_ref(&late)
    );
    let mut this_week = vec![today.clone()];
    this_week.sort();
    assert_eq!(items_on(&s.board("?due=this_week").await), this_week);
    let mut two_weeks = vec![today.clone(), soon.clone()];
    two_weeks.sort();
    assert_eq!(items_on(&s.board("?due=two_weeks").await), two_weeks);
    assert_eq!(
        items_on(&s.board("?due=no_date").await),
        std::slice::from_ref(&undated)
    );
    let v = s
        .app
        .get(
            &format!("/api/v1/projects/{}/workshop/board?due=soonish", s.project),
            &s.pm.auth,
        )
        .await
        .json();
    assert!(
        v.to_string()
            .contains("late, this_week, two_weeks, no_date"),
        "{v}"
    );

    // The page: the filter and the red mark.
    let (c, _) = s.app.login(&s.pm.user.email, PASSWORD).await;
    let html = s
        .app
        .get(&format!("/projects/{}/workshop?due=late", s.project), &c)
        .await
        .expect(200)
        .text();
    for text in [
        "Due in 2 weeks",
        "chip chip-overdue\">Late",
        "Pack by",
        "Late wardrobe",
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    assert!(!html.contains("Minibar"), "filtered out: {html}");
    // The next day the wardrobe is still late, reported again, once; the headboard (to be
    // packed by yesterday) has become late.
    s.clock.set(datetime!(2026-03-12 09:30 UTC));
    let next = s.clock.now();
    s.app.services.send_reminders(next).await.unwrap();
    s.app.services.send_reminders(next).await.unwrap();
    let mut got = s.late(&s.pm).await;
    got.sort();
    let mut want = vec![late.clone(), late.clone(), today.clone()];
    want.sort();
    assert_eq!(got, want);
    assert!(s.late(&s.designer).await.is_empty());
}
