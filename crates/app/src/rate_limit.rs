//! The port behind the web layer's rate limits: where request counters live. In process
//! for one instance ([`InProcessStore`]), or shared between instances
//! (Redis, in `formula_infra::redis`) so several instances enforce one limit.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The state of one key's current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    /// Requests counted in the window (including this one, for `hit`).
    pub count: u32,
    /// Time until the window ends.
    pub reset_in: Duration,
}

/// A failure of a shared counter store; the limiter then lets the request through.
#[derive(Debug)]
pub struct StoreError(pub String);

/// The future a store returns.
pub type StoreFuture<'a> =
    Pin<Box<dyn Future<Output = Result<WindowState, StoreError>> + Send + 'a>>;

/// Where counters live: in process, or shared between instances (e.g. Redis with
/// `INCR` + `PEXPIRE` + `PTTL` in one script). A window starts with a key's first
/// request and lasts `window`.
pub trait RateLimitStore: Send + Sync {
    /// Counts one request against `key` and returns its window.
    fn hit<'a>(&'a self, key: &'a str, window: Duration) -> StoreFuture<'a>;
    /// The window of `key` without counting (count 0 when it has none).
    fn peek<'a>(&'a self, key: &'a str, window: Duration) -> StoreFuture<'a>;
}

/// Keys kept before expired windows are swept out.
const MAX_KEYS: usize = 100_000;

/// Counters in this process's memory, with bounded size: when [`MAX_KEYS`] windows exist,
/// expired ones are dropped; if nearly all are live (a flood from very many addresses),
/// all are dropped rather than growing without bound.
#[derive(Default)]
pub struct InProcessStore {
    windows: Mutex<HashMap<String, (u32, Instant)>>,
}

impl InProcessStore {
    /// The number of windows held (for tests).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no window is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn count(&self, key: &str, window: Duration, now: Instant, add: u32) -> WindowState {
        let mut map = self.lock();
        if add > 0 && !map.contains_key(key) && map.len() >= MAX_KEYS {
            map.retain(|_, (_, ends)| *ends > now);
            if map.len() >= MAX_KEYS * 9 / 10 {
                tracing::warn!(
                    keys = map.len(),
                    "rate-limit windows full of live keys; starting afresh"
                );
                map.clear();
            }
        }
        match map.get_mut(key) {
            Some((count, ends)) if *ends > now => {
                *count = count.saturating_add(add);
                WindowState {
                    count: *count,
                    reset_in: *ends - now,
                }
            }
            _ if add == 0 => WindowState {
                count: 0,
                reset_in: window,
            },
            _ => {
                map.insert(key.to_owned(), (add, now + window));
                WindowState {
                    count: add,
                    reset_in: window,
                }
            }
        }
    }
}

impl RateLimitStore for InProcessStore {
    fn hit<'a>(&'a self, key: &'a str, window: Duration) -> StoreFuture<'a> {
        let state = self.count(key, window, Instant::now(), 1);
        Box::pin(async move { Ok(state) })
    }

    fn peek<'a>(&'a self, key: &'a str, window: Duration) -> StoreFuture<'a> {
        let state = self.count(key, window, Instant::now(), 0);
        Box::pin(async move { Ok(state) })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn expired_windows_are_swept_when_the_store_is_full() {
        let store = InProcessStore::default();
        let start = Instant::now();
        let short = Duration::from_millis(1);
        for i in 0..MAX_KEYS {
            store.count(&format!("k{i}"), short, start, 1);
        }
        assert_eq!(store.len(), MAX_KEYS);
        let later = start + Duration::from_secs(1);
        store.count("new", Duration::from_secs(60), later, 1);
        assert_eq!(store.len(), 1, "only the live window is left");
        // A flood of live keys never grows the map past the bound.
        for i in 0..(MAX_KEYS + 10) {
            store.count(&format!("live{i}"), Duration::from_secs(60), later, 1);
        }
        assert!(store.len() <= MAX_KEYS);
    }
}
