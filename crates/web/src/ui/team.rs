//! A project's Team tab: members with their project role and open tasks,
//! adding people (active staff) and removing them.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_domain::authz::Action;
use formula_domain::errors::FieldErrors;
use formula_domain::project::{Member, ProjectRole};
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, IdPair, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

const FIELDS: &[&str] = &["user_id", "project_role"];

#[derive(Template)]
#[template(path = "projects/team.html", whitespace = "minimize")]
struct TeamPage {
    layout: Layout,
    head: ProjectHeader,
    members: Vec<Member>,
    can_manage: bool,
    /// Active staff who are not on the team yet.
    candidates: Vec<Opt>,
    roles: Vec<Opt>,
    form: FormState,
}

async fn team_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: FormState,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let members = s.list_members(&page.caller, id).await?;
    let can_manage = s.may(&page.caller, Action::ManageTeam, access);
    let candidates = if can_manage {
        s.list_staff(&page.caller)
            .await?
            .into_iter()
            .filter(|u| !members.iter().any(|m| m.user_id == u.id))
            .map(|u| Opt::new(u.id.to_string(), format!("{} ({})", u.name, u.role.label())))
            .collect()
    } else {
        Vec::new()
    };
    let status = if flash.is_some() {
        StatusCode::CONFLICT
    } else {
        form.status()
    };
    let view = TeamPage {
        layout: page.layout_with(Section::Projects, format!("Team · {}", project.code), flash),
        head: ProjectHeader::new(project, access, page, state, "team"),
        members,
        can_manage,
        candidates,
        roles: enum_options!(ProjectRole),
        form,
    };
    render(status, &view)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let form = FormState::new(FIELDS).with("project_role", ProjectRole::Member.as_str());
    team_page(&state, &page, id, form, None).await
}

pub async fn add(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let user_id = input.required_uuid("user_id", &mut errors);
    let role: Option<ProjectRole> = input.required_choice("project_role", &mut errors);
    let mut form = FormState::submitted(FIELDS, input);
    match (user_id, role) {
        (Some(user_id), Some(role)) if errors.is_empty() => match state
            .services
            .add_member(&page.caller, id, user_id, role)
            .await
        {
            Ok(_) => {
                return Ok(see_other(
                    false,
                    &format!("/projects/{id}/team?m=member_added"),
                ));
            }
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}/team"))?,
        },
        _ => form.add_errors(errors, &[]),
    }
    team_page(&state, &page, id, form, None).await
}

pub async fn remove(
    State(state): State<AppState>,
    page: Page,
    IdPair(id, user_id): IdPair,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    match state
        .services
        .remove_member(&page.caller, id, user_id)
        .await
    {
        Ok(()) => Ok(see_other(
            false,
            &format!("/projects/{id}/team?m=member_removed"),
        )),
        Err(e) => {
            let mut form = FormState::new(FIELDS);
            form.absorb(e, &[], &format!("/projects/{id}/team"))?;
            let flash = Flash::error(
                form.notice
                    .take()
                    .unwrap_or_else(|| "The member could not be removed.".into()),
            );
            team_page(
                &state,
                &page,
                id,
                FormState::new(FIELDS).with("project_role", ProjectRole::Member.as_str()),
                Some(flash),
            )
            .await
        }
    }
}
