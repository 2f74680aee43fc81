//! The scheduler's leader lease: a named lease one holder has until it expires. In the
//! database by default (`scheduler_leases`); `formula_infra::redis` keeps it in Redis
//! (`SET … NX PX` and compare-and-delete/extend scripts) when Redis is configured.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::AppResult;
use crate::ports::Store;

/// A lease only one holder has at a time.
#[async_trait]
pub trait Lease: Send + Sync + 'static {
    /// Takes `name` for `holder` for `ttl`, or renews it when `holder` already has it.
    /// `false` while another holder's lease is still valid.
    async fn try_acquire(&self, name: &str, holder: &str, ttl: Duration) -> AppResult<bool>;
    /// Gives the lease up (on shutdown), if `holder` still has it.
    async fn release(&self, name: &str, holder: &str) -> AppResult<()>;
}

/// The lease as a row in the database.
pub struct DbLease(pub Arc<dyn Store>);

#[async_trait]
impl Lease for DbLease {
    async fn try_acquire(&self, name: &str, holder: &str, ttl: Duration) -> AppResult<bool> {
        let now = OffsetDateTime::now_utc();
        self.0.try_lease(name, holder, now, now + ttl).await
    }

    async fn release(&self, name: &str, holder: &str) -> AppResult<()> {
        self.0.release_lease(name, holder).await
    }
}
