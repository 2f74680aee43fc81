-- Open tasks by due date, for the counts and pages that skip closed tasks. The condition is
-- `TASK_OPEN` (crates/store/src/projects.rs) word for word, so that both databases see the
-- queries' filter imply it. The previous version runs on this schema unchanged.

-- My work: a person's open tasks in due-date order (overdue, this week, later, undated) are
-- read a page at a time from this index, and counted from it alone. Without it, each page
-- walked the person's tasks by due date and looked up every row to skip the closed ones.
CREATE INDEX tasks_assignee_open_due_idx ON tasks (assignee_id, due_date, id)
    WHERE status IN ('pending', 'in_progress', 'review');

-- Project lists: each project's overdue tasks are one range of this index.
CREATE INDEX tasks_project_open_due_idx ON tasks (project_id, due_date)
    WHERE status IN ('pending', 'in_progress', 'review');
