//! Reading a project's scope: the whole of it with per-group subtotals and project totals,
//! or one filtered page of its items.

use formula_domain::authz::{Action, ProjectAccess};
use formula_domain::project::Project;
use formula_domain::scope::{ScopeGroup, ScopeItem, ScopeTotals, totals};
use serde::Serialize;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::AppResult;
use crate::query::{Page, ScopeQuery};
use crate::services::Services;

/// A group with the totals of its items.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupSummary {
    #[serde(flatten)]
    pub group: ScopeGroup,
    pub totals: ScopeTotals,
}

/// A project's whole scope: groups with subtotals, items in order, project totals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScopeOverview {
    pub project_id: Uuid,
    pub currency: String,
    pub groups: Vec<GroupSummary>,
    pub items: Vec<ScopeItem>,
    pub totals: ScopeTotals,
    /// Units an item may use.
    pub units: Vec<String>,
}

impl ScopeOverview {
    /// The items of one group, in order.
    pub fn items_of(&self, group_id: Uuid) -> impl Iterator<Item = &ScopeItem> {
        self.items.iter().filter(move |i| i.group_id == group_id)
    }
}

impl Services {
    /// A project's whole scope with subtotals and totals.
    pub async fn scope_overview(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<(Project, ProjectAccess, ScopeOverview)> {
        let (project, access) = self
            .scope_project(caller, project_id, Action::ViewScope)
            .await?;
        let groups = self.groups_of(project_id).await?;
        let items = self
            .store
            .list_scope_items(&ScopeQuery::all(project_id))
            .await?
            .items;
        let summaries = groups
            .into_iter()
            .map(|g| {
                let t = totals(items.iter().filter(|i| i.group_id == g.id));
                GroupSummary {
                    group: g,
                    totals: t,
                }
            })
            .collect();
        let overview = ScopeOverview {
            project_id,
            currency: project.currency.clone(),
            groups: summaries,
            totals: totals(&items),
            items,
            units: self.config.scope_units.clone(),
        };
        Ok((project, access, overview))
    }

    /// One page of a project's items, filtered.
    pub async fn list_scope_items(
        &self,
        caller: &Caller,
        project_id: Uuid,
        mut query: ScopeQuery,
    ) -> AppResult<Page<ScopeItem>> {
        self.scope_project(caller, project_id, Action::ViewScope)
            .await?;
        query.project_id = project_id;
        self.store.list_scope_items(&query).await
    }
}
