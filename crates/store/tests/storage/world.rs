//! What most cases start from, written through the store: users, and a small world of
//! two clients, their staff and three projects; and the audit count the cases check.

use formula_app::query::AuditQuery;
use formula_app::repos::prelude::*;
use formula_domain::project::ProjectRole;
use formula_domain::user::{Role, User};
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, days};

/// Inserts a user with `role` (and its audit entry).
pub async fn add_user(db: &Db, email: &str, name: &str, role: Role) -> User {
    let u = f::user(email, name, role);
    db.insert_user(
        &u,
        "argon2-hash",
        &f::audit(None, "create", "user", u.id, &u.email),
    )
    .await
    .unwrap();
    u
}

/// How many audit entries the entity has.
pub async fn audit_count(db: &Db, entity_type: &str, entity_id: Uuid) -> i64 {
    let q = AuditQuery {
        entity_type: Some(entity_type.into()),
        entity_id: Some(entity_id),
        ..Default::default()
    };
    db.list_audit(&q).await.unwrap().total
}

/// Two clients, a manager, a designer and three projects, for the project and task cases.
pub struct World {
    pub acme: formula_domain::client::Client,
    pub beta: formula_domain::client::Client,
    pub pm: User,
    pub designer: User,
    pub p1: formula_domain::project::Project,
    pub p2: formula_domain::project::Project,
    pub p3: formula_domain::project::Project,
}

pub async fn world(db: &Db) -> World {
    let pm = add_user(db, "pm@example.com", "Pia Manager", Role::ProjectManager).await;
    let designer = add_user(db, "dd@example.com", "Dan Designer", Role::Designer).await;
    let acme = f::client("Acme Hotels");
    let beta = f::client("Beta Developments");
    for c in [&acme, &beta] {
        db.insert_client(c, &f::audit(Some(&pm), "create", "client", c.id, &c.name))
            .await
            .unwrap();
    }
    let p1 = f::project("WSC-25-001", "Lobby joinery", &acme, &pm);
    let mut p2 = f::project("WSC-25-002", "Ballroom panels", &acme, &pm);
    p2.end_date = None;
    p2.location = Some("Abu Dhabi".into());
    let mut p3 = f::project("WSC-25-010", "Apartments", &beta, &pm);
    p3.end_date = Some(f::today() + days(10));
    for p in [&p1, &p2, &p3] {
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
        designer.id,
        ProjectRole::Designer,
        &f::audit(Some(&pm), "add_member", "project", p1.id, "p1"),
    )
    .await
    .unwrap();
    World {
        acme,
        beta,
        pm,
        designer,
        p1,
        p2,
        p3,
    }
}
