//! A fresh, migrated database per test, on either backend.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use formula_store::Db;
use sqlx::Connection;

use crate::pg;

/// A temporary directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "formula-store-{label}-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

enum Cleanup {
    Dir(TempDir),
    PgDatabase(String),
}

/// An open, migrated store and what to remove afterwards.
pub struct TestDb {
    /// Shared, so a case can also run the use cases over it (see [`TestDb::services`]).
    pub db: Arc<Db>,
    cleanup: Cleanup,
}

/// A case taking `&Db` is handed the `TestDb` itself (see `both_backends!`).
impl Deref for TestDb {
    type Target = Db;

    fn deref(&self) -> &Db {
        &self.db
    }
}

impl TestDb {
    /// The use cases over this store (no mail, default configuration), for the races that
    /// only a use case can settle.
    pub fn services(&self) -> formula_app::Services {
        formula_app::Services::new(
            self.db.clone(),
            Arc::new(formula_app::mail::NoMailer),
            formula_app::AppConfig::default(),
        )
    }

    /// Runs `sql` on a connection of its own, outside the store, and returns the first
    /// column of its first row (0 when it returns none): for putting the database into a
    /// state the store would not write (such as a roll-up as of another day), and for
    /// looking at what the store keeps.
    pub async fn outside(&self, sql: &str) -> i64 {
        /// Connects with `$connect`, runs the statement, closes.
        macro_rules! scalar {
            ($connect:expr) => {{
                let mut c = $connect.await.expect("second connection");
                let v: Option<i64> = sqlx::query_scalar(sql)
                    .fetch_optional(&mut c)
                    .await
                    .expect("outside sql");
                let _ = c.close().await;
                v.unwrap_or(0)
            }};
        }
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let file = dir.path().join("formula-pm.sqlite3");
                scalar!(sqlx::SqliteConnection::connect(&format!(
                    "sqlite://{}",
                    file.display()
                )))
            }
            Cleanup::PgDatabase(name) => {
                let url = pg::with_database(&pg::server().admin_url, name);
                scalar!(sqlx::PgConnection::connect(&url))
            }
        }
    }

    /// A PostgreSQL connection of its own to this database, outside the store (for holding a
    /// transaction open while the store writes); `None` on SQLite.
    pub async fn postgres_connection(&self) -> Option<sqlx::PgConnection> {
        match &self.cleanup {
            Cleanup::Dir(_) => None,
            Cleanup::PgDatabase(name) => {
                let url = pg::with_database(&pg::server().admin_url, name);
                Some(
                    sqlx::PgConnection::connect(&url)
                        .await
                        .expect("second connection"),
                )
            }
        }
    }

    /// Closes the store and removes its database (the SQLite directory goes on drop).
    pub async fn finish(self) {
        self.db.close().await;
        if let Cleanup::PgDatabase(name) = &self.cleanup {
            let mut admin = sqlx::PgConnection::connect(&pg::server().admin_url)
                .await
                .expect("admin connection");
            sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .expect("drop test database");
            let _ = admin.close().await;
        }
    }
}

/// SQLite in a new temporary `DATA_DIR`.
pub async fn sqlite() -> TestDb {
    sqlite_until(None).await
}

/// SQLite migrated up to migration `until` only (all of them when `None`).
pub async fn sqlite_until(until: Option<i64>) -> TestDb {
    let dir = TempDir::new("sqlite");
    let db = formula_store::open(None, dir.path())
        .await
        .expect("open sqlite");
    match until {
        Some(v) => db.migrate_until(v).await.expect("migrate sqlite"),
        None => db.migrate().await.expect("migrate sqlite"),
    }
    TestDb {
        db: Arc::new(db),
        cleanup: Cleanup::Dir(dir),
    }
}

/// A new database on the test PostgreSQL server.
pub async fn postgres() -> TestDb {
    postgres_until(None).await
}

/// A new PostgreSQL database migrated up to migration `until` only (all when `None`).
pub async fn postgres_until(until: Option<i64>) -> TestDb {
    let server = pg::server();
    let name = format!("formula_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&server.admin_url)
        .await
        .expect("admin connection");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let url = pg::with_database(&server.admin_url, &name);
    let options = formula_store::OpenOptions {
        max_connections: 5,
        ..Default::default()
    };
    let db = formula_store::open_with(Some(&url), Path::new("/nonexistent"), &options)
        .await
        .expect("open postgres");
    match until {
        Some(v) => db.migrate_until(v).await.expect("migrate postgres"),
        None => db.migrate().await.expect("migrate postgres"),
    }
    TestDb {
        db: Arc::new(db),
        cleanup: Cleanup::PgDatabase(name),
    }
}
