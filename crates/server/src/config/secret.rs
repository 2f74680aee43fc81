//! Secret values: redacted in `Debug` output and in the `check-config` listing.

use std::fmt;

/// A secret value. Its `Debug` output is redacted so it cannot leak through logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value read from a variable or a `_FILE`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How a secret shows in the `check-config` listing: `<redacted>` when set, empty when not.
pub(super) fn shown(secret: Option<&Secret>) -> String {
    if secret.is_some() {
        "<redacted>".to_owned()
    } else {
        String::new()
    }
}
