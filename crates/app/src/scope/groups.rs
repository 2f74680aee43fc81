//! A project's scope groups: adding the defaults (which a new project starts with) to a
//! project that has none, and adding, renaming, deleting and re-ordering them. Each group
//! gives its items their code letter.

use formula_domain::authz::Action;
use formula_domain::errors::{FieldErrors, required_text};
use formula_domain::project::Project;
use formula_domain::scope::{ScopeGroup, default_groups, group_letter};
use serde::Deserialize;
use uuid::Uuid;

use super::fields::NAME_MAX;
use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::services::{Services, audit, changes, check_version, created};

/// A scope group to add.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScopeGroup {
    pub name: String,
    /// Code letter(s) for its items; chosen from the name when absent.
    #[serde(default)]
    pub letter: Option<String>,
}

/// Renames a group or changes its code letter.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeGroupPatch {
    pub name: Option<String>,
    pub letter: Option<String>,
    pub version: Option<i64>,
}

impl Services {
    /// The project's groups, in order. Reading never creates any: a project gets its default
    /// groups when it is created, or from [`Services::add_default_scope_groups`].
    pub(crate) async fn groups_of(&self, project_id: Uuid) -> AppResult<Vec<ScopeGroup>> {
        self.store.list_scope_groups(project_id).await
    }

    /// Adds the default groups (Construction, Millwork, …) after the project's own, each
    /// audited, skipping any whose name or letter a group already has; answers the groups.
    /// Pressing it twice adds nothing the second time.
    pub async fn add_default_scope_groups(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<ScopeGroup>> {
        self.scope_project(caller, project_id, Action::ManageScope)
            .await?;
        let groups = self.groups_of(project_id).await?;
        let next = groups.iter().map(|g| g.position + 1).max().unwrap_or(0);
        let missing: Vec<ScopeGroup> = default_groups(project_id, next, self.now())
            .into_iter()
            .filter(|d| {
                !groups
                    .iter()
                    .any(|g| g.name.eq_ignore_ascii_case(&d.name) || g.letter == d.letter)
            })
            .collect();
        let entries: Vec<_> = missing
            .iter()
            .map(|g| {
                audit(caller, "create", "scope_group", g.id, &g.name, created(g))
                    .in_project(g.project_id)
            })
            .collect();
        // Two presses at once both try; the unique names and letters keep one set, and only
        // the groups inserted get their audit entries.
        if self.store.insert_scope_groups(&missing, &entries).await? > 0 {
            self.changed(caller, "scope.changed", project_id, project_id, None)
                .await;
        }
        self.groups_of(project_id).await
    }

    pub(super) async fn group_in(&self, project_id: Uuid, group_id: Uuid) -> AppResult<ScopeGroup> {
        self.groups_of(project_id)
            .await?
            .into_iter()
            .find(|g| g.id == group_id)
            .ok_or_else(|| AppError::field("group_id", "must be one of this project's groups"))
    }

    async fn scope_group_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(Project, ScopeGroup)> {
        // Groups are found through their project, so a group of an invisible project is 404.
        let group = self
            .store
            .get_scope_group(id)
            .await?
            .ok_or(AppError::NotFound("scope group"))?;
        let (project, _) = self
            .scope_project(caller, group.project_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("scope group"),
                other => other,
            })?;
        Ok((project, group))
    }

    pub async fn create_scope_group(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewScopeGroup,
    ) -> AppResult<ScopeGroup> {
        self.scope_project(caller, project_id, Action::ManageScope)
            .await?;
        let groups = self.groups_of(project_id).await?;
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", &input.name, NAME_MAX);
        let taken: Vec<&str> = groups.iter().map(|g| g.letter.as_str()).collect();
        let letter = match input.letter.as_deref().map(str::trim) {
            Some(l) if !l.is_empty() => check_letter(&mut errors, l),
            _ => group_letter(&name, &taken),
        };
        if groups.iter().any(|g| g.name.eq_ignore_ascii_case(&name)) {
            errors.add("name", "another group of this project has this name");
        }
        if groups.iter().any(|g| g.letter == letter) {
            errors.add(
                "letter",
                format!(
                    "group {} already uses this letter",
                    name_of(&groups, &letter)
                ),
            );
        }
        errors.into_result()?;
        let now = self.now();
        let group = ScopeGroup {
            id: formula_domain::new_id(),
            project_id,
            name,
            letter,
            position: groups.iter().map(|g| g.position + 1).max().unwrap_or(0),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let a = audit(
            caller,
            "create",
            "scope_group",
            group.id,
            &group.name,
            created(&group),
        )
        .in_project(group.project_id);
        if self
            .store
            .insert_scope_groups(std::slice::from_ref(&group), &[a])
            .await?
            == 0
        {
            return Err(AppError::duplicate(
                "name",
                "another group of this project has this name or letter",
            ));
        }
        self.changed(caller, "scope.changed", project_id, group.id, Some(1))
            .await;
        Ok(group)
    }

    pub async fn update_scope_group(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: ScopeGroupPatch,
    ) -> AppResult<ScopeGroup> {
        let (_, current) = self
            .scope_group_for(caller, id, Action::ManageScope)
            .await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(n) = patch.name {
            next.name = required_text(&mut errors, "name", &n, NAME_MAX);
        }
        if let Some(l) = patch.letter {
            next.letter = check_letter(&mut errors, &l);
        }
        errors.into_result()?;
        next.updated_at = self.now();
        let a = audit(
            caller,
            "update",
            "scope_group",
            id,
            &next.name,
            changes(&current, &next),
        )
        .in_project(current.project_id);
        let saved = self
            .store
            .update_scope_group(&next, expected_version, &a)
            .await?;
        self.changed(
            caller,
            "scope.changed",
            saved.project_id,
            id,
            Some(saved.version),
        )
        .await;
        Ok(saved)
    }

    pub async fn delete_scope_group(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<()> {
        let (_, current) = self
            .scope_group_for(caller, id, Action::ManageScope)
            .await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let a = audit(
            caller,
            "delete",
            "scope_group",
            id,
            &current.name,
            Vec::new(),
        )
        .in_project(current.project_id);
        self.store
            .delete_scope_group(id, expected_version, &a)
            .await?;
        self.changed(caller, "scope.changed", current.project_id, id, None)
            .await;
        Ok(())
    }

    /// Moves a group to `index` among the project's groups.
    pub async fn move_scope_group(&self, caller: &Caller, id: Uuid, index: u32) -> AppResult<()> {
        let (_, group) = self
            .scope_group_for(caller, id, Action::ManageScope)
            .await?;
        let mut order: Vec<Uuid> = self
            .groups_of(group.project_id)
            .await?
            .into_iter()
            .map(|g| g.id)
            .filter(|g| *g != id)
            .collect();
        let at = usize::try_from(index)
            .unwrap_or(usize::MAX)
            .min(order.len());
        order.insert(at, id);
        let a = audit(
            caller,
            "move",
            "scope_group",
            id,
            &group.name,
            vec![formula_domain::audit::FieldChange {
                field: "position".into(),
                old: serde_json::json!(group.position),
                new: serde_json::json!(at),
            }],
        )
        .in_project(group.project_id);
        self.store
            .reorder_scope_groups(group.project_id, &order, &a)
            .await?;
        self.changed(caller, "scope.changed", group.project_id, id, None)
            .await;
        Ok(())
    }
}

/// Group letters: 1–3 capital letters.
fn check_letter(errors: &mut FieldErrors, letter: &str) -> String {
    let l = letter.trim().to_ascii_uppercase();
    if l.is_empty() || l.len() > 3 || !l.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.add("letter", "must be one to three letters, like M");
    }
    l
}

fn name_of<'a>(groups: &'a [ScopeGroup], letter: &str) -> &'a str {
    groups
        .iter()
        .find(|g| g.letter == letter)
        .map_or("", |g| g.name.as_str())
}
