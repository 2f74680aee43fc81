-- The production-readiness gate: releasing scope items to the workshop (with the override
-- reason when an administrator released a blocked item), and each project's rule on
-- whether linked materials must be ordered first.

ALTER TABLE scope_items ADD COLUMN released_at TEXT;
ALTER TABLE scope_items ADD COLUMN released_by BLOB REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE scope_items ADD COLUMN release_note TEXT;

CREATE TABLE project_settings (
    project_id                BLOB PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    require_materials_ordered INTEGER NOT NULL CHECK (require_materials_ordered IN (0, 1))
) STRICT;
