//! Projects: scoped, filtered, sorted and paged lists, access and teams, and
//! compare-and-set updates.

use formula_app::error::AppError;
use formula_app::query::{AuditQuery, Dir, ProjectQuery, ProjectSort};
use formula_app::repos::prelude::*;
use formula_domain::authz::ProjectScope;
use formula_domain::money::Money;
use formula_domain::project::{ProjectRole, ProjectStatus};
use formula_domain::scope::default_groups;
use formula_domain::user::Role;
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_duplicate, assert_stale, codes, now, paging};
use crate::world::{add_user, world};

pub async fn projects_are_scoped_filtered_sorted_and_paged(db: &Db) {
    let w = world(db).await;
    assert_eq!(
        db.get_project(w.p1.id).await.unwrap(),
        Some(w.p1.clone()),
        "round trip incl. dates and money"
    );

    let list =
        |q: ProjectQuery, s: ProjectScope| async move { db.list_projects(&q, s).await.unwrap() };
    let all = list(ProjectQuery::default(), ProjectScope::All).await;
    assert_eq!(
        codes(&all),
        ["WSC-25-010", "WSC-25-002", "WSC-25-001"],
        "newest code first by default"
    );
    assert_eq!(
        codes(
            &list(
                ProjectQuery::default(),
                ProjectScope::MemberOf(w.designer.id)
            )
            .await
        ),
        ["WSC-25-001"]
    );
    assert_eq!(
        list(ProjectQuery::default(), ProjectScope::MemberOf(w.pm.id))
            .await
            .total,
        3,
        "the manager is a member"
    );
    assert_eq!(
        list(
            ProjectQuery::default(),
            ProjectScope::MemberOf(Uuid::now_v7())
        )
        .await
        .total,
        0
    );
    assert_eq!(
        codes(&list(ProjectQuery::default(), ProjectScope::OfClient(w.beta.id)).await),
        ["WSC-25-010"]
    );
    assert_eq!(
        list(ProjectQuery::default(), ProjectScope::OfClient(w.acme.id))
            .await
            .total,
        2
    );
    assert_eq!(
        list(ProjectQuery::default(), ProjectScope::None)
            .await
            .total,
        0
    );

    let q = |s: &str| ProjectQuery {
        q: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(
        list(q("beta DEV"), ProjectScope::All).await.total,
        1,
        "searches the client name"
    );
    assert_eq!(
        codes(&list(q("abu"), ProjectScope::All).await),
        ["WSC-25-002"],
        "and the location"
    );
    assert_eq!(
        codes(&list(q("25-00"), ProjectScope::All).await),
        ["WSC-25-002", "WSC-25-001"],
        "and the code"
    );
    assert_eq!(
        codes(&list(q("lobby"), ProjectScope::MemberOf(w.designer.id)).await),
        ["WSC-25-001"]
    );
    assert_eq!(
        list(q("ballroom"), ProjectScope::MemberOf(w.designer.id))
            .await
            .total,
        0,
        "search stays in scope"
    );

    let by_client = ProjectQuery {
        client_id: Some(w.beta.id),
        ..Default::default()
    };
    assert_eq!(
        codes(&list(by_client, ProjectScope::All).await),
        ["WSC-25-010"]
    );
    let by_manager = ProjectQuery {
        manager_id: Some(w.pm.id),
        ..Default::default()
    };
    assert_eq!(list(by_manager, ProjectScope::All).await.total, 3);
    let by_other = ProjectQuery {
        manager_id: Some(w.designer.id),
        ..Default::default()
    };
    assert_eq!(list(by_other, ProjectScope::All).await.total, 0);

    let mut active = w.p2.clone();
    active.status = ProjectStatus::Awarded;
    db.update_project(
        &active,
        1,
        &f::audit(Some(&w.pm), "status_change", "project", w.p2.id, "p2"),
    )
    .await
    .unwrap();
    let by_status = ProjectQuery {
        status: Some(ProjectStatus::Awarded),
        ..Default::default()
    };
    assert_eq!(
        codes(&list(by_status, ProjectScope::All).await),
        ["WSC-25-002"]
    );

    let sorted = |s: ProjectSort, d: Dir| ProjectQuery {
        sort: Some((s, d)),
        ..Default::default()
    };
    assert_eq!(
        codes(&list(sorted(ProjectSort::Name, Dir::Asc), ProjectScope::All).await),
        ["WSC-25-010", "WSC-25-002", "WSC-25-001"]
    );
    assert_eq!(
        codes(&list(sorted(ProjectSort::EndDate, Dir::Asc), ProjectScope::All).await),
        ["WSC-25-010", "WSC-25-001", "WSC-25-002"],
        "no end date sorts last"
    );
    assert_eq!(
        codes(&list(sorted(ProjectSort::EndDate, Dir::Desc), ProjectScope::All).await),
        ["WSC-25-001", "WSC-25-010", "WSC-25-002"],
        "…in both directions"
    );
    assert_eq!(
        codes(&list(sorted(ProjectSort::Status, Dir::Desc), ProjectScope::All).await)[0],
        "WSC-25-002",
        "awarded comes after on tender in the lifecycle"
    );
    assert_eq!(
        codes(&list(sorted(ProjectSort::CreatedAt, Dir::Asc), ProjectScope::All).await),
        ["WSC-25-001", "WSC-25-002", "WSC-25-010"]
    );

    let page = |n: u64| ProjectQuery {
        paging: paging(2, n),
        ..Default::default()
    };
    let first = list(page(1), ProjectScope::All).await;
    let second = list(page(2), ProjectScope::All).await;
    assert_eq!(
        (first.total, codes(&first)),
        (3, vec!["WSC-25-010", "WSC-25-002"])
    );
    assert_eq!((second.total, codes(&second)), (3, vec!["WSC-25-001"]));
    let scoped = db
        .list_projects(&page(1), ProjectScope::OfClient(w.acme.id))
        .await
        .unwrap();
    assert_eq!((scoped.total, scoped.pages()), (2, 1));

    assert_eq!(db.max_project_seq("WSC-25-").await.unwrap(), Some(10));
    assert_eq!(db.max_project_seq("WSC-26-").await.unwrap(), None);
    assert_eq!(
        db.max_project_seq("WSC-2_-").await.unwrap(),
        None,
        "the prefix is literal"
    );

    let dup = f::project("WSC-25-001", "Copy", &w.acme, &w.pm);
    let err = db
        .insert_project(
            &dup,
            &[],
            &[f::audit(Some(&w.pm), "create", "project", dup.id, "x")],
        )
        .await
        .unwrap_err();
    assert_duplicate(err, "code");
    assert_eq!(db.get_project(dup.id).await.unwrap(), None);

    let mut wrong_currency = f::project("WSC-25-020", "Mixed", &w.acme, &w.pm);
    wrong_currency.budget = Some(Money {
        amount_minor: 5,
        currency: "EUR".into(),
    });
    let err = db
        .insert_project(
            &wrong_currency,
            &[],
            &[f::audit(
                Some(&w.pm),
                "create",
                "project",
                wrong_currency.id,
                "x",
            )],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)), "{err:?}");
}

pub async fn project_access_and_teams(db: &Db) {
    let w = world(db).await;
    let access = db
        .project_access(w.p1.id, w.designer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (access.client_id, access.membership),
        (w.acme.id, Some(ProjectRole::Designer))
    );
    let access = db
        .project_access(w.p2.id, w.designer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.membership, None);
    assert_eq!(
        db.project_access(w.p1.id, w.pm.id)
            .await
            .unwrap()
            .unwrap()
            .membership,
        Some(ProjectRole::ProjectManager)
    );
    assert!(
        db.project_access(Uuid::now_v7(), w.pm.id)
            .await
            .unwrap()
            .is_none()
    );

    let team = db.list_members(w.p1.id).await.unwrap();
    let people: Vec<(&str, ProjectRole, Role)> = team
        .iter()
        .map(|m| (m.name.as_str(), m.project_role, m.user_role))
        .collect();
    assert_eq!(
        people,
        [
            (
                "Pia Manager",
                ProjectRole::ProjectManager,
                Role::ProjectManager
            ),
            ("Dan Designer", ProjectRole::Designer, Role::Designer)
        ]
    );
    assert_eq!(team[1].email, "dd@example.com");

    let entry = |a: &str| f::audit(Some(&w.pm), a, "project", w.p1.id, "p1");
    db.upsert_member(
        w.p1.id,
        w.designer.id,
        ProjectRole::Coordinator,
        &entry("add_member"),
    )
    .await
    .unwrap();
    assert_eq!(
        db.list_members(w.p1.id).await.unwrap()[1].project_role,
        ProjectRole::Coordinator,
        "upsert changes the role"
    );
    assert!(
        db.remove_member(w.p1.id, w.designer.id, &entry("remove_member"))
            .await
            .unwrap()
    );
    assert!(
        !db.remove_member(w.p1.id, w.designer.id, &entry("remove_member"))
            .await
            .unwrap()
    );
    assert_eq!(db.list_members(w.p1.id).await.unwrap().len(), 1);
    let q = AuditQuery {
        entity_id: Some(w.p1.id),
        action: Some("remove_member".into()),
        ..Default::default()
    };
    assert_eq!(
        db.list_audit(&q).await.unwrap().total,
        1,
        "only the real removal is audited"
    );

    // A new manager joins the team when the project changes hands.
    let nina = add_user(db, "nina@example.com", "Nina New", Role::ProjectManager).await;
    let mut handed = w.p1.clone();
    handed.manager_id = nina.id;
    let saved = db
        .update_project(&handed, 1, &entry("update"))
        .await
        .unwrap();
    assert_eq!(saved.manager_name, "Nina New");
    let team = db.list_members(w.p1.id).await.unwrap();
    assert!(
        team.iter()
            .any(|m| m.user_id == nina.id && m.project_role == ProjectRole::ProjectManager)
    );
    assert!(
        team.iter().any(|m| m.user_id == w.pm.id),
        "the previous manager stays until removed"
    );
}

pub async fn project_updates_are_compare_and_set(db: &Db) {
    let w = world(db).await;
    let mut next = w.p1.clone();
    next.name = "Lobby joinery, phase 2".into();
    next.budget = Some(Money {
        amount_minor: 99_00,
        currency: "USD".into(),
    });
    next.end_date = None;
    next.updated_at = now();
    let saved = db
        .update_project(
            &next,
            1,
            &f::audit(Some(&w.pm), "update", "project", w.p1.id, "p1"),
        )
        .await
        .unwrap();
    assert_eq!(
        saved,
        formula_domain::project::Project {
            version: 2,
            ..next.clone()
        }
    );

    // Someone still holding version 1 is refused, told who saved, and changes nothing.
    let mut late = w.p1.clone();
    late.name = "Overwritten".into();
    let err = db
        .update_project(
            &late,
            1,
            &f::audit(Some(&w.designer), "update", "project", w.p1.id, "p1"),
        )
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (2, Some("Pia Manager".into())));
    assert_eq!(db.get_project(w.p1.id).await.unwrap().unwrap(), saved);
    let trail = db
        .list_audit(&AuditQuery {
            entity_type: Some("project".into()),
            entity_id: Some(w.p1.id),
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = trail.items.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        ["update", "add_member", "create"],
        "newest first; the refused write left no row"
    );

    // The name of whoever saved last is derived from the audit actor.
    let mut by_designer = saved.clone();
    by_designer.priority = formula_domain::enums::Priority::Urgent;
    let saved = db
        .update_project(
            &by_designer,
            2,
            &f::audit(Some(&w.designer), "update", "project", w.p1.id, "p1"),
        )
        .await
        .unwrap();
    assert_eq!(saved.updated_by_name.as_deref(), Some("Dan Designer"));

    let err = db
        .delete_project(
            w.p1.id,
            2,
            &f::audit(Some(&w.pm), "delete", "project", w.p1.id, "p1"),
        )
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (3, Some("Dan Designer".into())));
    let ghost = f::project("WSC-99-001", "Ghost", &w.acme, &w.pm);
    let err = db
        .update_project(
            &ghost,
            1,
            &f::audit(Some(&w.pm), "update", "project", ghost.id, "g"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
}

/// A project is written with the scope groups it starts with and every audit entry, or
/// (when any of them fails) with none of them.
pub async fn a_project_is_inserted_with_its_groups_in_one_transaction(db: &Db) {
    let w = world(db).await;
    let entry = |what: &str, id: Uuid| f::audit(Some(&w.pm), "create", what, id, "x");
    let p = f::project("WSC-25-030", "Suites", &w.acme, &w.pm);
    let groups = default_groups(p.id, 0, now());
    let mut entries = vec![entry("project", p.id)];
    entries.extend(groups.iter().map(|g| entry("scope_group", g.id)));
    db.insert_project(&p, &groups, &entries).await.unwrap();
    let names: Vec<String> = db
        .list_scope_groups(p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(
        names,
        ["Construction", "Millwork", "Electrical", "Mechanical/MEP"]
    );
    let audited = |entity_type: &str| {
        let q = AuditQuery {
            entity_type: Some(entity_type.into()),
            ..Default::default()
        };
        async move { db.list_audit(&q).await.unwrap().total }
    };
    assert_eq!(audited("scope_group").await, 4);

    // A group that cannot be written (two of the same name) takes the project with it.
    let q = f::project("WSC-25-031", "Villas", &w.acme, &w.pm);
    let mut twice = default_groups(q.id, 0, now());
    twice[1].name = twice[0].name.clone();
    let err = db
        .insert_project(&q, &twice, &[entry("project", q.id)])
        .await
        .unwrap_err();
    assert_duplicate(err, "name");
    assert_eq!(db.get_project(q.id).await.unwrap(), None);
    assert!(db.list_scope_groups(q.id).await.unwrap().is_empty());
    assert_eq!(audited("scope_group").await, 4);
}

both_backends! {
    projects_are_scoped_filtered_sorted_and_paged,
    project_access_and_teams,
    project_updates_are_compare_and_set,
    a_project_is_inserted_with_its_groups_in_one_transaction,
}
