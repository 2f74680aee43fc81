//! Idempotency keys: what a request carrying a key created, so a retry gets it back.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// What a user's key already stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    /// A hash of what the first request asked for.
    pub request_hash: String,
    /// What kind of record it creates (`attachment`, `comment`).
    pub record_kind: String,
    /// The record it created; `None` while the first request is still being handled.
    pub record_id: Option<Uuid>,
}

/// The outcome of claiming a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free (or its earlier use had expired): this request is the first.
    Claimed,
    /// The key is in use.
    Taken(KeyUse),
}

/// Idempotency keys of requests that create records.
#[async_trait]
pub trait IdempotencyRepo: Send + Sync {
    /// Claims `key` (already hashed) for `user_id` at `now`. A use created before
    /// `expired_before`, or a claim never finished and created before `abandoned_before`,
    /// is forgotten first, so the key is free again.
    async fn claim_idempotency_key(
        &self,
        user_id: Uuid,
        key: &str,
        use_: &KeyUse,
        now: OffsetDateTime,
        expired_before: OffsetDateTime,
        abandoned_before: OffsetDateTime,
    ) -> AppResult<Claim>;
    /// Records what the claimed key's request created.
    async fn finish_idempotency_key(
        &self,
        user_id: Uuid,
        key: &str,
        record_id: Uuid,
    ) -> AppResult<()>;
    /// Frees a claim whose request failed, so a retry may run it again.
    async fn release_idempotency_key(&self, user_id: Uuid, key: &str) -> AppResult<()>;
    /// Deletes keys created before `before`; how many.
    async fn delete_expired_idempotency_keys(&self, before: OffsetDateTime) -> AppResult<u64>;
}
