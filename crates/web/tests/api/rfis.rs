//! RFIs through the API, on both databases: raising one to an outside address (mailed with
//! its PDF, recorded in the outbox with the attachment's name), to a team member and to a
//! client user; the refusals (the addressee, who may raise or answer); client users never
//! meeting an RFI not addressed to or shared with them (list, get, PDF, xlsx); the answer
//! with its impact, closing and reopening; notifications (addressed, answered, overdue);
//! and the PDF read back with poppler's `pdftotext`.

use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Resp, TestApp, TestUser, id_of};

struct Site {
    app: TestApp,
    admin: TestUser,
    pm: TestUser,
    designer: TestUser,
    craftsman: TestUser,
    client: TestUser,
    other_client: TestUser,
    project: String,
    room: String,
    item: String,
}

async fn site(app: TestApp) -> Site {
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let craftsman = app.user(&admin, "craftsman", "Carl Fitter", None).await;
    let org = app.client(&admin.auth, "Alpha Hotels").await;
    let other_org = app.client(&admin.auth, "Beta Homes").await;
    let client = app.user(&admin, "client", "Cleo Client", Some(&org)).await;
    let other_client = app
        .user(&admin, "client", "Otto Other", Some(&other_org))
        .await;
    let project = app.project(&pm.auth, "Hotel fit-out", &org, &pm.id()).await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    app.member(&pm.auth, &project, &craftsman, "craftsman")
        .await;
    let post = |path: String, body: Value| {
        let (app, auth) = (&app, &pm.auth);
        async move { id_of(&app.post(&path, auth, body).await.expect(201).json()) }
    };
    let locs = format!("/api/v1/projects/{project}/locations");
    let tower = post(
        locs.clone(),
        json!({"kind": "building", "code": "T1", "name": "Tower 1"}),
    )
    .await;
    let level = post(
        locs.clone(),
        json!({"kind": "level", "parent_id": tower, "code": "T1-L01", "name": "Level 1"}),
    )
    .await;
    let room = post(
        locs.clone(),
        json!({"kind": "room", "parent_id": level, "code": "T1-L01-0101", "name": "Room 101"}),
    )
    .await;
    let scope = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .expect(200)
        .json();
    let group = id_of(&scope["groups"][0]);
    let item = post(
        format!("/api/v1/projects/{project}/scope-items"),
        json!({"group_id": group, "code": "RC-01", "name": "Reception counter", "room_id": room,
            "quantity": "1", "unit": "pcs"}),
    )
    .await;
    Site {
        app,
        admin,
        pm,
        designer,
        craftsman,
        client,
        other_client,
        project,
        room,
        item,
    }
}

impl Site {
    async fn raise(&self, who: &TestUser, body: Value) -> Resp {
        self.app
            .post(
                &format!("/api/v1/projects/{}/rfis", self.project),
                &who.auth,
                body,
            )
            .await
    }

    async fn codes(&self, who: &TestUser, query: &str) -> Vec<String> {
        let page = self
            .app
            .get(
                &format!("/api/v1/projects/{}/rfis?{query}", self.project),
                &who.auth,
            )
            .await
            .expect(200)
            .json();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn events(&self, who: &TestUser) -> Vec<String> {
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
            .map(|n| n["event"].as_str().unwrap().to_owned())
            .filter(|e| e.starts_with("rfi_"))
            .collect()
    }
}

fn pdftotext(pdf: &[u8]) -> String {
    let file = std::env::temp_dir().join(format!("formula-rfi-{}.pdf", uuid::Uuid::now_v7()));
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

async fn the_life_of_rfis(app: TestApp) {
    let w = site(app).await;
    // Who it is addressed to: exactly one of a user and an address; a user of another
    // client is not one.
    let body = w
        .raise(
            &w.pm,
            json!({"subject": "S", "question": "Q", "addressed_to_user_id": w.designer.id(),
                "addressed_to_email": "ana@studio.example"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&body), ["addressed_to_email"]);
    let body = w
        .raise(&w.pm, json!({"subject": "", "question": "Q"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&body), ["addressed_to_user_id", "subject"]);
    let body = w
        .raise(
            &w.pm,
            json!({"subject": "S", "question": "Q", "addressed_to_user_id": w.other_client.id()}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&body), ["addressed_to_user_id"]);
    // Craftsmen and client users do not raise RFIs.
    for who in [&w.craftsman, &w.client] {
        w.raise(
            who,
            json!({"subject": "S", "question": "Q", "addressed_to_email": "a@b.example"}),
        )
        .await
        .problem(403, "forbidden");
    }

    // To an outside address: mailed at once, its PDF kept as its file.
    let external = w
        .raise(
            &w.pm,
            json!({"subject": "Door hardware", "question": "Which lever handle on the suite doors?",
                "addressed_to_email": "ana@studio.example", "addressed_to_name": "Ana Architect",
                "required_by": "2020-01-10", "room_ids": [w.room], "scope_item_ids": [w.item]}),
        )
        .await
        .expect(201);
    assert!(external.header("etag").is_some());
    let external = external.json();
    assert_eq!(external["code"], "RFI-001");
    assert_eq!(external["status"], "open");
    assert_eq!(external["ball_in_court"], "addressee");
    assert_eq!(external["overdue"], true);
    assert!(external["sent_at"].is_string());
    assert_eq!(external["links"]["rooms"][0]["code"], "T1-L01-0101");
    assert_eq!(external["links"]["scope_items"][0]["code"], "RC-01");
    let ext = id_of(&external);
    w.app
        .services
        .drain_jobs("test", time::OffsetDateTime::now_utc(), 10)
        .await
        .unwrap();
    let outbox = w
        .app
        .get("/api/v1/system/outbox", &w.admin.auth)
        .await
        .expect(200)
        .json();
    let mail = &outbox["items"][0];
    assert_eq!(mail["to_address"], "ana@studio.example");
    assert_eq!(mail["attachments"], json!(["RFI-001.pdf"]));
    let files = w
        .app
        .get(
            &format!("/api/v1/attachments?owner_type=rfi&owner_id={ext}"),
            &w.pm.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(files["items"][0]["file"]["name"], "RFI-001.pdf");

    // The PDF reads back.
    let pdf = w
        .app
        .get(&format!("/api/v1/rfis/{ext}/pdf"), &w.pm.auth)
        .await
        .expect(200);
    assert_eq!(
        pdf.header("content-type").as_deref(),
        Some("application/pdf")
    );
    let text = pdftotext(&pdf.body);
    for expected in [
        "Request for information",
        "RFI-001",
        "Door hardware",
        "Which lever handle on the suite doors?",
        "Ana Architect",
        "ana@studio.example",
        "Paula Manager",
        "Hotel fit-out",
        "T1-L01-0101",
        "RC-01",
        "10 Jan 2020",
        "Awaiting your answer",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    // To a team member: they are told; to a client user: shared with the client. The live
    // updates of the internal one are marked internal (client users' streams never carry them).
    let mut events = w.app.services.events.subscribe();
    let internal = w
        .raise(
            &w.pm,
            json!({"subject": "Counter height", "question": "900 or 1050?",
                "addressed_to_user_id": w.designer.id()}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(internal["code"], "RFI-002");
    assert_eq!(internal["client_visible"], false);
    let to_client = w
        .raise(
            &w.pm,
            json!({"subject": "Finish", "question": "Matt or gloss?",
                "addressed_to_user_id": w.client.id()}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(to_client["client_visible"], true);
    let mut live = Vec::new();
    while let Ok(e) = events.try_recv() {
        let e: Value = serde_json::from_str(&e).unwrap();
        if e["kind"] == "rfi.changed" {
            live.push((e["id"].as_str().unwrap().to_owned(), e["internal"] == true));
        }
    }
    assert_eq!(
        live,
        [(id_of(&internal), true), (id_of(&to_client), false)],
        "ids and whether internal"
    );
    assert!(
        w.events(&w.designer)
            .await
            .contains(&"rfi_addressed".to_owned())
    );
    assert_eq!(w.events(&w.client).await, ["rfi_addressed"]);

    // The client meets only theirs: list, get, PDF, xlsx.
    assert_eq!(w.codes(&w.client, "").await, ["RFI-003"]);
    // Linked to a scope item and a room, the client sees the room only.
    w.app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/rfis/{}/links", id_of(&to_client)),
            &w.pm.auth,
            Some(json!({"room_ids": [w.room], "scope_item_ids": [w.item],
                "version": to_client["version"]})),
        )
        .await
        .expect(200);
    let seen = w
        .app
        .get(
            &format!("/api/v1/rfis/{}", id_of(&to_client)),
            &w.client.auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(seen["links"]["rooms"].as_array().unwrap().len(), 1);
    assert_eq!(seen["links"]["scope_items"], json!([]));
    let to_client = seen;
    assert_eq!(w.codes(&w.pm, "").await, ["RFI-003", "RFI-002", "RFI-001"]);
    for id in [&ext, &id_of(&internal)] {
        w.app
            .get(&format!("/api/v1/rfis/{id}"), &w.client.auth)
            .await
            .problem(404, "not_found");
        w.app
            .get(&format!("/api/v1/rfis/{id}/pdf"), &w.client.auth)
            .await
            .problem(404, "not_found");
    }
    let book = w
        .app
        .get(
            &format!("/api/v1/projects/{}/rfis.xlsx", w.project),
            &w.client.auth,
        )
        .await
        .expect(200);
    let table = formula_reports::read_table(&book.body, "rfis.xlsx").unwrap();
    assert_eq!(&table.headers[..3], ["RFI", "Subject", "To"]);
    let codes: Vec<&str> = table.rows.iter().map(|r| r.cells[0].as_str()).collect();
    assert_eq!(codes, ["RFI-003"]);
    let book = w
        .app
        .get(
            &format!("/api/v1/projects/{}/rfis.xlsx?overdue=true", w.project),
            &w.pm.auth,
        )
        .await
        .expect(200);
    let table = formula_reports::read_table(&book.body, "rfis.xlsx").unwrap();
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].cells[5], "Ana Architect <ana@studio.example>");
    // The other client's user sees nothing of the project.
    w.app
        .get(
            &format!("/api/v1/projects/{}/rfis", w.project),
            &w.other_client.auth,
        )
        .await
        .expect(404);

    // Filters: addressed to me, ball in my court, status.
    assert_eq!(
        w.codes(&w.designer, "addressed_to_me=true").await,
        ["RFI-002"]
    );
    assert_eq!(
        w.codes(&w.pm, "ball_in_my_court=true").await,
        Vec::<String>::new()
    );

    // The client answers what is addressed to them, not the rest.
    let answered = w
        .app
        .post(
            &format!("/api/v1/rfis/{}/answer", id_of(&to_client)),
            &w.client.auth,
            json!({"answer": "Matt, please.", "version": to_client["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(answered["status"], "answered");
    assert_eq!(answered["ball_in_court"], "raiser");
    assert_eq!(answered["answered_by_name"], "Cleo Client");
    assert_eq!(w.codes(&w.pm, "ball_in_my_court=true").await, ["RFI-003"]);
    assert!(w.events(&w.pm).await.contains(&"rfi_answered".to_owned()));
    w.app
        .post(
            &format!("/api/v1/rfis/{}/answer", id_of(&internal)),
            &w.craftsman.auth,
            json!({"answer": "x", "version": internal["version"]}),
        )
        .await
        .problem(403, "forbidden");

    // The team records the outside addressee's answer, with its impact.
    let recorded = w
        .app
        .post(
            &format!("/api/v1/rfis/{ext}/answer"),
            &w.pm.auth,
            json!({"answer": "Lever type L2, satin brass.", "cost_impact": true,
                "version": external["version"].as_i64().unwrap()}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        recorded["answered_by_name"],
        "Ana Architect <ana@studio.example>"
    );
    assert_eq!(recorded["cost_impact"], true);
    assert_eq!(recorded["overdue"], false);
    // Answered twice: refused; a stale version: refused.
    w.app
        .post(
            &format!("/api/v1/rfis/{ext}/answer"),
            &w.pm.auth,
            json!({"answer": "Again", "version": recorded["version"]}),
        )
        .await
        .problem(409, "invalid_transition");
    w.app
        .post(
            &format!("/api/v1/rfis/{ext}/close"),
            &w.pm.auth,
            json!({"version": external["version"]}),
        )
        .await
        .expect(409);
    let text = pdftotext(
        &w.app
            .get(&format!("/api/v1/rfis/{ext}/pdf"), &w.pm.auth)
            .await
            .expect(200)
            .body,
    );
    assert!(text.contains("Lever type L2, satin brass."), "{text}");
    // With `UI_SCREENSHOTS=<dir>`, the answered RFI's PDF is kept there for a person to look at.
    if let Ok(dir) = std::env::var("UI_SCREENSHOTS") {
        let pdf = w
            .app
            .get(&format!("/api/v1/rfis/{ext}/pdf"), &w.pm.auth)
            .await
            .expect(200);
        let _ = std::fs::write(
            std::path::Path::new(&dir).join("rfi-answered.pdf"),
            &pdf.body,
        );
    }
    assert!(text.contains("Impact: Cost"), "{text}");

    // Sending again is for open RFIs to an outside address.
    w.app
        .post(&format!("/api/v1/rfis/{ext}/send"), &w.pm.auth, json!({}))
        .await
        .problem(409, "not_open");
    w.app
        .post(
            &format!("/api/v1/rfis/{}/send", id_of(&internal)),
            &w.pm.auth,
            json!({}),
        )
        .await
        .problem(409, "not_external");

    // Close and reopen.
    let closed = w
        .app
        .post(
            &format!("/api/v1/rfis/{ext}/close"),
            &w.pm.auth,
            json!({"version": recorded["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["ball_in_court"], "nobody");
    let reopened = w
        .app
        .post(
            &format!("/api/v1/rfis/{ext}/reopen"),
            &w.pm.auth,
            json!({"version": closed["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(reopened["status"], "open");
    // Re-sent now that it is open again.
    w.app
        .post(&format!("/api/v1/rfis/{ext}/send"), &w.pm.auth, json!({}))
        .await
        .expect(200);

    // Patch: re-address to the client; it is shared with them and they are told.
    let got = w
        .app
        .get(&format!("/api/v1/rfis/{}", id_of(&internal)), &w.pm.auth)
        .await
        .expect(200);
    let etag = got.etag();
    let patched = w
        .app
        .call_with(
            axum::http::Method::PATCH,
            &format!("/api/v1/rfis/{}", id_of(&internal)),
            &w.pm.auth,
            &[("if-match", etag.as_str())],
            Some(json!({"addressed_to_user_id": w.client.id(), "client_visible": false})),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&patched), ["client_visible"]);
    w.app
        .call_with(
            axum::http::Method::PATCH,
            &format!("/api/v1/rfis/{}", id_of(&internal)),
            &w.pm.auth,
            &[("if-match", etag.as_str())],
            Some(json!({"addressed_to_user_id": w.client.id(), "required_by": null})),
        )
        .await
        .expect(200);
    assert_eq!(w.codes(&w.client, "").await, ["RFI-003", "RFI-002"]);
    // Links: a room of no project is refused.
    let current = w
        .app
        .get(&format!("/api/v1/rfis/{}", id_of(&internal)), &w.pm.auth)
        .await
        .expect(200)
        .json();
    let body = w
        .app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/rfis/{}/links", id_of(&internal)),
            &w.pm.auth,
            Some(json!({"room_ids": [uuid::Uuid::now_v7()], "version": current["version"]})),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&body), ["room_ids"]);
    let linked = w
        .app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/rfis/{}/links", id_of(&internal)),
            &w.pm.auth,
            Some(json!({"room_ids": [w.room], "version": current["version"]})),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(linked["links"]["rooms"][0]["name"], "Room 101");

    // The client's feed tells nothing of RFIs; the team's does, in words.
    let feed = |who: &TestUser| {
        let (app, auth, project) = (&w.app, who.auth.clone(), w.project.clone());
        async move {
            app.get(&format!("/api/v1/projects/{project}/activity"), &auth)
                .await
                .expect(200)
                .text()
        }
    };
    let theirs = feed(&w.client).await;
    assert!(!theirs.contains("RFI-00"), "{theirs}");
    let ours = feed(&w.pm).await;
    assert!(ours.contains("RFI-001"), "{ours}");
    assert!(ours.contains("mailed"), "{ours}");
    assert!(ours.contains("answered"), "{ours}");
}

#[tokio::test]
async fn the_life_of_rfis_on_sqlite() {
    the_life_of_rfis(TestApp::new().await).await;
}

#[tokio::test]
async fn the_life_of_rfis_on_postgresql() {
    the_life_of_rfis(TestApp::on_postgres().await).await;
}

/// Overdue: the addressee and the raiser are reminded, once a day however often the job
/// runs.
#[tokio::test]
async fn overdue_rfis_are_reminded_once_a_day() {
    let w = site(TestApp::new().await).await;
    let today = time::OffsetDateTime::now_utc();
    let last_week = (today.date() - time::Duration::days(7)).to_string();
    w.raise(
        &w.designer,
        json!({"subject": "Late", "question": "Q", "addressed_to_user_id": w.pm.id(),
            "required_by": last_week}),
    )
    .await
    .expect(201);
    w.app.services.send_reminders(today).await.unwrap();
    w.app.services.send_reminders(today).await.unwrap();
    let pm = w.events(&w.pm).await;
    assert_eq!(pm, ["rfi_overdue", "rfi_addressed"], "{pm:?}");
    assert_eq!(w.events(&w.designer).await, ["rfi_overdue"]);
}

/// The pages: the team raises an RFI to an outside address from the form (links chosen in
/// multiple selects), sees it in the register under the Commercial tab, records the answer
/// with a cost impact and is offered to start a variation from it; the client's register
/// holds only theirs.
#[tokio::test]
async fn the_pages_raise_answer_and_offer_a_variation() {
    use crate::support::{Auth, PASSWORD};
    let w = site(TestApp::new().await).await;
    let app = &w.app;
    let login = |email: String| async move {
        let (auth, _) = app.login(&email, PASSWORD).await;
        let Auth::Cookie {
            csrf: Some(csrf), ..
        } = &auth
        else {
            panic!("cookie auth")
        };
        (auth.clone(), csrf.clone())
    };
    let (pm, csrf) = login(w.pm.user.email.clone()).await;
    let form = app
        .get(&format!("/projects/{}/rfis/new", w.project), &pm)
        .await
        .expect(200)
        .text();
    assert!(form.contains("name=\"room_ids\" multiple"), "{form}");
    assert!(form.contains("Cleo Client (client)"), "{form}");
    // Both a user and an address: the form says so beside the field, and keeps the text.
    let refused = crate::scope::form(
        app,
        &format!("/projects/{}/rfis/new", w.project),
        &pm,
        &[
            ("_csrf", &csrf),
            ("subject", "Door hardware"),
            ("question", "Which lever handle?"),
            ("addressed_to_user_id", &w.designer.id()),
            ("addressed_to_email", "ana@studio.example"),
        ],
    )
    .await
    .expect(422)
    .text();
    assert!(refused.contains("not both"), "{refused}");
    assert!(refused.contains("Which lever handle?"), "{refused}");
    let created = crate::scope::form(
        app,
        &format!("/projects/{}/rfis/new", w.project),
        &pm,
        &[
            ("_csrf", &csrf),
            ("subject", "Door hardware"),
            ("question", "Which lever handle?"),
            ("addressed_to_email", "ana@studio.example"),
            ("addressed_to_name", "Ana Architect"),
            ("required_by", "2020-01-10"),
            ("room_ids", &w.room),
            ("scope_item_ids", &w.item),
        ],
    )
    .await
    .expect(303);
    let to = created.header("location").unwrap();
    assert!(to.ends_with("?m=sent"), "{to}");
    let page = to.trim_end_matches("?m=sent").to_owned();
    let id = page.trim_start_matches("/rfis/").to_owned();

    let register = app
        .get(&format!("/projects/{}/rfis", w.project), &pm)
        .await
        .expect(200)
        .text();
    for expected in [
        "aria-current=\"page\">RFIs</a>",
        "RFI-001",
        "Door hardware",
        "Ana Architect &#60;ana@studio.example&#62;",
        "class=\"overdue-date\"",
        "chip chip-open",
    ] {
        assert!(register.contains(expected), "{expected:?} in {register}");
    }
    let html = app.get(&page, &pm).await.expect(200).text();
    assert!(html.contains(">Send again</button>"), "{html}");
    assert!(
        html.contains("RFI-001.pdf"),
        "the mailed PDF is among its files: {html}"
    );
    assert!(html.contains("href=\"/scope-items/"), "{html}");
    assert!(!html.contains("Start a variation"));
    crate::scope::form(
        app,
        &format!("/rfis/{id}/answer"),
        &pm,
        &[
            ("_csrf", &csrf),
            ("version", "2"),
            ("answer", "Lever L2, satin brass."),
            ("cost_impact", "1"),
        ],
    )
    .await
    .expect(303);
    let html = app.get(&page, &pm).await.expect(200).text();
    assert!(html.contains("Lever L2, satin brass."), "{html}");
    let link = format!("href=\"/projects/{}/variations/new?rfi={id}\"", w.project);
    assert!(html.contains(&link), "{link} in {html}");
    assert!(html.contains(">Start a variation</a>"), "{html}");
    assert!(html.contains(">Close</button>"), "{html}");
    // Edit: a bad address is refused beside its field; then the date moves and the scope
    // item is unlinked.
    let refused = crate::scope::form(
        app,
        &format!("/rfis/{id}/edit"),
        &pm,
        &[
            ("_csrf", &csrf),
            ("version", "3"),
            ("subject", "Door hardware"),
            ("question", "Which lever handle?"),
            ("addressed_to_email", "not an address"),
        ],
    )
    .await
    .expect(422)
    .text();
    assert!(refused.contains("must be an email address"), "{refused}");
    crate::scope::form(
        app,
        &format!("/rfis/{id}/edit"),
        &pm,
        &[
            ("_csrf", &csrf),
            ("version", "3"),
            ("subject", "Door hardware (suites)"),
            ("question", "Which lever handle?"),
            ("addressed_to_email", "ana@studio.example"),
            ("addressed_to_name", "Ana Architect"),
            ("required_by", "2099-01-31"),
        ],
    )
    .await
    .expect(303);
    crate::scope::form(
        app,
        &format!("/rfis/{id}/links"),
        &pm,
        &[("_csrf", &csrf), ("version", "4"), ("room_ids", &w.room)],
    )
    .await
    .expect(303);
    let got = w
        .app
        .get(&format!("/api/v1/rfis/{id}"), &w.pm.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(got["subject"], "Door hardware (suites)");
    assert_eq!(got["required_by"], "2099-01-31");
    assert_eq!(got["links"]["rooms"].as_array().unwrap().len(), 1);
    assert_eq!(got["links"]["scope_items"], json!([]));

    // The client's register: only what is addressed to or shared with them.
    let (client, _) = login(w.client.user.email.clone()).await;
    let theirs = app
        .get(&format!("/projects/{}/rfis", w.project), &client)
        .await
        .expect(200)
        .text();
    assert!(!theirs.contains("Door hardware"), "{theirs}");
    assert!(!theirs.contains("Raise an RFI"), "{theirs}");
    app.get(&page, &client).await.expect(404);
}
