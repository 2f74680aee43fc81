//! Goods receipts over the store: a receipt adds to its lines, moves its order (sent →
//! partially received → received) and each linked specification's procurement (partially
//! delivered → delivered, with the quantity delivered), with audit entries; a line never
//! passes its ordered quantity unless the receipt line accepts the over-delivery, even with
//! many receipts at once; and the committed lines of cost control. Orders and their lines are
//! written from outside the store (the purchase-order use cases are not what is tested here).

use std::sync::Arc;

use formula_app::error::AppError;
use formula_app::repos::prelude::*;
use formula_domain::goods_receipt::{NewGoodsReceipt, NewReceiptLine};
use formula_domain::scope::Quantity;
use formula_domain::spec::{Procurement, SpecStatus};
use formula_store::Backend;
use time::Date;
use uuid::Uuid;

use crate::fixtures as f;
use crate::support::TestDb;
use crate::world::{audit_count, world};

/// SQL literals for a uuid, a timestamp and a date on `t`'s backend.
fn uuid_lit(t: &TestDb, u: Uuid) -> String {
    match t.backend() {
        Backend::Sqlite => format!("X'{}'", u.simple()),
        Backend::Postgres => format!("'{u}'::uuid"),
    }
}

fn ts_lit(t: &TestDb) -> &'static str {
    match t.backend() {
        Backend::Sqlite => "'2026-01-01T12:00:00.000000Z'",
        Backend::Postgres => "'2026-01-01T12:00:00Z'::timestamptz",
    }
}

fn date_lit(t: &TestDb, d: Option<Date>) -> String {
    match (d, t.backend()) {
        (None, _) => "NULL".into(),
        (Some(d), Backend::Sqlite) => format!("'{d}'"),
        (Some(d), Backend::Postgres) => format!("'{d}'::date"),
    }
}

/// A supplier, from outside the store.
pub async fn supplier(t: &TestDb, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    let ts = ts_lit(t);
    t.outside(&format!(
        "INSERT INTO suppliers (id, name, categories, archived, created_at, updated_at, version) \
         VALUES ({}, '{name}', '', 0, {ts}, {ts}, 1)",
        uuid_lit(t, id)
    ))
    .await;
    id
}

/// A purchase order of `project` in `status`, from outside the store.
pub async fn order(t: &TestDb, project: Uuid, supplier: Uuid, number: &str, status: &str) -> Uuid {
    let id = Uuid::now_v7();
    let ts = ts_lit(t);
    t.outside(&format!(
        "INSERT INTO purchase_orders (id, project_id, supplier_id, number, status, currency, \
         total_minor, created_at, updated_at, version) \
         VALUES ({}, {}, {}, '{number}', '{status}', 'USD', 0, {ts}, {ts}, 1)",
        uuid_lit(t, id),
        uuid_lit(t, project),
        uuid_lit(t, supplier),
    ))
    .await;
    id
}

/// A line of an order: `units` ordered at `price` minor units each.
#[allow(clippy::too_many_arguments)]
pub async fn line(
    t: &TestDb,
    order: Uuid,
    position: i64,
    spec: Option<Uuid>,
    item: Option<Uuid>,
    units: i64,
    price: i64,
    required_on: Option<Date>,
) -> Uuid {
    let id = Uuid::now_v7();
    let opt = |u: Option<Uuid>| u.map_or("NULL".to_owned(), |u| uuid_lit(t, u));
    t.outside(&format!(
        "INSERT INTO purchase_order_lines (id, purchase_order_id, position, spec_id, \
         scope_item_id, description, quantity_milli, unit, unit_price_minor, total_minor, \
         required_on, received_milli) VALUES ({}, {}, {position}, {}, {}, 'Line {position}', \
         {}, 'pc', {price}, {}, {}, 0)",
        uuid_lit(t, id),
        uuid_lit(t, order),
        opt(spec),
        opt(item),
        units * 1000,
        units * price,
        date_lit(t, required_on),
    ))
    .await;
    id
}

fn receipt(order: Uuid, lines: &[(Uuid, i64, Option<&str>)]) -> NewGoodsReceipt {
    NewGoodsReceipt {
        id: Uuid::now_v7(),
        purchase_order_id: order,
        received_on: f::today(),
        delivery_note: Some("DN-1".into()),
        received_by: None,
        received_by_name: Some("Site store".into()),
        note: None,
        recorded_at: f::now(),
        lines: lines
            .iter()
            .map(|(id, units, reason)| NewReceiptLine {
                line_id: *id,
                quantity: Quantity::units(*units),
                over_delivery_reason: reason.map(str::to_owned),
            })
            .collect(),
    }
}

fn entry(r: &NewGoodsReceipt) -> formula_domain::audit::AuditEntry {
    f::audit(None, "receive", "goods_receipt", r.id, "GR")
}

fn conflict(err: AppError) -> &'static str {
    match err {
        AppError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn status(t: &TestDb, order: Uuid) -> String {
    t.receiving_order(order).await.unwrap().unwrap().status
}

pub async fn receipts_move_lines_orders_and_specifications(t: &TestDb) {
    let w = world(t).await;
    let mut spec = f::spec(&w.p1, "VEN-1");
    spec.status = SpecStatus::Approved;
    spec.procurement = Some(Procurement::Ordered);
    spec.quantity = Quantity::units(10);
    t.insert_spec(
        &spec,
        &f::audit(Some(&w.pm), "create", "spec", spec.id, "VEN-1"),
    )
    .await
    .unwrap();
    let sup = supplier(t, "Veneer Co").await;
    let po = order(t, w.p1.id, sup, "PO-2026-0001", "sent").await;
    let l1 = line(t, po, 1, Some(spec.id), None, 10, 800, Some(f::today())).await;
    let l2 = line(t, po, 2, None, None, 5, 100, None).await;

    let r = receipt(po, &[(l1, 4, None)]);
    let moved = t.record_receipt(&r, &entry(&r)).await.unwrap();
    assert_eq!(moved.status, "partially_received");
    assert_eq!(
        moved.specs,
        vec![(spec.id, Procurement::PartiallyDelivered, Quantity::units(4))]
    );
    let s = t.get_spec(spec.id).await.unwrap().unwrap();
    assert_eq!(s.procurement, Some(Procurement::PartiallyDelivered));
    assert_eq!(s.delivered_quantity, Quantity::units(4));
    assert_eq!(s.version, spec.version + 1);
    assert_eq!(audit_count(t, "spec", spec.id).await, 2);
    assert_eq!(audit_count(t, "purchase_order", po).await, 1);
    assert_eq!(audit_count(t, "goods_receipt", r.id).await, 1);

    // Past the ordered quantity: refused, unless the line accepts it with a reason.
    let over = receipt(po, &[(l1, 7, None), (l2, 5, None)]);
    assert_eq!(
        conflict(t.record_receipt(&over, &entry(&over)).await.unwrap_err()),
        "over_delivery"
    );
    assert_eq!(
        t.receiving_order(po).await.unwrap().unwrap().lines[1].received,
        Quantity(0),
        "a refused receipt leaves nothing behind"
    );
    let over = receipt(po, &[(l1, 7, Some("Spare sheets kept")), (l2, 5, None)]);
    let moved = t.record_receipt(&over, &entry(&over)).await.unwrap();
    assert_eq!(moved.status, "received");
    let o = t.receiving_order(po).await.unwrap().unwrap();
    assert_eq!(o.lines[0].received, Quantity::units(11));
    assert_eq!(o.lines[0].remaining, Quantity(0));
    assert_eq!(o.lines[0].received_on, Some(f::today()));
    let s = t.get_spec(spec.id).await.unwrap().unwrap();
    assert_eq!(s.procurement, Some(Procurement::Delivered));
    assert_eq!(s.delivered_quantity, Quantity::units(11));

    let listed = t.list_receipts(po).await.unwrap();
    assert_eq!(listed.len(), 2);
    let with_reason = listed
        .iter()
        .find(|x| x.id == over.id)
        .expect("the second receipt");
    assert_eq!(with_reason.lines.len(), 2);
    assert_eq!(
        with_reason.lines[0].over_delivery_reason.as_deref(),
        Some("Spare sheets kept")
    );
    assert_eq!(with_reason.received_by_name.as_deref(), Some("Site store"));
    let (one, project) = t.get_receipt(r.id).await.unwrap().unwrap();
    assert_eq!((one.lines.len(), project), (1, w.p1.id));

    // A received order takes no more; nor does a draft; nor a line of another order.
    let more = receipt(po, &[(l2, 1, Some("extra"))]);
    assert_eq!(
        conflict(t.record_receipt(&more, &entry(&more)).await.unwrap_err()),
        "not_receivable"
    );
    let draft = order(t, w.p1.id, sup, "PO-2026-0002", "draft").await;
    let dl = line(t, draft, 1, None, None, 1, 1, None).await;
    let r = receipt(draft, &[(dl, 1, None)]);
    assert_eq!(
        conflict(t.record_receipt(&r, &entry(&r)).await.unwrap_err()),
        "not_receivable"
    );
    let sent = order(t, w.p1.id, sup, "PO-2026-0003", "sent").await;
    let r = receipt(sent, &[(dl, 1, None)]);
    assert!(matches!(
        t.record_receipt(&r, &entry(&r)).await.unwrap_err(),
        AppError::Validation(_)
    ));
    assert_eq!(status(t, sent).await, "sent");
}

/// Many receipts of the same line at once, many rounds: the line orders 3, ten people
/// receive 1 each at the same moment. Exactly three succeed; the line ends at 3, received.
pub async fn concurrent_receipts_never_exceed_the_ordered_quantity(t: &TestDb) {
    const ROUNDS: usize = 6;
    const RECEIVERS: usize = 10;
    let w = world(t).await;
    let sup = supplier(t, "Race Supplies").await;
    for round in 0..ROUNDS {
        let po = order(t, w.p1.id, sup, &format!("PO-2026-1{round:03}"), "sent").await;
        let l = line(t, po, 1, None, None, 3, 100, None).await;
        let start = Arc::new(tokio::sync::Barrier::new(RECEIVERS));
        let mut tasks = Vec::new();
        for _ in 0..RECEIVERS {
            let (db, start) = (t.db.clone(), start.clone());
            tasks.push(tokio::spawn(async move {
                let r = receipt(po, &[(l, 1, None)]);
                start.wait().await;
                db.record_receipt(&r, &entry(&r)).await
            }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(e) => {
                    let code = conflict(e);
                    assert!(
                        code == "over_delivery" || code == "not_receivable",
                        "round {round}: {code}"
                    );
                }
            }
        }
        assert_eq!(
            won, 3,
            "round {round}: exactly the ordered quantity arrives"
        );
        let o = t.receiving_order(po).await.unwrap().unwrap();
        assert_eq!(o.lines[0].received, Quantity::units(3), "round {round}");
        assert_eq!(o.status, "received", "round {round}");
    }
}

/// Committed lines: only orders approved or further (not draft, not cancelled), with each
/// spec line's scope items and their quantities; late lines are those past their date.
pub async fn committed_and_late_lines(t: &TestDb) {
    let w = world(t).await;
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    let a = f::scope_item(&group, "M-1", 1, Some(1000), 0);
    let b = f::scope_item(&group, "M-2", 2, Some(1000), 0);
    t.save_scope(&[], &[a.clone(), b.clone()], &[], &[])
        .await
        .unwrap();
    let mut spec = f::spec(&w.p1, "VEN-2");
    spec.scope_item_ids = vec![a.id, b.id];
    t.insert_spec(
        &spec,
        &f::audit(Some(&w.pm), "create", "spec", spec.id, "VEN-2"),
    )
    .await
    .unwrap();
    let sup = supplier(t, "Cost Co").await;
    let po = order(t, w.p1.id, sup, "PO-2026-0100", "sent").await;
    let past = f::today() - f::days(3);
    line(t, po, 1, Some(spec.id), None, 3, 100, Some(past)).await;
    line(t, po, 2, None, Some(a.id), 1, 50, Some(f::today())).await;
    let draft = order(t, w.p1.id, sup, "PO-2026-0101", "draft").await;
    line(t, draft, 1, None, Some(a.id), 1, 999, Some(past)).await;
    let lines = t.committed_lines(w.p1.id).await.unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].total_minor, 300);
    let mut items = lines[0].spec_items.clone();
    items.sort();
    let mut want = vec![(a.id, a.quantity), (b.id, b.quantity)];
    want.sort();
    assert_eq!(items, want);
    assert_eq!(lines[1].scope_item_id, Some(a.id));
    assert!(lines[1].spec_items.is_empty());
    // The commercial totals commit the same lines (the draft's left out).
    let totals = t.commercial_totals(w.p1.id, f::today()).await.unwrap();
    assert_eq!(
        (totals.committed_minor, totals.committed_foreign_lines),
        (350, 0)
    );
    let late = t.late_order_lines(f::today()).await.unwrap();
    assert_eq!(late.len(), 1, "only the sent line past its date");
    assert_eq!(
        (late[0].number.as_str(), late[0].position),
        ("PO-2026-0100", 1)
    );
}

/// Sent lines past their required date and not fully received are reported as late once a
/// day, to the order's creator and the project's managers (here the project manager, both).
pub async fn late_deliveries_are_reported_once_a_day(t: &TestDb) {
    let w = world(t).await;
    let sup = supplier(t, "Slow Supplies").await;
    let po = order(t, w.p1.id, sup, "PO-2026-0200", "sent").await;
    t.outside(&format!(
        "UPDATE purchase_orders SET created_by = {} WHERE id = {}",
        uuid_lit(t, w.pm.id),
        uuid_lit(t, po)
    ))
    .await;
    line(t, po, 1, None, None, 4, 100, Some(f::today() - f::days(2))).await;
    line(t, po, 2, None, None, 4, 100, Some(f::today() + f::days(2))).await;
    let s = t.services();
    for _ in 0..2 {
        s.send_reminders(f::now()).await.unwrap();
    }
    let late = t
        .outside("SELECT COUNT(*) FROM notifications WHERE event = 'delivery_late'")
        .await;
    assert_eq!(late, 1, "one late line, told once to its one reader");
}

both_backends! {
    late_deliveries_are_reported_once_a_day,
    receipts_move_lines_orders_and_specifications,
    concurrent_receipts_never_exceed_the_ordered_quantity,
    committed_and_late_lines,
}

/// Migration 0037 against data written at schema 34: every specification with a PO number
/// or ordered (or further) becomes a line of a real purchase order — one order per project,
/// number and supplier, one of its own without a number, "Unknown supplier (migrated)"
/// without a supplier — with a receipt of what was delivered; a number is kept when unique,
/// fresh ones come from `po_sequences`. Nothing is lost.
async fn spec_orders_become_purchase_orders(t: TestDb) {
    use formula_domain::spec::Spec;
    let w = world(&t).await;
    let acme = supplier(&t, "Acme Veneers").await;
    let mut specs: Vec<(Spec, Option<Uuid>)> = Vec::new();
    for (project, code, number, procurement, qty, delivered, sup) in [
        (
            &w.p1,
            "S-1",
            Some("PO-100"),
            Some(Procurement::Ordered),
            10,
            0,
            Some(acme),
        ),
        (
            &w.p1,
            "S-2",
            Some("PO-100"),
            Some(Procurement::PartiallyDelivered),
            10,
            4,
            Some(acme),
        ),
        (
            &w.p1,
            "S-3",
            Some("  PO-100 "),
            Some(Procurement::Ordered),
            2,
            0,
            Some(acme),
        ),
        (&w.p1, "S-4", None, Some(Procurement::Delivered), 5, 5, None),
        (
            &w.p2,
            "S-5",
            Some("PO-100"),
            Some(Procurement::Ordered),
            1,
            0,
            Some(acme),
        ),
        (
            &w.p1,
            "S-6",
            None,
            Some(Procurement::ToOrder),
            3,
            0,
            Some(acme),
        ),
        (
            &w.p1,
            "S-7",
            Some("X-9"),
            Some(Procurement::Ordered),
            7,
            0,
            Some(acme),
        ),
    ] {
        let mut s = f::spec(project, code);
        s.status = SpecStatus::Approved;
        s.procurement = procurement;
        s.po_number = number.map(str::to_owned);
        s.quantity = Quantity::units(qty);
        s.delivered_quantity = Quantity::units(delivered);
        s.supplier = None;
        t.insert_spec(&s, &f::audit(Some(&w.pm), "create", "spec", s.id, code))
            .await
            .unwrap();
        if let Some(sup) = sup {
            t.outside(&format!(
                "UPDATE specs SET supplier_id = {} WHERE id = {}",
                uuid_lit(&t, sup),
                uuid_lit(&t, s.id)
            ))
            .await;
        }
        specs.push((s, sup));
    }
    t.migrate().await.unwrap();
    let count = |sql: String| {
        let t = &t;
        async move { t.outside(&sql).await }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM purchase_orders".into()).await,
        4
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM purchase_order_lines".into()).await,
        6,
        "one line per migrated specification (S-6 is still to order)"
    );
    for (s, _) in specs.iter().filter(|(s, _)| s.code != "S-6") {
        assert_eq!(
            count(format!(
                "SELECT COUNT(*) FROM purchase_order_lines WHERE spec_id = {}",
                uuid_lit(&t, s.id)
            ))
            .await,
            1,
            "{}",
            s.code
        );
    }
    // X-9 is kept; PO-100 names two orders (two projects), so both are numbered afresh.
    assert_eq!(
        count("SELECT COUNT(*) FROM purchase_orders WHERE number = 'X-9'".into()).await,
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM purchase_orders WHERE number = 'PO-100'".into()).await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM purchase_orders WHERE number LIKE 'PO-2%'".into()).await,
        3
    );
    assert_eq!(
        count("SELECT CAST(MAX(last) AS BIGINT) FROM po_sequences".into()).await,
        3
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM purchase_orders WHERE status = 'sent'".into()).await,
        2
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM purchase_orders WHERE status = 'partially_received'".into())
            .await,
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM purchase_orders WHERE status = 'received'".into()).await,
        1
    );
    // S-1, S-2 and S-3 share one order of three lines.
    let s2 = &specs[1].0;
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM purchase_order_lines WHERE purchase_order_id = \
             (SELECT purchase_order_id FROM purchase_order_lines WHERE spec_id = {})",
            uuid_lit(&t, s2.id)
        ))
        .await,
        3
    );
    assert_eq!(
        count(format!(
            "SELECT received_milli FROM purchase_order_lines WHERE spec_id = {}",
            uuid_lit(&t, s2.id)
        ))
        .await,
        4000
    );
    // Receipts for what was delivered: S-2's order and S-4's.
    assert_eq!(count("SELECT COUNT(*) FROM goods_receipts".into()).await, 2);
    assert_eq!(
        count("SELECT CAST(SUM(quantity_milli) AS BIGINT) FROM goods_receipt_lines".into()).await,
        9000
    );
    // S-4 had no supplier.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM purchase_orders o JOIN suppliers s ON s.id = o.supplier_id \
             WHERE s.name = 'Unknown supplier (migrated)'"
                .into()
        )
        .await,
        1
    );
    // Line totals: quantity × unit cost (80.00), and the order's total their sum.
    assert_eq!(
        count("SELECT total_minor FROM purchase_orders WHERE number = 'X-9'".into()).await,
        56_000
    );
    // The store reads them: S-2's order is partially received and can be received on.
    let po = t.list_receipts(Uuid::nil()).await.unwrap();
    assert!(po.is_empty());
    t.finish().await;
}

mod migration {
    #[tokio::test]
    async fn sqlite_spec_orders_become_purchase_orders() {
        super::spec_orders_become_purchase_orders(crate::support::sqlite_until(Some(34)).await)
            .await;
    }

    #[tokio::test]
    async fn postgres_spec_orders_become_purchase_orders() {
        super::spec_orders_become_purchase_orders(crate::support::postgres_until(Some(34)).await)
            .await;
    }
}
