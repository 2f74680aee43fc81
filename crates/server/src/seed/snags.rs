//! The 142-key hotel's first site walk on level 2: snags in every state, assigned to a
//! fitter or to a trade, one of them overdue, and two raised by the client's design manager.

use formula_app::context::Caller;
use formula_app::snags::{NewSnag, SnagMoveInput};
use formula_app::{AppError, Services};
use formula_domain::location::LocationKind;
use formula_domain::snag::{SnagCategory, Transition};
use time::Duration;
use uuid::Uuid;

/// Who walks the site: the project manager, the coordinator who verifies, a fitter on the
/// team who fixes, and the client's user.
pub struct Walkers<'a> {
    pub pm: &'a Caller,
    pub coordinator: &'a Caller,
    pub fitter: &'a Caller,
    pub client: &'a Caller,
}

/// Raises the snags; returns how many (none when the hotel has no level 2 rooms).
pub async fn seed(s: &Services, w: Walkers<'_>, project_id: Uuid) -> Result<usize, AppError> {
    let (tree, _) = s.project_locations(w.pm, project_id).await?;
    let rooms: Vec<Uuid> = tree
        .locations
        .iter()
        .filter(|l| l.kind == LocationKind::Room && l.code.starts_with("OT-L02-"))
        .take(5)
        .map(|l| l.id)
        .collect();
    if rooms.len() < 5 {
        return Ok(0);
    }
    let (_, _, scope) = s.scope_overview(w.pm, project_id).await?;
    let wardrobe = scope
        .items
        .iter()
        .find(|i| i.placement.room_type_code.as_deref() == Some("KING"))
        .map(|i| i.id);
    let today = s.today();
    let fitter = w.fitter.actor.user_id;
    let snag = |room: usize, title: &str, category: SnagCategory| NewSnag {
        room_id: rooms[room],
        scope_item_id: None,
        title: title.into(),
        description: None,
        category: Some(category),
        responsible_user_id: None,
        responsible_trade: None,
        due_on: None,
        client_visible: None,
    };
    let mut raised = Vec::new();
    raised.push(
        s.raise_snag(
            w.pm,
            project_id,
            NewSnag {
                scope_item_id: wardrobe,
                description: Some("The left sliding door rubs on the top track.".into()),
                responsible_user_id: Some(fitter),
                due_on: Some(today + Duration::days(3)),
                ..snag(
                    0,
                    "Wardrobe door rubs on the frame",
                    SnagCategory::Alignment,
                )
            },
        )
        .await?,
    );
    raised.push(
        s.raise_snag(
            w.pm,
            project_id,
            NewSnag {
                responsible_trade: Some("Upholsterer".into()),
                due_on: Some(today - Duration::days(2)),
                client_visible: Some(true),
                ..snag(1, "Headboard fabric stained", SnagCategory::Finish)
            },
        )
        .await?,
    );
    raised.push(
        s.raise_snag(
            w.client,
            project_id,
            NewSnag {
                description: Some("Near the window side, about 5 cm.".into()),
                ..snag(2, "Scratch on the desk top", SnagCategory::Damage)
            },
        )
        .await?,
    );
    let minibar = s
        .raise_snag(
            w.client,
            project_id,
            snag(3, "Minibar door does not close", SnagCategory::Hardware),
        )
        .await?;
    let dust = s
        .raise_snag(
            w.coordinator,
            project_id,
            NewSnag {
                responsible_trade: Some("Cleaner".into()),
                ..snag(4, "Dust inside the wardrobe", SnagCategory::Cleaning)
            },
        )
        .await?;
    let rack = s
        .raise_snag(
            w.pm,
            project_id,
            snag(0, "Luggage rack missing", SnagCategory::Missing),
        )
        .await?;
    let step =
        |by: &'static str, t: Transition, reason: Option<&str>| (by, t, reason.map(str::to_owned));
    for (id, steps) in [
        (minibar.id, vec![step("fitter", Transition::Fix, None)]),
        (
            dust.id,
            vec![
                step("fitter", Transition::Fix, None),
                step("coordinator", Transition::Verify, None),
                step("coordinator", Transition::Close, None),
            ],
        ),
        (
            rack.id,
            vec![step(
                "coordinator",
                Transition::Reject,
                Some("Supplied by the hotel with the loose furniture (FF&E), not ours"),
            )],
        ),
    ] {
        for (by, t, reason) in steps {
            let who = if by == "fitter" {
                w.fitter
            } else {
                w.coordinator
            };
            let current = s.get_snag(who, id).await?;
            s.move_snag(
                who,
                id,
                t,
                current.version,
                SnagMoveInput {
                    version: Some(current.version),
                    reason,
                },
            )
            .await?;
        }
    }
    Ok(raised.len() + 3)
}
