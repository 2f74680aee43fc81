use async_trait::async_trait;
use formula_domain::audit::AuditEntry;
use formula_domain::planning::CompanyWorkflow;
use formula_domain::schedule::WorkflowTemplate;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// The company's workflow template: the millwork chain's steps and their durations.
#[async_trait]
pub trait WorkflowRepo: Send + Sync {
    /// The company's template, or the standard one (`version` 0) before it is first saved.
    async fn workflow_template(&self) -> AppResult<CompanyWorkflow>;
    /// Replaces the template's steps, compare-and-set on `expected_version` (0: the first
    /// save), with the audit entry; `Stale` names who saved first.
    async fn save_workflow_template(
        &self,
        template: &WorkflowTemplate,
        expected_version: i64,
        by: Uuid,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<CompanyWorkflow>;
}
