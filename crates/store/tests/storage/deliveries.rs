//! Delivery notes over the store and their use cases: numbers without duplicates even when
//! planned at once, a dispatch refused beyond what is packed and not yet dispatched, a
//! receipt never past what was dispatched, the note's states, installation limited to what
//! was received on site — and the races: dispatches of notes taking the same packed
//! quantity, and receipts of the last units of a line, at the same moment.

use std::sync::Arc;

use formula_app::RequestCtx;
use formula_app::accounts::actor_for;
use formula_app::context::Caller;
use formula_app::deliveries::{
    DeliveryLineInput, DeliveryNoteInput, DeliveryReceiptInput, DeliveryReceiptLineInput,
};
use formula_app::error::AppError;
use formula_app::installations::InstallationInput;
use formula_app::locations::NewLocation;
use formula_app::repos::prelude::*;
use formula_app::scope::NewScopeItem;
use formula_app::workshop::{MoveInput, QaInput};
use formula_domain::delivery::{DeliveryNote, DeliveryStatus, NewReceipt};
use formula_domain::location::{Location, LocationKind};
use formula_domain::scope::{Quantity, ScopeItem};
use formula_domain::workshop::{QaResult, StageKind};
use uuid::Uuid;

use crate::fixtures as f;
use crate::support::TestDb;
use crate::world::{World, world};

pub struct Yard {
    pub c: Caller,
    pub w: World,
    pub group: Uuid,
    pub level: Location,
    pub room: Location,
}

fn caller(w: &World) -> Caller {
    Caller {
        actor: actor_for(&w.pm),
        ctx: RequestCtx::default(),
    }
}

fn place(kind: LocationKind, parent: Option<Uuid>, code: &str) -> NewLocation {
    NewLocation {
        kind,
        parent_id: parent,
        code: code.into(),
        name: format!("Place {code}"),
        room_type_id: None,
    }
}

/// A building with one level and one room, and a scope group.
pub async fn yard(t: &TestDb) -> Yard {
    let w = world(t).await;
    let s = t.services();
    let c = caller(&w);
    let b = s
        .create_location(&c, w.p1.id, place(LocationKind::Building, None, "T1"))
        .await
        .unwrap();
    let level = s
        .create_location(
            &c,
            w.p1.id,
            place(LocationKind::Level, Some(b.id), "T1-L01"),
        )
        .await
        .unwrap();
    let room = s
        .create_location(
            &c,
            w.p1.id,
            place(LocationKind::Room, Some(level.id), "T1-L01-0101"),
        )
        .await
        .unwrap();
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    Yard {
        c,
        w,
        group: group.id,
        level,
        room,
    }
}

impl Yard {
    /// A released item of `quantity` in the room.
    pub async fn item(&self, t: &TestDb, name: &str, quantity: i64) -> ScopeItem {
        let item = t
            .services()
            .create_scope_item(
                &self.c,
                self.w.p1.id,
                NewScopeItem {
                    group_id: self.group,
                    name: name.into(),
                    room_id: Some(self.room.id),
                    quantity: Some(Quantity::units(quantity)),
                    ..NewScopeItem::default()
                },
            )
            .await
            .unwrap();
        let entry = f::audit(Some(&self.w.pm), "release", "scope_item", item.id, "x");
        t.release_scope_item(item.id, item.version, None, &entry)
            .await
            .unwrap()
    }

    /// A planned note taking `lines` (item, units) to the level.
    pub async fn plan(&self, t: &TestDb, lines: &[(&ScopeItem, i64)]) -> DeliveryNote {
        t.services()
            .create_delivery_note(
                &self.c,
                self.w.p1.id,
                DeliveryNoteInput {
                    destination_id: Some(self.level.id),
                    address: None,
                    planned_on: Some(f::today()),
                    vehicle: Some("Van 34 FPM 12".into()),
                    driver: Some("Deniz".into()),
                    notes: None,
                    lines: lines
                        .iter()
                        .map(|(i, q)| DeliveryLineInput {
                            scope_item_id: i.id,
                            quantity: Quantity::units(*q),
                            note: None,
                        })
                        .collect(),
                    version: None,
                },
            )
            .await
            .unwrap()
    }

    pub async fn receive(
        &self,
        t: &TestDb,
        note: &DeliveryNote,
        lines: &[(usize, i64)],
    ) -> Result<DeliveryNote, AppError> {
        t.services()
            .record_delivery_receipt(
                &self.c,
                note.id,
                DeliveryReceiptInput {
                    received_on: None,
                    signed_name: "Sam Site".into(),
                    note: None,
                    lines: lines
                        .iter()
                        .map(|(i, q)| DeliveryReceiptLineInput {
                            line_id: note.lines[*i].id,
                            quantity: Quantity::units(*q),
                        })
                        .collect(),
                },
                &[],
                None,
                None,
            )
            .await
            .map(|(n, _)| n)
    }

    /// Packs, plans, dispatches and receives `units` of `item`: what may then be installed.
    pub async fn deliver(&self, t: &TestDb, item: &ScopeItem, units: i64) {
        pack(t, &self.c, self.w.p1.id, item.id, units).await;
        let note = self.plan(t, &[(item, units)]).await;
        let note = t
            .services()
            .dispatch_delivery_note(&self.c, note.id, note.version)
            .await
            .unwrap();
        self.receive(t, &note, &[(0, units)]).await.unwrap();
    }
}

/// Packs, plans, dispatches and receives all of `item` through the use cases, so all of it
/// may be installed.
pub async fn deliver_all(t: &TestDb, c: &Caller, project: Uuid, item: &ScopeItem) {
    let s = t.services();
    pack(t, c, project, item.id, item.quantity.0 / 1000).await;
    let note = s
        .create_delivery_note(
            c,
            project,
            DeliveryNoteInput {
                destination_id: None,
                address: None,
                planned_on: None,
                vehicle: None,
                driver: None,
                notes: None,
                lines: vec![DeliveryLineInput {
                    scope_item_id: item.id,
                    quantity: item.quantity,
                    note: None,
                }],
                version: None,
            },
        )
        .await
        .unwrap();
    let note = s
        .dispatch_delivery_note(c, note.id, note.version)
        .await
        .unwrap();
    s.record_delivery_receipt(
        c,
        note.id,
        DeliveryReceiptInput {
            received_on: None,
            signed_name: "Sam Site".into(),
            note: None,
            lines: vec![DeliveryReceiptLineInput {
                line_id: note.lines[0].id,
                quantity: item.quantity,
            }],
        },
        &[],
        None,
        None,
    )
    .await
    .unwrap();
}

/// Moves `units` of a released item through every workshop stage into the packed one,
/// through the workshop's use cases (the QA stage by a passed check).
pub async fn pack(t: &TestDb, c: &Caller, project: Uuid, item: Uuid, units: i64) {
    let s = t.services();
    let mut stages = s.ensure_workshop_stages(project).await.unwrap();
    stages.retain(|st| !st.archived);
    stages.sort_by_key(|st| st.position);
    for st in stages {
        if st.kind == StageKind::Qa {
            s.record_qa_check(
                c,
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
                c,
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

fn conflict(err: AppError) -> (&'static str, String) {
    match err {
        AppError::Conflict { code, message, .. } => (code, message),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

pub async fn a_note_is_planned_dispatched_within_what_is_packed_and_received(t: &TestDb) {
    let y = yard(t).await;
    let s = t.services();
    let desk = y.item(t, "Desk", 10).await;
    let note = y.plan(t, &[(&desk, 6)]).await;
    assert_eq!(note.code, "DN-001");
    assert_eq!(note.status, DeliveryStatus::Planned);
    assert_eq!(note.destination.as_deref(), Some("T1-L01 Place T1-L01"));
    assert_eq!(note.lines[0].place.as_deref(), Some("T1-L01-0101"));

    // Nothing packed: refused, in words that say how much is.
    let err = s
        .dispatch_delivery_note(&y.c, note.id, note.version)
        .await
        .unwrap_err();
    let (code, message) = conflict(err);
    assert_eq!(code, "not_packed");
    assert!(
        message.starts_with(&format!("only 0 of {} are packed", desk.code)),
        "{message}"
    );
    pack(t, &y.c, y.w.p1.id, desk.id, 4).await;
    let (_, message) = conflict(
        s.dispatch_delivery_note(&y.c, note.id, note.version)
            .await
            .unwrap_err(),
    );
    assert!(
        message.starts_with(&format!(
            "only 4 of {} are packed and not yet dispatched",
            desk.code
        )),
        "{message}"
    );
    // Edited down to what is packed, it goes.
    let edited = s
        .update_delivery_note(
            &y.c,
            note.id,
            note.version,
            DeliveryNoteInput {
                destination_id: Some(y.level.id),
                address: Some("Site gate 2".into()),
                planned_on: None,
                vehicle: None,
                driver: None,
                notes: None,
                lines: vec![DeliveryLineInput {
                    scope_item_id: desk.id,
                    quantity: Quantity::units(4),
                    note: Some("Fragile".into()),
                }],
                version: None,
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        s.update_delivery_note(
            &y.c,
            note.id,
            note.version,
            DeliveryNoteInput {
                destination_id: None,
                address: None,
                planned_on: None,
                vehicle: None,
                driver: None,
                notes: None,
                lines: vec![],
                version: None,
            }
        )
        .await
        .unwrap_err(),
        AppError::Stale { .. }
    ));
    let sent = s
        .dispatch_delivery_note(&y.c, note.id, edited.version)
        .await
        .unwrap();
    assert_eq!(sent.status, DeliveryStatus::Dispatched);
    assert_eq!(sent.lines[0].remaining, Quantity::units(4));
    // No longer planned: neither edited, dispatched again nor cancelled.
    assert_eq!(
        conflict(
            s.cancel_delivery_note(&y.c, note.id, sent.version, None)
                .await
                .unwrap_err()
        )
        .0,
        "not_planned"
    );
    // A second note finds nothing free.
    let second = y.plan(t, &[(&desk, 1)]).await;
    assert_eq!(second.code, "DN-002");
    let (_, message) = conflict(
        s.dispatch_delivery_note(&y.c, second.id, second.version)
            .await
            .unwrap_err(),
    );
    assert!(message.starts_with("only 0 of"), "{message}");
    let cancelled = s
        .cancel_delivery_note(&y.c, second.id, second.version, Some("Not needed".into()))
        .await
        .unwrap();
    assert_eq!(cancelled.status, DeliveryStatus::Cancelled);
    let items = s.packed_items(&y.c, y.w.p1.id).await.unwrap();
    assert_eq!(
        (items[0].packed, items[0].dispatched, items[0].available),
        (Quantity::units(4), Quantity::units(4), Quantity(0))
    );

    // Received in part, then the rest; never beyond.
    let part = y.receive(t, &sent, &[(0, 3)]).await.unwrap();
    assert_eq!(part.status, DeliveryStatus::PartiallyReceived);
    assert_eq!(part.lines[0].received, Quantity::units(3));
    assert_eq!(part.receipts[0].signed_name, "Sam Site");
    let (code, message) = conflict(y.receive(t, &sent, &[(0, 2)]).await.unwrap_err());
    assert_eq!(code, "over_receipt");
    assert!(message.contains("only 1 of 4 dispatched"), "{message}");
    let done = y.receive(t, &sent, &[(0, 1)]).await.unwrap();
    assert_eq!(done.status, DeliveryStatus::Received);
    assert_eq!(done.receipts.len(), 2);
    let listed = s
        .list_delivery_notes(&y.c, y.w.p1.id, Some(DeliveryStatus::Received))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].received, Quantity::units(4));
}

pub async fn only_what_was_received_on_site_is_installed(t: &TestDb) {
    let y = yard(t).await;
    let s = t.services();
    let desk = y.item(t, "Desk", 5).await;
    let install = |units: i64| {
        let s = s.clone();
        let c = y.c.clone();
        let room = y.room.id;
        let item = desk.id;
        async move {
            s.record_installation(
                &c,
                room,
                InstallationInput {
                    scope_item_id: item,
                    quantity: Quantity::units(units),
                    installed_on: None,
                    installer: None,
                    note: None,
                },
                None,
                None,
            )
            .await
        }
    };
    let (code, message) = conflict(install(1).await.unwrap_err());
    assert_eq!(code, "not_received");
    assert!(
        message.starts_with(&format!("only 0 of {} received on site", desk.code)),
        "{message}"
    );
    y.deliver(t, &desk, 2).await;
    install(2).await.unwrap();
    let (code, message) = conflict(install(1).await.unwrap_err());
    assert_eq!(code, "not_received");
    assert!(
        message.starts_with(&format!(
            "only 2 of {} received on site and 2 installed",
            desk.code
        )),
        "{message}"
    );
    let sheet = t.room_items(y.room.id).await.unwrap();
    let row = sheet.iter().find(|r| r.scope_item_id == desk.id).unwrap();
    assert_eq!(
        (row.received, row.installed_total),
        (Quantity::units(2), Quantity::units(2))
    );
}

/// Many rounds: two notes each take all of what is packed of an item; both dispatch at the
/// same moment. Exactly one goes, and what left never passes what was packed.
pub async fn concurrent_dispatches_never_exceed_what_is_packed(t: &TestDb) {
    const ROUNDS: usize = 8;
    const NOTES: usize = 4;
    let y = Arc::new(yard(t).await);
    for round in 0..ROUNDS {
        let item = y.item(t, &format!("Unit {round}"), 10).await;
        pack(t, &y.c, y.w.p1.id, item.id, 3).await;
        let mut notes = Vec::new();
        for _ in 0..NOTES {
            notes.push(y.plan(t, &[(&item, 3)]).await);
        }
        let start = Arc::new(tokio::sync::Barrier::new(NOTES));
        let mut tasks = Vec::new();
        for note in notes {
            let (db, y, start) = (t.db.clone(), y.clone(), start.clone());
            tasks.push(tokio::spawn(async move {
                let entry = f::audit(Some(&y.w.pm), "dispatch", "delivery_note", note.id, "x")
                    .in_project(y.w.p1.id);
                start.wait().await;
                db.dispatch_delivery_note(note.id, y.w.pm.id, f::now(), note.version, &entry)
                    .await
            }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => won += 1,
                Err(e) => assert_eq!(conflict(e).0, "not_packed", "round {round}"),
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one dispatch goes");
        let packed = t.packed_items(y.w.p1.id).await.unwrap();
        let row = packed.iter().find(|p| p.scope_item_id == item.id).unwrap();
        assert_eq!(row.dispatched, Quantity::units(3), "round {round}");
    }
}

/// Many rounds: a note of 3 received 2 already; four receivers take the last one at once.
/// Exactly one succeeds and the line ends at 3.
pub async fn concurrent_receipts_never_exceed_what_was_dispatched(t: &TestDb) {
    const ROUNDS: usize = 8;
    const RECEIVERS: usize = 4;
    let y = Arc::new(yard(t).await);
    for round in 0..ROUNDS {
        let item = y.item(t, &format!("Unit {round}"), 10).await;
        pack(t, &y.c, y.w.p1.id, item.id, 3).await;
        let note = y.plan(t, &[(&item, 3)]).await;
        let note = t
            .services()
            .dispatch_delivery_note(&y.c, note.id, note.version)
            .await
            .unwrap();
        y.receive(t, &note, &[(0, 2)]).await.unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(RECEIVERS));
        let mut tasks = Vec::new();
        for _ in 0..RECEIVERS {
            let (db, y, start, note) = (t.db.clone(), y.clone(), start.clone(), note.clone());
            tasks.push(tokio::spawn(async move {
                let new = NewReceipt {
                    id: Uuid::now_v7(),
                    delivery_note_id: note.id,
                    received_on: f::today(),
                    received_by: Some(y.w.pm.id),
                    signed_name: "Sam".into(),
                    note: None,
                    recorded_at: f::now(),
                    lines: vec![(note.lines[0].id, Quantity::units(1))],
                };
                let entry = f::audit(Some(&y.w.pm), "receive", "delivery_note", note.id, "x")
                    .in_project(y.w.p1.id);
                start.wait().await;
                db.record_delivery_receipt(&new, &entry).await
            }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(status) => {
                    won += 1;
                    assert_eq!(status, DeliveryStatus::Received);
                }
                Err(e) => {
                    let (code, _) = conflict(e);
                    assert!(
                        code == "over_receipt" || code == "not_receivable",
                        "round {round}: {code}"
                    );
                }
            }
        }
        assert_eq!(
            won, 1,
            "round {round}: exactly one receipt takes the last unit"
        );
        let after = t.get_delivery_note(note.id).await.unwrap().unwrap();
        assert_eq!(after.lines[0].received, Quantity::units(3), "round {round}");
        assert_eq!(after.status, DeliveryStatus::Received);
    }
}

/// Notes planned at once get numbers 1…n, none twice.
pub async fn notes_planned_at_once_get_distinct_numbers(t: &TestDb) {
    const AT_ONCE: usize = 8;
    let y = Arc::new(yard(t).await);
    let item = Arc::new(y.item(t, "Desk", 10).await);
    let start = Arc::new(tokio::sync::Barrier::new(AT_ONCE));
    let mut tasks = Vec::new();
    for _ in 0..AT_ONCE {
        let (s, y, item, start) = (t.services(), y.clone(), item.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            s.create_delivery_note(
                &y.c,
                y.w.p1.id,
                DeliveryNoteInput {
                    destination_id: None,
                    address: None,
                    planned_on: None,
                    vehicle: None,
                    driver: None,
                    notes: None,
                    lines: vec![DeliveryLineInput {
                        scope_item_id: item.id,
                        quantity: Quantity::units(1),
                        note: None,
                    }],
                    version: None,
                },
            )
            .await
            .unwrap()
            .number
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (1..=AT_ONCE as i64).collect::<Vec<_>>());
}

both_backends! {
    a_note_is_planned_dispatched_within_what_is_packed_and_received,
    only_what_was_received_on_site_is_installed,
    concurrent_dispatches_never_exceed_what_is_packed,
    concurrent_receipts_never_exceed_what_was_dispatched,
    notes_planned_at_once_get_distinct_numbers,
}
