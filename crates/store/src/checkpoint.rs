//! SQLite: WAL checkpoints off the writer's path. By default SQLite checkpoints inside the
//! commit that takes the write-ahead log past 1,000 pages, so every few hundred writes one
//! request pays for copying the log into the database file and syncing it. The writer runs
//! with `wal_autocheckpoint=0` instead, and this task checkpoints on a connection of its own
//! every [`INTERVAL`] (`PASSIVE`: it never waits for, nor blocks, readers or the writer; WAL
//! lets the writer append while frames are copied). SQLite restarts the log from its start
//! once every frame is checkpointed and no reader needs them, and `journal_size_limit` keeps
//! the file from staying large after a burst.

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};
use tokio::task::JoinHandle;

/// How often the log is checkpointed: every 500 ms synced so often that the writer's appends
/// stalled behind it, every 2 s let the log grow long between; see docs/performance.md.
const INTERVAL: Duration = Duration::from_secs(1);

/// The background checkpointer of one SQLite database.
pub(crate) struct Checkpointer {
    task: JoinHandle<()>,
}

/// What one checkpoint did: frames in the log, and how many of them are now in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checkpointed {
    pub(crate) log: i64,
    pub(crate) done: i64,
}

/// One `PASSIVE` checkpoint on `conn`.
pub(crate) async fn checkpoint(conn: &mut SqliteConnection) -> Result<Checkpointed, sqlx::Error> {
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Checkpointed {
        log: row.try_get(1)?,
        done: row.try_get(2)?,
    })
}

impl Checkpointer {
    /// Opens the checkpointer's own connection and starts checkpointing.
    pub(crate) async fn spawn(options: &SqliteConnectOptions) -> Result<Checkpointer, sqlx::Error> {
        let mut conn = SqliteConnection::connect_with(options).await?;
        let task = tokio::spawn(async move {
            let mut failing = false;
            loop {
                tokio::time::sleep(INTERVAL).await;
                match checkpoint(&mut conn).await {
                    Ok(_) => failing = false,
                    Err(error) => {
                        // Logged once per run of failures; the next commit still appends to
                        // the log, so nothing is lost, only the log grows until it works.
                        if !failing {
                            tracing::warn!(target: "formula_pm::store", %error, "SQLite checkpoint failed");
                        }
                        failing = true;
                    }
                }
            }
        });
        Ok(Checkpointer { task })
    }

    /// Stops checkpointing (closing the last connection checkpoints what is left).
    pub(crate) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sqlx::sqlite::SqliteJournalMode;

    use super::*;

    /// With automatic checkpoints off, commits only append to the log; one checkpoint on
    /// another connection then moves every frame into the database file.
    #[tokio::test]
    async fn a_checkpoint_beside_the_writer_moves_the_whole_log() {
        let dir = std::env::temp_dir().join(format!("formula-ckpt-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.join("db.sqlite3"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", "0");
        let mut writer = SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::query("CREATE TABLE t (v TEXT)")
            .execute(&mut writer)
            .await
            .unwrap();
        for n in 0..2_000 {
            sqlx::query("INSERT INTO t (v) VALUES ($1)")
                .bind(format!("row {n} {}", "x".repeat(100)))
                .execute(&mut writer)
                .await
                .unwrap();
        }
        let mut other = SqliteConnection::connect_with(&options).await.unwrap();
        let done = checkpoint(&mut other).await.unwrap();
        assert!(done.log > 1_000, "the writer did not checkpoint: {done:?}");
        assert_eq!(done.done, done.log, "{done:?}");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut other)
            .await
            .unwrap();
        assert_eq!(n, 2_000);
        drop((writer, other));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
