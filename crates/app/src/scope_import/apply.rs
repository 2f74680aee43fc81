//! The scope import's two use cases: preview what a file would do, and apply it all or
//! nothing in one transaction, with an audit entry for every group and item it writes.

use formula_domain::scope::ScopeItem;
use uuid::Uuid;

use super::columns::Sheet;
use super::plan::Plan;
use super::preview::ImportPreview;
use crate::context::Caller;
use crate::error::AppResult;
use crate::services::{Services, audit, changes, created};

impl Services {
    /// Checks a spreadsheet against the project's scope and says what importing it would do.
    pub async fn preview_scope_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<ImportPreview> {
        Ok(self.plan_import(caller, project_id, sheet).await?.0)
    }

    /// Imports the spreadsheet in one transaction if every row is valid; otherwise writes
    /// nothing and answers a validation error naming each bad row.
    pub async fn apply_scope_import(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sheet: &Sheet,
    ) -> AppResult<ImportPreview> {
        let (preview, plan) = self.plan_import(caller, project_id, sheet).await?;
        if !preview.valid {
            return Err(preview.refusal());
        }
        let Plan {
            groups,
            new,
            changed,
        } = plan;
        let mut entries = Vec::new();
        for g in &groups {
            entries.push(
                audit(caller, "import", "scope_group", g.id, &g.name, created(g))
                    .in_project(project_id),
            );
        }
        for i in &new {
            entries.push(
                audit(caller, "import", "scope_item", i.id, &i.code, created(i))
                    .in_project(project_id),
            );
        }
        for (old, next) in &changed {
            entries.push(
                audit(
                    caller,
                    "import",
                    "scope_item",
                    next.id,
                    &next.code,
                    changes(old, next),
                )
                .in_project(project_id),
            );
        }
        let changed: Vec<(ScopeItem, i64)> = changed
            .into_iter()
            .map(|(old, next)| (next, old.version))
            .collect();
        if !groups.is_empty() || !new.is_empty() || !changed.is_empty() {
            self.store
                .save_scope(&groups, &new, &changed, &entries)
                .await?;
            self.changed(caller, "scope.imported", project_id, project_id, None)
                .await;
        }
        Ok(preview)
    }
}
