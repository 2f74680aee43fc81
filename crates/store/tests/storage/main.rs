//! The storage suite: every case runs on SQLite (in a temporary `DATA_DIR`) and on a real
//! PostgreSQL (`TEST_DATABASE_URL`, or a throwaway server this binary starts; see
//! `formula_testkit::pg`). A missing PostgreSQL fails the `postgres` tests.
//!
//! One module per aggregate. Each ends with `both_backends! { … }` naming its cases once,
//! and each case runs as `<module>::sqlite::<case>` and `<module>::postgres::<case>`, so
//! `cargo test -p formula-store --test storage -- postgres` runs one backend.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Runs each named case of the calling module on both backends, as `sqlite::<case>` and
/// `postgres::<case>`: a `#[tokio::test]` hands the case a freshly migrated
/// [`support::TestDb`] (taken as `&Db`, or as `&TestDb` for statements outside the store)
/// and removes the database afterwards.
macro_rules! both_backends {
    ($($case:ident),+ $(,)?) => {
        both_backends!(@on sqlite: $($case),+);
        both_backends!(@on postgres: $($case),+);
    };
    (@on $backend:ident: $($case:ident),+) => {
        mod $backend {
            $(
                #[tokio::test]
                async fn $case() {
                    let t = crate::support::$backend().await;
                    super::$case(&t).await;
                    t.finish().await;
                }
            )+
        }
    };
}

mod fixtures;
mod support;
mod world;

use formula_testkit::pg;

mod activity;
mod attachments;
mod audit;
mod auth;
mod calendar_feeds;
mod clients;
mod comments;
mod commercial;
mod company;
mod dashboard;
mod deliveries;
mod drawings;
mod dump;
mod goods_receipts;
mod installations;
mod jobs;
mod locations;
mod notifications;
mod open;
mod photos;
mod projects;
mod purchase_orders;
mod rfis;
mod room_matrix;
mod schedule;
mod scope;
mod search;
mod snags;
mod specs;
mod suppliers;
mod task_features;
mod tasks;
mod users;
mod variations;
mod workshop;
