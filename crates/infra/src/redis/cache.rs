//! The read-through cache in Redis. A namespace's generation is a counter
//! (`formula_pm:cache:<ns>:gen`); values live under keys that include the generation, so
//! bumping it hides everything cached before at once, and old values simply expire.

use std::time::Duration;

use async_trait::async_trait;
use formula_app::ports::{Cache, CacheError, Cached};

use super::{PREFIX, Redis};

/// Reads the generation and the value under it in one round trip.
const GET: &str = "local g = redis.call('GET', KEYS[1]) or '0' \
return {g, redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])}";

/// Stores the value only while the generation is still the one it was computed for.
const SET: &str = "local g = redis.call('GET', KEYS[1]) or '0' \
if g ~= ARGV[3] then return 0 end \
redis.call('SET', ARGV[1] .. g .. ':' .. ARGV[2], ARGV[4], 'PX', ARGV[5]) \
return 1";

/// A cache shared by every instance.
pub struct RedisCache {
    redis: Redis,
}

impl RedisCache {
    /// A cache in `redis`.
    pub fn new(redis: Redis) -> Self {
        RedisCache { redis }
    }
}

fn generation_key(namespace: &str) -> String {
    format!("{PREFIX}cache:{namespace}:gen")
}

fn value_prefix(namespace: &str) -> String {
    format!("{PREFIX}cache:{namespace}:")
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, namespace: &str, key: &str) -> Result<Cached, CacheError> {
        let (generation, value): (String, Option<String>) = self
            .redis
            .eval(
                GET,
                &[&generation_key(namespace)],
                &[&value_prefix(namespace), key],
            )
            .await
            .map_err(|e| CacheError(e.0))?;
        Ok(Cached {
            value,
            generation: generation.parse().unwrap_or(0),
        })
    }

    async fn set(
        &self,
        namespace: &str,
        key: &str,
        generation: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<(), CacheError> {
        let _: i64 = self
            .redis
            .eval(
                SET,
                &[&generation_key(namespace)],
                &[
                    &value_prefix(namespace),
                    key,
                    &generation.to_string(),
                    value,
                    &ttl.as_millis().max(1).to_string(),
                ],
            )
            .await
            .map_err(|e| CacheError(e.0))?;
        Ok(())
    }

    async fn bump(&self, namespace: &str) -> Result<(), CacheError> {
        let mut cmd = redis::cmd("INCR");
        cmd.arg(generation_key(namespace));
        let _: i64 = self.redis.query(&cmd).await.map_err(|e| CacheError(e.0))?;
        Ok(())
    }
}
