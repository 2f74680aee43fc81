//! RFIs and their links. An RFI's number is the project's next, taken in the insert's
//! transaction with the project's row locked on PostgreSQL (SQLite has one writer), as
//! snags take theirs. Client users' lists are filtered here, in SQL: addressed to them or
//! shared with the client.

use formula_app::error::AppError;
use formula_app::jobs::NewJob;
use formula_app::query::Paging;
use formula_app::repos::{
    NewRfiRow, OverdueRfi, RfiAnswerRow, RfiDetails, RfiFilter, RfiLinkIds, RfiMoveRow, RfiRepo,
};
use formula_domain::audit::AuditEntry;
use formula_domain::rfi::{Rfi, RfiLink, RfiLinks, RfiStatus, ball_in_court, rfi_code};
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::{Backend, Db};
use crate::rows::parse_enum;
use crate::sql::{Filter, Stmt, limit_offset};

const RFI_FROM: &str = "FROM rfis r \
     LEFT JOIN users rb ON rb.id = r.raised_by \
     LEFT JOIN users au ON au.id = r.addressed_to_user_id \
     LEFT JOIN users ab ON ab.id = r.answered_by \
     LEFT JOIN users cb ON cb.id = r.closed_by";

const RFI_COLUMNS: &str = "r.id, r.project_id, r.number, r.subject, r.question, r.raised_by, \
     rb.name AS raised_by_name, r.raised_at, r.addressed_to_user_id, \
     au.name AS addressed_to_user_name, r.addressed_to_email, r.addressed_to_name, \
     r.required_by, r.status, r.client_visible, r.answer, r.answered_by, \
     COALESCE(r.answered_by_name, ab.name) AS answered_by_name, r.answered_at, \
     r.cost_impact, r.time_impact, cb.name AS closed_by_name, r.closed_at, r.sent_at, \
     (SELECT COUNT(*) FROM attachments a WHERE a.owner_kind = 'rfi' AND a.owner_id = r.id) AS attachment_count, \
     r.updated_at, r.version";

#[derive(sqlx::FromRow)]
struct RfiRow {
    id: Uuid,
    project_id: Uuid,
    number: i64,
    subject: String,
    question: String,
    raised_by: Option<Uuid>,
    raised_by_name: Option<String>,
    raised_at: OffsetDateTime,
    addressed_to_user_id: Option<Uuid>,
    addressed_to_user_name: Option<String>,
    addressed_to_email: Option<String>,
    addressed_to_name: Option<String>,
    required_by: Option<Date>,
    status: String,
    client_visible: i32,
    answer: Option<String>,
    answered_by: Option<Uuid>,
    answered_by_name: Option<String>,
    answered_at: Option<OffsetDateTime>,
    cost_impact: i32,
    time_impact: i32,
    closed_by_name: Option<String>,
    closed_at: Option<OffsetDateTime>,
    sent_at: Option<OffsetDateTime>,
    attachment_count: i64,
    updated_at: OffsetDateTime,
    version: i64,
}

impl RfiRow {
    fn into_rfi(self, today: Date) -> DbResult<Rfi> {
        let status: RfiStatus = parse_enum(&self.status, "rfis.status")?;
        let mut r = Rfi {
            id: self.id,
            project_id: self.project_id,
            number: self.number,
            code: rfi_code(self.number),
            subject: self.subject,
            question: self.question,
            raised_by: self.raised_by,
            raised_by_name: self.raised_by_name,
            raised_at: self.raised_at,
            addressed_to_user_id: self.addressed_to_user_id,
            addressed_to_user_name: self.addressed_to_user_name,
            addressed_to_email: self.addressed_to_email,
            addressed_to_name: self.addressed_to_name,
            required_by: self.required_by,
            status,
            ball_in_court: ball_in_court(status),
            overdue: false,
            client_visible: self.client_visible != 0,
            answer: self.answer,
            answered_by: self.answered_by,
            answered_by_name: self.answered_by_name,
            answered_at: self.answered_at,
            cost_impact: self.cost_impact != 0,
            time_impact: self.time_impact != 0,
            closed_by_name: self.closed_by_name,
            closed_at: self.closed_at,
            sent_at: self.sent_at,
            attachment_count: self.attachment_count,
            updated_at: self.updated_at,
            version: self.version,
        };
        r.overdue = r.is_overdue(today);
        Ok(r)
    }
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: Uuid,
    code: String,
    name: String,
}

impl From<LinkRow> for RfiLink {
    fn from(r: LinkRow) -> Self {
        RfiLink {
            id: r.id,
            code: r.code,
            name: r.name,
        }
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
    status: String,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: Uuid,
    client_id: Uuid,
}

fn rfi_version(id: Uuid) -> Stmt {
    Stmt::new("SELECT version, updated_at, status FROM rfis WHERE id = $1").bind(id)
}

/// The error for an update that changed no row: gone, moved on (a stale version), or in a
/// state the change does not start from.
fn refused(current: Option<VersionRow>, expected_version: i64, from: &[RfiStatus]) -> DbError {
    let Some(v) = current else {
        return DbError::App(AppError::NotFound("RFI"));
    };
    if v.version == expected_version && !from.iter().any(|s| s.as_str() == v.status) {
        let allowed = v
            .status
            .parse::<RfiStatus>()
            .map(|s| s.next().iter().map(|n| n.as_str().to_owned()).collect())
            .unwrap_or_default();
        return DbError::App(AppError::InvalidTransition {
            from: v.status,
            to: from
                .first()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            allowed,
        });
    }
    DbError::App(AppError::Stale {
        current_version: v.version,
        updated_by: None,
        updated_at: Some(v.updated_at),
    })
}

/// The INSERTs of an RFI's links, each only if the thing is the project's (a drawing, a
/// scope item, a room); `.1` names the field each belongs to.
fn link_inserts(rfi_id: Uuid, project_id: Uuid, links: &RfiLinkIds) -> Vec<(Stmt, &'static str)> {
    let mut out = Vec::new();
    for id in &links.drawing_ids {
        out.push((
            Stmt::new(
                "INSERT INTO rfi_drawings (rfi_id, drawing_id) SELECT $1, id FROM drawings \
                 WHERE id = $2 AND project_id = $3",
            )
            .bind(rfi_id)
            .bind(*id)
            .bind(project_id),
            "drawing_ids",
        ));
    }
    for id in &links.scope_item_ids {
        out.push((
            Stmt::new(
                "INSERT INTO rfi_scope_items (rfi_id, scope_item_id) SELECT $1, id FROM scope_items \
                 WHERE id = $2 AND project_id = $3",
            )
            .bind(rfi_id)
            .bind(*id)
            .bind(project_id),
            "scope_item_ids",
        ));
    }
    for id in &links.room_ids {
        out.push((
            Stmt::new(
                "INSERT INTO rfi_rooms (rfi_id, room_id) SELECT $1, id FROM locations \
                 WHERE id = $2 AND project_id = $3 AND kind = 'room'",
            )
            .bind(rfi_id)
            .bind(*id)
            .bind(project_id),
            "room_ids",
        ));
    }
    out
}

fn not_the_projects(field: &str) -> DbError {
    let what = match field {
        "drawing_ids" => "drawings",
        "scope_item_ids" => "scope items",
        _ => "rooms",
    };
    DbError::App(AppError::field(
        field,
        format!("must all be the project's {what}; one of them is not"),
    ))
}

impl Db {
    /// ` FOR UPDATE` on PostgreSQL (SQLite's one writer already serialises).
    fn rfi_lock(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    async fn get_rfi_row(&self, id: Uuid, today: Date) -> DbResult<Option<Rfi>> {
        let stmt = Stmt::new(format!("SELECT {RFI_COLUMNS} {RFI_FROM} WHERE r.id = $1")).bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, RfiRow, stmt)?);
        row.map(|r| r.into_rfi(today)).transpose()
    }
}

#[repo]
impl RfiRepo for Db {
    async fn list_rfis(
        &self,
        project_id: Uuid,
        filter: &RfiFilter,
        overdue_as_of: Date,
        paging: Option<Paging>,
    ) -> DbResult<(Vec<Rfi>, i64)> {
        let mut f = Filter::new();
        let p = f.arg(project_id);
        f.and(format!("r.project_id = {p}"));
        if let Some(u) = filter.client_user {
            let p = f.arg(u);
            f.and(format!(
                "(r.addressed_to_user_id = {p} OR r.client_visible = 1)"
            ));
        }
        if let Some(s) = filter.status {
            let p = f.arg(s.as_str());
            f.and(format!("r.status = {p}"));
        }
        if let Some(d) = filter.overdue_on {
            let d = f.date(d);
            f.and(format!(
                "r.status = 'open' AND r.required_by IS NOT NULL AND r.required_by < {d}"
            ));
        }
        if let Some(u) = filter.addressed_to {
            let p = f.arg(u);
            f.and(format!("r.addressed_to_user_id = {p}"));
        }
        if let Some(u) = filter.ball_with {
            let a = f.arg(u);
            let b = f.arg(u);
            f.and(format!(
                "((r.status = 'open' AND r.addressed_to_user_id = {a}) \
                 OR (r.status = 'answered' AND r.raised_by = {b}))"
            ));
        }
        f.search(filter.q.as_deref(), &["r.subject", "r.question"]);
        let where_sql = f.where_sql();
        let mut count = f.stmt.clone();
        count.sql = format!("SELECT COUNT(*) {RFI_FROM}{where_sql}");
        let mut page = f.stmt;
        let tail = paging.map(|p| limit_offset(&p)).unwrap_or_default();
        page.sql =
            format!("SELECT {RFI_COLUMNS} {RFI_FROM}{where_sql} ORDER BY r.number DESC{tail}");
        let (rows, total) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (fetch_all!(pool, RfiRow, page)?, total)
        });
        let items = rows
            .into_iter()
            .map(|r| r.into_rfi(overdue_as_of))
            .collect::<DbResult<Vec<_>>>()?;
        Ok((items, total))
    }

    async fn get_rfi(&self, id: Uuid, overdue_as_of: Date) -> DbResult<Option<Rfi>> {
        self.get_rfi_row(id, overdue_as_of).await
    }

    async fn rfi_links(&self, id: Uuid) -> DbResult<RfiLinks> {
        let drawings = Stmt::new(
            "SELECT d.id, d.number AS code, d.title AS name FROM rfi_drawings x \
             JOIN drawings d ON d.id = x.drawing_id WHERE x.rfi_id = $1 ORDER BY d.number, d.id",
        )
        .bind(id);
        let items = Stmt::new(
            "SELECT s.id, s.code, s.name FROM rfi_scope_items x \
             JOIN scope_items s ON s.id = x.scope_item_id WHERE x.rfi_id = $1 ORDER BY s.code, s.id",
        )
        .bind(id);
        let rooms = Stmt::new(
            "SELECT l.id, l.code, l.name FROM rfi_rooms x \
             JOIN locations l ON l.id = x.room_id WHERE x.rfi_id = $1 ORDER BY l.code, l.id",
        )
        .bind(id);
        let (d, i, r) = on_reader!(self, |pool| {
            let d = fetch_all!(pool, LinkRow, drawings)?;
            let i = fetch_all!(pool, LinkRow, items)?;
            (d, i, fetch_all!(pool, LinkRow, rooms)?)
        });
        Ok(RfiLinks {
            drawings: d.into_iter().map(RfiLink::from).collect(),
            scope_items: i.into_iter().map(RfiLink::from).collect(),
            rooms: r.into_iter().map(RfiLink::from).collect(),
        })
    }

    async fn insert_rfi(
        &self,
        row: &NewRfiRow,
        links: &RfiLinkIds,
        entry: &AuditEntry,
    ) -> DbResult<i64> {
        let lock = self.rfi_lock();
        let lock_project =
            Stmt::new(format!("SELECT id FROM projects WHERE id = $1{lock}")).bind(row.project_id);
        let next = Stmt::new("SELECT COALESCE(MAX(number), 0) + 1 FROM rfis WHERE project_id = $1")
            .bind(row.project_id);
        let inserts = link_inserts(row.id, row.project_id, links);
        let number = in_tx!(self, |tx| {
            fetch_scalars!(&mut *tx, Uuid, lock_project)?;
            let number = fetch_scalar!(&mut *tx, i64, next)?;
            let insert = Stmt::new(
                "INSERT INTO rfis (id, project_id, number, subject, question, raised_by, raised_at, \
                 addressed_to_user_id, addressed_to_email, addressed_to_name, required_by, status, \
                 client_visible, cost_impact, time_impact, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', $12, 0, 0, $7, 1)",
            )
            .bind(row.id)
            .bind(row.project_id)
            .bind(number)
            .bind(&row.subject)
            .bind(&row.question)
            .bind(row.raised_by)
            .bind(row.raised_at)
            .bind(row.addressed_to_user_id)
            .bind(&row.addressed_to_email)
            .bind(&row.addressed_to_name)
            .bind(row.required_by)
            .bind(i32::from(row.client_visible));
            exec!(&mut *tx, insert)?;
            for (stmt, field) in inserts {
                if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                    return Err(not_the_projects(field));
                }
            }
            let mut entry = entry.clone();
            entry.entity_label = rfi_code(number);
            exec!(&mut *tx, audit::insert(&entry))?;
            number
        });
        Ok(number)
    }

    async fn update_rfi(
        &self,
        id: Uuid,
        d: &RfiDetails,
        at: OffsetDateTime,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "UPDATE rfis SET subject = $1, question = $2, addressed_to_user_id = $3, \
             addressed_to_email = $4, addressed_to_name = $5, required_by = $6, client_visible = $7, \
             updated_at = $8, version = version + 1 WHERE id = $9 AND version = $10",
        )
        .bind(&d.subject)
        .bind(&d.question)
        .bind(d.addressed_to_user_id)
        .bind(&d.addressed_to_email)
        .bind(&d.addressed_to_name)
        .bind(d.required_by)
        .bind(i32::from(d.client_visible))
        .bind(at)
        .bind(id)
        .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                let current = fetch_optional!(&mut *tx, VersionRow, rfi_version(id))?;
                return Err(refused(current, expected_version, RfiStatus::ALL));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn set_rfi_links(
        &self,
        id: Uuid,
        project_id: Uuid,
        links: &RfiLinkIds,
        at: OffsetDateTime,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let bump = Stmt::new(
            "UPDATE rfis SET updated_at = $1, version = version + 1 WHERE id = $2 AND version = $3",
        )
        .bind(at)
        .bind(id)
        .bind(expected_version);
        let clear = [
            Stmt::new("DELETE FROM rfi_drawings WHERE rfi_id = $1").bind(id),
            Stmt::new("DELETE FROM rfi_scope_items WHERE rfi_id = $1").bind(id),
            Stmt::new("DELETE FROM rfi_rooms WHERE rfi_id = $1").bind(id),
        ];
        let inserts = link_inserts(id, project_id, links);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, bump)?.rows_affected() == 0 {
                let current = fetch_optional!(&mut *tx, VersionRow, rfi_version(id))?;
                return Err(refused(current, expected_version, RfiStatus::ALL));
            }
            for stmt in clear {
                exec!(&mut *tx, stmt)?;
            }
            for (stmt, field) in inserts {
                if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                    return Err(not_the_projects(field));
                }
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn answer_rfi(
        &self,
        id: Uuid,
        a: &RfiAnswerRow,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "UPDATE rfis SET status = 'answered', answer = $1, answered_by = $2, \
             answered_by_name = $3, answered_at = $4, cost_impact = $5, time_impact = $6, \
             updated_at = $4, version = version + 1 \
             WHERE id = $7 AND version = $8 AND status = 'open'",
        )
        .bind(&a.answer)
        .bind(a.answered_by)
        .bind(&a.answered_by_name)
        .bind(a.at)
        .bind(i32::from(a.cost_impact))
        .bind(i32::from(a.time_impact))
        .bind(id)
        .bind(expected_version);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                let current = fetch_optional!(&mut *tx, VersionRow, rfi_version(id))?;
                return Err(refused(current, expected_version, &[RfiStatus::Open]));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn move_rfi(
        &self,
        id: Uuid,
        m: &RfiMoveRow,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let (from, to, by, at) = (m.from, m.to, m.by, m.at);
        let mut stmt = Stmt::new("");
        let status = stmt.arg(to.as_str());
        let stamps = if to == RfiStatus::Closed {
            let by = stmt.arg(by);
            let at = stmt.arg(at);
            format!("closed_by = {by}, closed_at = {at}")
        } else {
            "closed_by = NULL, closed_at = NULL".to_owned()
        };
        let updated = stmt.arg(at);
        let id_p = stmt.arg(id);
        let version_p = stmt.arg(expected_version);
        let states: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
        stmt.sql = format!(
            "UPDATE rfis SET status = {status}, {stamps}, updated_at = {updated}, \
             version = version + 1 WHERE id = {id_p} AND version = {version_p} \
             AND status IN ({})",
            states.join(", ")
        );
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                let current = fetch_optional!(&mut *tx, VersionRow, rfi_version(id))?;
                return Err(refused(current, expected_version, from));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn mark_rfi_sent(
        &self,
        id: Uuid,
        at: OffsetDateTime,
        mail: &NewJob,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let stmt = Stmt::new(
            "UPDATE rfis SET sent_at = $1, updated_at = $1, version = version + 1 WHERE id = $2",
        )
        .bind(at)
        .bind(id);
        let job = crate::jobs::insert(mail);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(DbError::App(AppError::NotFound("RFI")));
            }
            exec!(&mut *tx, job)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn rfis_overdue(&self, before: Date) -> DbResult<Vec<OverdueRfi>> {
        let mut f = Filter::new();
        let d = f.date(before);
        f.and("r.status = 'open'");
        f.and(format!("r.required_by IS NOT NULL AND r.required_by < {d}"));
        f.and("p.status IN ('on_tender', 'awarded', 'active', 'on_hold')");
        let mut stmt = f.stmt.clone();
        stmt.sql = format!(
            "SELECT r.id, p.client_id FROM rfis r JOIN projects p ON p.id = r.project_id{} \
             ORDER BY r.project_id, r.number",
            f.where_sql()
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, DueRow, stmt)?);
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(rfi) = self.get_rfi_row(r.id, before).await? {
                out.push(OverdueRfi {
                    rfi,
                    client_id: r.client_id,
                });
            }
        }
        Ok(out)
    }
}
