//! The workshop (docs/workshop.md): the company's and each project's stages, moving
//! quantities of released items through them (the production ledger), undoing a move, and
//! QA checks with photos and rework. The ledger rules live in `formula_domain::workshop`;
//! the store checks them again in the transaction that adds each row, with the item's row
//! locked.
//!
//! A project's stages are copied from the company's list (or the built-in defaults) the
//! first time its workshop is touched: an item released, a move, a QA check, its stages
//! looked at or changed. [`Services::ensure_workshop_stages`] does it, idempotently, for
//! any module that needs them.

use formula_domain::attachment::{OwnerKind, Purpose};
use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::comment::RecordKind;
use formula_domain::errors::{FieldErrors, optional_text};
use formula_domain::files::check_attachment_file;
use formula_domain::notification::Event;
use formula_domain::project::ProjectRole;
use formula_domain::scope::{Quantity, ScopeItem};
use formula_domain::workshop::{
    ItemPositions, MoveKind, NOTE_MAX, NewMove, NewQaCheck, QaCheck, QaResult, Stage, StageInput,
    StageKind, WorkshopMove, check_stage_list, default_stages, previous,
};
use formula_domain::workshop_due::Due;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::attachments::{Checked, Owner};
use crate::context::Caller;
use crate::drawings::Upload;
use crate::error::{AppError, AppResult};
use crate::idempotency::{Fingerprint, IdempotencyKey, Once};
use crate::notifications::Happening;
use crate::repos::{RecordKey, ReworkCount};
use crate::services::{Services, audit, ensure};
use crate::workshop_due::ItemDue;

/// The live-update kind of a move, an undo or a QA check (its id is the scope item's).
pub const WORKSHOP_MOVED: &str = "workshop.moved";
/// The live-update kind of a change of a project's stages (its id is the project's).
pub const WORKSHOP_STAGES_CHANGED: &str = "workshop.stages";
/// Most photos with one QA check.
pub const QA_PHOTOS_MAX: usize = 10;

/// A list of stages to save.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageListInput {
    /// In order: exactly one `packed` stage, the last; at most one `qa` stage. An empty list
    /// (company list only) goes back to the built-in defaults.
    pub stages: Vec<StageInput>,
}

/// The company's list of stages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyStages {
    pub stages: Vec<StageInput>,
    /// The list is the built-in defaults (nobody changed it).
    pub is_default: bool,
}

/// A project's stages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectStages {
    /// The stages in order, archived ones last.
    pub stages: Vec<Stage>,
    /// Whether the caller may change them.
    pub can_manage: bool,
}

/// "N more through stage X".
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// A released scope item of the project.
    pub scope_item_id: Uuid,
    /// The stage the quantity goes through (from the stage before it, or from "released,
    /// not started" for the first). The QA stage is passed by a QA check, not a move.
    pub stage_id: Uuid,
    /// More than 0, at most what is at the stage before.
    pub quantity: Quantity,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Why a move is undone.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UndoInput {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A QA check of a quantity waiting at the QA stage.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QaInput {
    pub scope_item_id: Uuid,
    /// More than 0, at most what waits for QA (is through the stage before it).
    pub quantity: Quantity,
    pub result: QaResult,
    /// A fail: the stage to go back to (one before QA); the quantity returns to before it
    /// and goes through it again.
    #[serde(default)]
    pub rework_stage_id: Option<Uuid>,
    /// A fail: what is wrong (required).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

/// A move recorded, with where the item stands now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Moved {
    #[serde(rename = "move")]
    pub moved: WorkshopMove,
    pub positions: ItemPositions,
}

/// A QA check recorded, with where the item stands now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QaRecorded {
    pub check: QaCheck,
    pub positions: ItemPositions,
}

/// An item's workshop: where its quantities are, its moves and QA checks.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemWorkshop {
    pub stages: Vec<Stage>,
    pub positions: ItemPositions,
    /// Oldest first.
    pub moves: Vec<WorkshopMove>,
    /// Oldest first, with their photos.
    pub qa_checks: Vec<QaCheck>,
    pub rework: ReworkCount,
    /// The day it must be packed by: its installation date less 5 working days
    /// (docs/workshop.md, "Late in the workshop").
    pub packed_by: Option<Date>,
    /// Past its packed-by date today with less than its released quantity packed.
    pub late: bool,
    pub can_move: bool,
    pub can_run_qa: bool,
}

/// What is written in the audit trail about a move.
#[derive(Serialize)]
struct MoveSnapshot<'a> {
    item: &'a str,
    from: String,
    to: String,
    quantity: Quantity,
    kind: &'a str,
    note: &'a Option<String>,
}

fn stage_name(stages: &[Stage], id: Option<Uuid>) -> String {
    match id {
        None => "released, not started".into(),
        Some(id) => stages
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone()),
    }
}

fn snapshot_changes(s: &MoveSnapshot<'_>) -> Vec<formula_domain::audit::FieldChange> {
    crate::services::created(s)
}

impl Services {
    /// The company's list: its stages, or the built-in defaults while it is empty.
    async fn company_template(&self) -> AppResult<(Vec<StageInput>, bool)> {
        let rows = self.store.list_stage_templates().await?;
        if rows.is_empty() {
            return Ok((default_stages(), true));
        }
        Ok((
            rows.into_iter()
                .map(|t| StageInput {
                    key: t.key,
                    name: t.name,
                    kind: t.kind,
                })
                .collect(),
            false,
        ))
    }

    /// The company's list of stages (administrators).
    pub async fn company_stages(&self, caller: &Caller) -> AppResult<CompanyStages> {
        ensure(caller, Action::ManageWorkshopStages, &Resource::Global)?;
        let (stages, is_default) = self.company_template().await?;
        Ok(CompanyStages { stages, is_default })
    }

    /// Replaces the company's list (administrators); an empty list goes back to the
    /// defaults. Projects already started keep their own lists.
    pub async fn replace_company_stages(
        &self,
        caller: &Caller,
        input: StageListInput,
    ) -> AppResult<CompanyStages> {
        ensure(caller, Action::ManageWorkshopStages, &Resource::Global)?;
        let mut stages = input.stages;
        if !stages.is_empty() {
            check_stage_list(&mut stages)?;
        }
        let (old, _) = self.company_template().await?;
        let a = audit(
            caller,
            "update",
            "workshop_stages",
            Uuid::nil(),
            "Company workshop stages",
            vec![formula_domain::audit::FieldChange {
                field: "stages".into(),
                old: serde_json::to_value(&old).unwrap_or_default(),
                new: serde_json::to_value(if stages.is_empty() {
                    default_stages()
                } else {
                    stages.clone()
                })
                .unwrap_or_default(),
            }],
        );
        self.store
            .replace_stage_templates(&stages, self.now(), &a)
            .await?;
        let (stages, is_default) = self.company_template().await?;
        Ok(CompanyStages { stages, is_default })
    }

    /// The project's stages, copied from the company's list (or the defaults) if the
    /// project has none yet. Idempotent and safe to call at once from several requests;
    /// for use cases that need the stages (release, delivery, progress).
    pub async fn ensure_workshop_stages(&self, project_id: Uuid) -> AppResult<Vec<Stage>> {
        let existing = self.store.list_project_stages(project_id).await?;
        if !existing.is_empty() {
            return Ok(existing);
        }
        let (template, _) = self.company_template().await?;
        self.store
            .ensure_project_stages(project_id, &template, self.now())
            .await
    }

    /// A project's stages (whoever sees its workshop).
    pub async fn project_stages(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<ProjectStages> {
        let (_, access) = self
            .scope_project(caller, project_id, Action::ViewWorkshop)
            .await?;
        let mut stages = self.ensure_workshop_stages(project_id).await?;
        stages.sort_by_key(|s| (s.archived, s.position));
        Ok(ProjectStages {
            stages,
            can_manage: self.may(caller, Action::ManageWorkshopStages, access),
        })
    }

    /// Changes a project's stages (its manager): matched by key; a stage taken off the list
    /// is archived if it was used, refused while it holds quantities.
    pub async fn replace_project_stages(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: StageListInput,
    ) -> AppResult<ProjectStages> {
        let (project, access) = self
            .scope_project(caller, project_id, Action::ManageWorkshopStages)
            .await?;
        let mut stages = input.stages;
        check_stage_list(&mut stages)?;
        let old = self.ensure_workshop_stages(project_id).await?;
        let old_list: Vec<StageInput> = formula_domain::workshop::active(&old)
            .into_iter()
            .map(|s| StageInput {
                key: s.key.clone(),
                name: s.name.clone(),
                kind: s.kind,
            })
            .collect();
        let a = audit(
            caller,
            "update",
            "workshop_stages",
            project_id,
            &format!("{} workshop stages", project.code),
            vec![formula_domain::audit::FieldChange {
                field: "stages".into(),
                old: serde_json::to_value(&old_list).unwrap_or_default(),
                new: serde_json::to_value(&stages).unwrap_or_default(),
            }],
        )
        .in_project(project_id);
        let mut saved = self
            .store
            .replace_project_stages(project_id, &stages, self.now(), &a)
            .await?;
        saved.sort_by_key(|s| (s.archived, s.position));
        self.changed(
            caller,
            WORKSHOP_STAGES_CHANGED,
            project_id,
            project_id,
            None,
        )
        .await;
        Ok(ProjectStages {
            stages: saved,
            can_manage: self.may(caller, Action::ManageWorkshopStages, access),
        })
    }

    /// A released item of the project the caller may do `action` in.
    async fn workshop_item(
        &self,
        caller: &Caller,
        project_id: Uuid,
        item_id: Uuid,
        action: Action,
    ) -> AppResult<(ScopeItem, ProjectAccess)> {
        let (_, access) = self.scope_project(caller, project_id, action).await?;
        let item = self
            .store
            .get_scope_item(item_id)
            .await?
            .filter(|i| i.project_id == project_id);
        let Some(item) = item else {
            return Err(AppError::field(
                "scope_item_id",
                "must be one of this project's scope items",
            ));
        };
        Ok((item, access))
    }

    /// Records "`quantity` more of an item through a stage": a ledger row from the stage
    /// before it (or "released, not started") to it. Refused (409) beyond what is at the
    /// stage before, for an item not released, or through the QA stage (a QA check does
    /// that).
    pub async fn move_workshop(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: MoveInput,
    ) -> AppResult<Moved> {
        let (item, _) = self
            .workshop_item(
                caller,
                project_id,
                input.scope_item_id,
                Action::MoveProduction,
            )
            .await?;
        let mut errors = FieldErrors::new();
        if input.quantity.0 <= 0 {
            errors.add("quantity", "must be more than 0");
        }
        let note = optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX);
        let stages = self.ensure_workshop_stages(project_id).await?;
        let stage = stages
            .iter()
            .find(|s| s.id == input.stage_id && !s.archived);
        match stage {
            None => errors.add("stage_id", "must be one of the project's workshop stages"),
            Some(s) if s.kind == StageKind::Qa => errors.add(
                "stage_id",
                "the QA stage is passed by a QA check (pass or fail), not a move",
            ),
            Some(_) => {}
        }
        errors.into_result()?;
        let from = previous(&stages, input.stage_id)
            .ok_or_else(|| AppError::field("stage_id", "must be one of the project's stages"))?;
        let new = NewMove {
            id: formula_domain::new_id(),
            project_id,
            scope_item_id: item.id,
            from_stage_id: from,
            to_stage_id: Some(input.stage_id),
            quantity: input.quantity,
            kind: MoveKind::Forward,
            qa_check_id: None,
            reverses_id: None,
            note,
            moved_by: Some(caller.actor.user_id),
            moved_at: self.now(),
        };
        self.write_move(caller, &item, &stages, new, None, "move")
            .await
    }

    /// Writes a ledger row (and its QA check), audits and announces it.
    async fn write_move(
        &self,
        caller: &Caller,
        item: &ScopeItem,
        stages: &[Stage],
        new: NewMove,
        qa: Option<&NewQaCheck>,
        action: &str,
    ) -> AppResult<Moved> {
        let a = audit(
            caller,
            action,
            "workshop_move",
            new.id,
            &item.code,
            snapshot_changes(&MoveSnapshot {
                item: &item.code,
                from: stage_name(stages, new.from_stage_id),
                to: stage_name(stages, new.to_stage_id),
                quantity: new.quantity,
                kind: new.kind.as_str(),
                note: &new.note,
            }),
        )
        .in_project(item.project_id);
        let positions = self.store.record_workshop_move(&new, qa, &a).await?;
        self.changed(caller, WORKSHOP_MOVED, item.project_id, item.id, None)
            .await;
        let moved = self
            .store
            .get_workshop_move(new.id)
            .await?
            .ok_or(AppError::NotFound("workshop move"))?;
        Ok(Moved { moved, positions })
    }

    /// A ledger row the caller may do `action` with.
    async fn workshop_move_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<WorkshopMove> {
        let m = self
            .store
            .get_workshop_move(id)
            .await?
            .ok_or(AppError::NotFound("workshop move"))?;
        self.scope_project(caller, m.project_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("workshop move"),
                other => other,
            })?;
        Ok(m)
    }

    /// One ledger row.
    pub async fn get_workshop_move(&self, caller: &Caller, id: Uuid) -> AppResult<WorkshopMove> {
        self.workshop_move_for(caller, id, Action::ViewWorkshop)
            .await
    }

    /// Undoes a move made by mistake: a row that moves the same quantity back (once; an
    /// undo is not undone, and a QA check's row is not undone: record another check).
    /// Refused when what it reached has moved on (or was dispatched from packed).
    pub async fn undo_workshop_move(
        &self,
        caller: &Caller,
        id: Uuid,
        input: UndoInput,
    ) -> AppResult<Moved> {
        let m = self
            .workshop_move_for(caller, id, Action::MoveProduction)
            .await?;
        let mut errors = FieldErrors::new();
        let note = optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX);
        errors.into_result()?;
        let conflict = |code: &'static str, message: &str| {
            let mut fields = FieldErrors::new();
            fields.add("quantity", message);
            AppError::Conflict {
                code,
                message: message.to_owned(),
                fields,
            }
        };
        if m.kind != MoveKind::Forward || m.qa_check_id.is_some() {
            return Err(conflict(
                "not_undoable",
                "only a move through a stage is undone (an undo or a QA check is not; record another move or check)",
            ));
        }
        if m.reversed_by_id.is_some() {
            return Err(conflict("already_undone", "this move was undone already"));
        }
        let item = self
            .store
            .get_scope_item(m.scope_item_id)
            .await?
            .ok_or(AppError::NotFound("scope item"))?;
        let stages = self.ensure_workshop_stages(m.project_id).await?;
        let new = NewMove {
            id: formula_domain::new_id(),
            project_id: m.project_id,
            scope_item_id: m.scope_item_id,
            from_stage_id: m.to_stage_id,
            to_stage_id: m.from_stage_id,
            quantity: m.quantity,
            kind: MoveKind::Undo,
            qa_check_id: None,
            reverses_id: Some(m.id),
            note,
            moved_by: Some(caller.actor.user_id),
            moved_at: self.now(),
        };
        self.write_move(caller, &item, &stages, new, None, "undo")
            .await
    }

    /// Records a QA check at the QA stage: a pass moves the quantity through QA; a fail
    /// (notes required) sends it back to before the chosen stage (rework, counted), with
    /// photos, and tells the project's managers and coordinators and the item's followers.
    pub async fn record_qa_check(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: QaInput,
        photos: &[Upload],
    ) -> AppResult<QaRecorded> {
        let (item, access) = self
            .workshop_item(caller, project_id, input.scope_item_id, Action::RunQa)
            .await?;
        let mut errors = FieldErrors::new();
        if input.quantity.0 <= 0 {
            errors.add("quantity", "must be more than 0");
        }
        let notes = optional_text(&mut errors, "notes", input.notes.as_deref(), NOTE_MAX);
        let stages = self.ensure_workshop_stages(project_id).await?;
        let qa_stage = formula_domain::workshop::active(&stages)
            .into_iter()
            .find(|s| s.kind == StageKind::Qa)
            .cloned();
        let Some(qa_stage) = qa_stage else {
            return Err(AppError::Conflict {
                code: "no_qa_stage",
                message: "this project's workshop has no QA stage".into(),
                fields: FieldErrors::new(),
            });
        };
        let before_qa = previous(&stages, qa_stage.id).flatten();
        let mut rework_to: Option<Option<Uuid>> = None;
        match input.result {
            QaResult::Pass => {
                if input.rework_stage_id.is_some() {
                    errors.add("rework_stage_id", "is only for a failed check");
                }
            }
            QaResult::Fail => {
                if notes.is_none() {
                    errors.add("notes", "say what is wrong");
                }
                match input.rework_stage_id {
                    None => errors.add("rework_stage_id", "choose the stage to go back to"),
                    Some(id) => {
                        let s = stages.iter().find(|s| s.id == id && !s.archived);
                        match s {
                            Some(s) if s.position < qa_stage.position => {
                                rework_to = Some(previous(&stages, id).flatten());
                            }
                            _ => errors.add(
                                "rework_stage_id",
                                "must be one of the project's stages before QA",
                            ),
                        }
                    }
                }
            }
        }
        let checked: Vec<Checked> = photos
            .iter()
            .map(|upload| {
                let mut file_errors = FieldErrors::new();
                let (name, mime) = upload.check(&mut file_errors, check_attachment_file);
                for e in file_errors.0 {
                    errors.add("photos", e.message);
                }
                if !mime.is_empty() && !formula_domain::attachment::makes_copies(mime) {
                    errors.add("photos", "must be photos: JPEG or PNG images");
                }
                Checked { name, mime }
            })
            .collect();
        if photos.len() > QA_PHOTOS_MAX {
            errors.add("photos", format!("at most {QA_PHOTOS_MAX} photos"));
        }
        errors.into_result()?;
        let now = self.now();
        let qa = NewQaCheck {
            id: formula_domain::new_id(),
            project_id,
            scope_item_id: item.id,
            stage_id: qa_stage.id,
            quantity: input.quantity,
            result: input.result,
            rework_stage_id: input
                .rework_stage_id
                .filter(|_| input.result == QaResult::Fail),
            notes: notes.clone(),
            checked_by: Some(caller.actor.user_id),
            checked_at: now,
        };
        let new = NewMove {
            id: formula_domain::new_id(),
            project_id,
            scope_item_id: item.id,
            from_stage_id: before_qa,
            to_stage_id: match rework_to {
                Some(to) => to,
                None => Some(qa_stage.id),
            },
            quantity: input.quantity,
            kind: if input.result == QaResult::Pass {
                MoveKind::Forward
            } else {
                MoveKind::Rework
            },
            qa_check_id: Some(qa.id),
            reverses_id: None,
            note: notes.clone(),
            moved_by: Some(caller.actor.user_id),
            moved_at: now,
        };
        // A rework that goes back to "released, not started" from before a first-stage QA
        // would be a row from nowhere to nowhere; the list rules keep a stage before QA.
        if new.from_stage_id.is_none() && new.to_stage_id.is_none() {
            return Err(AppError::field(
                "rework_stage_id",
                "choose a stage before QA that has work before it",
            ));
        }
        // The photos are kept first (they belong to the check about to be made); a refused
        // check takes them away again.
        let owner = Owner {
            project_id,
            label: format!("{} QA", item.code),
            comment: None,
        };
        let mut stored = Vec::new();
        for (upload, file) in photos.iter().zip(checked) {
            let kept = self
                .store_attachment(
                    caller,
                    &owner,
                    (OwnerKind::QaCheck, qa.id),
                    Some(Purpose::Photo),
                    None,
                    upload,
                    file,
                )
                .await;
            match kept {
                Ok((a, _)) => stored.push(a),
                Err(e) => {
                    self.drop_qa_photos(caller, &item, qa.id, &stored).await;
                    return Err(e);
                }
            }
        }
        let action = match input.result {
            QaResult::Pass => "qa_pass",
            QaResult::Fail => "qa_fail",
        };
        let moved = match self
            .write_move(caller, &item, &stages, new, Some(&qa), action)
            .await
        {
            Ok(m) => m,
            Err(e) => {
                self.drop_qa_photos(caller, &item, qa.id, &stored).await;
                return Err(e);
            }
        };
        let mut check = self
            .store
            .get_qa_check(qa.id)
            .await?
            .ok_or(AppError::NotFound("QA check"))?;
        check.photos = stored;
        if input.result == QaResult::Fail {
            self.tell_qa_failed(caller, &item, &check, access).await;
        }
        Ok(QaRecorded {
            check,
            positions: moved.positions,
        })
    }

    async fn drop_qa_photos(
        &self,
        caller: &Caller,
        item: &ScopeItem,
        qa_id: Uuid,
        stored: &[formula_domain::attachment::Attachment],
    ) {
        for p in stored {
            let detach = audit(caller, "detach", "qa_check", qa_id, &item.code, Vec::new())
                .in_project(item.project_id);
            if let Err(e) = self.store.delete_attachment(p.id, &detach).await {
                tracing::warn!(error = %e, "could not remove the photo of a refused QA check");
            }
        }
        if !stored.is_empty() {
            self.remove_deleted_files().await;
        }
    }

    /// A failed QA check: the project's managers and coordinators, and the item's
    /// followers, hear of it (never a client user).
    async fn tell_qa_failed(
        &self,
        caller: &Caller,
        item: &ScopeItem,
        check: &QaCheck,
        access: ProjectAccess,
    ) {
        let people = match self.store.project_people(item.project_id).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(item = %item.id, error = %e, "could not find whom to tell of a QA failure");
                return;
            }
        };
        let record = RecordKey {
            kind: RecordKind::ScopeItem,
            id: item.id,
            project_id: item.project_id,
        };
        let mut h = Happening::new(
            Event::QaFailed,
            record,
            access.client_id,
            format!(
                "QA failed {} of {} {}: back to {}",
                check.quantity,
                item.code,
                item.name,
                check.rework_stage_name.clone().unwrap_or_default()
            ),
        )
        .by(caller);
        h.client_sees = false;
        h.internal = true;
        h.excerpt = check.notes.clone();
        h.occurrence = check.id.to_string();
        h.parties.managers = people
            .iter()
            .filter(|p| {
                matches!(
                    p.membership,
                    Some(ProjectRole::ProjectManager | ProjectRole::Coordinator)
                )
            })
            .map(|p| p.id)
            .collect();
        self.notify(h).await;
    }

    /// One QA check with its photos.
    pub async fn get_qa_check(&self, caller: &Caller, id: Uuid) -> AppResult<QaCheck> {
        self.qa_check_for(caller, id, Action::ViewWorkshop).await
    }

    async fn qa_check_for(&self, caller: &Caller, id: Uuid, action: Action) -> AppResult<QaCheck> {
        let mut check = self
            .store
            .get_qa_check(id)
            .await?
            .ok_or(AppError::NotFound("QA check"))?;
        self.scope_project(caller, check.project_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("QA check"),
                other => other,
            })?;
        check.photos = self
            .store
            .list_attachments_of(OwnerKind::QaCheck, &[check.id])
            .await?;
        Ok(check)
    }

    /// A QA check as the owner of photos: seen by whoever sees the workshop, added by
    /// whoever runs QA.
    pub(crate) async fn qa_check_as_owner(
        &self,
        caller: &Caller,
        id: Uuid,
        manage: bool,
    ) -> AppResult<Owner> {
        let action = if manage {
            Action::RunQa
        } else {
            Action::ViewWorkshop
        };
        let check = self.qa_check_for(caller, id, action).await?;
        Ok(Owner::record(
            check.project_id,
            format!("{} QA", check.item_code),
        ))
    }

    /// An item's workshop: its quantities per position, moves and QA checks (for the scope
    /// item page and the API).
    pub async fn item_workshop(&self, caller: &Caller, item_id: Uuid) -> AppResult<ItemWorkshop> {
        let (item, access) = self
            .scope_item_for(caller, item_id, Action::ViewWorkshop)
            .await?;
        let stages = self.ensure_workshop_stages(item.project_id).await?;
        let positions = self
            .store
            .item_positions(item.id)
            .await?
            .ok_or(AppError::NotFound("scope item"))?;
        let moves = self.store.list_item_moves(item.id).await?;
        let mut qa_checks = self.store.list_item_qa_checks(item.id).await?;
        if !qa_checks.is_empty() {
            let ids: Vec<Uuid> = qa_checks.iter().map(|c| c.id).collect();
            let photos = self
                .store
                .list_attachments_of(OwnerKind::QaCheck, &ids)
                .await?;
            for c in &mut qa_checks {
                c.photos = photos
                    .iter()
                    .filter(|p| p.owner_id == c.id)
                    .cloned()
                    .collect();
            }
        }
        let rework = self
            .store
            .rework_count(item.project_id, Some(item.id), None)
            .await?;
        let due = ItemDue::of(&item, Some(&positions), self.now().date());
        Ok(ItemWorkshop {
            stages,
            positions,
            moves,
            qa_checks,
            rework,
            packed_by: due.packed_by,
            late: due.late,
            can_move: self.may(caller, Action::MoveProduction, access),
            can_run_qa: self.may(caller, Action::RunQa, access),
        })
    }

    /// An item's quantities per position (whoever sees the workshop).
    pub async fn item_positions(&self, caller: &Caller, item_id: Uuid) -> AppResult<ItemPositions> {
        let (item, _) = self
            .scope_item_for(caller, item_id, Action::ViewWorkshop)
            .await?;
        self.ensure_workshop_stages(item.project_id).await?;
        self.store
            .item_positions(item.id)
            .await?
            .ok_or(AppError::NotFound("scope item"))
    }

    /// The quantities per position of every released item of a project.
    pub async fn project_positions(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<ItemPositions>> {
        self.scope_project(caller, project_id, Action::ViewWorkshop)
            .await?;
        self.ensure_workshop_stages(project_id).await?;
        self.store.project_positions(project_id).await
    }

    /// What is packed of an item (for dispatch; no caller check: the caller's use case
    /// checked its own action).
    pub async fn packed_quantity(&self, item_id: Uuid) -> AppResult<Quantity> {
        self.store.packed_quantity(item_id).await
    }

    /// Rework counted in a project, from `since` on when given (e.g. this week).
    pub async fn project_rework(
        &self,
        caller: &Caller,
        project_id: Uuid,
        since: Option<time::OffsetDateTime>,
    ) -> AppResult<ReworkCount> {
        self.scope_project(caller, project_id, Action::ViewWorkshop)
            .await?;
        self.store.rework_count(project_id, None, since).await
    }
}

/// Filters of the workshop board.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    /// Items in a room of this level (or on a room type with rooms there).
    pub level_id: Option<Uuid>,
    /// Code or name contains this.
    pub q: Option<String>,
    /// Late, due this week, due in 2 weeks, or without an installation date (as of today).
    pub due: Option<Due>,
}

/// One item's quantity at one position of the board.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BoardCard {
    pub scope_item_id: Uuid,
    pub code: String,
    pub name: String,
    pub unit: String,
    /// The room (or room type) it is placed in.
    pub place: Option<String>,
    /// What is at this position.
    pub quantity: Quantity,
    /// The item's released quantity.
    pub released: Quantity,
    /// The day the item must be installed on site.
    pub install_on: Option<Date>,
    /// The day it must be packed by: 5 working days before (docs/workshop.md, "Late in the
    /// workshop").
    pub packed_by: Option<Date>,
    /// Past its packed-by date with less than its released quantity packed.
    pub late: bool,
}

/// A column of the board: "released, not started" or a stage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BoardColumn {
    /// `null`: released, not started.
    pub stage_id: Option<Uuid>,
    pub key: String,
    pub name: String,
    /// `null` for "not started".
    pub kind: Option<StageKind>,
    /// The stage a card here moves through next (`null` in the packed column).
    pub next_stage_id: Option<Uuid>,
    pub next_kind: Option<StageKind>,
    /// The total quantity here.
    pub total: Quantity,
    pub cards: Vec<BoardCard>,
}

/// A level to filter by.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BoardLevel {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

/// The workshop board of a project: columns by position, cards by item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkshopBoard {
    pub project_id: Uuid,
    pub project_code: String,
    pub project_name: String,
    pub columns: Vec<BoardColumn>,
    /// The stages before QA (where a failed check can send a quantity back).
    pub rework_stages: Vec<Stage>,
    pub levels: Vec<BoardLevel>,
    /// Released items on the board (after the filters).
    pub items: usize,
    /// Failed QA checks in the last 7 days and the quantity they sent back.
    pub rework_this_week: ReworkCount,
    pub can_move: bool,
    pub can_run_qa: bool,
}

impl Services {
    /// The workshop board of a project (whoever sees its workshop).
    pub async fn workshop_board(
        &self,
        caller: &Caller,
        project_id: Uuid,
        filter: BoardFilter,
    ) -> AppResult<WorkshopBoard> {
        let (project, access) = self
            .scope_project(caller, project_id, Action::ViewWorkshop)
            .await?;
        let stages = self.ensure_workshop_stages(project_id).await?;
        let positions = self.store.project_positions(project_id).await?;
        self.board_of(caller, project, access, stages, positions, &filter)
            .await
    }

    /// The board of a project the caller may see the workshop of, from its stages and
    /// positions.
    async fn board_of(
        &self,
        caller: &Caller,
        project: formula_domain::project::Project,
        access: ProjectAccess,
        stages: Vec<Stage>,
        positions: Vec<ItemPositions>,
        filter: &BoardFilter,
    ) -> AppResult<WorkshopBoard> {
        let project_id = project.id;
        let active: Vec<Stage> = formula_domain::workshop::active(&stages)
            .into_iter()
            .cloned()
            .collect();
        let items = self
            .store
            .list_scope_items(&crate::query::ScopeQuery {
                level_id: filter.level_id,
                q: filter.q.clone().filter(|q| !q.trim().is_empty()),
                ..crate::query::ScopeQuery::all(project_id)
            })
            .await?
            .items;
        let by_id: std::collections::HashMap<Uuid, &ScopeItem> =
            items.iter().map(|i| (i.id, i)).collect();
        let mut columns: Vec<BoardColumn> = Vec::with_capacity(active.len() + 1);
        columns.push(BoardColumn {
            stage_id: None,
            key: "not_started".into(),
            name: "Released, not started".into(),
            kind: None,
            next_stage_id: active.first().map(|s| s.id),
            next_kind: active.first().map(|s| s.kind),
            total: Quantity(0),
            cards: Vec::new(),
        });
        for (i, s) in active.iter().enumerate() {
            columns.push(BoardColumn {
                stage_id: Some(s.id),
                key: s.key.clone(),
                name: s.name.clone(),
                kind: Some(s.kind),
                next_stage_id: active.get(i + 1).map(|n| n.id),
                next_kind: active.get(i + 1).map(|n| n.kind),
                total: Quantity(0),
                cards: Vec::new(),
            });
        }
        let mut shown = 0;
        let today = self.now().date();
        for p in &positions {
            let Some(item) = by_id.get(&p.scope_item_id) else {
                continue;
            };
            let due = ItemDue::of(item, Some(p), today);
            if let Some(f) = filter.due
                && !f.matches(due.packed_by, today, due.released, due.packed)
            {
                continue;
            }
            shown += 1;
            for q in &p.positions {
                if q.quantity.0 == 0 {
                    continue;
                }
                let Some(col) = columns.iter_mut().find(|c| c.stage_id == q.stage_id) else {
                    continue;
                };
                col.total = Quantity(col.total.0 + q.quantity.0);
                col.cards.push(BoardCard {
                    scope_item_id: item.id,
                    code: item.code.clone(),
                    name: item.name.clone(),
                    unit: item.unit.clone(),
                    place: item
                        .placement
                        .room_code
                        .clone()
                        .or_else(|| item.placement.room_type_code.clone()),
                    quantity: q.quantity,
                    released: p.released,
                    install_on: due.install_on,
                    packed_by: due.packed_by,
                    late: due.late,
                });
            }
        }
        let qa_position = active
            .iter()
            .find(|s| s.kind == StageKind::Qa)
            .map(|s| s.position);
        let rework_stages = match qa_position {
            Some(qp) => active.iter().filter(|s| s.position < qp).cloned().collect(),
            None => Vec::new(),
        };
        let levels = self
            .store
            .list_locations(project_id)
            .await?
            .into_iter()
            .filter(|l| l.kind == formula_domain::location::LocationKind::Level)
            .map(|l| BoardLevel {
                id: l.id,
                code: l.code,
                name: l.name,
            })
            .collect();
        let week_ago = self.now() - time::Duration::days(7);
        Ok(WorkshopBoard {
            project_id,
            project_code: project.code,
            project_name: project.name,
            columns,
            rework_stages,
            levels,
            items: shown,
            rework_this_week: self
                .store
                .rework_count(project_id, None, Some(week_ago))
                .await?,
            can_move: self.may(caller, Action::MoveProduction, access),
            can_run_qa: self.may(caller, Action::RunQa, access),
        })
    }
}

/// Filters of the company-wide workshop board.
#[derive(Debug, Clone, Default)]
pub struct CompanyBoardFilter {
    /// One project only.
    pub project_id: Option<Uuid>,
    /// Items in a room of this level (a level belongs to one project).
    pub level_id: Option<Uuid>,
    /// Code or name contains this.
    pub q: Option<String>,
    /// Late, due this week, due in 2 weeks, or without an installation date (as of today).
    pub due: Option<Due>,
}

/// A card of the company-wide board: a project's card with what its project's list says
/// comes next.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyCard {
    pub project_id: Uuid,
    pub project_code: String,
    /// The position's stage in the card's project (`null`: released, not started).
    pub stage_id: Option<Uuid>,
    /// The stage of the card's project it moves through next (`null` at packed).
    pub next_stage_id: Option<Uuid>,
    pub next_key: Option<String>,
    pub next_name: Option<String>,
    pub next_kind: Option<StageKind>,
    /// Whether the caller may move it on (or run its QA check when QA is next).
    pub can_act: bool,
    #[serde(flatten)]
    pub card: BoardCard,
}

/// A column of the company-wide board: a position by stage key, over the projects.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyColumn {
    /// `not_started`, or a stage key.
    pub key: String,
    pub name: String,
    /// `null` for "not started".
    pub kind: Option<StageKind>,
    /// The total quantity here (summed whatever the units).
    pub total: Quantity,
    pub cards: Vec<CompanyCard>,
}

/// A project on the company-wide board (to filter by, and where its QA failures go back to).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyBoardProject {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// Released items of the project on the board (after the filters).
    pub items: usize,
    /// The stages before QA (where a failed check can send a quantity back).
    pub rework_stages: Vec<Stage>,
}

/// A level to filter by, with its project.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyBoardLevel {
    pub id: Uuid,
    pub project_id: Uuid,
    pub project_code: String,
    pub code: String,
    pub name: String,
}

/// The workshop of every project the caller may see the workshop of, on one board.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyBoard {
    /// Positions by stage key, in the projects' order ("not started" first).
    pub columns: Vec<CompanyColumn>,
    /// The projects whose workshop the caller may see (each with its items on the board).
    pub projects: Vec<CompanyBoardProject>,
    pub levels: Vec<CompanyBoardLevel>,
    /// Released items on the board (after the filters).
    pub items: usize,
    /// Failed QA checks in the last 7 days and the quantity they sent back, over the
    /// projects shown.
    pub rework_this_week: ReworkCount,
    /// Whether the caller may move or check any card.
    pub can_act: bool,
}

impl Services {
    /// The company-wide workshop board: the boards of every project the caller may see the
    /// workshop of (`ViewWorkshop`, checked per project; never a client user), cards merged
    /// into columns by stage key.
    pub async fn company_workshop_board(
        &self,
        caller: &Caller,
        filter: CompanyBoardFilter,
    ) -> AppResult<CompanyBoard> {
        if caller.actor.role == formula_domain::user::Role::Client {
            return Err(AppError::Forbidden);
        }
        let listed = self
            .store
            .list_projects(
                &crate::query::ProjectQuery {
                    paging: crate::query::Paging {
                        limit: 10_000,
                        offset: 0,
                    },
                    ..Default::default()
                },
                formula_domain::authz::project_scope(&caller.actor),
            )
            .await?
            .items;
        let inner = BoardFilter {
            level_id: filter.level_id,
            q: filter.q.clone(),
            due: filter.due,
        };
        let mut boards = Vec::new();
        let mut projects = Vec::new();
        let mut levels = Vec::new();
        for project in listed {
            let access = match self.access_for(caller, project.id).await {
                Ok(a) => a,
                Err(AppError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            if !self.may(caller, Action::ViewWorkshop, access) {
                continue;
            }
            let positions = self.store.project_positions(project.id).await?;
            let shown = filter.project_id.is_none_or(|p| p == project.id);
            if positions.is_empty() || !shown {
                // Nothing released (its stages are not made for a look), or filtered out.
                projects.push(CompanyBoardProject {
                    id: project.id,
                    code: project.code.clone(),
                    name: project.name.clone(),
                    items: 0,
                    rework_stages: Vec::new(),
                });
                continue;
            }
            let stages = self.ensure_workshop_stages(project.id).await?;
            let board = self
                .board_of(caller, project, access, stages, positions, &inner)
                .await?;
            projects.push(CompanyBoardProject {
                id: board.project_id,
                code: board.project_code.clone(),
                name: board.project_name.clone(),
                items: board.items,
                rework_stages: board.rework_stages.clone(),
            });
            levels.extend(board.levels.iter().map(|l| CompanyBoardLevel {
                id: l.id,
                project_id: board.project_id,
                project_code: board.project_code.clone(),
                code: l.code.clone(),
                name: l.name.clone(),
            }));
            boards.push(board);
        }
        projects.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(merge_boards(boards, projects, levels))
    }
}

/// One card of a board with what can be done with it: the page a card's button opens
/// without JavaScript (with it, the board's shared dialog does the same).
#[derive(Debug, Clone, Serialize)]
pub struct CardChoice {
    pub project_id: Uuid,
    pub project_code: String,
    pub scope_item_id: Uuid,
    pub code: String,
    pub name: String,
    pub unit: String,
    /// The position (`None`: released, not started) and its name.
    pub stage_id: Option<Uuid>,
    pub at_name: String,
    /// What is there.
    pub quantity: Quantity,
    /// The stage it moves through next, its name and kind (`None` at packed).
    pub next_stage_id: Option<Uuid>,
    pub next_name: Option<String>,
    pub next_kind: Option<StageKind>,
    /// The stages before QA (where a failed check can send a quantity back).
    pub rework_stages: Vec<Stage>,
    pub can_move: bool,
    pub can_run_qa: bool,
}

impl Services {
    /// An item's card at one position (`at`: a stage, or `None` for "not started").
    pub async fn workshop_card(
        &self,
        caller: &Caller,
        project_id: Uuid,
        item_id: Uuid,
        at: Option<Uuid>,
    ) -> AppResult<CardChoice> {
        let (project, access) = self
            .scope_project(caller, project_id, Action::ViewWorkshop)
            .await?;
        let (item, _) = self
            .scope_item_for(caller, item_id, Action::ViewWorkshop)
            .await?;
        if item.project_id != project_id {
            return Err(AppError::NotFound("scope item"));
        }
        let stages = self.ensure_workshop_stages(project_id).await?;
        let active = formula_domain::workshop::active(&stages);
        let index = match at {
            None => 0,
            Some(id) => match active.iter().position(|s| s.id == id) {
                Some(i) => i + 1,
                None => return Err(AppError::field("at", "is not a stage of this project")),
            },
        };
        let positions = self
            .store
            .item_positions(item.id)
            .await?
            .ok_or(AppError::NotFound("scope item"))?;
        let quantity = positions
            .positions
            .iter()
            .find(|p| p.stage_id == at)
            .map_or(Quantity(0), |p| p.quantity);
        let next = active.get(index);
        let rework_stages = match active.iter().find(|s| s.kind == StageKind::Qa) {
            Some(qa) => active
                .iter()
                .filter(|s| s.position < qa.position)
                .map(|s| (*s).clone())
                .collect(),
            None => Vec::new(),
        };
        Ok(CardChoice {
            project_id,
            project_code: project.code,
            scope_item_id: item.id,
            code: item.code,
            name: item.name,
            unit: item.unit,
            stage_id: at,
            at_name: stage_name(&stages, at),
            quantity,
            next_stage_id: next.map(|s| s.id),
            next_name: next.map(|s| s.name.clone()),
            next_kind: next.map(|s| s.kind),
            rework_stages,
            can_move: self.may(caller, Action::MoveProduction, access),
            can_run_qa: self.may(caller, Action::RunQa, access),
        })
    }
}

/// The company-wide board from the projects' boards: a column per stage key, in the order
/// the projects' lists give (a key one project has and others not goes after the key before
/// it in that project's list).
fn merge_boards(
    boards: Vec<WorkshopBoard>,
    projects: Vec<CompanyBoardProject>,
    levels: Vec<CompanyBoardLevel>,
) -> CompanyBoard {
    let mut columns: Vec<CompanyColumn> = vec![CompanyColumn {
        key: "not_started".into(),
        name: "Released, not started".into(),
        kind: None,
        total: Quantity(0),
        cards: Vec::new(),
    }];
    let mut rework = ReworkCount::default();
    let mut items = 0;
    let mut can_act = false;
    for board in boards {
        items += board.items;
        rework.failures += board.rework_this_week.failures;
        rework.quantity = Quantity(rework.quantity.0 + board.rework_this_week.quantity.0);
        let named: Vec<(Option<Uuid>, String, String)> = board
            .columns
            .iter()
            .map(|c| (c.stage_id, c.key.clone(), c.name.clone()))
            .collect();
        let mut after = 0;
        for col in board.columns {
            let at = match columns.iter().position(|c| c.key == col.key) {
                Some(i) => i,
                None => {
                    columns.insert(
                        after + 1,
                        CompanyColumn {
                            key: col.key.clone(),
                            name: col.name.clone(),
                            kind: col.kind,
                            total: Quantity(0),
                            cards: Vec::new(),
                        },
                    );
                    after + 1
                }
            };
            after = at;
            let next_key = named
                .iter()
                .find(|c| c.0.is_some() && c.0 == col.next_stage_id)
                .map(|c| (c.1.clone(), c.2.clone()));
            let act = match col.next_kind {
                None => false,
                Some(StageKind::Qa) => board.can_run_qa,
                Some(_) => board.can_move,
            };
            can_act |= act && !col.cards.is_empty();
            let target = &mut columns[at];
            target.total = Quantity(target.total.0 + col.total.0);
            target
                .cards
                .extend(col.cards.into_iter().map(|card| CompanyCard {
                    project_id: board.project_id,
                    project_code: board.project_code.clone(),
                    stage_id: col.stage_id,
                    next_stage_id: col.next_stage_id,
                    next_key: next_key.as_ref().map(|k| k.0.clone()),
                    next_name: next_key.as_ref().map(|k| k.1.clone()),
                    next_kind: col.next_kind,
                    can_act: act,
                    card,
                }));
        }
    }
    CompanyBoard {
        columns,
        projects,
        levels,
        items,
        rework_this_week: rework,
        can_act,
    }
}

/// Retry-safe moves and QA checks: with an idempotency key (the API's `Idempotency-Key`
/// header), a retry after a lost answer moves nothing and answers with what the first
/// request recorded (`.1` is then `false`). See [`crate::idempotency`].
impl Services {
    /// [`Services::move_workshop`], at most once per key.
    pub async fn move_workshop_once(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: MoveInput,
        key: Option<&IdempotencyKey>,
    ) -> AppResult<(Moved, bool)> {
        self.scope_project(caller, project_id, Action::MoveProduction)
            .await?;
        let request = Fingerprint::new("workshop_move")
            .part(project_id.as_bytes())
            .part(input.scope_item_id.as_bytes())
            .part(input.stage_id.as_bytes())
            .part(input.quantity.to_string())
            .opt(input.note.as_deref());
        let once = self
            .once(
                caller,
                key,
                "workshop_move",
                request,
                |m: &Moved| m.moved.id,
                || self.move_workshop(caller, project_id, input),
            )
            .await?;
        match once {
            Once::New(m) => Ok((m, true)),
            Once::Earlier(id) => {
                let moved = self.get_workshop_move(caller, id).await?;
                let positions = self.item_positions(caller, moved.scope_item_id).await?;
                Ok((Moved { moved, positions }, false))
            }
        }
    }

    /// [`Services::record_qa_check`], at most once per key.
    pub async fn record_qa_check_once(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: QaInput,
        photos: &[Upload],
        key: Option<&IdempotencyKey>,
    ) -> AppResult<(QaRecorded, bool)> {
        self.scope_project(caller, project_id, Action::RunQa)
            .await?;
        let mut request = Fingerprint::new("qa_check")
            .part(project_id.as_bytes())
            .part(input.scope_item_id.as_bytes())
            .part(input.quantity.to_string())
            .part(input.result.as_str())
            .opt(input.rework_stage_id.map(|s| s.to_string()))
            .opt(input.notes.as_deref());
        for p in photos {
            request = request.part(format!("{}:{}", p.name, p.sha256));
        }
        let once = self
            .once(
                caller,
                key,
                "qa_check",
                request,
                |r: &QaRecorded| r.check.id,
                || self.record_qa_check(caller, project_id, input, photos),
            )
            .await?;
        match once {
            Once::New(r) => Ok((r, true)),
            Once::Earlier(id) => {
                let check = self.get_qa_check(caller, id).await?;
                let positions = self.item_positions(caller, check.scope_item_id).await?;
                Ok((QaRecorded { check, positions }, false))
            }
        }
    }
}
