//! Installation by room: the ledger of movements and what is derived from it.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::installation::{Installation, NewInstallation};
use formula_domain::scope::Quantity;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;
use crate::query::{Page, Paging};

/// Which installation records to list (all of one project, narrowed by the filters).
#[derive(Debug, Clone, Default)]
pub struct InstallationQuery {
    pub project_id: Uuid,
    pub room_id: Option<Uuid>,
    pub scope_item_id: Option<Uuid>,
    /// Records in rooms of this building.
    pub building_id: Option<Uuid>,
    /// Records in rooms of this level.
    pub level_id: Option<Uuid>,
    pub paging: Paging,
}

/// One item expected in a room, with what is installed of it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomItemRow {
    pub scope_item_id: Uuid,
    pub code: String,
    pub name: String,
    pub unit: String,
    /// Placed in the room itself (else on the room's type).
    pub room_id: Option<Uuid>,
    pub room_type_id: Option<Uuid>,
    pub quantity: Quantity,
    pub quantity_per_room: Option<Quantity>,
    pub released_at: Option<OffsetDateTime>,
    /// The sum of the item's records in the room.
    pub installed: Quantity,
    /// Received on site, over the item's delivery notes.
    pub received: Quantity,
    /// Installed of the item over every room.
    pub installed_total: Quantity,
}

/// What is installed of one item in one room (a sum over the ledger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct InstalledSum {
    pub scope_item_id: Uuid,
    pub room_id: Uuid,
    pub installed: Quantity,
}

/// What a movement left behind: the balance of its item in its room, and what the room may
/// hold of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub installed: Quantity,
    pub limit: Quantity,
}

/// The installation ledger. Rows are only ever added.
#[async_trait]
pub trait InstallationRepo: Send + Sync {
    /// Adds one movement with its audit entry, in one transaction that locks the scope item's
    /// row (PostgreSQL; SQLite has one writer), sums what is installed of it in the room, and
    /// refuses (409, with a sentence from `installation::check_movement`) a movement that
    /// would take the balance below zero or past what may be installed there. A reversal
    /// (`reverses_id`) must undo the whole of an installation of the same item and room not
    /// reversed yet (409 `already_reversed` otherwise).
    async fn record_movement(&self, new: &NewInstallation, audit: &AuditEntry) -> AppResult<Moved>;
    /// One record, with the record that reversed it (no photo: see the attachments).
    async fn get_installation(&self, id: Uuid) -> AppResult<Option<Installation>>;
    /// Records of a project, newest first.
    async fn list_installations(&self, query: &InstallationQuery) -> AppResult<Page<Installation>>;
    /// Every item expected in the room (placed in it, or on its room type), in code order,
    /// with what is installed of each there.
    async fn room_items(&self, room_id: Uuid) -> AppResult<Vec<RoomItemRow>>;
    /// What is installed of each item in each room of a project (pairs with nothing
    /// installed are left out), for progress and the room matrix.
    async fn installed_in_project(&self, project_id: Uuid) -> AppResult<Vec<InstalledSum>>;
    /// How many snags in the room are open or fixed (not yet verified): each blocks sign-off.
    async fn open_snags_in_room(&self, room_id: Uuid) -> AppResult<i64>;
}
