//! The storage suite: every case in `storage/cases.rs` runs on SQLite (in a temporary
//! `DATA_DIR`) and on a real PostgreSQL (`TEST_DATABASE_URL`, or a throwaway server this
//! binary starts; see `storage/pg.rs`). A missing PostgreSQL fails the `postgres_*` tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "storage/cases.rs"]
mod cases;
#[path = "storage/dump.rs"]
mod dump;
#[path = "storage/fixtures.rs"]
mod fixtures;
#[path = "storage/jobs.rs"]
mod jobs;
use formula_app::repos::prelude::*;
use formula_testkit::pg;
#[path = "storage/support.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::Path;

/// Declares one `#[tokio::test]` per backend for each shared case.
macro_rules! on_both_backends {
    ($($case:ident: $sqlite:ident, $postgres:ident;)+) => {
        on_both_backends!(@in cases; $($case: $sqlite, $postgres;)+);
    };
    (@in $module:ident; $($case:ident: $sqlite:ident, $postgres:ident;)+) => {$(
        #[tokio::test]
        async fn $sqlite() {
            let t = support::sqlite().await;
            $module::$case(&t.db).await;
            t.finish().await;
        }

        #[tokio::test]
        async fn $postgres() {
            let t = support::postgres().await;
            $module::$case(&t.db).await;
            t.finish().await;
        }
    )+};
}

// The job queue, scheduler leases and housekeeping (`storage/jobs.rs`).
on_both_backends! {
    @in jobs;
    reset_link_and_its_email_are_stored_together: sqlite_reset_link_and_its_email_are_stored_together, postgres_reset_link_and_its_email_are_stored_together;
    jobs_are_claimed_in_order_when_due: sqlite_jobs_are_claimed_in_order_when_due, postgres_jobs_are_claimed_in_order_when_due;
    concurrent_claimers_each_get_different_jobs: sqlite_concurrent_claimers_each_get_different_jobs, postgres_concurrent_claimers_each_get_different_jobs;
    failed_jobs_back_off_then_die_and_can_be_retried: sqlite_failed_jobs_back_off_then_die_and_can_be_retried, postgres_failed_jobs_back_off_then_die_and_can_be_retried;
    completing_records_the_mail_once: sqlite_completing_records_the_mail_once, postgres_completing_records_the_mail_once;
    expired_locks_go_back_to_the_queue: sqlite_expired_locks_go_back_to_the_queue, postgres_expired_locks_go_back_to_the_queue;
    a_lease_has_one_holder_until_it_expires: sqlite_a_lease_has_one_holder_until_it_expires, postgres_a_lease_has_one_holder_until_it_expires;
    housekeeping_removes_only_what_is_stale: sqlite_housekeeping_removes_only_what_is_stale, postgres_housekeeping_removes_only_what_is_stale;
    jobs_are_counted_by_status: sqlite_jobs_are_counted_by_status, postgres_jobs_are_counted_by_status;
}

on_both_backends! {
    migrations_are_idempotent: sqlite_migrations_are_idempotent, postgres_migrations_are_idempotent;
    users_round_trip_and_emails_are_unique: sqlite_users_round_trip_and_emails_are_unique, postgres_users_round_trip_and_emails_are_unique;
    users_are_listed_with_filters_sort_and_paging: sqlite_users_are_listed_with_filters_sort_and_paging, postgres_users_are_listed_with_filters_sort_and_paging;
    user_updates_are_compare_and_set: sqlite_user_updates_are_compare_and_set, postgres_user_updates_are_compare_and_set;
    sessions_are_stored_found_and_expired: sqlite_sessions_are_stored_found_and_expired, postgres_sessions_are_stored_found_and_expired;
    active_sessions_are_counted_until_they_expire: sqlite_active_sessions_are_counted_until_they_expire, postgres_active_sessions_are_counted_until_they_expire;
    disabling_a_user_ends_their_sessions: sqlite_disabling_a_user_ends_their_sessions, postgres_disabling_a_user_ends_their_sessions;
    set_password_keeps_only_the_current_session: sqlite_set_password_keeps_only_the_current_session, postgres_set_password_keeps_only_the_current_session;
    api_tokens_are_stored_found_and_revoked: sqlite_api_tokens_are_stored_found_and_revoked, postgres_api_tokens_are_stored_found_and_revoked;
    reset_tokens_work_once_and_expire: sqlite_reset_tokens_work_once_and_expire, postgres_reset_tokens_work_once_and_expire;
    clients_crud_with_unique_names_and_dependents: sqlite_clients_crud_with_unique_names_and_dependents, postgres_clients_crud_with_unique_names_and_dependents;
    projects_are_scoped_filtered_sorted_and_paged: sqlite_projects_are_scoped_filtered_sorted_and_paged, postgres_projects_are_scoped_filtered_sorted_and_paged;
    project_access_and_teams: sqlite_project_access_and_teams, postgres_project_access_and_teams;
    project_updates_are_compare_and_set: sqlite_project_updates_are_compare_and_set, postgres_project_updates_are_compare_and_set;
    tasks_crud_and_derived_project_figures: sqlite_tasks_crud_and_derived_project_figures, postgres_tasks_crud_and_derived_project_figures;
    tasks_are_listed_by_scope_assignee_and_status: sqlite_tasks_are_listed_by_scope_assignee_and_status, postgres_tasks_are_listed_by_scope_assignee_and_status;
    dashboard_counts_stay_in_scope: sqlite_dashboard_counts_stay_in_scope, postgres_dashboard_counts_stay_in_scope;
    audit_trail_is_filtered_and_newest_first: sqlite_audit_trail_is_filtered_and_newest_first, postgres_audit_trail_is_filtered_and_newest_first;
    mail_outbox_keeps_newest_first: sqlite_mail_outbox_keeps_newest_first, postgres_mail_outbox_keeps_newest_first;
    concurrent_writes_all_land: sqlite_concurrent_writes_all_land, postgres_concurrent_writes_all_land;
    scope_groups_and_items_keep_order_totals_and_versions: sqlite_scope_groups_and_items_keep_order_totals_and_versions, postgres_scope_groups_and_items_keep_order_totals_and_versions;
    scope_saves_are_all_or_nothing: sqlite_scope_saves_are_all_or_nothing, postgres_scope_saves_are_all_or_nothing;
    drawings_keep_revisions_reviews_and_links: sqlite_drawings_keep_revisions_reviews_and_links, postgres_drawings_keep_revisions_reviews_and_links;
    specs_settings_and_releases_round_trip: sqlite_specs_settings_and_releases_round_trip, postgres_specs_settings_and_releases_round_trip;
    attachments_and_deleted_files: sqlite_attachments_and_deleted_files, postgres_attachments_and_deleted_files;
    spec_imports_are_all_or_nothing: sqlite_spec_imports_are_all_or_nothing, postgres_spec_imports_are_all_or_nothing;
}

/// Backup and export: a dump loads into a fresh database of the other backend (and back)
/// and dumps to the same bytes; see `storage/dump.rs`.
// Overdue counts kept as of a day (migration 0012): a roll-up as of another day is not
// trusted, and the next task write recounts it.
#[tokio::test]
async fn sqlite_overdue_counts_kept_as_of_another_day_are_recounted() {
    let t = support::sqlite().await;
    cases::overdue_counts_kept_as_of_another_day_are_recounted(&t).await;
    t.finish().await;
}

#[tokio::test]
async fn postgres_overdue_counts_kept_as_of_another_day_are_recounted() {
    let t = support::postgres().await;
    cases::overdue_counts_kept_as_of_another_day_are_recounted(&t).await;
    t.finish().await;
}

#[tokio::test]
async fn sqlite_dump_moves_losslessly_between_backends() {
    dump::from_sqlite().await;
}

#[tokio::test]
async fn postgres_dump_moves_losslessly_between_backends() {
    dump::from_postgres().await;
}

#[tokio::test]
async fn sqlite_long_tables_are_dumped_page_by_page() {
    let t = support::sqlite().await;
    dump::long_tables_are_dumped_page_by_page(&t.db).await;
    t.finish().await;
}

#[tokio::test]
async fn postgres_long_tables_are_dumped_page_by_page() {
    let t = support::postgres().await;
    dump::long_tables_are_dumped_page_by_page(&t.db).await;
    t.finish().await;
}

#[tokio::test]
async fn sqlite_dump_tables_match_the_migrated_schema() {
    let t = support::sqlite().await;
    dump::tables_match_the_migrated_schema(&t).await;
    t.finish().await;
}

#[tokio::test]
async fn postgres_dump_tables_match_the_migrated_schema() {
    let t = support::postgres().await;
    dump::tables_match_the_migrated_schema(&t).await;
    t.finish().await;
}

#[tokio::test]
async fn sqlite_loading_refuses_non_empty_targets_and_rolls_back() {
    let t = support::sqlite().await;
    dump::loading_refuses_non_empty_targets_and_rolls_back(&t.db).await;
    t.finish().await;
}

#[tokio::test]
async fn postgres_loading_refuses_non_empty_targets_and_rolls_back() {
    let t = support::postgres().await;
    dump::loading_refuses_non_empty_targets_and_rolls_back(&t.db).await;
    t.finish().await;
}

/// Both backends keep one migration history with the same file names.
#[test]
fn migration_files_match_between_backends() {
    let names = |backend: &str| -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let (sqlite, postgres) = (names("sqlite"), names("postgres"));
    assert!(!sqlite.is_empty());
    assert!(sqlite.iter().all(|n| n.ends_with(".sql")), "{sqlite:?}");
    assert_eq!(sqlite, postgres);
}

/// A second server on the same DATA_DIR is refused while the first runs, and allowed after.
#[tokio::test]
async fn sqlite_second_open_of_a_data_dir_is_refused() {
    let dir = support::TempDir::new("lock");
    let first = formula_store::open(None, dir.path()).await.unwrap();
    let err = match formula_store::open(None, dir.path()).await {
        Ok(_) => panic!("a second open of the same DATA_DIR must fail"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("another formula-pm server is already using DATA_DIR="),
        "{err}"
    );
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
    first.close().await;
    drop(first);
    let again = formula_store::open(Some(""), dir.path())
        .await
        .expect("the lock goes with the first Db");
    again.close().await;
}

/// Unsupported URLs are refused with a message naming DATABASE_URL, without echoing secrets.
#[tokio::test]
async fn unsupported_database_urls_are_refused() {
    let dir = support::TempDir::new("url");
    for url in [
        "mysql://root:s3cret@db/app",
        "sqlite://data.db",
        "localhost",
    ] {
        let err = match formula_store::open(Some(url), dir.path()).await {
            Ok(_) => panic!("{url} must be refused"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("DATABASE_URL"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
}

/// `open` does not migrate: the schema appears only with `migrate()`.
#[tokio::test]
async fn sqlite_open_does_not_migrate() {
    let dir = support::TempDir::new("nomigrate");
    let db = formula_store::open(None, dir.path()).await.unwrap();
    assert!(db.count_users().await.is_err());
    db.migrate().await.unwrap();
    assert_eq!(db.count_users().await.unwrap(), 0);
    assert!(dir.path().join(formula_store::SQLITE_FILE).exists());
    db.close().await;
}
