//! Notifications: each person's inbox, how they want each category mailed, their time zone,
//! and the signing keys of links in mails.

use async_trait::async_trait;
use formula_domain::notification::{Category, EmailMode, Event, Notification};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::RecordKey;
use crate::error::AppResult;
use crate::jobs::NewJob;
use crate::query::{Page, Paging};

/// A notification to store (see [`Notification`] for the fields).
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub comment_id: Option<Uuid>,
    pub event: Event,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub title: String,
    pub excerpt: Option<String>,
    pub link: String,
    pub internal: bool,
    /// Unique per recipient: the same event stored twice (a retry, a second reminder run)
    /// is stored once.
    pub dedupe_key: String,
    pub email_mode: EmailMode,
    /// The mail job to queue with it when it is stored (its unique key keeps one job per
    /// recipient and batch window).
    pub mail: Option<NewJob>,
    pub created_at: OffsetDateTime,
}

/// Filters of an inbox.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    pub unread: bool,
    pub category: Option<Category>,
    pub project_id: Option<Uuid>,
    pub paging: Paging,
}

/// A task that a reminder is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTask {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub due_date: Date,
    pub assignee_id: Option<Uuid>,
}

/// A person with notifications waiting for their daily digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRecipient {
    pub user_id: Uuid,
    /// Their time zone, if they chose one (UTC otherwise).
    pub time_zone: Option<String>,
}

/// Notifications and their delivery settings.
#[async_trait]
pub trait NotificationRepo: Send + Sync {
    /// Stores notifications about `record` (creating its thread if it has none), skipping
    /// any whose recipient already has one with the same `dedupe_key`. Returns the ids of
    /// those stored. The mail job of each one stored is queued in the same transaction.
    async fn insert_notifications(
        &self,
        record: RecordKey,
        items: &[NewNotification],
    ) -> AppResult<Vec<Uuid>>;
    /// A person's notifications, newest first, only about projects they can see now.
    async fn list_notifications(
        &self,
        user_id: Uuid,
        query: &InboxQuery,
    ) -> AppResult<Page<Notification>>;
    /// One of the person's notifications (about a project they can see now).
    async fn get_notification(&self, user_id: Uuid, id: Uuid) -> AppResult<Option<Notification>>;
    /// How many of the person's notifications (that they can still see) are unread.
    async fn unread_count(&self, user_id: Uuid) -> AppResult<i64>;
    /// Marks the given notifications of the person read (all of them with `None`); returns
    /// how many changed.
    async fn mark_read(
        &self,
        user_id: Uuid,
        ids: Option<&[Uuid]>,
        at: OffsetDateTime,
    ) -> AppResult<u64>;
    /// The categories the person chose a mode for (the others keep their default).
    async fn email_prefs(&self, user_id: Uuid) -> AppResult<Vec<(Category, EmailMode)>>;
    /// Sets modes for the given categories.
    async fn set_email_prefs(
        &self,
        user_id: Uuid,
        prefs: &[(Category, EmailMode)],
    ) -> AppResult<()>;
    /// The time zone the person chose, if any.
    async fn time_zone(&self, user_id: Uuid) -> AppResult<Option<String>>;
    async fn set_time_zone(&self, user_id: Uuid, zone: &str, at: OffsetDateTime) -> AppResult<()>;
    /// Takes for the mail `mail_id` every notification of the person to be mailed in `mode`,
    /// created by `up_to`, not taken by another mail, about a project the person can still
    /// see, and marks them mailed at `at`. Taking is atomic, so two instances never mail one
    /// notification twice; the same `mail_id` takes again what it took before (a retried job
    /// sends the same mail again, since the failed attempt did not send it).
    async fn take_for_mail(
        &self,
        user_id: Uuid,
        mode: EmailMode,
        mail_id: Uuid,
        up_to: OffsetDateTime,
        at: OffsetDateTime,
    ) -> AppResult<Vec<Notification>>;
    /// Gives back what `mail_id` took (its sending failed), for the retry or another mail.
    async fn release_mail(&self, mail_id: Uuid) -> AppResult<()>;
    /// The active people with digest notifications not mailed yet, created by `up_to`.
    async fn digest_recipients(&self, up_to: OffsetDateTime) -> AppResult<Vec<DigestRecipient>>;
    /// Unfinished tasks with an assignee, due on one of `dates` or (with `overdue_before`)
    /// before that day, of projects that are not closed.
    async fn tasks_due(
        &self,
        dates: &[Date],
        overdue_before: Option<Date>,
    ) -> AppResult<Vec<DueTask>>;
    /// The key named `name`, storing `candidate` as it if there is none yet.
    async fn signing_key(
        &self,
        name: &str,
        candidate: &str,
        at: OffsetDateTime,
    ) -> AppResult<String>;
}
