//! The room matrix's read model on both databases: cell facts from the installation ledger,
//! snags (open or fixed only; client users count only those visible to them) and current
//! sign-offs; rooms in building → level → room order; filters; site progress folded into the
//! project's progress with the default and custom weights; and, as a CI-sized regression
//! check, a 300-room × 30-item matrix read with the same few store calls as a small one.
//!
//! The installation, snag and sign-off rows are written here with SQL: their use cases are
//! built elsewhere, and the matrix only reads the tables of migration 0026. So are the
//! workshop ledger's and the delivery notes' rows (migration 0040): production and delivery
//! reach the matrix, progress and the workshop's weekly throughput by reading them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use formula_app::RequestCtx;
use formula_app::accounts::actor_for;
use formula_app::context::Caller;
use formula_app::locations::{NewLocation, NewRoomType};
use formula_app::repos::MatrixFilter;
use formula_app::repos::prelude::*;
use formula_app::room_matrix::RoomMatrix;
use formula_app::scope::NewScopeItem;
use formula_domain::location::{Location, LocationKind, RoomPattern};
use formula_domain::room_matrix::{CellState, ProgressWeights};
use formula_domain::scope::Quantity;
use time::OffsetDateTime;
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

/// A UUID as an SQL literal of the backend (a 16-byte blob on SQLite).
fn lit(t: &TestDb, id: Uuid) -> String {
    if t.backend() == formula_store::Backend::Sqlite {
        format!("X'{}'", id.simple())
    } else {
        format!("'{id}'")
    }
}

/// Records `milli` of `item` installed in `room`.
pub async fn install(t: &TestDb, project: Uuid, item: Uuid, room: Uuid, milli: i64) {
    t.outside(&format!(
        "INSERT INTO installations (id, project_id, scope_item_id, room_id, quantity_milli, \
         installed_on, recorded_at) VALUES ({}, {}, {}, {}, {milli}, '2026-12-01', \
         '2026-12-01T08:00:00Z')",
        lit(t, Uuid::now_v7()),
        lit(t, project),
        lit(t, item),
        lit(t, room)
    ))
    .await;
}

/// Raises a snag in `status` on `item` in `room`.
pub async fn snag(
    t: &TestDb,
    project: Uuid,
    number: i64,
    item: Uuid,
    room: Uuid,
    status: &str,
    client_visible: bool,
) {
    t.outside(&format!(
        "INSERT INTO snags (id, project_id, number, room_id, scope_item_id, title, category, \
         status, client_visible, raised_at, updated_at, version) VALUES ({}, {}, {number}, {}, \
         {}, 'Scratch', 'finish', '{status}', {}, '2026-12-01T08:00:00Z', \
         '2026-12-01T08:00:00Z', 1)",
        lit(t, Uuid::now_v7()),
        lit(t, project),
        lit(t, room),
        lit(t, item),
        i32::from(client_visible)
    ))
    .await;
}

/// Signs `room` off; `reopened` makes it a past sign-off that no longer holds.
pub async fn sign_off(t: &TestDb, project: Uuid, room: Uuid, reopened: bool) {
    let reopened = if reopened {
        "'2026-12-02T08:00:00Z'"
    } else {
        "NULL"
    };
    t.outside(&format!(
        "INSERT INTO room_signoffs (id, project_id, room_id, signed_at, reopened_at) \
         VALUES ({}, {}, {}, '2026-12-01T09:00:00Z', {reopened})",
        lit(t, Uuid::now_v7()),
        lit(t, project),
        lit(t, room)
    ))
    .await;
}

async fn release(t: &TestDb, item: Uuid) {
    t.outside(&format!(
        "UPDATE scope_items SET released_at = '2026-11-30T08:00:00Z' WHERE id = {}",
        lit(t, item)
    ))
    .await;
}

/// A building `T1` with `levels` levels of `rooms` rooms each, all of room type `KING`, and
/// a scope group; returns the rooms in code order and the type's id.
async fn hotel(t: &TestDb, w: &World, levels: u32, rooms: u32) -> (Vec<Location>, Uuid, Uuid) {
    let s = t.services();
    let c = caller(w);
    let b = s
        .create_location(
            &c,
            w.p1.id,
            NewLocation {
                kind: LocationKind::Building,
                parent_id: None,
                code: "T1".into(),
                name: "Tower".into(),
                room_type_id: None,
            },
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
    let p = RoomPattern {
        building_id: b.id,
        levels_from: 1,
        levels_to: levels,
        rooms_from: 1,
        rooms_to: rooms,
        level_code: None,
        level_name: None,
        room_code: None,
        room_name: None,
        room_type_id: Some(king.id),
    };
    s.create_from_pattern(&c, w.p1.id, &p).await.unwrap();
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    let mut all: Vec<Location> = t
        .list_locations(w.p1.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.kind == LocationKind::Room)
        .collect();
    all.sort_by(|a, b| a.code.cmp(&b.code));
    (all, king.id, group.id)
}

async fn item(t: &TestDb, w: &World, input: NewScopeItem) -> Uuid {
    t.services()
        .create_scope_item(&caller(w), w.p1.id, input)
        .await
        .unwrap()
        .id
}

fn state_of(m: &RoomMatrix, room: &str, column: Uuid) -> Option<CellState> {
    let col = m.columns.iter().position(|c| c.id == column)?;
    let r = m
        .levels
        .iter()
        .flat_map(|l| &l.rooms)
        .find(|r| r.code == room)?;
    r.cells[col].map(|c| c.state)
}

pub async fn cells_show_installation_snags_and_sign_off(t: &TestDb) {
    let w = world(t).await;
    let (rooms, king, group) = hotel(t, &w, 2, 3).await;
    let code = |i: usize| rooms[i].code.clone();
    let p = w.p1.id;
    // Two wardrobes per King room (released), one desk per King room (not released), and a
    // headboard in the first room only (released).
    let wardrobe = item(
        t,
        &w,
        NewScopeItem {
            group_id: group,
            name: "Wardrobe".into(),
            room_type_id: Some(king),
            quantity_per_room: Some(Quantity::units(2)),
            ..NewScopeItem::default()
        },
    )
    .await;
    let desk = item(
        t,
        &w,
        NewScopeItem {
            group_id: group,
            name: "Desk".into(),
            room_type_id: Some(king),
            quantity_per_room: Some(Quantity::units(1)),
            ..NewScopeItem::default()
        },
    )
    .await;
    let headboard = item(
        t,
        &w,
        NewScopeItem {
            group_id: group,
            name: "Headboard".into(),
            room_id: Some(rooms[0].id),
            quantity: Some(Quantity::units(1)),
            ..NewScopeItem::default()
        },
    )
    .await;
    release(t, wardrobe).await;
    release(t, headboard).await;
    install(t, p, wardrobe, rooms[0].id, 2000).await;
    install(t, p, headboard, rooms[0].id, 1000).await;
    install(t, p, wardrobe, rooms[1].id, 1500).await;
    // A reversal row counts against the sum.
    install(t, p, wardrobe, rooms[1].id, -500).await;
    snag(t, p, 1, wardrobe, rooms[2].id, "open", true).await;
    snag(t, p, 2, wardrobe, rooms[3].id, "closed", true).await;
    snag(t, p, 3, desk, rooms[4].id, "fixed", false).await;
    sign_off(t, p, rooms[4].id, true).await;
    sign_off(t, p, rooms[5].id, false).await;

    // The store's three statements.
    let data = t
        .room_matrix(p, MatrixFilter::default(), false)
        .await
        .unwrap();
    let codes: Vec<&str> = data.rooms.iter().map(|r| r.code.as_str()).collect();
    let expected: Vec<&str> = rooms.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, expected, "building → level → room order");
    assert_eq!(data.items.len(), 3);
    assert_eq!(
        data.rooms.iter().filter(|r| r.signed_off).count(),
        1,
        "only the current sign-off holds"
    );
    let pair = data
        .cells
        .iter()
        .find(|c| c.room_id == rooms[1].id && c.scope_item_id == wardrobe)
        .unwrap();
    assert_eq!((pair.installed_milli, pair.open_snags), (1000, 0));
    let client = t
        .room_matrix(p, MatrixFilter::default(), true)
        .await
        .unwrap();
    assert!(
        !client
            .cells
            .iter()
            .any(|c| c.room_id == rooms[4].id && c.scope_item_id == desk),
        "an internal snag is not counted for a client user"
    );

    // The states the use case builds from them.
    let s = t.services();
    let (m, _) = s
        .room_matrix(&caller(&w), p, MatrixFilter::default())
        .await
        .unwrap();
    assert_eq!(m.levels.len(), 2);
    assert_eq!(m.levels[0].rooms.len(), 3);
    assert_eq!(
        m.columns.iter().map(|c| c.id).collect::<Vec<_>>(),
        [wardrobe, desk, headboard],
        "room-type items first, then single-room items"
    );
    use CellState::*;
    assert_eq!(state_of(&m, &code(0), wardrobe), Some(Installed));
    assert_eq!(state_of(&m, &code(0), desk), Some(NotReleased));
    assert_eq!(state_of(&m, &code(0), headboard), Some(Installed));
    assert_eq!(state_of(&m, &code(1), wardrobe), Some(PartlyInstalled));
    assert_eq!(
        state_of(&m, &code(1), headboard),
        None,
        "not expected there"
    );
    assert_eq!(state_of(&m, &code(2), wardrobe), Some(Snagged));
    assert_eq!(
        state_of(&m, &code(3), wardrobe),
        Some(Released),
        "closed snag"
    );
    assert_eq!(
        state_of(&m, &code(4), desk),
        Some(Snagged),
        "fixed, not verified"
    );
    assert_eq!(state_of(&m, &code(5), wardrobe), Some(SignedOff));
    assert_eq!(state_of(&m, &code(5), desk), Some(SignedOff));
    let count = |s: CellState| m.counts.iter().find(|c| c.state == s).unwrap().cells;
    assert_eq!(
        count(NotReleased) + count(Released) + count(PartlyInstalled) + count(Installed),
        9,
        "{:?}",
        m.counts
    );
    assert_eq!((count(Snagged), count(SignedOff)), (2, 2));
    // The partly installed cell says how much.
    let r1 = &m.levels[0].rooms[1];
    let cell = r1.cells[0].unwrap();
    assert_eq!((cell.installed_milli, cell.quantity_milli), (1000, 2000));

    // Filters: one level, one room type.
    let (one, _) = s
        .room_matrix(
            &caller(&w),
            p,
            MatrixFilter {
                level_id: rooms[3].level_id,
                ..MatrixFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(one.levels.len(), 1);
    assert_eq!(one.levels[0].rooms.len(), 3);
    assert_eq!(one.columns.len(), 2, "the headboard's room is not in view");
    assert_eq!(one.levels[0].signed_off_rooms, 1);
}

pub async fn site_progress_feeds_project_progress(t: &TestDb) {
    let w = world(t).await;
    let p = w.p1.id;
    let s = t.services();
    let c = caller(&w);
    let before = t.get_project(p).await.unwrap().unwrap().progress;
    let (rooms, king, group) = hotel(t, &w, 2, 3).await;
    // Without items placed in rooms, today's rule: the scope's own progress figures.
    item(
        t,
        &w,
        NewScopeItem {
            group_id: group,
            name: "Lobby desk".into(),
            progress: Some(40),
            ..NewScopeItem::default()
        },
    )
    .await;
    assert_eq!(
        t.get_project(p).await.unwrap().unwrap().progress,
        Some(40),
        "was {before:?}"
    );
    let sp = s.site_progress(&c, p).await.unwrap();
    assert!(!sp.has_locations && sp.levels.is_empty());

    // 2 wardrobes in each of the 6 King rooms, released; 3 of 12 installed; one room of
    // six signed off.
    let wardrobe = item(
        t,
        &w,
        NewScopeItem {
            group_id: group,
            name: "Wardrobe".into(),
            room_type_id: Some(king),
            quantity_per_room: Some(Quantity::units(2)),
            ..NewScopeItem::default()
        },
    )
    .await;
    release(t, wardrobe).await;
    install(t, p, wardrobe, rooms[0].id, 2000).await;
    install(t, p, wardrobe, rooms[1].id, 1000).await;
    sign_off(t, p, rooms[5].id, false).await;
    // Wardrobe (installed implies produced and delivered): 10 + 50 × 3/12 + 10 × 3/12 + 25 ×
    // 3/12 + 5 × 2/12 = 32.08 → 32; the desk keeps 40: (32 + 40) / 2.
    let progress = t.get_project(p).await.unwrap().unwrap().progress;
    assert_eq!(progress, Some(36), "(32 + 40) / 2");
    let listed = t
        .list_projects(
            &formula_app::query::ProjectQuery::default(),
            formula_domain::authz::ProjectScope::All,
        )
        .await
        .unwrap();
    let in_list = listed.items.iter().find(|x| x.id == p).unwrap().progress;
    assert_eq!(in_list, progress, "lists and pages say the same");

    // Progress by level: level 1 has 3 of 6 installed, level 2 one room signed off.
    let sp = s.site_progress(&c, p).await.unwrap();
    assert!(sp.has_locations);
    let levels: Vec<Option<i32>> = sp.levels.iter().map(|l| l.progress).collect();
    // L01: rooms at 95, 52.5 and 10 → 52.5 → 53 (half up); L02: 10, 10 and 15 → 11.67 → 12.
    assert_eq!(levels, [Some(53), Some(12)]);
    assert_eq!(sp.rooms.len(), 6);
    assert_eq!(sp.rooms[0].progress, Some(95));
    assert_eq!(sp.rooms[5].progress, Some(15));

    // Custom weights: installation alone counts.
    let err = s
        .set_progress_weights(
            &c,
            p,
            ProgressWeights {
                released: 50,
                production: 0,
                delivery: 0,
                installed: 60,
                signed_off: 0,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, formula_app::AppError::Validation(_)),
        "{err:?}"
    );
    s.set_progress_weights(
        &c,
        p,
        ProgressWeights {
            released: 0,
            production: 0,
            delivery: 0,
            installed: 100,
            signed_off: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        s.progress_weights(&c, p).await.unwrap(),
        ProgressWeights {
            released: 0,
            production: 0,
            delivery: 0,
            installed: 100,
            signed_off: 0
        }
    );
    // Wardrobe 25; desk 40: (25 + 40 + 1) / 2 = 33.
    assert_eq!(t.get_project(p).await.unwrap().unwrap().progress, Some(33));
    let audit = t
        .outside("SELECT COUNT(*) FROM audit_log WHERE action = 'progress_weights'")
        .await;
    assert_eq!(audit, 1);
}

/// Seeds `levels` × `rooms` King rooms with `items` room-type items, some installed, some
/// snagged, some rooms signed off; returns the project id.
pub async fn seed_matrix(t: &TestDb, w: &World, levels: u32, rooms: u32, items: usize) -> Uuid {
    let (all, king, group) = hotel(t, w, levels, rooms).await;
    let p = w.p1.id;
    let mut ids = Vec::new();
    for n in 0..items {
        let id = item(
            t,
            w,
            NewScopeItem {
                group_id: group,
                name: format!("Item {n}"),
                room_type_id: Some(king),
                quantity_per_room: Some(Quantity::units(2)),
                unit_price_minor: Some(10_000),
                ..NewScopeItem::default()
            },
        )
        .await;
        if n % 3 != 0 {
            release(t, id).await;
        }
        ids.push(id);
    }
    // One statement per item: install in every other room (the second half partly).
    let gen_id = if t.backend() == formula_store::Backend::Sqlite {
        "randomblob(16)"
    } else {
        "gen_random_uuid()"
    };
    let parity = if t.backend() == formula_store::Backend::Sqlite {
        "(abs(random()) % 2)"
    } else {
        "(floor(random() * 2))::int"
    };
    for (n, id) in ids.iter().enumerate().filter(|(n, _)| n % 3 != 0) {
        let milli = if n % 2 == 0 { 2000 } else { 1000 };
        t.outside(&format!(
            "INSERT INTO installations (id, project_id, scope_item_id, room_id, quantity_milli, \
             installed_on, recorded_at) SELECT {gen_id}, {}, {}, r.id, {milli}, '2026-12-01', \
             '2026-12-01T08:00:00Z' FROM locations r WHERE r.room_type_id = {} AND {parity} = 0",
            lit(t, p),
            lit(t, *id),
            lit(t, king)
        ))
        .await;
    }
    // The workshop and the deliveries: each released item has 10 ledger rows (started in
    // five batches, packed in five), two-thirds of it packed, and half of that received on site
    // on its own delivery note, so every released column has delivered and in-production cells.
    let cutting = stage(t, p, "cutting", "work", 1).await;
    let packed = stage(t, p, "packed", "packed", 2).await;
    let at = OffsetDateTime::now_utc();
    for (n, id) in ids.iter().enumerate().filter(|(n, _)| n % 3 != 0) {
        let total = 2000 * i64::from(levels * rooms);
        for _ in 0..5 {
            shift(
                t,
                p,
                *id,
                None,
                Some(cutting),
                total / 5,
                "forward",
                None,
                at,
            )
            .await;
            shift(
                t,
                p,
                *id,
                Some(cutting),
                Some(packed),
                total * 2 / 15,
                "forward",
                None,
                at,
            )
            .await;
        }
        delivery(t, p, n as i64 + 1, *id, total / 3, total / 3).await;
    }
    for (n, room) in all.iter().enumerate() {
        if n % 17 == 0 {
            snag(
                t,
                p,
                n as i64 + 1,
                ids[1 % ids.len()],
                room.id,
                "open",
                true,
            )
            .await;
        }
        if n % 23 == 0 {
            sign_off(t, p, room.id, false).await;
        }
    }
    p
}

/// Times `runs` matrix reads through the use case; returns the durations, sorted.
pub async fn time_matrix(t: &TestDb, w: &World, p: Uuid, runs: usize) -> Vec<Duration> {
    let s = t.services();
    let c = caller(w);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let (m, _) = s.room_matrix(&c, p, MatrixFilter::default()).await.unwrap();
        times.push(started.elapsed());
        assert!(!m.levels.is_empty());
    }
    times.sort();
    times
}

/// The regression check run in CI: a 300-room × 30-item matrix is read with the same store
/// calls as a one-room one (no query per room or item). Its time is not asserted (DESIGN.md
/// §7: no timing thresholds in tests); the budget of 100 ms p95 is measured by the benchmark,
/// `room_matrix_bench`, and `scripts/bench/room_matrix.py`, recorded in docs/performance.md.
pub async fn a_large_matrix_takes_a_few_store_calls(t: &TestDb) {
    let w = world(t).await;
    let calls: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let seen = calls.clone();
    t.db.time_queries(
        Arc::new(move |op, _| seen.lock().unwrap().push(op)),
        Duration::from_secs(10),
    );
    let p = seed_matrix(t, &w, 12, 25, 30).await;
    calls.lock().unwrap().clear();
    time_matrix(t, &w, p, 3).await;
    let per_read = calls.lock().unwrap().len() / 3;
    assert!(
        per_read <= 6,
        "{per_read} store calls: {:?}",
        calls.lock().unwrap()
    );
    let (m, _) = t
        .services()
        .room_matrix(&caller(&w), p, MatrixFilter::default())
        .await
        .unwrap();
    assert_eq!(m.levels.iter().map(|l| l.rooms.len()).sum::<usize>(), 300);
    assert_eq!(m.columns.len(), 30);
}

/// A timestamp as the store writes it (fixed-width RFC 3339, so text compares as time).
fn ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// A workshop stage of the project's own list.
pub async fn stage(t: &TestDb, project: Uuid, key: &str, kind: &str, position: i64) -> Uuid {
    let id = Uuid::now_v7();
    t.outside(&format!(
        "INSERT INTO workshop_stages (id, project_id, key, name, kind, position, archived, \
         created_at, updated_at, version) VALUES ({}, {}, '{key}', '{key}', '{kind}', \
         {position}, 0, '2026-11-30T08:00:00.000000Z', '2026-11-30T08:00:00.000000Z', 1)",
        lit(t, id),
        lit(t, project)
    ))
    .await;
    id
}

/// A row of the production ledger; `reverses` makes it an undo.
#[allow(clippy::too_many_arguments)]
pub async fn shift(
    t: &TestDb,
    project: Uuid,
    item: Uuid,
    from: Option<Uuid>,
    to: Option<Uuid>,
    milli: i64,
    kind: &str,
    reverses: Option<Uuid>,
    at: OffsetDateTime,
) -> Uuid {
    let id = Uuid::now_v7();
    let opt = |v: Option<Uuid>| v.map_or_else(|| "NULL".to_owned(), |v| lit(t, v));
    t.outside(&format!(
        "INSERT INTO workshop_moves (id, project_id, scope_item_id, from_stage_id, to_stage_id, \
         quantity_milli, kind, reverses_id, moved_at) \
         VALUES ({}, {}, {}, {}, {}, {milli}, '{kind}', {}, '{}')",
        lit(t, id),
        lit(t, project),
        lit(t, item),
        opt(from),
        opt(to),
        opt(reverses),
        ts(at)
    ))
    .await;
    id
}

/// A dispatched delivery note with one line of `item`, `received` of `milli` received.
pub async fn delivery(
    t: &TestDb,
    project: Uuid,
    number: i64,
    item: Uuid,
    milli: i64,
    received: i64,
) {
    let note = Uuid::now_v7();
    let status = if received == 0 {
        "dispatched"
    } else if received < milli {
        "partially_received"
    } else {
        "received"
    };
    t.outside(&format!(
        "INSERT INTO delivery_notes (id, project_id, number, status, created_at, dispatched_at, \
         updated_at, version) VALUES ({}, {}, {number}, '{status}', \
         '2026-12-01T08:00:00.000000Z', '2026-12-01T09:00:00.000000Z', \
         '2026-12-01T09:00:00.000000Z', 1)",
        lit(t, note),
        lit(t, project)
    ))
    .await;
    t.outside(&format!(
        "INSERT INTO delivery_note_lines (id, delivery_note_id, position, scope_item_id, \
         quantity_milli, received_milli) VALUES ({}, {}, 1, {}, {milli}, {received})",
        lit(t, Uuid::now_v7()),
        lit(t, note),
        lit(t, item)
    ))
    .await;
}

fn progress_of(m: &RoomMatrix, room: &str) -> Option<i32> {
    m.levels
        .iter()
        .flat_map(|l| &l.rooms)
        .find(|r| r.code == room)?
        .progress
}

pub async fn production_and_delivery_reach_the_rooms_in_order(t: &TestDb) {
    let w = world(t).await;
    let (rooms, king, group) = hotel(t, &w, 2, 3).await;
    let code = |i: usize| rooms[i].code.clone();
    let p = w.p1.id;
    let s = t.services();
    let c = caller(&w);
    // One wardrobe per King room (6), released; a desk per room, released, not started; a
    // shelf per room, not released.
    let wardrobe = item(
        t,
        &w,
        NewScopeItem {
            group_id: group,
            name: "Wardrobe".into(),
            room_type_id: Some(king),
            quantity_per_room: Some(Quantity::units(1)),
            ..NewScopeItem::default()
        },
    )
    .await;
    let desk = item(
        t,
        &w,
        NewScopeItem {
            group_id: group,
            name: "Desk".into(),
            room_type_id: Some(king),
            quantity_per_room: Some(Quantity::units(1)),
            ..NewScopeItem::default()
        },
    )
    .await;
    release(t, wardrobe).await;
    release(t, desk).await;
    let cutting = stage(t, p, "cutting", "work", 1).await;
    let packed = stage(t, p, "packed", "packed", 2).await;
    let now = OffsetDateTime::now_utc();
    // 5 started, 4 packed; an extra packing of 1 undone; 1 more started and undone on the desk.
    shift(
        t,
        p,
        wardrobe,
        None,
        Some(cutting),
        5000,
        "forward",
        None,
        now,
    )
    .await;
    shift(
        t,
        p,
        wardrobe,
        Some(cutting),
        Some(packed),
        4000,
        "forward",
        None,
        now,
    )
    .await;
    let extra = shift(
        t,
        p,
        wardrobe,
        Some(cutting),
        Some(packed),
        1000,
        "forward",
        None,
        now,
    )
    .await;
    shift(
        t,
        p,
        wardrobe,
        Some(packed),
        Some(cutting),
        1000,
        "undo",
        Some(extra),
        now,
    )
    .await;
    let oops = shift(t, p, desk, None, Some(cutting), 1000, "forward", None, now).await;
    shift(
        t,
        p,
        desk,
        Some(cutting),
        None,
        1000,
        "undo",
        Some(oops),
        now,
    )
    .await;
    // 3 received (of 4 dispatched, on two notes), one installed in the third room.
    delivery(t, p, 1, wardrobe, 2000, 2000).await;
    delivery(t, p, 2, wardrobe, 2000, 1000).await;
    install(t, p, wardrobe, rooms[2].id, 1000).await;

    let data = t
        .room_matrix(p, MatrixFilter::default(), false)
        .await
        .unwrap();
    let w_row = data.items.iter().find(|i| i.id == wardrobe).unwrap();
    assert_eq!(
        (
            w_row.started_milli,
            w_row.packed_milli,
            w_row.received_milli
        ),
        (5000, 4000, 3000)
    );
    let d_row = data.items.iter().find(|i| i.id == desk).unwrap();
    assert_eq!(
        (
            d_row.started_milli,
            d_row.packed_milli,
            d_row.received_milli
        ),
        (0, 0, 0),
        "an undone start counts for nothing"
    );

    // Received 3 less 1 installed covers the first two rooms in order; the third is installed.
    use CellState::*;
    let (m, _) = s.room_matrix(&c, p, MatrixFilter::default()).await.unwrap();
    let states: Vec<Option<CellState>> = (0..6).map(|i| state_of(&m, &code(i), wardrobe)).collect();
    assert_eq!(
        states,
        [
            Some(Delivered),
            Some(Delivered),
            Some(Installed),
            Some(InProduction),
            Some(InProduction),
            Some(InProduction)
        ]
    );
    assert_eq!(state_of(&m, &code(0), desk), Some(Released));
    let count = |s: CellState| m.counts.iter().find(|c| c.state == s).unwrap().cells;
    assert_eq!((count(Delivered), count(InProduction)), (2, 3));
    // Room progress: wardrobe + desk averaged by count. Room 1: wardrobe produced and
    // delivered (10 + 50 + 10 = 70), desk released (10) → 40. Room 3 (index 2): installed
    // (95) and 10 → 52.5 → 53. Packed 4 less 1 installed covers rooms 1, 2 and 4 (index 3):
    // 60 and 10 → 35; room 5: 10 and 10 → 10.
    assert_eq!(progress_of(&m, &code(0)), Some(40));
    assert_eq!(progress_of(&m, &code(2)), Some(53));
    assert_eq!(progress_of(&m, &code(3)), Some(35));
    assert_eq!(progress_of(&m, &code(4)), Some(10));

    // Rooms out of view still come first: level 2 alone shows the same states.
    let (one, _) = s
        .room_matrix(
            &c,
            p,
            MatrixFilter {
                level_id: rooms[3].level_id,
                ..MatrixFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(one.levels.len(), 1);
    assert_eq!(state_of(&one, &code(3), wardrobe), Some(InProduction));
    assert_eq!(progress_of(&one, &code(3)), Some(35));
    let count = |s: CellState| one.counts.iter().find(|c| c.state == s).unwrap().cells;
    assert_eq!((count(Delivered), count(InProduction)), (0, 3));

    // The project's progress: wardrobe 10 + 50 × 4/6 + 10 × 3/6 + 25 × 1/6 = 52.5 (the
    // fractions floored to a basis point: 1000 + 3333 + 500 + 416 = 5249 → 52); desk 10.
    assert_eq!(t.get_project(p).await.unwrap().unwrap().progress, Some(31));

    // The same with production and delivery weighed at 0 (a project that kept weights of its
    // own): wardrobe 20 + 70 / 6 = 31.67 → 32, desk 20 → 26.
    s.set_progress_weights(&c, p, ProgressWeights::OLD_DEFAULTS)
        .await
        .unwrap();
    assert_eq!(t.get_project(p).await.unwrap().unwrap().progress, Some(26));
}

/// Migration 0044's statement, run again over settings rows written as before it: the old
/// defaults move to the new ones, weights of a project's own stay.
pub async fn old_default_weights_move_to_the_new_defaults(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let sql = include_str!("../../migrations/sqlite/0044_progress_production_delivery.sql");
    assert_eq!(
        sql,
        include_str!("../../migrations/postgres/0044_progress_production_delivery.sql"),
        "the same statement on both databases"
    );
    let row = |p: Uuid, r: i32, i: i32, so: i32| {
        format!(
            "INSERT INTO project_settings (project_id, require_materials_ordered, \
             progress_released, progress_installed, progress_signed_off) \
             VALUES ({}, 1, {r}, {i}, {so})",
            lit(t, p)
        )
    };
    t.outside(&row(w.p1.id, 20, 70, 10)).await;
    t.outside(&row(w.p2.id, 30, 60, 10)).await;
    t.outside(sql).await;
    assert_eq!(
        s.progress_weights(&c, w.p1.id).await.unwrap(),
        ProgressWeights::default()
    );
    assert_eq!(
        s.progress_weights(&c, w.p2.id).await.unwrap(),
        ProgressWeights {
            released: 30,
            production: 0,
            delivery: 0,
            installed: 60,
            signed_off: 10,
        }
    );
}

/// The columns' SQL DEFAULTs are the old weights: every statement creating a settings row
/// names the new defaults instead.
pub async fn new_settings_rows_take_the_new_default_weights(t: &TestDb) {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    t.set_materials_rule(
        w.p1.id,
        formula_domain::readiness::MaterialsRule::Approved,
        &f::audit(Some(&w.pm), "readiness_setting", "project", w.p1.id, "x"),
    )
    .await
    .unwrap();
    let rows = t
        .outside(&format!(
            "SELECT COUNT(*) FROM project_settings WHERE project_id = {} \
             AND progress_released = 10 AND progress_production = 50 AND progress_delivery = 10 \
             AND progress_installed = 25 AND progress_signed_off = 5",
            lit(t, w.p1.id)
        ))
        .await;
    assert_eq!(rows, 1);
    assert_eq!(
        s.progress_weights(&c, w.p1.id).await.unwrap(),
        ProgressWeights::default()
    );
}

pub async fn throughput_counts_packing_and_rework_per_week(t: &TestDb) {
    let w = world(t).await;
    let (rooms, king, group) = hotel(t, &w, 1, 2).await;
    let _ = rooms;
    let p = w.p1.id;
    let wardrobe = item(
        t,
        &w,
        NewScopeItem {
            group_id: group,
            name: "Wardrobe".into(),
            room_type_id: Some(king),
            quantity_per_room: Some(Quantity::units(10)),
            ..NewScopeItem::default()
        },
    )
    .await;
    let desk = item(
        t,
        &w,
        NewScopeItem {
            group_id: group,
            name: "Desk".into(),
            room_type_id: Some(king),
            quantity_per_room: Some(Quantity::units(10)),
            ..NewScopeItem::default()
        },
    )
    .await;
    release(t, wardrobe).await;
    release(t, desk).await;
    let cutting = stage(t, p, "cutting", "work", 1).await;
    let qa = stage(t, p, "qa", "qa", 2).await;
    let packed = stage(t, p, "packed", "packed", 3).await;
    let now = OffsetDateTime::now_utc();
    let week_ago = now - time::Duration::weeks(1);
    let long_ago = now - time::Duration::weeks(20);
    for (it, at) in [(wardrobe, now), (desk, week_ago), (wardrobe, long_ago)] {
        shift(t, p, it, None, Some(cutting), 3000, "forward", None, at).await;
        shift(t, p, it, Some(cutting), Some(qa), 3000, "forward", None, at).await;
        shift(t, p, it, Some(qa), Some(packed), 2000, "forward", None, at).await;
    }
    shift(
        t,
        p,
        desk,
        Some(qa),
        Some(cutting),
        1000,
        "rework",
        None,
        now,
    )
    .await;
    let undone = shift(
        t,
        p,
        desk,
        Some(qa),
        Some(packed),
        500,
        "forward",
        None,
        now,
    )
    .await;
    shift(
        t,
        p,
        desk,
        Some(packed),
        Some(qa),
        500,
        "undo",
        Some(undone),
        now,
    )
    .await;

    let flow = t
        .workshop_flow(p, now - time::Duration::weeks(3))
        .await
        .unwrap();
    assert_eq!(flow.len(), 3, "two packings and a rework: {flow:?}");
    assert_eq!(flow.iter().filter(|f| f.rework).count(), 1);

    let s = t.services();
    let c = caller(&w);
    let tp = s.workshop_throughput(&c, p, Some(4)).await.unwrap();
    assert_eq!(tp.weeks.len(), 4);
    let last = &tp.weeks[3];
    assert_eq!((last.packed_milli, last.packed_items), (2000, 1));
    assert_eq!((last.rework_moves, last.rework_milli), (1, 1000));
    assert_eq!(
        (tp.weeks[2].packed_milli, tp.weeks[2].packed_items),
        (2000, 1)
    );
    assert_eq!((tp.packed_milli, tp.rework_moves), (4000, 1));
    let err = s.workshop_throughput(&c, p, Some(27)).await.unwrap_err();
    assert!(
        matches!(err, formula_app::AppError::Validation(_)),
        "{err:?}"
    );
}

both_backends! {
    cells_show_installation_snags_and_sign_off,
    site_progress_feeds_project_progress,
    production_and_delivery_reach_the_rooms_in_order,
    old_default_weights_move_to_the_new_defaults,
    new_settings_rows_take_the_new_default_weights,
    throughput_counts_packing_and_rework_per_week,
    a_large_matrix_takes_a_few_store_calls,
}

/// The benchmark behind docs/performance.md ("Room matrix"): 300 rooms × 30 items, 50 reads
/// through the use case on each backend, p50 and p95 printed. Run with
/// `cargo test -p formula-store --test storage room_matrix_bench -- --ignored --nocapture`.
mod room_matrix_bench {
    async fn bench(t: crate::support::TestDb, label: &str) {
        let w = crate::world::world(&t).await;
        let p = super::seed_matrix(&t, &w, 12, 25, 30).await;
        let _ = super::time_matrix(&t, &w, p, 5).await;
        let times = super::time_matrix(&t, &w, p, 50).await;
        let ms = |i: usize| times[i].as_secs_f64() * 1000.0;
        println!(
            "room matrix 300 × 30 on {label}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} reads)",
            ms(times.len() / 2),
            ms(times.len() * 95 / 100 - 1),
            ms(times.len() - 1),
            times.len()
        );
        t.finish().await;
    }

    #[tokio::test]
    #[ignore = "benchmark: run on purpose, see docs/performance.md"]
    async fn sqlite() {
        bench(crate::support::sqlite().await, "sqlite").await;
    }

    #[tokio::test]
    #[ignore = "benchmark: run on purpose, see docs/performance.md"]
    async fn postgres() {
        bench(crate::support::postgres().await, "postgres").await;
    }
}
