//! Event fan-out through Redis pub/sub: `publish` sends to the channel [`CHANNEL`]; one
//! background task per process listens on it (reconnecting after failures) and hands
//! every message to this process's subscribers, its own events included.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use formula_app::events::BUFFER;
use formula_app::ports::{EventBus, EventError};
use futures_util::StreamExt;
use tokio::sync::broadcast;

use super::{PREFIX, Redis, SparseLog};

/// The pub/sub channel of change events.
pub const CHANNEL: &str = "formula_pm:events";

/// Waits between attempts to listen again after the connection failed.
const RETRY_EVERY: Duration = Duration::from_millis(500);

/// An event bus spanning every instance that shares the Redis.
pub struct RedisEventBus {
    redis: Redis,
    local: broadcast::Sender<String>,
    log: Arc<SparseLog>,
    listener: tokio::task::JoinHandle<()>,
}

impl RedisEventBus {
    /// Starts listening on [`CHANNEL`] (in the background; call within a Tokio runtime).
    pub fn start(redis: Redis) -> Self {
        debug_assert!(CHANNEL.starts_with(PREFIX));
        let local = broadcast::channel(BUFFER).0;
        let log = Arc::new(SparseLog::default());
        let listener = tokio::spawn(listen(redis.clone(), local.clone(), log.clone()));
        RedisEventBus {
            redis,
            local,
            log,
            listener,
        }
    }
}

impl Drop for RedisEventBus {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Forwards the channel's messages to `local` until the process ends, reconnecting after
/// every failure.
async fn listen(redis: Redis, local: broadcast::Sender<String>, log: Arc<SparseLog>) {
    loop {
        match redis.client().get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(CHANNEL).await {
                Ok(()) => {
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        if let Ok(json) = msg.get_payload::<String>() {
                            // No subscriber is fine: nobody is watching.
                            let _ = local.send(json);
                        }
                    }
                }
                Err(e) => log.warn("events not received", &super::RedisError(e.to_string())),
            },
            Err(e) => log.warn("events not received", &super::RedisError(e.to_string())),
        }
        tokio::time::sleep(RETRY_EVERY).await;
    }
}

#[async_trait]
impl EventBus for RedisEventBus {
    async fn publish(&self, event_json: &str) -> Result<(), EventError> {
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(CHANNEL).arg(event_json);
        match self.redis.query::<i64>(&cmd).await {
            Ok(_) => Ok(()),
            Err(e) => {
                self.log.warn("events published in this instance only", &e);
                // Subscribers of this instance still hear of it.
                let _ = self.local.send(event_json.to_owned());
                Ok(())
            }
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<String> {
        self.local.subscribe()
    }
}
