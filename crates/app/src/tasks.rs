//! Tasks on a project's team, and "My work".

use formula_domain::authz::{Action, ProjectAccess, Resource, authorize, project_scope};
use formula_domain::comment::RecordKind;
use formula_domain::enums::Priority;
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::notification::Event;
use formula_domain::planning::{ConstraintKind, check_constraint, milestone_dates};
use formula_domain::task::{Task, TaskStatus, apply_status};
use serde::{Deserialize, Serialize};
use time::{Date, Duration};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::notifications::Happening;
use crate::query::{Page, Paging, TaskQuery, TaskSort};
use crate::repos::RecordKey;
use crate::services::{Services, audit, changes, check_version, created, double_option, ensure};

/// A task to create.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
    #[serde(default)]
    pub start_date: Option<Date>,
    #[serde(default)]
    pub due_date: Option<Date>,
    #[serde(default)]
    pub estimated_hours: Option<f64>,
    #[serde(default)]
    pub actual_hours: Option<f64>,
    #[serde(default)]
    pub progress: Option<i32>,
    // The schedule (issue 20).
    /// A point in time: give one date (start and due are then the same).
    #[serde(default)]
    pub is_milestone: bool,
    /// With `constraint_on`: `snet` (start no earlier than) or `fnlt` (finish no later than).
    #[serde(default)]
    pub constraint_kind: Option<ConstraintKind>,
    #[serde(default)]
    pub constraint_on: Option<Date>,
    /// A scope item of the same project.
    #[serde(default)]
    pub scope_item_id: Option<Uuid>,
    // ---- Task features (migration 0046): keep these last. ----
    /// Make it a subtask of this task of the same project (which is not itself a subtask).
    #[serde(default)]
    pub parent_id: Option<Uuid>,
}

/// Changes to a task; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub description: Option<Option<String>>,
    pub status: Option<TaskStatus>,
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "double_option")]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    pub start_date: Option<Option<Date>>,
    #[serde(default, deserialize_with = "double_option")]
    pub due_date: Option<Option<Date>>,
    #[serde(default, deserialize_with = "double_option")]
    pub estimated_hours: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub actual_hours: Option<Option<f64>>,
    pub progress: Option<i32>,
    pub version: Option<i64>,
    // The schedule (issue 20).
    pub is_milestone: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    pub constraint_kind: Option<Option<ConstraintKind>>,
    #[serde(default, deserialize_with = "double_option")]
    pub constraint_on: Option<Option<Date>>,
    #[serde(default, deserialize_with = "double_option")]
    pub scope_item_id: Option<Option<Uuid>>,
    // ---- Task features (migration 0046): keep these last. ----
    /// Make it a subtask of this task (`null`: a top-level task again). Subtasks are one
    /// level deep: the parent is not a subtask, and a task with subtasks cannot become one.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

/// How many tasks [`Services::my_work`] lists in each group unless asked for more;
/// `totals` counts them all.
pub const MY_WORK_GROUP_LIMIT: u32 = 25;
/// The most a caller may ask for per group.
pub const MY_WORK_GROUP_MAX: u32 = 200;

/// The caller's tasks, grouped the way people plan their week. Each group lists its first
/// tasks by due date (done: the latest completed), [`MY_WORK_GROUP_LIMIT`] unless asked for
/// more; `totals` says how many each group holds.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct MyWork {
    /// Open, due before today.
    pub overdue: Vec<Task>,
    /// Open, due today or within the next 7 days.
    pub due_this_week: Vec<Task>,
    /// Open, due later, or without a due date.
    pub later: Vec<Task>,
    /// Completed in the last 14 days, latest first.
    pub done_recently: Vec<Task>,
    pub totals: MyWorkTotals,
}

/// How many tasks each group of [`MyWork`] holds, listed or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MyWorkTotals {
    pub overdue: i64,
    pub due_this_week: i64,
    pub later: i64,
    pub done_recently: i64,
}

fn hours(errors: &mut FieldErrors, field: &str, v: Option<f64>) -> Option<f64> {
    let h = v?;
    if !h.is_finite() || !(0.0..=100_000.0).contains(&h) {
        errors.add(field, "must be a number of hours between 0 and 100000");
    }
    Some((h * 100.0).round() / 100.0)
}

impl Services {
    pub(crate) async fn task_for(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(Task, ProjectAccess)> {
        let task = self
            .store
            .get_task(id)
            .await?
            .ok_or(AppError::NotFound("task"))?;
        let access = self
            .access_for(caller, task.project_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("task"),
                other => other,
            })?;
        Ok((task, access))
    }

    /// Whether the caller may edit this task (for showing edit controls).
    pub fn may_edit_task(&self, caller: &Caller, task: &Task, access: ProjectAccess) -> bool {
        authorize(
            &caller.actor,
            Action::UpdateTask,
            &Resource::Task {
                project: access,
                assignee: task.assignee_id,
            },
        )
    }

    pub(crate) async fn check_assignee(
        &self,
        errors: &mut FieldErrors,
        project_id: Uuid,
        assignee: Option<Uuid>,
    ) -> AppResult<Option<String>> {
        let Some(id) = assignee else { return Ok(None) };
        let members = self.store.list_members(project_id).await?;
        match members.into_iter().find(|m| m.user_id == id) {
            Some(m) => Ok(Some(m.name)),
            None => {
                errors.add(
                    "assignee_id",
                    "must be a member of the project team; add them on the Team tab first",
                );
                Ok(None)
            }
        }
    }

    /// A task may be for a scope item of its own project only.
    async fn check_scope_item(
        &self,
        errors: &mut FieldErrors,
        project_id: Uuid,
        item: Option<Uuid>,
    ) -> AppResult<()> {
        let Some(id) = item else { return Ok(()) };
        match self.store.get_scope_item(id).await? {
            Some(i) if i.project_id == project_id => {}
            _ => errors.add(
                "scope_item_id",
                "must be a scope item of this task's project",
            ),
        }
        Ok(())
    }

    pub async fn create_task(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewTask,
    ) -> AppResult<Task> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::CreateTask, &Resource::Project(access))?;
        let mut errors = FieldErrors::new();
        let title = required_text(&mut errors, "title", &input.title, 300);
        let description = optional_text(
            &mut errors,
            "description",
            input.description.as_deref(),
            10_000,
        );
        let assignee_name = self
            .check_assignee(&mut errors, project_id, input.assignee_id)
            .await?;
        let (start_date, due_date) = if input.is_milestone {
            milestone_dates(&mut errors, input.start_date, input.due_date)
        } else {
            (input.start_date, input.due_date)
        };
        if let (Some(s), Some(d)) = (start_date, due_date)
            && d < s
        {
            errors.add("due_date", "must be on or after the start date");
        }
        check_constraint(&mut errors, input.constraint_kind, input.constraint_on);
        self.check_scope_item(&mut errors, project_id, input.scope_item_id)
            .await?;
        let estimated_hours = hours(&mut errors, "estimated_hours", input.estimated_hours);
        let actual_hours = hours(&mut errors, "actual_hours", input.actual_hours);
        let progress = input.progress.unwrap_or(0);
        if !(0..=100).contains(&progress) {
            errors.add("progress", "must be between 0 and 100");
        }
        errors.into_result()?;
        let now = self.now();
        let status = input.status.unwrap_or(TaskStatus::Pending);
        let (progress, completed_at) =
            apply_status(TaskStatus::Pending, status, progress, None, now);
        let task = Task {
            id: formula_domain::new_id(),
            project_id,
            project_code: project.code.clone(),
            project_name: project.name.clone(),
            title,
            description,
            status,
            priority: input.priority.unwrap_or(Priority::Medium),
            assignee_id: input.assignee_id,
            assignee_name,
            start_date,
            due_date,
            estimated_hours,
            actual_hours,
            progress,
            completed_at,
            created_at: now,
            updated_at: now,
            updated_by_name: Some(caller.actor.name.clone()),
            version: 1,
            is_milestone: input.is_milestone,
            constraint_kind: input.constraint_kind,
            constraint_on: input.constraint_on,
            scope_item_id: input.scope_item_id,
            parent_id: input.parent_id,
            labels: Vec::new(),
            checklist_done: 0,
            checklist_total: 0,
            subtask_count: 0,
        };
        if let Some(parent) = input.parent_id {
            // A new task has no subtasks (version 0 tells `check_parent` so).
            let mut errors = FieldErrors::new();
            self.check_parent(
                &mut errors,
                &Task {
                    version: 0,
                    ..task.clone()
                },
                parent,
            )
            .await?;
            errors.into_result()?;
        }
        let a = audit(
            caller,
            "create",
            "task",
            task.id,
            &task.title,
            created(&task),
        )
        .in_project(task.project_id);
        // Its creator and assignee follow it from the start (in the same transaction).
        let people: Vec<Uuid> = std::iter::once(caller.actor.user_id)
            .chain(task.assignee_id)
            .collect();
        self.store.insert_task(&task, &a, &people).await?;
        self.changed(
            caller,
            "task.created",
            task.project_id,
            task.id,
            Some(task.version),
        )
        .await;
        if task.assignee_id.is_some() {
            self.task_assigned(caller, &task, project.client_id).await;
        }
        Ok(task)
    }

    /// Tells the assignee that `task` is theirs now.
    async fn task_assigned(&self, caller: &Caller, task: &Task, client_id: Uuid) {
        let record = RecordKey {
            kind: RecordKind::Task,
            id: task.id,
            project_id: task.project_id,
        };
        let mut h = Happening::new(
            Event::TaskAssigned,
            record,
            client_id,
            format!(
                "{} assigned “{}” to you{}",
                caller.actor.name,
                task.title,
                task.due_date
                    .map(|d| format!(", due {d}"))
                    .unwrap_or_default()
            ),
        )
        .by(caller);
        h.parties.assignee = task.assignee_id;
        h.occurrence = format!("v{}", task.version);
        self.notify(h).await;
    }

    /// Tells the task's creator and the project managers that `task` is done.
    async fn task_completed(&self, caller: &Caller, task: &Task, client_id: Uuid) {
        let record = RecordKey {
            kind: RecordKind::Task,
            id: task.id,
            project_id: task.project_id,
        };
        let created = crate::query::AuditQuery {
            entity_type: Some("task".into()),
            entity_id: Some(task.id),
            action: Some("create".into()),
            ..Default::default()
        };
        let creator = match self.store.list_audit(&created).await {
            Ok(page) => page.items.last().and_then(|e| e.actor_id),
            Err(e) => {
                tracing::warn!(task = %task.id, error = %e, "could not read who created a task");
                None
            }
        };
        let mut h = Happening::new(
            Event::TaskCompleted,
            record,
            client_id,
            format!("{} completed “{}”", caller.actor.name, task.title),
        )
        .by(caller);
        h.parties.creator = creator;
        h.occurrence = format!("v{}", task.version);
        self.notify(h).await;
    }

    pub async fn get_task(&self, caller: &Caller, id: Uuid) -> AppResult<(Task, ProjectAccess)> {
        self.task_for(caller, id).await
    }

    /// Tasks of one project, filtered.
    pub async fn list_project_tasks(
        &self,
        caller: &Caller,
        project_id: Uuid,
        mut query: TaskQuery,
    ) -> AppResult<Page<Task>> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewTasks, &Resource::Project(access))?;
        query.project_id = Some(project_id);
        self.store
            .list_tasks(&query, project_scope(&caller.actor))
            .await
    }

    pub async fn update_task(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: TaskPatch,
    ) -> AppResult<Task> {
        let (current, access) = self.task_for(caller, id).await?;
        ensure(
            caller,
            Action::UpdateTask,
            &Resource::Task {
                project: access,
                assignee: current.assignee_id,
            },
        )?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(v) = patch.title {
            next.title = required_text(&mut errors, "title", &v, 300);
        }
        if let Some(v) = patch.description {
            next.description = optional_text(&mut errors, "description", v.as_deref(), 10_000);
        }
        if let Some(v) = patch.priority {
            next.priority = v;
        }
        if let Some(v) = patch.assignee_id
            && v != current.assignee_id
        {
            next.assignee_name = self
                .check_assignee(&mut errors, current.project_id, v)
                .await?;
            next.assignee_id = v;
        }
        if let Some(v) = patch.start_date {
            next.start_date = v;
        }
        if let Some(v) = patch.due_date {
            next.due_date = v;
        }
        if let Some(v) = patch.is_milestone {
            next.is_milestone = v;
        }
        if next.is_milestone {
            (next.start_date, next.due_date) =
                milestone_dates(&mut errors, next.start_date, next.due_date);
        }
        if let Some(v) = patch.constraint_kind {
            next.constraint_kind = v;
        }
        if let Some(v) = patch.constraint_on {
            next.constraint_on = v;
        }
        check_constraint(&mut errors, next.constraint_kind, next.constraint_on);
        if let Some(v) = patch.scope_item_id
            && v != current.scope_item_id
        {
            self.check_scope_item(&mut errors, current.project_id, v)
                .await?;
            next.scope_item_id = v;
        }
        if let (Some(s), Some(d)) = (next.start_date, next.due_date)
            && d < s
        {
            errors.add("due_date", "must be on or after the start date");
        }
        if let Some(v) = patch.estimated_hours {
            next.estimated_hours = hours(&mut errors, "estimated_hours", v);
        }
        if let Some(v) = patch.actual_hours {
            next.actual_hours = hours(&mut errors, "actual_hours", v);
        }
        if let Some(p) = patch.progress {
            if (0..=100).contains(&p) {
                next.progress = p;
            } else {
                errors.add("progress", "must be between 0 and 100");
            }
        }
        if let Some(parent) = patch.parent_id
            && parent != current.parent_id
        {
            if let Some(parent) = parent {
                self.check_parent(&mut errors, &current, parent).await?;
            }
            next.parent_id = parent;
        }
        errors.into_result()?;
        let now = self.now();
        if let Some(to) = patch.status {
            let (p, at) =
                apply_status(current.status, to, next.progress, current.completed_at, now);
            next.status = to;
            next.progress = p;
            next.completed_at = at;
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
            id,
            &next.title,
            changes(&current, &next),
        )
        .in_project(current.project_id);
        let saved = self.store.update_task(&next, expected_version, &a).await?;
        self.changed(
            caller,
            "task.updated",
            saved.project_id,
            saved.id,
            Some(saved.version),
        )
        .await;
        self.announce_task_saved(caller, &current, &saved, access.client_id)
            .await;
        Ok(saved)
    }

    /// What a saved change of a task tells people, whether one task was edited or many at
    /// once: a new assignee follows the task and hears it is theirs, completion goes to its
    /// creator and the managers, and moved dates to the assignee.
    pub(crate) async fn announce_task_saved(
        &self,
        caller: &Caller,
        before: &Task,
        saved: &Task,
        client_id: Uuid,
    ) {
        if let Some(assignee) = saved.assignee_id.filter(|a| before.assignee_id != Some(*a)) {
            self.involve(RecordKind::Task, saved.id, saved.project_id, &[assignee])
                .await;
            self.task_assigned(caller, saved, client_id).await;
        }
        if saved.status == TaskStatus::Completed && before.status != TaskStatus::Completed {
            self.task_completed(caller, saved, client_id).await;
        }
        self.tell_dates_moved(caller, before, saved, client_id)
            .await;
    }

    pub async fn delete_task(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<()> {
        let (current, access) = self.task_for(caller, id).await?;
        ensure(
            caller,
            Action::DeleteTask,
            &Resource::Task {
                project: access,
                assignee: current.assignee_id,
            },
        )?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let a = audit(caller, "delete", "task", id, &current.title, Vec::new())
            .in_project(current.project_id);
        self.store.delete_task(id, expected_version, &a).await?;
        // Its attachments went with it; their files go now.
        self.remove_deleted_files().await;
        self.changed(caller, "task.deleted", current.project_id, id, None)
            .await;
        Ok(())
    }

    /// The caller's tasks: overdue, due within 7 days, later (or undated), and completed in
    /// the last 14 days; each group's first `per_group` (at most [`MY_WORK_GROUP_MAX`]) and
    /// its total.
    pub async fn my_work(&self, caller: &Caller, per_group: u32) -> AppResult<MyWork> {
        let per_group = per_group.clamp(1, MY_WORK_GROUP_MAX);
        let today = self.today();
        let week_end = today + Duration::days(8);
        let mine = TaskQuery {
            assignee_id: Some(caller.actor.user_id),
            sort: Some((TaskSort::DueDate, crate::query::Dir::Asc)),
            paging: Paging {
                limit: per_group,
                offset: 0,
            },
            ..Default::default()
        };
        let open = TaskQuery {
            open_only: true,
            ..mine.clone()
        };
        let overdue = TaskQuery {
            due_before: Some(today),
            ..open.clone()
        };
        let due_this_week = TaskQuery {
            due_from: Some(today),
            due_before: Some(week_end),
            ..open.clone()
        };
        // Later: the dated ones first, then the undated, as two index-ordered reads.
        let later_dated = TaskQuery {
            due_from: Some(week_end),
            ..open.clone()
        };
        let later_undated = TaskQuery {
            undated: true,
            ..open
        };
        let done_recently = TaskQuery {
            status: Some(TaskStatus::Completed),
            completed_since: Some(self.now() - Duration::days(14)),
            sort: Some((TaskSort::CompletedAt, crate::query::Dir::Desc)),
            ..mine
        };
        // Positions in `groups` that the code below refers to.
        const LATER_DATED: usize = 2;
        const LATER_UNDATED: usize = 3;
        let mut groups = [
            overdue,
            due_this_week,
            later_dated,
            later_undated,
            done_recently,
        ];
        let scope = project_scope(&caller.actor);
        // All the counts in one read, then the pages of the groups that have tasks.
        let counts = self.store.count_tasks_each(&groups, scope).await?;
        let count = |i: usize| counts.get(i).copied().unwrap_or(0);
        let dated_shown = u32::try_from(count(LATER_DATED))
            .unwrap_or(u32::MAX)
            .min(per_group);
        let room = per_group - dated_shown;
        groups[LATER_UNDATED].paging.limit = room;
        let wanted: Vec<usize> = (0..groups.len())
            .filter(|&i| count(i) > 0 && (i != LATER_UNDATED || room > 0))
            .collect();
        let queries: Vec<TaskQuery> = wanted.iter().map(|&i| groups[i].clone()).collect();
        let mut items: [Vec<Task>; 5] = Default::default();
        for (i, page) in wanted
            .into_iter()
            .zip(self.store.task_pages(&queries, scope).await?)
        {
            items[i] = page;
        }
        let [overdue, due_this_week, mut later, undated, done_recently] = items;
        later.extend(undated);
        Ok(MyWork {
            totals: MyWorkTotals {
                overdue: count(0),
                due_this_week: count(1),
                later: count(LATER_DATED) + count(LATER_UNDATED),
                done_recently: count(4),
            },
            overdue,
            due_this_week,
            later,
            done_recently,
        })
    }

    /// The audit trail (admins and executives).
    pub async fn list_audit(
        &self,
        caller: &Caller,
        query: &crate::query::AuditQuery,
    ) -> AppResult<Page<formula_domain::audit::AuditEntry>> {
        ensure(caller, Action::ViewAudit, &Resource::Global)?;
        self.store.list_audit(query).await
    }

    /// The names of the records these ids refer to, for reading audit entries (the ids
    /// that are gone, or that name nothing, are left out). At most 2,000 ids are looked up.
    pub async fn audit_names(
        &self,
        caller: &Caller,
        ids: &[Uuid],
    ) -> AppResult<std::collections::HashMap<Uuid, String>> {
        ensure(caller, Action::ViewAudit, &Resource::Global)?;
        let ids = &ids[..ids.len().min(2000)];
        Ok(self.store.names_of(ids).await?.into_iter().collect())
    }
}
