-- The task features users ask for most (docs/tasks.md): checklists inside a task, the
-- company's labels put on tasks, and subtasks one level deep.
--
-- `tasks.parent_id`: a subtask names its parent, a task of the same project that is not
-- itself a subtask, and a task with subtasks never becomes one; the services check both
-- (one level deep), the database only that the parent exists. Deleting a parent deletes its
-- subtasks.
--
-- `task_checklist_items`: the steps of one task, in `position` order (0, 1, 2… renumbered
-- by the services on every reorder); `done_by`/`done_at` say who ticked it and when (both
-- NULL while it is not done).
--
-- `labels`: the company's labels, a name unique whatever its case and one colour from a
-- fixed palette (the domain's `LabelColour`, never free CSS). `task_labels` puts them on
-- tasks; a label that is deleted comes off every task.

ALTER TABLE tasks ADD COLUMN parent_id uuid REFERENCES tasks (id) ON DELETE CASCADE;
CREATE INDEX tasks_parent_id_idx ON tasks (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE task_checklist_items (
    id         uuid PRIMARY KEY,
    task_id    uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    text       text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    done       integer NOT NULL CHECK (done IN (0, 1)),
    done_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    done_at    timestamptz,
    position   integer NOT NULL CHECK (position >= 0),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
    version    bigint NOT NULL
);
CREATE INDEX task_checklist_items_task_idx ON task_checklist_items (task_id, position);

CREATE TABLE labels (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    colour     TEXT NOT NULL CHECK (colour IN ('grey', 'red', 'orange', 'amber', 'green', 'teal', 'blue', 'indigo', 'purple', 'pink')),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL
);
CREATE UNIQUE INDEX labels_name_key ON labels (lower(name));

CREATE TABLE task_labels (
    task_id  uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    label_id uuid NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, label_id)
);
CREATE INDEX task_labels_label_idx ON task_labels (label_id);
