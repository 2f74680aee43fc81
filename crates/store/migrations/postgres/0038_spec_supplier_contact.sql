-- A specification names its supplier's contact from the directory, not in free text.
--
-- `specs.supplier_contact_id` points at one of the contacts of the specification's supplier
-- (the application checks that it belongs to that supplier; a contact removed from the
-- directory leaves the specification without one). Migration 0034 made each distinct
-- contact text of a supplier one of its contacts; here every specification whose text is
-- such a contact of its supplier now points at it (the first one in the supplier's order,
-- should two carry the same name).
-- The free-text `supplier` and `supplier_contact` columns stay as they are: this version
-- only reads them (a specification typed before the directory and never matched still shows
-- what was typed), the previous version still runs on this schema, and backups taken before
-- this version restore unchanged.

ALTER TABLE specs ADD COLUMN supplier_contact_id uuid REFERENCES supplier_contacts (id) ON DELETE SET NULL;

UPDATE specs SET supplier_contact_id = (
    SELECT c.id FROM supplier_contacts c
    WHERE c.supplier_id = specs.supplier_id AND lower(c.name) = lower(btrim(specs.supplier_contact))
    ORDER BY c.position, c.id
    LIMIT 1
)
WHERE supplier_id IS NOT NULL AND supplier_contact IS NOT NULL AND btrim(supplier_contact) <> '';
