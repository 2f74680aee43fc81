//! `DATABASE_URL`, and keeping its password out of logs; how long a request waits for the
//! database (`DB_ACQUIRE_TIMEOUT_MS`, `DB_STATEMENT_TIMEOUT_MS`).

use std::time::Duration;

use super::reader::Reader;
use super::secret::Secret;

/// How long requests wait for the database (see docs/configuration.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseTimeouts {
    /// Longest wait for a connection (including opening one) before answering 503.
    pub acquire_timeout_ms: u64,
    /// PostgreSQL's `statement_timeout` on every connection; 0: none.
    pub statement_timeout_ms: u64,
}

impl DatabaseTimeouts {
    /// `DB_ACQUIRE_TIMEOUT_MS` when unset on PostgreSQL: short, so that an outage is
    /// answered 503 within about a second instead of holding requests.
    pub const POSTGRES_ACQUIRE_MS: u64 = 1000;
    /// `DB_ACQUIRE_TIMEOUT_MS` when unset on SQLite: a wait there only ever means the one
    /// writer connection is busy with another write, which is worth waiting for.
    pub const SQLITE_ACQUIRE_MS: u64 = 10_000;

    /// The store's tuning with these timeouts.
    pub fn open_options(&self, probe_timeout: Duration) -> formula_store::OpenOptions {
        formula_store::OpenOptions {
            acquire_timeout: Duration::from_millis(self.acquire_timeout_ms),
            statement_timeout: (self.statement_timeout_ms > 0)
                .then(|| Duration::from_millis(self.statement_timeout_ms)),
            watchdog: Some(probe_timeout),
            ..formula_store::OpenOptions::default()
        }
    }

    /// The effective values, for `check-config`'s listing.
    pub(super) fn lines(&self) -> [(&'static str, String); 2] {
        [
            ("DB_ACQUIRE_TIMEOUT_MS", self.acquire_timeout_ms.to_string()),
            (
                "DB_STATEMENT_TIMEOUT_MS",
                self.statement_timeout_ms.to_string(),
            ),
        ]
    }
}

/// Reads `DB_ACQUIRE_TIMEOUT_MS` (its default depends on the backend) and
/// `DB_STATEMENT_TIMEOUT_MS`.
pub(super) fn read_timeouts(r: &mut Reader<'_>, postgres: bool) -> DatabaseTimeouts {
    let acquire_default = if postgres {
        DatabaseTimeouts::POSTGRES_ACQUIRE_MS
    } else {
        DatabaseTimeouts::SQLITE_ACQUIRE_MS
    };
    DatabaseTimeouts {
        acquire_timeout_ms: r.number(
            "DB_ACQUIRE_TIMEOUT_MS",
            acquire_default,
            100,
            600_000,
            "a number of milliseconds",
        ),
        statement_timeout_ms: r.number(
            "DB_STATEMENT_TIMEOUT_MS",
            30_000,
            0,
            86_400_000,
            "a number of milliseconds (0 for no limit)",
        ),
    }
}

/// Reads `DATABASE_URL`: a `postgres://` URL, or unset for SQLite in `DATA_DIR`.
pub(super) fn read_database_url(r: &mut Reader<'_>) -> Option<Secret> {
    let database_url = r.secret("DATABASE_URL");
    if let Some(url) = &database_url
        && !(url.expose().starts_with("postgres://") || url.expose().starts_with("postgresql://"))
    {
        r.error("DATABASE_URL", "must be a postgres:// URL like postgres://user:password@host:5432/formula, or unset to use SQLite in DATA_DIR");
    }
    database_url
}

/// Hides the password (and any query parameters) of a URL like `postgres://user:pw@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<redacted>".to_owned();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, _)) => (r, "?<redacted>"),
        None => (rest, ""),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:<redacted>@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    format!("{scheme}://{authority}{path}{query}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_default_by_backend_and_are_checked() {
        use crate::config::test_support::{error_for, load};
        let sqlite = load(&[]).unwrap().database;
        assert_eq!(
            (sqlite.acquire_timeout_ms, sqlite.statement_timeout_ms),
            (10_000, 30_000)
        );
        let pg = load(&[("DATABASE_URL", "postgres://pm@db/formula")])
            .unwrap()
            .database;
        assert_eq!(pg.acquire_timeout_ms, 1000);
        let set = load(&[
            ("DB_ACQUIRE_TIMEOUT_MS", "2500"),
            ("DB_STATEMENT_TIMEOUT_MS", "0"),
        ])
        .unwrap()
        .database;
        assert_eq!(
            (set.acquire_timeout_ms, set.statement_timeout_ms),
            (2500, 0)
        );
        error_for(&[("DB_ACQUIRE_TIMEOUT_MS", "0")], "DB_ACQUIRE_TIMEOUT_MS");
        error_for(
            &[("DB_STATEMENT_TIMEOUT_MS", "-5")],
            "DB_STATEMENT_TIMEOUT_MS",
        );
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://pm:pw@db:5432/formula"),
            "postgres://pm:<redacted>@db:5432/formula"
        );
        assert_eq!(
            redact_url("postgres://pm@db/formula?password=pw"),
            "postgres://pm@db/formula?<redacted>"
        );
        assert_eq!(
            redact_url("postgresql://db/formula"),
            "postgresql://db/formula"
        );
        assert_eq!(redact_url("garbage"), "<redacted>");
    }
}
