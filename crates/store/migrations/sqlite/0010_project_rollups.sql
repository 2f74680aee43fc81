-- Each project's task and scope figures, kept by triggers in the same transaction as every
-- write to tasks and scope_items, so project lists read one row per project instead of
-- aggregating its tasks and items on every request. Only counts and sums are kept: what
-- depends on the date (overdue tasks) is still counted when read, from the roll-up index.
-- Derived data: not dumped, rebuilt by the triggers when a dump is loaded. The previous
-- version runs on this schema unchanged (its writes fire the same triggers).

CREATE TABLE project_rollups (
    project_id          BLOB PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_total          INTEGER NOT NULL DEFAULT 0,
    task_completed      INTEGER NOT NULL DEFAULT 0,
    -- Progress of the tasks that are not cancelled: sum and count.
    task_progress_sum   INTEGER NOT NULL DEFAULT 0,
    task_progress_count INTEGER NOT NULL DEFAULT 0,
    -- Scope items that are not cancelled: count, progress sum, priced total (weight) and
    -- total × progress.
    scope_items         INTEGER NOT NULL DEFAULT 0,
    scope_progress_sum  INTEGER NOT NULL DEFAULT 0,
    scope_weight        INTEGER NOT NULL DEFAULT 0,
    scope_weighted      INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO project_rollups (project_id, task_total, task_completed, task_progress_sum, task_progress_count,
                             scope_items, scope_progress_sum, scope_weight, scope_weighted)
SELECT p.id,
       (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id),
       (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id AND t.status = 'completed'),
       (SELECT COALESCE(SUM(t.progress), 0) FROM tasks t WHERE t.project_id = p.id AND t.status <> 'cancelled'),
       (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id AND t.status <> 'cancelled'),
       (SELECT COUNT(*) FROM scope_items i WHERE i.project_id = p.id AND i.status <> 'cancelled'),
       (SELECT COALESCE(SUM(i.progress), 0) FROM scope_items i WHERE i.project_id = p.id AND i.status <> 'cancelled'),
       (SELECT COALESCE(SUM(COALESCE(i.total_minor, 0)), 0) FROM scope_items i
         WHERE i.project_id = p.id AND i.status <> 'cancelled'),
       (SELECT COALESCE(SUM(COALESCE(i.total_minor, 0) * i.progress), 0) FROM scope_items i
         WHERE i.project_id = p.id AND i.status <> 'cancelled')
FROM projects p;

CREATE TRIGGER projects_rollup_insert AFTER INSERT ON projects
BEGIN
    INSERT INTO project_rollups (project_id) VALUES (NEW.id);
END;

CREATE TRIGGER tasks_rollup_insert AFTER INSERT ON tasks
BEGIN
    UPDATE project_rollups SET
        task_total = task_total + 1,
        task_completed = task_completed + (NEW.status = 'completed'),
        task_progress_sum = task_progress_sum + CASE WHEN NEW.status <> 'cancelled' THEN NEW.progress ELSE 0 END,
        task_progress_count = task_progress_count + (NEW.status <> 'cancelled')
    WHERE project_id = NEW.project_id;
END;

CREATE TRIGGER tasks_rollup_delete AFTER DELETE ON tasks
BEGIN
    UPDATE project_rollups SET
        task_total = task_total - 1,
        task_completed = task_completed - (OLD.status = 'completed'),
        task_progress_sum = task_progress_sum - CASE WHEN OLD.status <> 'cancelled' THEN OLD.progress ELSE 0 END,
        task_progress_count = task_progress_count - (OLD.status <> 'cancelled')
    WHERE project_id = OLD.project_id;
END;

CREATE TRIGGER tasks_rollup_update AFTER UPDATE OF project_id, status, progress ON tasks
BEGIN
    UPDATE project_rollups SET
        task_total = task_total - 1,
        task_completed = task_completed - (OLD.status = 'completed'),
        task_progress_sum = task_progress_sum - CASE WHEN OLD.status <> 'cancelled' THEN OLD.progress ELSE 0 END,
        task_progress_count = task_progress_count - (OLD.status <> 'cancelled')
    WHERE project_id = OLD.project_id;
    UPDATE project_rollups SET
        task_total = task_total + 1,
        task_completed = task_completed + (NEW.status = 'completed'),
        task_progress_sum = task_progress_sum + CASE WHEN NEW.status <> 'cancelled' THEN NEW.progress ELSE 0 END,
        task_progress_count = task_progress_count + (NEW.status <> 'cancelled')
    WHERE project_id = NEW.project_id;
END;

CREATE TRIGGER scope_items_rollup_insert AFTER INSERT ON scope_items WHEN NEW.status <> 'cancelled'
BEGIN
    UPDATE project_rollups SET
        scope_items = scope_items + 1,
        scope_progress_sum = scope_progress_sum + NEW.progress,
        scope_weight = scope_weight + COALESCE(NEW.total_minor, 0),
        scope_weighted = scope_weighted + COALESCE(NEW.total_minor, 0) * NEW.progress
    WHERE project_id = NEW.project_id;
END;

CREATE TRIGGER scope_items_rollup_delete AFTER DELETE ON scope_items WHEN OLD.status <> 'cancelled'
BEGIN
    UPDATE project_rollups SET
        scope_items = scope_items - 1,
        scope_progress_sum = scope_progress_sum - OLD.progress,
        scope_weight = scope_weight - COALESCE(OLD.total_minor, 0),
        scope_weighted = scope_weighted - COALESCE(OLD.total_minor, 0) * OLD.progress
    WHERE project_id = OLD.project_id;
END;

CREATE TRIGGER scope_items_rollup_update_old AFTER UPDATE OF project_id, status, progress, total_minor ON scope_items
    WHEN OLD.status <> 'cancelled'
BEGIN
    UPDATE project_rollups SET
        scope_items = scope_items - 1,
        scope_progress_sum = scope_progress_sum - OLD.progress,
        scope_weight = scope_weight - COALESCE(OLD.total_minor, 0),
        scope_weighted = scope_weighted - COALESCE(OLD.total_minor, 0) * OLD.progress
    WHERE project_id = OLD.project_id;
END;

CREATE TRIGGER scope_items_rollup_update_new AFTER UPDATE OF project_id, status, progress, total_minor ON scope_items
    WHEN NEW.status <> 'cancelled'
BEGIN
    UPDATE project_rollups SET
        scope_items = scope_items + 1,
        scope_progress_sum = scope_progress_sum + NEW.progress,
        scope_weight = scope_weight + COALESCE(NEW.total_minor, 0),
        scope_weighted = scope_weighted + COALESCE(NEW.total_minor, 0) * NEW.progress
    WHERE project_id = NEW.project_id;
END;

-- My work: counts of a person's open tasks by due date come from this index alone, and
-- the tasks they completed lately are found by completion time. The (assignee_id, status)
-- index is a prefix of the first and goes.
CREATE INDEX tasks_assignee_status_due_idx ON tasks (assignee_id, status, due_date);
CREATE INDEX tasks_assignee_completed_idx ON tasks (assignee_id, status, completed_at);
DROP INDEX tasks_assignee_id_status_idx;

-- A project's task list in its default order (due date, undated last) is read from this
-- index a page at a time instead of sorting all of the project's tasks.
CREATE INDEX tasks_project_due_idx ON tasks (project_id, (due_date IS NULL), due_date);
