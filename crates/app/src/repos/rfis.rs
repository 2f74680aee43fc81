//! RFIs (requests for information) and their links.

use async_trait::async_trait;

use formula_domain::audit::AuditEntry;
use formula_domain::rfi::{Rfi, RfiLinks, RfiStatus};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::AppResult;
use crate::jobs::NewJob;
use crate::query::Paging;

/// Which of a project's RFIs a list or an export shows (all filters ANDed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RfiFilter {
    pub status: Option<RfiStatus>,
    /// Only those open with a required-by date before this day.
    pub overdue_on: Option<Date>,
    /// Only those addressed to this user.
    pub addressed_to: Option<Uuid>,
    /// Only those whose ball is in this user's court: open and addressed to them, or
    /// answered and raised by them.
    pub ball_with: Option<Uuid>,
    /// Words in the subject or question.
    pub q: Option<String>,
    /// The caller is this client user: only RFIs addressed to them or shared with the
    /// client, whatever the other filters say (applied in SQL).
    pub client_user: Option<Uuid>,
}

/// The ids an RFI links to. The store refuses (a field error) any that is not the RFI
/// project's drawing, scope item or room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RfiLinkIds {
    pub drawing_ids: Vec<Uuid>,
    pub scope_item_ids: Vec<Uuid>,
    pub room_ids: Vec<Uuid>,
}

/// An RFI's stored fields as written when it is raised (the store numbers it).
#[derive(Debug, Clone)]
pub struct NewRfiRow {
    pub id: Uuid,
    pub project_id: Uuid,
    pub subject: String,
    pub question: String,
    pub raised_by: Uuid,
    pub raised_at: OffsetDateTime,
    pub addressed_to_user_id: Option<Uuid>,
    pub addressed_to_email: Option<String>,
    pub addressed_to_name: Option<String>,
    pub required_by: Option<Date>,
    pub client_visible: bool,
}

/// The fields an edit changes.
#[derive(Debug, Clone)]
pub struct RfiDetails {
    pub subject: String,
    pub question: String,
    pub addressed_to_user_id: Option<Uuid>,
    pub addressed_to_email: Option<String>,
    pub addressed_to_name: Option<String>,
    pub required_by: Option<Date>,
    pub client_visible: bool,
}

/// An answer as recorded.
#[derive(Debug, Clone)]
pub struct RfiAnswerRow {
    pub answer: String,
    /// The user who answered (or who recorded an outside addressee's answer).
    pub answered_by: Uuid,
    /// For an outside addressee's answer: their name or address.
    pub answered_by_name: Option<String>,
    pub at: OffsetDateTime,
    pub cost_impact: bool,
    pub time_impact: bool,
}

/// A close or a reopen: the states it starts from, the state it leads to, who and when.
#[derive(Debug, Clone)]
pub struct RfiMoveRow {
    pub from: &'static [RfiStatus],
    pub to: RfiStatus,
    pub by: Uuid,
    pub at: OffsetDateTime,
}

/// An open RFI past its required-by date, for the daily reminder.
#[derive(Debug, Clone)]
pub struct OverdueRfi {
    pub rfi: Rfi,
    pub client_id: Uuid,
}

#[async_trait]
pub trait RfiRepo: Send + Sync {
    /// The project's RFIs matching `filter`, newest number first; a page of them, or all
    /// with `None`. Also the total.
    async fn list_rfis(
        &self,
        project_id: Uuid,
        filter: &RfiFilter,
        overdue_as_of: Date,
        paging: Option<Paging>,
    ) -> AppResult<(Vec<Rfi>, i64)>;
    async fn get_rfi(&self, id: Uuid, overdue_as_of: Date) -> AppResult<Option<Rfi>>;
    /// What the RFI links to, by code.
    async fn rfi_links(&self, id: Uuid) -> AppResult<RfiLinks>;
    /// Raises an RFI with its links: numbers it (the project's next, the project's row
    /// locked on PostgreSQL; its audit entry is labelled with it). Returns the number.
    async fn insert_rfi(
        &self,
        row: &NewRfiRow,
        links: &RfiLinkIds,
        audit: &AuditEntry,
    ) -> AppResult<i64>;
    /// Saves an edit compare-and-set.
    async fn update_rfi(
        &self,
        id: Uuid,
        details: &RfiDetails,
        at: OffsetDateTime,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Replaces the links compare-and-set (the version moves).
    async fn set_rfi_links(
        &self,
        id: Uuid,
        project_id: Uuid,
        links: &RfiLinkIds,
        at: OffsetDateTime,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Records the answer compare-and-set, only while open: answered.
    async fn answer_rfi(
        &self,
        id: Uuid,
        answer: &RfiAnswerRow,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Closes (stamping who and when) or reopens (clearing them; the answer stays, to be
    /// answered again) compare-and-set, only from one of `from`.
    async fn move_rfi(
        &self,
        id: Uuid,
        change: &RfiMoveRow,
        expected_version: i64,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Stamps `sent_at` and enqueues the mail that sends it, with the audit entry, in one
    /// transaction.
    async fn mark_rfi_sent(
        &self,
        id: Uuid,
        at: OffsetDateTime,
        mail: &NewJob,
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Open RFIs required before `before`, on projects still running.
    async fn rfis_overdue(&self, before: Date) -> AppResult<Vec<OverdueRfi>>;
}
