//! Locations and room types: the tree, code uniqueness, pattern creation (all or nothing),
//! room-type items counted over every room of their type in every total, refusal to delete
//! what is in use, and free-text locations carried over by migration 0021.

use formula_app::RequestCtx;
use formula_app::accounts::actor_for;
use formula_app::context::Caller;
use formula_app::error::AppError;
use formula_app::locations::{LocationPatch, NewLocation, NewRoomType};
use formula_app::query::ScopeQuery;
use formula_app::repos::prelude::*;
use formula_app::scope::{NewScopeItem, ScopeItemPatch};
use formula_domain::location::{LocationKind, RoomPattern};
use formula_domain::scope::Quantity;
use formula_store::Backend;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_duplicate};
use crate::support::TestDb;
use crate::world::{World, world};

fn caller(w: &World) -> Caller {
    Caller {
        actor: actor_for(&w.pm),
        ctx: RequestCtx::default(),
    }
}

fn new_location(kind: LocationKind, parent: Option<Uuid>, code: &str) -> NewLocation {
    NewLocation {
        kind,
        parent_id: parent,
        code: code.into(),
        name: format!("Place {code}"),
        room_type_id: None,
    }
}

fn pattern(building: Uuid, levels: (u32, u32), rooms: (u32, u32)) -> RoomPattern {
    RoomPattern {
        building_id: building,
        levels_from: levels.0,
        levels_to: levels.1,
        rooms_from: rooms.0,
        rooms_to: rooms.1,
        level_code: None,
        level_name: None,
        room_code: None,
        room_name: None,
        room_type_id: None,
    }
}

fn has_dependents(err: AppError, mentions: &str) {
    match err {
        AppError::Conflict {
            code: "has_dependents",
            message,
            ..
        } => assert!(message.contains(mentions), "{message}"),
        other => panic!("expected has_dependents, got {other:?}"),
    }
}

pub async fn the_tree_keeps_codes_unique_and_refuses_deleting_what_is_in_use(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let b = s
        .create_location(
            &c,
            w.p1.id,
            new_location(LocationKind::Building, None, "T1"),
        )
        .await
        .unwrap();
    assert_eq!(b.building_id, Some(b.id));
    let l1 = s
        .create_location(
            &c,
            w.p1.id,
            new_location(LocationKind::Level, Some(b.id), "T1-L01"),
        )
        .await
        .unwrap();
    let z = s
        .create_location(
            &c,
            w.p1.id,
            new_location(LocationKind::Zone, Some(l1.id), "T1-L01-E"),
        )
        .await
        .unwrap();
    let room = s
        .create_location(
            &c,
            w.p1.id,
            new_location(LocationKind::Room, Some(z.id), "T1-L01-0101"),
        )
        .await
        .unwrap();
    assert_eq!((room.building_id, room.level_id), (Some(b.id), Some(l1.id)));
    // A room does not sit in a building; a level needs its building.
    let err = s
        .create_location(
            &c,
            w.p1.id,
            new_location(LocationKind::Room, Some(b.id), "X1"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Validation(ref e) if e.get("parent_id").is_some()),
        "{err:?}"
    );
    let err = s
        .create_location(&c, w.p1.id, new_location(LocationKind::Level, None, "X2"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Validation(ref e) if e.get("parent_id").is_some()),
        "{err:?}"
    );
    // Codes are unique in the project whatever the case; another project may reuse them.
    let err = s
        .create_location(
            &c,
            w.p1.id,
            new_location(LocationKind::Level, Some(b.id), "t1-l01-0101"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Validation(ref e) if e.get("code").is_some()),
        "{err:?}"
    );
    let mut dup = room.clone();
    dup.id = Uuid::now_v7();
    dup.code = "T1-l01-0101".into();
    assert_duplicate(t.insert_locations(&[dup], &[]).await.unwrap_err(), "code");
    s.create_location(
        &c,
        w.p2.id,
        new_location(LocationKind::Building, None, "T1"),
    )
    .await
    .unwrap();

    // In use: a level holding a zone, a room holding an item.
    let err = s.delete_location(&c, l1.id, l1.version).await.unwrap_err();
    has_dependents(err, "T1-L01-E");
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    let item = s
        .create_scope_item(
            &c,
            w.p1.id,
            NewScopeItem {
                group_id: group.id,
                name: "Vanity".into(),
                room_id: Some(room.id),
                ..NewScopeItem::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(item.placement.room_code.as_deref(), Some("T1-L01-0101"));
    let err = s
        .delete_location(&c, room.id, room.version)
        .await
        .unwrap_err();
    has_dependents(err, &item.code);
    // A level is not a room to place an item in.
    let err = s
        .update_scope_item(
            &c,
            item.id,
            item.version,
            ScopeItemPatch {
                room_id: Some(Some(l1.id)),
                ..ScopeItemPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Validation(ref e) if e.get("room_id").is_some()),
        "{err:?}"
    );
    // Out of the room, it goes; then its parents, leaf first.
    s.delete_scope_item(&c, item.id, item.version)
        .await
        .unwrap();
    s.delete_location(&c, room.id, room.version).await.unwrap();
    s.delete_location(&c, z.id, z.version).await.unwrap();
    let left: Vec<String> = t
        .list_locations(w.p1.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.code)
        .collect();
    assert_eq!(left, ["T1", "T1-L01"]);
}

pub async fn room_type_items_count_every_room_in_every_total(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let b = s
        .create_location(
            &c,
            w.p1.id,
            new_location(LocationKind::Building, None, "T1"),
        )
        .await
        .unwrap();
    let king = s
        .create_room_type(
            &c,
            w.p1.id,
            NewRoomType {
                code: "KING".into(),
                name: "King guest room".into(),
                description: None,
            },
        )
        .await
        .unwrap();
    let mut p = pattern(b.id, (1, 2), (1, 10));
    p.room_type_id = Some(king.id);
    let made = s.create_from_pattern(&c, w.p1.id, &p).await.unwrap();
    assert_eq!((made.levels, made.rooms), (2, 20));
    assert_eq!(
        t.get_room_type(king.id).await.unwrap().unwrap().room_count,
        20
    );

    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    // 1.5 wardrobes per King room at 1,000.00 each: 30 wardrobes, 30,000.00.
    let item = s
        .create_scope_item(
            &c,
            w.p1.id,
            NewScopeItem {
                group_id: group.id,
                name: "Wardrobe".into(),
                room_type_id: Some(king.id),
                quantity_per_room: Some(Quantity::parse("1.5").unwrap()),
                quantity: Some(Quantity::units(7)),
                unit_price_minor: Some(100_000),
                progress: Some(50),
                ..NewScopeItem::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(item.quantity, Quantity::units(30));
    assert_eq!(item.total_minor, Some(3_000_000));
    assert_eq!(item.placement.room_count, Some(20));
    let single = s
        .create_scope_item(
            &c,
            w.p1.id,
            NewScopeItem {
                group_id: group.id,
                name: "Lobby desk".into(),
                quantity: Some(Quantity::units(1)),
                unit_price_minor: Some(1_000_000),
                ..NewScopeItem::default()
            },
        )
        .await
        .unwrap();
    let (_, _, overview) = s.scope_overview(&c, w.p1.id).await.unwrap();
    assert_eq!(overview.totals.total_minor, 4_000_000);

    // A room added to the type (one by one) adds its 1.5 wardrobes everywhere, at once.
    let level = t
        .list_locations(w.p1.id)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.code == "T1-L01")
        .unwrap();
    let mut extra = new_location(LocationKind::Room, Some(level.id), "T1-L01-0111");
    extra.room_type_id = Some(king.id);
    let extra = s.create_location(&c, w.p1.id, extra).await.unwrap();
    let now = t.get_scope_item(item.id).await.unwrap().unwrap();
    assert_eq!(now.quantity.to_string(), "31.5");
    assert_eq!(now.total_minor, Some(3_150_000));
    let (_, _, overview) = s.scope_overview(&c, w.p1.id).await.unwrap();
    assert_eq!(overview.totals.total_minor, 4_150_000);
    // The project's progress (weighted by line totals) sees it too. The wardrobes are placed
    // on a room type, so they count by the site steps (docs/site.md): not released, nothing
    // installed, their own 50 % is half of the 10 % "drawings and approvals" share, 5 %:
    // (3,150,000 × 5 + 1,000,000 × 0) / 4,150,000 = 3.8 → 4.
    let project = t.get_project(w.p1.id).await.unwrap().unwrap();
    assert_eq!(project.progress, Some(4));

    // Taking the room off the type, then deleting a room of the type, count down again.
    let extra = s
        .update_location(
            &c,
            extra.id,
            extra.version,
            LocationPatch {
                room_type_id: Some(None),
                ..LocationPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        t.get_scope_item(item.id).await.unwrap().unwrap().quantity,
        Quantity::units(30)
    );
    let some_king_room = t
        .list_locations(w.p1.id)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.room_type_id == Some(king.id))
        .unwrap();
    s.delete_location(&c, some_king_room.id, some_king_room.version)
        .await
        .unwrap();
    let now = t.get_scope_item(item.id).await.unwrap().unwrap();
    assert_eq!(now.quantity.to_string(), "28.5");
    assert_eq!(now.total_minor, Some(2_850_000));
    s.delete_location(&c, extra.id, extra.version)
        .await
        .unwrap();

    // Filters: the type, a level with rooms of the type, a room of it; the single item is
    // placed nowhere, so only the unfiltered list has it.
    let find = |q: ScopeQuery| async move {
        t.list_scope_items(&q)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|i| i.name)
            .collect::<Vec<_>>()
    };
    let all = ScopeQuery::all(w.p1.id);
    assert_eq!(find(all.clone()).await.len(), 2);
    let by_type = ScopeQuery {
        room_type_id: Some(king.id),
        ..all.clone()
    };
    assert_eq!(find(by_type).await, ["Wardrobe"]);
    let by_level = ScopeQuery {
        level_id: Some(level.id),
        ..all.clone()
    };
    assert_eq!(find(by_level).await, ["Wardrobe"]);
    let by_building = ScopeQuery {
        building_id: Some(b.id),
        ..all.clone()
    };
    assert_eq!(find(by_building).await, ["Wardrobe"]);
    let _ = single;

    // A type in use is not deleted, and says by what.
    let king = t.get_room_type(king.id).await.unwrap().unwrap();
    let err = s
        .delete_room_type(&c, king.id, king.version)
        .await
        .unwrap_err();
    has_dependents(err, &item.code);
}

pub async fn patterns_are_previewed_and_created_all_or_nothing(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let b = s
        .create_location(
            &c,
            w.p1.id,
            new_location(LocationKind::Building, None, "T1"),
        )
        .await
        .unwrap();
    let l2 = s
        .create_location(
            &c,
            w.p1.id,
            new_location(LocationKind::Level, Some(b.id), "T1-L02"),
        )
        .await
        .unwrap();
    s.create_location(
        &c,
        w.p1.id,
        new_location(LocationKind::Room, Some(l2.id), "T1-L02-0205"),
    )
    .await
    .unwrap();
    let p = pattern(b.id, (1, 3), (1, 24));
    let preview = s.preview_room_pattern(&c, w.p1.id, &p).await.unwrap();
    assert_eq!(preview.levels.len(), 3);
    assert!(preview.levels[1].existing, "T1-L02 is reused");
    assert_eq!(preview.clashes, ["T1-L02-0205"]);
    assert_eq!((preview.new_levels, preview.new_rooms), (2, 71));
    let before = t.list_locations(w.p1.id).await.unwrap().len();
    match s.create_from_pattern(&c, w.p1.id, &p).await.unwrap_err() {
        AppError::Conflict {
            code: "duplicate",
            message,
            ..
        } => assert!(message.contains("T1-L02-0205"), "{message}"),
        other => panic!("expected a clash, got {other:?}"),
    }
    assert_eq!(t.list_locations(w.p1.id).await.unwrap().len(), before);

    // Rooms 01–04 clash with nothing: levels 1 and 3 are added, level 2 reused.
    let p = pattern(b.id, (1, 3), (1, 4));
    let made = s.create_from_pattern(&c, w.p1.id, &p).await.unwrap();
    assert_eq!((made.levels, made.rooms), (2, 12));
    let all = t.list_locations(w.p1.id).await.unwrap();
    assert_eq!(all.len(), before + 14);
    let room = all.iter().find(|l| l.code == "T1-L03-0304").unwrap();
    let level3 = all.iter().find(|l| l.code == "T1-L03").unwrap();
    assert_eq!(room.level_id, Some(level3.id));
    assert_eq!(room.name, "Room 304");
    // A template that gives every room the same code is refused before anything is read.
    let mut bad = pattern(b.id, (5, 5), (1, 3));
    bad.room_code = Some("{building}-X".into());
    assert!(matches!(
        s.preview_room_pattern(&c, w.p1.id, &bad).await.unwrap_err(),
        AppError::Validation(_)
    ));
}

/// Free-text locations are listed until mapped; mapping places every unplaced item with
/// that text in one step and keeps the text.
pub async fn free_text_locations_are_mapped_in_one_step(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let b = s
        .create_location(
            &c,
            w.p1.id,
            new_location(LocationKind::Building, None, "T1"),
        )
        .await
        .unwrap();
    let king = s
        .create_room_type(
            &c,
            w.p1.id,
            NewRoomType {
                code: "KING".into(),
                name: "King".into(),
                description: None,
            },
        )
        .await
        .unwrap();
    let mut p = pattern(b.id, (1, 1), (1, 5));
    p.room_type_id = Some(king.id);
    s.create_from_pattern(&c, w.p1.id, &p).await.unwrap();
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    for (name, text, qty) in [
        ("A", "King rooms", 2),
        ("B", "King rooms", 1),
        ("C", "Lobby", 1),
    ] {
        s.create_scope_item(
            &c,
            w.p1.id,
            NewScopeItem {
                group_id: group.id,
                name: name.into(),
                location: Some(text.into()),
                quantity: Some(Quantity::units(qty)),
                unit_price_minor: Some(100),
                ..NewScopeItem::default()
            },
        )
        .await
        .unwrap();
    }
    let listed = s.unmapped_locations(&c, w.p1.id).await.unwrap();
    assert_eq!(
        listed,
        [("King rooms".to_owned(), 2), ("Lobby".to_owned(), 1)]
    );
    let n = s
        .map_free_text(&c, w.p1.id, "King rooms", None, Some(king.id))
        .await
        .unwrap();
    assert_eq!(n, 2);
    let items = t
        .list_scope_items(&ScopeQuery::all(w.p1.id))
        .await
        .unwrap()
        .items;
    let a = items.iter().find(|i| i.name == "A").unwrap();
    assert_eq!(a.placement.quantity_per_room, Some(Quantity::units(2)));
    assert_eq!(a.quantity, Quantity::units(10));
    assert_eq!(a.total_minor, Some(1000));
    assert_eq!(a.location.as_deref(), Some("King rooms"));
    assert_eq!(
        s.unmapped_locations(&c, w.p1.id).await.unwrap(),
        [("Lobby".to_owned(), 1)]
    );
    // A room of another project, or nothing, is refused.
    assert!(matches!(
        s.map_free_text(&c, w.p1.id, "Lobby", None, None)
            .await
            .unwrap_err(),
        AppError::Validation(_)
    ));
}

/// Free-text locations written before migration 0021 are there, unchanged, after it, and
/// the items carry no placement until someone maps them.
async fn free_text_locations_survive_migration_0021(t: TestDb) {
    let w = world(&t).await;
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    let hex = |id: Uuid| id.simple().to_string();
    let (id, project, grp) = (Uuid::now_v7(), w.p1.id, group.id);
    let (uuid_lit, ts): (Box<dyn Fn(Uuid) -> String>, &str) = match t.backend() {
        Backend::Sqlite => (
            Box::new(move |u| format!("X'{}'", hex(u))),
            "'2026-01-01T12:00:00.000000Z'",
        ),
        Backend::Postgres => (
            Box::new(|u| format!("'{u}'::uuid")),
            "'2026-01-01T12:00:00Z'::timestamptz",
        ),
    };
    t.outside(&format!(
        "INSERT INTO scope_items (id, project_id, group_id, code, name, location, quantity_milli, unit, \
         unit_price_minor, total_minor, status, progress, drawing_required, spec_required, position, \
         created_at, updated_at, version) VALUES ({}, {}, {}, 'WSC-M-001', 'Vanity', \
         'Room 1204 (north wing)', 2000, 'pcs', 50000, 100000, 'not_started', 0, 1, 1, 0, {ts}, {ts}, 1)",
        uuid_lit(id),
        uuid_lit(project),
        uuid_lit(grp)
    ))
    .await;
    t.migrate().await.unwrap();
    let item = t.get_scope_item(id).await.unwrap().unwrap();
    assert_eq!(item.location.as_deref(), Some("Room 1204 (north wing)"));
    assert_eq!(item.placement, Default::default());
    assert_eq!(
        (item.quantity, item.total_minor),
        (Quantity::units(2), Some(100_000))
    );
    t.finish().await;
}

mod migration {
    #[tokio::test]
    async fn sqlite_free_text_locations_survive_migration_0021() {
        super::free_text_locations_survive_migration_0021(
            crate::support::sqlite_until(Some(20)).await,
        )
        .await;
    }

    #[tokio::test]
    async fn postgres_free_text_locations_survive_migration_0021() {
        super::free_text_locations_survive_migration_0021(
            crate::support::postgres_until(Some(20)).await,
        )
        .await;
    }
}

both_backends! {
    the_tree_keeps_codes_unique_and_refuses_deleting_what_is_in_use,
    room_type_items_count_every_room_in_every_total,
    patterns_are_previewed_and_created_all_or_nothing,
    free_text_locations_are_mapped_in_one_step,
}
