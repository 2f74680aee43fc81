//! The Chain page of a project's schedule: every scope item's latest dates worked back from
//! its installation date, whether it is at risk and why, and the form that applies the
//! company's workflow template to ticked items or a whole level.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use formula_app::chains::{ApplyChain, ChainPlaces, ItemChain};
use formula_domain::errors::FieldErrors;
use formula_domain::schedule::ChainStep;
use time::Date;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

const FIELDS: &[&str] = &["level_id", "room_id", "install_on", "scope_item_ids"];

#[derive(Template)]
#[template(path = "schedule/chain.html", whitespace = "minimize")]
struct ChainPage {
    layout: Layout,
    head: ProjectHeader,
    form: FormState,
    chains: Vec<ItemChain>,
    places: ChainPlaces,
    /// Items ticked when the form came back with errors.
    ticked: Vec<String>,
    can_manage: bool,
    at_risk_only: bool,
    at_risk: usize,
    applied: usize,
}

impl ChainPage {
    fn latest(c: &ItemChain, step: &str) -> Option<Date> {
        step.parse::<ChainStep>()
            .ok()
            .and_then(|s| c.latest_start(s))
    }

    fn is_ticked(&self, id: &Uuid) -> bool {
        let id = id.to_string();
        self.ticked.contains(&id)
    }
}

async fn view(
    state: &AppState,
    page: &Page,
    id: Uuid,
    query: &FormData,
    form: Option<(FormState, Vec<String>)>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let mut chains = s.item_chains(&page.caller, id).await?;
    let places = s.chain_places(&page.caller, id).await?;
    let at_risk = chains.iter().filter(|c| c.at_risk).count();
    let applied = chains.iter().filter(|c| c.applied).count();
    let at_risk_only = query.opt("risk").is_some();
    if at_risk_only {
        chains.retain(|c| c.at_risk);
    }
    let count = |name: &str| {
        query
            .opt(name)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
    };
    let flash = (query.opt("m").as_deref() == Some("applied")).then(|| {
        let (items, created, moved) = (count("items"), count("created"), count("moved"));
        Flash::success(format!(
            "Workflow template applied to {items} item{}: {created} task{} created, {moved} moved.",
            if items == 1 { "" } else { "s" },
            if created == 1 { "" } else { "s" },
        ))
    });
    let (form, ticked) = form.unwrap_or_else(|| (FormState::new(FIELDS), Vec::new()));
    let view = ChainPage {
        layout: page.layout_with(
            Section::Projects,
            format!("Chain · {}", project.code),
            flash,
        ),
        head: ProjectHeader::new(project, access, page, state, "tasks"),
        can_manage: s.may_manage_schedule(&page.caller, access),
        form,
        chains,
        places,
        ticked,
        at_risk_only,
        at_risk,
        applied,
    };
    render(view.form.status(), &view)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    view(
        &state,
        &page,
        id,
        &FormData::from_query(raw.as_deref()),
        None,
    )
    .await
}

pub async fn apply(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let ticked: Vec<String> = input
        .0
        .iter()
        .filter(|(k, _)| k == "scope_item_ids")
        .map(|(_, v)| v.clone())
        .collect();
    let scope_item_ids: Vec<Uuid> = ticked.iter().filter_map(|v| v.parse().ok()).collect();
    let level_id = input.uuid("level_id", &mut errors);
    let room_id = input.uuid("room_id", &mut errors);
    let install_on = input.date("install_on", &mut errors);
    let mut form = FormState::submitted(FIELDS, input);
    if errors.is_empty() {
        let apply = ApplyChain {
            scope_item_ids,
            level_id,
            room_id,
            install_on,
        };
        match state.services.apply_chain(&page.caller, id, apply).await {
            Ok(done) => {
                return Ok(see_other(
                    false,
                    &format!(
                        "/projects/{id}/schedule/chain?m=applied&items={}&created={}&moved={}",
                        done.items, done.tasks_created, done.tasks_moved
                    ),
                ));
            }
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}/schedule/chain"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    view(
        &state,
        &page,
        id,
        &FormData::default(),
        Some((form, ticked)),
    )
    .await
}
