//! Purchase orders: numbering in the creating transaction, lines with the total kept,
//! compare-and-set moves through the states, and the sending that queues the mail and marks
//! the linked specifications ordered in one transaction.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::purchase_order::{PoLine, PoStatus, PurchaseOrder};
use formula_domain::scope::Quantity;
use formula_domain::spec::{Procurement, SpecStatus};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::AppResult;
use crate::jobs::NewJob;
use crate::query::Paging;

/// Which of a project's orders a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoFilter {
    pub status: Option<PoStatus>,
    pub supplier_id: Option<Uuid>,
}

/// An order's stored fields as written when it is raised (the store numbers it).
#[derive(Debug, Clone)]
pub struct NewPoRow {
    pub id: Uuid,
    pub project_id: Uuid,
    pub supplier_id: Uuid,
    pub currency: String,
    pub required_on: Option<Date>,
    pub delivery_address: Option<String>,
    pub terms: Option<String>,
    pub notes: Option<String>,
    pub created_by: Uuid,
    pub created_at: OffsetDateTime,
}

/// A line as written (a new id adds it, an existing id replaces it).
#[derive(Debug, Clone)]
pub struct PoLineRow {
    pub id: Uuid,
    pub spec_id: Option<Uuid>,
    pub scope_item_id: Option<Uuid>,
    pub description: String,
    pub quantity: Quantity,
    pub unit: String,
    pub unit_price_minor: i64,
    pub total_minor: i64,
    pub required_on: Option<Date>,
}

/// A draft's header fields.
#[derive(Debug, Clone)]
pub struct PoHeader {
    pub supplier_id: Uuid,
    pub required_on: Option<Date>,
    pub delivery_address: Option<String>,
    pub terms: Option<String>,
    pub notes: Option<String>,
}

/// A move from one state to the next, with what it records.
#[derive(Debug, Clone)]
pub struct PoMove {
    pub from: PoStatus,
    pub to: PoStatus,
    pub by: Uuid,
    pub at: OffsetDateTime,
    /// Sending: the address mailed.
    pub sent_to: Option<String>,
    /// Cancelling: why.
    pub reason: Option<String>,
}

/// What sending also does, in the same transaction: the mail queued and each linked
/// specification marked ordered (with the order's number, the day, and the line's
/// required date as its expected delivery), each with its audit entry.
#[derive(Debug, Clone)]
pub struct PoSending {
    pub mail: NewJob,
    pub order_date: Date,
    pub specs: Vec<(Uuid, Option<Date>, AuditEntry)>,
}

/// What an order needs to know of a supplier (the directory is the suppliers' module's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoSupplier {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub tax_number: Option<String>,
    pub payment_terms: Option<String>,
    pub archived: bool,
}

/// What raising an order from a specification reads of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecForPo {
    pub id: Uuid,
    pub project_id: Uuid,
    pub code: String,
    pub description: String,
    pub quantity: Quantity,
    pub unit: String,
    pub unit_cost_minor: Option<i64>,
    pub needed_on: Option<Date>,
    pub status: SpecStatus,
    pub procurement: Option<Procurement>,
    pub supplier_id: Option<Uuid>,
    pub supplier_name: Option<String>,
}

#[async_trait]
pub trait PurchaseOrderRepo: Send + Sync {
    /// A project's orders, newest number first, a page or all.
    async fn list_purchase_orders(
        &self,
        project_id: Uuid,
        filter: &PoFilter,
        paging: Option<Paging>,
    ) -> AppResult<(Vec<PurchaseOrder>, i64)>;
    async fn get_purchase_order(&self, id: Uuid) -> AppResult<Option<PurchaseOrder>>;
    /// Its lines in position order.
    async fn purchase_order_lines(&self, id: Uuid) -> AppResult<Vec<PoLine>>;
    /// Inserts a draft with its lines and the next number of `year` (taken in the same
    /// transaction from `po_sequences`, its row locked on PostgreSQL); returns the number.
    async fn insert_purchase_order(
        &self,
        row: &NewPoRow,
        year: i32,
        lines: &[PoLineRow],
        audit: &AuditEntry,
    ) -> AppResult<String>;
    /// Saves a draft's header, compare-and-set.
    async fn update_purchase_order(
        &self,
        id: Uuid,
        header: &PoHeader,
        expected_version: i64,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<PurchaseOrder>;
    /// Adds or replaces a draft's line, keeping the total; compare-and-set on the order.
    async fn save_po_line(
        &self,
        id: Uuid,
        line: &PoLineRow,
        expected_version: i64,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<PurchaseOrder>;
    /// Removes a draft's line, keeping the total.
    async fn delete_po_line(
        &self,
        id: Uuid,
        line_id: Uuid,
        expected_version: i64,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<PurchaseOrder>;
    /// Moves an order from `m.from` to `m.to`, compare-and-set on the version and the state;
    /// sending also queues the mail and marks the specifications ordered.
    async fn move_purchase_order(
        &self,
        id: Uuid,
        m: &PoMove,
        expected_version: i64,
        sending: Option<&PoSending>,
        audit: &AuditEntry,
    ) -> AppResult<PurchaseOrder>;
    async fn po_supplier(&self, id: Uuid) -> AppResult<Option<PoSupplier>>;
    /// The specifications named, as raising an order reads them.
    async fn specs_for_po(&self, ids: &[Uuid]) -> AppResult<Vec<SpecForPo>>;
}
