//! Retry-safe requests: a request that creates a record (an upload, a comment with files)
//! may carry an idempotency key of the client's choosing (the API's `Idempotency-Key`
//! header, a hidden field of every upload form, fresh per rendered form). The first request
//! with a key claims it and records what it created; the same key sent again by the same
//! user within [`KEY_LIFETIME`] creates nothing and is answered with that record; the same
//! key with another payload is refused (409), as is a retry while the first is still running.
//!
//! A use case gets it in one line: wrap the call that creates in [`Services::once`], with a
//! [`Fingerprint`] of what the request asked for.

use std::future::Future;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::repos::{Claim, KeyUse};
use crate::services::Services;

/// How long a key is remembered.
pub const KEY_LIFETIME: time::Duration = time::Duration::hours(24);
/// A claim whose request never finished (the server stopped half-way) frees the key after
/// this long, so a retry is not refused for a whole day.
const ABANDONED_AFTER: time::Duration = time::Duration::minutes(10);

/// A client's idempotency key, kept only as a hash (any length or content is accepted; an
/// empty key is no key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key in `raw`, if there is one.
    pub fn from_raw(raw: Option<&str>) -> Option<Self> {
        let raw = raw?.trim();
        (!raw.is_empty()).then(|| IdempotencyKey(hex::encode(Sha256::digest(raw.as_bytes()))))
    }
}

/// A hash of what a request asks for: every part that decides what it creates (the owner,
/// the text fields, each file's name and content hash), each part length-prefixed so no two
/// different requests hash alike.
pub struct Fingerprint(Sha256);

impl Fingerprint {
    /// A fingerprint of a request of kind `what` (e.g. `attachment`).
    pub fn new(what: &str) -> Self {
        Fingerprint(Sha256::new()).part(what)
    }

    /// Adds one part of the request.
    #[must_use]
    pub fn part(mut self, part: impl AsRef<[u8]>) -> Self {
        let part = part.as_ref();
        self.0.update((part.len() as u64).to_le_bytes());
        self.0.update(part);
        self
    }

    /// Adds an optional part (absent and empty differ).
    #[must_use]
    pub fn opt(self, part: Option<impl AsRef<[u8]>>) -> Self {
        match part {
            Some(p) => self.part("some").part(p),
            None => self.part("none"),
        }
    }

    fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// What a keyed request gives: the record it created now, or the id of the record the first
/// request with its key created (to be loaded and answered with, with nothing new made).
#[derive(Debug)]
pub enum Once<T> {
    New(T),
    Earlier(Uuid),
}

impl Services {
    /// Runs `create` at most once per `key` of the caller: see the module's description.
    /// `record_kind` names what it creates and `id_of` its id. Without a key, just runs it.
    pub async fn once<T, Fut>(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        record_kind: &str,
        request: Fingerprint,
        id_of: impl FnOnce(&T) -> Uuid,
        create: impl FnOnce() -> Fut,
    ) -> AppResult<Once<T>>
    where
        Fut: Future<Output = AppResult<T>>,
    {
        let Some(IdempotencyKey(key)) = key else {
            return Ok(Once::New(create().await?));
        };
        let user = caller.actor.user_id;
        let wanted = KeyUse {
            request_hash: request.finish(),
            record_kind: record_kind.to_owned(),
            record_id: None,
        };
        let now = self.now();
        let claim = self
            .store
            .claim_idempotency_key(
                user,
                key,
                &wanted,
                now,
                now - KEY_LIFETIME,
                now - ABANDONED_AFTER,
            )
            .await?;
        if let Claim::Taken(earlier) = claim {
            if earlier.request_hash != wanted.request_hash || earlier.record_kind != record_kind {
                return Err(key_error(
                    "idempotency_key_reused",
                    "this idempotency key was used in the last 24 hours for a different request; send a new key with a new request",
                ));
            }
            return match earlier.record_id {
                Some(id) => Ok(Once::Earlier(id)),
                None => Err(key_error(
                    "idempotency_key_in_use",
                    "the first request with this idempotency key is still being handled; send it again in a moment",
                )),
            };
        }
        match create().await {
            Ok(made) => {
                if let Err(e) = self
                    .store
                    .finish_idempotency_key(user, key, id_of(&made))
                    .await
                {
                    // The record exists; only a retry's answer is at stake, and it then
                    // runs again once the claim is abandoned.
                    tracing::warn!(error = %e, "could not record what an idempotent request created");
                }
                Ok(Once::New(made))
            }
            Err(e) => {
                if let Err(release) = self.store.release_idempotency_key(user, key).await {
                    tracing::warn!(error = %release, "could not free the key of a failed request");
                }
                Err(e)
            }
        }
    }

    /// Forgets keys older than [`KEY_LIFETIME`] (the periodic clean-up); how many.
    pub async fn forget_expired_idempotency_keys(&self) -> AppResult<u64> {
        self.store
            .delete_expired_idempotency_keys(self.now() - KEY_LIFETIME)
            .await
    }
}

fn key_error(code: &'static str, message: &str) -> AppError {
    let mut fields = formula_domain::errors::FieldErrors::new();
    fields.add("idempotency_key", message);
    AppError::Conflict {
        code,
        message: message.to_owned(),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_apart_what_plain_concatenation_would_not() {
        let a = Fingerprint::new("x").part("ab").part("c").finish();
        let b = Fingerprint::new("x").part("a").part("bc").finish();
        assert_ne!(a, b);
        let none = Fingerprint::new("x").opt(None::<&str>).finish();
        let empty = Fingerprint::new("x").opt(Some("")).finish();
        assert_ne!(none, empty);
        assert_eq!(a, Fingerprint::new("x").part("ab").part("c").finish());
    }

    #[test]
    fn keys_are_kept_hashed_and_blank_is_none() {
        assert_eq!(IdempotencyKey::from_raw(Some("  ")), None);
        assert_eq!(IdempotencyKey::from_raw(None), None);
        let k = IdempotencyKey::from_raw(Some("upload-1")).unwrap();
        assert_eq!(k.0.len(), 64);
        assert_ne!(Some(k), IdempotencyKey::from_raw(Some("upload-2")));
    }
}
