-- On site: installation by room, snags (punch items) and room sign-off.
--
-- `installations` is a ledger (DESIGN.md §10): each row moves a quantity of one scope item
-- into (or, negative, back out of) "installed" in one room. Rows are never updated; a
-- mistake is undone by a row that reverses it (`reverses_id`). A scope item with installed
-- rows is not deleted (no cascade: the services refuse it with a reason). The installed quantity of an
-- item in a room is the sum of its rows; the services check, in the transaction that adds a
-- row, that it stays between zero and what the room may hold (the item's quantity for a
-- room item, its quantity per room for a room-type item), with the item's row locked on
-- PostgreSQL (SQLite has one writer) so two installers at once cannot both take the last one.
--
-- A snag belongs to a room, optionally to one scope item there. It is internal unless
-- `client_visible`; one raised by a client user is client-visible. `number` counts per
-- project (SN-001). Its states: open → fixed → verified → closed, or rejected.
--
-- A room's sign-off is a row in `room_signoffs`; the current one is the room's row whose
-- `reopened_at` is NULL (at most one, by the partial unique index). A snag raised in a
-- signed-off room reopens it: the row keeps who signed and when, and gains when and why it
-- reopened, so the history stays.
--
-- Attachments gain two owners: an installation (its photo) and a snag (its photos).
-- SQLite cannot change a CHECK constraint in place, so `attachments` is rebuilt (same
-- columns, same order, same indexes) as in 0020. The previous version runs on this schema.

CREATE TABLE installations (
    id             BLOB PRIMARY KEY NOT NULL,
    project_id     BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    scope_item_id  BLOB NOT NULL REFERENCES scope_items (id),
    room_id        BLOB NOT NULL REFERENCES locations (id),
    quantity_milli INTEGER NOT NULL CHECK (quantity_milli <> 0),
    installed_on   TEXT NOT NULL,
    installer      TEXT,
    note           TEXT,
    reverses_id    BLOB,
    recorded_by    BLOB REFERENCES users (id) ON DELETE SET NULL,
    recorded_at    TEXT NOT NULL
) STRICT;
CREATE INDEX installations_item_room_idx ON installations (scope_item_id, room_id);
CREATE INDEX installations_room_idx ON installations (room_id);
-- A row is reversed at most once.
CREATE UNIQUE INDEX installations_reverses_key ON installations (reverses_id) WHERE reverses_id IS NOT NULL;
CREATE INDEX installations_project_idx ON installations (project_id, recorded_at);

CREATE TABLE snags (
    id                  BLOB PRIMARY KEY NOT NULL,
    project_id          BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number              INTEGER NOT NULL CHECK (number > 0),
    room_id             BLOB NOT NULL REFERENCES locations (id),
    scope_item_id       BLOB REFERENCES scope_items (id) ON DELETE SET NULL,
    title               TEXT NOT NULL,
    description         TEXT,
    category            TEXT NOT NULL,
    responsible_user_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    responsible_trade   TEXT,
    due_on              TEXT,
    status              TEXT NOT NULL CHECK (status IN ('open', 'fixed', 'verified', 'closed', 'rejected')),
    client_visible      INTEGER NOT NULL CHECK (client_visible IN (0, 1)),
    raised_by           BLOB REFERENCES users (id) ON DELETE SET NULL,
    raised_at           TEXT NOT NULL,
    fixed_by            BLOB REFERENCES users (id) ON DELETE SET NULL,
    fixed_at            TEXT,
    verified_by         BLOB REFERENCES users (id) ON DELETE SET NULL,
    verified_at         TEXT,
    closed_by           BLOB REFERENCES users (id) ON DELETE SET NULL,
    closed_at           TEXT,
    rejected_reason     TEXT,
    updated_at          TEXT NOT NULL,
    version             INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX snags_number_key ON snags (project_id, number);
CREATE INDEX snags_room_idx ON snags (room_id, status);
CREATE INDEX snags_item_idx ON snags (scope_item_id);
CREATE INDEX snags_responsible_idx ON snags (responsible_user_id, status);

CREATE TABLE room_signoffs (
    id           BLOB PRIMARY KEY NOT NULL,
    project_id   BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    room_id      BLOB NOT NULL REFERENCES locations (id),
    signed_by    BLOB REFERENCES users (id) ON DELETE SET NULL,
    signed_at    TEXT NOT NULL,
    client_name  TEXT,
    note         TEXT,
    reopened_at  TEXT,
    reopened_by_snag_id BLOB REFERENCES snags (id) ON DELETE SET NULL
) STRICT;
CREATE UNIQUE INDEX room_signoffs_current_key ON room_signoffs (room_id) WHERE reopened_at IS NULL;
CREATE INDEX room_signoffs_project_idx ON room_signoffs (project_id);

DROP TRIGGER attachments_file_deleted;
DROP TRIGGER tasks_attachments_deleted;
DROP TRIGGER scope_items_attachments_deleted;
DROP TRIGGER drawings_attachments_deleted;
DROP TRIGGER specs_attachments_deleted;
DROP TRIGGER comments_attachments_deleted;

CREATE TABLE attachments_new (
    id           BLOB PRIMARY KEY NOT NULL,
    project_id   BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec', 'comment', 'installation', 'snag')),
    owner_id     BLOB NOT NULL,
    purpose      TEXT NOT NULL CHECK (purpose IN ('document', 'photo', 'sample')),
    caption      TEXT,
    file_name    TEXT NOT NULL,
    file_size    INTEGER NOT NULL CHECK (file_size > 0),
    file_sha256  TEXT NOT NULL,
    file_mime    TEXT NOT NULL,
    blob_key     TEXT NOT NULL,
    uploaded_by  BLOB REFERENCES users (id) ON DELETE SET NULL,
    uploaded_at  TEXT NOT NULL,
    display_key  TEXT,
    thumb_key    TEXT,
    image_width  INTEGER,
    image_height INTEGER
) STRICT;
INSERT INTO attachments_new (id, project_id, owner_kind, owner_id, purpose, caption, file_name,
    file_size, file_sha256, file_mime, blob_key, uploaded_by, uploaded_at, display_key,
    thumb_key, image_width, image_height)
SELECT id, project_id, owner_kind, owner_id, purpose, caption, file_name,
    file_size, file_sha256, file_mime, blob_key, uploaded_by, uploaded_at, display_key,
    thumb_key, image_width, image_height
FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_new RENAME TO attachments;
CREATE UNIQUE INDEX attachments_blob_key ON attachments (blob_key);
CREATE INDEX attachments_owner_idx ON attachments (owner_id, uploaded_at);
CREATE INDEX attachments_project_idx ON attachments (project_id);

CREATE TRIGGER attachments_file_deleted AFTER DELETE ON attachments
BEGIN
    INSERT OR IGNORE INTO deleted_files (blob_key) VALUES (OLD.blob_key);
    INSERT OR IGNORE INTO deleted_files (blob_key)
        SELECT OLD.display_key WHERE OLD.display_key IS NOT NULL;
    INSERT OR IGNORE INTO deleted_files (blob_key)
        SELECT OLD.thumb_key WHERE OLD.thumb_key IS NOT NULL;
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

CREATE TRIGGER comments_attachments_deleted AFTER DELETE ON comments
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'comment' AND owner_id = OLD.id;
END;

CREATE TRIGGER installations_attachments_deleted AFTER DELETE ON installations
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'installation' AND owner_id = OLD.id;
END;

CREATE TRIGGER snags_attachments_deleted AFTER DELETE ON snags
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'snag' AND owner_id = OLD.id;
END;
