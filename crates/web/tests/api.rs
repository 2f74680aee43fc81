//! The JSON API over HTTP, in process: every test builds the whole router over
//! its own SQLite database and calls it with `tower::ServiceExt::oneshot`.
//!
//! One test binary; the tests live in `tests/api/*.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/support.rs"]
mod support;

#[path = "api/accounts.rs"]
mod accounts;
#[path = "api/attachments.rs"]
mod attachments;
#[path = "api/compression.rs"]
mod compression;
#[path = "api/drawings.rs"]
mod drawings;
#[path = "api/events.rs"]
mod events;
#[path = "api/headers.rs"]
mod headers;
#[path = "api/jobs.rs"]
mod jobs;
#[path = "api/lists.rs"]
mod lists;
#[path = "api/materials.rs"]
mod materials;
#[path = "api/openapi.rs"]
mod openapi;
#[path = "api/operations.rs"]
mod operations;
#[path = "api/panics.rs"]
mod panics;
#[path = "api/permissions.rs"]
mod permissions;
#[path = "api/readiness.rs"]
mod readiness;
#[path = "api/requests.rs"]
mod requests;
#[path = "api/scope.rs"]
mod scope;
#[path = "api/security.rs"]
mod security;
#[path = "api/workflow.rs"]
mod workflow;
