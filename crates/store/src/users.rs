//! Users: accounts, credentials and their listing.

use formula_app::error::AppError;
use formula_app::query::{Dir, Page, UserQuery, UserSort};
use formula_app::repos::UserRepo;
use formula_domain::audit::{AuditEntry, FieldChange};
use formula_domain::user::{Role, User, UserStatus};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::{convert, parse_enum, skills_from_json, skills_to_json};
use crate::sql::{Filter, SortKey, Stmt, limit_offset, order_by, rank};

/// The columns of a [`UserRow`], from `users u`.
pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.job_title, u.phone, u.skills, u.status, u.client_id, u.created_at, u.updated_at, u.version";

/// A `users` row without the password hash.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    role: String,
    job_title: Option<String>,
    phone: Option<String>,
    skills: String,
    status: String,
    client_id: Option<Uuid>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    version: i64,
}

impl TryFrom<UserRow> for User {
    type Error = DbError;
    fn try_from(r: UserRow) -> DbResult<Self> {
        Ok(User {
            id: r.id,
            email: r.email,
            name: r.name,
            role: parse_enum(&r.role, "users.role")?,
            job_title: r.job_title,
            phone: r.phone,
            skills: skills_from_json(&r.skills)?,
            status: parse_enum(&r.status, "users.status")?,
            client_id: r.client_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
}

fn by_id(id: Uuid) -> Stmt {
    Stmt::new(format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
    ))
    .bind(id)
}

fn stale(current: Option<VersionRow>) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: None,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound("user")),
    }
}

/// The INSERT of a new user with its password hash.
pub(crate) fn insert_stmt(user: &User, password_hash: &str) -> Stmt {
    Stmt::new(
        "INSERT INTO users (id, email, name, role, job_title, phone, skills, status, client_id, password_hash, \
         created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(user.id)
    .bind(user.email.to_lowercase())
    .bind(&user.name)
    .bind(user.role.as_str())
    .bind(&user.job_title)
    .bind(&user.phone)
    .bind(skills_to_json(&user.skills))
    .bind(user.status.as_str())
    .bind(user.client_id)
    .bind(password_hash)
    .bind(user.created_at)
    .bind(user.updated_at)
    .bind(user.version)
}

/// Deletes every API token of a user, in the transaction of the change that ends them
/// (disabling the user, a password reset, a password change that asks for it).
pub(crate) fn revoke_tokens(user_id: Uuid) -> Stmt {
    Stmt::new("DELETE FROM api_tokens WHERE user_id = $1").bind(user_id)
}

/// `entry`, noting how many API tokens its change revoked (nothing when there were none).
pub(crate) fn noting_revoked(entry: &AuditEntry, revoked: u64) -> AuditEntry {
    let mut entry = entry.clone();
    if revoked > 0 {
        entry.changes.push(FieldChange {
            field: "api_tokens".into(),
            old: revoked.into(),
            new: 0.into(),
        });
    }
    entry
}

fn version_of(id: Uuid) -> Stmt {
    Stmt::new("SELECT version, updated_at FROM users WHERE id = $1").bind(id)
}

#[repo]
impl UserRepo for Db {
    async fn count_users(&self) -> DbResult<i64> {
        Ok(on_reader!(self, |pool| fetch_scalar!(
            pool,
            i64,
            Stmt::new("SELECT COUNT(*) FROM users")
        )?))
    }

    async fn insert_user(
        &self,
        user: &User,
        password_hash: &str,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = insert_stmt(user, password_hash);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn insert_first_user(
        &self,
        user: &User,
        password_hash: &str,
        entry: &AuditEntry,
    ) -> DbResult<bool> {
        // The key of `setup_claims` admits one row: a concurrent claim waits for the first to
        // commit and then does nothing, as does any claim once a user exists.
        let claim = Stmt::new(
            "INSERT INTO setup_claims (id, user_id, claimed_at) SELECT 1, $1, $2 \
             WHERE NOT EXISTS (SELECT 1 FROM users) ON CONFLICT (id) DO NOTHING",
        )
        .bind(user.id)
        .bind(user.created_at);
        let stmt = insert_stmt(user, password_hash);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, claim)?.rows_affected() == 0 {
                return Ok(false);
            }
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(true)
    }

    async fn get_user(&self, id: Uuid) -> DbResult<Option<User>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, UserRow, by_id(id))?);
        row.map(User::try_from).transpose()
    }

    async fn user_credentials(&self, email: &str) -> DbResult<Option<(User, String)>> {
        let stmt = Stmt::new(format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE lower(u.email) = lower($1)"
        ))
        .bind(email.trim());
        let row = on_reader!(self, |pool| fetch_optional!(pool, CredentialsRow, stmt)?);
        row.map(|r| Ok((User::try_from(r.user)?, r.password_hash)))
            .transpose()
    }

    async fn list_users(&self, query: &UserQuery) -> DbResult<Page<User>> {
        let mut f = Filter::new();
        f.search(query.q.as_deref(), &["u.name", "u.email"]);
        if let Some(role) = query.role {
            let p = f.arg(role.as_str());
            f.and(format!("u.role = {p}"));
        }
        if let Some(status) = query.status {
            let p = f.arg(status.as_str());
            f.and(format!("u.status = {p}"));
        }
        let (sort, dir) = query.sort.unwrap_or((UserSort::Name, Dir::Asc));
        let key = match sort {
            UserSort::Name => SortKey::Plain("LOWER(u.name)".into()),
            UserSort::Email => SortKey::Plain("u.email".into()),
            UserSort::Role => {
                let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                SortKey::Plain(rank("u.role", &roles))
            }
            UserSort::CreatedAt => SortKey::Plain("u.created_at".into()),
        };
        let where_sql = f.where_sql();
        let count = Stmt {
            sql: format!("SELECT COUNT(*) FROM users u{where_sql}"),
            args: f.stmt.args.clone(),
        };
        let mut page = f.stmt;
        let limit = limit_offset(&query.paging);
        page.sql = format!(
            "SELECT {USER_COLUMNS} FROM users u{where_sql}{}{limit}",
            order_by(key, dir == Dir::Desc, "u.id")
        );
        let (total, rows) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (total, fetch_all!(pool, UserRow, page)?)
        });
        Ok(Page::new(convert(rows)?, total, query.paging))
    }

    async fn update_user(
        &self,
        user: &User,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<User> {
        let stmt = Stmt::new(
            "UPDATE users SET email = $1, name = $2, role = $3, job_title = $4, phone = $5, skills = $6, status = $7, \
             client_id = $8, updated_at = $9, version = version + 1 WHERE id = $10 AND version = $11",
        )
        .bind(user.email.to_lowercase())
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.job_title)
        .bind(&user.phone)
        .bind(skills_to_json(&user.skills))
        .bind(user.status.as_str())
        .bind(user.client_id)
        .bind(user.updated_at)
        .bind(user.id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    version_of(user.id)
                )?));
            }
            let mut revoked = 0;
            if user.status == UserStatus::Disabled {
                // A disabled account must not keep working in an open browser, nor come
                // back with its old API tokens when it is enabled again.
                exec!(
                    &mut *tx,
                    Stmt::new("DELETE FROM sessions WHERE user_id = $1").bind(user.id)
                )?;
                revoked = exec!(&mut *tx, revoke_tokens(user.id))?.rows_affected();
            }
            exec!(&mut *tx, audit::insert(&noting_revoked(entry, revoked)))?;
            fetch_optional!(&mut *tx, UserRow, by_id(user.id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("user")))
            .and_then(User::try_from)
    }

    async fn set_password(
        &self,
        user_id: Uuid,
        hash: &str,
        keep_session: Option<Uuid>,
        revoke_api_tokens: bool,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        // The password is not part of the editable record, so the version stays: an admin
        // editing the profile at the same time should not be told it changed.
        let update = Stmt::new("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id);
        let end_sessions = match keep_session {
            Some(keep) => Stmt::new("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
                .bind(user_id)
                .bind(keep),
            None => Stmt::new("DELETE FROM sessions WHERE user_id = $1").bind(user_id),
        };
        in_tx!(self, |tx| {
            if exec!(&mut *tx, update)?.rows_affected() == 0 {
                return Err(DbError::App(AppError::NotFound("user")));
            }
            exec!(&mut *tx, end_sessions)?;
            let revoked = if revoke_api_tokens {
                exec!(&mut *tx, revoke_tokens(user_id))?.rows_affected()
            } else {
                0
            };
            exec!(&mut *tx, audit::insert(&noting_revoked(entry, revoked)))?;
        });
        Ok(())
    }
}
