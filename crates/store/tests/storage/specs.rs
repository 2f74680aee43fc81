//! Specifications: review settings, releases and imports.

use formula_app::ports::ReviewSettings;
use formula_app::repos::DirectoryAdditions;
use formula_app::repos::prelude::*;
use formula_domain::readiness::MaterialsRule;
use formula_domain::spec::{Procurement, Spec, SpecDecision, SpecReview, SpecStatus};
use formula_domain::supplier::{Supplier, SupplierContact};
use formula_store::Db;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_duplicate, assert_stale, now, today};
use crate::support::TestDb;
use crate::world::world;

pub async fn specs_settings_and_releases_round_trip(db: &Db) {
    let w = world(db).await;
    let g = f::scope_group(&w.p1, "Millwork", "M", 0);
    let item = f::scope_item(&g, "WSC-M-001", 1, None, 0);
    db.save_scope(
        std::slice::from_ref(&g),
        std::slice::from_ref(&item),
        &[],
        &[],
    )
    .await
    .unwrap();
    let d = f::drawing(&w.p1, "SD-1", vec![]);
    db.insert_drawing(&d, &f::audit(Some(&w.pm), "create", "drawing", d.id, "d"))
        .await
        .unwrap();
    let by = |id: Uuid| f::audit(Some(&w.pm), "spec", "spec", id, "s");
    let mut s = f::spec(&w.p1, "V-01");
    s.scope_item_ids = vec![item.id];
    s.drawing_ids = vec![d.id];
    db.insert_spec(&s, &by(s.id)).await.unwrap();
    assert_duplicate(
        db.insert_spec(&f::spec(&w.p1, "v-01"), &by(s.id))
            .await
            .unwrap_err(),
        "code",
    );
    let stored = db.get_spec(s.id).await.unwrap().unwrap();
    assert_eq!(stored.currency, w.p1.currency);
    assert_eq!(stored.updated_by_name.as_deref(), Some(w.pm.name.as_str()));
    assert_eq!(
        Spec {
            currency: s.currency.clone(),
            updated_by_name: None,
            ..stored.clone()
        },
        s
    );

    let mut next = stored.clone();
    next.status = SpecStatus::Approved;
    next.procurement = Some(Procurement::Ordered);
    next.po_number = Some("PO-1".into());
    next.order_date = Some(today());
    next.delivered_quantity = formula_domain::scope::Quantity(500);
    next.scope_item_ids = vec![];
    let review = SpecReview {
        id: Uuid::now_v7(),
        spec_id: s.id,
        reviewer_id: Some(w.pm.id),
        reviewer_name: Some(w.pm.name.clone()),
        decision: SpecDecision::Approved,
        comments: None,
        at: now(),
    };
    let saved = db
        .update_spec(&next, 1, Some(&review), &by(s.id))
        .await
        .unwrap();
    assert_eq!(
        (saved.version, saved.procurement, saved.scope_item_ids.len()),
        (2, Some(Procurement::Ordered), 0)
    );
    assert_eq!(saved.delivered_quantity, next.delivered_quantity);
    assert_stale(db.update_spec(&next, 1, None, &by(s.id)).await.unwrap_err());
    assert_eq!(db.list_spec_reviews(s.id).await.unwrap(), vec![review]);
    assert_eq!(db.list_specs(w.p1.id).await.unwrap().len(), 1);
    assert!(db.list_specs(w.p2.id).await.unwrap().is_empty());

    // The materials rule defaults to "materials must be ordered" and takes three values.
    assert_eq!(
        db.materials_rule(w.p1.id).await.unwrap(),
        MaterialsRule::Ordered
    );
    for rule in [
        MaterialsRule::Approved,
        MaterialsRule::Delivered,
        MaterialsRule::Ordered,
    ] {
        db.set_materials_rule(w.p1.id, rule, &by(w.p1.id))
            .await
            .unwrap();
        assert_eq!(db.materials_rule(w.p1.id).await.unwrap(), rule);
    }

    // Review settings: none by default; saved as a whole; the materials rule is kept.
    assert_eq!(
        db.review_settings(w.p2.id).await.unwrap(),
        ReviewSettings::default()
    );
    let settings = ReviewSettings {
        client_approvals: true,
        reviewer_ids: vec![w.designer.id],
    };
    db.save_review_settings(w.p1.id, &settings, &by(w.p1.id))
        .await
        .unwrap();
    assert_eq!(db.review_settings(w.p1.id).await.unwrap(), settings);
    assert_eq!(
        db.materials_rule(w.p1.id).await.unwrap(),
        MaterialsRule::Ordered
    );
    db.save_review_settings(w.p1.id, &ReviewSettings::default(), &by(w.p1.id))
        .await
        .unwrap();
    assert_eq!(
        db.review_settings(w.p1.id).await.unwrap(),
        ReviewSettings::default()
    );

    // A release happens once, compare-and-set, with its note and who released it.
    let released = db
        .release_scope_item(item.id, 1, Some("Override: sample approved"), &by(item.id))
        .await
        .unwrap();
    assert!(released.released_at.is_some());
    assert_eq!(
        released.released_by_name.as_deref(),
        Some(w.pm.name.as_str())
    );
    assert_eq!(
        released.release_note.as_deref(),
        Some("Override: sample approved")
    );
    assert_stale(
        db.release_scope_item(item.id, 2, None, &by(item.id))
            .await
            .unwrap_err(),
    );
}

pub async fn spec_imports_are_all_or_nothing(db: &Db) {
    let w = world(db).await;
    let by = |id: Uuid| f::audit(Some(&w.pm), "import", "spec", id, "s");
    let first = f::spec(&w.p1, "V-01");
    db.insert_spec(&first, &by(first.id)).await.unwrap();
    let mut changed = first.clone();
    changed.description = "Oak veneer".into();
    let new = f::spec(&w.p1, "ST-01");
    // A stale version anywhere fails the whole save: the new spec is not written either.
    let err = db
        .save_specs(
            &DirectoryAdditions::default(),
            std::slice::from_ref(&new),
            &[(changed.clone(), 7)],
            &[by(new.id), by(changed.id)],
        )
        .await
        .unwrap_err();
    assert_stale(err);
    assert!(db.get_spec(new.id).await.unwrap().is_none());
    // A supplier and a contact the import adds to the directory go in the same transaction:
    // refused with the stale version above, written with the rest here.
    let at = f::now();
    let supplier = Supplier {
        id: Uuid::now_v7(),
        name: "Stone Co".into(),
        categories: vec!["stone".into()],
        email: None,
        phone: None,
        website: None,
        address: None,
        tax_number: None,
        payment_terms: None,
        lead_time_days: None,
        notes: None,
        archived: false,
        created_at: at,
        updated_at: at,
        version: 1,
    };
    let contact = |name: &str| SupplierContact {
        id: Uuid::now_v7(),
        supplier_id: supplier.id,
        name: name.into(),
        role: None,
        email: None,
        phone: None,
        position: 0,
    };
    let (sam, kim) = (contact("Sam"), contact("Kim"));
    let directory = DirectoryAdditions {
        suppliers: vec![supplier.clone()],
        contacts: vec![sam.clone(), kim.clone()],
    };
    let mut new = new;
    new.supplier_id = Some(supplier.id);
    new.supplier_contact_id = Some(kim.id);
    let err = db
        .save_specs(
            &directory,
            std::slice::from_ref(&new),
            &[(changed.clone(), 7)],
            &[by(new.id), by(changed.id)],
        )
        .await
        .unwrap_err();
    assert_stale(err);
    assert!(db.supplier_by_name("stone co").await.unwrap().is_none());
    db.save_specs(
        &directory,
        std::slice::from_ref(&new),
        &[(changed.clone(), 1)],
        &[by(new.id), by(changed.id)],
    )
    .await
    .unwrap();
    let contacts = db.list_supplier_contacts(supplier.id).await.unwrap();
    assert_eq!(
        contacts
            .iter()
            .map(|c| (c.name.as_str(), c.position))
            .collect::<Vec<_>>(),
        [("Sam", 0), ("Kim", 1)],
        "added one after the other"
    );
    let stored_new = db.get_spec(new.id).await.unwrap().unwrap();
    assert_eq!(
        (
            stored_new.supplier_name.as_deref(),
            stored_new.supplier_contact_name.as_deref()
        ),
        (Some("Stone Co"), Some("Kim"))
    );
    // A contact removed from the directory leaves the specification without one; the
    // supplier stays.
    assert!(
        db.delete_supplier_contact(supplier.id, kim.id, &by(supplier.id))
            .await
            .unwrap()
    );
    let after = db.get_spec(new.id).await.unwrap().unwrap();
    assert_eq!(
        (after.supplier_id, after.supplier_contact_id),
        (Some(supplier.id), None)
    );
    let stored = db.get_spec(first.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.description.as_str(), stored.version),
        ("Oak veneer", 2)
    );
    assert_eq!(db.get_spec(new.id).await.unwrap().unwrap().code, "ST-01");
}

both_backends! {
    specs_settings_and_releases_round_trip,
    spec_imports_are_all_or_nothing,
}

/// Projects keep their materials rule through migration 0039: one that let approval be
/// enough keeps that, one that wanted orders (or never said) wants orders.
async fn the_materials_rule_survives_migration_0039(t: TestDb) {
    let w = world(&t).await;
    let uuid = |u: Uuid| match t.backend() {
        formula_store::Backend::Sqlite => format!("X'{}'", u.simple()),
        formula_store::Backend::Postgres => format!("'{u}'::uuid"),
    };
    t.outside(&format!(
        "INSERT INTO project_settings (project_id, require_materials_ordered) VALUES ({}, 0)",
        uuid(w.p1.id)
    ))
    .await;
    t.outside(&format!(
        "INSERT INTO project_settings (project_id, require_materials_ordered) VALUES ({}, 1)",
        uuid(w.p2.id)
    ))
    .await;
    t.migrate().await.unwrap();
    assert_eq!(
        t.materials_rule(w.p1.id).await.unwrap(),
        MaterialsRule::Approved
    );
    assert_eq!(
        t.materials_rule(w.p2.id).await.unwrap(),
        MaterialsRule::Ordered
    );
    // The switch the previous version reads is kept in step.
    let by = f::audit(Some(&w.pm), "readiness_rule", "project", w.p1.id, "p");
    t.set_materials_rule(w.p1.id, MaterialsRule::Delivered, &by)
        .await
        .unwrap();
    let kept = t
        .outside(&format!(
            "SELECT CAST(require_materials_ordered AS BIGINT) FROM project_settings WHERE project_id = {}",
            uuid(w.p1.id)
        ))
        .await;
    assert_eq!(kept, 1);
    t.finish().await;
}

mod migration {
    #[tokio::test]
    async fn sqlite_the_materials_rule_survives_migration_0039() {
        super::the_materials_rule_survives_migration_0039(
            crate::support::sqlite_until(Some(37)).await,
        )
        .await;
    }

    #[tokio::test]
    async fn postgres_the_materials_rule_survives_migration_0039() {
        super::the_materials_rule_survives_migration_0039(
            crate::support::postgres_until(Some(37)).await,
        )
        .await;
    }
}
