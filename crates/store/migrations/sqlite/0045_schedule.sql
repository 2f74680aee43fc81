-- The schedule (issue 20): milestones, constraint dates and the scope item a task is for;
-- dependencies between tasks; the company's working calendar with a project's overrides;
-- and baselines (each task's dates when the baseline was saved).
--
-- The company calendar is one row (id 1), written the first time it is saved: before that
-- the services use Monday to Friday with no holidays, so this migration inserts nothing.
-- Weekdays are seven characters, Monday first, '1' for a working day ("1111100").

ALTER TABLE tasks ADD COLUMN is_milestone INTEGER NOT NULL DEFAULT 0 CHECK (is_milestone IN (0, 1));
ALTER TABLE tasks ADD COLUMN constraint_kind TEXT CHECK (constraint_kind IN ('snet', 'fnlt'));
ALTER TABLE tasks ADD COLUMN constraint_on TEXT
    CHECK ((constraint_kind IS NULL) = (constraint_on IS NULL));
ALTER TABLE tasks ADD COLUMN scope_item_id BLOB REFERENCES scope_items (id) ON DELETE SET NULL;
CREATE INDEX tasks_scope_item_idx ON tasks (scope_item_id) WHERE scope_item_id IS NOT NULL;
-- Lets a dependency name (project, task) so both of its tasks are in its project.
CREATE UNIQUE INDEX tasks_project_task_key ON tasks (project_id, id);

CREATE TABLE task_dependencies (
    id             BLOB PRIMARY KEY NOT NULL,
    project_id     BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    predecessor_id BLOB NOT NULL,
    successor_id   BLOB NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('fs', 'ss', 'ff')),
    lag_days       INTEGER NOT NULL CHECK (lag_days BETWEEN -365 AND 365),
    created_by     BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at     TEXT NOT NULL,
    CHECK (predecessor_id <> successor_id),
    FOREIGN KEY (project_id, predecessor_id) REFERENCES tasks (project_id, id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, successor_id) REFERENCES tasks (project_id, id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX task_dependencies_pair_key ON task_dependencies (predecessor_id, successor_id);
CREATE INDEX task_dependencies_successor_idx ON task_dependencies (successor_id);
CREATE INDEX task_dependencies_project_idx ON task_dependencies (project_id);

CREATE TABLE work_calendar (
    id               INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    working_weekdays TEXT NOT NULL CHECK (length(working_weekdays) = 7 AND working_weekdays <> '0000000'),
    updated_by       BLOB REFERENCES users (id) ON DELETE SET NULL,
    updated_at       TEXT NOT NULL,
    version          INTEGER NOT NULL
) STRICT;

CREATE TABLE company_holidays (
    day  TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE project_calendars (
    project_id       BLOB PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- NULL: the company's working weekdays.
    working_weekdays TEXT CHECK (length(working_weekdays) = 7 AND working_weekdays <> '0000000'),
    updated_by       BLOB REFERENCES users (id) ON DELETE SET NULL,
    updated_at       TEXT NOT NULL,
    version          INTEGER NOT NULL
) STRICT;

-- A project's exceptions: an extra holiday (working 0) or a day worked although the company
-- calendar says otherwise (working 1).
CREATE TABLE project_calendar_days (
    project_id BLOB NOT NULL REFERENCES project_calendars (project_id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    working    INTEGER NOT NULL CHECK (working IN (0, 1)),
    name       TEXT NOT NULL,
    PRIMARY KEY (project_id, day)
) STRICT;

CREATE TABLE baselines (
    id         BLOB PRIMARY KEY NOT NULL,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX baselines_project_idx ON baselines (project_id, created_at);

-- No foreign key on task_id: a baseline keeps the tasks deleted since (with their titles).
CREATE TABLE baseline_tasks (
    baseline_id  BLOB NOT NULL REFERENCES baselines (id) ON DELETE CASCADE,
    task_id      BLOB NOT NULL,
    title        TEXT NOT NULL,
    is_milestone INTEGER NOT NULL CHECK (is_milestone IN (0, 1)),
    start_date   TEXT NOT NULL,
    finish_date  TEXT NOT NULL,
    PRIMARY KEY (baseline_id, task_id)
) STRICT;
