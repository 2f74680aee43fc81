-- The scope of work (bill of quantities): groups of priced items per project.
-- Flags are 0/1 integers on both backends, so the portable dump reads them alike.

CREATE TABLE scope_groups (
    id         BLOB PRIMARY KEY NOT NULL,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    letter     TEXT NOT NULL,
    position   INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX scope_groups_name_key ON scope_groups (project_id, lower(name));
CREATE UNIQUE INDEX scope_groups_letter_key ON scope_groups (project_id, letter);

CREATE TABLE scope_items (
    id                BLOB PRIMARY KEY NOT NULL,
    project_id        BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- The services refuse to delete a group that still holds items; the cascade serves project deletion.
    group_id          BLOB NOT NULL REFERENCES scope_groups (id) ON DELETE CASCADE,
    code              TEXT NOT NULL,
    name              TEXT NOT NULL,
    description       TEXT,
    location          TEXT,
    quantity_milli    INTEGER NOT NULL CHECK (quantity_milli >= 0),
    unit              TEXT NOT NULL,
    unit_price_minor  INTEGER,
    total_minor       INTEGER,
    budget_cost_minor INTEGER,
    actual_cost_minor INTEGER,
    status            TEXT NOT NULL CHECK (status IN ('not_started', 'in_progress', 'on_hold', 'completed', 'cancelled')),
    progress          INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 100),
    drawing_required  INTEGER NOT NULL CHECK (drawing_required IN (0, 1)),
    spec_required     INTEGER NOT NULL CHECK (spec_required IN (0, 1)),
    position          INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    updated_by        BLOB REFERENCES users (id) ON DELETE SET NULL,
    version           INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX scope_items_code_key ON scope_items (project_id, lower(code));
CREATE INDEX scope_items_group_idx ON scope_items (group_id, position);
-- Project pages roll scope progress up from these columns alone.
CREATE INDEX scope_items_project_rollup_idx ON scope_items (project_id, status, total_minor, progress);
