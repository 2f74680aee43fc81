//! Variations (change orders): their lines, decisions, and the approval that changes the
//! scope and the contract value in one transaction.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::scope::{Quantity, ScopeItem};
use formula_domain::variation::{
    LineKind, Variation, VariationLine, VariationReason, VariationReview, VariationStatus,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;
use crate::query::Paging;

/// Which of a project's variations a list or an export shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariationFilter {
    pub status: Option<VariationStatus>,
    /// The caller is a client user: only what was submitted to them and what the client
    /// requested (applied in SQL).
    pub client_only: bool,
}

/// A variation's stored fields as written when it is raised (the store numbers it).
#[derive(Debug, Clone)]
pub struct NewVariationRow {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub reason: VariationReason,
    pub rfi_id: Option<Uuid>,
    pub requested_by_client: bool,
    pub time_impact_days: Option<i32>,
    pub currency: String,
    pub raised_by: Uuid,
    pub raised_at: OffsetDateTime,
}

/// What an approved omit or change line does to an existing item: it must still be as it
/// was priced (`quantity_before`, `unit_price_before`), else the approval is refused.
#[derive(Debug, Clone)]
pub struct ItemChange {
    pub scope_item_id: Uuid,
    pub code: String,
    pub kind: LineKind,
    pub quantity_before: Quantity,
    pub unit_price_before: Option<i64>,
    pub quantity: Quantity,
    pub unit_price: Option<i64>,
    pub total: Option<i64>,
}

/// What an approval applies, besides the decision: the items its add lines create (with
/// the line each comes from), the items it omits or changes, and their audit entries.
#[derive(Debug, Clone, Default)]
pub struct Approval {
    /// `VO-003`, for the refusal messages.
    pub variation_code: String,
    pub new_items: Vec<(Uuid, ScopeItem)>,
    /// The new items' codes chosen by the system (the group's next free ones), not typed on
    /// the line: when one is taken meanwhile the store answers `code_taken`, and the use case
    /// chooses again.
    pub generated_codes: Vec<String>,
    pub changes: Vec<ItemChange>,
    /// Entries for the scope items and the project.
    pub audit: Vec<AuditEntry>,
}

/// What a variation needs to know of an RFI it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfiBrief {
    pub id: Uuid,
    pub project_id: Uuid,
    pub number: i64,
    pub subject: String,
    pub answer: Option<String>,
}

/// A variation that added or changed a scope item, as the item's page lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ItemVariation {
    pub variation_id: Uuid,
    /// `VO-003`.
    pub code: String,
    pub title: String,
    pub status: VariationStatus,
    pub withdrawn: bool,
    pub kind: LineKind,
}

#[async_trait]
pub trait VariationRepo: Send + Sync {
    /// A project's variations in number order (newest first), a page or all.
    async fn list_variations(
        &self,
        project_id: Uuid,
        filter: &VariationFilter,
        paging: Option<Paging>,
    ) -> AppResult<(Vec<Variation>, i64)>;
    async fn get_variation(&self, id: Uuid) -> AppResult<Option<Variation>>;
    /// Its lines in position order.
    async fn variation_lines(&self, id: Uuid) -> AppResult<Vec<VariationLine>>;
    /// Its decisions, oldest first.
    async fn variation_reviews(&self, id: Uuid) -> AppResult<Vec<VariationReview>>;
    /// Inserts a draft with the project's next number (taken in the transaction, the
    /// project's row locked on PostgreSQL); returns the number.
    async fn insert_variation(&self, row: &NewVariationRow, audit: &AuditEntry) -> AppResult<i64>;
    /// Saves the header (title, description, reason, time impact, withdrawal),
    /// compare-and-set, only while not decided nor withdrawn.
    async fn update_variation(
        &self,
        v: &Variation,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Variation>;
    /// Adds (new id) or replaces a line of a draft, keeping the total in the same
    /// transaction; compare-and-set on the variation's version.
    async fn save_variation_line(
        &self,
        line: &VariationLine,
        expected_version: i64,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<Variation>;
    /// Removes a line of a draft, keeping the total.
    async fn delete_variation_line(
        &self,
        variation_id: Uuid,
        line_id: Uuid,
        expected_version: i64,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<Variation>;
    /// Saves a review step compare-and-set with its decision; an approval also applies
    /// `approval` (the scope changes and the project's contract value moves by the total),
    /// all in one transaction, at most once.
    async fn save_variation_step(
        &self,
        v: &Variation,
        expected_version: i64,
        decided: Option<&VariationReview>,
        approval: Option<&Approval>,
        audit: &AuditEntry,
    ) -> AppResult<Variation>;
    /// The variations with a line on this item (added it, changed or omitted it).
    async fn item_variations(&self, scope_item_id: Uuid) -> AppResult<Vec<ItemVariation>>;
    /// Variations submitted and not withdrawn that wait for this person's decision: on their
    /// organisation's projects for a client user; on the projects whose team they are on when
    /// `decides` (their role decides variations).
    async fn variations_waiting(
        &self,
        who: &crate::repos::WaitingFor,
        decides: bool,
    ) -> AppResult<Vec<crate::repos::WaitingRow>>;
    /// The RFI a variation may come from.
    async fn rfi_brief(&self, id: Uuid) -> AppResult<Option<RfiBrief>>;
}
