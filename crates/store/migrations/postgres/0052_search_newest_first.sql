-- Global search: each kind's newest documents are also kept in a small table of their own,
-- which a search looks in first.
--
-- A kind ranks its newest 201 matches (crates/store/src/search.rs). A GIN index finds the
-- matches but has no order, so finding the newest meant fetching every match's row: for a
-- word in thousands of comments, thousands of heap fetches a search, PostgreSQL's dearest
-- statement at 200 users (docs/performance.md, "Issue 15, fifth pass").
--
-- `search_recent` holds the newest 16,384 documents of each kind (their words, project and
-- place in the kind's order of arrival), with a GIN index per kind like `search_docs`'. When
-- they hold more matches than are ranked, those are the newest, found among a third or less
-- of the rows; when not, the search looks at all of the kind's documents as before.
-- Triggers on `search_docs` keep it in the same transaction: a new document takes the next
-- place of its kind and pushes out the one 16,384 places before it; a change or a deletion
-- follows. Derived data like `search_docs`: not dumped.

CREATE SEQUENCE search_docs_seq_project;
CREATE SEQUENCE search_docs_seq_client;
CREATE SEQUENCE search_docs_seq_person;
CREATE SEQUENCE search_docs_seq_task;
CREATE SEQUENCE search_docs_seq_scope_item;
CREATE SEQUENCE search_docs_seq_drawing;
CREATE SEQUENCE search_docs_seq_spec;
CREATE SEQUENCE search_docs_seq_comment;

CREATE TABLE search_recent (
    record_id  uuid PRIMARY KEY,
    kind       text NOT NULL,
    project_id uuid,
    -- The document's place in its kind's order of arrival (search_docs_seq_<kind>).
    seq        bigint NOT NULL,
    words      tsvector NOT NULL,
    UNIQUE (kind, seq)
);

-- The documents there are, numbered oldest first within each kind (ids are UUIDv7); the
-- newest 16,384 of each go in.
INSERT INTO search_recent (record_id, kind, project_id, seq, words)
SELECT record_id, kind, project_id, n, words
FROM (SELECT d.*, row_number() OVER (PARTITION BY kind ORDER BY record_id) AS n,
             count(*) OVER (PARTITION BY kind) AS total
      FROM search_docs d) numbered
WHERE n > total - 16384;

SELECT setval(format('search_docs_seq_%s', k.kind)::regclass, greatest(coalesce(c.n, 0), 1), c.n IS NOT NULL)
FROM (VALUES ('project'), ('client'), ('person'), ('task'), ('scope_item'), ('drawing'), ('spec'), ('comment'))
         AS k(kind)
LEFT JOIN (SELECT kind, count(*) AS n FROM search_docs GROUP BY kind) c ON c.kind = k.kind;

CREATE INDEX search_recent_words_project ON search_recent USING GIN (words) WITH (fastupdate = off)
    WHERE kind = 'project';
CREATE INDEX search_recent_words_client ON search_recent USING GIN (words) WITH (fastupdate = off)
    WHERE kind = 'client';
CREATE INDEX search_recent_words_person ON search_recent USING GIN (words) WITH (fastupdate = off)
    WHERE kind = 'person';
CREATE INDEX search_recent_words_task ON search_recent USING GIN (words) WITH (fastupdate = off)
    WHERE kind = 'task';
CREATE INDEX search_recent_words_scope_item ON search_recent USING GIN (words) WITH (fastupdate = off)
    WHERE kind = 'scope_item';
CREATE INDEX search_recent_words_drawing ON search_recent USING GIN (words) WITH (fastupdate = off)
    WHERE kind = 'drawing';
CREATE INDEX search_recent_words_spec ON search_recent USING GIN (words) WITH (fastupdate = off)
    WHERE kind = 'spec';
CREATE INDEX search_recent_words_comment ON search_recent USING GIN (words) WITH (fastupdate = off)
    WHERE kind = 'comment';

-- Only a document inserted takes a place: `search_put`'s upsert of an existing one is an
-- update, which keeps it.
CREATE FUNCTION search_recent_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    place bigint := nextval(format('search_docs_seq_%s', NEW.kind)::regclass);
BEGIN
    INSERT INTO search_recent (record_id, kind, project_id, seq, words)
    VALUES (NEW.record_id, NEW.kind, NEW.project_id, place, NEW.words);
    DELETE FROM search_recent WHERE kind = NEW.kind AND seq = place - 16384;
    RETURN NULL;
END;
$$;
CREATE TRIGGER search_docs_recent_insert AFTER INSERT ON search_docs
    FOR EACH ROW EXECUTE FUNCTION search_recent_insert();

CREATE FUNCTION search_recent_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_recent SET project_id = NEW.project_id, words = NEW.words WHERE record_id = NEW.record_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER search_docs_recent_update AFTER UPDATE ON search_docs
    FOR EACH ROW WHEN (NEW.words IS DISTINCT FROM OLD.words OR NEW.project_id IS DISTINCT FROM OLD.project_id)
    EXECUTE FUNCTION search_recent_update();

CREATE FUNCTION search_recent_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_recent WHERE record_id = OLD.record_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER search_docs_recent_delete AFTER DELETE ON search_docs
    FOR EACH ROW EXECUTE FUNCTION search_recent_delete();
