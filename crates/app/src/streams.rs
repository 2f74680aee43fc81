//! Open live-update streams and the credential each was opened with. A stream outlives the
//! request that authenticated it, so it is ended as soon as that credential is no longer in
//! force: the session signed out or expired (idle or absolute), the API token revoked or
//! expired, or the user disabled.
//!
//! Each process keeps a register of its open streams. While any is open, a watcher checks
//! every registered credential in one query per kind, every [`AppConfig::stream_recheck`],
//! and at once when any instance announces [`ACCESS_CHANGED`] on the event bus (Redis fans
//! it out to every instance, so a token revoked on one instance ends its streams on the
//! others). The periodic check bounds the delay when an announcement is lost (Redis down)
//! and catches expiry, which nobody announces. The check reads without touching, so an
//! open stream never keeps an idle session alive.
//!
//! [`AppConfig::stream_recheck`]: crate::AppConfig::stream_recheck

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use tokio::sync::{Notify, broadcast, watch};
use uuid::Uuid;

use crate::error::AppResult;
use crate::ports::CredentialState;
use crate::services::Services;

/// The event-bus message saying that a session or API token ended or a user was disabled
/// somewhere: every instance checks its open streams at once. It is no [`crate::events::Event`]
/// (it names no project), so streams never pass it on to clients.
pub const ACCESS_CHANGED: &str = r#"{"kind":"access.changed"}"#;

/// Credentials checked per query, well under either database's limit of bound values.
const CHUNK: usize = 500;

/// What a stream was opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Credential {
    /// A browser session (its id).
    Session(Uuid),
    /// A personal API token (its id).
    Token(Uuid),
}

/// The open streams of this process.
#[derive(Default)]
pub(crate) struct StreamRegister {
    inner: Mutex<Register>,
    /// Wakes the watcher for a check now (an access change in this process).
    wake: Notify,
}

#[derive(Default)]
struct Register {
    open: HashMap<u64, (Credential, watch::Sender<bool>)>,
    next_id: u64,
    /// Whether a watcher task is running (it stops when the last stream closes).
    watching: bool,
}

impl StreamRegister {
    fn lock(&self) -> std::sync::MutexGuard<'_, Register> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A registered stream: reports when its credential is no longer in force; leaves the
/// register when dropped.
pub struct StreamAccess {
    id: u64,
    register: Arc<StreamRegister>,
    ended: watch::Receiver<bool>,
}

impl StreamAccess {
    /// Completes once the stream's credential is no longer in force.
    pub async fn ended(&mut self) {
        // A closed channel means the register let go of the stream: ended as well.
        let _ = self.ended.wait_for(|ended| *ended).await;
    }

    /// Whether the credential is known to be no longer in force.
    pub fn has_ended(&self) -> bool {
        *self.ended.borrow()
    }
}

impl Drop for StreamAccess {
    fn drop(&mut self) {
        self.register.lock().open.remove(&self.id);
    }
}

/// Whether a session is in force at `now`: not past its absolute expiry, used within
/// `idle`, and its user active.
pub(crate) fn session_in_force(
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
    last_seen_at: OffsetDateTime,
    idle: time::Duration,
    user_active: bool,
) -> bool {
    now < expires_at && now - last_seen_at < idle && user_active
}

/// Whether an API token is in force at `now`: not expired, and its user active.
pub(crate) fn token_in_force(
    now: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    user_active: bool,
) -> bool {
    expires_at.is_none_or(|e| now < e) && user_active
}

impl Services {
    /// Registers a live-update stream opened with `credential`; the handle reports when
    /// the credential is no longer in force. Call within a Tokio runtime (it may start the
    /// watcher).
    pub fn watch_stream(&self, credential: Credential) -> StreamAccess {
        let (tx, rx) = watch::channel(false);
        let mut register = self.streams.lock();
        let id = register.next_id;
        register.next_id += 1;
        register.open.insert(id, (credential, tx));
        if !register.watching {
            register.watching = true;
            tokio::spawn(self.clone().watch_streams());
        }
        StreamAccess {
            id,
            register: self.streams.clone(),
            ended: rx,
        }
    }

    /// How many live-update streams this process has open.
    pub fn open_streams(&self) -> usize {
        self.streams.lock().open.len()
    }

    /// Announces that a session or API token ended or a user was disabled, so that every
    /// instance checks its open streams now. Failures only delay it to the next periodic
    /// check.
    pub(crate) async fn access_changed(&self) {
        self.streams.wake.notify_one();
        if let Err(e) = self.events.publish(ACCESS_CHANGED).await {
            self.warn_sparingly(&e.0);
        }
    }

    /// Checks the open streams until none is left.
    async fn watch_streams(self) {
        let mut events = Some(self.events.subscribe());
        let mut tick = tokio::time::interval(self.config.stream_recheck);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.streams.wake.notified() => {}
                received = recv(&mut events) => match received {
                    Ok(json) if json == ACCESS_CHANGED => {}
                    Ok(_) => continue,
                    // Missed messages may have included an access change.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => {
                        events = None;
                        continue;
                    }
                },
            }
            if let Err(e) = self.end_streams_out_of_force().await {
                // The database is down: keep the streams; the next check decides.
                self.warn_sparingly(&format!("open streams not checked: {e}"));
            }
            let mut register = self.streams.lock();
            if register.open.is_empty() {
                register.watching = false;
                return;
            }
        }
    }

    /// Ends every open stream whose credential is no longer in force; returns how many.
    pub async fn end_streams_out_of_force(&self) -> AppResult<usize> {
        let credentials: HashSet<Credential> =
            self.streams.lock().open.values().map(|(c, _)| *c).collect();
        if credentials.is_empty() {
            return Ok(0);
        }
        let (mut sessions, mut tokens) = (Vec::new(), Vec::new());
        for c in &credentials {
            match c {
                Credential::Session(id) => sessions.push(*id),
                Credential::Token(id) => tokens.push(*id),
            }
        }
        let now = self.now();
        let idle = self.config.session_idle;
        let mut in_force = HashSet::new();
        for chunk in sessions.chunks(CHUNK) {
            let states: Vec<CredentialState> = self.store.session_states(chunk).await?;
            in_force.extend(
                states
                    .into_iter()
                    .filter(|s| match (s.expires_at, s.last_seen_at) {
                        (Some(expires), Some(seen)) => {
                            session_in_force(now, expires, seen, idle, s.user_active)
                        }
                        _ => false,
                    })
                    .map(|s| Credential::Session(s.id)),
            );
        }
        for chunk in tokens.chunks(CHUNK) {
            let states = self.store.token_states(chunk).await?;
            in_force.extend(
                states
                    .into_iter()
                    .filter(|t| token_in_force(now, t.expires_at, t.user_active))
                    .map(|t| Credential::Token(t.id)),
            );
        }
        let mut ended = 0;
        let mut register = self.streams.lock();
        // Only streams whose credential was checked (one may have opened meanwhile).
        register.open.retain(|_, (credential, tx)| {
            let out = credentials.contains(credential) && !in_force.contains(credential);
            if out {
                let _ = tx.send(true);
                ended += 1;
            }
            !out
        });
        Ok(ended)
    }
}

/// The next message of `events`, or never when there is no subscription.
async fn recv(
    events: &mut Option<broadcast::Receiver<String>>,
) -> Result<String, broadcast::error::RecvError> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
