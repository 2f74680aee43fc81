//! Goods receipts: the ledger of what arrived against purchase orders, and the cost control
//! read model derived from order lines.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::goods_receipt::{GoodsReceipt, NewGoodsReceipt, ReceivingOrder};
use formula_domain::scope::Quantity;
use formula_domain::spec::Procurement;
use time::Date;
use uuid::Uuid;

use crate::error::AppResult;

/// What a receipt moved besides its own lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The order's state after it (`partially_received` or `received`).
    pub status: String,
    /// Each linked specification whose procurement it moved, with the new state and the
    /// quantity delivered of it now.
    pub specs: Vec<(Uuid, Procurement, Quantity)>,
}

/// A sent line past its required date and not fully received, with its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateLine {
    pub purchase_order_id: Uuid,
    pub project_id: Uuid,
    pub number: String,
    pub supplier_name: String,
    pub created_by: Option<Uuid>,
    pub position: i64,
    pub description: String,
    pub quantity: Quantity,
    pub received: Quantity,
    pub required_on: Date,
}

/// An order line that commits money (its order approved or further, not cancelled), as
/// cost control reads it: linked to a scope item directly, or through its specification's
/// items (with their quantities).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedLine {
    pub currency: String,
    pub total_minor: i64,
    pub unit_price_minor: i64,
    pub received: Quantity,
    pub scope_item_id: Option<Uuid>,
    pub spec_items: Vec<(Uuid, Quantity)>,
}

/// The goods receipt ledger. Receipts are only ever added.
#[async_trait]
pub trait GoodsReceiptRepo: Send + Sync {
    /// An order with its lines as receiving sees them (`late` left false: the use case
    /// decides it against the clock).
    async fn receiving_order(&self, purchase_order_id: Uuid) -> AppResult<Option<ReceivingOrder>>;
    /// Adds a receipt in one transaction that locks the order's row (PostgreSQL `FOR
    /// UPDATE`; SQLite has one writer): refuses an order not sent or partially received
    /// (409 `not_receivable`), a line not of the order (422 on `lines`), and a line going
    /// past its ordered quantity without an accepted over-delivery (409 `over_delivery`);
    /// inserts the receipt and its lines, adds to each line's `received_milli` and sets its
    /// `received_on`, moves the order to partially received or received and each linked
    /// specification's procurement and delivered quantity, with the given audit entry and
    /// one entry per order and specification moved.
    async fn record_receipt(
        &self,
        new: &NewGoodsReceipt,
        audit: &AuditEntry,
    ) -> AppResult<Received>;
    /// One receipt, with the project of its order (no photos: see the attachments).
    async fn get_receipt(&self, id: Uuid) -> AppResult<Option<(GoodsReceipt, Uuid)>>;
    /// The receipts of an order, newest first (no photos).
    async fn list_receipts(&self, purchase_order_id: Uuid) -> AppResult<Vec<GoodsReceipt>>;
    /// Lines of sent or partially received orders past their required date (before
    /// `today`) and not fully received, by order number and position.
    async fn late_order_lines(&self, today: Date) -> AppResult<Vec<LateLine>>;
    /// Every sent order (not yet receiving), oldest first: what the demo receives against.
    async fn sent_orders(&self) -> AppResult<Vec<Uuid>>;
    /// The lines of a project's orders that commit money.
    async fn committed_lines(&self, project_id: Uuid) -> AppResult<Vec<CommittedLine>>;
}
