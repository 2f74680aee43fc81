-- Global search (docs/search.md). `search_docs` holds one row per searchable record: its
-- kind, its id, its project (none for clients and people), a title and a body of the words
-- to find it by. Triggers keep it in the same transaction as every write to the records, and
-- FTS5 indexes it (PostgreSQL: a tsvector column with a GIN index). The index holds no
-- permissions: who may see a hit is decided when searching, in the query, from the records
-- themselves (membership, the client's organisation, drafts, internal comments).
-- Derived data: not dumped; loading a dump fires the same triggers and rebuilds it.
--
-- Text is cut into words at anything that is not a letter or a digit, lower-cased, with
-- accents removed (unicode61, remove_diacritics 2); PostgreSQL's `search_text` does the same.
-- Prices and costs are never indexed. Deleted comments leave the index.

CREATE TABLE search_docs (
    doc        INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('project', 'client', 'person', 'task', 'scope_item', 'drawing',
                                             'spec', 'comment')),
    record_id  BLOB NOT NULL,
    project_id BLOB,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX search_docs_record_key ON search_docs (record_id);

-- An external-content index: the text lives once, in search_docs. Prefixes of two and three
-- characters are indexed too, so a search while typing stays quick.
CREATE VIRTUAL TABLE search_fts USING fts5 (
    title, body,
    content = 'search_docs', content_rowid = 'doc',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);

-- Backfill what exists, then index it in one pass.
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'project', id, id, code || ' ' || name,
       concat_ws(' · ', NULLIF(description, ''), NULLIF(location, ''), NULLIF(contract_number, ''))
FROM projects;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'client', id, NULL, name,
       concat_ws(' · ', NULLIF(client_type, ''), NULLIF(address, ''), NULLIF(website, ''), NULLIF(notes, ''))
FROM clients;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'person', id, NULL, name, concat_ws(' · ', email, NULLIF(job_title, ''))
FROM users;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'task', id, project_id, title, COALESCE(description, '')
FROM tasks;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'scope_item', id, project_id, code || ' ' || name,
       concat_ws(' · ', NULLIF(description, ''), NULLIF(location, ''))
FROM scope_items;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'drawing', id, project_id, number || ' ' || title, COALESCE(area, '')
FROM drawings;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'spec', id, project_id, code || ' ' || description,
       concat_ws(' · ', NULLIF(material, ''), NULLIF(finish, ''), NULLIF(colour, ''), NULLIF(hardware, ''),
                 NULLIF(supplier, ''), NULLIF(part_number, ''), NULLIF(location, ''))
FROM specs;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'comment', id, project_id, '', body
FROM comments WHERE deleted_at IS NULL;
INSERT INTO search_fts (search_fts) VALUES ('rebuild');

-- The index follows search_docs.
CREATE TRIGGER search_docs_insert AFTER INSERT ON search_docs
BEGIN
    INSERT INTO search_fts (rowid, title, body) VALUES (NEW.doc, NEW.title, NEW.body);
END;
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs
BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', OLD.doc, OLD.title, OLD.body);
END;
CREATE TRIGGER search_docs_update AFTER UPDATE OF title, body ON search_docs
BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', OLD.doc, OLD.title, OLD.body);
    INSERT INTO search_fts (rowid, title, body) VALUES (NEW.doc, NEW.title, NEW.body);
END;

-- search_docs follows the records. Updates fire only when a searched column changed.
CREATE TRIGGER projects_search_insert AFTER INSERT ON projects
BEGIN
    INSERT INTO search_docs (kind, record_id, project_id, title, body)
    VALUES ('project', NEW.id, NEW.id, NEW.code || ' ' || NEW.name,
            concat_ws(' · ', NULLIF(NEW.description, ''), NULLIF(NEW.location, ''), NULLIF(NEW.contract_number, '')));
END;
CREATE TRIGGER projects_search_update AFTER UPDATE OF code, name, description, location, contract_number ON projects
WHEN NEW.code IS NOT OLD.code OR NEW.name IS NOT OLD.name OR NEW.description IS NOT OLD.description
  OR NEW.location IS NOT OLD.location OR NEW.contract_number IS NOT OLD.contract_number
BEGIN
    UPDATE search_docs SET title = NEW.code || ' ' || NEW.name,
        body = concat_ws(' · ', NULLIF(NEW.description, ''), NULLIF(NEW.location, ''), NULLIF(NEW.contract_number, ''))
    WHERE record_id = NEW.id;
END;
CREATE TRIGGER projects_search_delete AFTER DELETE ON projects
BEGIN
    DELETE FROM search_docs WHERE record_id = OLD.id;
END;

CREATE TRIGGER clients_search_insert AFTER INSERT ON clients
BEGIN
    INSERT INTO search_docs (kind, record_id, project_id, title, body)
    VALUES ('client', NEW.id, NULL, NEW.name,
            concat_ws(' · ', NULLIF(NEW.client_type, ''), NULLIF(NEW.address, ''), NULLIF(NEW.website, ''),
                      NULLIF(NEW.notes, '')));
END;
CREATE TRIGGER clients_search_update AFTER UPDATE OF name, client_type, address, website, notes ON clients
WHEN NEW.name IS NOT OLD.name OR NEW.client_type IS NOT OLD.client_type OR NEW.address IS NOT OLD.address
  OR NEW.website IS NOT OLD.website OR NEW.notes IS NOT OLD.notes
BEGIN
    UPDATE search_docs SET title = NEW.name,
        body = concat_ws(' · ', NULLIF(NEW.client_type, ''), NULLIF(NEW.address, ''), NULLIF(NEW.website, ''),
                         NULLIF(NEW.notes, ''))
    WHERE record_id = NEW.id;
END;
CREATE TRIGGER clients_search_delete AFTER DELETE ON clients
BEGIN
    DELETE FROM search_docs WHERE record_id = OLD.id;
END;

CREATE TRIGGER users_search_insert AFTER INSERT ON users
BEGIN
    INSERT INTO search_docs (kind, record_id, project_id, title, body)
    VALUES ('person', NEW.id, NULL, NEW.name, concat_ws(' · ', NEW.email, NULLIF(NEW.job_title, '')));
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF name, email, job_title ON users
WHEN NEW.name IS NOT OLD.name OR NEW.email IS NOT OLD.email OR NEW.job_title IS NOT OLD.job_title
BEGIN
    UPDATE search_docs SET title = NEW.name, body = concat_ws(' · ', NEW.email, NULLIF(NEW.job_title, ''))
    WHERE record_id = NEW.id;
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users
BEGIN
    DELETE FROM search_docs WHERE record_id = OLD.id;
END;

CREATE TRIGGER tasks_search_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO search_docs (kind, record_id, project_id, title, body)
    VALUES ('task', NEW.id, NEW.project_id, NEW.title, COALESCE(NEW.description, ''));
END;
CREATE TRIGGER tasks_search_update AFTER UPDATE OF title, description, project_id ON tasks
WHEN NEW.title IS NOT OLD.title OR NEW.description IS NOT OLD.description OR NEW.project_id IS NOT OLD.project_id
BEGIN
    UPDATE search_docs SET project_id = NEW.project_id, title = NEW.title, body = COALESCE(NEW.description, '')
    WHERE record_id = NEW.id;
END;
CREATE TRIGGER tasks_search_delete AFTER DELETE ON tasks
BEGIN
    DELETE FROM search_docs WHERE record_id = OLD.id;
END;

CREATE TRIGGER scope_items_search_insert AFTER INSERT ON scope_items
BEGIN
    INSERT INTO search_docs (kind, record_id, project_id, title, body)
    VALUES ('scope_item', NEW.id, NEW.project_id, NEW.code || ' ' || NEW.name,
            concat_ws(' · ', NULLIF(NEW.description, ''), NULLIF(NEW.location, '')));
END;
CREATE TRIGGER scope_items_search_update AFTER UPDATE OF code, name, description, location, project_id ON scope_items
WHEN NEW.code IS NOT OLD.code OR NEW.name IS NOT OLD.name OR NEW.description IS NOT OLD.description
  OR NEW.location IS NOT OLD.location OR NEW.project_id IS NOT OLD.project_id
BEGIN
    UPDATE search_docs SET project_id = NEW.project_id, title = NEW.code || ' ' || NEW.name,
        body = concat_ws(' · ', NULLIF(NEW.description, ''), NULLIF(NEW.location, ''))
    WHERE record_id = NEW.id;
END;
CREATE TRIGGER scope_items_search_delete AFTER DELETE ON scope_items
BEGIN
    DELETE FROM search_docs WHERE record_id = OLD.id;
END;

CREATE TRIGGER drawings_search_insert AFTER INSERT ON drawings
BEGIN
    INSERT INTO search_docs (kind, record_id, project_id, title, body)
    VALUES ('drawing', NEW.id, NEW.project_id, NEW.number || ' ' || NEW.title, COALESCE(NEW.area, ''));
END;
CREATE TRIGGER drawings_search_update AFTER UPDATE OF number, title, area, project_id ON drawings
WHEN NEW.number IS NOT OLD.number OR NEW.title IS NOT OLD.title OR NEW.area IS NOT OLD.area
  OR NEW.project_id IS NOT OLD.project_id
BEGIN
    UPDATE search_docs SET project_id = NEW.project_id, title = NEW.number || ' ' || NEW.title,
        body = COALESCE(NEW.area, '')
    WHERE record_id = NEW.id;
END;
CREATE TRIGGER drawings_search_delete AFTER DELETE ON drawings
BEGIN
    DELETE FROM search_docs WHERE record_id = OLD.id;
END;

CREATE TRIGGER specs_search_insert AFTER INSERT ON specs
BEGIN
    INSERT INTO search_docs (kind, record_id, project_id, title, body)
    VALUES ('spec', NEW.id, NEW.project_id, NEW.code || ' ' || NEW.description,
            concat_ws(' · ', NULLIF(NEW.material, ''), NULLIF(NEW.finish, ''), NULLIF(NEW.colour, ''),
                      NULLIF(NEW.hardware, ''), NULLIF(NEW.supplier, ''), NULLIF(NEW.part_number, ''),
                      NULLIF(NEW.location, '')));
END;
CREATE TRIGGER specs_search_update AFTER UPDATE OF code, description, material, finish, colour, hardware, supplier,
    part_number, location, project_id ON specs
WHEN NEW.code IS NOT OLD.code OR NEW.description IS NOT OLD.description OR NEW.material IS NOT OLD.material
  OR NEW.finish IS NOT OLD.finish OR NEW.colour IS NOT OLD.colour OR NEW.hardware IS NOT OLD.hardware
  OR NEW.supplier IS NOT OLD.supplier OR NEW.part_number IS NOT OLD.part_number
  OR NEW.location IS NOT OLD.location OR NEW.project_id IS NOT OLD.project_id
BEGIN
    UPDATE search_docs SET project_id = NEW.project_id, title = NEW.code || ' ' || NEW.description,
        body = concat_ws(' · ', NULLIF(NEW.material, ''), NULLIF(NEW.finish, ''), NULLIF(NEW.colour, ''),
                         NULLIF(NEW.hardware, ''), NULLIF(NEW.supplier, ''), NULLIF(NEW.part_number, ''),
                         NULLIF(NEW.location, ''))
    WHERE record_id = NEW.id;
END;
CREATE TRIGGER specs_search_delete AFTER DELETE ON specs
BEGIN
    DELETE FROM search_docs WHERE record_id = OLD.id;
END;

-- A comment is found while it is not deleted; editing it re-indexes its text.
CREATE TRIGGER comments_search_insert AFTER INSERT ON comments WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO search_docs (kind, record_id, project_id, title, body)
    VALUES ('comment', NEW.id, NEW.project_id, '', NEW.body);
END;
CREATE TRIGGER comments_search_edit AFTER UPDATE OF body ON comments
WHEN NEW.deleted_at IS NULL AND NEW.body IS NOT OLD.body
BEGIN
    UPDATE search_docs SET body = NEW.body WHERE record_id = NEW.id;
END;
CREATE TRIGGER comments_search_deleted AFTER UPDATE OF deleted_at ON comments
WHEN NEW.deleted_at IS NOT NULL
BEGIN
    DELETE FROM search_docs WHERE record_id = NEW.id;
END;
CREATE TRIGGER comments_search_delete AFTER DELETE ON comments
BEGIN
    DELETE FROM search_docs WHERE record_id = OLD.id;
END;
