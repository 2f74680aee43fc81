//! The workshop: the company's and each project's stages, the production ledger and QA
//! checks (docs/workshop.md).

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::scope::Quantity;
use formula_domain::workshop::{
    ItemPositions, NewMove, NewQaCheck, QaCheck, Stage, StageInput, StageTemplate, WorkshopMove,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// Rework counted for a project: QA failures and what they sent back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ReworkCount {
    /// Failed QA checks.
    pub failures: i64,
    /// The quantity they sent back.
    pub quantity: Quantity,
}

/// The workshop's storage. Ledger rows are only ever added.
#[async_trait]
pub trait WorkshopRepo: Send + Sync {
    /// The company's list in order (empty: the built-in defaults apply).
    async fn list_stage_templates(&self) -> AppResult<Vec<StageTemplate>>;
    /// Replaces the company's list (an empty list goes back to the defaults), with its
    /// audit entry. Projects keep their own copies.
    async fn replace_stage_templates(
        &self,
        stages: &[StageInput],
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// A project's stages (archived ones too), in order; empty until first touched.
    async fn list_project_stages(&self, project_id: Uuid) -> AppResult<Vec<Stage>>;
    /// Copies `template` into the project's list unless it has one already (idempotent,
    /// also when two requests do it at once), and returns the project's stages.
    async fn ensure_project_stages(
        &self,
        project_id: Uuid,
        template: &[StageInput],
        now: OffsetDateTime,
    ) -> AppResult<Vec<Stage>>;
    /// Replaces a project's list: stages are matched by key (renamed, reordered, their kind
    /// changed); a stage left out is deleted if the ledger never used it, archived if it
    /// did, and refused (409 `stage_holds_quantities`) while it holds quantities.
    async fn replace_project_stages(
        &self,
        project_id: Uuid,
        stages: &[StageInput],
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<Vec<Stage>>;
    /// Adds one ledger row (and the QA check that makes it, if any) with its audit entry,
    /// in one transaction that locks the scope item's row (PostgreSQL; SQLite has one
    /// writer), derives the item's balances from the ledger and refuses (409, with a
    /// sentence from `workshop::check_move`) a row that would take its source position
    /// below zero or leave the packed stage holding less than was dispatched. An undo
    /// (`reverses_id`) must reverse the whole of a forward move not undone yet.
    async fn record_workshop_move(
        &self,
        new: &NewMove,
        qa: Option<&NewQaCheck>,
        audit: &AuditEntry,
    ) -> AppResult<ItemPositions>;
    async fn get_workshop_move(&self, id: Uuid) -> AppResult<Option<WorkshopMove>>;
    /// An item's ledger rows, oldest first.
    async fn list_item_moves(&self, scope_item_id: Uuid) -> AppResult<Vec<WorkshopMove>>;
    /// An item's QA checks, oldest first (no photos: see the attachments).
    async fn list_item_qa_checks(&self, scope_item_id: Uuid) -> AppResult<Vec<QaCheck>>;
    async fn get_qa_check(&self, id: Uuid) -> AppResult<Option<QaCheck>>;
    /// An item's quantities per position (`None`: no such item).
    async fn item_positions(&self, scope_item_id: Uuid) -> AppResult<Option<ItemPositions>>;
    /// The quantities per position of every released item of a project, in code order.
    async fn project_positions(&self, project_id: Uuid) -> AppResult<Vec<ItemPositions>>;
    /// Projects with a released item to be installed before `before` (the candidates for
    /// items late in the workshop: the reminder checks each item of them).
    async fn projects_installing_before(&self, before: time::Date) -> AppResult<Vec<Uuid>>;
    /// What is at the item's packed stage (0 before anything is packed).
    async fn packed_quantity(&self, scope_item_id: Uuid) -> AppResult<Quantity>;
    /// Rework counted: of one item, or (`scope_item_id` `None`) of a project, from `since`
    /// on when given.
    async fn rework_count(
        &self,
        project_id: Uuid,
        scope_item_id: Option<Uuid>,
        since: Option<OffsetDateTime>,
    ) -> AppResult<ReworkCount>;
}
