//! Rate limits per route class, in fixed windows per key.
//!
//! A request belongs to one [`Class`] (sign-in, password reset, API reads, API writes, UI
//! pages; assets and health checks are never limited). It is counted against the caller:
//! the hash of its session cookie or bearer token when it sends one (cheap: no database
//! lookup), else its client IP (an IPv6 client by its /64, which one host usually owns).
//! Sign-in and password-reset requests are always counted by IP, since they are the ones
//! an attacker repeats without credentials.
//!
//! Because credentials are not checked here, a made-up token would get a fresh window;
//! so a credentialed request that ends in 401 is also counted against its IP, and an IP
//! over its limit is refused whatever token it sends.
//!
//! Counters live behind [`RateLimitStore`]; [`InProcessStore`] (in `formula_app`) keeps them in memory (one
//! instance), and with `REDIS_URL` the server uses `formula_infra::redis`'s shared store so
//! several instances enforce one limit.

use std::net::IpAddr;

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

use crate::client_ip::ClientIp;
use crate::state::AppState;

/// A route class with its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// `POST /api/v1/auth/login` and `POST /login`.
    Login,
    /// Requesting and confirming password resets (API and forms).
    PasswordReset,
    /// `GET`/`HEAD` under `/api/`.
    ApiRead,
    /// Other methods under `/api/`.
    ApiWrite,
    /// UI pages and form posts.
    Pages,
}

impl Class {
    /// The label used in keys, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Login => "login",
            Class::PasswordReset => "password_reset",
            Class::ApiRead => "api_read",
            Class::ApiWrite => "api_write",
            Class::Pages => "pages",
        }
    }

    /// The class of a request, or `None` for what is never limited (assets, health
    /// checks, CORS preflights).
    pub fn of(method: &Method, path: &str) -> Option<Class> {
        let post = *method == Method::POST;
        if post && (path == "/api/v1/auth/login" || path == "/login") {
            return Some(Class::Login);
        }
        if post
            && (path == "/api/v1/auth/password-reset"
                || path == "/api/v1/auth/password-reset/confirm"
                || path == "/forgot-password"
                || path.starts_with("/reset-password/")
                || path.starts_with("/invitations/"))
        {
            return Some(Class::PasswordReset);
        }
        if path.starts_with("/assets/")
            || path.starts_with("/health/")
            || path == "/metrics"
            || *method == Method::OPTIONS
        {
            return None;
        }
        if path.starts_with("/api/") {
            return Some(if matches!(*method, Method::GET | Method::HEAD) {
                Class::ApiRead
            } else {
                Class::ApiWrite
            });
        }
        Some(Class::Pages)
    }

    /// Whether the class is always keyed by client IP.
    fn by_ip_only(self) -> bool {
        matches!(self, Class::Login | Class::PasswordReset)
    }
}

/// A number of requests per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub requests: u32,
    pub window: Duration,
}

impl Limit {
    /// `requests` per minute.
    pub const fn per_minute(requests: u32) -> Limit {
        Limit {
            requests,
            window: Duration::from_secs(60),
        }
    }

    /// `requests` per hour.
    pub const fn per_hour(requests: u32) -> Limit {
        Limit {
            requests,
            window: Duration::from_secs(3600),
        }
    }
}

/// The limits of every class (`RATE_LIMIT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `false` turns rate limiting off (`RATE_LIMIT_ENABLED`).
    pub enabled: bool,
    pub login: Limit,
    pub password_reset: Limit,
    pub api_read: Limit,
    pub api_write: Limit,
    pub pages: Limit,
}

impl RateLimits {
    /// Default sign-ins per minute per client IP: enough for an office of 200 arriving
    /// at once behind one address, far too few for password guessing (which the
    /// per-account throttle stops sooner still).
    pub const LOGIN_PER_MINUTE: u32 = 20;
    /// Default password-reset requests per hour per client IP.
    pub const PASSWORD_RESET_PER_HOUR: u32 = 20;
    /// Default API reads per minute per caller (a busy script, not a scraper).
    pub const API_READ_PER_MINUTE: u32 = 1200;
    /// Default API writes per minute per caller.
    pub const API_WRITE_PER_MINUTE: u32 = 300;
    /// Default UI page loads and form posts per minute per caller.
    pub const PAGES_PER_MINUTE: u32 = 600;

    /// The limit of a class.
    pub fn of(&self, class: Class) -> Limit {
        match class {
            Class::Login => self.login,
            Class::PasswordReset => self.password_reset,
            Class::ApiRead => self.api_read,
            Class::ApiWrite => self.api_write,
            Class::Pages => self.pages,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            login: Limit::per_minute(Self::LOGIN_PER_MINUTE),
            password_reset: Limit::per_hour(Self::PASSWORD_RESET_PER_HOUR),
            api_read: Limit::per_minute(Self::API_READ_PER_MINUTE),
            api_write: Limit::per_minute(Self::API_WRITE_PER_MINUTE),
            pages: Limit::per_minute(Self::PAGES_PER_MINUTE),
        }
    }
}

// The port and its in-process store live in the application layer, beside the other
// ports and their in-process defaults; re-exported here where the limiter uses them.
pub use formula_app::ports::{RateLimitStore, StoreError, StoreFuture, WindowState};
pub use formula_app::rate_limit::InProcessStore;

/// The outcome of counting a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub class: Class,
    pub limit: u32,
    pub remaining: u32,
    /// Whole seconds until the window ends (at least 1).
    pub reset_secs: u64,
    pub allowed: bool,
}

impl Decision {
    fn from_state(class: Class, limit: Limit, state: WindowState) -> Decision {
        Decision {
            class,
            limit: limit.requests,
            remaining: limit.requests.saturating_sub(state.count),
            reset_secs: state.reset_in.as_secs_f64().ceil().max(1.0) as u64,
            allowed: state.count <= limit.requests,
        }
    }

    /// Adds `RateLimit-Limit`, `-Remaining` and `-Reset` (IETF draft names), plus
    /// `Retry-After` when refused.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        let mut set = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        };
        set("ratelimit-limit", self.limit.to_string());
        set("ratelimit-remaining", self.remaining.to_string());
        set("ratelimit-reset", self.reset_secs.to_string());
        if !self.allowed {
            set("retry-after", self.reset_secs.to_string());
        }
    }
}

/// Who a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// The credential's key, when the request carries one and the class allows it.
    pub credential: Option<String>,
    /// The client IP's key.
    pub ip: String,
}

impl Keys {
    /// Keys for a request of `class` from `ip` carrying `credential` (a session cookie
    /// or bearer token value).
    pub fn new(class: Class, ip: Option<IpAddr>, credential: Option<&str>) -> Keys {
        let ip = match ip.map(|i| i.to_canonical()) {
            Some(IpAddr::V6(a)) => {
                let s = a.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(a) => a.to_string(),
            None => "unknown".to_owned(),
        };
        let credential = credential.filter(|_| !class.by_ip_only()).map(|c| {
            let digest = Sha256::digest(c.as_bytes());
            let hex = hex::encode(&digest[..16]);
            format!("rl:{}:c:{hex}", class.as_str())
        });
        Keys {
            credential,
            ip: format!("rl:{}:ip:{ip}", class.as_str()),
        }
    }
}

/// Counts a request of `class` against its keys. A store failure lets the request
/// through (a limiter must not take the application down with it).
pub async fn check(
    store: &dyn RateLimitStore,
    limits: &RateLimits,
    class: Class,
    keys: &Keys,
) -> Decision {
    let limit = limits.of(class);
    let result = match &keys.credential {
        Some(key) => match store.peek(&keys.ip, limit.window).await {
            // An IP that piled up failed credentials is refused whatever it sends now.
            Ok(ip) if ip.count >= limit.requests => Ok(WindowState {
                count: ip.count.saturating_add(1),
                reset_in: ip.reset_in,
            }),
            _ => store.hit(key, limit.window).await,
        },
        None => store.hit(&keys.ip, limit.window).await,
    };
    match result {
        Ok(state) => Decision::from_state(class, limit, state),
        Err(e) => {
            tracing::warn!(error = %e.0, class = class.as_str(), "rate-limit store failed; request let through");
            Decision {
                class,
                limit: limit.requests,
                remaining: limit.requests,
                reset_secs: limit.window.as_secs().max(1),
                allowed: true,
            }
        }
    }
}

/// After a credentialed request was answered 401, counts it against the IP too.
pub async fn count_failed_credential(
    store: &dyn RateLimitStore,
    limits: &RateLimits,
    class: Class,
    keys: &Keys,
) {
    if keys.credential.is_some()
        && let Err(e) = store.hit(&keys.ip, limits.of(class).window).await
    {
        tracing::warn!(error = %e.0, "rate-limit store failed");
    }
}

/// The credential a request carries (bearer token or session cookie), unchecked.
fn credential(headers: &HeaderMap, state: &AppState) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty());
    match bearer {
        Some(t) => Some(t.to_owned()),
        None => crate::auth::session_cookie(headers, state).filter(|t| !t.is_empty()),
    }
}

/// Counts the request against its class's limit and refuses it with 429 when over;
/// API answers carry the `RateLimit-*` headers.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let web = &state.web;
    let class = Class::of(req.method(), req.uri().path());
    let Some(class) = class.filter(|_| web.rate_limits.enabled) else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_owned();
    let ip = req.extensions().get::<ClientIp>().map(|c| c.0);
    let keys = Keys::new(class, ip, credential(req.headers(), &state).as_deref());
    let decision = check(
        state.rate_limit_store.as_ref(),
        &web.rate_limits,
        class,
        &keys,
    )
    .await;
    if !decision.allowed {
        state
            .runtime
            .metrics
            .record_rate_limit_rejection(class.as_str());
        tracing::warn!(
            class = class.as_str(),
            client_ip = ip.map(|i| i.to_string()),
            "rate limit reached"
        );
        let wait = decision.reset_secs;
        let mut resp = crate::security::refuse(
            &path,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            &format!("too many requests; try again in {wait} seconds"),
            &format!("Too many requests in a short time. Wait {wait} seconds, then try again."),
        );
        decision.write_headers(resp.headers_mut());
        return resp;
    }

    let mut resp = next.run(req).await;
    if resp.status() == StatusCode::UNAUTHORIZED {
        count_failed_credential(
            state.rate_limit_store.as_ref(),
            &web.rate_limits,
            decision.class,
            &keys,
        )
        .await;
    }
    if path.starts_with("/api/") {
        decision.write_headers(resp.headers_mut());
    }
    resp
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_into_classes() {
        let c = |m: Method, p: &str| Class::of(&m, p);
        assert_eq!(c(Method::POST, "/api/v1/auth/login"), Some(Class::Login));
        assert_eq!(c(Method::POST, "/login"), Some(Class::Login));
        assert_eq!(c(Method::GET, "/login"), Some(Class::Pages));
        assert_eq!(
            c(Method::POST, "/api/v1/auth/password-reset/confirm"),
            Some(Class::PasswordReset)
        );
        assert_eq!(
            c(Method::POST, "/reset-password/abc"),
            Some(Class::PasswordReset)
        );
        assert_eq!(
            c(Method::POST, "/invitations/abc"),
            Some(Class::PasswordReset)
        );
        assert_eq!(c(Method::GET, "/api/v1/projects"), Some(Class::ApiRead));
        assert_eq!(c(Method::HEAD, "/api/v1/projects"), Some(Class::ApiRead));
        assert_eq!(c(Method::PATCH, "/api/v1/tasks/x"), Some(Class::ApiWrite));
        assert_eq!(c(Method::OPTIONS, "/api/v1/tasks"), None);
        assert_eq!(c(Method::GET, "/assets/app.css"), None);
        assert_eq!(c(Method::GET, "/health/ready"), None);
        assert_eq!(c(Method::GET, "/projects"), Some(Class::Pages));
    }

    #[test]
    fn keys_use_the_credential_except_for_sign_in() {
        let ip: IpAddr = "203.0.113.5".parse().unwrap();
        let k = Keys::new(Class::ApiRead, Some(ip), Some("fpm_secret"));
        assert!(
            k.credential
                .as_deref()
                .unwrap()
                .starts_with("rl:api_read:c:")
        );
        assert!(
            !k.credential.unwrap().contains("fpm_secret"),
            "never the secret itself"
        );
        let k = Keys::new(Class::Login, Some(ip), Some("fpm_secret"));
        assert_eq!(k.credential, None);
        assert_eq!(k.ip, "rl:login:ip:203.0.113.5");
        // An IPv6 host is counted by its /64; a mapped IPv4 address as IPv4.
        let a = Keys::new(Class::Pages, Some("2001:db8:1:2::5".parse().unwrap()), None);
        let b = Keys::new(
            Class::Pages,
            Some("2001:db8:1:2:ffff::9".parse().unwrap()),
            None,
        );
        assert_eq!(a.ip, b.ip);
        assert_eq!(a.ip, "rl:pages:ip:2001:db8:1:2::/64");
        let m = Keys::new(Class::Pages, Some("::ffff:10.0.0.1".parse().unwrap()), None);
        assert_eq!(m.ip, "rl:pages:ip:10.0.0.1");
    }

    #[tokio::test]
    async fn a_window_refuses_past_its_limit_and_says_when_to_retry() {
        let store = InProcessStore::default();
        let limits = RateLimits {
            login: Limit::per_minute(3),
            ..RateLimits::default()
        };
        let keys = Keys::new(Class::Login, Some("198.51.100.1".parse().unwrap()), None);
        for left in [2, 1, 0] {
            let d = check(&store, &limits, Class::Login, &keys).await;
            assert!(d.allowed);
            assert_eq!(d.remaining, left);
        }
        let d = check(&store, &limits, Class::Login, &keys).await;
        assert!(!d.allowed);
        assert_eq!((d.limit, d.remaining), (3, 0));
        assert!((1..=60).contains(&d.reset_secs));
        let mut h = HeaderMap::new();
        d.write_headers(&mut h);
        assert_eq!(h["ratelimit-limit"], "3");
        assert_eq!(h["retry-after"], h["ratelimit-reset"]);
        // Another IP has its own window.
        let other = Keys::new(Class::Login, Some("198.51.100.2".parse().unwrap()), None);
        assert!(check(&store, &limits, Class::Login, &other).await.allowed);
    }

    #[tokio::test]
    async fn failed_credentials_count_against_the_ip() {
        let store = InProcessStore::default();
        let limits = RateLimits {
            api_read: Limit::per_minute(2),
            ..RateLimits::default()
        };
        let ip = Some("198.51.100.1".parse().unwrap());
        for n in 0..2 {
            let keys = Keys::new(Class::ApiRead, ip, Some(&format!("made-up-{n}")));
            assert!(check(&store, &limits, Class::ApiRead, &keys).await.allowed);
            count_failed_credential(&store, &limits, Class::ApiRead, &keys).await;
        }
        let keys = Keys::new(Class::ApiRead, ip, Some("made-up-3"));
        assert!(!check(&store, &limits, Class::ApiRead, &keys).await.allowed);
    }
}
