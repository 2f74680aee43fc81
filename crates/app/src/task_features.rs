//! The task features users ask for most: checklists inside a task, the company's labels on
//! tasks, subtasks one level deep, and bulk edits of a selection of a project's tasks.

use std::collections::HashSet;

use formula_domain::authz::{Action, Resource, project_scope};
use formula_domain::errors::{FieldErrors, required_text};
use formula_domain::task::{Task, TaskStatus, apply_status};
use formula_domain::task_features::{
    BULK_MAX, BULK_SHIFT_MAX_DAYS, CHECKLIST_MAX_ITEMS, CHECKLIST_TEXT_MAX, ChecklistItem,
    LABEL_NAME_MAX, Label, LabelColour, TASK_LABELS_MAX, TaskLabel, parent_refusal,
};
use serde::{Deserialize, Serialize};
use time::Duration;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::query::{Paging, TaskQuery, TaskSort};
use crate::repos::BulkTask;
use crate::services::{Services, audit, changes, check_version, created, double_option, ensure};

/// A checklist item to add (at the end of the list).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChecklistItem {
    /// 1–500 characters.
    pub text: String,
}

/// Changes to a checklist item; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistPatch {
    /// 1–500 characters.
    pub text: Option<String>,
    /// Tick (`true`) or untick (`false`).
    pub done: Option<bool>,
    /// Move it to this place in the list (0 is first; past the end is last).
    pub position: Option<i32>,
    pub version: Option<i64>,
}

/// A label to create, or a label's new name and colour.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelInput {
    /// 1–40 characters, unique whatever its case.
    pub name: String,
    pub colour: LabelColour,
    /// When changing: the version read.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A task's labels, all of them (the list replaces what the task had).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskLabels {
    /// At most 20 of the company's labels.
    #[schema(max_items = 20)]
    pub label_ids: Vec<Uuid>,
    /// The task's version.
    pub version: Option<i64>,
}

/// One task of a bulk edit, with the version it was read at.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRef {
    pub id: Uuid,
    pub version: i64,
}

/// The same change to a selection of a project's tasks, saved all or nothing.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkEdit {
    /// 1–200 tasks of the project, each with the version read.
    #[schema(min_items = 1, max_items = 200)]
    pub tasks: Vec<BulkRef>,
    /// Assign them all to this member of the team (`null`: unassign).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    /// Move due dates (and start dates with them) by this many days, −3650 to 3650; tasks
    /// without a due date keep none.
    #[serde(default)]
    pub shift_days: Option<i64>,
    /// Labels to put on every task.
    #[serde(default)]
    pub add_label_ids: Vec<Uuid>,
    /// Labels to take off every task.
    #[serde(default)]
    pub remove_label_ids: Vec<Uuid>,
}

/// What a bulk edit saved: each task with its new version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkSaved {
    pub tasks: Vec<BulkRef>,
}

fn checklist_text(errors: &mut FieldErrors, value: &str) -> String {
    required_text(errors, "text", value, CHECKLIST_TEXT_MAX)
}

impl Services {
    // ---- Checklists ----

    /// A task's checklist, in order.
    pub async fn task_checklist(
        &self,
        caller: &Caller,
        task_id: Uuid,
    ) -> AppResult<Vec<ChecklistItem>> {
        let (_, access) = self.task_for(caller, task_id).await?;
        ensure(caller, Action::ViewTasks, &Resource::Project(access))?;
        self.store.list_checklist(task_id).await
    }

    /// One checklist item, if the caller may see its task.
    pub async fn checklist_item(&self, caller: &Caller, id: Uuid) -> AppResult<ChecklistItem> {
        let item = self
            .store
            .get_checklist_item(id)
            .await?
            .ok_or(AppError::NotFound("checklist item"))?;
        let (_, access) = self
            .task_for(caller, item.task_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("checklist item"),
                other => other,
            })?;
        ensure(caller, Action::ViewTasks, &Resource::Project(access))?;
        Ok(item)
    }

    /// The task a checklist item belongs to, once the caller may change it.
    async fn editable_task(&self, caller: &Caller, task_id: Uuid) -> AppResult<Task> {
        let (task, access) = self.task_for(caller, task_id).await?;
        ensure(
            caller,
            Action::UpdateTask,
            &Resource::Task {
                project: access,
                assignee: task.assignee_id,
            },
        )?;
        Ok(task)
    }

    /// Adds an item at the end of a task's checklist.
    pub async fn add_checklist_item(
        &self,
        caller: &Caller,
        task_id: Uuid,
        input: NewChecklistItem,
    ) -> AppResult<ChecklistItem> {
        let task = self.editable_task(caller, task_id).await?;
        let mut errors = FieldErrors::new();
        let text = checklist_text(&mut errors, &input.text);
        errors.into_result()?;
        if self.store.list_checklist(task_id).await?.len() >= CHECKLIST_MAX_ITEMS {
            return Err(AppError::field(
                "text",
                format!(
                    "a checklist holds at most {CHECKLIST_MAX_ITEMS} items; split the task, or delete items that are done"
                ),
            ));
        }
        let now = self.now();
        let item = ChecklistItem {
            id: formula_domain::new_id(),
            task_id,
            text,
            done: false,
            done_by: None,
            done_by_name: None,
            done_at: None,
            position: 0,
            updated_at: now,
            updated_by_name: Some(caller.actor.name.clone()),
            version: 1,
        };
        let a = audit(
            caller,
            "checklist_add",
            "task",
            task_id,
            &task.title,
            created(&serde_json::json!({ "checklist_item": item.text })),
        )
        .in_project(task.project_id);
        let saved = self
            .store
            .insert_checklist_item(&item, caller.actor.user_id, &a)
            .await?;
        self.changed(caller, "task.updated", task.project_id, task_id, None)
            .await;
        Ok(saved)
    }

    /// Changes an item's text, ticks or unticks it, or moves it in the list.
    pub async fn update_checklist_item(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: ChecklistPatch,
    ) -> AppResult<ChecklistItem> {
        let current = self
            .store
            .get_checklist_item(id)
            .await?
            .ok_or(AppError::NotFound("checklist item"))?;
        let task = self
            .editable_task(caller, current.task_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("checklist item"),
                other => other,
            })?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(text) = &patch.text {
            next.text = checklist_text(&mut errors, text);
        }
        if let Some(p) = patch.position
            && p < 0
        {
            errors.add("position", "must be 0 (first) or more");
        }
        errors.into_result()?;
        let now = self.now();
        if let Some(done) = patch.done
            && done != current.done
        {
            next.done = done;
            next.done_by = done.then_some(caller.actor.user_id);
            next.done_by_name = done.then(|| caller.actor.name.clone());
            next.done_at = done.then_some(now);
        }
        next.updated_at = now;
        let mut saved = current.clone();
        if next.text != current.text || next.done != current.done {
            let action = match (patch.done, current.done) {
                (Some(true), false) => "checklist_tick",
                (Some(false), true) => "checklist_untick",
                _ => "checklist_edit",
            };
            let a = audit(
                caller,
                action,
                "task",
                task.id,
                &task.title,
                changes(
                    &serde_json::json!({ "checklist_item": current.text, "done": current.done }),
                    &serde_json::json!({ "checklist_item": next.text, "done": next.done }),
                ),
            )
            .in_project(task.project_id);
            saved = self
                .store
                .update_checklist_item(&next, expected_version, caller.actor.user_id, &a)
                .await?;
        }
        if let Some(p) = patch.position
            && p != saved.position
        {
            let a = audit(
                caller,
                "checklist_move",
                "task",
                task.id,
                &task.title,
                changes(
                    &serde_json::json!({ "checklist_item": saved.text, "position": saved.position }),
                    &serde_json::json!({ "checklist_item": saved.text, "position": p }),
                ),
            )
            .in_project(task.project_id);
            saved = self
                .store
                .move_checklist_item(id, saved.version, p, now, caller.actor.user_id, &a)
                .await?;
        }
        self.changed(caller, "task.updated", task.project_id, task.id, None)
            .await;
        Ok(saved)
    }

    pub async fn delete_checklist_item(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<()> {
        let current = self
            .store
            .get_checklist_item(id)
            .await?
            .ok_or(AppError::NotFound("checklist item"))?;
        let task = self.editable_task(caller, current.task_id).await?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let a = audit(
            caller,
            "checklist_delete",
            "task",
            task.id,
            &task.title,
            changes(
                &serde_json::json!({ "checklist_item": current.text }),
                &serde_json::json!({ "checklist_item": null }),
            ),
        )
        .in_project(task.project_id);
        self.store
            .delete_checklist_item(id, expected_version, &a)
            .await?;
        self.changed(caller, "task.updated", task.project_id, task.id, None)
            .await;
        Ok(())
    }

    // ---- Labels ----

    /// The company's labels (the staff's: client users see labels only on their tasks).
    pub async fn list_labels(&self, caller: &Caller) -> AppResult<Vec<Label>> {
        ensure(caller, Action::ViewCompany, &Resource::Global)?;
        self.store.list_labels().await
    }

    /// Whether the caller may create, change and delete labels (to show the controls).
    pub fn may_manage_labels(&self, caller: &Caller) -> bool {
        formula_domain::authz::authorize(&caller.actor, Action::ManageTaskLabels, &Resource::Global)
    }

    fn label_name(errors: &mut FieldErrors, name: &str) -> String {
        required_text(errors, "name", name, LABEL_NAME_MAX)
    }

    pub async fn create_label(&self, caller: &Caller, input: LabelInput) -> AppResult<Label> {
        ensure(caller, Action::ManageTaskLabels, &Resource::Global)?;
        let mut errors = FieldErrors::new();
        let name = Self::label_name(&mut errors, &input.name);
        errors.into_result()?;
        let label = Label {
            id: formula_domain::new_id(),
            name,
            colour: input.colour,
            version: 1,
        };
        let a = audit(
            caller,
            "create",
            "label",
            label.id,
            &label.name,
            created(&label),
        );
        self.store.insert_label(&label, self.now(), &a).await?;
        Ok(label)
    }

    pub async fn update_label(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: LabelInput,
    ) -> AppResult<Label> {
        ensure(caller, Action::ManageTaskLabels, &Resource::Global)?;
        let current = self
            .store
            .get_label(id)
            .await?
            .ok_or(AppError::NotFound("label"))?;
        if current.version != expected_version {
            return Err(AppError::Stale {
                current_version: current.version,
                updated_by: None,
                updated_at: None,
            });
        }
        let mut errors = FieldErrors::new();
        let name = Self::label_name(&mut errors, &input.name);
        errors.into_result()?;
        let next = Label {
            name,
            colour: input.colour,
            ..current.clone()
        };
        let a = audit(
            caller,
            "update",
            "label",
            id,
            &next.name,
            changes(&current, &next),
        );
        let saved = self
            .store
            .update_label(&next, expected_version, self.now(), &a)
            .await?;
        Ok(saved)
    }

    pub async fn delete_label(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<()> {
        ensure(caller, Action::ManageTaskLabels, &Resource::Global)?;
        let current = self
            .store
            .get_label(id)
            .await?
            .ok_or(AppError::NotFound("label"))?;
        let a = audit(caller, "delete", "label", id, &current.name, Vec::new());
        self.store.delete_label(id, expected_version, &a).await
    }

    /// The labels these ids name, in the company's order; an id that names none is a
    /// field error on `field`.
    async fn known_labels(
        &self,
        errors: &mut FieldErrors,
        field: &str,
        ids: &[Uuid],
    ) -> AppResult<Vec<TaskLabel>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let all = self.store.list_labels().await?;
        let wanted: HashSet<Uuid> = ids.iter().copied().collect();
        let found: Vec<TaskLabel> = all
            .into_iter()
            .filter(|l| wanted.contains(&l.id))
            .map(|l| TaskLabel {
                id: l.id,
                name: l.name,
                colour: l.colour,
            })
            .collect();
        if found.len() != wanted.len() {
            errors.add(
                field,
                "names a label that does not exist (or was deleted); choose among the company's labels",
            );
        }
        Ok(found)
    }

    /// Replaces a task's labels.
    pub async fn set_task_labels(
        &self,
        caller: &Caller,
        task_id: Uuid,
        expected_version: i64,
        label_ids: &[Uuid],
    ) -> AppResult<Task> {
        let current = self.editable_task(caller, task_id).await?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let mut errors = FieldErrors::new();
        let labels = self
            .known_labels(&mut errors, "label_ids", label_ids)
            .await?;
        if labels.len() > TASK_LABELS_MAX {
            errors.add(
                "label_ids",
                format!("a task carries at most {TASK_LABELS_MAX} labels"),
            );
        }
        errors.into_result()?;
        let next = Task {
            labels: labels.clone(),
            ..current.clone()
        };
        let a = audit(
            caller,
            "update",
            "task",
            task_id,
            &current.title,
            changes(&current, &next),
        )
        .in_project(current.project_id);
        let ids: Vec<Uuid> = labels.iter().map(|l| l.id).collect();
        let saved = self
            .store
            .set_task_labels(
                task_id,
                expected_version,
                &ids,
                self.now(),
                caller.actor.user_id,
                &a,
            )
            .await?;
        self.changed(
            caller,
            "task.updated",
            saved.project_id,
            saved.id,
            Some(saved.version),
        )
        .await;
        Ok(saved)
    }

    // ---- Subtasks ----

    /// A task's subtasks, by due date (at most 200).
    pub async fn subtasks(&self, caller: &Caller, task_id: Uuid) -> AppResult<Vec<Task>> {
        let (task, access) = self.task_for(caller, task_id).await?;
        ensure(caller, Action::ViewTasks, &Resource::Project(access))?;
        let query = TaskQuery {
            project_id: Some(task.project_id),
            parent_id: Some(task_id),
            sort: Some((TaskSort::DueDate, crate::query::Dir::Asc)),
            paging: Paging {
                limit: 200,
                offset: 0,
            },
            ..Default::default()
        };
        Ok(self
            .store
            .list_tasks(&query, project_scope(&caller.actor))
            .await?
            .items)
    }

    /// Checks that `child` may become a subtask of `parent_id` (one level deep, same
    /// project), as a field error on `parent_id`.
    pub(crate) async fn check_parent(
        &self,
        errors: &mut FieldErrors,
        child: &Task,
        parent_id: Uuid,
    ) -> AppResult<()> {
        let Some(parent) = self.store.get_task(parent_id).await? else {
            errors.add("parent_id", "names a task that does not exist");
            return Ok(());
        };
        let subtasks = if child.version == 0 {
            0
        } else {
            self.store.count_subtasks(child.id).await?
        };
        if let Some(why) = parent_refusal(child, subtasks, &parent) {
            errors.add("parent_id", why);
        }
        Ok(())
    }

    // ---- Bulk edits ----

    /// The same change to a selection of a project's tasks, all or nothing: each task is
    /// checked (of this project, editable by the caller, at the version read), then all are
    /// saved in one transaction with an audit entry each.
    pub async fn bulk_edit_tasks(
        &self,
        caller: &Caller,
        project_id: Uuid,
        edit: BulkEdit,
    ) -> AppResult<BulkSaved> {
        let (_, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ViewTasks, &Resource::Project(access))?;
        // Whoever may change no task of the project (not even their own) may not bulk-edit.
        ensure(
            caller,
            Action::UpdateTask,
            &Resource::Task {
                project: access,
                assignee: Some(caller.actor.user_id),
            },
        )?;
        let mut errors = FieldErrors::new();
        if edit.tasks.is_empty() || edit.tasks.len() > BULK_MAX {
            errors.add("tasks", format!("choose between 1 and {BULK_MAX} tasks"));
        }
        let mut seen = HashSet::new();
        if edit.tasks.iter().any(|t| !seen.insert(t.id)) {
            errors.add("tasks", "names a task twice; list each task once");
        }
        if edit.assignee_id.is_none()
            && edit.status.is_none()
            && edit.shift_days.is_none_or(|d| d == 0)
            && edit.add_label_ids.is_empty()
            && edit.remove_label_ids.is_empty()
        {
            errors.add(
                "tasks",
                "say what to change: an assignee, a status, a due date shift or labels",
            );
        }
        if let Some(d) = edit.shift_days
            && !(-BULK_SHIFT_MAX_DAYS..=BULK_SHIFT_MAX_DAYS).contains(&d)
        {
            errors.add(
                "shift_days",
                format!("must be between -{BULK_SHIFT_MAX_DAYS} and {BULK_SHIFT_MAX_DAYS} days"),
            );
        }
        if edit
            .add_label_ids
            .iter()
            .any(|l| edit.remove_label_ids.contains(l))
        {
            errors.add(
                "remove_label_ids",
                "names a label that is also to be added; choose one or the other",
            );
        }
        let add = self
            .known_labels(&mut errors, "add_label_ids", &edit.add_label_ids)
            .await?;
        let remove: HashSet<Uuid> = edit.remove_label_ids.iter().copied().collect();
        let assignee_name = match edit.assignee_id {
            Some(a) => self.check_assignee(&mut errors, project_id, a).await?,
            None => None,
        };
        errors.into_result()?;
        let now = self.now();
        let mut rows = Vec::with_capacity(edit.tasks.len());
        let mut befores = Vec::with_capacity(edit.tasks.len());
        for r in &edit.tasks {
            let current = match self.store.get_task(r.id).await? {
                Some(t) if t.project_id == project_id => t,
                _ => {
                    return Err(AppError::field(
                        "tasks",
                        format!(
                            "{} is not a task of this project; choose among the project's tasks",
                            r.id
                        ),
                    ));
                }
            };
            ensure(
                caller,
                Action::UpdateTask,
                &Resource::Task {
                    project: access,
                    assignee: current.assignee_id,
                },
            )?;
            if current.version != r.version {
                return Err(AppError::Conflict {
                    code: "stale",
                    message: format!(
                        "“{}” was changed{} since the list was loaded; nothing was saved. Reload the list and try again.",
                        current.title,
                        current
                            .updated_by_name
                            .as_ref()
                            .map(|n| format!(" by {n}"))
                            .unwrap_or_default()
                    ),
                    fields: FieldErrors::new(),
                });
            }
            let mut next = current.clone();
            if let Some(a) = edit.assignee_id {
                next.assignee_id = a;
                next.assignee_name = assignee_name.clone();
            }
            if let Some(to) = edit.status {
                let (p, at) =
                    apply_status(current.status, to, next.progress, current.completed_at, now);
                next.status = to;
                next.progress = p;
                next.completed_at = at;
            }
            if let Some(d) = edit.shift_days.filter(|d| *d != 0)
                && let Some(due) = current.due_date
            {
                let shift = Duration::days(d);
                next.due_date = due.checked_add(shift);
                next.start_date = current.start_date.and_then(|s| s.checked_add(shift));
            }
            next.labels.retain(|l| !remove.contains(&l.id));
            for l in &add {
                if !next.labels.iter().any(|x| x.id == l.id) {
                    next.labels.push(l.clone());
                }
            }
            next.updated_at = now;
            next.updated_by_name = Some(caller.actor.name.clone());
            let action = if next.status != current.status {
                "status_change"
            } else {
                "update"
            };
            let a = audit(
                caller,
                action,
                "task",
                current.id,
                &next.title,
                changes(&current, &next),
            )
            .in_project(project_id);
            befores.push(current);
            rows.push(BulkTask {
                task: next,
                expected_version: r.version,
                audit: a,
            });
        }
        let add_ids: Vec<Uuid> = add.iter().map(|l| l.id).collect();
        let remove_ids: Vec<Uuid> = remove.into_iter().collect();
        self.store
            .bulk_update_tasks(&rows, &add_ids, &remove_ids)
            .await?;
        let mut saved = Vec::with_capacity(rows.len());
        for (b, before) in rows.iter().zip(&befores) {
            let version = b.expected_version + 1;
            self.changed(caller, "task.updated", project_id, b.task.id, Some(version))
                .await;
            let after = Task {
                version,
                ..b.task.clone()
            };
            self.announce_task_saved(caller, before, &after, access.client_id)
                .await;
            saved.push(BulkRef {
                id: b.task.id,
                version,
            });
        }
        Ok(BulkSaved { tasks: saved })
    }
}

/// The cards a board column shows at most; its `total` counts them all.
pub const BOARD_COLUMN_LIMIT: u32 = 100;

/// Which due dates a board shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFilter {
    /// Due before today.
    Overdue,
    /// Due today or within the next 7 days.
    ThisWeek,
    /// Without a due date.
    NoDate,
}

/// A board's filters.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    pub assignee_id: Option<Uuid>,
    pub label_id: Option<Uuid>,
    pub due: Option<DueFilter>,
    /// Tasks for a scope item on this building level (see [`TaskQuery::level_id`]).
    pub level_id: Option<Uuid>,
}

/// One column of a project's task board: the tasks of one status.
#[derive(Debug, Clone)]
pub struct BoardColumn {
    pub status: TaskStatus,
    /// How many tasks the column holds (its work in progress), listed or not.
    pub total: i64,
    /// The first [`BOARD_COLUMN_LIMIT`], by due date.
    pub tasks: Vec<Task>,
}

impl Services {
    /// A project's tasks by status, one column per status, filtered: two reads (the
    /// counts, then the cards), whatever the number of columns.
    pub async fn task_board(
        &self,
        caller: &Caller,
        project_id: Uuid,
        filter: &BoardFilter,
    ) -> AppResult<Vec<BoardColumn>> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewTasks, &Resource::Project(access))?;
        let today = self.today();
        let base = TaskQuery {
            project_id: Some(project_id),
            assignee_id: filter.assignee_id,
            label_id: filter.label_id,
            level_id: filter.level_id,
            due_before: match filter.due {
                Some(DueFilter::Overdue) => Some(today),
                Some(DueFilter::ThisWeek) => Some(today + Duration::days(8)),
                _ => None,
            },
            due_from: (filter.due == Some(DueFilter::ThisWeek)).then_some(today),
            undated: filter.due == Some(DueFilter::NoDate),
            sort: Some((TaskSort::DueDate, crate::query::Dir::Asc)),
            paging: Paging {
                limit: BOARD_COLUMN_LIMIT,
                offset: 0,
            },
            ..Default::default()
        };
        let queries: Vec<TaskQuery> = TaskStatus::ALL
            .iter()
            .map(|s| TaskQuery {
                status: Some(*s),
                ..base.clone()
            })
            .collect();
        let scope = project_scope(&caller.actor);
        let counts = self.store.count_tasks_each(&queries, scope).await?;
        let pages = self.store.task_pages(&queries, scope).await?;
        Ok(TaskStatus::ALL
            .iter()
            .zip(counts)
            .zip(pages)
            .map(|((status, total), tasks)| BoardColumn {
                status: *status,
                total,
                tasks,
            })
            .collect())
    }
}
