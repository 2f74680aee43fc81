//! Tasks and the rules that tie status, progress and completion together.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::enums::{Priority, string_enum};
use crate::planning::ConstraintKind;
use crate::task_features::TaskLabel;

string_enum!(
    /// Where a task is in its life.
    TaskStatus {
        Pending => "pending", "Pending",
        InProgress => "in_progress", "In progress",
        Review => "review", "In review",
        Completed => "completed", "Completed",
        Cancelled => "cancelled", "Cancelled",
    }
);

impl TaskStatus {
    /// Open tasks still need work.
    pub fn is_open(self) -> bool {
        !matches!(self, TaskStatus::Completed | TaskStatus::Cancelled)
    }
}

/// A unit of work on a project.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub id: Uuid,
    pub project_id: Uuid,
    /// Code and name of the project, for lists that span projects.
    pub project_code: String,
    pub project_name: String,
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub priority: Priority,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub start_date: Option<Date>,
    pub due_date: Option<Date>,
    /// Estimated and actual effort in hours (0–100000).
    pub estimated_hours: Option<f64>,
    pub actual_hours: Option<f64>,
    pub progress: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by_name: Option<String>,
    pub version: i64,
    // The schedule (migration 0045).
    /// A point in time (zero duration): its start date is its due date.
    pub is_milestone: bool,
    /// A date the task must respect on its own, with `constraint_on` (both or neither).
    pub constraint_kind: Option<ConstraintKind>,
    pub constraint_on: Option<Date>,
    /// The scope item this task is for (a millwork item's chain of tasks).
    pub scope_item_id: Option<Uuid>,
    // ---- Task features (migration 0046): keep these last. ----
    /// The task this one is a subtask of (one level deep).
    pub parent_id: Option<Uuid>,
    /// Its labels, by name.
    pub labels: Vec<TaskLabel>,
    /// Its checklist: items ticked, of how many ("3/5").
    pub checklist_done: i64,
    pub checklist_total: i64,
    /// How many subtasks it has.
    pub subtask_count: i64,
}

impl Task {
    /// Open and past its due date.
    pub fn is_overdue(&self, today: Date) -> bool {
        self.status.is_open() && self.due_date.is_some_and(|d| d < today)
    }
}

/// Applies a status change to progress and completion time:
/// entering review sets 90 %, completing sets 100 % and stamps `completed_at`,
/// leaving completed clears `completed_at`.
pub fn apply_status(
    from: TaskStatus,
    to: TaskStatus,
    progress: i32,
    completed_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> (i32, Option<OffsetDateTime>) {
    match to {
        // Keep the original completion time when a completed task is saved again.
        TaskStatus::Completed => (
            100,
            if from == to {
                completed_at.or(Some(now))
            } else {
                Some(now)
            },
        ),
        _ if from == to => (progress, None),
        TaskStatus::Review => (progress.max(90), None),
        TaskStatus::Pending if from == TaskStatus::Completed => (0, None),
        _ if from == TaskStatus::Completed => (progress.min(90), None),
        _ => (progress, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);

    #[test]
    fn review_sets_ninety_and_completion_stamps() {
        assert_eq!(
            apply_status(TaskStatus::InProgress, TaskStatus::Review, 40, None, NOW),
            (90, None)
        );
        assert_eq!(
            apply_status(TaskStatus::Review, TaskStatus::Completed, 90, None, NOW),
            (100, Some(NOW))
        );
        assert_eq!(
            apply_status(
                TaskStatus::Completed,
                TaskStatus::InProgress,
                100,
                Some(NOW),
                NOW
            ),
            (90, None)
        );
        assert_eq!(
            apply_status(
                TaskStatus::Completed,
                TaskStatus::Pending,
                100,
                Some(NOW),
                NOW
            ),
            (0, None)
        );
    }

    proptest! {
        #[test]
        fn completed_at_is_set_exactly_when_completed(
            from in prop::sample::select(TaskStatus::ALL.to_vec()),
            to in prop::sample::select(TaskStatus::ALL.to_vec()),
            progress in 0..=100_i32,
        ) {
            let before = (from == TaskStatus::Completed).then_some(NOW);
            let (p, at) = apply_status(from, to, progress, before, NOW);
            prop_assert!((0..=100).contains(&p));
            prop_assert_eq!(at.is_some(), to == TaskStatus::Completed);
            if to == TaskStatus::Completed { prop_assert_eq!(p, 100); }
        }
    }
}
