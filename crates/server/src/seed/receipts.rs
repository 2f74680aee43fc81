//! Goods receipts on the demo's purchase orders: the first sent order received in full, the
//! second in part (about half of each line, under a delivery note), and the first order with
//! a line past its required date received late (any later one is left waiting, to be
//! reported late). The orders themselves are seeded with the purchase orders
//! (`seed::purchase_orders`, which also receives one in part itself); with none sent, this
//! does nothing and says so.

use formula_app::context::Caller;
use formula_app::goods_receipts::{ReceiptInput, ReceiptLineInput};
use formula_app::{AppError, Services};
use formula_domain::goods_receipt::ReceivingLine;
use formula_domain::scope::Quantity;

/// What one receipt takes of each line still open: all of it, or about half (whole units,
/// at least one).
fn lines(of: &[ReceivingLine], half: bool) -> Vec<ReceiptLineInput> {
    of.iter()
        .filter(|l| l.remaining.0 > 0)
        .map(|l| {
            let quantity = if half {
                let units = (l.remaining.0 / 2000).max(1) * 1000;
                Quantity(units.min(l.remaining.0))
            } else {
                l.remaining
            };
            ReceiptLineInput {
                line_id: l.id,
                quantity,
                accept_over_delivery: false,
                over_delivery_reason: None,
            }
        })
        .collect()
}

/// Records the demo receipts; returns how many.
pub async fn seed(s: &Services, receiver: &Caller) -> Result<usize, AppError> {
    let orders = s.orders_to_receive(receiver).await?;
    if orders.is_empty() {
        tracing::info!("seed: no sent purchase order to receive goods against");
        return Ok(0);
    }
    let today = s.today();
    let mut made = 0;
    // The late ones: orders with a line past its required date. The first is received
    // late; the others are left waiting (nothing received).
    let mut overdue = Vec::new();
    for id in &orders {
        let r = s.receiving(receiver, *id).await?;
        if r.order
            .lines
            .iter()
            .any(|l| l.required_on.is_some_and(|d| d < today))
        {
            overdue.push(*id);
        }
    }
    let late = overdue.first().copied();
    let on_time: Vec<_> = orders
        .iter()
        .filter(|o| !overdue.contains(o))
        .take(2)
        .collect();
    let plan = on_time
        .iter()
        .enumerate()
        .map(|(i, id)| (**id, i == 1, "On time"))
        .chain(late.map(|id| (id, false, "Late")));
    for (n, (id, half, words)) in plan.enumerate() {
        let r = s.receiving(receiver, id).await?;
        let lines = lines(&r.order.lines, half);
        if lines.is_empty() {
            continue;
        }
        let input = ReceiptInput {
            received_on: Some(today),
            delivery_note: Some(format!("DN-{}", 4100 + n)),
            received_by_name: Some("Site store".into()),
            note: Some(format!(
                "{words}: {} from {}",
                if half {
                    "part delivery"
                } else {
                    "delivered in full"
                },
                r.order.supplier_name
            )),
            lines,
        };
        s.record_receipt(receiver, id, input, &[], None).await?;
        made += 1;
    }
    tracing::info!(receipts = made, "seed: goods received on the demo orders");
    Ok(made)
}
