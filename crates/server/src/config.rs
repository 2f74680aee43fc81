//! The server's configuration: every environment variable is read and checked here, in one
//! place, into a typed [`Config`]. Invalid values are collected (not just the first) and
//! each message names its variable, so one run of `formula-pm check-config` shows them all.
//!
//! The loader takes a lookup function instead of reading the process environment itself,
//! so tests can feed it any set of variables. `docs/configuration.md` and `.env.example`
//! describe exactly the names in [`VARIABLES`]; a test keeps the three in step.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use formula_app::AppConfig;
use formula_app::jobs::{self, Cron, SchedulerConfig};
use formula_web::client_ip::TrustedProxies;
use formula_web::ratelimit::{Limit, RateLimits};
use formula_web::security::SecurityHeaders;
use tracing_subscriber::EnvFilter;

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
    "DEFAULT_CURRENCY",
    "PROJECT_CODE_PREFIX",
    "SCOPE_UNITS",
    "REVIEW_OVERDUE_DAYS",
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
    pub fn as_str(self) -> &'static str {
        match self {
            AppEnv::Development => "development",
            AppEnv::Production => "production",
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable lines.
    Pretty,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Json => "json",
            LogFormat::Pretty => "pretty",
        }
    }
}

/// A secret value. Its `Debug` output is redacted so it cannot leak through logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
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

/// How the SMTP connection is secured (`SMTP_TLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTlsMode {
    StartTls,
    Implicit,
    None,
}

impl SmtpTlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTlsMode::StartTls => "starttls",
            SmtpTlsMode::Implicit => "tls",
            SmtpTlsMode::None => "none",
        }
    }
}

/// Outgoing mail settings (sent through `formula_infra::smtp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTlsMode,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
}

/// The optional Redis (see docs/operations.md → "Redis").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisSettings {
    /// `redis://[:password@]host:port[/db]`, or `rediss://` for TLS.
    pub url: Secret,
    /// Whether readiness fails (rather than degrades) while Redis is down.
    pub required: bool,
}

/// Reads `REDIS_URL` and `REDIS_REQUIRED`.
fn read_redis(r: &mut Reader<'_>) -> Option<RedisSettings> {
    let url = r.secret("REDIS_URL");
    let required = r.boolean("REDIS_REQUIRED", false);
    let Some(url) = url else {
        if required {
            r.error("REDIS_REQUIRED", "is true but REDIS_URL is not set");
        }
        return None;
    };
    let rest = url
        .expose()
        .strip_prefix("redis://")
        .or_else(|| url.expose().strip_prefix("rediss://"));
    // The host is what follows the credentials, if any; never echo the value (a secret).
    let host = rest.map(|r| r.rsplit_once('@').map_or(r, |(_, h)| h));
    if host.is_none_or(|h| h.is_empty() || h.starts_with(['/', ':'])) {
        r.error(
            "REDIS_URL",
            "must look like redis://:password@host:6379/0 (or rediss:// for TLS)",
        );
        return None;
    }
    Some(RedisSettings { url, required })
}

/// Health checks, metrics, log files and shutdown (see docs/operations.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsSettings {
    /// Also write log lines to this file, rotated by size.
    pub log_file: Option<PathBuf>,
    /// Rotate the log file when it would grow past this many bytes.
    pub log_max_size: u64,
    /// Rotated log files kept (`LOG_FILE.1` … `LOG_FILE.N`).
    pub log_max_files: u32,
    /// Requests slower than this many milliseconds are logged at warn.
    pub slow_request_ms: u64,
    /// Database calls slower than this many milliseconds are logged at warn.
    pub slow_query_ms: u64,
    /// Bearer token `/metrics` requires.
    pub metrics_token: Option<Secret>,
    /// Serve `/metrics` only on this address instead of the main port.
    pub metrics_bind: Option<SocketAddr>,
    /// How long `/health/ready` waits for the database.
    pub health_db_timeout_ms: u64,
    /// Free disk space (percent) under which readiness is `degraded`.
    pub health_disk_warn_percent: u8,
    /// Free disk space (percent) under which readiness fails.
    pub health_disk_fail_percent: u8,
    /// How long open requests may take to finish after SIGTERM.
    pub shutdown_grace_seconds: u64,
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
    /// An `EnvFilter` directive string.
    pub log_level: String,
    pub log_format: LogFormat,
    pub default_currency: String,
    pub project_code_prefix: String,
    /// Units scope items may be measured in (`SCOPE_UNITS`).
    pub scope_units: Vec<String>,
    /// `REVIEW_OVERDUE_DAYS`.
    pub review_overdue_days: u32,
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

/// `TLS_CERT_FILE` and `TLS_KEY_FILE`, read (and checked) at start-up
/// (see docs/operations.md → "Native TLS").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// The certificate chain, PEM.
    pub cert_pem: String,
    /// The private key, PEM; redacted in `Debug`.
    pub key_pem: Secret,
}

impl TlsSettings {
    /// The rustls configuration serving this certificate.
    pub fn server_config(
        &self,
    ) -> Result<std::sync::Arc<rustls::ServerConfig>, crate::tls::TlsError> {
        crate::tls::server_config(self.cert_pem.as_bytes(), self.key_pem.expose().as_bytes())
    }
}

/// Reads `TLS_CERT_FILE` and `TLS_KEY_FILE`: both or neither, readable, a usable pair.
fn read_tls(r: &mut Reader<'_>) -> Option<TlsSettings> {
    let cert_file = r.get("TLS_CERT_FILE");
    let key_file = r.get("TLS_KEY_FILE");
    let (cert_file, key_file) = match (cert_file, key_file) {
        (None, None) => return None,
        (Some(c), Some(k)) => (c, k),
        (Some(_), None) => {
            r.error("TLS_KEY_FILE", "is required when TLS_CERT_FILE is set");
            return None;
        }
        (None, Some(_)) => {
            r.error("TLS_CERT_FILE", "is required when TLS_KEY_FILE is set");
            return None;
        }
    };
    let mut read = |name: &str, path: &str| match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                r.error(name, format!("the file {path} is not a PEM (text) file"));
                None
            }
        },
        Err(e) => {
            r.error(name, format!("cannot read the file {path}: {e}"));
            None
        }
    };
    let cert_pem = read("TLS_CERT_FILE", &cert_file);
    let key_pem = read("TLS_KEY_FILE", &key_file);
    let settings = TlsSettings {
        cert_file: PathBuf::from(cert_file),
        key_file: PathBuf::from(key_file),
        cert_pem: cert_pem?,
        key_pem: Secret(key_pem?),
    };
    if let Err(e) = settings.server_config() {
        r.error(
            e.variable,
            format!(
                "{} ({})",
                e.message,
                match e.variable {
                    "TLS_KEY_FILE" => settings.key_file.display(),
                    _ => settings.cert_file.display(),
                }
            ),
        );
        return None;
    }
    Some(settings)
}

/// Client IP resolution, rate limits, timeouts, CORS and security headers
/// (see docs/operations.md → "Security and rate limits").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecuritySettings {
    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers are believed.
    pub trusted_proxies: TrustedProxies,
    /// Limits per route class, and whether they apply.
    pub rate_limits: RateLimits,
    /// Accept `RATE_LIMIT_ENABLED=false` in production.
    pub allow_no_rate_limit: bool,
    /// Time limit of a normal request.
    pub request_timeout_seconds: u64,
    /// Exact origins whose pages may call the API with bearer tokens.
    pub cors_allowed_origins: Vec<String>,
    /// Whether the app or the proxy sets the security headers.
    pub security_headers: SecurityHeaders,
}

/// One invalid setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// Every invalid setting found in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The error about `variable`, if any (used by tests and callers that explain one).
    pub fn get(&self, variable: &str) -> Option<&ConfigError> {
        self.0.iter().find(|e| e.variable == variable)
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration (see docs/configuration.md):")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Reads variables through the lookup function and collects errors.
struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<ConfigError>,
}

impl Reader<'_> {
    fn error(&mut self, variable: &str, message: impl Into<String>) {
        self.errors.push(ConfigError {
            variable: variable.to_owned(),
            message: message.into(),
        });
    }

    /// A plain (non-secret) value: trimmed; empty counts as unset.
    fn get(&self, name: &str) -> Option<String> {
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
    fn secret(&mut self, name: &str) -> Option<Secret> {
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
            (Some(v), None) => Some(Secret(v)),
            (None, Some(path)) => match std::fs::read_to_string(&path) {
                Ok(content) => {
                    let value = content.strip_suffix('\n').unwrap_or(&content);
                    let value = value.strip_suffix('\r').unwrap_or(value);
                    if value.is_empty() {
                        self.error(&file_var, format!("the file {path} is empty"));
                        None
                    } else {
                        Some(Secret(value.to_owned()))
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

    fn number<T>(&mut self, name: &str, default: T, min: T, max: T, what: &str) -> T
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

    fn boolean(&mut self, name: &str, default: bool) -> bool {
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

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigErrors> {
        Config::load(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))
    }

    /// Reads the configuration through `lookup` (a variable's value, or `None` when unset).
    /// Empty values count as unset.
    pub fn load(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigErrors> {
        let mut r = Reader {
            lookup: &lookup,
            errors: Vec::new(),
        };

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
        let tls = read_tls(&mut r);
        // With native TLS the server itself answers https://.
        let default_url = || {
            let url = local_url(bind, port);
            match &tls {
                Some(_) => url.replacen("http://", "https://", 1),
                None => url,
            }
        };
        let explicit_url = r.get("PUBLIC_URL");
        let public_url = match &explicit_url {
            Some(raw) => check_public_url(raw).unwrap_or_else(|m| {
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

        let database_url = r.secret("DATABASE_URL");
        if let Some(url) = &database_url
            && !(url.expose().starts_with("postgres://")
                || url.expose().starts_with("postgresql://"))
        {
            r.error("DATABASE_URL", "must be a postgres:// URL like postgres://user:password@host:5432/formula, or unset to use SQLite in DATA_DIR");
        }

        let log_level = r.get("LOG_LEVEL").unwrap_or_else(|| "info".to_owned());
        if let Err(m) = check_log_level(&log_level) {
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

        let files_s3 = read_s3(&mut r, &FILES_S3);

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

        let smtp = read_smtp(&mut r);
        let ops = read_ops(&mut r);
        let backup = read_backup(&mut r, &data_dir);
        let security = read_security(&mut r, app_env);
        let jobs = read_jobs(&mut r);
        let redis = read_redis(&mut r);

        if r.errors.is_empty() {
            Ok(Config {
                app_env,
                bind,
                port,
                public_url,
                allow_insecure_http,
                data_dir,
                database_url,
                log_level,
                log_format,
                default_currency,
                project_code_prefix,
                scope_units,
                review_overdue_days,
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
        local_url(self.bind, self.port)
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
        }
    }

    /// The effective configuration as `NAME=value` lines, secrets redacted.
    /// Unset optional values print as `NAME=`; `_FILE` variables are folded into their `NAME`.
    pub fn redacted_lines(&self) -> Vec<String> {
        fn secret(s: &Option<Secret>) -> String {
            if s.is_some() {
                "<redacted>".to_owned()
            } else {
                String::new()
            }
        }
        let smtp = self.smtp.as_ref();
        let lines = vec![
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
                "SESSION_IDLE_MINUTES",
                self.session_idle_minutes.to_string(),
            ),
            ("SESSION_MAX_HOURS", self.session_max_hours.to_string()),
            ("MAX_BODY_BYTES", self.max_body_bytes.to_string()),
            ("MAX_UPLOAD_SIZE", self.max_upload_bytes.to_string()),
            ("ADMIN_PASSWORD", secret(&self.admin_password)),
            ("SEED_PASSWORD", secret(&self.seed_password)),
            (
                "SMTP_HOST",
                smtp.map(|s| s.host.clone()).unwrap_or_default(),
            ),
            ("SMTP_PORT", smtp.map_or(587, |s| s.port).to_string()),
            (
                "SMTP_TLS",
                smtp.map_or("starttls", |s| s.tls.as_str()).to_owned(),
            ),
            (
                "SMTP_USERNAME",
                smtp.and_then(|s| s.username.clone()).unwrap_or_default(),
            ),
            (
                "SMTP_PASSWORD",
                secret(&smtp.and_then(|s| s.password.clone())),
            ),
            (
                "SMTP_FROM",
                smtp.map(|s| s.from.clone()).unwrap_or_default(),
            ),
        ];
        let ops = &self.ops;
        let ops_lines = [
            (
                "LOG_FILE",
                ops.log_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            ("LOG_MAX_SIZE", ops.log_max_size.to_string()),
            ("LOG_MAX_FILES", ops.log_max_files.to_string()),
            ("SLOW_REQUEST_MS", ops.slow_request_ms.to_string()),
            ("SLOW_QUERY_MS", ops.slow_query_ms.to_string()),
            ("METRICS_TOKEN", secret(&ops.metrics_token)),
            (
                "METRICS_BIND",
                ops.metrics_bind.map(|a| a.to_string()).unwrap_or_default(),
            ),
            ("HEALTH_DB_TIMEOUT_MS", ops.health_db_timeout_ms.to_string()),
            (
                "HEALTH_DISK_WARN_PERCENT",
                ops.health_disk_warn_percent.to_string(),
            ),
            (
                "HEALTH_DISK_FAIL_PERCENT",
                ops.health_disk_fail_percent.to_string(),
            ),
            (
                "SHUTDOWN_GRACE_SECONDS",
                ops.shutdown_grace_seconds.to_string(),
            ),
        ];
        let sec = &self.security;
        let rl = &sec.rate_limits;
        let security_lines = [
            ("TRUSTED_PROXIES", sec.trusted_proxies.to_string()),
            ("RATE_LIMIT_ENABLED", rl.enabled.to_string()),
            ("ALLOW_NO_RATE_LIMIT", sec.allow_no_rate_limit.to_string()),
            ("RATE_LIMIT_LOGIN_PER_MINUTE", rl.login.requests.to_string()),
            (
                "RATE_LIMIT_PASSWORD_RESET_PER_HOUR",
                rl.password_reset.requests.to_string(),
            ),
            (
                "RATE_LIMIT_API_READ_PER_MINUTE",
                rl.api_read.requests.to_string(),
            ),
            (
                "RATE_LIMIT_API_WRITE_PER_MINUTE",
                rl.api_write.requests.to_string(),
            ),
            ("RATE_LIMIT_PAGES_PER_MINUTE", rl.pages.requests.to_string()),
            (
                "REQUEST_TIMEOUT_SECONDS",
                sec.request_timeout_seconds.to_string(),
            ),
            ("CORS_ALLOWED_ORIGINS", sec.cors_allowed_origins.join(",")),
            ("SECURITY_HEADERS", sec.security_headers.as_str().to_owned()),
            (
                "TLS_CERT_FILE",
                self.tls
                    .as_ref()
                    .map(|t| t.cert_file.display().to_string())
                    .unwrap_or_default(),
            ),
            (
                "TLS_KEY_FILE",
                self.tls
                    .as_ref()
                    .map(|t| t.key_file.display().to_string())
                    .unwrap_or_default(),
            ),
        ];
        lines
            .into_iter()
            .chain(ops_lines)
            .chain(self.backup.lines())
            .chain(s3_lines(self.backup.s3.as_ref(), &BACKUP_S3))
            .chain(s3_lines(self.files_s3.as_ref(), &FILES_S3))
            .chain(security_lines)
            .chain(self.jobs.lines())
            .chain([
                (
                    "REDIS_URL",
                    secret(&self.redis.as_ref().map(|r| r.url.clone())),
                ),
                (
                    "REDIS_REQUIRED",
                    self.redis.as_ref().is_some_and(|r| r.required).to_string(),
                ),
            ])
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}

/// Background jobs (see docs/operations.md → "Background jobs").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSettings {
    /// Job worker tasks in this process; 0 runs neither workers nor the scheduler here.
    pub workers: u32,
    /// When expired sessions and reset links are deleted; `None` is off.
    pub cleanup_sessions: Option<Cron>,
    /// When old audit entries are deleted; `None` is off.
    pub audit_retention: Option<Cron>,
    /// When planner statistics are refreshed; `None` is off.
    pub db_maintenance: Option<Cron>,
    /// Audit entries older than this many days are deleted (except kept actions).
    pub audit_retention_days: u32,
}

impl JobSettings {
    /// The scheduler's view of these settings.
    pub fn scheduler(&self) -> SchedulerConfig {
        SchedulerConfig::new(
            self.cleanup_sessions.clone(),
            self.audit_retention.clone(),
            self.db_maintenance.clone(),
            self.audit_retention_days,
        )
    }

    fn lines(&self) -> [(&'static str, String); 5] {
        let cron = |c: &Option<Cron>| c.as_ref().map_or_else(|| "off".to_owned(), Cron::to_string);
        [
            ("JOB_WORKERS", self.workers.to_string()),
            ("SCHEDULE_CLEANUP_SESSIONS", cron(&self.cleanup_sessions)),
            ("SCHEDULE_AUDIT_RETENTION", cron(&self.audit_retention)),
            ("SCHEDULE_DB_MAINTENANCE", cron(&self.db_maintenance)),
            (
                "AUDIT_RETENTION_DAYS",
                self.audit_retention_days.to_string(),
            ),
        ]
    }
}

fn read_jobs(r: &mut Reader<'_>) -> JobSettings {
    let mut schedule = |name: &str, default: &str| -> Option<Cron> {
        let raw = r.get(name).unwrap_or_else(|| default.to_owned());
        if raw.eq_ignore_ascii_case("off") {
            return None;
        }
        match Cron::parse(&raw) {
            Ok(c) => Some(c),
            Err(m) => {
                r.error(name, format!("{m} (or off to disable it)"));
                Cron::parse(default).ok()
            }
        }
    };
    let cleanup_sessions = schedule("SCHEDULE_CLEANUP_SESSIONS", jobs::DEFAULT_CLEANUP_SESSIONS);
    let audit_retention = schedule("SCHEDULE_AUDIT_RETENTION", jobs::DEFAULT_AUDIT_RETENTION);
    let db_maintenance = schedule("SCHEDULE_DB_MAINTENANCE", jobs::DEFAULT_DB_MAINTENANCE);
    JobSettings {
        workers: r.number(
            "JOB_WORKERS",
            1,
            0,
            64,
            "a whole number (0 turns jobs off here)",
        ),
        cleanup_sessions,
        audit_retention,
        db_maintenance,
        audit_retention_days: r.number(
            "AUDIT_RETENTION_DAYS",
            365,
            1,
            36_500,
            "a whole number of days",
        ),
    }
}

/// `BACKUP_SCHEDULE` unless set: daily at 02:15 UTC, between the audit retention (02:00)
/// and the database maintenance (03:30).
pub const DEFAULT_BACKUP_SCHEDULE: &str = "15 2 * * *";

/// `formula-pm backup` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSettings {
    /// Default directory for archives (`BACKUP_DIR`, else `DATA_DIR/backups`).
    pub dir: PathBuf,
    /// Archives older than this many days are pruned after a backup; 0 keeps them all.
    pub retention_days: u32,
    /// When the server's job runner writes a backup into `dir` (`BACKUP_SCHEDULE`); `None`
    /// is off.
    pub schedule: Option<Cron>,
    /// age public keys every backup is encrypted to (`BACKUP_ENCRYPTION_RECIPIENTS`);
    /// empty writes plain `.tar.gz` archives.
    pub encryption_recipients: Vec<age::x25519::Recipient>,
    /// The age identity file that decrypts encrypted archives for `backup verify`,
    /// `restore` and `import` (`BACKUP_ENCRYPTION_IDENTITY_FILE`). Read only by those
    /// commands, so the server itself never needs the secret key.
    pub encryption_identity_file: Option<PathBuf>,
    /// Where each new backup is also uploaded (`BACKUP_S3_*`); `None` keeps it local only.
    pub s3: Option<S3Settings>,
}

impl BackupSettings {
    fn lines(&self) -> [(&'static str, String); 5] {
        let recipients: Vec<String> = self
            .encryption_recipients
            .iter()
            .map(ToString::to_string)
            .collect();
        [
            ("BACKUP_DIR", self.dir.display().to_string()),
            ("BACKUP_RETENTION_DAYS", self.retention_days.to_string()),
            (
                "BACKUP_SCHEDULE",
                self.schedule
                    .as_ref()
                    .map_or_else(|| "off".to_owned(), Cron::to_string),
            ),
            ("BACKUP_ENCRYPTION_RECIPIENTS", recipients.join(",")),
            (
                "BACKUP_ENCRYPTION_IDENTITY_FILE",
                self.encryption_identity_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
        ]
    }
}

fn read_backup(r: &mut Reader<'_>, data_dir: &std::path::Path) -> BackupSettings {
    let dir = r
        .get("BACKUP_DIR")
        .map_or_else(|| data_dir.join("backups"), PathBuf::from);
    let retention_days = r.number(
        "BACKUP_RETENTION_DAYS",
        30,
        0,
        36_500,
        "a whole number of days (0 keeps every backup)",
    );
    let raw = r
        .get("BACKUP_SCHEDULE")
        .unwrap_or_else(|| DEFAULT_BACKUP_SCHEDULE.to_owned());
    let schedule = if raw.eq_ignore_ascii_case("off") {
        None
    } else {
        match Cron::parse(&raw) {
            Ok(c) => Some(c),
            Err(m) => {
                r.error("BACKUP_SCHEDULE", format!("{m} (or off to disable it)"));
                None
            }
        }
    };
    let encryption_recipients = match r.get("BACKUP_ENCRYPTION_RECIPIENTS") {
        None => Vec::new(),
        Some(raw) => crate::encryption::parse_recipients(&raw).unwrap_or_else(|m| {
            r.error("BACKUP_ENCRYPTION_RECIPIENTS", m);
            Vec::new()
        }),
    };
    let encryption_identity_file = r.get("BACKUP_ENCRYPTION_IDENTITY_FILE").map(PathBuf::from);
    BackupSettings {
        dir,
        retention_days,
        schedule,
        encryption_recipients,
        encryption_identity_file,
        s3: read_s3(r, &BACKUP_S3),
    }
}

/// An S3-compatible bucket: where backups are also uploaded (`BACKUP_S3_*`, see
/// docs/operations.md → "Copies in object storage") or where uploaded files are kept
/// (`S3_*`). Path-style requests signed with SigV4, so AWS, MinIO, Ceph and Garage all work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `http(s)://host[:port]`, without a trailing slash.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    /// Put before each file name to make its object key, e.g. `formula-pm/`.
    pub prefix: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

/// The names of one group of S3 variables and its default prefix.
struct S3Vars {
    endpoint: &'static str,
    bucket: &'static str,
    region: &'static str,
    prefix: &'static str,
    access_key_id: &'static str,
    secret_access_key: &'static str,
    default_prefix: &'static str,
}

const BACKUP_S3: S3Vars = S3Vars {
    endpoint: "BACKUP_S3_ENDPOINT",
    bucket: "BACKUP_S3_BUCKET",
    region: "BACKUP_S3_REGION",
    prefix: "BACKUP_S3_PREFIX",
    access_key_id: "BACKUP_S3_ACCESS_KEY_ID",
    secret_access_key: "BACKUP_S3_SECRET_ACCESS_KEY",
    default_prefix: "formula-pm/",
};

const FILES_S3: S3Vars = S3Vars {
    endpoint: "S3_ENDPOINT",
    bucket: "S3_BUCKET",
    region: "S3_REGION",
    prefix: "S3_PREFIX",
    access_key_id: "S3_ACCESS_KEY_ID",
    secret_access_key: "S3_SECRET_ACCESS_KEY",
    default_prefix: "uploads/",
};

impl S3Settings {
    /// The region unless one is set.
    pub const DEFAULT_REGION: &str = "us-east-1";

    /// The bucket as the S3 client takes it.
    pub fn bucket(&self) -> formula_infra::s3::Bucket {
        formula_infra::s3::Bucket {
            endpoint: self.endpoint.clone(),
            name: self.bucket.clone(),
            region: self.region.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.expose().to_owned(),
        }
    }
}

/// The effective values of one group of S3 variables, for `config`'s listing.
fn s3_lines(s3: Option<&S3Settings>, v: &S3Vars) -> [(&'static str, String); 6] {
    let field = |f: fn(&S3Settings) -> &str| s3.map(|s| f(s).to_owned());
    [
        (v.endpoint, field(|s| &s.endpoint).unwrap_or_default()),
        (v.bucket, field(|s| &s.bucket).unwrap_or_default()),
        (
            v.region,
            field(|s| &s.region).unwrap_or_else(|| S3Settings::DEFAULT_REGION.to_owned()),
        ),
        (
            v.prefix,
            field(|s| &s.prefix).unwrap_or_else(|| v.default_prefix.to_owned()),
        ),
        (
            v.access_key_id,
            field(|s| &s.access_key_id).unwrap_or_default(),
        ),
        (
            v.secret_access_key,
            if s3.is_some() { "<redacted>" } else { "" }.to_owned(),
        ),
    ]
}

/// Reads one group of S3 variables: nothing set is off; a bucket needs an endpoint and both
/// keys, and any other of these variables needs a bucket.
fn read_s3(r: &mut Reader<'_>, v: &S3Vars) -> Option<S3Settings> {
    let endpoint = r.get(v.endpoint);
    let bucket = r.get(v.bucket);
    let region = r.get(v.region);
    let prefix = r.get(v.prefix);
    let access_key_id = r.get(v.access_key_id);
    let secret_access_key = r.secret(v.secret_access_key);
    let Some(bucket) = bucket else {
        let others = [
            (v.endpoint, endpoint.is_some()),
            (v.region, region.is_some()),
            (v.prefix, prefix.is_some()),
            (v.access_key_id, access_key_id.is_some()),
            (v.secret_access_key, secret_access_key.is_some()),
        ];
        if let Some((set, _)) = others.iter().find(|(_, set)| *set) {
            r.error(v.bucket, format!("is required when {set} is set"));
        }
        return None;
    };
    let mut ok = true;
    if !bucket
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        r.error(
            v.bucket,
            format!("must be a bucket name (letters, digits, '-', '.', '_'), got {bucket:?}"),
        );
        ok = false;
    }
    let endpoint = match endpoint.as_deref().map(check_s3_endpoint) {
        None => {
            r.error(
                v.endpoint,
                format!(
                    "is required when {} is set, like https://s3.eu-west-1.amazonaws.com or http://minio:9000",
                    v.bucket
                ),
            );
            None
        }
        Some(Err(raw)) => {
            r.error(
                v.endpoint,
                format!(
                    "must be http(s)://host[:port] without a path, like https://s3.eu-west-1.amazonaws.com or http://minio:9000, got {raw:?}"
                ),
            );
            None
        }
        Some(Ok(e)) => Some(e),
    };
    let region = region.unwrap_or_else(|| S3Settings::DEFAULT_REGION.to_owned());
    if !region
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    {
        r.error(
            v.region,
            format!("must be a region name like eu-west-1, got {region:?}"),
        );
        ok = false;
    }
    let prefix = prefix.unwrap_or_else(|| v.default_prefix.to_owned());
    if prefix.starts_with('/') || prefix.chars().any(char::is_control) {
        r.error(
            v.prefix,
            format!(
                "must be an object key prefix like {} (no leading '/'), got {prefix:?}",
                v.default_prefix
            ),
        );
        ok = false;
    }
    if access_key_id.is_none() {
        r.error(
            v.access_key_id,
            format!("is required when {} is set", v.bucket),
        );
    }
    if secret_access_key.is_none() {
        r.error(
            v.secret_access_key,
            format!(
                "is required when {} is set (or {}_FILE)",
                v.bucket, v.secret_access_key
            ),
        );
    }
    if !ok {
        return None;
    }
    Some(S3Settings {
        endpoint: endpoint?,
        bucket,
        region,
        prefix,
        access_key_id: access_key_id?,
        secret_access_key: secret_access_key?,
    })
}

/// `http(s)://host[:port]` with an optional trailing slash, returned without it.
fn check_s3_endpoint(raw: &str) -> Result<String, String> {
    let trimmed = raw.strip_suffix('/').unwrap_or(raw);
    let host = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match host {
        Some(h)
            if !h.is_empty()
                && !h.starts_with(':')
                && !h.contains(['/', '?', '#', '@'])
                && !h.contains(char::is_whitespace) =>
        {
            Ok(trimmed.to_owned())
        }
        _ => Err(raw.to_owned()),
    }
}

fn read_smtp(r: &mut Reader<'_>) -> Option<SmtpConfig> {
    let host = r.get("SMTP_HOST");
    let port = r.number("SMTP_PORT", 587, 1, u16::MAX, "a number");
    let username = r.get("SMTP_USERNAME");
    let password = r.secret("SMTP_PASSWORD");
    let from = r.get("SMTP_FROM");
    let tls = match r.get("SMTP_TLS").as_deref() {
        None => {
            if port == 465 {
                SmtpTlsMode::Implicit
            } else {
                SmtpTlsMode::StartTls
            }
        }
        Some("starttls") => SmtpTlsMode::StartTls,
        Some("tls") => SmtpTlsMode::Implicit,
        Some("none") => SmtpTlsMode::None,
        Some(other) => {
            r.error(
                "SMTP_TLS",
                format!("must be one of starttls, tls, none, got {other:?}"),
            );
            SmtpTlsMode::StartTls
        }
    };
    if let Some(h) = &host
        && (h.contains(char::is_whitespace) || h.contains('/') || h.contains(':'))
    {
        r.error(
            "SMTP_HOST",
            format!("must be a host name like smtp.example.com, got {h:?}"),
        );
    }
    if let Some(f) = &from
        && let Err(m) = check_mailbox(f)
    {
        r.error("SMTP_FROM", format!("{m}, got {f:?}"));
    }
    if username.is_some() && password.is_none() {
        r.error("SMTP_PASSWORD", "is required when SMTP_USERNAME is set");
    }
    if password.is_some() && username.is_none() {
        r.error("SMTP_USERNAME", "is required when SMTP_PASSWORD is set");
    }
    let host = host?;
    let Some(from) = from else {
        r.error(
            "SMTP_FROM",
            "is required when SMTP_HOST is set, like \"Formula PM <pm@example.com>\"",
        );
        return None;
    };
    Some(SmtpConfig {
        host,
        port,
        tls,
        username,
        password,
        from,
    })
}

fn read_ops(r: &mut Reader<'_>) -> OpsSettings {
    let log_file = r.get("LOG_FILE").map(PathBuf::from);
    let log_max_size = r.number(
        "LOG_MAX_SIZE",
        10 * 1024 * 1024,
        4096,
        u64::MAX,
        "a number of bytes",
    );
    let log_max_files = r.number("LOG_MAX_FILES", 5, 1, 1000, "a whole number of files");
    let slow_request_ms = r.number(
        "SLOW_REQUEST_MS",
        1000,
        1,
        3_600_000,
        "a number of milliseconds",
    );
    let slow_query_ms = r.number(
        "SLOW_QUERY_MS",
        250,
        1,
        3_600_000,
        "a number of milliseconds",
    );
    let metrics_token = r.secret("METRICS_TOKEN");
    if let Some(t) = &metrics_token
        && (t.expose().len() < 16 || t.expose().chars().any(char::is_whitespace))
    {
        r.error(
            "METRICS_TOKEN",
            "must be at least 16 characters without spaces (e.g. from `openssl rand -hex 32`)",
        );
    }
    let metrics_bind = match r.get("METRICS_BIND") {
        None => None,
        Some(raw) => match raw.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                r.error(
                    "METRICS_BIND",
                    format!("must be an address with a port, like 127.0.0.1:9464 or [::1]:9464, got {raw:?}"),
                );
                None
            }
        },
    };
    let health_db_timeout_ms = r.number(
        "HEALTH_DB_TIMEOUT_MS",
        1000,
        10,
        60_000,
        "a number of milliseconds",
    );
    let health_disk_warn_percent =
        r.number("HEALTH_DISK_WARN_PERCENT", 10, 0, 100, "a whole percentage");
    let health_disk_fail_percent =
        r.number("HEALTH_DISK_FAIL_PERCENT", 2, 0, 100, "a whole percentage");
    if health_disk_fail_percent > health_disk_warn_percent {
        r.error(
            "HEALTH_DISK_FAIL_PERCENT",
            format!("must not be above HEALTH_DISK_WARN_PERCENT ({health_disk_warn_percent})"),
        );
    }
    let shutdown_grace_seconds = r.number(
        "SHUTDOWN_GRACE_SECONDS",
        30,
        0,
        3600,
        "a whole number of seconds",
    );
    OpsSettings {
        log_file,
        log_max_size,
        log_max_files,
        slow_request_ms,
        slow_query_ms,
        metrics_token,
        metrics_bind,
        health_db_timeout_ms,
        health_disk_warn_percent,
        health_disk_fail_percent,
        shutdown_grace_seconds,
    }
}

fn read_security(r: &mut Reader<'_>, app_env: AppEnv) -> SecuritySettings {
    let production = app_env == AppEnv::Production;
    let trusted_proxies = match r.get("TRUSTED_PROXIES") {
        None => TrustedProxies::default(),
        Some(raw) => TrustedProxies::parse(&raw).unwrap_or_else(|m| {
            r.error(
                "TRUSTED_PROXIES",
                format!("{m}; list the proxies' addresses or networks, like 10.0.0.0/8,::1"),
            );
            TrustedProxies::default()
        }),
    };
    if production && trusted_proxies.networks().iter().any(|c| c.prefix() == 0) {
        r.error(
            "TRUSTED_PROXIES",
            "must not trust every address in production (a /0 network lets any client choose the IP it is rate-limited and audited by); list only your proxies",
        );
    }

    let enabled = r.boolean("RATE_LIMIT_ENABLED", true);
    let allow_no_rate_limit = r.boolean("ALLOW_NO_RATE_LIMIT", false);
    if production && !enabled && !allow_no_rate_limit {
        r.error(
            "RATE_LIMIT_ENABLED",
            "must stay true in production (it stops password guessing); set ALLOW_NO_RATE_LIMIT=true if something in front of the server limits requests",
        );
    }
    let mut per = |name: &str, default: u32, unit: &str| {
        r.number(
            name,
            default,
            1,
            1_000_000,
            &format!("a number of requests per {unit}"),
        )
    };
    let rate_limits = RateLimits {
        enabled,
        login: Limit::per_minute(per(
            "RATE_LIMIT_LOGIN_PER_MINUTE",
            RateLimits::LOGIN_PER_MINUTE,
            "minute",
        )),
        password_reset: Limit::per_hour(per(
            "RATE_LIMIT_PASSWORD_RESET_PER_HOUR",
            RateLimits::PASSWORD_RESET_PER_HOUR,
            "hour",
        )),
        api_read: Limit::per_minute(per(
            "RATE_LIMIT_API_READ_PER_MINUTE",
            RateLimits::API_READ_PER_MINUTE,
            "minute",
        )),
        api_write: Limit::per_minute(per(
            "RATE_LIMIT_API_WRITE_PER_MINUTE",
            RateLimits::API_WRITE_PER_MINUTE,
            "minute",
        )),
        pages: Limit::per_minute(per(
            "RATE_LIMIT_PAGES_PER_MINUTE",
            RateLimits::PAGES_PER_MINUTE,
            "minute",
        )),
    };

    let request_timeout_seconds = r.number(
        "REQUEST_TIMEOUT_SECONDS",
        30,
        1,
        3600,
        "a whole number of seconds",
    );

    let mut cors_allowed_origins = Vec::new();
    for raw in r
        .get("CORS_ALLOWED_ORIGINS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        match check_public_url(raw) {
            Ok(o) if o == raw => cors_allowed_origins.push(o.to_ascii_lowercase()),
            _ => r.error(
                "CORS_ALLOWED_ORIGINS",
                format!(
                    "must list exact origins like https://tools.example.com (scheme, host, optional port; no path, no trailing slash, no *), got {raw:?}"
                ),
            ),
        }
    }

    let security_headers = match r.get("SECURITY_HEADERS").as_deref() {
        None | Some("app") => SecurityHeaders::App,
        Some("proxy") => SecurityHeaders::Proxy,
        Some(other) => {
            r.error(
                "SECURITY_HEADERS",
                format!("must be app or proxy, got {other:?}"),
            );
            SecurityHeaders::App
        }
    };

    SecuritySettings {
        trusted_proxies,
        rate_limits,
        allow_no_rate_limit,
        request_timeout_seconds,
        cors_allowed_origins,
        security_headers,
    }
}

/// `name@example.com` or `Display Name <name@example.com>`.
fn check_mailbox(value: &str) -> Result<(), &'static str> {
    let address = match (value.find('<'), value.strip_suffix('>')) {
        (Some(open), Some(rest)) => &rest[open + 1..],
        (None, None) => value,
        _ => {
            return Err(
                "must be an address like pm@example.com or \"Formula PM <pm@example.com>\"",
            );
        }
    };
    formula_domain::user::normalize_email(address)
        .map(|_| ())
        .map_err(|_| "must be an address like pm@example.com or \"Formula PM <pm@example.com>\"")
}

/// Where a server listening on `bind:port` answers on this machine: loopback stands in
/// for "all interfaces". Also the default public URL.
fn local_url(bind: IpAddr, port: u16) -> String {
    let host = match bind {
        IpAddr::V4(a) if a.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(a) if a.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    };
    format!("http://{}", SocketAddr::new(host, port))
}

/// Checks a base URL: http(s), a host, an optional port, no path, query or fragment.
/// Returns it without a trailing slash.
fn check_public_url(raw: &str) -> Result<String, &'static str> {
    const MSG: &str = "must be a base URL like https://pm.example.com (http or https, a host, an optional port, no path)";
    let url = raw.trim_end_matches('/');
    let authority = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(MSG)?;
    if authority
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '@' | '\\'))
    {
        return Err(MSG);
    }
    let (host, port) = match authority.strip_prefix('[') {
        // An IPv6 literal: [::1] or [::1]:5014.
        Some(v6) => {
            let (addr, after) = v6.split_once(']').ok_or(MSG)?;
            addr.parse::<Ipv6Addr>().map_err(|_| MSG)?;
            let port = match after {
                "" => None,
                a => Some(a.strip_prefix(':').ok_or(MSG)?),
            };
            (addr, port)
        }
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if host.is_empty() || port.is_some_and(|p| p.parse::<u16>().map_or(true, |p| p == 0)) {
        return Err(MSG);
    }
    Ok(url.to_owned())
}

/// Checks a `LOG_LEVEL` directive string. Besides `EnvFilter`'s own syntax check, a bare
/// word must be a level: `EnvFilter` would read `verbose` as "everything from a module
/// named verbose", which is never what was meant.
fn check_log_level(value: &str) -> Result<(), String> {
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
    use std::cell::RefCell;
    use std::collections::{BTreeSet, HashMap};

    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load(|name| map.get(name).cloned())
    }

    fn error_for(vars: &[(&str, &str)], variable: &str) -> String {
        match load(vars) {
            Ok(_) => panic!("expected an error for {variable}"),
            Err(e) => e
                .get(variable)
                .map(|e| e.to_string())
                .unwrap_or_else(|| panic!("no error names {variable}: {e}")),
        }
    }

    /// A file in the system temp directory, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, content: &str) -> TempFile {
            let path = std::env::temp_dir().join(format!(
                "formula-pm-config-test-{}-{name}",
                std::process::id()
            ));
            std::fs::write(&path, content).unwrap();
            TempFile(path)
        }
        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn defaults_run_on_a_laptop_with_nothing_set() {
        let c = load(&[]).unwrap();
        assert_eq!(c.app_env, AppEnv::Development);
        assert_eq!(c.listen_addr().to_string(), "127.0.0.1:5014");
        assert_eq!(c.public_url, "http://127.0.0.1:5014");
        assert!(!c.secure_cookies());
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.database_url, None);
        assert_eq!(c.log_level, "info");
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.default_currency, "USD");
        assert_eq!(c.project_code_prefix, "FPM");
        assert_eq!((c.session_idle_minutes, c.session_max_hours), (720, 168));
        assert_eq!(c.max_body_bytes, 1_048_576);
        assert_eq!(c.smtp, None);
        assert_eq!(c.admin_password, None);
        let app = c.app_config();
        assert_eq!(app.session_idle, time::Duration::hours(12));
        assert_eq!(app.session_absolute, time::Duration::days(7));
    }

    #[test]
    fn empty_values_count_as_unset() {
        let c = load(&[("PORT", ""), ("DATABASE_URL", ""), ("LOG_LEVEL", "  ")]).unwrap();
        assert_eq!(c.port, 5014);
        assert_eq!(c.database_url, None);
        assert_eq!(c.log_level, "info");
    }

    #[test]
    fn values_are_parsed() {
        let c = load(&[
            ("BIND", "0.0.0.0"),
            ("PORT", "8080"),
            ("DATA_DIR", "/var/lib/formula"),
            ("DATABASE_URL", "postgres://pm:s3cret@db:5432/formula"),
            ("LOG_LEVEL", "info,formula_web=debug"),
            ("LOG_FORMAT", "pretty"),
            ("DEFAULT_CURRENCY", "eur"),
            ("PROJECT_CODE_PREFIX", "WSC"),
            ("SESSION_IDLE_MINUTES", "30"),
            ("SESSION_MAX_HOURS", "24"),
            ("MAX_BODY_BYTES", "2048"),
        ])
        .unwrap();
        assert_eq!(c.listen_addr().to_string(), "0.0.0.0:8080");
        assert_eq!(
            c.public_url, "http://127.0.0.1:8080",
            "all interfaces → loopback in the default URL"
        );
        assert_eq!(c.local_url(), "http://127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/formula"));
        assert_eq!(
            c.database_url.as_ref().map(Secret::expose),
            Some("postgres://pm:s3cret@db:5432/formula")
        );
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert_eq!(c.default_currency, "EUR");
        assert_eq!(c.project_code_prefix, "WSC");
        assert_eq!(
            (
                c.session_idle_minutes,
                c.session_max_hours,
                c.max_body_bytes
            ),
            (30, 24, 2048)
        );
        assert_eq!(
            c.database_description(),
            "PostgreSQL at postgres://pm:<redacted>@db:5432/formula"
        );
    }

    #[test]
    fn ipv6_bind_makes_a_bracketed_url() {
        let c = load(&[("BIND", "::")]).unwrap();
        assert_eq!(c.public_url, "http://[::1]:5014");
        let c = load(&[("BIND", "localhost")]).unwrap();
        assert_eq!(c.bind, IpAddr::V4(Ipv4Addr::LOCALHOST));
    }

    #[test]
    fn each_invalid_value_names_its_variable() {
        let cases: &[(&str, &str)] = &[
            ("APP_ENV", "staging"),
            ("BIND", "my-laptop"),
            ("PORT", "abc"),
            ("PORT", "0"),
            ("PORT", "70000"),
            ("PUBLIC_URL", "pm.example.com"),
            ("PUBLIC_URL", "https://pm.example.com/app"),
            ("PUBLIC_URL", "https://"),
            ("PUBLIC_URL", "https://pm.example.com:99999"),
            ("ALLOW_INSECURE_HTTP", "maybe"),
            ("DATABASE_URL", "mysql://localhost/pm"),
            ("LOG_LEVEL", "verbose"),
            ("LOG_LEVEL", "info,formula_web=loud"),
            ("LOG_FORMAT", "xml"),
            ("DEFAULT_CURRENCY", "dollars"),
            ("PROJECT_CODE_PREFIX", "wsc"),
            ("PROJECT_CODE_PREFIX", "W"),
            ("PROJECT_CODE_PREFIX", "ABCDEFGHI"),
            ("PROJECT_CODE_PREFIX", "W2C"),
            ("SESSION_IDLE_MINUTES", "0"),
            ("SESSION_IDLE_MINUTES", "-5"),
            ("SESSION_MAX_HOURS", "1.5"),
            ("MAX_BODY_BYTES", "12"),
            ("ADMIN_PASSWORD", "short"),
            ("SEED_PASSWORD", "short"),
            ("SMTP_PORT", "smtp"),
        ];
        for (name, value) in cases {
            let msg = error_for(&[(name, value)], name);
            assert!(msg.starts_with(&format!("{name}: ")), "{msg}");
        }
        assert_eq!(
            error_for(&[("PORT", "abc")], "PORT"),
            r#"PORT: must be a number between 1 and 65535, got "abc""#
        );
    }

    #[test]
    fn all_errors_are_collected_at_once() {
        let e = load(&[
            ("PORT", "abc"),
            ("LOG_FORMAT", "xml"),
            ("APP_ENV", "staging"),
        ])
        .unwrap_err();
        let names: Vec<&str> = e.0.iter().map(|e| e.variable.as_str()).collect();
        assert_eq!(names, ["APP_ENV", "PORT", "LOG_FORMAT"]);
        let text = e.to_string();
        assert!(
            text.contains("PORT: must be a number")
                && text.contains("LOG_FORMAT: must be json or pretty"),
            "{text}"
        );
    }

    #[test]
    fn secret_values_are_never_echoed() {
        let e = load(&[
            ("DATABASE_URL", "mysql://root:hunter2hunter2@db/pm"),
            ("ADMIN_PASSWORD", "hunter2"),
        ])
        .unwrap_err();
        let text = e.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        let c = load(&[("ADMIN_PASSWORD", "correct horse battery")]).unwrap();
        assert!(!format!("{c:?}").contains("correct horse"));
        assert!(!c.redacted_lines().join("\n").contains("correct horse"));
    }

    #[test]
    fn secrets_are_read_from_files() {
        let db = TempFile::new("db", "postgres://pm:from-file@db/formula\n");
        let admin = TempFile::new("admin", "a long admin password\r\n");
        let c = load(&[
            ("DATABASE_URL_FILE", db.path()),
            ("ADMIN_PASSWORD_FILE", admin.path()),
        ])
        .unwrap();
        assert_eq!(
            c.database_url.as_ref().map(Secret::expose),
            Some("postgres://pm:from-file@db/formula")
        );
        assert_eq!(
            c.admin_password.as_ref().map(Secret::expose),
            Some("a long admin password")
        );

        let smtp = TempFile::new("smtp", "mail-password");
        let c = load(&[
            ("SMTP_HOST", "smtp.example.com"),
            ("SMTP_USERNAME", "pm"),
            ("SMTP_PASSWORD_FILE", smtp.path()),
            ("SMTP_FROM", "Formula PM <pm@example.com>"),
        ])
        .unwrap();
        let s = c.smtp.unwrap();
        assert_eq!(
            s.password.as_ref().map(Secret::expose),
            Some("mail-password")
        );
        assert_eq!((s.host.as_str(), s.port), ("smtp.example.com", 587));
    }

    #[test]
    fn secret_file_problems_name_the_file_variable() {
        let msg = error_for(
            &[("DATABASE_URL_FILE", "/nonexistent/formula-pm/secret")],
            "DATABASE_URL_FILE",
        );
        assert!(
            msg.contains("cannot read the file /nonexistent/formula-pm/secret"),
            "{msg}"
        );
        let empty = TempFile::new("empty", "\n");
        let msg = error_for(
            &[("SEED_PASSWORD_FILE", empty.path())],
            "SEED_PASSWORD_FILE",
        );
        assert!(msg.contains("is empty"), "{msg}");
    }

    #[test]
    fn setting_a_secret_and_its_file_is_an_error() {
        let f = TempFile::new("both", "another long password");
        for name in SECRETS {
            let file_var = format!("{name}_FILE");
            let msg = error_for(
                &[(name, "a long enough password"), (&file_var, f.path())],
                name,
            );
            assert!(msg.contains("set only one of them"), "{msg}");
        }
    }

    #[test]
    fn tls_files_come_in_pairs_and_are_read_at_start_up() {
        assert!(load(&[]).unwrap().tls.is_none());
        let cert = TempFile::new("tls-cert", "not a certificate");
        let msg = error_for(&[("TLS_CERT_FILE", cert.path())], "TLS_KEY_FILE");
        assert!(msg.contains("required when TLS_CERT_FILE"), "{msg}");
        let msg = error_for(&[("TLS_KEY_FILE", cert.path())], "TLS_CERT_FILE");
        assert!(msg.contains("required when TLS_KEY_FILE"), "{msg}");
        let msg = error_for(
            &[
                ("TLS_CERT_FILE", "/nonexistent/formula-pm/cert.pem"),
                ("TLS_KEY_FILE", cert.path()),
            ],
            "TLS_CERT_FILE",
        );
        assert!(msg.contains("cannot read the file"), "{msg}");
        let msg = error_for(
            &[
                ("TLS_CERT_FILE", cert.path()),
                ("TLS_KEY_FILE", cert.path()),
            ],
            "TLS_CERT_FILE",
        );
        assert!(msg.contains("no certificate"), "{msg}");
    }

    #[test]
    fn production_requires_https_unless_allowed() {
        let msg = error_for(&[("APP_ENV", "production")], "PUBLIC_URL");
        assert!(msg.contains("must be set in production"), "{msg}");
        let msg = error_for(
            &[
                ("APP_ENV", "production"),
                ("PUBLIC_URL", "http://pm.example.com"),
            ],
            "PUBLIC_URL",
        );
        assert!(
            msg.contains("https://") && msg.contains("ALLOW_INSECURE_HTTP"),
            "{msg}"
        );

        let c = load(&[
            ("APP_ENV", "production"),
            ("PUBLIC_URL", "https://pm.example.com/"),
        ])
        .unwrap();
        assert_eq!(c.public_url, "https://pm.example.com");
        assert!(c.secure_cookies());

        let c = load(&[
            ("APP_ENV", "production"),
            ("PUBLIC_URL", "http://10.0.0.5:5014"),
            ("ALLOW_INSECURE_HTTP", "true"),
        ])
        .unwrap();
        assert!(!c.secure_cookies());
        // Development accepts plain http without the switch.
        assert!(load(&[("PUBLIC_URL", "http://pm.local:8080")]).is_ok());
    }

    #[test]
    fn smtp_settings_are_checked_together() {
        assert!(
            error_for(&[("SMTP_HOST", "smtp.example.com")], "SMTP_FROM")
                .contains("is required when SMTP_HOST is set")
        );
        assert!(error_for(&[("SMTP_USERNAME", "pm")], "SMTP_PASSWORD").contains("required"));
        assert!(error_for(&[("SMTP_PASSWORD", "x")], "SMTP_USERNAME").contains("required"));
        assert!(
            error_for(&[("SMTP_FROM", "Formula PM")], "SMTP_FROM").contains("must be an address")
        );
        assert!(error_for(&[("SMTP_HOST", "smtp://x")], "SMTP_HOST").contains("host name"));
        let c = load(&[
            ("SMTP_HOST", "smtp.example.com"),
            ("SMTP_PORT", "465"),
            ("SMTP_FROM", "pm@example.com"),
        ])
        .unwrap();
        assert_eq!(c.smtp.map(|s| s.port), Some(465));
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

    #[test]
    fn operations_settings_are_parsed_and_checked() {
        let defaults = load(&[]).unwrap().ops;
        assert_eq!(defaults.shutdown_grace_seconds, 30);
        assert_eq!(defaults.health_db_timeout_ms, 1000);
        assert_eq!(
            (
                defaults.health_disk_warn_percent,
                defaults.health_disk_fail_percent
            ),
            (10, 2)
        );
        assert_eq!(
            (defaults.log_max_size, defaults.log_max_files),
            (10_485_760, 5)
        );
        assert_eq!(defaults.metrics_bind, None);

        let c = load(&[
            ("METRICS_BIND", "127.0.0.1:9464"),
            ("METRICS_TOKEN", "0123456789abcdef0123"),
            ("LOG_FILE", "/var/log/formula-pm.log"),
            ("SHUTDOWN_GRACE_SECONDS", "45"),
        ])
        .unwrap()
        .ops;
        assert_eq!(c.metrics_bind, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(c.shutdown_grace_seconds, 45);
        assert!(c.log_file.is_some());

        assert!(error_for(&[("METRICS_BIND", "9464")], "METRICS_BIND").contains("127.0.0.1:9464"));
        let short = error_for(&[("METRICS_TOKEN", "short")], "METRICS_TOKEN");
        assert!(
            !short.contains("short"),
            "the secret is not echoed: {short}"
        );
        error_for(
            &[
                ("HEALTH_DISK_WARN_PERCENT", "5"),
                ("HEALTH_DISK_FAIL_PERCENT", "6"),
            ],
            "HEALTH_DISK_FAIL_PERCENT",
        );
        error_for(
            &[("SHUTDOWN_GRACE_SECONDS", "-1")],
            "SHUTDOWN_GRACE_SECONDS",
        );
        error_for(&[("LOG_MAX_SIZE", "10")], "LOG_MAX_SIZE");
    }

    #[test]
    fn redacted_lines_list_every_plain_variable() {
        let c = load(&[
            ("DATABASE_URL", "postgres://pm:pw@db/formula"),
            ("ADMIN_PASSWORD", "long enough password"),
        ])
        .unwrap();
        let lines = c.redacted_lines();
        assert!(lines.contains(&"PORT=5014".to_owned()));
        assert!(lines.contains(&"DATABASE_URL=postgres://pm:<redacted>@db/formula".to_owned()));
        assert!(lines.contains(&"ADMIN_PASSWORD=<redacted>".to_owned()));
        assert!(lines.contains(&"SMTP_HOST=".to_owned()));
        let printed: BTreeSet<&str> = lines
            .iter()
            .filter_map(|l| l.split_once('='))
            .map(|(k, _)| k)
            .collect();
        let expected: BTreeSet<&str> = VARIABLES
            .iter()
            .copied()
            // `NAME_FILE` forms of secrets fold into `NAME` (LOG_FILE is a variable of its own).
            .filter(|v| !SECRETS.iter().any(|s| format!("{s}_FILE") == *v))
            .collect();
        assert_eq!(printed, expected);
    }

    #[test]
    fn variables_lists_exactly_what_the_loader_reads() {
        let read = RefCell::new(BTreeSet::new());
        let _ = Config::load(|name| {
            read.borrow_mut().insert(name.to_owned());
            None
        });
        let listed: BTreeSet<String> = VARIABLES.iter().map(|v| (*v).to_owned()).collect();
        assert_eq!(read.into_inner(), listed);
        for s in SECRETS {
            assert!(VARIABLES.contains(s) && VARIABLES.contains(&format!("{s}_FILE").as_str()));
        }
    }

    #[test]
    fn security_settings_are_parsed_and_checked() {
        let c = load(&[]).unwrap();
        assert_eq!(c.security.rate_limits, RateLimits::default());
        assert!(c.security.trusted_proxies.is_empty());
        assert_eq!(c.security.request_timeout_seconds, 30);
        assert_eq!(c.security.security_headers, SecurityHeaders::App);
        assert!(c.security.cors_allowed_origins.is_empty());

        let c = load(&[
            ("TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
            ("RATE_LIMIT_LOGIN_PER_MINUTE", "5"),
            ("RATE_LIMIT_PASSWORD_RESET_PER_HOUR", "3"),
            ("RATE_LIMIT_API_READ_PER_MINUTE", "100"),
            ("RATE_LIMIT_API_WRITE_PER_MINUTE", "50"),
            ("RATE_LIMIT_PAGES_PER_MINUTE", "60"),
            ("REQUEST_TIMEOUT_SECONDS", "10"),
            (
                "CORS_ALLOWED_ORIGINS",
                "https://tools.example.com, http://localhost:3000",
            ),
            ("SECURITY_HEADERS", "proxy"),
        ])
        .unwrap();
        let s = &c.security;
        assert_eq!(s.trusted_proxies.to_string(), "10.0.0.0/8,::1/128");
        assert_eq!(
            (
                s.rate_limits.login,
                s.rate_limits.password_reset.requests,
                s.rate_limits.api_read.requests,
                s.rate_limits.api_write.requests,
                s.rate_limits.pages.requests
            ),
            (Limit::per_minute(5), 3, 100, 50, 60)
        );
        assert_eq!(s.request_timeout_seconds, 10);
        assert_eq!(
            s.cors_allowed_origins,
            ["https://tools.example.com", "http://localhost:3000"]
        );
        assert_eq!(s.security_headers, SecurityHeaders::Proxy);
        assert!(c.redacted_lines().contains(
            &"CORS_ALLOWED_ORIGINS=https://tools.example.com,http://localhost:3000".to_owned()
        ));

        for (name, value) in [
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TRUSTED_PROXIES", "nginx"),
            ("RATE_LIMIT_ENABLED", "maybe"),
            ("RATE_LIMIT_LOGIN_PER_MINUTE", "0"),
            ("RATE_LIMIT_API_READ_PER_MINUTE", "lots"),
            ("REQUEST_TIMEOUT_SECONDS", "0"),
            ("CORS_ALLOWED_ORIGINS", "*"),
            ("CORS_ALLOWED_ORIGINS", "https://tools.example.com/"),
            ("CORS_ALLOWED_ORIGINS", "https://tools.example.com/app"),
            ("SECURITY_HEADERS", "nginx"),
        ] {
            let msg = error_for(&[(name, value)], name);
            assert!(msg.starts_with(&format!("{name}: ")), "{msg}");
        }

        // Production: rate limits stay on unless explicitly allowed off; no /0 proxies.
        let prod = [
            ("APP_ENV", "production"),
            ("PUBLIC_URL", "https://pm.example.com"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v = prod.to_vec();
            v.extend_from_slice(extra);
            v
        };
        let msg = error_for(
            &with(&[("RATE_LIMIT_ENABLED", "false")]),
            "RATE_LIMIT_ENABLED",
        );
        assert!(msg.contains("ALLOW_NO_RATE_LIMIT"), "{msg}");
        let c = load(&with(&[
            ("RATE_LIMIT_ENABLED", "false"),
            ("ALLOW_NO_RATE_LIMIT", "true"),
        ]))
        .unwrap();
        assert!(!c.security.rate_limits.enabled);
        assert!(
            load(&[("RATE_LIMIT_ENABLED", "false")]).is_ok(),
            "fine in development"
        );
        let msg = error_for(
            &with(&[("TRUSTED_PROXIES", "0.0.0.0/0")]),
            "TRUSTED_PROXIES",
        );
        assert!(msg.contains("every address"), "{msg}");
        assert!(load(&with(&[("TRUSTED_PROXIES", "10.0.0.0/8")])).is_ok());
    }

    #[test]
    fn backup_schedule_defaults_to_daily_and_can_be_off() {
        let c = load(&[]).unwrap();
        assert_eq!(
            c.backup
                .schedule
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some(DEFAULT_BACKUP_SCHEDULE)
        );
        let c = load(&[("BACKUP_SCHEDULE", "OFF")]).unwrap();
        assert_eq!(c.backup.schedule, None);
        assert!(
            c.redacted_lines()
                .contains(&"BACKUP_SCHEDULE=off".to_owned())
        );
        let msg = error_for(&[("BACKUP_SCHEDULE", "daily")], "BACKUP_SCHEDULE");
        assert!(msg.starts_with("BACKUP_SCHEDULE: "), "{msg}");
        assert!(msg.contains("or off"), "{msg}");
    }

    #[test]
    fn backup_encryption_keys_are_checked() {
        let c = load(&[]).unwrap();
        assert!(c.backup.encryption_recipients.is_empty());
        assert_eq!(c.backup.encryption_identity_file, None);
        let a = age::x25519::Identity::generate().to_public().to_string();
        let b = age::x25519::Identity::generate().to_public().to_string();
        let c = load(&[
            ("BACKUP_ENCRYPTION_RECIPIENTS", &format!(" {a} , {b} ")),
            (
                "BACKUP_ENCRYPTION_IDENTITY_FILE",
                "/media/usb/backup-key.txt",
            ),
        ])
        .unwrap();
        assert_eq!(c.backup.encryption_recipients.len(), 2);
        assert_eq!(
            c.backup.encryption_identity_file.as_deref(),
            Some(std::path::Path::new("/media/usb/backup-key.txt"))
        );
        assert!(
            c.redacted_lines()
                .contains(&format!("BACKUP_ENCRYPTION_RECIPIENTS={a},{b}"))
        );
        for bad in ["age1nope", "ssh-ed25519 AAAA", &format!("{a},,{b}")] {
            let msg = error_for(
                &[("BACKUP_ENCRYPTION_RECIPIENTS", bad)],
                "BACKUP_ENCRYPTION_RECIPIENTS",
            );
            assert!(msg.starts_with("BACKUP_ENCRYPTION_RECIPIENTS: "), "{msg}");
        }
    }

    #[test]
    fn job_settings_are_checked() {
        let c = load(&[]).unwrap();
        assert_eq!(c.jobs.workers, 1);
        assert_eq!(c.jobs.audit_retention_days, 365);
        assert_eq!(
            c.jobs
                .cleanup_sessions
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("*/15 * * * *")
        );
        assert_eq!(c.jobs.scheduler().schedules.len(), 4);
        let c = load(&[
            ("JOB_WORKERS", "0"),
            ("SCHEDULE_DB_MAINTENANCE", "off"),
            ("SCHEDULE_AUDIT_RETENTION", "15 1 * * 0"),
            ("AUDIT_RETENTION_DAYS", "90"),
        ])
        .unwrap();
        assert_eq!(c.jobs.workers, 0);
        assert_eq!(c.jobs.db_maintenance, None);
        assert_eq!(c.jobs.scheduler().schedules.len(), 3);
        assert!(
            c.redacted_lines()
                .contains(&"SCHEDULE_DB_MAINTENANCE=off".to_owned())
        );
        for (name, value) in [
            ("SCHEDULE_CLEANUP_SESSIONS", "every 15 minutes"),
            ("SCHEDULE_AUDIT_RETENTION", "0 25 * * *"),
            ("SCHEDULE_DB_MAINTENANCE", "*/0 * * * *"),
            ("JOB_WORKERS", "-1"),
            ("AUDIT_RETENTION_DAYS", "0"),
        ] {
            let msg = error_for(&[(name, value)], name);
            assert!(msg.starts_with(&format!("{name}: ")), "{msg}");
        }
        assert!(
            error_for(
                &[("SCHEDULE_AUDIT_RETENTION", "0 25 * * *")],
                "SCHEDULE_AUDIT_RETENTION"
            )
            .contains("hour field")
        );
    }

    fn doc(path: &str) -> String {
        let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {full}: {e}"))
    }

    fn expected() -> BTreeSet<String> {
        VARIABLES.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn redis_is_optional_and_its_url_is_checked_without_echoing_it() {
        assert_eq!(load(&[]).unwrap().redis, None);
        let c = load(&[("REDIS_URL", "rediss://:s3cret@cache.internal:6380/2")]).unwrap();
        let redis = c.redis.unwrap();
        assert!(!redis.required);
        assert_eq!(redis.url.expose(), "rediss://:s3cret@cache.internal:6380/2");
        let c = load(&[
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("REDIS_REQUIRED", "true"),
        ])
        .unwrap();
        assert!(c.redis.unwrap().required);
        let msg = error_for(&[("REDIS_URL", "http://:s3cret@host")], "REDIS_URL");
        assert!(msg.contains("redis://"), "{msg}");
        assert!(!msg.contains("s3cret"), "the secret is never echoed: {msg}");
        error_for(&[("REDIS_URL", "redis://:s3cret@")], "REDIS_URL");
        let msg = error_for(&[("REDIS_REQUIRED", "true")], "REDIS_REQUIRED");
        assert!(msg.contains("REDIS_URL"), "{msg}");
        let lines = load(&[("REDIS_URL", "redis://:s3cret@h:1")])
            .unwrap()
            .redacted_lines();
        assert!(
            lines.contains(&"REDIS_URL=<redacted>".to_owned()),
            "{lines:?}"
        );
    }

    #[test]
    fn backup_uploads_need_a_bucket_endpoint_and_keys() {
        assert_eq!(load(&[]).unwrap().backup.s3, None);
        let full = [
            ("BACKUP_S3_ENDPOINT", "http://minio:9000/"),
            ("BACKUP_S3_BUCKET", "backups"),
            ("BACKUP_S3_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            (
                "BACKUP_S3_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ),
        ];
        let c = load(&full).unwrap();
        let s3 = c.backup.s3.clone().unwrap();
        assert_eq!(s3.endpoint, "http://minio:9000");
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.prefix, "formula-pm/");
        let lines = c.redacted_lines();
        assert!(lines.contains(&"BACKUP_S3_SECRET_ACCESS_KEY=<redacted>".to_owned()));
        assert!(!lines.iter().any(|l| l.contains("EXAMPLEKEY")));
        // Each missing piece is named.
        for (missing, needle) in [
            (
                "BACKUP_S3_ENDPOINT",
                "is required when BACKUP_S3_BUCKET is set",
            ),
            ("BACKUP_S3_ACCESS_KEY_ID", "is required"),
            ("BACKUP_S3_SECRET_ACCESS_KEY", "is required"),
        ] {
            let vars: Vec<_> = full
                .iter()
                .copied()
                .filter(|(n, _)| *n != missing)
                .collect();
            let msg = error_for(&vars, missing);
            assert!(msg.contains(needle), "{msg}");
        }
        let msg = error_for(
            &[("BACKUP_S3_ENDPOINT", "http://minio:9000")],
            "BACKUP_S3_BUCKET",
        );
        assert!(
            msg.contains("required when BACKUP_S3_ENDPOINT is set"),
            "{msg}"
        );
        for (name, bad) in [
            ("BACKUP_S3_ENDPOINT", "minio:9000"),
            ("BACKUP_S3_ENDPOINT", "https://s3.example.com/path"),
            ("BACKUP_S3_BUCKET", "a/b"),
            ("BACKUP_S3_PREFIX", "/abs/"),
            ("BACKUP_S3_REGION", "eu west"),
        ] {
            let mut vars = full.to_vec();
            vars.retain(|(n, _)| *n != name);
            vars.push((name, bad));
            error_for(&vars, name);
        }
    }

    #[test]
    fn uploaded_files_go_to_a_bucket_when_s3_is_configured() {
        assert_eq!(load(&[]).unwrap().files_s3, None);
        let full = [
            ("S3_ENDPOINT", "https://s3.eu-west-1.amazonaws.com"),
            ("S3_BUCKET", "pm-files"),
            ("S3_REGION", "eu-west-1"),
            ("S3_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            (
                "S3_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ),
        ];
        let c = load(&full).unwrap();
        let s3 = c.files_s3.clone().unwrap();
        assert_eq!(s3.prefix, "uploads/");
        assert_eq!(s3.region, "eu-west-1");
        assert_eq!(c.backup.s3, None, "the backup bucket is configured apart");
        let lines = c.redacted_lines();
        assert!(lines.contains(&"S3_BUCKET=pm-files".to_owned()));
        assert!(lines.contains(&"S3_SECRET_ACCESS_KEY=<redacted>".to_owned()));
        assert!(!lines.iter().any(|l| l.contains("EXAMPLEKEY")));
        let vars: Vec<_> = full
            .iter()
            .copied()
            .filter(|(n, _)| *n != "S3_ACCESS_KEY_ID")
            .collect();
        let msg = error_for(&vars, "S3_ACCESS_KEY_ID");
        assert!(msg.contains("required when S3_BUCKET is set"), "{msg}");
        let msg = error_for(&[("S3_ENDPOINT", "http://minio:9000")], "S3_BUCKET");
        assert!(msg.contains("required when S3_ENDPOINT is set"), "{msg}");
    }

    #[test]
    fn configuration_doc_documents_exactly_the_variables() {
        // Every table row of docs/configuration.md starting with a `NAME` is a variable.
        let text = doc("docs/configuration.md");
        let documented: BTreeSet<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split_once('`'))
            .map(|(name, _)| name.to_owned())
            .filter(|n| {
                n.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .collect();
        assert_eq!(
            documented,
            expected(),
            "docs/configuration.md table rows vs config::VARIABLES"
        );
    }

    #[test]
    fn env_example_lists_exactly_the_variables() {
        // Every `NAME=` or `# NAME=` line of .env.example is a variable.
        let text = doc(".env.example");
        let listed: BTreeSet<String> = text
            .lines()
            .map(|l| l.trim_start_matches('#').trim_start())
            .filter_map(|l| l.split_once('='))
            .map(|(name, _)| name)
            .filter(|n| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .map(str::to_owned)
            .collect();
        assert_eq!(listed, expected(), ".env.example vs config::VARIABLES");
    }
}
