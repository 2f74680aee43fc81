//! Snags (punch items): raising one (a client user's arrives open, visible to the client,
//! with them as its author), editing and assigning, moving it through its states
//! (compare-and-set), the list with its filters (client users' filtered in SQL), its photos
//! (the attachment pipeline, owner `snag`), and who is told ([`crate::notifications`]).
//! Room sign-off is in [`crate::signoff`].

use formula_domain::attachment::{OwnerKind, Purpose};
use formula_domain::audit::FieldChange;
use formula_domain::authz::{Action, ProjectAccess};
use formula_domain::comment::RecordKind;
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::location::LocationKind;
use formula_domain::notification::{Event, Parties};
use formula_domain::snag::{
    DESCRIPTION_MAX, REASON_MAX, Snag, SnagCategory, SnagStatus, TITLE_MAX, TRADE_MAX, Transition,
};
use formula_domain::user::Role;
use serde::Deserialize;

use time::Date;
use uuid::Uuid;

use crate::attachments::{AttachmentList, Owner};
use crate::context::Caller;
use crate::drawings::Upload;
use crate::error::{AppError, AppResult};
use crate::notifications::Happening;
use crate::query::Paging;
use crate::repos::{NewSnagRow, RecordKey, SnagDetails, SnagFilter, SnagMove};
use crate::services::{Services, audit, check_version, double_option};

/// The live-update kind of every change to a snag (its id is the snag's).
pub const SNAG_CHANGED: &str = "snag.changed";

/// A snag to raise.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSnag {
    /// The room it is in (one of the project's rooms).
    pub room_id: Uuid,
    /// The scope item it is about: one placed in that room or on its room type. Not for
    /// client users.
    #[serde(default)]
    pub scope_item_id: Option<Uuid>,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// `other` unless given.
    #[serde(default)]
    pub category: Option<SnagCategory>,
    /// A member of the project team (not a client user). Not for client users.
    #[serde(default)]
    pub responsible_user_id: Option<Uuid>,
    /// A trade ("Painter", "Joinery subcontractor"). Not for client users.
    #[serde(default)]
    #[schema(max_length = 120)]
    pub responsible_trade: Option<String>,
    /// Not for client users.
    #[serde(default)]
    pub due_on: Option<Date>,
    /// Shown to the client's users; always so for a snag a client user raises.
    #[serde(default)]
    pub client_visible: Option<bool>,
}

/// Changes to a snag; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnagPatch {
    #[serde(default, deserialize_with = "double_option")]
    pub scope_item_id: Option<Option<Uuid>>,
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 5000)]
    pub description: Option<Option<String>>,
    pub category: Option<SnagCategory>,
    #[serde(default, deserialize_with = "double_option")]
    pub responsible_user_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 120)]
    pub responsible_trade: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub due_on: Option<Option<Date>>,
    pub client_visible: Option<bool>,
    pub version: Option<i64>,
}

/// A move of a snag: the version it starts from, and for a rejection the reason.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnagMoveInput {
    pub version: Option<i64>,
    /// Required to reject: why it is not a defect, or not ours.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// What the caller may do with a snag (for showing buttons).
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct SnagAbilities {
    pub edit: bool,
    pub add_photos: bool,
    /// The moves the caller may make from its current state.
    pub transitions: Vec<Transition>,
}

fn not_found_as_snag(e: AppError) -> AppError {
    match e {
        AppError::NotFound(_) => AppError::NotFound("snag"),
        other => other,
    }
}

impl Services {
    /// A snag the caller may see with the project access (client users: only one marked
    /// visible to the client; any other is "not found"). Scope items are hidden from those
    /// who may not read the scope.
    pub(crate) async fn snag_for(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(Snag, ProjectAccess)> {
        let mut snag = self
            .store
            .get_snag(id, self.today())
            .await?
            .ok_or(AppError::NotFound("snag"))?;
        let (_, access) = self
            .scope_project(caller, snag.project_id, Action::ViewSnags)
            .await
            .map_err(not_found_as_snag)?;
        if caller.actor.role == Role::Client && !snag.client_visible {
            return Err(AppError::NotFound("snag"));
        }
        self.redact_snag(caller, access, &mut snag);
        Ok((snag, access))
    }

    fn redact_snag(&self, caller: &Caller, access: ProjectAccess, snag: &mut Snag) {
        if !self.may(caller, Action::ViewScope, access) {
            snag.scope_item_id = None;
            snag.scope_item_code = None;
            snag.scope_item_name = None;
        }
    }

    pub async fn get_snag(&self, caller: &Caller, id: Uuid) -> AppResult<Snag> {
        Ok(self.snag_for(caller, id).await?.0)
    }

    /// What the caller may do with this snag.
    pub fn snag_abilities(
        &self,
        caller: &Caller,
        snag: &Snag,
        access: ProjectAccess,
    ) -> SnagAbilities {
        let work = self.may(caller, Action::WorkSnags, access);
        let verify = self.may(caller, Action::VerifySnags, access);
        let raiser = snag.raised_by == Some(caller.actor.user_id)
            && self.may(caller, Action::RaiseSnag, access);
        SnagAbilities {
            edit: work,
            add_photos: work || verify || raiser,
            transitions: Transition::available(snag.status)
                .into_iter()
                .filter(|t| self.may(caller, t.action(), access))
                .collect(),
        }
    }

    /// A snag with what the caller may do with it.
    pub async fn snag_page(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(Snag, SnagAbilities, AttachmentList)> {
        let (snag, access) = self.snag_for(caller, id).await?;
        let abilities = self.snag_abilities(caller, &snag, access);
        let photos = self.list_attachments(caller, OwnerKind::Snag, id).await?;
        Ok((snag, abilities, photos))
    }

    /// The project's snags the caller may see, filtered; a page, or all with `None`.
    pub async fn list_snags(
        &self,
        caller: &Caller,
        project_id: Uuid,
        mut filter: SnagFilter,
        paging: Option<Paging>,
    ) -> AppResult<(Vec<Snag>, i64, ProjectAccess)> {
        let (_, access) = self
            .scope_project(caller, project_id, Action::ViewSnags)
            .await?;
        filter.client_only = caller.actor.role == Role::Client;
        let (mut items, total) = self
            .store
            .list_snags(project_id, &filter, self.today(), paging)
            .await?;
        for s in &mut items {
            self.redact_snag(caller, access, s);
        }
        Ok((items, total, access))
    }

    /// Whether the caller may raise snags on this project (for showing the button).
    pub fn may_raise_snags(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::RaiseSnag, access)
    }

    /// A room of `project_id`, or a field error on `field`.
    async fn room_in(
        &self,
        errors: &mut FieldErrors,
        project_id: Uuid,
        room_id: Uuid,
    ) -> AppResult<Option<formula_domain::location::Location>> {
        match self.store.get_location(room_id).await? {
            Some(l) if l.project_id == project_id && l.kind == LocationKind::Room => Ok(Some(l)),
            _ => {
                errors.add("room_id", "must be one of the project's rooms");
                Ok(None)
            }
        }
    }

    /// Checks a scope item for a snag in `room`: placed in that room or on its room type.
    async fn check_snag_item(
        &self,
        errors: &mut FieldErrors,
        project_id: Uuid,
        room: Option<&formula_domain::location::Location>,
        item_id: Option<Uuid>,
    ) -> AppResult<()> {
        let (Some(id), Some(room)) = (item_id, room) else {
            return Ok(());
        };
        let ok = match self.store.get_scope_item(id).await? {
            Some(item) if item.project_id == project_id => {
                item.placement.room_id == Some(room.id)
                    || (item.placement.room_type_id.is_some()
                        && item.placement.room_type_id == room.room_type_id)
            }
            _ => false,
        };
        if !ok {
            errors.add(
                "scope_item_id",
                format!(
                    "must be a scope item placed in room {} or on its room type",
                    room.code
                ),
            );
        }
        Ok(())
    }

    /// Checks a responsible person: on the project team and not a client user.
    async fn check_responsible(
        &self,
        errors: &mut FieldErrors,
        project_id: Uuid,
        user: Option<Uuid>,
    ) -> AppResult<()> {
        let Some(id) = user else { return Ok(()) };
        let members = self.store.list_members(project_id).await?;
        if !members
            .iter()
            .any(|m| m.user_id == id && m.user_role != Role::Client)
        {
            errors.add(
                "responsible_user_id",
                "must be a member of the project team; add them on the Team tab first, or name a trade instead",
            );
        }
        Ok(())
    }

    /// Raises a snag. A client user's is visible to the client, with only a room, a title,
    /// a description and a category: who fixes it and by when is the contractor's to say.
    /// Raised in a signed-off room, it reopens the sign-off.
    pub async fn raise_snag(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewSnag,
    ) -> AppResult<Snag> {
        let (project, _) = self
            .scope_project(caller, project_id, Action::RaiseSnag)
            .await?;
        let client = caller.actor.role == Role::Client;
        let mut errors = FieldErrors::new();
        let room = self.room_in(&mut errors, project_id, input.room_id).await?;
        let title = required_text(&mut errors, "title", &input.title, TITLE_MAX);
        let description = optional_text(
            &mut errors,
            "description",
            input.description.as_deref(),
            DESCRIPTION_MAX,
        );
        let trade = optional_text(
            &mut errors,
            "responsible_trade",
            input.responsible_trade.as_deref(),
            TRADE_MAX,
        );
        if client {
            let theirs = "is for the contractor's team to set; describe the snag and its room";
            if input.scope_item_id.is_some() {
                errors.add("scope_item_id", theirs);
            }
            if input.responsible_user_id.is_some() {
                errors.add("responsible_user_id", theirs);
            }
            if trade.is_some() {
                errors.add("responsible_trade", theirs);
            }
            if input.due_on.is_some() {
                errors.add("due_on", theirs);
            }
        } else {
            self.check_snag_item(&mut errors, project_id, room.as_ref(), input.scope_item_id)
                .await?;
            self.check_responsible(&mut errors, project_id, input.responsible_user_id)
                .await?;
        }
        errors.into_result()?;
        let Some(room) = room else {
            return Err(AppError::field(
                "room_id",
                "must be one of the project's rooms",
            ));
        };
        let now = self.now();
        let row = NewSnagRow {
            id: formula_domain::new_id(),
            project_id,
            room_id: room.id,
            scope_item_id: input.scope_item_id,
            title,
            description,
            category: input.category.unwrap_or(SnagCategory::Other),
            responsible_user_id: input.responsible_user_id,
            responsible_trade: trade,
            due_on: input.due_on,
            client_visible: client || input.client_visible.unwrap_or(false),
            raised_by: caller.actor.user_id,
            raised_at: now,
        };
        let changes = vec![
            change("room", None, Some(room.code.clone())),
            change("title", None, Some(row.title.clone())),
            change("category", None, Some(row.category.as_str().to_owned())),
            change("client_visible", None, Some(row.client_visible.to_string())),
        ];
        let a = audit(caller, "create", "snag", row.id, "", changes).in_project(project_id);
        let reopen = audit(
            caller,
            "signoff_reopened",
            "location",
            room.id,
            &room.code,
            vec![change("reopened_by_snag", None, Some(String::new()))],
        )
        .in_project(project_id);
        let (_, reopened) = self.store.insert_snag(&row, &a, &reopen).await?;
        let snag = self
            .store
            .get_snag(row.id, self.today())
            .await?
            .ok_or(AppError::NotFound("snag"))?;
        self.announce(
            caller,
            "snag.created",
            project_id,
            snag.id,
            Some(snag.version),
            !snag.client_visible,
        )
        .await;
        if reopened {
            self.changed(
                caller,
                crate::signoff::SIGNOFF_CHANGED,
                project_id,
                room.id,
                None,
            )
            .await;
        }
        if client {
            self.snag_raised_by_client(caller, &snag, project.client_id)
                .await;
        }
        if snag.responsible_user_id.is_some() {
            self.snag_assigned(caller, &snag, project.client_id).await;
        }
        Ok(snag)
    }

    /// Edits and (re)assigns a snag.
    pub async fn update_snag(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: SnagPatch,
    ) -> AppResult<Snag> {
        let (current, access) = self.snag_for(caller, id).await?;
        crate::services::ensure(
            caller,
            Action::WorkSnags,
            &formula_domain::authz::Resource::Project(access),
        )?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let title = match &patch.title {
            Some(t) => required_text(&mut errors, "title", t, TITLE_MAX),
            None => current.title.clone(),
        };
        let description = match &patch.description {
            Some(d) => optional_text(&mut errors, "description", d.as_deref(), DESCRIPTION_MAX),
            None => current.description.clone(),
        };
        let trade = match &patch.responsible_trade {
            Some(t) => optional_text(&mut errors, "responsible_trade", t.as_deref(), TRADE_MAX),
            None => current.responsible_trade.clone(),
        };
        let scope_item_id = patch.scope_item_id.unwrap_or(current.scope_item_id);
        if patch.scope_item_id.is_some() {
            let room = self.store.get_location(current.room_id).await?;
            self.check_snag_item(
                &mut errors,
                current.project_id,
                room.as_ref(),
                scope_item_id,
            )
            .await?;
        }
        let responsible = patch
            .responsible_user_id
            .unwrap_or(current.responsible_user_id);
        if patch.responsible_user_id.is_some() {
            self.check_responsible(&mut errors, current.project_id, responsible)
                .await?;
        }
        if patch.client_visible == Some(false) && current.client_visible {
            // The client keeps sight of what they raised themselves.
            let raiser = match current.raised_by {
                Some(id) => self.store.get_user(id).await?,
                None => None,
            };
            if raiser.is_some_and(|u| u.role == Role::Client) {
                errors.add(
                    "client_visible",
                    "stays on: the client raised this snag and keeps seeing it",
                );
            }
        }
        errors.into_result()?;
        let details = SnagDetails {
            scope_item_id,
            title,
            description,
            category: patch.category.unwrap_or(current.category),
            responsible_user_id: responsible,
            responsible_trade: trade,
            due_on: patch.due_on.unwrap_or(current.due_on),
            client_visible: patch.client_visible.unwrap_or(current.client_visible),
        };
        let mut changes = Vec::new();
        let mut diff = |field: &str, old: String, new: String| {
            if old != new {
                changes.push(FieldChange {
                    field: field.into(),
                    old: serde_json::Value::String(old),
                    new: serde_json::Value::String(new),
                });
            }
        };
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        diff("title", current.title.clone(), details.title.clone());
        diff(
            "description",
            opt(&current.description),
            opt(&details.description),
        );
        diff(
            "category",
            current.category.as_str().into(),
            details.category.as_str().into(),
        );
        diff(
            "responsible_user_id",
            current
                .responsible_user_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            details
                .responsible_user_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
        );
        diff(
            "responsible_trade",
            opt(&current.responsible_trade),
            opt(&details.responsible_trade),
        );
        diff(
            "due_on",
            current.due_on.map(|d| d.to_string()).unwrap_or_default(),
            details.due_on.map(|d| d.to_string()).unwrap_or_default(),
        );
        diff(
            "client_visible",
            current.client_visible.to_string(),
            details.client_visible.to_string(),
        );
        diff(
            "scope_item_id",
            current
                .scope_item_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            details
                .scope_item_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
        );
        let a = audit(caller, "update", "snag", id, &current.code, changes)
            .in_project(current.project_id);
        self.store
            .update_snag(id, &details, self.now(), expected_version, &a)
            .await?;
        let (snag, _) = self.snag_for(caller, id).await?;
        // Internal when it is now, or was: a client's page of a snag made internal re-fetches
        // and finds it gone either way.
        self.announce(
            caller,
            SNAG_CHANGED,
            snag.project_id,
            id,
            Some(snag.version),
            !snag.client_visible && !current.client_visible,
        )
        .await;
        if snag.responsible_user_id.is_some()
            && snag.responsible_user_id != current.responsible_user_id
        {
            let access_project = self.store.get_project(snag.project_id).await?;
            if let Some(p) = access_project {
                self.snag_assigned(caller, &snag, p.client_id).await;
            }
        }
        Ok(snag)
    }

    /// Moves a snag: fixed (those who work on snags), verified, closed, rejected (with a
    /// reason) or reopened (those who run the site). Compare-and-set on the version.
    pub async fn move_snag(
        &self,
        caller: &Caller,
        id: Uuid,
        transition: Transition,
        expected_version: i64,
        input: SnagMoveInput,
    ) -> AppResult<Snag> {
        let (current, access) = self.snag_for(caller, id).await?;
        crate::services::ensure(
            caller,
            transition.action(),
            &formula_domain::authz::Resource::Project(access),
        )?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let Some(to) = transition.apply(current.status) else {
            return Err(AppError::InvalidTransition {
                from: current.status.as_str().into(),
                to: transition.to().as_str().into(),
                allowed: Transition::available(current.status)
                    .iter()
                    .map(|t| t.to().as_str().to_owned())
                    .collect(),
            });
        };
        let mut errors = FieldErrors::new();
        let reason = optional_text(&mut errors, "reason", input.reason.as_deref(), REASON_MAX);
        if transition == Transition::Reject && reason.is_none() {
            errors.add(
                "reason",
                "is required to reject a snag: say why it is not a defect, or not ours",
            );
        }
        errors.into_result()?;
        let now = self.now();
        let change_row = SnagMove {
            to,
            by: caller.actor.user_id,
            at: now,
            rejected_reason: if transition == Transition::Reject {
                reason.clone()
            } else {
                None
            },
        };
        let mut changes = vec![change(
            "status",
            Some(current.status.as_str().into()),
            Some(to.as_str().into()),
        )];
        if let Some(r) = &reason {
            changes.push(change("reason", None, Some(r.clone())));
        }
        let a = audit(
            caller,
            transition.as_str(),
            "snag",
            id,
            &current.code,
            changes,
        )
        .in_project(current.project_id);
        self.store
            .move_snag(id, &change_row, expected_version, &a)
            .await?;
        let (snag, _) = self.snag_for(caller, id).await?;
        self.announce(
            caller,
            SNAG_CHANGED,
            snag.project_id,
            id,
            Some(snag.version),
            !snag.client_visible,
        )
        .await;
        let event = match transition {
            Transition::Fix => Some(Event::SnagFixed),
            Transition::Close => Some(Event::SnagClosed),
            _ => None,
        };
        if let Some(event) = event
            && let Some(p) = self.store.get_project(snag.project_id).await?
        {
            self.tell_raiser(caller, &snag, p.client_id, event, transition)
                .await;
        }
        // The last blocking snag settled (verified, closed or rejected): the room may now be
        // ready for sign-off, which its managers hear as when an installation completes it.
        if matches!(current.status, SnagStatus::Open | SnagStatus::Fixed)
            && !matches!(to, SnagStatus::Open | SnagStatus::Fixed)
            && let Some(room) = self.store.get_location(snag.room_id).await?
        {
            self.room_maybe_ready(caller, &room, access).await;
        }
        Ok(snag)
    }

    /// The snag's photos.
    pub async fn snag_photos(&self, caller: &Caller, id: Uuid) -> AppResult<AttachmentList> {
        self.snag_for(caller, id).await?;
        self.list_attachments(caller, OwnerKind::Snag, id).await
    }

    /// Adds a photo to a snag (the attachment pipeline: checked, copies made, a retry of the
    /// same file adds nothing). `.1` says whether it is new.
    pub async fn add_snag_photo(
        &self,
        caller: &Caller,
        id: Uuid,
        caption: Option<String>,
        upload: &Upload,
    ) -> AppResult<(formula_domain::attachment::Attachment, bool)> {
        self.add_attachment(
            caller,
            OwnerKind::Snag,
            id,
            Some(Purpose::Photo),
            caption,
            upload,
        )
        .await
    }

    /// A snag as the owner of attachments: whoever sees it sees its photos; those who work
    /// on or verify snags, and whoever raised it, add and remove them.
    pub(crate) async fn snag_as_owner(
        &self,
        caller: &Caller,
        id: Uuid,
        manage: bool,
    ) -> AppResult<Owner> {
        let (snag, access) = self.snag_for(caller, id).await?;
        if manage && !self.snag_abilities(caller, &snag, access).add_photos {
            return Err(AppError::Forbidden);
        }
        Ok(Owner {
            project_id: snag.project_id,
            label: snag.code,
            comment: None,
        })
    }

    fn snag_record(snag: &Snag) -> RecordKey {
        // Snags have no discussion thread of their own: their notifications hang on the
        // project's, and link to the snag.
        RecordKey {
            kind: RecordKind::Project,
            id: snag.project_id,
            project_id: snag.project_id,
        }
    }

    fn snag_happening(snag: &Snag, client_id: Uuid, event: Event, title: String) -> Happening {
        let mut h = Happening::new(event, Self::snag_record(snag), client_id, title);
        h.link = format!("/snags/{}", snag.id);
        h.client_sees = snag.client_visible;
        h.internal = !snag.client_visible;
        h
    }

    /// Tells the project's managers that the client raised a snag (to assign it).
    async fn snag_raised_by_client(&self, caller: &Caller, snag: &Snag, client_id: Uuid) {
        let mut h = Self::snag_happening(
            snag,
            client_id,
            Event::SnagRaised,
            format!(
                "{} raised snag {} “{}” in {}",
                caller.actor.name, snag.code, snag.title, snag.room_code
            ),
        )
        .by(caller);
        h.occurrence = snag.id.to_string();
        self.notify(h).await;
    }

    /// Tells the responsible person that the snag is theirs now.
    async fn snag_assigned(&self, caller: &Caller, snag: &Snag, client_id: Uuid) {
        let mut h = Self::snag_happening(
            snag,
            client_id,
            Event::SnagAssigned,
            format!(
                "{} assigned snag {} “{}” in {} to you{}",
                caller.actor.name,
                snag.code,
                snag.title,
                snag.room_code,
                snag.due_on
                    .map(|d| format!(", due {d}"))
                    .unwrap_or_default()
            ),
        )
        .by(caller);
        h.parties.assignee = snag.responsible_user_id;
        h.occurrence = format!("{}:v{}", snag.id, snag.version);
        self.notify(h).await;
    }

    /// Tells whoever raised the snag that it was fixed or closed.
    async fn tell_raiser(
        &self,
        caller: &Caller,
        snag: &Snag,
        client_id: Uuid,
        event: Event,
        transition: Transition,
    ) {
        let mut h = Self::snag_happening(
            snag,
            client_id,
            event,
            format!(
                "{} {} your snag {} “{}” in {}",
                caller.actor.name,
                transition.done(),
                snag.code,
                snag.title,
                snag.room_code
            ),
        )
        .by(caller);
        h.parties.creator = snag.raised_by;
        h.occurrence = format!("{}:v{}", snag.id, snag.version);
        self.notify(h).await;
    }

    /// The day's snag reminders (from the hourly reminders job; each stored once per snag
    /// and day): due tomorrow to the responsible person, overdue to them and the managers.
    pub(crate) async fn snag_reminders(&self, today: Date) -> AppResult<usize> {
        let tomorrow = today + time::Duration::days(1);
        let mut reported = 0;
        for due in self.store.snags_due(&[tomorrow], today).await? {
            let s = &due.snag;
            let (event, words) = match s.due_on {
                Some(d) if d == tomorrow => (Event::SnagDue, "is due tomorrow".to_owned()),
                Some(d) => {
                    let late = (today - d).whole_days();
                    (
                        Event::SnagOverdue,
                        format!(
                            "is overdue by {late} day{}",
                            if late == 1 { "" } else { "s" }
                        ),
                    )
                }
                None => continue,
            };
            let mut h = Self::snag_happening(
                s,
                due.client_id,
                event,
                format!("Snag {} “{}” in {} {words}", s.code, s.title, s.room_code),
            );
            h.parties = Parties {
                assignee: s.responsible_user_id,
                ..Parties::default()
            };
            h.occurrence = format!("{}:{today}", s.id);
            self.notify(h).await;
            reported += 1;
        }
        Ok(reported)
    }
}

fn change(field: &str, old: Option<String>, new: Option<String>) -> FieldChange {
    let v = |s: Option<String>| s.map_or(serde_json::Value::Null, serde_json::Value::String);
    FieldChange {
        field: field.into(),
        old: v(old),
        new: v(new),
    }
}

/// How many thumbnails a snag export prints per snag.
pub const EXPORT_PHOTOS_PER_SNAG: usize = 1;

/// What a snag list export prints: the project, the snags (filtered as the list, client
/// users' only those shared with them), their photos' thumbnails (the stripped copies,
/// never an original), and the letterhead.
pub struct SnagExport {
    pub project: formula_domain::project::Project,
    pub snags: Vec<Snag>,
    /// Each snag's first thumbnails (JPEG), by snag id.
    pub thumbnails: std::collections::HashMap<Uuid, Vec<Vec<u8>>>,
    pub company: formula_domain::company::CompanySettings,
    pub logo: Option<Vec<u8>>,
}

impl Services {
    /// The snags to export, with thumbnails when `photos`, and the letterhead (printed on
    /// what goes to the client too, so read here without the office's permission).
    pub async fn snag_export(
        &self,
        caller: &Caller,
        project_id: Uuid,
        filter: SnagFilter,
        photos: bool,
    ) -> AppResult<SnagExport> {
        let (snags, _, _) = self.list_snags(caller, project_id, filter, None).await?;
        let project = self
            .store
            .get_project(project_id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        let mut thumbnails: std::collections::HashMap<Uuid, Vec<Vec<u8>>> = Default::default();
        if photos {
            let ids: Vec<Uuid> = snags
                .iter()
                .filter(|s| s.photo_count > 0)
                .map(|s| s.id)
                .collect();
            for chunk in ids.chunks(500) {
                for a in self
                    .store
                    .list_attachments_of(OwnerKind::Snag, chunk)
                    .await?
                {
                    let Some(thumb) = a.image.as_ref().map(|i| i.thumb_key.clone()) else {
                        continue;
                    };
                    let list = thumbnails.entry(a.owner_id).or_default();
                    if list.len() >= EXPORT_PHOTOS_PER_SNAG {
                        continue;
                    }
                    match self.read_blob(&thumb).await {
                        Ok(bytes) => list.push(bytes),
                        Err(e) => {
                            tracing::warn!(attachment = %a.id, error = %e, "a snag photo's thumbnail could not be read for an export");
                        }
                    }
                }
            }
        }
        let company = self.store.company_settings().await?;
        let logo = self.logo_bytes(&company).await?.map(|(b, _)| b);
        Ok(SnagExport {
            project,
            snags,
            thumbnails,
            company,
            logo,
        })
    }

    pub(crate) async fn read_blob(&self, key: &str) -> AppResult<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        let mut read = self.blobs.read(key, None).await?;
        let mut bytes = Vec::with_capacity(usize::try_from(read.size).unwrap_or(0));
        read.body
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| AppError::Internal(format!("reading a stored file: {e}")))?;
        Ok(bytes)
    }
}
