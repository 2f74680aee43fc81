//! Loading: a dump into an emptied (or empty) database, all or nothing.

use std::io::BufRead;

use super::tables::{CLEARED_NOT_DUMPED, TABLES, Table};
use super::values::json_arg;
use super::{DumpError, LoadOptions, TableCounts, check_counts};
use crate::pool::Db;
use crate::sql::Stmt;

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

impl Db {
    /// Loads a dump in one transaction: refuses a non-empty target unless
    /// `options.replace` (then empties the tables first, children before parents), inserts
    /// each table's lines as `open(table)` supplies them (`None`: the dump has no such table,
    /// it stays empty), then checks the counts against `options.expected`. Any failure rolls
    /// everything back. Run [`Db::migrate`] first so the schema exists — or, for an archive
    /// of an older schema, [`Db::migrate_until`] its version, and [`Db::migrate`] after the
    /// load, so the migrations since run on its rows (tables added since stay out of it).
    pub async fn load<F, R>(
        &self,
        mut open: F,
        options: &LoadOptions,
    ) -> Result<TableCounts, DumpError>
    where
        F: FnMut(&'static str) -> std::io::Result<Option<R>>,
        R: BufRead,
    {
        let present = self.present_tables().await?;
        let counts = in_tx!(self, |tx| {
            let before = count_on!(tx, present);
            if before.values().any(|n| *n > 0) {
                if !options.replace {
                    return Err(DumpError::NotEmpty(before));
                }
                let clear = CLEARED_NOT_DUMPED
                    .iter()
                    .copied()
                    .chain(TABLES.iter().rev().map(|t| t.name));
                for name in clear.filter(|n| present.iter().any(|p| p == n)) {
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
            let after = count_on!(tx, present);
            if let Some(expected) = &options.expected {
                check_counts(expected, &after)?;
            }
            after
        });
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
