//! The portable logical dump behind `formula-pm backup`, `restore`, `export` and `import`:
//! every table as JSON lines, the same on SQLite and PostgreSQL, so an installation moves
//! between the two losslessly.
//!
//! One row is one JSON object, keys in column order. Values: UUIDs as hyphenated strings,
//! timestamps as RFC 3339 UTC with exactly six fraction digits, dates as `YYYY-MM-DD`,
//! integers (money in minor units, versions) as JSON integers, floats as JSON numbers
//! (written shortest-exact and read back exactly: `serde_json`'s `float_roundtrip`),
//! JSON-text columns as their text. Rows are ordered by primary key, which both backends
//! compare bytewise for UUIDs, so the same data dumps to the same bytes on either.
//!
//! The list of tables in `tables.rs` is the only one: dumping, loading, the "is the target
//! empty" check, clearing under `--force` and the count comparison all walk it. It is kept
//! by hand because it says what the migrations cannot (on SQLite a timestamp, a date and a
//! text are all `TEXT`; the load order the archive's entries follow), and it is checked
//! against the migrated schema of either backend ([`Db::dump_schema_mismatches`], kept
//! empty by a storage test): a table, column, type, key or reference a migration changes
//! without changing the list is named there.
//!
//! `write.rs` dumps, `read.rs` loads, `values.rs` converts values, `schema.rs` checks the
//! list against the database.

use std::collections::BTreeMap;

use crate::pool::{Db, POSTGRES_MIGRATIONS, Pool, SQLITE_MIGRATIONS};
use crate::sql::Stmt;

/// Counts the rows of every dumped table on `$conn` that the schema has (`$present`, from
/// [`Db::present_tables`]: a database at an older archive's schema version lacks the tables
/// added since; they count as empty). Defined before the modules so `read.rs` can use it too.
macro_rules! count_on {
    ($conn:expr, $present:expr) => {{
        let mut counts = TableCounts::new();
        for table in TABLES {
            let n: i64 = if $present.iter().any(|p| p == table.name) {
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", table.name))
                    .fetch_one(&mut *$conn)
                    .await?
            } else {
                0
            };
            counts.insert(table.name.to_owned(), u64::try_from(n).unwrap_or(0));
        }
        counts
    }};
}

mod read;
mod schema;
mod tables;
mod values;
mod write;

use tables::TABLES;

/// Row counts per table, by table name.
pub type TableCounts = BTreeMap<String, u64>;

/// The dumped tables, in dependency order (parents first).
pub fn dump_tables() -> impl Iterator<Item = &'static str> {
    TABLES.iter().map(|t| t.name)
}

/// The schema version this binary migrates to: the newest embedded migration.
pub fn latest_schema_version() -> i64 {
    // Both histories have the same file names (a storage test checks), so either will do.
    SQLITE_MIGRATIONS
        .iter()
        .chain(POSTGRES_MIGRATIONS.iter())
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// What a dump hands to its sink, in order: each table, then its rows.
#[derive(Debug)]
pub enum DumpEvent<'a> {
    /// A table starts (sent for every table, even an empty one).
    Table(&'static str),
    /// One row of the current table: a JSON object on one line, without the newline.
    Row {
        /// The table the row belongs to.
        table: &'static str,
        /// The row as JSON text.
        line: &'a str,
    },
}

/// What may go wrong while dumping or loading.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The database refused or failed a statement.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// The dump's consumer failed (a full disk, a closed pipe).
    #[error("cannot write the dump: {0}")]
    Sink(#[source] std::io::Error),
    /// The source of a load failed.
    #[error("cannot read the data of table {table}: {source}")]
    Source {
        /// The table being read.
        table: &'static str,
        /// The reader's error.
        #[source]
        source: std::io::Error,
    },
    /// A line of the dump cannot be loaded.
    #[error("table {table}, line {line}: {message}")]
    BadRow {
        /// The table being loaded.
        table: &'static str,
        /// 1-based line number in that table's data.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A stored value cannot be written portably (cannot happen with valid data).
    #[error("table {table}, column {column}: {message}")]
    BadValue {
        /// The table being dumped.
        table: &'static str,
        /// The column holding the value.
        column: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The target already holds data and replacing it was not asked for.
    #[error("the target database is not empty ({}); use --force to replace its contents", describe_counts(.0))]
    NotEmpty(TableCounts),
    /// A table ended up with another number of rows than expected.
    #[error("count mismatch in table {table}: expected {expected} rows, found {found}")]
    CountMismatch {
        /// The table.
        table: String,
        /// What the archive's manifest says.
        expected: u64,
        /// What the database holds after loading.
        found: u64,
    },
}

/// `clients: 4, users: 12` — only the tables that have rows.
fn describe_counts(counts: &TableCounts) -> String {
    let parts: Vec<String> = dump_tables()
        .filter_map(|t| {
            counts
                .get(t)
                .filter(|n| **n > 0)
                .map(|n| format!("{t}: {n}"))
        })
        .collect();
    parts.join(", ")
}

/// How [`Db::load`] treats the target.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Empty the tables first (`--force`); without it a non-empty target is refused.
    pub replace: bool,
    /// Row counts the loaded tables must end up with (from an archive's manifest); a
    /// mismatch rolls the whole load back.
    pub expected: Option<TableCounts>,
}

impl Db {
    /// The tables the database has now (every table, not only the dumped ones).
    pub(crate) async fn present_tables(&self) -> Result<Vec<String>, DumpError> {
        Ok(match &self.pool {
            Pool::Sqlite { read, .. } => {
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .fetch_all(read)
                    .await?
            }
            Pool::Postgres(pool) => sqlx::query_scalar(
                "SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = current_schema()",
            )
            .fetch_all(pool)
            .await?,
        })
    }

    /// Row counts of every dumped table, read now (0 for a table the schema does not have
    /// yet: a database migrated only to an older archive's version, or not at all).
    pub async fn table_counts(&self) -> Result<TableCounts, DumpError> {
        let present = self.present_tables().await?;
        match &self.pool {
            Pool::Sqlite { read, .. } => {
                let mut conn = read.acquire().await?;
                Ok(count_on!(conn, present))
            }
            Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                Ok(count_on!(conn, present))
            }
        }
    }

    /// The newest migration applied to this database (`None` before the first migrate).
    pub async fn schema_version(&self) -> Result<Option<i64>, DumpError> {
        let stmt = Stmt::new("SELECT MAX(version) FROM _sqlx_migrations WHERE success");
        Ok(on_reader!(self, |pool| fetch_scalar!(
            pool,
            Option<i64>,
            stmt
        )?))
    }
}

/// Compares counts table by table (every dumped table; a table missing from `expected`
/// must be empty), naming the first that differs.
pub fn check_counts(expected: &TableCounts, found: &TableCounts) -> Result<(), DumpError> {
    for table in dump_tables() {
        let want = expected.get(table).copied().unwrap_or(0);
        let got = found.get(table).copied().unwrap_or(0);
        if want != got {
            return Err(DumpError::CountMismatch {
                table: table.to_owned(),
                expected: want,
                found: got,
            });
        }
    }
    Ok(())
}
