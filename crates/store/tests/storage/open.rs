//! Opening a database: the DATA_DIR lock, refused URLs, and migrations.

use formula_app::repos::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;

use formula_app::query::ProjectQuery;
use formula_domain::authz::ProjectScope;
use formula_store::Db;

use crate::support;

pub async fn migrations_are_idempotent(db: &Db) {
    db.migrate().await.expect("a second migrate is a no-op");
    db.ping().await.unwrap();
    assert_eq!(db.count_users().await.unwrap(), 0);
    assert_eq!(
        db.list_projects(&ProjectQuery::default(), ProjectScope::All)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        formula_app::repos::Database::backend(db),
        db.backend().as_str()
    );
}

/// Both backends keep one migration history with the same file names.
#[test]
fn migration_files_match_between_backends() {
    let names = |backend: &str| -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let (sqlite, postgres) = (names("sqlite"), names("postgres"));
    assert!(!sqlite.is_empty());
    assert!(sqlite.iter().all(|n| n.ends_with(".sql")), "{sqlite:?}");
    assert_eq!(sqlite, postgres);
}

/// A second server on the same DATA_DIR is refused while the first runs, and allowed after.
/// The store's PostgreSQL sessions plan each statement once (generic plans), unless the
/// operator's DATABASE_URL says otherwise.
#[tokio::test]
async fn postgres_sessions_keep_generic_plans() {
    let t = support::postgres().await;
    assert_eq!(
        t.db.postgres_setting("plan_cache_mode")
            .await
            .unwrap()
            .as_deref(),
        Some("force_generic_plan")
    );
    t.finish().await;
}

#[tokio::test]
async fn sqlite_second_open_of_a_data_dir_is_refused() {
    let dir = support::TempDir::new("lock");
    let first = formula_store::open(None, dir.path()).await.unwrap();
    let err = match formula_store::open(None, dir.path()).await {
        Ok(_) => panic!("a second open of the same DATA_DIR must fail"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("another formula-pm server is already using DATA_DIR="),
        "{err}"
    );
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
    first.close().await;
    drop(first);
    let again = formula_store::open(Some(""), dir.path())
        .await
        .expect("the lock goes with the first Db");
    again.close().await;
}

/// Unsupported URLs are refused with a message naming DATABASE_URL, without echoing secrets.
#[tokio::test]
async fn unsupported_database_urls_are_refused() {
    let dir = support::TempDir::new("url");
    for url in [
        "mysql://root:s3cret@db/app",
        "sqlite://data.db",
        "localhost",
    ] {
        let err = match formula_store::open(Some(url), dir.path()).await {
            Ok(_) => panic!("{url} must be refused"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("DATABASE_URL"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
}

/// `open` does not migrate: the schema appears only with `migrate()`.
#[tokio::test]
async fn sqlite_open_does_not_migrate() {
    let dir = support::TempDir::new("nomigrate");
    let db = formula_store::open(None, dir.path()).await.unwrap();
    assert!(db.count_users().await.is_err());
    db.migrate().await.unwrap();
    assert_eq!(db.count_users().await.unwrap(), 0);
    assert!(dir.path().join(formula_store::SQLITE_FILE).exists());
    db.close().await;
}

both_backends! {
    migrations_are_idempotent,
}
