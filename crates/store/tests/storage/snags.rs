//! Snags and room sign-off over the store: a room is signed off only once the installations
//! ledger holds every item it expects (a room item's quantity, a room-type item's quantity
//! per room) and no snag in it is open or fixed; a snag raised later reopens the sign-off in
//! the same transaction; snags raised at once get distinct numbers.

use formula_app::RequestCtx;
use formula_app::accounts::actor_for;
use formula_app::context::Caller;
use formula_app::error::AppError;
use formula_app::locations::{NewLocation, NewRoomType};
use formula_app::repos::prelude::*;
use formula_app::scope::NewScopeItem;
use formula_app::signoff::SignOffInput;
use formula_app::snags::NewSnag;
use formula_domain::location::LocationKind;
use formula_domain::scope::Quantity;
use formula_store::Backend;
use uuid::Uuid;

use crate::fixtures as f;
use crate::support::TestDb;
use crate::world::{World, world};

fn caller(w: &World) -> Caller {
    Caller {
        actor: actor_for(&w.pm),
        ctx: RequestCtx::default(),
    }
}

fn place(
    kind: LocationKind,
    parent: Option<Uuid>,
    code: &str,
    room_type: Option<Uuid>,
) -> NewLocation {
    NewLocation {
        kind,
        parent_id: parent,
        code: code.into(),
        name: format!("Place {code}"),
        room_type_id: room_type,
    }
}

fn snag(room: Uuid, title: &str) -> NewSnag {
    NewSnag {
        room_id: room,
        scope_item_id: None,
        title: title.into(),
        description: None,
        category: None,
        responsible_user_id: None,
        responsible_trade: None,
        due_on: None,
        client_visible: None,
    }
}

/// Records `milli` thousandths of `item` installed in `room`, as the installation use case
/// would (a row of the ledger), from outside the store.
async fn install(t: &TestDb, project: Uuid, item: Uuid, room: Uuid, milli: i64) {
    let (id, date, ts): (Box<dyn Fn(Uuid) -> String>, &str, &str) = match t.backend() {
        Backend::Sqlite => (
            Box::new(|u: Uuid| format!("X'{}'", u.simple())),
            "'2026-01-01'",
            "'2026-01-01T12:00:00.000000Z'",
        ),
        Backend::Postgres => (
            Box::new(|u: Uuid| format!("'{u}'::uuid")),
            "'2026-01-01'::date",
            "'2026-01-01T12:00:00Z'::timestamptz",
        ),
    };
    t.outside(&format!(
        "INSERT INTO installations (id, project_id, scope_item_id, room_id, quantity_milli, \
         installed_on, recorded_at) VALUES ({}, {}, {}, {}, {milli}, {date}, {ts})",
        id(Uuid::now_v7()),
        id(project),
        id(item),
        id(room)
    ))
    .await;
}

fn not_ready(err: AppError) -> String {
    match err {
        AppError::Conflict {
            code: "not_ready",
            message,
            ..
        } => message,
        other => panic!("expected not_ready, got {other:?}"),
    }
}

pub async fn a_room_is_signed_off_once_everything_is_installed(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let p = w.p1.id;
    let b = s
        .create_location(&c, p, place(LocationKind::Building, None, "T1", None))
        .await
        .unwrap();
    let l = s
        .create_location(
            &c,
            p,
            place(LocationKind::Level, Some(b.id), "T1-L01", None),
        )
        .await
        .unwrap();
    let king = s
        .create_room_type(
            &c,
            p,
            NewRoomType {
                code: "KING".into(),
                name: "King room".into(),
                description: None,
            },
        )
        .await
        .unwrap();
    let r1 = s
        .create_location(
            &c,
            p,
            place(LocationKind::Room, Some(l.id), "R1", Some(king.id)),
        )
        .await
        .unwrap();
    s.create_location(
        &c,
        p,
        place(LocationKind::Room, Some(l.id), "R2", Some(king.id)),
    )
    .await
    .unwrap();
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    let desk = s
        .create_scope_item(
            &c,
            p,
            NewScopeItem {
                group_id: group.id,
                code: Some("DS-01".into()),
                name: "Desk".into(),
                room_id: Some(r1.id),
                quantity: Some(Quantity::units(2)),
                ..NewScopeItem::default()
            },
        )
        .await
        .unwrap();
    let wardrobe = s
        .create_scope_item(
            &c,
            p,
            NewScopeItem {
                group_id: group.id,
                code: Some("WR-01".into()),
                name: "Wardrobe".into(),
                room_type_id: Some(king.id),
                quantity_per_room: Some(Quantity::parse("1.5").unwrap()),
                ..NewScopeItem::default()
            },
        )
        .await
        .unwrap();

    let state = s.signoff_state(&c, r1.id).await.unwrap();
    assert_eq!(
        state.summary,
        "2 items not installed: DS-01 (0 of 2), WR-01 (0 of 1.5)"
    );
    // Installed in another room counts nothing here; one desk of two is not enough.
    install(t, p, desk.id, r1.id, 1000).await;
    install(t, p, wardrobe.id, r1.id, 1500).await;
    let message = not_ready(
        s.sign_off_room(&c, r1.id, SignOffInput::default())
            .await
            .unwrap_err(),
    );
    assert!(
        message.ends_with("1 item not installed: DS-01 (1 of 2)"),
        "{message}"
    );
    install(t, p, desk.id, r1.id, 1000).await;
    let signed = s
        .sign_off_room(
            &c,
            r1.id,
            SignOffInput {
                client_name: Some("Ms Alpha".into()),
                note: None,
            },
        )
        .await
        .unwrap();
    let current = signed.signed_off.unwrap();
    assert_eq!(current.client_name.as_deref(), Some("Ms Alpha"));
    assert!(signed.ready);

    // A snag raised later reopens the sign-off; the row stays, saying why.
    let raised = s
        .raise_snag(&c, p, snag(r1.id, "Chipped edge"))
        .await
        .unwrap();
    assert_eq!(raised.code, "SN-001");
    assert!(t.current_signoff(r1.id).await.unwrap().is_none());
    assert_eq!(
        t.outside("SELECT COUNT(*) FROM room_signoffs WHERE reopened_by_snag_id IS NOT NULL")
            .await,
        1
    );
    let message = not_ready(
        s.sign_off_room(&c, r1.id, SignOffInput::default())
            .await
            .unwrap_err(),
    );
    assert!(message.ends_with("1 open snag: SN-001"), "{message}");

    // Snags raised at the same moment get distinct numbers.
    let (a, b2, c3) = tokio::join!(
        s.raise_snag(&c, p, snag(r1.id, "One")),
        s.raise_snag(&c, p, snag(r1.id, "Two")),
        s.raise_snag(&c, p, snag(r1.id, "Three")),
    );
    let mut numbers = vec![a.unwrap().number, b2.unwrap().number, c3.unwrap().number];
    numbers.sort_unstable();
    assert_eq!(numbers, [2, 3, 4]);
}

both_backends! {
    a_room_is_signed_off_once_everything_is_installed,
}
