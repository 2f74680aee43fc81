//! Use cases of Formula PM. Every command and query follows one path:
//! authorize → validate → store (change + audit in one transaction) → result.
//! The ports this layer needs (`Store`, `Mailer`) are traits implemented elsewhere.

pub mod accounts;
pub mod activity;
pub mod attachments;
pub mod blobs;
pub mod cache;
pub mod clients;
pub mod comments;
pub mod commercial;
pub mod company;
pub mod config;
pub mod context;
pub mod deliveries;
pub mod drawings;
pub mod error;
pub mod events;
pub mod goods_receipts;
pub mod health;
pub mod idempotency;
pub mod installations;
pub mod invitations;
pub mod jobs;
pub mod labels;
pub mod location_filter;
pub mod location_import;
pub mod locations;
pub mod mail;
pub mod notifications;
pub mod photos;
pub mod places;
pub mod ports;
pub mod projects;
pub mod purchase_orders;
pub mod purchasing_prices;
pub mod query;
pub mod rate_limit;
pub mod readiness;
pub mod repos;
pub mod review;
pub mod rfis;
pub mod room_matrix;
pub mod scope;
pub mod scope_import;
pub mod search;
pub mod secrets;
pub mod signoff;
pub mod snags;
pub mod spec_import;
pub mod specs;
pub mod streams;
pub mod suppliers;
pub mod task_features;
pub mod tasks;
pub mod throttle;
pub mod throughput;
pub mod users;
pub mod variations;
pub mod waiting;
pub mod workshop;

mod services;

pub use config::AppConfig;
pub use context::RequestCtx;
pub use error::{AppError, AppResult};
pub use services::Services;
