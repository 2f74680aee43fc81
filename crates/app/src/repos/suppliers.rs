use async_trait::async_trait;
use formula_domain::audit::AuditEntry;
use formula_domain::supplier::{Supplier, SupplierContact};
use time::Date;
use uuid::Uuid;

use crate::error::AppResult;
use crate::query::{Page, Paging};

/// Filters of the supplier directory.
#[derive(Debug, Clone, Default)]
pub struct SupplierFilter {
    /// Searched in the name, the categories, the e-mail address and the notes.
    pub q: Option<String>,
    /// Only suppliers in this category.
    pub category: Option<String>,
    /// `Some(false)` (the default in the use case): active ones; `Some(true)`: archived
    /// ones; `None`: both.
    pub archived: Option<bool>,
    pub paging: Paging,
}

/// A specification naming a supplier, with its project (for the supplier's page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierSpecRow {
    pub project_id: Uuid,
    pub project_code: String,
    pub project_name: String,
    pub spec_id: Uuid,
    pub code: String,
    pub description: String,
    pub status: String,
}

/// A purchase order to a supplier (for the supplier's page and figures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierOrderRow {
    pub id: Uuid,
    pub project_id: Uuid,
    pub project_code: String,
    pub number: String,
    pub status: String,
    pub currency: String,
    pub total_minor: i64,
    pub required_on: Option<Date>,
    pub created_at: time::OffsetDateTime,
}

/// A received order line with its required date, of an order neither draft nor cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRow {
    pub project_id: Uuid,
    pub required_on: Date,
    pub received_on: Date,
}

/// The supplier directory.
#[async_trait]
pub trait SupplierRepo: Send + Sync {
    /// Fails with a `name_taken` conflict when the name is in use, whatever the case.
    async fn insert_supplier(&self, supplier: &Supplier, audit: &AuditEntry) -> AppResult<()>;
    async fn get_supplier(&self, id: Uuid) -> AppResult<Option<Supplier>>;
    /// The supplier of this name, whatever the case and surrounding spaces.
    async fn supplier_by_name(&self, name: &str) -> AppResult<Option<Supplier>>;
    async fn list_suppliers(&self, filter: &SupplierFilter) -> AppResult<Page<Supplier>>;
    /// Every category in use, sorted.
    async fn supplier_categories(&self) -> AppResult<Vec<String>>;
    /// Compare-and-set on `expected_version`; `name_taken` as for insert.
    async fn update_supplier(
        &self,
        supplier: &Supplier,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Supplier>;
    async fn list_supplier_contacts(&self, supplier_id: Uuid) -> AppResult<Vec<SupplierContact>>;
    /// Adds the contact at the end of the list (its `position` is set here).
    async fn insert_supplier_contact(
        &self,
        contact: &SupplierContact,
        audit: &AuditEntry,
    ) -> AppResult<SupplierContact>;
    /// Saves the contact's fields and moves it to `position` (clamped), renumbering the
    /// others; `NotFound` when it is not this supplier's.
    async fn update_supplier_contact(
        &self,
        contact: &SupplierContact,
        audit: &AuditEntry,
    ) -> AppResult<SupplierContact>;
    /// Whether it was there to delete; the others close up.
    async fn delete_supplier_contact(
        &self,
        supplier_id: Uuid,
        contact_id: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<bool>;
    /// The specifications naming the supplier, over every project (the use case filters).
    async fn supplier_specs(&self, supplier_id: Uuid) -> AppResult<Vec<SupplierSpecRow>>;
    /// The supplier's purchase orders, newest first, over every project.
    async fn supplier_orders(&self, supplier_id: Uuid) -> AppResult<Vec<SupplierOrderRow>>;
    /// The received, dated lines of the supplier's orders neither draft nor cancelled.
    async fn supplier_deliveries(&self, supplier_id: Uuid) -> AppResult<Vec<DeliveryRow>>;
}
