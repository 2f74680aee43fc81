-- Global search: a specification is found by its supplier as the directory names it.
--
-- Since the supplier directory (0034) a specification's supplier is `supplier_id`, and the
-- free-text `supplier` column is history, no longer written; the search document still took
-- that column, so a specification whose supplier was chosen from the directory was not
-- found by the supplier's name. Now the document takes the directory's name (the old text
-- where there is no directory supplier, as the specification's page shows it), follows a
-- change of supplier, and follows a supplier's renaming. The FTS5 tables follow
-- `search_docs` through their own triggers (0024).

-- A specification's searchable text, written once (PostgreSQL: `spec_search_body`). The
-- triggers below run after the row is written, so the view reads its new values.
CREATE VIEW spec_search_bodies AS
SELECT s.id,
       concat_ws(' · ', NULLIF(s.material, ''), NULLIF(s.finish, ''), NULLIF(s.colour, ''),
                 NULLIF(s.hardware, ''),
                 COALESCE((SELECT d.name FROM suppliers d WHERE d.id = s.supplier_id), NULLIF(s.supplier, '')),
                 NULLIF(s.part_number, ''), NULLIF(s.location, '')) AS body
FROM specs s;

DROP TRIGGER specs_search_insert;
CREATE TRIGGER specs_search_insert AFTER INSERT ON specs
BEGIN
    INSERT INTO search_docs (kind, record_id, project_id, title, body)
    VALUES ('spec', NEW.id, NEW.project_id, NEW.code || ' ' || NEW.description,
            (SELECT body FROM spec_search_bodies WHERE id = NEW.id));
END;

DROP TRIGGER specs_search_update;
CREATE TRIGGER specs_search_update AFTER UPDATE OF code, description, material, finish, colour, hardware, supplier,
    supplier_id, part_number, location, project_id ON specs
WHEN NEW.code IS NOT OLD.code OR NEW.description IS NOT OLD.description OR NEW.material IS NOT OLD.material
  OR NEW.finish IS NOT OLD.finish OR NEW.colour IS NOT OLD.colour OR NEW.hardware IS NOT OLD.hardware
  OR NEW.supplier IS NOT OLD.supplier OR NEW.supplier_id IS NOT OLD.supplier_id
  OR NEW.part_number IS NOT OLD.part_number
  OR NEW.location IS NOT OLD.location OR NEW.project_id IS NOT OLD.project_id
BEGIN
    UPDATE search_docs SET project_id = NEW.project_id, title = NEW.code || ' ' || NEW.description,
        body = (SELECT body FROM spec_search_bodies WHERE id = NEW.id)
    WHERE record_id = NEW.id;
END;

-- A renamed supplier: its specifications' documents take the new name.
CREATE TRIGGER suppliers_search_update AFTER UPDATE OF name ON suppliers
WHEN NEW.name IS NOT OLD.name
BEGIN
    UPDATE search_docs SET body = (SELECT b.body FROM spec_search_bodies b WHERE b.id = search_docs.record_id)
    WHERE record_id IN (SELECT id FROM specs WHERE supplier_id = NEW.id);
END;

UPDATE search_docs SET body = (SELECT b.body FROM spec_search_bodies b WHERE b.id = search_docs.record_id)
WHERE record_id IN (SELECT id FROM specs WHERE supplier_id IS NOT NULL);
