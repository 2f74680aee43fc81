//! Shop drawings: the register of a project, revisions uploaded as files (each reviewed
//! through the review workflow, `crate::review`), and the scope items a drawing covers.

use std::path::PathBuf;

use formula_domain::audit::AuditEntry;
use formula_domain::authz::{Action, ProjectAccess, Resource, authorize};
use formula_domain::comment::RecordKind;
use formula_domain::drawing::{
    Decision, Drawing, DrawingKind, Review, Revision, RevisionScheme, RevisionStatus,
    revision_label,
};
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::files::{FileInfo, check_drawing_file, display_name};
use formula_domain::review::{StatusWord, shown_to};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::blobs::{BlobRead, ByteRange};
use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::query::ScopeQuery;
use crate::review::{Loaded, ReviewKind};
use crate::services::{Services, audit, changes, check_version, created, ensure};

/// A file received from a client and spooled to disk, with what was learned while it arrived.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the client gave (only shown, never used as a path).
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// The first bytes (up to 8 KiB) and the last (up to 1 KiB), for checking the content.
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
}

/// Checks a file's first and last bytes against its name and says what type it is, or why
/// it is refused (see `formula_domain::files`).
pub(crate) type FileCheck = fn(&[u8], &[u8], &str) -> Result<&'static str, String>;

impl Upload {
    /// The name to keep and the content type, after checking the file with `check` (which
    /// sees its first and last bytes and its name); every problem goes to `errors` under
    /// `file`, and then both are empty.
    pub(crate) fn check(
        &self,
        errors: &mut FieldErrors,
        check: FileCheck,
    ) -> (String, &'static str) {
        let name = display_name(&self.name).unwrap_or_else(|e| {
            errors.add("file", e);
            String::new()
        });
        if self.size == 0 {
            errors.add("file", "the file is empty (0 bytes)");
        }
        if name.is_empty() || self.size == 0 {
            return (name, "");
        }
        let mime = check(&self.head, &self.tail, &name).unwrap_or_else(|e| {
            errors.add("file", e);
            ""
        });
        (name, mime)
    }
}

/// A drawing to add to the register.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDrawing {
    /// Unique in the project, e.g. `SD-101`.
    pub number: String,
    pub title: String,
    #[serde(default)]
    pub kind: Option<DrawingKind>,
    #[serde(default)]
    pub area: Option<String>,
    /// `letters` (A, B, C…; the default) or `numbers` (0, 1, 2…).
    #[serde(default)]
    pub scheme: Option<RevisionScheme>,
    /// Scope items of the same project this drawing covers.
    #[serde(default)]
    pub scope_item_ids: Vec<Uuid>,
}

/// The details of a drawing to change; absent fields stay, `area: null` clears it. The number
/// and the revision scheme are fixed once the drawing is in the register.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawingChange {
    pub title: Option<String>,
    pub kind: Option<DrawingKind>,
    #[serde(default, deserialize_with = "crate::services::double_option")]
    pub area: Option<Option<String>>,
    /// The drawing's version (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// A reviewer's decision on a submitted revision.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub decision: Decision,
    /// Required unless the decision is a plain approval.
    #[serde(default)]
    pub comments: Option<String>,
    /// The revision's version (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Filters of a drawing register.
#[derive(Debug, Clone, Default)]
pub struct DrawingQuery {
    pub status: Option<RevisionStatus>,
    /// Substring of the room / area.
    pub area: Option<String>,
    pub scope_item_id: Option<Uuid>,
    /// Only revisions waiting longer than the review period.
    pub overdue: bool,
    /// Substring of the number or title.
    pub q: Option<String>,
    /// Covering a scope item placed there.
    pub place: crate::location_filter::LocationFilter,
}

/// A drawing with everything its page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrawingDetail {
    pub drawing: Drawing,
    /// Newest first.
    pub revisions: Vec<Revision>,
    /// Newest first.
    pub reviews: Vec<Review>,
    /// Code and name of each linked scope item.
    pub scope_items: Vec<LinkedItem>,
}

/// A scope item as a drawing shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkedItem {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

/// What the caller may do on a project's drawings.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct DrawingRights {
    pub manage: bool,
    pub review: bool,
}

impl Services {
    async fn drawings_project(
        &self,
        caller: &Caller,
        project_id: Uuid,
        action: Action,
    ) -> AppResult<(formula_domain::project::Project, ProjectAccess)> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, action, &Resource::Project(access))?;
        Ok((project, access))
    }

    /// What the caller may do on this project's drawings.
    pub async fn drawing_rights(
        &self,
        caller: &Caller,
        project_id: Uuid,
        access: ProjectAccess,
    ) -> AppResult<DrawingRights> {
        Ok(DrawingRights {
            manage: authorize(
                &caller.actor,
                Action::ManageDrawings,
                &Resource::Project(access),
            ),
            review: self
                .may_decide(caller, project_id, access, Action::ReviewDrawings)
                .await?,
        })
    }

    /// A project's drawing register, filtered, in number order.
    pub async fn list_drawings(
        &self,
        caller: &Caller,
        project_id: Uuid,
        query: &DrawingQuery,
    ) -> AppResult<Vec<Drawing>> {
        self.drawings_project(caller, project_id, Action::ViewDrawings)
            .await?;
        let now = self.now();
        let area = query.area.as_deref().map(str::to_lowercase);
        let q = query.q.as_deref().map(str::to_lowercase);
        let place = self.items_in_place(project_id, &query.place).await?;
        let places = self.places_matching(project_id, &query.place).await?;
        let mut referred: std::collections::HashMap<Uuid, Vec<Uuid>> =
            std::collections::HashMap::new();
        if places.is_some() {
            for (record, p) in self
                .store
                .project_record_places(crate::repos::PlacesOf::Drawing, project_id)
                .await?
            {
                referred.entry(record).or_default().push(p);
            }
        }
        Ok(self
            .store
            .list_drawings(project_id)
            .await?
            .into_iter()
            .filter(|d| {
                crate::location_filter::covers(&place, &d.scope_item_ids)
                    || crate::location_filter::refers(&places, referred.get(&d.id))
            })
            // Client users see only what was submitted to them: never drafts.
            .filter_map(|d| d.seen_by(caller.actor.role))
            .filter(|d| query.status.is_none_or(|s| d.has_status(s)))
            .filter(|d| {
                area.as_deref().is_none_or(|a| {
                    d.area
                        .as_deref()
                        .is_some_and(|x| x.to_lowercase().contains(a))
                })
            })
            .filter(|d| {
                query
                    .scope_item_id
                    .is_none_or(|i| d.scope_item_ids.contains(&i))
            })
            .filter(|d| !query.overdue || d.review_overdue(now, self.config.review_overdue_days))
            .filter(|d| {
                q.as_deref().is_none_or(|q| {
                    d.number.to_lowercase().contains(q) || d.title.to_lowercase().contains(q)
                })
            })
            .collect())
    }

    async fn check_items(
        &self,
        errors: &mut FieldErrors,
        project_id: Uuid,
        ids: &[Uuid],
    ) -> AppResult<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let items = self
            .store
            .list_scope_items(&ScopeQuery::all(project_id))
            .await?
            .items;
        let mut out: Vec<Uuid> = Vec::new();
        for id in ids {
            if !items.iter().any(|i| i.id == *id) {
                errors.add("scope_item_ids", "must be scope items of this project");
                break;
            }
            if !out.contains(id) {
                out.push(*id);
            }
        }
        Ok(out)
    }

    pub async fn create_drawing(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewDrawing,
    ) -> AppResult<Drawing> {
        self.drawings_project(caller, project_id, Action::ManageDrawings)
            .await?;
        let mut errors = FieldErrors::new();
        let number = required_text(&mut errors, "number", &input.number, 40);
        let title = required_text(&mut errors, "title", &input.title, 200);
        let area = optional_text(&mut errors, "area", input.area.as_deref(), 200);
        let items = self
            .check_items(&mut errors, project_id, &input.scope_item_ids)
            .await?;
        errors.into_result()?;
        let now = self.now();
        let d = Drawing {
            id: formula_domain::new_id(),
            project_id,
            number,
            title,
            kind: input.kind.unwrap_or(DrawingKind::Detail),
            area,
            scheme: input.scheme.unwrap_or(RevisionScheme::Letters),
            current: None,
            approved: None,
            shared: None,
            scope_item_ids: items,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let a = audit(caller, "create", "drawing", d.id, &d.number, created(&d))
            .in_project(d.project_id);
        self.store.insert_drawing(&d, &a).await?;
        self.changed(caller, "drawing.created", project_id, d.id, Some(1))
            .await;
        self.involve(
            RecordKind::Drawing,
            d.id,
            project_id,
            &[caller.actor.user_id],
        )
        .await;
        Ok(d)
    }

    pub(crate) async fn drawing_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(Drawing, ProjectAccess)> {
        let stored = self
            .store
            .get_drawing(id)
            .await?
            .ok_or(AppError::NotFound("drawing"))?;
        let project_id = stored.project_id;
        let (_, access) = self
            .drawings_project(caller, project_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("drawing"),
                other => other,
            })?;
        // Client users see only what was submitted to them: never drafts.
        let d = stored
            .seen_by(caller.actor.role)
            .ok_or(AppError::NotFound("drawing"))?;
        Ok((d, access))
    }

    /// A drawing with its revisions, reviews and scope items.
    pub async fn get_drawing(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(DrawingDetail, ProjectAccess)> {
        let (drawing, access) = self.drawing_for(caller, id, Action::ViewDrawings).await?;
        let revisions: Vec<Revision> = self
            .store
            .list_revisions(id)
            .await?
            .into_iter()
            .filter(|r| shown_to(caller.actor.role, r.status.state()))
            .collect();
        let reviews = self.store.list_reviews(id).await?;
        let items = self
            .store
            .list_scope_items(&ScopeQuery::all(drawing.project_id))
            .await?
            .items;
        let scope_items = items
            .into_iter()
            .filter(|i| drawing.scope_item_ids.contains(&i.id))
            .map(|i| LinkedItem {
                id: i.id,
                code: i.code,
                name: i.name,
            })
            .collect();
        Ok((
            DrawingDetail {
                drawing,
                revisions,
                reviews,
                scope_items,
            },
            access,
        ))
    }

    /// Changes a drawing's title, type or room (compare-and-set on its version).
    pub async fn update_drawing(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        change: DrawingChange,
    ) -> AppResult<Drawing> {
        let (current, _) = self.drawing_for(caller, id, Action::ManageDrawings).await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(t) = change.title {
            next.title = required_text(&mut errors, "title", &t, 200);
        }
        if let Some(k) = change.kind {
            next.kind = k;
        }
        if let Some(a) = change.area {
            next.area = optional_text(&mut errors, "area", a.as_deref(), 200);
        }
        errors.into_result()?;
        next.updated_at = self.now();
        let a = audit(
            caller,
            "update",
            "drawing",
            id,
            &current.number,
            changes(&current, &next),
        )
        .in_project(current.project_id);
        let saved = self
            .store
            .update_drawing(&next, expected_version, &a)
            .await?;
        self.changed(
            caller,
            "drawing.updated",
            saved.project_id,
            id,
            Some(saved.version),
        )
        .await;
        Ok(saved)
    }

    /// Replaces the scope items a drawing covers.
    pub async fn link_drawing_items(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        item_ids: Vec<Uuid>,
    ) -> AppResult<Drawing> {
        let (current, _) = self.drawing_for(caller, id, Action::ManageDrawings).await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let items = self
            .check_items(&mut errors, current.project_id, &item_ids)
            .await?;
        errors.into_result()?;
        let mut next = current.clone();
        next.scope_item_ids = items;
        next.updated_at = self.now();
        let a = audit(
            caller,
            "link",
            "drawing",
            id,
            &current.number,
            changes(&current, &next),
        )
        .in_project(current.project_id);
        let saved = self
            .store
            .update_drawing(&next, expected_version, &a)
            .await?;
        self.changed(
            caller,
            "drawing.updated",
            saved.project_id,
            id,
            Some(saved.version),
        )
        .await;
        Ok(saved)
    }

    /// Uploads the next revision of a drawing. The file must be a PDF, an image or a CAD
    /// drawing matching its name; it is stored only when everything checks out, and removed
    /// again if the revision cannot be recorded.
    pub async fn add_revision(
        &self,
        caller: &Caller,
        drawing_id: Uuid,
        notes: Option<String>,
        upload: &Upload,
    ) -> AppResult<Revision> {
        let (drawing, _) = self
            .drawing_for(caller, drawing_id, Action::ManageDrawings)
            .await?;
        let mut errors = FieldErrors::new();
        let notes = optional_text(&mut errors, "notes", notes.as_deref(), 5_000);
        let (name, mime) = upload.check(&mut errors, check_drawing_file);
        if let Some(c) = &drawing.current
            && c.status == RevisionStatus::Submitted
        {
            errors.add(
                "file",
                format!(
                    "revision {} is waiting for its review; a new revision can be uploaded once it is decided",
                    c.label
                ),
            );
        }
        errors.into_result()?;
        let revisions = self.store.list_revisions(drawing_id).await?;
        let seq = revisions.iter().map(|r| r.seq).max().unwrap_or(0) + 1;
        let now = self.now();
        let id = formula_domain::new_id();
        let rev = Revision {
            id,
            drawing_id,
            project_id: drawing.project_id,
            seq,
            label: revision_label(drawing.scheme, u32::try_from(seq).unwrap_or(u32::MAX)),
            status: RevisionStatus::Draft,
            notes,
            file: FileInfo {
                name,
                size: i64::try_from(upload.size).unwrap_or(i64::MAX),
                sha256: upload.sha256.clone(),
                mime: mime.to_owned(),
            },
            blob_key: format!("drawings/{}/{id}", drawing.project_id),
            uploaded_by_name: Some(caller.actor.name.clone()),
            uploaded_at: now,
            submitted_at: None,
            decided_at: None,
            version: 1,
        };
        self.blobs.put_file(&rev.blob_key, &upload.path).await?;
        let a = audit(
            caller,
            "upload",
            "drawing",
            drawing_id,
            &format!("{} rev {}", drawing.number, rev.label),
            created(&rev),
        )
        .in_project(drawing.project_id);
        if let Err(e) = self.store.insert_revision(&rev, &a).await {
            // Nothing half-written: the file goes with the row that failed.
            if let Err(cleanup) = self.blobs.delete(&rev.blob_key).await {
                tracing::warn!(key = %rev.blob_key, error = %cleanup, "could not remove the file of a failed upload");
            }
            return Err(e);
        }
        self.changed(
            caller,
            "drawing.revised",
            drawing.project_id,
            drawing_id,
            Some(seq),
        )
        .await;
        self.involve(
            RecordKind::Drawing,
            drawing_id,
            drawing.project_id,
            &[caller.actor.user_id],
        )
        .await;
        Ok(rev)
    }

    pub(crate) async fn revision_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(Revision, Drawing, ProjectAccess)> {
        let rev = self
            .store
            .get_revision(id)
            .await?
            .ok_or(AppError::NotFound("revision"))?;
        let (drawing, access) = self
            .drawing_for(caller, rev.drawing_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("revision"),
                other => other,
            })?;
        if !shown_to(caller.actor.role, rev.status.state()) {
            return Err(AppError::NotFound("revision"));
        }
        Ok((rev, drawing, access))
    }

    /// Sends a draft revision for review.
    pub async fn submit_revision(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<Revision> {
        self.submit_for_review(caller, id, expected_version).await
    }

    /// Records a reviewer's decision on a submitted revision. Two reviewers deciding at
    /// once: the first decision stands, the second is refused as stale.
    pub async fn review_revision(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: ReviewInput,
    ) -> AppResult<Revision> {
        self.decide(
            caller,
            id,
            expected_version,
            input.decision,
            input.comments.as_deref(),
        )
        .await
    }

    /// Opens a revision's file for download.
    pub async fn open_revision_file(
        &self,
        caller: &Caller,
        id: Uuid,
        range_header: Option<&str>,
    ) -> AppResult<(Revision, Result<BlobRead, u64>)> {
        let (rev, _, _) = self.revision_for(caller, id, Action::ViewDrawings).await?;
        let size = u64::try_from(rev.file.size).unwrap_or(0);
        let range = match ByteRange::parse(range_header, size) {
            Ok(r) => r,
            // Unsatisfiable: the caller answers 416 with the size.
            Err(crate::blobs::Unsatisfiable) => return Ok((rev, Err(size))),
        };
        let read = self.blobs.read(&rev.blob_key, range).await?;
        Ok((rev, Ok(read)))
    }
}

/// Revisions go through the review workflow: submitted by those who manage the drawings,
/// decided by the project's reviewers, audited and announced under their drawing.
impl ReviewKind for Revision {
    type Context = Drawing;
    const SUBMIT: Action = Action::ManageDrawings;
    const VIEW: Action = Action::ViewDrawings;
    const DECIDE: Action = Action::ReviewDrawings;
    const AUDITED_AS: &'static str = "drawing";
    const SUBMITTED_EVENT: &'static str = "drawing.submitted";
    const DECIDED_EVENT: &'static str = "drawing.reviewed";
    const COMMENTS_NEEDED: &'static str =
        "say what has to change (required unless the drawing is simply approved)";

    async fn load(
        s: &Services,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<Loaded<Self>> {
        let (rev, drawing, access) = s.revision_for(caller, id, action).await?;
        Ok(Loaded {
            project_id: drawing.project_id,
            subject_id: drawing.id,
            label: format!("{} rev {}", drawing.number, rev.label),
            access,
            item: rev,
            context: drawing,
        })
    }

    fn saved(&self) -> (i64, Option<String>, OffsetDateTime) {
        let at = self.decided_at.or(self.submitted_at);
        (self.version, None, at.unwrap_or(self.uploaded_at))
    }

    /// Only the drawing's current revision is reviewed.
    fn check_submit(&self, drawing: &Drawing) -> AppResult<()> {
        if drawing.current.as_ref().is_some_and(|c| c.id != self.id) {
            return Err(AppError::Conflict {
                code: "superseded",
                message: format!(
                    "revision {} has been superseded by a newer upload; submit the current revision",
                    self.label
                ),
                fields: FieldErrors::new(),
            });
        }
        Ok(())
    }

    async fn save(
        s: &Services,
        next: &Self,
        expected_version: i64,
        decided: Option<&Review>,
        audit: &AuditEntry,
    ) -> AppResult<Self> {
        s.store
            .set_revision_status(next, expected_version, decided, audit)
            .await
    }
}
