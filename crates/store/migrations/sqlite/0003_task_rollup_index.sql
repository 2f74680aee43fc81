-- Project lists and pages derive task counts, overdue counts and progress from the tasks
-- of each project. This index holds every column that roll-up reads, so it is answered
-- from the index alone instead of one table lookup per task (measured in docs/performance.md).
CREATE INDEX tasks_project_rollup_idx ON tasks (project_id, status, due_date, progress);

-- "My work" and assignee filters read a person's tasks in due-date order.
CREATE INDEX tasks_assignee_due_idx ON tasks (assignee_id, due_date);
