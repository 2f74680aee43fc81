//! A project's scope items: adding one (with a suggested code), reading, changing,
//! deleting and moving it within or between groups.

use formula_domain::authz::{Action, ProjectAccess};
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::location::{LocationKind, effective_quantity};
use formula_domain::scope::{Placement, Quantity, ScopeGroup, ScopeItem, ScopeStatus};
use serde::Deserialize;
use time::Date;
use uuid::Uuid;

use super::MoveTo;
use super::fields::{NAME_MAX, check_code, check_money, finish_item, next_code, normalise_unit};
use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::services::{Services, audit, changes, check_version, created, double_option};

/// How many codes an item added without one tries before giving up: each code found taken
/// means another item was added to the group in between.
const GENERATED_CODE_ATTEMPTS: usize = 32;

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
    /// The day it must be installed on site (from 2000 on); the workshop must have it packed
    /// a few working days before (docs/workshop.md, "Late in the workshop").
    #[serde(default)]
    pub install_on: Option<Date>,
    /// Places the item in this room of the project (not with `room_type_id`).
    #[serde(default)]
    pub room_id: Option<Uuid>,
    /// Places the item on this room type: it is then in every room of the type, and its
    /// quantity is `quantity_per_room` × those rooms (any `quantity` sent is not used).
    #[serde(default)]
    pub room_type_id: Option<Uuid>,
    /// With `room_type_id`: the quantity in each room (default 1).
    #[serde(default)]
    pub quantity_per_room: Option<Quantity>,
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
    /// The day it must be installed on site (from 2000 on); `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    pub install_on: Option<Option<Date>>,
    /// Places the item in this room; `null` takes it out of its room.
    #[serde(default, deserialize_with = "double_option")]
    pub room_id: Option<Option<Uuid>>,
    /// Places the item on this room type; `null` takes it off (its quantity stays as it was).
    #[serde(default, deserialize_with = "double_option")]
    pub room_type_id: Option<Option<Uuid>>,
    /// Room-type items: the quantity in each room.
    pub quantity_per_room: Option<Quantity>,
    pub version: Option<i64>,
}

/// Where an item is asked to be placed (after a patch: the patched values).
pub(crate) struct PlacementInput {
    pub(crate) room_id: Option<Uuid>,
    pub(crate) room_type_id: Option<Uuid>,
    pub(crate) quantity_per_room: Option<Quantity>,
}

impl Services {
    /// Checks a placement against the project's rooms and types and sets it on `item`;
    /// a room-type item's quantity becomes quantity per room × the type's rooms (the
    /// store derives it again in the saving transaction, in case rooms changed meanwhile).
    pub(crate) async fn place_item(
        &self,
        errors: &mut FieldErrors,
        item: &mut ScopeItem,
        p: PlacementInput,
    ) -> AppResult<()> {
        let mut placement = Placement::default();
        if p.room_id.is_some() && p.room_type_id.is_some() {
            errors.add(
                "room_id",
                "an item is placed in one room or on a room type, not both; leave one empty",
            );
            return Ok(());
        }
        if let Some(room_id) = p.room_id {
            match self.store.get_location(room_id).await? {
                Some(l) if l.project_id == item.project_id && l.kind == LocationKind::Room => {
                    placement.room_id = Some(l.id);
                    placement.room_code = Some(l.code);
                }
                Some(l) if l.project_id == item.project_id => errors.add(
                    "room_id",
                    format!(
                        "must be a room; {} is a {}",
                        l.code,
                        l.kind.label().to_lowercase()
                    ),
                ),
                _ => errors.add("room_id", "must be one of this project's rooms"),
            }
        }
        if let Some(type_id) = p.room_type_id {
            match self.store.get_room_type(type_id).await? {
                Some(t) if t.project_id == item.project_id => {
                    let per_room = p.quantity_per_room.unwrap_or(Quantity::units(1));
                    match effective_quantity(per_room, t.room_count) {
                        Some(q) if q <= Quantity::MAX => item.quantity = q,
                        _ => errors.add(
                            "quantity_per_room",
                            "× the rooms of the type is more than 1,000,000,000",
                        ),
                    }
                    placement.room_type_id = Some(t.id);
                    placement.room_type_code = Some(t.code);
                    placement.room_type_name = Some(t.name);
                    placement.quantity_per_room = Some(per_room);
                    placement.room_count = Some(t.room_count);
                }
                _ => errors.add("room_type_id", "must be one of this project's room types"),
            }
        }
        item.placement = placement;
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
        // A code the user typed is theirs to fix when taken; a generated one is the
        // system's, and is chosen again until it is free (see below).
        let typed = match input.code.as_deref().map(str::trim) {
            Some(c) if !c.is_empty() => Some(check_code(&mut errors, "code", c)),
            _ => None,
        };
        let letter = group.as_ref().map(|g| g.letter.clone());
        let code = match (&typed, &letter) {
            (Some(c), _) => c.clone(),
            (None, Some(letter)) => {
                let codes = self.store.scope_item_codes(project_id).await?;
                next_code(&project.code, letter, &codes, 1)
            }
            (None, None) => String::new(),
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
            install_on: input.install_on,
            placement: Default::default(),
        };
        let placement = PlacementInput {
            room_id: input.room_id,
            room_type_id: input.room_type_id,
            quantity_per_room: input
                .quantity_per_room
                .or(input.room_type_id.map(|_| Quantity::units(1))),
        };
        self.place_item(&mut errors, &mut item, placement).await?;
        finish_item(&mut errors, &mut item, units);
        errors.into_result()?;
        let mut attempt = 1;
        loop {
            let a = audit(
                caller,
                "create",
                "scope_item",
                item.id,
                &item.code,
                created(&item),
            )
            .in_project(item.project_id);
            match self
                .store
                .save_scope(&[], std::slice::from_ref(&item), &[], &[a])
                .await
            {
                Ok(()) => break,
                // Someone added an item with this generated code since the codes were read:
                // take the next free one. Each miss means another item was added, so only
                // that many additions to the group at the same moment could exhaust this.
                Err(AppError::Conflict {
                    code: "duplicate",
                    fields,
                    ..
                }) if typed.is_none()
                    && fields.get("code").is_some()
                    && attempt < GENERATED_CODE_ATTEMPTS =>
                {
                    attempt += 1;
                    let codes = self.store.scope_item_codes(project_id).await?;
                    let letter = letter.as_deref().unwrap_or_default();
                    item.code = next_code(&project.code, letter, &codes, 1);
                }
                Err(e) => return Err(e),
            }
        }
        let saved = self
            .store
            .get_scope_item(item.id)
            .await?
            .ok_or(AppError::NotFound("scope item"))?;
        self.changed(
            caller,
            "scope.changed",
            project_id,
            saved.id,
            Some(saved.version),
        )
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
        let placement = PlacementInput {
            room_id: patch.room_id.unwrap_or(current.placement.room_id),
            room_type_id: patch.room_type_id.unwrap_or(current.placement.room_type_id),
            quantity_per_room: patch
                .quantity_per_room
                .or(current.placement.quantity_per_room),
        };
        let moved = patch.room_id.is_some()
            || patch.room_type_id.is_some()
            || patch.quantity_per_room.is_some();
        apply_patch(&mut errors, &mut next, patch, &self.config.scope_units);
        if moved || next.placement.room_type_id.is_some() {
            self.place_item(&mut errors, &mut next, placement).await?;
        }
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
        )
        .in_project(current.project_id);
        self.store
            .save_scope(&[], &[], &[(next, expected_version)], &[a])
            .await?;
        let saved = self
            .store
            .get_scope_item(id)
            .await?
            .ok_or(AppError::NotFound("scope item"))?;
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
        )
        .in_project(current.project_id);
        self.store
            .delete_scope_item(id, expected_version, &a)
            .await?;
        // Its attachments went with it; their files go now.
        self.remove_deleted_files().await;
        self.changed(caller, "scope.changed", current.project_id, id, None)
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
        let a = audit(caller, "move", "scope_item", id, &current.code, changes)
            .in_project(current.project_id);
        let saved = self
            .store
            .move_scope_item(id, expected_version, group_id, to.index, &a)
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
    if let Some(v) = p.install_on {
        item.install_on = v;
    }
}
