//! The hotel's workshop, through the real use cases: the corridor wall panelling (released
//! with the guest rooms, never installed in the demo) is spread over every position of the
//! board — some not started, some at each stage, some through QA and some packed — with a
//! failed QA check sent back to edge-banding with a note; the Old Town reception desk is
//! released on its own and waits at assembly. The items the fitters install (and the
//! deliveries pack) are left alone. The panelling's installation date makes it late in the
//! workshop (a notification for the project manager); the desk's puts it due within two weeks.

use formula_app::context::Caller;
use formula_app::readiness::ReleaseInput;
use formula_app::scope::ScopeItemPatch;
use formula_app::workshop::{MoveInput, QaInput};
use formula_app::{AppError, Services};
use formula_domain::scope::{Quantity, ScopeItem};
use formula_domain::workshop::{QaResult, StageKind};
use time::Duration;
use uuid::Uuid;

/// Who works in the workshop: the administrator (who releases the reception desk ahead of
/// its drawings), the craftsman who moves quantities and the coordinator who runs QA.
pub struct Shop<'a> {
    pub admin: &'a Caller,
    pub maker: &'a Caller,
    pub inspector: &'a Caller,
}

const PANELLING: &str = "Corridor wall panelling, oak veneer";
const RECEPTION: &str = "Reception desk, Old Town lobby";

fn missing(name: &str) -> AppError {
    AppError::Internal(format!("demo workshop: no scope item {name:?}"))
}

/// Moves `quantity` of an item through one stage (a passed QA check for the QA stage).
async fn through(
    s: &Services,
    shop: &Shop<'_>,
    project_id: Uuid,
    item: Uuid,
    stage: (Uuid, StageKind),
    quantity: Quantity,
) -> Result<(), AppError> {
    if stage.1 == StageKind::Qa {
        s.record_qa_check(
            shop.inspector,
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
            shop.maker,
            project_id,
            MoveInput {
                scope_item_id: item,
                stage_id: stage.0,
                quantity,
                note: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// Spreads the workshop items over the board; returns the number of ledger moves made.
pub async fn seed(s: &Services, shop: Shop<'_>, project_id: Uuid) -> Result<usize, AppError> {
    let (_, _, scope) = s.scope_overview(shop.admin, project_id).await?;
    let find = |name: &str| -> Result<&ScopeItem, AppError> {
        scope
            .items
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| missing(name))
    };
    let panelling = find(PANELLING)?;
    let desk = find(RECEPTION)?;
    let stages: Vec<(Uuid, StageKind)> = {
        let all = s.ensure_workshop_stages(project_id).await?;
        formula_domain::workshop::active(&all)
            .into_iter()
            .map(|st| (st.id, st.kind))
            .collect()
    };
    let mut moves = 0;

    // The panelling, in m²: what stays at each position, "not started" first. Whatever is
    // not left behind goes on through the next stage; the last stage (packed) keeps the rest.
    let total = panelling.quantity;
    // Whole square metres, one share per position and one more at "not started" for the
    // batch that fails QA below.
    let shares = i64::try_from(stages.len() + 2).unwrap_or(1);
    let share = Quantity(total.0 / shares / 1000 * 1000);
    let mut onward = Quantity(total.0 - 2 * share.0);
    for (i, stage) in stages.iter().enumerate() {
        if onward.0 <= 0 {
            break;
        }
        through(s, &shop, project_id, panelling.id, *stage, onward).await?;
        moves += 1;
        if i + 1 < stages.len() {
            onward = Quantity(onward.0 - share.0);
        }
    }
    // Then more comes through finishing, and part of it fails QA: sent back to edge-banding.
    let qa_at = stages.iter().position(|st| st.1 == StageKind::Qa);
    let edge = stages.get(1).map(|st| st.0);
    if let (Some(qa_at), Some(edge), true) = (qa_at, edge, share.0 >= 2) {
        let batch = share;
        for stage in stages.iter().take(qa_at) {
            // Take the batch from "not started" through to finishing, stage by stage.
            through(s, &shop, project_id, panelling.id, *stage, batch).await?;
            moves += 1;
        }
        let failed = Quantity(batch.0 / 2);
        s.record_qa_check(
            shop.inspector,
            project_id,
            QaInput {
                scope_item_id: panelling.id,
                quantity: failed,
                result: QaResult::Fail,
                rework_stage_id: Some(edge),
                notes: Some(
                    "Veneer edge lifting on the long sides of four panels (glue line starved); re-band with the oak lipping and sand back before finishing again."
                        .into(),
                ),
            },
            &[],
        )
        .await?;
        moves += 1;
    }

    // The reception desk: released ahead of its drawings by the administrator, then cut,
    // banded, machined and assembled.
    let desk = s
        .release_scope_item(
            shop.admin,
            desk.id,
            desk.version,
            ReleaseInput {
                override_reason: Some(
                    "Lobby handover is the hotel's opening milestone; the carcass is made while the onyx top's detail is confirmed"
                        .into(),
                ),
                version: None,
            },
        )
        .await?;
    let one = desk.quantity;
    for stage in stages.iter().take(4) {
        if stage.1 == StageKind::Qa || stage.1 == StageKind::Packed {
            break;
        }
        through(s, &shop, project_id, desk.id, *stage, one).await?;
        moves += 1;
    }

    // Installation dates (docs/workshop.md, "Late in the workshop"): the panelling goes up
    // in two days and is far from all packed, so it is late in the workshop (the project
    // manager's inbox says so); the desk is installed in twelve days, due in the workshop
    // within two weeks.
    let today = s.now().date();
    for (id, days) in [(panelling.id, 2), (desk.id, 12)] {
        let (item, _) = s.get_scope_item(shop.admin, id).await?;
        s.update_scope_item(
            shop.admin,
            id,
            item.version,
            ScopeItemPatch {
                install_on: Some(Some(today + Duration::days(days))),
                ..ScopeItemPatch::default()
            },
        )
        .await?;
    }
    s.workshop_late_reminders(today).await?;
    Ok(moves)
}
