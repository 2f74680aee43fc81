//! The 142-key hotel on site, before its first snag walk: the guest-room and corridor joinery
//! released (the mock-up room was approved on site, so the administrator released it ahead of
//! the shop drawings, with that reason), made in the workshop and delivered to site
//! (`deliveries`: and a partial delivery still under way), level 1 installed with half its rooms signed off,
//! level 2 installed in most rooms and part way in a few, level 3 begun; the pool bar is not
//! released yet. The room matrix and progress by level then show every state.

use formula_app::context::Caller;
use formula_app::installations::InstallationInput;
use formula_app::readiness::ReleaseInput;
use formula_app::signoff::SignOffInput;
use formula_app::{AppError, Services};
use formula_domain::location::{Location, LocationKind};
use formula_domain::scope::{Quantity, ScopeItem};
use time::Duration;
use uuid::Uuid;

/// Who works on site: the administrator (who may release ahead of drawings), the fitter who
/// records installations and the coordinator who signs rooms off.
pub struct Crew<'a> {
    pub admin: &'a Caller,
    pub fitter: &'a Caller,
    pub coordinator: &'a Caller,
}

/// Releases, installs and signs off; returns (installation records, rooms signed off).
pub async fn seed(
    s: &Services,
    crew: Crew<'_>,
    project_id: Uuid,
) -> Result<(usize, usize), AppError> {
    let (_, _, scope) = s.scope_overview(crew.admin, project_id).await?;
    let guest_rooms: Vec<&ScopeItem> = scope
        .items
        .iter()
        .filter(|i| i.placement.room_type_id.is_some())
        .collect();
    for item in &guest_rooms {
        s.release_scope_item(
            crew.admin,
            item.id,
            item.version,
            ReleaseInput {
                override_reason: Some(
                    "Mock-up room OT-L02-0201 approved on site by the client; production of the typical rooms starts while the shop drawings go through their last review"
                        .into(),
                ),
                version: None,
            },
        )
        .await?;
    }
    let (tree, _) = s.project_locations(crew.admin, project_id).await?;
    let rooms = |prefix: &str| -> Vec<&Location> {
        tree.locations
            .iter()
            .filter(|l| {
                l.kind == LocationKind::Room
                    && l.code.starts_with(prefix)
                    && !l.code.ends_with("-COR")
                    && !l.code.ends_with("-LOBBY")
            })
            .collect()
    };
    // (room, how many of its items — all when `None` —, installed how many days ago)
    let mut plan: Vec<(&Location, Option<usize>, i64)> = Vec::new();
    for (level, skip, n, items, ago) in [
        ("OT-L01-", 0, 12, None, 40),
        ("OT-L02-", 0, 14, None, 20),
        ("OT-L02-", 14, 4, Some(1), 12),
        ("OT-L03-", 0, 6, Some(2), 5),
    ] {
        for (k, room) in rooms(level).into_iter().skip(skip).take(n).enumerate() {
            plan.push((room, items, ago - i64::try_from(k / 3).unwrap_or(0)));
        }
    }
    // What the fitters install, per item: packed in the workshop and delivered to site
    // first (only what was received on site is installed), then a partial delivery.
    let expected_in = |room: &Location, items: Option<usize>| {
        let mut expected: Vec<&ScopeItem> = guest_rooms
            .iter()
            .copied()
            .filter(|i| i.placement.room_type_id == room.room_type_id)
            .collect();
        if let Some(n) = items {
            expected.truncate(n);
        }
        expected
    };
    let mut needed: std::collections::BTreeMap<Uuid, Quantity> = Default::default();
    for (room, items, _) in &plan {
        for item in expected_in(room, *items) {
            let q = item
                .placement
                .quantity_per_room
                .unwrap_or(Quantity::units(1));
            let sum = needed.entry(item.id).or_default();
            sum.0 += q.0;
        }
    }
    let level = tree
        .locations
        .iter()
        .find(|l| l.kind == LocationKind::Level && l.code == "OT-L03")
        .map(|l| l.id);
    super::deliveries::seed(
        s,
        crew.admin,
        crew.fitter,
        project_id,
        &needed,
        &guest_rooms,
        level,
    )
    .await?;
    let today = s.today();
    let mut records = 0;
    for (room, items, days_ago) in plan {
        let mut expected: Vec<&ScopeItem> = guest_rooms
            .iter()
            .copied()
            .filter(|i| i.placement.room_type_id == room.room_type_id)
            .collect();
        if let Some(n) = items {
            expected.truncate(n);
        }
        for item in expected {
            let quantity = item
                .placement
                .quantity_per_room
                .unwrap_or(Quantity::units(1));
            s.record_installation(
                crew.fitter,
                room.id,
                InstallationInput {
                    scope_item_id: item.id,
                    quantity,
                    installed_on: Some(today - Duration::days(days_ago.max(1))),
                    installer: Some("Romero fitting crew".into()),
                    note: None,
                },
                None,
                None,
            )
            .await?;
            records += 1;
        }
    }
    // Half of level 1 was walked with the client and signed off.
    let mut signed = 0;
    for room in rooms("OT-L01-").into_iter().take(6) {
        s.sign_off_room(
            crew.coordinator,
            room.id,
            SignOffInput {
                client_name: Some("Charlotte Dubois, Meridian Hotels".into()),
                note: Some("Walked together; no defects.".into()),
            },
        )
        .await?;
        signed += 1;
    }
    Ok((records, signed))
}
