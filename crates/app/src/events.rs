//! The event bus: after a project or task change commits, an event with ids and versions
//! (never the data itself, which readers fetch with their own permissions) is published
//! for live updates. In process by default; `formula_infra::redis` fans it out to every
//! instance through Redis pub/sub.

use async_trait::async_trait;
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
