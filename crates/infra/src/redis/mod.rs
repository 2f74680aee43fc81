//! Redis (`REDIS_URL`), optional: shared rate-limit counters, a read-through cache, the
//! event fan-out and the scheduler's lease, so several instances act as one.
//!
//! Every call is bounded by a short timeout and fails rather than waits: callers fall back
//! (rate limits count in process, the cache is bypassed), so a Redis outage slows nothing.
//! After a timeout, commands fail at once for a second instead of each waiting again.
//! The connection reconnects on its own (`ConnectionManager`). Keys start with
//! [`PREFIX`]; only single-key commands and scripts are used (never `KEYS`, `FLUSH*` or
//! `CONFIG`), so a Redis shared with other applications is safe.

mod cache;
mod events;
mod lease;
mod rate_limit;

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Cmd, FromRedisValue};

pub use cache::RedisCache;
pub use events::{CHANNEL, RedisEventBus};
pub use lease::RedisLease;
pub use rate_limit::RedisRateLimitStore;

/// The prefix of every key and channel.
pub const PREFIX: &str = "formula_pm:";
/// How long one command may take before the caller goes on without Redis.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);
/// After a command timed out, how long commands fail at once instead of each waiting for
/// the timeout (an unreachable host would otherwise add the timeout to every request).
const PAUSE_AFTER_TIMEOUT: Duration = Duration::from_secs(1);

/// A Redis failure (unreachable, timed out, or refused the command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisError(pub String);

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisError {}

/// A connection to Redis, shared by every adapter; cheap to clone.
#[derive(Clone)]
pub struct Redis {
    client: Client,
    manager: ConnectionManager,
    timeout: Duration,
    /// Until when commands fail at once (see [`PAUSE_AFTER_TIMEOUT`]).
    paused_until: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl Redis {
    /// Prepares a connection to `url` (`redis://[:password@]host:port[/db]`, or
    /// `rediss://` for TLS) without connecting: the first command connects, so the
    /// server starts even while Redis is down. `timeout` bounds every command.
    pub fn new(url: &str, timeout: Duration) -> Result<Redis, RedisError> {
        let client = Client::open(url).map_err(|e| RedisError(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout.max(Duration::from_millis(500))))
            .set_response_timeout(Some(timeout))
            // Reconnect attempts per failure; a later command starts a new round.
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(200));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|e| RedisError(e.to_string()))?;
        Ok(Redis {
            client,
            manager,
            timeout,
            paused_until: std::sync::Arc::default(),
        })
    }

    /// Runs one command within the timeout; fails at once for a moment after a timeout.
    pub(crate) async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, RedisError> {
        let paused = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_some_and(|until| std::time::Instant::now() < until) {
            return Err(RedisError(
                "paused after a timeout; trying again shortly".to_owned(),
            ));
        }
        self.query_now(cmd).await
    }

    /// Runs one command within the timeout, paused or not.
    async fn query_now<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, RedisError> {
        let mut conn = self.manager.clone();
        match tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => {
                // Redis answers (e.g. the readiness ping): no reason to keep pausing.
                *self.paused_until.lock().unwrap_or_else(|p| p.into_inner()) = None;
                Ok(v)
            }
            Ok(Err(e)) => Err(RedisError(e.to_string())),
            Err(_) => {
                *self.paused_until.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(std::time::Instant::now() + PAUSE_AFTER_TIMEOUT);
                Err(RedisError(format!(
                    "no answer within {} ms",
                    self.timeout.as_millis()
                )))
            }
        }
    }

    /// Runs a Lua script (`EVAL`) on `keys` with `args`, in one round trip.
    pub(crate) async fn eval<T: FromRedisValue>(
        &self,
        script: &str,
        keys: &[&str],
        args: &[&str],
    ) -> Result<T, RedisError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(script).arg(keys.len()).arg(keys).arg(args);
        self.query(&cmd).await
    }

    /// The client, for connections of their own (pub/sub).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// One `PING` round trip within the timeout (never paused: readiness must see the
    /// moment Redis answers again).
    pub async fn ping(&self) -> Result<(), RedisError> {
        let reply: String = self.query_now(&redis::cmd("PING")).await?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(RedisError(format!("unexpected reply to PING: {reply}")))
        }
    }
}

#[async_trait]
impl formula_app::ports::Ping for Redis {
    async fn ping(&self) -> Result<(), String> {
        Redis::ping(self).await.map_err(|e| e.0)
    }
}

/// Logs a Redis failure at most once per `every`, so an outage does not flood the log.
#[derive(Default)]
pub(crate) struct SparseLog {
    last: std::sync::Mutex<Option<std::time::Instant>>,
}

impl SparseLog {
    /// How often at most a failure is logged.
    pub(crate) const EVERY: Duration = Duration::from_secs(30);

    pub(crate) fn warn(&self, what: &str, error: &RedisError) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= Self::EVERY) {
            *last = Some(std::time::Instant::now());
            tracing::warn!(error = %error, "Redis unavailable: {what}");
        }
    }
}
