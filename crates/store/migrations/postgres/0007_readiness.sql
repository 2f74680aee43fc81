-- The production-readiness gate: releasing scope items to the workshop (with the override
-- reason when an administrator released a blocked item), and each project's rule on
-- whether linked materials must be ordered first.

ALTER TABLE scope_items ADD COLUMN released_at timestamptz;
ALTER TABLE scope_items ADD COLUMN released_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE scope_items ADD COLUMN release_note text;

CREATE TABLE project_settings (
    project_id                uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    require_materials_ordered integer NOT NULL CHECK (require_materials_ordered IN (0, 1))
);
