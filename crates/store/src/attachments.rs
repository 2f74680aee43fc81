//! Attachments, and the keys of files whose records were deleted (noted by triggers, see
//! migration 0009) until the server has removed the files.

use formula_app::repos::AttachmentRepo;
use formula_domain::attachment::{Attachment, ImageCopies, OwnerKind};
use formula_domain::audit::AuditEntry;
use formula_domain::files::FileInfo;
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::parse_enum;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: Uuid,
    project_id: Uuid,
    owner_kind: String,
    owner_id: Uuid,
    purpose: String,
    caption: Option<String>,
    file_name: String,
    file_size: i64,
    file_sha256: String,
    file_mime: String,
    blob_key: String,
    uploaded_by_name: Option<String>,
    uploaded_at: OffsetDateTime,
    display_key: Option<String>,
    thumb_key: Option<String>,
    image_width: Option<i64>,
    image_height: Option<i64>,
}

impl TryFrom<AttachmentRow> for Attachment {
    type Error = DbError;
    fn try_from(r: AttachmentRow) -> DbResult<Self> {
        Ok(Attachment {
            id: r.id,
            project_id: r.project_id,
            owner_kind: parse_enum(&r.owner_kind, "attachments.owner_kind")?,
            owner_id: r.owner_id,
            purpose: parse_enum(&r.purpose, "attachments.purpose")?,
            caption: r.caption,
            file: FileInfo {
                name: r.file_name,
                size: r.file_size,
                sha256: r.file_sha256,
                mime: r.file_mime,
            },
            blob_key: r.blob_key,
            uploaded_by_name: r.uploaded_by_name,
            uploaded_at: r.uploaded_at,
            image: match (r.display_key, r.thumb_key, r.image_width, r.image_height) {
                (Some(display_key), Some(thumb_key), Some(w), Some(h)) => Some(ImageCopies {
                    width: u32::try_from(w).unwrap_or(0),
                    height: u32::try_from(h).unwrap_or(0),
                    display_key,
                    thumb_key,
                }),
                _ => None,
            },
        })
    }
}

const SELECT: &str = "SELECT a.id, a.project_id, a.owner_kind, a.owner_id, a.purpose, a.caption, \
     a.file_name, a.file_size, a.file_sha256, a.file_mime, a.blob_key, u.name AS uploaded_by_name, \
     a.uploaded_at, a.display_key, a.thumb_key, a.image_width, a.image_height \
     FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by";

#[repo]
impl AttachmentRepo for Db {
    async fn list_attachments(&self, kind: OwnerKind, owner_id: Uuid) -> DbResult<Vec<Attachment>> {
        let stmt = Stmt::new(format!(
            "{SELECT} WHERE a.owner_id = $1 AND a.owner_kind = $2 ORDER BY a.uploaded_at, a.id"
        ))
        .bind(owner_id)
        .bind(kind.as_str());
        let rows = on_reader!(self, |pool| fetch_all!(pool, AttachmentRow, stmt)?);
        rows.into_iter().map(Attachment::try_from).collect()
    }

    async fn list_attachments_of(
        &self,
        kind: OwnerKind,
        owner_ids: &[Uuid],
    ) -> DbResult<Vec<Attachment>> {
        let mut out = Vec::new();
        // A discussion rarely holds more comments than this; longer ones take a few rounds.
        for chunk in owner_ids.chunks(200) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let mut stmt = Stmt::new(format!(
                "{SELECT} WHERE a.owner_kind = $1 AND a.owner_id IN ({}) ORDER BY a.uploaded_at, a.id",
                marks.join(", ")
            ))
            .bind(kind.as_str());
            for id in chunk {
                stmt = stmt.bind(*id);
            }
            let rows = on_reader!(self, |pool| fetch_all!(pool, AttachmentRow, stmt)?);
            for row in rows {
                out.push(Attachment::try_from(row)?);
            }
        }
        Ok(out)
    }

    async fn find_attachment(
        &self,
        kind: OwnerKind,
        owner_id: Uuid,
        file_name: &str,
        sha256: &str,
    ) -> DbResult<Option<Attachment>> {
        let stmt = Stmt::new(format!(
            "{SELECT} WHERE a.owner_id = $1 AND a.owner_kind = $2 AND a.file_name = $3 \
             AND a.file_sha256 = $4 ORDER BY a.uploaded_at, a.id LIMIT 1"
        ))
        .bind(owner_id)
        .bind(kind.as_str())
        .bind(file_name)
        .bind(sha256);
        let row = on_reader!(self, |pool| fetch_optional!(pool, AttachmentRow, stmt)?);
        row.map(Attachment::try_from).transpose()
    }

    async fn get_attachment(&self, id: Uuid) -> DbResult<Option<Attachment>> {
        let stmt = Stmt::new(format!("{SELECT} WHERE a.id = $1")).bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, AttachmentRow, stmt)?);
        row.map(Attachment::try_from).transpose()
    }

    async fn insert_attachment(&self, a: &Attachment, entry: &AuditEntry) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO attachments (id, project_id, owner_kind, owner_id, purpose, caption, file_name, \
             file_size, file_sha256, file_mime, blob_key, uploaded_by, uploaded_at, display_key, \
             thumb_key, image_width, image_height) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(a.id)
        .bind(a.project_id)
        .bind(a.owner_kind.as_str())
        .bind(a.owner_id)
        .bind(a.purpose.as_str())
        .bind(&a.caption)
        .bind(&a.file.name)
        .bind(a.file.size)
        .bind(&a.file.sha256)
        .bind(&a.file.mime)
        .bind(&a.blob_key)
        .bind(entry.actor_id)
        .bind(a.uploaded_at)
        .bind(a.image.as_ref().map(|c| c.display_key.clone()))
        .bind(a.image.as_ref().map(|c| c.thumb_key.clone()))
        .bind(a.image.as_ref().map(|c| i64::from(c.width)))
        .bind(a.image.as_ref().map(|c| i64::from(c.height)));
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    /// Deletes an attachment (its file key is noted for removal by the trigger); `false` when it
    /// was already gone.
    async fn delete_attachment(&self, id: Uuid, entry: &AuditEntry) -> DbResult<bool> {
        let stmt = Stmt::new("DELETE FROM attachments WHERE id = $1").bind(id);
        Ok(in_tx!(self, |tx| {
            let deleted = exec!(&mut *tx, stmt)?.rows_affected() > 0;
            if deleted {
                exec!(&mut *tx, audit::insert(entry))?;
            }
            deleted
        }))
    }

    /// Records the copies made late of an older image; `false` when it has copies already
    /// (made at the same moment by another request) or is gone.
    async fn set_attachment_copies(&self, id: Uuid, copies: &ImageCopies) -> DbResult<bool> {
        let stmt = Stmt::new(
            "UPDATE attachments SET display_key = $2, thumb_key = $3, image_width = $4, \
             image_height = $5 WHERE id = $1 AND display_key IS NULL",
        )
        .bind(id)
        .bind(&copies.display_key)
        .bind(&copies.thumb_key)
        .bind(i64::from(copies.width))
        .bind(i64::from(copies.height));
        Ok(in_tx!(self, |tx| exec!(&mut *tx, stmt)?.rows_affected() == 1))
    }

    /// Up to `limit` keys of files whose records are gone.
    async fn deleted_files(&self, limit: u32) -> DbResult<Vec<String>> {
        let stmt = Stmt::new("SELECT blob_key FROM deleted_files ORDER BY blob_key LIMIT $1")
            .bind(i64::from(limit));
        let rows = on_reader!(self, |pool| fetch_all!(pool, (String,), stmt)?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Forgets keys whose files have been removed.
    async fn forget_deleted_files(&self, keys: &[String]) -> DbResult<()> {
        in_tx!(self, |tx| {
            for key in keys {
                exec!(
                    &mut *tx,
                    Stmt::new("DELETE FROM deleted_files WHERE blob_key = $1").bind(key)
                )?;
            }
        });
        Ok(())
    }
}
