//! Shop drawings through the API: the review loop from upload to approval, downloads with
//! ranges, bad uploads that leave nothing behind, two reviewers at once, and who may do what.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{Auth, Resp, TestApp, TestUser, files_under, id_of};

/// A small but complete PDF.
fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

/// A `multipart/form-data` body with a `file` part and other text parts.
pub fn multipart(file_name: &str, file: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----formula-drawing-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn upload(app: &TestApp, auth: &Auth, drawing: &str, name: &str, file: &[u8]) -> Resp {
    let (mime, body) = multipart(name, file, &[("notes", "Issued for review")]);
    app.send(TestApp::build(
        Method::POST,
        &format!("/api/v1/drawings/{drawing}/revisions"),
        auth,
        &[("content-type", mime.as_str())],
        Some(axum::body::Body::from(body)),
        false,
    ))
    .await
}

struct Job {
    app: TestApp,
    admin: TestUser,
    pm: TestUser,
    designer: TestUser,
    client: TestUser,
    project: String,
    item: String,
}

async fn job() -> Job {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let designer = app.user(&admin, "designer", "Dana Designer", None).await;
    let client_org = app.client(&admin.auth, "Alpha Hotels").await;
    let client = app
        .user(&admin, "client", "Cleo Client", Some(&client_org))
        .await;
    let project = app
        .project(&pm.auth, "Lobby joinery", &client_org, &pm.id())
        .await;
    app.member(&pm.auth, &project, &designer, "designer").await;
    let scope: Value = app
        .get(&format!("/api/v1/projects/{project}/scope"), &pm.auth)
        .await
        .json();
    let millwork = id_of(&scope["groups"][1]);
    let item = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/scope-items"),
            &pm.auth,
            json!({"group_id": millwork, "name": "Reception desk"}),
        )
        .await
        .expect(201)
        .json(),
    );
    Job {
        app,
        admin,
        pm,
        designer,
        client,
        project,
        item,
    }
}

impl Job {
    async fn drawing(&self, number: &str) -> String {
        id_of(
            &self
                .app
                .post(
                    &format!("/api/v1/projects/{}/drawings", self.project),
                    &self.designer.auth,
                    json!({"number": number, "title": "Reception desk elevation", "kind": "elevation", "area": "Lobby", "scope_item_ids": [self.item]}),
                )
                .await
                .expect(201)
                .json(),
        )
    }
}

#[tokio::test]
async fn a_drawing_is_revised_and_approved_with_its_history_kept() {
    let j = job().await;
    let app = &j.app;
    let d = j.drawing("SD-101").await;

    // Rev A: uploaded, submitted, sent back.
    let a = upload(app, &j.designer.auth, &d, "SD-101 A.pdf", &pdf("A"))
        .await
        .expect(201)
        .json();
    assert_eq!(
        (a["label"].as_str(), a["status"].as_str()),
        (Some("A"), Some("draft"))
    );
    assert_eq!(a["file"]["mime"], "application/pdf");
    assert_eq!(a["file"]["size"], pdf("A").len());
    let a_id = id_of(&a);
    // The client sees nothing of a draft.
    app.get(&format!("/api/v1/drawings/{d}"), &j.client.auth)
        .await
        .problem(404, "not_found");
    app.post(
        &format!("/api/v1/drawing-revisions/{a_id}/submit"),
        &j.designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    // Designers do not review; comments are required to send it back.
    let review = format!("/api/v1/drawing-revisions/{a_id}/review");
    app.post(
        &review,
        &j.designer.auth,
        json!({"decision": "approved", "version": 2}),
    )
    .await
    .problem(403, "forbidden");
    let v = app
        .post(
            &review,
            &j.pm.auth,
            json!({"decision": "revise_and_resubmit", "version": 2}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(Resp::fields(&v), ["comments"]);
    app.post(&review, &j.pm.auth, json!({"decision": "revise_and_resubmit", "comments": "Show the onyx light box", "version": 2}))
        .await
        .expect(200);
    // A decided revision is locked.
    app.post(
        &review,
        &j.pm.auth,
        json!({"decision": "approved", "version": 3}),
    )
    .await
    .problem(409, "invalid_transition");

    // Rev B: the next label, current, approved.
    let b = upload(app, &j.designer.auth, &d, "SD-101 B.pdf", &pdf("B"))
        .await
        .expect(201)
        .json();
    assert_eq!(b["label"], "B");
    let b_id = id_of(&b);
    app.post(
        &format!("/api/v1/drawing-revisions/{a_id}/submit"),
        &j.designer.auth,
        json!({"version": 3}),
    )
    .await
    .problem(409, "invalid_transition");
    app.post(
        &format!("/api/v1/drawing-revisions/{b_id}/submit"),
        &j.designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    // While B is under review no new revision can be uploaded.
    let v = upload(app, &j.designer.auth, &d, "SD-101 C.pdf", &pdf("C"))
        .await
        .problem(422, "validation_failed");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("waiting for its review")
    );
    app.post(
        &format!("/api/v1/drawing-revisions/{b_id}/review"),
        &j.pm.auth,
        json!({"decision": "approved", "version": 2}),
    )
    .await
    .expect(200);

    // The register shows B approved; the history keeps A with its review.
    let list: Value = app
        .get(
            &format!("/api/v1/projects/{}/drawings", j.project),
            &j.pm.auth,
        )
        .await
        .json();
    assert_eq!(list["items"][0]["current"]["label"], "B");
    assert_eq!(list["items"][0]["current"]["status"], "approved");
    let approved: Value = app
        .get(
            &format!(
                "/api/v1/projects/{}/drawings?status=approved&scope_item_id={}",
                j.project, j.item
            ),
            &j.pm.auth,
        )
        .await
        .json();
    assert_eq!(approved["total"], 1);
    let none: Value = app
        .get(
            &format!("/api/v1/projects/{}/drawings?status=rejected", j.project),
            &j.pm.auth,
        )
        .await
        .json();
    assert_eq!(none["total"], 0);
    let detail: Value = app
        .get(&format!("/api/v1/drawings/{d}"), &j.client.auth)
        .await
        .expect(200)
        .json();
    let labels: Vec<&str> = detail["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["B", "A"]);
    let decisions: Vec<&str> = detail["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["approved", "revise_and_resubmit"]);
    assert_eq!(detail["reviews"][1]["comments"], "Show the onyx light box");
    assert_eq!(detail["scope_items"][0]["name"], "Reception desk");

    // Earlier revisions stay downloadable, whole or in part.
    let file = app
        .get(
            &format!("/api/v1/drawing-revisions/{a_id}/file"),
            &j.client.auth,
        )
        .await
        .expect(200);
    assert_eq!(file.body.to_vec(), pdf("A"));
    assert_eq!(
        file.header("content-type").as_deref(),
        Some("application/pdf")
    );
    assert!(
        file.header("content-disposition")
            .unwrap()
            .starts_with("inline; filename=\"SD-101 A.pdf\"")
    );
    let part = app
        .call_with(
            Method::GET,
            &format!("/api/v1/drawing-revisions/{a_id}/file"),
            &j.pm.auth,
            &[("range", "bytes=0-7")],
            None,
        )
        .await
        .expect(206);
    assert_eq!(&part.body[..], b"%PDF-1.4");
    assert_eq!(
        part.header("content-range").as_deref(),
        Some(format!("bytes 0-7/{}", pdf("A").len()).as_str())
    );
    app.call_with(
        Method::GET,
        &format!("/api/v1/drawing-revisions/{a_id}/file"),
        &j.pm.auth,
        &[("range", "bytes=99999-")],
        None,
    )
    .await
    .expect(416);

    // The audit trail has every step.
    let trail: Value = app
        .get(
            &format!("/api/v1/audit?entity_type=drawing&entity_id={d}"),
            &j.admin.auth,
        )
        .await
        .json();
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "review", "submit", "upload", "review", "submit", "upload", "create"
        ]
    );
}

#[tokio::test]
async fn bad_uploads_are_refused_precisely_and_leave_nothing() {
    let j = job().await;
    let app = &j.app;
    let d = j.drawing("SD-102").await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("detail.pdf", png.clone(), "is not a PDF"),
        ("detail.pdf", b"%PDF-1.4\n1 0 obj".to_vec(), "incomplete"),
        ("detail.pdf", Vec::new(), "empty"),
        (
            "setup.exe",
            b"MZ\x90\0\x03\0".to_vec(),
            "not a PDF, an image",
        ),
        ("../../", pdf("x"), "no name"),
    ];
    for (name, bytes, why) in cases {
        let v = upload(app, &j.designer.auth, &d, name, &bytes)
            .await
            .problem(422, "validation_failed");
        let message = v["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(why), "{name}: {message}");
    }
    // A path-like name is kept only as a name.
    let ok = upload(
        app,
        &j.designer.auth,
        &d,
        "../../etc/SD-102.pdf",
        &pdf("ok"),
    )
    .await
    .expect(201)
    .json();
    assert_eq!(ok["file"]["name"], "SD-102.pdf");
    assert_eq!(
        files_under(&app.files).len(),
        1,
        "only the accepted file is stored"
    );
    assert!(files_under(&app.spool).is_empty(), "no spooled leftovers");
    // No file part at all.
    let (mime, body) = multipart("x.pdf", b"", &[]);
    let body = String::from_utf8(body)
        .unwrap()
        .replace("name=\"file\"", "name=\"other\"");
    app.send(TestApp::build(
        Method::POST,
        &format!("/api/v1/drawings/{d}/revisions"),
        &j.designer.auth,
        &[("content-type", mime.as_str())],
        Some(axum::body::Body::from(body)),
        false,
    ))
    .await
    .problem(422, "validation_failed");
}

#[tokio::test]
async fn files_over_the_limit_are_refused_while_they_arrive() {
    let app = TestApp::with_web(formula_web::WebConfig {
        max_upload_bytes: 4096,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let client = app.client(&admin.auth, "Alpha").await;
    let project = app.project(&admin.auth, "P", &client, &admin.id()).await;
    let d = id_of(
        &app.post(
            &format!("/api/v1/projects/{project}/drawings"),
            &admin.auth,
            json!({"number": "D-1", "title": "T"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let mut big = pdf("big");
    big.extend(std::iter::repeat_n(b' ', 10_000));
    let v = upload(&app, &admin.auth, &d, "big.pdf", &big)
        .await
        .problem(413, "file_too_large");
    assert!(v["detail"].as_str().unwrap().contains("MAX_UPLOAD_SIZE"));
    assert!(files_under(&app.files).is_empty() && files_under(&app.spool).is_empty());
    upload(&app, &admin.auth, &d, "small.pdf", &pdf("small"))
        .await
        .expect(201);
}

#[tokio::test]
async fn two_reviewers_deciding_at_once_record_exactly_one_decision() {
    let j = job().await;
    let app = &j.app;
    let d = j.drawing("SD-103").await;
    let rev = id_of(
        &upload(app, &j.designer.auth, &d, "a.pdf", &pdf("a"))
            .await
            .expect(201)
            .json(),
    );
    app.post(
        &format!("/api/v1/drawing-revisions/{rev}/submit"),
        &j.designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    let review = format!("/api/v1/drawing-revisions/{rev}/review");
    let (first, second) = tokio::join!(
        app.post(
            &review,
            &j.pm.auth,
            json!({"decision": "approved", "version": 2})
        ),
        app.post(
            &review,
            &j.admin.auth,
            json!({"decision": "rejected", "comments": "Wrong desk", "version": 2})
        ),
    );
    let mut statuses = [first.status.as_u16(), second.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "exactly one decision wins");
    let loser = if first.status.as_u16() == 409 {
        first
    } else {
        second
    };
    assert_eq!(loser.json()["code"], "stale_version");
    let detail: Value = app
        .get(&format!("/api/v1/drawings/{d}"), &j.pm.auth)
        .await
        .json();
    assert_eq!(detail["reviews"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn who_may_do_what_with_drawings() {
    let j = job().await;
    let app = &j.app;
    let d = j.drawing("SD-104").await;
    // Coordinators and designers add drawings; craftsmen, executives and clients do not.
    let craftsman = app
        .user(&j.admin, "craftsman", "Carl Craftsman", None)
        .await;
    app.member(&j.pm.auth, &j.project, &craftsman, "craftsman")
        .await;
    let exec = app.user(&j.admin, "executive", "Eve Executive", None).await;
    let new = json!({"number": "X-1", "title": "T"});
    let path = format!("/api/v1/projects/{}/drawings", j.project);
    app.post(&path, &craftsman.auth, new.clone())
        .await
        .problem(403, "forbidden");
    app.post(&path, &exec.auth, new.clone())
        .await
        .problem(403, "forbidden");
    app.post(&path, &j.client.auth, new.clone())
        .await
        .problem(403, "forbidden");
    upload(app, &craftsman.auth, &d, "a.pdf", &pdf("a"))
        .await
        .problem(403, "forbidden");
    // Everyone who can see the project reads the register (clients only what was submitted).
    for who in [&craftsman, &exec, &j.client] {
        app.get(&path, &who.auth).await.expect(200);
    }
    let clients: Value = app.get(&path, &j.client.auth).await.json();
    assert_eq!(clients["total"], 0, "drafts are not shown to clients");
    // Duplicate numbers are refused, in any case.
    let v = app
        .post(&path, &j.pm.auth, json!({"number": "sd-104", "title": "T"}))
        .await
        .problem(409, "duplicate");
    assert_eq!(Resp::fields(&v), ["number"]);
    // A project the caller cannot see answers 404 for its drawings.
    let other_client = app.client(&j.admin.auth, "Beta").await;
    let other = app
        .project(&j.admin.auth, "Other", &other_client, &j.admin.id())
        .await;
    app.get(
        &format!("/api/v1/projects/{other}/drawings"),
        &j.designer.auth,
    )
    .await
    .problem(404, "not_found");
    app.get(&format!("/api/v1/drawings/{d}"), &exec.auth)
        .await
        .expect(200);
}

#[tokio::test]
async fn the_drawing_pages_work_without_javascript() {
    let j = job().await;
    let app = &j.app;
    let (designer, _) = app
        .login(&j.designer.user.email, crate::support::PASSWORD)
        .await;
    let (pm, _) = app.login(&j.pm.user.email, crate::support::PASSWORD).await;
    let Auth::Cookie {
        token,
        csrf: Some(csrf),
    } = &designer
    else {
        panic!("cookie auth")
    };
    let browser = Auth::Cookie {
        token: token.clone(),
        csrf: None,
    };
    let register = format!("/projects/{}/drawings", j.project);
    assert!(
        app.get(&register, &designer)
            .await
            .expect(200)
            .text()
            .contains("No shop drawings yet")
    );

    let form = |auth: &Auth, path: &str, fields: &[(&str, &str)]| {
        let body = serde_urlencoded::to_string(fields).unwrap();
        app.send(TestApp::build(
            Method::POST,
            path,
            auth,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(axum::body::Body::from(body)),
            false,
        ))
    };
    let created = form(
        &designer,
        &register,
        &[
            ("number", "SD-201"),
            ("title", "Vanity"),
            ("kind", "detail"),
            ("scheme", "numbers"),
        ],
    )
    .await
    .expect(303);
    let page = created
        .header("location")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let d = page.trim_start_matches("/drawings/").to_owned();

    // A wrong file is explained beside the field, with a 422.
    let send = |name: &str, bytes: &[u8], token_field: &str| {
        let (mime, body) = multipart(
            name,
            bytes,
            &[("_csrf", token_field), ("notes", "First issue")],
        );
        app.send(TestApp::build(
            Method::POST,
            &format!("{page}/revisions"),
            &browser,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        ))
    };
    let html = send("vanity.pdf", b"GIF89a....", csrf)
        .await
        .expect(422)
        .text();
    assert!(html.contains("named .pdf but is not a PDF"), "{html}");
    send("vanity.pdf", &pdf("v0"), "wrong-token")
        .await
        .expect(403);
    send("vanity.pdf", &pdf("v0"), csrf).await.expect(303);
    let html = app.get(&page, &designer).await.expect(200).text();
    assert!(
        html.contains("Revision 0 is a draft"),
        "numbers scheme: {html}"
    );

    // Submit from the page, then the project manager reviews it there.
    let detail: Value = app
        .get(&format!("/api/v1/drawings/{d}"), &j.pm.auth)
        .await
        .json();
    let rev = id_of(&detail["revisions"][0]);
    form(
        &designer,
        &format!("/drawing-revisions/{rev}/submit"),
        &[("version", "1"), ("drawing_id", d.as_str())],
    )
    .await
    .expect(303);
    let html = app.get(&page, &pm).await.expect(200).text();
    assert!(html.contains("Review revision 0"));
    let html = form(
        &pm,
        &format!("/drawing-revisions/{rev}/review"),
        &[
            ("version", "2"),
            ("drawing_id", d.as_str()),
            ("decision", "rejected"),
            ("comments", ""),
        ],
    )
    .await
    .expect(422)
    .text();
    assert!(html.contains("say what has to change"));
    form(
        &pm,
        &format!("/drawing-revisions/{rev}/review"),
        &[
            ("version", "2"),
            ("drawing_id", d.as_str()),
            ("decision", "approved_as_noted"),
            ("comments", "Radius the corners"),
        ],
    )
    .await
    .expect(303);
    // A second decision from a stale page is refused with a clear message.
    let html = form(
        &pm,
        &format!("/drawing-revisions/{rev}/review"),
        &[
            ("version", "2"),
            ("drawing_id", d.as_str()),
            ("decision", "approved"),
        ],
    )
    .await
    .expect(409)
    .text();
    assert!(html.contains("acted on this revision first"), "{html}");
    let html = app.get(&register, &pm).await.expect(200).text();
    assert!(html.contains("Approved as noted"));
    let file = app
        .get(&format!("/drawing-revisions/{rev}/file"), &pm)
        .await
        .expect(200);
    assert_eq!(file.body.to_vec(), pdf("v0"));
    let log = app
        .get(&format!("{register}/export"), &pm)
        .await
        .expect(200)
        .body
        .to_vec();
    let table = formula_reports::read_table(&log, "log.xlsx").unwrap();
    assert_eq!(
        table.rows[0].cells[..6],
        ["SD-201", "Vanity", "Detail", "", "0", "Approved as noted"]
    );
    // The project manager names who reviews, from the register.
    let html = app.get(&register, &pm).await.expect(200).text();
    assert!(html.contains("Who reviews drawings and materials"));
    assert!(
        !app.get(&register, &designer)
            .await
            .text()
            .contains("Who reviews")
    );
    form(
        &pm,
        &format!("/projects/{}/review-settings", j.project),
        &[
            ("client_approvals", "1"),
            ("reviewer_id", j.pm.id().as_str()),
        ],
    )
    .await
    .expect(303);
    let settings: Value = app
        .get(
            &format!("/api/v1/projects/{}/review-settings", j.project),
            &j.pm.auth,
        )
        .await
        .json();
    assert_eq!(
        settings,
        json!({"client_approvals": true, "reviewer_ids": [j.pm.id()]})
    );
}

#[tokio::test]
async fn clients_approve_when_the_project_allows_and_reviewers_can_be_named() {
    let j = job().await;
    let app = &j.app;
    let d = j.drawing("SD-301").await;
    let rev = id_of(
        &upload(app, &j.designer.auth, &d, "a.pdf", &pdf("a"))
            .await
            .expect(201)
            .json(),
    );
    app.post(
        &format!("/api/v1/drawing-revisions/{rev}/submit"),
        &j.designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    let settings = format!("/api/v1/projects/{}/review-settings", j.project);
    let review = format!("/api/v1/drawing-revisions/{rev}/review");

    // By default the client sees the submitted drawing but may not decide.
    app.get(&format!("/api/v1/drawings/{d}"), &j.client.auth)
        .await
        .expect(200);
    app.post(
        &review,
        &j.client.auth,
        json!({"decision": "approved", "version": 2}),
    )
    .await
    .problem(403, "forbidden");

    // Unknown fields are refused, as in every other body (the document says so).
    app.call(
        Method::PUT,
        &settings,
        &j.pm.auth,
        Some(json!({"client_approvals": true, "reviewer_ids": [], "reviewers": []})),
    )
    .await
    .problem(422, "invalid_body");

    // Only the project's managers set who reviews; reviewers must be on the team.
    app.call(
        Method::PUT,
        &settings,
        &j.designer.auth,
        Some(json!({"client_approvals": true, "reviewer_ids": []})),
    )
    .await
    .problem(403, "forbidden");
    let outsider = app.user(&j.admin, "designer", "Olga Outsider", None).await;
    app.call(
        Method::PUT,
        &settings,
        &j.pm.auth,
        Some(json!({"client_approvals": false, "reviewer_ids": [outsider.id()]})),
    )
    .await
    .problem(422, "validation_failed");

    // Designated reviewer: the designer decides, the project manager no longer does.
    let v = app
        .call(
            Method::PUT,
            &settings,
            &j.pm.auth,
            Some(json!({"client_approvals": false, "reviewer_ids": [j.designer.id()]})),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["reviewer_ids"], json!([j.designer.id()]));
    app.post(
        &review,
        &j.pm.auth,
        json!({"decision": "approved", "version": 2}),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        &review,
        &j.designer.auth,
        json!({"decision": "revise_and_resubmit", "comments": "Add the plinth", "version": 2}),
    )
    .await
    .expect(200);

    // Client approvals on: the client's user approves the next revision.
    app.call(
        Method::PUT,
        &settings,
        &j.pm.auth,
        Some(json!({"client_approvals": true, "reviewer_ids": []})),
    )
    .await
    .expect(200);
    let b = id_of(
        &upload(app, &j.designer.auth, &d, "b.pdf", &pdf("b"))
            .await
            .expect(201)
            .json(),
    );
    app.post(
        &format!("/api/v1/drawing-revisions/{b}/submit"),
        &j.designer.auth,
        json!({"version": 1}),
    )
    .await
    .expect(200);
    let approved = app
        .post(
            &format!("/api/v1/drawing-revisions/{b}/review"),
            &j.client.auth,
            json!({"decision": "approved", "version": 2}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(approved["status"], "approved");
    let detail: Value = app
        .get(&format!("/api/v1/drawings/{d}"), &j.pm.auth)
        .await
        .json();
    assert_eq!(detail["reviews"][0]["reviewer_name"], "Cleo Client");
    let got: Value = app.get(&settings, &j.client.auth).await.expect(200).json();
    assert_eq!(got["client_approvals"], true);
}

/// Issue 14, defect 2: SD-101 has rev B approved and a designer uploads rev C as a draft.
/// B stays in effect for readiness until C is approved, the client keeps seeing B (then C
/// once it is submitted to them), and the register shows both.
#[tokio::test]
async fn a_draft_revision_does_not_hide_the_approved_one() {
    let j = job().await;
    let app = &j.app;
    let d = j.drawing("SD-101").await;
    let (designer, pm) = (&j.designer.auth, &j.pm.auth);
    let submit = |rev: String, version: i64| async move {
        app.post(
            &format!("/api/v1/drawing-revisions/{rev}/submit"),
            designer,
            json!({"version": version}),
        )
        .await
        .expect(200);
    };
    let decide = |rev: String, decision: &'static str| async move {
        app.post(
            &format!("/api/v1/drawing-revisions/{rev}/review"),
            pm,
            json!({"decision": decision, "comments": "Checked", "version": 2}),
        )
        .await
        .expect(200);
    };
    let a = id_of(
        &upload(app, &j.designer.auth, &d, "SD-101 A.pdf", &pdf("A"))
            .await
            .expect(201)
            .json(),
    );
    submit(a.clone(), 1).await;
    decide(a, "revise_and_resubmit").await;
    let b = id_of(
        &upload(app, &j.designer.auth, &d, "SD-101 B.pdf", &pdf("B"))
            .await
            .expect(201)
            .json(),
    );
    submit(b.clone(), 1).await;
    decide(b, "approved").await;
    let c = id_of(
        &upload(app, &j.designer.auth, &d, "SD-101 C.pdf", &pdf("C"))
            .await
            .expect(201)
            .json(),
    );

    let register = format!("/api/v1/projects/{}/drawings", j.project);
    let revs = |v: &Value| {
        (
            v["current"]["label"].as_str().map(str::to_owned),
            v["current"]["status"].as_str().map(str::to_owned),
            v["approved"]["label"].as_str().map(str::to_owned),
            v["approved"]["status"].as_str().map(str::to_owned),
        )
    };
    let rev = |c: &str, cs: &str, a: &str, s: &str| {
        (
            Some(c.to_owned()),
            Some(cs.to_owned()),
            Some(a.to_owned()),
            Some(s.to_owned()),
        )
    };
    // The team: C is the latest, B approved behind it; the status filter finds both.
    let list: Value = app.get(&register, &j.pm.auth).await.expect(200).json();
    assert_eq!(revs(&list["items"][0]), rev("C", "draft", "B", "approved"));
    for status in ["approved", "draft"] {
        let found: Value = app
            .get(&format!("{register}?status={status}"), &j.pm.auth)
            .await
            .json();
        assert_eq!(found["total"], 1, "?status={status}");
    }
    // Readiness goes by B: the drawing blocks nothing, and the item says C is coming.
    let r: Value = app
        .get(
            &format!("/api/v1/projects/{}/readiness", j.project),
            &j.pm.auth,
        )
        .await
        .expect(200)
        .json();
    let desk = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item_id"] == j.item.as_str())
        .unwrap();
    let drawing_blockers: Vec<&Value> = desk["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["drawing_id"] == d.as_str())
        .collect();
    assert!(drawing_blockers.is_empty(), "{desk}");
    assert!(
        desk["warnings"].as_array().unwrap().contains(&json!(
            "Drawing SD-101 rev C is a draft; approved rev B stays in effect"
        )),
        "{desk}"
    );
    assert!(
        !r["next_steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["drawing_id"] == d.as_str()),
        "{r}"
    );

    // The client still sees SD-101 at rev B, and nothing of the draft.
    let seen: Value = app.get(&register, &j.client.auth).await.expect(200).json();
    assert_eq!(seen["total"], 1, "{seen}");
    assert_eq!(
        revs(&seen["items"][0]),
        rev("B", "approved", "B", "approved")
    );
    let approved: Value = app
        .get(&format!("{register}?status=approved"), &j.client.auth)
        .await
        .json();
    assert_eq!(approved["total"], 1);
    let detail: Value = app
        .get(&format!("/api/v1/drawings/{d}"), &j.client.auth)
        .await
        .expect(200)
        .json();
    assert_eq!(
        revs(&detail["drawing"]),
        rev("B", "approved", "B", "approved")
    );
    let labels: Vec<&str> = detail["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["B", "A"]);
    app.get(
        &format!("/api/v1/drawing-revisions/{c}/file"),
        &j.client.auth,
    )
    .await
    .problem(404, "not_found");

    // C submitted: now everybody sees "B approved · C in review"; readiness still goes by B.
    submit(c.clone(), 1).await;
    for who in [&j.pm, &j.client] {
        let list: Value = app.get(&register, &who.auth).await.expect(200).json();
        assert_eq!(
            revs(&list["items"][0]),
            rev("C", "submitted", "B", "approved"),
            "{}",
            who.user.name
        );
    }
    let (pm_page, _) = app.login(&j.pm.user.email, crate::support::PASSWORD).await;
    let html = app
        .get(&format!("/projects/{}/drawings", j.project), &pm_page)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains(
            ">B approved</span> ·</span> <span class=\"chip chip-submitted\">C in review<"
        ),
        "{html}"
    );
    let r: Value = app
        .get(
            &format!("/api/v1/projects/{}/readiness", j.project),
            &j.pm.auth,
        )
        .await
        .json();
    assert!(
        !r["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["blockers"].as_array().unwrap())
            .any(|b| b["drawing_id"] == d.as_str()),
        "{r}"
    );

    // C approved: it takes over, one status again.
    decide(c, "approved").await;
    let list: Value = app.get(&register, &j.client.auth).await.json();
    assert_eq!(
        revs(&list["items"][0]),
        rev("C", "approved", "C", "approved")
    );
}
