//! Shared state handed to every handler.

use std::sync::Arc;

use formula_app::Services;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Public base URL (scheme + host + port), used for origin checks and links.
    pub public_url: String,
    /// Mark cookies `Secure` and use the `__Host-` prefix (when served over https).
    pub secure_cookies: bool,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Largest uploaded file (`MAX_UPLOAD_SIZE`).
    pub max_upload_bytes: u64,
    /// Health checks, metrics and request-log settings.
    pub ops: crate::ops::OpsConfig,
    /// Reverse proxies whose forwarding headers name the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: crate::client_ip::TrustedProxies,
    /// Rate limits per route class (`RATE_LIMIT_*`).
    pub rate_limits: crate::ratelimit::RateLimits,
    /// Time limit of normal requests (`REQUEST_TIMEOUT_SECONDS`).
    pub request_timeout: std::time::Duration,
    /// Exact origins allowed to call `/api/v1` from browsers with bearer tokens
    /// (`CORS_ALLOWED_ORIGINS`; empty turns CORS off).
    pub cors_allowed_origins: Vec<String>,
    /// Whether the app or the proxy sets the security headers (`SECURITY_HEADERS`).
    pub security_headers: crate::security::SecurityHeaders,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: "http://127.0.0.1:5014".into(),
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 100 * 1024 * 1024,
            ops: crate::ops::OpsConfig::default(),
            trusted_proxies: crate::client_ip::TrustedProxies::default(),
            rate_limits: crate::ratelimit::RateLimits::default(),
            request_timeout: std::time::Duration::from_secs(30),
            cors_allowed_origins: Vec::new(),
            security_headers: crate::security::SecurityHeaders::App,
        }
    }
}

/// Everything a handler needs: the use cases and the web settings.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub web: Arc<WebConfig>,
    /// Metrics, the draining flag and the start time (health, metrics, shutdown).
    pub runtime: Arc<crate::ops::Runtime>,
    /// Rate-limit counters: in process by default; replace with a shared store so several
    /// instances enforce one limit.
    pub rate_limit_store: Arc<dyn crate::ratelimit::RateLimitStore>,
    /// The Redis health probe when `REDIS_URL` is set (readiness reports it).
    pub redis: Option<Arc<dyn formula_app::ports::Ping>>,
    /// The blocking threads that read uploaded spreadsheets, a few at a time.
    pub read_pool: Arc<crate::read_pool::ReadPool>,
}

impl AppState {
    pub fn new(services: Services, web: WebConfig) -> Self {
        AppState {
            services,
            read_pool: Arc::new(crate::read_pool::ReadPool::for_requests(
                web.request_timeout,
            )),
            web: Arc::new(web),
            runtime: Arc::new(crate::ops::Runtime::new(Arc::default())),
            rate_limit_store: Arc::new(crate::ratelimit::InProcessStore::default()),
            redis: None,
        }
    }

    /// Counts rate limits in `store` (shared between instances) and reports `redis` in
    /// readiness.
    pub fn with_redis(
        mut self,
        store: Arc<dyn crate::ratelimit::RateLimitStore>,
        redis: Arc<dyn formula_app::ports::Ping>,
    ) -> Self {
        self.rate_limit_store = store;
        self.redis = Some(redis);
        self
    }

    /// Uses `metrics` (shared with a `MeteredStore` and the connection counter) instead of
    /// a registry of its own.
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Self {
        self.runtime = Arc::new(crate::ops::Runtime::new(metrics));
        self
    }

    /// The session cookie's name (`__Host-` prefixed over https).
    pub fn cookie_name(&self) -> &'static str {
        if self.web.secure_cookies {
            "__Host-formula_session"
        } else {
            "formula_session"
        }
    }
}
