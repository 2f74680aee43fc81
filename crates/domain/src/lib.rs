//! The Formula PM domain: entities, value types, state machines and the one
//! `authorize()` every use case asks. Pure: no I/O, no async, no clock.

pub mod activity;
pub mod attachment;
pub mod audit;
pub mod authz;
pub mod calendar;
pub mod client;
pub mod comment;
pub mod commercial;
pub mod company;
pub mod delivery;
pub mod drawing;
pub mod enums;
pub mod errors;
pub mod files;
pub mod goods_receipt;
pub mod installation;
pub mod location;
pub mod money;
pub mod notification;
pub mod numbers;
pub mod planning;
pub mod project;
pub mod purchase_order;
pub mod purchasing_settings;
pub mod readiness;
pub mod review;
pub mod rfi;
pub mod room_matrix;
pub mod schedule;
pub mod scope;
pub mod search;
pub mod snag;
pub mod spec;
pub mod supplier;
pub mod task;
pub mod task_features;
pub mod user;
pub mod variation;
pub mod waiting;
pub mod workshop;
pub mod workshop_due;

pub use uuid::Uuid;

/// Creates a new time-ordered id (UUIDv7). Ids are always created in Rust.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
