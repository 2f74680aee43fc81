//! End-to-end tests of the `formula-pm` binary: one test binary, one module per area.
//! Each test starts the real server on a free loopback port with its own data directory.

// Tests may panic on failure; that is how they report it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/webdriver.rs"]
mod webdriver;

#[path = "server/process.rs"]
mod process;

#[path = "server/browser.rs"]
mod browser;

#[path = "server/jobs.rs"]
mod jobs;

#[path = "server/metrics.rs"]
mod metrics;

#[path = "server/shutdown.rs"]
mod shutdown;

#[path = "server/pg.rs"]
mod pg;

#[path = "server/backup.rs"]
mod backup;

#[path = "server/backup_s3.rs"]
mod backup_s3;

#[path = "server/tls.rs"]
mod tls;

#[path = "server/resilience.rs"]
mod resilience;

#[path = "server/redis.rs"]
mod redis;
