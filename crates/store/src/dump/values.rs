//! How each kind of column value is written as JSON and bound back, the same on either
//! backend.

use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::sql::{Arg, SQLITE_TS};

/// How a column's value is read, written as JSON and bound back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A UUID (`uuid`; a 16-byte `BLOB` on SQLite).
    Uuid,
    /// Text, including JSON text.
    Text,
    /// 64-bit integer (`bigint`; money in minor units, versions).
    Int,
    /// 32-bit integer (`integer` on PostgreSQL).
    Int4,
    /// A double (`double precision`; `REAL` on SQLite).
    Float,
    /// A calendar date (`date`; `TEXT` on SQLite).
    Date,
    /// Timestamp, UTC, microseconds.
    Ts,
}

/// `YYYY-MM-DD`.
const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// A value as JSON, per its kind. Timestamps are fixed-width so the text compares like the
/// instants and is the same whichever backend produced it.
pub(super) fn ts_json(t: OffsetDateTime) -> Result<serde_json::Value, String> {
    let utc = t.to_offset(time::UtcOffset::UTC);
    let ns = utc.nanosecond();
    let utc = utc.replace_nanosecond(ns - ns % 1_000).unwrap_or(utc);
    utc.format(SQLITE_TS)
        .map(serde_json::Value::String)
        .map_err(|e| e.to_string())
}

/// A date as `YYYY-MM-DD`.
pub(super) fn date_json(d: Date) -> Result<serde_json::Value, String> {
    d.format(DATE)
        .map(serde_json::Value::String)
        .map_err(|e| e.to_string())
}

/// A float as a JSON number; refused when not finite.
pub(super) fn float_json(f: f64) -> Result<serde_json::Value, String> {
    serde_json::Number::from_f64(f)
        .map(serde_json::Value::Number)
        .ok_or_else(|| format!("{f} is not a finite number"))
}

/// A JSON value as the bind value for a column of `kind` (`null` → a typed NULL).
pub(super) fn json_arg(kind: Kind, value: &serde_json::Value) -> Result<Arg, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
