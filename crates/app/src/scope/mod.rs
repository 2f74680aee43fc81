//! The scope of work (BOQ): a project's groups and priced items, their totals, and the
//! order they are listed in. Imports live in `scope_import`.
//!
//! Groups live in `groups`, items in `items`, the whole-scope read with its totals in
//! `overview`, and the field checks shared with the imports in `fields`; this file holds
//! what they share: the access check and the move request.

use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::project::Project;
use serde::Deserialize;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::AppResult;
use crate::services::{Services, ensure};

mod fields;
mod groups;
mod items;
mod overview;

pub use fields::MONEY_MAX_MINOR;
pub(crate) use fields::{check_code, check_money, finish_item, next_code, normalise_unit};
pub use groups::{NewScopeGroup, ScopeGroupPatch};
pub use items::{NewScopeItem, ScopeItemPatch};
pub use overview::{GroupSummary, ScopeOverview};

/// Where to move a group or an item: a 0-based index (clamped to the end).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveTo {
    /// The group to move an item into (items only; its current group when absent).
    #[serde(default)]
    pub group_id: Option<Uuid>,
    pub index: u32,
    /// The item's version (items only; or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

impl Services {
    /// The project, the caller's access to it, after checking `action` on it.
    pub(crate) async fn scope_project(
        &self,
        caller: &Caller,
        project_id: Uuid,
        action: Action,
    ) -> AppResult<(Project, ProjectAccess)> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, action, &Resource::Project(access))?;
        Ok((project, access))
    }

    /// Whether the caller may change this project's scope (for showing controls).
    pub fn may_manage_scope(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::ManageScope, access)
    }
}
