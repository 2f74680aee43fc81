//! Attachments on projects, tasks, scope items, drawings, specifications and comments: who
//! may see and add them (whoever may see or change what they are attached to; a comment's
//! files whoever may read the comment, added and removed by its author), the upload (checked
//! like any file, stored only when valid, removed again if the record fails; the same file
//! sent again to the same place is the attachment already made, so a retried upload adds
//! nothing), the documents the app sends kept as files of what they were sent for (an
//! RFI's PDF as mailed, an order's PDF as sent: `Services::keep_sent_document`), and the
//! removal of stored files whose records are gone.

use formula_domain::attachment::{
    Attachment, ImageCopies, OwnerKind, Purpose, Variant, makes_copies, may_carry_metadata,
};
use formula_domain::authz::{Action, Resource, authorize};
use formula_domain::errors::{FieldErrors, optional_text};
use formula_domain::files::{FileInfo, check_attachment_file};
use sha2::Digest;
use uuid::Uuid;

use crate::blobs::{BlobRead, ByteRange, Unsatisfiable};
use crate::context::Caller;
use crate::drawings::Upload;
use crate::error::{AppError, AppResult};
use crate::photos::{self, Copies, Refused};
use crate::services::{Services, audit, ensure};

/// Files removed from storage per round when sweeping deleted ones.
const SWEEP_BATCH: u32 = 200;

/// What is attached to one thing, and whether the caller may add and remove attachments.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AttachmentList {
    pub items: Vec<Attachment>,
    pub can_manage: bool,
}

/// What an attachment is on, as the caller may see it.
pub(crate) struct Owner {
    pub project_id: Uuid,
    /// For the audit trail.
    pub label: String,
    /// A comment's files are announced as a change to its discussion (`comment:<record>`),
    /// internal when the comment is: the record's id and whether the comment is internal.
    pub comment: Option<(Uuid, bool)>,
}

impl Owner {
    pub(crate) fn record(project_id: Uuid, label: String) -> Self {
        Owner {
            project_id,
            label,
            comment: None,
        }
    }
}

/// A file's name as kept and its content type, after the check.
pub(crate) struct Checked {
    pub name: String,
    pub mime: &'static str,
}

impl Checked {
    /// A photo taken on site, checked like any attachment and as a JPEG or PNG image: every
    /// problem goes to `errors` under `photo`.
    pub(crate) fn photo(errors: &mut FieldErrors, upload: &Upload) -> Checked {
        let mut file_errors = FieldErrors::new();
        let (name, mime) = upload.check(&mut file_errors, check_attachment_file);
        for e in file_errors.0 {
            errors.add("photo", e.message);
        }
        if !mime.is_empty() && !makes_copies(mime) {
            errors.add("photo", "must be a photo: a JPEG or PNG image");
        }
        Checked { name, mime }
    }
}

/// A document the app made and sent (an RFI's PDF as mailed, an order's PDF as sent), to
/// be kept as a file of what it was sent for, so the team sees exactly what went out.
pub(crate) struct SentDocument<'a> {
    pub owner_kind: OwnerKind,
    pub owner_id: Uuid,
    pub project_id: Uuid,
    /// The owner for the audit trail (an RFI's code, an order's number).
    pub label: &'a str,
    pub file_name: &'a str,
    pub mime: &'a str,
    /// Says which copy it is ("As sent to the supplier").
    pub caption: &'a str,
}

/// The most files one comment carries.
pub const MAX_COMMENT_FILES: usize = 10;

/// The file served for a download: the original, or a photo's copy.
pub struct Served {
    /// What the response says about it (a copy is a JPEG named after the original).
    pub file: FileInfo,
    /// A copy never changes once made, so it may be cached for good.
    pub immutable: bool,
}

impl Services {
    /// Checks that the caller may see (or, with `manage`, change) the owner and returns its
    /// project and a label for the audit trail. Something the caller may not see is "not found".
    pub(crate) async fn attachment_owner(
        &self,
        caller: &Caller,
        kind: OwnerKind,
        owner_id: Uuid,
        manage: bool,
    ) -> AppResult<Owner> {
        let (project_id, label) = match kind {
            OwnerKind::Project => {
                let (project, access) = self.project_for(caller, owner_id).await?;
                if manage {
                    ensure(caller, Action::UpdateProject, &Resource::Project(access))?;
                }
                (project.id, project.code)
            }
            OwnerKind::Task => {
                let (task, access) = self.task_for(caller, owner_id).await?;
                if manage {
                    ensure(
                        caller,
                        Action::UpdateTask,
                        &Resource::Task {
                            project: access,
                            assignee: task.assignee_id,
                        },
                    )?;
                } else {
                    ensure(caller, Action::ViewTasks, &Resource::Project(access))?;
                }
                (task.project_id, task.title)
            }
            OwnerKind::ScopeItem => {
                let action = if manage {
                    Action::ManageScope
                } else {
                    Action::ViewScope
                };
                let (item, _) = self.scope_item_for(caller, owner_id, action).await?;
                (item.project_id, item.code)
            }
            OwnerKind::Drawing => {
                let action = if manage {
                    Action::ManageDrawings
                } else {
                    Action::ViewDrawings
                };
                let (drawing, _) = self.drawing_for(caller, owner_id, action).await?;
                (drawing.project_id, drawing.number)
            }
            OwnerKind::Spec => {
                let action = if manage {
                    Action::ManageSpecs
                } else {
                    Action::ViewSpecs
                };
                let (spec, _) = self.spec_for(caller, owner_id, action).await?;
                (spec.project_id, spec.code)
            }
            OwnerKind::Comment => return self.comment_as_owner(caller, owner_id, manage).await,
            // An installation's photo: seen by whoever sees installation records (never a
            // client user), added and removed by whoever records them.
            OwnerKind::Installation => {
                let action = if manage {
                    Action::RecordInstallation
                } else {
                    Action::ViewInstallations
                };
                let (inst, _) = self.installation_for(caller, owner_id, action).await?;
                (
                    inst.project_id,
                    format!("{} in {}", inst.item_code, inst.room_code),
                )
            }
            OwnerKind::Snag => return self.snag_as_owner(caller, owner_id, manage).await,
            OwnerKind::Rfi => return self.rfi_as_owner(caller, owner_id, manage).await,
            OwnerKind::PurchaseOrder => return self.po_as_owner(caller, owner_id, manage).await,
            // A goods receipt's photos: seen by whoever sees the order (never a client user),
            // added by whoever receives goods.
            OwnerKind::GoodsReceipt => {
                return self.receipt_as_owner(caller, owner_id, manage).await;
            }
            // A delivery note's files (its signed PDF) and a receipt's photos: seen by
            // whoever sees the project's deliveries (never a client user).
            OwnerKind::DeliveryNote | OwnerKind::DeliveryReceipt => {
                return self.delivery_as_owner(caller, kind, owner_id, manage).await;
            }
            // A QA check's photos: seen by whoever sees the workshop (never a client user),
            // added by whoever runs QA.
            OwnerKind::QaCheck => {
                return self.qa_check_as_owner(caller, owner_id, manage).await;
            }
        };
        Ok(Owner::record(project_id, label))
    }

    /// What is attached to a project, task, scope item, drawing or specification.
    pub async fn list_attachments(
        &self,
        caller: &Caller,
        kind: OwnerKind,
        owner_id: Uuid,
    ) -> AppResult<AttachmentList> {
        self.attachment_owner(caller, kind, owner_id, false).await?;
        let can_manage = match self.attachment_owner(caller, kind, owner_id, true).await {
            Ok(_) => true,
            Err(AppError::Forbidden | AppError::NotFound(_)) => false,
            Err(e) => return Err(e),
        };
        let items = self.store.list_attachments(kind, owner_id).await?;
        Ok(AttachmentList { items, can_manage })
    }

    /// Attaches an uploaded file. Any kind of file is accepted, but one whose name promises a
    /// PDF, an image, a CAD drawing or an Office document must really be one (and whole).
    /// The same file (name and content) sent again to the same place is the attachment made
    /// the first time, so a retried upload adds nothing: `.1` says whether it is new.
    pub async fn add_attachment(
        &self,
        caller: &Caller,
        kind: OwnerKind,
        owner_id: Uuid,
        purpose: Option<Purpose>,
        caption: Option<String>,
        upload: &Upload,
    ) -> AppResult<(Attachment, bool)> {
        let owner = self.attachment_owner(caller, kind, owner_id, true).await?;
        let mut errors = FieldErrors::new();
        let caption = optional_text(&mut errors, "caption", caption.as_deref(), 500);
        let (name, mime) = upload.check(&mut errors, check_attachment_file);
        errors.into_result()?;
        let file = Checked { name, mime };
        let added = self
            .store_attachment(
                caller,
                &owner,
                (kind, owner_id),
                purpose,
                caption,
                upload,
                file,
            )
            .await?;
        if added.1 {
            self.files_changed(caller, &owner, owner_id, "added").await;
        }
        Ok(added)
    }

    /// Stores a checked upload and its record (with the audit entry), unless this very file
    /// is attached there already (`.1` is then `false`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn store_attachment(
        &self,
        caller: &Caller,
        owner: &Owner,
        (kind, owner_id): (OwnerKind, Uuid),
        purpose: Option<Purpose>,
        caption: Option<String>,
        upload: &Upload,
        file: Checked,
    ) -> AppResult<(Attachment, bool)> {
        if let Some(existing) = self
            .store
            .find_attachment(kind, owner_id, &file.name, &upload.sha256)
            .await?
        {
            return Ok((existing, false));
        }
        let project_id = owner.project_id;
        let id = formula_domain::new_id();
        // A photo's copies are made (and a bomb or a damaged image refused) before anything
        // is stored.
        let copies = if makes_copies(file.mime) {
            match photos::make_copies_blocking(&upload.path).await? {
                Ok(c) => Some(c),
                Err(Refused(why)) => return Err(AppError::field("file", why)),
            }
        } else {
            None
        };
        let mut attachment = Attachment {
            id,
            project_id,
            owner_kind: kind,
            owner_id,
            purpose: purpose.unwrap_or(Purpose::Document),
            caption,
            file: FileInfo {
                name: file.name,
                size: i64::try_from(upload.size).unwrap_or(i64::MAX),
                sha256: upload.sha256.clone(),
                mime: file.mime.to_owned(),
            },
            blob_key: Attachment::blob_key_for(project_id, id),
            uploaded_by_name: Some(caller.actor.name.clone()),
            uploaded_at: self.now(),
            image: None,
        };
        if let Some(copies) = copies {
            attachment.image = Some(self.store_copies(project_id, id, copies).await?);
        }
        if let Err(e) = self
            .blobs
            .put_file(&attachment.blob_key, &upload.path)
            .await
        {
            self.remove_copies(attachment.image.as_ref()).await;
            return Err(e);
        }
        let a = audit(
            caller,
            "attach",
            kind.as_str(),
            owner_id,
            &owner.label,
            vec![formula_domain::audit::FieldChange {
                field: "attachment".into(),
                old: serde_json::Value::Null,
                new: serde_json::Value::String(attachment.file.name.clone()),
            }],
        )
        .in_project(project_id);
        if let Err(e) = self.store.insert_attachment(&attachment, &a).await {
            // Nothing half-written: the file goes with the row that failed.
            if let Err(cleanup) = self.blobs.delete(&attachment.blob_key).await {
                tracing::warn!(key = %attachment.blob_key, error = %cleanup, "could not remove the file of a failed upload");
            }
            self.remove_copies(attachment.image.as_ref()).await;
            return Err(e);
        }
        Ok((attachment, true))
    }

    /// Keeps a sent document as an attachment of its owner (with the audit entry); the same
    /// content under the same name is the file kept before, so sending again adds nothing.
    /// The file is stored first and removed again if the record fails.
    pub(crate) async fn keep_sent_document(
        &self,
        caller: &Caller,
        doc: SentDocument<'_>,
        bytes: Vec<u8>,
    ) -> AppResult<Attachment> {
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        if let Some(existing) = self
            .store
            .find_attachment(doc.owner_kind, doc.owner_id, doc.file_name, &sha256)
            .await?
        {
            return Ok(existing);
        }
        let id = formula_domain::new_id();
        let attachment = Attachment {
            id,
            project_id: doc.project_id,
            owner_kind: doc.owner_kind,
            owner_id: doc.owner_id,
            purpose: Purpose::Document,
            caption: Some(doc.caption.to_owned()),
            file: FileInfo {
                name: doc.file_name.to_owned(),
                size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
                sha256,
                mime: doc.mime.to_owned(),
            },
            blob_key: Attachment::blob_key_for(doc.project_id, id),
            uploaded_by_name: Some(caller.actor.name.clone()),
            uploaded_at: self.now(),
            image: None,
        };
        self.blobs.put_bytes(&attachment.blob_key, &bytes).await?;
        let a = audit(
            caller,
            "attach",
            doc.owner_kind.as_str(),
            doc.owner_id,
            doc.label,
            vec![formula_domain::audit::FieldChange {
                field: "attachment".into(),
                old: serde_json::Value::Null,
                new: serde_json::Value::String(doc.file_name.to_owned()),
            }],
        )
        .in_project(doc.project_id);
        if let Err(e) = self.store.insert_attachment(&attachment, &a).await {
            if let Err(cleanup) = self.blobs.delete(&attachment.blob_key).await {
                tracing::warn!(key = %attachment.blob_key, kind = doc.owner_kind.as_str(), error = %cleanup, "could not remove the file of a sent document that failed to be kept");
            }
            return Err(e);
        }
        Ok(attachment)
    }

    /// Stores a photo's copies under new keys.
    async fn store_copies(
        &self,
        project_id: Uuid,
        id: Uuid,
        copies: Copies,
    ) -> AppResult<ImageCopies> {
        let (display_key, thumb_key) =
            Attachment::copy_keys_for(project_id, id, formula_domain::new_id());
        self.blobs.put_bytes(&display_key, &copies.display).await?;
        if let Err(e) = self.blobs.put_bytes(&thumb_key, &copies.thumbnail).await {
            let _ = self.blobs.delete(&display_key).await;
            return Err(e);
        }
        Ok(ImageCopies {
            width: copies.width,
            height: copies.height,
            display_key,
            thumb_key,
        })
    }

    /// Removes copies no record keeps (after a failed upload); a failure is only logged.
    async fn remove_copies(&self, copies: Option<&ImageCopies>) {
        for key in copies
            .into_iter()
            .flat_map(|c| [c.display_key.as_str(), c.thumb_key.as_str()])
        {
            if let Err(e) = self.blobs.delete(key).await {
                tracing::warn!(%key, error = %e, "could not remove a photo copy no record keeps");
            }
        }
    }

    /// The copies of an image attached before copies were made, made now from its stored
    /// original (once: a second request at the same moment keeps the first one's). `None`
    /// when the original cannot be decoded: then only the team sees it.
    async fn late_copies(&self, attachment: &Attachment) -> AppResult<Option<ImageCopies>> {
        let read = self.blobs.read(&attachment.blob_key, None).await?;
        let mut bytes = Vec::with_capacity(usize::try_from(read.size).unwrap_or(0));
        {
            use tokio::io::AsyncReadExt;
            let mut body = read.body;
            body.read_to_end(&mut bytes)
                .await
                .map_err(|e| AppError::Internal(format!("read a stored photo: {e}")))?;
        }
        let copies = match photos::make_copies_from_blocking(bytes).await? {
            Ok(c) => c,
            Err(Refused(why)) => {
                tracing::warn!(attachment = %attachment.id, %why, "no copies of an older image");
                return Ok(None);
            }
        };
        let made = self
            .store_copies(attachment.project_id, attachment.id, copies)
            .await?;
        if self
            .store
            .set_attachment_copies(attachment.id, &made)
            .await?
        {
            return Ok(Some(made));
        }
        self.remove_copies(Some(&made)).await;
        Ok(self
            .store
            .get_attachment(attachment.id)
            .await?
            .and_then(|a| a.image))
    }

    /// Opens one of an attachment's files for download: the original, or (for a JPEG or PNG
    /// photo) its display copy or thumbnail. Whoever may not see photo originals (client
    /// users) asking for the original of an image gets the display copy: the original's EXIF
    /// and GPS data never reach them by any route. `Err(size)` inside when the range cannot
    /// be satisfied (416).
    pub async fn open_attachment_variant(
        &self,
        caller: &Caller,
        id: Uuid,
        variant: Variant,
        range_header: Option<&str>,
    ) -> AppResult<(Served, Result<BlobRead, u64>)> {
        let attachment = self.get_attachment(caller, id).await?;
        let mime = attachment.file.mime.as_str();
        let variant = if variant == Variant::Original && may_carry_metadata(mime) {
            let (_, access) = self.project_for(caller, attachment.project_id).await?;
            if authorize(
                &caller.actor,
                Action::ViewPhotoOriginals,
                &Resource::Project(access),
            ) {
                Variant::Original
            } else {
                Variant::Display
            }
        } else {
            variant
        };
        let (key, served) = if variant == Variant::Original {
            (
                attachment.blob_key.clone(),
                Served {
                    file: attachment.file.clone(),
                    immutable: false,
                },
            )
        } else {
            let no_copy = AppError::NotFound("image copy");
            if !makes_copies(mime) {
                return Err(no_copy);
            }
            let copies = match attachment.image.clone() {
                Some(c) => c,
                None => self.late_copies(&attachment).await?.ok_or(no_copy)?,
            };
            let (key, what) = if variant == Variant::Thumbnail {
                (copies.thumb_key, "thumbnail")
            } else {
                (copies.display_key, "display")
            };
            let stem = attachment
                .file
                .name
                .rsplit_once('.')
                .map_or(attachment.file.name.as_str(), |(s, _)| s);
            let name = if variant == Variant::Thumbnail {
                format!("{stem} (thumbnail).jpg")
            } else {
                format!("{stem}.jpg")
            };
            (
                key,
                Served {
                    file: FileInfo {
                        name,
                        size: 0,
                        sha256: format!("{}-{what}", attachment.id),
                        mime: "image/jpeg".into(),
                    },
                    immutable: true,
                },
            )
        };
        let size = if served.immutable {
            self.blobs.size(&key).await?
        } else {
            u64::try_from(attachment.file.size).unwrap_or(0)
        };
        let range = match ByteRange::parse(range_header, size) {
            Ok(r) => r,
            Err(Unsatisfiable) => return Ok((served, Err(size))),
        };
        let read = self.blobs.read(&key, range).await?;
        Ok((served, Ok(read)))
    }

    /// Announces that the files on `owner_id` changed: a record's attachments, or (for a
    /// comment's) its discussion, internal when the comment is.
    pub(crate) async fn files_changed(
        &self,
        caller: &Caller,
        owner: &Owner,
        owner_id: Uuid,
        what: &str,
    ) {
        match owner.comment {
            Some((record_id, internal)) => {
                let kind = format!("comment.files_{what}");
                self.announce(caller, &kind, owner.project_id, record_id, None, internal)
                    .await;
            }
            None => {
                let kind = format!("attachment.{what}");
                self.changed(caller, &kind, owner.project_id, owner_id, None)
                    .await;
            }
        }
    }

    /// An attachment the caller may see.
    pub async fn get_attachment(&self, caller: &Caller, id: Uuid) -> AppResult<Attachment> {
        let attachment = self
            .store
            .get_attachment(id)
            .await?
            .ok_or(AppError::NotFound("attachment"))?;
        self.attachment_owner(caller, attachment.owner_kind, attachment.owner_id, false)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("attachment"),
                other => other,
            })?;
        Ok(attachment)
    }

    /// Removes an attachment and its file.
    pub async fn delete_attachment(&self, caller: &Caller, id: Uuid) -> AppResult<Attachment> {
        let attachment = self.get_attachment(caller, id).await?;
        let owner = self
            .attachment_owner(caller, attachment.owner_kind, attachment.owner_id, true)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("attachment"),
                other => other,
            })?;
        let a = audit(
            caller,
            "detach",
            attachment.owner_kind.as_str(),
            attachment.owner_id,
            &owner.label,
            vec![formula_domain::audit::FieldChange {
                field: "attachment".into(),
                old: serde_json::Value::String(attachment.file.name.clone()),
                new: serde_json::Value::Null,
            }],
        )
        .in_project(owner.project_id);
        if !self.store.delete_attachment(id, &a).await? {
            return Err(AppError::NotFound("attachment"));
        }
        self.remove_deleted_files().await;
        self.files_changed(caller, &owner, attachment.owner_id, "removed")
            .await;
        Ok(attachment)
    }

    /// Removes from storage the files whose records are gone (a deleted attachment, or the
    /// revisions and attachments of a deleted drawing, task, scope item or project), and
    /// forgets their keys. Runs after each such deletion and with the periodic clean-up, so a
    /// failure here (storage away) is retried later; it is logged, never the caller's error.
    pub async fn remove_deleted_files(&self) -> usize {
        let mut removed = 0;
        loop {
            let keys = match self.store.deleted_files(SWEEP_BATCH).await {
                Ok(k) if !k.is_empty() => k,
                Ok(_) => return removed,
                Err(e) => {
                    tracing::warn!(error = %e, "could not list deleted files");
                    return removed;
                }
            };
            let mut gone = Vec::with_capacity(keys.len());
            for key in keys {
                match self.blobs.delete(&key).await {
                    Ok(()) => gone.push(key),
                    Err(e) => {
                        tracing::warn!(%key, error = %e, "could not remove a deleted file; will retry")
                    }
                }
            }
            let full_batch = gone.len() == SWEEP_BATCH as usize;
            if gone.is_empty() {
                return removed;
            }
            if let Err(e) = self.store.forget_deleted_files(&gone).await {
                tracing::warn!(error = %e, "could not forget removed files");
                return removed;
            }
            removed += gone.len();
            if !full_batch {
                return removed;
            }
        }
    }
}
