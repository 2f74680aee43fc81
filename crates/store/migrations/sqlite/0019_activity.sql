-- Activity feeds: each audit entry says which project it belongs to, so a project's feed is
-- one index range (newest first, keyset-paged on `at`, `id`). Entries written before this
-- migration are filed under the project of the record they name, where it still exists;
-- those about users, clients and the system, and about records deleted since, stay NULL.
ALTER TABLE audit_log ADD COLUMN project_id BLOB;

UPDATE audit_log SET project_id = CASE entity_type
    WHEN 'project' THEN (SELECT x.id FROM projects x WHERE x.id = audit_log.entity_id)
    WHEN 'task' THEN (SELECT x.project_id FROM tasks x WHERE x.id = audit_log.entity_id)
    WHEN 'scope_group' THEN (SELECT x.project_id FROM scope_groups x WHERE x.id = audit_log.entity_id)
    WHEN 'scope_item' THEN (SELECT x.project_id FROM scope_items x WHERE x.id = audit_log.entity_id)
    WHEN 'drawing' THEN (SELECT x.project_id FROM drawings x WHERE x.id = audit_log.entity_id)
    WHEN 'drawing_revision' THEN (SELECT d.project_id FROM drawing_revisions x JOIN drawings d ON d.id = x.drawing_id WHERE x.id = audit_log.entity_id)
    WHEN 'spec' THEN (SELECT x.project_id FROM specs x WHERE x.id = audit_log.entity_id)
    END;

CREATE INDEX audit_log_project_idx ON audit_log (project_id, at, id);

-- A person's unanswered mentions: their later comments in the same thread are looked up by
-- author (the existing index is by thread and time only).
CREATE INDEX comments_author_idx ON comments (author_id, thread_id, created_at);

-- What waits for a reviewer: the few revisions and specifications under review right now.
CREATE INDEX drawing_revisions_submitted_idx ON drawing_revisions (drawing_id) WHERE status = 'submitted';
CREATE INDEX specs_submitted_idx ON specs (project_id) WHERE status = 'submitted';
