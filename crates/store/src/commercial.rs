//! The commercial read model: per project, the contract value, the approved and pending
//! variations, the scope's budget, actual and forecast cost, and the open RFIs, in one
//! statement (for one project, or for the portfolio).

use formula_app::repos::{CommercialRepo, PortfolioRow};
use formula_domain::authz::ProjectScope;
use formula_domain::commercial::CommercialTotals;
use formula_domain::project::ProjectStatus;
use formula_store_macros::repo;
use time::Date;
use uuid::Uuid;

use crate::error::DbResult;
use crate::pool::Db;
use crate::projects::apply_scope;
use crate::rows::parse_enum;
use crate::sql::{Filter, Stmt};

#[derive(sqlx::FromRow)]
struct TotalsRow {
    id: Uuid,
    code: String,
    name: String,
    client_name: String,
    status: String,
    currency: String,
    contract_value_minor: Option<i64>,
    approved_count: i64,
    approved_minor: i64,
    approved_days: i64,
    pending_count: i64,
    pending_minor: i64,
    budget_minor: i64,
    actual_minor: i64,
    forecast_minor: i64,
    committed_minor: i64,
    committed_foreign_lines: i64,
    open_rfis: i64,
    overdue_rfis: i64,
}

impl TotalsRow {
    fn totals(&self) -> CommercialTotals {
        CommercialTotals {
            contract_value_minor: self.contract_value_minor,
            approved_count: self.approved_count,
            approved_minor: self.approved_minor,
            pending_count: self.pending_count,
            pending_minor: self.pending_minor,
            approved_days: self.approved_days,
            budget_minor: self.budget_minor,
            actual_minor: self.actual_minor,
            forecast_minor: self.forecast_minor,
            committed_minor: self.committed_minor,
            committed_foreign_lines: self.committed_foreign_lines,
            open_rfis: self.open_rfis,
            overdue_rfis: self.overdue_rfis,
        }
    }
}

/// `SUM(expr)` as a BIGINT on both backends (PostgreSQL sums BIGINTs as NUMERIC), 0 when
/// there are no rows.
fn sum(expr: &str) -> String {
    format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)")
}

/// The totals query over `projects p` filtered by `f`. `inner` restricts each aggregate to
/// the same projects where that is cheap to say (one project), so neither backend adds up
/// the whole database to answer for one project.
fn totals_stmt(mut f: Filter, inner: &str, today: Date) -> Stmt {
    let day = f.date(today);
    let where_sql = f.where_sql();
    let approved = "v.status = 'approved'";
    let pending = "v.status = 'submitted' AND v.withdrawn_at IS NULL";
    let item_actual = "COALESCE(i.actual_cost_minor, 0)";
    let item_budget = "COALESCE(i.budget_cost_minor, 0)";
    let sql = format!(
        "SELECT p.id, p.code, p.name, c.name AS client_name, p.status, p.currency, p.contract_value_minor, \
         COALESCE(v.approved_count, 0) AS approved_count, COALESCE(v.approved_minor, 0) AS approved_minor, \
         COALESCE(v.approved_days, 0) AS approved_days, COALESCE(v.pending_count, 0) AS pending_count, \
         COALESCE(v.pending_minor, 0) AS pending_minor, COALESCE(s.budget_minor, 0) AS budget_minor, \
         COALESCE(s.actual_minor, 0) AS actual_minor, COALESCE(s.forecast_minor, 0) AS forecast_minor, \
         COALESCE(o.committed_minor, 0) AS committed_minor, \
         COALESCE(o.committed_foreign_lines, 0) AS committed_foreign_lines, \
         COALESCE(r.open_rfis, 0) AS open_rfis, COALESCE(r.overdue_rfis, 0) AS overdue_rfis \
         FROM projects p JOIN clients c ON c.id = p.client_id \
         LEFT JOIN (SELECT v.project_id, {approved_count} AS approved_count, {approved_minor} AS approved_minor, \
             {approved_days} AS approved_days, {pending_count} AS pending_count, {pending_minor} AS pending_minor \
             FROM variations v{inner_v} GROUP BY v.project_id) v ON v.project_id = p.id \
         LEFT JOIN (SELECT i.project_id, {budget} AS budget_minor, {actual} AS actual_minor, {forecast} AS forecast_minor \
             FROM scope_items i{inner_i} GROUP BY i.project_id) s ON s.project_id = p.id \
         LEFT JOIN (SELECT o.project_id, {committed} AS committed_minor, {foreign} AS committed_foreign_lines \
             FROM purchase_orders o JOIN purchase_order_lines l ON l.purchase_order_id = o.id \
             JOIN projects op ON op.id = o.project_id \
             WHERE o.status IN ({committed_states}){inner_o} GROUP BY o.project_id) o ON o.project_id = p.id \
         LEFT JOIN (SELECT r.project_id, {open} AS open_rfis, {overdue} AS overdue_rfis \
             FROM rfis r{inner_r} GROUP BY r.project_id) r ON r.project_id = p.id\
         {where_sql} ORDER BY p.code",
        approved_count = sum(&format!("CASE WHEN {approved} THEN 1 ELSE 0 END")),
        approved_minor = sum(&format!(
            "CASE WHEN {approved} THEN v.total_minor ELSE 0 END"
        )),
        approved_days = sum(&format!(
            "CASE WHEN {approved} THEN COALESCE(v.time_impact_days, 0) ELSE 0 END"
        )),
        pending_count = sum(&format!("CASE WHEN {pending} THEN 1 ELSE 0 END")),
        pending_minor = sum(&format!(
            "CASE WHEN {pending} THEN v.total_minor ELSE 0 END"
        )),
        budget = sum(&format!(
            "CASE WHEN i.status = 'cancelled' THEN 0 ELSE {item_budget} END"
        )),
        actual = sum(item_actual),
        // What each item is expected to cost in the end: its budget until the actual cost
        // passes it; a cancelled item only what was already spent on it.
        forecast = sum(&format!(
            "CASE WHEN i.status = 'cancelled' THEN {item_actual} \
             WHEN {item_actual} > {item_budget} THEN {item_actual} ELSE {item_budget} END"
        )),
        // Only lines in the project's currency are added; the others are counted, so the
        // use case refuses the sum rather than mix currencies.
        committed = sum("CASE WHEN o.currency = op.currency THEN l.total_minor ELSE 0 END"),
        foreign = sum("CASE WHEN o.currency = op.currency THEN 0 ELSE 1 END"),
        committed_states = formula_domain::goods_receipt::COMMITTED
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", "),
        inner_o = inner.replace("{t}", "o").replace(" WHERE ", " AND "),
        open = sum("CASE WHEN r.status <> 'closed' THEN 1 ELSE 0 END"),
        overdue = sum(&format!(
            "CASE WHEN r.status = 'open' AND r.required_by < {day} THEN 1 ELSE 0 END"
        )),
        inner_v = inner.replace("{t}", "v"),
        inner_i = inner.replace("{t}", "i"),
        inner_r = inner.replace("{t}", "r"),
    );
    Stmt {
        sql,
        args: f.stmt.args,
    }
}

#[repo]
impl CommercialRepo for Db {
    async fn commercial_totals(&self, project_id: Uuid, today: Date) -> DbResult<CommercialTotals> {
        let mut f = Filter::new();
        let id = f.arg(project_id);
        f.and(format!("p.id = {id}"));
        let stmt = totals_stmt(f, &format!(" WHERE {{t}}.project_id = {id}"), today);
        let row = on_reader!(self, |pool| fetch_optional!(pool, TotalsRow, stmt)?);
        Ok(row.map(|r| r.totals()).unwrap_or_default())
    }

    async fn portfolio_totals(
        &self,
        scope: ProjectScope,
        today: Date,
    ) -> DbResult<Vec<PortfolioRow>> {
        let mut f = Filter::new();
        apply_scope(&mut f, scope);
        f.and("p.status NOT IN ('not_awarded', 'cancelled')");
        let stmt = totals_stmt(f, "", today);
        let rows = on_reader!(self, |pool| fetch_all!(pool, TotalsRow, stmt)?);
        rows.into_iter()
            .map(|r| {
                Ok(PortfolioRow {
                    totals: r.totals(),
                    status: parse_enum::<ProjectStatus>(&r.status, "projects.status")?,
                    id: r.id,
                    code: r.code,
                    name: r.name,
                    client_name: r.client_name,
                    currency: r.currency,
                })
            })
            .collect()
    }
}
