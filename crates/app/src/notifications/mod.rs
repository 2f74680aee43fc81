//! Notifications: the use cases report what happened ([`Happening`]); the rule of its event
//! (`formula_domain::notification::RULES`) names who hears of it; each recipient's inbox gets
//! one row, their bell is told over the live stream, and their mail goes out right away
//! (batched per recipient) or in the morning digest, as they chose per category
//! ([`mail`]). Reminders of dates are computed against the clock ([`reminders`]).

pub mod mail;
pub mod reminders;

use formula_domain::authz::{Action, Resource};
use formula_domain::comment::RecordKind;
use formula_domain::notification::{
    Category, EmailMode, Event, Notification, Parties, Reader, recipients,
};
use formula_domain::project::ProjectRole;
use formula_domain::user::Role;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::comments::person_sees;
use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::jobs::NewJob;
use crate::query::Page;
use crate::repos::{InboxQuery, NewNotification, RecordKey};
use crate::services::{Services, ensure};

/// How long instant mails wait, unless `NOTIFICATION_BATCH_SECONDS` says otherwise, for more of
/// the same recipient's notifications, so that ten changes in a row make one mail.
pub const BATCH_FOR: Duration = Duration::minutes(2);

/// Something that happened, as a use case reports it after its change committed.
#[derive(Debug, Clone)]
pub(crate) struct Happening {
    pub event: Event,
    pub record: RecordKey,
    /// The client organisation of the record's project.
    pub client_id: Uuid,
    /// The client's users may see this record at all.
    pub client_sees: bool,
    /// About something internal to the contractor (an internal comment).
    pub internal: bool,
    /// Who did it; `None` for what the clock caused (reminders).
    pub actor: Option<(Uuid, String)>,
    /// What happened, in a sentence.
    pub title: String,
    pub excerpt: Option<String>,
    /// The page it is about (relative), with the comment's anchor.
    pub link: String,
    pub comment_id: Option<Uuid>,
    /// The people who play a part; managers, the team and followers are looked up when the
    /// rule needs them and the use case left them empty.
    pub parties: Parties,
    /// What makes this occurrence one (a version, a comment, a date): a recipient gets one
    /// notification per event and occurrence, however often it is reported.
    pub occurrence: String,
    /// People not to tell (told of the same change by a more specific event).
    pub except: Vec<Uuid>,
}

impl Happening {
    pub fn new(event: Event, record: RecordKey, client_id: Uuid, title: String) -> Happening {
        Happening {
            event,
            record,
            client_id,
            client_sees: true,
            internal: false,
            actor: None,
            title,
            excerpt: None,
            link: link_to(record.kind, record.id),
            comment_id: None,
            parties: Parties::default(),
            occurrence: String::new(),
            except: Vec::new(),
        }
    }

    pub fn by(mut self, caller: &Caller) -> Happening {
        self.actor = Some((caller.actor.user_id, caller.actor.name.clone()));
        self
    }
}

/// The page of a record, relative to the site.
pub fn link_to(kind: RecordKind, id: Uuid) -> String {
    match kind {
        RecordKind::Project => format!("/projects/{id}"),
        RecordKind::Task => format!("/tasks/{id}"),
        RecordKind::ScopeItem => format!("/scope-items/{id}/edit"),
        RecordKind::Drawing => format!("/drawings/{id}"),
        RecordKind::DrawingRevision => format!("/drawing-revisions/{id}/file"),
        RecordKind::Spec => format!("/specs/{id}"),
    }
}

/// A short plain-text excerpt of `text` (a comment, a decision's comments).
pub fn excerpt(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 200 {
        flat
    } else {
        let cut: String = flat.chars().take(199).collect();
        format!("{cut}…")
    }
}

/// How a person wants each category mailed, and their time zone.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NotificationSettings {
    /// Every category with its mode (the default where the person chose none).
    pub email: Vec<CategoryMode>,
    /// An IANA time zone (`Europe/Istanbul`); the daily digest goes out at 07:00 there.
    pub time_zone: String,
}

/// One category's e-mail mode.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryMode {
    pub category: Category,
    pub mode: EmailMode,
}

/// A change of settings: the categories named, and the time zone when given.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default)]
    pub email: Vec<CategoryMode>,
    /// An IANA time zone name, such as `Europe/Istanbul`.
    #[schema(min_length = 1, max_length = 64)]
    pub time_zone: Option<String>,
}

/// The time zone of people who chose none.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

/// Whether `zone` names a time zone this server knows.
pub fn known_time_zone(zone: &str) -> bool {
    jiff::tz::TimeZone::get(zone).is_ok()
}

/// The caller's own id, once they may read their own inbox (everyone may; nobody reads
/// anyone else's, whatever the id asked for).
fn own_inbox(caller: &Caller) -> AppResult<Uuid> {
    let me = caller.actor.user_id;
    ensure(
        caller,
        Action::ReadNotifications,
        &Resource::User { id: me },
    )?;
    Ok(me)
}

impl Services {
    /// Tells the people `h`'s rule names of it: stores their notifications (once per
    /// occurrence), rings their bells and queues their mail. Failures are logged, not
    /// returned: the change itself has committed.
    pub(crate) async fn notify(&self, h: Happening) {
        self.notify_all(vec![h]).await;
    }

    /// [`Self::notify`] for several happenings about one record (a comment that mentions
    /// people and is news to the record's followers): their notifications and the mail jobs
    /// they need are stored in one transaction.
    pub(crate) async fn notify_all(&self, happenings: Vec<Happening>) {
        let Some(first) = happenings.first() else {
            return;
        };
        let (event, record) = (first.event, first.record);
        debug_assert!(happenings.iter().all(|h| h.record == record));
        if let Err(e) = self.try_notify(record, &happenings).await {
            tracing::warn!(event = %event, record = %record.id, error = %e, "could not store notifications");
        }
    }

    async fn try_notify(&self, record: RecordKey, happenings: &[Happening]) -> AppResult<()> {
        let people = self.store.project_people(record.project_id).await?;
        let mut followers = None;
        let now = self.now();
        let mut items = Vec::new();
        for h in happenings {
            let mut parties = h.parties.clone();
            let audience = h.event.rule().audience;
            use formula_domain::notification::Audience;
            if parties.managers.is_empty() && audience.contains(&Audience::Managers) {
                parties.managers = people
                    .iter()
                    .filter(|p| p.membership == Some(ProjectRole::ProjectManager))
                    .map(|p| p.id)
                    .collect();
            }
            if parties.team.is_empty() && audience.contains(&Audience::Team) {
                parties.team = people
                    .iter()
                    .filter(|p| p.membership.is_some())
                    .map(|p| p.id)
                    .collect();
            }
            if parties.followers.is_empty() && audience.contains(&Audience::Followers) {
                if followers.is_none() {
                    followers = Some(self.store.followers(record.id).await?);
                }
                parties.followers = followers.clone().unwrap_or_default();
            }
            let readers: Vec<Reader> = people
                .iter()
                .map(|p| Reader {
                    id: p.id,
                    sees_record: person_sees(p, h.client_id, record.kind, h.client_sees),
                    staff: p.role != Role::Client,
                })
                .collect();
            let actor = h.actor.as_ref().map(|(id, _)| *id);
            let category = h.event.category();
            for user_id in recipients(h.event, &parties, actor, h.internal, &readers, &h.except) {
                let email_mode = self.email_mode(user_id, category).await?;
                items.push(NewNotification {
                    id: formula_domain::new_id(),
                    user_id,
                    comment_id: h.comment_id,
                    event: h.event,
                    actor_id: actor,
                    actor_name: h.actor.as_ref().map(|(_, name)| name.clone()),
                    title: h.title.clone(),
                    excerpt: h.excerpt.clone(),
                    link: h.link.clone(),
                    internal: h.internal,
                    dedupe_key: format!("{}:{}:{}", h.event, record.id, h.occurrence),
                    email_mode,
                    mail: (email_mode == EmailMode::Instant)
                        .then(|| self.instant_mail(user_id, now))
                        .flatten(),
                    created_at: now,
                });
            }
        }
        if items.is_empty() {
            return Ok(());
        }
        let stored = self.store.insert_notifications(record, &items).await?;
        let mut rung = Vec::new();
        for n in items.iter().filter(|n| stored.contains(&n.id)) {
            if !rung.contains(&n.user_id) {
                rung.push(n.user_id);
                self.ring(n.user_id, record.project_id).await;
            }
        }
        Ok(())
    }

    /// How `user_id` wants `category` mailed.
    async fn email_mode(&self, user_id: Uuid, category: Category) -> AppResult<EmailMode> {
        let chosen = self.store.email_prefs(user_id).await?;
        Ok(chosen
            .into_iter()
            .find(|(c, _)| *c == category)
            .map_or(category.default_mode(), |(_, m)| m))
    }

    /// The recipient's next instant mail: one job per recipient and batch window (its unique
    /// key), run when the window closes, so what arrives meanwhile goes in the same mail. It
    /// is queued with the notification, in the same transaction; the workers find it when
    /// it falls due (they look every few seconds), so nobody is woken for it now.
    fn instant_mail(&self, user_id: Uuid, now: OffsetDateTime) -> Option<NewJob> {
        let window = self.config.notification_batch.whole_seconds().max(1);
        let closes = (now.unix_timestamp() / window + 1) * window;
        let run_at = OffsetDateTime::from_unix_timestamp(closes).ok()?;
        let mut job = NewJob::new(
            mail::NOTIFICATION_MAIL,
            serde_json::json!({"user_id": user_id, "mode": "instant"}),
        );
        job.run_at = run_at;
        job.unique_key = Some(format!("{}:{user_id}:{closes}", mail::NOTIFICATION_MAIL));
        Some(job)
    }

    /// Tells the recipient's open pages that their inbox changed (their bell).
    async fn ring(&self, user_id: Uuid, project_id: Uuid) {
        self.announce_to(user_id, "notification.created", project_id)
            .await;
    }

    /// The caller's notifications.
    pub async fn inbox(
        &self,
        caller: &Caller,
        query: &InboxQuery,
    ) -> AppResult<Page<Notification>> {
        let me = own_inbox(caller)?;
        self.store.list_notifications(me, query).await
    }

    /// How many of the caller's notifications are unread.
    pub async fn unread_notifications(&self, caller: &Caller) -> AppResult<i64> {
        let me = own_inbox(caller)?;
        self.store.unread_count(me).await
    }

    /// Opens one of the caller's notifications: marks it read and returns it (for its link).
    pub async fn open_notification(&self, caller: &Caller, id: Uuid) -> AppResult<Notification> {
        let me = own_inbox(caller)?;
        let n = self
            .store
            .get_notification(me, id)
            .await?
            .ok_or(AppError::NotFound("notification"))?;
        if n.read_at.is_none() {
            self.store.mark_read(me, Some(&[id]), self.now()).await?;
            self.announce_to(me, "notification.read", n.project_id)
                .await;
        }
        Ok(n)
    }

    /// Marks the given notifications of the caller read, or all of them with `None`.
    pub async fn mark_notifications_read(
        &self,
        caller: &Caller,
        ids: Option<&[Uuid]>,
    ) -> AppResult<u64> {
        let me = own_inbox(caller)?;
        if ids.is_some_and(|ids| ids.len() > 500) {
            return Err(AppError::field("ids", "at most 500 at a time"));
        }
        let n = self.store.mark_read(me, ids, self.now()).await?;
        if n > 0 {
            self.announce_to(me, "notification.read", Uuid::nil()).await;
        }
        Ok(n)
    }

    /// The caller's e-mail modes and time zone.
    pub async fn notification_settings(&self, caller: &Caller) -> AppResult<NotificationSettings> {
        let me = own_inbox(caller)?;
        self.settings_of(me).await
    }

    pub(crate) async fn settings_of(&self, user_id: Uuid) -> AppResult<NotificationSettings> {
        let chosen = self.store.email_prefs(user_id).await?;
        let email = Category::ALL
            .iter()
            .map(|c| CategoryMode {
                category: *c,
                mode: chosen
                    .iter()
                    .find(|(x, _)| x == c)
                    .map_or(c.default_mode(), |(_, m)| *m),
            })
            .collect();
        let time_zone = self
            .store
            .time_zone(user_id)
            .await?
            .unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned());
        Ok(NotificationSettings { email, time_zone })
    }

    /// Changes the caller's e-mail modes and time zone.
    pub async fn update_notification_settings(
        &self,
        caller: &Caller,
        patch: SettingsPatch,
    ) -> AppResult<NotificationSettings> {
        let me = own_inbox(caller)?;
        let zone = patch.time_zone.as_deref().map(str::trim);
        if let Some(z) = zone
            && !known_time_zone(z)
        {
            return Err(AppError::field(
                "time_zone",
                format!(
                    "{z:?} is not a time zone this server knows: use a name such as Europe/Istanbul, Europe/London or UTC"
                ),
            ));
        }
        let prefs: Vec<(Category, EmailMode)> =
            patch.email.iter().map(|c| (c.category, c.mode)).collect();
        if !prefs.is_empty() {
            self.store.set_email_prefs(me, &prefs).await?;
        }
        if let Some(z) = zone {
            self.store.set_time_zone(me, z, self.now()).await?;
        }
        self.settings_of(me).await
    }
}
