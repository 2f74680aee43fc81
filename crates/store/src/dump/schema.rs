//! The table list checked against the migrated schema. The list is written by hand (see the
//! module docs for why), so this is what keeps it from drifting: a migration that adds a
//! table or a column, changes a type or a key, or adds a reference without the list
//! following is named here, and a storage test fails on either backend, instead of a backup
//! that silently leaves data out.

use std::collections::BTreeMap;

use sqlx::{PgPool, SqlitePool};

use super::DumpError;
use super::tables::{CLEARED_NOT_DUMPED, DERIVED, POSTGRES_DERIVED, SQLITE_INDEXES, TABLES, Table};
use super::values::Kind;
use crate::pool::{Db, Pool};

/// One table as the database describes it.
#[derive(Debug, Default)]
struct Described {
    /// Columns in schema order, with their declared types in lower case.
    columns: Vec<(String, String)>,
    /// The primary key's columns, in key order.
    key: Vec<String>,
    /// The tables its foreign keys reference.
    references: Vec<String>,
}

/// Every table of the migrated schema, by name (sqlx's and SQLite's own left out).
type Schema = BTreeMap<String, Described>;

impl Db {
    /// Where the dump's table list and this database's migrated schema disagree, one
    /// sentence each naming the table (and column); empty when they agree. Checked: every
    /// table is dumped, cleared or derived, and every listed one exists; a dumped table's
    /// columns are the schema's, in its order, of a type that fits their kind; its key is
    /// the primary key; and it comes after every table it references, which is dumped too.
    pub async fn dump_schema_mismatches(&self) -> Result<Vec<String>, DumpError> {
        Ok(match &self.pool {
            Pool::Sqlite { read, .. } => mismatches(&describe_sqlite(read).await?, true),
            Pool::Postgres(pool) => mismatches(&describe_postgres(pool).await?, false),
        })
    }
}

async fn describe_sqlite(pool: &SqlitePool) -> Result<Schema, DumpError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name <> '_sqlx_migrations' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .fetch_all(pool)
    .await?;
    let mut schema = Schema::new();
    for name in names {
        let columns: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, lower(type), pk FROM pragma_table_info(?1) ORDER BY cid")
                .bind(&name)
                .fetch_all(pool)
                .await?;
        let mut key: Vec<(i64, String)> = columns
            .iter()
            .filter(|(_, _, pk)| *pk > 0)
            .map(|(c, _, pk)| (*pk, c.clone()))
            .collect();
        key.sort();
        let references: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)")
                .bind(&name)
                .fetch_all(pool)
                .await?;
        let described = Described {
            columns: columns.into_iter().map(|(c, t, _)| (c, t)).collect(),
            key: key.into_iter().map(|(_, c)| c).collect(),
            references,
        };
        schema.insert(name, described);
    }
    Ok(schema)
}

async fn describe_postgres(pool: &PgPool) -> Result<Schema, DumpError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
         AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await?;
    let mut schema = Schema::new();
    for name in names {
        let columns: Vec<(String, String)> = sqlx::query_as(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
             ORDER BY ordinal_position",
        )
        .bind(&name)
        .fetch_all(pool)
        .await?;
        let key: Vec<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
             WHERE i.indrelid = $1::text::regclass AND i.indisprimary \
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
        )
        .bind(&name)
        .fetch_all(pool)
        .await?;
        let references: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT confrelid::regclass::text FROM pg_constraint \
             WHERE contype = 'f' AND conrelid = $1::text::regclass",
        )
        .bind(&name)
        .fetch_all(pool)
        .await?;
        let described = Described {
            columns,
            key,
            references,
        };
        schema.insert(name, described);
    }
    Ok(schema)
}

/// Whether a column declared as `declared` (lower case) holds values of `kind`. SQLite
/// keeps timestamps, dates and text all as `TEXT`, and both integer sizes as `INTEGER`.
fn fits(kind: Kind, declared: &str, sqlite: bool) -> bool {
    let expected: &[&str] = match (kind, sqlite) {
        (Kind::Uuid, true) => &["blob"],
        (Kind::Text | Kind::Date | Kind::Ts, true) => &["text"],
        (Kind::Int | Kind::Int4, true) => &["integer"],
        (Kind::Float, true) => &["real"],
        (Kind::Uuid, false) => &["uuid"],
        (Kind::Text, false) => &["text"],
        (Kind::Int, false) => &["bigint"],
        (Kind::Int4, false) => &["integer"],
        (Kind::Float, false) => &["double precision"],
        (Kind::Date, false) => &["date"],
        (Kind::Ts, false) => &["timestamp with time zone"],
    };
    expected.contains(&declared)
}

/// Every disagreement between the list and `schema`, in list order, then the schema's
/// tables the list does not know.
fn mismatches(schema: &Schema, sqlite: bool) -> Vec<String> {
    const FIX: &str = "declare it in crates/store/src/dump/tables.rs";
    let mut found = Vec::new();
    for (position, table) in TABLES.iter().enumerate() {
        match schema.get(table.name) {
            None => found.push(format!(
                "table {} is dumped but not in the schema",
                table.name
            )),
            Some(described) => table_mismatches(table, position, described, sqlite, &mut found),
        }
    }
    for name in CLEARED_NOT_DUMPED.iter().chain(DERIVED) {
        if !schema.contains_key(*name) {
            found.push(format!(
                "table {name} is cleared or derived but not in the schema"
            ));
        }
    }
    if !sqlite {
        for name in POSTGRES_DERIVED {
            if !schema.contains_key(*name) {
                found.push(format!("table {name} is derived but not in the schema"));
            }
        }
    }
    if sqlite {
        for name in SQLITE_INDEXES {
            if !schema.contains_key(*name) {
                found.push(format!(
                    "index table {name} is listed but not in the schema"
                ));
            }
        }
    }
    for name in schema.keys() {
        let known = TABLES.iter().any(|t| t.name == name)
            || CLEARED_NOT_DUMPED.contains(&name.as_str())
            || DERIVED.contains(&name.as_str())
            || (!sqlite && POSTGRES_DERIVED.contains(&name.as_str()))
            || (sqlite && is_sqlite_index(name));
        if !known {
            found.push(format!(
                "table {name} is in the schema but neither dumped, cleared nor derived: {FIX}"
            ));
        }
    }
    found
}

/// A listed SQLite full-text index, or one of the shadow tables that hold it (named
/// `<index>_data`, `<index>_idx`, `<index>_docsize`, `<index>_config`, `<index>_content`).
fn is_sqlite_index(name: &str) -> bool {
    SQLITE_INDEXES.iter().any(|index| {
        name == *index
            || name.strip_prefix(index).is_some_and(|rest| {
                matches!(rest, "_data" | "_idx" | "_docsize" | "_config" | "_content")
            })
    })
}

/// What differs between one dumped table (at `position` in the list) and its schema.
fn table_mismatches(
    table: &Table,
    position: usize,
    described: &Described,
    sqlite: bool,
    found: &mut Vec<String>,
) {
    let name = table.name;
    for (column, declared) in &described.columns {
        match table.columns.iter().find(|(c, _)| c == column) {
            None => found.push(format!(
                "column {name}.{column} is in the schema but not dumped: add it to {name}'s columns in crates/store/src/dump/tables.rs"
            )),
            Some((_, kind)) if !fits(*kind, declared, sqlite) => found.push(format!(
                "column {name}.{column} is dumped as {kind:?} but the schema declares it {declared}"
            )),
            Some(_) => {}
        }
    }
    for (column, _) in table.columns {
        if !described.columns.iter().any(|(c, _)| c == column) {
            found.push(format!(
                "column {name}.{column} is dumped but not in the schema"
            ));
        }
    }
    let listed: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let declared: Vec<&str> = described.columns.iter().map(|(c, _)| c.as_str()).collect();
    if listed.len() == declared.len() && listed != declared {
        found.push(format!(
            "table {name}'s columns are dumped in another order than the schema's ({})",
            declared.join(", ")
        ));
    }
    if table.key != described.key.as_slice() {
        found.push(format!(
            "table {name} is dumped in order of ({}) but its primary key is ({})",
            table.key.join(", "),
            described.key.join(", ")
        ));
    }
    for parent in &described.references {
        if parent == name {
            continue;
        }
        match TABLES.iter().position(|t| t.name == parent) {
            Some(p) if p < position => {}
            Some(_) => found.push(format!(
                "table {name} references {parent}, which is dumped after it: move {parent} up in crates/store/src/dump/tables.rs"
            )),
            None => found.push(format!(
                "table {name} references {parent}, which is not dumped, so its rows cannot be restored"
            )),
        }
    }
}
