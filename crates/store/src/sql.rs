//! Backend-neutral statements and the macros that run them on either backend.
//!
//! SQL is written once with `$n` placeholders (both SQLite and PostgreSQL accept them
//! through sqlx). A [`Stmt`] carries the text and its values as [`Arg`]s; the macros expand
//! the same sqlx call in each arm of [`crate::pool::Pool`], where the concrete driver types
//! are known. This keeps every query generic without spelling out sqlx's trait bounds.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};
use uuid::Uuid;

/// A value bound to a placeholder. Each variant holds an `Option` so a NULL keeps its SQL
/// type (PostgreSQL refuses an untyped NULL for a `uuid` or `date` column).
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    Int(Option<i64>),
    Int4(Option<i32>),
    Float(Option<f64>),
    Date(Option<Date>),
    Ts(Option<Ts>),
}

macro_rules! arg_from {
    ($($t:ty => $variant:ident),+ $(,)?) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Self { Arg::$variant(Some(v.into())) }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Self { Arg::$variant(v.map(Into::into)) }
        }
    )+};
}

arg_from!(
    Uuid => Uuid,
    String => Text,
    &str => Text,
    &String => Text,
    i64 => Int,
    i32 => Int4,
    f64 => Float,
    Date => Date,
    OffsetDateTime => Ts,
);

impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::Text(v.clone())
    }
}

/// One SQL statement with its bind values, in placeholder order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stmt {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Stmt {
    pub fn new(sql: impl Into<String>) -> Self {
        Stmt {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    /// Adds the value for the next placeholder (`$1`, `$2`, … in order).
    pub fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Adds a value and returns its placeholder, for SQL assembled piece by piece.
    pub fn arg(&mut self, value: impl Into<Arg>) -> String {
        self.args.push(value.into());
        format!("${}", self.args.len())
    }
}

/// The WHERE clause of a list query, built from optional filters. Its values come first in
/// both the count and the page statement, so the placeholders mean the same in each.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    conds: Vec<String>,
    pub stmt: Stmt,
}

impl Filter {
    pub fn new() -> Self {
        Filter::default()
    }

    /// Adds a value and returns its placeholder.
    pub fn arg(&mut self, value: impl Into<Arg>) -> String {
        self.stmt.arg(value)
    }

    /// A date for a range condition, written into the SQL (`'2026-12-04'`) rather than bound,
    /// so that PostgreSQL plans the statement knowing how much of the range it selects and
    /// keeps that plan (a bound date is planned afresh on each execution, or by a generic
    /// plan that guesses the range). Dates change daily, so statements stay few. Dates
    /// outside years 1–9999 (never from the API) are bound.
    pub fn date(&mut self, d: Date) -> String {
        if (1..=9999).contains(&d.year()) {
            format!(
                "'{:04}-{:02}-{:02}'",
                d.year(),
                u8::from(d.month()),
                d.day()
            )
        } else {
            self.arg(d)
        }
    }

    /// Adds a condition (ANDed with the others).
    pub fn and(&mut self, cond: impl Into<String>) {
        self.conds.push(cond.into());
    }

    /// Adds a case-insensitive substring search over `columns`, if `q` is not blank.
    pub fn search(&mut self, q: Option<&str>, columns: &[&str]) {
        let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
            return;
        };
        let p = self.arg(like_pattern(q));
        // LOWER on both sides keeps each backend consistent with itself; ESCAPE makes
        // a typed `%` or `_` match literally.
        let any: Vec<String> = columns
            .iter()
            .map(|c| format!("LOWER({c}) LIKE LOWER({p}) ESCAPE '\\'"))
            .collect();
        self.and(format!("({})", any.join(" OR ")));
    }

    /// ` WHERE a AND b`, or nothing.
    pub fn where_sql(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        }
    }
}

/// `%q%` with LIKE's wildcards escaped: a substring match.
pub(crate) fn like_pattern(q: &str) -> String {
    format!("%{}%", escape_like(q))
}

/// Escapes LIKE's wildcards (`%`, `_`) and the escape character itself (`\`).
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A CASE expression ranking `column` by the order of `values`, so enum columns sort in
/// their natural order (lifecycle, priority) rather than alphabetically.
pub(crate) fn rank(column: &str, values: &[&str]) -> String {
    let mut s = format!("CASE {column}");
    for (i, v) in values.iter().enumerate() {
        // The values are the enums' own static identifiers, never user input.
        s.push_str(&format!(" WHEN '{v}' THEN {i}"));
    }
    s.push_str(&format!(" ELSE {} END", values.len()));
    s
}

/// An ORDER BY key: plain, or with NULLs kept last in both directions.
pub(crate) enum SortKey {
    Plain(String),
    NullsLast(String),
}

/// Builds `ORDER BY …` from a key, a direction and the tiebreak column (`id`).
pub(crate) fn order_by(key: SortKey, desc: bool, tiebreak: &str) -> String {
    let dir = if desc { " DESC" } else { "" };
    match key {
        SortKey::Plain(k) => format!(" ORDER BY {k}{dir}, {tiebreak}{dir}"),
        // `(x IS NULL)` sorts false before true on both backends: portable NULLS LAST.
        SortKey::NullsLast(k) => format!(" ORDER BY ({k} IS NULL), {k}{dir}, {tiebreak}{dir}"),
    }
}

/// ` LIMIT n OFFSET m` for `paging`, with the numbers written into the SQL rather than bound.
/// PostgreSQL plans a prepared statement once when its generic plan costs about as much as
/// one planned for the values at hand; with `LIMIT $n` it cannot know the page is small, so it
/// planned a page of tasks afresh on every execution, which took longer than running it. The
/// numbers are integers from [`Paging`](formula_app::query::Paging), never text.
pub(crate) fn limit_offset(paging: &formula_app::query::Paging) -> String {
    let limit = i64::from(paging.limit.max(1));
    let offset = i64::try_from(paging.offset).unwrap_or(i64::MAX);
    format!(" LIMIT {limit} OFFSET {offset}")
}

/// A timestamp as the store binds it: UTC, truncated to microseconds (PostgreSQL's
/// precision, so both backends return exactly what was stored). On SQLite it is written as
/// fixed-width RFC 3339 text, so comparing the text compares the instants; sqlx's own
/// encoding trims trailing zeros of the fraction, which would break `<` between values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ts(OffsetDateTime);

pub(crate) const SQLITE_TS: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

impl From<OffsetDateTime> for Ts {
    fn from(t: OffsetDateTime) -> Self {
        let t = t.to_offset(UtcOffset::UTC);
        let ns = t.nanosecond();
        Ts(t.replace_nanosecond(ns - ns % 1_000).unwrap_or(t))
    }
}

mod ts_codec {
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, Postgres};
    use sqlx::sqlite::{Sqlite, SqliteArgumentValue, SqliteTypeInfo};
    use sqlx::{Encode, Type};
    use time::OffsetDateTime;

    use super::{SQLITE_TS, Ts};

    impl Type<Sqlite> for Ts {
        fn type_info() -> SqliteTypeInfo {
            <String as Type<Sqlite>>::type_info()
        }
    }

    impl<'q> Encode<'q, Sqlite> for Ts {
        fn encode_by_ref(
            &self,
            buf: &mut Vec<SqliteArgumentValue<'q>>,
        ) -> Result<IsNull, BoxDynError> {
            <String as Encode<'q, Sqlite>>::encode(self.0.format(SQLITE_TS)?, buf)
        }
    }

    impl Type<Postgres> for Ts {
        fn type_info() -> PgTypeInfo {
            <OffsetDateTime as Type<Postgres>>::type_info()
        }
    }

    impl Encode<'_, Postgres> for Ts {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            <OffsetDateTime as Encode<'_, Postgres>>::encode_by_ref(&self.0, buf)
        }
    }
}

/// Refuses a statement whose text values hold a NUL before it reaches either database:
/// PostgreSQL cannot store one and SQLite would, so both refuse it alike
/// (mapped to a validation error by [`crate::error`]).
pub(crate) fn storable(stmt: &Stmt) -> Result<(), sqlx::Error> {
    let nul = stmt
        .args
        .iter()
        .any(|a| matches!(a, Arg::Text(Some(t)) if t.contains('\0')));
    if nul {
        Err(sqlx::Error::Encode(Box::new(crate::error::NulInText)))
    } else {
        Ok(())
    }
}

/// Binds a statement's values onto an sqlx query (`query`, `query_as` or `query_scalar`).
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                $crate::sql::Arg::Uuid(v) => q.bind(v),
                $crate::sql::Arg::Text(v) => q.bind(v),
                $crate::sql::Arg::Int(v) => q.bind(v),
                $crate::sql::Arg::Int4(v) => q.bind(v),
                $crate::sql::Arg::Float(v) => q.bind(v),
                $crate::sql::Arg::Date(v) => q.bind(v),
                $crate::sql::Arg::Ts(v) => q.bind(v),
            };
        }
        q
    }};
}

/// Executes a statement; yields the driver's query result (for `rows_affected()`).
macro_rules! exec {
    ($conn:expr, $stmt:expr) => {{
        let stmt: $crate::sql::Stmt = $stmt;
        match $crate::sql::storable(&stmt) {
            Err(e) => Err(e),
            Ok(()) => {
                bind_args!(sqlx::query(&stmt.sql), stmt.args)
                    .execute(&mut *$conn)
                    .await
            }
        }
    }};
}

/// Fetches all rows as `$row` (a `sqlx::FromRow` type).
macro_rules! fetch_all {
    ($conn:expr, $row:ty, $stmt:expr) => {{
        let stmt: $crate::sql::Stmt = $stmt;
        match $crate::sql::storable(&stmt) {
            Err(e) => Err(e),
            Ok(()) => {
                bind_args!(sqlx::query_as::<_, $row>(&stmt.sql), stmt.args)
                    .fetch_all(&mut *$conn)
                    .await
            }
        }
    }};
}

/// Fetches at most one row as `$row`.
macro_rules! fetch_optional {
    ($conn:expr, $row:ty, $stmt:expr) => {{
        let stmt: $crate::sql::Stmt = $stmt;
        match $crate::sql::storable(&stmt) {
            Err(e) => Err(e),
            Ok(()) => {
                bind_args!(sqlx::query_as::<_, $row>(&stmt.sql), stmt.args)
                    .fetch_optional(&mut *$conn)
                    .await
            }
        }
    }};
}

/// Fetches the first column of the one row a statement returns.
macro_rules! fetch_scalar {
    ($conn:expr, $ty:ty, $stmt:expr) => {{
        let stmt: $crate::sql::Stmt = $stmt;
        match $crate::sql::storable(&stmt) {
            Err(e) => Err(e),
            Ok(()) => {
                bind_args!(sqlx::query_scalar::<_, $ty>(&stmt.sql), stmt.args)
                    .fetch_one(&mut *$conn)
                    .await
            }
        }
    }};
}

/// Fetches the first column of each row a statement returns.
macro_rules! fetch_scalars {
    ($conn:expr, $ty:ty, $stmt:expr) => {{
        let stmt: $crate::sql::Stmt = $stmt;
        match $crate::sql::storable(&stmt) {
            Err(e) => Err(e),
            Ok(()) => {
                bind_args!(sqlx::query_scalar::<_, $ty>(&stmt.sql), stmt.args)
                    .fetch_all(&mut *$conn)
                    .await
            }
        }
    }};
}

/// Runs `$body` with `$pool` bound to one connection for reading (SQLite: from the reader
/// pool), taken once so that a read of several statements (a count and a page) costs one
/// acquire. The body is compiled once per backend.
macro_rules! on_reader {
    ($db:expr, |$pool:ident| $body:expr) => {
        match &$db.pool {
            $crate::pool::Pool::Sqlite { read, .. } => {
                let mut conn = read.acquire().await?;
                let $pool: &mut sqlx::SqliteConnection = &mut *conn;
                $body
            }
            $crate::pool::Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                let $pool: &mut sqlx::PgConnection = &mut *conn;
                $body
            }
        }
    };
}

/// Runs `$body` in a write transaction with `$tx` bound to its connection (use it as
/// `&mut *tx`). Commits when the body completes; an early return (`?`) drops the
/// transaction, which rolls it back. SQLite writes go through the single writer
/// connection and start with `BEGIN IMMEDIATE`, so they never fail half-way on a lock.
macro_rules! in_tx {
    ($db:expr, |$tx:ident| $body:expr) => {
        match &$db.pool {
            $crate::pool::Pool::Sqlite { write, .. } => {
                let mut guard = write.begin_with("BEGIN IMMEDIATE").await?;
                let out = {
                    let $tx: &mut sqlx::SqliteConnection = &mut *guard;
                    $body
                };
                guard.commit().await?;
                out
            }
            $crate::pool::Pool::Postgres(pool) => {
                let mut guard = pool.begin().await?;
                let out = {
                    let $tx: &mut sqlx::PgConnection = &mut *guard;
                    $body
                };
                guard.commit().await?;
                out
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dates_for_ranges_are_literals_within_years_1_to_9999() {
        let mut f = Filter::new();
        assert_eq!(f.date(time::macros::date!(2026 - 03 - 07)), "'2026-03-07'");
        assert_eq!(f.date(time::macros::date!(0 - 01 - 01)), "$1");
        assert_eq!(f.stmt.args.len(), 1);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn sqlite_timestamps_are_fixed_width() {
        let a = Ts::from(datetime!(2026-01-01 12:00:00 UTC));
        let b = Ts::from(datetime!(2026-01-01 12:00:00.5 +01:00));
        let fa = a.0.format(SQLITE_TS).unwrap_or_default();
        let fb = b.0.format(SQLITE_TS).unwrap_or_default();
        assert_eq!(fa, "2026-01-01T12:00:00.000000Z");
        assert_eq!(fb, "2026-01-01T11:00:00.500000Z");
        assert!(fb < fa);
    }

    #[test]
    fn timestamps_are_truncated_to_microseconds() {
        let t = Ts::from(datetime!(2026-01-01 12:00:00.123456789 UTC));
        assert_eq!(t.0, datetime!(2026-01-01 12:00:00.123456 UTC));
    }

    #[test]
    fn order_keeps_nulls_last() {
        assert_eq!(
            order_by(SortKey::NullsLast("t.due_date".into()), true, "t.id"),
            " ORDER BY (t.due_date IS NULL), t.due_date DESC, t.id DESC"
        );
    }
}
