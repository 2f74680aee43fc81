//! Purchase orders over the store, through their use cases: numbers are unique and gapless
//! however many are raised at once; raising from approved specifications fills the lines
//! and the supplier; a project manager's approval above the limit is refused and an
//! executive's goes through; sending keeps the PDF, queues the mail with it and marks the
//! specifications ordered, in one transaction; callers without price rights see no prices.

use std::sync::Arc;

use formula_app::RequestCtx;
use formula_app::accounts::actor_for;
use formula_app::context::Caller;
use formula_app::error::AppError;
use formula_app::purchase_orders::{NewPurchaseOrder, PoDocument, PoLineInput};
use formula_app::repos::prelude::*;
use formula_domain::attachment::OwnerKind;
use formula_domain::purchase_order::PoStatus;
use formula_domain::scope::Quantity;
use formula_domain::spec::{Procurement, SpecStatus};
use formula_domain::user::{Role, User};
use formula_store::Backend;
use uuid::Uuid;

use crate::fixtures as f;
use crate::support::TestDb;
use crate::world::{add_user, world};

fn caller(u: &User) -> Caller {
    Caller {
        actor: actor_for(u),
        ctx: RequestCtx::default(),
    }
}

fn fake_pdf(d: &PoDocument) -> Result<Vec<u8>, String> {
    Ok(format!("%PDF-1.4 {}", d.order.number).into_bytes())
}

/// A uuid as a SQL literal of the backend (the directory's own store methods are the
/// suppliers module's; these tests write the rows they need directly).
fn uuid_lit(t: &TestDb, id: Uuid) -> String {
    match t.backend() {
        Backend::Sqlite => format!("X'{}'", id.simple()),
        Backend::Postgres => format!("'{id}'::uuid"),
    }
}

async fn add_supplier(t: &TestDb, name: &str, email: Option<&str>) -> Uuid {
    let id = Uuid::now_v7();
    let now = match t.backend() {
        Backend::Sqlite => "'2026-01-01T00:00:00Z'",
        Backend::Postgres => "now()",
    };
    let email = email.map_or("NULL".to_owned(), |e| format!("'{e}'"));
    t.outside(&format!(
        "INSERT INTO suppliers (id, name, categories, email, address, tax_number, payment_terms, \
         archived, created_at, updated_at, version) VALUES ({}, '{name}', 'veneer', {email}, \
         '1 Mill Road', 'TX-1', '30 days net', 0, {now}, {now}, 1) RETURNING CAST(1 AS BIGINT)",
        uuid_lit(t, id)
    ))
    .await;
    id
}

async fn set_limit(t: &TestDb, currency: &str, minor: i64) {
    let now = match t.backend() {
        Backend::Sqlite => "'2026-01-01T00:00:00Z'",
        Backend::Postgres => "now()",
    };
    t.outside(&format!(
        "INSERT INTO po_approval_limits (currency, project_manager_limit_minor, updated_at, version) \
         VALUES ('{currency}', {minor}, {now}, 1) RETURNING CAST(1 AS BIGINT)"
    ))
    .await;
}

/// An approved specification of the project from `supplier`.
async fn approved_spec(
    t: &TestDb,
    p: &formula_domain::project::Project,
    pm: &User,
    code: &str,
    supplier: Option<Uuid>,
    qty: i64,
    cost: i64,
) -> Uuid {
    let mut s = f::spec(p, code);
    s.status = SpecStatus::Approved;
    s.procurement = Some(Procurement::ToOrder);
    s.quantity = Quantity::units(qty);
    s.unit_cost_minor = Some(cost);
    s.needed_on = Some(time::macros::date!(2026 - 03 - 01));
    t.insert_spec(&s, &f::audit(Some(pm), "create", "spec", s.id, code))
        .await
        .unwrap();
    if let Some(sup) = supplier {
        t.outside(&format!(
            "UPDATE specs SET supplier_id = {} WHERE id = {} RETURNING CAST(1 AS BIGINT)",
            uuid_lit(t, sup),
            uuid_lit(t, s.id)
        ))
        .await;
    }
    s.id
}

fn line(desc: &str, qty: i64, price: i64) -> PoLineInput {
    PoLineInput {
        spec_id: None,
        scope_item_id: None,
        description: desc.into(),
        quantity: Quantity::units(qty),
        unit: "pcs".into(),
        unit_price_minor: price,
        required_on: None,
        version: None,
    }
}

pub async fn concurrent_creations_get_unique_gapless_numbers(t: &TestDb) {
    let w = world(t).await;
    let supplier = add_supplier(t, "Veneer Co", Some("orders@veneer.example")).await;
    let s = Arc::new(t.services());
    let c = Arc::new(caller(&w.pm));
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (s, c) = (s.clone(), c.clone());
        let project = w.p1.id;
        tasks.push(tokio::spawn(async move {
            s.create_purchase_order(
                &c,
                project,
                NewPurchaseOrder {
                    supplier_id: Some(supplier),
                    lines: vec![line(&format!("Panel {i}"), 1, 100)],
                    ..NewPurchaseOrder::default()
                },
            )
            .await
            .unwrap()
            .order
            .number
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap());
    }
    numbers.sort();
    let year = time::OffsetDateTime::now_utc().year();
    let expected: Vec<String> = (1..=12).map(|n| format!("PO-{year}-{n:04}")).collect();
    assert_eq!(numbers, expected);
}

pub async fn raised_from_specs_approved_within_limits_and_sent(t: &TestDb) {
    let w = world(t).await;
    let exec = add_user(t, "ed@example.com", "Eve Executive", Role::Executive).await;
    let supplier = add_supplier(t, "Veneer Co", Some("orders@veneer.example")).await;
    let other = add_supplier(t, "Stone House", None).await;
    let a = approved_spec(t, &w.p1, &w.pm, "SP-01", Some(supplier), 3, 12_345).await;
    let b = approved_spec(t, &w.p1, &w.pm, "SP-02", Some(supplier), 2, 50_000).await;
    let c2 = approved_spec(t, &w.p1, &w.pm, "SP-03", Some(other), 1, 1).await;
    let none = approved_spec(t, &w.p1, &w.pm, "SP-04", None, 1, 1).await;
    let s = t.services();
    let pm = caller(&w.pm);

    // Specs of two suppliers, or of none, are refused with a message naming them.
    for ids in [vec![a, c2], vec![none]] {
        let err = s
            .create_purchase_order(
                &pm,
                w.p1.id,
                NewPurchaseOrder {
                    spec_ids: ids,
                    ..NewPurchaseOrder::default()
                },
            )
            .await
            .unwrap_err();
        let AppError::Validation(e) = err else {
            panic!("{err:?}")
        };
        assert!(e.get("spec_ids").is_some(), "{e:?}");
    }
    // Another currency is refused.
    let err = s
        .create_purchase_order(
            &pm,
            w.p1.id,
            NewPurchaseOrder {
                spec_ids: vec![a],
                currency: Some("XYZ".into()),
                ..NewPurchaseOrder::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation(ref e) if e.get("currency").is_some()));

    let po = s
        .create_purchase_order(
            &pm,
            w.p1.id,
            NewPurchaseOrder {
                spec_ids: vec![a, b],
                ..NewPurchaseOrder::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(po.order.supplier_id, supplier);
    assert_eq!(po.order.status, PoStatus::Draft);
    assert_eq!(po.order.currency, w.p1.currency);
    assert_eq!(po.lines.len(), 2);
    assert_eq!(po.lines[0].spec_id, Some(a));
    assert_eq!(po.lines[0].unit_price_minor, Some(12_345));
    assert_eq!(
        po.lines[0].required_on,
        Some(time::macros::date!(2026 - 03 - 01))
    );
    let total = 3 * 12_345 + 2 * 50_000;
    assert_eq!(po.order.total_minor, Some(total));

    // A designer sees the order, not its prices.
    let designer = caller(&w.designer);
    let seen = s.get_purchase_order(&designer, po.order.id).await.unwrap();
    assert_eq!(seen.order.total_minor, None);
    assert_eq!(seen.lines.len(), 2);
    assert!(
        seen.lines
            .iter()
            .all(|l| l.unit_price_minor.is_none() && l.total_minor.is_none())
    );
    assert!(!seen.abilities.see_prices && !seen.abilities.approve && !seen.abilities.edit);

    // The limit below the total: the project manager who raised it may not approve it.
    set_limit(t, &w.p1.currency, total - 1).await;
    let err = s
        .approve_purchase_order(&pm, po.order.id, po.order.version)
        .await
        .unwrap_err();
    let AppError::Conflict { code, message, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(code, "above_approval_limit");
    assert!(message.contains("approval limit of"), "{message}");
    assert_eq!(
        s.get_purchase_order(&pm, po.order.id)
            .await
            .unwrap()
            .order
            .status,
        PoStatus::Draft
    );
    // An executive approves it; the approval is audited.
    let approved = s
        .approve_purchase_order(&caller(&exec), po.order.id, po.order.version)
        .await
        .unwrap();
    assert_eq!(approved.order.status, PoStatus::Approved);
    assert_eq!(approved.order.approved_by, Some(exec.id));
    let entries = t
        .outside(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE entity_id = {} AND action = 'approve'",
            uuid_lit(t, po.order.id)
        ))
        .await;
    assert_eq!(entries, 1);
    // A second approval of the same version changes nothing.
    assert!(
        s.approve_purchase_order(&caller(&exec), po.order.id, po.order.version)
            .await
            .is_err()
    );

    // Sending: the PDF is kept, the mail queued with it, the specs ordered.
    let sent = s
        .send_purchase_order(&pm, po.order.id, approved.order.version, None, fake_pdf)
        .await
        .unwrap();
    assert_eq!(sent.order.status, PoStatus::Sent);
    assert_eq!(sent.order.sent_to.as_deref(), Some("orders@veneer.example"));
    let file = format!("{}.pdf", po.order.number);
    let files = t
        .list_attachments(OwnerKind::PurchaseOrder, po.order.id)
        .await
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].file.name, file);
    s.drain_jobs("test", time::OffsetDateTime::now_utc(), 10)
        .await
        .unwrap();
    let mails = t.list_mail(10).await.unwrap();
    let mail = mails
        .iter()
        .find(|m| m.to_address == "orders@veneer.example")
        .expect("the order's mail");
    assert_eq!(mail.attachments, [file]);
    for id in [a, b] {
        let spec = t.get_spec(id).await.unwrap().unwrap();
        assert_eq!(spec.procurement, Some(Procurement::Ordered));
        assert_eq!(spec.po_number.as_deref(), Some(po.order.number.as_str()));
        assert_eq!(
            spec.expected_delivery,
            Some(time::macros::date!(2026 - 03 - 01))
        );
    }
    // Sent: its lines no longer change, it cannot be sent again, and it closes.
    assert!(
        s.add_po_line(&pm, po.order.id, sent.order.version, line("More", 1, 1))
            .await
            .is_err()
    );
    let closed = s
        .close_purchase_order(&pm, po.order.id, sent.order.version)
        .await
        .unwrap();
    assert_eq!(closed.order.status, PoStatus::Closed);
    assert!(
        s.cancel_purchase_order(&pm, po.order.id, closed.order.version, "late")
            .await
            .is_err()
    );
}

pub async fn drafts_edit_lines_keep_the_total_and_cancel_with_a_reason(t: &TestDb) {
    let w = world(t).await;
    let supplier = add_supplier(t, "Veneer Co", Some("orders@veneer.example")).await;
    let s = t.services();
    let pm = caller(&w.pm);
    let po = s
        .create_purchase_order(
            &pm,
            w.p1.id,
            NewPurchaseOrder {
                supplier_id: Some(supplier),
                lines: vec![line("Hinges", 10, 250)],
                ..NewPurchaseOrder::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(po.order.total_minor, Some(2_500));
    // 1.5 × 0.01 rounds half away from zero to 0.02.
    let mut odd = line("Screws", 0, 1);
    odd.quantity = Quantity(1_500);
    let more = s
        .add_po_line(&pm, po.order.id, po.order.version, odd)
        .await
        .unwrap();
    assert_eq!(more.order.total_minor, Some(2_502));
    // A stale version is refused.
    let err = s
        .add_po_line(&pm, po.order.id, po.order.version, line("x", 1, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Stale { .. }), "{err:?}");
    // Bad lines are refused per field.
    let err = s
        .add_po_line(&pm, po.order.id, more.order.version, line("", 0, -1))
        .await
        .unwrap_err();
    let AppError::Validation(e) = err else {
        panic!("{err:?}")
    };
    assert!(e.get("description").is_some() && e.get("quantity").is_some());
    let first = more.lines[0].id;
    let fewer = s
        .remove_po_line(&pm, po.order.id, first, more.order.version)
        .await
        .unwrap();
    assert_eq!(fewer.order.total_minor, Some(2));
    assert_eq!(fewer.lines.len(), 1);
    // Cancelling needs a reason.
    assert!(
        s.cancel_purchase_order(&pm, po.order.id, fewer.order.version, "  ")
            .await
            .is_err()
    );
    let cancelled = s
        .cancel_purchase_order(&pm, po.order.id, fewer.order.version, "Ordered elsewhere")
        .await
        .unwrap();
    assert_eq!(cancelled.order.status, PoStatus::Cancelled);
    assert_eq!(
        cancelled.order.cancelled_reason.as_deref(),
        Some("Ordered elsewhere")
    );
}

both_backends! {
    concurrent_creations_get_unique_gapless_numbers,
    raised_from_specs_approved_within_limits_and_sent,
    drafts_edit_lines_keep_the_total_and_cancel_with_a_reason,
}
