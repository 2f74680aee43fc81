-- Global search, one full-text index per kind of record (replaces 0018's single GIN index).
--
-- Each group of results (tasks, comments, …) ranks the newest matches of its own kind, found
-- through its own partial index, so a word found in thousands of comments costs the task
-- group nothing, and only the newest matches of each kind are ranked (docs/performance.md,
-- "Issue 15"). The SQLite history makes the same split with one FTS5 table per kind.

CREATE INDEX search_docs_words_project ON search_docs USING GIN (words) WHERE kind = 'project';
CREATE INDEX search_docs_words_client ON search_docs USING GIN (words) WHERE kind = 'client';
CREATE INDEX search_docs_words_person ON search_docs USING GIN (words) WHERE kind = 'person';
CREATE INDEX search_docs_words_task ON search_docs USING GIN (words) WHERE kind = 'task';
CREATE INDEX search_docs_words_scope_item ON search_docs USING GIN (words) WHERE kind = 'scope_item';
CREATE INDEX search_docs_words_drawing ON search_docs USING GIN (words) WHERE kind = 'drawing';
CREATE INDEX search_docs_words_spec ON search_docs USING GIN (words) WHERE kind = 'spec';
CREATE INDEX search_docs_words_comment ON search_docs USING GIN (words) WHERE kind = 'comment';
DROP INDEX search_docs_words_idx;
