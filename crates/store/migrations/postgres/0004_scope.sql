-- The scope of work (bill of quantities): groups of priced items per project.
-- Flags are 0/1 integers on both backends, so the portable dump reads them alike.

CREATE TABLE scope_groups (
    id         uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       text NOT NULL,
    letter     text NOT NULL,
    position   bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL
);
CREATE UNIQUE INDEX scope_groups_name_key ON scope_groups (project_id, lower(name));
CREATE UNIQUE INDEX scope_groups_letter_key ON scope_groups (project_id, letter);

CREATE TABLE scope_items (
    id                uuid PRIMARY KEY,
    project_id        uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- The services refuse to delete a group that still holds items; the cascade serves project deletion.
    group_id          uuid NOT NULL REFERENCES scope_groups (id) ON DELETE CASCADE,
    code              text NOT NULL,
    name              text NOT NULL,
    description       text,
    location          text,
    quantity_milli    bigint NOT NULL CHECK (quantity_milli >= 0),
    unit              text NOT NULL,
    unit_price_minor  bigint,
    total_minor       bigint,
    budget_cost_minor bigint,
    actual_cost_minor bigint,
    status            text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'on_hold', 'completed', 'cancelled')),
    progress          integer NOT NULL CHECK (progress BETWEEN 0 AND 100),
    drawing_required  integer NOT NULL CHECK (drawing_required IN (0, 1)),
    spec_required     integer NOT NULL CHECK (spec_required IN (0, 1)),
    position          bigint NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    updated_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    version           bigint NOT NULL
);
CREATE UNIQUE INDEX scope_items_code_key ON scope_items (project_id, lower(code));
CREATE INDEX scope_items_group_idx ON scope_items (group_id, position);
-- Project pages roll scope progress up from these columns alone.
CREATE INDEX scope_items_project_rollup_idx ON scope_items (project_id, status, total_minor, progress);
