//! The server's part of the job runner: the `backup` job (whose archive code lives in this
//! crate, not in the app) and the job metrics.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use formula_app::jobs::{Job, JobHost, RunOutcome};
use formula_web::metrics::Metrics;

use crate::config::Config;

/// Writes a backup archive into `BACKUP_DIR` and applies the retention, exactly like
/// `formula-pm backup`. Enqueued by the scheduler per `BACKUP_SCHEDULE`.
pub const BACKUP: &str = "backup";

/// Runs the server's own job kinds and records every attempt in the metrics.
pub struct ServerJobs {
    config: Config,
    metrics: Arc<Metrics>,
}

impl ServerJobs {
    /// A host for the workers of this process.
    pub fn new(config: &Config, metrics: Arc<Metrics>) -> Self {
        ServerJobs {
            config: config.clone(),
            metrics,
        }
    }
}

#[async_trait]
impl JobHost for ServerJobs {
    async fn run(&self, job: &Job) -> Option<Result<(), String>> {
        if job.kind != BACKUP {
            return None;
        }
        let dir = &self.config.backup.dir;
        let made = crate::commands::backup::write_backup(&self.config, dir).await;
        Some(match made {
            Ok(made) => {
                for pruned in &made.pruned {
                    tracing::info!(target: "formula_pm::jobs", archive = %pruned, "pruned old backup");
                }
                Ok(())
            }
            // Retried with back-off, then dead (and visible on the Jobs page) like any job.
            Err(e) => Err(format!("backup into {} failed: {e:#}", dir.display())),
        })
    }

    fn finished(&self, job: &Job, outcome: &RunOutcome, elapsed: Duration) {
        self.metrics
            .record_job(&job.kind, outcome.as_str(), elapsed);
    }
}
