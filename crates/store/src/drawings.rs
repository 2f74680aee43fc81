//! Shop drawings: the register, revisions (with the review that decided each), and the
//! scope items each drawing covers.

use formula_app::repos::DrawingRepo;
use formula_store_macros::repo;
use std::collections::HashMap;

use formula_app::error::AppError;
use formula_domain::audit::AuditEntry;
use formula_domain::drawing::{Drawing, Review, Revision, RevisionStatus, RevisionSummary};
use formula_domain::errors::FieldErrors;
use formula_domain::files::FileInfo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::parse_enum;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct DrawingRow {
    id: Uuid,
    project_id: Uuid,
    number: String,
    title: String,
    kind: String,
    area: Option<String>,
    scheme: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    drawing_id: Uuid,
    id: Uuid,
    label: String,
    status: String,
    submitted_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    drawing_id: Uuid,
    scope_item_id: Uuid,
}

const DRAWING_COLUMNS: &str = "d.id, d.project_id, d.number, d.title, d.kind, d.area, d.scheme, d.created_at, d.updated_at, d.version";

/// The revisions the register shows of each drawing matching `drawing_filter` (a condition
/// on `d`): its latest, its latest past draft, and its latest approved (often one row).
fn summaries_of(drawing_filter: &str) -> String {
    let latest = |condition: &str| {
        format!(
            "(SELECT MAX(r2.seq) FROM drawing_revisions r2 WHERE r2.drawing_id = r.drawing_id{condition})"
        )
    };
    format!(
        "SELECT r.drawing_id, r.id, r.label, r.status, r.submitted_at FROM drawing_revisions r \
         JOIN drawings d ON d.id = r.drawing_id WHERE {drawing_filter} AND r.seq IN ({}, {}, {}) \
         ORDER BY r.drawing_id, r.seq",
        latest(""),
        latest(" AND r2.status <> 'draft'"),
        latest(" AND r2.status IN ('approved', 'approved_as_noted')"),
    )
}

/// What the register shows of one drawing's revisions.
#[derive(Default)]
struct Summaries {
    current: Option<RevisionSummary>,
    shared: Option<RevisionSummary>,
    approved: Option<RevisionSummary>,
}

fn links_of(drawing_filter: &str) -> String {
    format!(
        "SELECT l.drawing_id, l.scope_item_id FROM drawing_scope_items l \
         JOIN drawings d ON d.id = l.drawing_id WHERE {drawing_filter} ORDER BY l.scope_item_id"
    )
}

fn assemble(
    rows: Vec<DrawingRow>,
    summaries: Vec<SummaryRow>,
    links: Vec<LinkRow>,
) -> DbResult<Vec<Drawing>> {
    // Rows come in `seq` order, so the last one that fits each role is the latest.
    let mut revisions: HashMap<Uuid, Summaries> = HashMap::new();
    for r in summaries {
        let s = RevisionSummary {
            id: r.id,
            label: r.label,
            status: parse_enum(&r.status, "drawing_revisions.status")?,
            submitted_at: r.submitted_at,
        };
        let e = revisions.entry(r.drawing_id).or_default();
        if s.status.is_approved() {
            e.approved = Some(s.clone());
        }
        if s.status != RevisionStatus::Draft {
            e.shared = Some(s.clone());
        }
        e.current = Some(s);
    }
    let mut linked: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for l in links {
        linked
            .entry(l.drawing_id)
            .or_default()
            .push(l.scope_item_id);
    }
    rows.into_iter()
        .map(|r| {
            let s = revisions.remove(&r.id).unwrap_or_default();
            Ok(Drawing {
                current: s.current,
                approved: s.approved,
                shared: s.shared,
                scope_item_ids: linked.remove(&r.id).unwrap_or_default(),
                id: r.id,
                project_id: r.project_id,
                number: r.number,
                title: r.title,
                kind: parse_enum(&r.kind, "drawings.kind")?,
                area: r.area,
                scheme: parse_enum(&r.scheme, "drawings.scheme")?,
                created_at: r.created_at,
                updated_at: r.updated_at,
                version: r.version,
            })
        })
        .collect()
}

fn link(drawing_id: Uuid, item: Uuid) -> Stmt {
    Stmt::new("INSERT INTO drawing_scope_items (drawing_id, scope_item_id) VALUES ($1, $2)")
        .bind(drawing_id)
        .bind(item)
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
}

fn stale(current: Option<VersionRow>, what: &'static str) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: None,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound(what)),
    }
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    id: Uuid,
    drawing_id: Uuid,
    project_id: Uuid,
    seq: i64,
    label: String,
    status: String,
    notes: Option<String>,
    file_name: String,
    file_size: i64,
    file_sha256: String,
    file_mime: String,
    blob_key: String,
    uploaded_by_name: Option<String>,
    uploaded_at: OffsetDateTime,
    submitted_at: Option<OffsetDateTime>,
    decided_at: Option<OffsetDateTime>,
    version: i64,
}

impl TryFrom<RevisionRow> for Revision {
    type Error = DbError;
    fn try_from(r: RevisionRow) -> DbResult<Self> {
        Ok(Revision {
            id: r.id,
            drawing_id: r.drawing_id,
            project_id: r.project_id,
            seq: r.seq,
            label: r.label,
            status: parse_enum(&r.status, "drawing_revisions.status")?,
            notes: r.notes,
            file: FileInfo {
                name: r.file_name,
                size: r.file_size,
                sha256: r.file_sha256,
                mime: r.file_mime,
            },
            blob_key: r.blob_key,
            uploaded_by_name: r.uploaded_by_name,
            uploaded_at: r.uploaded_at,
            submitted_at: r.submitted_at,
            decided_at: r.decided_at,
            version: r.version,
        })
    }
}

const REVISION_SELECT: &str = "SELECT r.id, r.drawing_id, d.project_id, r.seq, r.label, r.status, r.notes, \
     r.file_name, r.file_size, r.file_sha256, r.file_mime, r.blob_key, u.name AS uploaded_by_name, r.uploaded_at, \
     r.submitted_at, r.decided_at, r.version FROM drawing_revisions r JOIN drawings d ON d.id = r.drawing_id \
     LEFT JOIN users u ON u.id = r.uploaded_by";

fn revision_by_id(id: Uuid) -> Stmt {
    Stmt::new(format!("{REVISION_SELECT} WHERE r.id = $1")).bind(id)
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: Uuid,
    revision_id: Uuid,
    reviewer_id: Option<Uuid>,
    reviewer_name: Option<String>,
    decision: String,
    comments: Option<String>,
    at: OffsetDateTime,
}

/// One drawing with its current state and links (also read back after an update).
async fn drawing_by_id(db: &Db, id: Uuid) -> DbResult<Option<Drawing>> {
    let rows = Stmt::new(format!(
        "SELECT {DRAWING_COLUMNS} FROM drawings d WHERE d.id = $1"
    ))
    .bind(id);
    let current = Stmt::new(summaries_of("d.id = $1")).bind(id);
    let links = Stmt::new(links_of("d.id = $1")).bind(id);
    let (rows, current, links) = on_reader!(db, |pool| (
        fetch_all!(pool, DrawingRow, rows)?,
        fetch_all!(pool, SummaryRow, current)?,
        fetch_all!(pool, LinkRow, links)?
    ));
    Ok(assemble(rows, current, links)?.into_iter().next())
}

#[repo]
impl DrawingRepo for Db {
    async fn list_drawings(&self, project_id: Uuid) -> DbResult<Vec<Drawing>> {
        let rows = Stmt::new(format!(
            "SELECT {DRAWING_COLUMNS} FROM drawings d WHERE d.project_id = $1 ORDER BY lower(d.number), d.id"
        ))
        .bind(project_id);
        let current = Stmt::new(summaries_of("d.project_id = $1")).bind(project_id);
        let links = Stmt::new(links_of("d.project_id = $1")).bind(project_id);
        let (rows, current, links) = on_reader!(self, |pool| (
            fetch_all!(pool, DrawingRow, rows)?,
            fetch_all!(pool, SummaryRow, current)?,
            fetch_all!(pool, LinkRow, links)?
        ));
        assemble(rows, current, links)
    }

    async fn get_drawing(&self, id: Uuid) -> DbResult<Option<Drawing>> {
        drawing_by_id(self, id).await
    }

    async fn insert_drawing(&self, d: &Drawing, entry: &AuditEntry) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO drawings (id, project_id, number, title, kind, area, scheme, created_at, updated_at, \
             updated_by, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(d.id)
        .bind(d.project_id)
        .bind(&d.number)
        .bind(&d.title)
        .bind(d.kind.as_str())
        .bind(&d.area)
        .bind(d.scheme.as_str())
        .bind(d.created_at)
        .bind(d.updated_at)
        .bind(entry.actor_id)
        .bind(d.version);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            for item in &d.scope_item_ids {
                exec!(&mut *tx, link(d.id, *item))?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn update_drawing(
        &self,
        d: &Drawing,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<Drawing> {
        let stmt = Stmt::new(
            "UPDATE drawings SET title = $1, kind = $2, area = $3, updated_at = $4, updated_by = $5, \
             version = version + 1 WHERE id = $6 AND version = $7",
        )
        .bind(&d.title)
        .bind(d.kind.as_str())
        .bind(&d.area)
        .bind(d.updated_at)
        .bind(entry.actor_id)
        .bind(d.id)
        .bind(expected_version);
        let version =
            Stmt::new("SELECT version, updated_at FROM drawings WHERE id = $1").bind(d.id);
        in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, version)?,
                    "drawing",
                ));
            }
            exec!(
                &mut *tx,
                Stmt::new("DELETE FROM drawing_scope_items WHERE drawing_id = $1").bind(d.id)
            )?;
            for item in &d.scope_item_ids {
                exec!(&mut *tx, link(d.id, *item))?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        drawing_by_id(self, d.id)
            .await?
            .ok_or(DbError::App(AppError::NotFound("drawing")))
    }

    async fn list_revisions(&self, drawing_id: Uuid) -> DbResult<Vec<Revision>> {
        let stmt = Stmt::new(format!(
            "{REVISION_SELECT} WHERE r.drawing_id = $1 ORDER BY r.seq DESC"
        ))
        .bind(drawing_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, RevisionRow, stmt)?);
        rows.into_iter().map(Revision::try_from).collect()
    }

    async fn get_revision(&self, id: Uuid) -> DbResult<Option<Revision>> {
        let row = on_reader!(self, |pool| fetch_optional!(
            pool,
            RevisionRow,
            revision_by_id(id)
        )?);
        row.map(Revision::try_from).transpose()
    }

    async fn insert_revision(&self, r: &Revision, entry: &AuditEntry) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO drawing_revisions (id, drawing_id, seq, label, status, notes, file_name, file_size, \
             file_sha256, file_mime, blob_key, uploaded_by, uploaded_at, submitted_at, decided_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(r.id)
        .bind(r.drawing_id)
        .bind(r.seq)
        .bind(&r.label)
        .bind(r.status.as_str())
        .bind(&r.notes)
        .bind(&r.file.name)
        .bind(r.file.size)
        .bind(&r.file.sha256)
        .bind(&r.file.mime)
        .bind(&r.blob_key)
        .bind(entry.actor_id)
        .bind(r.uploaded_at)
        .bind(r.submitted_at)
        .bind(r.decided_at)
        .bind(r.version);
        let touch = Stmt::new("UPDATE drawings SET updated_at = $1 WHERE id = $2")
            .bind(r.uploaded_at)
            .bind(r.drawing_id);
        in_tx!(self, |tx| {
            if let Err(e) = exec!(&mut *tx, stmt) {
                if is_unique_violation(&e) {
                    return Err(DbError::App(AppError::Conflict {
                        code: "revision_race",
                        message: format!(
                            "another revision {} was uploaded at the same moment; reload the drawing and upload again if still needed",
                            r.label
                        ),
                        fields: FieldErrors::new(),
                    }));
                }
                return Err(e.into());
            }
            exec!(&mut *tx, touch)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn set_revision_status(
        &self,
        r: &Revision,
        expected_version: i64,
        review: Option<&Review>,
        entry: &AuditEntry,
    ) -> DbResult<Revision> {
        let stmt = Stmt::new(
            "UPDATE drawing_revisions SET status = $1, submitted_at = $2, decided_at = $3, version = version + 1 \
             WHERE id = $4 AND version = $5",
        )
        .bind(r.status.as_str())
        .bind(r.submitted_at)
        .bind(r.decided_at)
        .bind(r.id)
        .bind(expected_version);
        let version = Stmt::new(
            "SELECT version, COALESCE(decided_at, submitted_at, uploaded_at) AS updated_at FROM drawing_revisions WHERE id = $1",
        )
        .bind(r.id);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, version)?,
                    "revision",
                ));
            }
            if let Some(v) = review {
                let insert = Stmt::new(
                    "INSERT INTO drawing_reviews (id, revision_id, reviewer_id, reviewer_name, decision, comments, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(v.id)
                .bind(v.revision_id)
                .bind(v.reviewer_id)
                .bind(&v.reviewer_name)
                .bind(v.decision.as_str())
                .bind(&v.comments)
                .bind(v.at);
                exec!(&mut *tx, insert)?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, RevisionRow, revision_by_id(r.id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("revision")))
            .and_then(Revision::try_from)
    }

    async fn list_reviews(&self, drawing_id: Uuid) -> DbResult<Vec<Review>> {
        let stmt = Stmt::new(
            "SELECT v.id, v.revision_id, v.reviewer_id, v.reviewer_name, v.decision, v.comments, v.at \
             FROM drawing_reviews v JOIN drawing_revisions r ON r.id = v.revision_id \
             WHERE r.drawing_id = $1 ORDER BY v.at DESC, v.id DESC",
        )
        .bind(drawing_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, ReviewRow, stmt)?);
        rows.into_iter()
            .map(|v| {
                Ok(Review {
                    id: v.id,
                    revision_id: v.revision_id,
                    reviewer_id: v.reviewer_id,
                    reviewer_name: v.reviewer_name,
                    decision: parse_enum(&v.decision, "drawing_reviews.decision")?,
                    comments: v.comments,
                    at: v.at,
                })
            })
            .collect()
    }
}
