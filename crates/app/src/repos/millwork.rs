//! The millwork core: scope of work, readiness, shop drawings, material specifications
//! and attachments.

use async_trait::async_trait;

use formula_domain::attachment::{Attachment, ImageCopies, OwnerKind};
use formula_domain::audit::AuditEntry;
use formula_domain::drawing::{Drawing, Review, Revision};
use formula_domain::purchase_order::PoStatus;
use formula_domain::readiness::MaterialsRule;
pub use formula_domain::review::ReviewSettings;
use formula_domain::scope::Quantity;
use formula_domain::scope::{ScopeGroup, ScopeItem};
use formula_domain::spec::{Spec, SpecReview};
use formula_domain::supplier::{Supplier, SupplierContact};
use uuid::Uuid;

use crate::error::AppResult;
use crate::query::{Page, ScopeQuery};

/// The scope of work: groups and items.
#[async_trait]
pub trait ScopeRepo: Send + Sync {
    /// The project's scope groups in position order.
    async fn list_scope_groups(&self, project_id: Uuid) -> AppResult<Vec<ScopeGroup>>;
    async fn get_scope_group(&self, id: Uuid) -> AppResult<Option<ScopeGroup>>;
    /// Inserts the groups, skipping any whose project already has a group of that name or
    /// letter; returns how many were inserted. Each inserted group's audit entry is written
    /// with it (entries are matched by `entity_id`).
    async fn insert_scope_groups(
        &self,
        groups: &[ScopeGroup],
        audit: &[AuditEntry],
    ) -> AppResult<u64>;
    async fn update_scope_group(
        &self,
        group: &ScopeGroup,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<ScopeGroup>;
    /// Deletes an empty group; `has_dependents` while it still holds items.
    async fn delete_scope_group(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Gives the project's groups positions 0, 1, … in the order of `order` (all its groups).
    async fn reorder_scope_groups(
        &self,
        project_id: Uuid,
        order: &[Uuid],
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn list_scope_items(&self, query: &ScopeQuery) -> AppResult<Page<ScopeItem>>;
    async fn get_scope_item(&self, id: Uuid) -> AppResult<Option<ScopeItem>>;
    /// Every item code of the project.
    async fn scope_item_codes(&self, project_id: Uuid) -> AppResult<Vec<String>>;
    /// In one transaction: inserts `groups`, inserts `new` items (each appended at the end
    /// of its group), saves `changed` items compare-and-set on their expected version (a
    /// stale one fails the whole call), and writes the audit entries.
    async fn save_scope(
        &self,
        groups: &[ScopeGroup],
        new: &[ScopeItem],
        changed: &[(ScopeItem, i64)],
        audit: &[AuditEntry],
    ) -> AppResult<()>;
    async fn delete_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Moves an item to `index` (0-based, clamped) in `group_id` and renumbers that group.
    async fn move_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        group_id: Uuid,
        index: u32,
        audit: &AuditEntry,
    ) -> AppResult<ScopeItem>;
}

/// A project's readiness rules and review settings, and releases to production.
#[async_trait]
pub trait ReadinessRepo: Send + Sync {
    /// The project's materials rule: how far linked materials must have come before an
    /// item is ready (ordered unless set otherwise).
    async fn materials_rule(&self, project_id: Uuid) -> AppResult<MaterialsRule>;
    async fn set_materials_rule(
        &self,
        project_id: Uuid,
        rule: MaterialsRule,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    async fn review_settings(&self, project_id: Uuid) -> AppResult<ReviewSettings>;
    async fn save_review_settings(
        &self,
        project_id: Uuid,
        settings: &ReviewSettings,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Marks an item released to production (once), compare-and-set.
    async fn release_scope_item(
        &self,
        id: Uuid,
        expected_version: i64,
        note: Option<&str>,
        audit: &AuditEntry,
    ) -> AppResult<ScopeItem>;
}

/// Shop drawings, their revisions and review decisions.
#[async_trait]
pub trait DrawingRepo: Send + Sync {
    /// A project's drawings in number order, each with its latest revision, its latest
    /// revision past draft, its latest approved revision and its scope items.
    async fn list_drawings(&self, project_id: Uuid) -> AppResult<Vec<Drawing>>;
    async fn get_drawing(&self, id: Uuid) -> AppResult<Option<Drawing>>;
    /// Inserts the drawing with its scope-item links; `duplicate` on `number`.
    async fn insert_drawing(&self, drawing: &Drawing, audit: &AuditEntry) -> AppResult<()>;
    /// Saves the drawing's fields and replaces its scope-item links, compare-and-set.
    async fn update_drawing(
        &self,
        drawing: &Drawing,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<Drawing>;
    /// A drawing's revisions, newest first.
    async fn list_revisions(&self, drawing_id: Uuid) -> AppResult<Vec<Revision>>;
    async fn get_revision(&self, id: Uuid) -> AppResult<Option<Revision>>;
    /// Records an uploaded revision; a `revision_race` conflict when another upload took its number.
    async fn insert_revision(&self, revision: &Revision, audit: &AuditEntry) -> AppResult<()>;
    /// Saves a revision's status and times compare-and-set, with the review that decided it.
    async fn set_revision_status(
        &self,
        revision: &Revision,
        expected_version: i64,
        review: Option<&Review>,
        audit: &AuditEntry,
    ) -> AppResult<Revision>;
    /// Review decisions on a drawing's revisions, newest first.
    async fn list_reviews(&self, drawing_id: Uuid) -> AppResult<Vec<Review>>;
}

/// Suppliers and contacts a specification import adds to the directory.
#[derive(Debug, Clone, Default)]
pub struct DirectoryAdditions {
    pub suppliers: Vec<Supplier>,
    /// Each added after the supplier's other contacts.
    pub contacts: Vec<SupplierContact>,
}

/// A purchase-order line that orders a specification, with its order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SpecOrderLine {
    pub purchase_order_id: Uuid,
    pub number: String,
    pub status: PoStatus,
    pub quantity: Quantity,
    pub received: Quantity,
    pub unit: String,
}

/// Material specifications and their approval decisions.
#[async_trait]
pub trait SpecRepo: Send + Sync {
    /// In one transaction: adds `directory`'s suppliers and contacts (before the
    /// specifications that name them), inserts `new` specifications and saves `changed` ones
    /// compare-and-set on their expected version (a stale one fails the whole call), with
    /// the audit entries.
    async fn save_specs(
        &self,
        directory: &DirectoryAdditions,
        new: &[Spec],
        changed: &[(Spec, i64)],
        audit: &[AuditEntry],
    ) -> AppResult<()>;
    /// The purchase-order lines ordering a specification, by order number.
    async fn spec_order_lines(&self, spec_id: Uuid) -> AppResult<Vec<SpecOrderLine>>;
    /// A project's specifications in code order, with their links.
    async fn list_specs(&self, project_id: Uuid) -> AppResult<Vec<Spec>>;
    async fn get_spec(&self, id: Uuid) -> AppResult<Option<Spec>>;
    /// Inserts a specification with its links; `duplicate` on `code`.
    async fn insert_spec(&self, spec: &Spec, audit: &AuditEntry) -> AppResult<()>;
    /// Saves every field and the links compare-and-set, with the decision that changed it, if any.
    async fn update_spec(
        &self,
        spec: &Spec,
        expected_version: i64,
        review: Option<&SpecReview>,
        audit: &AuditEntry,
    ) -> AppResult<Spec>;
    /// Approval decisions on a specification, newest first.
    async fn list_spec_reviews(&self, spec_id: Uuid) -> AppResult<Vec<SpecReview>>;
}

/// Files attached to projects, tasks, scope items, drawings and specifications.
#[async_trait]
pub trait AttachmentRepo: Send + Sync {
    /// What is attached to one thing, oldest first.
    async fn list_attachments(&self, kind: OwnerKind, owner_id: Uuid)
    -> AppResult<Vec<Attachment>>;
    /// What is attached to each of several things of one kind (the files of a discussion's
    /// comments), oldest first.
    async fn list_attachments_of(
        &self,
        kind: OwnerKind,
        owner_ids: &[Uuid],
    ) -> AppResult<Vec<Attachment>>;
    /// The attachment of this very file (same name and content) on this thing, if any: a
    /// retried upload finds the one it already made.
    async fn find_attachment(
        &self,
        kind: OwnerKind,
        owner_id: Uuid,
        file_name: &str,
        sha256: &str,
    ) -> AppResult<Option<Attachment>>;
    async fn get_attachment(&self, id: Uuid) -> AppResult<Option<Attachment>>;
    async fn insert_attachment(&self, attachment: &Attachment, audit: &AuditEntry)
    -> AppResult<()>;
    /// Deletes an attachment; `false` when it was already gone. Its file's key joins the
    /// deleted files (as does that of every revision or attachment deleted with its owner).
    async fn delete_attachment(&self, id: Uuid, audit: &AuditEntry) -> AppResult<bool>;
    /// Records the copies made late of an image attached before copies were made; `false`
    /// when it has copies already (another request made them at the same moment) or is gone.
    async fn set_attachment_copies(&self, id: Uuid, copies: &ImageCopies) -> AppResult<bool>;
    /// Up to `limit` keys of stored files whose records are gone.
    async fn deleted_files(&self, limit: u32) -> AppResult<Vec<String>>;
    /// Forgets keys whose files have been removed from storage.
    async fn forget_deleted_files(&self, keys: &[String]) -> AppResult<()>;
}
