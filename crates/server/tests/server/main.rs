//! End-to-end tests of the `formula-pm` binary: one test binary, one module per area.
//! Each test starts the real server on a free loopback port with its own data directory.

// Tests may panic on failure; that is how they report it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The WebDriver client the browser tests drive Chromium with.
mod webdriver;

mod backup;
mod backup_s3;
mod browser;
mod browser_calendar;
mod browser_delivery;
mod browser_gantt;
mod browser_installation;
mod browser_issue14;
mod browser_issue15;
mod browser_labels;
mod browser_live;
mod browser_purchasing;
mod browser_rfis;
mod browser_schedule;
mod browser_site;
mod browser_tasks;
mod browser_variations;
mod browser_workshop;
mod connections;
mod disk_full;
mod jobs;
mod metrics;
mod pg;
mod process;
mod redis;
mod resilience;
mod shutdown;
mod tls;
