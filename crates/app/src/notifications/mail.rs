//! Notification mail: instant mails batched per recipient, the daily digest at 07:00 in each
//! recipient's time zone, and the signed one-click unsubscribe link each of them carries.
//!
//! Each mail is a `notification_mail` job for one recipient. The job takes the notifications
//! it sends atomically, under its own id (so two instances never send one twice, and a
//! retried job sends again exactly what its failed attempt did not), and is recorded in the
//! outbox when it completes. The digest scheduler enqueues at most one digest job per
//! recipient and local date (the job's unique key).

use base64::Engine;
use formula_domain::notification::{Category, EmailMode, Notification};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::worker::{Completion, JobError};
use crate::jobs::{Job, NewJob};
use crate::ports::{MailMessage, OutboxMail};
use crate::services::Services;

/// One mail of notifications: payload `{user_id, mode}` (`instant` or `digest`).
pub const NOTIFICATION_MAIL: &str = "notification_mail";
/// Queues the daily digests that are due (scheduled, every 15 minutes).
pub const NOTIFICATION_DIGEST: &str = "notification_digest";
/// `SCHEDULE_NOTIFICATION_DIGEST` unless set.
pub const DEFAULT_NOTIFICATION_DIGEST: &str = "*/15 * * * *";
/// The local hour the digest goes out in.
pub const DIGEST_HOUR: u8 = 7;
/// The most notifications one mail lists; the rest are counted, with a link to the inbox.
pub const MAX_LISTED: usize = 50;
/// The signing key of unsubscribe links.
const UNSUBSCRIBE_KEY: &str = "unsubscribe";

impl Services {
    /// Queues the digest of everyone for whom it is now the digest hour and who has
    /// notifications waiting for it; once per person and local date, whatever runs this.
    pub(crate) async fn queue_digests(&self, now: OffsetDateTime) -> AppResult<usize> {
        let mut queued = 0;
        for r in self.store.digest_recipients(now).await? {
            let zone = r.time_zone.as_deref().unwrap_or(super::DEFAULT_TIME_ZONE);
            let Some((date, hour)) = local_date_hour(now, zone) else {
                continue;
            };
            if hour != DIGEST_HOUR {
                continue;
            }
            let mut job = NewJob::new(
                NOTIFICATION_MAIL,
                serde_json::json!({"user_id": r.user_id, "mode": "digest"}),
            );
            job.run_at = now;
            job.unique_key = Some(format!("digest:{}:{date}", r.user_id));
            if self.store.enqueue(&job).await? {
                queued += 1;
            }
        }
        if queued > 0 {
            self.job_wake.notify_waiters();
        }
        Ok(queued)
    }

    /// Sends one recipient's notification mail (the `notification_mail` job).
    pub(crate) async fn send_notification_mail(
        &self,
        job: &Job,
        now: OffsetDateTime,
    ) -> Result<Completion, JobError> {
        let user_id = job
            .payload
            .get("user_id")
            .and_then(serde_json::Value::as_str)
            .and_then(|s| s.parse::<Uuid>().ok())
            .ok_or_else(|| JobError::permanent("payload needs `user_id`, a UUID"))?;
        let mode = match job.payload.get("mode").and_then(serde_json::Value::as_str) {
            Some("instant") => EmailMode::Instant,
            Some("digest") => EmailMode::Digest,
            _ => {
                return Err(JobError::permanent(
                    "payload needs `mode`: instant or digest",
                ));
            }
        };
        let Some(user) = self.store.get_user(user_id).await? else {
            return Ok(Completion::Plain);
        };
        if !user.is_active() {
            return Ok(Completion::Plain);
        }
        let items = self
            .store
            .take_for_mail(user_id, mode, job.id, now, now)
            .await?;
        if items.is_empty() {
            return Ok(Completion::Plain);
        }
        let zone = self
            .store
            .time_zone(user_id)
            .await?
            .unwrap_or_else(|| super::DEFAULT_TIME_ZONE.to_owned());
        let key = self.signing_secret().await?;
        let message = compose(
            &self.config.public_url,
            &self.config.product_name,
            &key,
            &user,
            mode,
            &items,
            job.id,
            local_date_hour(now, &zone).map(|(d, _)| d),
        );
        let status = if self.mailer.is_configured() {
            if let Err(e) = self.mailer.send_message(&message).await {
                // Given back, so the retry (or the next mail) sends them.
                self.store.release_mail(job.id).await?;
                return Err(JobError::retry(format!("sending the email failed: {e}")));
            }
            "sent"
        } else {
            "logged"
        };
        Ok(Completion::Mail(OutboxMail {
            id: formula_domain::new_id(),
            to_address: message.to,
            subject: message.subject,
            body: message.text,
            status: status.to_owned(),
            created_at: now,
            attachments: Vec::new(),
        }))
    }

    /// The installation's key for signing links, made on first use.
    async fn signing_secret(&self) -> AppResult<String> {
        let candidate = crate::secrets::new_token("")?;
        self.store
            .signing_key(UNSUBSCRIBE_KEY, &candidate, self.now())
            .await
    }

    /// Turns off e-mail for the categories a signed unsubscribe link names (no sign-in
    /// needed: the signature is the proof). Returns who and what was unsubscribed.
    pub async fn unsubscribe(&self, token: &str) -> AppResult<(String, Vec<Category>)> {
        let key = self.signing_secret().await?;
        let (user_id, categories) = verify(&key, token).ok_or_else(|| {
            AppError::field(
                "token",
                "this unsubscribe link is not valid (it may be incomplete, or older than a restore of the server): open your profile to choose which mails you get",
            )
        })?;
        let user = self
            .store
            .get_user(user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let prefs: Vec<(Category, EmailMode)> =
            categories.iter().map(|c| (*c, EmailMode::Off)).collect();
        self.store.set_email_prefs(user_id, &prefs).await?;
        Ok((user.email, categories))
    }
}

/// The local date and hour of `now` in `zone`, if the zone is known.
pub fn local_date_hour(now: OffsetDateTime, zone: &str) -> Option<(String, u8)> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let ts = jiff::Timestamp::from_second(now.unix_timestamp()).ok()?;
    let local = ts.to_zoned(tz);
    Some((local.date().to_string(), u8::try_from(local.hour()).ok()?))
}

/// HMAC-SHA-256 (RFC 2104).
fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// A signed token naming a person and categories: `<payload>.<signature>`, URL-safe.
pub fn sign(key: &str, user_id: Uuid, categories: &[Category]) -> String {
    let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
    let payload = format!("{user_id}:{}", names.join(","));
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sig = hmac(key.as_bytes(), payload.as_bytes());
    format!("{}.{}", b64.encode(payload), b64.encode(sig))
}

/// The person and categories of a token signed with `key`, if the signature holds.
pub fn verify(key: &str, token: &str) -> Option<(Uuid, Vec<Category>)> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (payload, sig) = token.split_once('.')?;
    let payload = b64.decode(payload).ok()?;
    let sig = b64.decode(sig).ok()?;
    let expected = hmac(key.as_bytes(), &payload);
    // Constant time: every byte is compared whatever the first difference.
    if sig.len() != expected.len()
        || sig
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            != 0
    {
        return None;
    }
    let payload = String::from_utf8(payload).ok()?;
    let (user, names) = payload.split_once(':')?;
    let categories = names
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<Category>, _>>()
        .ok()?;
    Some((user.parse().ok()?, categories))
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The mail for `items` (oldest first) to `user`.
#[allow(clippy::too_many_arguments)]
fn compose(
    base: &str,
    product: &str,
    key: &str,
    user: &formula_domain::user::User,
    mode: EmailMode,
    items: &[Notification],
    mail_id: Uuid,
    local_date: Option<String>,
) -> MailMessage {
    let base = base.trim_end_matches('/');
    let mut categories: Vec<Category> = items.iter().map(|n| n.category).collect();
    categories.sort();
    categories.dedup();
    let unsubscribe = format!("{base}/unsubscribe?t={}", sign(key, user.id, &categories));
    let settings = format!("{base}/inbox/settings");
    let subject = match (mode, items) {
        (EmailMode::Digest, _) => format!(
            "{product} daily digest{}: {} update{}",
            local_date.map(|d| format!(" for {d}")).unwrap_or_default(),
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        ),
        (_, [one]) => format!("[{}] {}", one.project_code, one.title),
        (_, [first, rest @ ..]) => format!(
            "[{}] {} (and {} more)",
            first.project_code,
            first.title,
            rest.len()
        ),
        (_, []) => format!("{product}: nothing new"),
    };
    let names: Vec<&str> = categories.iter().map(|c| c.label()).collect();
    let why = format!(
        "You get this mail for: {}. Choose what is mailed, and when: {settings}",
        names.join("; ")
    );
    let mut text = format!("Hello {},\n\n", user.name);
    let mut rows = String::new();
    for n in items.iter().take(MAX_LISTED) {
        let link = format!("{base}{}", n.link);
        text.push_str(&format!("* [{}] {}\n", n.project_code, n.title));
        if let Some(x) = &n.excerpt {
            text.push_str(&format!("  \"{x}\"\n"));
        }
        text.push_str(&format!("  {link}\n\n"));
        rows.push_str(&format!(
            "<tr><td style=\"padding:12px 0;border-bottom:1px solid #e5e7eb\">\
             <div style=\"font-size:12px;color:#6b7280\">{code}</div>\
             <div style=\"font-size:15px;margin:2px 0\"><a href=\"{href}\" style=\"color:#1d4ed8\">{title}</a></div>{excerpt}\
             </td></tr>",
            code = esc(&n.project_code),
            href = esc(&link),
            title = esc(&n.title),
            excerpt = n
                .excerpt
                .as_deref()
                .map(|x| format!("<div style=\"color:#374151;font-size:14px\">“{}”</div>", esc(x)))
                .unwrap_or_default(),
        ));
    }
    // A flood (an import, a busy day) is summed up rather than listed: the inbox has it all.
    if let Some(more) = items.len().checked_sub(MAX_LISTED).filter(|n| *n > 0) {
        let inbox = format!("{base}/inbox");
        text.push_str(&format!("…and {more} more in your inbox: {inbox}\n\n"));
        rows.push_str(&format!(
            "<tr><td style=\"padding:12px 0\"><a href=\"{}\" style=\"color:#1d4ed8\">…and {more} more in your inbox</a></td></tr>",
            esc(&inbox)
        ));
    }
    text.push_str(&format!(
        "--\n{why}\nUnsubscribe from these: {unsubscribe}\n"
    ));
    let html = format!(
        "<!doctype html><html><body style=\"margin:0;background:#f3f4f6\">\
         <div style=\"max-width:600px;margin:0 auto;padding:24px;font-family:Helvetica,Arial,sans-serif;color:#111827;background:#ffffff\">\
         <div style=\"font-weight:bold;font-size:16px;margin-bottom:12px\">{product}</div>\
         <p>Hello {name},</p><table role=\"presentation\" style=\"width:100%;border-collapse:collapse\">{rows}</table>\
         <p style=\"font-size:12px;color:#6b7280;margin-top:24px\">{why_html}<br>\
         <a href=\"{unsub}\" style=\"color:#6b7280\">Unsubscribe from these</a></p></div></body></html>",
        product = esc(product),
        name = esc(&user.name),
        why_html = esc(&why),
        unsub = esc(&unsubscribe),
    );
    let host = base
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .unwrap_or("formula-pm.invalid");
    MailMessage {
        to: user.email.clone(),
        subject,
        text,
        html,
        headers: vec![
            ("List-Unsubscribe", format!("<{unsubscribe}>")),
            (
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            ),
        ],
        message_id: format!("<{mail_id}@{host}>"),
        attachments: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tokens_verify_only_with_their_key_and_unchanged() {
        let user = Uuid::from_u128(7);
        let t = sign("k1", user, &[Category::Comments, Category::Mentions]);
        assert_eq!(
            verify("k1", &t),
            Some((user, vec![Category::Comments, Category::Mentions]))
        );
        assert_eq!(verify("k2", &t), None);
        let mut forged = t.clone();
        forged.replace_range(0..1, if t.starts_with('A') { "B" } else { "A" });
        assert_eq!(verify("k1", &forged), None);
        assert_eq!(verify("k1", "garbage"), None);
        assert_eq!(verify("k1", ""), None);
    }

    #[test]
    fn digest_hour_follows_the_time_zone_and_its_summer_time() {
        // 04:00 UTC is 07:00 in Istanbul (UTC+3 all year).
        let at = datetime!(2026-07-01 04:00 UTC);
        assert_eq!(
            local_date_hour(at, "Europe/Istanbul"),
            Some(("2026-07-01".into(), 7))
        );
        // London: 07:00 is 06:00 UTC in summer, 07:00 UTC in winter.
        assert_eq!(
            local_date_hour(datetime!(2026-07-01 06:00 UTC), "Europe/London").map(|x| x.1),
            Some(7)
        );
        assert_eq!(
            local_date_hour(datetime!(2026-12-01 07:00 UTC), "Europe/London").map(|x| x.1),
            Some(7)
        );
        assert_eq!(local_date_hour(at, "Mars/Olympus"), None);
    }
}
