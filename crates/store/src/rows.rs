//! Turning stored text back into domain values.

use std::str::FromStr;

use crate::error::{DbError, DbResult};

/// Parses an enum stored as text; an unknown value means the data or schema is broken.
pub(crate) fn parse_enum<T: FromStr>(value: &str, column: &str) -> DbResult<T> {
    value
        .parse()
        .map_err(|_| DbError::Corrupt(format!("{column} holds unknown value {value:?}")))
}

/// Parses a JSON text column into a JSON value.
pub(crate) fn parse_json(value: &str, column: &str) -> DbResult<serde_json::Value> {
    serde_json::from_str(value)
        .map_err(|e| DbError::Corrupt(format!("{column} holds invalid JSON: {e}")))
}

/// Skills are stored as a JSON array of strings.
pub(crate) fn skills_to_json(skills: &[String]) -> String {
    serde_json::Value::from(skills.to_vec()).to_string()
}

/// Reads the JSON array of skills.
pub(crate) fn skills_from_json(value: &str) -> DbResult<Vec<String>> {
    match parse_json(value, "users.skills")? {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s),
                other => Err(DbError::Corrupt(format!(
                    "users.skills holds a non-string item {other}"
                ))),
            })
            .collect(),
        other => Err(DbError::Corrupt(format!(
            "users.skills is not an array: {other}"
        ))),
    }
}

/// Converts every row, stopping at the first that cannot be read.
pub(crate) fn convert<R, T>(rows: Vec<R>) -> DbResult<Vec<T>>
where
    T: TryFrom<R, Error = DbError>,
{
    rows.into_iter().map(T::try_from).collect()
}
