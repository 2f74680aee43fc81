//! A health probe of an optional service (Redis), for the readiness check.

use async_trait::async_trait;

/// A service that answers a cheap round trip when it is up.
#[async_trait]
pub trait Ping: Send + Sync + 'static {
    /// One round trip; `Err` says what went wrong. The caller bounds the wait.
    async fn ping(&self) -> Result<(), String>;
}
