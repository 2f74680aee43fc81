//! The lobby project's contract changes: an approved variation that really added an item and
//! increased a quantity (so the scope and the contract value moved, through the same use
//! cases as in the app), one submitted and waiting for the client, one the client rejected,
//! and a client's request not priced yet.

use formula_app::context::Caller;
use formula_app::variations::{LineInput, NewVariation, VariationDecisionInput};
use formula_app::{AppError, Services};
use formula_domain::scope::{Quantity, ScopeItem, ScopeStatus};
use formula_domain::variation::{LineKind, VariationDecision, VariationReason};
use uuid::Uuid;

/// The project manager who prices, and the client's user who decides.
pub struct Parties<'a> {
    pub pm: &'a Caller,
    pub client: &'a Caller,
}

/// Raises, prices, submits and decides the variations; returns how many were raised.
pub async fn seed(
    s: &Services,
    who: Parties<'_>,
    project_id: Uuid,
    scale: i64,
) -> Result<usize, AppError> {
    let (_, _, scope) = s.scope_overview(who.pm, project_id).await?;
    let Some(group) = scope
        .groups
        .iter()
        .find(|g| g.group.is_millwork())
        .or(scope.groups.first())
        .map(|g| g.group.id)
    else {
        return Ok(0);
    };
    // Items priced, in no room, not cancelled: the ones a variation may change.
    let priced: Vec<&ScopeItem> = scope
        .items
        .iter()
        .filter(|i| {
            i.unit_price_minor.is_some()
                && i.placement.is_none()
                && i.status != ScopeStatus::Cancelled
                && i.quantity > Quantity::default()
        })
        .collect();
    let add = |name: &str, qty: i64, rate: i64, description: &str| LineInput {
        kind: Some(LineKind::Add),
        group_id: Some(group),
        name: Some(name.into()),
        unit: Some("pcs".into()),
        quantity: Some(Quantity::units(qty)),
        unit_price_minor: Some(rate * scale),
        description: Some(description.into()),
        ..LineInput::default()
    };
    let change = |item: &ScopeItem, qty: Option<Quantity>, rate: Option<i64>| LineInput {
        kind: Some(LineKind::Change),
        scope_item_id: Some(item.id),
        quantity: qty,
        unit_price_minor: rate,
        ..LineInput::default()
    };

    // VO-001: the client asked for a second concierge desk and more display shelving;
    // approved, so the desk is in the scope and the shelving's quantity is up.
    let mut lines = vec![add(
        "Concierge desk, second station",
        1,
        18_500,
        "Walnut veneer and Corian top, to match the main desk",
    )];
    if let Some(item) = priced.first() {
        lines.push(change(
            item,
            Some(Quantity(item.quantity.0 + Quantity::units(2).0)),
            None,
        ));
    }
    let approved = priced_variation(
        s,
        who.pm,
        project_id,
        NewVariation {
            title: Some("Second concierge station and more display".into()),
            description: Some(
                "Requested by the client at the design review: a second concierge station \
                 beside the main desk, and two more of the display units."
                    .into(),
            ),
            reason: Some(VariationReason::ClientRequest),
            time_impact_days: Some(6),
            ..NewVariation::default()
        },
        lines,
    )
    .await?;
    let submitted = s.submit_variation(who.pm, approved.0, approved.1).await?;
    s.decide_variation(
        who.client,
        submitted.id,
        submitted.version,
        VariationDecisionInput {
            decision: VariationDecision::Approved,
            comments: Some("Approved as quoted. Please keep the programme.".into()),
            version: None,
        },
    )
    .await?;

    // VO-002: a site condition (an uneven slab) needs a higher rate on the second item;
    // submitted, waiting for the client.
    let mut lines = vec![add(
        "Levelling subframe under the reception counter",
        1,
        2_400,
        "The slab is 18 mm out of level along the counter line",
    )];
    if let Some(item) = priced.get(1)
        && let Some(rate) = item.unit_price_minor
    {
        lines.push(change(item, None, Some(rate + rate / 10)));
    }
    let pending = priced_variation(
        s,
        who.pm,
        project_id,
        NewVariation {
            title: Some("Uneven slab at reception".into()),
            description: Some("Found when setting out on site.".into()),
            reason: Some(VariationReason::SiteCondition),
            time_impact_days: Some(3),
            ..NewVariation::default()
        },
        lines,
    )
    .await?;
    s.submit_variation(who.pm, pending.0, pending.1).await?;

    // VO-003: a design change the client turned down.
    let rejected = priced_variation(
        s,
        who.pm,
        project_id,
        NewVariation {
            title: Some("Backlit onyx panel behind the desk".into()),
            reason: Some(VariationReason::DesignChange),
            time_impact_days: Some(15),
            ..NewVariation::default()
        },
        vec![add(
            "Backlit onyx feature panel",
            1,
            42_000,
            "Honey onyx slabs on an LED light box",
        )],
    )
    .await?;
    let submitted = s.submit_variation(who.pm, rejected.0, rejected.1).await?;
    s.decide_variation(
        who.client,
        submitted.id,
        submitted.version,
        VariationDecisionInput {
            decision: VariationDecision::Rejected,
            comments: Some("Over budget; we keep the veneer panel as designed.".into()),
            version: None,
        },
    )
    .await?;

    // VO-004: the client's own request, for the team to price.
    s.create_variation(
        who.client,
        project_id,
        NewVariation {
            title: Some("Luggage trolley bay by the entrance".into()),
            description: Some(
                "A recessed bay for two trolleys, finished as the lobby walls.".into(),
            ),
            ..NewVariation::default()
        },
    )
    .await?;
    Ok(4)
}

/// A draft with its lines: (id, version).
async fn priced_variation(
    s: &Services,
    pm: &Caller,
    project_id: Uuid,
    input: NewVariation,
    lines: Vec<LineInput>,
) -> Result<(Uuid, i64), AppError> {
    let v = s.create_variation(pm, project_id, input).await?;
    let mut version = v.version;
    for line in lines {
        version = s
            .add_variation_line(pm, v.id, version, line)
            .await?
            .variation
            .version;
    }
    Ok((v.id, version))
}
