//! Outgoing email. Emails are queued as `send_email` jobs (see `crate::jobs`); the worker
//! sends them through the [`Mailer`] when one is configured and records each in the outbox.

use async_trait::async_trait;

use crate::ports::Mailer;

/// The mailer used when no SMTP server is configured: delivers nothing.
pub struct NoMailer;

#[async_trait]
impl Mailer for NoMailer {
    fn is_configured(&self) -> bool {
        false
    }
    async fn send(&self, _to: &str, _subject: &str, _body: &str) -> Result<(), String> {
        Err("no mail transport configured".into())
    }
}
