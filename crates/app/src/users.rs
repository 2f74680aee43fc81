//! Managing user accounts (administrators only; no self-registration).

use formula_domain::authz::{Action, Resource};
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::user::{Role, User, UserStatus, check_password, normalize_email};
use serde::Deserialize;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::query::{Page, UserQuery};
use crate::services::{Services, audit, changes, check_version, created, double_option, ensure};

/// A new account.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: Role,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    /// Required for `client` users: their client organisation.
    #[serde(default)]
    pub client_id: Option<Uuid>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "double_option")]
    pub job_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub phone: Option<Option<String>>,
    pub skills: Option<Vec<String>>,
    pub status: Option<UserStatus>,
    #[serde(default, deserialize_with = "double_option")]
    pub client_id: Option<Option<Uuid>>,
    /// The version being edited (alternative to `If-Match`).
    pub version: Option<i64>,
}

fn clean_skills(errors: &mut FieldErrors, skills: &[String]) -> Vec<String> {
    let mut out: Vec<String> = skills
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    out.dedup();
    if out.len() > 50 || out.iter().any(|s| s.chars().count() > 60) {
        errors.add("skills", "at most 50 skills of up to 60 characters each");
    }
    out
}

impl Services {
    async fn check_client_link(
        &self,
        errors: &mut FieldErrors,
        role: Role,
        client_id: Option<Uuid>,
    ) -> AppResult<()> {
        match (role, client_id) {
            (Role::Client, None) => errors.add(
                "client_id",
                "a client user must belong to a client organisation",
            ),
            (Role::Client, Some(id)) => {
                if self.store.get_client(id).await?.is_none() {
                    errors.add("client_id", "no such client");
                }
            }
            (_, Some(_)) => errors.add(
                "client_id",
                "only client users belong to a client organisation",
            ),
            (_, None) => {}
        }
        Ok(())
    }

    pub(crate) async fn validate_new_user(&self, input: NewUser) -> AppResult<(User, String)> {
        let mut errors = FieldErrors::new();
        let email = normalize_email(&input.email).unwrap_or_else(|m| {
            errors.add("email", m);
            String::new()
        });
        let name = required_text(&mut errors, "name", &input.name, 120);
        if let Err(m) = check_password(&input.password) {
            errors.add("password", m);
        }
        let job_title = optional_text(&mut errors, "job_title", input.job_title.as_deref(), 120);
        let phone = optional_text(&mut errors, "phone", input.phone.as_deref(), 40);
        let skills = clean_skills(&mut errors, &input.skills);
        self.check_client_link(&mut errors, input.role, input.client_id)
            .await?;
        errors.into_result()?;
        let now = self.now();
        let user = User {
            id: formula_domain::new_id(),
            email,
            name,
            role: input.role,
            job_title,
            phone,
            skills,
            status: UserStatus::Active,
            client_id: input.client_id,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Ok((user, input.password))
    }

    /// Creates a user (admins only).
    pub async fn create_user(&self, caller: &Caller, input: NewUser) -> AppResult<User> {
        ensure(caller, Action::ManageUsers, &Resource::Global)?;
        let (user, password) = self.validate_new_user(input).await?;
        let hash = crate::secrets::hash_password(password).await?;
        let a = audit(
            caller,
            "create",
            "user",
            user.id,
            &user.email,
            created(&user),
        );
        self.store.insert_user(&user, &hash, &a).await?;
        Ok(user)
    }

    pub async fn list_users(&self, caller: &Caller, query: &UserQuery) -> AppResult<Page<User>> {
        ensure(caller, Action::ListUsers, &Resource::Global)?;
        self.store.list_users(query).await
    }

    /// Users who may manage projects (active admins and project managers), for pickers and
    /// filters. Staff see them; client users get none (they never pick a manager).
    pub async fn list_managers(&self, caller: &Caller) -> AppResult<Vec<User>> {
        let mut out = Vec::new();
        if caller.actor.role == Role::Client {
            return Ok(out);
        }
        for role in [Role::Admin, Role::ProjectManager] {
            let q = UserQuery {
                role: Some(role),
                status: Some(UserStatus::Active),
                paging: crate::query::Paging {
                    limit: 200,
                    offset: 0,
                },
                ..Default::default()
            };
            out.extend(self.store.list_users(&q).await?.items);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Active internal users (everyone but client users), for team pickers.
    pub async fn list_staff(&self, caller: &Caller) -> AppResult<Vec<User>> {
        ensure(caller, Action::ListUsers, &Resource::Global)?;
        let q = UserQuery {
            status: Some(UserStatus::Active),
            paging: crate::query::Paging {
                limit: 200,
                offset: 0,
            },
            ..Default::default()
        };
        let mut all = self.store.list_users(&q).await?.items;
        all.retain(|u| u.role != Role::Client);
        Ok(all)
    }

    pub async fn get_user(&self, caller: &Caller, id: Uuid) -> AppResult<User> {
        ensure(caller, Action::ViewUser, &Resource::User { id })?;
        self.store
            .get_user(id)
            .await?
            .ok_or(AppError::NotFound("user"))
    }

    /// Updates a user (admins only). Disabling ends the user's sessions, API tokens and
    /// live-update streams.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: UserPatch,
    ) -> AppResult<User> {
        ensure(caller, Action::ManageUsers, &Resource::Global)?;
        let current = self
            .store
            .get_user(id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(email) = patch.email {
            match normalize_email(&email) {
                Ok(e) => next.email = e,
                Err(m) => errors.add("email", m),
            }
        }
        if let Some(name) = patch.name {
            next.name = required_text(&mut errors, "name", &name, 120);
        }
        if let Some(role) = patch.role {
            next.role = role;
        }
        if let Some(v) = patch.job_title {
            next.job_title = optional_text(&mut errors, "job_title", v.as_deref(), 120);
        }
        if let Some(v) = patch.phone {
            next.phone = optional_text(&mut errors, "phone", v.as_deref(), 40);
        }
        if let Some(v) = patch.skills {
            next.skills = clean_skills(&mut errors, &v);
        }
        if let Some(s) = patch.status {
            next.status = s;
        }
        if let Some(c) = patch.client_id {
            next.client_id = c;
        }
        if next.role != Role::Client && patch.client_id.is_none() {
            next.client_id = None;
        }
        self.check_client_link(&mut errors, next.role, next.client_id)
            .await?;
        if id == caller.actor.user_id
            && (next.status == UserStatus::Disabled || next.role != Role::Admin)
        {
            errors.add(
                "role",
                "you cannot demote or disable your own account; ask another administrator",
            );
        }
        errors.into_result()?;
        next.updated_at = self.now();
        let a = audit(
            caller,
            "update",
            "user",
            id,
            &next.email,
            changes(&current, &next),
        );
        let updated = self.store.update_user(&next, expected_version, &a).await?;
        if current.status != updated.status {
            // Disabling ended the user's sessions and tokens: end their streams too.
            self.access_changed().await;
        }
        Ok(updated)
    }
}
