-- Global search, one full-text index per kind of record (replaces 0018's single search_fts).
--
-- Each group of results (tasks, comments, …) ranks the newest matches of its own kind, so a
-- word found in thousands of comments never crowds the tasks out, and a query does work in
-- proportion to what it shows rather than to everything that matches (docs/performance.md,
-- "Issue 15"). search_docs stays the one content table; each index holds only its kind's rows.

DROP TRIGGER search_docs_insert;
DROP TRIGGER search_docs_delete;
DROP TRIGGER search_docs_update;
DROP TABLE search_fts;

CREATE VIRTUAL TABLE search_fts_project USING fts5 (
    title, body,
    content = 'search_docs', content_rowid = 'doc',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO search_fts_project (rowid, title, body) SELECT doc, title, body FROM search_docs WHERE kind = 'project';

CREATE VIRTUAL TABLE search_fts_client USING fts5 (
    title, body,
    content = 'search_docs', content_rowid = 'doc',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO search_fts_client (rowid, title, body) SELECT doc, title, body FROM search_docs WHERE kind = 'client';

CREATE VIRTUAL TABLE search_fts_person USING fts5 (
    title, body,
    content = 'search_docs', content_rowid = 'doc',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO search_fts_person (rowid, title, body) SELECT doc, title, body FROM search_docs WHERE kind = 'person';

CREATE VIRTUAL TABLE search_fts_task USING fts5 (
    title, body,
    content = 'search_docs', content_rowid = 'doc',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO search_fts_task (rowid, title, body) SELECT doc, title, body FROM search_docs WHERE kind = 'task';

CREATE VIRTUAL TABLE search_fts_scope_item USING fts5 (
    title, body,
    content = 'search_docs', content_rowid = 'doc',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO search_fts_scope_item (rowid, title, body) SELECT doc, title, body FROM search_docs WHERE kind = 'scope_item';

CREATE VIRTUAL TABLE search_fts_drawing USING fts5 (
    title, body,
    content = 'search_docs', content_rowid = 'doc',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO search_fts_drawing (rowid, title, body) SELECT doc, title, body FROM search_docs WHERE kind = 'drawing';

CREATE VIRTUAL TABLE search_fts_spec USING fts5 (
    title, body,
    content = 'search_docs', content_rowid = 'doc',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO search_fts_spec (rowid, title, body) SELECT doc, title, body FROM search_docs WHERE kind = 'spec';

CREATE VIRTUAL TABLE search_fts_comment USING fts5 (
    title, body,
    content = 'search_docs', content_rowid = 'doc',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO search_fts_comment (rowid, title, body) SELECT doc, title, body FROM search_docs WHERE kind = 'comment';

-- The indexes follow search_docs; a document's kind never changes.
CREATE TRIGGER search_docs_insert AFTER INSERT ON search_docs
BEGIN
    INSERT INTO search_fts_project (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'project';
    INSERT INTO search_fts_client (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'client';
    INSERT INTO search_fts_person (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'person';
    INSERT INTO search_fts_task (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'task';
    INSERT INTO search_fts_scope_item (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'scope_item';
    INSERT INTO search_fts_drawing (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'drawing';
    INSERT INTO search_fts_spec (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'spec';
    INSERT INTO search_fts_comment (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'comment';
END;
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs
BEGIN
    INSERT INTO search_fts_project (search_fts_project, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'project';
    INSERT INTO search_fts_client (search_fts_client, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'client';
    INSERT INTO search_fts_person (search_fts_person, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'person';
    INSERT INTO search_fts_task (search_fts_task, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'task';
    INSERT INTO search_fts_scope_item (search_fts_scope_item, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'scope_item';
    INSERT INTO search_fts_drawing (search_fts_drawing, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'drawing';
    INSERT INTO search_fts_spec (search_fts_spec, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'spec';
    INSERT INTO search_fts_comment (search_fts_comment, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'comment';
END;
CREATE TRIGGER search_docs_update AFTER UPDATE OF title, body ON search_docs
BEGIN
    INSERT INTO search_fts_project (search_fts_project, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'project';
    INSERT INTO search_fts_client (search_fts_client, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'client';
    INSERT INTO search_fts_person (search_fts_person, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'person';
    INSERT INTO search_fts_task (search_fts_task, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'task';
    INSERT INTO search_fts_scope_item (search_fts_scope_item, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'scope_item';
    INSERT INTO search_fts_drawing (search_fts_drawing, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'drawing';
    INSERT INTO search_fts_spec (search_fts_spec, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'spec';
    INSERT INTO search_fts_comment (search_fts_comment, rowid, title, body) SELECT 'delete', OLD.doc, OLD.title, OLD.body WHERE OLD.kind = 'comment';
    INSERT INTO search_fts_project (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'project';
    INSERT INTO search_fts_client (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'client';
    INSERT INTO search_fts_person (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'person';
    INSERT INTO search_fts_task (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'task';
    INSERT INTO search_fts_scope_item (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'scope_item';
    INSERT INTO search_fts_drawing (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'drawing';
    INSERT INTO search_fts_spec (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'spec';
    INSERT INTO search_fts_comment (rowid, title, body) SELECT NEW.doc, NEW.title, NEW.body WHERE NEW.kind = 'comment';
END;
