//! CSRF protection for cookie-authenticated requests.
//!
//! The token is derived from the session token (a keyed hash), so it needs no
//! storage and dies with the session. Forms send it as `_csrf`, htmx and API
//! clients as the `X-CSRF-Token` header. Bearer-token requests need none:
//! browsers never attach those by themselves.

use axum::extract::{FromRequest, Request};
use axum::http::Method;
use formula_app::AppError;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::PageError;
use crate::state::AppState;

/// Header carrying the CSRF token.
pub const HEADER: &str = "x-csrf-token";

/// The CSRF token of a session.
pub fn token_for(session_token: &str) -> String {
    let digest = Sha256::digest(format!("formula-pm csrf v1:{session_token}").as_bytes());
    hex::encode(digest)
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
/// Use it for every state-changing HTML form handler that requires a session. A value holding
/// a control character is refused with a 422 page naming the field ([`crate::text_input`]).
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
        if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) {
            let refused =
                crate::text_input::check_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if !refused.is_empty() {
                return Err(AppError::Validation(refused).into());
            }
        }
        let value = serde_urlencoded::from_bytes::<T>(&bytes)
            .map_err(|e| PageError::bad_request(&format!("The form is not valid: {e}.")))?;
        Ok(CsrfForm(value))
    }
}

/// A `multipart/form-data` upload (one file plus text fields) whose `_csrf` field (or
/// `X-CSRF-Token` header) must match the session. The whole body is read (within the
/// route's body limit) before the token is checked, since browsers send fields in order.
/// Text fields and the file's name are held to [`crate::text_input`]'s rule.
pub struct CsrfUpload {
    /// The text fields, in order.
    pub fields: Vec<(String, String)>,
    /// The `file` field: the name the browser gave and its bytes (`None` if no file was chosen).
    pub file: Option<(String, axum::body::Bytes)>,
}

impl FromRequest<AppState> for CsrfUpload {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let expected = crate::auth::session_cookie(req.headers(), state).map(|t| token_for(&t));
        let header = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let unreadable =
            || PageError::bad_request("The upload could not be read: send the form again.");
        let mut multipart = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| unreadable())?;
        let mut fields = Vec::new();
        let mut file = None;
        while let Some(field) = multipart.next_field().await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                PageError::Status(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "The file is too large to import; split it into smaller files.".into(),
                )
            } else {
                unreadable()
            }
        })? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(|_| unreadable())?;
                if !file_name.is_empty() || !bytes.is_empty() {
                    file = Some((file_name, bytes));
                }
            } else {
                let text = field.text().await.map_err(|_| unreadable())?;
                fields.push((name, text));
            }
        }
        let given = fields
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.clone())
            .or(header);
        match (expected, given) {
            (Some(e), Some(g)) if same(&e, &g) => {}
            (None, _) => return Err(PageError::SignInRequired),
            _ => return Err(PageError::csrf()),
        }
        let file_name = file.as_ref().map(|(name, _)| ("file", name.as_str()));
        let refused = crate::text_input::check_pairs(
            fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain(file_name),
        );
        if !refused.is_empty() {
            return Err(AppError::Validation(refused).into());
        }
        Ok(CsrfUpload { fields, file })
    }
}
