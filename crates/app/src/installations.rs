//! Installation by room: recording that items were installed in a room (with the installer,
//! the day and a photo), reversing a record made by mistake, and the room sheet the people on
//! site work from. The ledger rules live in `formula_domain::installation`; the store checks
//! them again in the transaction that adds each movement, with the item's row locked.
//!
//! A record that completes a room (every item expected there fully installed) while no snag
//! is open there tells the project's managers and coordinators that the room is ready for
//! sign-off.

use formula_domain::attachment::{OwnerKind, Purpose};
use formula_domain::authz::{Action, ProjectAccess};
use formula_domain::comment::RecordKind;
use formula_domain::errors::{FieldErrors, optional_text};
use formula_domain::installation::{
    Balance, INSTALLER_MAX, Installation, ItemPlace, ItemStage, NOTE_MAX, NewInstallation,
    check_movement, installable, room_limit,
};
use formula_domain::location::{Location, LocationKind};
use formula_domain::notification::Event;
use formula_domain::project::ProjectRole;
use formula_domain::scope::Quantity;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::attachments::{Checked, Owner};
use crate::context::Caller;
use crate::drawings::Upload;
use crate::error::{AppError, AppResult};
use crate::idempotency::{Fingerprint, IdempotencyKey, Once};
use crate::notifications::Happening;
use crate::query::{Page, Paging};
use crate::repos::{InstallationQuery, InstalledSum, Moved, RecordKey, RoomItemRow};
use crate::services::{Services, audit, created};

/// The live-update kind of a new installation record (its id is the room's).
pub const INSTALLATION_RECORDED: &str = "installation.recorded";
/// The live-update kind of a reversal (its id is the room's).
pub const INSTALLATION_REVERSED: &str = "installation.reversed";
/// How many recent records the room sheet shows.
pub const RECENT: u32 = 20;

/// An installation to record in a room.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallationInput {
    /// One of the project's scope items expected in the room (placed in it, or on its room
    /// type).
    pub scope_item_id: Uuid,
    /// How many were installed: more than 0, at most what is left to install in the room.
    pub quantity: Quantity,
    /// The day they were installed (default today); not in the future, nor before 2000.
    #[serde(default)]
    pub installed_on: Option<Date>,
    /// Who installed them, a person or a trade (default: the caller's name).
    #[serde(default)]
    #[schema(max_length = 120)]
    pub installer: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Why a record is reversed.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseInput {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Where an item on a room sheet is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Placed {
    /// In this room.
    Room,
    /// On the room's type (`required` is its quantity per room).
    RoomType,
    /// Placed elsewhere since it was installed here (only its records keep it on the sheet).
    Elsewhere,
}

/// One item expected in a room, and how far its installation there has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RoomItem {
    pub scope_item_id: Uuid,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub placed: Placed,
    /// What the room holds of it when done.
    pub required: Quantity,
    /// What is installed there now (the sum of its records).
    pub installed: Quantity,
    /// `required − installed`.
    pub remaining: Quantity,
    /// Released to production (only a released item can be installed).
    pub released: bool,
    /// Received on site (over the item's delivery notes) and not installed in any room.
    pub on_site: Quantity,
    /// What may be installed now: once released, `remaining` and at most `on_site`; else 0.
    pub left_to_install: Quantity,
}

impl RoomItem {
    fn done(&self) -> bool {
        self.placed == Placed::Elsewhere || self.installed >= self.required
    }
}

/// A place above the room, for the breadcrumb.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlaceRef {
    pub id: Uuid,
    pub kind: LocationKind,
    pub code: String,
    pub name: String,
}

/// A room as the people on site work from it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoomSheet {
    pub room: Location,
    pub project_code: String,
    /// The building, level and zone it is in, outermost first.
    pub ancestors: Vec<PlaceRef>,
    pub room_type_code: Option<String>,
    pub room_type_name: Option<String>,
    /// Every item expected in the room, in code order.
    pub items: Vec<RoomItem>,
    /// Every item expected in the room is fully installed (and there is at least one).
    pub complete: bool,
    /// Snags open in the room.
    pub open_snags: i64,
    /// The latest records in the room, newest first.
    pub recent: Vec<Installation>,
    /// Whether the caller may record and reverse installations here.
    pub can_record: bool,
}

/// One page of installation records.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstallationPage {
    pub items: Vec<Installation>,
    /// Matching records across all pages.
    pub total: i64,
    /// 1-based page number.
    pub page: u64,
    /// Page size used.
    pub limit: u32,
}

impl From<Page<Installation>> for InstallationPage {
    fn from(p: Page<Installation>) -> Self {
        InstallationPage {
            items: p.items,
            total: p.total,
            page: p.page,
            limit: p.limit,
        }
    }
}

/// Filters of a project's installation records.
#[derive(Debug, Clone, Default)]
pub struct InstallationFilter {
    pub room_id: Option<Uuid>,
    pub scope_item_id: Option<Uuid>,
    pub building_id: Option<Uuid>,
    pub level_id: Option<Uuid>,
    pub paging: Paging,
}

/// What is written in the audit trail about a record.
#[derive(Serialize)]
struct Snapshot<'a> {
    item: &'a str,
    room: &'a str,
    quantity: Quantity,
    installed_on: Date,
    installer: &'a Option<String>,
    note: &'a Option<String>,
}

/// The sheet's rows from the store's: what the room holds of each item and how far it is.
fn sheet_items(room: &Location, rows: Vec<RoomItemRow>) -> Vec<RoomItem> {
    rows.into_iter()
        .map(|r| {
            let place = ItemPlace {
                room_id: r.room_id,
                room_type_id: r.room_type_id,
                quantity: r.quantity,
                quantity_per_room: r.quantity_per_room,
            };
            let limit = room_limit(&place, room.id, room.room_type_id);
            let placed = match limit {
                None => Placed::Elsewhere,
                Some(_) if r.room_id == Some(room.id) => Placed::Room,
                Some(_) => Placed::RoomType,
            };
            let required = limit.unwrap_or_default();
            let released = r.released_at.is_some();
            let stage = ItemStage {
                released,
                received: r.received,
                installed: r.installed_total,
            };
            let may = installable(required, r.installed, stage);
            RoomItem {
                scope_item_id: r.scope_item_id,
                code: r.code,
                name: r.name,
                unit: r.unit,
                placed,
                required,
                installed: r.installed,
                remaining: Quantity((required.0 - r.installed.0).max(0)),
                released,
                on_site: stage.on_site(),
                left_to_install: Quantity((may.0 - r.installed.0).max(0)),
            }
        })
        .collect()
}

/// Every item expected in the room is fully installed, and there is one at least.
fn room_complete(items: &[RoomItem]) -> bool {
    let expected: Vec<&RoomItem> = items
        .iter()
        .filter(|i| i.placed != Placed::Elsewhere && i.required.0 > 0)
        .collect();
    !expected.is_empty() && items.iter().all(RoomItem::done)
}

/// A refusal of the ledger as the store words it: a conflict on `quantity`.
fn refusal(code: &'static str, message: &str) -> AppError {
    let mut fields = FieldErrors::new();
    fields.add("quantity", message);
    AppError::Conflict {
        code,
        message: message.to_owned(),
        fields,
    }
}

impl Services {
    /// A room of a project the caller may do `action` in ("not found" for anything else,
    /// or a project they cannot see).
    pub(crate) async fn room_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(Location, ProjectAccess)> {
        let room = self
            .store
            .get_location(id)
            .await?
            .filter(|l| l.kind == LocationKind::Room)
            .ok_or(AppError::NotFound("room"))?;
        let (_, access) = self
            .scope_project(caller, room.project_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("room"),
                other => other,
            })?;
        Ok((room, access))
    }

    /// An installation record the caller may do `action` on, with its photo.
    pub(crate) async fn installation_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(Installation, ProjectAccess)> {
        let inst = self
            .store
            .get_installation(id)
            .await?
            .ok_or(AppError::NotFound("installation"))?;
        let (_, access) = self
            .scope_project(caller, inst.project_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("installation"),
                other => other,
            })?;
        let mut one = vec![inst];
        self.with_photos(&mut one).await?;
        let inst = one.pop().ok_or(AppError::NotFound("installation"))?;
        Ok((inst, access))
    }

    /// Fills in each record's photo (the first photo attached to it).
    async fn with_photos(&self, records: &mut [Installation]) -> AppResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
        let photos = self
            .store
            .list_attachments_of(OwnerKind::Installation, &ids)
            .await?;
        for r in records.iter_mut() {
            r.photo = photos.iter().find(|a| a.owner_id == r.id).cloned();
        }
        Ok(())
    }

    /// One installation record.
    pub async fn get_installation(&self, caller: &Caller, id: Uuid) -> AppResult<Installation> {
        Ok(self
            .installation_for(caller, id, Action::ViewInstallations)
            .await?
            .0)
    }

    /// The room sheet: every item expected in the room with what is required, installed and
    /// left, and the latest records.
    pub async fn room_sheet(&self, caller: &Caller, room_id: Uuid) -> AppResult<RoomSheet> {
        let (room, access) = self
            .room_for(caller, room_id, Action::ViewInstallations)
            .await?;
        let project = self
            .store
            .get_project(room.project_id)
            .await?
            .ok_or(AppError::NotFound("room"))?;
        let tree = self.store.list_locations(room.project_id).await?;
        let mut ancestors = Vec::new();
        let mut up = room.parent_id;
        while let Some(pid) = up {
            let Some(p) = tree.iter().find(|l| l.id == pid) else {
                break;
            };
            ancestors.insert(
                0,
                PlaceRef {
                    id: p.id,
                    kind: p.kind,
                    code: p.code.clone(),
                    name: p.name.clone(),
                },
            );
            up = p.parent_id;
        }
        let room_type = match room.room_type_id {
            Some(t) => self.store.get_room_type(t).await?,
            None => None,
        };
        let items = sheet_items(&room, self.store.room_items(room.id).await?);
        let mut recent = self
            .store
            .list_installations(&InstallationQuery {
                project_id: room.project_id,
                room_id: Some(room.id),
                paging: Paging {
                    limit: RECENT,
                    offset: 0,
                },
                ..Default::default()
            })
            .await?
            .items;
        self.with_photos(&mut recent).await?;
        Ok(RoomSheet {
            complete: room_complete(&items),
            open_snags: self.store.open_snags_in_room(room.id).await?,
            can_record: self.may(caller, Action::RecordInstallation, access),
            project_code: project.code,
            ancestors,
            room_type_code: room_type.as_ref().map(|t| t.code.clone()),
            room_type_name: room_type.map(|t| t.name),
            room,
            items,
            recent,
        })
    }

    /// A project's installation records, newest first, with their photos.
    pub async fn list_installations(
        &self,
        caller: &Caller,
        project_id: Uuid,
        filter: InstallationFilter,
    ) -> AppResult<Page<Installation>> {
        self.scope_project(caller, project_id, Action::ViewInstallations)
            .await?;
        let mut page = self
            .store
            .list_installations(&InstallationQuery {
                project_id,
                room_id: filter.room_id,
                scope_item_id: filter.scope_item_id,
                building_id: filter.building_id,
                level_id: filter.level_id,
                paging: filter.paging,
            })
            .await?;
        self.with_photos(&mut page.items).await?;
        Ok(page)
    }

    /// What is installed of each item in each room of a project (for progress and the room
    /// matrix): states and counts only, which whoever sees site progress may read.
    pub async fn installed_sums(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<InstalledSum>> {
        self.scope_project(caller, project_id, Action::ViewSiteProgress)
            .await?;
        self.store.installed_in_project(project_id).await
    }

    /// Records that `input.quantity` of an item were installed in the room, with an optional
    /// photo. With an idempotency key, a retry creates nothing and answers with the record
    /// the first request made (`.1` is then `false`).
    pub async fn record_installation(
        &self,
        caller: &Caller,
        room_id: Uuid,
        input: InstallationInput,
        photo: Option<&Upload>,
        key: Option<&IdempotencyKey>,
    ) -> AppResult<(Installation, bool)> {
        let (room, access) = self
            .room_for(caller, room_id, Action::RecordInstallation)
            .await?;
        let mut errors = FieldErrors::new();
        if input.quantity.0 <= 0 {
            errors.add("quantity", "must be more than 0");
        }
        let today = self.today();
        let installed_on = input.installed_on.unwrap_or(today);
        if installed_on > today {
            errors.add("installed_on", "cannot be in the future");
        } else if installed_on.year() < 2000 {
            errors.add(
                "installed_on",
                "must be the day it was installed, from 2000 on",
            );
        }
        let installer = optional_text(
            &mut errors,
            "installer",
            input.installer.as_deref(),
            INSTALLER_MAX,
        )
        .or_else(|| Some(caller.actor.name.clone()));
        let note = optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX);
        let item = self.store.get_scope_item(input.scope_item_id).await?;
        let item = match item {
            Some(i) if i.project_id == room.project_id => Some(i),
            _ => {
                errors.add("scope_item_id", "must be one of this project's scope items");
                None
            }
        };
        let checked = photo.map(|upload| Checked::photo(&mut errors, upload));
        errors.into_result()?;
        let Some(item) = item else {
            return Err(AppError::NotFound("scope item"));
        };
        let request = Fingerprint::new("installation")
            .part(room.id.as_bytes())
            .part(item.id.as_bytes())
            .part(input.quantity.to_string())
            .part(installed_on.to_string())
            .opt(installer.as_deref())
            .opt(note.as_deref())
            .opt(photo.map(|p| format!("{}:{}", p.name, p.sha256)));
        let label = format!("{} in {}", item.code, room.code);
        let once = self
            .once(
                caller,
                key,
                "installation",
                request,
                |(i, _): &(Installation, Moved)| i.id,
                || async {
                    // What the room's sheet says now refuses the plain cases before a photo
                    // is stored; the store checks again, with the item locked.
                    let rows = self.store.room_items(room.id).await?;
                    let row = rows.iter().find(|r| r.scope_item_id == item.id);
                    let installed = row.map_or(Quantity(0), |r| r.installed);
                    let place = ItemPlace {
                        room_id: item.placement.room_id,
                        room_type_id: item.placement.room_type_id,
                        quantity: item.quantity,
                        quantity_per_room: item.placement.quantity_per_room,
                    };
                    let balance = Balance {
                        item_code: &item.code,
                        room_code: &room.code,
                        limit: room_limit(&place, room.id, room.room_type_id),
                        stage: ItemStage {
                            released: item.released_at.is_some(),
                            received: row.map_or(Quantity(0), |r| r.received),
                            installed: row.map_or(Quantity(0), |r| r.installed_total),
                        },
                        installed,
                    };
                    check_movement(&balance, input.quantity)
                        .map_err(|why| refusal(why.code(), why.message()))?;
                    let new = NewInstallation {
                        id: formula_domain::new_id(),
                        project_id: room.project_id,
                        scope_item_id: item.id,
                        room_id: room.id,
                        quantity: input.quantity,
                        installed_on,
                        installer: installer.clone(),
                        note: note.clone(),
                        reverses_id: None,
                        recorded_by: Some(caller.actor.user_id),
                        recorded_at: self.now(),
                    };
                    let stored_photo = match (photo, checked) {
                        (Some(upload), Some(file)) => {
                            let owner = Owner {
                                project_id: room.project_id,
                                label: label.clone(),
                                comment: None,
                            };
                            Some(
                                self.store_attachment(
                                    caller,
                                    &owner,
                                    (OwnerKind::Installation, new.id),
                                    Some(Purpose::Photo),
                                    None,
                                    upload,
                                    file,
                                )
                                .await?
                                .0,
                            )
                        }
                        _ => None,
                    };
                    let a = audit(
                        caller,
                        "install",
                        "installation",
                        new.id,
                        &label,
                        created(&Snapshot {
                            item: &item.code,
                            room: &room.code,
                            quantity: new.quantity,
                            installed_on,
                            installer: &new.installer,
                            note: &new.note,
                        }),
                    )
                    .in_project(room.project_id);
                    let moved = match self.store.record_movement(&new, &a).await {
                        Ok(m) => m,
                        Err(e) => {
                            // Refused after all (another installer was first): the photo
                            // goes with the record that was not made.
                            if let Some(p) = stored_photo {
                                let detach = audit(
                                    caller,
                                    "detach",
                                    "installation",
                                    new.id,
                                    &label,
                                    Vec::new(),
                                )
                                .in_project(room.project_id);
                                if let Err(cleanup) =
                                    self.store.delete_attachment(p.id, &detach).await
                                {
                                    tracing::warn!(error = %cleanup, "could not remove the photo of a refused installation");
                                }
                                self.remove_deleted_files().await;
                            }
                            return Err(e);
                        }
                    };
                    let (made, _) = self
                        .installation_for(caller, new.id, Action::RecordInstallation)
                        .await?;
                    Ok((made, moved))
                },
            )
            .await;
        let once = match once {
            Ok(Once::New((made, moved))) => {
                self.changed(
                    caller,
                    INSTALLATION_RECORDED,
                    room.project_id,
                    room.id,
                    None,
                )
                .await;
                if moved.installed >= moved.limit {
                    self.room_maybe_ready(caller, &room, access).await;
                }
                return Ok((made, true));
            }
            Ok(Once::Earlier(id)) => id,
            Err(e) => return Err(e),
        };
        let (earlier, _) = self
            .installation_for(caller, once, Action::RecordInstallation)
            .await?;
        Ok((earlier, false))
    }

    /// Undoes a record made by mistake: a new record takes the same quantity back (a
    /// record is reversed once; a reversal is not reversed, a new record is made instead).
    pub async fn reverse_installation(
        &self,
        caller: &Caller,
        id: Uuid,
        input: ReverseInput,
    ) -> AppResult<Installation> {
        let (inst, _) = self
            .installation_for(caller, id, Action::RecordInstallation)
            .await?;
        let mut errors = FieldErrors::new();
        let note = optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX);
        errors.into_result()?;
        if inst.reverses_id.is_some() {
            return Err(refusal(
                "not_reversible",
                "this record is itself a reversal; record the installation again instead",
            ));
        }
        if inst.reversed_by_id.is_some() {
            return Err(refusal(
                "already_reversed",
                "this installation was reversed already",
            ));
        }
        let new = NewInstallation {
            id: formula_domain::new_id(),
            project_id: inst.project_id,
            scope_item_id: inst.scope_item_id,
            room_id: inst.room_id,
            quantity: Quantity(-inst.quantity.0),
            installed_on: self.today(),
            installer: None,
            note,
            reverses_id: Some(inst.id),
            recorded_by: Some(caller.actor.user_id),
            recorded_at: self.now(),
        };
        let label = format!("{} in {}", inst.item_code, inst.room_code);
        let a = audit(
            caller,
            "reverse",
            "installation",
            new.id,
            &label,
            vec![formula_domain::audit::FieldChange {
                field: "reverses".into(),
                old: serde_json::Value::Null,
                new: serde_json::json!({
                    "installation": inst.id,
                    "quantity": inst.quantity.to_string(),
                    "note": new.note,
                }),
            }],
        )
        .in_project(inst.project_id);
        self.store.record_movement(&new, &a).await?;
        self.changed(
            caller,
            INSTALLATION_REVERSED,
            inst.project_id,
            inst.room_id,
            None,
        )
        .await;
        Ok(self
            .installation_for(caller, new.id, Action::RecordInstallation)
            .await?
            .0)
    }

    /// Whether the caller may record installations in this project (for showing controls).
    pub fn may_record_installations(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::RecordInstallation, access)
    }

    /// After a record filled its item in the room (or a room's last open or fixed snag was
    /// settled): when every item expected there is fully installed and no snag in it is open
    /// or fixed, the project's managers and coordinators hear that the room is ready for
    /// sign-off. Failures are logged: the change stands.
    pub(crate) async fn room_maybe_ready(
        &self,
        caller: &Caller,
        room: &Location,
        access: ProjectAccess,
    ) {
        let ready = async {
            let items = sheet_items(room, self.store.room_items(room.id).await?);
            Ok::<_, AppError>(
                room_complete(&items) && self.store.open_snags_in_room(room.id).await? == 0,
            )
        };
        match ready.await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(room = %room.id, error = %e, "could not tell whether a room is ready for sign-off");
                return;
            }
        }
        let people = match self.store.project_people(room.project_id).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(room = %room.id, error = %e, "could not find whom to tell of a room ready for sign-off");
                return;
            }
        };
        let record = RecordKey {
            kind: RecordKind::Project,
            id: room.project_id,
            project_id: room.project_id,
        };
        let mut h = Happening::new(
            Event::RoomReady,
            record,
            access.client_id,
            format!(
                "{} {} is installed and ready for sign-off",
                room.code, room.name
            ),
        )
        .by(caller);
        h.client_sees = false;
        h.internal = true;
        h.link = format!("/rooms/{}", room.id);
        // Once per completion: reversed and completed again is news again.
        h.occurrence = format!("{}:{}", room.id, self.now().unix_timestamp_nanos());
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
        if h.parties.managers.is_empty() {
            return;
        }
        self.notify(h).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(placed: Placed, required: i64, installed: i64) -> RoomItem {
        RoomItem {
            scope_item_id: Uuid::nil(),
            code: "X".into(),
            name: "X".into(),
            unit: "pcs".into(),
            placed,
            required: Quantity::units(required),
            installed: Quantity::units(installed),
            remaining: Quantity::units(required - installed),
            released: true,
            on_site: Quantity::units(required - installed),
            left_to_install: Quantity::units(required - installed),
        }
    }

    #[test]
    fn a_room_is_complete_when_every_expected_item_is_in() {
        assert!(!room_complete(&[]));
        assert!(room_complete(&[
            item(Placed::Room, 1, 1),
            item(Placed::RoomType, 3, 3)
        ]));
        assert!(!room_complete(&[
            item(Placed::Room, 1, 1),
            item(Placed::RoomType, 3, 2)
        ]));
        // An item placed elsewhere since does not hold the room back.
        assert!(room_complete(&[
            item(Placed::Room, 1, 1),
            item(Placed::Elsewhere, 0, 2)
        ]));
    }
}
