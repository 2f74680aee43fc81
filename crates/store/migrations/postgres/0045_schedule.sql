-- The schedule (issue 20): milestones, constraint dates and the scope item a task is for;
-- dependencies between tasks; the company's working calendar with a project's overrides;
-- and baselines (each task's dates when the baseline was saved).
--
-- The company calendar is one row (id 1), written the first time it is saved: before that
-- the services use Monday to Friday with no holidays, so this migration inserts nothing.
-- Weekdays are seven characters, Monday first, '1' for a working day ("1111100").

ALTER TABLE tasks ADD COLUMN is_milestone integer NOT NULL DEFAULT 0 CHECK (is_milestone IN (0, 1));
ALTER TABLE tasks ADD COLUMN constraint_kind text CHECK (constraint_kind IN ('snet', 'fnlt'));
ALTER TABLE tasks ADD COLUMN constraint_on date;
ALTER TABLE tasks ADD CONSTRAINT tasks_constraint_pair
    CHECK ((constraint_kind IS NULL) = (constraint_on IS NULL));
ALTER TABLE tasks ADD COLUMN scope_item_id uuid REFERENCES scope_items (id) ON DELETE SET NULL;
CREATE INDEX tasks_scope_item_idx ON tasks (scope_item_id) WHERE scope_item_id IS NOT NULL;
-- Lets a dependency name (project, task) so both of its tasks are in its project.
CREATE UNIQUE INDEX tasks_project_task_key ON tasks (project_id, id);

CREATE TABLE task_dependencies (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    predecessor_id uuid NOT NULL,
    successor_id   uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('fs', 'ss', 'ff')),
    lag_days       integer NOT NULL CHECK (lag_days BETWEEN -365 AND 365),
    created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL,
    CHECK (predecessor_id <> successor_id),
    FOREIGN KEY (project_id, predecessor_id) REFERENCES tasks (project_id, id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, successor_id) REFERENCES tasks (project_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX task_dependencies_pair_key ON task_dependencies (predecessor_id, successor_id);
CREATE INDEX task_dependencies_successor_idx ON task_dependencies (successor_id);
CREATE INDEX task_dependencies_project_idx ON task_dependencies (project_id);

CREATE TABLE work_calendar (
    id               integer PRIMARY KEY CHECK (id = 1),
    working_weekdays text NOT NULL CHECK (length(working_weekdays) = 7 AND working_weekdays <> '0000000'),
    updated_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at       timestamptz NOT NULL,
    version          bigint NOT NULL
);

CREATE TABLE company_holidays (
    day  date PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE project_calendars (
    project_id       uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    -- NULL: the company's working weekdays.
    working_weekdays text CHECK (length(working_weekdays) = 7 AND working_weekdays <> '0000000'),
    updated_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at       timestamptz NOT NULL,
    version          bigint NOT NULL
);

-- A project's exceptions: an extra holiday (working 0) or a day worked although the company
-- calendar says otherwise (working 1).
CREATE TABLE project_calendar_days (
    project_id uuid NOT NULL REFERENCES project_calendars (project_id) ON DELETE CASCADE,
    day        date NOT NULL,
    working    integer NOT NULL CHECK (working IN (0, 1)),
    name       text NOT NULL,
    PRIMARY KEY (project_id, day)
);

CREATE TABLE baselines (
    id         uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       text NOT NULL,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX baselines_project_idx ON baselines (project_id, created_at);

-- No foreign key on task_id: a baseline keeps the tasks deleted since (with their titles).
CREATE TABLE baseline_tasks (
    baseline_id  uuid NOT NULL REFERENCES baselines (id) ON DELETE CASCADE,
    task_id      uuid NOT NULL,
    title        text NOT NULL,
    is_milestone integer NOT NULL CHECK (is_milestone IN (0, 1)),
    start_date   date NOT NULL,
    finish_date  date NOT NULL,
    PRIMARY KEY (baseline_id, task_id)
);
