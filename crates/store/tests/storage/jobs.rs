//! The job queue, scheduler leases and housekeeping, on both backends.

use formula_app::jobs::{Housekeeping, JobQuery, JobQueue, JobStatus, KEEP_ACTIONS, NewJob};
use formula_app::ports::{OutboxMail, SessionRecord};
use formula_app::query::AuditQuery;
use formula_app::repos::prelude::*;
use formula_domain::user::Role;
use formula_store::Db;
use time::Duration;
use uuid::Uuid;

use crate::fixtures::{self as f, now};

fn job(kind: &str, run_at: time::OffsetDateTime, max_attempts: i32) -> NewJob {
    NewJob {
        run_at,
        max_attempts,
        ..NewJob::new(kind, serde_json::json!({"n": kind}))
    }
}

async fn status_of(db: &Db, id: Uuid) -> JobStatus {
    db.get_job(id).await.unwrap().expect("job exists").status
}

async fn outbox_len(db: &Db) -> usize {
    db.list_mail(200).await.unwrap().len()
}

fn mail(subject: &str) -> OutboxMail {
    OutboxMail {
        id: Uuid::now_v7(),
        to_address: "a@example.com".into(),
        subject: subject.into(),
        body: "Hello".into(),
        status: "logged".into(),
        created_at: now(),
        attachments: Vec::new(),
    }
}

pub async fn reset_link_and_its_email_are_stored_together(db: &Db) {
    let u = f::user("j@example.com", "Jo", Role::Designer);
    db.insert_user(&u, "h", &f::audit(None, "create", "user", u.id, &u.email))
        .await
        .unwrap();
    let email = NewJob::email("j@example.com", "Reset", "Open the link");
    db.insert_reset(u.id, "tok-1", now() + Duration::hours(1), &email)
        .await
        .unwrap();
    let jobs = db.list_jobs(&JobQuery::default()).await.unwrap();
    assert_eq!(jobs.total, 1);
    let j = &jobs.items[0];
    assert_eq!(
        (j.kind.as_str(), j.status, j.attempts),
        ("send_email", JobStatus::Queued, 0)
    );
    assert_eq!(j.payload["to"], "j@example.com");
    assert_eq!(j.payload["body"], "Open the link");

    // One transaction: when the job cannot be written (its id is taken), neither is the link.
    let clash = NewJob {
        id: email.id,
        ..NewJob::email("j@example.com", "Reset", "again")
    };
    assert!(
        db.insert_reset(u.id, "tok-2", now() + Duration::hours(1), &clash)
            .await
            .is_err()
    );
    let entry = f::audit(None, "reset_password", "user", Uuid::nil(), "");
    assert_eq!(
        db.consume_reset("tok-2", now(), "h2", &entry)
            .await
            .unwrap(),
        None
    );
    assert_eq!(db.list_jobs(&JobQuery::default()).await.unwrap().total, 1);
    assert_eq!(
        db.consume_reset("tok-1", now(), "h2", &entry)
            .await
            .unwrap(),
        Some(u.id)
    );
}

pub async fn jobs_are_claimed_in_order_when_due(db: &Db) {
    let t = now();
    let later = job("later", t + Duration::minutes(5), 3);
    let first = job("first", t - Duration::minutes(2), 3);
    let second = job("second", t - Duration::minutes(1), 3);
    for j in [&later, &second, &first] {
        assert!(db.enqueue(j).await.unwrap());
    }
    let lock = t + Duration::minutes(15);
    let a = db.claim_job("w1", t, lock).await.unwrap().unwrap();
    assert_eq!(a.id, first.id);
    assert_eq!((a.status, a.attempts), (JobStatus::Running, 1));
    assert_eq!(
        (a.locked_by.as_deref(), a.locked_until),
        (Some("w1"), Some(lock))
    );
    let b = db.claim_job("w2", t, lock).await.unwrap().unwrap();
    assert_eq!(b.id, second.id);
    assert!(
        db.claim_job("w1", t, lock).await.unwrap().is_none(),
        "the third is not due yet"
    );
    let c = db
        .claim_job("w1", t + Duration::minutes(6), lock)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.id, later.id);

    // A scheduled slot is enqueued once, whoever asks.
    let slot = NewJob {
        unique_key: Some("cleanup_sessions@2026-01-01T03:30Z".into()),
        ..job("cleanup_sessions", t, 3)
    };
    assert!(db.enqueue(&slot).await.unwrap());
    let again = NewJob {
        id: Uuid::now_v7(),
        ..slot.clone()
    };
    assert!(!db.enqueue(&again).await.unwrap());
    let q = JobQuery {
        kind: Some("cleanup_sessions".into()),
        ..Default::default()
    };
    assert_eq!(db.list_jobs(&q).await.unwrap().total, 1);
}

pub async fn concurrent_claimers_each_get_different_jobs(db: &Db) {
    let t = now();
    let mut ids = std::collections::BTreeSet::new();
    for i in 0..24 {
        let j = job(&format!("k{i}"), t - Duration::seconds(i), 3);
        db.enqueue(&j).await.unwrap();
        ids.insert(j.id);
    }
    let claimer = |name: &'static str| async move {
        let mut got = Vec::new();
        while let Some(j) = db
            .claim_job(name, t, t + Duration::minutes(15))
            .await
            .unwrap()
        {
            got.push(j.id);
        }
        got
    };
    let all = tokio::join!(
        claimer("w1"),
        claimer("w2"),
        claimer("w3"),
        claimer("w4"),
        claimer("w5"),
        claimer("w6")
    );
    let claimed: Vec<Uuid> = [all.0, all.1, all.2, all.3, all.4, all.5]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(claimed.len(), ids.len(), "each job claimed exactly once");
    let unique: std::collections::BTreeSet<Uuid> = claimed.into_iter().collect();
    assert_eq!(unique, ids);
}

pub async fn failed_jobs_back_off_then_die_and_can_be_retried(db: &Db) {
    let t = now();
    let j = job("flaky", t, 2);
    db.enqueue(&j).await.unwrap();
    let lock = t + Duration::minutes(15);
    let c = db.claim_job("w1", t, lock).await.unwrap().unwrap();
    assert!(
        !db.fail_job(c.id, "intruder", t, "nope", Some(t))
            .await
            .unwrap(),
        "only the owner records the outcome"
    );
    let retry_at = t + Duration::seconds(30);
    assert!(
        db.fail_job(c.id, "w1", t, "SMTP said no", Some(retry_at))
            .await
            .unwrap()
    );
    let stored = db.get_job(c.id).await.unwrap().unwrap();
    assert_eq!(stored.status, JobStatus::Failed);
    assert_eq!(stored.run_at, retry_at);
    assert_eq!(stored.last_error.as_deref(), Some("SMTP said no"));
    assert_eq!(stored.locked_by, None);
    assert!(
        db.claim_job("w1", t + Duration::seconds(29), lock)
            .await
            .unwrap()
            .is_none()
    );

    let c = db.claim_job("w2", retry_at, lock).await.unwrap().unwrap();
    assert_eq!(c.attempts, 2);
    assert!(
        db.fail_job(c.id, "w2", retry_at, "still no", None)
            .await
            .unwrap()
    );
    assert_eq!(status_of(db, c.id).await, JobStatus::Dead);
    assert!(
        db.claim_job("w1", t + Duration::days(1), lock)
            .await
            .unwrap()
            .is_none(),
        "dead jobs are not claimed"
    );
    let dead = JobQuery {
        status: Some(JobStatus::Dead),
        ..Default::default()
    };
    assert_eq!(db.list_jobs(&dead).await.unwrap().total, 1);

    let entry = f::audit(None, "retry", "job", c.id, "flaky");
    let again = db.retry_dead_job(c.id, t, &entry).await.unwrap().unwrap();
    assert_eq!(
        (again.status, again.attempts, again.finished_at),
        (JobStatus::Queued, 0, None)
    );
    assert!(
        db.retry_dead_job(c.id, t, &entry).await.unwrap().is_none(),
        "only dead jobs are retried"
    );
    let audit = AuditQuery {
        entity_type: Some("job".into()),
        ..Default::default()
    };
    assert_eq!(db.list_audit(&audit).await.unwrap().total, 1);
    assert!(db.claim_job("w1", t, lock).await.unwrap().is_some());
}

pub async fn completing_records_the_mail_once(db: &Db) {
    let t = now();
    let j = job("send_email", t, 3);
    db.enqueue(&j).await.unwrap();
    let c = db
        .claim_job("w1", t, t + Duration::minutes(15))
        .await
        .unwrap()
        .unwrap();
    let m = mail("Reset");
    assert!(!db.complete_job(c.id, "w2", t, Some(&m)).await.unwrap());
    assert_eq!(
        outbox_len(db).await,
        0,
        "a worker that lost the job records nothing"
    );
    assert!(db.complete_job(c.id, "w1", t, Some(&m)).await.unwrap());
    assert!(
        !db.complete_job(c.id, "w1", t, Some(&mail("again")))
            .await
            .unwrap()
    );
    assert_eq!(outbox_len(db).await, 1);
    let done = db.get_job(c.id).await.unwrap().unwrap();
    assert_eq!((done.status, done.finished_at), (JobStatus::Done, Some(t)));
}

pub async fn expired_locks_go_back_to_the_queue(db: &Db) {
    let t = now();
    let j = job("long", t, 2);
    db.enqueue(&j).await.unwrap();
    let lock = t + Duration::minutes(15);
    let c = db.claim_job("crashed", t, lock).await.unwrap().unwrap();
    assert_eq!(
        db.release_expired_jobs(t + Duration::minutes(14))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        db.release_expired_jobs(t + Duration::minutes(16))
            .await
            .unwrap(),
        1
    );
    let back = db.get_job(c.id).await.unwrap().unwrap();
    assert_eq!((back.status, back.locked_by), (JobStatus::Queued, None));
    assert!(back.last_error.unwrap().contains("lock expired"));
    assert!(
        !db.complete_job(c.id, "crashed", t, None).await.unwrap(),
        "the old owner no longer owns it"
    );
    // Its last attempt dying with its instance makes it dead, not retried for ever.
    let t2 = t + Duration::minutes(20);
    let c = db
        .claim_job("crashed-again", t2, t2 + Duration::minutes(15))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.attempts, 2);
    db.release_expired_jobs(t2 + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(status_of(db, c.id).await, JobStatus::Dead);

    // A job claimed but not started is released without counting the attempt.
    let j = job("unstarted", t, 2);
    db.enqueue(&j).await.unwrap();
    let c = db
        .claim_job("w1", t2, t2 + Duration::minutes(15))
        .await
        .unwrap()
        .unwrap();
    assert!(db.release_job(c.id, "w1", t2).await.unwrap());
    let back = db.get_job(c.id).await.unwrap().unwrap();
    assert_eq!((back.status, back.attempts), (JobStatus::Queued, 0));
}

pub async fn a_lease_has_one_holder_until_it_expires(db: &Db) {
    let t = now();
    let minute = Duration::minutes(1);
    assert!(db.try_lease("scheduler", "a", t, t + minute).await.unwrap());
    assert!(!db.try_lease("scheduler", "b", t, t + minute).await.unwrap());
    assert!(
        db.try_lease("scheduler", "a", t + Duration::seconds(30), t + 2 * minute)
            .await
            .unwrap(),
        "the holder renews"
    );
    assert!(
        !db.try_lease("scheduler", "b", t + Duration::seconds(90), t + 3 * minute)
            .await
            .unwrap()
    );
    assert!(
        db.try_lease("other", "b", t, t + minute).await.unwrap(),
        "leases are per name"
    );
    let (r1, r2) = tokio::join!(
        db.try_lease("scheduler", "b", t + 2 * minute, t + 3 * minute),
        db.try_lease("scheduler", "c", t + 2 * minute, t + 3 * minute)
    );
    assert!(
        r1.unwrap() ^ r2.unwrap(),
        "of two racing for an expired lease, exactly one wins"
    );
    let winner = if db
        .try_lease("scheduler", "b", t + 2 * minute, t + 3 * minute)
        .await
        .unwrap()
    {
        "b"
    } else {
        "c"
    };
    db.release_lease("scheduler", "nobody").await.unwrap();
    assert!(
        !db.try_lease("scheduler", "a", t + 2 * minute, t + 3 * minute)
            .await
            .unwrap()
    );
    db.release_lease("scheduler", winner).await.unwrap();
    assert!(
        db.try_lease("scheduler", "a", t + 2 * minute, t + 3 * minute)
            .await
            .unwrap()
    );
}

pub async fn housekeeping_removes_only_what_is_stale(db: &Db) {
    let t = now();
    let u = f::user("h@example.com", "Hal", Role::Designer);
    db.insert_user(&u, "h", &f::audit(None, "create", "user", u.id, &u.email))
        .await
        .unwrap();
    let session = |hash: &str, last_seen: time::OffsetDateTime, expires: time::OffsetDateTime| {
        SessionRecord {
            id: Uuid::now_v7(),
            user_id: u.id,
            token_hash: hash.into(),
            created_at: t - Duration::days(2),
            last_seen_at: last_seen,
            expires_at: expires,
            ip: None,
            user_agent: None,
        }
    };
    db.insert_session(&session("live", t, t + Duration::days(1)))
        .await
        .unwrap();
    db.insert_session(&session("expired", t, t - Duration::seconds(1)))
        .await
        .unwrap();
    db.insert_session(&session(
        "idle",
        t - Duration::days(1),
        t + Duration::days(1),
    ))
    .await
    .unwrap();
    let email = NewJob::email("h@example.com", "Reset", "link");
    db.insert_reset(u.id, "valid", t + Duration::hours(1), &email)
        .await
        .unwrap();
    db.insert_reset(
        u.id,
        "old",
        t - Duration::hours(1),
        &NewJob::email("h@example.com", "R", "l"),
    )
    .await
    .unwrap();
    let n = db
        .delete_stale_credentials(t, t - Duration::hours(12))
        .await
        .unwrap();
    assert_eq!(n, 3, "two sessions and one reset link");
    assert!(db.session_by_hash("live").await.unwrap().is_some());
    assert!(db.session_by_hash("idle").await.unwrap().is_none());
    let entry = f::audit(None, "reset_password", "user", Uuid::nil(), "");
    assert_eq!(
        db.consume_reset("valid", t, "h2", &entry).await.unwrap(),
        Some(u.id)
    );
    assert_eq!(
        db.delete_stale_credentials(t, t - Duration::hours(12))
            .await
            .unwrap(),
        1,
        "a used link goes too"
    );

    // Audit retention keeps recent entries and kept actions.
    let old = t - Duration::days(400);
    for (action, at) in [("update", old), ("status_change", old), ("update", t)] {
        let mut e = f::audit(None, action, "project", Uuid::now_v7(), "P");
        e.at = at;
        db.insert_client(&f::client(&format!("C {action} {at}")), &e)
            .await
            .unwrap();
    }
    let before = db.list_audit(&AuditQuery::default()).await.unwrap().total;
    let n = db
        .delete_audit_before(t - Duration::days(365), KEEP_ACTIONS)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let after = db.list_audit(&AuditQuery::default()).await.unwrap();
    assert_eq!(after.total, before - 1);
    assert!(
        after
            .items
            .iter()
            .any(|e| e.action == "status_change" && e.at == old)
    );

    // Finished jobs go after their retention; dead ones stay for an administrator.
    let done = job("done", t, 1);
    let dead = job("dead", t, 1);
    for j in [&done, &dead] {
        db.enqueue(j).await.unwrap();
    }
    let a = db
        .claim_job("w", t, t + Duration::minutes(1))
        .await
        .unwrap()
        .unwrap();
    let b = db
        .claim_job("w", t, t + Duration::minutes(1))
        .await
        .unwrap()
        .unwrap();
    db.complete_job(a.id, "w", t - Duration::days(20), None)
        .await
        .unwrap();
    db.fail_job(b.id, "w", t - Duration::days(20), "boom", None)
        .await
        .unwrap();
    let sent_email_jobs = db.list_jobs(&JobQuery::default()).await.unwrap().total;
    assert_eq!(
        db.delete_finished_jobs(t - Duration::days(14))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.list_jobs(&JobQuery::default()).await.unwrap().total,
        sent_email_jobs - 1
    );

    db.optimize_database().await.unwrap();
}

pub async fn jobs_are_counted_by_status(db: &Db) {
    assert!(db.count_jobs_by_status().await.unwrap().is_empty());
    let t = now();
    for kind in ["a", "b", "c", "d"] {
        db.enqueue(&job(kind, t - Duration::minutes(1), 1))
            .await
            .unwrap();
    }
    let lock = t + Duration::minutes(15);
    let first = db.claim_job("w", t, lock).await.unwrap().unwrap();
    db.complete_job(first.id, "w", t, None).await.unwrap();
    let second = db.claim_job("w", t, lock).await.unwrap().unwrap();
    // Its only attempt failed: dead.
    db.fail_job(second.id, "w", t, "boom", None).await.unwrap();
    db.claim_job("w", t, lock).await.unwrap().unwrap();
    assert_eq!(
        db.count_jobs_by_status().await.unwrap(),
        vec![
            (JobStatus::Dead, 1),
            (JobStatus::Done, 1),
            (JobStatus::Queued, 1),
            (JobStatus::Running, 1),
        ]
    );
}

both_backends! {
    reset_link_and_its_email_are_stored_together,
    jobs_are_claimed_in_order_when_due,
    concurrent_claimers_each_get_different_jobs,
    failed_jobs_back_off_then_die_and_can_be_retried,
    completing_records_the_mail_once,
    expired_locks_go_back_to_the_queue,
    a_lease_has_one_holder_until_it_expires,
    housekeeping_removes_only_what_is_stale,
    jobs_are_counted_by_status,
}
