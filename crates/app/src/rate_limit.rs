//! The port behind the web layer's rate limits: where request counters live. In process
//! for one instance (the web crate's `InProcessStore`), or shared between instances
//! (Redis, in `formula_infra::redis`) so several instances enforce one limit.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The state of one key's current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    /// Requests counted in the window (including this one, for `hit`).
    pub count: u32,
    /// Time until the window ends.
    pub reset_in: Duration,
}

/// A failure of a shared counter store; the limiter then lets the request through.
#[derive(Debug)]
pub struct StoreError(pub String);

/// The future a store returns.
pub type StoreFuture<'a> =
    Pin<Box<dyn Future<Output = Result<WindowState, StoreError>> + Send + 'a>>;

/// Where counters live: in process, or shared between instances (e.g. Redis with
/// `INCR` + `PEXPIRE` + `PTTL` in one script). A window starts with a key's first
/// request and lasts `window`.
pub trait RateLimitStore: Send + Sync {
    /// Counts one request against `key` and returns its window.
    fn hit<'a>(&'a self, key: &'a str, window: Duration) -> StoreFuture<'a>;
    /// The window of `key` without counting (count 0 when it has none).
    fn peek<'a>(&'a self, key: &'a str, window: Duration) -> StoreFuture<'a>;
}
