//! Reading variables through the lookup function, collecting errors as it goes.

use std::fmt;

use super::{ConfigError, SECRETS, Secret, VARIABLES};

/// Reads variables through the lookup function and collects errors.
pub(super) struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// Every invalid setting found so far, in the order read.
    pub(super) errors: Vec<ConfigError>,
}

impl<'a> Reader<'a> {
    /// A reader with no errors yet.
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Reader {
            lookup,
            errors: Vec::new(),
        }
    }

    /// Notes that `variable` is invalid.
    pub(super) fn error(&mut self, variable: &str, message: impl Into<String>) {
        self.errors.push(ConfigError {
            variable: variable.to_owned(),
            message: message.into(),
        });
    }

    /// A plain (non-secret) value: trimmed; empty counts as unset.
    pub(super) fn get(&self, name: &str) -> Option<String> {
        debug_assert!(
            VARIABLES.contains(&name),
            "{name} is missing from VARIABLES"
        );
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A secret, from `NAME` or from the file named by `NAME_FILE`. Not trimmed (a
    /// password may end in a space), except that a file's trailing newline is dropped.
    pub(super) fn secret(&mut self, name: &str) -> Option<Secret> {
        debug_assert!(SECRETS.contains(&name), "{name} is missing from SECRETS");
        let file_var = format!("{name}_FILE");
        debug_assert!(
            VARIABLES.contains(&file_var.as_str()),
            "{file_var} is missing from VARIABLES"
        );
        let direct = (self.lookup)(name).filter(|v| !v.is_empty());
        let file = (self.lookup)(&file_var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        match (direct, file) {
            (Some(_), Some(_)) => {
                self.error(
                    name,
                    format!("is set both directly and through {file_var}; set only one of them"),
                );
                None
            }
            (Some(v), None) => Some(Secret::new(v)),
            (None, Some(path)) => match std::fs::read_to_string(&path) {
                Ok(content) => {
                    let value = content.strip_suffix('\n').unwrap_or(&content);
                    let value = value.strip_suffix('\r').unwrap_or(value);
                    if value.is_empty() {
                        self.error(&file_var, format!("the file {path} is empty"));
                        None
                    } else {
                        Some(Secret::new(value))
                    }
                }
                Err(e) => {
                    self.error(&file_var, format!("cannot read the file {path}: {e}"));
                    None
                }
            },
            (None, None) => None,
        }
    }

    /// A number within `min..=max`, or `default` when unset; `what` names it in the error.
    pub(super) fn number<T>(&mut self, name: &str, default: T, min: T, max: T, what: &str) -> T
    where
        T: std::str::FromStr + PartialOrd + Copy + fmt::Display,
    {
        let Some(raw) = self.get(name) else {
            return default;
        };
        match raw.parse::<T>() {
            Ok(v) if v >= min && v <= max => v,
            _ => {
                self.error(
                    name,
                    format!("must be {what} between {min} and {max}, got {raw:?}"),
                );
                default
            }
        }
    }

    /// `true`/`false` (or 1/0, yes/no, on/off), or `default` when unset.
    pub(super) fn boolean(&mut self, name: &str, default: bool) -> bool {
        let Some(raw) = self.get(name) else {
            return default;
        };
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => {
                self.error(name, format!("must be true or false, got {raw:?}"));
                default
            }
        }
    }
}
