//! Variations over the store, through their use cases: lines priced and totalled exactly;
//! an approval adds and changes the scope and moves the contract value in one transaction,
//! once, however many approve at the same moment; a rejection changes nothing; an item no
//! longer as priced refuses the approval and changes nothing; numbers are distinct when
//! raised at once; client users never see a draft's prices.

use std::sync::Arc;

use formula_app::RequestCtx;
use formula_app::accounts::actor_for;
use formula_app::context::Caller;
use formula_app::error::AppError;
use formula_app::locations::NewLocation;
use formula_app::repos::prelude::*;
use formula_app::scope::{NewScopeItem, ScopeItemPatch};
use formula_app::variations::{LineInput, NewVariation, VariationDecisionInput};
use formula_domain::location::LocationKind;
use formula_domain::scope::{Quantity, ScopeGroup, ScopeItem, ScopeStatus};
use formula_domain::user::{Role, User};
use formula_domain::variation::{
    LineKind, Variation, VariationDecision, VariationReason, VariationStatus,
};
use formula_store::Backend;
use uuid::Uuid;

use crate::fixtures as f;
use crate::support::TestDb;
use crate::world::{World, world};

fn caller(u: &User) -> Caller {
    Caller {
        actor: actor_for(u),
        ctx: RequestCtx::default(),
    }
}

struct Setup {
    w: World,
    client: User,
    group: ScopeGroup,
    shelf: ScopeItem,
    desk: ScopeItem,
}

async fn setup(t: &TestDb) -> Setup {
    let w = world(t).await;
    let mut client = f::user("cleo@acme.example", "Cleo Client", Role::Client);
    client.client_id = Some(w.acme.id);
    t.insert_user(
        &client,
        "argon2-hash",
        &f::audit(None, "create", "user", client.id, &client.email),
    )
    .await
    .unwrap();
    let s = t.services();
    let c = caller(&w.pm);
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    let item = |code: &str, name: &str, qty: i64, rate: i64| NewScopeItem {
        group_id: group.id,
        code: Some(code.into()),
        name: name.into(),
        quantity: Some(Quantity::units(qty)),
        unit_price_minor: Some(rate),
        ..NewScopeItem::default()
    };
    let shelf = s
        .create_scope_item(&c, w.p1.id, item("WSC-25-001-M-001", "Shelf", 4, 12_345))
        .await
        .unwrap();
    let desk = s
        .create_scope_item(&c, w.p1.id, item("WSC-25-001-M-002", "Desk", 2, 50_000))
        .await
        .unwrap();
    Setup {
        w,
        client,
        group,
        shelf,
        desk,
    }
}

/// A submitted variation on p1: a new wardrobe (3 × 1,000.00), the shelves from 4 to 6, and
/// the desks omitted.
async fn priced(t: &TestDb, st: &Setup) -> Variation {
    let s = t.services();
    let c = caller(&st.w.pm);
    let v = s
        .create_variation(
            &c,
            st.w.p1.id,
            NewVariation {
                title: Some("Extra storage".into()),
                ..NewVariation::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.code, "VO-001");
    let add = LineInput {
        kind: Some(LineKind::Add),
        group_id: Some(st.group.id),
        name: Some("Wardrobe".into()),
        unit: Some("pcs".into()),
        quantity: Some(Quantity::units(3)),
        unit_price_minor: Some(100_000),
        ..LineInput::default()
    };
    let d = s.add_variation_line(&c, v.id, 1, add).await.unwrap();
    let change = LineInput {
        kind: Some(LineKind::Change),
        scope_item_id: Some(st.shelf.id),
        quantity: Some(Quantity::units(6)),
        ..LineInput::default()
    };
    let d = s
        .add_variation_line(&c, v.id, d.variation.version, change)
        .await
        .unwrap();
    let omit = LineInput {
        kind: Some(LineKind::Omit),
        scope_item_id: Some(st.desk.id),
        ..LineInput::default()
    };
    let d = s
        .add_variation_line(&c, v.id, d.variation.version, omit)
        .await
        .unwrap();
    assert_eq!(
        d.lines.iter().map(|l| l.amount_minor).collect::<Vec<_>>(),
        [300_000, 2 * 12_345, -100_000]
    );
    assert_eq!(d.variation.total_minor, Some(300_000 + 24_690 - 100_000));
    s.submit_variation(&c, v.id, d.variation.version)
        .await
        .unwrap()
}

fn decision(v: &Variation, d: VariationDecision, comments: Option<&str>) -> VariationDecisionInput {
    VariationDecisionInput {
        decision: d,
        comments: comments.map(Into::into),
        version: Some(v.version),
    }
}

async fn contract_value(t: &TestDb, project: Uuid) -> Option<i64> {
    t.get_project(project)
        .await
        .unwrap()
        .unwrap()
        .contract_value
        .map(|m| m.amount_minor)
}

async fn item(t: &TestDb, id: Uuid) -> ScopeItem {
    t.get_scope_item(id).await.unwrap().unwrap()
}

async fn item_count(t: &TestDb, project: Uuid) -> usize {
    t.scope_item_codes(project).await.unwrap().len()
}

pub async fn approval_adds_changes_and_omits_and_moves_the_value(t: &TestDb) {
    let st = setup(t).await;
    let v = priced(t, &st).await;
    let before = contract_value(t, st.w.p1.id).await.unwrap();
    let s = t.services();
    let client = caller(&st.client);
    // The client sees it once submitted, with its lines and prices.
    let seen = s.get_variation(&client, v.id).await.unwrap();
    assert_eq!(seen.lines.len(), 3);
    assert!(seen.abilities.decide);
    let approved = s
        .decide_variation(
            &client,
            v.id,
            v.version,
            decision(&v, VariationDecision::Approved, Some("Go ahead")),
        )
        .await
        .unwrap();
    assert_eq!(approved.status, VariationStatus::Approved);
    assert!(approved.applied_at.is_some());
    let total = approved.total_minor.unwrap();
    assert_eq!(contract_value(t, st.w.p1.id).await, Some(before + total));
    let shelf = item(t, st.shelf.id).await;
    assert_eq!(
        (shelf.quantity, shelf.total_minor),
        (Quantity::units(6), Some(6 * 12_345))
    );
    let desk = item(t, st.desk.id).await;
    assert_eq!(
        (desk.quantity, desk.status, desk.total_minor),
        (Quantity::default(), ScopeStatus::Cancelled, Some(0))
    );
    // The added line points at the item it created, with the group's next code.
    let d = s.get_variation(&caller(&st.w.pm), v.id).await.unwrap();
    let added = d.lines.iter().find(|l| l.kind == LineKind::Add).unwrap();
    let new_id = added.scope_item_id.expect("the add line links its item");
    let new = item(t, new_id).await;
    assert_eq!(new.code, "WSC-25-001-M-003");
    assert_eq!(
        (new.quantity, new.total_minor),
        (Quantity::units(3), Some(300_000))
    );
    assert_eq!(d.reviews.len(), 1);
    assert_eq!(d.reviews[0].reviewer_name.as_deref(), Some("Cleo Client"));
    // The scope item knows the variation behind it.
    let behind = s.item_variations(&caller(&st.w.pm), new_id).await.unwrap();
    assert_eq!(behind[0].code, "VO-001");
    // The contract value is the original plus the approved variations, exactly: the sum of
    // the scope moved by the same amount.
    let scope_total: i64 = [shelf.total_minor, desk.total_minor, new.total_minor]
        .into_iter()
        .flatten()
        .sum();
    assert_eq!(scope_total - (4 * 12_345 + 2 * 50_000), total);
}

pub async fn concurrent_approvals_apply_once(t: &TestDb) {
    const APPROVERS: usize = 6;
    let st = Arc::new(setup(t).await);
    let v = priced(t, &st).await;
    let before = contract_value(t, st.w.p1.id).await.unwrap();
    let items_before = item_count(t, st.w.p1.id).await;
    let start = Arc::new(tokio::sync::Barrier::new(APPROVERS));
    let mut tasks = Vec::new();
    for i in 0..APPROVERS {
        let (s, st, start, v) = (t.services(), st.clone(), start.clone(), v.clone());
        tasks.push(tokio::spawn(async move {
            // The client and the project manager recording the same decision, at once.
            let who = if i % 2 == 0 { &st.client } else { &st.w.pm };
            start.wait().await;
            s.decide_variation(
                &caller(who),
                v.id,
                v.version,
                decision(&v, VariationDecision::Approved, None),
            )
            .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(AppError::Stale { .. }) => {}
            Err(other) => panic!("expected a stale refusal, got {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one approval applies");
    let total = v.total_minor.unwrap();
    assert_eq!(contract_value(t, st.w.p1.id).await, Some(before + total));
    assert_eq!(item_count(t, st.w.p1.id).await, items_before + 1);
    assert_eq!(item(t, st.shelf.id).await.quantity, Quantity::units(6));
    let reviews = t.variation_reviews(v.id).await.unwrap();
    assert_eq!(reviews.len(), 1);
}

pub async fn rejection_leaves_scope_and_value_untouched(t: &TestDb) {
    let st = setup(t).await;
    let v = priced(t, &st).await;
    let before = contract_value(t, st.w.p1.id).await;
    let items_before = item_count(t, st.w.p1.id).await;
    let (shelf, desk) = (item(t, st.shelf.id).await, item(t, st.desk.id).await);
    let s = t.services();
    let client = caller(&st.client);
    // A rejection needs a reason.
    let err = s
        .decide_variation(
            &client,
            v.id,
            v.version,
            decision(&v, VariationDecision::Rejected, None),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)), "{err:?}");
    let rejected = s
        .decide_variation(
            &client,
            v.id,
            v.version,
            decision(&v, VariationDecision::Rejected, Some("Too dear")),
        )
        .await
        .unwrap();
    assert_eq!(rejected.status, VariationStatus::Rejected);
    assert_eq!(rejected.applied_at, None);
    assert_eq!(contract_value(t, st.w.p1.id).await, before);
    assert_eq!(item_count(t, st.w.p1.id).await, items_before);
    assert_eq!(item(t, st.shelf.id).await, shelf);
    assert_eq!(item(t, st.desk.id).await, desk);
    // Decided is final.
    let again = s
        .decide_variation(
            &client,
            v.id,
            rejected.version,
            decision(&rejected, VariationDecision::Approved, None),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(again, AppError::InvalidTransition { .. }),
        "{again:?}"
    );
}

pub async fn an_item_changed_since_pricing_refuses_the_approval(t: &TestDb) {
    let st = setup(t).await;
    let v = priced(t, &st).await;
    let before = contract_value(t, st.w.p1.id).await;
    let items_before = item_count(t, st.w.p1.id).await;
    let s = t.services();
    let pm = caller(&st.w.pm);
    // Someone edits the shelves after the variation was priced.
    let shelf = item(t, st.shelf.id).await;
    s.update_scope_item(
        &pm,
        shelf.id,
        shelf.version,
        ScopeItemPatch {
            quantity: Some(Quantity::units(5)),
            ..ScopeItemPatch::default()
        },
    )
    .await
    .unwrap();
    let err = s
        .decide_variation(
            &caller(&st.client),
            v.id,
            v.version,
            decision(&v, VariationDecision::Approved, None),
        )
        .await
        .unwrap_err();
    match err {
        AppError::Conflict { code, message, .. } => {
            assert_eq!(code, "variation_outdated");
            assert_eq!(
                message,
                "WSC-25-001-M-001 changed since VO-001 was priced; revise the variation"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Nothing changed: not the decision, not the scope, not the value.
    let still = s.get_variation(&pm, v.id).await.unwrap();
    assert_eq!(still.variation.status, VariationStatus::Submitted);
    assert!(still.reviews.is_empty());
    assert_eq!(contract_value(t, st.w.p1.id).await, before);
    assert_eq!(item_count(t, st.w.p1.id).await, items_before);
    assert_eq!(item(t, st.desk.id).await.status, ScopeStatus::NotStarted);
}

pub async fn clients_never_see_a_drafts_prices(t: &TestDb) {
    let st = setup(t).await;
    let s = t.services();
    let pm = caller(&st.w.pm);
    let client = caller(&st.client);
    let draft = s
        .create_variation(
            &pm,
            st.w.p1.id,
            NewVariation {
                title: Some("Internal pricing".into()),
                time_impact_days: Some(5),
                ..NewVariation::default()
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        s.get_variation(&client, draft.id).await.unwrap_err(),
        AppError::NotFound(_)
    ));
    // A client's request: a title and a description, no prices.
    let request = s
        .create_variation(
            &client,
            st.w.p1.id,
            NewVariation {
                title: Some("Add a coat rack".into()),
                description: Some("By the entrance".into()),
                ..NewVariation::default()
            },
        )
        .await
        .unwrap();
    assert!(request.requested_by_client);
    assert_eq!(request.code, "VO-002");
    let priced = s
        .add_variation_line(
            &pm,
            request.id,
            request.version,
            LineInput {
                kind: Some(LineKind::Add),
                group_id: Some(st.group.id),
                name: Some("Coat rack".into()),
                quantity: Some(Quantity::units(1)),
                unit_price_minor: Some(45_000),
                ..LineInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(priced.variation.total_minor, Some(45_000));
    let seen = s.get_variation(&client, request.id).await.unwrap();
    assert_eq!(seen.variation.total_minor, None);
    assert!(seen.lines.is_empty());
    let (list, total, _) = s
        .list_variations(&client, st.w.p1.id, None, None)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(list[0].id, request.id);
    assert_eq!(list[0].total_minor, None);
    let (_, register) = s.variation_register(&client, st.w.p1.id).await.unwrap();
    assert!(
        register
            .iter()
            .all(|(v, lines)| v.total_minor.is_none() && lines.is_empty())
    );
    // Clients may not price.
    let err = s
        .add_variation_line(
            &client,
            request.id,
            priced.variation.version,
            LineInput::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden), "{err:?}");
}

pub async fn concurrent_raises_get_distinct_numbers(t: &TestDb) {
    let st = Arc::new(setup(t).await);
    let mut tasks = Vec::new();
    let start = Arc::new(tokio::sync::Barrier::new(5));
    for i in 0..5 {
        let (s, st, start) = (t.services(), st.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            s.create_variation(
                &caller(&st.w.pm),
                st.w.p1.id,
                NewVariation {
                    title: Some(format!("Change {i}")),
                    ..NewVariation::default()
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
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
}

/// Writes an answered RFI of `project` as the RFI use cases would (the RFI entity is
/// another part's), from outside the store.
async fn answered_rfi(t: &TestDb, project: Uuid, number: i64, subject: &str, answer: &str) -> Uuid {
    let id = Uuid::now_v7();
    let (uuid, ts): (Box<dyn Fn(Uuid) -> String>, &str) = match t.backend() {
        Backend::Sqlite => (
            Box::new(|u: Uuid| format!("X'{}'", u.simple())),
            "'2026-01-01T12:00:00.000000Z'",
        ),
        Backend::Postgres => (
            Box::new(|u: Uuid| format!("'{u}'::uuid")),
            "'2026-01-01T12:00:00Z'::timestamptz",
        ),
    };
    t.outside(&format!(
        "INSERT INTO rfis (id, project_id, number, subject, question, raised_at, status, \
         client_visible, answer, answered_at, cost_impact, time_impact, updated_at, version) \
         VALUES ({}, {}, {number}, '{subject}', 'Which finish?', {ts}, 'answered', 0, \
         '{answer}', {ts}, 1, 0, {ts}, 1)",
        uuid(id),
        uuid(project),
    ))
    .await;
    id
}

pub async fn a_variation_starts_from_an_rfi_of_the_project(t: &TestDb) {
    let st = setup(t).await;
    let s = t.services();
    let pm = caller(&st.w.pm);
    let rfi = answered_rfi(
        t,
        st.w.p1.id,
        4,
        "Desk finish",
        "Use walnut; add a second desk.",
    )
    .await;
    let pre = s.variation_from_rfi(&pm, st.w.p1.id, rfi).await.unwrap();
    assert_eq!(pre.title.as_deref(), Some("RFI-004: Desk finish"));
    assert_eq!(
        pre.description.as_deref(),
        Some("Use walnut; add a second desk.")
    );
    let v = s
        .create_variation(
            &pm,
            st.w.p1.id,
            NewVariation {
                rfi_id: Some(rfi),
                ..NewVariation::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.title, "RFI-004: Desk finish");
    assert_eq!(v.reason, VariationReason::Rfi);
    assert_eq!(v.rfi_id, Some(rfi));
    assert_eq!(v.rfi_code.as_deref(), Some("RFI-004"));
    // An RFI of another project is refused, naming the field.
    let other = answered_rfi(t, st.w.p2.id, 1, "Elsewhere", "No").await;
    let err = s
        .create_variation(
            &pm,
            st.w.p1.id,
            NewVariation {
                rfi_id: Some(other),
                ..NewVariation::default()
            },
        )
        .await
        .unwrap_err();
    match err {
        AppError::Validation(e) => assert!(e.get("rfi_id").is_some(), "{e:?}"),
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// Omitting an item installed in a room would leave the room holding less than is installed:
/// the approval is refused, naming the room, and nothing changes.
pub async fn omitting_an_installed_item_is_refused(t: &TestDb) {
    let st = setup(t).await;
    let s = t.services();
    let pm = caller(&st.w.pm);
    let p = st.w.p1.id;
    let place = |kind, parent, code: &str| NewLocation {
        kind,
        parent_id: parent,
        code: code.into(),
        name: format!("Place {code}"),
        room_type_id: None,
    };
    let b = s
        .create_location(&pm, p, place(LocationKind::Building, None, "T1"))
        .await
        .unwrap();
    let l = s
        .create_location(&pm, p, place(LocationKind::Level, Some(b.id), "T1-L01"))
        .await
        .unwrap();
    let room = s
        .create_location(&pm, p, place(LocationKind::Room, Some(l.id), "T1-L01-0101"))
        .await
        .unwrap();
    let (uuid, date, ts): (Box<dyn Fn(Uuid) -> String>, &str, &str) = match t.backend() {
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
         installed_on, recorded_at) VALUES ({}, {}, {}, {}, 1000, {date}, {ts})",
        uuid(Uuid::now_v7()),
        uuid(p),
        uuid(st.desk.id),
        uuid(room.id),
    ))
    .await;
    let v = priced(t, &st).await;
    let before = contract_value(t, p).await;
    let err = s
        .decide_variation(
            &caller(&st.client),
            v.id,
            v.version,
            decision(&v, VariationDecision::Approved, None),
        )
        .await
        .unwrap_err();
    match err {
        AppError::Conflict { code, message, .. } => {
            assert_eq!(code, "installed_exceeds");
            assert!(message.contains("T1-L01-0101"), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(contract_value(t, p).await, before);
    assert_eq!(item(t, st.desk.id).await.status, ScopeStatus::NotStarted);
    assert_eq!(item(t, st.shelf.id).await.quantity, Quantity::units(4));
    let still = s.get_variation(&pm, v.id).await.unwrap();
    assert_eq!(still.variation.status, VariationStatus::Submitted);
}

/// A new item's code is the group's next free one when approved (items added since the
/// pricing count); a code typed on the line and taken since refuses the approval.
pub async fn new_items_get_a_free_code(t: &TestDb) {
    let st = setup(t).await;
    let s = t.services();
    let pm = caller(&st.w.pm);
    let v = priced(t, &st).await;
    s.create_scope_item(
        &pm,
        st.w.p1.id,
        NewScopeItem {
            group_id: st.group.id,
            code: Some("WSC-25-001-M-003".into()),
            name: "Added meanwhile".into(),
            ..NewScopeItem::default()
        },
    )
    .await
    .unwrap();
    s.decide_variation(
        &caller(&st.client),
        v.id,
        v.version,
        decision(&v, VariationDecision::Approved, None),
    )
    .await
    .unwrap();
    let d = s.get_variation(&pm, v.id).await.unwrap();
    let added = d.lines.iter().find(|l| l.kind == LineKind::Add).unwrap();
    assert_eq!(added.code.as_deref(), Some("WSC-25-001-M-004"));

    // A typed code taken since the pricing.
    let v2 = s
        .create_variation(
            &pm,
            st.w.p1.id,
            NewVariation {
                title: Some("Typed code".into()),
                ..NewVariation::default()
            },
        )
        .await
        .unwrap();
    let d = s
        .add_variation_line(
            &pm,
            v2.id,
            v2.version,
            LineInput {
                kind: Some(LineKind::Add),
                group_id: Some(st.group.id),
                code: Some("BENCH-1".into()),
                name: Some("Bench".into()),
                quantity: Some(Quantity::units(1)),
                unit_price_minor: Some(100),
                ..LineInput::default()
            },
        )
        .await
        .unwrap();
    let sub = s
        .submit_variation(&pm, v2.id, d.variation.version)
        .await
        .unwrap();
    s.create_scope_item(
        &pm,
        st.w.p1.id,
        NewScopeItem {
            group_id: st.group.id,
            code: Some("BENCH-1".into()),
            name: "Another bench".into(),
            ..NewScopeItem::default()
        },
    )
    .await
    .unwrap();
    let before = contract_value(t, st.w.p1.id).await;
    let err = s
        .decide_variation(
            &caller(&st.client),
            sub.id,
            sub.version,
            decision(&sub, VariationDecision::Approved, None),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppError::Conflict {
                code: "variation_outdated",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(contract_value(t, st.w.p1.id).await, before);
}

both_backends! {
    new_items_get_a_free_code,
    omitting_an_installed_item_is_refused,
    a_variation_starts_from_an_rfi_of_the_project,
    approval_adds_changes_and_omits_and_moves_the_value,
    concurrent_approvals_apply_once,
    rejection_leaves_scope_and_value_untouched,
    an_item_changed_since_pricing_refuses_the_approval,
    clients_never_see_a_drafts_prices,
    concurrent_raises_get_distinct_numbers,
}
