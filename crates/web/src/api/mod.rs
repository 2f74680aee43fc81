//! The JSON API under `/api/v1`, documented with OpenAPI 3.1 (utoipa).
//!
//! Conventions every handler follows:
//! - errors are RFC 9457 problem+json (`crate::error::ApiError`);
//! - lists answer `{items, total, page, limit}` (`UserPage`, `TaskPage`, …);
//! - mutable resources carry `ETag: "<version>"`; writes name the version they
//!   edit with `If-Match` or a `version` field (428 without; a stale one is 412
//!   through `If-Match`, 409 through the body);
//! - ids in paths are UUIDs (anything else is 400 `invalid_id`);
//! - `#[utoipa::path]`s list only their own responses: the shared problem
//!   responses are named from `problems` or derived there from the operation.

pub mod activity;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod chains;
pub mod clients;
pub mod comments;
pub mod commercial;
pub mod company;
pub mod contract;
pub mod deliveries;
pub mod docs;
pub mod drawings;
pub mod extract;
pub mod goods_receipts;
pub mod installations;
pub mod jobs;
pub mod labels;
pub mod locations;
pub mod notifications;
pub mod params;
pub mod places;
pub mod problems;
pub mod projects;
pub mod purchase_orders;
pub mod readiness;
pub mod rfis;
pub mod room_matrix;
pub mod schedule;
pub mod scope;
pub mod search;
pub mod snags;
pub mod specs;
pub mod suppliers;
pub mod system;
pub mod task_features;
pub mod tasks;
pub mod users;
pub mod variations;
pub mod workflow;
pub mod workshop;

use axum::http::{Method, StatusCode, Uri};
use axum::routing::get;
use formula_app::query::Page;
use serde::Serialize;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

/// The prefix of every versioned API path.
pub const PREFIX: &str = "/api/v1";

/// What API handlers return.
pub type ApiResult<T> = Result<T, ApiError>;

/// Declares the list response of one item type: `{items, total, page, limit}`.
/// Concrete types (rather than a generic `Paged<T>`) keep `items` a reference to
/// the item schema in the OpenAPI document.
macro_rules! paged {
    ($($name:ident => $item:ty),* $(,)?) => {$(
        #[doc = concat!("One page of `", stringify!($item), "` items. Unpaged lists answer everything as page 1.")]
        #[derive(Debug, Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Matching items across all pages.
            pub total: i64,
            /// 1-based page number.
            pub page: u64,
            /// Page size used.
            pub limit: u32,
        }

        impl From<Page<$item>> for $name {
            fn from(p: Page<$item>) -> Self {
                $name { items: p.items, total: p.total, page: p.page, limit: p.limit }
            }
        }

        impl From<Vec<$item>> for $name {
            /// A whole, unpaged list as page 1.
            fn from(items: Vec<$item>) -> Self {
                let n = items.len();
                $name { items, total: i64::try_from(n).unwrap_or(i64::MAX), page: 1, limit: u32::try_from(n).unwrap_or(u32::MAX) }
            }
        }
    )*};
}

paged!(
    UserPage => formula_domain::user::User,
    ClientPage => formula_domain::client::Client,
    ContactList => formula_domain::client::Contact,
    ProjectPage => projects::ProjectView,
    MemberList => formula_domain::project::Member,
    TaskPage => formula_domain::task::Task,
    ScopeItemPage => formula_domain::scope::ScopeItem,
    DrawingList => formula_domain::drawing::Drawing,
    TokenList => formula_app::ports::ApiToken,
    CalendarFeedList => formula_app::repos::CalendarFeed,
    AuditPage => formula_domain::audit::AuditEntry,
    OutboxList => formula_app::ports::OutboxMail,
    JobPage => formula_app::jobs::Job,
    NotificationPage => formula_domain::notification::Notification,
);

/// The complete OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn document() -> serde_json::Value {
    let (_, mut doc) = router().split_for_parts();
    docs::finish(&mut doc);
    docs::as_served(&doc)
}

/// A known path asked with a method it does not accept: 405 as a problem.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} does not accept {method}; see /api/docs", uri.path()),
    )
}

/// All API routes with their OpenAPI description. The HTML reference at
/// `/api/docs` is the only route here outside `/api/v1` and outside the document.
pub fn router() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::default()
        // Account and session.
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::request_password_reset))
        .routes(routes!(auth::confirm_password_reset))
        .routes(routes!(auth::list_tokens, auth::create_token))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(calendar::list_feeds, calendar::create_feed))
        .routes(routes!(calendar::regenerate_feed))
        .routes(routes!(calendar::revoke_feed))
        .routes(routes!(tasks::my_tasks))
        // People and clients.
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user, users::update_user))
        .routes(routes!(users::invite_user))
        .routes(routes!(users::reinvite_user))
        .routes(routes!(clients::list_clients, clients::create_client))
        .routes(routes!(
            clients::get_client,
            clients::update_client,
            clients::delete_client
        ))
        .routes(routes!(clients::list_contacts, clients::add_contact))
        .routes(routes!(clients::remove_contact))
        // Projects, teams and tasks.
        .routes(routes!(projects::list_projects, projects::create_project))
        .routes(routes!(projects::suggest_code))
        .routes(routes!(
            projects::get_project,
            projects::update_project,
            projects::delete_project
        ))
        .routes(routes!(projects::change_status))
        .routes(routes!(projects::reopen_project))
        .routes(routes!(projects::open_work))
        .routes(routes!(projects::list_members, projects::add_member))
        .routes(routes!(projects::remove_member))
        .routes(routes!(tasks::list_tasks, tasks::create_task))
        .routes(routes!(
            tasks::get_task,
            tasks::update_task,
            tasks::delete_task
        ))
        // Task features: checklists, labels, subtasks, bulk edits.
        .routes(routes!(
            task_features::list_checklist,
            task_features::add_checklist_item
        ))
        .routes(routes!(
            task_features::update_checklist_item,
            task_features::delete_checklist_item
        ))
        .routes(routes!(task_features::list_subtasks))
        .routes(routes!(task_features::set_task_labels))
        .routes(routes!(task_features::bulk_edit))
        .routes(routes!(
            task_features::list_labels,
            task_features::create_label
        ))
        .routes(routes!(
            task_features::update_label,
            task_features::delete_label
        ))
        // Scope of work.
        .routes(routes!(scope::get_scope))
        .routes(routes!(scope::list_items, scope::create_item))
        .routes(routes!(
            scope::get_item,
            scope::update_item,
            scope::delete_item
        ))
        .routes(routes!(scope::move_item))
        .routes(routes!(scope::create_group))
        .routes(routes!(scope::add_default_groups))
        .routes(routes!(scope::update_group, scope::delete_group))
        .routes(routes!(scope::move_group))
        .routes(routes!(scope::export))
        .routes(routes!(scope::export_pdf))
        .routes(routes!(scope::template))
        .routes(routes!(scope::import))
        // Locations and room types.
        .routes(routes!(
            locations::list_locations,
            locations::create_location
        ))
        .routes(routes!(
            locations::get_location,
            locations::update_location,
            locations::delete_location
        ))
        .routes(routes!(locations::preview_pattern))
        .routes(routes!(locations::create_pattern))
        .routes(routes!(locations::export_locations))
        .routes(routes!(locations::location_template))
        .routes(routes!(locations::import_locations))
        .routes(routes!(locations::create_room_type))
        .routes(routes!(
            locations::get_room_type,
            locations::update_room_type,
            locations::delete_room_type
        ))
        // Installation by room.
        .routes(routes!(goods_receipts::receiving))
        .routes(routes!(
            goods_receipts::list_receipts,
            goods_receipts::record_receipt
        ))
        .routes(routes!(goods_receipts::cost_control))
        .routes(routes!(installations::room_sheet))
        .routes(routes!(installations::record_installation))
        .routes(routes!(installations::get_installation))
        .routes(routes!(installations::reverse_installation))
        .routes(routes!(installations::list_installations))
        // The room matrix and site progress.
        .routes(routes!(commercial::project_summary))
        .routes(routes!(commercial::portfolio))
        .routes(routes!(room_matrix::room_matrix))
        .routes(routes!(room_matrix::site_progress))
        .routes(routes!(room_matrix::workshop_throughput))
        .routes(routes!(
            room_matrix::get_progress_weights,
            room_matrix::set_progress_weights
        ))
        // Snags and room sign-off.
        .merge(snags::routes())
        // Variations (change orders).
        .merge(variations::routes())
        // RFIs (requests for information).
        .merge(rfis::routes())
        // Purchase orders.
        .merge(purchase_orders::routes())
        // Item labels for the workshop.
        .routes(routes!(labels::labels_pdf))
        // Delivery notes: dispatch and receipt on site.
        .merge(deliveries::routes())
        // The supplier directory and the purchasing settings.
        .merge(suppliers::routes())
        // The workshop: stages, the board, moves and QA checks.
        .merge(workshop::routes())
        // The schedule: dependencies, reschedule, baselines, working calendars.
        .merge(schedule::routes())
        // The millwork chain: items' latest dates, at risk, applying the workflow template.
        .merge(chains::routes())
        // The company's workflow template (the millwork chain).
        .merge(workflow::routes())
        // Shop drawings.
        .routes(routes!(drawings::list_drawings, drawings::create_drawing))
        .routes(routes!(drawings::get_drawing, drawings::update_drawing))
        .routes(routes!(drawings::set_items))
        .routes(routes!(places::drawing_places, places::set_drawing_places))
        .routes(routes!(places::spec_places, places::set_spec_places))
        .routes(routes!(drawings::submit))
        .routes(routes!(drawings::review))
        .routes(routes!(drawings::download))
        .routes(routes!(
            drawings::get_review_settings,
            drawings::set_review_settings
        ))
        // Uploads stream to disk under their own limit (MAX_UPLOAD_SIZE), not the body limit.
        .merge(
            OpenApiRouter::default()
                .routes(routes!(drawings::upload_revision))
                .routes(routes!(
                    attachments::list_attachments,
                    attachments::create_attachment
                ))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .routes(routes!(
            attachments::get_attachment,
            attachments::delete_attachment
        ))
        .routes(routes!(attachments::download))
        .routes(routes!(attachments::display))
        .routes(routes!(attachments::thumbnail))
        // Discussion.
        .routes(routes!(comments::discussion, comments::create_comment))
        .routes(routes!(
            comments::get_comment,
            comments::update_comment,
            comments::delete_comment
        ))
        .routes(routes!(comments::history))
        .routes(routes!(comments::follow))
        .routes(routes!(comments::mentionable))
        // Notifications.
        .routes(routes!(notifications::list_notifications))
        .routes(routes!(notifications::unread))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(notifications::open_notification))
        .routes(routes!(
            notifications::get_settings,
            notifications::put_settings
        ))
        // Activity.
        .routes(routes!(activity::project_activity))
        .routes(routes!(activity::record_activity))
        .routes(routes!(activity::waiting))
        // Global search.
        .routes(routes!(search::search))
        // Material specifications.
        .routes(routes!(specs::list_specs, specs::create_spec))
        .routes(routes!(specs::get_spec, specs::update_spec))
        .routes(routes!(specs::submit_spec))
        .routes(routes!(specs::review_spec))
        .routes(routes!(specs::procure))
        .routes(routes!(specs::export_specs))
        .routes(routes!(specs::spec_template))
        .routes(routes!(specs::import_specs))
        // Production readiness.
        .routes(routes!(readiness::get_readiness))
        .routes(routes!(readiness::set_rule))
        .routes(routes!(readiness::release))
        // Oversight.
        .routes(routes!(projects::dashboard))
        .routes(routes!(audit::list_audit))
        .routes(routes!(audit::list_outbox))
        .routes(routes!(jobs::list_jobs))
        .routes(routes!(jobs::retry_job))
        .routes(routes!(system::system_status))
        .routes(routes!(crate::live::api_stream))
        // The company settings (the letterhead).
        .routes(routes!(company::get_company, company::put_company))
        .routes(routes!(
            company::get_logo,
            company::put_logo,
            company::delete_logo
        ))
        .routes(routes!(docs::openapi_json));
    OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .nest(PREFIX, v1)
        .route("/api/docs", get(docs::reference_page))
}
