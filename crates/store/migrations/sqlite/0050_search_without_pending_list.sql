-- Global search: PostgreSQL's GIN indexes stop keeping a pending list (see the PostgreSQL
-- history's 0050). SQLite's FTS5 tables write each document into their own segments and
-- merge them as they go, so nothing changes here; the file keeps both histories alike.
SELECT 1;
