//! Read models: the dashboard's counts.

use formula_app::ports::DashboardCounts;
use formula_app::repos::DashboardRepo;
use formula_domain::authz::ProjectScope;
use formula_domain::project::ProjectStatus;
use formula_store_macros::repo;
use time::Date;

use crate::error::DbResult;
use crate::pool::Db;
use crate::projects::{TASK_OPEN, apply_scope};
use crate::rows::parse_enum;
use crate::sql::{Filter, Stmt};

#[derive(sqlx::FromRow)]
struct TaskCounts {
    open_tasks: i64,
    overdue_tasks: i64,
}

#[repo]
impl DashboardRepo for Db {
    /// Projects per status (every status, zeros included, in lifecycle order) and open and
    /// overdue tasks, all within `scope`.
    async fn dashboard_counts(
        &self,
        scope: ProjectScope,
        today: Date,
    ) -> DbResult<DashboardCounts> {
        let mut f = Filter::new();
        apply_scope(&mut f, scope);
        let where_sql = f.where_sql();
        let by_status = Stmt {
            sql: format!("SELECT p.status, COUNT(*) FROM projects p{where_sql} GROUP BY p.status"),
            args: f.stmt.args.clone(),
        };
        let mut tasks = f.stmt;
        let t = tasks.arg(today);
        let open = if where_sql.is_empty() {
            " WHERE"
        } else {
            " AND"
        };
        tasks.sql = format!(
            "SELECT COUNT(*) AS open_tasks, COALESCE(SUM(CASE WHEN t.due_date < {t} THEN 1 ELSE 0 END), 0) AS overdue_tasks \
             FROM tasks t JOIN projects p ON p.id = t.project_id{where_sql}{open} t.status {TASK_OPEN}"
        );
        let (rows, tc) = on_reader!(self, |pool| {
            let rows = fetch_all!(pool, (String, i64), by_status)?;
            (rows, fetch_optional!(pool, TaskCounts, tasks)?)
        });
        let mut found = Vec::with_capacity(rows.len());
        for (status, n) in rows {
            found.push((parse_enum::<ProjectStatus>(&status, "projects.status")?, n));
        }
        let projects_by_status = ProjectStatus::ALL
            .iter()
            .map(|s| {
                (
                    *s,
                    found.iter().find(|(f, _)| f == s).map_or(0, |(_, n)| *n),
                )
            })
            .collect();
        let (open_tasks, overdue_tasks) = tc.map_or((0, 0), |c| (c.open_tasks, c.overdue_tasks));
        Ok(DashboardCounts {
            projects_by_status,
            overdue_tasks,
            open_tasks,
        })
    }
}
