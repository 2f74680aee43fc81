//! `MeteredCache`: the `Cache` port wrapped so every lookup counts into
//! `cache_requests_total{result="hit"|"miss"|"error"}`, keeping the use cases unaware of
//! metrics (as `MeteredStore` does for the database).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use formula_app::ports::{Cache, CacheError, Cached};

use super::Metrics;

/// A `Cache` that counts the lookups of the cache it wraps.
pub struct MeteredCache {
    inner: Arc<dyn Cache>,
    metrics: Arc<Metrics>,
}

impl MeteredCache {
    /// Wraps `inner`, recording into `metrics`.
    pub fn new(inner: Arc<dyn Cache>, metrics: Arc<Metrics>) -> Self {
        MeteredCache { inner, metrics }
    }
}

#[async_trait]
impl Cache for MeteredCache {
    async fn get(&self, namespace: &str, key: &str) -> Result<Cached, CacheError> {
        let result = self.inner.get(namespace, key).await;
        let label = match &result {
            Ok(Cached { value: Some(_), .. }) => "hit",
            Ok(_) => "miss",
            Err(_) => "error",
        };
        self.metrics.cache_requests.inc(&[label]);
        result
    }

    async fn set(
        &self,
        namespace: &str,
        key: &str,
        generation: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<(), CacheError> {
        self.inner.set(namespace, key, generation, value, ttl).await
    }

    async fn bump(&self, namespace: &str) -> Result<(), CacheError> {
        self.inner.bump(namespace).await
    }
}
