//! The installation ledger: balances derived from the records, the limits of a room (its own
//! items, its type's items per room), reversal once, the sums readers use, refusal to delete
//! what is installed — and the race: installers taking the last units of one item in one
//! room at the same moment, where exactly as many succeed as there are units, every round.

use std::sync::Arc;

use formula_app::RequestCtx;
use formula_app::accounts::actor_for;
use formula_app::context::Caller;
use formula_app::error::AppError;
use formula_app::locations::{NewLocation, NewRoomType};
use formula_app::repos::prelude::*;
use formula_app::scope::NewScopeItem;
use formula_domain::audit::AuditEntry;
use formula_domain::installation::NewInstallation;
use formula_domain::location::{Location, LocationKind};
use formula_domain::scope::{Quantity, ScopeItem};
use formula_store::Db;
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

fn place(kind: LocationKind, parent: Option<Uuid>, code: &str, t: Option<Uuid>) -> NewLocation {
    NewLocation {
        kind,
        parent_id: parent,
        code: code.into(),
        name: format!("Place {code}"),
        room_type_id: t,
    }
}

struct Site {
    c: Caller,
    w: World,
    group: Uuid,
    rooms: Vec<Location>,
    king: Uuid,
}

/// A building with one level of three rooms, the first two of type KING.
async fn site(t: &TestDb) -> Site {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let b = s
        .create_location(&c, w.p1.id, place(LocationKind::Building, None, "T1", None))
        .await
        .unwrap();
    let l = s
        .create_location(
            &c,
            w.p1.id,
            place(LocationKind::Level, Some(b.id), "T1-L01", None),
        )
        .await
        .unwrap();
    let king = s
        .create_room_type(
            &c,
            w.p1.id,
            NewRoomType {
                code: "KING".into(),
                name: "King room".into(),
                description: None,
            },
        )
        .await
        .unwrap();
    let mut rooms = Vec::new();
    for (code, t) in [
        ("T1-L01-0101", Some(king.id)),
        ("T1-L01-0102", Some(king.id)),
        ("T1-L01-0103", None),
    ] {
        rooms.push(
            s.create_location(&c, w.p1.id, place(LocationKind::Room, Some(l.id), code, t))
                .await
                .unwrap(),
        );
    }
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    Site {
        c,
        w,
        group: group.id,
        rooms,
        king: king.id,
    }
}

impl Site {
    /// A released item: `quantity` in `room`, or `quantity` per room of the KING type.
    async fn item(&self, t: &TestDb, name: &str, room: Option<Uuid>, quantity: i64) -> ScopeItem {
        let s = t.services();
        let (room_id, room_type_id, per_room, q) = match room {
            Some(r) => (Some(r), None, None, Some(Quantity::units(quantity))),
            None => (None, Some(self.king), Some(Quantity::units(quantity)), None),
        };
        let item = s
            .create_scope_item(
                &self.c,
                self.w.p1.id,
                NewScopeItem {
                    group_id: self.group,
                    name: name.into(),
                    room_id,
                    room_type_id,
                    quantity_per_room: per_room,
                    quantity: q,
                    ..NewScopeItem::default()
                },
            )
            .await
            .unwrap();
        let entry = f::audit(Some(&self.w.pm), "release", "scope_item", item.id, "x");
        let item = t
            .release_scope_item(item.id, item.version, None, &entry)
            .await
            .unwrap();
        // All of it delivered to site: what may be installed is what was received.
        crate::deliveries::deliver_all(t, &self.c, self.w.p1.id, &item).await;
        item
    }

    fn movement(&self, item: &ScopeItem, room: &Location, units: i64) -> NewInstallation {
        NewInstallation {
            id: Uuid::now_v7(),
            project_id: self.w.p1.id,
            scope_item_id: item.id,
            room_id: room.id,
            quantity: Quantity::units(units),
            installed_on: f::today(),
            installer: Some("Ivo Installer".into()),
            note: None,
            reverses_id: None,
            recorded_by: Some(self.w.pm.id),
            recorded_at: f::now(),
        }
    }

    fn entry(&self, n: &NewInstallation) -> AuditEntry {
        f::audit(
            Some(&self.w.pm),
            "install",
            "installation",
            n.id,
            "installation",
        )
        .in_project(self.w.p1.id)
    }
}

fn conflict(err: AppError) -> &'static str {
    match err {
        AppError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn installed(db: &Db, item: Uuid, room: Uuid) -> Quantity {
    db.room_items(room)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.scope_item_id == item)
        .map_or(Quantity(0), |r| r.installed)
}

pub async fn the_ledger_keeps_balances_between_zero_and_what_a_room_holds(t: &TestDb) {
    let site = site(t).await;
    let (r1, r2, r3) = (&site.rooms[0], &site.rooms[1], &site.rooms[2]);
    let desk = site.item(t, "Desk", Some(r3.id), 3).await;
    let wardrobe = site.item(t, "Wardrobe", None, 2).await;
    assert_eq!(wardrobe.quantity, Quantity::units(4), "2 per KING room × 2");

    // A room item: up to its quantity in its room, nowhere else.
    let first = site.movement(&desk, r3, 2);
    let moved = t
        .record_movement(&first, &site.entry(&first))
        .await
        .unwrap();
    assert_eq!(
        (moved.installed, moved.limit),
        (Quantity::units(2), Quantity::units(3))
    );
    let too_many = site.movement(&desk, r3, 2);
    let err = t
        .record_movement(&too_many, &site.entry(&too_many))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict { code: "not_enough_left", message, .. }
            if message == "only 1 of 3 left to install in T1-L01-0103"),
        "{err:?}"
    );
    let elsewhere = site.movement(&desk, r1, 1);
    assert_eq!(
        conflict(
            t.record_movement(&elsewhere, &site.entry(&elsewhere))
                .await
                .unwrap_err()
        ),
        "not_in_room"
    );

    // A room-type item: its quantity per room in each room of the type.
    for room in [r1, r2] {
        let n = site.movement(&wardrobe, room, 2);
        t.record_movement(&n, &site.entry(&n)).await.unwrap();
    }
    let n = site.movement(&wardrobe, r1, 1);
    assert_eq!(
        conflict(t.record_movement(&n, &site.entry(&n)).await.unwrap_err()),
        "not_enough_left"
    );
    let n = site.movement(&wardrobe, r3, 1);
    assert_eq!(
        conflict(t.record_movement(&n, &site.entry(&n)).await.unwrap_err()),
        "not_in_room"
    );

    // An item not released yet is not installed.
    let s = t.services();
    let draft = s
        .create_scope_item(
            &site.c,
            site.w.p1.id,
            NewScopeItem {
                group_id: site.group,
                name: "Shelf".into(),
                room_id: Some(r3.id),
                quantity: Some(Quantity::units(1)),
                ..NewScopeItem::default()
            },
        )
        .await
        .unwrap();
    let n = site.movement(&draft, r3, 1);
    assert_eq!(
        conflict(t.record_movement(&n, &site.entry(&n)).await.unwrap_err()),
        "not_released"
    );

    // A reversal takes back the whole record, once.
    let mut back = site.movement(&desk, r3, -2);
    back.reverses_id = Some(first.id);
    t.record_movement(&back, &site.entry(&back)).await.unwrap();
    assert_eq!(installed(t, desk.id, r3.id).await, Quantity(0));
    let mut again = site.movement(&desk, r3, -2);
    again.reverses_id = Some(first.id);
    assert_eq!(
        conflict(
            t.record_movement(&again, &site.entry(&again))
                .await
                .unwrap_err()
        ),
        "already_reversed"
    );
    let got = t.get_installation(first.id).await.unwrap().unwrap();
    assert_eq!(got.reversed_by_id, Some(back.id));
    assert_eq!(got.room_code, "T1-L01-0103");
    let reversal = t.get_installation(back.id).await.unwrap().unwrap();
    assert_eq!(reversal.quantity.to_string(), "-2");
    // Taking back more than is installed is refused.
    let below = site.movement(&desk, r3, -1);
    assert_eq!(
        conflict(
            t.record_movement(&below, &site.entry(&below))
                .await
                .unwrap_err()
        ),
        "not_installed"
    );

    // The sums readers use, and the lists.
    let mut sums = t.installed_in_project(site.w.p1.id).await.unwrap();
    sums.sort_by_key(|s| s.room_id);
    assert_eq!(sums.len(), 2, "the desk is back to nothing: {sums:?}");
    assert!(sums.iter().all(|s| s.installed == Quantity::units(2)));
    let page = t
        .list_installations(&formula_app::repos::InstallationQuery {
            project_id: site.w.p1.id,
            room_id: Some(r3.id),
            paging: f::paging(50, 1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].id, back.id, "newest first");
    let sheet = t.room_items(r1.id).await.unwrap();
    assert_eq!(sheet.len(), 1);
    assert_eq!(sheet[0].installed, Quantity::units(2));
    assert_eq!(t.open_snags_in_room(r1.id).await.unwrap(), 0);

    // No change leaves a room holding less than is installed in it: not the quantity per
    // room, not the item moved elsewhere, not the room given another type.
    let installed_exceeds = |err: AppError, room: &str| match err {
        AppError::Conflict {
            code: "installed_exceeds",
            message,
            ..
        } => assert!(
            message.contains(&format!("{room} has 2 of {} installed", wardrobe.code)),
            "{message}"
        ),
        other => panic!("expected installed_exceeds, got {other:?}"),
    };
    let wardrobe = s.get_scope_item(&site.c, wardrobe.id).await.unwrap().0;
    let err = s
        .update_scope_item(
            &site.c,
            wardrobe.id,
            wardrobe.version,
            formula_app::scope::ScopeItemPatch {
                quantity_per_room: Some(Quantity::units(1)),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    installed_exceeds(err, "T1-L01-0101");
    let err = s
        .update_scope_item(
            &site.c,
            wardrobe.id,
            wardrobe.version,
            formula_app::scope::ScopeItemPatch {
                room_type_id: Some(None),
                room_id: Some(Some(r3.id)),
                quantity: Some(Quantity::units(9)),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    installed_exceeds(err, "T1-L01-0101");
    let err = s
        .update_location(
            &site.c,
            r2.id,
            r2.version,
            formula_app::locations::LocationPatch {
                room_type_id: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    installed_exceeds(err, "T1-L01-0102");
    // More per room is fine.
    s.update_scope_item(
        &site.c,
        wardrobe.id,
        wardrobe.version,
        formula_app::scope::ScopeItemPatch {
            quantity_per_room: Some(Quantity::units(3)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let wardrobe = s.get_scope_item(&site.c, wardrobe.id).await.unwrap().0;

    // What is installed is not deleted: neither the item nor the room.
    let err = s
        .delete_scope_item(&site.c, wardrobe.id, wardrobe.version)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict { code: "has_dependents", message, .. }
            if message.contains("T1-L01-0101")),
        "{err:?}"
    );
    let err = s
        .delete_location(&site.c, r1.id, r1.version)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict { code: "has_dependents", message, .. }
            if message.contains(&wardrobe.code) && message.contains("installation")),
        "{err:?}"
    );
}

/// Several installers at once, many rounds: each round a new item holds 3 in the room with 2
/// installed; six tasks try to install the last one at the same moment. Exactly one
/// succeeds and the balance ends at 3. Then six tasks reverse the same record at once:
/// exactly one succeeds.
pub async fn concurrent_installers_never_exceed_the_room(t: &TestDb) {
    const ROUNDS: usize = 12;
    const INSTALLERS: usize = 6;
    let site = Arc::new(site(t).await);
    let room = site.rooms[2].clone();
    for round in 0..ROUNDS {
        let item = site
            .item(t, &format!("Unit {round}"), Some(room.id), 3)
            .await;
        let n = site.movement(&item, &room, 2);
        t.record_movement(&n, &site.entry(&n)).await.unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(INSTALLERS));
        let mut tasks = Vec::new();
        for _ in 0..INSTALLERS {
            let (db, site, start, item, room) = (
                t.db.clone(),
                site.clone(),
                start.clone(),
                item.clone(),
                room.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let n = site.movement(&item, &room, 1);
                start.wait().await;
                db.record_movement(&n, &site.entry(&n)).await.map(|_| n.id)
            }));
        }
        let mut won = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(id) => won.push(id),
                Err(e) => assert_eq!(conflict(e), "not_enough_left", "round {round}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: exactly one installer wins");
        assert_eq!(
            installed(t, item.id, room.id).await,
            Quantity::units(3),
            "round {round}"
        );

        // Reversing the winner's record at once from six places: once.
        let start = Arc::new(tokio::sync::Barrier::new(INSTALLERS));
        let mut tasks = Vec::new();
        for _ in 0..INSTALLERS {
            let (db, site, start, item, room, target) = (
                t.db.clone(),
                site.clone(),
                start.clone(),
                item.clone(),
                room.clone(),
                won[0],
            );
            tasks.push(tokio::spawn(async move {
                let mut n = site.movement(&item, &room, -1);
                n.reverses_id = Some(target);
                start.wait().await;
                db.record_movement(&n, &site.entry(&n)).await
            }));
        }
        let mut reversed = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => reversed += 1,
                Err(e) => assert_eq!(conflict(e), "already_reversed", "round {round}"),
            }
        }
        assert_eq!(reversed, 1, "round {round}: reversed once");
        assert_eq!(
            installed(t, item.id, room.id).await,
            Quantity::units(2),
            "round {round}"
        );
    }
}

/// A room completed by an installation tells its managers and coordinators, unless a snag
/// is open in it.
pub async fn a_completed_room_without_open_snags_is_ready_for_sign_off(t: &TestDb) {
    use formula_app::installations::InstallationInput;
    use formula_domain::project::ProjectRole;
    use formula_domain::user::Role;
    let site = site(t).await;
    let (r1, r2) = (&site.rooms[0], &site.rooms[1]);
    let p = site.w.p1.id;
    let coordinator =
        crate::world::add_user(t, "co@example.com", "Cora Coordinator", Role::Coordinator).await;
    let craftsman =
        crate::world::add_user(t, "cr@example.com", "Carl Craftsman", Role::Craftsman).await;
    for (u, role) in [
        (&site.w.pm, ProjectRole::ProjectManager),
        (&coordinator, ProjectRole::Coordinator),
        (&craftsman, ProjectRole::Craftsman),
    ] {
        t.upsert_member(
            p,
            u.id,
            role,
            &f::audit(Some(&site.w.pm), "add_member", "project", p, "p1"),
        )
        .await
        .unwrap();
    }
    let bedside = site.item(t, "Bedside", None, 1).await;
    // An open snag in room 0101 (raised outside the store: snags are another module's).
    let (id, room, at) = match t.backend() {
        formula_store::Backend::Sqlite => (
            format!("X'{}'", Uuid::now_v7().simple()),
            format!("X'{}'", r1.id.simple()),
            "'2026-01-01T00:00:00.000000Z'".to_owned(),
        ),
        formula_store::Backend::Postgres => (
            format!("'{}'", Uuid::now_v7()),
            format!("'{}'", r1.id),
            "'2026-01-01T00:00:00Z'".to_owned(),
        ),
    };
    let project = match t.backend() {
        formula_store::Backend::Sqlite => format!("X'{}'", p.simple()),
        formula_store::Backend::Postgres => format!("'{p}'"),
    };
    t.outside(&format!(
        "INSERT INTO snags (id, project_id, number, room_id, title, category, status, \
         client_visible, raised_at, updated_at, version) VALUES ({id}, {project}, 1, {room}, \
         'Scratch on the door', 'finish', 'open', 0, {at}, {at}, 1)"
    ))
    .await;
    assert_eq!(t.open_snags_in_room(r1.id).await.unwrap(), 1);
    let s = t.services();
    let carl = Caller {
        actor: actor_for(&craftsman),
        ctx: RequestCtx::default(),
    };
    let ready = || t.outside("SELECT COUNT(*) FROM notifications WHERE event = 'room_ready'");
    for room in [r1, r2] {
        s.record_installation(
            &carl,
            room.id,
            InstallationInput {
                scope_item_id: bedside.id,
                quantity: Quantity::units(1),
                installed_on: None,
                installer: None,
                note: None,
            },
            None,
            None,
        )
        .await
        .unwrap();
        let sheet = s.room_sheet(&carl, room.id).await.unwrap();
        assert!(sheet.complete, "{}", room.code);
        if room.id == r1.id {
            assert_eq!(sheet.open_snags, 1);
            assert_eq!(ready().await, 0, "a snag is open in {}", room.code);
        }
    }
    assert_eq!(
        ready().await,
        2,
        "the manager and the coordinator, for room 0102"
    );
}

both_backends! {
    the_ledger_keeps_balances_between_zero_and_what_a_room_holds,
    concurrent_installers_never_exceed_the_room,
    a_completed_room_without_open_snags_is_ready_for_sign_off,
}
