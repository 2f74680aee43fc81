//! Delivery notes: planned, dispatched against what the workshop packed, received on site.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::delivery::{
    DeliveryNote, DeliveryStatus, DeliverySummary, NewReceipt, NoteDetails, PackedItem,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// Delivery notes and their receipts (a ledger: receipts are only ever added).
#[async_trait]
pub trait DeliveryRepo: Send + Sync {
    /// A new planned note, numbered the project's next (the project's row locked on
    /// PostgreSQL; SQLite has one writer; the unique index on the number backs it). Refuses
    /// (422) a destination or an item not of the project. Returns the number.
    async fn insert_delivery_note(
        &self,
        project_id: Uuid,
        id: Uuid,
        details: &NoteDetails,
        created_by: Uuid,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<i64>;
    /// Rewrites a planned note (details and lines), compare-and-set on its version: 409
    /// `not_planned` once it is dispatched or cancelled.
    async fn update_delivery_note(
        &self,
        id: Uuid,
        details: &NoteDetails,
        at: OffsetDateTime,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Dispatches a planned note, in one transaction that locks the note's row and its
    /// items' rows (PostgreSQL `FOR UPDATE`, in id order): refuses (409 `not_packed`) a line
    /// beyond what is packed (the production ledger) and not dispatched on another note.
    async fn dispatch_delivery_note(
        &self,
        id: Uuid,
        by: Uuid,
        at: OffsetDateTime,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Cancels a planned note (409 `not_planned` after dispatch).
    async fn cancel_delivery_note(
        &self,
        id: Uuid,
        reason: Option<&str>,
        at: OffsetDateTime,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Adds a receipt, in one transaction that locks the note's row: refuses a note not
    /// dispatched (409 `not_receivable`), a line not of the note (422), and a line going past
    /// what was dispatched on it (409 `over_receipt`); adds to each line's `received_milli`
    /// and moves the note to partially received or received. Returns the new state.
    async fn record_delivery_receipt(
        &self,
        new: &NewReceipt,
        audit: &AuditEntry,
    ) -> AppResult<DeliveryStatus>;
    /// One note with its lines and receipts (no photos).
    async fn get_delivery_note(&self, id: Uuid) -> AppResult<Option<DeliveryNote>>;
    /// The note a receipt belongs to.
    async fn delivery_note_of_receipt(&self, receipt_id: Uuid) -> AppResult<Option<Uuid>>;
    /// A project's notes, newest number first, in one state or all.
    async fn list_delivery_notes(
        &self,
        project_id: Uuid,
        status: Option<DeliveryStatus>,
    ) -> AppResult<Vec<DeliverySummary>>;
    /// The project's items that were packed, with what is packed, dispatched and free, by code.
    async fn packed_items(&self, project_id: Uuid) -> AppResult<Vec<PackedItem>>;
}
