//! The audit trail: written inside each change's transaction, listed newest first.

use formula_app::query::{AuditQuery, Page};
use formula_app::repos::AuditRepo;
use formula_domain::audit::{AuditEntry, FieldChange};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::{convert, parse_json};
use crate::sql::{Filter, Stmt, limit_offset};

/// The INSERT for one audit entry; run it on the change's transaction.
pub(crate) fn insert(entry: &AuditEntry) -> Stmt {
    Stmt::new(
        "INSERT INTO audit_log (id, at, actor_id, actor_name, action, entity_type, entity_id, entity_label, \
         changes, request_id, ip, user_agent, project_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(entry.id)
    .bind(entry.at)
    .bind(entry.actor_id)
    .bind(&entry.actor_name)
    .bind(&entry.action)
    .bind(&entry.entity_type)
    .bind(entry.entity_id)
    .bind(&entry.entity_label)
    .bind(changes_to_json(&entry.changes))
    .bind(&entry.request_id)
    .bind(&entry.ip)
    .bind(&entry.user_agent)
    .bind(entry.project_id)
}

fn changes_to_json(changes: &[FieldChange]) -> String {
    let items: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| serde_json::json!({"field": c.field, "old": c.old, "new": c.new}))
        .collect();
    serde_json::Value::Array(items).to_string()
}

pub(crate) fn changes_from_json(text: &str) -> DbResult<Vec<FieldChange>> {
    let serde_json::Value::Array(items) = parse_json(text, "audit_log.changes")? else {
        return Err(DbError::Corrupt("audit_log.changes is not an array".into()));
    };
    items
        .into_iter()
        .map(|mut item| {
            let field = item
                .get("field")
                .and_then(|f| f.as_str())
                .map(str::to_owned);
            let field = field
                .ok_or_else(|| DbError::Corrupt("audit_log.changes item without a field".into()))?;
            let old = item
                .get_mut("old")
                .map(serde_json::Value::take)
                .unwrap_or_default();
            let new = item
                .get_mut("new")
                .map(serde_json::Value::take)
                .unwrap_or_default();
            Ok(FieldChange { field, old, new })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: Uuid,
    at: OffsetDateTime,
    actor_id: Option<Uuid>,
    actor_name: Option<String>,
    action: String,
    entity_type: String,
    entity_id: Uuid,
    entity_label: String,
    changes: String,
    request_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    project_id: Option<Uuid>,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = DbError;
    fn try_from(r: AuditRow) -> DbResult<Self> {
        Ok(AuditEntry {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            entity_label: r.entity_label,
            changes: changes_from_json(&r.changes)?,
            request_id: r.request_id,
            ip: r.ip,
            user_agent: r.user_agent,
            project_id: r.project_id,
        })
    }
}

#[repo]
impl AuditRepo for Db {
    /// Audit entries matching the query, newest first.
    async fn list_audit(&self, query: &AuditQuery) -> DbResult<Page<AuditEntry>> {
        let mut f = Filter::new();
        if let Some(v) = query.entity_type.as_deref() {
            let p = f.arg(v);
            f.and(format!("a.entity_type = {p}"));
        }
        if let Some(v) = query.entity_id {
            let p = f.arg(v);
            f.and(format!("a.entity_id = {p}"));
        }
        if let Some(v) = query.actor_id {
            let p = f.arg(v);
            f.and(format!("a.actor_id = {p}"));
        }
        if let Some(v) = query.action.as_deref() {
            let p = f.arg(v);
            f.and(format!("a.action = {p}"));
        }
        if !query.actions.is_empty() {
            let list: Vec<String> = query.actions.iter().map(|a| f.arg(a.as_str())).collect();
            f.and(format!("a.action IN ({})", list.join(", ")));
        }
        let where_sql = f.where_sql();
        let count = Stmt {
            sql: format!("SELECT COUNT(*) FROM audit_log a{where_sql}"),
            args: f.stmt.args.clone(),
        };
        let mut page = f.stmt;
        let limit = limit_offset(&query.paging);
        page.sql = format!(
            "SELECT a.id, a.at, a.actor_id, a.actor_name, a.action, a.entity_type, a.entity_id, a.entity_label, \
             a.changes, a.request_id, a.ip, a.user_agent, a.project_id FROM audit_log a{where_sql} \
             ORDER BY a.at DESC, a.id DESC{limit}"
        );
        let (total, rows) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (total, fetch_all!(pool, AuditRow, page)?)
        });
        Ok(Page::new(convert(rows)?, total, query.paging))
    }

    async fn names_of(&self, ids: &[Uuid]) -> DbResult<Vec<(Uuid, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One list of the wanted ids, joined to each table that has a name for its rows.
        let mut stmt = Stmt::new("");
        let values: Vec<String> = ids
            .iter()
            .map(|id| format!("({})", stmt.arg(*id)))
            .collect();
        let named = [
            ("users", "t.name"),
            ("clients", "t.name"),
            ("contacts", "t.name"),
            ("projects", "t.code || ' ' || t.name"),
            ("tasks", "t.title"),
            ("scope_groups", "t.name"),
            ("scope_items", "t.code || ' ' || t.name"),
            ("drawings", "t.number || ' ' || t.title"),
            ("specs", "t.code || ' ' || t.description"),
            ("variations", "t.title"),
        ];
        let selects: Vec<String> = named
            .iter()
            .map(|(table, label)| {
                format!("SELECT t.id, {label} AS label FROM {table} t JOIN wanted w ON w.id = t.id")
            })
            .collect();
        stmt.sql = format!(
            "WITH wanted (id) AS (VALUES {}) {}",
            values.join(", "),
            selects.join(" UNION ALL ")
        );
        let rows = on_reader!(self, |pool| fetch_all!(pool, (Uuid, String), stmt)?);
        Ok(rows)
    }
}
