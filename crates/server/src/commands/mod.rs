//! One module per subcommand, plus what they share.

pub mod check_config;
pub mod create_admin;
pub mod healthcheck;
pub mod migrate;
pub mod seed_demo;
pub mod serve;

use std::sync::Arc;

use formula_app::mail::NoMailer;
use formula_app::ports::Store;
use formula_app::{AppError, Services};

use crate::Refused;
use crate::config::Config;

/// Loads the configuration from the environment; invalid values become one error listing them all.
pub(crate) fn load_config() -> anyhow::Result<Config> {
    Config::from_env().map_err(anyhow::Error::new)
}

/// Builds the use cases on an open store.
pub(crate) fn services(config: &Config, store: Arc<dyn Store>) -> Services {
    if let Some(smtp) = &config.smtp {
        // Be honest: the settings are accepted and checked, but nothing sends mail yet.
        tracing::warn!(
            smtp_host = %smtp.host,
            "SMTP_HOST is set, but SMTP delivery is not implemented yet: emails such as password-reset \
             links are written to the outbox (Admin → Outbox) and the log instead of being sent"
        );
    }
    Services::new(store, Arc::new(NoMailer), config.app_config())
}

/// Turns a use-case error into a message for the terminal: field problems (validation, or a
/// conflict such as an email already in use) are listed field by field; anything else keeps
/// its cause.
pub(crate) fn explain(doing: &str, error: AppError) -> anyhow::Error {
    let fields = match &error {
        AppError::Validation(fields) => Some(fields),
        AppError::Conflict { fields, .. } if !fields.is_empty() => Some(fields),
        _ => None,
    };
    if let Some(fields) = fields {
        let lines: Vec<String> = fields
            .0
            .iter()
            .map(|f| format!("  {}: {}", f.field, f.message))
            .collect();
        return Refused(format!("cannot {doing}:\n{}", lines.join("\n"))).into();
    }
    match error {
        AppError::Conflict { message, .. } => Refused(format!("cannot {doing}: {message}")).into(),
        other => anyhow::Error::new(other).context(format!("cannot {doing}")),
    }
}
