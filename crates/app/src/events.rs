//! The event bus: after a project or task change commits, an event with ids and versions
//! (never the data itself, which readers fetch with their own permissions) is published
//! for live updates. In process by default; `formula_infra::redis` fans it out to every
//! instance through Redis pub/sub.

use async_trait::async_trait;
use formula_domain::authz::Actor;
use formula_domain::user::Role;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

/// Events a subscriber may fall behind by before it misses some (and is told so by
/// `broadcast::error::RecvError::Lagged`).
pub const BUFFER: usize = 1024;

/// A change that committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What happened: `project.created`, `project.updated`, `project.deleted`,
    /// `project.members`, `task.created`, `task.updated`, `task.deleted`.
    pub kind: String,
    /// The project the change belongs to (subscribers filter by visibility with it).
    pub project_id: Uuid,
    /// The changed record.
    pub id: Uuid,
    /// The record's version after the change; absent for deletions and membership.
    pub version: Option<i64>,
    /// About something internal to the contractor (an internal comment): never sent to
    /// client users.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    /// For one person only (their notifications): delivered to nobody else's stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Uuid>,
    /// Who made the change: their own live-update streams are not told of it (they see
    /// the result already). Absent in events from before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Uuid>,
}

impl Event {
    /// Whether the stream of `viewer` may be told of this event at all, before the project's
    /// visibility is checked: never a client user about something internal, and never anyone
    /// about their own change (every one of their streams: the tab that made it shows the
    /// result already, and "changed by someone else" must never be said of one's own edit).
    ///
    /// An event meant for one person (a notification for the bell) adds its rule here, and
    /// the id a page part listens for (`data-live="notification:<user id>"`) to [`Self::wire_json`].
    pub fn may_tell(&self, viewer: &Actor) -> bool {
        if let Some(to) = self.recipient {
            return to == viewer.user_id;
        }
        let internal_to_client = self.internal && viewer.role == Role::Client;
        let own = self.actor == Some(viewer.user_id);
        !internal_to_client && !own
    }

    /// What a live-update stream sends of it: ids and versions only, as JSON (never who made
    /// the change, nor whether it is internal).
    pub fn wire_json(&self) -> String {
        #[derive(Serialize)]
        struct Wire<'a> {
            kind: &'a str,
            project_id: Uuid,
            id: Uuid,
            version: Option<i64>,
        }
        serde_json::to_string(&Wire {
            kind: &self.kind,
            project_id: self.project_id,
            id: self.id,
            version: self.version,
        })
        .unwrap_or_default()
    }
}

/// A failure to publish; the change itself has committed regardless.
#[derive(Debug)]
pub struct EventError(pub String);

/// Publishes events and hands out subscriptions to them.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Publishes one event, serialised as JSON, to every subscriber of every instance.
    async fn publish(&self, event_json: &str) -> Result<(), EventError>;
    /// A new subscription: receives the JSON of events published from now on.
    fn subscribe(&self) -> broadcast::Receiver<String>;
}

/// Subscribers in this process only (one instance).
pub struct InProcessBus {
    sender: broadcast::Sender<String>,
}

impl Default for InProcessBus {
    fn default() -> Self {
        InProcessBus {
            sender: broadcast::channel(BUFFER).0,
        }
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, event_json: &str) -> Result<(), EventError> {
        // No subscriber is not an error: nobody is watching.
        let _ = self.sender.send(event_json.to_owned());
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<String> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role) -> Actor {
        Actor {
            user_id: formula_domain::new_id(),
            name: "Someone".into(),
            role,
            client_id: None,
        }
    }

    fn event(actor: Option<Uuid>, internal: bool) -> Event {
        Event {
            kind: "task.updated".into(),
            project_id: Uuid::nil(),
            id: Uuid::nil(),
            version: Some(2),
            internal,
            actor,
            recipient: None,
        }
    }

    #[test]
    fn a_notification_event_reaches_its_recipient_only() {
        let (pm, designer) = (person(Role::ProjectManager), person(Role::Designer));
        let mut e = event(None, false);
        e.recipient = Some(designer.user_id);
        assert!(e.may_tell(&designer));
        assert!(!e.may_tell(&pm));
    }

    #[test]
    fn nobody_is_told_of_their_own_change_and_clients_never_of_internal_ones() {
        let pm = person(Role::ProjectManager);
        let designer = person(Role::Designer);
        let client = person(Role::Client);
        let by_pm = event(Some(pm.user_id), false);
        assert!(!by_pm.may_tell(&pm), "one's own change");
        assert!(by_pm.may_tell(&designer));
        assert!(by_pm.may_tell(&client));
        let internal = event(Some(pm.user_id), true);
        assert!(internal.may_tell(&designer));
        assert!(!internal.may_tell(&client), "internal, to a client user");
        assert!(!event(Some(client.user_id), false).may_tell(&client));
        // An event from before the actor was recorded goes to everyone who may see it.
        assert!(event(None, false).may_tell(&pm));
    }

    #[test]
    fn old_events_still_parse_and_the_wire_carries_ids_and_versions_only() {
        let old = r#"{"kind":"task.created","project_id":"00000000-0000-0000-0000-000000000000","id":"00000000-0000-0000-0000-000000000000","version":1}"#;
        let parsed: Event = serde_json::from_str(old).unwrap();
        assert_eq!((parsed.actor, parsed.internal), (None, false));
        let e = event(Some(formula_domain::new_id()), true);
        let round: Event = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(round, e);
        let wire: serde_json::Value = serde_json::from_str(&e.wire_json()).unwrap();
        let mut keys: Vec<&str> = wire
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["id", "kind", "project_id", "version"]);
    }
}
