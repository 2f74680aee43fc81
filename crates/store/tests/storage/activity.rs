//! Activity feeds (changes and comments merged newest first, keyset-paged, a client user's
//! part chosen in SQL) and what waits for someone (reviews to decide, mentions to answer).

use formula_app::repos::prelude::*;
use formula_app::repos::{
    Audience, FeedCursor, FeedEntry, FeedOf, FeedQuery, FeedRow, RecordKey, WaitingFor,
};
use formula_domain::audit::AuditEntry;
use formula_domain::authz::ProjectScope;
use formula_domain::comment::{Comment, RecordKind, Visibility};
use formula_domain::drawing::RevisionStatus;
use formula_domain::review::ReviewSettings;
use formula_domain::spec::SpecStatus;
use formula_domain::task::TaskStatus;
use formula_domain::user::{Role, User};
use formula_domain::waiting::WaitingKind;
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures as f;
use crate::world::{World, add_user, world};

/// An audit entry by the manager, filed under p1's feed.
fn by(w: &World, action: &str, entity_type: &str, id: Uuid, label: &str) -> AuditEntry {
    f::audit(Some(&w.pm), action, entity_type, id, label).in_project(w.p1.id)
}

fn comment(key: RecordKey, author: &User, body: &str, v: Visibility) -> Comment {
    Comment {
        id: Uuid::now_v7(),
        record_kind: key.kind,
        record_id: key.id,
        project_id: key.project_id,
        author_id: Some(author.id),
        author_name: Some(author.name.clone()),
        visibility: v,
        body: body.into(),
        created_at: f::now(),
        edited_at: None,
        deleted_at: None,
        version: 1,
    }
}

fn key(kind: RecordKind, id: Uuid, project_id: Uuid) -> RecordKey {
    RecordKey {
        kind,
        id,
        project_id,
    }
}

async fn client_user(db: &Db, email: &str, client: Uuid) -> User {
    let mut u = f::user(email, "Cleo Client", Role::Client);
    u.client_id = Some(client);
    db.insert_user(&u, "hash", &f::audit(None, "create", "user", u.id, email))
        .await
        .unwrap();
    u
}

/// A row in short: `action entity_type` for a change, `comment <visibility> <body>` for a
/// comment.
fn short(r: &FeedRow) -> String {
    match &r.entry {
        FeedEntry::Change {
            action,
            entity_type,
            ..
        } => format!("{action} {entity_type}"),
        FeedEntry::Comment {
            visibility, body, ..
        } => format!("comment {} {body}", visibility.as_str()),
    }
}

async fn feed(db: &Db, of: FeedOf, audience: Audience) -> Vec<String> {
    let q = FeedQuery {
        of,
        audience,
        before: None,
        limit: 100,
        with_comments: true,
    };
    db.activity(&q).await.unwrap().iter().map(short).collect()
}

pub async fn feeds_merge_changes_and_comments(db: &Db) {
    let w = world(db).await;
    let task = f::task(&w.p1, "Site survey", TaskStatus::Pending, 0, None);
    db.insert_task(
        &task,
        &by(&w, "create", "task", task.id, "Site survey"),
        &[],
    )
    .await
    .unwrap();
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    let item = f::scope_item(&group, "WSC-M-001", 2, Some(50_000), 0);
    db.save_scope(
        std::slice::from_ref(&group),
        std::slice::from_ref(&item),
        &[],
        &[by(&w, "create", "scope_item", item.id, &item.code)],
    )
    .await
    .unwrap();
    let d = f::drawing(&w.p1, "SD-101", vec![]);
    db.insert_drawing(&d, &by(&w, "create", "drawing", d.id, "SD-101"))
        .await
        .unwrap();
    let rev = f::revision(&d, 1);
    db.insert_revision(&rev, &by(&w, "upload", "drawing", d.id, "SD-101 rev A"))
        .await
        .unwrap();
    let on_task = key(RecordKind::Task, task.id, w.p1.id);
    let on_item = key(RecordKind::ScopeItem, item.id, w.p1.id);
    let on_drawing = key(RecordKind::Drawing, d.id, w.p1.id);
    let on_rev = key(RecordKind::DrawingRevision, rev.id, w.p1.id);
    for (k, body, v) in [
        (on_task, "internal note", Visibility::Internal),
        (on_task, "survey booked", Visibility::Client),
        // The scope is internal, and so is a drawing nobody submitted: a client never reads
        // these, however they are marked.
        (on_item, "item shared", Visibility::Client),
        (on_drawing, "draft shared", Visibility::Client),
        (on_rev, "revision shared", Visibility::Client),
    ] {
        let c = comment(k, &w.designer, body, v);
        db.insert_comment(
            k,
            &c,
            &[],
            &[],
            &by(&w, "comment", k.kind.as_str(), k.id, "x"),
        )
        .await
        .unwrap();
    }
    // A deleted comment is in no feed.
    let gone = comment(on_task, &w.pm, "gone", Visibility::Client);
    db.insert_comment(
        on_task,
        &gone,
        &[],
        &[],
        &by(&w, "comment", "task", task.id, "x"),
    )
    .await
    .unwrap();
    db.delete_comment(
        gone.id,
        1,
        w.pm.id,
        f::now(),
        &by(&w, "delete comment", "task", task.id, "x"),
    )
    .await
    .unwrap();
    // Another project's changes stay in its own feed.
    let other = f::task(&w.p2, "Elsewhere", TaskStatus::Pending, 0, None);
    db.insert_task(
        &other,
        &f::audit(Some(&w.pm), "create", "task", other.id, "Elsewhere").in_project(w.p2.id),
        &[],
    )
    .await
    .unwrap();

    let team = feed(db, FeedOf::Project(w.p1.id), Audience::Team).await;
    assert_eq!(
        team,
        vec![
            "comment client revision shared",
            "comment client draft shared",
            "comment client item shared",
            "comment client survey booked",
            "comment internal internal note",
            "upload drawing",
            "create drawing",
            "create scope_item",
            "create task",
        ],
        "newest first, comments from the comments (not their audit entries)"
    );
    let client = feed(db, FeedOf::Project(w.p1.id), Audience::Client).await;
    assert_eq!(client, vec!["comment client survey booked", "create task"]);

    // Submitted: the drawing, its revision and what was said on them become the client's.
    let mut submitted = rev.clone();
    submitted.status = RevisionStatus::Submitted;
    submitted.submitted_at = Some(f::now());
    db.set_revision_status(
        &submitted,
        1,
        None,
        &by(&w, "submit", "drawing", d.id, "SD-101 rev A"),
    )
    .await
    .unwrap();
    let client = feed(db, FeedOf::Project(w.p1.id), Audience::Client).await;
    assert_eq!(
        client,
        vec![
            "submit drawing",
            "comment client revision shared",
            "comment client draft shared",
            "comment client survey booked",
            "create task",
        ]
    );

    // A drawing's own feed holds its changes and the comments on it and its revisions.
    let drawing = feed(
        db,
        FeedOf::Record(RecordKind::Drawing, d.id),
        Audience::Team,
    )
    .await;
    assert_eq!(
        drawing,
        vec![
            "submit drawing",
            "comment client revision shared",
            "comment client draft shared",
            "upload drawing",
            "create drawing",
        ]
    );
    let item_feed = feed(
        db,
        FeedOf::Record(RecordKind::ScopeItem, item.id),
        Audience::Client,
    )
    .await;
    assert!(item_feed.is_empty(), "{item_feed:?}");

    // A comment names its record (as it is called now).
    let rows = db
        .activity(&FeedQuery {
            of: FeedOf::Project(w.p1.id),
            audience: Audience::Team,
            before: None,
            limit: 100,
            with_comments: true,
        })
        .await
        .unwrap();
    let labels: Vec<(String, Option<Uuid>)> = rows
        .iter()
        .filter_map(|r| match &r.entry {
            FeedEntry::Comment {
                label, parent_id, ..
            } => Some((label.clone(), *parent_id)),
            _ => None,
        })
        .collect();
    assert_eq!(labels[0], ("SD-101 rev A".to_owned(), Some(d.id)));
    assert_eq!(labels[1], ("SD-101".to_owned(), None));
    assert_eq!(labels[2], ("WSC-M-001".to_owned(), None));
    assert_eq!(labels[3], ("Site survey".to_owned(), None));
}

pub async fn feeds_page_by_cursor(db: &Db) {
    let w = world(db).await;
    let mut expected = Vec::new();
    for i in 0..7 {
        let t = f::task(&w.p1, &format!("Task {i}"), TaskStatus::Pending, 0, None);
        let entry = by(&w, "create", "task", t.id, &t.title);
        expected.push(entry.id);
        db.insert_task(&t, &entry, &[]).await.unwrap();
        let c = comment(
            key(RecordKind::Task, t.id, w.p1.id),
            &w.designer,
            &format!("note {i}"),
            Visibility::Client,
        );
        expected.push(c.id);
        db.insert_comment(
            key(RecordKind::Task, t.id, w.p1.id),
            &c,
            &[],
            &[],
            &by(&w, "comment", "task", t.id, "x"),
        )
        .await
        .unwrap();
    }
    expected.reverse();
    for audience in [Audience::Team, Audience::Client] {
        let mut seen = Vec::new();
        let mut before: Option<FeedCursor> = None;
        loop {
            let page = db
                .activity(&FeedQuery {
                    of: FeedOf::Project(w.p1.id),
                    audience,
                    before,
                    limit: 3,
                    with_comments: true,
                })
                .await
                .unwrap();
            assert!(page.len() <= 3);
            let Some(last) = page.last() else { break };
            before = Some(last.cursor());
            seen.extend(page.iter().map(|r| r.id));
        }
        assert_eq!(seen, expected, "{audience:?}: every row once, newest first");
    }
}

/// `who` as the app builds it for a staff member with `role`'s rights.
fn staff(u: &User, decides: bool) -> WaitingFor {
    WaitingFor {
        user_id: u.id,
        client_id: None,
        scope: ProjectScope::MemberOf(u.id),
        sees_scope: true,
        decides_drawings: decides,
        decides_specs: decides,
        limit: 50,
    }
}

fn client_of(u: &User) -> WaitingFor {
    WaitingFor {
        user_id: u.id,
        client_id: u.client_id,
        scope: ProjectScope::OfClient(u.client_id.unwrap()),
        sees_scope: false,
        decides_drawings: false,
        decides_specs: false,
        limit: 50,
    }
}

async fn waiting(db: &Db, who: &WaitingFor) -> Vec<(WaitingKind, String)> {
    db.reviews_waiting(who)
        .await
        .unwrap()
        .into_iter()
        .chain(db.mentions_waiting(who).await.unwrap())
        .map(|r| (r.kind, r.label))
        .collect()
}

pub async fn reviews_wait_for_whoever_decides(db: &Db) {
    let w = world(db).await;
    let d = f::drawing(&w.p1, "SD-101", vec![]);
    db.insert_drawing(&d, &by(&w, "create", "drawing", d.id, "SD-101"))
        .await
        .unwrap();
    let rev = f::revision(&d, 1);
    db.insert_revision(&rev, &by(&w, "upload", "drawing", d.id, "SD-101 rev A"))
        .await
        .unwrap();
    let draft_spec = f::spec(&w.p1, "V-02");
    db.insert_spec(
        &draft_spec,
        &by(&w, "create", "spec", draft_spec.id, "V-02"),
    )
    .await
    .unwrap();
    let mut spec = f::spec(&w.p1, "V-01");
    db.insert_spec(&spec, &by(&w, "create", "spec", spec.id, "V-01"))
        .await
        .unwrap();
    // Nothing is submitted yet: nothing waits.
    assert!(waiting(db, &staff(&w.pm, true)).await.is_empty());

    let mut submitted = rev.clone();
    submitted.status = RevisionStatus::Submitted;
    submitted.submitted_at = Some(f::now());
    db.set_revision_status(
        &submitted,
        1,
        None,
        &by(&w, "submit", "drawing", d.id, "SD-101 rev A"),
    )
    .await
    .unwrap();
    spec.status = SpecStatus::Submitted;
    let submit = f::audit(Some(&w.designer), "submit", "spec", spec.id, "V-01").in_project(w.p1.id);
    db.update_spec(&spec, 1, None, &submit).await.unwrap();

    // No reviewers named: the project manager on the team decides, the designer does not.
    let pm_sees = db.reviews_waiting(&staff(&w.pm, true)).await.unwrap();
    let kinds: Vec<(WaitingKind, &str)> =
        pm_sees.iter().map(|r| (r.kind, r.label.as_str())).collect();
    assert_eq!(
        kinds,
        vec![
            (WaitingKind::DrawingReview, "SD-101 rev A"),
            (WaitingKind::SpecReview, "V-01")
        ]
    );
    let spec_row = &pm_sees[1];
    assert_eq!(
        spec_row.since, submit.at,
        "a spec waits from its submission"
    );
    assert_eq!(spec_row.from_name.as_deref(), Some("Dan Designer"));
    assert_eq!(spec_row.record_id, spec.id);
    assert_eq!(pm_sees[0].record_id, d.id);
    assert_eq!(pm_sees[0].since, submitted.submitted_at.unwrap());
    assert!(waiting(db, &staff(&w.designer, false)).await.is_empty());
    // A manager off the team decides nothing there.
    let stranger = add_user(db, "pm2@example.com", "Other Manager", Role::ProjectManager).await;
    assert!(waiting(db, &staff(&stranger, true)).await.is_empty());

    // Reviewers named: only they.
    let settings = ReviewSettings {
        client_approvals: false,
        reviewer_ids: vec![w.designer.id],
    };
    db.save_review_settings(
        w.p1.id,
        &settings,
        &by(&w, "review_settings", "project", w.p1.id, "p1"),
    )
    .await
    .unwrap();
    assert!(waiting(db, &staff(&w.pm, true)).await.is_empty());
    assert_eq!(waiting(db, &staff(&w.designer, false)).await.len(), 2);

    // The client's users, once the project lets them approve; never another client's.
    let cleo = client_user(db, "cleo@acme.test", w.acme.id).await;
    let bea = client_user(db, "bea@beta.test", w.beta.id).await;
    assert!(waiting(db, &client_of(&cleo)).await.is_empty());
    let settings = ReviewSettings {
        client_approvals: true,
        reviewer_ids: vec![w.designer.id],
    };
    db.save_review_settings(
        w.p1.id,
        &settings,
        &by(&w, "review_settings", "project", w.p1.id, "p1"),
    )
    .await
    .unwrap();
    assert_eq!(waiting(db, &client_of(&cleo)).await.len(), 2);
    assert!(waiting(db, &client_of(&bea)).await.is_empty());
}

pub async fn mentions_wait_until_answered(db: &Db) {
    let w = world(db).await;
    let task = f::task(&w.p1, "Site survey", TaskStatus::Pending, 0, None);
    db.insert_task(
        &task,
        &by(&w, "create", "task", task.id, "Site survey"),
        &[],
    )
    .await
    .unwrap();
    let group = f::scope_group(&w.p1, "Millwork", "M", 0);
    let item = f::scope_item(&group, "WSC-M-001", 2, Some(50_000), 0);
    db.save_scope(
        std::slice::from_ref(&group),
        std::slice::from_ref(&item),
        &[],
        &[by(&w, "create", "scope_item", item.id, &item.code)],
    )
    .await
    .unwrap();
    let cleo = client_user(db, "cleo@acme.test", w.acme.id).await;
    let on_task = key(RecordKind::Task, task.id, w.p1.id);
    let on_item = key(RecordKind::ScopeItem, item.id, w.p1.id);
    let post = |k: RecordKey, author: &User, body: &str, v: Visibility, mentions: Vec<Uuid>| {
        let c = comment(k, author, body, v);
        let entry = by(&w, "comment", k.kind.as_str(), k.id, "x");
        async move {
            db.insert_comment(k, &c, &mentions, &[], &entry)
                .await
                .unwrap();
            c
        }
    };
    let ask = post(
        on_task,
        &w.pm,
        "@dd can you book it?",
        Visibility::Internal,
        vec![w.designer.id],
    )
    .await;
    post(
        on_item,
        &w.pm,
        "@dd sizes?",
        Visibility::Internal,
        vec![w.designer.id],
    )
    .await;
    // Client users never read internal comments, whoever they mention.
    post(
        on_task,
        &w.pm,
        "internal @cleo",
        Visibility::Internal,
        vec![cleo.id],
    )
    .await;
    post(
        on_task,
        &w.pm,
        "@cleo access on Monday?",
        Visibility::Client,
        vec![cleo.id],
    )
    .await;

    let dan = db
        .mentions_waiting(&staff(&w.designer, false))
        .await
        .unwrap();
    let got: Vec<(&str, &str, Option<&str>)> = dan
        .iter()
        .map(|r| {
            (
                r.label.as_str(),
                r.title.as_deref().unwrap_or(""),
                r.from_name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Site survey", "@dd can you book it?", Some("Pia Manager")),
            ("WSC-M-001", "@dd sizes?", Some("Pia Manager")),
        ]
    );
    assert_eq!(dan[0].id, ask.id);
    assert_eq!(dan[0].record_kind, RecordKind::Task);
    // Someone who may not read the scope is not waited for there.
    let no_scope = WaitingFor {
        sees_scope: false,
        ..staff(&w.designer, false)
    };
    assert_eq!(db.mentions_waiting(&no_scope).await.unwrap().len(), 1);
    let cleo_waits = waiting(db, &client_of(&cleo)).await;
    assert_eq!(
        cleo_waits,
        vec![(WaitingKind::Mention, "Site survey".to_owned())]
    );

    // Answering in the thread settles it; a reply elsewhere does not.
    post(
        on_item,
        &w.designer,
        "600 wide",
        Visibility::Internal,
        vec![],
    )
    .await;
    let dan = db
        .mentions_waiting(&staff(&w.designer, false))
        .await
        .unwrap();
    assert_eq!(dan.len(), 1);
    assert_eq!(dan[0].label, "Site survey");
    post(
        on_task,
        &w.designer,
        "Booked for Tuesday",
        Visibility::Internal,
        vec![],
    )
    .await;
    assert!(
        db.mentions_waiting(&staff(&w.designer, false))
            .await
            .unwrap()
            .is_empty()
    );

    // A mention in a deleted comment, or on a project one has left, no longer waits.
    let later = post(
        on_task,
        &w.pm,
        "@dd and the lift?",
        Visibility::Internal,
        vec![w.designer.id],
    )
    .await;
    assert_eq!(
        db.mentions_waiting(&staff(&w.designer, false))
            .await
            .unwrap()
            .len(),
        1
    );
    db.remove_member(
        w.p1.id,
        w.designer.id,
        &by(&w, "remove_member", "project", w.p1.id, "p1"),
    )
    .await
    .unwrap();
    assert!(
        db.mentions_waiting(&staff(&w.designer, false))
            .await
            .unwrap()
            .is_empty()
    );
    db.delete_comment(
        later.id,
        1,
        w.pm.id,
        f::now(),
        &by(&w, "delete comment", "task", task.id, "x"),
    )
    .await
    .unwrap();
    let everyone = WaitingFor {
        scope: ProjectScope::All,
        ..staff(&w.designer, false)
    };
    assert!(db.mentions_waiting(&everyone).await.unwrap().is_empty());
}

/// Entries written before migration 0019 have no project; the migration files them under
/// the project of the record they name, where it still exists.
pub async fn older_entries_are_filed_by_the_migration(t: &crate::support::TestDb) {
    let db: &Db = t;
    let w = world(db).await;
    let kept = f::task(&w.p1, "Kept", TaskStatus::Pending, 0, None);
    let gone = f::task(&w.p1, "Gone", TaskStatus::Pending, 0, None);
    for task in [&kept, &gone] {
        let old = f::audit(Some(&w.pm), "create", "task", task.id, &task.title);
        assert_eq!(old.project_id, None);
        db.insert_task(task, &old, &[]).await.unwrap();
    }
    db.delete_task(
        gone.id,
        1,
        &f::audit(Some(&w.pm), "delete", "task", gone.id, "Gone"),
    )
    .await
    .unwrap();
    assert!(
        feed(db, FeedOf::Project(w.p1.id), Audience::Team)
            .await
            .is_empty()
    );

    let migration = match formula_app::repos::Database::backend(db) {
        "postgres" => include_str!("../../migrations/postgres/0019_activity.sql"),
        _ => include_str!("../../migrations/sqlite/0019_activity.sql"),
    };
    let update = migration
        .split(';')
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .find(|s| s.trim_start().starts_with("UPDATE audit_log"))
        .expect("the backfill");
    t.outside(&update).await;

    assert_eq!(
        feed(db, FeedOf::Project(w.p1.id), Audience::Team).await,
        vec!["create task", "add_member project", "create project"],
        "the kept task's entry and the project's own; the deleted task's stay unfiled"
    );
    // The audit trail reads them all, filed or not.
    let all = db
        .list_audit(&formula_app::query::AuditQuery {
            entity_type: Some("task".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.total, 3);
}

both_backends! {
    feeds_merge_changes_and_comments,
    feeds_page_by_cursor,
    reviews_wait_for_whoever_decides,
    mentions_wait_until_answered,
    older_entries_are_filed_by_the_migration,
}
