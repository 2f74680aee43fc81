//! A health probe of an optional service (Redis), for the readiness check.

use async_trait::async_trait;

/// A service that answers a cheap round trip when it is up.
#[async_trait]
pub trait Ping: Send + Sync + 'static {
    /// One round trip; `Err` says what went wrong. The caller bounds the wait.
    async fn ping(&self) -> Result<(), String>;

    /// The state of the service's circuit breaker, when it has one.
    fn circuit(&self) -> Option<Circuit> {
        None
    }
}

/// A circuit breaker's state: while open, the service is not called at all (callers use
/// their fallbacks at once) and a background probe waits for it to answer again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Circuit {
    pub open: bool,
    /// Times the circuit opened since start.
    pub opened_total: u64,
    /// Calls answered at once, without the service, because the circuit was open.
    pub skipped_total: u64,
}

/// Operational figures for the health checks, `/metrics` and the status page. They take no
/// caller: they reveal no user data, and the web layer guards the endpoints that show them
/// (`/metrics` by its token, the status page by [`Services::check_system_status`]).
impl crate::services::Services {
    /// `sqlite` or `postgres`.
    pub fn database_backend(&self) -> &'static str {
        self.store.backend()
    }

    /// One trivial round trip to the database.
    pub async fn ping_database(&self) -> crate::error::AppResult<()> {
        self.store.ping().await
    }

    /// Connection pool usage, without I/O.
    pub fn pool_status(&self) -> crate::ports::PoolStatus {
        self.store.pool_status()
    }

    /// How long getting a database connection takes right now.
    pub async fn pool_acquire_wait(&self) -> crate::error::AppResult<std::time::Duration> {
        self.store.pool_acquire_wait().await
    }

    /// Browser sessions not yet expired.
    pub async fn count_active_sessions(&self) -> crate::error::AppResult<i64> {
        self.store.count_active_sessions(self.now()).await
    }

    /// Background jobs by status.
    pub async fn count_jobs_by_status(
        &self,
    ) -> crate::error::AppResult<Vec<(crate::jobs::JobStatus, i64)>> {
        self.store.count_jobs_by_status().await
    }

    /// Refuses unless the caller may see the system status (administrators).
    pub fn check_system_status(
        &self,
        caller: &crate::context::Caller,
    ) -> crate::error::AppResult<()> {
        crate::services::ensure(
            caller,
            formula_domain::authz::Action::ViewSystemStatus,
            &formula_domain::authz::Resource::Global,
        )
    }
}
