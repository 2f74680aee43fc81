//! Client IP, rate limits, timeouts, CORS and security headers.

use formula_web::client_ip::TrustedProxies;
use formula_web::ratelimit::{Limit, RateLimits};
use formula_web::security::SecurityHeaders;

use super::AppEnv;
use super::http::check_public_url;
use super::reader::Reader;

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
    /// Time a client has to send a request's headers (and how long an idle keep-alive
    /// connection stays open).
    pub http_header_timeout_seconds: u64,
    /// Open connections one client address may hold; 0: no limit.
    pub max_connections_per_ip: u32,
    /// Exact origins whose pages may call the API with bearer tokens.
    pub cors_allowed_origins: Vec<String>,
    /// Whether the app or the proxy sets the security headers.
    pub security_headers: SecurityHeaders,
}

/// Reads the security settings; production refuses the unsafe ones.
pub(super) fn read_security(r: &mut Reader<'_>, app_env: AppEnv) -> SecuritySettings {
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

    let http_header_timeout_seconds = r.number(
        "HTTP_HEADER_TIMEOUT_SECONDS",
        10,
        1,
        3600,
        "a whole number of seconds",
    );
    let max_connections_per_ip = r.number(
        "MAX_CONNECTIONS_PER_IP",
        256,
        0,
        1_000_000,
        "a number of connections (0 for no limit)",
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
        http_header_timeout_seconds,
        max_connections_per_ip,
        cors_allowed_origins,
        security_headers,
    }
}

impl SecuritySettings {
    /// The effective values, for `check-config`'s listing.
    pub(super) fn lines(&self) -> [(&'static str, String); 13] {
        let rl = &self.rate_limits;
        [
            ("TRUSTED_PROXIES", self.trusted_proxies.to_string()),
            ("RATE_LIMIT_ENABLED", rl.enabled.to_string()),
            ("ALLOW_NO_RATE_LIMIT", self.allow_no_rate_limit.to_string()),
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
                self.request_timeout_seconds.to_string(),
            ),
            (
                "HTTP_HEADER_TIMEOUT_SECONDS",
                self.http_header_timeout_seconds.to_string(),
            ),
            (
                "MAX_CONNECTIONS_PER_IP",
                self.max_connections_per_ip.to_string(),
            ),
            ("CORS_ALLOWED_ORIGINS", self.cors_allowed_origins.join(",")),
            (
                "SECURITY_HEADERS",
                self.security_headers.as_str().to_owned(),
            ),
        ]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::config::test_support::{error_for, load};

    #[test]
    fn security_settings_are_parsed_and_checked() {
        let c = load(&[]).unwrap();
        assert_eq!(c.security.rate_limits, RateLimits::default());
        assert!(c.security.trusted_proxies.is_empty());
        assert_eq!(c.security.request_timeout_seconds, 30);
        assert_eq!(c.security.http_header_timeout_seconds, 10);
        assert_eq!(c.security.max_connections_per_ip, 256);
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
            ("HTTP_HEADER_TIMEOUT_SECONDS", "5"),
            ("MAX_CONNECTIONS_PER_IP", "0"),
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
            (s.http_header_timeout_seconds, s.max_connections_per_ip),
            (5, 0)
        );
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
            ("HTTP_HEADER_TIMEOUT_SECONDS", "0"),
            ("MAX_CONNECTIONS_PER_IP", "-1"),
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
            ("METRICS_TOKEN", "0123456789abcdef0123"),
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
}
