//! Failed-login throttling per account and per client IP, in process.
//! Windows are fixed; a success clears the account's counter.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per account within the window.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Failures allowed per IP within the window (an office may share one IP).
pub const IP_LIMIT: u32 = 30;
/// Length of a throttling window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// Seconds to wait if either key is locked out, else `None`.
    pub fn blocked(&self, email: &str, ip: Option<&str>) -> Option<u64> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let check = |key: String, limit: u32| {
            map.get(&key).and_then(|(count, start)| {
                let elapsed = now.duration_since(*start);
                (*count >= limit && elapsed < WINDOW).then(|| (WINDOW - elapsed).as_secs().max(1))
            })
        };
        let a = check(format!("a:{email}"), ACCOUNT_LIMIT);
        let b = ip.and_then(|ip| check(format!("i:{ip}"), IP_LIMIT));
        a.max(b)
    }

    /// Records a failed attempt against the account and the IP.
    pub fn fail(&self, email: &str, ip: Option<&str>) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() > 100_000 {
            map.retain(|_, (_, start)| now.duration_since(*start) < WINDOW);
        }
        let keys = std::iter::once(format!("a:{email}")).chain(ip.map(|ip| format!("i:{ip}")));
        for key in keys {
            let e = map.entry(key).or_insert((0, now));
            if now.duration_since(e.1) >= WINDOW {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    /// Clears the account's failures after a successful sign-in.
    pub fn succeed(&self, email: &str) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("a:{email}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_account_after_the_limit() {
        let t = LoginThrottle::default();
        for _ in 0..ACCOUNT_LIMIT {
            assert!(t.blocked("a@x.com", Some("1.1.1.1")).is_none());
            t.fail("a@x.com", Some("1.1.1.1"));
        }
        assert!(t.blocked("a@x.com", Some("2.2.2.2")).is_some());
        assert!(t.blocked("b@x.com", Some("1.1.1.1")).is_none());
        t.succeed("a@x.com");
        assert!(t.blocked("a@x.com", Some("2.2.2.2")).is_none());
    }
}
