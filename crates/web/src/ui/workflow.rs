//! The company's workflow template in the browser (administrators): a table of the millwork
//! chain's steps, each with a box to include it and its working days.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use formula_app::AppError;
use formula_app::workflow::{Workflow, WorkflowInput, WorkflowStep};
use formula_domain::authz::Action;
use formula_domain::errors::FieldErrors;
use formula_domain::schedule::{ChainStep, MAX_STEP_DAYS, WorkflowTemplate};

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState};
use crate::ui::layout::{Page, Section};
use crate::ui::{render, see_other};

const FIELDS: &[&str] = &["version", "steps"];
const PATH: &str = "/admin/company/workflow";
const TITLE: &str = "Workflow template";

/// One step's row of the table.
struct StepRow {
    value: &'static str,
    label: &'static str,
    included: bool,
    /// The working days as shown (as typed after a refused save).
    days: String,
    /// Takes the material's lead time: no days of its own.
    lead_time: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "schedule/company_workflow.html", whitespace = "minimize")]
struct WorkflowPage {
    layout: crate::ui::layout::Layout,
    form: FormState,
    rows: Vec<StepRow>,
    standard: bool,
    max_days: u32,
}

/// The standard days of a step, for a step not in the company's template.
fn standard_days(step: ChainStep) -> u32 {
    WorkflowTemplate::standard()
        .steps()
        .iter()
        .find(|s| s.step == step)
        .map_or(0, |s| s.working_days)
}

fn rows_of(w: &Workflow) -> Vec<StepRow> {
    ChainStep::ALL
        .iter()
        .map(|&step| {
            let kept = w.steps.iter().find(|s| s.step == step);
            StepRow {
                value: step.as_str(),
                label: step.label(),
                included: kept.is_some(),
                days: kept
                    .map_or_else(|| standard_days(step), |s| s.working_days)
                    .to_string(),
                lead_time: step == ChainStep::Procurement,
                error: None,
            }
        })
        .collect()
}

fn days_field(step: ChainStep) -> String {
    format!("days_{}", step.as_str())
}

/// The rows as submitted, and the steps to save; a days box that is no whole number from 0
/// to the most is marked on its row.
fn read_rows(input: &FormData, errors: &mut FieldErrors) -> (Vec<StepRow>, Vec<WorkflowStep>) {
    let included: Vec<&str> = input
        .0
        .iter()
        .filter(|(k, _)| k == "include")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut rows = Vec::with_capacity(ChainStep::ALL.len());
    let mut steps = Vec::new();
    for &step in ChainStep::ALL {
        let lead_time = step == ChainStep::Procurement;
        let on = included.contains(&step.as_str());
        let days = input.raw(&days_field(step)).trim().to_owned();
        let parsed = if lead_time {
            Some(0)
        } else {
            days.parse::<u32>().ok().filter(|d| *d <= MAX_STEP_DAYS)
        };
        let error = match parsed {
            None if on => {
                let message = format!(
                    "{}: working days must be a whole number from 0 to {MAX_STEP_DAYS}",
                    step.label()
                );
                errors.add("steps", message.clone());
                Some(message)
            }
            _ => None,
        };
        if let (true, Some(working_days)) = (on, parsed) {
            steps.push(WorkflowStep { step, working_days });
        }
        rows.push(StepRow {
            value: step.as_str(),
            label: step.label(),
            included: on,
            days,
            lead_time,
            error,
        });
    }
    (rows, steps)
}

/// The workflow template page.
pub async fn show(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    if !page.can(Action::ManageWorkflowTemplate) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let w = state.services.workflow_template(&page.caller).await?;
    let view = WorkflowPage {
        layout: page.layout(Section::System, TITLE),
        form: FormState::new(FIELDS).with("version", w.version.to_string()),
        rows: rows_of(&w),
        standard: w.standard,
        max_days: MAX_STEP_DAYS,
    };
    render(view.form.status(), &view)
}

/// Saves the table: the ticked steps with their days.
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let (rows, steps) = read_rows(&input, &mut errors);
    let mut form = FormState::submitted(FIELDS, input);
    if errors.is_empty() {
        let w = WorkflowInput {
            steps,
            version: None,
        };
        match state
            .services
            .save_workflow_template(&page.caller, version, w)
            .await
        {
            Ok(_) => return Ok(see_other(false, &format!("{PATH}?m=saved"))),
            Err(e) => form.absorb(e, &[], PATH)?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let view = WorkflowPage {
        layout: page.layout(Section::System, TITLE),
        form,
        rows,
        standard: false,
        max_days: MAX_STEP_DAYS,
    };
    render(view.form.status(), &view)
}
