//! The supplier directory over the store. Migration 0034 moves the free-text suppliers of
//! existing specifications into the directory: one supplier per name (trimmed, whatever the
//! case), its categories those of its specifications, each contact text a contact, and every
//! specification pointing at its supplier; nothing typed is lost.

use formula_app::repos::prelude::*;
use formula_domain::spec::SpecCategory;
use uuid::Uuid;

use crate::fixtures as f;
use crate::support::TestDb;
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
