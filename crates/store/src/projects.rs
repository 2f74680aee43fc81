//! Projects with their derived task figures, teams, and project codes.

use formula_app::error::AppError;
use formula_app::ports::{OpenWork, ProjectAccessRow};
use formula_app::query::{Dir, Page, ProjectQuery, ProjectSort};
use formula_app::repos::ProjectRepo;
use formula_domain::audit::AuditEntry;
use formula_domain::authz::ProjectScope;
use formula_domain::money::Money;
use formula_domain::project::{Member, Project, ProjectRole, ProjectStatus, measured_progress};
use formula_domain::scope::{ProgressSums, ScopeGroup};
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::{convert, parse_enum};
use crate::sql::{Filter, SortKey, Stmt, escape_like, limit_offset, order_by, rank};

/// Statuses that count as open work, as SQL (`TaskStatus::is_open`).
pub(crate) const TASK_OPEN: &str = "IN ('pending', 'in_progress', 'review')";

/// Restricts `projects p` to what `scope` may see.
pub(crate) fn apply_scope(f: &mut Filter, scope: ProjectScope) {
    match scope {
        ProjectScope::All => {}
        ProjectScope::MemberOf(user_id) => {
            let u = f.arg(user_id);
            f.and(format!(
                "EXISTS (SELECT 1 FROM project_members pm WHERE pm.project_id = p.id AND pm.user_id = {u})"
            ));
        }
        ProjectScope::OfClient(client_id) => {
            let c = f.arg(client_id);
            f.and(format!("p.client_id = {c}"));
        }
        ProjectScope::None => f.and("1 = 0"),
    }
}

/// The full project query for the ids chosen by `page` (a SELECT of `id`s, with its own
/// filter, order and limit). Task and scope figures come from `project_rollups` (kept by
/// triggers, migration 0010). Overdue tasks depend on the day: the roll-up keeps them as of
/// the day of the project's last task write (migration 0012), and when that is not today they
/// are counted here, per project, from the index of open tasks by due date (migration 0011).
fn select(page: &str, today: &str, order: &str) -> String {
    format!(
        "WITH page AS ({page}) \
         SELECT p.id, p.code, p.name, p.client_id, c.name AS client_name, p.sector, p.business_line, p.priority, \
                p.status, p.manager_id, m.name AS manager_name, p.start_date, p.end_date, p.contract_value_minor, \
                p.budget_minor, p.currency, p.location, p.contract_number, p.description, p.created_at, p.updated_at, \
                ub.name AS updated_by_name, p.version, \
                COALESCE(r.task_total, 0) AS task_total, COALESCE(r.task_completed, 0) AS task_completed, \
                CASE WHEN r.overdue_as_of = {today} THEN r.task_overdue \
                     ELSE (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id AND t.status {TASK_OPEN} \
                           AND t.due_date < {today}) END AS task_overdue, \
                COALESCE(r.task_progress_sum, 0) AS progress_sum, \
                COALESCE(r.task_progress_count, 0) AS progress_count, \
                COALESCE(r.scope_items, 0) AS scope_items, COALESCE(r.scope_progress_sum, 0) AS scope_progress_sum, \
                COALESCE(r.scope_weight, 0) AS scope_weight, COALESCE(r.scope_weighted, 0) AS scope_weighted \
         FROM projects p \
         JOIN clients c ON c.id = p.client_id \
         JOIN users m ON m.id = p.manager_id \
         LEFT JOIN users ub ON ub.id = p.updated_by \
         LEFT JOIN project_rollups r ON r.project_id = p.id \
         WHERE p.id IN (SELECT id FROM page){order}"
    )
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

fn by_id(id: Uuid) -> Stmt {
    let mut s = Stmt::default();
    let i = s.arg(id);
    let t = s.arg(today());
    s.sql = select(&format!("SELECT id FROM projects WHERE id = {i}"), &t, "");
    s
}

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: Uuid,
    code: String,
    name: String,
    client_id: Uuid,
    client_name: String,
    sector: String,
    business_line: String,
    priority: String,
    status: String,
    manager_id: Uuid,
    manager_name: String,
    start_date: Option<Date>,
    end_date: Option<Date>,
    contract_value_minor: Option<i64>,
    budget_minor: Option<i64>,
    currency: String,
    location: Option<String>,
    contract_number: Option<String>,
    description: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    updated_by_name: Option<String>,
    version: i64,
    task_total: i64,
    task_completed: i64,
    task_overdue: i64,
    progress_sum: i64,
    progress_count: i64,
    scope_items: i64,
    scope_progress_sum: i64,
    scope_weight: i64,
    scope_weighted: i64,
}

impl TryFrom<ProjectRow> for Project {
    type Error = DbError;
    fn try_from(r: ProjectRow) -> DbResult<Self> {
        let money = |amount: Option<i64>| {
            amount.map(|a| Money {
                amount_minor: a,
                currency: r.currency.clone(),
            })
        };
        // Rounded integer averages, taken in Rust because the backends round AVG differently.
        // Where a scope of work exists it measures progress: weighted by each item's total,
        // or by count when nothing is priced.
        let progress = if r.scope_items > 0 {
            let mut sums = ProgressSums {
                items: r.scope_items,
                progress_sum: r.scope_progress_sum,
                weight: i128::from(r.scope_weight),
                weighted_progress: i128::from(r.scope_weighted),
            };
            if sums.weight <= 0 {
                sums.weight = 0;
            }
            i64::from(sums.progress().unwrap_or(0))
        } else if r.progress_count > 0 {
            (r.progress_sum + r.progress_count / 2) / r.progress_count
        } else {
            0
        };
        let status = parse_enum(&r.status, "projects.status")?;
        Ok(Project {
            id: r.id,
            contract_value: money(r.contract_value_minor),
            budget: money(r.budget_minor),
            code: r.code,
            name: r.name,
            client_id: r.client_id,
            client_name: r.client_name,
            sector: parse_enum(&r.sector, "projects.sector")?,
            business_line: parse_enum(&r.business_line, "projects.business_line")?,
            priority: parse_enum(&r.priority, "projects.priority")?,
            status,
            manager_id: r.manager_id,
            manager_name: r.manager_name,
            start_date: r.start_date,
            end_date: r.end_date,
            currency: r.currency,
            location: r.location,
            contract_number: r.contract_number,
            description: r.description,
            task_total: r.task_total,
            task_completed: r.task_completed,
            task_overdue: r.task_overdue,
            scope_items: r.scope_items,
            progress: measured_progress(status, i32::try_from(progress.clamp(0, 100)).unwrap_or(0)),
            created_at: r.created_at,
            updated_at: r.updated_at,
            updated_by_name: r.updated_by_name,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
    updated_by_name: Option<String>,
}

fn version_of(id: Uuid) -> Stmt {
    Stmt::new(
        "SELECT p.version, p.updated_at, u.name AS updated_by_name FROM projects p \
         LEFT JOIN users u ON u.id = p.updated_by WHERE p.id = $1",
    )
    .bind(id)
}

fn stale(current: Option<VersionRow>) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: v.updated_by_name,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound("project")),
    }
}

/// Amounts are stored in the project's currency; a different one would be silently relabelled.
fn amount(money: &Option<Money>, currency: &str, field: &str) -> DbResult<Option<i64>> {
    match money {
        Some(m) if m.currency != currency => Err(DbError::App(AppError::field(
            field,
            format!("must be in the project currency {currency}"),
        ))),
        Some(m) => Ok(Some(m.amount_minor)),
        None => Ok(None),
    }
}

fn ensure_manager_member(project_id: Uuid, manager_id: Uuid, at: OffsetDateTime) -> Stmt {
    Stmt::new(
        "INSERT INTO project_members (project_id, user_id, role, added_at) VALUES ($1, $2, 'project_manager', $3) \
         ON CONFLICT (project_id, user_id) DO NOTHING",
    )
    .bind(project_id)
    .bind(manager_id)
    .bind(at)
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    project_id: Uuid,
    user_id: Uuid,
    name: String,
    email: String,
    user_role: String,
    project_role: String,
    open_tasks: i64,
    added_at: OffsetDateTime,
}

impl TryFrom<MemberRow> for Member {
    type Error = DbError;
    fn try_from(r: MemberRow) -> DbResult<Self> {
        Ok(Member {
            project_id: r.project_id,
            user_id: r.user_id,
            name: r.name,
            email: r.email,
            user_role: parse_enum(&r.user_role, "users.role")?,
            project_role: parse_enum(&r.project_role, "project_members.role")?,
            open_tasks: r.open_tasks,
            added_at: r.added_at,
        })
    }
}

/// The counts of [`OpenWork`], as one row.
#[derive(sqlx::FromRow)]
struct OpenWorkRow {
    open_tasks: i64,
    overdue_tasks: i64,
    open_scope_items: i64,
    drawings_not_approved: i64,
    specs_not_approved: i64,
}

#[repo]
impl ProjectRepo for Db {
    async fn max_project_seq(&self, prefix: &str) -> DbResult<Option<u32>> {
        let pattern = format!("{}%", escape_like(prefix));
        let stmt =
            Stmt::new("SELECT code FROM projects WHERE code LIKE $1 ESCAPE '\\'").bind(pattern);
        let codes = on_reader!(self, |pool| fetch_scalars!(pool, String, stmt)?);
        // Few codes share a year's prefix, so parsing here is cheaper than portable SQL for it.
        Ok(codes
            .iter()
            .filter_map(|c| c.strip_prefix(prefix))
            .filter(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
            .filter_map(|rest| rest.parse::<u32>().ok())
            .max())
    }

    async fn insert_project(
        &self,
        p: &Project,
        groups: &[ScopeGroup],
        entries: &[AuditEntry],
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO projects (id, code, name, client_id, sector, business_line, priority, status, manager_id, \
             start_date, end_date, contract_value_minor, budget_minor, currency, location, contract_number, description, \
             created_at, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        )
        .bind(p.id)
        .bind(&p.code)
        .bind(&p.name)
        .bind(p.client_id)
        .bind(p.sector.as_str())
        .bind(p.business_line.as_str())
        .bind(p.priority.as_str())
        .bind(p.status.as_str())
        .bind(p.manager_id)
        .bind(p.start_date)
        .bind(p.end_date)
        .bind(amount(&p.contract_value, &p.currency, "contract_value_minor")?)
        .bind(amount(&p.budget, &p.currency, "budget_minor")?)
        .bind(&p.currency)
        .bind(&p.location)
        .bind(&p.contract_number)
        .bind(&p.description)
        .bind(p.created_at)
        .bind(p.updated_at)
        .bind(entries.first().and_then(|e| e.actor_id))
        .bind(p.version);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(
                &mut *tx,
                ensure_manager_member(p.id, p.manager_id, p.created_at)
            )?;
            for g in groups {
                exec!(&mut *tx, crate::scope::insert_group(g, false))?;
            }
            for e in entries {
                exec!(&mut *tx, audit::insert(e))?;
            }
        });
        Ok(())
    }

    async fn get_project(&self, id: Uuid) -> DbResult<Option<Project>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, ProjectRow, by_id(id))?);
        let mut project = row.map(Project::try_from).transpose()?;
        self.with_site_progress(project.as_mut_slice()).await?;
        Ok(project)
    }

    async fn project_access(
        &self,
        project_id: Uuid,
        user_id: Uuid,
    ) -> DbResult<Option<ProjectAccessRow>> {
        let stmt = Stmt::new(
            "SELECT p.client_id, pm.role FROM projects p \
             LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = $2 WHERE p.id = $1",
        )
        .bind(project_id)
        .bind(user_id);
        let row = on_reader!(self, |pool| fetch_optional!(
            pool,
            (Uuid, Option<String>),
            stmt
        )?);
        row.map(|(client_id, role)| {
            let membership = role
                .map(|r| parse_enum::<ProjectRole>(&r, "project_members.role"))
                .transpose()?;
            Ok(ProjectAccessRow {
                client_id,
                membership,
            })
        })
        .transpose()
    }

    async fn list_projects(
        &self,
        query: &ProjectQuery,
        scope: ProjectScope,
    ) -> DbResult<Page<Project>> {
        let mut f = Filter::new();
        apply_scope(&mut f, scope);
        f.search(
            query.q.as_deref(),
            &["p.code", "p.name", "c.name", "p.location"],
        );
        if let Some(status) = query.status {
            let s = f.arg(status.as_str());
            f.and(format!("p.status = {s}"));
        }
        if let Some(client_id) = query.client_id {
            let c = f.arg(client_id);
            f.and(format!("p.client_id = {c}"));
        }
        if let Some(manager_id) = query.manager_id {
            let m = f.arg(manager_id);
            f.and(format!("p.manager_id = {m}"));
        }
        let (sort, dir) = query.sort.unwrap_or((ProjectSort::Code, Dir::Desc));
        let key = match sort {
            ProjectSort::Code => SortKey::Plain("p.code".into()),
            ProjectSort::Name => SortKey::Plain("LOWER(p.name)".into()),
            ProjectSort::Status => {
                let statuses: Vec<&str> = ProjectStatus::ALL.iter().map(|s| s.as_str()).collect();
                SortKey::Plain(rank("p.status", &statuses))
            }
            ProjectSort::EndDate => SortKey::NullsLast("p.end_date".into()),
            ProjectSort::CreatedAt => SortKey::Plain("p.created_at".into()),
        };
        let order = order_by(key, dir == Dir::Desc, "p.id");
        let where_sql = f.where_sql();
        let from = "FROM projects p JOIN clients c ON c.id = p.client_id";
        let count = Stmt {
            sql: format!("SELECT COUNT(*) {from}{where_sql}"),
            args: f.stmt.args.clone(),
        };
        let mut page = f.stmt;
        let limit = limit_offset(&query.paging);
        let t = page.arg(today());
        page.sql = select(
            &format!("SELECT p.id {from}{where_sql}{order}{limit}"),
            &t,
            &order,
        );
        let (total, rows) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (total, fetch_all!(pool, ProjectRow, page)?)
        });
        let mut projects = convert(rows)?;
        self.with_site_progress(&mut projects).await?;
        Ok(Page::new(projects, total, query.paging))
    }

    async fn update_project(
        &self,
        p: &Project,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<Project> {
        let stmt = Stmt::new(
            "UPDATE projects SET code = $1, name = $2, client_id = $3, sector = $4, business_line = $5, priority = $6, \
             status = $7, manager_id = $8, start_date = $9, end_date = $10, contract_value_minor = $11, budget_minor = $12, \
             currency = $13, location = $14, contract_number = $15, description = $16, updated_at = $17, updated_by = $18, \
             version = version + 1 WHERE id = $19 AND version = $20",
        )
        .bind(&p.code)
        .bind(&p.name)
        .bind(p.client_id)
        .bind(p.sector.as_str())
        .bind(p.business_line.as_str())
        .bind(p.priority.as_str())
        .bind(p.status.as_str())
        .bind(p.manager_id)
        .bind(p.start_date)
        .bind(p.end_date)
        .bind(amount(&p.contract_value, &p.currency, "contract_value_minor")?)
        .bind(amount(&p.budget, &p.currency, "budget_minor")?)
        .bind(&p.currency)
        .bind(&p.location)
        .bind(&p.contract_number)
        .bind(&p.description)
        .bind(p.updated_at)
        .bind(entry.actor_id)
        .bind(p.id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    version_of(p.id)
                )?));
            }
            // A new manager joins the team; an existing member keeps the role they have.
            exec!(
                &mut *tx,
                ensure_manager_member(p.id, p.manager_id, p.updated_at)
            )?;
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, ProjectRow, by_id(p.id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("project")))
            .and_then(Project::try_from)
    }

    async fn delete_project(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        // Tasks and team rows go with the project (ON DELETE CASCADE).
        let stmt = Stmt::new("DELETE FROM projects WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    version_of(id)
                )?));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn open_work(&self, project_id: Uuid, today: Date) -> DbResult<OpenWork> {
        // One row of subqueries: each count reads its own table's project index.
        let mut stmt = Stmt::new("");
        let p = stmt.arg(project_id);
        let t = stmt.arg(today);
        stmt.sql = format!(
            "SELECT \
               (SELECT COUNT(*) FROM tasks t WHERE t.project_id = {p} AND t.status {TASK_OPEN}) AS open_tasks, \
               (SELECT COUNT(*) FROM tasks t WHERE t.project_id = {p} AND t.status {TASK_OPEN} \
                  AND t.due_date < {t}) AS overdue_tasks, \
               (SELECT COUNT(*) FROM scope_items i WHERE i.project_id = {p} \
                  AND i.status NOT IN ('completed', 'cancelled')) AS open_scope_items, \
               (SELECT COUNT(*) FROM drawings d WHERE d.project_id = {p} AND NOT EXISTS ( \
                  SELECT 1 FROM drawing_revisions r WHERE r.drawing_id = d.id \
                  AND r.status IN ('approved', 'approved_as_noted'))) AS drawings_not_approved, \
               (SELECT COUNT(*) FROM specs s WHERE s.project_id = {p} \
                  AND s.status <> 'approved') AS specs_not_approved"
        );
        let row = on_reader!(self, |pool| fetch_optional!(pool, OpenWorkRow, stmt)?);
        // A SELECT of counts always returns its one row.
        Ok(row.map_or_else(OpenWork::default, |r| OpenWork {
            open_tasks: r.open_tasks,
            overdue_tasks: r.overdue_tasks,
            open_scope_items: r.open_scope_items,
            drawings_not_approved: r.drawings_not_approved,
            specs_not_approved: r.specs_not_approved,
        }))
    }

    async fn list_members(&self, project_id: Uuid) -> DbResult<Vec<Member>> {
        let stmt = Stmt::new(format!(
            "SELECT pm.project_id, pm.user_id, u.name, u.email, u.role AS user_role, pm.role AS project_role, \
                    (SELECT COUNT(*) FROM tasks t WHERE t.project_id = pm.project_id AND t.assignee_id = pm.user_id \
                       AND t.status {TASK_OPEN}) AS open_tasks, \
                    pm.added_at \
             FROM project_members pm JOIN users u ON u.id = pm.user_id WHERE pm.project_id = $1 \
             ORDER BY CASE WHEN pm.role = 'project_manager' THEN 0 ELSE 1 END, LOWER(u.name), u.id"
        ))
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, MemberRow, stmt)?);
        convert(rows)
    }

    async fn upsert_member(
        &self,
        project_id: Uuid,
        user_id: Uuid,
        role: ProjectRole,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO project_members (project_id, user_id, role, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(entry.at);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn remove_member(
        &self,
        project_id: Uuid,
        user_id: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<bool> {
        let stmt = Stmt::new("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
            .bind(project_id)
            .bind(user_id);
        Ok(in_tx!(self, |tx| {
            let removed = exec!(&mut *tx, stmt)?.rows_affected() > 0;
            if removed {
                exec!(&mut *tx, audit::insert(entry))?;
            }
            removed
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::TASK_OPEN;
    use formula_domain::task::TaskStatus;

    #[test]
    fn task_open_lists_exactly_the_open_statuses() {
        let open: Vec<String> = TaskStatus::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert_eq!(TASK_OPEN, format!("IN ({})", open.join(", ")));
    }
}
