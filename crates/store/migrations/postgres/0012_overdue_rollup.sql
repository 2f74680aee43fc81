-- Each project's overdue tasks (open, due before a day), kept in `project_rollups` as of the
-- day in `overdue_as_of` (UTC), so project lists read one number instead of counting every
-- overdue task of every listed project. The first write to a project's tasks on a new day
-- recounts that project as of that day; later writes that day add or take away one. A read
-- uses the number only when `overdue_as_of` is its own today, and counts otherwise, so a
-- project nobody has touched since yesterday is still right. Derived, like the rest of the
-- table. The previous version runs on this schema unchanged (it ignores the columns, and its
-- writes fire these triggers).
--
-- Concurrent writers stay exact: the update below locks the project's row; a writer that
-- waited for it re-reads the row (READ COMMITTED), finds it already as of today and adds its
-- difference; a recount sees the recounting transaction's own change and not uncommitted
-- ones, whose writers add theirs after.

ALTER TABLE project_rollups ADD COLUMN task_overdue bigint NOT NULL DEFAULT 0;
ALTER TABLE project_rollups ADD COLUMN overdue_as_of date;

UPDATE project_rollups r SET
    overdue_as_of = (now() AT TIME ZONE 'UTC')::date,
    task_overdue = (SELECT COUNT(*) FROM tasks t WHERE t.project_id = r.project_id
                    AND t.status IN ('pending', 'in_progress', 'review')
                    AND t.due_date < (now() AT TIME ZONE 'UTC')::date);

-- Adds `delta` to the project's overdue count when it is as of `today`, else recounts it.
-- PL/pgSQL rather than SQL: it keeps the statement's plan for the session.
CREATE FUNCTION project_overdue_adjust(project uuid, today date, delta integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_rollups SET
        task_overdue = CASE WHEN overdue_as_of = today THEN task_overdue + delta
            ELSE (SELECT COUNT(*) FROM tasks t WHERE t.project_id = project
                  AND t.status IN ('pending', 'in_progress', 'review') AND t.due_date < today) END,
        overdue_as_of = today
    WHERE project_id = project AND (delta <> 0 OR overdue_as_of IS DISTINCT FROM today);
END;
$$;

CREATE FUNCTION tasks_overdue_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    old_overdue integer := 0;
    new_overdue integer := 0;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN ('pending', 'in_progress', 'review') AND OLD.due_date < today THEN
        old_overdue := 1;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN ('pending', 'in_progress', 'review') AND NEW.due_date < today THEN
        new_overdue := 1;
    END IF;
    -- Within one project: one update by the difference (two would count the change twice
    -- after a recount).
    IF TG_OP = 'UPDATE' AND OLD.project_id = NEW.project_id THEN
        PERFORM project_overdue_adjust(NEW.project_id, today, new_overdue - old_overdue);
    ELSE
        IF TG_OP <> 'INSERT' THEN
            PERFORM project_overdue_adjust(OLD.project_id, today, -old_overdue);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM project_overdue_adjust(NEW.project_id, today, new_overdue);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tasks_overdue_rollup AFTER INSERT OR DELETE OR UPDATE OF project_id, status, due_date ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_overdue_rollup();
