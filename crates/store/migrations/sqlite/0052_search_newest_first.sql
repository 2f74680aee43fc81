-- Global search: PostgreSQL's documents carry their place in their kind's order of arrival,
-- so a search looks among each kind's newest documents first (see the PostgreSQL history's
-- 0052). SQLite's FTS5 tables already walk their matches newest first and stop at the
-- limit, so nothing changes here; the file keeps both histories alike.
SELECT 1;
