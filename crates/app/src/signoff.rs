//! Room sign-off: a room may be signed off when every item expected in it is fully
//! installed (the installations ledger summed per item and room equals what the room holds:
//! a room item's quantity, or a room-type item's quantity per room) and no snag in it is
//! open or fixed. The check and the write are one transaction. A snag raised later reopens
//! the sign-off (see [`crate::snags`]); those who sign rooms off may also withdraw one.

use formula_domain::authz::Action;
use formula_domain::errors::{FieldErrors, optional_text};
use formula_domain::snag::{Blockers, SignOff};
use formula_domain::user::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::AppResult;
use crate::services::{Services, audit};

/// The live-update kind of a room's sign-off changing (its id is the room's).
pub const SIGNOFF_CHANGED: &str = "signoff.changed";

/// A sign-off to record.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOffInput {
    /// The client's representative who signed with us, if one did.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub client_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A room's sign-off state: the current sign-off, what blocks one, and whether the caller
/// may sign it off now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignOffState {
    pub room_id: Uuid,
    pub room_code: String,
    pub room_name: String,
    /// The current sign-off, while the room is signed off.
    pub signed_off: Option<SignOff>,
    /// Nothing blocks a sign-off.
    pub ready: bool,
    /// What blocks one (client users see only the snags shared with them).
    pub blockers: Blockers,
    /// The blockers in words ("2 items not installed: …; 1 open snag: SN-004"); empty when
    /// ready.
    pub summary: String,
    /// The caller may sign it off (or withdraw the sign-off).
    pub can_sign_off: bool,
}

impl Services {
    /// The room's sign-off state.
    pub async fn signoff_state(&self, caller: &Caller, room_id: Uuid) -> AppResult<SignOffState> {
        let (room, access) = self
            .room_for(caller, room_id, Action::ViewSiteProgress)
            .await?;
        let signed_off = self.store.current_signoff(room.id).await?;
        let mut blockers = self.store.signoff_blockers(room.id).await?;
        let ready = blockers.is_empty();
        let summary = blockers.describe();
        if caller.actor.role == Role::Client {
            // Internal snags are not named to the client; the room still reads as not ready.
            let visible = self
                .store
                .list_snags(
                    room.project_id,
                    &crate::repos::SnagFilter {
                        room_id: Some(room.id),
                        client_only: true,
                        ..Default::default()
                    },
                    self.today(),
                    None,
                )
                .await?
                .0;
            blockers
                .snags
                .retain(|b| visible.iter().any(|s| s.id == b.id));
        }
        let summary = if caller.actor.role == Role::Client {
            blockers.describe()
        } else {
            summary
        };
        Ok(SignOffState {
            room_id: room.id,
            room_code: room.code,
            room_name: room.name,
            ready,
            summary,
            blockers,
            can_sign_off: self.may(caller, Action::SignOffRooms, access),
            signed_off,
        })
    }

    /// Signs the room off, refused (409 `not_ready`) with what blocks it.
    pub async fn sign_off_room(
        &self,
        caller: &Caller,
        room_id: Uuid,
        input: SignOffInput,
    ) -> AppResult<SignOffState> {
        let (room, _) = self.room_for(caller, room_id, Action::SignOffRooms).await?;
        let mut errors = FieldErrors::new();
        let client_name = optional_text(
            &mut errors,
            "client_name",
            input.client_name.as_deref(),
            200,
        );
        let note = optional_text(&mut errors, "note", input.note.as_deref(), 2000);
        errors.into_result()?;
        let signoff = SignOff {
            id: formula_domain::new_id(),
            room_id: room.id,
            signed_by: Some(caller.actor.user_id),
            signed_by_name: Some(caller.actor.name.clone()),
            signed_at: self.now(),
            client_name: client_name.clone(),
            note,
        };
        let mut changes = vec![formula_domain::audit::FieldChange {
            field: "signed_off".into(),
            old: serde_json::Value::Bool(false),
            new: serde_json::Value::Bool(true),
        }];
        if let Some(c) = client_name {
            changes.push(formula_domain::audit::FieldChange {
                field: "client_name".into(),
                old: serde_json::Value::Null,
                new: serde_json::Value::String(c),
            });
        }
        let a = audit(caller, "sign_off", "location", room.id, &room.code, changes)
            .in_project(room.project_id);
        self.store
            .sign_off_room(&signoff, room.project_id, &a)
            .await?;
        self.changed(caller, SIGNOFF_CHANGED, room.project_id, room.id, None)
            .await;
        self.signoff_state(caller, room_id).await
    }

    /// Withdraws the room's sign-off (kept in its history, marked reopened).
    pub async fn withdraw_signoff(
        &self,
        caller: &Caller,
        room_id: Uuid,
    ) -> AppResult<SignOffState> {
        let (room, _) = self.room_for(caller, room_id, Action::SignOffRooms).await?;
        let a = audit(
            caller,
            "withdraw_signoff",
            "location",
            room.id,
            &room.code,
            vec![formula_domain::audit::FieldChange {
                field: "signed_off".into(),
                old: serde_json::Value::Bool(true),
                new: serde_json::Value::Bool(false),
            }],
        )
        .in_project(room.project_id);
        self.store.withdraw_signoff(room.id, self.now(), &a).await?;
        self.changed(caller, SIGNOFF_CHANGED, room.project_id, room.id, None)
            .await;
        self.signoff_state(caller, room_id).await
    }
}
