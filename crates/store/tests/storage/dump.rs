//! The portable dump behind backup/restore/export/import: a database filled with fixtures
//! dumps, loads into a fresh database of either backend, and dumps again to the same bytes.

use formula_app::repos::prelude::*;
use std::collections::BTreeMap;
use std::io::Cursor;

use formula_app::ports::{ApiToken, OutboxMail, SessionRecord};
use formula_domain::client::Contact;
use formula_domain::project::ProjectRole;
use formula_domain::task::TaskStatus;
use formula_domain::user::Role;
use formula_store::Db;
use formula_store::dump::{DumpError, DumpEvent, LoadOptions, TableCounts};
use uuid::Uuid;

use crate::fixtures::{self as f, days, now, today};
use crate::support::{self, TestDb};

/// Every dumped table's lines, by table.
type Dump = BTreeMap<String, Vec<String>>;

/// Fills every dumped table with rows that exercise each kind of value: NULLs, dates,
/// money, floats, JSON text, composite keys, a client user, and text that needs escaping.
pub async fn fill(db: &Db) {
    // The first administrator, as first-run setup creates one (claiming `setup_claims`).
    let admin = f::user("admin@example.com", "Ada \"Admin\" Ö", Role::Admin);
    assert!(
        db.insert_first_user(
            &admin,
            "$argon2id$v=19$hash",
            &f::audit(None, "create", "user", admin.id, "a"),
        )
        .await
        .unwrap()
    );
    let pm = f::user("pm@example.com", "Pia Manager", Role::ProjectManager);
    db.insert_user(
        &pm,
        "$argon2id$pm",
        &f::audit(Some(&admin), "create", "user", pm.id, "pm"),
    )
    .await
    .unwrap();
    let acme = f::client("Acme Hotels");
    let mut beta = f::client("Beta\nDevelopments ✓");
    beta.notes = Some("line one\nline two\t\"quoted\" \\ backslash".into());
    for c in [&acme, &beta] {
        db.insert_client(c, &f::audit(Some(&pm), "create", "client", c.id, &c.name))
            .await
            .unwrap();
    }
    let contact = Contact {
        id: Uuid::now_v7(),
        client_id: acme.id,
        name: "Carla Contact".into(),
        role: Some("Buyer".into()),
        email: None,
        phone: Some("+971 4 000 0000".into()),
    };
    db.insert_contact(
        &contact,
        &f::audit(Some(&pm), "create", "contact", contact.id, "c"),
    )
    .await
    .unwrap();
    let mut client_user = f::user("guest@acme.example", "Gus Guest", Role::Client);
    client_user.client_id = Some(acme.id);
    client_user.skills = vec![];
    client_user.job_title = None;
    db.insert_user(
        &client_user,
        "$argon2id$guest",
        &f::audit(Some(&admin), "create", "user", client_user.id, "g"),
    )
    .await
    .unwrap();

    let p1 = f::project("WSC-25-001", "Lobby joinery", &acme, &pm);
    let mut p2 = f::project("WSC-25-002", "Ballroom panels", &beta, &pm);
    p2.end_date = None;
    p2.start_date = None;
    p2.contract_value = None;
    for p in [&p1, &p2] {
        db.insert_project(
            p,
            &[],
            &[f::audit(Some(&pm), "create", "project", p.id, &p.code)],
        )
        .await
        .unwrap();
    }
    db.upsert_member(
        p1.id,
        admin.id,
        ProjectRole::Designer,
        &f::audit(Some(&pm), "add_member", "project", p1.id, "p1"),
    )
    .await
    .unwrap();
    for (i, status) in [
        TaskStatus::Pending,
        TaskStatus::InProgress,
        TaskStatus::Completed,
    ]
    .into_iter()
    .enumerate()
    {
        let mut t = f::task(
            &p1,
            &format!("Task {i}"),
            status,
            40,
            Some(today() + days(3)),
        );
        t.assignee_id = Some(pm.id);
        t.start_date = Some(today() - days(2));
        t.estimated_hours = Some(1.0 / 3.0 + i as f64);
        t.actual_hours = Some(0.1 + 0.2);
        db.insert_task(
            &t,
            &f::audit(Some(&pm), "create", "task", t.id, &t.title),
            &[],
        )
        .await
        .unwrap();
    }
    let group = f::scope_group(&p1, "Millwork ✓", "M", 0);
    let mut item = f::scope_item(&group, "WSC-M-001", 3, Some(123_456), 40);
    item.quantity = formula_domain::scope::Quantity(12_345);
    item.description = Some("Walnut veneer, \"book-matched\"".into());
    item.budget_cost_minor = Some(99);
    db.save_scope(
        std::slice::from_ref(&group),
        &[item.clone(), f::scope_item(&group, "WSC-M-002", 1, None, 0)],
        &[],
        &[f::audit(Some(&pm), "create", "scope_item", item.id, "i")],
    )
    .await
    .unwrap();
    let d = f::drawing(&p1, "SD-101", vec![item.id]);
    db.insert_drawing(&d, &f::audit(Some(&pm), "create", "drawing", d.id, "d"))
        .await
        .unwrap();
    let mut rev = f::revision(&d, 1);
    rev.file.name = "Détail \"A\".pdf".into();
    db.insert_revision(&rev, &f::audit(Some(&pm), "upload", "drawing", d.id, "d"))
        .await
        .unwrap();
    let mut decided = rev.clone();
    decided.status = formula_domain::drawing::RevisionStatus::Rejected;
    decided.decided_at = Some(now());
    let review = formula_domain::drawing::Review {
        id: Uuid::now_v7(),
        revision_id: rev.id,
        reviewer_id: Some(pm.id),
        reviewer_name: Some(pm.name.clone()),
        decision: formula_domain::drawing::Decision::Rejected,
        comments: None,
        at: now(),
    };
    db.set_revision_status(
        &decided,
        1,
        Some(&review),
        &f::audit(Some(&pm), "review", "drawing", d.id, "d"),
    )
    .await
    .unwrap();
    let sample = f::attachment(
        &p1,
        formula_domain::attachment::OwnerKind::Drawing,
        d.id,
        "Échantillon \"B\".jpg",
    );
    db.insert_attachment(
        &sample,
        &f::audit(Some(&pm), "attach", "drawing", d.id, "d"),
    )
    .await
    .unwrap();
    // One removed: its file waits in deleted_files, which travels too.
    let gone = f::attachment(
        &p1,
        formula_domain::attachment::OwnerKind::Project,
        p1.id,
        "old.pdf",
    );
    db.insert_attachment(&gone, &f::audit(Some(&pm), "attach", "project", p1.id, "p"))
        .await
        .unwrap();
    db.delete_attachment(
        gone.id,
        &f::audit(Some(&pm), "detach", "project", p1.id, "p"),
    )
    .await
    .unwrap();
    let mut spec = f::spec(&p1, "V-01");
    spec.scope_item_ids = vec![item.id];
    spec.drawing_ids = vec![d.id];
    db.insert_spec(&spec, &f::audit(Some(&pm), "create", "spec", spec.id, "s"))
        .await
        .unwrap();
    let mut approved = spec.clone();
    approved.status = formula_domain::spec::SpecStatus::Approved;
    let spec_review = formula_domain::spec::SpecReview {
        id: Uuid::now_v7(),
        spec_id: spec.id,
        reviewer_id: None,
        reviewer_name: Some("Former reviewer".into()),
        decision: formula_domain::spec::SpecDecision::Approved,
        comments: Some("OK".into()),
        at: now(),
    };
    db.update_spec(
        &approved,
        1,
        Some(&spec_review),
        &f::audit(Some(&pm), "review", "spec", spec.id, "s"),
    )
    .await
    .unwrap();
    db.set_materials_rule(
        p1.id,
        formula_domain::readiness::MaterialsRule::Delivered,
        &f::audit(Some(&pm), "rule", "project", p1.id, "p"),
    )
    .await
    .unwrap();
    db.save_review_settings(
        p1.id,
        &formula_app::ports::ReviewSettings {
            client_approvals: true,
            reviewer_ids: vec![pm.id],
        },
        &f::audit(Some(&pm), "review_settings", "project", p1.id, "p"),
    )
    .await
    .unwrap();
    db.release_scope_item(
        item.id,
        1,
        Some("note"),
        &f::audit(Some(&pm), "release", "scope_item", item.id, "i"),
    )
    .await
    .unwrap();
    let bare = f::task(&p2, "No dates", TaskStatus::Pending, 0, None);
    db.insert_task(
        &bare,
        &f::audit(None, "create", "task", bare.id, "bare"),
        &[],
    )
    .await
    .unwrap();

    let token = ApiToken {
        id: Uuid::now_v7(),
        user_id: pm.id,
        name: "CI".into(),
        prefix: "fpm_abcdef".into(),
        created_at: now(),
        expires_at: Some(now() + days(30)),
        last_used_at: None,
    };
    db.insert_token(
        &token,
        "tok-hash",
        &f::audit(Some(&pm), "create", "api_token", token.id, "CI"),
    )
    .await
    .unwrap();
    db.insert_mail(&OutboxMail {
        id: Uuid::now_v7(),
        to_address: "pm@example.com".into(),
        subject: "Reset your password".into(),
        body: "Open https://pm.example.com/reset?t=x".into(),
        status: "logged".into(),
        created_at: now(),
        attachments: vec!["RFI-001.pdf".into()],
    })
    .await
    .unwrap();
    // A reset link (not dumped) and the job that mails it (dumped).
    db.insert_reset(
        pm.id,
        "reset-hash",
        now() + days(1),
        &formula_app::jobs::NewJob::email("pm@example.com", "Reset", "Open the link"),
    )
    .await
    .unwrap();
    // Not dumped: a restore must not carry sign-ins over.
    let at = now();
    db.insert_session(&SessionRecord {
        id: Uuid::now_v7(),
        user_id: pm.id,
        token_hash: "session-hash".into(),
        created_at: at,
        last_seen_at: at,
        expires_at: at + days(1),
        ip: None,
        user_agent: None,
    })
    .await
    .unwrap();
}

/// Dumps `db` into memory, checking that every table is announced before its rows.
pub async fn dump(db: &Db) -> (Dump, TableCounts) {
    let mut out = Dump::new();
    let mut current = String::new();
    let counts = db
        .dump(|event| {
            match event {
                DumpEvent::Table(t) => {
                    current = t.to_owned();
                    out.insert(t.to_owned(), Vec::new());
                }
                DumpEvent::Row { table, line } => {
                    assert_eq!(table, current);
                    out.get_mut(table).unwrap().push(line.to_owned());
                }
            }
            Ok(())
        })
        .await
        .unwrap();
    (out, counts)
}

async fn load(db: &Db, dump: &Dump, options: &LoadOptions) -> Result<TableCounts, DumpError> {
    db.load(
        |table| {
            Ok(dump.get(table).map(|lines| {
                Cursor::new(lines.iter().map(|l| format!("{l}\n")).collect::<String>())
            }))
        },
        options,
    )
    .await
}

/// Each project's code and roll-up figures (tasks, completed, overdue, progress, scope
/// items), in code order.
async fn project_figures(db: &Db) -> Vec<(String, i64, i64, i64, i64, Option<i32>)> {
    let query = formula_app::query::ProjectQuery {
        paging: formula_app::query::Paging {
            limit: 200,
            offset: 0,
        },
        ..Default::default()
    };
    let mut figures: Vec<_> = db
        .list_projects(&query, formula_domain::authz::ProjectScope::All)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| {
            (
                p.code,
                p.task_total,
                p.task_completed,
                p.task_overdue,
                p.scope_items,
                p.progress,
            )
        })
        .collect();
    figures.sort();
    figures
}

/// What searching for a few words of the fixtures finds, seeing everything.
async fn found(db: &Db) -> Vec<(String, uuid::Uuid, i64)> {
    use formula_app::repos::SearchRepo as _;
    use formula_domain::authz::{ClientScope, ProjectScope};
    use formula_domain::search::{PeopleScope, SearchScope, Terms};
    let everything = SearchScope {
        projects: ProjectScope::All,
        internal: true,
        clients: ClientScope::All,
        people: PeopleScope::All,
    };
    let mut found = Vec::new();
    for q in ["walnut", "task", "carla", "wsc", "acme"] {
        for h in db
            .search(&Terms::parse(q), &everything, &[], 50)
            .await
            .unwrap()
        {
            found.push((format!("{q}: {}", h.kind), h.id, h.total));
        }
    }
    assert!(found.len() > 5, "the fixtures are found: {found:?}");
    found
}

fn counts_of(dump: &Dump) -> TableCounts {
    dump.iter()
        .map(|(t, l)| (t.clone(), l.len() as u64))
        .collect()
}

/// Fills `source`, then moves its dump through a fresh database of each backend and back;
/// every dump is byte-identical.
pub async fn dump_moves_losslessly_between_backends(source: &TestDb) {
    fill(&source.db).await;
    let (original, counts) = dump(&source.db).await;
    assert_eq!(counts, counts_of(&original));
    assert_eq!(counts, source.db.table_counts().await.unwrap());
    for table in formula_store::dump::dump_tables() {
        assert!(original.contains_key(table), "{table} is dumped");
    }
    for table in [
        "clients",
        "contacts",
        "users",
        "setup_claims",
        "api_tokens",
        "mail_outbox",
        "projects",
        "project_members",
        "tasks",
        "scope_groups",
        "scope_items",
        "drawings",
        "drawing_revisions",
        "drawing_reviews",
        "drawing_scope_items",
        "specs",
        "spec_reviews",
        "spec_scope_items",
        "spec_drawings",
        "project_settings",
        "project_reviewers",
        "audit_log",
        "jobs",
        "attachments",
        "deleted_files",
    ] {
        assert!(counts[table] > 0, "fixtures fill {table}");
    }
    assert!(
        !original
            .values()
            .flatten()
            .any(|l| l.contains("session-hash") || l.contains("reset-hash"))
    );
    let figures = project_figures(&source.db).await;
    assert!(
        figures.iter().any(|f| f.1 > 0) && figures.iter().any(|f| f.4 > 0),
        "fixtures give projects tasks and scope items: {figures:?}"
    );

    for target in [support::postgres().await, support::sqlite().await] {
        let loaded = load(
            &target.db,
            &original,
            &LoadOptions {
                replace: false,
                expected: Some(counts.clone()),
            },
        )
        .await
        .unwrap();
        assert_eq!(loaded, counts, "{}", target.db.backend());
        let (again, _) = dump(&target.db).await;
        assert_eq!(
            again,
            original,
            "dump after loading into {}",
            target.db.backend()
        );
        // The loaded data is readable through the store, not just dumpable, and the
        // project roll-ups (derived, not dumped) are rebuilt as the rows go in.
        assert_eq!(target.db.count_users().await.unwrap(), 3);
        assert_eq!(project_figures(&target.db).await, figures);
        // So is the search index (derived too): the same words find the same records.
        assert_eq!(found(&target.db).await, found(&source.db).await);
        target.finish().await;
    }
}

/// The dump's hand-kept table list agrees with the migrated schema: every table a migration
/// creates is dumped, cleared or derived; every column is dumped, with a kind its type fits;
/// keys are the primary keys and parents load first. Then a table and a column the list
/// does not know are each named.
pub async fn tables_match_the_migrated_schema(t: &TestDb) {
    let mismatches = t.db.dump_schema_mismatches().await.unwrap();
    assert!(
        mismatches.is_empty(),
        "the dump's table list disagrees with the migrated {} schema:\n  {}",
        t.db.backend(),
        mismatches.join("\n  ")
    );
    t.outside("CREATE TABLE punch_items (id TEXT PRIMARY KEY)")
        .await;
    t.outside("ALTER TABLE tasks ADD COLUMN colour TEXT").await;
    let mismatches = t.db.dump_schema_mismatches().await.unwrap();
    assert_eq!(mismatches.len(), 2, "{mismatches:?}");
    assert!(
        mismatches
            .iter()
            .any(|m| m.starts_with("column tasks.colour is in the schema but not dumped")),
        "{mismatches:?}"
    );
    assert!(
        mismatches
            .iter()
            .any(|m| m.starts_with("table punch_items is in the schema but neither dumped")),
        "{mismatches:?}"
    );
}

/// A non-empty target is refused unless replacing; a count mismatch rolls everything back;
/// replacing clears the old rows (and the sessions) first.
pub async fn loading_refuses_non_empty_targets_and_rolls_back(db: &Db) {
    assert_eq!(
        db.schema_version().await.unwrap(),
        Some(formula_store::dump::latest_schema_version())
    );
    fill(db).await;
    let (original, counts) = dump(db).await;

    let err = load(db, &original, &LoadOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, DumpError::NotEmpty(_)), "{err}");
    assert!(err.to_string().contains("--force"), "{err}");
    assert!(err.to_string().contains("users: 3"), "{err}");

    let mut wrong = counts.clone();
    *wrong.get_mut("tasks").unwrap() += 1;
    let err = load(
        db,
        &original,
        &LoadOptions {
            replace: true,
            expected: Some(wrong),
        },
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("count mismatch in table tasks: expected 5 rows, found 4"),
        "{err}"
    );
    assert_eq!(db.table_counts().await.unwrap(), counts, "rolled back");
    assert!(
        db.session_by_hash("session-hash").await.unwrap().is_some(),
        "rolled back"
    );

    let mut broken = original.clone();
    broken.get_mut("tasks").unwrap()[1] = "{\"id\":\"not-a-uuid\"}".into();
    let err = load(
        db,
        &broken,
        &LoadOptions {
            replace: true,
            expected: None,
        },
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("table tasks, line 2: column id:"),
        "{err}"
    );
    assert_eq!(db.table_counts().await.unwrap(), counts, "rolled back");

    // Replace with a smaller data set: only a dump of one client.
    let mut small = Dump::new();
    small.insert("clients".into(), vec![original["clients"][0].clone()]);
    let loaded = load(
        db,
        &small,
        &LoadOptions {
            replace: true,
            expected: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(loaded["clients"], 1);
    assert!(
        loaded.iter().all(|(t, n)| t == "clients" || *n == 0),
        "{loaded:?}"
    );
    assert!(db.session_by_hash("session-hash").await.unwrap().is_none());
}

/// Tables longer than one dump page come out whole, once each, in key order.
pub async fn long_tables_are_dumped_page_by_page(db: &Db) {
    for i in 0..2_001 {
        db.insert_mail(&OutboxMail {
            id: Uuid::now_v7(),
            to_address: format!("u{i}@example.com"),
            subject: "s".into(),
            body: "b".into(),
            status: "logged".into(),
            created_at: now(),
            attachments: Vec::new(),
        })
        .await
        .unwrap();
    }
    let (dumped, counts) = dump(db).await;
    assert_eq!(counts["mail_outbox"], 2_001);
    let ids: Vec<&str> = dumped["mail_outbox"].iter().map(|l| &l[7..43]).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats");
}

both_backends! {
    dump_moves_losslessly_between_backends,
    loading_refuses_non_empty_targets_and_rolls_back,
    long_tables_are_dumped_page_by_page,
    tables_match_the_migrated_schema,
}
