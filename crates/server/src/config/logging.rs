//! `LOG_LEVEL` and `LOG_FORMAT`.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable lines.
    Pretty,
}

impl LogFormat {
    /// The value as `LOG_FORMAT` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Json => "json",
            LogFormat::Pretty => "pretty",
        }
    }
}

/// Checks a `LOG_LEVEL` directive string. Besides `EnvFilter`'s own syntax check, a bare
/// word must be a level: `EnvFilter` would read `verbose` as "everything from a module
/// named verbose", which is never what was meant.
pub(super) fn check_log_level(value: &str) -> Result<(), String> {
    const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "off"];
    for directive in value.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let bare =
            !directive.contains('=') && !directive.contains("::") && !directive.contains('[');
        if bare && !LEVELS.contains(&directive.to_ascii_lowercase().as_str()) {
            return Err("must be a level (trace, debug, info, warn, error or off), optionally followed by per-module directives like info,formula_web=debug".to_owned());
        }
    }
    EnvFilter::try_new(value)
        .map(|_| ())
        .map_err(|e| format!("is not a valid filter ({e}); use a level like info, or directives like info,formula_web=debug"))
}
