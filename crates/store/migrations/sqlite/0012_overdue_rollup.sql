-- Each project's overdue tasks (open, due before a day), kept in `project_rollups` as of the
-- day in `overdue_as_of` (UTC), so project lists read one number instead of counting every
-- overdue task of every listed project. The first write to a project's tasks on a new day
-- recounts that project as of that day; later writes that day add or take away one. A read
-- uses the number only when `overdue_as_of` is its own today, and counts otherwise, so a
-- project nobody has touched since yesterday is still right. Derived, like the rest of the
-- table. The previous version runs on this schema unchanged (it ignores the columns, and its
-- writes fire these triggers).

ALTER TABLE project_rollups ADD COLUMN task_overdue INTEGER NOT NULL DEFAULT 0;
ALTER TABLE project_rollups ADD COLUMN overdue_as_of TEXT;

UPDATE project_rollups SET
    overdue_as_of = date('now'),
    task_overdue = (SELECT COUNT(*) FROM tasks t WHERE t.project_id = project_rollups.project_id
                    AND t.status IN ('pending', 'in_progress', 'review') AND t.due_date < date('now'));

CREATE TRIGGER tasks_overdue_insert AFTER INSERT ON tasks
BEGIN
    UPDATE project_rollups SET
        task_overdue = CASE WHEN overdue_as_of = date('now') THEN task_overdue
            + CASE WHEN NEW.status IN ('pending', 'in_progress', 'review') AND NEW.due_date < date('now') THEN 1 ELSE 0 END
            ELSE (SELECT COUNT(*) FROM tasks t WHERE t.project_id = NEW.project_id
                  AND t.status IN ('pending', 'in_progress', 'review') AND t.due_date < date('now')) END,
        overdue_as_of = date('now')
    WHERE project_id = NEW.project_id;
END;

CREATE TRIGGER tasks_overdue_delete AFTER DELETE ON tasks
BEGIN
    UPDATE project_rollups SET
        task_overdue = CASE WHEN overdue_as_of = date('now') THEN task_overdue
            - CASE WHEN OLD.status IN ('pending', 'in_progress', 'review') AND OLD.due_date < date('now') THEN 1 ELSE 0 END
            ELSE (SELECT COUNT(*) FROM tasks t WHERE t.project_id = OLD.project_id
                  AND t.status IN ('pending', 'in_progress', 'review') AND t.due_date < date('now')) END,
        overdue_as_of = date('now')
    WHERE project_id = OLD.project_id;
END;

-- Within one project: one update by the difference (two would count the change twice after
-- a recount).
CREATE TRIGGER tasks_overdue_update AFTER UPDATE OF project_id, status, due_date ON tasks
    WHEN OLD.project_id = NEW.project_id
BEGIN
    UPDATE project_rollups SET
        task_overdue = CASE WHEN overdue_as_of = date('now') THEN task_overdue
            + CASE WHEN NEW.status IN ('pending', 'in_progress', 'review') AND NEW.due_date < date('now') THEN 1 ELSE 0 END
            - CASE WHEN OLD.status IN ('pending', 'in_progress', 'review') AND OLD.due_date < date('now') THEN 1 ELSE 0 END
            ELSE (SELECT COUNT(*) FROM tasks t WHERE t.project_id = NEW.project_id
                  AND t.status IN ('pending', 'in_progress', 'review') AND t.due_date < date('now')) END,
        overdue_as_of = date('now')
    WHERE project_id = NEW.project_id;
END;

CREATE TRIGGER tasks_overdue_move AFTER UPDATE OF project_id, status, due_date ON tasks
    WHEN OLD.project_id <> NEW.project_id
BEGIN
    UPDATE project_rollups SET
        task_overdue = CASE WHEN overdue_as_of = date('now') THEN task_overdue
            - CASE WHEN OLD.status IN ('pending', 'in_progress', 'review') AND OLD.due_date < date('now') THEN 1 ELSE 0 END
            ELSE (SELECT COUNT(*) FROM tasks t WHERE t.project_id = OLD.project_id
                  AND t.status IN ('pending', 'in_progress', 'review') AND t.due_date < date('now')) END,
        overdue_as_of = date('now')
    WHERE project_id = OLD.project_id;
    UPDATE project_rollups SET
        task_overdue = CASE WHEN overdue_as_of = date('now') THEN task_overdue
            + CASE WHEN NEW.status IN ('pending', 'in_progress', 'review') AND NEW.due_date < date('now') THEN 1 ELSE 0 END
            ELSE (SELECT COUNT(*) FROM tasks t WHERE t.project_id = NEW.project_id
                  AND t.status IN ('pending', 'in_progress', 'review') AND t.due_date < date('now')) END,
        overdue_as_of = date('now')
    WHERE project_id = NEW.project_id;
END;
