//! Notifications through the use cases on each backend: who is told of what (never the
//! actor, never a client about anything internal, never a disabled person, nothing about a
//! project one can no longer see), instant mails batched per recipient, and the daily digest
//! at 07:00 local time, sent once even when its job is retried.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use formula_app::accounts::actor_for;
use formula_app::comments::NewComment;
use formula_app::context::{Caller, RequestCtx};
use formula_app::jobs::NewJob;
use formula_app::ports::{FixedClock, MailMessage, Mailer};
use formula_app::repos::InboxQuery;
use formula_app::repos::prelude::*;
use formula_app::tasks::{NewTask, TaskPatch};
use formula_domain::comment::{RecordKind, Visibility};
use formula_domain::notification::{EmailMode, Event, Notification};
use formula_domain::project::ProjectRole;
use formula_domain::task::TaskStatus;
use formula_domain::user::{Role, User, UserStatus};
use formula_store::Db;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::fixtures as f;
use crate::support::TestDb;
use crate::world::{World, add_user, world};

/// Keeps what it is asked to send; fails the first `fail` messages.
#[derive(Default)]
struct Capture {
    sent: Mutex<Vec<MailMessage>>,
    fail: AtomicUsize,
}

#[async_trait]
impl Mailer for Capture {
    fn is_configured(&self) -> bool {
        true
    }
    async fn send(&self, _to: &str, _subject: &str, _body: &str) -> Result<(), String> {
        Ok(())
    }
    async fn send_message(&self, m: &MailMessage) -> Result<(), String> {
        if self
            .fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err("the SMTP server hung up".into());
        }
        self.sent.lock().unwrap().push(m.clone());
        Ok(())
    }
}

impl Capture {
    fn sent(&self) -> Vec<MailMessage> {
        self.sent.lock().unwrap().clone()
    }
}

struct Scene {
    w: World,
    client: User,
    services: formula_app::Services,
    mail: Arc<Capture>,
    clock: Arc<FixedClock>,
}

async fn scene(t: &TestDb, at: OffsetDateTime) -> Scene {
    let w = world(t).await;
    let mut client = f::user("cara@acme.test", "Cara Client", Role::Client);
    client.client_id = Some(w.acme.id);
    t.insert_user(
        &client,
        "argon2-hash",
        &f::audit(None, "create", "user", client.id, &client.email),
    )
    .await
    .unwrap();
    let mail = Arc::new(Capture::default());
    let clock = Arc::new(FixedClock::new(at));
    let services = formula_app::Services::new(
        t.db.clone(),
        mail.clone(),
        formula_app::AppConfig::default(),
    )
    .with_clock(clock.clone());
    Scene {
        w,
        client,
        services,
        mail,
        clock,
    }
}

fn caller(u: &User) -> Caller {
    Caller {
        actor: actor_for(u),
        ctx: RequestCtx::default(),
    }
}

async fn inbox(db: &Db, u: &User) -> Vec<Notification> {
    db.list_notifications(u.id, &InboxQuery::default())
        .await
        .unwrap()
        .items
}

fn events(items: &[Notification]) -> Vec<Event> {
    let mut e: Vec<Event> = items.iter().map(|n| n.event).collect();
    e.sort();
    e
}

async fn say(s: &Scene, who: &User, body: &str, visibility: Visibility) {
    s.services
        .add_comment(
            &caller(who),
            RecordKind::Project,
            s.w.p1.id,
            NewComment {
                body: body.into(),
                visibility: Some(visibility),
                id: None,
            },
            &[],
        )
        .await
        .unwrap();
}

/// Who hears of a task, a comment and a mention; the client user never of anything
/// internal; a disabled person of nothing; and nothing is shown about a project one left.
pub async fn recipients_follow_the_rules_and_never_leak(t: &TestDb) {
    let s = scene(t, f::now()).await;
    let (pm, designer, client) = (&s.w.pm, &s.w.designer, &s.client);
    let outsider = add_user(t, "out@example.com", "Olga Outsider", Role::Designer).await;

    // Assigned: the assignee hears, not whoever assigned.
    let task = s
        .services
        .create_task(
            &caller(pm),
            s.w.p1.id,
            NewTask {
                title: "Measure the lobby".into(),
                description: None,
                status: None,
                priority: None,
                assignee_id: Some(designer.id),
                start_date: None,
                due_date: None,
                estimated_hours: None,
                actual_hours: None,
                progress: None,
                parent_id: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(events(&inbox(t, designer).await), [Event::TaskAssigned]);
    assert!(inbox(t, pm).await.is_empty(), "the actor is never told");

    // Completed: the creator (also the project manager) hears, once.
    s.services
        .update_task(
            &caller(designer),
            task.id,
            task.version,
            TaskPatch {
                status: Some(TaskStatus::Completed),
                ..TaskPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events(&inbox(t, pm).await), [Event::TaskCompleted]);

    // The client user follows the project; an internal comment mentioning the designer
    // tells the designer and nobody on the client's side.
    s.services
        .follow(&caller(client), RecordKind::Project, s.w.p1.id, true)
        .await
        .unwrap();
    say(
        &s,
        pm,
        "Internal: margin is thin, @dd check the veneer",
        Visibility::Internal,
    )
    .await;
    let d = inbox(t, designer).await;
    assert_eq!(events(&d), [Event::TaskAssigned, Event::Mentioned]);
    let mention = d.iter().find(|n| n.event == Event::Mentioned).unwrap();
    assert!(mention.internal);
    assert!(mention.link.contains("#comment-"), "{}", mention.link);
    assert!(
        inbox(t, client).await.is_empty(),
        "internal never reaches a client"
    );
    assert_eq!(t.unread_count(client.id).await.unwrap(), 0);

    // A comment visible to the client: its followers hear (the designer follows since the
    // mention), the client user too.
    say(&s, pm, "Samples arrive Friday", Visibility::Client).await;
    let c = inbox(t, client).await;
    assert_eq!(events(&c), [Event::Commented]);
    assert!(c.iter().all(|n| !n.internal));
    assert_eq!(
        events(&inbox(t, designer).await),
        [Event::TaskAssigned, Event::Commented, Event::Mentioned]
    );
    assert!(inbox(t, &outsider).await.is_empty());

    // Disabled: told nothing more.
    let mut off = t.get_user(designer.id).await.unwrap().unwrap();
    off.status = UserStatus::Disabled;
    let off = t
        .update_user(
            &off,
            off.version,
            &f::audit(None, "update", "user", off.id, "x"),
        )
        .await
        .unwrap();
    say(&s, pm, "Another update for everyone", Visibility::Client).await;
    assert_eq!(
        t.outside(&format!(
            "SELECT COUNT(*) FROM notifications WHERE event = 'commented' AND user_id = {}",
            uuid_literal(t, designer.id)
        ))
        .await,
        1
    );
    // Enabled again but off the team: nothing about the project is shown any more.
    let mut on = off.clone();
    on.status = UserStatus::Active;
    t.update_user(
        &on,
        on.version,
        &f::audit(None, "update", "user", on.id, "x"),
    )
    .await
    .unwrap();
    assert_eq!(inbox(t, designer).await.len(), 3);
    t.remove_member(
        s.w.p1.id,
        designer.id,
        &f::audit(Some(pm), "remove_member", "project", s.w.p1.id, "p1"),
    )
    .await
    .unwrap();
    assert!(inbox(t, designer).await.is_empty());
    assert_eq!(t.unread_count(designer.id).await.unwrap(), 0);

    // Mark read: only one's own.
    let mine = inbox(t, client).await;
    assert_eq!(
        t.mark_read(pm.id, Some(&[mine[0].id]), f::now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(t.mark_read(client.id, None, f::now()).await.unwrap(), 2);
    assert_eq!(t.unread_count(client.id).await.unwrap(), 0);

    // Added to a team: told.
    s.services
        .add_member(&caller(pm), s.w.p1.id, outsider.id, ProjectRole::Designer)
        .await
        .unwrap();
    assert_eq!(events(&inbox(t, &outsider).await), [Event::AddedToTeam]);
}

/// A UUID as a SQL literal on the test's backend (SQLite keeps them as 16-byte blobs).
fn uuid_literal(t: &TestDb, id: uuid::Uuid) -> String {
    if matches!(t.backend(), formula_store::Backend::Sqlite) {
        format!("X'{}'", id.simple())
    } else {
        format!("'{id}'")
    }
}

/// Changes in a row make one instant mail (listing 50, counting the rest); the next window,
/// another.
pub async fn instant_mails_are_batched_per_recipient(t: &TestDb) {
    let at = datetime!(2027-03-10 09:00:10 UTC);
    let s = scene(t, at).await;
    for n in 0..55 {
        say(&s, &s.w.pm, &format!("@dd note {n}"), Visibility::Internal).await;
    }
    // Nothing yet: the batch window is still open.
    s.services.drain_jobs("w", at, 10).await.unwrap();
    assert!(s.mail.sent().is_empty());
    let later = at + Duration::minutes(3);
    s.clock.set(later);
    s.services.drain_jobs("w", later, 10).await.unwrap();
    let sent = s.mail.sent();
    assert_eq!(sent.len(), 1, "one mail for 55 mentions");
    let m = &sent[0];
    assert_eq!(m.to, "dd@example.com");
    assert!(m.subject.contains("(and 54 more)"), "{}", m.subject);
    assert!(
        m.text.contains("note 0") && m.text.contains("note 49"),
        "{}",
        m.text
    );
    assert!(!m.text.contains("note 50"), "only 50 listed");
    assert!(m.text.contains("and 5 more in your inbox"), "{}", m.text);
    assert!(m.html.contains("<a href="), "{}", m.html);
    let unsubscribe = m
        .headers
        .iter()
        .find(|(k, _)| *k == "List-Unsubscribe")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(unsubscribe.contains("/unsubscribe?t="), "{unsubscribe}");
    // Running the queue again sends nothing more.
    s.services
        .drain_jobs("w", later + Duration::minutes(10), 10)
        .await
        .unwrap();
    assert_eq!(s.mail.sent().len(), 1);

    // The one-click link turns mentions off: the next mention is not mailed.
    let token = unsubscribe
        .split("t=")
        .nth(1)
        .unwrap()
        .trim_end_matches('>')
        .to_owned();
    let (email, _) = s.services.unsubscribe(&token).await.unwrap();
    assert_eq!(email, "dd@example.com");
    say(&s, &s.w.pm, "@dd one more", Visibility::Internal).await;
    s.services
        .drain_jobs("w", later + Duration::minutes(20), 10)
        .await
        .unwrap();
    assert_eq!(s.mail.sent().len(), 1, "unsubscribed");
    assert!(s.services.unsubscribe("forged.token").await.is_err());
}

/// At a chosen date: one digest per subscribed person at 07:00 in their time zone, with
/// that day's items; a failed attempt retried sends it once; a second run sends nothing.
pub async fn the_daily_digest_goes_out_once_at_seven_local(t: &TestDb) {
    // 03:30 UTC: 06:30 in Istanbul (UTC+3).
    let at = datetime!(2027-03-10 03:30 UTC);
    let s = scene(t, at).await;
    let (pm, designer) = (&s.w.pm, &s.w.designer);
    t.set_time_zone(designer.id, "Europe/Istanbul", at)
        .await
        .unwrap();
    s.services
        .follow(&caller(designer), RecordKind::Project, s.w.p1.id, true)
        .await
        .unwrap();
    say(&s, pm, "Veneer samples approved", Visibility::Internal).await;
    say(&s, pm, "Site access from Monday", Visibility::Internal).await;
    let digest = |now: OffsetDateTime| {
        let mut job = NewJob::new("notification_digest", serde_json::json!({}));
        job.run_at = now;
        job
    };
    // 06:30 there: not yet.
    t.enqueue(&digest(at)).await.unwrap();
    s.services.drain_jobs("w", at, 10).await.unwrap();
    assert!(s.mail.sent().is_empty());
    // 07:05 there, and the SMTP server fails the first attempt.
    let seven = datetime!(2027-03-10 04:05 UTC);
    s.clock.set(seven);
    s.mail.fail.store(1, Ordering::SeqCst);
    t.enqueue(&digest(seven)).await.unwrap();
    s.services.drain_jobs("w", seven, 10).await.unwrap();
    assert!(s.mail.sent().is_empty(), "the attempt failed");
    // The retry sends it; another digest run in the same hour sends nothing.
    let retry = seven + Duration::minutes(2);
    s.clock.set(retry);
    s.services.drain_jobs("w", retry, 10).await.unwrap();
    t.enqueue(&digest(retry)).await.unwrap();
    s.services.drain_jobs("w", retry, 10).await.unwrap();
    let sent = s.mail.sent();
    assert_eq!(sent.len(), 1, "exactly one digest");
    assert_eq!(sent[0].to, "dd@example.com");
    assert!(
        sent[0]
            .subject
            .contains("daily digest for 2027-03-10: 2 updates"),
        "{}",
        sent[0].subject
    );
    assert!(sent[0].text.contains("Veneer samples") && sent[0].text.contains("Site access"));
    // The next day's digest has only the next day's items.
    say(&s, pm, "Fitters on site", Visibility::Internal).await;
    let next = datetime!(2027-03-11 04:01 UTC);
    s.clock.set(next);
    t.enqueue(&digest(next)).await.unwrap();
    s.services.drain_jobs("w", next, 10).await.unwrap();
    let sent = s.mail.sent();
    assert_eq!(sent.len(), 2);
    assert!(sent[1].subject.contains("1 update"), "{}", sent[1].subject);
    assert!(!sent[1].text.contains("Veneer"));
}

/// Reminders at a chosen date: due in 3 days, due tomorrow and overdue to the assignee (overdue
/// also to the project manager), a late material to the managers; each once a day however
/// often the job runs, overdue again the next day; never to the client user.
pub async fn reminders_are_told_once_a_day(t: &TestDb) {
    let at = datetime!(2027-05-10 06:05 UTC);
    let s = scene(t, at).await;
    let (pm, designer) = (&s.w.pm, &s.w.designer);
    let today = at.date();
    for (title, due) in [
        ("Soon", today + Duration::days(3)),
        ("Tomorrow", today + Duration::days(1)),
        ("Late", today - Duration::days(2)),
        ("Later", today + Duration::days(10)),
    ] {
        s.services
            .create_task(
                &caller(pm),
                s.w.p1.id,
                NewTask {
                    title: title.into(),
                    description: None,
                    status: None,
                    priority: None,
                    assignee_id: Some(designer.id),
                    start_date: None,
                    due_date: Some(due),
                    estimated_hours: None,
                    actual_hours: None,
                    progress: None,
                    parent_id: None,
                },
            )
            .await
            .unwrap();
    }
    let spec = f::spec(&s.w.p1, "V-01");
    t.insert_spec(
        &spec,
        &f::audit(Some(pm), "create", "spec", spec.id, "V-01"),
    )
    .await
    .unwrap();
    for _ in 0..3 {
        s.services.send_reminders(at).await.unwrap();
    }
    let d = inbox(t, designer).await;
    let reminders: Vec<Event> = events(&d)
        .into_iter()
        .filter(|e| *e != Event::TaskAssigned)
        .collect();
    assert_eq!(
        reminders,
        [
            Event::TaskDueSoon,
            Event::TaskDueTomorrow,
            Event::TaskOverdue
        ]
    );
    let late = d.iter().find(|n| n.event == Event::TaskOverdue).unwrap();
    assert!(
        late.title.contains("“Late” is overdue by 2 days"),
        "{}",
        late.title
    );
    assert_eq!(
        events(&inbox(t, pm).await),
        [Event::TaskOverdue, Event::MaterialLate]
    );
    assert!(inbox(t, &s.client).await.is_empty());
    // The next day: overdue again, nothing else new.
    s.services
        .send_reminders(at + Duration::days(1))
        .await
        .unwrap();
    let overdue = inbox(t, designer)
        .await
        .iter()
        .filter(|n| n.event == Event::TaskOverdue)
        .count();
    assert_eq!(overdue, 2);
}

/// Two mail jobs (two instances) taking the same person's notifications at once: each
/// notification goes to exactly one of them.
pub async fn two_mail_jobs_never_take_the_same_notification(t: &TestDb) {
    let at = datetime!(2027-03-10 09:00:10 UTC);
    let s = scene(t, at).await;
    for n in 0..20 {
        say(&s, &s.w.pm, &format!("@dd race {n}"), Visibility::Internal).await;
    }
    let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let later = at + Duration::minutes(5);
    let user = s.w.designer.id;
    let (ta, tb) = tokio::join!(
        t.take_for_mail(user, EmailMode::Instant, a, later, later),
        t.take_for_mail(user, EmailMode::Instant, b, later, later),
    );
    let (ta, tb) = (ta.unwrap(), tb.unwrap());
    assert_eq!(ta.len() + tb.len(), 20, "every one taken");
    assert!(
        ta.iter().all(|x| tb.iter().all(|y| x.id != y.id)),
        "none twice"
    );
    // Taken again by the same mail (a retried job): the same ones, nothing from the other.
    let again = t
        .take_for_mail(user, EmailMode::Instant, a, later, later)
        .await
        .unwrap();
    assert_eq!(again.len(), ta.len());
}

both_backends!(
    recipients_follow_the_rules_and_never_leak,
    instant_mails_are_batched_per_recipient,
    the_daily_digest_goes_out_once_at_seven_local,
    reminders_are_told_once_a_day,
    two_mail_jobs_never_take_the_same_notification,
);
