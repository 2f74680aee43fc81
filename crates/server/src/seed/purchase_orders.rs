//! The lobby project's purchase orders, through the same use cases as in the app: one draft
//! raised from approved specifications, one approved, one sent to its supplier (its PDF
//! kept and mailed, its specifications ordered), one cancelled, one sent and received in
//! part, one sent and closed, and two sent with lines past their required date: the first is received late by
//! the receipts module, the last (raised last, so the receipts module never takes it) waits
//! with nothing received, so the daily "delivery late" reminder has one to report. (The
//! receipts module adds goods received against the sent ones.)
//! The suppliers are the directory's (`suppliers.rs` seeds it first).

use formula_app::context::Caller;
use formula_app::goods_receipts::{ReceiptInput, ReceiptLineInput};
use formula_app::purchase_orders::{NewPurchaseOrder, PoLineInput};
use formula_app::{AppError, Services};
use formula_domain::scope::Quantity;
use time::{Date, Duration};
use uuid::Uuid;

/// Approves and sends a draft to its supplier's address; returns the order's id.
async fn approve_and_send(
    s: &Services,
    pm: &Caller,
    id: Uuid,
    version: i64,
) -> Result<Uuid, AppError> {
    let po = s.approve_purchase_order(pm, id, version).await?;
    s.send_purchase_order(
        pm,
        po.order.id,
        po.order.version,
        None,
        formula_web::po_documents::render_po,
    )
    .await?;
    Ok(id)
}

/// Raises the orders; returns how many.
pub async fn seed(
    s: &Services,
    pm: &Caller,
    project_id: Uuid,
    scale: i64,
) -> Result<usize, AppError> {
    let directory = s.active_suppliers(pm).await?;
    let named = |name: &str| {
        directory
            .iter()
            .find(|x| x.name == name)
            .map(|x| x.id)
            .ok_or_else(|| AppError::Internal(format!("the demo directory has no {name}")))
    };
    let hardware = named("Hafele-style Hardware Supply")?;
    let specs = s.specs_to_order(pm, project_id).await?;
    let by_hand_on =
        |items: &[(&str, i64, &str, i64)], required_on: Option<Date>| NewPurchaseOrder {
            supplier_id: Some(hardware),
            lines: items
                .iter()
                .map(|(d, q, u, p)| PoLineInput {
                    spec_id: None,
                    scope_item_id: None,
                    description: (*d).into(),
                    quantity: Quantity::units(*q),
                    unit: (*u).into(),
                    // Prices are written in hundredths of the currency's major unit.
                    unit_price_minor: p * scale / 100,
                    required_on,
                    version: None,
                })
                .collect(),
            delivery_address: Some("Site entrance B, loading bay 2".into()),
            ..NewPurchaseOrder::default()
        };
    let by_hand = |items: &[(&str, i64, &str, i64)]| by_hand_on(items, None);
    let today = s.today();
    let mut made = 0;

    // Sent: the first approved specifications, to the veneer supplier.
    let first: Vec<Uuid> = specs.iter().take(2).map(|sp| sp.id).collect();
    let sent = if first.is_empty() {
        by_hand(&[("Soft-close drawer runners 450 mm", 40, "pair", 1_850)])
    } else {
        NewPurchaseOrder {
            spec_ids: first,
            delivery_address: Some("Site entrance B, loading bay 2".into()),
            ..NewPurchaseOrder::default()
        }
    };
    let po = s.create_purchase_order(pm, project_id, sent).await?;
    approve_and_send(s, pm, po.order.id, po.order.version).await?;
    made += 1;

    // Approved, not sent yet.
    let po = s
        .create_purchase_order(
            pm,
            project_id,
            by_hand(&[
                ("Concealed hinges 110°, soft-close", 120, "pcs", 420),
                ("Cabinet handles, brushed brass 160 mm", 64, "pcs", 1_275),
            ]),
        )
        .await?;
    s.approve_purchase_order(pm, po.order.id, po.order.version)
        .await?;
    made += 1;

    // A draft: from the next approved specification, or by hand.
    let next: Vec<Uuid> = specs.iter().skip(2).take(1).map(|sp| sp.id).collect();
    let draft = if next.is_empty() {
        by_hand(&[("Shelf supports, nickel", 200, "pcs", 35)])
    } else {
        NewPurchaseOrder {
            spec_ids: next,
            ..NewPurchaseOrder::default()
        }
    };
    s.create_purchase_order(pm, project_id, draft).await?;
    made += 1;

    // Cancelled: ordered elsewhere.
    let po = s
        .create_purchase_order(
            pm,
            project_id,
            by_hand(&[("LED strip 24 V, 5 m", 12, "roll", 3_900)]),
        )
        .await?;
    s.cancel_purchase_order(
        pm,
        po.order.id,
        po.order.version,
        "Ordered with the lighting package instead",
    )
    .await?;
    made += 1;

    // Sent and received in part: half of each line came, the rest is due in two weeks.
    let po = s
        .create_purchase_order(
            pm,
            project_id,
            by_hand_on(
                &[
                    ("Soft-close drawer runners 450 mm", 40, "pair", 1_850),
                    ("Cam-lock connectors", 500, "pcs", 22),
                ],
                Some(today + Duration::days(14)),
            ),
        )
        .await?;
    let id = approve_and_send(s, pm, po.order.id, po.order.version).await?;
    let r = s.receiving(pm, id).await?;
    let lines = r
        .order
        .lines
        .iter()
        .map(|l| ReceiptLineInput {
            line_id: l.id,
            quantity: Quantity((l.remaining.0 / 2000).max(1) * 1000),
            accept_over_delivery: false,
            over_delivery_reason: None,
        })
        .collect();
    s.record_receipt(
        pm,
        id,
        ReceiptInput {
            received_on: Some(today),
            delivery_note: Some("DN-3907".into()),
            received_by_name: Some("Site store".into()),
            note: Some("Part delivery: the rest follows with the next truck".into()),
            lines,
        },
        &[],
        None,
    )
    .await?;
    made += 1;

    // Closed: sent, then nothing more expected (the samples came with the quotation).
    let po = s
        .create_purchase_order(
            pm,
            project_id,
            by_hand(&[("Veneer sample boards, A4", 6, "pcs", 1_200)]),
        )
        .await?;
    let id = approve_and_send(s, pm, po.order.id, po.order.version).await?;
    let sent = s.get_purchase_order(pm, id).await?;
    s.close_purchase_order(pm, id, sent.order.version).await?;
    made += 1;

    // Two sent with their lines past the required date: the receipts module receives the
    // first late; the second, raised last, waits with nothing received.
    for items in [
        &[("Wardrobe lift, 12 kg", 8, "pcs", 9_600)][..],
        &[
            ("Push-to-open latches", 60, "pcs", 640),
            ("Shelf supports, brass", 240, "pcs", 45),
        ][..],
    ] {
        let po = s
            .create_purchase_order(
                pm,
                project_id,
                by_hand_on(items, Some(today - Duration::days(6))),
            )
            .await?;
        approve_and_send(s, pm, po.order.id, po.order.version).await?;
        made += 1;
    }
    Ok(made)
}
