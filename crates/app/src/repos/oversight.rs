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
    /// `[status, count]` pairs, one per project status.
    #[schema(schema_with = status_count_pairs)]
    pub projects_by_status: Vec<(ProjectStatus, i64)>,
    pub overdue_tasks: i64,
    pub open_tasks: i64,
}

/// `[[status, count], …]`. As a tuple this is `prefixItems` (what utoipa derives), which
/// common tools (Schemathesis 4 among them) turn back into the array form of `items` that
/// OpenAPI 3.1 no longer allows, and then refuse; so each pair is described as two items,
/// each a status or a count, the status first.
fn status_count_pairs() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::Ref;
    use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, Object, Type};
    let pair = ArrayBuilder::new()
        .description(Some(
            "`[status, count]`: a project status and how many projects have it",
        ))
        .items(
            AnyOfBuilder::new()
                .item(Ref::from_schema_name("ProjectStatus"))
                .item(Object::with_type(Type::Integer)),
        )
        .min_items(Some(2))
        .max_items(Some(2));
    ArrayBuilder::new().items(pair).build()
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
