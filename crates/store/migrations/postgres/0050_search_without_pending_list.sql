-- Global search: each write goes straight into the kind's GIN index, not into a pending list.
--
-- With `fastupdate` (PostgreSQL's default) a new or changed document is appended to the
-- index's pending list, and every search of that kind reads the whole list until a vacuum
-- or the list's 4 MB limit merges it into the index (the write that passes the limit does
-- the merging). Under a steady stream of comments and tasks the lists grow for minutes
-- between vacuums: at 200 users a search read hundreds of pending pages per kind, most of
-- its time (docs/performance.md, "Issue 15, fourth pass"). Without the list a write costs a
-- few entry-tree insertions more and a search reads only the index.
ALTER INDEX search_docs_words_project SET (fastupdate = off);
ALTER INDEX search_docs_words_client SET (fastupdate = off);
ALTER INDEX search_docs_words_person SET (fastupdate = off);
ALTER INDEX search_docs_words_task SET (fastupdate = off);
ALTER INDEX search_docs_words_scope_item SET (fastupdate = off);
ALTER INDEX search_docs_words_drawing SET (fastupdate = off);
ALTER INDEX search_docs_words_spec SET (fastupdate = off);
ALTER INDEX search_docs_words_comment SET (fastupdate = off);

-- What is pending already is merged now; turning the option off does not do it.
SELECT gin_clean_pending_list(i)
FROM unnest(ARRAY['search_docs_words_project', 'search_docs_words_client', 'search_docs_words_person',
                  'search_docs_words_task', 'search_docs_words_scope_item', 'search_docs_words_drawing',
                  'search_docs_words_spec', 'search_docs_words_comment']::regclass[]) AS i;
