//! Signing in and out, sessions, personal API tokens, passwords and first-run setup.

use formula_domain::authz::{Action, Actor, Resource};
use formula_domain::user::{User, UserStatus, check_password, normalize_email};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::context::{Caller, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::jobs::NewJob;
use crate::ports::{ApiToken, OutboxMail, SessionRecord};
use crate::secrets::{hash_password, new_token, token_hash, verify_password};
use crate::services::{Services, audit, ensure};
use crate::streams::{session_in_force, token_in_force};
use crate::users::NewUser;

/// Prefix of session tokens (cookies).
pub const SESSION_PREFIX: &str = "fps_";
/// Prefix of personal API tokens, so leaked tokens are recognisable.
pub const API_TOKEN_PREFIX: &str = "fpm_";
/// How long a password-reset link stays valid.
pub const RESET_VALIDITY: Duration = Duration::hours(1);
/// Sessions are re-stamped at most this often, to keep reads cheap.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);
/// How long a session's one-time message waits for the page that shows it (that page is the
/// redirect's target, so it is asked for at once).
const FLASH_VALIDITY: Duration = Duration::minutes(5);

/// A freshly created session: the cookie value is returned only here.
pub struct NewSession {
    pub user: User,
    pub token: String,
    pub expires_at: OffsetDateTime,
}

/// A resolved browser session.
pub struct SessionAuth {
    pub actor: Actor,
    pub session_id: Uuid,
    pub user: User,
}

/// A resolved API token.
pub struct TokenAuth {
    pub actor: Actor,
    /// The token's id (its live-update streams end when it is revoked).
    pub token_id: Uuid,
    pub user: User,
}

/// A newly created API token; `secret` is shown once and never stored.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

/// The actor for a user.
pub fn actor_for(user: &User) -> Actor {
    Actor {
        user_id: user.id,
        name: user.name.clone(),
        role: user.role,
        client_id: user.client_id,
    }
}

fn system_caller(user: &User, ctx: &RequestCtx) -> Caller {
    Caller {
        actor: actor_for(user),
        ctx: ctx.clone(),
    }
}

impl Services {
    /// True until the first user exists: the UI then offers to create the first admin.
    pub async fn needs_setup(&self) -> AppResult<bool> {
        Ok(self.store.count_users().await? == 0)
    }

    /// Creates the first administrator; refused once any user exists. The store decides,
    /// in the transaction that inserts the user, so of concurrent setups exactly one wins.
    pub async fn setup_first_admin(&self, input: NewUser, ctx: &RequestCtx) -> AppResult<User> {
        // Answers the common case before spending a password hash on it.
        if !self.needs_setup().await? {
            return Err(AppError::Forbidden);
        }
        let input = NewUser {
            role: formula_domain::user::Role::Admin,
            client_id: None,
            ..input
        };
        let (user, hash, a) = self.prepare_unchecked(input, None, ctx).await?;
        if self.store.insert_first_user(&user, &hash, &a).await? {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }

    async fn dummy_hash(&self) -> AppResult<&String> {
        self.dummy_hash
            .get_or_try_init(|| hash_password("not-a-real-password-0000".into()))
            .await
    }

    /// Signs in with email and password. Unknown emails and wrong passwords take the
    /// same time and give the same error; repeated failures are throttled.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        ctx: &RequestCtx,
    ) -> AppResult<NewSession> {
        let email = email.trim().to_lowercase();
        if let Some(wait) = self.throttle.blocked(&email, ctx.ip.as_deref()) {
            return Err(AppError::RateLimited {
                retry_after_secs: wait,
            });
        }
        let found = self.store.user_credentials(&email).await?;
        let (user, stored) = match found {
            Some((u, h)) => (Some(u), h),
            None => (None, self.dummy_hash().await?.clone()),
        };
        let ok = verify_password(password.to_owned(), stored).await;
        let user = match user {
            Some(u) if ok && u.status == UserStatus::Active => u,
            _ => {
                self.throttle.fail(&email, ctx.ip.as_deref());
                tracing::warn!(target: "formula_pm::auth", "failed sign-in");
                return Err(AppError::Unauthenticated);
            }
        };
        self.throttle.succeed(&email);
        let token = new_token(SESSION_PREFIX)?;
        let now = self.now();
        let session = SessionRecord {
            id: formula_domain::new_id(),
            user_id: user.id,
            token_hash: token_hash(&token),
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.config.session_absolute,
            ip: ctx.ip.clone(),
            user_agent: ctx.user_agent.clone(),
        };
        self.store.insert_session(&session).await?;
        Ok(NewSession {
            user,
            token,
            expires_at: session.expires_at,
        })
    }

    /// Resolves a session cookie; expired (idle or absolute) sessions and disabled users are rejected.
    pub async fn authenticate_session(&self, token: &str) -> AppResult<Option<SessionAuth>> {
        if !token.starts_with(SESSION_PREFIX) || token.len() > 100 {
            return Ok(None);
        }
        let Some((session, user)) = self.store.session_by_hash(&token_hash(token)).await? else {
            return Ok(None);
        };
        let now = self.now();
        if !session_in_force(
            now,
            session.expires_at,
            session.last_seen_at,
            self.config.session_idle,
            user.is_active(),
        ) {
            self.store.delete_session(session.id).await?;
            return Ok(None);
        }
        if now - session.last_seen_at >= TOUCH_INTERVAL {
            self.store.touch_session(session.id, now).await?;
        }
        Ok(Some(SessionAuth {
            actor: actor_for(&user),
            session_id: session.id,
            user,
        }))
    }

    /// Ends a session server-side, and its live-update streams on every instance.
    pub async fn logout(&self, session_id: Uuid) -> AppResult<()> {
        self.store.delete_session(session_id).await?;
        self.access_changed().await;
        Ok(())
    }

    /// Keeps a one-time message for the caller's browser session, for the page a redirect
    /// leads to (Post/Redirect/Get); it replaces one still waiting. The web layer seals what
    /// it must not store in the clear.
    pub async fn keep_session_flash(&self, caller: &Caller, payload: &str) -> AppResult<()> {
        let session_id = caller.ctx.session_id.ok_or_else(|| {
            AppError::Internal("a one-time message needs a browser session".into())
        })?;
        self.store
            .put_session_flash(session_id, payload, self.now() + FLASH_VALIDITY)
            .await
    }

    /// Takes the one-time message waiting for the caller's browser session: the first read
    /// gets it, later ones `None`.
    pub async fn take_session_flash(&self, caller: &Caller) -> AppResult<Option<String>> {
        match caller.ctx.session_id {
            Some(id) => self.store.take_session_flash(id, self.now()).await,
            None => Ok(None),
        }
    }

    /// Resolves a bearer API token.
    pub async fn authenticate_token(&self, token: &str) -> AppResult<Option<TokenAuth>> {
        if !token.starts_with(API_TOKEN_PREFIX) || token.len() > 100 {
            return Ok(None);
        }
        let Some((t, user)) = self.store.token_by_hash(&token_hash(token)).await? else {
            return Ok(None);
        };
        let now = self.now();
        if !token_in_force(now, t.expires_at, user.is_active()) {
            return Ok(None);
        }
        if t.last_used_at.is_none_or(|at| now - at >= TOUCH_INTERVAL) {
            self.store.touch_token(t.id, now).await?;
        }
        Ok(Some(TokenAuth {
            actor: actor_for(&user),
            token_id: t.id,
            user,
        }))
    }

    /// Creates a personal API token for the caller; the secret is returned once.
    pub async fn create_token(
        &self,
        caller: &Caller,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> AppResult<CreatedToken> {
        let mut errors = formula_domain::errors::FieldErrors::new();
        let name = formula_domain::errors::required_text(&mut errors, "name", name, 100);
        if let Some(d) = expires_in_days
            && !(1..=3650).contains(&d)
        {
            errors.add(
                "expires_in_days",
                "must be between 1 and 3650 days, or empty for no expiry",
            );
        }
        errors.into_result()?;
        let secret = new_token(API_TOKEN_PREFIX)?;
        let now = self.now();
        let token = ApiToken {
            id: formula_domain::new_id(),
            user_id: caller.actor.user_id,
            name,
            prefix: secret.chars().take(10).collect(),
            created_at: now,
            expires_at: expires_in_days.map(|d| now + Duration::days(i64::from(d))),
            last_used_at: None,
        };
        let a = audit(
            caller,
            "create",
            "api_token",
            token.id,
            &token.name,
            Vec::new(),
        );
        self.store
            .insert_token(&token, &token_hash(&secret), &a)
            .await?;
        Ok(CreatedToken { token, secret })
    }

    pub async fn list_tokens(&self, caller: &Caller) -> AppResult<Vec<ApiToken>> {
        self.store.list_tokens(caller.actor.user_id).await
    }

    /// Revokes one of the caller's own tokens.
    pub async fn revoke_token(&self, caller: &Caller, token_id: Uuid) -> AppResult<()> {
        let a = audit(
            caller,
            "delete",
            "api_token",
            token_id,
            "API token",
            Vec::new(),
        );
        if self
            .store
            .delete_token(caller.actor.user_id, token_id, &a)
            .await?
        {
            self.access_changed().await;
            Ok(())
        } else {
            Err(AppError::NotFound("API token"))
        }
    }

    /// Changes the caller's password after checking the current one; ends their other
    /// sessions, and with `revoke_tokens` every API token they have (scripts then need new ones).
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        revoke_tokens: bool,
    ) -> AppResult<()> {
        let user = self
            .store
            .get_user(caller.actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (_, stored) = self
            .store
            .user_credentials(&user.email)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if !verify_password(current.to_owned(), stored).await {
            return Err(AppError::field(
                "current_password",
                "is not your current password",
            ));
        }
        check_password(new).map_err(|m| AppError::field("new_password", m))?;
        let hash = hash_password(new.to_owned()).await?;
        let a = audit(
            caller,
            "change_password",
            "user",
            user.id,
            &user.email,
            Vec::new(),
        );
        self.store
            .set_password(user.id, &hash, caller.ctx.session_id, revoke_tokens, &a)
            .await?;
        self.access_changed().await;
        Ok(())
    }

    /// Emails a single-use reset link if the address belongs to an active user.
    /// Always succeeds, so the answer never reveals whether an account exists.
    pub async fn request_password_reset(&self, email: &str) -> AppResult<()> {
        let Ok(email) = normalize_email(email) else {
            return Err(AppError::field(
                "email",
                "must be an email address like name@company.com",
            ));
        };
        if let Some(wait) = self.throttle.blocked(&format!("reset:{email}"), None) {
            return Err(AppError::RateLimited {
                retry_after_secs: wait,
            });
        }
        self.throttle
            // Per address only: reset requests must not lock an office IP out of signing in.
            .fail(&format!("reset:{email}"), None);
        let Some((user, _)) = self.store.user_credentials(&email).await? else {
            return Ok(());
        };
        if !user.is_active() {
            return Ok(());
        }
        let token = new_token("")?;
        let link = format!(
            "{}/reset-password/{token}",
            self.config.public_url.trim_end_matches('/')
        );
        let body = format!(
            "Hello {},\n\nSomeone asked to reset your {} password. Open this link within one hour to choose a new one:\n\n{link}\n\nIf it was not you, ignore this message; your password stays the same.\n",
            user.name, self.config.product_name
        );
        // The link and its email are stored together; a job worker sends it.
        let email = NewJob::email(
            &user.email,
            &format!("Reset your {} password", self.config.product_name),
            &body,
        );
        self.store
            .insert_reset(
                user.id,
                &token_hash(&token),
                self.now() + RESET_VALIDITY,
                &email,
            )
            .await?;
        self.wake_workers();
        Ok(())
    }

    /// Sets a new password with a reset token; the token works once, within an hour. Every
    /// session ends and every API token is revoked.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        ctx: &RequestCtx,
    ) -> AppResult<()> {
        check_password(new_password).map_err(|m| AppError::field("password", m))?;
        let hash = hash_password(new_password.to_owned()).await?;
        let entry = formula_domain::audit::AuditEntry {
            id: formula_domain::new_id(),
            at: self.now(),
            actor_id: None,
            actor_name: None,
            action: "reset_password".into(),
            entity_type: "user".into(),
            entity_id: Uuid::nil(),
            entity_label: String::new(),
            changes: Vec::new(),
            request_id: ctx.request_id.clone(),
            ip: ctx.ip.clone(),
            user_agent: ctx.user_agent.clone(),
            project_id: None,
        };
        match self
            .store
            .consume_reset(&token_hash(token), self.now(), &hash, &entry)
            .await?
        {
            Some(_) => {
                self.access_changed().await;
                Ok(())
            }
            None => Err(AppError::field(
                "token",
                "this reset link is invalid, already used or expired; ask for a new one",
            )),
        }
    }

    /// The outbox of emails (admins only).
    pub async fn list_outbox(&self, caller: &Caller) -> AppResult<Vec<OutboxMail>> {
        ensure(caller, Action::ViewOutbox, &Resource::Global)?;
        self.store.list_mail(200).await
    }

    /// Used by `create-admin` (and tests): creates a user without an actor check.
    pub async fn insert_user_unchecked(
        &self,
        input: NewUser,
        by: Option<&User>,
        ctx: &RequestCtx,
    ) -> AppResult<User> {
        let (user, hash, a) = self.prepare_unchecked(input, by, ctx).await?;
        self.store.insert_user(&user, &hash, &a).await?;
        Ok(user)
    }

    /// A new user validated, its password hashed and its audit entry written (by `by`, or
    /// by "system"), ready to insert.
    async fn prepare_unchecked(
        &self,
        input: NewUser,
        by: Option<&User>,
        ctx: &RequestCtx,
    ) -> AppResult<(User, String, formula_domain::audit::AuditEntry)> {
        let (user, password) = self.validate_new_user(input).await?;
        let hash = hash_password(password).await?;
        let mut a = match by {
            Some(b) => audit(
                &system_caller(b, ctx),
                "create",
                "user",
                user.id,
                &user.email,
                crate::services::created(&user),
            ),
            None => audit(
                &system_caller(&user, ctx),
                "create",
                "user",
                user.id,
                &user.email,
                crate::services::created(&user),
            ),
        };
        if by.is_none() {
            a.actor_id = None;
            a.actor_name = Some("system".into());
        }
        Ok((user, hash, a))
    }
}
