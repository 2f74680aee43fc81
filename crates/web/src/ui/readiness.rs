//! A project's Readiness tab: ready and blocked items with every blocker explained, rates
//! per group, what to unblock next, the materials rule, and releasing items to production.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use formula_app::AppError;
use formula_app::readiness::ReleaseInput;
use formula_domain::authz::Action;
use formula_domain::errors::FieldErrors;
use formula_domain::readiness::{MaterialsRule, Readiness};
use formula_domain::user::Role;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

/// The materials rules, in the order the readiness tab offers them.
pub const RULES: &[MaterialsRule] = MaterialsRule::ALL;

/// A materials rule as a choice on the readiness tab.
pub fn rule_choice(rule: &MaterialsRule) -> &'static str {
    match rule {
        MaterialsRule::Approved => "Approved: materials need only be approved",
        MaterialsRule::Ordered => "Ordered: linked materials must be ordered",
        MaterialsRule::Delivered => "Delivered: linked materials must be delivered in full",
    }
}

#[derive(Template)]
#[template(path = "readiness/tab.html", whitespace = "minimize")]
struct ReadinessPage {
    layout: Layout,
    head: ProjectHeader,
    r: Readiness,
    /// Versions of the items, for the release forms.
    versions: std::collections::HashMap<Uuid, i64>,
    can_release: bool,
    is_admin: bool,
    /// The place filters (building, level, room, room type) and their choices.
    filters: FormState,
    place: crate::ui::place_filter::PlaceOptions,
}

impl ReadinessPage {
    fn version(&self, id: &Uuid) -> i64 {
        self.versions.get(id).copied().unwrap_or(0)
    }
}

async fn tab(
    state: &AppState,
    page: &Page,
    id: Uuid,
    flash: Option<Flash>,
    query: Option<&str>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let data = FormData::from_query(query);
    let where_ = crate::ui::place_filter::read(&data);
    let (project, access, r, items) = s.readiness_with_items(&page.caller, id, &where_).await?;
    let filters = FormState::submitted(crate::ui::place_filter::PLACE_FIELDS, data).prefixed("f-");
    let place = crate::ui::place_filter::options(state, page, id).await?;
    let status = if flash.as_ref().is_some_and(|f| f.kind == "error") {
        axum::http::StatusCode::CONFLICT
    } else {
        axum::http::StatusCode::OK
    };
    let view = ReadinessPage {
        layout: page.layout_with(
            Section::Projects,
            format!("Readiness · {}", project.code),
            flash,
        ),
        can_release: s.may(&page.caller, Action::ManageScope, access),
        is_admin: page.caller.actor.role == Role::Admin,
        head: ProjectHeader::new(project, access, page, state, "readiness"),
        r,
        versions: items.into_iter().map(|i| (i.id, i.version)).collect(),
        filters,
        place,
    };
    render(status, &view)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    tab(&state, &page, id, None, query.as_deref()).await
}

/// Releases an item (`override_reason` for an administrator's override).
pub async fn release(
    State(state): State<AppState>,
    page: Page,
    Id(item): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let project = input
        .required_uuid("project_id", &mut errors)
        .ok_or_else(|| PageError::bad_request("The form is missing its project."))?;
    let release = ReleaseInput {
        override_reason: input.opt("override_reason"),
        version: None,
    };
    match state
        .services
        .release_scope_item(&page.caller, item, version, release)
        .await
    {
        Ok(i) => Ok(see_other(
            false,
            &format!("/projects/{}/readiness?m=released", i.project_id),
        )),
        Err(AppError::Conflict { message, .. }) => {
            tab(&state, &page, project, Some(Flash::error(message)), None).await
        }
        Err(e) => {
            let mut form = FormState::new(&[]);
            form.absorb(e, &[], &format!("/projects/{project}/readiness"))?;
            let message = match (form.conflict, form.notice, form.errors.is_empty()) {
                (Some(c), _, _) => format!(
                    "{} changed this item first; look again before releasing.",
                    c.who
                ),
                (None, Some(n), _) => n,
                (None, None, false) => form
                    .errors
                    .0
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                _ => "The item could not be released.".into(),
            };
            tab(&state, &page, project, Some(Flash::error(message)), None).await
        }
    }
}

/// Sets how far linked materials must have come before items are ready.
pub async fn rule(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let Ok(rule) = input.text("materials_rule").parse::<MaterialsRule>() else {
        return Err(PageError::App(AppError::field(
            "materials_rule",
            "choose approved, ordered or delivered",
        )));
    };
    match state
        .services
        .set_readiness_rule(&page.caller, id, rule)
        .await
    {
        Ok(()) => Ok(see_other(
            false,
            &format!("/projects/{id}/readiness?m=saved"),
        )),
        Err(AppError::Forbidden) => Err(PageError::App(AppError::Forbidden)),
        Err(e) => Err(PageError::App(e)),
    }
}
