//! Storage for Formula PM: the repositories of [`formula_app::repos`], implemented once for
//! SQLite (the zero-configuration default, a file in `DATA_DIR`) or PostgreSQL (when
//! `DATABASE_URL` is a `postgres://` URL).
//!
//! SQL is written once where the dialects agree and the same code runs on either pool
//! (see `sql.rs`); only the migrations differ. Every change is written together with its
//! audit row in one transaction, and updates are compare-and-set on `version`.
//!
//! On SQLite all writes queue on one connection (`BEGIN IMMEDIATE`) while reads use a
//! separate pool, and an advisory lock on `DATA_DIR/formula-pm.lock` keeps a second
//! server off the same file. [`open`] never migrates: call [`Db::migrate`] first.
//!
//! ```no_run
//! # async fn start() -> Result<(), formula_store::StoreError> {
//! let db = formula_store::open(None, std::path::Path::new("./data")).await?;
//! db.migrate().await?; // `open` never migrates on its own
//! # Ok(()) }
//! ```

#[macro_use]
mod sql;

mod activity;
mod attachments;
mod audit;
mod auth;
mod calendar_feeds;
mod checkpoint;
mod clients;
mod comments;
mod commercial;
mod company;
mod dashboard;
mod deliveries;
mod drawings;
pub mod dump;
mod error;
mod goods_receipts;
mod idempotency;
mod installations;
mod jobs;
#[macro_use]
mod locations;
mod notifications;
mod places;
mod pool;
mod projects;
mod purchase_orders;
mod purchasing_settings;
mod rfis;
mod room_matrix;
mod rows;
mod schedule;
mod scope;
mod search;
mod snags;
mod specs;
mod suppliers;
mod task_features;
mod tasks;
mod timing;
mod users;
mod variations;
mod watchdog;
mod workflow;
mod workshop;

pub use error::StoreError;
pub use pool::{Backend, Db, LOCK_FILE, OpenOptions, SQLITE_FILE, open, open_read_only, open_with};
pub use timing::QueryObserver;
