-- A scope item's installation date (docs/workshop.md, "Late in the workshop"): the day it
-- must be installed on site. Typed today; the programme will drive it from a lead-time chain.
-- Nullable, so existing rows read "no date" and the previous version runs on this schema.

ALTER TABLE scope_items ADD COLUMN install_on date;
