//! Photos: server-made copies of JPEG and PNG attachments, tested with real JPEG fixtures
//! (`fixtures/photos/`, made by `scripts/photo-fixtures.py`) carrying EXIF orientations
//! and GPS positions. The copies are upright and hold no metadata, the original keeps it for
//! the team, and a client user gets only the copies by every route; decompression bombs and
//! damaged images are refused; an upload retried with the same idempotency key (API header
//! or form field) makes one record, and the same key with another request is refused.

use axum::http::Method;
use serde_json::{Value, json};

use crate::drawings::multipart;
use crate::support::{Auth, Resp, TestApp, TestUser, files_under, id_of};

const ORIENT_6: &[u8] = include_bytes!("fixtures/photos/orient-6-gps.jpg");
const ORIENT_3: &[u8] = include_bytes!("fixtures/photos/orient-3-gps.jpg");
const ORIENT_8: &[u8] = include_bytes!("fixtures/photos/orient-8-gps.jpg");
const BOMB: &[u8] = include_bytes!("fixtures/photos/bomb.png");
const HUGE_SIDE: &[u8] = include_bytes!("fixtures/photos/huge-side.png");

/// The bytes of the GPSInfo pointer in the fixtures' little-endian EXIF (tag 0x8825, LONG).
const GPS_TAG: &[u8] = b"\x25\x88\x04\x00";

struct World {
    app: TestApp,
    pm: TestUser,
    client: TestUser,
    project: String,
}

async fn world() -> World {
    world_on(TestApp::new().await).await
}

async fn world_on(app: TestApp) -> World {
    let admin = app.admin().await;
    let pm = app
        .user(&admin, "project_manager", "Paula Manager", None)
        .await;
    let client_org = app.client(&admin.auth, "Alpha Hotels").await;
    let client = app
        .user(&admin, "client", "Cleo Client", Some(&client_org))
        .await;
    let project = app
        .project(&pm.auth, "Lobby joinery", &client_org, &pm.id())
        .await;
    World {
        app,
        pm,
        client,
        project,
    }
}

async fn attach(w: &World, name: &str, file: &[u8], caption: &str, key: Option<&str>) -> Resp {
    let (mime, body) = multipart(
        name,
        file,
        &[
            ("owner_type", "project"),
            ("owner_id", w.project.as_str()),
            ("purpose", "photo"),
            ("caption", caption),
        ],
    );
    let mut headers = vec![("content-type", mime.as_str())];
    if let Some(k) = key {
        headers.push(("idempotency-key", k));
    }
    w.app
        .send(TestApp::build(
            Method::POST,
            "/api/v1/attachments",
            &w.pm.auth,
            &headers,
            Some(axum::body::Body::from(body)),
            false,
        ))
        .await
}

/// The JPEG's segment markers before the image data (APP0 = 0xE0, APP1 = 0xE1, …).
fn segments(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], b"\xFF\xD8", "a JPEG");
    let (mut at, mut markers) = (2, Vec::new());
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    markers
}

/// A copy: a JPEG with nothing but JFIF and the image (no EXIF, XMP, ICC or comment).
#[track_caller]
fn assert_stripped(jpeg: &[u8]) {
    let markers = segments(jpeg);
    assert!(
        markers
            .iter()
            .all(|m| matches!(m, 0xE0 | 0xDB | 0xC0..=0xC2 | 0xC4 | 0xDD | 0xDA)),
        "only JFIF and image segments: {markers:02X?}"
    );
    assert!(!jpeg.windows(4).any(|w| w == b"Exif"), "no EXIF");
    assert!(!jpeg.windows(4).any(|w| w == GPS_TAG), "no GPS IFD");
}

fn decode(jpeg: &[u8]) -> image::RgbImage {
    image::load_from_memory(jpeg).unwrap().to_rgb8()
}

/// The colour of the pixel a little inside the top-left corner, by its strongest channels.
fn top_left(img: &image::RgbImage) -> &'static str {
    let p = img.get_pixel(4, 4).0;
    match p {
        [r, g, b] if r > 200 && g > 200 && b > 200 => "white",
        [r, g, b] if r > 200 && g < 60 && b < 60 => "red",
        [r, g, b] if g > 200 && r < 60 && b < 60 => "green",
        [r, g, b] if b > 200 && r < 60 && g < 60 => "blue",
        other => panic!("unexpected colour {other:?}"),
    }
}

#[tokio::test]
async fn photos_get_upright_copies_without_metadata_and_clients_only_ever_get_those() {
    let w = world().await;
    let app = &w.app;
    // The fixtures' pixels are 160 × 80: red, green / blue, white. Each orientation turns
    // another quarter to the top left, and a quarter turn swaps the sides.
    for (file, orientation, size, corner) in [
        (ORIENT_6, 6, (80, 160), "blue"),
        (ORIENT_3, 3, (160, 80), "white"),
        (ORIENT_8, 8, (80, 160), "green"),
    ] {
        assert!(file.windows(6).any(|w| w == b"Exif\0\0") && file.windows(4).any(|w| w == GPS_TAG));
        let name = format!("orient {orientation}.jpg");
        let a = attach(&w, &name, file, "Corridor wall", None)
            .await
            .expect(201)
            .json();
        assert_eq!(
            (a["image"]["width"].as_u64(), a["image"]["height"].as_u64()),
            (Some(u64::from(size.0)), Some(u64::from(size.1))),
            "{a}"
        );
        let id = id_of(&a);
        for what in ["display", "thumbnail"] {
            let copy = app
                .get(&format!("/api/v1/attachments/{id}/{what}"), &w.pm.auth)
                .await
                .expect(200);
            assert_eq!(copy.header("content-type").as_deref(), Some("image/jpeg"));
            assert_stripped(&copy.body);
            let img = decode(&copy.body);
            assert_eq!(img.dimensions(), size, "orientation {orientation} {what}");
            assert_eq!(top_left(&img), corner, "orientation {orientation} {what}");
        }
        // The team's download is the original, EXIF and GPS included.
        let original = app
            .get(&format!("/api/v1/attachments/{id}/file"), &w.pm.auth)
            .await
            .expect(200);
        assert_eq!(&original.body[..], file);
    }

    // A client user: every route serves a copy, never the original.
    let photo = id_of(
        &attach(&w, "gps.jpg", ORIENT_6, "Lobby", None)
            .await
            .expect(201)
            .json(),
    );
    let (client_page, _) = app
        .login(&w.client.user.email, crate::support::PASSWORD)
        .await;
    let display = app
        .get(&format!("/api/v1/attachments/{photo}/display"), &w.pm.auth)
        .await
        .expect(200)
        .body;
    for (path, auth) in [
        (format!("/api/v1/attachments/{photo}/file"), &w.client.auth),
        (
            format!("/api/v1/attachments/{photo}/display"),
            &w.client.auth,
        ),
        (format!("/attachments/{photo}/file"), &client_page),
        (format!("/attachments/{photo}/display"), &client_page),
    ] {
        let got = app.get(&path, auth).await.expect(200);
        assert_eq!(
            got.header("content-type").as_deref(),
            Some("image/jpeg"),
            "{path}"
        );
        assert_stripped(&got.body);
        assert_eq!(got.body, display, "{path}: the display copy");
    }
    for (path, auth) in [
        (
            format!("/api/v1/attachments/{photo}/thumbnail"),
            &w.client.auth,
        ),
        (format!("/attachments/{photo}/thumbnail"), &client_page),
    ] {
        assert_stripped(&app.get(&path, auth).await.expect(200).body);
    }
    // A range of the original is still the copy.
    let part = app
        .call_with(
            Method::GET,
            &format!("/api/v1/attachments/{photo}/file"),
            &w.client.auth,
            &[("range", "bytes=0-1000000")],
            None,
        )
        .await;
    assert!(matches!(part.status.as_u16(), 200 | 206));
    assert_stripped(&part.body);

    // A comment's photo: the client reads a shared comment's file, and gets the copy.
    let comment = id_of(
        &app.post(
            "/api/v1/comments",
            &w.pm.auth,
            json!({"record_type": "project", "record_id": w.project, "body": "Photo from site", "visibility": "client"}),
        )
        .await
        .expect(201)
        .json(),
    );
    let (mime, body) = multipart(
        "site.jpg",
        ORIENT_8,
        &[("owner_type", "comment"), ("owner_id", comment.as_str())],
    );
    let on_comment = id_of(
        &app.send(TestApp::build(
            Method::POST,
            "/api/v1/attachments",
            &w.pm.auth,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        ))
        .await
        .expect(201)
        .json(),
    );
    for path in [
        format!("/api/v1/attachments/{on_comment}/file"),
        format!("/api/v1/attachments/{on_comment}/thumbnail"),
    ] {
        assert_stripped(&app.get(&path, &w.client.auth).await.expect(200).body);
    }
    let page = app
        .get(&format!("/projects/{}", w.project), &client_page)
        .await
        .expect(200)
        .text();
    assert!(
        page.contains(&format!("src=\"/attachments/{on_comment}/thumbnail\"")),
        "the comment shows the thumbnail"
    );

    // Copies never change: cached for good, and answered 304 when the browser has them.
    let thumb = app
        .get(
            &format!("/api/v1/attachments/{photo}/thumbnail"),
            &w.pm.auth,
        )
        .await
        .expect(200);
    assert!(thumb.header("cache-control").unwrap().contains("immutable"));
    let etag = thumb.header("etag").unwrap();
    app.call_with(
        Method::GET,
        &format!("/api/v1/attachments/{photo}/thumbnail"),
        &w.pm.auth,
        &[("if-none-match", etag.as_str())],
        None,
    )
    .await
    .expect(304);
    // A file that is not a JPEG or PNG has no copies.
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    let doc = id_of(
        &attach(&w, "notes.pdf", pdf, "Notes", None)
            .await
            .expect(201)
            .json(),
    );
    let missing = app
        .get(&format!("/api/v1/attachments/{doc}/thumbnail"), &w.pm.auth)
        .await
        .problem(404, "not_found");
    assert!(
        missing["detail"].as_str().unwrap().contains("image copy"),
        "{missing}"
    );
}

#[tokio::test]
async fn images_attached_before_copies_get_them_when_first_asked_for() {
    use formula_app::repos::prelude::*;
    let w = world().await;
    let app = &w.app;
    let id = id_of(
        &attach(&w, "old.jpg", ORIENT_6, "Old", None)
            .await
            .expect(201)
            .json(),
    );
    let uuid: uuid::Uuid = id.parse().unwrap();
    // As if attached before migration 0022: no copies recorded, their files gone.
    let before = app.db.get_attachment(uuid).await.unwrap().unwrap();
    let mut older = before.clone();
    older.id = uuid::Uuid::now_v7();
    older.image = None;
    older.blob_key = format!("{}-older", before.blob_key);
    std::fs::copy(
        app.files.join(&before.blob_key),
        app.files.join(&older.blob_key),
    )
    .unwrap();
    older.file.name = "older.jpg".into();
    let entry = formula_domain::audit::AuditEntry {
        id: uuid::Uuid::now_v7(),
        at: before.uploaded_at,
        actor_id: None,
        actor_name: Some("system".into()),
        action: "attach".into(),
        entity_type: "project".into(),
        entity_id: before.project_id,
        entity_label: "test".into(),
        changes: vec![],
        request_id: None,
        ip: None,
        user_agent: None,
        project_id: Some(before.project_id),
    };
    app.db.insert_attachment(&older, &entry).await.unwrap();
    // A client's first look makes them; the original is never served.
    let got = app
        .get(
            &format!("/api/v1/attachments/{}/file", older.id),
            &w.client.auth,
        )
        .await
        .expect(200);
    assert_stripped(&got.body);
    assert_eq!(decode(&got.body).dimensions(), (80, 160));
    let made = app.db.get_attachment(older.id).await.unwrap().unwrap();
    assert_eq!(
        made.image.as_ref().map(|c| (c.width, c.height)),
        Some((80, 160))
    );
}

#[tokio::test]
async fn bombs_and_damaged_images_are_refused_and_leave_nothing() {
    let w = world().await;
    for (name, file, says) in [
        ("bomb.png", BOMB, "10000 × 8000 pixels"),
        ("strip.png", HUGE_SIDE, "too large"),
    ] {
        let v = attach(&w, name, file, "Big", None)
            .await
            .problem(422, "validation_failed");
        let why = v["errors"][0]["message"].as_str().unwrap().to_owned();
        assert_eq!(v["errors"][0]["field"], "file");
        assert!(why.contains(says) && why.contains("megapixels"), "{why}");
    }
    let mut cut = ORIENT_6.to_vec();
    cut.truncate(400);
    let v = attach(&w, "cut.jpg", &cut, "Cut", None)
        .await
        .problem(422, "validation_failed");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{v}"
    );
    assert!(files_under(&w.app.files).is_empty(), "nothing stored");
    assert!(files_under(&w.app.spool).is_empty(), "no spooled leftovers");
}

fn listed(v: &Value) -> usize {
    v["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_retried_upload_with_the_same_key_creates_one_record() {
    let w = world().await;
    let app = &w.app;
    let list = format!(
        "/api/v1/attachments?owner_type=project&owner_id={}",
        w.project
    );
    let first = attach(&w, "wall.jpg", ORIENT_6, "Wall", Some("upload-1"))
        .await
        .expect(201)
        .json();
    let again = attach(&w, "wall.jpg", ORIENT_6, "Wall", Some("upload-1"))
        .await
        .expect(200)
        .json();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(listed(&app.get(&list, &w.pm.auth).await.json()), 1);
    // The same key with another request is refused, and makes nothing.
    let v = attach(
        &w,
        "wall.jpg",
        ORIENT_6,
        "Another caption",
        Some("upload-1"),
    )
    .await
    .problem(409, "idempotency_key_reused");
    assert_eq!(v["errors"][0]["field"], "idempotency_key");
    attach(&w, "other.jpg", ORIENT_3, "Wall", Some("upload-1"))
        .await
        .problem(409, "idempotency_key_reused");
    assert_eq!(listed(&app.get(&list, &w.pm.auth).await.json()), 1);
    // A refused upload frees its key: the corrected one goes through with it.
    attach(&w, "bomb.png", BOMB, "Wall", Some("upload-2"))
        .await
        .expect(422);
    attach(&w, "wall 2.jpg", ORIENT_3, "Wall", Some("upload-2"))
        .await
        .expect(201);
    assert_eq!(listed(&app.get(&list, &w.pm.auth).await.json()), 2);
    // Three files in storage per photo: the original and its two copies.
    assert_eq!(files_under(&app.files).len(), 6);

    // The page's form carries a fresh key; sent twice, it attaches once.
    let (pm, _) = app.login(&w.pm.user.email, crate::support::PASSWORD).await;
    let Auth::Cookie {
        token,
        csrf: Some(csrf),
    } = &pm
    else {
        panic!("cookie auth")
    };
    let browser = Auth::Cookie {
        token: token.clone(),
        csrf: None,
    };
    let page = format!("/projects/{}", w.project);
    let html = app.get(&page, &pm).await.expect(200).text();
    let key = html
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the upload form's key")
        .to_owned();
    assert!(
        html.contains("capture=\"environment\""),
        "a take-photo control"
    );
    let post = |caption: &str| {
        let (mime, body) = multipart(
            "door.jpg",
            ORIENT_8,
            &[
                ("_csrf", csrf.as_str()),
                ("owner_type", "project"),
                ("owner_id", w.project.as_str()),
                ("back", page.as_str()),
                ("purpose", "photo"),
                ("caption", caption),
                ("idempotency_key", key.as_str()),
            ],
        );
        TestApp::build(
            Method::POST,
            "/attachments",
            &browser,
            &[("content-type", mime.as_str())],
            Some(axum::body::Body::from(body)),
            false,
        )
    };
    for _ in 0..2 {
        let done = app.send(post("Door")).await.expect(303);
        assert_eq!(
            done.header("location").unwrap(),
            format!("{page}#attachments")
        );
    }
    assert_eq!(listed(&app.get(&list, &w.pm.auth).await.json()), 3);
    let refused = app.send(post("Another door")).await.expect(422).text();
    assert!(refused.contains("different request"), "{refused}");
    assert_eq!(listed(&app.get(&list, &w.pm.auth).await.json()), 3);
    // The list shows the photos as sized, lazy thumbnails opening the display copy.
    let html = app.get(&page, &pm).await.expect(200).text();
    let door = app.get(&list, &w.pm.auth).await.json()["items"][2]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        html.contains(&format!(
            "<a class=\"att-thumb\" href=\"/attachments/{door}/display\" target=\"_blank\" rel=\"noopener\"><img src=\"/attachments/{door}/thumbnail\" width=\"80\" height=\"160\" loading=\"lazy\" decoding=\"async\" alt=\"Door\"></a>"
        )),
        "{html}"
    );
}

/// The key table's rules through the API on PostgreSQL too (SQLite above): a retry makes one
/// record, another request with the key is refused.
#[tokio::test]
async fn a_retried_upload_makes_one_record_on_postgresql_too() {
    let w = world_on(TestApp::on_postgres().await).await;
    let list = format!(
        "/api/v1/attachments?owner_type=project&owner_id={}",
        w.project
    );
    let first = attach(&w, "wall.jpg", ORIENT_6, "Wall", Some("pg-1"))
        .await
        .expect(201)
        .json();
    assert_eq!(first["image"]["width"], 80);
    let again = attach(&w, "wall.jpg", ORIENT_6, "Wall", Some("pg-1"))
        .await
        .expect(200)
        .json();
    assert_eq!(again["id"], first["id"]);
    attach(&w, "other.jpg", ORIENT_3, "Wall", Some("pg-1"))
        .await
        .problem(409, "idempotency_key_reused");
    assert_eq!(listed(&w.app.get(&list, &w.pm.auth).await.json()), 1);
    let client_copy = w
        .app
        .get(
            &format!("/api/v1/attachments/{}/file", id_of(&first)),
            &w.client.auth,
        )
        .await
        .expect(200);
    assert_stripped(&client_copy.body);
}
