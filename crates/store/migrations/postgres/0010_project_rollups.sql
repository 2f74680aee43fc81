-- Each project's task and scope figures, kept by triggers in the same transaction as every
-- write to tasks and scope_items, so project lists read one row per project instead of
-- aggregating its tasks and items on every request. Only counts and sums are kept: what
-- depends on the date (overdue tasks) is still counted when read, from the roll-up index.
-- Derived data: not dumped, rebuilt by the triggers when a dump is loaded. The previous
-- version runs on this schema unchanged (its writes fire the same triggers).

CREATE TABLE project_rollups (
    project_id          uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    task_total          bigint NOT NULL DEFAULT 0,
    task_completed      bigint NOT NULL DEFAULT 0,
    -- Progress of the tasks that are not cancelled: sum and count.
    task_progress_sum   bigint NOT NULL DEFAULT 0,
    task_progress_count bigint NOT NULL DEFAULT 0,
    -- Scope items that are not cancelled: count, progress sum, priced total (weight) and
    -- total × progress.
    scope_items         bigint NOT NULL DEFAULT 0,
    scope_progress_sum  bigint NOT NULL DEFAULT 0,
    scope_weight        bigint NOT NULL DEFAULT 0,
    scope_weighted      bigint NOT NULL DEFAULT 0
);

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

CREATE FUNCTION project_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_rollups (project_id) VALUES (NEW.id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER projects_rollup_insert AFTER INSERT ON projects
    FOR EACH ROW EXECUTE FUNCTION project_rollup_insert();

-- Takes the old row's figures out of its project and adds the new row's to its project.
CREATE FUNCTION tasks_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE project_rollups SET
            task_total = task_total - 1,
            task_completed = task_completed - CASE WHEN OLD.status = 'completed' THEN 1 ELSE 0 END,
            task_progress_sum = task_progress_sum - CASE WHEN OLD.status <> 'cancelled' THEN OLD.progress ELSE 0 END,
            task_progress_count = task_progress_count - CASE WHEN OLD.status <> 'cancelled' THEN 1 ELSE 0 END
        WHERE project_id = OLD.project_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE project_rollups SET
            task_total = task_total + 1,
            task_completed = task_completed + CASE WHEN NEW.status = 'completed' THEN 1 ELSE 0 END,
            task_progress_sum = task_progress_sum + CASE WHEN NEW.status <> 'cancelled' THEN NEW.progress ELSE 0 END,
            task_progress_count = task_progress_count + CASE WHEN NEW.status <> 'cancelled' THEN 1 ELSE 0 END
        WHERE project_id = NEW.project_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tasks_rollup AFTER INSERT OR DELETE OR UPDATE OF project_id, status, progress ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_rollup();

CREATE FUNCTION scope_items_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.status <> 'cancelled' THEN
            UPDATE project_rollups SET
                scope_items = scope_items - 1,
                scope_progress_sum = scope_progress_sum - OLD.progress,
                scope_weight = scope_weight - COALESCE(OLD.total_minor, 0),
                scope_weighted = scope_weighted - COALESCE(OLD.total_minor, 0) * OLD.progress
            WHERE project_id = OLD.project_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.status <> 'cancelled' THEN
            UPDATE project_rollups SET
                scope_items = scope_items + 1,
                scope_progress_sum = scope_progress_sum + NEW.progress,
                scope_weight = scope_weight + COALESCE(NEW.total_minor, 0),
                scope_weighted = scope_weighted + COALESCE(NEW.total_minor, 0) * NEW.progress
            WHERE project_id = NEW.project_id;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER scope_items_rollup AFTER INSERT OR DELETE OR UPDATE OF project_id, status, progress, total_minor
    ON scope_items FOR EACH ROW EXECUTE FUNCTION scope_items_rollup();

-- My work: counts of a person's open tasks by due date come from this index alone, and
-- the tasks they completed lately are found by completion time. The (assignee_id, status)
-- index is a prefix of the first and goes.
CREATE INDEX tasks_assignee_status_due_idx ON tasks (assignee_id, status, due_date);
CREATE INDEX tasks_assignee_completed_idx ON tasks (assignee_id, status, completed_at);
DROP INDEX tasks_assignee_id_status_idx;

-- A project's task list in its default order (due date, undated last) is read from this
-- index a page at a time instead of sorting all of the project's tasks.
CREATE INDEX tasks_project_due_idx ON tasks (project_id, (due_date IS NULL), due_date);
