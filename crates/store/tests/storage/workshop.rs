//! The workshop: a project's stages copied from the company's list once, the production
//! ledger (balances derived from the rows, nothing passes a stage it has not reached, undo
//! once, the packed stage keeps what was dispatched), QA checks with rework — and the race:
//! many people moving the same item at once, round after round, never taking a position
//! below zero nor past the stage before.

use std::sync::Arc;

use formula_app::RequestCtx;
use formula_app::accounts::actor_for;
use formula_app::context::Caller;
use formula_app::error::AppError;
use formula_app::repos::prelude::*;
use formula_app::scope::NewScopeItem;
use formula_app::workshop::{MoveInput, QaInput, StageListInput, UndoInput};
use formula_domain::scope::{Quantity, ScopeItem};
use formula_domain::workshop::{
    ItemPositions, MoveKind, NewMove, QaResult, Stage, StageInput, StageKind, default_stages,
};

use crate::fixtures as f;
use crate::support::TestDb;
use crate::world::{World, world};

fn caller(w: &World) -> Caller {
    Caller {
        actor: actor_for(&w.pm),
        ctx: RequestCtx::default(),
    }
}

struct Shop {
    c: Caller,
    w: World,
    group: uuid::Uuid,
}

async fn shop(t: &TestDb) -> Shop {
    let w = world(t).await;
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    Shop {
        c: caller(&w),
        w,
        group: group.id,
    }
}

impl Shop {
    /// An item of `units`, released unless `release` is false.
    async fn item(&self, t: &TestDb, name: &str, units: i64, release: bool) -> ScopeItem {
        let item = t
            .services()
            .create_scope_item(
                &self.c,
                self.w.p1.id,
                NewScopeItem {
                    group_id: self.group,
                    name: name.into(),
                    quantity: Some(Quantity::units(units)),
                    ..NewScopeItem::default()
                },
            )
            .await
            .unwrap();
        if !release {
            return item;
        }
        let entry = f::audit(Some(&self.w.pm), "release", "scope_item", item.id, "x");
        t.release_scope_item(item.id, item.version, None, &entry)
            .await
            .unwrap()
    }
}

fn conflict(err: AppError) -> (&'static str, String) {
    match err {
        AppError::Conflict { code, message, .. } => (code, message),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn stage<'a>(stages: &'a [Stage], key: &str) -> &'a Stage {
    stages.iter().find(|s| s.key == key).unwrap()
}

fn at(p: &ItemPositions, stage: Option<&Stage>) -> Quantity {
    p.positions
        .iter()
        .find(|q| q.stage_id == stage.map(|s| s.id))
        .map_or(Quantity(0), |q| q.quantity)
}

fn mv(item: &ScopeItem, stage: &Stage, units: i64) -> MoveInput {
    MoveInput {
        scope_item_id: item.id,
        stage_id: stage.id,
        quantity: Quantity::units(units),
        note: None,
    }
}

pub async fn a_project_copies_the_company_list_once(t: &TestDb) {
    let shop = shop(t).await;
    let s = t.services();
    let p = shop.w.p1.id;
    assert!(t.list_project_stages(p).await.unwrap().is_empty());
    // Two at once: one copy.
    let (a, b) = tokio::join!(s.ensure_workshop_stages(p), s.ensure_workshop_stages(p));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len(), 7);
    assert_eq!(a, b);
    let keys: Vec<&str> = a.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "cutting",
            "edge_banding",
            "machining",
            "assembly",
            "finishing",
            "qa",
            "packed"
        ]
    );
    // The company's list changes; the project keeps its own.
    let mut mine = default_stages();
    mine.remove(2);
    t.services()
        .replace_company_stages(
            &Caller {
                actor: actor_for(
                    &crate::world::add_user(
                        t,
                        "admin@example.com",
                        "Ada Admin",
                        formula_domain::user::Role::Admin,
                    )
                    .await,
                ),
                ctx: RequestCtx::default(),
            },
            StageListInput { stages: mine },
        )
        .await
        .unwrap();
    assert_eq!(s.ensure_workshop_stages(p).await.unwrap().len(), 7);
    // A new project takes the company's list.
    assert_eq!(
        s.ensure_workshop_stages(shop.w.p2.id).await.unwrap().len(),
        6
    );
}

pub async fn quantities_move_through_the_stages_in_order(t: &TestDb) {
    let shop = shop(t).await;
    let s = t.services();
    let p = shop.w.p1.id;
    let wardrobe = shop.item(t, "Wardrobe", 12, true).await;
    let stages = s.ensure_workshop_stages(p).await.unwrap();
    let (cutting, edge, machining, assembly, finishing, qa, packed) = (
        stage(&stages, "cutting"),
        stage(&stages, "edge_banding"),
        stage(&stages, "machining"),
        stage(&stages, "assembly"),
        stage(&stages, "finishing"),
        stage(&stages, "qa"),
        stage(&stages, "packed"),
    );
    let m = s
        .move_workshop(&shop.c, p, mv(&wardrobe, cutting, 8))
        .await
        .unwrap();
    assert_eq!(m.moved.from_stage_id, None);
    assert_eq!(at(&m.positions, None), Quantity::units(4));
    assert_eq!(at(&m.positions, Some(cutting)), Quantity::units(8));
    for st in [edge, machining, assembly] {
        s.move_workshop(&shop.c, p, mv(&wardrobe, st, 4))
            .await
            .unwrap();
    }
    // Nothing passes a stage it has not reached.
    let err = s
        .move_workshop(&shop.c, p, mv(&wardrobe, finishing, 5))
        .await
        .unwrap_err();
    assert_eq!(
        conflict(err),
        (
            "not_enough_here",
            "only 4 of 12 are through assembly; 4 can go through finishing".to_owned()
        )
    );
    // The QA stage is passed by a check, not a move.
    assert!(matches!(
        s.move_workshop(&shop.c, p, mv(&wardrobe, qa, 1))
            .await
            .unwrap_err(),
        AppError::Validation(_)
    ));
    // An item not released does not move.
    let desk = shop.item(t, "Desk", 2, false).await;
    assert_eq!(
        conflict(
            s.move_workshop(&shop.c, p, mv(&desk, cutting, 1))
                .await
                .unwrap_err()
        )
        .0,
        "not_released"
    );
    let fin = s
        .move_workshop(&shop.c, p, mv(&wardrobe, finishing, 4))
        .await
        .unwrap();

    // QA: a fail needs notes and a stage before QA; it goes back to before that stage.
    let fail = |units, rework: Option<&Stage>, notes: Option<&str>| QaInput {
        scope_item_id: wardrobe.id,
        quantity: Quantity::units(units),
        result: QaResult::Fail,
        rework_stage_id: rework.map(|s| s.id),
        notes: notes.map(str::to_owned),
    };
    assert!(matches!(
        s.record_qa_check(&shop.c, p, fail(1, Some(assembly), None), &[])
            .await,
        Err(AppError::Validation(_))
    ));
    assert!(matches!(
        s.record_qa_check(&shop.c, p, fail(1, Some(packed), Some("x")), &[])
            .await,
        Err(AppError::Validation(_))
    ));
    let failed = s
        .record_qa_check(
            &shop.c,
            p,
            fail(1, Some(assembly), Some("Door scratched")),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(failed.check.rework_stage_name.as_deref(), Some("Assembly"));
    assert_eq!(at(&failed.positions, Some(finishing)), Quantity::units(3));
    assert_eq!(at(&failed.positions, Some(machining)), Quantity::units(1));
    let passed = s
        .record_qa_check(
            &shop.c,
            p,
            QaInput {
                scope_item_id: wardrobe.id,
                quantity: Quantity::units(3),
                result: QaResult::Pass,
                rework_stage_id: None,
                notes: None,
            },
            &[],
        )
        .await
        .unwrap();
    assert_eq!(at(&passed.positions, Some(qa)), Quantity::units(3));
    let err = s
        .record_qa_check(
            &shop.c,
            p,
            QaInput {
                scope_item_id: wardrobe.id,
                quantity: Quantity::units(1),
                result: QaResult::Pass,
                rework_stage_id: None,
                notes: None,
            },
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(conflict(err).0, "not_enough_here");
    let pk = s
        .move_workshop(&shop.c, p, mv(&wardrobe, packed, 3))
        .await
        .unwrap();
    assert_eq!(pk.positions.packed, Quantity::units(3));
    assert_eq!(
        t.packed_quantity(wardrobe.id).await.unwrap(),
        Quantity::units(3)
    );

    // Undo: once, and not what has moved on.
    let err = s
        .undo_workshop_move(&shop.c, fin.moved.id, UndoInput::default())
        .await
        .unwrap_err();
    assert_eq!(conflict(err).0, "not_enough_here", "finishing's 4 moved on");
    let undone = s
        .undo_workshop_move(&shop.c, pk.moved.id, UndoInput::default())
        .await
        .unwrap();
    assert_eq!(undone.moved.kind, MoveKind::Undo);
    assert_eq!(undone.positions.packed, Quantity(0));
    assert_eq!(
        conflict(
            s.undo_workshop_move(&shop.c, pk.moved.id, UndoInput::default())
                .await
                .unwrap_err()
        )
        .0,
        "already_undone"
    );
    assert_eq!(
        conflict(
            s.undo_workshop_move(&shop.c, undone.moved.id, UndoInput::default())
                .await
                .unwrap_err()
        )
        .0,
        "not_undoable"
    );

    // The item's history and the counts.
    let w = s.item_workshop(&shop.c, wardrobe.id).await.unwrap();
    assert_eq!(w.moves.len(), 9);
    assert_eq!(w.qa_checks.len(), 2);
    assert_eq!(w.rework.failures, 1);
    assert_eq!(w.rework.quantity, Quantity::units(1));
    let all = s.project_positions(&shop.c, p).await.unwrap();
    assert_eq!(all.len(), 1, "only released items");
    assert_eq!(all[0], w.positions);
    let sum: i64 = w.positions.positions.iter().map(|q| q.quantity.0).sum();
    assert_eq!(Quantity(sum), Quantity::units(12), "nothing is lost");

    // A stage holding quantities is not taken off the list; an unused one is.
    let mut list = default_stages();
    list.retain(|s| s.key != "machining");
    let err = s
        .replace_project_stages(&shop.c, p, StageListInput { stages: list })
        .await
        .unwrap_err();
    assert_eq!(conflict(err).0, "stage_holds_quantities");
    let mut list = default_stages();
    list.insert(
        5,
        StageInput {
            key: "upholstery".into(),
            name: "Upholstery".into(),
            kind: StageKind::Work,
        },
    );
    let changed = s
        .replace_project_stages(&shop.c, p, StageListInput { stages: list })
        .await
        .unwrap();
    assert_eq!(changed.stages.len(), 8);
    assert_eq!(changed.stages[5].key, "upholstery");
}

/// Many people moving the same item at once, many rounds: each round a new item of 5
/// units, all cut; eight tasks each try to move 2 through edge-banding at once. Exactly two
/// succeed (4 of 5), cutting keeps 1, and nothing goes below zero. Then eight tasks undo
/// the same move at once: exactly one succeeds.
pub async fn concurrent_moves_never_go_negative_nor_past_the_stage_before(t: &TestDb) {
    const ROUNDS: usize = 8;
    const WORKERS: usize = 8;
    let shop = Arc::new(shop(t).await);
    let p = shop.w.p1.id;
    let stages = t.services().ensure_workshop_stages(p).await.unwrap();
    let cutting = stage(&stages, "cutting").clone();
    let edge = stage(&stages, "edge_banding").clone();
    for round in 0..ROUNDS {
        let item = shop.item(t, &format!("Unit {round}"), 5, true).await;
        t.services()
            .move_workshop(&shop.c, p, mv(&item, &cutting, 5))
            .await
            .unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(WORKERS));
        let mut tasks = Vec::new();
        for _ in 0..WORKERS {
            let (db, shop, start, item, cutting, edge) = (
                t.db.clone(),
                shop.clone(),
                start.clone(),
                item.clone(),
                cutting.clone(),
                edge.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let n = NewMove {
                    id: uuid::Uuid::now_v7(),
                    project_id: shop.w.p1.id,
                    scope_item_id: item.id,
                    from_stage_id: Some(cutting.id),
                    to_stage_id: Some(edge.id),
                    quantity: Quantity::units(2),
                    kind: MoveKind::Forward,
                    qa_check_id: None,
                    reverses_id: None,
                    note: None,
                    moved_by: Some(shop.w.pm.id),
                    moved_at: f::now(),
                };
                let entry = f::audit(Some(&shop.w.pm), "move", "workshop_move", n.id, "x")
                    .in_project(shop.w.p1.id);
                start.wait().await;
                db.record_workshop_move(&n, None, &entry)
                    .await
                    .map(|_| n.id)
            }));
        }
        let mut won = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(id) => won.push(id),
                Err(e) => assert_eq!(conflict(e).0, "not_enough_here", "round {round}"),
            }
        }
        assert_eq!(won.len(), 2, "round {round}: two moves of 2 fit in 5");
        let now = t.item_positions(item.id).await.unwrap().unwrap();
        assert_eq!(
            at(&now, Some(&cutting)),
            Quantity::units(1),
            "round {round}"
        );
        assert_eq!(at(&now, Some(&edge)), Quantity::units(4), "round {round}");
        assert!(now.positions.iter().all(|q| q.quantity.0 >= 0));

        // Undoing the same move from eight places at once: once.
        let start = Arc::new(tokio::sync::Barrier::new(WORKERS));
        let mut tasks = Vec::new();
        for _ in 0..WORKERS {
            let (s, shop, start, target) = (t.services(), shop.clone(), start.clone(), won[0]);
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                s.undo_workshop_move(&shop.c, target, UndoInput::default())
                    .await
            }));
        }
        let mut undone = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => undone += 1,
                Err(e) => assert!(matches!(conflict(e).0, "already_undone"), "round {round}"),
            }
        }
        assert_eq!(undone, 1, "round {round}: undone once");
        let now = t.item_positions(item.id).await.unwrap().unwrap();
        assert_eq!(
            at(&now, Some(&cutting)),
            Quantity::units(3),
            "round {round}"
        );
        assert_eq!(at(&now, Some(&edge)), Quantity::units(2), "round {round}");
    }
}

both_backends! {
    a_project_copies_the_company_list_once,
    quantities_move_through_the_stages_in_order,
    concurrent_moves_never_go_negative_nor_past_the_stage_before,
}
