//! What the process running the workers adds to them: handlers for job kinds the app does
//! not implement itself (the server's backups, which need its archive code) and a look at
//! every finished attempt (for metrics). The app stays unaware of both.

use std::time::Duration;

use async_trait::async_trait;

use super::{Job, RunOutcome};

/// Extends the job runner; see the module documentation.
#[async_trait]
pub trait JobHost: Send + Sync {
    /// Runs a job of a kind the app has no handler for: `None` when the host does not know
    /// the kind either, else whether it succeeded (a failure is retried with back-off and
    /// dead-lettered after its last attempt, like any other job's).
    async fn run(&self, job: &Job) -> Option<Result<(), String>>;

    /// Called after each attempt whose outcome was recorded (not for a job released at
    /// shutdown before it started), with the time the attempt took.
    fn finished(&self, job: &Job, outcome: &RunOutcome, elapsed: Duration);
}

/// A host that adds nothing: jobs of unknown kinds are retried, nothing is observed.
pub struct NoHost;

#[async_trait]
impl JobHost for NoHost {
    async fn run(&self, _job: &Job) -> Option<Result<(), String>> {
        None
    }

    fn finished(&self, _job: &Job, _outcome: &RunOutcome, _elapsed: Duration) {}
}
