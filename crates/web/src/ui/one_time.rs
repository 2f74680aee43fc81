//! One-time messages that hold a secret, across the redirect after a POST
//! (Post/Redirect/Get): kept server-side with the session (`Services::keep_session_flash`),
//! taken (deleted) by the page that shows them, and sealed with a key derived from the
//! session cookie. The database holds only the cookie's hash, so what it keeps here is
//! ciphertext it cannot open; a sealed message also opens for no other session.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use formula_app::AppError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

fn cipher(session_token: &str) -> ChaCha20Poly1305 {
    let key = Sha256::digest(format!("formula-pm session flash v1:{session_token}").as_bytes());
    ChaCha20Poly1305::new(&key)
}

/// Seals `value` for the session whose cookie holds `session_token`.
pub fn seal<T: Serialize>(session_token: &str, value: &T) -> Result<String, AppError> {
    let plain = serde_json::to_vec(value)
        .map_err(|e| AppError::Internal(format!("one-time message: {e}")))?;
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    let sealed = cipher(session_token)
        .encrypt(Nonce::from_slice(&nonce), plain.as_slice())
        .map_err(|_| AppError::Internal("one-time message: sealing failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(STANDARD_NO_PAD.encode(out))
}

/// Opens what [`seal`] sealed for the same session; `None` for another session's message or
/// an altered one.
pub fn open<T: DeserializeOwned>(session_token: &str, sealed: &str) -> Option<T> {
    let bytes = STANDARD_NO_PAD.decode(sealed).ok()?;
    if bytes.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = bytes.split_at(NONCE_LEN);
    let plain = cipher(session_token)
        .decrypt(Nonce::from_slice(nonce), body)
        .ok()?;
    serde_json::from_slice(&plain).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn opens_only_for_its_own_session_and_unaltered() {
        let secret = "fpm_pat_0123456789abcdef".to_owned();
        let sealed = seal("fpm_s_one", &secret).unwrap();
        assert!(!sealed.contains(&secret));
        assert_ne!(
            sealed,
            seal("fpm_s_one", &secret).unwrap(),
            "a fresh nonce each time"
        );
        assert_eq!(open::<String>("fpm_s_one", &sealed), Some(secret));
        assert_eq!(open::<String>("fpm_s_two", &sealed), None);
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            open::<String>("fpm_s_one", &String::from_utf8(altered).unwrap()),
            None
        );
        assert_eq!(open::<String>("fpm_s_one", "not base64!"), None);
    }
}
