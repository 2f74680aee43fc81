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
//! The list of tables below is the only one: dumping, loading, the "is the target empty"
//! check, clearing under `--force` and the count comparison all walk it. A new migration
//! that adds a table adds it here, after the tables it references.

use std::collections::BTreeMap;
use std::io::BufRead;

use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::pool::{Db, POSTGRES_MIGRATIONS, Pool, SQLITE_MIGRATIONS};
use crate::sql::{Arg, SQLITE_TS, Stmt};

/// Row counts per table, by table name.
pub type TableCounts = BTreeMap<String, u64>;

/// How a column's value is read, written as JSON and bound back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Uuid,
    Text,
    /// 64-bit integer (`bigint`; money in minor units, versions).
    Int,
    /// 32-bit integer (`integer` on PostgreSQL).
    Int4,
    Float,
    Date,
    /// Timestamp, UTC, microseconds.
    Ts,
}

/// One dumped table: its columns in schema order and its primary key (the dump order).
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    key: &'static [&'static str],
}

use Kind::{Date as D, Float as F, Int as I, Int4 as I4, Text as T, Ts as TS, Uuid as U};

/// Every dumped table, parents before the tables that reference them.
///
/// `sessions` and `password_resets` are left out on purpose: they are short-lived
/// credentials, worthless after a move and dangerous in an archive; a restore clears them
/// (see [`CLEARED_NOT_DUMPED`]) and everyone signs in again. So is `scheduler_leases`,
/// which only says which running instance leads the scheduler.
const TABLES: &[Table] = &[
    Table {
        name: "clients",
        columns: &[
            ("id", U),
            ("name", T),
            ("client_type", T),
            ("status", T),
            ("address", T),
            ("website", T),
            ("notes", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "contacts",
        columns: &[
            ("id", U),
            ("client_id", U),
            ("name", T),
            ("role", T),
            ("email", T),
            ("phone", T),
        ],
        key: &["id"],
    },
    Table {
        name: "users",
        columns: &[
            ("id", U),
            ("email", T),
            ("name", T),
            ("role", T),
            ("job_title", T),
            ("phone", T),
            ("skills", T),
            ("status", T),
            ("client_id", U),
            ("password_hash", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "api_tokens",
        columns: &[
            ("id", U),
            ("user_id", U),
            ("name", T),
            ("prefix", T),
            ("token_hash", T),
            ("created_at", TS),
            ("expires_at", TS),
            ("last_used_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "mail_outbox",
        columns: &[
            ("id", U),
            ("to_address", T),
            ("subject", T),
            ("body", T),
            ("status", T),
            ("created_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "projects",
        columns: &[
            ("id", U),
            ("code", T),
            ("name", T),
            ("client_id", U),
            ("sector", T),
            ("business_line", T),
            ("priority", T),
            ("status", T),
            ("manager_id", U),
            ("start_date", D),
            ("end_date", D),
            ("contract_value_minor", I),
            ("budget_minor", I),
            ("currency", T),
            ("location", T),
            ("contract_number", T),
            ("description", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "project_members",
        columns: &[
            ("project_id", U),
            ("user_id", U),
            ("role", T),
            ("added_at", TS),
        ],
        key: &["project_id", "user_id"],
    },
    Table {
        name: "tasks",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("title", T),
            ("description", T),
            ("status", T),
            ("priority", T),
            ("assignee_id", U),
            ("start_date", D),
            ("due_date", D),
            ("estimated_hours", F),
            ("actual_hours", F),
            ("progress", I4),
            ("completed_at", TS),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "scope_groups",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("name", T),
            ("letter", T),
            ("position", I),
            ("created_at", TS),
            ("updated_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "scope_items",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("group_id", U),
            ("code", T),
            ("name", T),
            ("description", T),
            ("location", T),
            ("quantity_milli", I),
            ("unit", T),
            ("unit_price_minor", I),
            ("total_minor", I),
            ("budget_cost_minor", I),
            ("actual_cost_minor", I),
            ("status", T),
            ("progress", I4),
            ("drawing_required", I4),
            ("spec_required", I4),
            ("position", I),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
            ("released_at", TS),
            ("released_by", U),
            ("release_note", T),
        ],
        key: &["id"],
    },
    Table {
        name: "drawings",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("number", T),
            ("title", T),
            ("kind", T),
            ("area", T),
            ("scheme", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "drawing_revisions",
        columns: &[
            ("id", U),
            ("drawing_id", U),
            ("seq", I),
            ("label", T),
            ("status", T),
            ("notes", T),
            ("file_name", T),
            ("file_size", I),
            ("file_sha256", T),
            ("file_mime", T),
            ("blob_key", T),
            ("uploaded_by", U),
            ("uploaded_at", TS),
            ("submitted_at", TS),
            ("decided_at", TS),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "drawing_reviews",
        columns: &[
            ("id", U),
            ("revision_id", U),
            ("reviewer_id", U),
            ("reviewer_name", T),
            ("decision", T),
            ("comments", T),
            ("at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "drawing_scope_items",
        columns: &[("drawing_id", U), ("scope_item_id", U)],
        key: &["drawing_id", "scope_item_id"],
    },
    Table {
        name: "specs",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("code", T),
            ("description", T),
            ("category", T),
            ("material", T),
            ("finish", T),
            ("colour", T),
            ("dimensions", T),
            ("hardware", T),
            ("quantity_milli", I),
            ("unit", T),
            ("unit_cost_minor", I),
            ("total_minor", I),
            ("supplier", T),
            ("supplier_contact", T),
            ("part_number", T),
            ("lead_time_days", I4),
            ("location", T),
            ("phase", T),
            ("needed_on", D),
            ("status", T),
            ("procurement", T),
            ("po_number", T),
            ("order_date", D),
            ("expected_delivery", D),
            ("delivered_milli", I),
            ("created_at", TS),
            ("updated_at", TS),
            ("updated_by", U),
            ("version", I),
        ],
        key: &["id"],
    },
    Table {
        name: "spec_reviews",
        columns: &[
            ("id", U),
            ("spec_id", U),
            ("reviewer_id", U),
            ("reviewer_name", T),
            ("decision", T),
            ("comments", T),
            ("at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "spec_scope_items",
        columns: &[("spec_id", U), ("scope_item_id", U)],
        key: &["spec_id", "scope_item_id"],
    },
    Table {
        name: "spec_drawings",
        columns: &[("spec_id", U), ("drawing_id", U)],
        key: &["spec_id", "drawing_id"],
    },
    Table {
        name: "project_settings",
        columns: &[
            ("project_id", U),
            ("require_materials_ordered", I4),
            ("client_approvals", I4),
        ],
        key: &["project_id"],
    },
    Table {
        name: "project_reviewers",
        columns: &[("project_id", U), ("user_id", U)],
        key: &["project_id", "user_id"],
    },
    Table {
        name: "audit_log",
        columns: &[
            ("id", U),
            ("at", TS),
            ("actor_id", U),
            ("actor_name", T),
            ("action", T),
            ("entity_type", T),
            ("entity_id", U),
            ("entity_label", T),
            ("changes", T),
            ("request_id", T),
            ("ip", T),
            ("user_agent", T),
        ],
        key: &["id"],
    },
    // Migration 0002. Jobs are kept: a queued email or a dead job an admin has yet to look
    // at is data; a stale `locked_until` simply expires after the move.
    Table {
        name: "jobs",
        columns: &[
            ("id", U),
            ("kind", T),
            ("payload", T),
            ("status", T),
            ("attempts", I4),
            ("max_attempts", I4),
            ("run_at", TS),
            ("locked_by", T),
            ("locked_until", TS),
            ("last_error", T),
            ("unique_key", T),
            ("created_at", TS),
            ("updated_at", TS),
            ("finished_at", TS),
        ],
        key: &["id"],
    },
    // Migration 0009. Pending file removals travel too, so a restored server still removes
    // the files the archive carries for records that were already deleted.
    Table {
        name: "attachments",
        columns: &[
            ("id", U),
            ("project_id", U),
            ("owner_kind", T),
            ("owner_id", U),
            ("purpose", T),
            ("caption", T),
            ("file_name", T),
            ("file_size", I),
            ("file_sha256", T),
            ("file_mime", T),
            ("blob_key", T),
            ("uploaded_by", U),
            ("uploaded_at", TS),
        ],
        key: &["id"],
    },
    Table {
        name: "deleted_files",
        columns: &[("blob_key", T)],
        key: &["blob_key"],
    },
];

/// Tables a restore empties (with `--force`) but a dump never holds: ephemeral
/// credentials that belong to the database being replaced. Cleared before the dumped tables
/// because they reference `users`.
const CLEARED_NOT_DUMPED: &[&str] = &["sessions", "password_resets", "scheduler_leases"];

/// Tables that triggers keep from the dumped ones (migration 0010): never dumped, and
/// rebuilt as a load inserts the rows they are derived from.
const DERIVED: &[&str] = &["project_rollups"];

/// Rows fetched per round trip while dumping (keyset paging inside the one transaction).
const PAGE: usize = 1_000;

const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

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

/// A value as JSON, per its kind. Timestamps are fixed-width so the text compares like the
/// instants and is the same whichever backend produced it.
fn ts_json(t: OffsetDateTime) -> Result<serde_json::Value, String> {
    let utc = t.to_offset(time::UtcOffset::UTC);
    let ns = utc.nanosecond();
    let utc = utc.replace_nanosecond(ns - ns % 1_000).unwrap_or(utc);
    utc.format(SQLITE_TS)
        .map(serde_json::Value::String)
        .map_err(|e| e.to_string())
}

fn date_json(d: Date) -> Result<serde_json::Value, String> {
    d.format(DATE)
        .map(serde_json::Value::String)
        .map_err(|e| e.to_string())
}

fn float_json(f: f64) -> Result<serde_json::Value, String> {
    serde_json::Number::from_f64(f)
        .map(serde_json::Value::Number)
        .ok_or_else(|| format!("{f} is not a finite number"))
}

/// Reads column `$i` of `$row` as `$kind` into a JSON value (NULL → `null`). Expanded per
/// backend, where the row type is concrete.
macro_rules! cell_json {
    ($row:expr, $i:expr, $kind:expr) => {{
        use sqlx::Row as _;
        fn some<V>(
            v: Option<V>,
            f: impl FnOnce(V) -> Result<serde_json::Value, String>,
        ) -> Result<serde_json::Value, String> {
            v.map_or(Ok(serde_json::Value::Null), f)
        }
        let r: Result<Result<serde_json::Value, String>, sqlx::Error> = match $kind {
            Kind::Uuid => $row
                .try_get::<Option<Uuid>, _>($i)
                .map(|v| some(v, |u| Ok(serde_json::Value::String(u.to_string())))),
            Kind::Text => $row
                .try_get::<Option<String>, _>($i)
                .map(|v| some(v, |s| Ok(serde_json::Value::String(s)))),
            Kind::Int => $row
                .try_get::<Option<i64>, _>($i)
                .map(|v| some(v, |n| Ok(serde_json::Value::from(n)))),
            Kind::Int4 => $row
                .try_get::<Option<i32>, _>($i)
                .map(|v| some(v, |n| Ok(serde_json::Value::from(n)))),
            Kind::Float => $row
                .try_get::<Option<f64>, _>($i)
                .map(|v| some(v, float_json)),
            Kind::Date => $row
                .try_get::<Option<Date>, _>($i)
                .map(|v| some(v, date_json)),
            Kind::Ts => $row
                .try_get::<Option<OffsetDateTime>, _>($i)
                .map(|v| some(v, ts_json)),
        };
        r
    }};
}

/// Dumps every table on `$conn` (inside the caller's read transaction) into `$sink`.
macro_rules! dump_on {
    ($conn:expr, $sink:expr) => {{
        let mut counts = TableCounts::new();
        for table in TABLES {
            ($sink)(DumpEvent::Table(table.name)).map_err(DumpError::Sink)?;
            let mut after: Option<Vec<Arg>> = None;
            let mut n: u64 = 0;
            loop {
                let stmt = page_stmt(table, after.take());
                let rows = bind_args!(sqlx::query(&stmt.sql), stmt.args)
                    .fetch_all(&mut *$conn)
                    .await?;
                let mut last: Vec<serde_json::Value> = Vec::new();
                for row in &rows {
                    let mut line = String::with_capacity(256);
                    line.push('{');
                    last.clear();
                    for (i, (column, kind)) in table.columns.iter().enumerate() {
                        let value =
                            cell_json!(row, i, *kind)?.map_err(|message| DumpError::BadValue {
                                table: table.name,
                                column,
                                message,
                            })?;
                        if i > 0 {
                            line.push(',');
                        }
                        line.push('"');
                        line.push_str(column);
                        line.push_str("\":");
                        line.push_str(&value.to_string());
                        if table.key.contains(column) {
                            last.push(value);
                        }
                    }
                    line.push('}');
                    ($sink)(DumpEvent::Row {
                        table: table.name,
                        line: &line,
                    })
                    .map_err(DumpError::Sink)?;
                    n += 1;
                }
                if rows.len() < PAGE {
                    break;
                }
                after = Some(key_args(table, &last)?);
            }
            counts.insert(table.name.to_owned(), n);
        }
        counts
    }};
}

/// One page of a table in key order, after the key of the previous page's last row.
fn page_stmt(table: &Table, after: Option<Vec<Arg>>) -> Stmt {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let key = table.key.join(", ");
    let mut stmt = Stmt::new(String::new());
    let filter = match after {
        Some(args) => {
            let placeholders: Vec<String> = args.into_iter().map(|a| stmt.arg(a)).collect();
            format!(" WHERE ({key}) > ({})", placeholders.join(", "))
        }
        None => String::new(),
    };
    stmt.sql = format!(
        "SELECT {} FROM {}{filter} ORDER BY {key} LIMIT {PAGE}",
        columns.join(", "),
        table.name
    );
    stmt
}

/// The key values of a dumped row (in key order) as bind values for the next page.
fn key_args(table: &Table, values: &[serde_json::Value]) -> Result<Vec<Arg>, DumpError> {
    table
        .key
        .iter()
        .zip(values)
        .map(|(column, value)| {
            let kind = table
                .columns
                .iter()
                .find(|(c, _)| c == column)
                .map_or(Kind::Text, |(_, k)| *k);
            json_arg(kind, value).map_err(|message| DumpError::BadValue {
                table: table.name,
                column,
                message,
            })
        })
        .collect()
}

/// A JSON value as the bind value for a column of `kind` (`null` → a typed NULL).
fn json_arg(kind: Kind, value: &serde_json::Value) -> Result<Arg, String> {
    use serde_json::Value as J;
    let wrong = |what: &str| format!("expected {what}, got {value}");
    Ok(match (kind, value) {
        (Kind::Uuid, J::Null) => Arg::Uuid(None),
        (Kind::Text, J::Null) => Arg::Text(None),
        (Kind::Int, J::Null) => Arg::Int(None),
        (Kind::Int4, J::Null) => Arg::Int4(None),
        (Kind::Float, J::Null) => Arg::Float(None),
        (Kind::Date, J::Null) => Arg::Date(None),
        (Kind::Ts, J::Null) => Arg::Ts(None),
        (Kind::Uuid, J::String(s)) => Arg::from(Uuid::parse_str(s).map_err(|_| wrong("a UUID"))?),
        (Kind::Text, J::String(s)) => Arg::from(s.as_str()),
        (Kind::Int, J::Number(n)) => Arg::from(n.as_i64().ok_or_else(|| wrong("an integer"))?),
        (Kind::Int4, J::Number(n)) => Arg::from(
            n.as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| wrong("a 32-bit integer"))?,
        ),
        (Kind::Float, J::Number(n)) => Arg::from(n.as_f64().ok_or_else(|| wrong("a number"))?),
        (Kind::Date, J::String(s)) => {
            Arg::from(Date::parse(s, DATE).map_err(|_| wrong("a date YYYY-MM-DD"))?)
        }
        (Kind::Ts, J::String(s)) => Arg::from(
            OffsetDateTime::parse(s, &Rfc3339).map_err(|_| wrong("an RFC 3339 timestamp"))?,
        ),
        (Kind::Uuid, _) => return Err(wrong("a UUID string")),
        (Kind::Text, _) => return Err(wrong("a string")),
        (Kind::Int | Kind::Int4, _) => return Err(wrong("an integer")),
        (Kind::Float, _) => return Err(wrong("a number")),
        (Kind::Date, _) => return Err(wrong("a date string")),
        (Kind::Ts, _) => return Err(wrong("a timestamp string")),
    })
}

/// The INSERT for one dumped line. Only the columns the line names are written, so an
/// archive made before a migration added a column loads with that column's default; a
/// column this binary does not know is refused rather than silently dropped.
fn insert_stmt(table: &Table, line: &str) -> Result<Stmt, String> {
    let row: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    if let Some(unknown) = row
        .keys()
        .find(|k| !table.columns.iter().any(|(c, _)| c == k))
    {
        return Err(format!(
            "unknown column {unknown:?} (was the archive made by a newer version?)"
        ));
    }
    let mut stmt = Stmt::new(String::new());
    let mut names = Vec::with_capacity(row.len());
    let mut placeholders = Vec::with_capacity(row.len());
    for (column, kind) in table.columns {
        if let Some(value) = row.get(*column) {
            let arg = json_arg(*kind, value).map_err(|m| format!("column {column}: {m}"))?;
            names.push(*column);
            placeholders.push(stmt.arg(arg));
        }
    }
    stmt.sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        table.name,
        names.join(", "),
        placeholders.join(", ")
    );
    Ok(stmt)
}

/// Counts the rows of every dumped table on `$conn`.
macro_rules! count_on {
    ($conn:expr) => {{
        let mut counts = TableCounts::new();
        for table in TABLES {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", table.name))
                .fetch_one(&mut *$conn)
                .await?;
            counts.insert(table.name.to_owned(), u64::try_from(n).unwrap_or(0));
        }
        counts
    }};
}

impl Db {
    /// Dumps every table in one read transaction (a consistent snapshot: a single read
    /// transaction on SQLite's WAL, `REPEATABLE READ` on PostgreSQL), handing each table and
    /// each row to `sink` in dependency order. Returns the row count per table.
    pub async fn dump<F>(&self, mut sink: F) -> Result<TableCounts, DumpError>
    where
        F: FnMut(DumpEvent<'_>) -> std::io::Result<()>,
    {
        match &self.pool {
            Pool::Sqlite { read, .. } => {
                let mut tx = read.begin().await?;
                let counts = dump_on!(tx, sink);
                tx.rollback().await?;
                Ok(counts)
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                let counts = dump_on!(tx, sink);
                tx.rollback().await?;
                Ok(counts)
            }
        }
    }

    /// Loads a dump in one transaction: refuses a non-empty target unless
    /// `options.replace` (then empties the tables first, children before parents), inserts
    /// each table's lines as `open(table)` supplies them (`None`: the dump has no such table,
    /// it stays empty), then checks the counts against `options.expected`. Any failure rolls
    /// everything back. Run [`Db::migrate`] first so the schema exists.
    pub async fn load<F, R>(
        &self,
        mut open: F,
        options: &LoadOptions,
    ) -> Result<TableCounts, DumpError>
    where
        F: FnMut(&'static str) -> std::io::Result<Option<R>>,
        R: BufRead,
    {
        let counts = in_tx!(self, |tx| {
            let before = count_on!(tx);
            if before.values().any(|n| *n > 0) {
                if !options.replace {
                    return Err(DumpError::NotEmpty(before));
                }
                let clear = CLEARED_NOT_DUMPED
                    .iter()
                    .copied()
                    .chain(TABLES.iter().rev().map(|t| t.name));
                for name in clear {
                    sqlx::query(&format!("DELETE FROM {name}"))
                        .execute(&mut *tx)
                        .await?;
                }
                // Emptying tables that own files noted those files for removal (migration
                // 0009's triggers). The database is replaced whole, its files with it: keeping
                // those notes would remove restored files that happen to share their keys.
                sqlx::query("DELETE FROM deleted_files")
                    .execute(&mut *tx)
                    .await?;
            }
            for table in TABLES {
                let source = |source| DumpError::Source {
                    table: table.name,
                    source,
                };
                let Some(reader) = open(table.name).map_err(source)? else {
                    continue;
                };
                for (i, line) in reader.lines().enumerate() {
                    let line = line.map_err(source)?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    let line_no = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
                    let bad = |message: String| DumpError::BadRow {
                        table: table.name,
                        line: line_no,
                        message,
                    };
                    let stmt = insert_stmt(table, &line).map_err(bad)?;
                    exec!(&mut *tx, stmt).map_err(|e| bad(e.to_string()))?;
                }
            }
            let after = count_on!(tx);
            if let Some(expected) = &options.expected {
                check_counts(expected, &after)?;
            }
            after
        });
        Ok(counts)
    }

    /// Row counts of every dumped table, read now.
    pub async fn table_counts(&self) -> Result<TableCounts, DumpError> {
        match &self.pool {
            Pool::Sqlite { read, .. } => {
                let mut conn = read.acquire().await?;
                Ok(count_on!(conn))
            }
            Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                Ok(count_on!(conn))
            }
        }
    }

    /// Tables in this database's schema that the dump neither holds nor clears: a table a
    /// migration added without adding it to the list here (a test keeps this empty).
    pub async fn undeclared_tables(&self) -> Result<Vec<String>, DumpError> {
        let names: Vec<String> = match &self.pool {
            Pool::Sqlite { read, .. } => {
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .fetch_all(read)
                    .await?
            }
            Pool::Postgres(pool) => {
                sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                )
                .fetch_all(pool)
                .await?
            }
        };
        let mut undeclared: Vec<String> = names
            .into_iter()
            .filter(|n| {
                n != "_sqlx_migrations"
                    && !n.starts_with("sqlite_")
                    && !TABLES.iter().any(|t| t.name == n)
                    && !CLEARED_NOT_DUMPED.contains(&n.as_str())
                    && !DERIVED.contains(&n.as_str())
            })
            .collect();
        undeclared.sort();
        Ok(undeclared)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_declared_once_with_their_keys() {
        let mut seen = std::collections::BTreeSet::new();
        for t in TABLES {
            assert!(seen.insert(t.name), "{} twice", t.name);
            for k in t.key {
                assert!(t.columns.iter().any(|(c, _)| c == k), "{}.{k}", t.name);
            }
        }
        for t in CLEARED_NOT_DUMPED {
            assert!(!seen.contains(t));
        }
    }

    #[test]
    fn values_round_trip_through_json() {
        let t = OffsetDateTime::parse("2026-01-02T03:04:05.1234567+02:00", &Rfc3339)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(
            ts_json(t),
            Ok(serde_json::json!("2026-01-02T01:04:05.123456Z"))
        );
        assert!(json_arg(Kind::Int4, &serde_json::json!(5_000_000_000_i64)).is_err());
        assert!(json_arg(Kind::Uuid, &serde_json::json!("nope")).is_err());
        assert!(matches!(
            json_arg(Kind::Date, &serde_json::Value::Null),
            Ok(Arg::Date(None))
        ));
        let third = 1.0_f64 / 3.0;
        let text = float_json(third).map(|v| v.to_string()).unwrap_or_default();
        let back: f64 = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back.to_bits(), third.to_bits());
    }

    #[test]
    fn unknown_columns_are_refused() {
        let table = &TABLES[0];
        let err = insert_stmt(
            table,
            r#"{"id":"0190b4c2-0000-7000-8000-000000000000","colour":"red"}"#,
        );
        assert!(err.is_err_and(|e| e.contains("colour")));
    }
}
