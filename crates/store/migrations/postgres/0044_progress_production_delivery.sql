-- Progress counts production and delivery (docs/site.md, "Progress by room, level and
-- project"; docs/workshop.md, "Progress, the room matrix and throughput"). The five weights
-- are drawings and approvals (up to release) 10, production 50, delivery 10, installed 25,
-- signed off 5. Projects still on migration 0029's defaults (20 / 70 / 10, nothing for
-- production or delivery) move to the new defaults; projects that chose their own weights
-- keep them, with production and delivery at 0 until someone changes them. Projects without
-- a settings row follow the new defaults already (the application's defaults).
--
-- The columns' DEFAULTs stay 0029's (changing them means rebuilding the table on SQLite):
-- every statement that inserts a settings row names all five weights. The previous version
-- runs on this schema unchanged.

UPDATE project_settings
SET progress_released = 10, progress_production = 50, progress_delivery = 10,
    progress_installed = 25, progress_signed_off = 5
WHERE progress_released = 20 AND progress_installed = 70 AND progress_signed_off = 10
  AND progress_production = 0 AND progress_delivery = 0;
