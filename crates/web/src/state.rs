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
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: "http://127.0.0.1:5014".into(),
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// Everything a handler needs: the use cases and the web settings.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub web: Arc<WebConfig>,
}

impl AppState {
    pub fn new(services: Services, web: WebConfig) -> Self {
        AppState {
            services,
            web: Arc::new(web),
        }
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
