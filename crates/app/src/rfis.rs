//! RFIs (requests for information): raising one to a user or an outside address (which is
//! mailed the RFI with its PDF), editing it, its links to drawings, scope items and rooms,
//! the answer (a client user answers only what is addressed to them; the team records an
//! outside addressee's answer), closing and reopening (compare-and-set), the register with
//! its filters (client users' filtered in SQL: addressed to them or shared with the client),
//! its files (the attachment pipeline, owner `rfi`), and who is told
//! ([`crate::notifications`]).
//!
//! The PDF is drawn by `formula-reports`, which this crate does not depend on (the app
//! holds use cases, not document layout). The use cases that mail it take the renderer as
//! an argument ([`RfiRenderer`]): the web layer passes the function that lays the
//! [`RfiDocument`] out, so the data, the permission checks, the stored copy and the mail
//! stay here, in one use case each, and the app needs no new port wired in every process.

use formula_domain::attachment::{Attachment, OwnerKind};
use formula_domain::audit::FieldChange;
use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::comment::RecordKind;
use formula_domain::company::CompanySettings;
use formula_domain::errors::{FieldErrors, required_text};
use formula_domain::notification::{Event, Parties};
use formula_domain::project::Project;
use formula_domain::rfi::{
    ANSWER_MAX, Addressee, LINKS_MAX, Rfi, RfiLinks, RfiMove, RfiStatus, check_text,
};
use formula_domain::user::Role;
use serde::Deserialize;
use time::Date;
use uuid::Uuid;

use crate::attachments::{AttachmentList, Owner, SentDocument};
use crate::context::Caller;
use crate::drawings::Upload;
use crate::error::{AppError, AppResult};
use crate::jobs::{JobAttachment, NewJob};
use crate::notifications::Happening;
use crate::query::Paging;
use crate::repos::{
    NewRfiRow, RecordKey, RfiAnswerRow, RfiDetails, RfiFilter, RfiLinkIds, RfiMoveRow,
};
use crate::services::{Services, audit, check_version, double_option, ensure};

/// The live-update kind of every change to an RFI (its id is the RFI's).
pub const RFI_CHANGED: &str = "rfi.changed";

/// Lays an RFI out as a PDF (`formula-reports`, passed in by the web layer).
pub type RfiRenderer = fn(&RfiDocument) -> Result<Vec<u8>, String>;

/// The MIME type of the PDF mailed.
const PDF_MIME: &str = "application/pdf";

/// An RFI to raise.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRfi {
    #[schema(min_length = 1, max_length = 200)]
    pub subject: String,
    #[schema(min_length = 1, max_length = 10000)]
    pub question: String,
    /// A user to address it to: a member of the project team or a user of the project's
    /// client (then it is shared with the client). Exactly one of this and
    /// `addressed_to_email`.
    #[serde(default)]
    pub addressed_to_user_id: Option<Uuid>,
    /// An outside address to mail it to (with its PDF). Exactly one of this and
    /// `addressed_to_user_id`.
    #[serde(default)]
    #[schema(max_length = 254)]
    pub addressed_to_email: Option<String>,
    /// The outside addressee's name (only with `addressed_to_email`).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub addressed_to_name: Option<String>,
    #[serde(default)]
    pub required_by: Option<Date>,
    /// Shown to the client's users; always so when addressed to a client user.
    #[serde(default)]
    pub client_visible: Option<bool>,
    /// The project's drawings it is about.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub drawing_ids: Vec<Uuid>,
    /// The project's scope items it is about.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub scope_item_ids: Vec<Uuid>,
    /// The project's rooms it is about.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub room_ids: Vec<Uuid>,
}

/// Changes to an RFI; absent fields stay, `null` clears. Changing the addressee: give the
/// new one and `null` for the other (`addressed_to_user_id` or `addressed_to_email`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RfiPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub subject: Option<String>,
    #[schema(min_length = 1, max_length = 10000)]
    pub question: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub addressed_to_user_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 254)]
    pub addressed_to_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 200)]
    pub addressed_to_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub required_by: Option<Option<Date>>,
    pub client_visible: Option<bool>,
    pub version: Option<i64>,
}

/// The drawings, scope items and rooms an RFI links to (replacing what it linked to).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RfiLinksInput {
    #[serde(default)]
    #[schema(max_items = 100)]
    pub drawing_ids: Vec<Uuid>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub scope_item_ids: Vec<Uuid>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub room_ids: Vec<Uuid>,
    pub version: Option<i64>,
}

/// An answer to an RFI.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RfiAnswerInput {
    #[schema(min_length = 1, max_length = 10000)]
    pub answer: String,
    /// The answer changes the contract value (offers to start a variation).
    #[serde(default)]
    pub cost_impact: bool,
    /// The answer changes the programme (offers to start a variation).
    #[serde(default)]
    pub time_impact: bool,
    pub version: Option<i64>,
}

/// The version a close, reopen or send starts from.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RfiVersion {
    pub version: Option<i64>,
}

/// What the caller may do with an RFI (for showing buttons).
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct RfiAbilities {
    pub edit: bool,
    pub answer: bool,
    pub close: bool,
    pub reopen: bool,
    /// Mail it again to its outside addressee.
    pub send: bool,
    pub add_files: bool,
}

/// Everything the RFI's PDF prints.
#[derive(Debug, Clone)]
pub struct RfiDocument {
    pub project: Project,
    pub rfi: Rfi,
    pub links: RfiLinks,
    pub company: CompanySettings,
    pub logo: Option<Vec<u8>>,
    /// The day it is printed.
    pub today: Date,
}

impl RfiDocument {
    /// The file name it is stored and mailed under: `RFI-003.pdf`.
    pub fn file_name(&self) -> String {
        format!("{}.pdf", self.rfi.code)
    }
}

/// What the register export prints.
pub struct RfiExport {
    pub project: Project,
    pub rfis: Vec<Rfi>,
}

fn not_found_as_rfi(e: AppError) -> AppError {
    match e {
        AppError::NotFound(_) => AppError::NotFound("RFI"),
        other => other,
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

/// Each id once, in the order given; too many is a field error.
fn dedup(errors: &mut FieldErrors, field: &str, ids: &[Uuid]) -> Vec<Uuid> {
    let mut out: Vec<Uuid> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    if out.len() > LINKS_MAX {
        errors.add(field, format!("must list at most {LINKS_MAX}"));
    }
    out
}

fn link_ids(
    errors: &mut FieldErrors,
    drawings: &[Uuid],
    items: &[Uuid],
    rooms: &[Uuid],
) -> RfiLinkIds {
    RfiLinkIds {
        drawing_ids: dedup(errors, "drawing_ids", drawings),
        scope_item_ids: dedup(errors, "scope_item_ids", items),
        room_ids: dedup(errors, "room_ids", rooms),
    }
}

impl Services {
    /// An RFI the caller may see with the project access (client users: only one addressed
    /// to them or shared with the client; any other is "not found").
    pub(crate) async fn rfi_for(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(Rfi, ProjectAccess)> {
        let rfi = self
            .store
            .get_rfi(id, self.today())
            .await?
            .ok_or(AppError::NotFound("RFI"))?;
        let (_, access) = self
            .scope_project(caller, rfi.project_id, Action::ViewRfis)
            .await
            .map_err(not_found_as_rfi)?;
        if caller.actor.role == Role::Client
            && !rfi.client_visible
            && rfi.addressed_to_user_id != Some(caller.actor.user_id)
        {
            return Err(AppError::NotFound("RFI"));
        }
        Ok((rfi, access))
    }

    pub async fn get_rfi(&self, caller: &Caller, id: Uuid) -> AppResult<Rfi> {
        Ok(self.rfi_for(caller, id).await?.0)
    }

    /// An RFI with what it links to.
    pub async fn get_rfi_with_links(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(Rfi, RfiLinks)> {
        let (rfi, _) = self.rfi_for(caller, id).await?;
        let links = self.links_seen_by(caller, id).await?;
        Ok((rfi, links))
    }

    /// What the RFI links to, as the caller may see it: a client user sees its rooms, not
    /// the drawings and scope items (the team's working records; the PDF mailed to an
    /// outside addressee names them all).
    async fn links_seen_by(&self, caller: &Caller, id: Uuid) -> AppResult<RfiLinks> {
        let mut links = self.store.rfi_links(id).await?;
        if caller.actor.role == Role::Client {
            links.drawings.clear();
            links.scope_items.clear();
        }
        Ok(links)
    }

    /// Whether the caller may answer this RFI: those who answer RFIs, a client user only
    /// when it is addressed to them; only while it is open.
    fn may_answer_rfi(&self, caller: &Caller, rfi: &Rfi, access: ProjectAccess) -> bool {
        self.may(caller, Action::AnswerRfis, access)
            && (caller.actor.role != Role::Client
                || rfi.addressed_to_user_id == Some(caller.actor.user_id))
    }

    /// What the caller may do with this RFI.
    pub fn rfi_abilities(&self, caller: &Caller, rfi: &Rfi, access: ProjectAccess) -> RfiAbilities {
        let manage = self.may(caller, Action::ManageRfis, access);
        let answer = self.may_answer_rfi(caller, rfi, access);
        RfiAbilities {
            edit: manage,
            answer: answer && rfi.status.may_answer(),
            close: manage && RfiMove::Close.apply(rfi.status).is_some(),
            reopen: manage && RfiMove::Reopen.apply(rfi.status).is_some(),
            send: manage && rfi.is_external() && rfi.status == RfiStatus::Open,
            // Those who keep RFIs add and remove files (a client user who answers does not
            // remove the PDF the team sent).
            add_files: manage,
        }
    }

    /// An RFI with its links, what the caller may do with it, and its files.
    pub async fn rfi_page(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(Rfi, RfiLinks, RfiAbilities, AttachmentList)> {
        let (rfi, access) = self.rfi_for(caller, id).await?;
        let abilities = self.rfi_abilities(caller, &rfi, access);
        let links = self.links_seen_by(caller, id).await?;
        let files = self.list_attachments(caller, OwnerKind::Rfi, id).await?;
        Ok((rfi, links, abilities, files))
    }

    /// The project's RFIs the caller may see, filtered; a page, or all with `None`.
    pub async fn list_rfis(
        &self,
        caller: &Caller,
        project_id: Uuid,
        mut filter: RfiFilter,
        paging: Option<Paging>,
    ) -> AppResult<(Vec<Rfi>, i64, ProjectAccess)> {
        let (_, access) = self
            .scope_project(caller, project_id, Action::ViewRfis)
            .await?;
        filter.client_user = (caller.actor.role == Role::Client).then_some(caller.actor.user_id);
        let (items, total) = self
            .store
            .list_rfis(project_id, &filter, self.today(), paging)
            .await?;
        Ok((items, total, access))
    }

    /// Whether the caller may raise RFIs on this project (for showing the button).
    pub fn may_raise_rfis(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::ManageRfis, access)
    }

    /// The people an RFI may be addressed to: the project team and the client's users
    /// (active), by name.
    pub async fn rfi_addressees(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<(Uuid, String)>> {
        let (project, _) = self
            .scope_project(caller, project_id, Action::ManageRfis)
            .await?;
        let mut out: Vec<(Uuid, String)> = Vec::new();
        for m in self.store.list_members(project_id).await? {
            out.push((m.user_id, m.name));
        }
        let clients = self
            .store
            .list_users(&crate::query::UserQuery {
                q: None,
                role: Some(Role::Client),
                status: Some(formula_domain::user::UserStatus::Active),
                sort: None,
                paging: Paging {
                    limit: crate::query::MAX_LIMIT,
                    offset: 0,
                },
            })
            .await?;
        for u in clients.items {
            if u.client_id == Some(project.client_id) && !out.iter().any(|(id, _)| *id == u.id) {
                out.push((u.id, format!("{} (client)", u.name)));
            }
        }
        out.sort_by_key(|a| a.1.to_lowercase());
        Ok(out)
    }

    /// Checks a user addressee: active, and on the project team or one of the project's
    /// client's users. Returns whether they are a client user.
    async fn check_addressee_user(
        &self,
        errors: &mut FieldErrors,
        project: &Project,
        user_id: Uuid,
    ) -> AppResult<bool> {
        let user = self.store.get_user(user_id).await?;
        let Some(user) = user.filter(|u| u.is_active()) else {
            errors.add("addressed_to_user_id", "must be an active user");
            return Ok(false);
        };
        if user.role == Role::Client {
            if user.client_id == Some(project.client_id) {
                return Ok(true);
            }
            errors.add(
                "addressed_to_user_id",
                "is a user of another client; address the RFI to the project team or this project's client",
            );
            return Ok(false);
        }
        let members = self.store.list_members(project.id).await?;
        if !members.iter().any(|m| m.user_id == user_id) {
            errors.add(
                "addressed_to_user_id",
                "must be a member of the project team (add them on the Team tab first) or a user of the project's client",
            );
        }
        Ok(false)
    }

    /// Raises an RFI: numbered `RFI-001` on, open, with the caller as its raiser. One to an
    /// outside address is mailed at once with its PDF (drawn by `render`); one to a user
    /// tells them.
    pub async fn raise_rfi(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewRfi,
        render: RfiRenderer,
    ) -> AppResult<Rfi> {
        let (project, _) = self
            .scope_project(caller, project_id, Action::ManageRfis)
            .await?;
        let mut errors = FieldErrors::new();
        let (subject, question) = check_text(&mut errors, &input.subject, &input.question);
        let addressee = Addressee::read(
            &mut errors,
            input.addressed_to_user_id,
            input.addressed_to_email.as_deref(),
            input.addressed_to_name.as_deref(),
        );
        let to_client = match &addressee {
            Some(Addressee::User(id)) => {
                self.check_addressee_user(&mut errors, &project, *id)
                    .await?
            }
            _ => false,
        };
        let links = link_ids(
            &mut errors,
            &input.drawing_ids,
            &input.scope_item_ids,
            &input.room_ids,
        );
        errors.into_result()?;
        let Some(addressee) = addressee else {
            return Err(AppError::field("addressed_to_user_id", "is required"));
        };
        let (user, email, name) = match addressee {
            Addressee::User(id) => (Some(id), None, None),
            Addressee::External { email, name } => (None, Some(email), name),
        };
        let row = NewRfiRow {
            id: formula_domain::new_id(),
            project_id,
            subject,
            question,
            raised_by: caller.actor.user_id,
            raised_at: self.now(),
            addressed_to_user_id: user,
            addressed_to_email: email,
            addressed_to_name: name,
            required_by: input.required_by,
            client_visible: to_client || input.client_visible.unwrap_or(false),
        };
        let changes = vec![
            change("subject", None, Some(row.subject.clone())),
            change(
                "addressed_to",
                None,
                Some(
                    row.addressed_to_email
                        .clone()
                        .or(row.addressed_to_user_id.map(|u| u.to_string()))
                        .unwrap_or_default(),
                ),
            ),
            change("client_visible", None, Some(row.client_visible.to_string())),
        ];
        let a = audit(caller, "create", "rfi", row.id, "", changes).in_project(project_id);
        self.store.insert_rfi(&row, &links, &a).await?;
        let rfi = self
            .store
            .get_rfi(row.id, self.today())
            .await?
            .ok_or(AppError::NotFound("RFI"))?;
        self.announce(
            caller,
            RFI_CHANGED,
            project_id,
            rfi.id,
            Some(rfi.version),
            !rfi.client_visible,
        )
        .await;
        if rfi.is_external() {
            return self.mail_rfi(caller, rfi, project, render).await;
        }
        self.rfi_addressed(caller, &rfi, project.client_id).await;
        Ok(rfi)
    }

    /// Edits an RFI (its subject, question, addressee, date, sharing). Re-addressed to a
    /// user, it tells them; to an outside address, it is not mailed until "send again".
    pub async fn update_rfi(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: RfiPatch,
    ) -> AppResult<Rfi> {
        let (current, access) = self.rfi_for(caller, id).await?;
        ensure(caller, Action::ManageRfis, &Resource::Project(access))?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let project = self
            .store
            .get_project(current.project_id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        let mut errors = FieldErrors::new();
        let (subject, question) = check_text(
            &mut errors,
            patch.subject.as_deref().unwrap_or(&current.subject),
            patch.question.as_deref().unwrap_or(&current.question),
        );
        let user = patch
            .addressed_to_user_id
            .unwrap_or(current.addressed_to_user_id);
        let email = patch
            .addressed_to_email
            .clone()
            .unwrap_or(current.addressed_to_email.clone());
        // A name belongs to an address: switching to a user drops it.
        let name = match (&patch.addressed_to_name, user) {
            (Some(n), _) => n.clone(),
            (None, Some(_)) => None,
            (None, None) => current.addressed_to_name.clone(),
        };
        let addressee = Addressee::read(&mut errors, user, email.as_deref(), name.as_deref());
        let mut to_client = false;
        if let Some(Addressee::User(u)) = &addressee
            && Some(*u) != current.addressed_to_user_id
        {
            to_client = self.check_addressee_user(&mut errors, &project, *u).await?;
        } else if let Some(Addressee::User(u)) = &addressee {
            to_client = self
                .store
                .get_user(*u)
                .await?
                .is_some_and(|u| u.role == Role::Client);
        }
        let client_visible = patch.client_visible.unwrap_or(current.client_visible);
        if to_client && patch.client_visible == Some(false) {
            errors.add(
                "client_visible",
                "stays on: the RFI is addressed to a client user, who sees it",
            );
        }
        errors.into_result()?;
        let Some(addressee) = addressee else {
            return Err(AppError::field("addressed_to_user_id", "is required"));
        };
        let (user, email, name) = match addressee {
            Addressee::User(id) => (Some(id), None, None),
            Addressee::External { email, name } => (None, Some(email), name),
        };
        let details = RfiDetails {
            subject,
            question,
            addressed_to_user_id: user,
            addressed_to_email: email,
            addressed_to_name: name,
            required_by: patch.required_by.unwrap_or(current.required_by),
            client_visible: client_visible || to_client,
        };
        let mut changes = Vec::new();
        let mut diff = |field: &str, old: Option<String>, new: Option<String>| {
            if old != new {
                changes.push(change(field, old, new));
            }
        };
        diff(
            "subject",
            Some(current.subject.clone()),
            Some(details.subject.clone()),
        );
        diff(
            "question",
            Some(current.question.clone()),
            Some(details.question.clone()),
        );
        diff(
            "addressed_to_user_id",
            current.addressed_to_user_id.map(|u| u.to_string()),
            details.addressed_to_user_id.map(|u| u.to_string()),
        );
        diff(
            "addressed_to_email",
            current.addressed_to_email.clone(),
            details.addressed_to_email.clone(),
        );
        diff(
            "addressed_to_name",
            current.addressed_to_name.clone(),
            details.addressed_to_name.clone(),
        );
        diff(
            "required_by",
            current.required_by.map(|d| d.to_string()),
            details.required_by.map(|d| d.to_string()),
        );
        diff(
            "client_visible",
            Some(current.client_visible.to_string()),
            Some(details.client_visible.to_string()),
        );
        let a = audit(caller, "update", "rfi", id, &current.code, changes)
            .in_project(current.project_id);
        self.store
            .update_rfi(id, &details, self.now(), expected_version, &a)
            .await?;
        let (rfi, _) = self.rfi_for(caller, id).await?;
        self.announce(
            caller,
            RFI_CHANGED,
            rfi.project_id,
            id,
            Some(rfi.version),
            !rfi.client_visible && !current.client_visible,
        )
        .await;
        if rfi.addressed_to_user_id.is_some()
            && rfi.addressed_to_user_id != current.addressed_to_user_id
            && rfi.status == RfiStatus::Open
        {
            self.rfi_addressed(caller, &rfi, project.client_id).await;
        }
        Ok(rfi)
    }

    /// Replaces what the RFI links to (the project's drawings, scope items and rooms).
    pub async fn set_rfi_links(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: RfiLinksInput,
    ) -> AppResult<(Rfi, RfiLinks)> {
        let (current, access) = self.rfi_for(caller, id).await?;
        ensure(caller, Action::ManageRfis, &Resource::Project(access))?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let links = link_ids(
            &mut errors,
            &input.drawing_ids,
            &input.scope_item_ids,
            &input.room_ids,
        );
        errors.into_result()?;
        let count = |v: &[Uuid]| Some(v.len().to_string());
        let before = self.store.rfi_links(id).await?;
        let changes = vec![
            change(
                "drawings",
                Some(before.drawings.len().to_string()),
                count(&links.drawing_ids),
            ),
            change(
                "scope_items",
                Some(before.scope_items.len().to_string()),
                count(&links.scope_item_ids),
            ),
            change(
                "rooms",
                Some(before.rooms.len().to_string()),
                count(&links.room_ids),
            ),
        ];
        let a =
            audit(caller, "link", "rfi", id, &current.code, changes).in_project(current.project_id);
        self.store
            .set_rfi_links(
                id,
                current.project_id,
                &links,
                self.now(),
                expected_version,
                &a,
            )
            .await?;
        let (rfi, _) = self.rfi_for(caller, id).await?;
        self.announce(
            caller,
            RFI_CHANGED,
            rfi.project_id,
            id,
            Some(rfi.version),
            !rfi.client_visible,
        )
        .await;
        let links = self.store.rfi_links(id).await?;
        Ok((rfi, links))
    }

    /// Records the answer (only while open): by the addressee, by the team for an outside
    /// addressee (filed under the addressee's name), or by the team for anyone. The raiser
    /// and the project's managers are told.
    pub async fn answer_rfi(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: RfiAnswerInput,
    ) -> AppResult<Rfi> {
        let (current, access) = self.rfi_for(caller, id).await?;
        if !self.may_answer_rfi(caller, &current, access) {
            return Err(AppError::Forbidden);
        }
        check_version(expected_version, current.version, None, current.updated_at)?;
        if !current.status.may_answer() {
            return Err(AppError::InvalidTransition {
                from: current.status.as_str().into(),
                to: RfiStatus::Answered.as_str().into(),
                allowed: current
                    .status
                    .next()
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
            });
        }
        let mut errors = FieldErrors::new();
        let answer = required_text(&mut errors, "answer", &input.answer, ANSWER_MAX);
        errors.into_result()?;
        let on_behalf = current.is_external().then(|| current.addressee_label());
        let row = RfiAnswerRow {
            answer,
            answered_by: caller.actor.user_id,
            answered_by_name: on_behalf.clone(),
            at: self.now(),
            cost_impact: input.cost_impact,
            time_impact: input.time_impact,
        };
        let mut changes = vec![
            change(
                "status",
                Some(current.status.as_str().into()),
                Some(RfiStatus::Answered.as_str().into()),
            ),
            change("answer", None, Some(row.answer.clone())),
            change("cost_impact", None, Some(row.cost_impact.to_string())),
            change("time_impact", None, Some(row.time_impact.to_string())),
        ];
        if let Some(n) = on_behalf {
            changes.push(change("answered_for", None, Some(n)));
        }
        let a = audit(caller, "answer", "rfi", id, &current.code, changes)
            .in_project(current.project_id);
        self.store
            .answer_rfi(id, &row, expected_version, &a)
            .await?;
        let (rfi, _) = self.rfi_for(caller, id).await?;
        self.announce(
            caller,
            RFI_CHANGED,
            rfi.project_id,
            id,
            Some(rfi.version),
            !rfi.client_visible,
        )
        .await;
        if let Some(p) = self.store.get_project(rfi.project_id).await? {
            self.rfi_answered(caller, &rfi, p.client_id).await;
        }
        Ok(rfi)
    }

    /// Closes (from open or answered) or reopens (from answered or closed) an RFI.
    pub async fn move_rfi(
        &self,
        caller: &Caller,
        id: Uuid,
        m: RfiMove,
        expected_version: i64,
    ) -> AppResult<Rfi> {
        let (current, access) = self.rfi_for(caller, id).await?;
        ensure(caller, Action::ManageRfis, &Resource::Project(access))?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let Some(to) = m.apply(current.status) else {
            return Err(AppError::InvalidTransition {
                from: current.status.as_str().into(),
                to: m.to().as_str().into(),
                allowed: current
                    .status
                    .next()
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
            });
        };
        let changes = vec![change(
            "status",
            Some(current.status.as_str().into()),
            Some(to.as_str().into()),
        )];
        let a = audit(caller, m.as_str(), "rfi", id, &current.code, changes)
            .in_project(current.project_id);
        self.store
            .move_rfi(
                id,
                &RfiMoveRow {
                    from: m.from(),
                    to,
                    by: caller.actor.user_id,
                    at: self.now(),
                },
                expected_version,
                &a,
            )
            .await?;
        let (rfi, _) = self.rfi_for(caller, id).await?;
        self.announce(
            caller,
            RFI_CHANGED,
            rfi.project_id,
            id,
            Some(rfi.version),
            !rfi.client_visible,
        )
        .await;
        Ok(rfi)
    }

    /// Mails an open RFI again to its outside addressee, with its PDF as it is now.
    pub async fn send_rfi(&self, caller: &Caller, id: Uuid, render: RfiRenderer) -> AppResult<Rfi> {
        let (rfi, access) = self.rfi_for(caller, id).await?;
        ensure(caller, Action::ManageRfis, &Resource::Project(access))?;
        if !rfi.is_external() {
            return Err(AppError::Conflict {
                code: "not_external",
                message: format!(
                    "{} is addressed to a user of the app, who reads it here; only an RFI to an outside e-mail address is mailed",
                    rfi.code
                ),
                fields: FieldErrors::new(),
            });
        }
        if rfi.status != RfiStatus::Open {
            return Err(AppError::Conflict {
                code: "not_open",
                message: format!(
                    "{} is {}; reopen it to ask again",
                    rfi.code,
                    rfi.status.label().to_lowercase()
                ),
                fields: FieldErrors::new(),
            });
        }
        let project = self
            .store
            .get_project(rfi.project_id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        self.mail_rfi(caller, rfi, project, render).await
    }

    /// Draws the RFI's PDF, keeps it as an attachment of the RFI (the team sees exactly
    /// what was sent), and queues the mail with it attached, stamping `sent_at`.
    async fn mail_rfi(
        &self,
        caller: &Caller,
        rfi: Rfi,
        project: Project,
        render: RfiRenderer,
    ) -> AppResult<Rfi> {
        let Some(to) = rfi.addressed_to_email.clone() else {
            return Ok(rfi);
        };
        let doc = self.rfi_document_of(rfi.clone(), project.clone()).await?;
        let file_name = doc.file_name();
        let bytes = tokio::task::spawn_blocking(move || render(&doc))
            .await
            .map_err(|e| AppError::Internal(format!("the PDF task failed: {e}")))?
            .map_err(|e| AppError::Internal(format!("the RFI's PDF could not be made: {e}")))?;
        let kept = SentDocument {
            owner_kind: OwnerKind::Rfi,
            owner_id: rfi.id,
            project_id: rfi.project_id,
            label: &rfi.code,
            file_name: &file_name,
            mime: PDF_MIME,
            caption: "As mailed to the addressee",
        };
        let attachment = self.keep_sent_document(caller, kept, bytes).await?;
        let company = self.store.company_settings().await?;
        let subject = format!("{}: {} ({})", rfi.code, rfi.subject, project.code);
        let mut body = format!(
            "{} asks for information on the project {} ({}).\n\n{}: {}\n",
            company.name, project.name, project.code, rfi.code, rfi.subject
        );
        if let Some(d) = rfi.required_by {
            body.push_str(&format!("Answer required by: {d}\n"));
        }
        body.push_str(&format!(
            "\n{}\n\nThe RFI is attached as a PDF ({}). Please reply to this e-mail with your answer.\n",
            rfi.question, file_name
        ));
        let job = NewJob::email_with(
            &to,
            &subject,
            &body,
            &[JobAttachment {
                blob_key: attachment.blob_key.clone(),
                file_name: file_name.clone(),
                content_type: PDF_MIME.into(),
            }],
        );
        let a = audit(
            caller,
            "send",
            "rfi",
            rfi.id,
            &rfi.code,
            vec![
                change("to", None, Some(to)),
                change("attachment", None, Some(file_name)),
            ],
        )
        .in_project(rfi.project_id);
        self.store
            .mark_rfi_sent(rfi.id, self.now(), &job, &a)
            .await?;
        self.wake_workers();
        let fresh = self
            .store
            .get_rfi(rfi.id, self.today())
            .await?
            .ok_or(AppError::NotFound("RFI"))?;
        self.announce(
            caller,
            RFI_CHANGED,
            fresh.project_id,
            fresh.id,
            Some(fresh.version),
            !fresh.client_visible,
        )
        .await;
        Ok(fresh)
    }

    async fn rfi_document_of(&self, rfi: Rfi, project: Project) -> AppResult<RfiDocument> {
        let links = self.store.rfi_links(rfi.id).await?;
        let company = self.store.company_settings().await?;
        let logo = self.logo_bytes(&company).await?.map(|(b, _)| b);
        Ok(RfiDocument {
            project,
            rfi,
            links,
            company,
            logo,
            today: self.today(),
        })
    }

    /// What the RFI's PDF prints (whoever sees the RFI may have it).
    pub async fn rfi_document(&self, caller: &Caller, id: Uuid) -> AppResult<RfiDocument> {
        let (rfi, _) = self.rfi_for(caller, id).await?;
        let project = self
            .store
            .get_project(rfi.project_id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        let mut doc = self.rfi_document_of(rfi, project).await?;
        doc.links = self.links_seen_by(caller, id).await?;
        Ok(doc)
    }

    /// The register to export: the RFIs the caller may see, filtered as the list.
    pub async fn rfi_export(
        &self,
        caller: &Caller,
        project_id: Uuid,
        filter: RfiFilter,
    ) -> AppResult<RfiExport> {
        let (rfis, _, _) = self.list_rfis(caller, project_id, filter, None).await?;
        let project = self
            .store
            .get_project(project_id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        Ok(RfiExport { project, rfis })
    }

    /// Adds a file to an RFI (the attachment pipeline; a retry of the same file adds
    /// nothing). `.1` says whether it is new.
    pub async fn add_rfi_file(
        &self,
        caller: &Caller,
        id: Uuid,
        caption: Option<String>,
        upload: &Upload,
    ) -> AppResult<(Attachment, bool)> {
        self.add_attachment(caller, OwnerKind::Rfi, id, None, caption, upload)
            .await
    }

    /// An RFI as the owner of attachments: whoever sees it sees its files; those who
    /// manage RFIs add and remove them.
    pub(crate) async fn rfi_as_owner(
        &self,
        caller: &Caller,
        id: Uuid,
        manage: bool,
    ) -> AppResult<Owner> {
        let (rfi, access) = self.rfi_for(caller, id).await?;
        if manage && !self.rfi_abilities(caller, &rfi, access).add_files {
            return Err(AppError::Forbidden);
        }
        Ok(Owner {
            project_id: rfi.project_id,
            label: rfi.code,
            comment: None,
        })
    }

    fn rfi_happening(rfi: &Rfi, client_id: Uuid, event: Event, title: String) -> Happening {
        // RFIs have no discussion thread of their own: their notifications hang on the
        // project's, and link to the RFI.
        let record = RecordKey {
            kind: RecordKind::Project,
            id: rfi.project_id,
            project_id: rfi.project_id,
        };
        let mut h = Happening::new(event, record, client_id, title);
        h.link = format!("/rfis/{}", rfi.id);
        h.client_sees = rfi.client_visible;
        h.internal = !rfi.client_visible;
        h
    }

    /// Tells the user the RFI is addressed to.
    async fn rfi_addressed(&self, caller: &Caller, rfi: &Rfi, client_id: Uuid) {
        let Some(user) = rfi.addressed_to_user_id else {
            return;
        };
        let mut h = Self::rfi_happening(
            rfi,
            client_id,
            Event::RfiAddressed,
            format!(
                "{} asks you {} “{}”{}",
                caller.actor.name,
                rfi.code,
                rfi.subject,
                rfi.required_by
                    .map(|d| format!(", answer by {d}"))
                    .unwrap_or_default()
            ),
        )
        .by(caller);
        h.parties.assignee = Some(user);
        h.occurrence = format!("{}:{user}", rfi.id);
        self.notify(h).await;
    }

    /// Tells the raiser and the project's managers the RFI was answered.
    async fn rfi_answered(&self, caller: &Caller, rfi: &Rfi, client_id: Uuid) {
        let who = rfi
            .answered_by_name
            .clone()
            .unwrap_or_else(|| caller.actor.name.clone());
        let mut h = Self::rfi_happening(
            rfi,
            client_id,
            Event::RfiAnswered,
            format!(
                "{who} answered {} “{}”{}",
                rfi.code,
                rfi.subject,
                rfi.impact_label()
                    .map(|i| format!(" ({} impact)", i.to_lowercase()))
                    .unwrap_or_default()
            ),
        )
        .by(caller);
        h.excerpt = rfi.answer.as_deref().map(crate::notifications::excerpt);
        h.parties.creator = rfi.raised_by;
        h.occurrence = format!("{}:v{}", rfi.id, rfi.version);
        self.notify(h).await;
    }

    /// The day's overdue RFI reminders (from the hourly reminders job; each stored once
    /// per RFI and day): to the user addressed and the raiser.
    pub(crate) async fn rfi_reminders(&self, today: Date) -> AppResult<usize> {
        let mut reported = 0;
        for due in self.store.rfis_overdue(today).await? {
            let r = &due.rfi;
            let Some(d) = r.required_by else { continue };
            let late = (today - d).whole_days();
            let mut h = Self::rfi_happening(
                r,
                due.client_id,
                Event::RfiOverdue,
                format!(
                    "{} “{}” to {} is overdue by {late} day{}",
                    r.code,
                    r.subject,
                    r.addressee_label(),
                    if late == 1 { "" } else { "s" }
                ),
            );
            h.parties = Parties {
                assignee: r.addressed_to_user_id,
                creator: r.raised_by,
                ..Parties::default()
            };
            h.occurrence = format!("{}:{today}", r.id);
            self.notify(h).await;
            reported += 1;
        }
        Ok(reported)
    }
}
