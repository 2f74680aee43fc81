//! Client organisations and their contacts.

use formula_app::error::AppError;
use formula_app::query::{ClientQuery, ClientSort, Dir, Page};
use formula_app::repos::ClientRepo;
use formula_domain::audit::AuditEntry;
use formula_domain::authz::ClientScope;
use formula_domain::client::{Client, ClientStatus, Contact};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult, has_dependents, is_fk_violation};
use crate::pool::Db;
use crate::rows::{convert, parse_enum};
use crate::sql::{Filter, SortKey, Stmt, limit_offset, order_by, rank};

/// Client columns with the derived project count, from `clients c`.
const CLIENT_COLUMNS: &str = "c.id, c.name, c.client_type, c.status, c.address, c.website, c.notes, \
     (SELECT COUNT(*) FROM projects p WHERE p.client_id = c.id) AS project_count, \
     c.created_at, c.updated_at, c.version";

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: Uuid,
    name: String,
    client_type: Option<String>,
    status: String,
    address: Option<String>,
    website: Option<String>,
    notes: Option<String>,
    project_count: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    version: i64,
}

impl TryFrom<ClientRow> for Client {
    type Error = DbError;
    fn try_from(r: ClientRow) -> DbResult<Self> {
        Ok(Client {
            id: r.id,
            name: r.name,
            client_type: r.client_type,
            status: parse_enum(&r.status, "clients.status")?,
            address: r.address,
            website: r.website,
            notes: r.notes,
            project_count: r.project_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
}

fn by_id(id: Uuid) -> Stmt {
    Stmt::new(format!(
        "SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.id = $1"
    ))
    .bind(id)
}

fn version_of(id: Uuid) -> Stmt {
    Stmt::new("SELECT version, updated_at FROM clients WHERE id = $1").bind(id)
}

fn stale(current: Option<VersionRow>) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: None,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound("client")),
    }
}

#[derive(sqlx::FromRow)]
struct DependentsRow {
    projects: i64,
    users: i64,
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: Uuid,
    client_id: Uuid,
    name: String,
    role: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Contact {
            id: r.id,
            client_id: r.client_id,
            name: r.name,
            role: r.role,
            email: r.email,
            phone: r.phone,
        }
    }
}

#[repo]
impl ClientRepo for Db {
    async fn insert_client(&self, c: &Client, entry: &AuditEntry) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO clients (id, name, client_type, status, address, website, notes, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c.id)
        .bind(&c.name)
        .bind(&c.client_type)
        .bind(c.status.as_str())
        .bind(&c.address)
        .bind(&c.website)
        .bind(&c.notes)
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(c.version);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn get_client(&self, id: Uuid) -> DbResult<Option<Client>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, ClientRow, by_id(id))?);
        row.map(Client::try_from).transpose()
    }

    async fn list_clients(
        &self,
        query: &ClientQuery,
        scope: ClientScope,
    ) -> DbResult<Page<Client>> {
        let mut f = Filter::new();
        match scope {
            ClientScope::All => {}
            ClientScope::Only(id) => {
                let p = f.arg(id);
                f.and(format!("c.id = {p}"));
            }
            ClientScope::None => f.and("1 = 0"),
        }
        f.search(query.q.as_deref(), &["c.name", "c.client_type"]);
        if let Some(status) = query.status {
            let p = f.arg(status.as_str());
            f.and(format!("c.status = {p}"));
        }
        let (sort, dir) = query.sort.unwrap_or((ClientSort::Name, Dir::Asc));
        let key = match sort {
            ClientSort::Name => SortKey::Plain("LOWER(c.name)".into()),
            ClientSort::Status => {
                let statuses: Vec<&str> = ClientStatus::ALL.iter().map(|s| s.as_str()).collect();
                SortKey::Plain(rank("c.status", &statuses))
            }
            ClientSort::CreatedAt => SortKey::Plain("c.created_at".into()),
        };
        let where_sql = f.where_sql();
        let count = Stmt {
            sql: format!("SELECT COUNT(*) FROM clients c{where_sql}"),
            args: f.stmt.args.clone(),
        };
        let mut page = f.stmt;
        let limit = limit_offset(&query.paging);
        page.sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM clients c{where_sql}{}{limit}",
            order_by(key, dir == Dir::Desc, "c.id")
        );
        let (total, rows) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (total, fetch_all!(pool, ClientRow, page)?)
        });
        Ok(Page::new(convert(rows)?, total, query.paging))
    }

    async fn update_client(
        &self,
        c: &Client,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<Client> {
        let stmt = Stmt::new(
            "UPDATE clients SET name = $1, client_type = $2, status = $3, address = $4, website = $5, notes = $6, \
             updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9",
        )
        .bind(&c.name)
        .bind(&c.client_type)
        .bind(c.status.as_str())
        .bind(&c.address)
        .bind(&c.website)
        .bind(&c.notes)
        .bind(c.updated_at)
        .bind(c.id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(fetch_optional!(
                    &mut *tx,
                    VersionRow,
                    version_of(c.id)
                )?));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, ClientRow, by_id(c.id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("client")))
            .and_then(Client::try_from)
    }

    async fn delete_client(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let dependents = Stmt::new(
            "SELECT (SELECT COUNT(*) FROM projects WHERE client_id = $1) AS projects, \
                    (SELECT COUNT(*) FROM users WHERE client_id = $1) AS users",
        )
        .bind(id);
        let delete = Stmt::new("DELETE FROM clients WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected_version);
        in_tx!(self, |tx| {
            // Counted first for a precise message; the foreign keys still guard the delete.
            let d = fetch_optional!(&mut *tx, DependentsRow, dependents)?;
            if let Some(d) = d.filter(|d| d.projects > 0 || d.users > 0) {
                return Err(DbError::App(has_dependents(format!(
                    "this client still has {} project(s) and {} user account(s); delete or move them first",
                    d.projects, d.users
                ))));
            }
            match exec!(&mut *tx, delete) {
                Ok(r) if r.rows_affected() == 0 => {
                    return Err(stale(fetch_optional!(
                        &mut *tx,
                        VersionRow,
                        version_of(id)
                    )?));
                }
                Ok(_) => {}
                Err(e) => {
                    let e = DbError::from(e);
                    return Err(if is_fk_violation(&e) {
                        DbError::App(has_dependents(
                            "this client is still referenced; delete or move its projects and users first",
                        ))
                    } else {
                        e
                    });
                }
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn list_contacts(&self, client_id: Uuid) -> DbResult<Vec<Contact>> {
        let stmt = Stmt::new(
            "SELECT id, client_id, name, role, email, phone FROM contacts WHERE client_id = $1 ORDER BY LOWER(name), id",
        )
        .bind(client_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, ContactRow, stmt)?);
        Ok(rows.into_iter().map(Contact::from).collect())
    }

    async fn insert_contact(&self, c: &Contact, entry: &AuditEntry) -> DbResult<()> {
        let stmt = Stmt::new("INSERT INTO contacts (id, client_id, name, role, email, phone) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(c.id)
            .bind(c.client_id)
            .bind(&c.name)
            .bind(&c.role)
            .bind(&c.email)
            .bind(&c.phone);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn delete_contact(
        &self,
        client_id: Uuid,
        contact_id: Uuid,
        entry: &AuditEntry,
    ) -> DbResult<bool> {
        let stmt = Stmt::new("DELETE FROM contacts WHERE id = $1 AND client_id = $2")
            .bind(contact_id)
            .bind(client_id);
        Ok(in_tx!(self, |tx| {
            let deleted = exec!(&mut *tx, stmt)?.rows_affected() > 0;
            if deleted {
                exec!(&mut *tx, audit::insert(entry))?;
            }
            deleted
        }))
    }
}
