//! The supplier directory over the store. Migration 0034 moves the free-text suppliers of
//! existing specifications into the directory: one supplier per name (trimmed, whatever the
//! case), its categories those of its specifications, each contact text a contact, and every
//! specification pointing at its supplier; nothing typed is lost.

use formula_app::error::AppError;
use formula_app::repos::SupplierFilter;
use formula_app::repos::prelude::*;
use formula_domain::company::CompanySettings;
use formula_domain::spec::SpecCategory;
use formula_domain::supplier::{Supplier, SupplierContact};
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
    // Migration 0038: each specification points at the contact its text became (of its own
    // supplier); the text stays where it was.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM specs s JOIN supplier_contacts c ON c.id = s.supplier_contact_id \
             WHERE c.supplier_id = s.supplier_id AND c.name = trim(s.supplier_contact)"
        )
        .await,
        3
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM specs WHERE supplier_contact_id IS NOT NULL").await,
        3
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

/// SQL literals for a uuid and a timestamp on `t`'s backend.
fn lit(t: &TestDb) -> (fn(Uuid) -> String, &'static str) {
    match t.backend() {
        formula_store::Backend::Sqlite => (
            |u: Uuid| format!("X'{}'", u.simple()),
            "'2026-01-01T12:00:00.000000Z'",
        ),
        formula_store::Backend::Postgres => (
            |u: Uuid| format!("'{u}'::uuid"),
            "'2026-01-01T12:00:00Z'::timestamptz",
        ),
    }
}

/// A purchase order from outside the store (its use cases are not tested here), with a
/// line per `(required_on, received_on)`.
async fn order(
    t: &TestDb,
    project: Uuid,
    supplier: Uuid,
    number: &str,
    status: &str,
    total: i64,
    lines: &[(&str, Option<&str>)],
) {
    let (id, ts) = lit(t);
    let date = |d: &str| match t.backend() {
        formula_store::Backend::Sqlite => format!("'{d}'"),
        formula_store::Backend::Postgres => format!("'{d}'::date"),
    };
    let order = Uuid::now_v7();
    t.outside(&format!(
        "INSERT INTO purchase_orders (id, project_id, supplier_id, number, status, currency, \
         total_minor, created_at, updated_at, version) VALUES ({}, {}, {}, '{number}', \
         '{status}', 'EUR', {total}, {ts}, {ts}, 1)",
        id(order),
        id(project),
        id(supplier),
    ))
    .await;
    for (i, (required, received)) in lines.iter().enumerate() {
        let received = received.map_or("NULL".to_owned(), date);
        t.outside(&format!(
            "INSERT INTO purchase_order_lines (id, purchase_order_id, position, description, \
             quantity_milli, unit, unit_price_minor, total_minor, required_on, received_milli, \
             received_on) VALUES ({}, {}, {i}, 'L', 1000, 'pcs', 1, 1, {}, 1000, {received})",
            id(Uuid::now_v7()),
            id(order),
            date(required),
        ))
        .await;
    }
}

pub fn supplier(name: &str, categories: &[&str]) -> Supplier {
    let now = OffsetDateTime::now_utc();
    Supplier {
        id: Uuid::now_v7(),
        name: name.into(),
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        email: None,
        phone: None,
        website: None,
        address: None,
        tax_number: None,
        payment_terms: Some("30 days".into()),
        lead_time_days: Some(14),
        notes: None,
        archived: false,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// Suppliers are unique by name whatever the case, filtered by words and archive, their
/// contacts kept in order; the orders and deliveries of a supplier are read for its page.
pub async fn suppliers_are_kept_and_their_orders_read(t: &TestDb) {
    let w = world(t).await;
    let entry = |s: &Supplier| f::audit(Some(&w.pm), "create", "supplier", s.id, &s.name);
    let veneer = supplier("Veneer Co", &["solid_surface", "veneer"]);
    t.insert_supplier(&veneer, &entry(&veneer)).await.unwrap();
    let stone = supplier("Stone_House", &["stone"]);
    t.insert_supplier(&stone, &entry(&stone)).await.unwrap();
    let dup = supplier("VENEER CO", &[]);
    let err = t.insert_supplier(&dup, &entry(&dup)).await.unwrap_err();
    assert!(
        matches!(
            &err,
            AppError::Conflict {
                code: "duplicate",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        t.supplier_by_name(" veneer co ").await.unwrap().unwrap().id,
        veneer.id
    );
    assert_eq!(t.get_supplier(veneer.id).await.unwrap().unwrap(), {
        let mut v = veneer.clone();
        v.created_at = t.get_supplier(veneer.id).await.unwrap().unwrap().created_at;
        v.updated_at = v.created_at;
        v
    });
    let names = |filter: SupplierFilter| async move {
        t.list_suppliers(&filter)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
    };
    let all = SupplierFilter::default();
    assert_eq!(names(all.clone()).await, ["Stone_House", "Veneer Co"]);
    // `_` in a category is a letter, not a wildcard.
    let by = |c: &str| SupplierFilter {
        category: Some(c.into()),
        ..Default::default()
    };
    assert_eq!(names(by("solid_surface")).await, ["Veneer Co"]);
    assert_eq!(names(by("solid")).await, Vec::<String>::new());
    assert_eq!(names(by("stone")).await, ["Stone_House"]);
    let q = SupplierFilter {
        q: Some("_h".into()),
        ..Default::default()
    };
    assert_eq!(names(q).await, ["Stone_House"]);
    assert_eq!(
        t.supplier_categories().await.unwrap(),
        ["solid_surface", "stone", "veneer"]
    );

    let mut archived = veneer.clone();
    archived.archived = true;
    let saved = t
        .update_supplier(&archived, 1, &entry(&archived))
        .await
        .unwrap();
    assert_eq!((saved.version, saved.archived), (2, true));
    let err = t
        .update_supplier(&archived, 1, &entry(&archived))
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err).0, 2);
    let active = SupplierFilter {
        archived: Some(false),
        ..Default::default()
    };
    assert_eq!(names(active).await, ["Stone_House"]);

    // Contacts: appended, moved, removed; positions stay 0, 1, 2…
    let mut ids = Vec::new();
    for name in ["A", "B", "C"] {
        let c = SupplierContact {
            id: Uuid::now_v7(),
            supplier_id: veneer.id,
            name: name.into(),
            role: None,
            email: None,
            phone: None,
            position: 99,
        };
        let saved = t
            .insert_supplier_contact(&c, &entry(&veneer))
            .await
            .unwrap();
        ids.push((saved.id, saved.position));
    }
    assert_eq!(ids.iter().map(|(_, p)| *p).collect::<Vec<_>>(), [0, 1, 2]);
    let contacts = t.list_supplier_contacts(veneer.id).await.unwrap();
    let mut c = contacts[2].clone();
    c.position = 0;
    c.phone = Some("050".into());
    t.update_supplier_contact(&c, &entry(&veneer))
        .await
        .unwrap();
    assert!(
        t.delete_supplier_contact(veneer.id, ids[0].0, &entry(&veneer))
            .await
            .unwrap()
    );
    assert!(
        !t.delete_supplier_contact(stone.id, ids[1].0, &entry(&veneer))
            .await
            .unwrap()
    );
    let order_now: Vec<(String, i32)> = t
        .list_supplier_contacts(veneer.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.position))
        .collect();
    assert_eq!(order_now, [("C".into(), 0), ("B".into(), 1)]);

    // Orders and their received, dated lines (drafts and cancelled orders left out).
    order(
        t,
        w.p1.id,
        veneer.id,
        "PO-2026-0001",
        "received",
        1000,
        &[
            ("2026-03-10", Some("2026-03-09")),
            ("2026-03-10", Some("2026-03-14")),
            ("2026-03-10", None),
        ],
    )
    .await;
    order(
        t,
        w.p2.id,
        veneer.id,
        "PO-2026-0002",
        "draft",
        5,
        &[("2026-03-10", Some("2026-03-20"))],
    )
    .await;
    order(
        t,
        w.p1.id,
        stone.id,
        "PO-2026-0003",
        "sent",
        7,
        &[("2026-03-10", Some("2026-03-20"))],
    )
    .await;
    let orders = t.supplier_orders(veneer.id).await.unwrap();
    assert_eq!(orders.len(), 2);
    assert!(orders.iter().any(|o| o.number == "PO-2026-0001"
        && o.total_minor == 1000
        && o.currency == "EUR"
        && o.project_code == w.p1.code));
    let deliveries = t.supplier_deliveries(veneer.id).await.unwrap();
    let mut got: Vec<(String, String)> = deliveries
        .iter()
        .map(|d| (d.required_on.to_string(), d.received_on.to_string()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("2026-03-10".to_owned(), "2026-03-09".to_owned()),
            ("2026-03-10".to_owned(), "2026-03-14".to_owned())
        ]
    );
    assert!(deliveries.iter().all(|d| d.project_id == w.p1.id));
    assert!(t.supplier_specs(veneer.id).await.unwrap().is_empty());
}

/// On a fresh installation the purchasing settings may be saved before the company's
/// details: the first save starts the company's row (no name yet), a second first save is
/// stale, and the details saved afterwards keep the switches.
pub async fn purchasing_settings_may_come_before_the_company(db: &Db) {
    let admin = add_user(db, "admin@example.com", "Ada Admin", Role::Admin).await;
    let entry = |what: &str| f::audit(Some(&admin), what, "company", Uuid::nil(), "x");
    let mut next = db.purchasing_settings().await.unwrap();
    assert_eq!(next.version, 0);
    next.craftsmen_see_prices = true;
    next.updated_at = Some(OffsetDateTime::now_utc());
    let saved = db
        .save_purchasing_settings(&next, 0, admin.id, &entry("update"))
        .await
        .unwrap();
    assert_eq!(saved.version, 1);
    assert!(saved.craftsmen_see_prices);
    let err = db
        .save_purchasing_settings(&next, 0, admin.id, &entry("update"))
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err).0, 1);
    let c = db.company_settings().await.unwrap();
    assert_eq!((c.name.as_str(), c.version), ("", 1));
    let company = CompanySettings {
        name: "Northwind".into(),
        updated_at: Some(OffsetDateTime::now_utc()),
        ..c
    };
    db.save_company_settings(&company, 1, admin.id, &entry("update"))
        .await
        .unwrap();
    let after = db.purchasing_settings().await.unwrap();
    assert!(after.craftsmen_see_prices && after.version == 2);
}

both_backends! {
    purchasing_settings_may_come_before_the_company,
    purchasing_settings_are_saved_compare_and_set,
    suppliers_are_kept_and_their_orders_read,
}
