//! Dumping: every table, page by page in key order, inside one read transaction.

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::tables::{TABLES, Table};
use super::values::{Kind, date_json, float_json, json_arg, ts_json};
use super::{DumpError, DumpEvent, TableCounts};
use crate::pool::{Db, Pool};
use crate::sql::{Arg, Stmt};

/// Rows fetched per round trip while dumping (keyset paging inside the one transaction).
const PAGE: usize = 1_000;

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
}
