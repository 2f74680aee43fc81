//! Projects: creation with suggested codes, editing, the status lifecycle and teams.

use formula_domain::audit::FieldChange;
use formula_domain::authz::{
    Action, ProjectAccess, ProjectScope, Resource, authorize, project_scope,
};
use formula_domain::comment::RecordKind;
use formula_domain::enums::Priority;
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::money::{Money, parse_currency};
use formula_domain::notification::Event;
use formula_domain::project::{
    BusinessLine, Member, Project, ProjectRole, ProjectStatus, Sector, check_project_code,
    next_project_code,
};
use formula_domain::scope::default_groups;
use formula_domain::user::{Role, UserStatus};
use serde::Deserialize;
use time::Date;
use uuid::Uuid;

use crate::cache::Cached;
use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::notifications::Happening;
use crate::ports::{DashboardCounts, OpenWork, RecordKey};
use crate::query::{Page, ProjectQuery};
use crate::services::{
    PROJECTS_NAMESPACE, Services, audit, changes, check_version, created, double_option, ensure,
};

/// How long dashboard counts stay cached (writes invalidate them sooner).
const DASHBOARD_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// A project to create. `code` is suggested when absent.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    #[serde(default)]
    pub code: Option<String>,
    pub name: String,
    pub client_id: Uuid,
    pub sector: Sector,
    pub business_line: BusinessLine,
    #[serde(default)]
    pub priority: Option<Priority>,
    pub manager_id: Uuid,
    #[serde(default)]
    pub start_date: Option<Date>,
    #[serde(default)]
    pub end_date: Option<Date>,
    /// ISO currency; defaults to the configured currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Contract value in minor units of `currency`.
    #[serde(default)]
    pub contract_value_minor: Option<i64>,
    /// Budget in minor units of `currency`.
    #[serde(default)]
    pub budget_minor: Option<i64>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub contract_number: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Changes to a project; absent fields stay, `null` clears. Status changes go through `change_status`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub client_id: Option<Uuid>,
    pub sector: Option<Sector>,
    pub business_line: Option<BusinessLine>,
    pub priority: Option<Priority>,
    pub manager_id: Option<Uuid>,
    #[serde(default, deserialize_with = "double_option")]
    pub start_date: Option<Option<Date>>,
    #[serde(default, deserialize_with = "double_option")]
    pub end_date: Option<Option<Date>>,
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub contract_value_minor: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub budget_minor: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub location: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub contract_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub description: Option<Option<String>>,
    pub version: Option<i64>,
}

fn money(
    errors: &mut FieldErrors,
    field: &str,
    amount: Option<i64>,
    currency: &str,
) -> Option<Money> {
    let a = amount?;
    if !(0..=1_000_000_000_000_000).contains(&a) {
        errors.add(field, "must be between 0 and 10,000,000,000,000");
    }
    Some(Money {
        amount_minor: a,
        currency: currency.to_owned(),
    })
}

impl Services {
    /// The project plus what authorization needs, or `NotFound` when the caller may not see it
    /// (so other clients' project ids reveal nothing).
    pub async fn project_for(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(Project, ProjectAccess)> {
        let access = self.access_for(caller, id).await?;
        let project = self
            .store
            .get_project(id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        Ok((project, access))
    }

    /// What authorization needs about a project the caller may see (`NotFound` as for
    /// [`Self::project_for`]), without reading the project and its figures.
    pub async fn access_for(&self, caller: &Caller, id: Uuid) -> AppResult<ProjectAccess> {
        let row = self
            .store
            .project_access(id, caller.actor.user_id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        let access = ProjectAccess {
            client_id: row.client_id,
            membership: row.membership,
        };
        if !authorize(
            &caller.actor,
            Action::ViewProject,
            &Resource::Project(access),
        ) {
            return Err(AppError::NotFound("project"));
        }
        Ok(access)
    }

    /// Whether the caller may do `action` on this project (for showing buttons).
    pub fn may(&self, caller: &Caller, action: Action, access: ProjectAccess) -> bool {
        authorize(&caller.actor, action, &Resource::Project(access))
    }

    /// Suggests the next free code for a project started this year.
    pub async fn suggest_project_code(&self) -> AppResult<String> {
        let year = self.today().year();
        let prefix = format!(
            "{}-{:02}-",
            self.config.project_code_prefix,
            year.rem_euclid(100)
        );
        let max = self.store.max_project_seq(&prefix).await?;
        Ok(next_project_code(
            &self.config.project_code_prefix,
            year,
            max,
        ))
    }

    async fn check_manager(&self, errors: &mut FieldErrors, manager_id: Uuid) -> AppResult<String> {
        match self.store.get_user(manager_id).await? {
            Some(u)
                if u.status == UserStatus::Active
                    && matches!(u.role, Role::Admin | Role::ProjectManager) =>
            {
                Ok(u.name)
            }
            Some(_) => {
                errors.add(
                    "manager_id",
                    "must be an active administrator or project manager",
                );
                Ok(String::new())
            }
            None => {
                errors.add("manager_id", "no such user");
                Ok(String::new())
            }
        }
    }

    async fn check_client(&self, errors: &mut FieldErrors, client_id: Uuid) -> AppResult<String> {
        match self.store.get_client(client_id).await? {
            Some(c) => Ok(c.name),
            None => {
                errors.add("client_id", "no such client");
                Ok(String::new())
            }
        }
    }

    pub async fn create_project(&self, caller: &Caller, input: NewProject) -> AppResult<Project> {
        ensure(caller, Action::CreateProject, &Resource::Global)?;
        let mut errors = FieldErrors::new();
        let code = match input
            .code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            Some(c) => check_project_code(c).unwrap_or_else(|m| {
                errors.add("code", m);
                c.to_owned()
            }),
            None => self.suggest_project_code().await?,
        };
        let name = required_text(&mut errors, "name", &input.name, 200);
        let client_name = self.check_client(&mut errors, input.client_id).await?;
        let manager_name = self.check_manager(&mut errors, input.manager_id).await?;
        let currency = match input.currency.as_deref() {
            Some(c) => parse_currency(c).unwrap_or_else(|m| {
                errors.add("currency", m);
                self.config.default_currency.clone()
            }),
            None => self.config.default_currency.clone(),
        };
        if let (Some(s), Some(e)) = (input.start_date, input.end_date)
            && e < s
        {
            errors.add("end_date", "must be on or after the start date");
        }
        let contract_value = money(
            &mut errors,
            "contract_value_minor",
            input.contract_value_minor,
            &currency,
        );
        let budget = money(&mut errors, "budget_minor", input.budget_minor, &currency);
        let location = optional_text(&mut errors, "location", input.location.as_deref(), 300);
        let contract_number = optional_text(
            &mut errors,
            "contract_number",
            input.contract_number.as_deref(),
            100,
        );
        let description = optional_text(
            &mut errors,
            "description",
            input.description.as_deref(),
            10_000,
        );
        errors.into_result()?;
        let now = self.now();
        let project = Project {
            id: formula_domain::new_id(),
            code,
            name,
            client_id: input.client_id,
            client_name,
            sector: input.sector,
            business_line: input.business_line,
            priority: input.priority.unwrap_or(Priority::Medium),
            status: ProjectStatus::OnTender,
            manager_id: input.manager_id,
            manager_name,
            start_date: input.start_date,
            end_date: input.end_date,
            contract_value,
            budget,
            currency,
            location,
            contract_number,
            description,
            task_total: 0,
            task_completed: 0,
            task_overdue: 0,
            scope_items: 0,
            progress: Some(0),
            created_at: now,
            updated_at: now,
            updated_by_name: Some(caller.actor.name.clone()),
            version: 1,
        };
        // Every project starts with the default scope groups, created (and audited) with it.
        let groups = default_groups(project.id, 0, now);
        let mut entries = vec![
            audit(
                caller,
                "create",
                "project",
                project.id,
                &project.code,
                created(&project),
            )
            .in_project(project.id),
        ];
        for g in &groups {
            entries.push(
                audit(caller, "create", "scope_group", g.id, &g.name, created(g))
                    .in_project(g.project_id),
            );
        }
        self.store
            .insert_project(&project, &groups, &entries)
            .await?;
        self.changed(
            caller,
            "project.created",
            project.id,
            project.id,
            Some(project.version),
        )
        .await;
        self.store
            .get_project(project.id)
            .await?
            .ok_or(AppError::NotFound("project"))
    }

    /// Whether the caller may see the project (for filtering live-update events).
    pub async fn can_see_project(&self, caller: &Caller, id: Uuid) -> AppResult<bool> {
        match self.project_for(caller, id).await {
            Ok(_) => Ok(true),
            Err(AppError::NotFound(_) | AppError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn get_project(&self, caller: &Caller, id: Uuid) -> AppResult<Project> {
        Ok(self.project_for(caller, id).await?.0)
    }

    pub async fn list_projects(
        &self,
        caller: &Caller,
        query: &ProjectQuery,
    ) -> AppResult<Page<Project>> {
        ensure(caller, Action::ListProjects, &Resource::Global)?;
        self.store
            .list_projects(query, project_scope(&caller.actor))
            .await
    }

    pub async fn update_project(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: ProjectPatch,
    ) -> AppResult<Project> {
        let (current, access) = self.project_for(caller, id).await?;
        ensure(caller, Action::UpdateProject, &Resource::Project(access))?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(c) = patch.code {
            next.code = check_project_code(&c).unwrap_or_else(|m| {
                errors.add("code", m);
                c
            });
        }
        if let Some(v) = patch.name {
            next.name = required_text(&mut errors, "name", &v, 200);
        }
        if let Some(v) = patch.client_id
            && v != current.client_id
        {
            next.client_name = self.check_client(&mut errors, v).await?;
            next.client_id = v;
        }
        if let Some(v) = patch.sector {
            next.sector = v;
        }
        if let Some(v) = patch.business_line {
            next.business_line = v;
        }
        if let Some(v) = patch.priority {
            next.priority = v;
        }
        if let Some(v) = patch.manager_id
            && v != current.manager_id
        {
            next.manager_name = self.check_manager(&mut errors, v).await?;
            next.manager_id = v;
        }
        if let Some(v) = patch.start_date {
            next.start_date = v;
        }
        if let Some(v) = patch.end_date {
            next.end_date = v;
        }
        if let (Some(s), Some(e)) = (next.start_date, next.end_date)
            && e < s
        {
            errors.add("end_date", "must be on or after the start date");
        }
        if let Some(c) = patch.currency {
            match parse_currency(&c) {
                Ok(c) => next.currency = c,
                Err(m) => errors.add("currency", m),
            }
        }
        let cv = patch
            .contract_value_minor
            .unwrap_or(current.contract_value.as_ref().map(|m| m.amount_minor));
        next.contract_value = money(&mut errors, "contract_value_minor", cv, &next.currency);
        let b = patch
            .budget_minor
            .unwrap_or(current.budget.as_ref().map(|m| m.amount_minor));
        next.budget = money(&mut errors, "budget_minor", b, &next.currency);
        if let Some(v) = patch.location {
            next.location = optional_text(&mut errors, "location", v.as_deref(), 300);
        }
        if let Some(v) = patch.contract_number {
            next.contract_number = optional_text(&mut errors, "contract_number", v.as_deref(), 100);
        }
        if let Some(v) = patch.description {
            next.description = optional_text(&mut errors, "description", v.as_deref(), 10_000);
        }
        errors.into_result()?;
        next.updated_at = self.now();
        next.updated_by_name = Some(caller.actor.name.clone());
        let a = audit(
            caller,
            "update",
            "project",
            id,
            &next.code,
            changes(&current, &next),
        )
        .in_project(id);
        let saved = self
            .store
            .update_project(&next, expected_version, &a)
            .await?;
        self.changed(
            caller,
            "project.updated",
            saved.id,
            saved.id,
            Some(saved.version),
        )
        .await;
        Ok(saved)
    }

    /// Moves a project along its lifecycle; illegal moves list the allowed ones.
    pub async fn change_project_status(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        to: ProjectStatus,
    ) -> AppResult<Project> {
        let (current, access) = self.project_for(caller, id).await?;
        ensure(
            caller,
            Action::ChangeProjectStatus,
            &Resource::Project(access),
        )?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        if !current.status.can_become(to) {
            return Err(invalid_transition(current.status, to));
        }
        self.save_status(caller, &current, to, "status_change", Vec::new())
            .await
    }

    /// What is still open on a project (shown before it is marked completed).
    pub async fn open_work(&self, caller: &Caller, id: Uuid) -> AppResult<OpenWork> {
        self.project_for(caller, id).await?;
        self.store.open_work(id, self.today()).await
    }

    /// Puts a completed project back to active, with the reason written in the audit trail
    /// (snagging after completion is normal). Administrators only.
    pub async fn reopen_project(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        reason: &str,
    ) -> AppResult<Project> {
        let (current, access) = self.project_for(caller, id).await?;
        ensure(caller, Action::ReopenProject, &Resource::Project(access))?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let mut errors = FieldErrors::new();
        let reason = required_text(&mut errors, "reason", reason, 1000);
        errors.into_result()?;
        if current.status != ProjectStatus::Completed {
            return Err(invalid_transition(current.status, ProjectStatus::Active));
        }
        let reason = FieldChange {
            field: "reason".to_owned(),
            old: serde_json::Value::Null,
            new: serde_json::Value::String(reason),
        };
        self.save_status(
            caller,
            &current,
            ProjectStatus::Active,
            "reopen",
            vec![reason],
        )
        .await
    }

    /// Saves `current` moved to `to` (compare-and-set on its version), audited as `action`
    /// with any `extra` changes, and announces it.
    async fn save_status(
        &self,
        caller: &Caller,
        current: &Project,
        to: ProjectStatus,
        action: &str,
        extra: Vec<FieldChange>,
    ) -> AppResult<Project> {
        let mut next = current.clone();
        next.status = to;
        next.updated_at = self.now();
        next.updated_by_name = Some(caller.actor.name.clone());
        let mut diff = changes(current, &next);
        diff.extend(extra);
        let a =
            audit(caller, action, "project", current.id, &next.code, diff).in_project(current.id);
        let saved = self
            .store
            .update_project(&next, current.version, &a)
            .await?;
        self.changed(
            caller,
            "project.updated",
            saved.id,
            saved.id,
            Some(saved.version),
        )
        .await;
        let record = RecordKey {
            kind: RecordKind::Project,
            id: saved.id,
            project_id: saved.id,
        };
        let mut h = Happening::new(
            Event::ProjectStatusChanged,
            record,
            saved.client_id,
            format!(
                "{} moved {} {} from {} to {}",
                caller.actor.name,
                saved.code,
                saved.name,
                current.status.label(),
                to.label()
            ),
        )
        .by(caller);
        h.internal = true;
        h.occurrence = format!("v{}", saved.version);
        self.notify(h).await;
        Ok(saved)
    }

    pub async fn delete_project(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<()> {
        let (current, access) = self.project_for(caller, id).await?;
        ensure(caller, Action::DeleteProject, &Resource::Project(access))?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let a = audit(caller, "delete", "project", id, &current.code, Vec::new()).in_project(id);
        self.store.delete_project(id, expected_version, &a).await?;
        // Its drawing revisions and attachments went with it; their files go now.
        self.remove_deleted_files().await;
        self.changed(caller, "project.deleted", id, id, None).await;
        Ok(())
    }

    pub async fn list_members(&self, caller: &Caller, project_id: Uuid) -> AppResult<Vec<Member>> {
        self.access_for(caller, project_id).await?;
        self.store.list_members(project_id).await
    }

    /// Adds a person to the team (or changes their project role). Client users cannot join teams.
    pub async fn add_member(
        &self,
        caller: &Caller,
        project_id: Uuid,
        user_id: Uuid,
        role: ProjectRole,
    ) -> AppResult<Vec<Member>> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ManageTeam, &Resource::Project(access))?;
        let user = self
            .store
            .get_user(user_id)
            .await?
            .ok_or_else(|| AppError::field("user_id", "no such user"))?;
        if user.role == Role::Client {
            return Err(AppError::field(
                "user_id",
                "client users cannot be team members; they see their organisation's projects",
            ));
        }
        if !user.is_active() {
            return Err(AppError::field("user_id", "this user is disabled"));
        }
        let change = formula_domain::audit::FieldChange {
            field: "member".into(),
            old: serde_json::Value::Null,
            new: serde_json::json!({"user": user.name, "role": role.as_str()}),
        };
        let a = audit(
            caller,
            "add_member",
            "project",
            project_id,
            &project.code,
            vec![change],
        )
        .in_project(project_id);
        let already = self
            .store
            .list_members(project_id)
            .await?
            .iter()
            .any(|m| m.user_id == user_id);
        self.store
            .upsert_member(project_id, user_id, role, &a)
            .await?;
        self.changed(caller, "project.members", project_id, project_id, None)
            .await;
        if !already {
            let record = RecordKey {
                kind: RecordKind::Project,
                id: project_id,
                project_id,
            };
            let mut h = Happening::new(
                Event::AddedToTeam,
                record,
                project.client_id,
                format!(
                    "{} added you to {} {} as {}",
                    caller.actor.name,
                    project.code,
                    project.name,
                    role.label()
                ),
            )
            .by(caller);
            h.parties.added = Some(user_id);
            h.occurrence = self.now().unix_timestamp().to_string();
            self.notify(h).await;
        }
        self.store.list_members(project_id).await
    }

    /// Removes a person from the team. The manager stays; members with open tasks here stay.
    pub async fn remove_member(
        &self,
        caller: &Caller,
        project_id: Uuid,
        user_id: Uuid,
    ) -> AppResult<()> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ManageTeam, &Resource::Project(access))?;
        if user_id == project.manager_id {
            return Err(AppError::Conflict {
                code: "is_manager",
                message: "the project manager stays on the team; choose another manager first"
                    .into(),
                fields: FieldErrors::new(),
            });
        }
        let members = self.store.list_members(project_id).await?;
        let member = members
            .iter()
            .find(|m| m.user_id == user_id)
            .ok_or(AppError::NotFound("team member"))?;
        if member.open_tasks > 0 {
            return Err(AppError::Conflict {
                code: "has_open_tasks",
                message: format!(
                    "{} still has {} open task(s) on this project; reassign them first",
                    member.name, member.open_tasks
                ),
                fields: FieldErrors::new(),
            });
        }
        let change = formula_domain::audit::FieldChange {
            field: "member".into(),
            old: serde_json::json!({"user": member.name, "role": member.project_role.as_str()}),
            new: serde_json::Value::Null,
        };
        let a = audit(
            caller,
            "remove_member",
            "project",
            project_id,
            &project.code,
            vec![change],
        )
        .in_project(project_id);
        self.store.remove_member(project_id, user_id, &a).await?;
        self.changed(caller, "project.members", project_id, project_id, None)
            .await;
        Ok(())
    }

    /// Counts for the dashboard within what the caller may see.
    /// Read through the cache, per visibility scope and day: every project or task write
    /// starts a new cache generation, so nobody sees counts from before their own change.
    pub async fn dashboard(&self, caller: &Caller) -> AppResult<DashboardCounts> {
        let scope = project_scope(&caller.actor);
        let today = self.today();
        let key = match scope {
            ProjectScope::All => format!("dashboard:all:{today}"),
            ProjectScope::MemberOf(id) => format!("dashboard:member:{id}:{today}"),
            ProjectScope::OfClient(id) => format!("dashboard:client:{id}:{today}"),
            ProjectScope::None => format!("dashboard:none:{today}"),
        };
        let cached = self.cache.get(PROJECTS_NAMESPACE, &key).await;
        let generation = match cached {
            Ok(Cached {
                value: Some(json), ..
            }) => match serde_json::from_str(&json) {
                Ok(counts) => return Ok(counts),
                // A value from another version of the app: recompute and replace it.
                Err(_) => None,
            },
            Ok(Cached { generation, .. }) => Some(generation),
            Err(e) => {
                self.warn_sparingly(&e.0);
                None
            }
        };
        let counts = self.store.dashboard_counts(scope, today).await?;
        if let Some(generation) = generation
            && let Ok(json) = serde_json::to_string(&counts)
            && let Err(e) = self
                .cache
                .set(PROJECTS_NAMESPACE, &key, generation, &json, DASHBOARD_TTL)
                .await
        {
            self.warn_sparingly(&e.0);
        }
        Ok(counts)
    }
}

/// The refusal of a move the lifecycle does not allow, listing the moves it does.
fn invalid_transition(from: ProjectStatus, to: ProjectStatus) -> AppError {
    AppError::InvalidTransition {
        from: from.to_string(),
        to: to.to_string(),
        allowed: from.allowed_next().iter().map(|s| s.to_string()).collect(),
    }
}
