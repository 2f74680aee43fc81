//! The commercial read model: a project's contract, variation, cost and RFI totals, and the
//! same for every project of the portfolio a caller may read.

use async_trait::async_trait;

use formula_domain::authz::ProjectScope;
use formula_domain::commercial::CommercialTotals;
use formula_domain::project::ProjectStatus;
use time::Date;
use uuid::Uuid;

use crate::error::AppResult;

/// One project of the portfolio with its totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortfolioRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub client_name: String,
    pub status: ProjectStatus,
    pub currency: String,
    pub totals: CommercialTotals,
}

/// Commercial totals, counted as of `today` (for overdue RFIs).
#[async_trait]
pub trait CommercialRepo: Send + Sync {
    /// One project's totals (all zero for a project that does not exist).
    async fn commercial_totals(&self, project_id: Uuid, today: Date)
    -> AppResult<CommercialTotals>;
    /// Every project in `scope` except tenders not won and cancelled projects, by code.
    async fn portfolio_totals(
        &self,
        scope: ProjectScope,
        today: Date,
    ) -> AppResult<Vec<PortfolioRow>>;
}
