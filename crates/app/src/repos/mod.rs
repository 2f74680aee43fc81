//! The storage boundary: one repository trait per aggregate, each implemented by
//! `formula-store` for SQLite and PostgreSQL. [`Store`] is all of them together, which is
//! what the use cases hold.
//!
//! Every mutating method writes its change and the given audit entry in one transaction;
//! updates are compare-and-set on `version` and return `AppError::Stale` when the stored
//! version moved on. A new storage method is declared here, in its aggregate's trait, and
//! written (with its SQL) in the store module of the same name; nothing else lists it.

mod accounts;
mod activity;
mod calendar;
mod collaboration;
mod commercial;
mod company;
mod deliveries;
mod goods_receipts;
mod idempotency;
mod installations;
mod locations;
mod millwork;
mod notifications;
mod oversight;
mod places;
mod projects;
mod purchase_orders;
mod purchasing_settings;
mod rfis;
mod room_matrix;
mod schedule;
mod search;
mod snags;
mod suppliers;
mod task_features;
mod variations;
mod workflow;
mod workshop;

use async_trait::async_trait;

pub use accounts::{
    ApiToken, CredentialRepo, CredentialState, Invitation, InvitationView, OutboxMail,
    SessionRecord, UserRepo,
};
pub use activity::{
    ActivityRepo, Audience, FeedCursor, FeedEntry, FeedOf, FeedQuery, FeedRow, WaitingFor,
    WaitingRow,
};
pub use calendar::{CalendarFeed, CalendarFeedRepo};
pub use collaboration::{CommentRepo, Person, RecordKey, Reference};
pub use commercial::{CommercialRepo, PortfolioRow};
pub use company::CompanyRepo;
pub use deliveries::DeliveryRepo;
pub use goods_receipts::{CommittedLine, GoodsReceiptRepo, LateLine, Received};
pub use idempotency::{Claim, IdempotencyRepo, KeyUse};
pub use installations::{InstallationQuery, InstallationRepo, InstalledSum, Moved, RoomItemRow};
pub use locations::LocationRepo;
pub use millwork::{
    AttachmentRepo, DirectoryAdditions, DrawingRepo, ReadinessRepo, ReviewSettings, ScopeRepo,
    SpecOrderLine, SpecRepo,
};
pub use notifications::{DigestRecipient, DueTask, InboxQuery, NewNotification, NotificationRepo};
pub use oversight::{AuditRepo, DashboardCounts, DashboardRepo};
pub use places::{PlaceRepo, PlacesOf};
pub use projects::{ClientRepo, OpenWork, ProjectAccessRow, ProjectRepo, TaskRepo};
pub use purchase_orders::{
    NewPoRow, PoFilter, PoHeader, PoLineRow, PoMove, PoSending, PoSupplier, PurchaseOrderRepo,
    SpecForPo,
};
pub use purchasing_settings::PurchasingSettingsRepo;
pub use rfis::{
    NewRfiRow, OverdueRfi, RfiAnswerRow, RfiDetails, RfiFilter, RfiLinkIds, RfiMoveRow, RfiRepo,
};
pub use room_matrix::{
    FlowRow, MatrixCellRow, MatrixData, MatrixFilter, MatrixItemRow, MatrixRoomRow, RoomMatrixRepo,
};
pub use schedule::{ChainMove, ChainTask, ChainWrite, DateChange, ReviewDates, ScheduleRepo};
pub use search::{CommentedRecord, SearchHit, SearchRepo};
pub use snags::{DueSnag, NewSnagRow, SnagDetails, SnagFilter, SnagMove, SnagRepo};
pub use suppliers::{DeliveryRow, SupplierFilter, SupplierOrderRow, SupplierRepo, SupplierSpecRow};
pub use task_features::{BulkTask, TaskFeatureRepo};
pub use variations::{
    Approval, ItemChange, ItemVariation, NewVariationRow, RfiBrief, VariationFilter, VariationRepo,
};

pub use workflow::WorkflowRepo;
pub use workshop::{ReworkCount, WorkshopRepo};

use crate::error::AppResult;
pub use crate::jobs::{Housekeeping, JobQueue};

/// How busy the database connection pools are, for metrics and the admin status page.
/// All zero when the store cannot tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PoolStatus {
    /// Open connections (in use + idle).
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// Most connections the pools may open.
    pub max: u32,
}

/// The database itself: which one, whether it answers, how busy its pools are.
#[async_trait]
pub trait Database: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// A trivial round trip, for readiness checks.
    async fn ping(&self) -> AppResult<()>;
    /// How long it takes right now to get a connection from the pool (the longest over the
    /// pools, SQLite's writer included); the connection is given back at once. A sample of
    /// the wait requests see, taken when metrics are scraped.
    async fn pool_acquire_wait(&self) -> AppResult<std::time::Duration>;
    /// Connection pool usage, read without I/O.
    fn pool_status(&self) -> PoolStatus {
        PoolStatus::default()
    }
}

/// Persistence: every repository, as the use cases hold it (`Arc<dyn Store>`).
pub trait Store:
    Database
    + UserRepo
    + CredentialRepo
    + ClientRepo
    + ProjectRepo
    + TaskRepo
    + ScopeRepo
    + ReadinessRepo
    + DrawingRepo
    + SpecRepo
    + AttachmentRepo
    + CommentRepo
    + NotificationRepo
    + ActivityRepo
    + DashboardRepo
    + AuditRepo
    + JobQueue
    + Housekeeping
    + SearchRepo
    + IdempotencyRepo
    + CompanyRepo
    + LocationRepo
    + PlaceRepo
    + InstallationRepo
    + RoomMatrixRepo
    + SnagRepo
    + CommercialRepo
    + VariationRepo
    + RfiRepo
    + PurchaseOrderRepo
    + GoodsReceiptRepo
    + DeliveryRepo
    + PurchasingSettingsRepo
    + SupplierRepo
    + WorkshopRepo
    + CalendarFeedRepo
    + ScheduleRepo
    + TaskFeatureRepo
    + WorkflowRepo
    + 'static
{
}

impl<T> Store for T where
    T: Database
        + UserRepo
        + CredentialRepo
        + ClientRepo
        + ProjectRepo
        + TaskRepo
        + ScopeRepo
        + ReadinessRepo
        + DrawingRepo
        + SpecRepo
        + AttachmentRepo
        + CommentRepo
        + NotificationRepo
        + ActivityRepo
        + DashboardRepo
        + AuditRepo
        + JobQueue
        + Housekeeping
        + SearchRepo
        + IdempotencyRepo
        + CompanyRepo
        + LocationRepo
        + PlaceRepo
        + InstallationRepo
        + RoomMatrixRepo
        + SnagRepo
        + CommercialRepo
        + VariationRepo
        + RfiRepo
        + PurchaseOrderRepo
        + GoodsReceiptRepo
        + DeliveryRepo
        + PurchasingSettingsRepo
        + SupplierRepo
        + WorkshopRepo
        + CalendarFeedRepo
        + ScheduleRepo
        + TaskFeatureRepo
        + WorkflowRepo
        + 'static
{
}

/// Every repository trait, imported anonymously: `use formula_app::repos::prelude::*;`
/// makes their methods callable on a concrete store (on `dyn Store` they already are).
pub mod prelude {
    pub use super::CalendarFeedRepo as _;
    pub use super::CommercialRepo as _;
    pub use super::CompanyRepo as _;
    pub use super::DeliveryRepo as _;
    pub use super::GoodsReceiptRepo as _;
    pub use super::IdempotencyRepo as _;
    pub use super::InstallationRepo as _;
    pub use super::LocationRepo as _;
    pub use super::PlaceRepo as _;
    pub use super::PurchaseOrderRepo as _;
    pub use super::PurchasingSettingsRepo as _;
    pub use super::RfiRepo as _;
    pub use super::RoomMatrixRepo as _;
    pub use super::ScheduleRepo as _;
    pub use super::SearchRepo as _;
    pub use super::SnagRepo as _;
    pub use super::SupplierRepo as _;
    pub use super::TaskFeatureRepo as _;
    pub use super::VariationRepo as _;
    pub use super::WorkflowRepo as _;
    pub use super::WorkshopRepo as _;
    pub use super::{
        ActivityRepo as _, AttachmentRepo as _, AuditRepo as _, ClientRepo as _, CommentRepo as _,
        CredentialRepo as _, DashboardRepo as _, Database as _, DrawingRepo as _,
        Housekeeping as _, JobQueue as _, NotificationRepo as _, ProjectRepo as _,
        ReadinessRepo as _, ScopeRepo as _, SpecRepo as _, TaskRepo as _, UserRepo as _,
    };
}
