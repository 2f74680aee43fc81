//! Settings the use cases need (a slice of the server's configuration).

use time::Duration;

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Currency for new projects when none is given.
    pub default_currency: String,
    /// Prefix of suggested project codes (`WSC` → `WSC-25-001`).
    pub project_code_prefix: String,
    /// A session ends after this long without use.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub session_absolute: Duration,
    /// Public base URL, used in emailed links.
    pub public_url: String,
    /// Name shown in emails.
    pub product_name: String,
    /// Units a scope item may be measured in (`SCOPE_UNITS`).
    pub scope_units: Vec<String>,
    /// Days a submitted drawing revision may wait for review before it is overdue.
    pub review_overdue_days: i64,
    /// How long instant notification mails wait for more of the same recipient's
    /// notifications, so that a burst of changes makes one mail.
    pub notification_batch: Duration,
    /// How often open live-update streams have their session or token checked, at the
    /// latest (changes announced on the event bus are checked at once).
    pub stream_recheck: std::time::Duration,
}

/// The default of [`AppConfig::stream_recheck`].
pub const STREAM_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            default_currency: "USD".into(),
            project_code_prefix: "FPM".into(),
            session_idle: Duration::hours(12),
            session_absolute: Duration::days(7),
            public_url: "http://127.0.0.1:5014".into(),
            product_name: "Formula PM".into(),
            scope_units: formula_domain::scope::DEFAULT_UNITS
                .iter()
                .map(|u| (*u).to_owned())
                .collect(),
            review_overdue_days: formula_domain::drawing::REVIEW_DAYS,
            notification_batch: crate::notifications::BATCH_FOR,
            stream_recheck: STREAM_RECHECK,
        }
    }
}
