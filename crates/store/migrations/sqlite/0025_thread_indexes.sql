-- A record's discussion thread is found by the record's own column too: deleting a task,
-- scope item, drawing, revision or specification cascades to its thread through these
-- columns, and without an index each such delete read every thread (a 5 ms full scan per
-- deleted task at 28,000 threads, docs/performance.md "Issue 15").
CREATE INDEX threads_task_idx ON threads (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX threads_scope_item_idx ON threads (scope_item_id) WHERE scope_item_id IS NOT NULL;
CREATE INDEX threads_drawing_idx ON threads (drawing_id) WHERE drawing_id IS NOT NULL;
CREATE INDEX threads_drawing_revision_idx ON threads (drawing_revision_id) WHERE drawing_revision_id IS NOT NULL;
CREATE INDEX threads_spec_idx ON threads (spec_id) WHERE spec_id IS NOT NULL;
