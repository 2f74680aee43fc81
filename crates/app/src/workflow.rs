//! The company's workflow template: which steps of the millwork chain it goes through and
//! how many working days each takes, read by every item's chain (the dates work back from its
//! installation). Administrators keep it; staff read it. Until it is first saved the chain is
//! [`WorkflowTemplate::standard`]. The rules (each step once, in order, ending with
//! installation) are `formula_domain::schedule::WorkflowTemplate::new`'s.

use std::collections::BTreeMap;

use formula_domain::authz::{Action, Resource};
use formula_domain::planning::CompanyWorkflow;
use formula_domain::schedule::{ChainStep, MAX_STEP_DAYS, TemplateStep, WorkflowTemplate};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::services::{Services, audit, changes, ensure};

/// The audit trail's id for the workflow template (there is one).
const TEMPLATE_ID: Uuid = Uuid::nil();

/// One step of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowStep {
    pub step: ChainStep,
    /// 0–250 working days. Procurement takes the material's lead time instead: its days are
    /// ignored (stored as 0).
    #[schema(minimum = 0, maximum = 250)]
    pub working_days: u32,
}

/// The company's workflow template.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Workflow {
    /// The steps the chain goes through, in its order, the last installation.
    pub steps: Vec<WorkflowStep>,
    /// Never saved: the standard template.
    pub standard: bool,
    pub updated_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// 0 until first saved.
    pub version: i64,
}

impl From<CompanyWorkflow> for Workflow {
    fn from(w: CompanyWorkflow) -> Self {
        Workflow {
            steps: w
                .template
                .steps()
                .iter()
                .map(|s| WorkflowStep {
                    step: s.step,
                    working_days: s.working_days,
                })
                .collect(),
            standard: w.version == 0,
            updated_by_name: w.updated_by_name,
            updated_at: w.updated_at,
            version: w.version,
        }
    }
}

/// The template to save: replaces every step.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowInput {
    /// The steps to go through, each once, including installation (every date works back
    /// from it); sent in any order, kept in the chain's.
    #[schema(min_items = 1, max_items = 9)]
    pub steps: Vec<WorkflowStep>,
    /// The version read (0 before the first save); or send `If-Match`.
    #[serde(default)]
    pub version: Option<i64>,
}

/// The template as the audit trail records it: each step's working days.
fn audited(template: &WorkflowTemplate) -> BTreeMap<&'static str, u32> {
    template
        .steps()
        .iter()
        .map(|s| (s.step.as_str(), s.working_days))
        .collect()
}

impl Services {
    /// The company's workflow template (staff read it).
    pub async fn workflow_template(&self, caller: &Caller) -> AppResult<Workflow> {
        ensure(caller, Action::ViewCompany, &Resource::Global)?;
        Ok(self.store.workflow_template().await?.into())
    }

    /// The template every item's chain is planned with, for use cases that already decided
    /// what their caller may see (no caller is checked).
    pub async fn chain_template(&self) -> AppResult<WorkflowTemplate> {
        Ok(self.store.workflow_template().await?.template)
    }

    /// Replaces the company's workflow template, compare-and-set on `expected_version`.
    /// Refused (422, field `steps`) with the rule broken in words: a step twice, no
    /// installation, a step of more than 250 working days.
    pub async fn save_workflow_template(
        &self,
        caller: &Caller,
        expected_version: i64,
        input: WorkflowInput,
    ) -> AppResult<Workflow> {
        ensure(caller, Action::ManageWorkflowTemplate, &Resource::Global)?;
        let current = self.store.workflow_template().await?;
        if current.version != expected_version {
            return Err(AppError::Stale {
                current_version: current.version,
                updated_by: current.updated_by_name,
                updated_at: current.updated_at,
            });
        }
        let steps = input
            .steps
            .iter()
            .map(|s| TemplateStep {
                step: s.step,
                // The material's lead time decides how long procurement takes; its days are
                // still checked, as documented, before they are dropped.
                working_days: if s.step == ChainStep::Procurement && s.working_days <= MAX_STEP_DAYS
                {
                    0
                } else {
                    s.working_days
                },
            })
            .collect();
        let template = WorkflowTemplate::new(steps).map_err(|e| AppError::field("steps", e))?;
        let a = audit(
            caller,
            "update",
            "workflow_template",
            TEMPLATE_ID,
            "Workflow template",
            changes(&audited(&current.template), &audited(&template)),
        );
        let saved = self
            .store
            .save_workflow_template(
                &template,
                expected_version,
                caller.actor.user_id,
                self.now(),
                &a,
            )
            .await?;
        Ok(saved.into())
    }
}
