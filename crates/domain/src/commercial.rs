//! The commercial summary of a project: its contract value before and after variations, the
//! exposure of the variations still waiting for the client, and the cost side (budget from
//! the BOQ, actual cost so far, the forecast) with the margin it leaves.
//!
//! The project's contract value is kept current: approving a variation moves it in the same
//! transaction. The original value is therefore what remains once the approved variations
//! are taken off. Every figure is in the project's one currency; sums across projects are
//! made per currency, never mixed.

use serde::Serialize;

use crate::authz::{Actor, ProjectScope};
use crate::scope::Deviation;
use crate::user::Role;

/// What the store adds up for one project, in minor units of its currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommercialTotals {
    /// The project's contract value now (approved variations included), if it has one.
    pub contract_value_minor: Option<i64>,
    /// Approved (and applied) variations: how many, and their sum.
    pub approved_count: i64,
    pub approved_minor: i64,
    /// Variations submitted to the client and not decided or withdrawn yet.
    pub pending_count: i64,
    pub pending_minor: i64,
    /// Working days the approved variations add to the programme.
    pub approved_days: i64,
    /// Budgeted cost of the scope (cancelled items left out).
    pub budget_minor: i64,
    /// Actual cost recorded so far (cancelled items included: that money is spent).
    pub actual_minor: i64,
    /// Per item the larger of budget and actual (actual alone for a cancelled item): what
    /// the scope is expected to cost by the end.
    pub forecast_minor: i64,
    /// Committed to suppliers: the lines of the project's purchase orders approved or further
    /// (cancelled ones left out), in the project's currency.
    pub committed_minor: i64,
    /// Order lines in another currency than the project's: never added in; a summary with
    /// any is refused (`mixed_currencies`).
    pub committed_foreign_lines: i64,
    /// RFIs not closed yet, and of those the ones past their required-by date and unanswered.
    pub open_rfis: i64,
    pub overdue_rfis: i64,
}

/// The summary a manager reads, derived from [`CommercialTotals`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CommercialSummary {
    /// ISO 4217 code of every amount below.
    pub currency: String,
    /// The contract as signed: the current value less the approved variations (`null` when
    /// the project has no contract value and no approved variation).
    pub original_contract_minor: Option<i64>,
    pub approved_variations: i64,
    pub approved_variations_minor: i64,
    /// Variations waiting for the client's decision: the exposure.
    pub pending_variations: i64,
    pub pending_variations_minor: i64,
    /// The contract value now, approved variations included.
    pub current_contract_minor: Option<i64>,
    /// The current value if every pending variation were approved.
    pub anticipated_contract_minor: Option<i64>,
    /// Working days the approved variations add.
    pub approved_time_impact_days: i64,
    pub budget_cost_minor: i64,
    pub actual_cost_minor: i64,
    pub forecast_cost_minor: i64,
    /// Committed to suppliers: lines of purchase orders approved, sent, being received,
    /// received or closed.
    pub committed_cost_minor: i64,
    /// Forecast cost against budget, with the BOQ's colour thresholds (`null` without a
    /// budget). Actual cost alone would look under budget while work remains to be paid.
    pub cost_deviation: Option<Deviation>,
    /// Current contract value less forecast cost (`null` without a contract value, or while
    /// the scope has no cost figures at all).
    pub forecast_margin_minor: Option<i64>,
    /// The forecast margin in tenths of a percent of the current value (`null` when that is
    /// unknown or zero).
    pub forecast_margin_permille: Option<i64>,
    pub open_rfis: i64,
    pub overdue_rfis: i64,
}

impl CommercialSummary {
    /// The summary of `totals`, in `currency`.
    pub fn of(totals: &CommercialTotals, currency: &str) -> CommercialSummary {
        let t = totals;
        let current = match (t.contract_value_minor, t.approved_count) {
            (Some(v), _) => Some(v),
            (None, 0) => None,
            // Approval sets a value where there was none, so this is a restore of odd data;
            // the approved sum is then all there is.
            (None, _) => Some(t.approved_minor),
        };
        let original = current.map(|c| c.saturating_sub(t.approved_minor));
        let anticipated = current.map(|c| c.saturating_add(t.pending_minor));
        // Without any cost figure in the scope a margin would read 100 %: there is none yet.
        let costed = t.budget_minor != 0 || t.actual_minor != 0 || t.forecast_minor != 0;
        let margin = current
            .filter(|_| costed)
            .map(|c| c.saturating_sub(t.forecast_minor));
        CommercialSummary {
            currency: currency.to_owned(),
            original_contract_minor: original,
            approved_variations: t.approved_count,
            approved_variations_minor: t.approved_minor,
            pending_variations: t.pending_count,
            pending_variations_minor: t.pending_minor,
            current_contract_minor: current,
            anticipated_contract_minor: anticipated,
            approved_time_impact_days: t.approved_days,
            budget_cost_minor: t.budget_minor,
            actual_cost_minor: t.actual_minor,
            forecast_cost_minor: t.forecast_minor,
            committed_cost_minor: t.committed_minor,
            cost_deviation: Deviation::of(t.budget_minor, t.forecast_minor),
            forecast_margin_minor: margin,
            forecast_margin_permille: margin.zip(current).and_then(|(m, c)| permille(m, c)),
            open_rfis: t.open_rfis,
            overdue_rfis: t.overdue_rfis,
        }
    }

    /// The margin as text: `12.5 %`, `−3.0 %`.
    pub fn margin_percent_text(&self) -> Option<String> {
        self.forecast_margin_permille.map(|p| {
            let sign = if p < 0 { "−" } else { "" };
            let p = p.unsigned_abs();
            format!("{sign}{}.{} %", p / 10, p % 10)
        })
    }
}

/// `part / whole` in tenths of a percent, rounded half away from zero.
fn permille(part: i64, whole: i64) -> Option<i64> {
    if whole == 0 {
        return None;
    }
    let (p, w) = (i128::from(part) * 1000, i128::from(whole));
    let q = if (p >= 0) == (w > 0) {
        (p + w / 2) / w
    } else {
        (p - w / 2) / w
    };
    i64::try_from(q).ok()
}

/// Which projects' commercial figures a caller may read across the portfolio: everything
/// for administrators and executives, their own teams' for project managers, none for the
/// rest (the same rule as `ViewCommercial` on one project).
pub fn commercial_scope(actor: &Actor) -> ProjectScope {
    match actor.role {
        Role::Admin | Role::Executive => ProjectScope::All,
        Role::ProjectManager => ProjectScope::MemberOf(actor.user_id),
        _ => ProjectScope::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{Action, ProjectAccess, Resource, authorize};
    use crate::project::ProjectRole;
    use crate::scope::CostState;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn totals() -> CommercialTotals {
        CommercialTotals {
            contract_value_minor: Some(115_000_000),
            approved_count: 2,
            approved_minor: 15_000_000,
            pending_count: 1,
            pending_minor: 4_000_000,
            approved_days: 6,
            budget_minor: 80_000_000,
            actual_minor: 88_000_000,
            forecast_minor: 90_000_000,
            open_rfis: 3,
            overdue_rfis: 1,
            committed_minor: 0,
            committed_foreign_lines: 0,
        }
    }

    #[test]
    fn original_is_current_less_approved() {
        let s = CommercialSummary::of(&totals(), "USD");
        assert_eq!(s.original_contract_minor, Some(100_000_000));
        assert_eq!(s.current_contract_minor, Some(115_000_000));
        assert_eq!(s.anticipated_contract_minor, Some(119_000_000));
        assert_eq!(s.forecast_margin_minor, Some(25_000_000));
        // 250,000 / 1,150,000 = 21.739… %
        assert_eq!(s.forecast_margin_permille, Some(217));
        assert_eq!(s.margin_percent_text().as_deref(), Some("21.7 %"));
        let d = s.cost_deviation.expect("a budget");
        assert_eq!((d.permille, d.state), (125, CostState::Over));
    }

    #[test]
    fn no_contract_value_means_no_margin() {
        let t = CommercialTotals {
            contract_value_minor: None,
            budget_minor: 0,
            ..CommercialTotals::default()
        };
        let s = CommercialSummary::of(&t, "EUR");
        assert_eq!(s.original_contract_minor, None);
        let uncosted = CommercialTotals {
            contract_value_minor: Some(1_000),
            ..CommercialTotals::default()
        };
        let s2 = CommercialSummary::of(&uncosted, "EUR");
        assert_eq!(
            (s2.forecast_margin_minor, s2.margin_percent_text()),
            (None, None)
        );
        assert_eq!(s.forecast_margin_minor, None);
        assert_eq!(s.forecast_margin_permille, None);
        assert_eq!(s.cost_deviation, None);
    }

    #[test]
    fn a_loss_reads_negative() {
        let t = CommercialTotals {
            contract_value_minor: Some(10_000),
            forecast_minor: 11_000,
            ..CommercialTotals::default()
        };
        let s = CommercialSummary::of(&t, "EUR");
        assert_eq!(s.forecast_margin_minor, Some(-1_000));
        assert_eq!(s.margin_percent_text().as_deref(), Some("−10.0 %"));
    }

    #[test]
    fn the_portfolio_scope_is_the_project_rule() {
        for &role in Role::ALL {
            let actor = Actor {
                user_id: Uuid::from_u128(1),
                name: "A".into(),
                role,
                client_id: (role == Role::Client).then(|| Uuid::from_u128(100)),
            };
            let member = ProjectAccess {
                client_id: Uuid::from_u128(100),
                membership: Some(ProjectRole::Member),
            };
            let may = authorize(&actor, Action::ViewCommercial, &Resource::Project(member));
            let scoped = commercial_scope(&actor) != ProjectScope::None;
            assert_eq!(may, scoped, "{role}");
        }
    }

    proptest! {
        /// Original + approved = current, and current + pending = anticipated, exactly.
        #[test]
        fn the_figures_add_up(
            current in -1_000_000_000_000i64..1_000_000_000_000,
            approved in -1_000_000_000i64..1_000_000_000,
            pending in -1_000_000_000i64..1_000_000_000,
            forecast in 1i64..1_000_000_000_000,
        ) {
            let t = CommercialTotals {
                contract_value_minor: Some(current),
                approved_count: 1,
                approved_minor: approved,
                pending_minor: pending,
                forecast_minor: forecast,
                ..CommercialTotals::default()
            };
            let s = CommercialSummary::of(&t, "USD");
            prop_assert_eq!(s.original_contract_minor.map(|o| o + approved), Some(current));
            prop_assert_eq!(s.anticipated_contract_minor, Some(current + pending));
            prop_assert_eq!(s.forecast_margin_minor.map(|m| m + forecast), Some(current));
        }
    }
}
