//! Snags (punch items) and room sign-offs.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::snag::{Blockers, SignOff, Snag, SnagCategory, SnagStatus};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::AppResult;
use crate::query::Paging;

/// Which of a project's snags a list or an export shows (all filters ANDed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnagFilter {
    pub status: Option<SnagStatus>,
    pub room_id: Option<Uuid>,
    pub level_id: Option<Uuid>,
    pub building_id: Option<Uuid>,
    pub responsible_user_id: Option<Uuid>,
    /// A trade, matched whole and case-insensitively.
    pub responsible_trade: Option<String>,
    /// Only those open or fixed with a due date before this day.
    pub overdue_on: Option<Date>,
    pub client_visible: Option<bool>,
    /// Words in the title or description.
    pub q: Option<String>,
    /// The caller is a client user: only snags marked visible to the client, whatever the
    /// other filters say (applied in SQL).
    pub client_only: bool,
}

/// A snag's stored fields as written when it is raised (the store numbers it).
#[derive(Debug, Clone)]
pub struct NewSnagRow {
    pub id: Uuid,
    pub project_id: Uuid,
    pub room_id: Uuid,
    pub scope_item_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub category: SnagCategory,
    pub responsible_user_id: Option<Uuid>,
    pub responsible_trade: Option<String>,
    pub due_on: Option<Date>,
    pub client_visible: bool,
    pub raised_by: Uuid,
    pub raised_at: OffsetDateTime,
}

/// The fields an edit changes.
#[derive(Debug, Clone)]
pub struct SnagDetails {
    pub scope_item_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub category: SnagCategory,
    pub responsible_user_id: Option<Uuid>,
    pub responsible_trade: Option<String>,
    pub due_on: Option<Date>,
    pub client_visible: bool,
}

/// A move to another state: who and when are stamped in the columns of the new state
/// (fixed, verified, closed); a rejection keeps its reason; reopening clears them all.
#[derive(Debug, Clone)]
pub struct SnagMove {
    pub to: SnagStatus,
    pub by: Uuid,
    pub at: OffsetDateTime,
    pub rejected_reason: Option<String>,
}

/// A snag whose due date calls for a reminder.
#[derive(Debug, Clone)]
pub struct DueSnag {
    pub snag: Snag,
    pub client_id: Uuid,
}

#[async_trait]
pub trait SnagRepo: Send + Sync {
    /// The project's snags matching `filter`, grouped by level and room (in their order)
    /// then by number; a page of them, or all with `None`. Also the total.
    async fn list_snags(
        &self,
        project_id: Uuid,
        filter: &SnagFilter,
        overdue_as_of: Date,
        paging: Option<Paging>,
    ) -> AppResult<(Vec<Snag>, i64)>;
    async fn get_snag(&self, id: Uuid, overdue_as_of: Date) -> AppResult<Option<Snag>>;
    /// Raises a snag: numbers it (the project's next number; its audit entry is labelled
    /// with it), and, when the room is signed off, reopens the sign-off in the same
    /// transaction (with `reopen_audit`, labelled likewise). Returns the number and whether
    /// a sign-off was reopened.
    async fn insert_snag(
        &self,
        row: &NewSnagRow,
        audit: &AuditEntry,
        reopen_audit: &AuditEntry,
    ) -> AppResult<(i64, bool)>;
    /// Saves an edit compare-and-set.
    async fn update_snag(
        &self,
        id: Uuid,
        details: &SnagDetails,
        at: OffsetDateTime,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Moves a snag compare-and-set, only from one of `from` (else a stale error naming
    /// the current version).
    async fn move_snag(
        &self,
        id: Uuid,
        change: &SnagMove,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Open or fixed snags due on one of `days`, or before `overdue_before`, on projects
    /// still running.
    async fn snags_due(&self, days: &[Date], overdue_before: Date) -> AppResult<Vec<DueSnag>>;
    /// The room's current sign-off, if it has one.
    async fn current_signoff(&self, room_id: Uuid) -> AppResult<Option<SignOff>>;
    /// What keeps the room from being signed off now.
    async fn signoff_blockers(&self, room_id: Uuid) -> AppResult<Blockers>;
    /// Signs the room off: in one transaction (the room's row locked on PostgreSQL) checks
    /// that nothing blocks it (else `not_ready`, saying what) and that it is not signed off
    /// already (`already_signed_off`), then writes the sign-off and its audit entry.
    async fn sign_off_room(
        &self,
        signoff: &SignOff,
        project_id: Uuid,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Withdraws the room's current sign-off (it is kept, marked reopened with no snag);
    /// `not_found` when there is none.
    async fn withdraw_signoff(
        &self,
        room_id: Uuid,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<()>;
}
