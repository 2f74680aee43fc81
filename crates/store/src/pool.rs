//! Opening the database: SQLite in `DATA_DIR` by default, PostgreSQL when `DATABASE_URL`
//! says so. Also migrations and shutdown.

use std::fs::{File, OpenOptions as FileOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use formula_app::repos::{Database, PoolStatus};
use formula_store_macros::repo;

use crate::error::{DbResult, StoreError};
use crate::sql::Stmt;

pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// File name of the SQLite database inside `DATA_DIR`.
pub const SQLITE_FILE: &str = "formula-pm.sqlite3";
/// File name of the lock that keeps a second server off the same SQLite database.
pub const LOCK_FILE: &str = "formula-pm.lock";

/// The open connection pools. SQLite keeps writes on one connection so they queue in
/// the process instead of failing on the file lock, and reads on a separate pool so they
/// never wait for a write (WAL lets them run alongside it).
///
/// No pool pings a connection when it is handed out (`test_before_acquire(false)`): sqlx
/// already pings it when it comes back, so a ping on the way out would cost each statement
/// a second round trip (on SQLite, to the connection's thread) and catch only a PostgreSQL
/// connection that died while idle, which then fails one statement and is replaced.
pub(crate) enum Pool {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded file database (one writer connection, a read pool, WAL).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tuning for [`open_with`]. The defaults suit a small team on one machine.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// PostgreSQL: most connections in the pool.
    pub max_connections: u32,
    /// SQLite: connections in the read pool (writes always use one connection).
    pub sqlite_readers: u32,
    /// How long a request waits for a free connection (including opening one) before it is
    /// told the database is busy or unreachable.
    pub acquire_timeout: Duration,
    /// PostgreSQL: the server cancels a statement running longer (`statement_timeout`), and
    /// the call answers unavailable. Migrations are exempt.
    pub statement_timeout: Option<Duration>,
    /// PostgreSQL: probe the server with this timeout in the background, and fail every
    /// call at once while it does not answer (see `watchdog.rs`).
    pub watchdog: Option<Duration>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            max_connections: 10,
            sqlite_readers: 4,
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: None,
            watchdog: None,
        }
    }
}

/// The storage: implements every repository of [`formula_app::repos`] on SQLite or
/// PostgreSQL (each in the module named after its aggregate).
pub struct Db {
    pub(crate) pool: Pool,
    /// Held (with its exclusive lock) for as long as the SQLite database is open.
    _lock: Option<File>,
    /// Where call timings go (see `timing.rs`).
    pub(crate) timing: std::sync::OnceLock<crate::timing::Timing>,
    /// PostgreSQL: whether the server answers (see `watchdog.rs`).
    pub(crate) watchdog: Option<crate::watchdog::Watchdog>,
    /// SQLite: checkpoints the write-ahead log off the writer's path (see `checkpoint.rs`).
    checkpointer: Option<crate::checkpoint::Checkpointer>,
}

/// Opens the database with default [`OpenOptions`].
///
/// `database_url` empty or `None` → SQLite file `data_dir/formula-pm.sqlite3` (the directory
/// is created); `postgres://` or `postgresql://` → PostgreSQL. Does **not** migrate: call
/// [`Db::migrate`] before serving (the server does, and so does `formula-pm migrate`).
pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Db, StoreError> {
    open_with(database_url, data_dir, &OpenOptions::default()).await
}

/// Opens the database like [`open`], with explicit tuning.
pub async fn open_with(
    database_url: Option<&str>,
    data_dir: &Path,
    options: &OpenOptions,
) -> Result<Db, StoreError> {
    match database_url.map(str::trim).filter(|u| !u.is_empty()) {
        None => open_sqlite(data_dir, options).await,
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            open_postgres(url, options).await
        }
        Some(url) => {
            // Only the scheme is repeated: the rest may hold a password.
            let scheme = url.split_once(':').map_or("(no scheme)", |(s, _)| s);
            Err(StoreError::UnsupportedUrl {
                scheme: scheme.chars().take(20).collect(),
            })
        }
    }
}

async fn open_postgres(url: &str, options: &OpenOptions) -> Result<Db, StoreError> {
    let connect_err = |source| StoreError::Connect {
        backend: "postgres",
        source,
    };
    let server: PgConnectOptions = url.parse().map_err(connect_err)?;
    let mut connect = server.clone();
    // Each statement is planned once per connection, not on every execution: with custom
    // plans (PostgreSQL's default for a prepared statement whose first plans looked cheaper
    // than a generic one) planning took more of PostgreSQL's time than running the task
    // pages did; at 200 users the load test then served 27 % more requests, reads p95 95
    // instead of 173 ms (docs/performance.md, "Issue 15, fourth pass"). An operator can choose
    // otherwise with `options=-c plan_cache_mode=…` in DATABASE_URL.
    if !server
        .get_options()
        .is_some_and(|o| o.contains("plan_cache_mode"))
    {
        connect = connect.options([("plan_cache_mode", "force_generic_plan")]);
    }
    if let Some(limit) = options.statement_timeout {
        // Set at connection start, so it is each session's default (and what RESET restores).
        connect = connect.options([("statement_timeout", format!("{}", limit.as_millis()))]);
    }
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(false)
        .connect_with(connect)
        .await
        .map_err(connect_err)?;
    let watchdog = options
        .watchdog
        .map(|timeout| crate::watchdog::Watchdog::spawn(server, timeout));
    Ok(Db {
        pool: Pool::Postgres(pool),
        _lock: None,
        timing: std::sync::OnceLock::new(),
        watchdog,
        checkpointer: None,
    })
}

async fn open_sqlite(data_dir: &Path, options: &OpenOptions) -> Result<Db, StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
        what: format!("cannot create DATA_DIR={}", data_dir.display()),
        source,
    })?;
    let lock = lock_data_dir(data_dir)?;
    let file = data_dir.join(SQLITE_FILE);
    // No memory-mapped I/O: under writes the database file grows at every checkpoint, and
    // each reader then unmaps and remaps the whole file and faults its pages in again. At 200
    // users that kernel work was a quarter of the server's CPU; with plain reads the same
    // run served 95 loops/s instead of 79, reads p95 12 ms instead of 84 (docs/performance.md,
    // "Issue 15").
    let base = SqliteConnectOptions::new()
        .filename(&file)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .pragma("temp_store", "memory");
    let connect_err = |source| StoreError::Connect {
        backend: "sqlite",
        source,
    };
    // The writer first: it creates the file and switches it to WAL, which readers need.
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(false)
        .after_release(|conn, _| Box::pin(async move { writer_is_clean(conn).await }))
        .connect_with(
            base.clone()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                // Checkpoints run beside the writer, not in its commits (`checkpoint.rs`);
                // a log left large by a burst is cut back to 64 MiB once restarted.
                .pragma("wal_autocheckpoint", "0")
                .pragma("journal_size_limit", "67108864"),
        )
        .await
        .map_err(connect_err)?;
    let read = SqlitePoolOptions::new()
        .max_connections(options.sqlite_readers.max(1))
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(false)
        .connect_with(base.clone().read_only(true))
        .await
        .map_err(connect_err)?;
    let checkpointer = crate::checkpoint::Checkpointer::spawn(&base)
        .await
        .map_err(connect_err)?;
    Ok(Db {
        pool: Pool::Sqlite { read, write },
        _lock: Some(lock),
        timing: std::sync::OnceLock::new(),
        watchdog: None,
        checkpointer: Some(checkpointer),
    })
}

/// Whether the writer connection may go back to the pool: only outside any transaction.
///
/// A COMMIT that fails for lack of disk space (`SQLITE_FULL`) makes SQLite roll the
/// transaction back by itself; the ROLLBACK sqlx then sends fails ("no transaction is
/// active") and leaves sqlx counting a transaction that no longer exists, so every later
/// `BEGIN` on this connection would be refused ("attempted to call begin_with at non-zero
/// transaction depth") until a restart. Such a connection is closed instead, and the pool
/// opens a clean one for the next write. A transaction dropped on an error path has its
/// ROLLBACK queued on the connection, so a ping (answered after it) lets it finish before
/// the count is read again.
async fn writer_is_clean(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!(
            target: "formula_pm::store",
            "the SQLite writer was left inside a failed transaction; it is replaced by a new connection"
        );
        return Ok(false);
    }
    Ok(true)
}

/// Opens the database for reading only, for `formula-pm backup`, which must run beside a
/// live server: on SQLite it takes no lock, opens only read-only connections (WAL lets them
/// read a consistent snapshot while the server writes) and refuses when there is no
/// database file; on PostgreSQL it is [`open_with`]. Never creates or migrates anything,
/// and every write through the returned `Db` fails.
pub async fn open_read_only(
    database_url: Option<&str>,
    data_dir: &Path,
    options: &OpenOptions,
) -> Result<Db, StoreError> {
    if database_url.map(str::trim).is_some_and(|u| !u.is_empty()) {
        return open_with(database_url, data_dir, options).await;
    }
    let file = data_dir.join(SQLITE_FILE);
    if !file.is_file() {
        return Err(StoreError::Io {
            what: format!("no database at {}", file.display()),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let connect = |max: u32| {
        SqlitePoolOptions::new()
            .max_connections(max)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(&file)
                    .read_only(true)
                    .busy_timeout(Duration::from_secs(5)),
            )
    };
    let connect_err = |source| StoreError::Connect {
        backend: "sqlite",
        source,
    };
    let read = connect(options.sqlite_readers.max(1))
        .await
        .map_err(connect_err)?;
    let write = connect(1).await.map_err(connect_err)?;
    Ok(Db {
        pool: Pool::Sqlite { read, write },
        _lock: None,
        timing: std::sync::OnceLock::new(),
        watchdog: None,
        // The server's own checkpointer looks after the log; a reader never writes.
        checkpointer: None,
    })
}

/// Takes the exclusive advisory lock on `data_dir/formula-pm.lock`. Two servers writing one
/// SQLite file would each queue writes on their own single writer and contend on the
/// file lock; refusing the second at start is clearer.
fn lock_data_dir(data_dir: &Path) -> Result<File, StoreError> {
    let path: PathBuf = data_dir.join(LOCK_FILE);
    let file = FileOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| StoreError::Io {
            what: format!("cannot open lock file {}", path.display()),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked {
            data_dir: data_dir.display().to_string(),
            lock_file: path.display().to_string(),
        }),
        Err(TryLockError::Error(source)) => Err(StoreError::Io {
            what: format!("cannot lock {}", path.display()),
            source,
        }),
    }
}

impl Db {
    /// Applies the embedded migrations that have not run yet. Safe to call on every start;
    /// on PostgreSQL concurrent callers wait for each other (sqlx takes an advisory lock).
    ///
    /// A database already migrated further by a newer release is accepted: its extra
    /// migrations are ignored, so during a rolling update or a rollback the previous release
    /// keeps running on the new schema. Migrations are written for that (expand, then
    /// contract in a later release — see docs/deployment.md).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite { write, .. } => {
                let mut m = sqlx::migrate!("migrations/sqlite");
                m.set_ignore_missing(true);
                m.run(write).await?;
            }
            Pool::Postgres(pool) => {
                let mut m = sqlx::migrate!("migrations/postgres");
                m.set_ignore_missing(true);
                // A migration may rightly take longer than DB_STATEMENT_TIMEOUT_MS (an index
                // on a big table); the connection goes back to the pool with its default.
                let mut conn = pool
                    .acquire()
                    .await
                    .map_err(sqlx::migrate::MigrateError::from)?;
                sqlx::query("SET statement_timeout = 0")
                    .execute(&mut *conn)
                    .await
                    .map_err(sqlx::migrate::MigrateError::from)?;
                let migrated = m.run(&mut *conn).await;
                let _ = sqlx::query("RESET statement_timeout")
                    .execute(&mut *conn)
                    .await;
                migrated?;
            }
        }
        Ok(())
    }

    /// Applies the embedded migrations up to and including `version` only: for tests that
    /// put rows into an older schema and then check what a later migration made of them.
    #[doc(hidden)]
    pub async fn migrate_until(&self, version: i64) -> Result<(), StoreError> {
        fn upto(mut m: sqlx::migrate::Migrator, version: i64) -> sqlx::migrate::Migrator {
            let kept: Vec<_> = m
                .migrations
                .iter()
                .filter(|x| x.version <= version)
                .cloned()
                .collect();
            m.migrations = kept.into();
            m.set_ignore_missing(true);
            m
        }
        match &self.pool {
            Pool::Sqlite { write, .. } => {
                upto(sqlx::migrate!("migrations/sqlite"), version)
                    .run(write)
                    .await?;
            }
            Pool::Postgres(pool) => {
                upto(sqlx::migrate!("migrations/postgres"), version)
                    .run(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// The value of a PostgreSQL setting in the store's own sessions (`None` on SQLite): for
    /// tests of what the pool sets when it connects.
    #[doc(hidden)]
    pub async fn postgres_setting(&self, name: &str) -> Result<Option<String>, sqlx::Error> {
        match &self.pool {
            Pool::Sqlite { .. } => Ok(None),
            Pool::Postgres(pool) => Ok(Some(
                sqlx::query_scalar("SELECT current_setting($1)")
                    .bind(name)
                    .fetch_one(pool)
                    .await?,
            )),
        }
    }

    /// Which backend is open.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite { .. } => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Connection usage summed over the pools (SQLite: readers + the writer). No I/O.
    pub fn pool_status(&self) -> PoolStatus {
        fn one<DB: sqlx::Database>(p: &sqlx::Pool<DB>) -> PoolStatus {
            PoolStatus {
                size: p.size(),
                idle: u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
                max: p.options().get_max_connections(),
            }
        }
        match &self.pool {
            Pool::Sqlite { read, write } => {
                let (r, w) = (one(read), one(write));
                PoolStatus {
                    size: r.size + w.size,
                    idle: r.idle + w.idle,
                    max: r.max + w.max,
                }
            }
            Pool::Postgres(pool) => one(pool),
        }
    }

    /// Time to check a connection out of each pool now, the longest of them; the
    /// connections go straight back. Used as the pool wait-time sample for metrics.
    async fn acquire_wait(&self) -> Result<std::time::Duration, crate::error::DbError> {
        async fn one<DB: sqlx::Database>(
            p: &sqlx::Pool<DB>,
        ) -> Result<std::time::Duration, sqlx::Error> {
            let started = std::time::Instant::now();
            drop(p.acquire().await?);
            Ok(started.elapsed())
        }
        Ok(match &self.pool {
            Pool::Sqlite { read, write } => one(read).await?.max(one(write).await?),
            Pool::Postgres(pool) => one(pool).await?,
        })
    }

    /// Closes every connection, waiting for ones in use to be returned. The SQLite lock
    /// is released when the `Db` is dropped.
    pub async fn close(&self) {
        if let Some(watchdog) = &self.watchdog {
            watchdog.stop();
        }
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.stop();
        }
        match &self.pool {
            Pool::Sqlite { read, write } => {
                read.close().await;
                // Closing the last writer checkpoints the WAL into the main file.
                write.close().await;
            }
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

#[repo]
impl Database for Db {
    fn backend(&self) -> &'static str {
        Db::backend(self).as_str()
    }

    fn pool_status(&self) -> PoolStatus {
        Db::pool_status(self)
    }

    async fn ping(&self) -> DbResult<()> {
        on_reader!(self, |conn| fetch_scalar!(
            conn,
            i32,
            Stmt::new("SELECT 1")
        )?);
        Ok(())
    }

    async fn pool_acquire_wait(&self) -> DbResult<std::time::Duration> {
        self.acquire_wait().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_schema_migrated_further_by_a_newer_release_is_accepted() {
        let dir = std::env::temp_dir().join(format!("formula-pool-{}", uuid::Uuid::now_v7()));
        let db = open(None, &dir).await.unwrap();
        db.migrate().await.unwrap();
        // What a newer release's extra migration leaves behind.
        if let Pool::Sqlite { write, .. } = &db.pool {
            sqlx::query(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (99990101000000, 'from a newer release', 1, x'00', 0)",
            )
            .execute(write)
            .await
            .unwrap();
        }
        db.migrate()
            .await
            .expect("the previous release starts on the newer schema");
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
