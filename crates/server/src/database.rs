//! Opening the database the configuration names: SQLite in `DATA_DIR` when `DATABASE_URL`
//! is unset, PostgreSQL otherwise. The store itself lives in `formula-store`.

use std::sync::Arc;

use anyhow::anyhow;
use formula_app::ports::Store;

use crate::config::{Config, Secret};

/// An open database: the store port for the use cases, plus what is needed to close it.
pub struct Database {
    db: Arc<formula_store::Db>,
    store: Arc<dyn Store>,
}

impl Database {
    /// Opens the database and applies pending migrations. The store's errors already name
    /// the setting to fix (DATABASE_URL, DATA_DIR) and include their cause, so only their
    /// message is kept (the cause chain would repeat it).
    pub async fn open_and_migrate(config: &Config) -> anyhow::Result<Database> {
        let described = config.database_description();
        let url = config.database_url.as_ref().map(Secret::expose);
        // The watchdog's probe gets the time readiness gives the database.
        let probe = std::time::Duration::from_millis(config.ops.health_db_timeout_ms);
        let options = config.database.open_options(probe);
        let db = formula_store::open_with(url, &config.data_dir, &options)
            .await
            .map_err(|e| match url {
                Some(_) => anyhow!("{e} (DATABASE_URL: {described})"),
                None => anyhow!("{e}"),
            })?;
        if let Err(e) = db.migrate().await {
            db.close().await;
            return Err(anyhow!("{e} ({described})"));
        }
        let db = Arc::new(db);
        let store: Arc<dyn Store> = db.clone();
        tracing::info!(database = %described, backend = store.backend(), "database ready");
        Ok(Database { db, store })
    }

    /// The store port, for `Services`.
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// Reports every store call's duration to `observe`; calls slower than `slow` are logged.
    pub fn time_queries(&self, observe: formula_store::QueryObserver, slow: std::time::Duration) {
        self.db.time_queries(observe, slow);
    }

    /// Closes connections (and, for SQLite, checkpoints the write-ahead log).
    pub async fn close(self) {
        drop(self.store);
        self.db.close().await;
    }
}
