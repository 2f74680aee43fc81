-- Global search: a specification is found by its supplier as the directory names it.
--
-- Since the supplier directory (0034) a specification's supplier is `supplier_id`, and the
-- free-text `supplier` column is history, no longer written; the search document still took
-- that column, so a specification whose supplier was chosen from the directory was not
-- found by the supplier's name. Now the document takes the directory's name (the old text
-- where there is no directory supplier, as the specification's page shows it), follows a
-- change of supplier, and follows a supplier's renaming.

CREATE FUNCTION spec_search_body(s specs) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT concat_ws(' · ', NULLIF(s.material, ''), NULLIF(s.finish, ''), NULLIF(s.colour, ''),
                     NULLIF(s.hardware, ''),
                     COALESCE((SELECT d.name FROM suppliers d WHERE d.id = s.supplier_id), NULLIF(s.supplier, '')),
                     NULLIF(s.part_number, ''), NULLIF(s.location, ''))
$$;

CREATE OR REPLACE FUNCTION specs_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_put('spec', NEW.id, NEW.project_id, NEW.code || ' ' || NEW.description,
                       spec_search_body(NEW));
    RETURN NULL;
END;
$$;

DROP TRIGGER specs_search_update ON specs;
CREATE TRIGGER specs_search_update AFTER UPDATE OF code, description, material, finish, colour, hardware, supplier,
    supplier_id, part_number, location, project_id ON specs
    FOR EACH ROW WHEN (NEW.code IS DISTINCT FROM OLD.code OR NEW.description IS DISTINCT FROM OLD.description
        OR NEW.material IS DISTINCT FROM OLD.material OR NEW.finish IS DISTINCT FROM OLD.finish
        OR NEW.colour IS DISTINCT FROM OLD.colour OR NEW.hardware IS DISTINCT FROM OLD.hardware
        OR NEW.supplier IS DISTINCT FROM OLD.supplier OR NEW.supplier_id IS DISTINCT FROM OLD.supplier_id
        OR NEW.part_number IS DISTINCT FROM OLD.part_number
        OR NEW.location IS DISTINCT FROM OLD.location OR NEW.project_id IS DISTINCT FROM OLD.project_id)
    EXECUTE FUNCTION specs_search();

-- A renamed supplier: its specifications' documents take the new name.
CREATE FUNCTION suppliers_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_docs d SET body = spec_search_body(s)
    FROM specs s WHERE s.supplier_id = NEW.id AND d.record_id = s.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER suppliers_search_update AFTER UPDATE OF name ON suppliers
    FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name)
    EXECUTE FUNCTION suppliers_search();

UPDATE search_docs d SET body = spec_search_body(s)
FROM specs s WHERE d.record_id = s.id AND s.supplier_id IS NOT NULL;
