//! The scope of work (BOQ): a project's groups and priced items, their totals, and the
//! order they are listed in. Imports live in `scope_import`.

use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::project::Project;
use formula_domain::scope::{
    DEFAULT_GROUPS, Quantity, ScopeGroup, ScopeItem, ScopeStatus, ScopeTotals, group_letter,
    item_code, item_code_seq, totals,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::query::{Page, ScopeQuery};
use crate::services::{Services, audit, changes, check_version, created, double_option, ensure};

/// Longest item code, group name and item name accepted.
const CODE_MAX: usize = 40;
const NAME_MAX: usize = 200;
/// Largest amount accepted in a money field: 10 trillion in major units of a 2-decimal currency.
pub const MONEY_MAX_MINOR: i64 = 1_000_000_000_000_000;

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

/// A scope item to add. Money fields are minor units of the project currency.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScopeItem {
    pub group_id: Uuid,
    /// Suggested from the project code and group letter when absent (`WSC-M-014`).
    #[serde(default)]
    pub code: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    /// Defaults to 1.
    #[serde(default)]
    pub quantity: Option<Quantity>,
    /// One of the configured units; defaults to `pcs`.
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub unit_price_minor: Option<i64>,
    #[serde(default)]
    pub budget_cost_minor: Option<i64>,
    #[serde(default)]
    pub actual_cost_minor: Option<i64>,
    #[serde(default)]
    pub status: Option<ScopeStatus>,
    #[serde(default)]
    pub progress: Option<i32>,
    /// Defaults to true in a millwork group, false elsewhere.
    #[serde(default)]
    pub drawing_required: Option<bool>,
    /// Defaults to true in a millwork group, false elsewhere.
    #[serde(default)]
    pub spec_required: Option<bool>,
}

/// Changes to a scope item; absent fields stay, `null` clears. Move it to another group
/// with the move endpoint.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeItemPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub location: Option<Option<String>>,
    pub quantity: Option<Quantity>,
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub unit_price_minor: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub budget_cost_minor: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub actual_cost_minor: Option<Option<i64>>,
    pub status: Option<ScopeStatus>,
    pub progress: Option<i32>,
    pub drawing_required: Option<bool>,
    pub spec_required: Option<bool>,
    pub version: Option<i64>,
}

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

/// Checks an item code: 1–40 letters, digits, `-`, `_`, `.` or `/`.
pub(crate) fn check_code(errors: &mut FieldErrors, field: &str, code: &str) -> String {
    let code = code.trim().to_owned();
    if code.is_empty() {
        errors.add(field, "is required");
    } else if code.chars().count() > CODE_MAX {
        errors.add(field, format!("must be at most {CODE_MAX} characters"));
    } else if !code
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        errors.add(
            field,
            "may hold only letters, digits and - _ . / (no spaces), like WSC-M-014",
        );
    }
    code
}

/// Checks an optional amount of money in minor units.
pub(crate) fn check_money(errors: &mut FieldErrors, field: &str, v: Option<i64>) -> Option<i64> {
    if let Some(m) = v
        && !(0..=MONEY_MAX_MINOR).contains(&m)
    {
        errors.add(field, "must be zero or more and at most 10 trillion");
    }
    v
}

/// Re-derives what an item's fields imply (total, completed → 100 %) and checks the rest.
pub(crate) fn finish_item(errors: &mut FieldErrors, item: &mut ScopeItem, units: &[String]) {
    if !units.contains(&item.unit) {
        errors.add(
            "unit",
            format!("must be one of the configured units: {}", units.join(", ")),
        );
    }
    if !(0..=100).contains(&item.progress) {
        errors.add("progress", "must be between 0 and 100");
    }
    if item.status == ScopeStatus::Completed {
        item.progress = 100;
    }
    item.total_minor = match item.unit_price_minor {
        Some(price) => match item.quantity.times(price) {
            Some(t) if t <= MONEY_MAX_MINOR => Some(t),
            _ => {
                errors.add("unit_price_minor", "quantity × unit price is too large");
                None
            }
        },
        None => None,
    };
}

/// Finds the configured unit matching `input` (case-insensitively; `m2` for `m²`).
pub(crate) fn normalise_unit(input: &str, units: &[String]) -> String {
    let typed = input.trim();
    let plain = |s: &str| s.to_lowercase().replace('²', "2").replace('³', "3");
    units
        .iter()
        .find(|u| plain(u) == plain(typed))
        .cloned()
        .unwrap_or_else(|| typed.to_owned())
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

    /// The project's groups; the default ones are created the first time scope is used.
    pub(crate) async fn groups_of(&self, project_id: Uuid) -> AppResult<Vec<ScopeGroup>> {
        let groups = self.store.list_scope_groups(project_id).await?;
        if !groups.is_empty() {
            return Ok(groups);
        }
        let now = self.now();
        let defaults: Vec<ScopeGroup> = DEFAULT_GROUPS
            .iter()
            .zip(0..)
            .map(|((name, letter), position)| ScopeGroup {
                id: formula_domain::new_id(),
                project_id,
                name: (*name).to_owned(),
                letter: (*letter).to_owned(),
                position,
                created_at: now,
                updated_at: now,
                version: 1,
            })
            .collect();
        // Two first visits at once both try; the unique names keep one set.
        self.store.insert_scope_groups(&defaults, &[]).await?;
        self.store.list_scope_groups(project_id).await
    }

    /// Whether the caller may change this project's scope (for showing controls).
    pub fn may_manage_scope(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::ManageScope, access)
    }

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

    async fn group_in(&self, project_id: Uuid, group_id: Uuid) -> AppResult<ScopeGroup> {
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
        );
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
        self.changed("scope.changed", project_id, group.id, Some(1))
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
        );
        let saved = self
            .store
            .update_scope_group(&next, expected_version, &a)
            .await?;
        self.changed("scope.changed", saved.project_id, id, Some(saved.version))
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
        );
        self.store
            .delete_scope_group(id, expected_version, &a)
            .await?;
        self.changed("scope.changed", current.project_id, id, None)
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
        );
        self.store
            .reorder_scope_groups(group.project_id, &order, &a)
            .await?;
        self.changed("scope.changed", group.project_id, id, None)
            .await;
        Ok(())
    }

    /// The next free code in a group: `<project>-<letter>-<n+1>`.
    pub async fn suggest_scope_code(
        &self,
        caller: &Caller,
        project_id: Uuid,
        group_id: Uuid,
    ) -> AppResult<String> {
        let (project, _) = self
            .scope_project(caller, project_id, Action::ViewScope)
            .await?;
        let group = self.group_in(project_id, group_id).await?;
        let codes = self.store.scope_item_codes(project_id).await?;
        Ok(next_code(&project.code, &group.letter, &codes, 1))
    }

    pub async fn create_scope_item(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewScopeItem,
    ) -> AppResult<ScopeItem> {
        let (project, _) = self
            .scope_project(caller, project_id, Action::ManageScope)
            .await?;
        let mut errors = FieldErrors::new();
        let group = match self.group_in(project_id, input.group_id).await {
            Ok(g) => Some(g),
            Err(_) => {
                errors.add("group_id", "must be one of this project's groups");
                None
            }
        };
        let code = match input.code.as_deref().map(str::trim) {
            Some(c) if !c.is_empty() => check_code(&mut errors, "code", c),
            _ => match &group {
                Some(g) => {
                    let codes = self.store.scope_item_codes(project_id).await?;
                    next_code(&project.code, &g.letter, &codes, 1)
                }
                None => String::new(),
            },
        };
        let millwork = group.as_ref().is_some_and(ScopeGroup::is_millwork);
        let now = self.now();
        let units = &self.config.scope_units;
        let mut item = ScopeItem {
            id: formula_domain::new_id(),
            project_id,
            group_id: input.group_id,
            group_name: group.map(|g| g.name).unwrap_or_default(),
            code,
            name: required_text(&mut errors, "name", &input.name, NAME_MAX),
            description: optional_text(
                &mut errors,
                "description",
                input.description.as_deref(),
                10_000,
            ),
            location: optional_text(&mut errors, "location", input.location.as_deref(), 200),
            quantity: input.quantity.unwrap_or(Quantity::units(1)),
            unit: normalise_unit(input.unit.as_deref().unwrap_or("pcs"), units),
            unit_price_minor: check_money(&mut errors, "unit_price_minor", input.unit_price_minor),
            total_minor: None,
            budget_cost_minor: check_money(
                &mut errors,
                "budget_cost_minor",
                input.budget_cost_minor,
            ),
            actual_cost_minor: check_money(
                &mut errors,
                "actual_cost_minor",
                input.actual_cost_minor,
            ),
            currency: project.currency.clone(),
            status: input.status.unwrap_or(ScopeStatus::NotStarted),
            progress: input.progress.unwrap_or(0),
            drawing_required: input.drawing_required.unwrap_or(millwork),
            spec_required: input.spec_required.unwrap_or(millwork),
            position: 0,
            created_at: now,
            updated_at: now,
            updated_by_name: Some(caller.actor.name.clone()),
            version: 1,
            released_at: None,
            released_by_name: None,
            release_note: None,
        };
        finish_item(&mut errors, &mut item, units);
        errors.into_result()?;
        let a = audit(
            caller,
            "create",
            "scope_item",
            item.id,
            &item.code,
            created(&item),
        );
        self.store
            .save_scope(&[], std::slice::from_ref(&item), &[], &[a])
            .await?;
        let saved = self
            .store
            .get_scope_item(item.id)
            .await?
            .ok_or(AppError::NotFound("scope item"))?;
        self.changed("scope.changed", project_id, saved.id, Some(saved.version))
            .await;
        Ok(saved)
    }

    /// A scope item and the caller's access to its project.
    pub async fn get_scope_item(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(ScopeItem, ProjectAccess)> {
        self.scope_item_for(caller, id, Action::ViewScope).await
    }

    pub(crate) async fn scope_item_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(ScopeItem, ProjectAccess)> {
        let item = self
            .store
            .get_scope_item(id)
            .await?
            .ok_or(AppError::NotFound("scope item"))?;
        let (_, access) = self
            .scope_project(caller, item.project_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("scope item"),
                other => other,
            })?;
        Ok((item, access))
    }

    pub async fn update_scope_item(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: ScopeItemPatch,
    ) -> AppResult<ScopeItem> {
        let (current, _) = self.scope_item_for(caller, id, Action::ManageScope).await?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        apply_patch(&mut errors, &mut next, patch, &self.config.scope_units);
        finish_item(&mut errors, &mut next, &self.config.scope_units);
        errors.into_result()?;
        next.updated_at = self.now();
        next.updated_by_name = Some(caller.actor.name.clone());
        let action = if next.status != current.status {
            "status_change"
        } else {
            "update"
        };
        let a = audit(
            caller,
            action,
            "scope_item",
            id,
            &next.code,
            changes(&current, &next),
        );
        self.store
            .save_scope(&[], &[], &[(next, expected_version)], &[a])
            .await?;
        let saved = self
            .store
            .get_scope_item(id)
            .await?
            .ok_or(AppError::NotFound("scope item"))?;
        self.changed("scope.changed", saved.project_id, id, Some(saved.version))
            .await;
        Ok(saved)
    }

    pub async fn delete_scope_item(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<()> {
        let (current, _) = self.scope_item_for(caller, id, Action::ManageScope).await?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let a = audit(
            caller,
            "delete",
            "scope_item",
            id,
            &current.code,
            Vec::new(),
        );
        self.store
            .delete_scope_item(id, expected_version, &a)
            .await?;
        // Its attachments went with it; their files go now.
        self.remove_deleted_files().await;
        self.changed("scope.changed", current.project_id, id, None)
            .await;
        Ok(())
    }

    /// Moves an item within its group or into another group of the same project.
    pub async fn move_scope_item(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        to: MoveTo,
    ) -> AppResult<ScopeItem> {
        let (current, _) = self.scope_item_for(caller, id, Action::ManageScope).await?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let group_id = to.group_id.unwrap_or(current.group_id);
        let group = self.group_in(current.project_id, group_id).await?;
        let mut changes = vec![formula_domain::audit::FieldChange {
            field: "position".into(),
            old: serde_json::json!(current.position),
            new: serde_json::json!(to.index),
        }];
        if group_id != current.group_id {
            changes.push(formula_domain::audit::FieldChange {
                field: "group".into(),
                old: serde_json::json!(current.group_name),
                new: serde_json::json!(group.name),
            });
        }
        let a = audit(caller, "move", "scope_item", id, &current.code, changes);
        let saved = self
            .store
            .move_scope_item(id, expected_version, group_id, to.index, &a)
            .await?;
        self.changed("scope.changed", saved.project_id, id, Some(saved.version))
            .await;
        Ok(saved)
    }
}

/// Applies a patch's fields to `item` (validation of text fields included).
fn apply_patch(
    errors: &mut FieldErrors,
    item: &mut ScopeItem,
    p: ScopeItemPatch,
    units: &[String],
) {
    if let Some(v) = p.code {
        item.code = check_code(errors, "code", &v);
    }
    if let Some(v) = p.name {
        item.name = required_text(errors, "name", &v, NAME_MAX);
    }
    if let Some(v) = p.description {
        item.description = optional_text(errors, "description", v.as_deref(), 10_000);
    }
    if let Some(v) = p.location {
        item.location = optional_text(errors, "location", v.as_deref(), 200);
    }
    if let Some(v) = p.quantity {
        item.quantity = v;
    }
    if let Some(v) = p.unit {
        item.unit = normalise_unit(&v, units);
    }
    if let Some(v) = p.unit_price_minor {
        item.unit_price_minor = check_money(errors, "unit_price_minor", v);
    }
    if let Some(v) = p.budget_cost_minor {
        item.budget_cost_minor = check_money(errors, "budget_cost_minor", v);
    }
    if let Some(v) = p.actual_cost_minor {
        item.actual_cost_minor = check_money(errors, "actual_cost_minor", v);
    }
    if let Some(v) = p.status {
        item.status = v;
    }
    if let Some(v) = p.progress {
        item.progress = v;
    }
    if let Some(v) = p.drawing_required {
        item.drawing_required = v;
    }
    if let Some(v) = p.spec_required {
        item.spec_required = v;
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

/// The `n`-th free code after the highest one used in the group's sequence.
pub(crate) fn next_code(project_code: &str, letter: &str, codes: &[String], n: u32) -> String {
    let max = codes
        .iter()
        .filter_map(|c| item_code_seq(project_code, letter, c))
        .max()
        .unwrap_or(0);
    item_code(project_code, letter, max.saturating_add(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_code_follows_the_highest() {
        let codes = vec![
            "WSC-M-002".to_string(),
            "WSC-M-010".into(),
            "WSC-E-050".into(),
        ];
        assert_eq!(next_code("WSC", "M", &codes, 1), "WSC-M-011");
        assert_eq!(next_code("WSC", "E", &codes, 2), "WSC-E-052");
        assert_eq!(next_code("WSC", "C", &codes, 1), "WSC-C-001");
    }

    #[test]
    fn units_match_loosely() {
        let units: Vec<String> = vec!["pcs".into(), "m²".into()];
        assert_eq!(normalise_unit("M2", &units), "m²");
        assert_eq!(normalise_unit(" PCS ", &units), "pcs");
        assert_eq!(normalise_unit("box", &units), "box");
    }

    #[test]
    fn codes_are_checked() {
        let mut e = FieldErrors::new();
        assert_eq!(check_code(&mut e, "code", " WSC-M-001 "), "WSC-M-001");
        assert!(e.is_empty());
        check_code(&mut e, "code", "has space");
        check_code(&mut e, "code", "");
        assert_eq!(e.0.len(), 2);
    }
}
