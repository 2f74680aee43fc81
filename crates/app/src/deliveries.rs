//! Delivery notes: planning what goes to site (per project, `DN-001`…), dispatching it
//! against what the workshop packed, receiving it on site on a phone (per line, signed by a
//! typed name, with photos; safe to retry), and the note's PDF, kept as an attachment of the
//! note once signed. The rules live in `formula_domain::delivery`; the store checks them
//! again in the writing transaction, with the rows locked. What was received on site is what
//! may be installed (`formula_domain::installation::installable`).
//!
//! Client users see none of it (they follow on the room matrix): to them a note does not
//! exist.

use formula_domain::attachment::{Attachment, OwnerKind, Purpose};
use formula_domain::audit::FieldChange;
use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::comment::RecordKind;
use formula_domain::company::CompanySettings;
use formula_domain::delivery::{
    ADDRESS_MAX, DRIVER_MAX, DeliveryNote, DeliveryStatus, DeliverySummary, LINE_NOTE_MAX,
    LINES_MAX, NOTES_MAX, NewLine, NewReceipt, NoteDetails, PackedItem, REASON_MAX,
    SIGNED_NAME_MAX, VEHICLE_MAX,
};
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::files::FileInfo;
use formula_domain::location::LocationKind;
use formula_domain::notification::Event;
use formula_domain::project::{Project, ProjectRole};
use formula_domain::scope::Quantity;
use formula_domain::user::Role;
use serde::Deserialize;
use sha2::Digest;
use time::Date;
use uuid::Uuid;

use crate::attachments::Owner;
use crate::context::Caller;
use crate::drawings::Upload;
use crate::error::{AppError, AppResult};
use crate::idempotency::{Fingerprint, IdempotencyKey, Once};
use crate::notifications::Happening;
use crate::receiving;
use crate::repos::RecordKey;
use crate::services::{Services, audit, check_version, ensure};

/// The live-update kind of every change to a delivery note (its id is the note's).
pub const DELIVERY_CHANGED: &str = "delivery_note.changed";
const PDF_MIME: &str = "application/pdf";

/// Lays a delivery note out as a PDF (`formula-reports`, passed in by the web layer).
pub type DeliveryRenderer = fn(&DeliveryDocument) -> Result<Vec<u8>, String>;

/// Everything the note's PDF prints.
#[derive(Debug, Clone)]
pub struct DeliveryDocument {
    pub project: Project,
    pub note: DeliveryNote,
    pub company: CompanySettings,
    pub logo: Option<Vec<u8>>,
    pub today: Date,
}

impl DeliveryDocument {
    /// `FPM-26-001-DN-003.pdf`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.pdf", self.project.code, self.note.code)
    }
}

/// A line of a note to plan.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryLineInput {
    /// A scope item of the project.
    pub scope_item_id: Uuid,
    /// More than 0 (a decimal string).
    pub quantity: Quantity,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// A note to plan, or the whole of a planned note to save.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryNoteInput {
    /// A building, level or zone of the project.
    #[serde(default)]
    pub destination_id: Option<Uuid>,
    /// Where to (default, when planning: the project's site address).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[serde(default)]
    pub planned_on: Option<Date>,
    #[serde(default)]
    #[schema(max_length = 120)]
    pub vehicle: Option<String>,
    #[serde(default)]
    #[schema(max_length = 120)]
    pub driver: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    /// Its lines (at most 200), each item at most once.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub lines: Vec<DeliveryLineInput>,
    /// The version it was read at (or `If-Match`), when saving a planned note.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A dispatch or a cancellation: the version it starts from; a cancellation's reason.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryMoveInput {
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// One line received.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryReceiptLineInput {
    /// A line of the note.
    pub line_id: Uuid,
    /// Received now: more than 0, at most what is still to come on the line.
    pub quantity: Quantity,
}

/// What arrived on site.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryReceiptInput {
    /// The day it arrived (default today); not in the future, nor before 2000.
    #[serde(default)]
    pub received_on: Option<Date>,
    /// The receiver's name, typed as the signature.
    #[schema(min_length = 1, max_length = 120)]
    pub signed_name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// The lines received (at least one; each line at most once).
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<DeliveryReceiptLineInput>,
}

/// What the caller may do with a note (for showing buttons).
#[derive(Debug, Clone, Copy, Default, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryAbilities {
    pub edit: bool,
    pub dispatch: bool,
    pub cancel: bool,
    pub receive: bool,
}

/// A note with what the caller may do with it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryNotePage {
    pub note: DeliveryNote,
    pub abilities: DeliveryAbilities,
    /// The signed PDF kept on receipt, if any (the latest).
    pub signed_pdf: Option<Attachment>,
}

fn not_found_as_note(e: AppError) -> AppError {
    match e {
        AppError::NotFound(_) | AppError::Forbidden => AppError::NotFound("delivery note"),
        other => other,
    }
}

fn text_change(field: &str, old: Option<String>, new: Option<String>) -> FieldChange {
    let v = |s: Option<String>| s.map_or(serde_json::Value::Null, serde_json::Value::String);
    FieldChange {
        field: field.into(),
        old: v(old),
        new: v(new),
    }
}

impl Services {
    /// A note of a project whose deliveries the caller may see, checked for `action` too.
    /// Anyone who may not see the project's deliveries (a client user above all) is told it
    /// does not exist; one who sees it but may not do `action` is refused.
    pub(crate) async fn delivery_note_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(DeliveryNote, Project, ProjectAccess)> {
        let not_found = || AppError::NotFound("delivery note");
        if caller.actor.role == Role::Client {
            return Err(not_found());
        }
        let note = self
            .store
            .get_delivery_note(id)
            .await?
            .ok_or_else(not_found)?;
        let (project, access) = self
            .scope_project(caller, note.project_id, Action::ViewDeliveries)
            .await
            .map_err(not_found_as_note)?;
        ensure(caller, action, &Resource::Project(access))?;
        Ok((note, project, access))
    }

    /// A note with its receipts' photos.
    async fn note_with_photos(&self, mut note: DeliveryNote) -> AppResult<DeliveryNote> {
        self.fill_receipt_photos(OwnerKind::DeliveryReceipt, &mut note.receipts, |r| {
            (r.id, &mut r.photos)
        })
        .await?;
        Ok(note)
    }

    fn delivery_abilities(
        &self,
        caller: &Caller,
        note: &DeliveryNote,
        access: ProjectAccess,
    ) -> DeliveryAbilities {
        let manage = self.may(caller, Action::ManageDeliveries, access);
        let planned = note.status == DeliveryStatus::Planned;
        DeliveryAbilities {
            edit: manage && planned,
            dispatch: manage && planned && !note.lines.is_empty(),
            cancel: manage && planned,
            receive: note.status.receivable()
                && self.may(caller, Action::ReceiveDeliveries, access),
        }
    }

    /// One note, its lines and receipts (with photos).
    pub async fn get_delivery_note(&self, caller: &Caller, id: Uuid) -> AppResult<DeliveryNote> {
        let (note, _, _) = self
            .delivery_note_for(caller, id, Action::ViewDeliveries)
            .await?;
        self.note_with_photos(note).await
    }

    /// A note with what the caller may do with it, and its signed PDF.
    pub async fn delivery_note_page(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<DeliveryNotePage> {
        let (note, _, access) = self
            .delivery_note_for(caller, id, Action::ViewDeliveries)
            .await?;
        let abilities = self.delivery_abilities(caller, &note, access);
        let signed_pdf = self
            .store
            .list_attachments(OwnerKind::DeliveryNote, note.id)
            .await?
            .into_iter()
            .filter(|a| a.file.mime == PDF_MIME)
            .max_by_key(|a| a.uploaded_at);
        let note = self.note_with_photos(note).await?;
        Ok(DeliveryNotePage {
            note,
            abilities,
            signed_pdf,
        })
    }

    /// A project's notes, newest first, in one state or all.
    pub async fn list_delivery_notes(
        &self,
        caller: &Caller,
        project_id: Uuid,
        status: Option<DeliveryStatus>,
    ) -> AppResult<Vec<DeliverySummary>> {
        self.scope_project(caller, project_id, Action::ViewDeliveries)
            .await?;
        self.store.list_delivery_notes(project_id, status).await
    }

    /// Whether the caller may plan the project's deliveries (for showing the button).
    pub fn may_manage_deliveries(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::ManageDeliveries, access)
    }

    /// The project's items that were packed: packed, dispatched, and free to dispatch.
    pub async fn packed_items(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<PackedItem>> {
        self.scope_project(caller, project_id, Action::ViewDeliveries)
            .await?;
        self.store.packed_items(project_id).await
    }

    /// Checks a note's fields and lines.
    async fn note_details(
        &self,
        project: &Project,
        input: &DeliveryNoteInput,
        default_address: bool,
    ) -> AppResult<NoteDetails> {
        let mut errors = FieldErrors::new();
        if let Some(dest) = input.destination_id {
            let ok = self.store.get_location(dest).await?.is_some_and(|l| {
                l.project_id == project.id
                    && matches!(
                        l.kind,
                        LocationKind::Building | LocationKind::Level | LocationKind::Zone
                    )
            });
            if !ok {
                errors.add(
                    "destination_id",
                    "must be a building, level or zone of the project",
                );
            }
        }
        let mut address = optional_text(
            &mut errors,
            "address",
            input.address.as_deref(),
            ADDRESS_MAX,
        );
        if address.is_none() && default_address {
            address = project.location.clone();
        }
        let vehicle = optional_text(
            &mut errors,
            "vehicle",
            input.vehicle.as_deref(),
            VEHICLE_MAX,
        );
        let driver = optional_text(&mut errors, "driver", input.driver.as_deref(), DRIVER_MAX);
        let notes = optional_text(&mut errors, "notes", input.notes.as_deref(), NOTES_MAX);
        if let Some(d) = input.planned_on
            && d.year() < 2000
        {
            errors.add("planned_on", "must be from 2000 on");
        }
        if input.lines.len() > LINES_MAX {
            errors.add("lines", format!("at most {LINES_MAX} lines"));
        }
        let mut lines = Vec::with_capacity(input.lines.len());
        for (i, l) in input.lines.iter().enumerate() {
            let field = format!("lines[{i}]");
            if l.quantity.0 <= 0 {
                errors.add(&format!("{field}.quantity"), "must be more than 0");
            } else if l.quantity > Quantity::MAX {
                errors.add(&format!("{field}.quantity"), "is too large");
            }
            if input.lines[..i]
                .iter()
                .any(|o| o.scope_item_id == l.scope_item_id)
            {
                errors.add(
                    &format!("{field}.scope_item_id"),
                    "is on the note already: one line per item",
                );
            }
            let note = optional_text(
                &mut errors,
                &format!("{field}.note"),
                l.note.as_deref(),
                LINE_NOTE_MAX,
            );
            let item = self.store.get_scope_item(l.scope_item_id).await?;
            if item.is_none_or(|it| it.project_id != project.id) {
                errors.add(
                    &format!("{field}.scope_item_id"),
                    "must be one of the project's scope items",
                );
            }
            lines.push(NewLine {
                id: formula_domain::new_id(),
                scope_item_id: l.scope_item_id,
                quantity: l.quantity,
                note,
            });
        }
        errors.into_result()?;
        Ok(NoteDetails {
            destination_id: input.destination_id,
            address,
            planned_on: input.planned_on,
            vehicle,
            driver,
            notes,
            lines,
        })
    }

    fn note_changes(details: &NoteDetails) -> Vec<FieldChange> {
        let mut c = vec![
            text_change("address", None, details.address.clone()),
            text_change(
                "planned_on",
                None,
                details.planned_on.map(|d| d.to_string()),
            ),
            text_change("vehicle", None, details.vehicle.clone()),
            text_change("driver", None, details.driver.clone()),
        ];
        for (i, l) in details.lines.iter().enumerate() {
            c.push(FieldChange {
                field: format!("line {}", i + 1),
                old: serde_json::Value::Null,
                new: serde_json::json!({
                    "scope_item_id": l.scope_item_id,
                    "quantity": l.quantity.to_string(),
                }),
            });
        }
        c
    }

    /// Plans a note (numbered the project's next; the address defaults to the project's).
    pub async fn create_delivery_note(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: DeliveryNoteInput,
    ) -> AppResult<DeliveryNote> {
        let (project, _) = self
            .scope_project(caller, project_id, Action::ManageDeliveries)
            .await?;
        let details = self.note_details(&project, &input, true).await?;
        let id = formula_domain::new_id();
        let a = audit(
            caller,
            "create",
            "delivery_note",
            id,
            "",
            Self::note_changes(&details),
        )
        .in_project(project_id);
        self.store
            .insert_delivery_note(
                project_id,
                id,
                &details,
                caller.actor.user_id,
                self.now(),
                &a,
            )
            .await?;
        let note = self
            .store
            .get_delivery_note(id)
            .await?
            .ok_or(AppError::NotFound("delivery note"))?;
        // Internal: client users see nothing of deliveries, live updates included.
        self.announce(
            caller,
            DELIVERY_CHANGED,
            project_id,
            note.id,
            Some(note.version),
            true,
        )
        .await;
        Ok(note)
    }

    /// Saves a planned note whole (its details and lines), version-checked.
    pub async fn update_delivery_note(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: DeliveryNoteInput,
    ) -> AppResult<DeliveryNote> {
        let (current, project, _) = self
            .delivery_note_for(caller, id, Action::ManageDeliveries)
            .await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        if current.status != DeliveryStatus::Planned {
            return Err(not_planned(&current));
        }
        let details = self.note_details(&project, &input, false).await?;
        let mut changes = Self::note_changes(&details);
        changes.retain(|c| !c.field.starts_with("line ") || details.lines.len() < 50);
        let a = audit(
            caller,
            "update",
            "delivery_note",
            id,
            &current.code,
            changes,
        )
        .in_project(current.project_id);
        self.store
            .update_delivery_note(id, &details, self.now(), expected_version, &a)
            .await?;
        self.note_saved(caller, id).await
    }

    async fn note_saved(&self, caller: &Caller, id: Uuid) -> AppResult<DeliveryNote> {
        let note = self
            .store
            .get_delivery_note(id)
            .await?
            .ok_or(AppError::NotFound("delivery note"))?;
        self.announce(
            caller,
            DELIVERY_CHANGED,
            note.project_id,
            note.id,
            Some(note.version),
            true,
        )
        .await;
        self.note_with_photos(note).await
    }

    /// Dispatches a planned note: each line at most what is packed and not yet dispatched
    /// (409 `not_packed`, checked with the items locked). The site team hears of it.
    pub async fn dispatch_delivery_note(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<DeliveryNote> {
        let (current, project, _) = self
            .delivery_note_for(caller, id, Action::ManageDeliveries)
            .await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        if current.status != DeliveryStatus::Planned {
            return Err(not_planned(&current));
        }
        let a = audit(
            caller,
            "dispatch",
            "delivery_note",
            id,
            &current.code,
            vec![text_change(
                "status",
                Some("planned".into()),
                Some("dispatched".into()),
            )],
        )
        .in_project(current.project_id);
        self.store
            .dispatch_delivery_note(id, caller.actor.user_id, self.now(), expected_version, &a)
            .await?;
        let note = self.note_saved(caller, id).await?;
        self.delivery_dispatched(caller, &note, &project).await;
        Ok(note)
    }

    /// Cancels a planned note (never after dispatch).
    pub async fn cancel_delivery_note(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        reason: Option<String>,
    ) -> AppResult<DeliveryNote> {
        let (current, _, _) = self
            .delivery_note_for(caller, id, Action::ManageDeliveries)
            .await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let reason = optional_text(&mut errors, "reason", reason.as_deref(), REASON_MAX);
        errors.into_result()?;
        if current.status != DeliveryStatus::Planned {
            return Err(not_planned(&current));
        }
        let a = audit(
            caller,
            "cancel",
            "delivery_note",
            id,
            &current.code,
            vec![
                text_change("status", Some("planned".into()), Some("cancelled".into())),
                text_change("reason", None, reason.clone()),
            ],
        )
        .in_project(current.project_id);
        self.store
            .cancel_delivery_note(id, reason.as_deref(), self.now(), expected_version, &a)
            .await?;
        self.note_saved(caller, id).await
    }

    /// Records what arrived on site against a dispatched note, per line, signed by a typed
    /// name, with photos; then draws the note's PDF with the receipt and keeps it as an
    /// attachment of the note. With an idempotency key, a retry records nothing and answers
    /// with the receipt's note as the first request left it (`.1` is then `false`).
    pub async fn record_delivery_receipt(
        &self,
        caller: &Caller,
        id: Uuid,
        input: DeliveryReceiptInput,
        photos: &[Upload],
        key: Option<&IdempotencyKey>,
        render: Option<DeliveryRenderer>,
    ) -> AppResult<(DeliveryNote, bool)> {
        let (note, project, _) = self
            .delivery_note_for(caller, id, Action::ReceiveDeliveries)
            .await?;
        let mut errors = FieldErrors::new();
        let received_on = receiving::received_on(&mut errors, input.received_on, self.today());
        let signed_name = required_text(
            &mut errors,
            "signed_name",
            &input.signed_name,
            SIGNED_NAME_MAX,
        );
        let note_text = optional_text(&mut errors, "note", input.note.as_deref(), NOTES_MAX);
        if input.lines.is_empty() {
            errors.add("lines", "receive at least one line");
        }
        let mut lines = Vec::with_capacity(input.lines.len());
        for (i, l) in input.lines.iter().enumerate() {
            let field = format!("lines[{i}]");
            if input.lines[..i].iter().any(|o| o.line_id == l.line_id) {
                errors.add(&field, "each line at most once");
            }
            if !note.lines.iter().any(|x| x.id == l.line_id) {
                errors.add(
                    &format!("{field}.line_id"),
                    format!("is not a line of {}", note.code),
                );
            }
            if l.quantity.0 <= 0 {
                errors.add(&format!("{field}.quantity"), "must be more than 0");
            }
            lines.push((l.line_id, l.quantity));
        }
        let checked = receiving::check_photos(&mut errors, photos);
        errors.into_result()?;
        let mut request = Fingerprint::new("delivery_receipt")
            .part(note.id.as_bytes())
            .part(received_on.to_string())
            .part(signed_name.as_str())
            .opt(note_text.as_deref());
        for (line, q) in &lines {
            request = request.part(line.as_bytes()).part(q.to_string());
        }
        let request = receiving::with_photos(request, photos);
        let once = self
            .once(
                caller,
                key,
                "delivery_receipt",
                request,
                |(r, _): &(Uuid, DeliveryStatus)| *r,
                || async {
                    let new = NewReceipt {
                        id: formula_domain::new_id(),
                        delivery_note_id: note.id,
                        received_on,
                        received_by: Some(caller.actor.user_id),
                        signed_name: signed_name.clone(),
                        note: note_text.clone(),
                        recorded_at: self.now(),
                        lines: lines.clone(),
                    };
                    let changes = new
                        .lines
                        .iter()
                        .map(|(line_id, q)| {
                            let l = note.lines.iter().find(|x| x.id == *line_id);
                            FieldChange {
                                field: format!("line {}", l.map_or(0, |l| l.position)),
                                old: serde_json::Value::Null,
                                new: serde_json::json!({
                                    "item": l.map(|l| l.item_code.clone()),
                                    "quantity": q.to_string(),
                                }),
                            }
                        })
                        .chain(std::iter::once(text_change(
                            "signed_name",
                            None,
                            Some(signed_name.clone()),
                        )))
                        .collect();
                    let a = audit(
                        caller,
                        "receive",
                        "delivery_note",
                        note.id,
                        &note.code,
                        changes,
                    )
                    .in_project(note.project_id);
                    let status = self.store.record_delivery_receipt(&new, &a).await?;
                    let owner = Owner::record(
                        note.project_id,
                        format!("{} receipt {received_on}", note.code),
                    );
                    self.keep_receipt_photos(
                        caller,
                        &owner,
                        (OwnerKind::DeliveryReceipt, new.id),
                        photos,
                        &checked,
                    )
                    .await;
                    Ok((new.id, status))
                },
            )
            .await?;
        let fresh = match once {
            Once::New((_, status)) => {
                let after = self.note_saved(caller, id).await?;
                if let Some(render) = render
                    && let Err(e) = self.keep_signed_pdf(caller, &after, &project, render).await
                {
                    // The receipt stands; the PDF is drawn again on the next download.
                    tracing::warn!(error = %e, "could not keep the signed delivery note PDF");
                }
                self.delivery_received(caller, &after, &project, status)
                    .await;
                true
            }
            Once::Earlier(_) => false,
        };
        let after = self.get_delivery_note(caller, id).await?;
        Ok((after, fresh))
    }

    /// The note's PDF as it stands (with its receipts and signature once received).
    pub async fn delivery_document(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<DeliveryDocument> {
        let (note, project, _) = self
            .delivery_note_for(caller, id, Action::ViewDeliveries)
            .await?;
        self.delivery_document_of(note, project).await
    }

    async fn delivery_document_of(
        &self,
        note: DeliveryNote,
        project: Project,
    ) -> AppResult<DeliveryDocument> {
        let company = self.store.company_settings().await?;
        let logo = self.logo_bytes(&company).await?.map(|(b, _)| b);
        Ok(DeliveryDocument {
            project,
            note,
            company,
            logo,
            today: self.today(),
        })
    }

    /// Draws the note's PDF as signed and keeps it as an attachment of the note (the same
    /// file twice is kept once).
    async fn keep_signed_pdf(
        &self,
        caller: &Caller,
        note: &DeliveryNote,
        project: &Project,
        render: DeliveryRenderer,
    ) -> AppResult<Attachment> {
        let doc = self
            .delivery_document_of(note.clone(), project.clone())
            .await?;
        let file_name = doc.file_name();
        let bytes = tokio::task::spawn_blocking(move || render(&doc))
            .await
            .map_err(|e| AppError::Internal(format!("the PDF task failed: {e}")))?
            .map_err(|e| AppError::Internal(format!("the note's PDF could not be made: {e}")))?;
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        if let Some(existing) = self
            .store
            .find_attachment(OwnerKind::DeliveryNote, note.id, &file_name, &sha256)
            .await?
        {
            return Ok(existing);
        }
        let id = formula_domain::new_id();
        let attachment = Attachment {
            id,
            project_id: note.project_id,
            owner_kind: OwnerKind::DeliveryNote,
            owner_id: note.id,
            purpose: Purpose::Document,
            caption: Some("As signed on receipt".into()),
            file: FileInfo {
                name: file_name.clone(),
                size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
                sha256,
                mime: PDF_MIME.to_owned(),
            },
            blob_key: Attachment::blob_key_for(note.project_id, id),
            uploaded_by_name: Some(caller.actor.name.clone()),
            uploaded_at: self.now(),
            image: None,
        };
        self.blobs.put_bytes(&attachment.blob_key, &bytes).await?;
        let a = audit(
            caller,
            "attach",
            "delivery_note",
            note.id,
            &note.code,
            vec![text_change("attachment", None, Some(file_name))],
        )
        .in_project(note.project_id);
        if let Err(e) = self.store.insert_attachment(&attachment, &a).await {
            if let Err(cleanup) = self.blobs.delete(&attachment.blob_key).await {
                tracing::warn!(key = %attachment.blob_key, error = %cleanup, "could not remove the file of a failed delivery note PDF");
            }
            return Err(e);
        }
        Ok(attachment)
    }

    /// A note or a receipt as the owner of attachments: seen by whoever sees the project's
    /// deliveries (never a client user); a note's files added by those who plan deliveries,
    /// a receipt's photos by those who receive them.
    pub(crate) async fn delivery_as_owner(
        &self,
        caller: &Caller,
        kind: OwnerKind,
        id: Uuid,
        manage: bool,
    ) -> AppResult<Owner> {
        let (note_id, action, what) = if kind == OwnerKind::DeliveryReceipt {
            let note_id = self
                .store
                .delivery_note_of_receipt(id)
                .await?
                .ok_or(AppError::NotFound("delivery receipt"))?;
            let action = if manage {
                Action::ReceiveDeliveries
            } else {
                Action::ViewDeliveries
            };
            (note_id, action, "delivery receipt")
        } else {
            let action = if manage {
                Action::ManageDeliveries
            } else {
                Action::ViewDeliveries
            };
            (id, action, "delivery note")
        };
        let (note, _, _) = self
            .delivery_note_for(caller, note_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound(what),
                other => other,
            })?;
        let label = if kind == OwnerKind::DeliveryReceipt {
            format!("{} receipt", note.code)
        } else {
            note.code.clone()
        };
        Ok(Owner {
            project_id: note.project_id,
            label,
            comment: None,
        })
    }

    /// "DN-003 dispatched": to the site team (the project's managers and coordinators) and
    /// the project's followers.
    async fn delivery_dispatched(&self, caller: &Caller, note: &DeliveryNote, project: &Project) {
        let people = match self.store.project_people(project.id).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the project's people");
                return;
            }
        };
        let mut h = Happening::new(
            Event::DeliveryDispatched,
            project_record(project.id),
            project.client_id,
            format!(
                "{} dispatched to site: {} line(s){}{}",
                note.code,
                note.lines.len(),
                note.destination
                    .as_deref()
                    .map(|d| format!(" for {d}"))
                    .unwrap_or_default(),
                note.planned_on
                    .map(|d| format!(", planned {d}"))
                    .unwrap_or_default()
            ),
        )
        .by(caller);
        h.internal = true;
        h.client_sees = false;
        h.link = format!("/delivery-notes/{}", note.id);
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
        h.occurrence = format!("{}:dispatched", note.id);
        self.notify(h).await;
    }

    /// "DN-003 received on site (in part)": to the project's managers and the note's creator.
    async fn delivery_received(
        &self,
        caller: &Caller,
        note: &DeliveryNote,
        project: &Project,
        status: DeliveryStatus,
    ) {
        let mut h = Happening::new(
            Event::DeliveryReceived,
            project_record(project.id),
            project.client_id,
            format!(
                "{} received on site ({})",
                note.code,
                status.label().to_lowercase()
            ),
        )
        .by(caller);
        h.internal = true;
        h.client_sees = false;
        h.link = format!("/delivery-notes/{}", note.id);
        h.parties.creator = note.created_by;
        h.occurrence = format!("{}:{}", note.id, self.now().unix_timestamp_nanos());
        self.notify(h).await;
    }
}

fn project_record(project_id: Uuid) -> RecordKey {
    RecordKey {
        kind: RecordKind::Project,
        id: project_id,
        project_id,
    }
}

fn not_planned(note: &DeliveryNote) -> AppError {
    let mut fields = FieldErrors::new();
    let message = format!(
        "{} is {}: only a planned note is edited, dispatched or cancelled",
        note.code,
        note.status.label().to_lowercase()
    );
    fields.add("status", message.clone());
    AppError::Conflict {
        code: "not_planned",
        message,
        fields,
    }
}
