//! The company settings: absent until first saved, then one row, compare-and-set.

use formula_app::repos::prelude::*;
use formula_domain::company::CompanySettings;
use formula_domain::user::Role;
use formula_store::Db;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::fixtures::{self as f, assert_stale};
use crate::world::{add_user, audit_count};

pub async fn company_settings_are_saved_once_then_compare_and_set(db: &Db) {
    let admin = add_user(db, "admin@example.com", "Ada Admin", Role::Admin).await;
    let empty = db.company_settings().await.unwrap();
    assert_eq!(empty, CompanySettings::default());

    let first = CompanySettings {
        name: "Northwind Interiors".into(),
        address: Some("12 Harbour Road\nBristol".into()),
        tax_number: Some("GB 123".into()),
        email: Some("office@northwind.test".into()),
        document_terms: Some("Valid 30 days.".into()),
        updated_at: Some(OffsetDateTime::now_utc()),
        ..Default::default()
    };
    let entry = |what: &str| f::audit(Some(&admin), what, "company", Uuid::nil(), "Northwind");
    let saved = db
        .save_company_settings(&first, 0, admin.id, &entry("update"))
        .await
        .unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(saved.name, "Northwind Interiors");
    assert_eq!(saved.address.as_deref(), Some("12 Harbour Road\nBristol"));
    assert_eq!(saved.updated_by_name.as_deref(), Some("Ada Admin"));
    assert!(!saved.has_logo);
    assert_eq!(db.company_settings().await.unwrap(), saved);

    // A second "first save" (another tab that read version 0) is stale, naming who saved.
    let err = db
        .save_company_settings(&first, 0, admin.id, &entry("update"))
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err), (1, Some("Ada Admin".into())));

    let mut next = saved.clone();
    next.logo_key = Some("company/logo-1".into());
    next.logo_mime = Some("image/png".into());
    next.phone = None;
    let saved = db
        .save_company_settings(&next, 1, admin.id, &entry("logo"))
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    assert!(saved.has_logo);
    assert_eq!(saved.logo_key.as_deref(), Some("company/logo-1"));
    let err = db
        .save_company_settings(&next, 1, admin.id, &entry("update"))
        .await
        .unwrap_err();
    assert_eq!(assert_stale(err).0, 2);
    // Every save left its audit entry; the refused ones none.
    assert_eq!(audit_count(db, "company", Uuid::nil()).await, 2);
}

both_backends! {
    company_settings_are_saved_once_then_compare_and_set,
}
