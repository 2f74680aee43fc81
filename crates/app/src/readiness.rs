//! The production-readiness gate of a project, and releasing scope items to the workshop
//! through it (administrators may override a blocked item with a written reason).

use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::comment::RecordKind;
use formula_domain::errors::{FieldErrors, optional_text};
use formula_domain::notification::Event;
use formula_domain::project::Project;
use formula_domain::readiness::{MaterialsRule, Readiness, evaluate};
use formula_domain::scope::ScopeItem;
use formula_domain::user::Role;
use serde::Deserialize;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::notifications::Happening;
use crate::query::ScopeQuery;
use crate::repos::RecordKey;
use crate::services::{Services, audit, check_version, ensure};

/// A request to release an item to production.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseInput {
    /// Administrators only, to release an item that is still blocked: why.
    #[serde(default)]
    pub override_reason: Option<String>,
    /// The item's version (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

impl Services {
    /// Every item's readiness, the rates, and what to unblock next.
    /// `place` narrows it to the items placed there (rates and all).
    pub async fn readiness(
        &self,
        caller: &Caller,
        project_id: Uuid,
        place: &crate::location_filter::LocationFilter,
    ) -> AppResult<(Project, ProjectAccess, Readiness)> {
        let (project, access, r, _) = self.readiness_with_items(caller, project_id, place).await?;
        Ok((project, access, r))
    }

    /// [`Services::readiness`] together with the items it judged (for their versions).
    pub async fn readiness_with_items(
        &self,
        caller: &Caller,
        project_id: Uuid,
        place: &crate::location_filter::LocationFilter,
    ) -> AppResult<(Project, ProjectAccess, Readiness, Vec<ScopeItem>)> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ViewScope, &Resource::Project(access))?;
        let (r, items) = self.evaluate_project_in(project_id, place).await?;
        Ok((project, access, r, items))
    }

    async fn evaluate_project(&self, project_id: Uuid) -> AppResult<(Readiness, Vec<ScopeItem>)> {
        self.evaluate_project_in(project_id, &Default::default())
            .await
    }

    /// Readiness of the project's items in `place` (all of them when it is empty).
    async fn evaluate_project_in(
        &self,
        project_id: Uuid,
        place: &crate::location_filter::LocationFilter,
    ) -> AppResult<(Readiness, Vec<ScopeItem>)> {
        let mut items = self
            .store
            .list_scope_items(&ScopeQuery::all(project_id))
            .await?
            .items;
        if let Some(set) = self.items_in_place(project_id, place).await? {
            items.retain(|i| set.contains(&i.id));
        }
        let drawings = self.store.list_drawings(project_id).await?;
        let specs = self.store.list_specs(project_id).await?;
        let rule = self.store.materials_rule(project_id).await?;
        let mut r = evaluate(&items, &drawings, &specs, rule, self.today());
        for i in &mut r.items {
            i.released = items
                .iter()
                .any(|x| x.id == i.item_id && x.released_at.is_some());
        }
        Ok((r, items))
    }

    /// Sets how far linked materials must have come before items are ready: approved,
    /// ordered, or delivered in full. (Items a rule change frees are not announced one by
    /// one: whoever changed it sees them on the readiness tab.)
    pub async fn set_readiness_rule(
        &self,
        caller: &Caller,
        project_id: Uuid,
        rule: MaterialsRule,
    ) -> AppResult<()> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ManageScope, &Resource::Project(access))?;
        let old = self.store.materials_rule(project_id).await?;
        if old == rule {
            return Ok(());
        }
        let a = audit(
            caller,
            "readiness_rule",
            "project",
            project_id,
            &project.code,
            vec![formula_domain::audit::FieldChange {
                field: "materials_rule".into(),
                old: serde_json::json!(old.as_str()),
                new: serde_json::json!(rule.as_str()),
            }],
        )
        .in_project(project_id);
        self.store.set_materials_rule(project_id, rule, &a).await?;
        self.changed(caller, "readiness.changed", project_id, project_id, None)
            .await;
        Ok(())
    }

    /// Releases an item to production. Refused while it is blocked, unless an administrator
    /// gives a written reason, which is kept with the item and in the audit trail.
    pub async fn release_scope_item(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: ReleaseInput,
    ) -> AppResult<ScopeItem> {
        let (item, _) = self.get_scope_item(caller, id).await?;
        let access = self.access_for(caller, item.project_id).await?;
        ensure(caller, Action::ManageScope, &Resource::Project(access))?;
        check_version(
            expected_version,
            item.version,
            item.updated_by_name.clone(),
            item.updated_at,
        )?;
        if item.released_at.is_some() {
            return Err(AppError::Conflict {
                code: "already_released",
                message: format!("{} was already released to production", item.code),
                fields: FieldErrors::new(),
            });
        }
        let mut errors = FieldErrors::new();
        let reason = optional_text(
            &mut errors,
            "override_reason",
            input.override_reason.as_deref(),
            2_000,
        );
        errors.into_result()?;
        let (r, _) = self.evaluate_project(item.project_id).await?;
        let blockers: Vec<String> = r
            .items
            .iter()
            .find(|x| x.item_id == id)
            .map(|x| x.blockers.iter().map(|b| b.message.clone()).collect())
            .unwrap_or_default();
        let note = if blockers.is_empty() {
            None
        } else {
            match (&reason, caller.actor.role) {
                (Some(why), Role::Admin) => Some(format!(
                    "Released by override while blocked ({}). Reason: {why}",
                    blockers.join("; ")
                )),
                (Some(_), _) => return Err(AppError::Forbidden),
                (None, _) => {
                    let mut fields = FieldErrors::new();
                    for b in &blockers {
                        fields.add("blockers", b.clone());
                    }
                    return Err(AppError::Conflict {
                        code: "not_ready",
                        message: format!(
                            "{} is not ready for production: {}",
                            item.code,
                            blockers.join("; ")
                        ),
                        fields,
                    });
                }
            }
        };
        let action = if note.is_some() {
            "release_override"
        } else {
            "release"
        };
        let a = audit(
            caller,
            action,
            "scope_item",
            id,
            &item.code,
            vec![formula_domain::audit::FieldChange {
                field: "released".into(),
                old: serde_json::json!(false),
                new: serde_json::json!(note.clone().unwrap_or_else(|| "ready".into())),
            }],
        )
        .in_project(item.project_id);
        let saved = self
            .store
            .release_scope_item(id, expected_version, note.as_deref(), &a)
            .await?;
        self.changed(
            caller,
            "scope.released",
            saved.project_id,
            id,
            Some(saved.version),
        )
        .await;
        // The project's workshop starts with its first release: its stages are copied
        // from the company's list now, so a later change of that list does not move it.
        if let Err(e) = self.ensure_workshop_stages(saved.project_id).await {
            tracing::warn!(project = %saved.project_id, error = %e, "could not set up the workshop stages");
        }
        let record = RecordKey {
            kind: RecordKind::ScopeItem,
            id,
            project_id: saved.project_id,
        };
        let title = match &note {
            Some(_) => format!(
                "{} released {} to production anyway, while blocked",
                caller.actor.name, saved.code
            ),
            None => format!(
                "{} released {} to production",
                caller.actor.name, saved.code
            ),
        };
        let mut h = Happening::new(Event::ItemReleased, record, access.client_id, title).by(caller);
        h.client_sees = false;
        h.internal = true;
        h.excerpt = reason;
        h.occurrence = format!("v{}", saved.version);
        self.notify(h).await;
        Ok(saved)
    }

    /// The items of a project that are ready for production and not yet released.
    pub(crate) async fn ready_items(&self, project_id: Uuid) -> Vec<Uuid> {
        match self.evaluate_project(project_id).await {
            Ok((r, _)) => r
                .items
                .iter()
                .filter(|i| i.ready && !i.released)
                .map(|i| i.item_id)
                .collect(),
            Err(e) => {
                tracing::warn!(project = %project_id, error = %e, "could not evaluate readiness");
                Vec::new()
            }
        }
    }

    /// Tells the project managers and followers of each item that became ready since
    /// `before` was read.
    pub(crate) async fn newly_ready(
        &self,
        caller: &Caller,
        project_id: Uuid,
        client_id: Uuid,
        before: &[Uuid],
    ) {
        let Ok((r, _)) = self.evaluate_project(project_id).await else {
            return;
        };
        for item in r
            .items
            .iter()
            .filter(|i| i.ready && !i.released && !before.contains(&i.item_id))
        {
            let record = RecordKey {
                kind: RecordKind::ScopeItem,
                id: item.item_id,
                project_id,
            };
            let mut h = Happening::new(
                Event::ItemReady,
                record,
                client_id,
                format!("{} {} is ready for production", item.code, item.name),
            )
            .by(caller);
            h.client_sees = false;
            h.internal = true;
            h.occurrence = self.now().unix_timestamp().to_string();
            self.notify(h).await;
        }
    }
}
