//! Invitations: an administrator invites a person by e-mail; the mail carries a single-use
//! link, valid for [`INVITATION_VALIDITY`], where they choose their own password and are
//! signed in. Inviting again replaces the link. Only a hash of the token is stored.
//! (Typing a password for them, `Services::create_user`, stays possible.)

use formula_domain::audit::AuditEntry;
use formula_domain::authz::{Action, Resource};
use formula_domain::user::{Role, User, UserStatus, check_password};
use serde::Deserialize;
use time::Duration;
use uuid::Uuid;

use crate::context::{Caller, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::jobs::NewJob;
use crate::repos::Invitation;
use crate::secrets::{hash_password, new_token, token_hash};
use crate::services::{Services, audit, created, ensure};
use crate::users::NewUser;

/// How long an invitation link stays valid.
pub const INVITATION_VALIDITY: Duration = Duration::days(7);

/// A person to invite: an account like [`NewUser`]'s, without a password.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    pub email: String,
    pub name: String,
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

/// What an invitation link leads to.
#[derive(Debug, Clone, PartialEq)]
pub enum InvitationState {
    /// It can be used: the person it is for.
    Open { name: String, email: String },
    /// It was used already (to choose a password).
    Used,
    /// It was not used in time.
    Expired,
    /// No such link (mistyped, or replaced by a newer invitation), or the account is disabled.
    Unknown,
}

impl Services {
    /// Creates an account for the person and e-mails them an invitation (admins only).
    /// Until they accept it the account has a password nobody knows.
    pub async fn invite_user(&self, caller: &Caller, input: InviteInput) -> AppResult<User> {
        ensure(caller, Action::InviteUsers, &Resource::Global)?;
        // A placeholder that passes the password rules and is never told to anyone.
        let placeholder = new_token("")?;
        let new = NewUser {
            email: input.email,
            name: input.name,
            password: placeholder,
            role: input.role,
            job_title: input.job_title,
            phone: input.phone,
            skills: input.skills,
            client_id: input.client_id,
        };
        let (user, password) = self.validate_new_user(new).await?;
        let hash = hash_password(password).await?;
        let created_entry = audit(
            caller,
            "create",
            "user",
            user.id,
            &user.email,
            created(&user),
        );
        self.send_invitation(caller, &user, Some((&hash, &created_entry)))
            .await?;
        Ok(user)
    }

    /// E-mails a new invitation to an existing account (admins only); the previous link, if
    /// any, stops working. Accepting it sets the password the person chooses.
    pub async fn reinvite_user(&self, caller: &Caller, user_id: Uuid) -> AppResult<User> {
        ensure(caller, Action::InviteUsers, &Resource::Global)?;
        let user = self
            .store
            .get_user(user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        if user.status != UserStatus::Active {
            return Err(AppError::Conflict {
                code: "user_disabled",
                message: format!("{} is disabled: enable the account first", user.name),
                fields: formula_domain::errors::FieldErrors::new(),
            });
        }
        self.send_invitation(caller, &user, None).await?;
        Ok(user)
    }

    async fn send_invitation(
        &self,
        caller: &Caller,
        user: &User,
        new_user: Option<(&str, &AuditEntry)>,
    ) -> AppResult<()> {
        let token = new_token("")?;
        let now = self.now();
        let invitation = Invitation {
            user_id: user.id,
            token_hash: token_hash(&token),
            invited_by: Some(caller.actor.user_id),
            created_at: now,
            expires_at: now + INVITATION_VALIDITY,
        };
        let link = format!(
            "{}/invitations/{token}",
            self.config.public_url.trim_end_matches('/')
        );
        let product = &self.config.product_name;
        let body = format!(
            "Hello {},\n\n{} invites you to {product}. Open this link within {} days to choose your password and sign in:\n\n{link}\n\nThe link works once. If it has expired, ask {} for a new one.\n",
            user.name,
            caller.actor.name,
            INVITATION_VALIDITY.whole_days(),
            caller.actor.name,
        );
        let email = NewJob::email(&user.email, &format!("You are invited to {product}"), &body);
        let entry = audit(caller, "invite", "user", user.id, &user.email, Vec::new());
        self.store
            .replace_invitation(
                new_user.map(|(hash, a)| (user, hash, a)),
                &invitation,
                &email,
                &entry,
            )
            .await?;
        self.wake_workers();
        Ok(())
    }

    /// Whether an invitation link can be used, and by whom.
    pub async fn invitation_state(&self, token: &str) -> AppResult<InvitationState> {
        if token.is_empty() || token.len() > 100 {
            return Ok(InvitationState::Unknown);
        }
        let Some(found) = self.store.find_invitation(&token_hash(token)).await? else {
            return Ok(InvitationState::Unknown);
        };
        Ok(if found.user.status != UserStatus::Active {
            InvitationState::Unknown
        } else if found.used_at.is_some() {
            InvitationState::Used
        } else if found.expires_at <= self.now() {
            InvitationState::Expired
        } else {
            InvitationState::Open {
                name: found.user.name,
                email: found.user.email,
            }
        })
    }

    /// Sets the password the invited person chose; the link works once, in time. Returns the
    /// account, to sign them in. A used, expired or unknown link is a `token` field error.
    pub async fn accept_invitation(
        &self,
        token: &str,
        new_password: &str,
        ctx: &RequestCtx,
    ) -> AppResult<User> {
        check_password(new_password).map_err(|m| AppError::field("password", m))?;
        let refused = || {
            AppError::field(
                "token",
                "this invitation link is invalid, already used or expired; ask your administrator for a new one",
            )
        };
        if token.is_empty() || token.len() > 100 {
            return Err(refused());
        }
        let hash = hash_password(new_password.to_owned()).await?;
        let now = self.now();
        let entry = AuditEntry {
            id: formula_domain::new_id(),
            at: now,
            actor_id: None,
            actor_name: None,
            action: "accept_invitation".into(),
            entity_type: "user".into(),
            entity_id: Uuid::nil(),
            entity_label: String::new(),
            changes: Vec::new(),
            request_id: ctx.request_id.clone(),
            ip: ctx.ip.clone(),
            user_agent: ctx.user_agent.clone(),
            project_id: None,
        };
        let Some(user_id) = self
            .store
            .accept_invitation(&token_hash(token), now, &hash, &entry)
            .await?
        else {
            return Err(refused());
        };
        self.store
            .get_user(user_id)
            .await?
            .ok_or(AppError::NotFound("user"))
    }
}
