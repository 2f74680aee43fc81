//! CSRF protection for cookie-authenticated requests.
//!
//! The token is derived from the session token (a keyed hash), so it needs no
//! storage and dies with the session. Forms send it as `_csrf`, htmx and API
//! clients as the `X-CSRF-Token` header. Bearer-token requests need none:
//! browsers never attach those by themselves.

use axum::extract::{FromRequest, Request};
use axum::http::Method;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::PageError;
use crate::state::AppState;

/// Header carrying the CSRF token.
pub const HEADER: &str = "x-csrf-token";

/// The CSRF token of a session.
pub fn token_for(session_token: &str) -> String {
    let digest = Sha256::digest(format!("formula-pm csrf v1:{session_token}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time string comparison.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether a method changes state.
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A URL-encoded form whose `_csrf` field (or `X-CSRF-Token` header) must match the session.
/// Use it for every state-changing HTML form handler that requires a session.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf", default)]
    csrf: Option<String>,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let expected = crate::auth::session_cookie(req.headers(), state).map(|t| token_for(&t));
        let header = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                PageError::bad_request("The form could not be read (it may be too large).")
            })?;
        let field: CsrfField =
            serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField { csrf: None });
        let given = field.csrf.or(header);
        match (expected, given) {
            (Some(e), Some(g)) if same(&e, &g) => {}
            (None, _) => return Err(PageError::SignInRequired),
            _ => return Err(PageError::csrf()),
        }
        let value = serde_urlencoded::from_bytes::<T>(&bytes)
            .map_err(|e| PageError::bad_request(&format!("The form is not valid: {e}.")))?;
        Ok(CsrfForm(value))
    }
}
