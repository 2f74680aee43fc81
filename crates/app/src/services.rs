//! The use-case facade handed to the web layer, and helpers every use case shares.

use std::sync::Arc;

use formula_domain::audit::{AuditEntry, FieldChange};
use formula_domain::authz::{Action, Resource, authorize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::cache::Cache;
use crate::config::AppConfig;
use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::events::{Event, EventBus};
use crate::jobs::lease::Lease;
use crate::ports::{Clock, Mailer, Store, SystemClock};
use crate::throttle::LoginThrottle;

/// All use cases, sharing their ports. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    /// Private to the use cases: the web layer reaches data only through them.
    pub(crate) store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    /// Where "now" comes from (the system clock unless a test sets one).
    pub(crate) clock: Arc<dyn Clock>,
    pub config: Arc<AppConfig>,
    pub(crate) throttle: Arc<LoginThrottle>,
    pub(crate) dummy_hash: Arc<tokio::sync::OnceCell<String>>,
    /// Wakes this process's idle job workers when it enqueues a job.
    pub(crate) job_wake: Arc<tokio::sync::Notify>,
    /// Read-through cache of expensive reads (nothing cached unless Redis is configured).
    pub cache: Arc<dyn Cache>,
    /// Where committed project and task changes are announced.
    pub events: Arc<dyn EventBus>,
    /// The scheduler's leader lease (in the database unless Redis is configured).
    pub lease: Arc<dyn Lease>,
    /// Where uploaded files are kept (in memory unless storage is configured).
    pub blobs: Arc<dyn crate::blobs::BlobStore>,
    /// This process's open live-update streams, ended when their credential is.
    pub(crate) streams: Arc<crate::streams::StreamRegister>,
    /// When a cache or event-bus failure was last logged (they are logged sparingly).
    pub(crate) side_effect_warned: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

/// The cache namespace of everything derived from projects and tasks; bumped by their writes.
pub(crate) const PROJECTS_NAMESPACE: &str = "projects";
/// How often at most a failing cache or event bus is logged.
const SIDE_EFFECT_WARN_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

impl Services {
    pub fn new(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>, config: AppConfig) -> Self {
        Services {
            lease: Arc::new(crate::jobs::lease::DbLease(store.clone())),
            blobs: Arc::new(crate::blobs::MemoryBlobs::default()),
            store,
            clock: Arc::new(SystemClock),
            cache: Arc::new(crate::cache::NoCache),
            events: Arc::new(crate::events::InProcessBus::default()),
            side_effect_warned: Arc::default(),
            streams: Arc::default(),
            mailer,
            config: Arc::new(config),
            throttle: Arc::new(LoginThrottle::default()),
            dummy_hash: Arc::new(tokio::sync::OnceCell::new()),
            job_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Uses `cache` for expensive reads instead of caching nothing.
    pub fn with_cache(mut self, cache: Arc<dyn Cache>) -> Self {
        self.cache = cache;
        self
    }

    /// Announces changes on `events` instead of in process only.
    pub fn with_events(mut self, events: Arc<dyn EventBus>) -> Self {
        self.events = events;
        self
    }

    /// Keeps uploaded files in `blobs` instead of memory.
    pub fn with_blobs(mut self, blobs: Arc<dyn crate::blobs::BlobStore>) -> Self {
        self.blobs = blobs;
        self
    }

    /// Reads the time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Keeps the scheduler's lease in `lease` instead of the database.
    pub fn with_lease(mut self, lease: Arc<dyn Lease>) -> Self {
        self.lease = lease;
        self
    }

    /// After a project or task change committed: drops what the cache derived from
    /// projects and tasks, then announces the change as made by `caller` (whose own live
    /// streams are not told of it). Failures are logged, not returned: the change stands,
    /// and the cache entries expire on their own.
    pub(crate) async fn changed(
        &self,
        caller: &Caller,
        kind: &str,
        project_id: Uuid,
        id: Uuid,
        version: Option<i64>,
    ) {
        self.announce(caller, kind, project_id, id, version, false)
            .await;
    }

    /// [`Services::changed`], saying whether the change is internal to the contractor (an
    /// internal comment): such events never reach client users' live-update streams.
    pub(crate) async fn announce(
        &self,
        caller: &Caller,
        kind: &str,
        project_id: Uuid,
        id: Uuid,
        version: Option<i64>,
        internal: bool,
    ) {
        let bumped = self.cache.bump(PROJECTS_NAMESPACE).await.map_err(|e| e.0);
        let event = Event {
            kind: kind.to_owned(),
            project_id,
            id,
            version,
            internal,
            recipient: None,
            actor: Some(caller.actor.user_id),
        };
        self.publish(&event, bumped.err()).await;
    }

    /// Announces to one person's open pages only (their inbox changed); caches are untouched.
    /// The event's id is the person's, which their bell listens for.
    pub(crate) async fn announce_to(&self, user_id: Uuid, kind: &str, project_id: Uuid) {
        let event = Event {
            kind: kind.to_owned(),
            project_id,
            id: user_id,
            version: None,
            internal: false,
            recipient: Some(user_id),
            actor: None,
        };
        self.publish(&event, None).await;
    }

    /// Publishes `event`, logging (sparingly) its failure or an earlier `error`.
    async fn publish(&self, event: &Event, error: Option<String>) {
        let published = match serde_json::to_string(event) {
            Ok(json) => self.events.publish(&json).await.map_err(|e| e.0),
            Err(e) => Err(e.to_string()),
        };
        if let Some(error) = error.or(published.err()) {
            self.warn_sparingly(&error);
        }
    }

    /// Logs a cache or event-bus failure, once per [`SIDE_EFFECT_WARN_EVERY`] at most
    /// (a Redis outage would otherwise log on every request).
    pub(crate) fn warn_sparingly(&self, error: &str) {
        let mut last = self
            .side_effect_warned
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= SIDE_EFFECT_WARN_EVERY) {
            *last = Some(std::time::Instant::now());
            tracing::warn!(error, "cache or event bus unavailable; going on without it");
        }
    }

    /// The current time (UTC).
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Today's date (UTC).
    pub fn today(&self) -> time::Date {
        self.now().date()
    }
}

/// Refuses with `Forbidden` unless the caller may do `action` on `resource`.
pub(crate) fn ensure(caller: &Caller, action: Action, resource: &Resource) -> AppResult<()> {
    if authorize(&caller.actor, action, resource) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Builds an audit entry for a change made by `caller`.
pub(crate) fn audit(
    caller: &Caller,
    action: &str,
    entity_type: &str,
    entity_id: Uuid,
    entity_label: &str,
    changes: Vec<FieldChange>,
) -> AuditEntry {
    AuditEntry {
        id: formula_domain::new_id(),
        at: OffsetDateTime::now_utc(),
        actor_id: Some(caller.actor.user_id),
        actor_name: Some(caller.actor.name.clone()),
        action: action.to_owned(),
        entity_type: entity_type.to_owned(),
        entity_id,
        entity_label: entity_label.to_owned(),
        changes,
        request_id: caller.ctx.request_id.clone(),
        ip: caller.ctx.ip.clone(),
        user_agent: caller.ctx.user_agent.clone(),
        project_id: None,
    }
}

/// Lists changed fields between two serialisable snapshots, ignoring bookkeeping fields.
pub(crate) fn changes<T: serde::Serialize>(old: &T, new: &T) -> Vec<FieldChange> {
    let (Ok(o), Ok(n)) = (serde_json::to_value(old), serde_json::to_value(new)) else {
        return Vec::new();
    };
    formula_domain::audit::diff(
        &o,
        &n,
        &["version", "updated_at", "updated_by_name", "created_at"],
    )
}

/// The snapshot of a newly created entity, as a list of `null → value` changes.
pub(crate) fn created<T: serde::Serialize>(new: &T) -> Vec<FieldChange> {
    let Ok(n) = serde_json::to_value(new) else {
        return Vec::new();
    };
    formula_domain::audit::diff(
        &serde_json::json!({}),
        &n,
        &[
            "version",
            "updated_at",
            "updated_by_name",
            "created_at",
            "id",
        ],
    )
}

/// Refuses a stale update before doing any work, naming who saved last.
pub(crate) fn check_version(
    expected: i64,
    current: i64,
    updated_by: Option<String>,
    updated_at: OffsetDateTime,
) -> AppResult<()> {
    if expected == current {
        Ok(())
    } else {
        Err(AppError::Stale {
            current_version: current,
            updated_by,
            updated_at: Some(updated_at),
        })
    }
}

/// Deserialises a field that may be absent (keep), `null` (clear) or a value (set).
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(de).map(Some)
}
