//! Global search: records found by their words (the last one a prefix), what each role may
//! find and count, and the index following every write in the same transaction.

use formula_app::repos::prelude::*;
use formula_app::repos::{RecordKey, SearchHit};
use formula_domain::authz::Actor;
use formula_domain::comment::{Comment, RecordKind, Visibility};
use formula_domain::drawing::RevisionStatus;
use formula_domain::project::ProjectRole;
use formula_domain::search::{RANKED, SearchKind, Terms, search_scope};
use formula_domain::spec::SpecStatus;
use formula_domain::task::TaskStatus;
use formula_domain::user::{Role, User};
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures as f;
use crate::world::{World, add_user, world};

fn actor(u: &User) -> Actor {
    Actor {
        user_id: u.id,
        name: u.name.clone(),
        role: u.role,
        client_id: u.client_id,
    }
}

/// Everything `who` finds for `q`, up to 50 of each kind.
async fn find(db: &Db, who: &User, q: &str) -> Vec<SearchHit> {
    db.search(&Terms::parse(q), &search_scope(&actor(who)), &[], 50)
        .await
        .unwrap()
}

/// How many `who` finds of `kind` (the count the query gives, checked against the hits).
async fn count(db: &Db, who: &User, q: &str, kind: SearchKind) -> i64 {
    let hits = find(db, who, q).await;
    let of: Vec<&SearchHit> = hits.iter().filter(|h| h.kind == kind).collect();
    let total = of.first().map_or(0, |h| h.total);
    assert!(of.iter().all(|h| h.total == total));
    assert_eq!(
        total,
        i64::try_from(of.len()).unwrap(),
        "under 50 hits, all are listed"
    );
    total
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

async fn post(db: &Db, key: RecordKey, author: &User, body: &str, v: Visibility) -> Comment {
    let c = comment(key, author, body, v);
    db.insert_comment(
        key,
        &c,
        &[],
        &[],
        &f::audit(Some(author), "comment", key.kind.as_str(), key.id, "x"),
    )
    .await
    .unwrap();
    c
}

/// The world plus records with known words: a client user of Acme (projects 1 and 2), a
/// craftsman on no project, tasks, a scope item, drawings and specifications in and out of
/// draft, and comments internal and visible to the client.
struct Scene {
    w: World,
    admin: User,
    cleo: User,
    olga: User,
    task: formula_domain::task::Task,
    item: formula_domain::scope::ScopeItem,
}

async fn scene(db: &Db) -> Scene {
    let w = world(db).await;
    let admin = add_user(db, "admin@example.com", "Ada Admin", Role::Admin).await;
    let olga = add_user(db, "olga@example.com", "Olga Outsider", Role::Craftsman).await;
    let mut cleo = f::user("cleo@acme.example", "Cleo Client", Role::Client);
    cleo.client_id = Some(w.acme.id);
    db.insert_user(
        &cleo,
        "argon2-hash",
        &f::audit(None, "create", "user", cleo.id, "cleo"),
    )
    .await
    .unwrap();
    let by = |id: Uuid| f::audit(Some(&w.pm), "create", "x", id, "x");

    let mut task = f::task(
        &w.p1,
        "Install reception desk",
        TaskStatus::Pending,
        0,
        None,
    );
    task.description = Some("Walnut veneer panels, zebrawood inlay".into());
    db.insert_task(&task, &by(task.id), &[]).await.unwrap();
    let mut other = f::task(&w.p3, "Walnut cladding", TaskStatus::Pending, 0, None);
    other.description = Some("Beta's walnut".into());
    db.insert_task(&other, &by(other.id), &[]).await.unwrap();

    let group = f::scope_group(&w.p1, "Joinery", "A", 0);
    let mut item = f::scope_item(&group, "A-01", 2, Some(150_000), 0);
    item.description = Some("Reception counter in quartersawn oak".into());
    db.save_scope(&[group], std::slice::from_ref(&item), &[], &[by(item.id)])
        .await
        .unwrap();

    // SD-101 has only a draft; SD-102 was submitted to the client.
    let draft = f::drawing(&w.p1, "SD-101", vec![]);
    db.insert_drawing(&draft, &by(draft.id)).await.unwrap();
    db.insert_revision(&f::revision(&draft, 1), &by(draft.id))
        .await
        .unwrap();
    let shared = f::drawing(&w.p1, "SD-102", vec![]);
    db.insert_drawing(&shared, &by(shared.id)).await.unwrap();
    let mut rev = f::revision(&shared, 1);
    rev.status = RevisionStatus::Submitted;
    rev.submitted_at = Some(f::now());
    db.insert_revision(&rev, &by(shared.id)).await.unwrap();

    let draft_spec = f::spec(&w.p1, "S-1");
    db.insert_spec(&draft_spec, &by(draft_spec.id))
        .await
        .unwrap();
    let mut submitted = f::spec(&w.p1, "S-2");
    submitted.status = SpecStatus::Submitted;
    db.insert_spec(&submitted, &by(submitted.id)).await.unwrap();

    let on = |kind, id, project_id| RecordKey {
        kind,
        id,
        project_id,
    };
    let on_task = on(RecordKind::Task, task.id, w.p1.id);
    post(
        db,
        on_task,
        &w.pm,
        "Zebrawood sample rejected internally",
        Visibility::Internal,
    )
    .await;
    post(
        db,
        on_task,
        &w.pm,
        "Zebrawood alternative proposed",
        Visibility::Client,
    )
    .await;
    // Marked visible to the client, but on records the client is not shown.
    let on_draft_spec = on(RecordKind::Spec, draft_spec.id, w.p1.id);
    post(
        db,
        on_draft_spec,
        &w.pm,
        "Zebrawood in the draft",
        Visibility::Client,
    )
    .await;
    let on_item = on(RecordKind::ScopeItem, item.id, w.p1.id);
    post(
        db,
        on_item,
        &w.pm,
        "Zebrawood priced at 1500",
        Visibility::Client,
    )
    .await;
    let on_draft = on(RecordKind::Drawing, draft.id, w.p1.id);
    post(
        db,
        on_draft,
        &w.pm,
        "Zebrawood on the elevation",
        Visibility::Client,
    )
    .await;
    // Shown to the client: a submitted drawing, a submitted specification and a revision.
    let on_shared = on(RecordKind::Drawing, shared.id, w.p1.id);
    post(
        db,
        on_shared,
        &w.pm,
        "Zebrawood shown here",
        Visibility::Client,
    )
    .await;
    let on_rev = on(RecordKind::DrawingRevision, rev.id, w.p1.id);
    post(db, on_rev, &w.pm, "Zebrawood revised", Visibility::Client).await;
    let on_spec = on(RecordKind::Spec, submitted.id, w.p1.id);
    post(
        db,
        on_spec,
        &w.pm,
        "Zebrawood approved sample",
        Visibility::Internal,
    )
    .await;
    // Another client's project.
    let on_p3 = on(RecordKind::Project, w.p3.id, w.p3.id);
    post(db, on_p3, &w.pm, "Zebrawood for Beta", Visibility::Client).await;

    Scene {
        w,
        admin,
        cleo,
        olga,
        task,
        item,
    }
}

pub async fn finds_records_by_their_words(db: &Db) {
    let s = scene(db).await;
    let admin = &s.admin;
    // A scope item by a word of its description; a comment by a word of its text.
    let hits = find(db, admin, "quartersawn").await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].kind, SearchKind::ScopeItem);
    assert_eq!(hits[0].id, s.item.id);
    assert_eq!(hits[0].project_code.as_deref(), Some("WSC-25-001"));
    assert!(hits[0].body.contains("quartersawn oak"));
    let hits = find(db, admin, "rejected internally").await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].kind, SearchKind::Comment);
    assert_eq!(hits[0].author_name.as_deref(), Some("Pia Manager"));
    let on = hits[0].on.as_ref().unwrap();
    assert_eq!((on.kind, on.id), (RecordKind::Task, s.task.id));
    assert_eq!(on.label, "Install reception desk");
    // The last word is a prefix; earlier words are whole; case and accents do not matter.
    assert_eq!(count(db, admin, "QUARTERS", SearchKind::ScopeItem).await, 1);
    assert_eq!(
        count(db, admin, "quarters oak", SearchKind::ScopeItem).await,
        0
    );
    assert_eq!(
        count(db, admin, "oak quarters", SearchKind::ScopeItem).await,
        1
    );
    assert_eq!(
        count(db, admin, "récéption cöunter", SearchKind::ScopeItem).await,
        1
    );
    assert_eq!(count(db, admin, "zebra", SearchKind::Comment).await, 9);
    // Codes, numbers and names; people by name and e-mail; clients by name.
    assert_eq!(count(db, admin, "SD-102", SearchKind::Drawing).await, 1);
    assert_eq!(count(db, admin, "wsc 25 001", SearchKind::Project).await, 1);
    assert_eq!(count(db, admin, "olga", SearchKind::Person).await, 1);
    assert_eq!(
        count(db, admin, "acme.example", SearchKind::Person).await,
        1
    );
    assert_eq!(
        count(db, admin, "Beta Developments", SearchKind::Client).await,
        1
    );
    // The title weighs more than the body: the task titled "walnut" ranks first.
    let tasks: Vec<SearchHit> = find(db, admin, "walnut")
        .await
        .into_iter()
        .filter(|h| h.kind == SearchKind::Task)
        .collect();
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0].title, "Walnut cladding");
    // Only one kind when asked; the limit cuts the list, not the count.
    let terms = Terms::parse("zebrawood");
    let scope = search_scope(&actor(admin));
    let two = db
        .search(&terms, &scope, &[SearchKind::Comment], 2)
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    assert!(
        two.iter()
            .all(|h| h.kind == SearchKind::Comment && h.total == 9)
    );
    // Nothing to search for, nothing found; syntax is not syntax.
    assert!(find(db, admin, "--").await.is_empty());
    assert!(find(db, admin, "walnut\" OR \"x").await.is_empty());
    assert!(find(db, admin, "NEAR(walnut) AND x*").await.is_empty());
}

pub async fn each_role_finds_and_counts_only_what_it_may_see(db: &Db) {
    let s = scene(db).await;
    let w = &s.w;
    let (admin, cleo, olga) = (&s.admin, &s.cleo, &s.olga);

    // Comments: everyone on the contractor's side sees the internal ones of their projects;
    // the client user only those visible to the client, on records shown to them.
    assert_eq!(count(db, admin, "zebrawood", SearchKind::Comment).await, 9);
    assert_eq!(count(db, &w.pm, "zebrawood", SearchKind::Comment).await, 9);
    assert_eq!(
        count(db, &w.designer, "zebrawood", SearchKind::Comment).await,
        8
    );
    assert_eq!(count(db, olga, "zebrawood", SearchKind::Comment).await, 0);
    let seen: Vec<String> = find(db, cleo, "zebrawood")
        .await
        .into_iter()
        .filter(|h| h.kind == SearchKind::Comment)
        .map(|h| h.body)
        .collect();
    assert_eq!(
        seen.len(),
        3,
        "the shared comment on the task, the drawing and the revision: {seen:?}"
    );
    for body in &seen {
        assert!(
            [
                "Zebrawood alternative proposed",
                "Zebrawood shown here",
                "Zebrawood revised"
            ]
            .contains(&body.as_str()),
            "{body}"
        );
    }
    // Nothing internal leaks through any kind or count for the client.
    for q in [
        "internally",
        "priced",
        "draft",
        "approved sample",
        "beta",
        "quartersawn",
    ] {
        let hits = find(db, cleo, q).await;
        assert!(
            hits.iter().all(|h| h.kind != SearchKind::Comment),
            "{q}: {hits:?}"
        );
    }
    assert_eq!(
        count(db, cleo, "quartersawn", SearchKind::ScopeItem).await,
        0
    );
    assert_eq!(
        count(db, admin, "quartersawn", SearchKind::ScopeItem).await,
        1
    );

    // Tasks: the client's projects, not another client's; members their projects.
    assert_eq!(count(db, admin, "walnut", SearchKind::Task).await, 2);
    assert_eq!(count(db, cleo, "walnut", SearchKind::Task).await, 1);
    assert_eq!(count(db, &w.designer, "walnut", SearchKind::Task).await, 1);
    assert_eq!(count(db, olga, "walnut", SearchKind::Task).await, 0);
    // Drawings and specifications: drafts stay with the contractor.
    assert_eq!(count(db, admin, "drawing", SearchKind::Drawing).await, 2);
    let drawings = find(db, cleo, "drawing").await;
    assert_eq!(drawings.len(), 1, "{drawings:?}");
    assert!(drawings[0].title.starts_with("SD-102"));
    assert_eq!(count(db, admin, "walnut", SearchKind::Spec).await, 2);
    let specs: Vec<SearchHit> = find(db, cleo, "walnut")
        .await
        .into_iter()
        .filter(|h| h.kind == SearchKind::Spec)
        .collect();
    assert_eq!(specs.len(), 1);
    assert!(specs[0].title.starts_with("S-2"));
    // Projects and clients: as in their lists.
    assert_eq!(count(db, admin, "wsc", SearchKind::Project).await, 3);
    assert_eq!(count(db, cleo, "wsc", SearchKind::Project).await, 2);
    assert_eq!(count(db, &w.designer, "wsc", SearchKind::Project).await, 1);
    assert_eq!(count(db, olga, "wsc", SearchKind::Project).await, 0);
    assert_eq!(
        count(db, &w.designer, "beta acme", SearchKind::Client).await,
        0
    );
    assert_eq!(
        count(db, &w.designer, "developments", SearchKind::Client).await,
        1
    );
    assert_eq!(count(db, cleo, "developments", SearchKind::Client).await, 0);
    assert_eq!(count(db, cleo, "hotels", SearchKind::Client).await, 1);
    assert_eq!(count(db, olga, "hotels", SearchKind::Client).await, 0);
    // People: the directory for those who read it; otherwise oneself and the teams of the
    // projects one sees (and one's own organisation).
    for (who, expected) in [
        (admin, 5),
        (&w.pm, 5),
        (&w.designer, 2),
        (olga, 1),
        (cleo, 3),
    ] {
        assert_eq!(
            count(db, who, "example", SearchKind::Person).await,
            expected,
            "{}",
            who.name
        );
    }
    let cleo_sees: Vec<String> = find(db, cleo, "example")
        .await
        .into_iter()
        .filter(|h| h.kind == SearchKind::Person)
        .map(|h| h.title)
        .collect();
    assert!(
        cleo_sees.contains(&"Dan Designer".to_owned()),
        "{cleo_sees:?}"
    );
    assert!(
        !cleo_sees.contains(&"Olga Outsider".to_owned()),
        "{cleo_sees:?}"
    );
    // Joining a team makes its people visible; leaving hides them again.
    db.upsert_member(
        w.p2.id,
        olga.id,
        ProjectRole::Craftsman,
        &f::audit(Some(&w.pm), "add_member", "project", w.p2.id, "p2"),
    )
    .await
    .unwrap();
    assert_eq!(count(db, olga, "wsc", SearchKind::Project).await, 1);
    assert_eq!(count(db, olga, "example", SearchKind::Person).await, 2);
    assert_eq!(count(db, cleo, "olga", SearchKind::Person).await, 1);
}

pub async fn the_index_follows_every_write(db: &Db) {
    let s = scene(db).await;
    let (w, admin) = (&s.w, &s.admin);
    let by = |id: Uuid| f::audit(Some(&w.pm), "update", "x", id, "x");

    // A task renamed: found by its new words, not its old ones.
    let mut task = s.task.clone();
    task.title = "Fit mahogany reception".into();
    let task = db.update_task(&task, 1, &by(task.id)).await.unwrap();
    assert_eq!(count(db, admin, "install", SearchKind::Task).await, 0);
    assert_eq!(count(db, admin, "mahogany", SearchKind::Task).await, 1);
    // A change to other columns leaves the document alone (and still found).
    let mut moved = task.clone();
    moved.progress = 40;
    db.update_task(&moved, task.version, &by(task.id))
        .await
        .unwrap();
    assert_eq!(count(db, admin, "mahogany", SearchKind::Task).await, 1);

    // A scope item's new description.
    let mut item = s.item.clone();
    item.description = Some("Counter in rift-sawn ash".into());
    db.save_scope(&[], &[], &[(item.clone(), 1)], &[by(item.id)])
        .await
        .unwrap();
    assert_eq!(
        count(db, admin, "quartersawn", SearchKind::ScopeItem).await,
        0
    );
    assert_eq!(count(db, admin, "rift ash", SearchKind::ScopeItem).await, 1);

    // A comment edited, then deleted (soft): it leaves the index.
    let key = RecordKey {
        kind: RecordKind::Project,
        id: w.p1.id,
        project_id: w.p1.id,
    };
    let c = post(
        db,
        key,
        &w.pm,
        "Bubinga veneer on order",
        Visibility::Internal,
    )
    .await;
    assert_eq!(count(db, admin, "bubinga", SearchKind::Comment).await, 1);
    let mut edited = c.clone();
    edited.body = "Padauk veneer on order".into();
    edited.edited_at = Some(f::now());
    let edited = db
        .edit_comment(&edited, 1, &[], &[], &by(c.id))
        .await
        .unwrap();
    assert_eq!(count(db, admin, "bubinga", SearchKind::Comment).await, 0);
    assert_eq!(count(db, admin, "padauk", SearchKind::Comment).await, 1);
    db.delete_comment(c.id, edited.version, w.pm.id, f::now(), &by(c.id))
        .await
        .unwrap();
    assert_eq!(count(db, admin, "padauk", SearchKind::Comment).await, 0);

    // A person renamed.
    let mut olga = s.olga.clone();
    olga.name = "Olga Carpenter".into();
    db.update_user(&olga, 1, &by(olga.id)).await.unwrap();
    assert_eq!(count(db, admin, "outsider", SearchKind::Person).await, 0);
    assert_eq!(count(db, admin, "carpenter", SearchKind::Person).await, 1);

    // A drawing retitled, a specification with another supplier, a client's notes.
    let d = db
        .list_drawings(w.p1.id)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.number == "SD-102")
        .unwrap();
    let mut retitled = d.clone();
    retitled.title = "Marquetry panel".into();
    db.update_drawing(&retitled, d.version, &by(d.id))
        .await
        .unwrap();
    assert_eq!(count(db, admin, "marquetry", SearchKind::Drawing).await, 1);
    let spec = db
        .list_specs(w.p1.id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.code == "S-2")
        .unwrap();
    let mut supplied = spec.clone();
    supplied.supplier = Some("Timberland Veneers".into());
    db.update_spec(&supplied, spec.version, None, &by(spec.id))
        .await
        .unwrap();
    assert_eq!(count(db, admin, "timberland", SearchKind::Spec).await, 1);
    assert_eq!(count(db, admin, "veneer co", SearchKind::Spec).await, 1);
    // A supplier chosen from the directory, then renamed there: the specification is found
    // by the directory's name (not the old free text) and follows the renaming.
    let nordic = crate::suppliers::supplier("Nordic Board Mills", &[]);
    db.insert_supplier(&nordic, &by(nordic.id)).await.unwrap();
    let mut chosen = db.get_spec(spec.id).await.unwrap().unwrap();
    chosen.supplier_id = Some(nordic.id);
    db.update_spec(&chosen, chosen.version, None, &by(spec.id))
        .await
        .unwrap();
    assert_eq!(count(db, admin, "nordic", SearchKind::Spec).await, 1);
    assert_eq!(count(db, admin, "timberland", SearchKind::Spec).await, 0);
    let mut renamed = nordic.clone();
    renamed.name = "Baltic Board Mills".into();
    db.update_supplier(&renamed, nordic.version, &by(nordic.id))
        .await
        .unwrap();
    assert_eq!(count(db, admin, "baltic", SearchKind::Spec).await, 1);
    assert_eq!(count(db, admin, "nordic", SearchKind::Spec).await, 0);
    let mut acme = w.acme.clone();
    acme.notes = Some("Prefers rosewood".into());
    db.update_client(&acme, w.acme.version, &by(acme.id))
        .await
        .unwrap();
    assert_eq!(count(db, admin, "rosewood", SearchKind::Client).await, 1);

    // A task deleted; a project deleted with everything in it.
    db.delete_task(moved.id, moved.version + 1, &by(moved.id))
        .await
        .unwrap();
    assert_eq!(count(db, admin, "mahogany", SearchKind::Task).await, 0);
    assert_eq!(count(db, admin, "walnut", SearchKind::Task).await, 1);
    db.delete_project(w.p3.id, 1, &by(w.p3.id)).await.unwrap();
    assert_eq!(count(db, admin, "walnut", SearchKind::Task).await, 0);
    assert_eq!(count(db, admin, "beta", SearchKind::Comment).await, 0);
    assert_eq!(count(db, admin, "wsc", SearchKind::Project).await, 2);
}

/// Each kind ranks its own newest matches: a word in more comments than are ranked leaves the
/// one task with it found, the comments counted one past the bound (the caller shows "200+")
/// and the newest of them among the hits; a client user counts only what they may see.
pub async fn each_kind_ranks_its_newest_matches(db: &Db) {
    let s = scene(db).await;
    let key = RecordKey {
        kind: RecordKind::Task,
        id: s.task.id,
        project_id: s.task.project_id,
    };
    let over = RANKED as usize + 5;
    let mut last = None;
    for i in 0..over {
        let v = if i % 2 == 0 {
            Visibility::Internal
        } else {
            Visibility::Client
        };
        last = Some(
            post(
                db,
                key,
                &s.w.pm,
                &format!("Padoukwood sample number {i}"),
                v,
            )
            .await,
        );
    }
    let task = f::task(
        &s.w.p1,
        "Padoukwood veneer order",
        TaskStatus::Pending,
        0,
        None,
    );
    db.insert_task(
        &task,
        &f::audit(Some(&s.w.pm), "create", "task", task.id, "x"),
        &[],
    )
    .await
    .unwrap();

    let hits = find(db, &s.admin, "padoukwood").await;
    let comments: Vec<&SearchHit> = hits
        .iter()
        .filter(|h| h.kind == SearchKind::Comment)
        .collect();
    assert_eq!(comments.len(), 50, "a page of the best");
    assert!(comments.iter().all(|h| h.total == i64::from(RANKED) + 1));
    let tasks: Vec<&SearchHit> = hits.iter().filter(|h| h.kind == SearchKind::Task).collect();
    assert_eq!(
        tasks.len(),
        1,
        "the task is not crowded out by the comments"
    );
    assert_eq!((tasks[0].id, tasks[0].total), (task.id, 1));
    // All comments score alike here, so the best are the newest.
    assert_eq!(comments[0].id, last.unwrap().id);

    // The client sees half of the comments, fewer than are ranked: counted exactly, none of
    // the internal ones among them.
    let seen = find(db, &s.cleo, "padoukwood").await;
    let shared: Vec<&SearchHit> = seen
        .iter()
        .filter(|h| h.kind == SearchKind::Comment)
        .collect();
    let half = i64::try_from(over / 2).unwrap();
    assert!(shared.iter().all(|h| h.total == half));
    assert_eq!(shared.len(), 50);
    for h in &shared {
        let c = db.get_comment(h.id).await.unwrap().unwrap();
        assert_eq!(c.visibility, Visibility::Client);
    }
}

/// PostgreSQL's search indexes keep no pending list (migration 0050): a new document is in
/// the index itself, so no search reads through a list of recent writes.
#[tokio::test]
async fn postgres_search_indexes_take_writes_directly() {
    let t = crate::support::postgres().await;
    for table in ["search_docs", "search_recent"] {
        let pending = format!(
            "SELECT COUNT(*) FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid \
             WHERE i.indrelid = '{table}'::regclass AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'gin') \
             AND NOT (COALESCE(c.reloptions, '{{}}') @> ARRAY['fastupdate=off'])"
        );
        assert_eq!(
            t.outside(&pending).await,
            0,
            "a GIN index of {table} with a pending list"
        );
        let gin = format!(
            "SELECT COUNT(*) FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid \
             WHERE i.indrelid = '{table}'::regclass AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'gin')"
        );
        assert_eq!(t.outside(&gin).await, 8, "one index per kind of {table}");
    }

    let s = scene(&t.db).await;
    let key = RecordKey {
        kind: RecordKind::Task,
        id: s.task.id,
        project_id: s.task.project_id,
    };
    post(
        &t.db,
        key,
        &s.w.pm,
        "Zebrano veneer arrived",
        Visibility::Internal,
    )
    .await;
    t.outside("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        .await;
    let listed = "SELECT (pgstatginindex('search_docs_words_comment')).pending_tuples";
    assert_eq!(t.outside(listed).await, 0);
    assert_eq!(
        count(&t.db, &s.admin, "zebrano", SearchKind::Comment).await,
        1
    );
    t.finish().await;
}

/// PostgreSQL looks among each kind's newest 16,384 documents first (`search_recent`,
/// migration 0052) and at all of them when those hold too few matches: the count and the
/// newest hits are the same either way. The documents are written as the triggers write
/// them, through `search_put`, with ids ordered like their number g; the first half exist
/// before 0052 and are numbered by it, the second half are numbered as they come.
async fn recent_documents_first_finds_what_a_full_search_finds(t: crate::support::TestDb) {
    let db = &*t.db;
    let admin = add_user(db, "admin@example.com", "Ada Admin", Role::Admin).await;
    let uuid =
        |g: &str| format!("('01900000-0000-7000-8000-' || lpad(to_hex({g}), 12, '0'))::uuid");
    let put = |from: u32, to: u32| {
        format!(
            "DO $$ BEGIN PERFORM search_put('comment', {}, NULL, '', \
             concat_ws(' ', 'everywhere', \
                 CASE WHEN g IN (10, 20, 30, 19000, 19900) THEN 'seldom' END, \
                 CASE WHEN g BETWEEN 3500 AND 3699 OR g BETWEEN 19951 AND 19980 THEN 'halfway' END)) \
             FROM generate_series({from}, {to}) g; END $$",
            uuid("g")
        )
    };
    t.outside(&put(1, 10_000)).await;
    db.migrate().await.unwrap();
    t.outside(&put(10_001, 20_000)).await;
    // The newest 16,384 are kept, in their order of arrival: 3,617 to 20,000.
    let kept = "SELECT count(*) FROM search_recent WHERE kind = 'comment'";
    assert_eq!(t.outside(kept).await, 16_384);
    assert_eq!(
        t.outside(&format!(
            "SELECT count(*) FROM search_recent WHERE kind = 'comment' AND (record_id < {} OR seq <> \
             ('x' || right(record_id::text, 12))::bit(48)::bigint)",
            uuid("3617")
        ))
        .await,
        0
    );
    let id = |g: u32| Uuid::parse_str(&format!("01900000-0000-7000-8000-{g:012x}")).unwrap();
    let comments = |hits: Vec<SearchHit>| -> Vec<(Uuid, i64)> {
        hits.into_iter()
            .filter(|h| h.kind == SearchKind::Comment)
            .map(|h| (h.id, h.total))
            .collect()
    };

    // In every document: the recent ones hold enough, and the newest are the best.
    let every = comments(find(db, &admin, "everywhere").await);
    assert_eq!(every.len(), 50);
    assert_eq!(every[0], (id(20_000), i64::from(RANKED) + 1));
    assert_eq!(every[49].0, id(19_951));
    // In five documents, three of them older than the recent ones: all are found.
    let seldom = comments(find(db, &admin, "seldom").await);
    let found: Vec<Uuid> = seldom.iter().map(|h| h.0).collect();
    assert_eq!(found, [19_900, 19_000, 30, 20, 10].map(id));
    assert!(seldom.iter().all(|h| h.1 == 5));
    // In 230 documents, 113 of them recent: the search goes on to all of them, counts past
    // the bound and lists the newest.
    let halfway = comments(find(db, &admin, "halfway").await);
    assert_eq!(halfway[0], (id(19_980), i64::from(RANKED) + 1));
    assert_eq!(halfway[29].0, id(19_951));
    assert_eq!(halfway[30].0, id(3_699));

    // A changed document changes there too; a deleted one leaves.
    t.outside(&format!(
        "SELECT count(*) FROM (SELECT search_put('comment', {}, NULL, '', 'rewritten')) s",
        uuid("19990")
    ))
    .await;
    assert_eq!(
        t.outside("SELECT count(*) FROM search_recent WHERE words @@ 'rewritten'::tsquery")
            .await,
        1
    );
    t.outside(&format!(
        "WITH d AS (DELETE FROM search_docs WHERE record_id = {} RETURNING 1) SELECT count(*) FROM d",
        uuid("19990")
    ))
    .await;
    assert_eq!(t.outside(kept).await, 16_383);
    t.finish().await;
}

/// Migration 0051: a specification whose supplier was chosen from the directory before it
/// is found by the directory's name once it has run (its document is rewritten).
async fn specs_supplied_earlier_are_found_by_the_directory_name(
    t: crate::support::TestDb,
    found_before: &str,
) {
    let db = &*t.db;
    let w = world(db).await;
    let admin = add_user(db, "admin@example.com", "Ada Admin", Role::Admin).await;
    let nordic = crate::suppliers::supplier("Nordic Board Mills", &[]);
    db.insert_supplier(
        &nordic,
        &f::audit(Some(&w.pm), "create", "supplier", nordic.id, "x"),
    )
    .await
    .unwrap();
    let mut spec = f::spec(&w.p1, "S-9");
    spec.supplier_id = Some(nordic.id);
    db.insert_spec(
        &spec,
        &f::audit(Some(&w.pm), "create", "spec", spec.id, "x"),
    )
    .await
    .unwrap();
    // Asked of the index itself: today's query reads tables later migrations add.
    assert_eq!(t.outside(found_before).await, 0, "before 0051");
    db.migrate().await.unwrap();
    assert_eq!(count(db, &admin, "nordic", SearchKind::Spec).await, 1);
    t.finish().await;
}

mod migration {
    #[tokio::test]
    async fn postgres_recent_documents_first_finds_what_a_full_search_finds() {
        super::recent_documents_first_finds_what_a_full_search_finds(
            crate::support::postgres_until(Some(51)).await,
        )
        .await;
    }

    #[tokio::test]
    async fn sqlite_specs_supplied_earlier_are_found_by_the_directory_name() {
        super::specs_supplied_earlier_are_found_by_the_directory_name(
            crate::support::sqlite_until(Some(50)).await,
            "SELECT count(*) FROM search_fts_spec WHERE search_fts_spec MATCH 'nordic*'",
        )
        .await;
    }

    #[tokio::test]
    async fn postgres_specs_supplied_earlier_are_found_by_the_directory_name() {
        super::specs_supplied_earlier_are_found_by_the_directory_name(
            crate::support::postgres_until(Some(50)).await,
            "SELECT count(*) FROM search_docs WHERE kind = 'spec' AND words @@ 'nordic:*'::tsquery",
        )
        .await;
    }
}

both_backends! {
    each_kind_ranks_its_newest_matches,
    finds_records_by_their_words,
    each_role_finds_and_counts_only_what_it_may_see,
    the_index_follows_every_write,
}
