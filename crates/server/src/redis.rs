//! Wires the optional Redis (`REDIS_URL`) into the use cases and the web layer: shared
//! rate-limit counters (counting in process while Redis fails), the dashboard cache, the
//! event bus and the scheduler lease. Without `REDIS_URL` nothing changes.

use std::sync::Arc;

use formula_app::Services;
use formula_app::cache::ObservedCache;
use formula_app::ports::{Ping, RateLimitStore};
use formula_infra::redis::{
    DEFAULT_TIMEOUT, Redis, RedisCache, RedisEventBus, RedisLease, RedisRateLimitStore,
};
use formula_web::metrics::Metrics;
use formula_web::ratelimit::InProcessStore;

use crate::config::RedisSettings;

/// What the web layer needs from Redis.
pub struct WebRedis {
    /// Rate-limit counters shared between instances.
    pub rate_limit_store: Arc<dyn RateLimitStore>,
    /// The readiness probe.
    pub probe: Arc<dyn Ping>,
}

/// Connects (lazily: a Redis down at start-up is reported, not fatal, and reconnected
/// later) and returns `services` using Redis, with what the web layer needs.
pub async fn attach(
    settings: &RedisSettings,
    services: Services,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<(Services, WebRedis)> {
    let redis = Redis::new(settings.url.expose(), DEFAULT_TIMEOUT)
        .map_err(|e| anyhow::anyhow!("REDIS_URL is not usable: {e}"))?;
    match redis.ping().await {
        Ok(()) => tracing::info!(required = settings.required, "Redis connected"),
        Err(e) if settings.required => tracing::error!(
            error = %e,
            "Redis is unreachable and REDIS_REQUIRED=true: not ready until it answers"
        ),
        Err(e) => tracing::warn!(
            error = %e,
            "Redis is unreachable: rate limits count per instance and the cache is bypassed until it answers"
        ),
    }
    let counted = metrics.clone();
    let cache = Arc::new(ObservedCache::new(
        Arc::new(RedisCache::new(redis.clone())),
        Arc::new(move |result| counted.cache_requests.inc(&[result])),
    ));
    let services = services
        .with_cache(cache)
        .with_events(Arc::new(RedisEventBus::start(redis.clone())))
        .with_lease(Arc::new(RedisLease::new(redis.clone())));
    let web = WebRedis {
        rate_limit_store: Arc::new(RedisRateLimitStore::new(
            redis.clone(),
            Arc::new(InProcessStore::default()),
        )),
        probe: Arc::new(redis),
    };
    Ok((services, web))
}
