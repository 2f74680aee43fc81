//! The server-rendered HTML UI (askama templates + htmx).
//!
//! Every page is a plain HTML document that works without JavaScript: links and
//! forms (GET filters, POST changes, then a redirect). htmx only enhances: list
//! filters swap the results in place, task rows save on change, the new-task form
//! posts inline. For htmx requests handlers answer with the fragment that changed.

mod activity;
mod admin;
mod attachments;
mod auth;
mod calendar;
mod chains;
mod clients;
mod comments;
mod commercial;
mod company;
mod dashboard;
mod deliveries;
mod drawings;
pub(crate) mod errors;
pub(crate) mod format;
mod forms;
mod gantt;
mod goods_receipts;
mod inbox;
mod installations;
mod jobs;
mod labels;
pub(crate) mod layout;
mod lists;
mod locations;
mod my_work;
mod one_time;
mod place_filter;
mod places;
mod profile;
mod projects;
pub(crate) mod purchase_orders;
mod readiness;
mod receiving;
mod review;
mod rfis;
mod room_matrix;
mod schedule;
mod scope;
mod scope_import;
mod search;
mod snags;
mod specs;
mod suppliers;
mod system;
mod task_features;
mod tasks;
mod team;
mod users;
pub(crate) mod variations;
mod workflow;
mod workshop;
mod workshop_stages;

use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use formula_app::AppError;

use crate::error::PageError;
use crate::limits::IMPORT_BODY_BYTES;
use crate::state::AppState;

/// All UI routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/setup", get(auth::setup_page).post(auth::setup_submit))
        .route(
            "/forgot-password",
            get(auth::forgot_page).post(auth::forgot_submit),
        )
        .route(
            "/reset-password/{token}",
            get(auth::reset_page).post(auth::reset_submit),
        )
        .route("/", get(dashboard::show))
        .route("/my-work", get(my_work::show))
        .route("/my-work/calendar", get(calendar::mine))
        .route("/projects/{id}/calendar", get(calendar::project))
        .route("/ical/{file}", get(calendar::feed))
        .route("/clients", get(clients::list))
        .route("/clients/new", get(clients::new_page).post(clients::create))
        .route("/clients/{id}", get(clients::show))
        .route(
            "/clients/{id}/edit",
            get(clients::edit_page).post(clients::update),
        )
        .route("/clients/{id}/delete", post(clients::delete))
        .route("/clients/{id}/contacts", post(clients::add_contact))
        .route(
            "/clients/{id}/contacts/{contact_id}/delete",
            post(clients::remove_contact),
        )
        .route("/projects", get(projects::list))
        .route(
            "/projects/new",
            get(projects::new_page).post(projects::create),
        )
        .route("/projects/{id}", get(projects::overview))
        .route(
            "/projects/{id}/edit",
            get(projects::edit_page).post(projects::update),
        )
        .route("/projects/{id}/status", post(projects::change_status))
        .route("/projects/{id}/complete", get(projects::complete_page))
        .route("/projects/{id}/reopen", post(projects::reopen))
        .route("/projects/{id}/delete", post(projects::delete))
        .route(
            "/projects/{id}/tasks",
            get(tasks::project_tasks).post(tasks::create),
        )
        .route(
            "/projects/{id}/locations",
            get(locations::show).post(locations::create),
        )
        .route("/projects/{id}/locations/pattern", post(locations::pattern))
        .route("/projects/{id}/room-types", post(locations::create_type))
        .route(
            "/projects/{id}/locations/map",
            post(locations::map_free_text),
        )
        .route(
            "/locations/{id}/edit",
            get(locations::edit).post(locations::update),
        )
        .route("/locations/{id}/delete", post(locations::delete))
        .merge(snags::routes())
        .merge(variations::routes())
        .merge(purchase_orders::routes())
        .merge(deliveries::routes())
        .merge(rfis::routes())
        .merge(suppliers::routes())
        .route("/room-types/{id}/delete", post(locations::delete_type))
        .route("/purchase-orders/{id}/receive", get(goods_receipts::show))
        .route(
            "/purchase-orders/{id}/receipts",
            post(goods_receipts::record).layer(DefaultBodyLimit::disable()),
        )
        .route("/rooms/{id}", get(installations::show))
        .route(
            "/rooms/{id}/installations",
            post(installations::record).layer(DefaultBodyLimit::disable()),
        )
        .route("/installations/{id}/reverse", post(installations::reverse))
        .route("/projects/{id}/scope", get(scope::show))
        .route("/projects/{id}/scope/items", post(scope::create_item))
        .route("/projects/{id}/scope/groups", post(scope::create_group))
        .route(
            "/projects/{id}/scope/default-groups",
            post(scope::add_default_groups),
        )
        .route("/projects/{id}/scope/move", post(scope::move_button))
        .route(
            "/projects/{id}/scope/import",
            get(scope_import::show_scope)
                .post(scope_import::upload_scope)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_BYTES)),
        )
        .route(
            "/projects/{id}/scope/import/confirm",
            post(scope_import::confirm_scope).layer(DefaultBodyLimit::max(IMPORT_BODY_BYTES)),
        )
        .route(
            "/projects/{id}/materials/import",
            get(scope_import::show_materials)
                .post(scope_import::upload_materials)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_BYTES)),
        )
        .route(
            "/projects/{id}/materials/import/confirm",
            post(scope_import::confirm_materials).layer(DefaultBodyLimit::max(IMPORT_BODY_BYTES)),
        )
        .route("/materials/template", get(scope_import::materials_template))
        .route(
            "/projects/{id}/locations/import",
            get(scope_import::show_locations)
                .post(scope_import::upload_locations)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_BYTES)),
        )
        .route(
            "/projects/{id}/locations/import/confirm",
            post(scope_import::confirm_locations).layer(DefaultBodyLimit::max(IMPORT_BODY_BYTES)),
        )
        .route(
            "/projects/{id}/locations/export",
            get(scope_import::export_locations),
        )
        .route("/locations/template", get(scope_import::locations_template))
        .route("/projects/{id}/scope/export", get(scope_import::export))
        .route("/projects/{id}/scope.pdf", get(scope_import::export_pdf))
        .route("/projects/{id}/labels", get(labels::show))
        .route("/projects/{id}/labels.pdf", get(labels::pdf))
        .route("/scope/template", get(scope_import::template))
        .route(
            "/scope-items/{id}/edit",
            get(scope::edit).post(scope::update),
        )
        .route("/scope-items/{id}/move", post(scope::move_item))
        .route("/scope-items/{id}/delete", post(scope::delete))
        .route("/scope-groups/{id}/edit", post(scope::rename_group))
        .route("/scope-groups/{id}/move", post(scope::move_group))
        .route("/scope-groups/{id}/delete", post(scope::delete_group))
        .route(
            "/projects/{id}/drawings",
            get(drawings::show).post(drawings::create),
        )
        .route("/projects/{id}/drawings/export", get(drawings::export))
        .route(
            "/projects/{id}/review-settings",
            post(review::save_reviewers),
        )
        .route(
            "/attachments",
            post(attachments::create).layer(DefaultBodyLimit::disable()),
        )
        .route("/attachments/{id}/delete", post(attachments::delete))
        .route("/attachments/{id}/file", get(attachments::file))
        .route("/attachments/{id}/display", get(attachments::display))
        .route("/attachments/{id}/thumbnail", get(attachments::thumbnail))
        .route(
            "/comments",
            post(comments::create).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/comments/{id}/edit",
            get(comments::edit_page).post(comments::update),
        )
        .route("/comments/{id}/delete", post(comments::delete))
        .route("/comments/{id}/history", get(comments::history))
        .route("/following", post(comments::follow))
        .route("/drawings/{id}", get(drawings::page))
        .route(
            "/drawings/{id}/edit",
            get(drawings::edit_page).post(drawings::update),
        )
        .route(
            "/drawings/{id}/revisions",
            post(drawings::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/drawings/{id}/scope-items", post(drawings::link))
        .route("/drawings/{id}/places", post(drawings::places))
        .route("/drawing-revisions/{id}/submit", post(drawings::submit))
        .route("/drawing-revisions/{id}/review", post(drawings::review))
        .route("/drawing-revisions/{id}/file", get(drawings::file))
        .route(
            "/projects/{id}/materials",
            get(specs::show).post(specs::create),
        )
        .route("/projects/{id}/materials/export", get(specs::export))
        .route("/specs/{id}", get(specs::page))
        .route(
            "/specs/{id}/edit",
            get(specs::edit_page).post(specs::update),
        )
        .route("/specs/{id}/submit", post(specs::submit))
        .route("/specs/{id}/review", post(specs::review))
        .route("/specs/{id}/procurement", post(specs::procure))
        .route("/specs/{id}/scope-items", post(specs::link))
        .route("/specs/{id}/places", post(specs::places))
        .route("/projects/{id}/workshop", get(workshop::show))
        .route("/projects/{id}/workshop/card", get(workshop::card))
        .route("/workshop", get(workshop::company))
        .route("/projects/{id}/workshop/moves", post(workshop::move_card))
        .route(
            "/projects/{id}/workshop/qa",
            post(workshop::qa_check).layer(DefaultBodyLimit::disable()),
        )
        .route("/workshop/moves/{id}/undo", post(workshop::undo))
        .route(
            "/projects/{id}/workshop/stages",
            get(workshop_stages::project).post(workshop_stages::save_project),
        )
        .route("/projects/{id}/site", get(room_matrix::show))
        .route(
            "/projects/{id}/progress-weights",
            post(room_matrix::set_weights),
        )
        .route("/projects/{id}/commercial", get(commercial::summary))
        .route("/portfolio", get(commercial::portfolio))
        .route("/projects/{id}/readiness", get(readiness::show))
        .route("/projects/{id}/readiness/rule", post(readiness::rule))
        .route("/scope-items/{id}/release", post(readiness::release))
        .route("/projects/{id}/team", get(team::show).post(team::add))
        .route("/projects/{id}/activity", get(activity::project))
        .route("/activity", get(activity::record))
        .route("/projects/{id}/team/{user_id}/delete", post(team::remove))
        .route("/tasks/{id}", get(tasks::edit_page))
        .route(
            "/tasks/{id}/edit",
            get(tasks::edit_page).post(tasks::update),
        )
        .route("/tasks/{id}/quick", post(tasks::quick_update))
        .route("/tasks/{id}/delete", post(tasks::delete))
        // The schedule: dependencies, the Schedule page, baselines, calendars.
        .route("/tasks/{id}/dependencies", post(schedule::add_dependency))
        .route(
            "/dependencies/{id}/remove",
            post(schedule::remove_dependency),
        )
        .route("/projects/{id}/schedule", get(schedule::show))
        .route("/projects/{id}/gantt", get(gantt::show))
        .route(
            "/projects/{id}/schedule/chain",
            get(chains::show).post(chains::apply),
        )
        .route("/projects/{id}/schedule/apply", post(schedule::apply))
        .route("/projects/{id}/baselines", post(schedule::save_baseline))
        .route("/baselines/{id}/delete", post(schedule::delete_baseline))
        .route(
            "/projects/{id}/schedule/calendar",
            get(schedule::project_calendar).post(schedule::save_project_calendar),
        )
        .route(
            "/admin/company/calendar",
            get(schedule::company_calendar).post(schedule::save_company_calendar),
        )
        .route(
            "/admin/company/workflow",
            get(workflow::show).post(workflow::save),
        )
        // Task features: checklists, labels, subtasks, the board, bulk edits.
        .route(
            "/tasks/{id}/checklist",
            post(task_features::add_checklist_item),
        )
        .route(
            "/checklist-items/{id}",
            post(task_features::update_checklist_item),
        )
        .route(
            "/checklist-items/{id}/delete",
            post(task_features::delete_checklist_item),
        )
        .route("/tasks/{id}/labels", post(task_features::set_labels))
        .route("/tasks/{id}/subtasks", post(task_features::add_subtask))
        .route("/tasks/{id}/move", post(task_features::move_task))
        .route("/projects/{id}/tasks/board", get(task_features::board))
        .route("/projects/{id}/tasks/bulk", post(task_features::bulk))
        .route(
            "/company/labels",
            get(task_features::labels_page).post(task_features::create_label),
        )
        .route("/company/labels/{id}", post(task_features::update_label))
        .route(
            "/company/labels/{id}/delete",
            post(task_features::delete_label),
        )
        .route("/users", get(users::list))
        .route("/users/new", get(users::new_page).post(users::create))
        .route(
            "/users/{id}/edit",
            get(users::edit_page).post(users::update),
        )
        .route("/users/{id}/invite", post(users::invite))
        .route(
            "/invitations/{token}",
            get(auth::invitation_page).post(auth::invitation_submit),
        )
        .route("/inbox", get(inbox::show))
        .route("/inbox/read", post(inbox::mark_read))
        .route("/inbox/bell", get(inbox::bell))
        .route(
            "/inbox/settings",
            get(inbox::settings).post(inbox::save_settings),
        )
        .route("/notifications/{id}", get(inbox::open))
        .route(
            "/unsubscribe",
            get(inbox::unsubscribe_page).post(inbox::unsubscribe),
        )
        .route("/profile", get(profile::show))
        .route("/profile/password", post(profile::change_password))
        .route("/profile/tokens", post(profile::create_token))
        .route("/profile/tokens/{id}/revoke", post(profile::revoke_token))
        .route("/profile/calendar-feeds", post(profile::create_feed))
        .route(
            "/profile/calendar-feeds/{id}/revoke",
            post(profile::revoke_feed),
        )
        .route(
            "/profile/calendar-feeds/{id}/regenerate",
            post(profile::regenerate_feed),
        )
        .route("/audit", get(admin::audit))
        .route("/outbox", get(admin::outbox))
        .route("/jobs", get(jobs::list))
        .route("/jobs/{id}/retry", post(jobs::retry))
        .route("/system", get(system::show))
        .route("/admin/company", get(company::show).post(company::save))
        .route(
            "/admin/company/logo",
            get(company::logo).post(company::upload_logo),
        )
        .route("/admin/company/logo/remove", post(company::remove_logo))
        .route(
            "/admin/company/workshop-stages",
            get(workshop_stages::company).post(workshop_stages::save_company),
        )
        .route("/events", get(crate::live::page_stream))
        .route("/search", get(search::show))
}

/// Renders a template into an HTML response with the given status.
fn render<T: Template>(status: StatusCode, template: &T) -> Result<Response, PageError> {
    let html = template
        .render()
        .map_err(|e| PageError::App(AppError::Internal(format!("template: {e}"))))?;
    let mut resp = (status, Html(html)).into_response();
    // Full pages and fragments share URLs; caches must keep them apart.
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(resp)
}

/// After a successful POST: a 303 redirect, or for htmx an `HX-Redirect` (a full page load).
fn see_other(htmx: bool, to: &str) -> Response {
    if htmx {
        let mut resp = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            resp.headers_mut().insert("hx-redirect", v);
        }
        resp
    } else {
        Redirect::to(to).into_response()
    }
}
