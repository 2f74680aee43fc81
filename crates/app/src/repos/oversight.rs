//! Read models for oversight: dashboard counts and the audit trail.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::authz::ProjectScope;
use formula_domain::project::ProjectStatus;

use uuid::Uuid;

use crate::error::AppResult;
use crate::query::{AuditQuery, Page};

/// Counts for the dashboard, within the caller's visibility.
#[derive(
    Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct DashboardCounts {
    pub projects_by_status: Vec<(ProjectStatus, i64)>,
    pub overdue_tasks: i64,
    pub open_tasks: i64,
}

/// Counts for the dashboard.
#[async_trait]
pub trait DashboardRepo: Send + Sync {
    async fn dashboard_counts(
        &self,
        scope: ProjectScope,
        today: time::Date,
    ) -> AppResult<DashboardCounts>;
}

/// The audit trail.
#[async_trait]
pub trait AuditRepo: Send + Sync {
    async fn list_audit(&self, query: &AuditQuery) -> AppResult<Page<AuditEntry>>;
    /// What to call each of these ids, where it is still a user, client, contact, project,
    /// task, scope group or item, drawing or specification (the audit page shows names).
    async fn names_of(&self, ids: &[Uuid]) -> AppResult<Vec<(Uuid, String)>>;
}
