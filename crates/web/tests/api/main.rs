//! The JSON API over HTTP, in process: every test builds the whole router over
//! its own SQLite database and calls it with `tower::ServiceExt::oneshot`.
//!
//! One test binary: this file and one module per area beside it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod accounts;
mod activity;
mod attachments;
mod audit_page;
mod calendar;
mod chains;
mod comment_files;
mod comments;
mod commercial;
mod company;
mod compression;
mod default_groups;
mod deliveries;
mod drawings;
mod edit_forms;
mod events;
mod goods_receipts;
mod headers;
mod import_limits;
mod import_text;
mod installations;
mod invitations;
mod jobs;
mod labels;
mod lists;
mod locations;
mod materials;
mod notifications;
mod number_formats;
mod openapi;
mod operations;
mod page_wording;
mod pages;
mod panics;
mod permissions;
mod photos;
mod project_progress;
mod purchase_orders;
mod readiness;
mod requests;
mod rfis;
mod room_matrix;
mod schedule;
mod scope;
mod search;
mod security;
mod snags;
mod suppliers;
mod task_features;
mod variations;
mod workflow;
mod workshop;
mod workshop_late;
