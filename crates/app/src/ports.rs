//! What the use cases need from the outside world, as traits: the repositories
//! ([`crate::repos`], implemented by `formula-store`), mail, cache, events, leases, blobs,
//! rate-limit counters and the clock.

use async_trait::async_trait;
use time::OffsetDateTime;

pub use crate::cache::{Cache, CacheError, Cached, NoCache};
pub use crate::events::{Event, EventBus, EventError, InProcessBus};
pub use crate::health::Ping;
pub use crate::jobs::lease::{DbLease, Lease};
pub use crate::rate_limit::{RateLimitStore, StoreError, StoreFuture, WindowState};
pub use crate::repos::*;

/// Sends email. Implementations: SMTP, or none (the outbox only).
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// `true` when a real transport is configured.
    fn is_configured(&self) -> bool;
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
    /// Sends a message with an HTML alternative and headers of its own; transports that
    /// know only plain text send its text part.
    async fn send_message(&self, message: &MailMessage) -> Result<(), String> {
        if !message.attachments.is_empty() {
            return Err("this mail transport cannot attach files".into());
        }
        self.send(&message.to, &message.subject, &message.text)
            .await
    }
}

/// A message with a plain-text and an HTML part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Extra headers (`List-Unsubscribe`, `List-Unsubscribe-Post`).
    pub headers: Vec<(&'static str, String)>,
    /// The Message-ID, fixed per mail so that a mail sent again is recognised as the same.
    pub message_id: String,
    /// Files sent with it (an RFI's PDF). Transports that cannot attach files refuse a
    /// message that has some rather than send it without them.
    pub attachments: Vec<MailAttachment>,
}

/// A file attached to a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub file_name: String,
    /// Its MIME type (`application/pdf`).
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The current time. Rules that depend on today's date (overdue tasks, reminders, digests,
/// schedules) read it here, so tests can run them at a chosen instant.
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stays where it is set: for tests of date-dependent rules.
#[derive(Debug)]
pub struct FixedClock(std::sync::Mutex<OffsetDateTime>);

impl FixedClock {
    /// A clock showing `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        FixedClock(std::sync::Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
