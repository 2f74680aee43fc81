//! Starting and stopping the background-job runners of `formula-pm serve`: `JOB_WORKERS`
//! worker tasks and one scheduler task (none when `JOB_WORKERS=0`).

mod host;

use std::sync::Arc;

use formula_app::Services;
use formula_app::jobs::{JobHost, Schedule, run_scheduler, run_worker};
use formula_web::metrics::Metrics;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::Config;
pub use host::{BACKUP, ServerJobs};

/// The running job tasks.
pub struct JobRunners {
    tasks: Vec<JoinHandle<()>>,
}

/// Starts the workers and the scheduler. They stop taking new work when `shutdown` turns
/// true (or its sender goes away); a job already running is finished first. Attempts are
/// recorded in `metrics`; `BACKUP_SCHEDULE` adds the `backup` job to the schedules.
pub fn spawn(
    config: &Config,
    services: &Services,
    metrics: Arc<Metrics>,
    shutdown: watch::Receiver<bool>,
) -> JobRunners {
    let workers = config.jobs.workers;
    if workers == 0 {
        tracing::info!(
            "JOB_WORKERS=0: this instance runs no background jobs; another instance must"
        );
        return JobRunners { tasks: Vec::new() };
    }
    let instance = instance_id();
    let host: Arc<dyn JobHost> = Arc::new(ServerJobs::new(config, metrics));
    let mut tasks: Vec<JoinHandle<()>> = (1..=workers)
        .map(|n| {
            tokio::spawn(run_worker(
                services.clone(),
                format!("{instance}/{n}"),
                shutdown.clone(),
                host.clone(),
            ))
        })
        .collect();
    let mut schedules = config.jobs.scheduler();
    if let Some(cron) = &config.backup.schedule {
        schedules.schedules.push(Schedule {
            kind: BACKUP.to_owned(),
            cron: cron.clone(),
            payload: serde_json::json!({}),
        });
    }
    tasks.push(tokio::spawn(run_scheduler(
        services.clone(),
        schedules,
        instance,
        shutdown,
    )));
    JobRunners { tasks }
}

impl JobRunners {
    /// Waits for the tasks to stop (after the shutdown signal), at most until `deadline`: the
    /// end of the one grace period the whole shutdown shares with the HTTP drain. A job
    /// still running then is abandoned: its lock expires and another instance runs it again.
    pub async fn finish(self, deadline: Instant) {
        if self.tasks.is_empty() {
            return;
        }
        let all = async {
            for task in self.tasks {
                if let Err(e) = task.await {
                    tracing::error!(error = %e, "a background-job task failed");
                }
            }
        };
        if tokio::time::timeout_at(deadline, all).await.is_err() {
            tracing::warn!(
                "a background job was still running at the end of the grace period; another instance will retry it"
            );
        }
    }
}

/// Names this process in job locks and the scheduler lease: host, process id and a random
/// suffix, so two servers on one host (or a restarted one) never share an identity.
fn instance_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "formula-pm".to_owned());
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    format!(
        "{host}:{}:{}",
        std::process::id(),
        &suffix[suffix.len() - 6..]
    )
}
