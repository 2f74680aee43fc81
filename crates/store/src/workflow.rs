//! The company's workflow template: one row per step of the millwork chain it uses, none
//! before it is first saved (the standard template). Every row carries the template's
//! version and who saved it, so a save replaces them all, compare-and-set.

use formula_app::error::AppError;
use formula_app::repos::WorkflowRepo;
use formula_domain::audit::AuditEntry;
use formula_domain::planning::CompanyWorkflow;
use formula_domain::schedule::{TemplateStep, WorkflowTemplate};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::Db;
use crate::rows::parse_enum;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct StepRow {
    step: String,
    working_days: i32,
    updated_by_name: Option<String>,
    updated_at: OffsetDateTime,
    version: i64,
}

fn steps_stmt() -> Stmt {
    Stmt::new(
        "SELECT w.step, w.working_days, u.name AS updated_by_name, w.updated_at, w.version \
         FROM workflow_steps w LEFT JOIN users u ON u.id = w.updated_by",
    )
}

fn workflow(rows: Vec<StepRow>) -> DbResult<CompanyWorkflow> {
    let Some(first) = rows.first() else {
        return Ok(CompanyWorkflow::default());
    };
    let (updated_by_name, updated_at, version) = (
        first.updated_by_name.clone(),
        first.updated_at,
        first.version,
    );
    let steps = rows
        .iter()
        .map(|r| {
            Ok(TemplateStep {
                step: parse_enum(&r.step, "workflow_steps.step")?,
                working_days: u32::try_from(r.working_days).map_err(|_| {
                    DbError::Corrupt(format!(
                        "workflow_steps.working_days holds {}",
                        r.working_days
                    ))
                })?,
            })
        })
        .collect::<DbResult<Vec<_>>>()?;
    let template = WorkflowTemplate::new(steps)
        .map_err(|e| DbError::Corrupt(format!("workflow_steps: {e}")))?;
    Ok(CompanyWorkflow {
        template,
        updated_by_name,
        updated_at: Some(updated_at),
        version,
    })
}

fn stale(current: CompanyWorkflow) -> DbError {
    DbError::App(AppError::Stale {
        current_version: current.version,
        updated_by: current.updated_by_name,
        updated_at: current.updated_at,
    })
}

#[repo]
impl WorkflowRepo for Db {
    async fn workflow_template(&self) -> DbResult<CompanyWorkflow> {
        let rows = on_reader!(self, |pool| fetch_all!(pool, StepRow, steps_stmt())?);
        workflow(rows)
    }

    async fn save_workflow_template(
        &self,
        template: &WorkflowTemplate,
        expected_version: i64,
        by: Uuid,
        at: OffsetDateTime,
        entry: &AuditEntry,
    ) -> DbResult<CompanyWorkflow> {
        let rows = in_tx!(self, |tx| {
            // Deleting the rows of the expected version takes their locks, so of two saves
            // from the same version the second finds none and is stale. Two first saves
            // (no rows to lock) collide on installation, which every template has: the second
            // is refused as a duplicate.
            let deleted = exec!(
                &mut *tx,
                Stmt::new("DELETE FROM workflow_steps WHERE version = $1").bind(expected_version)
            )?
            .rows_affected();
            let left = fetch_all!(&mut *tx, StepRow, steps_stmt())?;
            if (expected_version > 0 && deleted == 0) || !left.is_empty() {
                return Err(stale(workflow(left)?));
            }
            for s in template.steps() {
                exec!(
                    &mut *tx,
                    Stmt::new(
                        "INSERT INTO workflow_steps (step, working_days, updated_by, updated_at, \
                         version) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(s.step.as_str())
                    .bind(i32::try_from(s.working_days).unwrap_or(i32::MAX))
                    .bind(by)
                    .bind(at)
                    .bind(expected_version + 1)
                )?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_all!(&mut *tx, StepRow, steps_stmt())?
        });
        workflow(rows)
    }
}
