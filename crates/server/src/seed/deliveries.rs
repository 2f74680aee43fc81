//! The hotel's deliveries to site, through the real use cases: what the guest rooms are
//! installed from was moved through every workshop stage into packed, dispatched on DN-001
//! and received in full before the fitters started; then a partial delivery: DN-002 received
//! in part (some of one item still to come), DN-003 on the road, DN-004 planned.

use std::collections::BTreeMap;

use formula_app::context::Caller;
use formula_app::deliveries::{
    DeliveryLineInput, DeliveryNoteInput, DeliveryReceiptInput, DeliveryReceiptLineInput,
};
use formula_app::workshop::{MoveInput, QaInput};
use formula_app::{AppError, Services};
use formula_domain::delivery::DeliveryNote;
use formula_domain::scope::{Quantity, ScopeItem};
use formula_domain::workshop::{QaResult, StageKind};
use time::Duration;
use uuid::Uuid;

/// Moves `quantity` of a released item through every workshop stage into packed (the QA
/// stage by a passed check).
pub async fn pack(
    s: &Services,
    by: &Caller,
    project_id: Uuid,
    item: Uuid,
    quantity: Quantity,
) -> Result<(), AppError> {
    let mut stages = s.ensure_workshop_stages(project_id).await?;
    stages.retain(|st| !st.archived);
    stages.sort_by_key(|st| st.position);
    for st in stages {
        if st.kind == StageKind::Qa {
            s.record_qa_check(
                by,
                project_id,
                QaInput {
                    scope_item_id: item,
                    quantity,
                    result: QaResult::Pass,
                    rework_stage_id: None,
                    notes: None,
                },
                &[],
            )
            .await?;
        } else {
            s.move_workshop(
                by,
                project_id,
                MoveInput {
                    scope_item_id: item,
                    stage_id: st.id,
                    quantity,
                    note: None,
                },
            )
            .await?;
        }
    }
    Ok(())
}

async fn plan(
    s: &Services,
    by: &Caller,
    project_id: Uuid,
    destination_id: Option<Uuid>,
    days_ahead: i64,
    lines: &[(Uuid, Quantity)],
) -> Result<DeliveryNote, AppError> {
    s.create_delivery_note(
        by,
        project_id,
        DeliveryNoteInput {
            destination_id,
            address: None,
            planned_on: Some(s.today() + Duration::days(days_ahead)),
            vehicle: Some("34 FPM 412 · 7.5 t box truck".into()),
            driver: Some("Deniz Kaya".into()),
            notes: Some(
                "Unload at the service entrance; the goods lift is booked 08:00–10:00.".into(),
            ),
            lines: lines
                .iter()
                .map(|(item, q)| DeliveryLineInput {
                    scope_item_id: *item,
                    quantity: *q,
                    note: None,
                })
                .collect(),
            version: None,
        },
    )
    .await
}

async fn receive(
    s: &Services,
    by: &Caller,
    note: &DeliveryNote,
    days_ago: i64,
    take: impl Fn(usize, Quantity) -> Quantity,
) -> Result<(), AppError> {
    let lines = note
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| DeliveryReceiptLineInput {
            line_id: l.id,
            quantity: take(i, l.quantity),
        })
        .filter(|l| l.quantity.0 > 0)
        .collect();
    s.record_delivery_receipt(
        by,
        note.id,
        DeliveryReceiptInput {
            received_on: Some(s.today() - Duration::days(days_ago)),
            signed_name: "Marco Romero".into(),
            note: None,
            lines,
        },
        &[],
        None,
        None,
    )
    .await?;
    Ok(())
}

/// Packs and delivers `needed` (what the fitters install, per item) on DN-001, received in
/// full; then the partial delivery on two more items' worth. Returns the notes made.
pub async fn seed(
    s: &Services,
    admin: &Caller,
    fitter: &Caller,
    project_id: Uuid,
    needed: &BTreeMap<Uuid, Quantity>,
    items: &[&ScopeItem],
    level_id: Option<Uuid>,
) -> Result<usize, AppError> {
    // What the partial delivery takes on top: six and four of the first two items.
    let extra: Vec<(Uuid, Quantity)> = items
        .iter()
        .take(2)
        .zip([Quantity::units(10), Quantity::units(4)])
        .map(|(i, q)| (i.id, q))
        .collect();
    let mut to_pack = needed.clone();
    for (item, q) in &extra {
        to_pack.entry(*item).or_default().0 += q.0;
    }
    for (item, q) in &to_pack {
        pack(s, admin, project_id, *item, *q).await?;
    }
    let all: Vec<(Uuid, Quantity)> = needed.iter().map(|(i, q)| (*i, *q)).collect();
    let first = plan(s, admin, project_id, None, -50, &all).await?;
    let first = s
        .dispatch_delivery_note(admin, first.id, first.version)
        .await?;
    receive(s, fitter, &first, 45, |_, q| q).await?;
    let mut made = 1;
    if let [(a, _), (b, _)] = extra.as_slice() {
        // DN-002: 6 and 4, received in part (4 of the 6 came).
        let second = plan(
            s,
            admin,
            project_id,
            level_id,
            -3,
            &[(*a, Quantity::units(6)), (*b, Quantity::units(4))],
        )
        .await?;
        let second = s
            .dispatch_delivery_note(admin, second.id, second.version)
            .await?;
        receive(s, fitter, &second, 2, |i, q| {
            if i == 0 { Quantity::units(4) } else { q }
        })
        .await?;
        // DN-003: the other 4 of the first item, on the road.
        let third = plan(
            s,
            admin,
            project_id,
            level_id,
            0,
            &[(*a, Quantity::units(4))],
        )
        .await?;
        s.dispatch_delivery_note(admin, third.id, third.version)
            .await?;
        // DN-004: planned for next week, waiting for the workshop.
        plan(
            s,
            admin,
            project_id,
            level_id,
            7,
            &[(*b, Quantity::units(2))],
        )
        .await?;
        made += 3;
    }
    Ok(made)
}
