-- How much each step counts towards a project's progress on site, in whole percent adding up
-- to 100 (docs/site.md, "Room matrix and progress"): up to release (drawings, approvals,
-- production), installed in the rooms, rooms signed off. Projects without a settings row,
-- or without items placed in rooms, are unaffected. The previous version runs on this
-- schema unchanged (it never names these columns).

ALTER TABLE project_settings ADD COLUMN progress_released integer NOT NULL DEFAULT 20 CHECK (progress_released BETWEEN 0 AND 100);
ALTER TABLE project_settings ADD COLUMN progress_installed integer NOT NULL DEFAULT 70 CHECK (progress_installed BETWEEN 0 AND 100);
ALTER TABLE project_settings ADD COLUMN progress_signed_off integer NOT NULL DEFAULT 10 CHECK (progress_signed_off BETWEEN 0 AND 100);
