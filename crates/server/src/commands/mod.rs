//! One module per subcommand, plus what they share.

pub mod backup;
pub mod check_config;
pub mod create_admin;
pub mod export;
pub mod healthcheck;
pub mod migrate;
pub mod restore;
pub mod seed_demo;
pub mod serve;

use std::sync::Arc;

use formula_app::blobs::BlobStore;
use formula_app::mail::NoMailer;
use formula_app::ports::{Mailer, Store};
use formula_app::{AppError, Services};
use formula_infra::smtp::{SmtpMailer, SmtpSettings, SmtpTls};

use crate::Refused;
use crate::config::{Config, SmtpConfig, SmtpTlsMode};

/// Loads the configuration from the environment; invalid values become one error listing them all.
pub(crate) fn load_config() -> anyhow::Result<Config> {
    Config::from_env().map_err(anyhow::Error::new)
}

/// Builds the use cases on an open store.
pub(crate) fn services(config: &Config, store: Arc<dyn Store>) -> Services {
    let mailer: Arc<dyn Mailer> = match &config.smtp {
        Some(smtp) => match SmtpMailer::new(smtp_settings(smtp)) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                // The address was checked at start-up; this only fails on a lettre-level surprise.
                tracing::error!(error = %e, "SMTP is configured but unusable; emails go to the outbox only");
                Arc::new(NoMailer)
            }
        },
        None => Arc::new(NoMailer),
    };
    let services = Services::new(store, mailer, config.app_config());
    match blobs(config) {
        Ok(blobs) => services.with_blobs(blobs),
        Err(e) => {
            // Commands that never touch files still run; the server checks this at start.
            tracing::warn!(error = %e, "the uploads folder is not usable; files are kept in memory");
            services
        }
    }
}

/// Where uploaded files are kept: the `S3_*` bucket when one is configured, else
/// `DATA_DIR/uploads` (which backups carry). Either way uploads are spooled in
/// `DATA_DIR/uploads-tmp` while they arrive.
pub(crate) fn blobs(config: &Config) -> std::io::Result<Arc<dyn BlobStore>> {
    let spool = config.data_dir.join("uploads-tmp");
    Ok(match &config.files_s3 {
        Some(s3) => Arc::new(formula_infra::s3_blobs::S3Blobs::open(
            s3.bucket(),
            s3.prefix.clone(),
            spool,
        )?),
        None => Arc::new(formula_infra::blobs::LocalBlobs::open(
            config.data_dir.join(crate::archive::UPLOADS_DIR),
            spool,
        )?),
    })
}

fn smtp_settings(smtp: &SmtpConfig) -> SmtpSettings {
    SmtpSettings {
        host: smtp.host.clone(),
        port: smtp.port,
        tls: match smtp.tls {
            SmtpTlsMode::StartTls => SmtpTls::StartTls,
            SmtpTlsMode::Implicit => SmtpTls::Implicit,
            SmtpTlsMode::None => SmtpTls::None,
        },
        credentials: smtp
            .username
            .clone()
            .zip(smtp.password.as_ref().map(|p| p.expose().to_owned())),
        from: smtp.from.clone(),
        timeout: std::time::Duration::from_secs(30),
    }
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
