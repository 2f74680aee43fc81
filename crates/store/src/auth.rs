//! Credentials: sessions, personal API tokens, password resets and the mail outbox.

use formula_app::error::AppError;
use formula_app::jobs::NewJob;
use formula_app::ports::{ApiToken, CredentialState, OutboxMail, SessionRecord};
use formula_app::repos::{CredentialRepo, Invitation, InvitationView};
use formula_domain::audit::AuditEntry;
use formula_domain::user::User;
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::convert;
use crate::sql::Stmt;
use crate::users::{USER_COLUMNS, UserRow, noting_revoked, revoke_tokens};

#[derive(sqlx::FromRow)]
struct InvitationRow {
    #[sqlx(flatten)]
    user: UserRow,
    invitation_expires_at: OffsetDateTime,
    invitation_used_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: Uuid,
    session_user_id: Uuid,
    token_hash: String,
    session_created_at: OffsetDateTime,
    last_seen_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    ip: Option<String>,
    user_agent: Option<String>,
    #[sqlx(flatten)]
    user: UserRow,
}

const TOKEN_COLUMNS: &str = "t.id AS token_id, t.user_id AS token_user_id, t.name AS token_name, t.prefix, t.created_at AS token_created_at, \
     t.expires_at, t.last_used_at";

#[derive(sqlx::FromRow)]
struct TokenRow {
    token_id: Uuid,
    token_user_id: Uuid,
    token_name: String,
    prefix: String,
    token_created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    last_used_at: Option<OffsetDateTime>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.token_id,
            user_id: r.token_user_id,
            name: r.token_name,
            prefix: r.prefix,
            created_at: r.token_created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct TokenUserRow {
    #[sqlx(flatten)]
    token: TokenRow,
    #[sqlx(flatten)]
    user: UserRow,
}

#[derive(sqlx::FromRow)]
struct MailRow {
    id: Uuid,
    to_address: String,
    subject: String,
    body: String,
    status: String,
    created_at: OffsetDateTime,
    attachments: Option<String>,
}

impl TryFrom<MailRow> for OutboxMail {
    type Error = DbError;
    fn try_from(r: MailRow) -> DbResult<Self> {
        Ok(OutboxMail {
            id: r.id,
            to_address: r.to_address,
            subject: r.subject,
            body: r.body,
            status: r.status,
            created_at: r.created_at,
            attachments: r
                .attachments
                .map(|names| names.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
        })
    }
}

/// The INSERT for one outbox row (also run by the job queue when a mail job completes).
pub(crate) fn insert_mail_stmt(m: &OutboxMail) -> Stmt {
    Stmt::new(
        "INSERT INTO mail_outbox (id, to_address, subject, body, status, created_at, attachments) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(m.id)
    .bind(&m.to_address)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(&m.status)
    .bind(m.created_at)
    // One name per line (a file's name never holds a line break); NULL when none.
    .bind((!m.attachments.is_empty()).then(|| m.attachments.join("\n")))
}

#[derive(sqlx::FromRow)]
struct CredentialStateRow {
    id: Uuid,
    expires_at: Option<OffsetDateTime>,
    last_seen_at: Option<OffsetDateTime>,
    user_active: bool,
}

/// `SELECT {columns} FROM {table} x … WHERE x.id IN (…ids)` with the user's state, the ids
/// bound one by one (both backends accept a list of `$n`; callers keep it short).
fn credential_states(columns: &str, table: &str, ids: &[Uuid]) -> Stmt {
    let mut stmt = Stmt::new(String::new());
    let placeholders: Vec<String> = ids.iter().map(|id| stmt.arg(*id)).collect();
    stmt.sql = format!(
        "SELECT {columns}, u.status = 'active' AS user_active FROM {table} x \
         JOIN users u ON u.id = x.user_id WHERE x.id IN ({})",
        placeholders.join(", ")
    );
    stmt
}

impl From<CredentialStateRow> for CredentialState {
    fn from(r: CredentialStateRow) -> Self {
        CredentialState {
            id: r.id,
            expires_at: r.expires_at,
            last_seen_at: r.last_seen_at,
            user_active: r.user_active,
        }
    }
}

#[repo]
impl CredentialRepo for Db {
    async fn insert_session(&self, s: &SessionRecord) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(s.id)
        .bind(s.user_id)
        .bind(&s.token_hash)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .bind(&s.ip)
        .bind(&s.user_agent);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn session_by_hash(&self, token_hash: &str) -> DbResult<Option<(SessionRecord, User)>> {
        let stmt = Stmt::new(format!(
            "SELECT s.id AS session_id, s.user_id AS session_user_id, s.token_hash, s.created_at AS session_created_at, \
             s.last_seen_at, s.expires_at, s.ip, s.user_agent, {USER_COLUMNS} \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
        ))
        .bind(token_hash);
        let row = on_reader!(self, |pool| fetch_optional!(pool, SessionRow, stmt)?);
        row.map(|r| {
            let session = SessionRecord {
                id: r.session_id,
                user_id: r.session_user_id,
                token_hash: r.token_hash,
                created_at: r.session_created_at,
                last_seen_at: r.last_seen_at,
                expires_at: r.expires_at,
                ip: r.ip,
                user_agent: r.user_agent,
            };
            Ok((session, User::try_from(r.user)?))
        })
        .transpose()
    }

    async fn touch_session(&self, id: Uuid, at: OffsetDateTime) -> DbResult<()> {
        let stmt = Stmt::new("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn session_states(&self, ids: &[Uuid]) -> DbResult<Vec<CredentialState>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let stmt = credential_states("x.id, x.expires_at, x.last_seen_at", "sessions", ids);
        let rows = on_reader!(self, |pool| fetch_all!(pool, CredentialStateRow, stmt)?);
        Ok(rows.into_iter().map(CredentialState::from).collect())
    }

    async fn delete_session(&self, id: Uuid) -> DbResult<()> {
        let stmt = Stmt::new("DELETE FROM sessions WHERE id = $1").bind(id);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> DbResult<u64> {
        // `<=`: a session is over at its expiry instant, as the app checks `now >= expires_at`.
        let stmt = Stmt::new("DELETE FROM sessions WHERE expires_at <= $1").bind(now);
        // A one-time message nobody came back for (its session's own go with the session).
        let flashes = Stmt::new("DELETE FROM session_flashes WHERE expires_at <= $1").bind(now);
        Ok(in_tx!(self, |tx| {
            exec!(&mut *tx, flashes)?;
            exec!(&mut *tx, stmt)?.rows_affected()
        }))
    }

    async fn put_session_flash(
        &self,
        session_id: Uuid,
        payload: &str,
        expires_at: OffsetDateTime,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO session_flashes (session_id, payload, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (session_id) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at",
        )
        .bind(session_id)
        .bind(payload)
        .bind(expires_at);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn take_session_flash(
        &self,
        session_id: Uuid,
        now: OffsetDateTime,
    ) -> DbResult<Option<String>> {
        // One DELETE both reads and removes it, so two requests racing cannot both show it.
        let stmt = Stmt::new(
            "DELETE FROM session_flashes WHERE session_id = $1 RETURNING payload, expires_at",
        )
        .bind(session_id);
        let row = in_tx!(self, |tx| fetch_optional!(
            &mut *tx,
            (String, OffsetDateTime),
            stmt
        )?);
        Ok(row.and_then(|(payload, expires_at)| (now < expires_at).then_some(payload)))
    }

    async fn count_active_sessions(&self, now: OffsetDateTime) -> DbResult<i64> {
        // `>`: the mirror of `delete_expired_sessions`, so a session counts until its expiry instant.
        let stmt = Stmt::new("SELECT COUNT(*) FROM sessions WHERE expires_at > $1").bind(now);
        Ok(on_reader!(self, |pool| fetch_scalar!(pool, i64, stmt)?))
    }

    async fn insert_token(
        &self,
        t: &ApiToken,
        token_hash: &str,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, created_at, expires_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.id)
        .bind(t.user_id)
        .bind(&t.name)
        .bind(&t.prefix)
        .bind(token_hash)
        .bind(t.created_at)
        .bind(t.expires_at)
        .bind(t.last_used_at);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn list_tokens(&self, user_id: Uuid) -> DbResult<Vec<ApiToken>> {
        let stmt = Stmt::new(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.created_at DESC, t.id DESC"
        ))
        .bind(user_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, TokenRow, stmt)?);
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    async fn token_by_hash(&self, token_hash: &str) -> DbResult<Option<(ApiToken, User)>> {
        let stmt = Stmt::new(format!(
            "SELECT {TOKEN_COLUMNS}, {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1"
        ))
        .bind(token_hash);
        let row = on_reader!(self, |pool| fetch_optional!(pool, TokenUserRow, stmt)?);
        row.map(|r| Ok((ApiToken::from(r.token), User::try_from(r.user)?)))
            .transpose()
    }

    async fn token_states(&self, ids: &[Uuid]) -> DbResult<Vec<CredentialState>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Tokens do not idle out; the typed NULL decodes on both backends.
        let stmt = credential_states(
            "x.id, x.expires_at, CAST(NULL AS TIMESTAMPTZ) AS last_seen_at",
            "api_tokens",
            ids,
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, CredentialStateRow, stmt)?);
        Ok(rows.into_iter().map(CredentialState::from).collect())
    }

    async fn touch_token(&self, id: Uuid, at: OffsetDateTime) -> DbResult<()> {
        let stmt = Stmt::new("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn delete_token(
        &self,
        user_id: Uuid,
        token_id: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<bool> {
        let stmt = Stmt::new("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(token_id)
            .bind(user_id);
        Ok(in_tx!(self, |tx| {
            let deleted = exec!(&mut *tx, stmt)?.rows_affected() > 0;
            // Nothing happened, so there is nothing to audit.
            if deleted {
                exec!(&mut *tx, audit::insert(entry))?;
            }
            deleted
        }))
    }

    async fn insert_reset(
        &self,
        user_id: Uuid,
        token_hash: &str,
        expires_at: OffsetDateTime,
        email: &NewJob,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(OffsetDateTime::now_utc())
        .bind(expires_at);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, crate::jobs::insert(email))?;
        });
        Ok(())
    }

    async fn consume_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        new_hash: &str,
        entry: &AuditEntry,
    ) -> DbResult<Option<Uuid>> {
        // One UPDATE both checks and uses the token, so two requests racing with the same
        // link cannot both succeed.
        let claim = Stmt::new(
            "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash);
        in_tx!(self, |tx| {
            let Some(user_id) = fetch_optional!(&mut *tx, (Uuid,), claim)?.map(|r| r.0) else {
                return Ok(None);
            };
            let email = fetch_optional!(
                &mut *tx,
                (String,),
                Stmt::new("UPDATE users SET password_hash = $1 WHERE id = $2 RETURNING email")
                    .bind(new_hash)
                    .bind(user_id)
            )?
            .map(|r| r.0)
            .ok_or(DbError::App(AppError::NotFound("user")))?;
            // Whoever asked for the reset may not have the old password: end every session,
            // revoke every API token, and retire the user's other reset links.
            exec!(
                &mut *tx,
                Stmt::new("DELETE FROM sessions WHERE user_id = $1").bind(user_id)
            )?;
            let revoked = exec!(&mut *tx, revoke_tokens(user_id))?.rows_affected();
            exec!(
                &mut *tx,
                Stmt::new(
                    "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL"
                )
                .bind(now)
                .bind(user_id)
            )?;
            let entry = AuditEntry {
                entity_id: user_id,
                entity_label: email,
                ..noting_revoked(entry, revoked)
            };
            exec!(&mut *tx, audit::insert(&entry))?;
            Ok(Some(user_id))
        })
    }

    async fn replace_invitation(
        &self,
        new_user: Option<(&User, &str, &AuditEntry)>,
        inv: &Invitation,
        email: &NewJob,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        // One row per user: a new invitation overwrites the old one, so its link stops working.
        let upsert = Stmt::new(
            "INSERT INTO invitations (user_id, token_hash, invited_by, created_at, expires_at, used_at)              VALUES ($1, $2, $3, $4, $5, NULL)              ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash,              invited_by = excluded.invited_by, created_at = excluded.created_at,              expires_at = excluded.expires_at, used_at = NULL",
        )
        .bind(inv.user_id)
        .bind(&inv.token_hash)
        .bind(inv.invited_by)
        .bind(inv.created_at)
        .bind(inv.expires_at);
        let insert_user = new_user.map(|(u, hash, a)| (crate::users::insert_stmt(u, hash), a));
        in_tx!(self, |tx| {
            if let Some((stmt, a)) = insert_user {
                exec!(&mut *tx, stmt)?;
                exec!(&mut *tx, audit::insert(a))?;
            }
            exec!(&mut *tx, upsert)?;
            exec!(&mut *tx, crate::jobs::insert(email))?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn find_invitation(&self, token_hash: &str) -> DbResult<Option<InvitationView>> {
        let stmt = Stmt::new(format!(
            "SELECT {USER_COLUMNS}, i.expires_at AS invitation_expires_at, i.used_at AS invitation_used_at              FROM invitations i JOIN users u ON u.id = i.user_id WHERE i.token_hash = $1"
        ))
        .bind(token_hash);
        let row = on_reader!(self, |pool| fetch_optional!(pool, InvitationRow, stmt)?);
        row.map(|r| {
            Ok(InvitationView {
                user: r.user.try_into()?,
                expires_at: r.invitation_expires_at,
                used_at: r.invitation_used_at,
            })
        })
        .transpose()
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        new_hash: &str,
        entry: &AuditEntry,
    ) -> DbResult<Option<Uuid>> {
        // One UPDATE checks and uses the link, so two tabs racing with it cannot both succeed.
        let claim = Stmt::new(
            "UPDATE invitations SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
             AND user_id IN (SELECT id FROM users WHERE status = 'active') RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash);
        in_tx!(self, |tx| {
            let Some(user_id) = fetch_optional!(&mut *tx, (Uuid,), claim)?.map(|r| r.0) else {
                return Ok(None);
            };
            let email = fetch_optional!(
                &mut *tx,
                (String,),
                Stmt::new("UPDATE users SET password_hash = $1 WHERE id = $2 RETURNING email")
                    .bind(new_hash)
                    .bind(user_id)
            )?
            .map(|r| r.0)
            .ok_or(DbError::App(AppError::NotFound("user")))?;
            // Whoever held a session or token before the password was chosen here loses it.
            exec!(
                &mut *tx,
                Stmt::new("DELETE FROM sessions WHERE user_id = $1").bind(user_id)
            )?;
            let revoked = exec!(&mut *tx, revoke_tokens(user_id))?.rows_affected();
            exec!(
                &mut *tx,
                Stmt::new(
                    "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL"
                )
                .bind(now)
                .bind(user_id)
            )?;
            let entry = AuditEntry {
                entity_id: user_id,
                entity_label: email,
                ..noting_revoked(entry, revoked)
            };
            exec!(&mut *tx, audit::insert(&entry))?;
            Ok(Some(user_id))
        })
    }

    async fn insert_mail(&self, m: &OutboxMail) -> DbResult<()> {
        let stmt = insert_mail_stmt(m);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn list_mail(&self, limit: u32) -> DbResult<Vec<OutboxMail>> {
        let stmt = Stmt::new(
            "SELECT id, to_address, subject, body, status, created_at, attachments FROM mail_outbox \
             ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit));
        let rows = on_reader!(self, |pool| fetch_all!(pool, MailRow, stmt)?);
        convert(rows)
    }
}
