//! The task features users ask for most: checklists inside a task, the company's labels,
//! and subtasks one level deep.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::enums::string_enum;
use crate::task::Task;

/// The longest checklist item, in characters.
pub const CHECKLIST_TEXT_MAX: usize = 500;
/// The most items one checklist holds.
pub const CHECKLIST_MAX_ITEMS: usize = 100;
/// The longest label name, in characters.
pub const LABEL_NAME_MAX: usize = 40;
/// The most labels one task carries.
pub const TASK_LABELS_MAX: usize = 20;
/// The most tasks one bulk edit changes.
pub const BULK_MAX: usize = 200;
/// The furthest a bulk edit shifts due dates, in days either way.
pub const BULK_SHIFT_MAX_DAYS: i64 = 3650;

string_enum!(
    /// A label's colour: a fixed palette of named colours that read well on both themes
    /// (the stylesheet holds one accessible pair per name), never free CSS.
    LabelColour {
        Grey => "grey", "Grey",
        Red => "red", "Red",
        Orange => "orange", "Orange",
        Amber => "amber", "Amber",
        Green => "green", "Green",
        Teal => "teal", "Teal",
        Blue => "blue", "Blue",
        Indigo => "indigo", "Indigo",
        Purple => "purple", "Purple",
        Pink => "pink", "Pink",
    }
);

/// One of the company's labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Label {
    pub id: Uuid,
    /// Unique whatever its case; 1–40 characters.
    pub name: String,
    pub colour: LabelColour,
    pub version: i64,
}

/// A label as a task shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskLabel {
    pub id: Uuid,
    pub name: String,
    pub colour: LabelColour,
}

/// One step of a task's checklist.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChecklistItem {
    pub id: Uuid,
    pub task_id: Uuid,
    /// 1–500 characters.
    pub text: String,
    pub done: bool,
    /// Who ticked it, and when (both absent while it is not done).
    pub done_by: Option<Uuid>,
    pub done_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub done_at: Option<OffsetDateTime>,
    /// Its place in the list, from 0.
    pub position: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by_name: Option<String>,
    pub version: i64,
}

/// Why a task may not become a subtask of another, or `None` when it may. Subtasks are one
/// level deep: the parent is not itself a subtask, and a task with subtasks of its own
/// stays a top-level task. `child_subtasks` is how many subtasks `child` has.
pub fn parent_refusal(child: &Task, child_subtasks: i64, parent: &Task) -> Option<&'static str> {
    if parent.id == child.id {
        Some("a task cannot be its own subtask")
    } else if parent.project_id != child.project_id {
        Some("must be a task of the same project")
    } else if parent.parent_id.is_some() {
        Some("is itself a subtask, and subtasks cannot have subtasks; choose a top-level task")
    } else if child_subtasks > 0 {
        Some(
            "this task has subtasks of its own, so it cannot become a subtask; move its subtasks first",
        )
    } else {
        None
    }
}

/// What a checklist reads like in a list: "3/5", or nothing when there is none.
pub fn checklist_summary(done: i64, total: i64) -> Option<String> {
    (total > 0).then(|| format!("{done}/{total}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::Priority;
    use crate::task::TaskStatus;
    use time::macros::datetime;

    fn task(id: u128, project: u128, parent: Option<u128>) -> Task {
        let at = datetime!(2026-01-01 12:00 UTC);
        Task {
            id: Uuid::from_u128(id),
            project_id: Uuid::from_u128(project),
            project_code: "P".into(),
            project_name: "P".into(),
            title: "T".into(),
            description: None,
            status: TaskStatus::Pending,
            priority: Priority::Medium,
            assignee_id: None,
            assignee_name: None,
            start_date: None,
            due_date: None,
            estimated_hours: None,
            actual_hours: None,
            progress: 0,
            completed_at: None,
            created_at: at,
            updated_at: at,
            updated_by_name: None,
            version: 1,
            is_milestone: false,
            constraint_kind: None,
            constraint_on: None,
            scope_item_id: None,
            parent_id: parent.map(Uuid::from_u128),
            labels: Vec::new(),
            checklist_done: 0,
            checklist_total: 0,
            subtask_count: 0,
        }
    }

    #[test]
    fn subtasks_are_one_level_deep() {
        let parent = task(1, 9, None);
        let child = task(2, 9, None);
        assert_eq!(parent_refusal(&child, 0, &parent), None);
        assert!(
            parent_refusal(&child, 1, &parent).is_some(),
            "a parent cannot become a subtask"
        );
        let sub = task(3, 9, Some(1));
        assert!(
            parent_refusal(&child, 0, &sub).is_some(),
            "no grandchildren"
        );
        assert!(
            parent_refusal(&child, 0, &task(4, 8, None)).is_some(),
            "same project"
        );
        assert!(parent_refusal(&child, 0, &child).is_some(), "not itself");
    }

    #[test]
    fn checklist_reads_done_of_total() {
        assert_eq!(checklist_summary(3, 5).as_deref(), Some("3/5"));
        assert_eq!(checklist_summary(0, 0), None);
    }
}
