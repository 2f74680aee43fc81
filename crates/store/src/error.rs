//! Errors: `StoreError` for opening and migrating, and the mapping of database errors
//! onto the app's `AppError` for everything else.

use formula_app::error::AppError;
use formula_domain::errors::FieldErrors;
use sqlx::error::ErrorKind;

/// Why the store could not be opened or migrated. Messages name the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `DATABASE_URL` is neither empty nor a PostgreSQL URL.
    #[error(
        "DATABASE_URL must be empty (SQLite in DATA_DIR) or a postgres:// or postgresql:// URL; got a URL starting with `{scheme}`"
    )]
    UnsupportedUrl { scheme: String },
    /// Another process holds the lock on the SQLite data directory.
    #[error(
        "another formula-pm server is already using DATA_DIR={data_dir} (lock file {lock_file} is held); stop it or choose another DATA_DIR"
    )]
    Locked { data_dir: String, lock_file: String },
    /// A file-system step failed (creating `DATA_DIR`, the lock file).
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The database could not be reached or opened.
    #[error("cannot open the database ({backend}): {source}")]
    Connect {
        backend: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// An error inside a store method, before it becomes an `AppError`.
#[derive(Debug)]
pub(crate) enum DbError {
    /// From the driver; mapped by kind (unique → duplicate, busy → unavailable, …).
    Sqlx(sqlx::Error),
    /// Already decided (stale, not found, has dependents, …).
    App(AppError),
    /// A stored value the domain cannot represent (an unknown enum text, broken JSON).
    Corrupt(String),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        DbError::Sqlx(e)
    }
}

impl From<AppError> for DbError {
    fn from(e: AppError) -> Self {
        DbError::App(e)
    }
}

pub(crate) type DbResult<T> = Result<T, DbError>;

/// A text value holding a NUL, refused before it reaches the database (see
/// [`crate::sql::storable`]).
#[derive(Debug, thiserror::Error)]
#[error("a text value holds a NUL character, which cannot be stored")]
pub(crate) struct NulInText;

/// What a caller is told when the database refuses a value it was given.
fn invalid_input(message: &str) -> AppError {
    AppError::field("input", message)
}

/// A unique index and what to tell the user when a write collides with it.
struct UniqueRule {
    /// Index name: PostgreSQL reports it as the constraint, SQLite names it in the message
    /// for expression indexes.
    index: &'static str,
    /// `table.column` as SQLite names a plain-column unique index in its message.
    column: &'static str,
    field: &'static str,
    message: &'static str,
}

const UNIQUE_RULES: &[UniqueRule] = &[
    UniqueRule {
        index: "users_email_key",
        column: "users.email",
        field: "email",
        message: "is already used by another user",
    },
    UniqueRule {
        index: "clients_name_key",
        column: "clients.name",
        field: "name",
        message: "a client with this name already exists",
    },
    UniqueRule {
        index: "projects_code_key",
        column: "projects.code",
        field: "code",
        message: "another project already uses this code",
    },
    UniqueRule {
        index: "scope_groups_name_key",
        column: "scope_groups.name",
        field: "name",
        message: "another group of this project has this name",
    },
    UniqueRule {
        index: "scope_groups_letter_key",
        column: "scope_groups.letter",
        field: "letter",
        message: "another group of this project uses this letter",
    },
    UniqueRule {
        index: "scope_items_code_key",
        column: "scope_items.code",
        field: "code",
        message: "another item of this project already uses this code",
    },
    UniqueRule {
        index: "drawings_number_key",
        column: "drawings.number",
        field: "number",
        message: "another drawing of this project has this number",
    },
    UniqueRule {
        index: "specs_code_key",
        column: "specs.code",
        field: "code",
        message: "another specification of this project has this code",
    },
    UniqueRule {
        index: "locations_code_key",
        column: "locations.code",
        field: "code",
        message: "another location of this project already uses this code",
    },
    UniqueRule {
        index: "installations_reverses_key",
        column: "installations.reverses_id",
        field: "installation",
        message: "this installation was reversed already",
    },
    UniqueRule {
        index: "room_types_code_key",
        column: "room_types.code",
        field: "code",
        message: "another room type of this project has this code",
    },
    UniqueRule {
        index: "suppliers_name_key",
        column: "suppliers.name",
        field: "name",
        message: "a supplier with this name is already in the directory",
    },
    // Two managers applying the workflow template to one item at once (PostgreSQL: the
    // second one's check ran before the first committed, so the index settles it).
    UniqueRule {
        index: "tasks_chain_step_key",
        column: "tasks.chain_step",
        field: "scope_item_ids",
        message: "someone applied the template to this item meanwhile: reload and apply it again",
    },
    UniqueRule {
        index: "labels_name_key",
        column: "labels.name",
        field: "name",
        message: "a label with this name already exists (names are compared without case)",
    },
];

/// The `has_dependents` conflict for deleting something still referenced.
pub(crate) fn has_dependents(message: impl Into<String>) -> AppError {
    AppError::Conflict {
        code: "has_dependents",
        message: message.into(),
        fields: FieldErrors::new(),
    }
}

/// Whether the error is PostgreSQL's (its SQLSTATE codes are five characters, often all
/// digits, so they must not be read as SQLite's numeric codes).
fn is_postgres(db: &dyn sqlx::error::DatabaseError) -> bool {
    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
}

fn is_busy(db: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(code) = db.code() else {
        return false;
    };
    if is_postgres(db) {
        // lock_not_available, too_many_connections, cannot_connect_now, admin shutdown.
        matches!(&*code, "55P03" | "53300" | "57P03" | "57P01")
    } else {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes (low byte).
        code.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
    }
}

/// The disk holding the database is full: SQLite's `SQLITE_FULL` (13, "database or disk is
/// full"), PostgreSQL's `disk_full` (53100, "could not extend file … No space left on
/// device").
fn is_disk_full(db: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(code) = db.code() else {
        return false;
    };
    if is_postgres(db) {
        &*code == "53100"
    } else {
        code.parse::<i32>().is_ok_and(|n| n & 0xff == 13)
    }
}

/// PostgreSQL's `query_canceled`: a statement ran past `statement_timeout`.
fn is_statement_timeout(db: &dyn sqlx::error::DatabaseError) -> bool {
    is_postgres(db) && db.code().is_some_and(|c| c == "57014")
}

/// A PostgreSQL data exception (SQLSTATE class 22: a character it does not accept, a
/// number out of range, text that is no valid value of the column's type): the input's
/// fault, not the database's.
fn is_data_exception(db: &dyn sqlx::error::DatabaseError) -> bool {
    is_postgres(db) && db.code().is_some_and(|c| c.starts_with("22"))
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::App(app) => app,
            DbError::Corrupt(what) => {
                tracing::error!(target: "formula_pm::store", error = %what, "stored data cannot be read");
                AppError::Internal("stored data cannot be read".into())
            }
            DbError::Sqlx(err) => map_sqlx(err),
        }
    }
}

fn map_sqlx(err: sqlx::Error) -> AppError {
    match &err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            tracing::warn!(target: "formula_pm::store", error = %err, "database unavailable");
            return AppError::Unavailable(
                "the database is busy or unreachable; try again shortly".into(),
            );
        }
        sqlx::Error::Encode(e) if e.is::<NulInText>() => {
            return invalid_input(
                "must not contain a NUL character (or other control characters); remove it and try again",
            );
        }
        sqlx::Error::Database(db) => {
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    let constraint = db.constraint().unwrap_or_default();
                    let message = db.message();
                    if let Some(rule) = UNIQUE_RULES.iter().find(|r| {
                        constraint == r.index
                            || message.contains(r.index)
                            || message.contains(r.column)
                    }) {
                        return AppError::duplicate(rule.field, rule.message);
                    }
                }
                // A row this write refers to was removed meanwhile (the services check
                // references first, so only a race gets here): the client's to retry.
                ErrorKind::ForeignKeyViolation => {
                    return AppError::Conflict {
                        code: "invalid_reference",
                        message: "a record this refers to no longer exists; reload and try again"
                            .into(),
                        fields: FieldErrors::new(),
                    };
                }
                _ => {}
            }
            if is_data_exception(db.as_ref()) {
                tracing::warn!(target: "formula_pm::store", error = %err, "the database refused a value");
                return invalid_input(
                    "holds a value the database cannot store (a character it does not accept, or a number out of range); check what was entered",
                );
            }
            if is_disk_full(db.as_ref()) {
                tracing::error!(target: "formula_pm::store", error = %err, "the database's disk is full: writes are refused until space is freed");
                return AppError::InsufficientStorage("the disk holding the database".into());
            }
            if is_statement_timeout(db.as_ref()) {
                tracing::warn!(target: "formula_pm::store", error = %err, "statement cancelled after DB_STATEMENT_TIMEOUT_MS");
                return AppError::Unavailable(
                    "the database took too long to answer; try again shortly".into(),
                );
            }
            if is_busy(db.as_ref()) {
                tracing::warn!(target: "formula_pm::store", error = %err, "database busy");
                return AppError::Unavailable("the database is busy; try again shortly".into());
            }
        }
        _ => {}
    }
    tracing::error!(target: "formula_pm::store", error = %err, "database error");
    AppError::Internal("database error".into())
}

/// Whether a driver error is a foreign-key violation (for deletes that turn it into
/// `has_dependents`).
pub(crate) fn is_fk_violation(e: &DbError) -> bool {
    matches!(e, DbError::Sqlx(sqlx::Error::Database(db)) if db.kind() == ErrorKind::ForeignKeyViolation)
}
