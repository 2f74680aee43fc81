//! `DATABASE_URL`, and keeping its password out of logs.

use super::reader::Reader;
use super::secret::Secret;

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
