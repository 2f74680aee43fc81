-- Files on comments (photos from site, marked-up PDFs): an attachment whose owner is a
-- comment (`owner_kind = 'comment'`, `owner_id` the comment's id). It is shown and served
-- only to those who may read the comment, and goes with the comment when the discussed
-- record (or the project) is deleted. A soft-deleted comment keeps its files stored but
-- nobody is shown them.
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt (same columns,
-- same order, same indexes). Its triggers, and those that delete attachments with their
-- owner, are dropped first and made again after, so nothing notes a file for removal while
-- the rows move. The previous version runs on this schema unchanged.

DROP TRIGGER attachments_file_deleted;
DROP TRIGGER tasks_attachments_deleted;
DROP TRIGGER scope_items_attachments_deleted;
DROP TRIGGER drawings_attachments_deleted;
DROP TRIGGER specs_attachments_deleted;

CREATE TABLE attachments_new (
    id          BLOB PRIMARY KEY NOT NULL,
    project_id  BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec', 'comment')),
    owner_id    BLOB NOT NULL,
    purpose     TEXT NOT NULL CHECK (purpose IN ('document', 'photo', 'sample')),
    caption     TEXT,
    file_name   TEXT NOT NULL,
    file_size   INTEGER NOT NULL CHECK (file_size > 0),
    file_sha256 TEXT NOT NULL,
    file_mime   TEXT NOT NULL,
    blob_key    TEXT NOT NULL,
    uploaded_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    uploaded_at TEXT NOT NULL
) STRICT;
INSERT INTO attachments_new (id, project_id, owner_kind, owner_id, purpose, caption, file_name,
    file_size, file_sha256, file_mime, blob_key, uploaded_by, uploaded_at)
SELECT id, project_id, owner_kind, owner_id, purpose, caption, file_name,
    file_size, file_sha256, file_mime, blob_key, uploaded_by, uploaded_at
FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_new RENAME TO attachments;
CREATE UNIQUE INDEX attachments_blob_key ON attachments (blob_key);
CREATE INDEX attachments_owner_idx ON attachments (owner_id, uploaded_at);
CREATE INDEX attachments_project_idx ON attachments (project_id);

CREATE TRIGGER attachments_file_deleted AFTER DELETE ON attachments
BEGIN
    INSERT OR IGNORE INTO deleted_files (blob_key) VALUES (OLD.blob_key);
END;

CREATE TRIGGER tasks_attachments_deleted AFTER DELETE ON tasks
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'task' AND owner_id = OLD.id;
END;

CREATE TRIGGER scope_items_attachments_deleted AFTER DELETE ON scope_items
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'scope_item' AND owner_id = OLD.id;
END;

CREATE TRIGGER drawings_attachments_deleted AFTER DELETE ON drawings
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'drawing' AND owner_id = OLD.id;
END;

CREATE TRIGGER specs_attachments_deleted AFTER DELETE ON specs
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'spec' AND owner_id = OLD.id;
END;

-- Comments are deleted for good only with their record (or project); their files go too.
CREATE TRIGGER comments_attachments_deleted AFTER DELETE ON comments
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'comment' AND owner_id = OLD.id;
END;
