//! The commercial summary of a project and of the portfolio: contract value before and
//! after variations, the exposure still waiting for the client, cost against budget and the
//! forecast margin. Managers only (`ViewCommercial`): it holds the contractor's cost and
//! margin, which never reach a client user or the rest of the team.

use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::commercial::{CommercialSummary, commercial_scope};
use formula_domain::project::{Project, ProjectStatus};
use serde::Serialize;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::services::{Services, ensure};

/// One project of the portfolio table.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortfolioProject {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub client_name: String,
    pub status: ProjectStatus,
    pub summary: CommercialSummary,
}

/// The sum of the portfolio's figures in one currency (projects in different currencies
/// are never added together).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortfolioTotal {
    pub currency: String,
    pub projects: usize,
    pub original_contract_minor: i64,
    pub approved_variations_minor: i64,
    pub pending_variations_minor: i64,
    pub current_contract_minor: i64,
    pub budget_cost_minor: i64,
    pub actual_cost_minor: i64,
    pub forecast_cost_minor: i64,
    pub committed_cost_minor: i64,
    /// Sum of the projects' forecast margins (projects without a contract value add none).
    pub forecast_margin_minor: i64,
}

/// The portfolio: every running or finished project the caller may read, with a total per
/// currency.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Portfolio {
    pub projects: Vec<PortfolioProject>,
    pub totals: Vec<PortfolioTotal>,
}

impl Services {
    /// A project's commercial summary.
    pub async fn commercial_summary(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<(CommercialSummary, Project, ProjectAccess)> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ViewCommercial, &Resource::Project(access))?;
        let totals = self
            .store
            .commercial_totals(project_id, self.today())
            .await?;
        refuse_mixed(&project.code, &totals)?;
        Ok((
            CommercialSummary::of(&totals, &project.currency),
            project,
            access,
        ))
    }

    /// The portfolio's commercial figures (administrators and executives: every project;
    /// project managers: their teams').
    pub async fn portfolio(&self, caller: &Caller) -> AppResult<Portfolio> {
        let scope = commercial_scope(&caller.actor);
        if scope == formula_domain::authz::ProjectScope::None {
            return Err(AppError::Forbidden);
        }
        let rows = self.store.portfolio_totals(scope, self.today()).await?;
        for r in &rows {
            refuse_mixed(&r.code, &r.totals)?;
        }
        let projects: Vec<PortfolioProject> = rows
            .into_iter()
            .map(|r| PortfolioProject {
                summary: CommercialSummary::of(&r.totals, &r.currency),
                id: r.id,
                code: r.code,
                name: r.name,
                client_name: r.client_name,
                status: r.status,
            })
            .collect();
        Ok(Portfolio {
            totals: totals_by_currency(&projects),
            projects,
        })
    }

    /// Whether the caller may open the portfolio (for the navigation).
    pub fn may_view_portfolio(&self, caller: &Caller) -> bool {
        commercial_scope(&caller.actor) != formula_domain::authz::ProjectScope::None
    }
}

/// One total per currency, in the order the currencies first appear.
/// A project's orders in another currency than its own are never added to its committed
/// cost: the sum is refused instead.
fn refuse_mixed(
    code: &str,
    totals: &formula_domain::commercial::CommercialTotals,
) -> AppResult<()> {
    if totals.committed_foreign_lines > 0 {
        return Err(AppError::Conflict {
            code: "mixed_currencies",
            message: format!(
                "{code} has {} purchase order line(s) in another currency than the project's; a sum holds one currency",
                totals.committed_foreign_lines
            ),
            fields: formula_domain::errors::FieldErrors::new(),
        });
    }
    Ok(())
}

fn totals_by_currency(projects: &[PortfolioProject]) -> Vec<PortfolioTotal> {
    let mut totals: Vec<PortfolioTotal> = Vec::new();
    for p in projects {
        let s = &p.summary;
        let i = match totals.iter().position(|t| t.currency == s.currency) {
            Some(i) => i,
            None => {
                totals.push(PortfolioTotal {
                    currency: s.currency.clone(),
                    projects: 0,
                    original_contract_minor: 0,
                    approved_variations_minor: 0,
                    pending_variations_minor: 0,
                    current_contract_minor: 0,
                    budget_cost_minor: 0,
                    actual_cost_minor: 0,
                    forecast_cost_minor: 0,
                    committed_cost_minor: 0,
                    forecast_margin_minor: 0,
                });
                totals.len() - 1
            }
        };
        let t = &mut totals[i];
        t.projects += 1;
        t.original_contract_minor = t
            .original_contract_minor
            .saturating_add(s.original_contract_minor.unwrap_or(0));
        t.approved_variations_minor = t
            .approved_variations_minor
            .saturating_add(s.approved_variations_minor);
        t.pending_variations_minor = t
            .pending_variations_minor
            .saturating_add(s.pending_variations_minor);
        t.current_contract_minor = t
            .current_contract_minor
            .saturating_add(s.current_contract_minor.unwrap_or(0));
        t.budget_cost_minor = t.budget_cost_minor.saturating_add(s.budget_cost_minor);
        t.actual_cost_minor = t.actual_cost_minor.saturating_add(s.actual_cost_minor);
        t.forecast_cost_minor = t.forecast_cost_minor.saturating_add(s.forecast_cost_minor);
        t.committed_cost_minor = t
            .committed_cost_minor
            .saturating_add(s.committed_cost_minor);
        t.forecast_margin_minor = t
            .forecast_margin_minor
            .saturating_add(s.forecast_margin_minor.unwrap_or(0));
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;
    use formula_domain::commercial::CommercialTotals;

    fn project(code: &str, currency: &str, value: i64) -> PortfolioProject {
        let totals = CommercialTotals {
            contract_value_minor: Some(value),
            forecast_minor: value / 2,
            ..CommercialTotals::default()
        };
        PortfolioProject {
            id: Uuid::nil(),
            code: code.into(),
            name: code.into(),
            client_name: "C".into(),
            status: ProjectStatus::Active,
            summary: CommercialSummary::of(&totals, currency),
        }
    }

    #[test]
    fn currencies_are_never_added_together() {
        let t = totals_by_currency(&[
            project("A", "USD", 100),
            project("B", "EUR", 1_000),
            project("C", "USD", 50),
        ]);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].currency.as_str(), t[0].projects), ("USD", 2));
        assert_eq!(t[0].current_contract_minor, 150);
        assert_eq!(t[0].forecast_margin_minor, 50 + 25);
        assert_eq!(
            (t[1].currency.as_str(), t[1].current_contract_minor),
            ("EUR", 1_000)
        );
    }
}
