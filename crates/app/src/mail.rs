//! Outgoing email: always recorded in the outbox; sent through the mailer when one is configured.

use async_trait::async_trait;

use crate::error::AppResult;
use crate::ports::{Mailer, OutboxMail};
use crate::services::Services;

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

impl Services {
    /// Sends (or, without SMTP, logs) an email and records it in the outbox.
    pub(crate) async fn deliver(&self, to: &str, subject: &str, body: &str) -> AppResult<()> {
        let status = if self.mailer.is_configured() {
            match self.mailer.send(to, subject, body).await {
                Ok(()) => "sent",
                Err(e) => {
                    tracing::error!(error = %e, "sending email failed");
                    "failed"
                }
            }
        } else {
            // Without SMTP the message goes to the log and the admin-visible outbox.
            tracing::info!(
                to,
                subject,
                body,
                "email not sent (no SMTP configured); written to the outbox"
            );
            "logged"
        };
        let mail = OutboxMail {
            id: formula_domain::new_id(),
            to_address: to.to_owned(),
            subject: subject.to_owned(),
            body: body.to_owned(),
            status: status.to_owned(),
            created_at: self.now(),
        };
        self.store.insert_mail(&mail).await
    }
}
