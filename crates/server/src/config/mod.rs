//! The server's configuration: every environment variable is read and checked here, in one
//! place, into a typed [`Config`]. Invalid values are collected (not just the first) and
//! each message names its variable, so one run of `formula-pm check-config` shows them all.
//!
//! The loader takes a lookup function instead of reading the process environment itself,
//! so tests can feed it any set of variables. `docs/configuration.md` and `.env.example`
//! describe exactly the names in [`VARIABLES`]; a test keeps the three in step.
//!
//! This file holds the list of variables, the top-level [`Config`] and the loader; each
//! section of settings (mail, S3 buckets, backups, jobs, …) is read in a module of its own.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use formula_app::AppConfig;

mod backup;
mod database;
mod error;
mod http;
mod jobs;
mod logging;
mod mail;
mod ops;
mod reader;
mod redis;
mod s3;
mod secret;
mod security;
mod tls;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use backup::{BackupSettings, DEFAULT_BACKUP_SCHEDULE};
pub use database::redact_url;
pub use error::{ConfigError, ConfigErrors};
pub use jobs::JobSettings;
pub use logging::LogFormat;
pub use mail::{SmtpConfig, SmtpTlsMode};
pub use ops::OpsSettings;
pub use redis::RedisSettings;
pub use s3::S3Settings;
pub use secret::Secret;
pub use security::SecuritySettings;
pub use tls::TlsSettings;

pub use database::DatabaseTimeouts;
use reader::Reader;
use secret::shown;

/// Every environment variable the loader reads, in documentation order.
/// A secret `NAME` is also read as `NAME_FILE` (see [`SECRETS`]); those forms are listed too.
pub const VARIABLES: &[&str] = &[
    "APP_ENV",
    "BIND",
    "PORT",
    "PUBLIC_URL",
    "ALLOW_INSECURE_HTTP",
    "DATA_DIR",
    "DATABASE_URL",
    "DATABASE_URL_FILE",
    "DB_ACQUIRE_TIMEOUT_MS",
    "DB_STATEMENT_TIMEOUT_MS",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "LOG_FILE",
    "LOG_MAX_SIZE",
    "LOG_MAX_FILES",
    "SLOW_REQUEST_MS",
    "SLOW_QUERY_MS",
    "METRICS_TOKEN",
    "METRICS_TOKEN_FILE",
    "METRICS_BIND",
    "HEALTH_DB_TIMEOUT_MS",
    "HEALTH_DISK_WARN_PERCENT",
    "HEALTH_DISK_FAIL_PERCENT",
    "SHUTDOWN_GRACE_SECONDS",
    "SHUTDOWN_DRAIN_SECONDS",
    "DEFAULT_CURRENCY",
    "PROJECT_CODE_PREFIX",
    "SCOPE_UNITS",
    "REVIEW_OVERDUE_DAYS",
    "NOTIFICATION_BATCH_SECONDS",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "MAX_BODY_BYTES",
    "MAX_UPLOAD_SIZE",
    "TRUSTED_PROXIES",
    "RATE_LIMIT_ENABLED",
    "ALLOW_NO_RATE_LIMIT",
    "RATE_LIMIT_LOGIN_PER_MINUTE",
    "RATE_LIMIT_PASSWORD_RESET_PER_HOUR",
    "RATE_LIMIT_API_READ_PER_MINUTE",
    "RATE_LIMIT_API_WRITE_PER_MINUTE",
    "RATE_LIMIT_PAGES_PER_MINUTE",
    "REQUEST_TIMEOUT_SECONDS",
    "HTTP_HEADER_TIMEOUT_SECONDS",
    "MAX_CONNECTIONS_PER_IP",
    "CORS_ALLOWED_ORIGINS",
    "SECURITY_HEADERS",
    "TLS_CERT_FILE",
    "TLS_KEY_FILE",
    "ADMIN_PASSWORD",
    "ADMIN_PASSWORD_FILE",
    "SEED_PASSWORD",
    "SEED_PASSWORD_FILE",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_TLS",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_PASSWORD_FILE",
    "SMTP_FROM",
    "BACKUP_DIR",
    "BACKUP_RETENTION_DAYS",
    "BACKUP_SCHEDULE",
    "BACKUP_ENCRYPTION_RECIPIENTS",
    "BACKUP_ENCRYPTION_IDENTITY_FILE",
    "BACKUP_S3_ENDPOINT",
    "BACKUP_S3_BUCKET",
    "BACKUP_S3_REGION",
    "BACKUP_S3_PREFIX",
    "BACKUP_S3_ACCESS_KEY_ID",
    "BACKUP_S3_SECRET_ACCESS_KEY",
    "BACKUP_S3_SECRET_ACCESS_KEY_FILE",
    "S3_ENDPOINT",
    "S3_BUCKET",
    "S3_REGION",
    "S3_PREFIX",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_SECRET_ACCESS_KEY_FILE",
    "JOB_WORKERS",
    "SCHEDULE_CLEANUP_SESSIONS",
    "SCHEDULE_AUDIT_RETENTION",
    "SCHEDULE_DB_MAINTENANCE",
    "AUDIT_RETENTION_DAYS",
    "REDIS_URL",
    "REDIS_URL_FILE",
    "REDIS_REQUIRED",
];

/// Variables holding secrets. Each is also accepted as `<NAME>_FILE` (the path of a file
/// holding the value, as Docker and Kubernetes secrets provide); setting both is an error.
/// Their values are never printed or logged.
pub const SECRETS: &[&str] = &[
    "DATABASE_URL",
    "METRICS_TOKEN",
    "ADMIN_PASSWORD",
    "SEED_PASSWORD",
    "SMTP_PASSWORD",
    "REDIS_URL",
    "BACKUP_S3_SECRET_ACCESS_KEY",
    "S3_SECRET_ACCESS_KEY",
];

/// Default port of the web server.
pub const DEFAULT_PORT: u16 = 5014;

/// Which kind of deployment this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// A laptop: everything has a working default.
    Development,
    /// A real deployment: weak or missing settings stop start-up.
    Production,
}

impl AppEnv {
    /// The value as `APP_ENV` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            AppEnv::Development => "development",
            AppEnv::Production => "production",
        }
    }
}

/// The whole, checked configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub app_env: AppEnv,
    pub bind: IpAddr,
    pub port: u16,
    /// The address people open, without a trailing slash.
    pub public_url: String,
    pub allow_insecure_http: bool,
    pub data_dir: PathBuf,
    /// `None` means SQLite in `data_dir`.
    pub database_url: Option<Secret>,
    /// `DB_ACQUIRE_TIMEOUT_MS` and `DB_STATEMENT_TIMEOUT_MS`.
    pub database: DatabaseTimeouts,
    /// An `EnvFilter` directive string.
    pub log_level: String,
    pub log_format: LogFormat,
    pub default_currency: String,
    pub project_code_prefix: String,
    /// Units scope items may be measured in (`SCOPE_UNITS`).
    pub scope_units: Vec<String>,
    /// `REVIEW_OVERDUE_DAYS`.
    pub review_overdue_days: u32,
    /// `NOTIFICATION_BATCH_SECONDS`.
    pub notification_batch_seconds: u32,
    pub session_idle_minutes: u32,
    pub session_max_hours: u32,
    pub max_body_bytes: usize,
    /// Largest uploaded file (`MAX_UPLOAD_SIZE`).
    pub max_upload_bytes: u64,
    /// The bucket uploaded files are kept in (`S3_*`); `None` keeps them under `DATA_DIR/uploads`.
    pub files_s3: Option<S3Settings>,
    /// Only used by `create-admin`.
    pub admin_password: Option<Secret>,
    /// Only used by `seed-demo`.
    pub seed_password: Option<Secret>,
    pub smtp: Option<SmtpConfig>,
    /// Health checks, metrics, log files and shutdown.
    pub ops: OpsSettings,
    /// Where `formula-pm backup` writes and how long archives are kept.
    pub backup: BackupSettings,
    /// Client IP, rate limits, timeouts, CORS and security headers.
    pub security: SecuritySettings,
    /// Background job workers and the schedules of periodic jobs.
    pub jobs: JobSettings,
    /// Native TLS on the main listener; `None` serves plain HTTP (behind a proxy).
    pub tls: Option<TlsSettings>,
    /// The optional Redis shared by every instance; `None` without `REDIS_URL`.
    pub redis: Option<RedisSettings>,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigErrors> {
        Config::load(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))
    }

    /// Reads the configuration through `lookup` (a variable's value, or `None` when unset).
    /// Empty values count as unset.
    pub fn load(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigErrors> {
        let mut r = Reader::new(&lookup);

        let app_env = match r.get("APP_ENV").as_deref() {
            None | Some("development") => AppEnv::Development,
            Some("production") => AppEnv::Production,
            Some(other) => {
                r.error(
                    "APP_ENV",
                    format!("must be development or production, got {other:?}"),
                );
                AppEnv::Development
            }
        };

        let bind = match r.get("BIND") {
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(raw) if raw.eq_ignore_ascii_case("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(raw) => raw.parse::<IpAddr>().unwrap_or_else(|_| {
                r.error(
                    "BIND",
                    format!("must be an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 (all interfaces), got {raw:?}"),
                );
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            }),
        };

        let port = r.number("PORT", DEFAULT_PORT, 1, u16::MAX, "a number");

        let allow_insecure_http = r.boolean("ALLOW_INSECURE_HTTP", false);
        let tls = tls::read_tls(&mut r);
        // With native TLS the server itself answers https://.
        let default_url = || {
            let url = http::local_url(bind, port);
            match &tls {
                Some(_) => url.replacen("http://", "https://", 1),
                None => url,
            }
        };
        let explicit_url = r.get("PUBLIC_URL");
        let public_url = match &explicit_url {
            Some(raw) => http::check_public_url(raw).unwrap_or_else(|m| {
                r.error("PUBLIC_URL", format!("{m}, got {raw:?}"));
                default_url()
            }),
            None => default_url(),
        };
        if app_env == AppEnv::Production {
            if explicit_url.is_none() {
                r.error("PUBLIC_URL", "must be set in production to the https:// address people open, like https://pm.example.com");
            } else if !public_url.starts_with("https://") && !allow_insecure_http {
                r.error(
                    "PUBLIC_URL",
                    "must start with https:// in production (sign-in cookies are sent only over HTTPS); set ALLOW_INSECURE_HTTP=true to accept plain http",
                );
            } else if tls.is_some() && !public_url.starts_with("https://") {
                r.error(
                    "PUBLIC_URL",
                    "must start with https:// when TLS_CERT_FILE is set (this server answers only HTTPS)",
                );
            }
        }

        let data_dir = PathBuf::from(r.get("DATA_DIR").unwrap_or_else(|| "./data".to_owned()));

        let database_url = database::read_database_url(&mut r);
        let database = database::read_timeouts(&mut r, database_url.is_some());

        let log_level = r.get("LOG_LEVEL").unwrap_or_else(|| "info".to_owned());
        if let Err(m) = logging::check_log_level(&log_level) {
            r.error("LOG_LEVEL", format!("{m}, got {log_level:?}"));
        }

        let log_format = match r.get("LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                r.error(
                    "LOG_FORMAT",
                    format!("must be json or pretty, got {other:?}"),
                );
                LogFormat::Json
            }
        };

        let default_currency = match r.get("DEFAULT_CURRENCY") {
            None => "USD".to_owned(),
            Some(raw) => formula_domain::money::parse_currency(&raw).unwrap_or_else(|m| {
                r.error("DEFAULT_CURRENCY", format!("{m}, got {raw:?}"));
                "USD".to_owned()
            }),
        };

        let project_code_prefix = match r.get("PROJECT_CODE_PREFIX") {
            None => "FPM".to_owned(),
            Some(raw)
                if (2..=8).contains(&raw.len()) && raw.chars().all(|c| c.is_ascii_uppercase()) =>
            {
                raw
            }
            Some(raw) => {
                r.error(
                    "PROJECT_CODE_PREFIX",
                    format!("must be 2 to 8 upper-case letters A-Z, like FPM, got {raw:?}"),
                );
                "FPM".to_owned()
            }
        };

        let scope_units = match r.get("SCOPE_UNITS") {
            None => formula_domain::scope::DEFAULT_UNITS
                .iter()
                .map(|u| (*u).to_owned())
                .collect(),
            Some(raw) => {
                let units: Vec<String> = raw
                    .split(',')
                    .map(|u| u.trim().to_owned())
                    .filter(|u| !u.is_empty())
                    .collect();
                let bad = units.iter().find(|u| u.chars().count() > 20);
                if units.is_empty() || bad.is_some() {
                    r.error(
                        "SCOPE_UNITS",
                        format!(
                            "must be a comma-separated list of units of at most 20 characters, like pcs,m,m²,set; got {raw:?}"
                        ),
                    );
                }
                units
            }
        };

        let review_overdue_days = r.number(
            "REVIEW_OVERDUE_DAYS",
            7_u32,
            1,
            365,
            "a whole number of days",
        );

        let notification_batch_seconds = r.number(
            "NOTIFICATION_BATCH_SECONDS",
            120_u32,
            1,
            3600,
            "a whole number of seconds",
        );

        let session_idle_minutes = r.number(
            "SESSION_IDLE_MINUTES",
            720,
            1,
            525_600,
            "a whole number of minutes",
        );
        let session_max_hours = r.number(
            "SESSION_MAX_HOURS",
            168,
            1,
            8_760,
            "a whole number of hours",
        );
        let max_body_bytes = r.number(
            "MAX_BODY_BYTES",
            1_048_576,
            1_024,
            1_073_741_824,
            "a number of bytes",
        );

        let max_upload_bytes = r.number(
            "MAX_UPLOAD_SIZE",
            104_857_600_u64,
            1_024,
            5_368_709_120,
            "a number of bytes",
        );

        let files_s3 = s3::read_s3(&mut r, &s3::FILES_S3);

        let admin_password = r.secret("ADMIN_PASSWORD");
        if let Some(p) = &admin_password
            && let Err(m) = formula_domain::user::check_password(p.expose())
        {
            r.error("ADMIN_PASSWORD", m);
        }
        let seed_password = r.secret("SEED_PASSWORD");
        if let Some(p) = &seed_password
            && let Err(m) = formula_domain::user::check_password(p.expose())
        {
            r.error("SEED_PASSWORD", m);
        }

        let smtp = mail::read_smtp(&mut r);
        let ops = ops::read_ops(&mut r, app_env);
        let backup = backup::read_backup(&mut r, &data_dir);
        let security = security::read_security(&mut r, app_env);
        let jobs = jobs::read_jobs(&mut r);
        let redis = redis::read_redis(&mut r);

        if r.errors.is_empty() {
            Ok(Config {
                app_env,
                bind,
                port,
                public_url,
                allow_insecure_http,
                data_dir,
                database_url,
                database,
                log_level,
                log_format,
                default_currency,
                project_code_prefix,
                scope_units,
                review_overdue_days,
                notification_batch_seconds,
                session_idle_minutes,
                session_max_hours,
                max_body_bytes,
                max_upload_bytes,
                files_s3,
                admin_password,
                seed_password,
                smtp,
                ops,
                backup,
                security,
                jobs,
                tls,
                redis,
            })
        } else {
            Err(ConfigErrors(r.errors))
        }
    }

    /// The address to listen on.
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }

    /// Where this server answers on this machine: the bind address, or loopback when
    /// listening on all interfaces. Used by `healthcheck`.
    pub fn local_url(&self) -> String {
        http::local_url(self.bind, self.port)
    }

    /// Whether cookies must carry the `Secure` flag (the public URL is HTTPS).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// A description of the database without its password, for logs and messages.
    pub fn database_description(&self) -> String {
        match &self.database_url {
            None => format!("SQLite in {}", self.data_dir.display()),
            Some(url) => format!("PostgreSQL at {}", redact_url(url.expose())),
        }
    }

    /// The slice of the configuration the use cases need.
    pub fn app_config(&self) -> AppConfig {
        AppConfig {
            default_currency: self.default_currency.clone(),
            project_code_prefix: self.project_code_prefix.clone(),
            session_idle: time::Duration::minutes(i64::from(self.session_idle_minutes)),
            session_absolute: time::Duration::hours(i64::from(self.session_max_hours)),
            public_url: self.public_url.clone(),
            product_name: "Formula PM".to_owned(),
            scope_units: self.scope_units.clone(),
            review_overdue_days: i64::from(self.review_overdue_days),
            notification_batch: time::Duration::seconds(i64::from(self.notification_batch_seconds)),
            stream_recheck: formula_app::config::STREAM_RECHECK,
        }
    }

    /// The effective configuration as `NAME=value` lines, secrets redacted.
    /// Unset optional values print as `NAME=`; `_FILE` variables are folded into their `NAME`.
    pub fn redacted_lines(&self) -> Vec<String> {
        let lines = [
            ("APP_ENV", self.app_env.as_str().to_owned()),
            ("BIND", self.bind.to_string()),
            ("PORT", self.port.to_string()),
            ("PUBLIC_URL", self.public_url.clone()),
            ("ALLOW_INSECURE_HTTP", self.allow_insecure_http.to_string()),
            ("DATA_DIR", self.data_dir.display().to_string()),
            (
                "DATABASE_URL",
                self.database_url
                    .as_ref()
                    .map(|u| redact_url(u.expose()))
                    .unwrap_or_default(),
            ),
            ("LOG_LEVEL", self.log_level.clone()),
            ("LOG_FORMAT", self.log_format.as_str().to_owned()),
            ("DEFAULT_CURRENCY", self.default_currency.clone()),
            ("PROJECT_CODE_PREFIX", self.project_code_prefix.clone()),
            ("SCOPE_UNITS", self.scope_units.join(",")),
            ("REVIEW_OVERDUE_DAYS", self.review_overdue_days.to_string()),
            (
                "NOTIFICATION_BATCH_SECONDS",
                self.notification_batch_seconds.to_string(),
            ),
            (
                "SESSION_IDLE_MINUTES",
                self.session_idle_minutes.to_string(),
            ),
            ("SESSION_MAX_HOURS", self.session_max_hours.to_string()),
            ("MAX_BODY_BYTES", self.max_body_bytes.to_string()),
            ("MAX_UPLOAD_SIZE", self.max_upload_bytes.to_string()),
            ("ADMIN_PASSWORD", shown(self.admin_password.as_ref())),
            ("SEED_PASSWORD", shown(self.seed_password.as_ref())),
        ];
        lines
            .into_iter()
            .chain(self.database.lines())
            .chain(mail::smtp_lines(self.smtp.as_ref()))
            .chain(self.ops.lines())
            .chain(self.backup.lines())
            .chain(s3::s3_lines(self.backup.s3.as_ref(), &s3::BACKUP_S3))
            .chain(s3::s3_lines(self.files_s3.as_ref(), &s3::FILES_S3))
            .chain(self.security.lines())
            .chain(tls::tls_lines(self.tls.as_ref()))
            .chain(self.jobs.lines())
            .chain(redis::redis_lines(self.redis.as_ref()))
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}
