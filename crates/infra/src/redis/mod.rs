//! Redis (`REDIS_URL`), optional: shared rate-limit counters, a read-through cache, the
//! event fan-out and the scheduler's lease, so several instances act as one.
//!
//! Every call is bounded by a short timeout and fails rather than waits: callers fall back
//! (rate limits count in process, the cache is bypassed), so a Redis outage slows nothing.
//! A circuit breaker keeps a hung Redis from costing every request its timeout: after
//! [`FAILURES_TO_OPEN`] failed calls in a row the circuit opens, and calls fail at once
//! without touching Redis (callers use their fallbacks). While open, a background probe
//! sends one `PING` every [`PROBE_EVERY`]; the first answer closes the circuit. The
//! connection reconnects on its own (`ConnectionManager`). Keys start with [`PREFIX`]; only
//! single-key commands and scripts are used (never `KEYS`, `FLUSH*` or `CONFIG`), so a
//! Redis shared with other applications is safe.

mod cache;
mod events;
mod lease;
mod rate_limit;

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use formula_app::health::Circuit;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Cmd, ErrorKind, FromRedisValue};

pub use cache::RedisCache;
pub use events::{CHANNEL, RedisEventBus};
pub use lease::RedisLease;
pub use rate_limit::RedisRateLimitStore;

/// The prefix of every key and channel.
pub const PREFIX: &str = "formula_pm:";
/// How long one command may take before the caller goes on without Redis.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);
/// Failed calls in a row (timeouts, refused or dropped connections) that open the circuit.
pub const FAILURES_TO_OPEN: u32 = 3;
/// How often the background probe tries Redis while the circuit is open.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// A Redis failure (unreachable, timed out, refused the command, or not called because
/// the circuit is open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisError(pub String);

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisError {}

/// A connection to Redis, shared by every adapter; cheap to clone (clones share the
/// connection and the circuit).
#[derive(Clone)]
pub struct Redis {
    client: Client,
    manager: ConnectionManager,
    timeout: Duration,
    breaker: Arc<Breaker>,
}

/// The circuit breaker, shared by every clone of one [`Redis`].
#[derive(Default)]
struct Breaker {
    /// Calls that failed in a row; any answer resets it.
    failures: AtomicU32,
    open: AtomicBool,
    /// Times the circuit opened.
    opened: AtomicU64,
    /// Calls failed at once because the circuit was open.
    skipped: AtomicU64,
}

/// How a call ended, for the breaker.
enum Outcome {
    /// Redis answered (even with an error reply, e.g. a script error).
    Answered,
    /// No answer: timed out, or the connection failed.
    Failed,
}

impl Redis {
    /// Prepares a connection to `url` (`redis://[:password@]host:port[/db]`, or
    /// `rediss://` for TLS) without connecting: the first command connects, so the
    /// server starts even while Redis is down. `timeout` bounds every command.
    pub fn new(url: &str, timeout: Duration) -> Result<Redis, RedisError> {
        let client = Client::open(url).map_err(|e| RedisError(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout.max(Duration::from_millis(500))))
            .set_response_timeout(Some(timeout))
            // Reconnect attempts per failure; a later command starts a new round.
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(200));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|e| RedisError(e.to_string()))?;
        Ok(Redis {
            client,
            manager,
            timeout,
            breaker: Arc::default(),
        })
    }

    /// Runs one command within the timeout; fails at once while the circuit is open.
    pub(crate) async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, RedisError> {
        if self.breaker.open.load(Ordering::SeqCst) {
            self.breaker.skipped.fetch_add(1, Ordering::Relaxed);
            return Err(RedisError(
                "not called: the circuit is open after repeated failures".to_owned(),
            ));
        }
        self.query_now(cmd).await
    }

    /// Runs one command within the timeout, open circuit or not, and tells the breaker
    /// how it went.
    async fn query_now<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, RedisError> {
        let (result, outcome) = run(&self.manager, self.timeout, cmd).await;
        match outcome {
            Outcome::Answered => self.close(),
            Outcome::Failed => self.failed(),
        }
        result
    }

    /// Counts a failed call; the one that reaches [`FAILURES_TO_OPEN`] opens the circuit
    /// and starts the probe.
    fn failed(&self) {
        let failures = self.breaker.failures.fetch_add(1, Ordering::SeqCst) + 1;
        if failures >= FAILURES_TO_OPEN
            && self
                .breaker
                .open
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            self.breaker.opened.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                failures,
                probe_every_ms = PROBE_EVERY.as_millis() as u64,
                "Redis circuit open: Redis is not called until it answers a probe; \
                 rate limits count per instance and the cache is bypassed meanwhile"
            );
            tokio::spawn(probe(
                self.manager.clone(),
                self.timeout,
                Arc::downgrade(&self.breaker),
            ));
        }
    }

    /// Redis answered: the failure count starts over and the circuit closes.
    fn close(&self) {
        close(&self.breaker);
    }

    /// Whether the circuit is open, how often it opened and how many calls it answered
    /// at once.
    pub fn circuit(&self) -> Circuit {
        Circuit {
            open: self.breaker.open.load(Ordering::SeqCst),
            opened_total: self.breaker.opened.load(Ordering::Relaxed),
            skipped_total: self.breaker.skipped.load(Ordering::Relaxed),
        }
    }

    /// Runs a Lua script (`EVAL`) on `keys` with `args`, in one round trip.
    pub(crate) async fn eval<T: FromRedisValue>(
        &self,
        script: &str,
        keys: &[&str],
        args: &[&str],
    ) -> Result<T, RedisError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(script).arg(keys.len()).arg(keys).arg(args);
        self.query(&cmd).await
    }

    /// The client, for connections of their own (pub/sub).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// One `PING` round trip within the timeout, even while the circuit is open (an
    /// answer closes it).
    pub async fn ping(&self) -> Result<(), RedisError> {
        let reply: String = self.query_now(&redis::cmd("PING")).await?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(RedisError(format!("unexpected reply to PING: {reply}")))
        }
    }
}

/// Runs `cmd` within `timeout`: the result, and whether Redis answered at all.
async fn run<T: FromRedisValue>(
    manager: &ConnectionManager,
    timeout: Duration,
    cmd: &Cmd,
) -> (Result<T, RedisError>, Outcome) {
    let mut conn = manager.clone();
    match tokio::time::timeout(timeout, cmd.query_async::<T>(&mut conn)).await {
        Ok(Ok(v)) => (Ok(v), Outcome::Answered),
        Ok(Err(e)) => {
            // An error reply (or a reply of another type) is an answer; an I/O failure,
            // a refused connection or a failed handshake is not.
            let answered = matches!(
                e.kind(),
                ErrorKind::Server(_)
                    | ErrorKind::Extension
                    | ErrorKind::UnexpectedReturnType
                    | ErrorKind::Parse
            );
            let outcome = if answered {
                Outcome::Answered
            } else {
                Outcome::Failed
            };
            (Err(RedisError(e.to_string())), outcome)
        }
        Err(_) => (
            Err(RedisError(format!(
                "no answer within {} ms",
                timeout.as_millis()
            ))),
            Outcome::Failed,
        ),
    }
}

fn close(breaker: &Breaker) {
    breaker.failures.store(0, Ordering::SeqCst);
    if breaker
        .open
        .compare_exchange(true, false, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
    {
        tracing::info!("Redis answers again: circuit closed");
    }
}

/// While the circuit is open: one `PING` every [`PROBE_EVERY`] until Redis answers, which
/// closes it. Ends when the circuit closed otherwise or every [`Redis`] is gone.
async fn probe(manager: ConnectionManager, timeout: Duration, breaker: Weak<Breaker>) {
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        let Some(breaker) = breaker.upgrade() else {
            return;
        };
        if !breaker.open.load(Ordering::SeqCst) {
            return;
        }
        let (result, outcome) = run::<String>(&manager, timeout, &redis::cmd("PING")).await;
        if matches!(outcome, Outcome::Answered) && result.is_ok() {
            close(&breaker);
            return;
        }
    }
}

#[async_trait]
impl formula_app::ports::Ping for Redis {
    async fn ping(&self) -> Result<(), String> {
        Redis::ping(self).await.map_err(|e| e.0)
    }

    fn circuit(&self) -> Option<Circuit> {
        Some(Redis::circuit(self))
    }
}

/// Logs a Redis failure at most once per `every`, so an outage does not flood the log.
#[derive(Default)]
pub(crate) struct SparseLog {
    last: std::sync::Mutex<Option<std::time::Instant>>,
}

impl SparseLog {
    /// How often at most a failure is logged.
    pub(crate) const EVERY: Duration = Duration::from_secs(30);

    pub(crate) fn warn(&self, what: &str, error: &RedisError) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= Self::EVERY) {
            *last = Some(std::time::Instant::now());
            tracing::warn!(error = %error, "Redis unavailable: {what}");
        }
    }
}
