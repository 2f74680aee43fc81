//! The security headers every response carries (unless a reverse proxy sets them), and
//! how a protection refuses a request. See `docs/operations.md` → "Security headers".

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::{ApiError, error_page};

/// Who sets the security headers (CSP, HSTS, X-Content-Type-Options, Referrer-Policy,
/// Permissions-Policy, COOP, X-Frame-Options): `SECURITY_HEADERS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityHeaders {
    /// The application sets them on every response.
    #[default]
    App,
    /// A reverse proxy sets them; the application leaves them out so each appears once.
    Proxy,
}

impl SecurityHeaders {
    /// The setting's value.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityHeaders::App => "app",
            SecurityHeaders::Proxy => "proxy",
        }
    }
}

/// Content Security Policy: only our own scripts and styles, no inline code, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The headers set with `SECURITY_HEADERS=app`, except HSTS (see [`HSTS`]).
pub const HEADERS: [(HeaderName, &str); 6] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
];

/// `Strict-Transport-Security`, set only when `PUBLIC_URL` is `https://`.
pub const HSTS: (HeaderName, &str) = (
    header::STRICT_TRANSPORT_SECURITY,
    "max-age=31536000; includeSubDomains",
);

/// Sets a response header unless the handler set its own (so one route can differ).
pub fn if_absent((name, value): (HeaderName, &'static str)) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// A refusal: problem+json under `/api/`, a small HTML page elsewhere.
pub fn refuse(
    path: &str,
    status: StatusCode,
    code: &str,
    api_detail: &str,
    page_message: &str,
) -> Response {
    if path.starts_with("/api/") {
        ApiError::new(status, code, api_detail).into_response()
    } else {
        error_page(status, page_message)
    }
}
