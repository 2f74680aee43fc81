//! Rate-limit counters shared by every instance: one script per request counts and reads
//! the window atomically. When Redis fails, the request is counted in process instead (a
//! per-instance limit is better than none, and the request is not delayed).

use std::sync::Arc;
use std::time::Duration;

use formula_app::ports::{RateLimitStore, StoreError, StoreFuture, WindowState};

use super::{PREFIX, Redis, RedisError, SparseLog};

/// Counts one request and returns `{count, milliseconds left}`; the first request of a
/// window starts its expiry (and a key that somehow lost it gets one again).
const HIT: &str = "local c = redis.call('INCR', KEYS[1]) \
local t = redis.call('PTTL', KEYS[1]) \
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) t = tonumber(ARGV[1]) end \
return {c, t}";

/// Reads a window without counting: `{count, milliseconds left}` (`-2` when none).
const PEEK: &str = "local c = redis.call('GET', KEYS[1]) \
return {tonumber(c or '0'), redis.call('PTTL', KEYS[1])}";

/// Counters in Redis, with an in-process fallback.
pub struct RedisRateLimitStore {
    redis: Redis,
    fallback: Arc<dyn RateLimitStore>,
    log: SparseLog,
}

impl RedisRateLimitStore {
    /// Counters in `redis`; `fallback` counts while Redis fails.
    pub fn new(redis: Redis, fallback: Arc<dyn RateLimitStore>) -> Self {
        RedisRateLimitStore {
            redis,
            fallback,
            log: SparseLog::default(),
        }
    }

    async fn run(
        &self,
        script: &str,
        key: &str,
        window: Duration,
    ) -> Result<WindowState, RedisError> {
        let full = format!("{PREFIX}{key}");
        let ms = window.as_millis().max(1).to_string();
        let (count, ttl): (i64, i64) = self.redis.eval(script, &[&full], &[&ms]).await?;
        Ok(WindowState {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            reset_in: if ttl > 0 {
                Duration::from_millis(ttl.unsigned_abs())
            } else {
                window
            },
        })
    }
}

impl RateLimitStore for RedisRateLimitStore {
    fn hit<'a>(&'a self, key: &'a str, window: Duration) -> StoreFuture<'a> {
        Box::pin(async move {
            match self.run(HIT, key, window).await {
                Ok(state) => Ok(state),
                Err(e) => {
                    self.log.warn("rate limits counted per instance", &e);
                    self.fallback.hit(key, window).await
                }
            }
        })
    }

    fn peek<'a>(&'a self, key: &'a str, window: Duration) -> StoreFuture<'a> {
        Box::pin(async move {
            match self.run(PEEK, key, window).await {
                Ok(state) => Ok(state),
                Err(e) => {
                    self.log.warn("rate limits counted per instance", &e);
                    self.fallback.peek(key, window).await
                }
            }
        })
    }
}

impl From<RedisError> for StoreError {
    fn from(e: RedisError) -> Self {
        StoreError(e.0)
    }
}
