//! The room matrix's read model and the per-project progress weights.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::room_matrix::ProgressWeights;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// Which rooms the matrix shows (all when every field is `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatrixFilter {
    pub building_id: Option<Uuid>,
    pub level_id: Option<Uuid>,
    pub room_type_id: Option<Uuid>,
}

/// A room of the matrix, with the building and level above it and whether it is signed off.
#[derive(Debug, Clone)]
pub struct MatrixRoomRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub room_type_id: Option<Uuid>,
    pub level_id: Option<Uuid>,
    pub level_code: Option<String>,
    pub level_name: Option<String>,
    pub building_code: Option<String>,
    pub signed_off: bool,
    /// Whether the filter shows it. The store returns every room of the project, because
    /// production and delivery cover an item's rooms in order whatever is in view.
    pub in_view: bool,
}

/// A scope item expected in rooms (placed in a room or on a room type), not cancelled.
/// `total_minor` is for weighting progress only and never leaves the app layer.
#[derive(Debug, Clone)]
pub struct MatrixItemRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub room_id: Option<Uuid>,
    pub room_type_id: Option<Uuid>,
    /// The item's whole quantity (for a room-type item: per room × rooms of the type).
    pub quantity_milli: i64,
    pub quantity_per_room_milli: Option<i64>,
    pub released: bool,
    /// The item's own progress figure, 0–100.
    pub progress: i32,
    pub total_minor: Option<i64>,
    /// Moved in the workshop, net of undos (out of "released, not started").
    pub started_milli: i64,
    /// Through the workshop's packed stage (dispatched quantities included).
    pub packed_milli: i64,
    /// Received on site.
    pub received_milli: i64,
}

/// What happened to one item in one room: the installed sum and the open (or fixed) snags.
#[derive(Debug, Clone, Copy)]
pub struct MatrixCellRow {
    pub room_id: Uuid,
    pub scope_item_id: Uuid,
    pub installed_milli: i64,
    pub open_snags: i64,
}

/// Everything the matrix is built from, read in three set-based statements.
#[derive(Debug, Clone, Default)]
pub struct MatrixData {
    /// Every room of the project in building → level → room order, `in_view` marking the
    /// ones the filter shows.
    pub rooms: Vec<MatrixRoomRow>,
    /// Items in Scope-tab order.
    pub items: Vec<MatrixItemRow>,
    /// Only the (room, item) pairs with installations or snags.
    pub cells: Vec<MatrixCellRow>,
}

/// One workshop movement that counts towards throughput: a forward move into the packed
/// stage, or a rework (a QA failure sending a quantity back); neither undone since.
#[derive(Debug, Clone, Copy)]
pub struct FlowRow {
    pub moved_at: OffsetDateTime,
    pub scope_item_id: Uuid,
    pub quantity_milli: i64,
    /// A rework move (else a forward move into the packed stage).
    pub rework: bool,
}

#[async_trait]
pub trait RoomMatrixRepo: Send + Sync {
    /// The rooms, items and cell facts of a project's matrix. `client_only` counts only
    /// snags visible to the client.
    async fn room_matrix(
        &self,
        project_id: Uuid,
        filter: MatrixFilter,
        client_only: bool,
    ) -> AppResult<MatrixData>;
    /// The project's progress weights (the defaults when never set).
    async fn progress_weights(&self, project_id: Uuid) -> AppResult<ProgressWeights>;
    /// The project's packing and rework moves since `since` that were not undone (the
    /// workshop's throughput per week).
    async fn workshop_flow(
        &self,
        project_id: Uuid,
        since: OffsetDateTime,
    ) -> AppResult<Vec<FlowRow>>;
    async fn save_progress_weights(
        &self,
        project_id: Uuid,
        weights: &ProgressWeights,
        audit: &AuditEntry,
    ) -> AppResult<()>;
}
