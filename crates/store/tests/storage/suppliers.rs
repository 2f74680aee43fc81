//! The supplier directory over the store. Migration 0034 moves the free-text suppliers of
//! existing specifications into the directory: one supplier per name (trimmed, whatever the
//! case), its categories those of its specifications, each contact text a contact, and every
//! specification pointing at its supplier; nothing typed is lost.

use formula_app::repos::prelude::*;
use formula_domain::company::CompanySettings;
use formula_domain::spec::SpecCategory;
use formula_domain::user::Role;
use formula_store::Db;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_stale};
use crate::support::TestDb;
use crate::world::add_user;
use crate::world::world;

async fn free_text_suppliers_move_into_the_directory(t: TestDb) {
    let w = world(&t).await;
    let mut specs = Vec::new();
    for (code, supplier, contact, category) in [
        (
            "S-1",
            Some("Veneer Co"),
            Some("Ahmed, 050 123 4567"),
            SpecCategory::Veneer,
        ),
        (
            "S-2",
            Some("  veneer co "),
            Some("Ahmed, 050 123 4567"),
            SpecCategory::Wood,
        ),
        (
            "S-3",
            Some("VENEER CO"),
            Some("Accounts: ap@veneer.example"),
            SpecCategory::Veneer,
        ),
        ("S-4", Some("Stone House"), None, SpecCategory::Stone),
        (
            "S-5",
            None,
            Some("nobody in particular"),
            SpecCategory::Other,
        ),
        ("S-6", Some("   "), None, SpecCategory::Other),
    ] {
        let mut s = f::spec(&w.p1, code);
        s.supplier = supplier.map(str::to_owned);
        s.supplier_contact = contact.map(str::to_owned);
        s.category = category;
        t.insert_spec(&s, &f::audit(Some(&w.pm), "create", "spec", s.id, code))
            .await
            .unwrap();
        specs.push(s);
    }
    t.migrate().await.unwrap();

    let count = |sql: &str| {
        let t = &t;
        let sql = sql.to_owned();
        async move { t.outside(&sql).await }
    };
    assert_eq!(count("SELECT COUNT(*) FROM suppliers").await, 2);
    // The spelling of the first specification naming it, trimmed.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM suppliers WHERE name = 'Veneer Co' AND categories = 'veneer,wood'"
        )
        .await,
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM suppliers WHERE name = 'Stone House' AND categories = 'stone'")
            .await,
        1
    );
    // Every specification that named one points at it; the others at none.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM specs s JOIN suppliers x ON x.id = s.supplier_id \
             WHERE x.name = 'Veneer Co'"
        )
        .await,
        3
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM specs WHERE supplier_id IS NULL").await,
        2
    );
    // Two distinct contact texts for Veneer Co; the contact of a spec without a supplier
    // stays on that spec, where it was.
    assert_eq!(count("SELECT COUNT(*) FROM supplier_contacts").await, 2);
    assert_eq!(
        count("SELECT COUNT(*) FROM specs WHERE supplier_contact = 'nobody in particular'").await,
        1
    );
    // The new rows take the id of the first specification that named them.
    let first: Uuid = specs[0].id;
    let lit = match t.backend() {
        formula_store::Backend::Sqlite => format!("X'{}'", first.simple()),
        formula_store::Backend::Postgres => format!("'{first}'::uuid"),
    };
    assert_eq!(
        count(&format!("SELECT COUNT(*) FROM suppliers WHERE id = {lit}")).await,
        1
    );
    t.finish().await;
}

mod migration {
    #[tokio::test]
    async fn sqlite_free_text_suppliers_move_into_the_directory() {
        super::free_text_suppliers_move_into_the_directory(
            crate::support::sqlite_until(Some(31)).await,
        )
        .await;
    }

    #[tokio::test]
    async fn postgres_free_text_suppliers_move_into_the_directory() {
        super::free_text_suppliers_move_into_the_directory(
            crate::support::postgres_until(Some(31)).await,
        )
        .await;
    }
}

/// The purchasing settings: off and empty until saved, then the switches on the company
/// row (compare-and-set on its version) and the limits replaced as a set.
pub async fn purchasing_settings_are_saved_compare_and_set(db: &Db) {
    use formula_domain::purchasing_settings::{ApprovalLimit, PurchasingSettings};
    let admin = add_user(db, "admin@example.com", "Ada Admin", Role::Admin).await;
    assert_eq!(
        db.purchasing_settings().await.unwrap(),
        PurchasingSettings::default()
    );
    let company = CompanySettings {
        name: "Northwind".into(),
        updated_at: Some(OffsetDateTime::now_utc()),
        ..Default::default()
    };
    let entry = |what: &str| f::audit(Some(&admin), what, "company", Uuid::nil(), "x");
    db.save_company_settings(&company, 0, admin.id, &entry("update"))
        .await
        .unwrap();
    let limit = |c: &str, v: i64| ApprovalLimit {
        currency: c.into(),
        project_manager_limit_minor: v,
    };
    let mut next = db.purchasing_settings().await.unwrap();
    assert_eq!(next.version, 1);
    next.designers_see_prices = true;
    next.approval_limits = vec![limit("EUR", 100), limit("USD", 500_000)];
    let saved = db
        .save_purchasing_settings(&next, 1, admin.id, &entry("update"))
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    assert!(saved.designers_see_prices && !saved.craftsmen_see_prices);
    assert_eq!(saved.approval_limits, next.approval_limits);
    assert_eq!(saved.updated_by_name.as_deref(), Some("Ada Admin"));
    assert_eq!(db.po_approval_limit("USD").await.unwrap(), Some(500_000));
    assert_eq!(db.po_approval_limit("GBP").await.unwrap(), None);
    // The company's own details are untouched, and its version is the one moved on.
    let c = db.company_settings().await.unwrap();
    assert_eq!((c.name.as_str(), c.version), ("Northwind", 2));

    // A stale save is refused and changes nothing.
    let err = db
        .save_purchasing_settings(&next, 1, admin.id, &entry("update"))
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err).0, 2);

    let mut next = saved.clone();
    next.designers_see_prices = false;
    next.craftsmen_see_prices = true;
    next.approval_limits = vec![limit("USD", 0)];
    let saved = db
        .save_purchasing_settings(&next, 2, admin.id, &entry("update"))
        .await
        .unwrap();
    assert!(!saved.designers_see_prices && saved.craftsmen_see_prices);
    assert_eq!(saved.approval_limits, vec![limit("USD", 0)]);
    assert_eq!(db.po_approval_limit("EUR").await.unwrap(), None);
    assert_eq!(db.po_approval_limit("USD").await.unwrap(), Some(0));
}

both_backends! {
    purchasing_settings_are_saved_compare_and_set,
}
