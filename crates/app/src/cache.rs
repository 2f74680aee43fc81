//! The cache port for expensive reads (the dashboard counts), with generations so a
//! write makes every value cached before it invisible at once: nobody sees stale counts
//! after their own change. The default caches nothing; `formula_infra::redis` shares one
//! cache between instances.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

/// A failure of the cache; callers then read from the database.
#[derive(Debug)]
pub struct CacheError(pub String);

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    /// The value, when one was cached in the current generation.
    pub value: Option<String>,
    /// The namespace's generation at lookup; pass it back to [`Cache::set`].
    pub generation: u64,
}

/// A read-through cache in namespaces; each namespace has a generation that writes bump.
#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// The value of `key` in `namespace` for its current generation, and that generation.
    async fn get(&self, namespace: &str, key: &str) -> Result<Cached, CacheError>;
    /// Stores `value` for `ttl`, unless `namespace` moved past `generation` meanwhile (a
    /// write landed while the value was computed, so it may already be stale).
    async fn set(
        &self,
        namespace: &str,
        key: &str,
        generation: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<(), CacheError>;
    /// Starts a new generation of `namespace`: nothing cached before is returned again.
    async fn bump(&self, namespace: &str) -> Result<(), CacheError>;
}

/// The default: caches nothing, so every read goes to the database.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCache;

#[async_trait]
impl Cache for NoCache {
    async fn get(&self, _namespace: &str, _key: &str) -> Result<Cached, CacheError> {
        Ok(Cached {
            value: None,
            generation: 0,
        })
    }

    async fn set(
        &self,
        _namespace: &str,
        _key: &str,
        _generation: u64,
        _value: &str,
        _ttl: Duration,
    ) -> Result<(), CacheError> {
        Ok(())
    }

    async fn bump(&self, _namespace: &str) -> Result<(), CacheError> {
        Ok(())
    }
}

/// Receives the outcome of every cache lookup: `hit`, `miss` or `error`.
pub type LookupObserver = Arc<dyn Fn(&'static str) + Send + Sync>;

/// A `Cache` that reports the outcome of each lookup of the cache it wraps (the server
/// counts them into `cache_requests_total{result}`), keeping the use cases unaware of it.
pub struct ObservedCache {
    inner: Arc<dyn Cache>,
    observe: LookupObserver,
}

impl ObservedCache {
    /// Wraps `inner`, reporting to `observe`.
    pub fn new(inner: Arc<dyn Cache>, observe: LookupObserver) -> Self {
        ObservedCache { inner, observe }
    }
}

#[async_trait]
impl Cache for ObservedCache {
    async fn get(&self, namespace: &str, key: &str) -> Result<Cached, CacheError> {
        let result = self.inner.get(namespace, key).await;
        (self.observe)(match &result {
            Ok(Cached { value: Some(_), .. }) => "hit",
            Ok(_) => "miss",
            Err(_) => "error",
        });
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
