//! RFIs over the store: numbered per project (distinct numbers when raised at once, the
//! project's row locked on PostgreSQL), links only to the project's drawings, scope items
//! and rooms, the answer → close → reopen moves compare-and-set, the register's filters, a
//! client user's list filtered in SQL, and an outside addressee's mail queued with the PDF
//! kept as the RFI's attachment (and in the outbox with its name once the worker ran).

use formula_app::RequestCtx;
use formula_app::accounts::actor_for;
use formula_app::context::Caller;
use formula_app::error::AppError;
use formula_app::locations::NewLocation;
use formula_app::repos::RfiFilter;
use formula_app::repos::prelude::*;
use formula_app::rfis::{NewRfi, RfiAnswerInput, RfiDocument, RfiLinksInput};
use formula_app::scope::NewScopeItem;
use formula_domain::attachment::OwnerKind;
use formula_domain::location::LocationKind;
use formula_domain::rfi::{BallInCourt, RfiMove, RfiStatus};
use formula_domain::user::{Role, User};
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures as f;
use crate::support::TestDb;
use crate::world::{World, world};

fn as_user(u: &User) -> Caller {
    Caller {
        actor: actor_for(u),
        ctx: RequestCtx::default(),
    }
}

fn caller(w: &World) -> Caller {
    as_user(&w.pm)
}

fn rfi_to(user: Option<Uuid>, email: Option<&str>, subject: &str) -> NewRfi {
    NewRfi {
        subject: subject.into(),
        question: format!("{subject}?"),
        addressed_to_user_id: user,
        addressed_to_email: email.map(str::to_owned),
        addressed_to_name: None,
        required_by: None,
        client_visible: None,
        drawing_ids: Vec::new(),
        scope_item_ids: Vec::new(),
        room_ids: Vec::new(),
    }
}

/// A stand-in for the PDF module: the store's cases need bytes, not a layout.
fn fake_pdf(d: &RfiDocument) -> Result<Vec<u8>, String> {
    Ok(format!("%PDF-1.7\n{} {}\n%%EOF\n", d.rfi.code, d.rfi.subject).into_bytes())
}

async fn client_user(db: &Db, email: &str, client: Uuid) -> User {
    let mut u = f::user(email, "Cleo Client", Role::Client);
    u.client_id = Some(client);
    db.insert_user(&u, "hash", &f::audit(None, "create", "user", u.id, email))
        .await
        .unwrap();
    u
}

async fn room(t: &TestDb, c: &Caller, project: Uuid, code: &str) -> Uuid {
    let s = t.services();
    let place = |kind, parent, code: String| NewLocation {
        kind,
        parent_id: parent,
        name: format!("Place {code}"),
        code,
        room_type_id: None,
    };
    let b = s
        .create_location(
            c,
            project,
            place(LocationKind::Building, None, format!("B{code}")),
        )
        .await
        .unwrap();
    let l = s
        .create_location(
            c,
            project,
            place(LocationKind::Level, Some(b.id), format!("L{code}")),
        )
        .await
        .unwrap();
    s.create_location(
        c,
        project,
        NewLocation {
            kind: LocationKind::Room,
            parent_id: Some(l.id),
            code: code.into(),
            name: format!("Room {code}"),
            room_type_id: None,
        },
    )
    .await
    .unwrap()
    .id
}

fn field_error(e: AppError, field: &str) -> String {
    match e {
        AppError::Validation(errors) => errors
            .get(field)
            .unwrap_or_else(|| panic!("no error on {field}: {errors:?}"))
            .to_owned(),
        other => panic!("expected a validation error on {field}, got {other:?}"),
    }
}

pub async fn an_rfi_is_linked_answered_closed_and_reopened(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let p = w.p1.id;
    let r1 = room(t, &c, p, "R101").await;
    let elsewhere = room(t, &c, w.p2.id, "R900").await;
    let drawing = f::drawing(&w.p1, "SD-101", Vec::new());
    t.insert_drawing(
        &drawing,
        &f::audit(Some(&w.pm), "create", "drawing", drawing.id, "SD-101"),
    )
    .await
    .unwrap();
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    let item = s
        .create_scope_item(
            &c,
            p,
            NewScopeItem {
                group_id: group.id,
                code: Some("RC-01".into()),
                name: "Reception counter".into(),
                ..NewScopeItem::default()
            },
        )
        .await
        .unwrap();

    // A room of another project is refused, and nothing is raised.
    let mut input = rfi_to(Some(w.designer.id), None, "Counter top");
    input.room_ids = vec![r1, elsewhere];
    let e = s
        .raise_rfi(&c, p, input.clone(), fake_pdf)
        .await
        .unwrap_err();
    assert!(field_error(e, "room_ids").contains("project's rooms"));
    assert_eq!(t.outside("SELECT COUNT(*) FROM rfis").await, 0);

    input.room_ids = vec![r1, r1];
    input.drawing_ids = vec![drawing.id];
    input.scope_item_ids = vec![item.id];
    input.required_by = Some(f::today() - time::Duration::days(2));
    let rfi = s.raise_rfi(&c, p, input, fake_pdf).await.unwrap();
    assert_eq!(rfi.code, "RFI-001");
    assert_eq!(rfi.status, RfiStatus::Open);
    assert_eq!(rfi.ball_in_court, BallInCourt::Addressee);
    assert!(rfi.overdue);
    assert!(!rfi.client_visible);
    let (_, links) = s.get_rfi_with_links(&c, rfi.id).await.unwrap();
    assert_eq!(links.rooms.len(), 1);
    assert_eq!(links.drawings[0].code, "SD-101");
    assert_eq!(links.scope_items[0].code, "RC-01");

    // The register's filters: overdue, addressed to the designer, the ball in their court.
    let d = as_user(&w.designer);
    for filter in [
        RfiFilter {
            overdue_on: Some(f::today()),
            ..RfiFilter::default()
        },
        RfiFilter {
            addressed_to: Some(w.designer.id),
            ..RfiFilter::default()
        },
        RfiFilter {
            ball_with: Some(w.designer.id),
            ..RfiFilter::default()
        },
    ] {
        let (items, total, _) = s.list_rfis(&d, p, filter.clone(), None).await.unwrap();
        assert_eq!((items.len(), total), (1, 1), "{filter:?}");
    }

    // Links are replaced compare-and-set; a stale version is refused.
    let (linked, links) = s
        .set_rfi_links(
            &c,
            rfi.id,
            rfi.version,
            RfiLinksInput {
                drawing_ids: vec![drawing.id],
                ..RfiLinksInput::default()
            },
        )
        .await
        .unwrap();
    assert!(links.rooms.is_empty() && links.scope_items.is_empty());
    assert!(matches!(
        s.set_rfi_links(&c, rfi.id, rfi.version, RfiLinksInput::default())
            .await
            .unwrap_err(),
        AppError::Stale { .. }
    ));

    // The addressee answers; the ball goes back to the raiser, and it is no longer overdue.
    let answered = s
        .answer_rfi(
            &d,
            rfi.id,
            linked.version,
            RfiAnswerInput {
                answer: "Use the 40 mm oak top.".into(),
                cost_impact: true,
                time_impact: false,
                version: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(answered.status, RfiStatus::Answered);
    assert_eq!(answered.ball_in_court, BallInCourt::Raiser);
    assert_eq!(answered.answered_by_name.as_deref(), Some("Dan Designer"));
    assert!(answered.offers_variation());
    assert!(!answered.overdue);
    // Answering twice is refused.
    let again = s
        .answer_rfi(
            &d,
            rfi.id,
            answered.version,
            RfiAnswerInput {
                answer: "Second thoughts".into(),
                ..RfiAnswerInput::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(again, AppError::InvalidTransition { .. }),
        "{again:?}"
    );

    let closed = s
        .move_rfi(&c, rfi.id, RfiMove::Close, answered.version)
        .await
        .unwrap();
    assert_eq!(closed.status, RfiStatus::Closed);
    assert_eq!(closed.ball_in_court, BallInCourt::Nobody);
    assert_eq!(closed.closed_by_name.as_deref(), Some("Pia Manager"));
    assert!(matches!(
        s.move_rfi(&c, rfi.id, RfiMove::Close, closed.version)
            .await
            .unwrap_err(),
        AppError::InvalidTransition { .. }
    ));
    let reopened = s
        .move_rfi(&c, rfi.id, RfiMove::Reopen, closed.version)
        .await
        .unwrap();
    assert_eq!(reopened.status, RfiStatus::Open);
    assert!(reopened.closed_at.is_none());
    // Create, link, answer, close, reopen: each audited.
    assert_eq!(crate::world::audit_count(t, "rfi", rfi.id).await, 5);
}

pub async fn rfis_raised_at_once_get_distinct_numbers(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let p = w.p1.id;
    let one = || s.raise_rfi(&c, p, rfi_to(Some(w.designer.id), None, "Q"), fake_pdf);
    let (a, b, c3, d) = tokio::join!(one(), one(), one(), one());
    let mut numbers = vec![
        a.unwrap().number,
        b.unwrap().number,
        c3.unwrap().number,
        d.unwrap().number,
    ];
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3, 4]);
    // Numbers count per project.
    let other = s
        .raise_rfi(
            &c,
            w.p2.id,
            rfi_to(None, Some("ana@studio.example"), "Q"),
            fake_pdf,
        )
        .await
        .unwrap();
    assert_eq!(other.code, "RFI-001");
}

pub async fn a_client_user_sees_only_rfis_addressed_to_them_or_shared(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let p = w.p1.id;
    let cleo = client_user(t, "cleo@acme.example", w.acme.id).await;
    let other_client = client_user(t, "bo@beta.example", w.beta.id).await;
    let internal = s
        .raise_rfi(
            &c,
            p,
            rfi_to(Some(w.designer.id), None, "Internal"),
            fake_pdf,
        )
        .await
        .unwrap();
    let to_cleo = s
        .raise_rfi(&c, p, rfi_to(Some(cleo.id), None, "Finish"), fake_pdf)
        .await
        .unwrap();
    assert!(to_cleo.client_visible, "addressed to a client user: shared");
    let mut shared = rfi_to(None, Some("ana@studio.example"), "Shared");
    shared.client_visible = Some(true);
    let shared = s.raise_rfi(&c, p, shared, fake_pdf).await.unwrap();
    // A user of another client cannot be the addressee.
    let e = s
        .raise_rfi(&c, p, rfi_to(Some(other_client.id), None, "X"), fake_pdf)
        .await
        .unwrap_err();
    field_error(e, "addressed_to_user_id");

    let cc = as_user(&cleo);
    let (items, total, _) = s
        .list_rfis(&cc, p, RfiFilter::default(), None)
        .await
        .unwrap();
    let mut codes: Vec<_> = items.iter().map(|r| r.code.clone()).collect();
    codes.sort();
    assert_eq!(codes, [to_cleo.code.clone(), shared.code.clone()]);
    assert_eq!(total, 2);
    assert!(matches!(
        s.get_rfi(&cc, internal.id).await.unwrap_err(),
        AppError::NotFound(_)
    ));
    assert!(matches!(
        s.rfi_document(&cc, internal.id).await.unwrap_err(),
        AppError::NotFound(_)
    ));
    // The client answers only what is addressed to them.
    let e = s
        .answer_rfi(
            &cc,
            shared.id,
            shared.version,
            RfiAnswerInput {
                answer: "Yes".into(),
                ..RfiAnswerInput::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden), "{e:?}");
    let answered = s
        .answer_rfi(
            &cc,
            to_cleo.id,
            to_cleo.version,
            RfiAnswerInput {
                answer: "Matt lacquer".into(),
                time_impact: true,
                ..RfiAnswerInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(answered.status, RfiStatus::Answered);
    assert_eq!(answered.answered_by_name.as_deref(), Some("Cleo Client"));
}

pub async fn an_outside_addressee_is_mailed_the_pdf(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let mut input = rfi_to(None, Some(" Ana@Studio.Example "), "Door hardware");
    input.addressed_to_name = Some("Ana Architect".into());
    let rfi = s.raise_rfi(&c, w.p1.id, input, fake_pdf).await.unwrap();
    assert_eq!(
        rfi.addressed_to_email.as_deref(),
        Some("ana@studio.example")
    );
    assert!(rfi.sent_at.is_some());
    // The PDF as sent is kept as the RFI's file.
    let files = t.list_attachments(OwnerKind::Rfi, rfi.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].file.name, "RFI-001.pdf");
    assert_eq!(files[0].file.mime, "application/pdf");

    // Without SMTP the worker records it in the outbox, with its attachment's name.
    let ran = s
        .drain_jobs("test", time::OffsetDateTime::now_utc(), 10)
        .await
        .unwrap();
    assert_eq!(ran, 1);
    let mails = t.list_mail(10).await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to_address, "ana@studio.example");
    assert_eq!(mails[0].subject, "RFI-001: Door hardware (WSC-25-001)");
    assert_eq!(mails[0].attachments, ["RFI-001.pdf"]);
    assert_eq!(mails[0].status, "logged");

    // Sent again: the same PDF is the same file; a second mail goes.
    let again = s.send_rfi(&c, rfi.id, fake_pdf).await.unwrap();
    assert!(again.version > rfi.version);
    assert_eq!(
        t.list_attachments(OwnerKind::Rfi, rfi.id)
            .await
            .unwrap()
            .len(),
        1
    );
    s.drain_jobs("test", time::OffsetDateTime::now_utc(), 10)
        .await
        .unwrap();
    assert_eq!(t.list_mail(10).await.unwrap().len(), 2);

    // An RFI to a user is not mailed.
    let to_user = s
        .raise_rfi(
            &c,
            w.p1.id,
            rfi_to(Some(w.designer.id), None, "Q"),
            fake_pdf,
        )
        .await
        .unwrap();
    assert!(to_user.sent_at.is_none());
    let e = s.send_rfi(&c, to_user.id, fake_pdf).await.unwrap_err();
    assert!(
        matches!(
            e,
            AppError::Conflict {
                code: "not_external",
                ..
            }
        ),
        "{e:?}"
    );
}

both_backends! {
    an_rfi_is_linked_answered_closed_and_reopened,
    rfis_raised_at_once_get_distinct_numbers,
    a_client_user_sees_only_rfis_addressed_to_them_or_shared,
    an_outside_addressee_is_mailed_the_pdf,
}
