//! Delivery notes through the API: planning (numbered, the site address by default), a
//! dispatch refused beyond what is packed and not yet dispatched, receipts on site (in part,
//! never past what was dispatched, a retry that records once), the PDF read back with
//! pdftotext and pdffonts (the number, the lines, the signature line) and kept as an
//! attachment of the note once signed, the notifications, what a client user sees, and
//! installation limited to what was received on site.

use std::process::Command;

use axum::http::Method;
use formula_app::RequestCtx;
use formula_app::context::Caller;
use formula_app::workshop::{MoveInput, QaInput};
use formula_domain::scope::Quantity;
use formula_domain::workshop::{QaResult, StageKind};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::installations::site;
use crate::support::{Auth, TestApp, TestUser, id_of};

/// Moves `units` of a released item through every workshop stage into the packed one,
/// through the workshop's use cases (the QA stage by a passed check).
pub async fn pack(app: &TestApp, user: &TestUser, project: &str, item: &Value, units: i64) {
    let caller = Caller {
        actor: formula_app::accounts::actor_for(&user.user),
        ctx: RequestCtx::default(),
    };
    let project = Uuid::parse_str(project).unwrap();
    let item = Uuid::parse_str(&id_of(item)).unwrap();
    let s = &app.services;
    let mut stages = s.ensure_workshop_stages(project).await.unwrap();
    stages.retain(|st| !st.archived);
    stages.sort_by_key(|st| st.position);
    for st in stages {
        if st.kind == StageKind::Qa {
            s.record_qa_check(
                &caller,
                project,
                QaInput {
                    scope_item_id: item,
                    quantity: Quantity::units(units),
                    result: QaResult::Pass,
                    rework_stage_id: None,
                    notes: None,
                },
                &[],
            )
            .await
            .unwrap();
        } else {
            s.move_workshop(
                &caller,
                project,
                MoveInput {
                    scope_item_id: item,
                    stage_id: st.id,
                    quantity: Quantity::units(units),
                    note: None,
                },
            )
            .await
            .unwrap();
        }
    }
}

/// Packs, plans, dispatches and receives `units` of `item` (through the API): what may then
/// be installed.
pub async fn deliver(app: &TestApp, user: &TestUser, project: &str, item: &Value, units: i64) {
    pack(app, user, project, item, units).await;
    let auth = &user.auth;
    let note = app
        .post(
            &format!("/api/v1/projects/{project}/delivery-notes"),
            auth,
            json!({"lines": [{"scope_item_id": item["id"], "quantity": units.to_string()}]}),
        )
        .await
        .expect(201)
        .json();
    let note = app
        .post(
            &format!("/api/v1/delivery-notes/{}/dispatch", id_of(&note)),
            auth,
            json!({"version": note["version"]}),
        )
        .await
        .expect(200)
        .json();
    app.post(
        &format!("/api/v1/delivery-notes/{}/receipts", id_of(&note)),
        auth,
        json!({"signed_name": "Site gate", "lines": [{"line_id": note["lines"][0]["id"],
            "quantity": units.to_string()}]}),
    )
    .await
    .expect(201);
}

fn poppler(tool: &str, pdf: &[u8]) -> String {
    let file = std::env::temp_dir().join(format!("formula-dn-{}.pdf", Uuid::now_v7()));
    std::fs::write(&file, pdf).unwrap();
    let mut cmd = Command::new(tool);
    if tool == "pdftotext" {
        cmd.arg("-layout").arg(&file).arg("-");
    } else {
        cmd.arg(&file);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) must be installed: {e}"));
    if let Ok(dir) = std::env::var("UI_SCREENSHOTS") {
        let _ = std::fs::copy(&file, std::path::Path::new(&dir).join("delivery-note.pdf"));
    }
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{tool}");
    String::from_utf8(out.stdout).unwrap()
}

async fn note_of(app: &TestApp, auth: &Auth, id: &str) -> Value {
    app.get(&format!("/api/v1/delivery-notes/{id}"), auth)
        .await
        .expect(200)
        .json()
}

#[tokio::test]
async fn a_note_goes_from_plan_to_dispatch_to_a_signed_partial_receipt() {
    let s = site().await;
    let (app, pm) = (&s.app, &s.pm);
    let project = &s.project;
    // Ten luggage racks for room 0103, released (the set-up delivered its other items).
    let scope = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .expect(200)
        .json();
    let rack = app
        .post(
            &format!("/api/v1/projects/{project}/scope-items"),
            &pm.auth,
            json!({"group_id": scope["groups"][0]["id"], "name": "Luggage rack",
                "room_id": s.rooms[2], "quantity": "10", "drawing_required": false,
                "spec_required": false}),
        )
        .await
        .expect(201)
        .json();
    let rack = app
        .post(
            &format!("/api/v1/scope-items/{}/release", id_of(&rack)),
            &pm.auth,
            json!({"version": rack["version"]}),
        )
        .await
        .expect(200)
        .json();
    let code = rack["code"].as_str().unwrap().to_owned();
    let planned = app
        .post(
            &format!("/api/v1/projects/{project}/delivery-notes"),
            &pm.auth,
            json!({"planned_on": "2026-12-10", "vehicle": "Van 34 FPM 12", "driver": "Deniz",
                "lines": [{"scope_item_id": rack["id"], "quantity": "4"}]}),
        )
        .await
        .expect(201)
        .json();
    let dn = id_of(&planned);
    assert_eq!(planned["status"], "planned");
    let number = planned["code"].as_str().unwrap().to_owned();
    assert!(number.starts_with("DN-"), "{number}");

    // What is packed limits the dispatch.
    pack(app, pm, project, &rack, 3).await;
    let refused = app
        .post(
            &format!("/api/v1/delivery-notes/{dn}/dispatch"),
            &pm.auth,
            json!({"version": planned["version"]}),
        )
        .await
        .expect(409)
        .json();
    assert_eq!(refused["code"], "not_packed");
    assert_eq!(
        refused["detail"].as_str().unwrap(),
        format!("only 3 of {code} are packed and not yet dispatched; 4 cannot be dispatched")
    );
    let packed = app
        .get(
            &format!("/api/v1/projects/{project}/packed-items"),
            &pm.auth,
        )
        .await
        .expect(200)
        .json();
    let row = packed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["scope_item_id"] == rack["id"])
        .unwrap();
    assert_eq!(row["available"], "3");
    pack(app, pm, project, &rack, 1).await;
    let sent = app
        .post(
            &format!("/api/v1/delivery-notes/{dn}/dispatch"),
            &pm.auth,
            json!({"version": planned["version"]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(sent["status"], "dispatched");
    // No longer planned: not edited, not cancelled.
    let again = app
        .post(
            &format!("/api/v1/delivery-notes/{dn}/cancel"),
            &pm.auth,
            json!({"version": sent["version"]}),
        )
        .await
        .expect(409)
        .json();
    assert_eq!(again["code"], "not_planned");

    // The site team heard of it: the coordinator, not the designer.
    let inbox = |u: &TestUser| {
        let a = u.auth.clone();
        async move {
            app.get("/api/v1/notifications", &a)
                .await
                .expect(200)
                .json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["event"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert!(
        inbox(&s.coordinator)
            .await
            .contains(&"delivery_dispatched".to_owned())
    );
    assert!(
        !inbox(&s.designer)
            .await
            .contains(&"delivery_dispatched".to_owned())
    );

    // A craftsman receives 3 of 4, signed; the retry records nothing more.
    let line = sent["lines"][0]["id"].clone();
    let receipt =
        json!({"signed_name": "Selin Site", "lines": [{"line_id": line, "quantity": "3"}]});
    let path = format!("/api/v1/delivery-notes/{dn}/receipts");
    let first = app
        .call_with(
            Method::POST,
            &path,
            &s.craftsman.auth,
            &[("idempotency-key", "dn-receipt-1")],
            Some(receipt.clone()),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(first["status"], "partially_received");
    let retry = app
        .call_with(
            Method::POST,
            &path,
            &s.craftsman.auth,
            &[("idempotency-key", "dn-receipt-1")],
            Some(receipt),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(retry["receipts"].as_array().unwrap().len(), 1);
    let over = app
        .post(
            &path,
            &s.craftsman.auth,
            json!({"signed_name": "Selin Site", "lines": [{"line_id": line, "quantity": "2"}]}),
        )
        .await
        .expect(409)
        .json();
    assert_eq!(over["code"], "over_receipt");
    let unsigned = app
        .post(
            &path,
            &s.craftsman.auth,
            json!({"signed_name": " ", "lines": [{"line_id": line, "quantity": "1"}]}),
        )
        .await
        .expect(422);
    assert_eq!(unsigned.json()["errors"][0]["field"], "signed_name");
    assert!(inbox(pm).await.contains(&"delivery_received".to_owned()));

    // The PDF: the number, the lines, what was received and the signature.
    let page = note_of(app, &pm.auth, &dn).await;
    assert_eq!(page["note"]["lines"][0]["received"], "3");
    assert!(page["signed_pdf"].is_object(), "{page}");
    let pdf = app
        .get(&format!("/api/v1/delivery-notes/{dn}/pdf"), &pm.auth)
        .await
        .expect(200);
    let text = poppler("pdftotext", &pdf.body);
    for want in [
        number.as_str(),
        code.as_str(),
        "Luggage rack",
        "Van 34 FPM 12",
        "Deniz",
        "Signed on receipt by Selin Site",
        "Received",
    ] {
        assert!(text.contains(want), "{want} not in:\n{text}");
    }
    let fonts = poppler("pdffonts", &pdf.body);
    assert!(
        fonts.lines().skip(2).all(|l| l.contains(" yes ")),
        "{fonts}"
    );

    // A client user sees none of it.
    app.get(&format!("/api/v1/delivery-notes/{dn}"), &s.client.auth)
        .await
        .expect(404);
    app.get(
        &format!("/api/v1/projects/{project}/delivery-notes"),
        &s.client.auth,
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn only_what_was_received_is_installed() {
    let s = site().await;
    let (app, pm) = (&s.app, &s.pm);
    let r = &s.rooms;
    // The set-up delivered the 6 bedside tables; 2 go in each room.
    s.install(&pm.auth, &r[0], &s.bedside, "2")
        .await
        .expect(201);
    s.install(&pm.auth, &r[1], &s.bedside, "2")
        .await
        .expect(201);
    // A new item, released, nothing received: refused, in words.
    let scope = app
        .get(&format!("/api/v1/projects/{}/scope", s.project), &pm.auth)
        .await
        .expect(200)
        .json();
    let group = scope["groups"][0]["id"].clone();
    let lamp = app
        .post(
            &format!("/api/v1/projects/{}/scope-items", s.project),
            &pm.auth,
            json!({"group_id": group, "name": "Lamp", "room_id": r[2], "quantity": "3",
                "drawing_required": false, "spec_required": false}),
        )
        .await
        .expect(201)
        .json();
    let lamp = app
        .post(
            &format!("/api/v1/scope-items/{}/release", id_of(&lamp)),
            &pm.auth,
            json!({"version": lamp["version"]}),
        )
        .await
        .expect(200)
        .json();
    let code = lamp["code"].as_str().unwrap().to_owned();
    let refused = s
        .install(&pm.auth, &r[2], &lamp, "1")
        .await
        .expect(409)
        .json();
    assert_eq!(refused["code"], "not_received");
    deliver(app, pm, &s.project, &lamp, 2).await;
    let sheet = s.sheet(&r[2]).await;
    let row = sheet["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["scope_item_id"] == lamp["id"])
        .unwrap();
    assert_eq!(row["left_to_install"], "2");
    assert_eq!(row["on_site"], "2");
    s.install(&pm.auth, &r[2], &lamp, "2").await.expect(201);
    let refused = s
        .install(&pm.auth, &r[2], &lamp, "1")
        .await
        .expect(409)
        .json();
    assert_eq!(refused["code"], "not_received");
    assert!(
        refused["detail"].as_str().unwrap().starts_with(&format!(
            "only 2 of {code} received on site and 2 installed"
        )),
        "{refused}"
    );
}
