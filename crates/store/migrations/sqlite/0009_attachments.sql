-- Attachments on projects, tasks, scope items, drawings and specifications, and the files
-- waiting to be removed from storage. Every row that owns a file notes its key in
-- deleted_files when it goes, whatever removed it (a user, or the deletion of what it was
-- attached to), in the same transaction; the server then removes those files and forgets
-- the keys. So no file outlives its last record, and none is removed while a record needs it.

CREATE TABLE attachments (
    id          BLOB PRIMARY KEY NOT NULL,
    project_id  BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec')),
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
CREATE UNIQUE INDEX attachments_blob_key ON attachments (blob_key);
CREATE INDEX attachments_owner_idx ON attachments (owner_id, uploaded_at);
CREATE INDEX attachments_project_idx ON attachments (project_id);

CREATE TABLE deleted_files (
    blob_key TEXT PRIMARY KEY NOT NULL
) STRICT;

CREATE TRIGGER attachments_file_deleted AFTER DELETE ON attachments
BEGIN
    INSERT OR IGNORE INTO deleted_files (blob_key) VALUES (OLD.blob_key);
END;

CREATE TRIGGER drawing_revisions_file_deleted AFTER DELETE ON drawing_revisions
BEGIN
    INSERT OR IGNORE INTO deleted_files (blob_key) VALUES (OLD.blob_key);
END;

-- What an attachment belongs to may be deleted on its own; its attachments go with it.
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
