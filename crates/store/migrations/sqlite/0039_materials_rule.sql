-- A project's materials rule gets a third value: besides "approved materials are enough"
-- and "materials must be ordered", "materials must be delivered in full". Existing
-- projects keep what they had. `require_materials_ordered` is still written (1 for
-- ordered and delivered), so the previous version reads the nearest rule it knows.

ALTER TABLE project_settings ADD COLUMN materials_rule TEXT NOT NULL DEFAULT 'ordered'
    CHECK (materials_rule IN ('approved', 'ordered', 'delivered'));

UPDATE project_settings SET materials_rule = 'approved' WHERE require_materials_ordered = 0;
