//! The room matrix's read model and the per-project progress weights.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::room_matrix::ProgressWeights;
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
    /// Rooms in building → level → room order.
    pub rooms: Vec<MatrixRoomRow>,
    /// Items in Scope-tab order.
    pub items: Vec<MatrixItemRow>,
    /// Only the (room, item) pairs with installations or snags.
    pub cells: Vec<MatrixCellRow>,
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
    async fn save_progress_weights(
        &self,
        project_id: Uuid,
        weights: &ProgressWeights,
        audit: &AuditEntry,
    ) -> AppResult<()>;
}
