//! The commercial totals over the store: approved and pending variations (withdrawn,
//! rejected and draft ones left out), the scope's budget, actual and forecast cost
//! (cancelled items counting only what was spent), open and overdue RFIs, and the
//! portfolio's rows within a caller's scope.

use formula_app::repos::prelude::*;
use formula_domain::authz::ProjectScope;
use formula_domain::scope::ScopeStatus;
use formula_store::Backend;
use uuid::Uuid;

use crate::fixtures::{self as f, days};
use crate::support::TestDb;
use crate::world::world;

/// SQL literals for a uuid and a timestamp on `t`'s backend.
fn lit(t: &TestDb) -> (fn(Uuid) -> String, &'static str) {
    match t.backend() {
        Backend::Sqlite => (
            |u: Uuid| format!("X'{}'", u.simple()),
            "'2026-01-01T12:00:00.000000Z'",
        ),
        Backend::Postgres => (
            |u: Uuid| format!("'{u}'::uuid"),
            "'2026-01-01T12:00:00Z'::timestamptz",
        ),
    }
}

/// A variation of `project` in `status`, worth `total`, from outside the store (the
/// variations use cases are not what is tested here).
async fn variation(t: &TestDb, project: Uuid, number: i64, status: &str, total: i64, extra: &str) {
    let (id, ts) = lit(t);
    let (cols, vals) = match extra {
        "withdrawn" => (", withdrawn_at", format!(", {ts}")),
        "days" => (", time_impact_days", ", 4".to_owned()),
        _ => ("", String::new()),
    };
    t.outside(&format!(
        "INSERT INTO variations (id, project_id, number, title, reason, requested_by_client, \
         currency, total_minor, status, raised_at, updated_at, version{cols}) \
         VALUES ({}, {}, {number}, 'V', 'design_change', 0, 'USD', {total}, '{status}', {ts}, {ts}, 1{vals})",
        id(Uuid::now_v7()),
        id(project),
    ))
    .await;
}

async fn rfi(t: &TestDb, project: Uuid, number: i64, status: &str, required_by: time::Date) {
    let (id, ts) = lit(t);
    let date = match t.backend() {
        Backend::Sqlite => format!("'{required_by}'"),
        Backend::Postgres => format!("'{required_by}'::date"),
    };
    t.outside(&format!(
        "INSERT INTO rfis (id, project_id, number, subject, question, raised_at, \
         addressed_to_email, required_by, status, client_visible, cost_impact, time_impact, \
         updated_at, version) VALUES ({}, {}, {number}, 'S', 'Q', {ts}, 'a@example.com', {date}, \
         '{status}', 0, 0, 0, {ts}, 1)",
        id(Uuid::now_v7()),
        id(project),
    ))
    .await;
}

pub async fn totals_count_only_what_belongs(t: &TestDb) {
    let w = world(t).await;
    let p = &w.p1;
    let group = f::scope_group(p, "Millwork", "M", 0);
    t.insert_scope_groups(std::slice::from_ref(&group), &[])
        .await
        .unwrap();
    // Budget 1,000 / actual 1,200 (over: the forecast takes the actual), budget 500 / no
    // actual yet (the forecast takes the budget), and a cancelled item with budget 300 and
    // 50 already spent (only the 50 counts, in actual and forecast).
    let mut a = f::scope_item(&group, "M-1", 1, Some(200_000), 0);
    (a.budget_cost_minor, a.actual_cost_minor) = (Some(100_000), Some(120_000));
    let mut b = f::scope_item(&group, "M-2", 1, Some(90_000), 0);
    b.budget_cost_minor = Some(50_000);
    let mut c = f::scope_item(&group, "M-3", 1, Some(40_000), 0);
    (c.budget_cost_minor, c.actual_cost_minor) = (Some(30_000), Some(5_000));
    c.status = ScopeStatus::Cancelled;
    t.save_scope(&[], &[a, b, c], &[], &[]).await.unwrap();

    variation(t, p.id, 1, "approved", 1_000_000, "days").await;
    variation(t, p.id, 2, "approved", -200_000, "").await;
    variation(t, p.id, 3, "submitted", 300_000, "").await;
    variation(t, p.id, 4, "submitted", 999_900, "withdrawn").await;
    variation(t, p.id, 5, "rejected", 700_000, "").await;
    variation(t, p.id, 6, "draft", 500_000, "").await;
    // Another project's variation never counts here.
    variation(t, w.p2.id, 1, "approved", 100_000, "").await;

    let today = f::today();
    rfi(t, p.id, 1, "open", today - days(1)).await;
    rfi(t, p.id, 2, "open", today + days(3)).await;
    rfi(t, p.id, 3, "answered", today - days(9)).await;
    rfi(t, p.id, 4, "closed", today - days(9)).await;

    let got = t.commercial_totals(p.id, today).await.unwrap();
    assert_eq!(
        got.contract_value_minor,
        p.contract_value.as_ref().map(|m| m.amount_minor)
    );
    assert_eq!((got.approved_count, got.approved_minor), (2, 800_000));
    assert_eq!(got.approved_days, 4);
    assert_eq!((got.pending_count, got.pending_minor), (1, 300_000));
    assert_eq!(got.budget_minor, 150_000);
    assert_eq!(got.actual_minor, 125_000);
    assert_eq!(got.forecast_minor, 120_000 + 50_000 + 5_000);
    assert_eq!((got.open_rfis, got.overdue_rfis), (3, 1));

    // A project with nothing yet: zeros, not an error.
    let empty = t.commercial_totals(w.p3.id, today).await.unwrap();
    assert_eq!(
        (empty.approved_count, empty.budget_minor, empty.open_rfis),
        (0, 0, 0)
    );

    // The portfolio: every project for all, the team's for a manager who is on none.
    let all = t.portfolio_totals(ProjectScope::All, today).await.unwrap();
    let codes: Vec<&str> = all.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["WSC-25-001", "WSC-25-002", "WSC-25-010"]);
    assert_eq!(all[0].totals, got);
    assert_eq!(all[1].totals.approved_minor, 100_000);
    let none = t
        .portfolio_totals(ProjectScope::MemberOf(Uuid::now_v7()), today)
        .await
        .unwrap();
    assert!(none.is_empty());
}

both_backends! {
    totals_count_only_what_belongs,
}
