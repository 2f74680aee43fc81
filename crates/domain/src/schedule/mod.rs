//! The programme's arithmetic: working calendars, the critical path method over task
//! dependencies, and slippage against a baseline. Pure: the use cases load tasks and links,
//! call [`schedule`], and propose the changes to the user.

mod baseline;
mod calendar;
mod chain;
mod network;

pub use baseline::{Slip, slippage};
pub use calendar::WorkCalendar;
pub use chain::{
    ChainProgress, ChainStep, Forecast, MAX_STEP_DAYS, StepDates, StepForecast, TemplateStep,
    WorkflowTemplate, forecast, latest_dates,
};
pub use network::{
    Activity, Constraint, Link, LinkKind, Plan, Scheduled, Violation, describe_cycle, find_cycle,
    schedule,
};
use uuid::Uuid;

/// Why a network cannot be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("a working calendar needs at least one working weekday")]
    NoWorkingDays,
    #[error("the dependencies make a loop: {0}")]
    Cycle(String),
    #[error("{0} cannot depend on itself")]
    SelfLink(String),
    #[error("a dependency names an activity that is not in the plan ({0})")]
    UnknownActivity(Uuid),
}

#[cfg(test)]
mod tests;
