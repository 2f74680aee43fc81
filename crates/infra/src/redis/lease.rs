//! The scheduler's lease in Redis: `SET key holder NX PX ttl` takes it; a script renews
//! or deletes it only when the caller still holds it, so a holder whose lease expired
//! never extends or frees someone else's.

use std::time::Duration;

use async_trait::async_trait;
use formula_app::AppError;
use formula_app::AppResult;
use formula_app::ports::Lease;

use super::{PREFIX, Redis};

/// Renews the lease when `ARGV[1]` holds it.
const EXTEND: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";

/// Deletes the lease when `ARGV[1]` holds it.
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
return redis.call('DEL', KEYS[1]) else return 0 end";

/// Leases in Redis.
pub struct RedisLease {
    redis: Redis,
}

impl RedisLease {
    /// Leases in `redis`.
    pub fn new(redis: Redis) -> Self {
        RedisLease { redis }
    }
}

fn key(name: &str) -> String {
    format!("{PREFIX}lease:{name}")
}

#[async_trait]
impl Lease for RedisLease {
    async fn try_acquire(&self, name: &str, holder: &str, ttl: Duration) -> AppResult<bool> {
        let key = key(name);
        let ms = ttl.as_millis().max(1).to_string();
        let unavailable = |e: super::RedisError| AppError::Unavailable(format!("Redis: {e}"));
        let renewed: i64 = self
            .redis
            .eval(EXTEND, &[&key], &[holder, &ms])
            .await
            .map_err(unavailable)?;
        if renewed == 1 {
            return Ok(true);
        }
        let mut set = redis::cmd("SET");
        set.arg(&key).arg(holder).arg("NX").arg("PX").arg(&ms);
        let taken: Option<String> = self.redis.query(&set).await.map_err(unavailable)?;
        Ok(taken.is_some())
    }

    async fn release(&self, name: &str, holder: &str) -> AppResult<()> {
        let _: i64 = self
            .redis
            .eval(RELEASE, &[&key(name)], &[holder])
            .await
            .map_err(|e| AppError::Unavailable(format!("Redis: {e}")))?;
        Ok(())
    }
}
