//! A real PostgreSQL server for the server tests (backups, browser flows, outages): the
//! shared throwaway server of `formula-testkit`, plus a fresh database per test, created and
//! dropped with [`Database`].

pub use formula_testkit::pg::{find_bin_dir, free_port, is_root, run, server, with_database};

/// A fresh database on the test server, dropped by [`Database::drop_now`].
pub struct Database {
    name: String,
    /// Its URL, for `DATABASE_URL`.
    pub url: String,
}

impl Database {
    /// Creates `formula_backup_<uuid>` on the shared server.
    pub fn create() -> Database {
        let name = format!("formula_backup_{}", uuid::Uuid::now_v7().simple());
        admin(&format!("CREATE DATABASE \"{name}\""));
        let url = with_database(&server().admin_url, &name);
        Database { name, url }
    }

    /// Drops the database (closing any connection left to it).
    pub fn drop_now(self) {
        admin(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ));
    }
}

/// Runs one statement on the maintenance database.
fn admin(sql: &str) {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&server().admin_url)
            .await
            .expect("admin connection");
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
        let _ = conn.close().await;
    });
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://u:p@h:5/postgres", "t1"),
        "postgres://u:p@h:5/t1"
    );
    assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
    assert_eq!(
        with_database("postgresql://h/x?sslmode=disable", "t1"),
        "postgresql://h/t1?sslmode=disable"
    );
}
