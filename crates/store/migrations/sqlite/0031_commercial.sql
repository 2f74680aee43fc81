-- Contract changes: RFIs (requests for information) and variations (change orders).
--
-- An RFI is a question to someone, who is either a user (`addressed_to_user_id`) or an
-- outside address (`addressed_to_email`, which receives the RFI as a mail with its PDF); the
-- services require exactly one. `number` counts per project (RFI-001). Its states: open →
-- answered → closed. The ball is in the addressee's court while it is open and in the
-- raiser's once answered. It is internal unless `client_visible` (an RFI addressed to a client
-- user is visible to the client). An answer may say it has a cost or time impact, which
-- offers to start a variation from it. It links to drawings, scope items and rooms.
--
-- A variation is priced by its lines. Each line adds a scope item (its group, code, name,
-- unit, quantity and rate), omits an existing one, or changes an existing one's quantity or
-- rate; `amount_minor` is the change in contract value the line makes, and the variation's
-- `total_minor` is the sum of its lines, kept in the same transaction. Omit and change lines
-- keep the item as it was priced (`quantity_before_milli`, `unit_price_before_minor`), so an
-- approval can refuse to apply a price the item no longer matches. It goes through the one
-- review workflow (draft → submitted → approved or rejected); withdrawing it, before a
-- decision, sets `withdrawn_at`. On approval the scope changes and the project's contract
-- value moves by `total_minor` in one transaction, stamped `applied_at` (at most once); an
-- added item's line then points at the item it created, which is how a scope item knows
-- the variation behind it.
--
-- Attachments gain two owners: a variation and an RFI.
-- SQLite cannot change a CHECK constraint in place, so `attachments` is rebuilt (same
-- columns, same order, same indexes) as in 0026. The previous version runs on this schema.

CREATE TABLE rfis (
    id                   BLOB PRIMARY KEY NOT NULL,
    project_id           BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number               INTEGER NOT NULL CHECK (number > 0),
    subject              TEXT NOT NULL,
    question             TEXT NOT NULL,
    raised_by            BLOB REFERENCES users (id) ON DELETE SET NULL,
    raised_at            TEXT NOT NULL,
    addressed_to_user_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    addressed_to_email   TEXT,
    addressed_to_name    TEXT,
    required_by          TEXT,
    status               TEXT NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
    client_visible       INTEGER NOT NULL CHECK (client_visible IN (0, 1)),
    answer               TEXT,
    answered_by          BLOB REFERENCES users (id) ON DELETE SET NULL,
    answered_by_name     TEXT,
    answered_at          TEXT,
    cost_impact          INTEGER NOT NULL CHECK (cost_impact IN (0, 1)),
    time_impact          INTEGER NOT NULL CHECK (time_impact IN (0, 1)),
    closed_by            BLOB REFERENCES users (id) ON DELETE SET NULL,
    closed_at            TEXT,
    sent_at              TEXT,
    updated_at           TEXT NOT NULL,
    version              INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX rfis_number_key ON rfis (project_id, number);
CREATE INDEX rfis_project_idx ON rfis (project_id, status, required_by);
CREATE INDEX rfis_addressee_idx ON rfis (addressed_to_user_id, status);

CREATE TABLE rfi_drawings (
    rfi_id     BLOB NOT NULL REFERENCES rfis (id) ON DELETE CASCADE,
    drawing_id BLOB NOT NULL REFERENCES drawings (id) ON DELETE CASCADE,
    PRIMARY KEY (rfi_id, drawing_id)
) STRICT;
CREATE INDEX rfi_drawings_drawing_idx ON rfi_drawings (drawing_id);

CREATE TABLE rfi_scope_items (
    rfi_id        BLOB NOT NULL REFERENCES rfis (id) ON DELETE CASCADE,
    scope_item_id BLOB NOT NULL REFERENCES scope_items (id) ON DELETE CASCADE,
    PRIMARY KEY (rfi_id, scope_item_id)
) STRICT;
CREATE INDEX rfi_scope_items_item_idx ON rfi_scope_items (scope_item_id);

CREATE TABLE rfi_rooms (
    rfi_id  BLOB NOT NULL REFERENCES rfis (id) ON DELETE CASCADE,
    room_id BLOB NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    PRIMARY KEY (rfi_id, room_id)
) STRICT;
CREATE INDEX rfi_rooms_room_idx ON rfi_rooms (room_id);

CREATE TABLE variations (
    id                  BLOB PRIMARY KEY NOT NULL,
    project_id          BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number              INTEGER NOT NULL CHECK (number > 0),
    title               TEXT NOT NULL,
    description         TEXT,
    reason              TEXT NOT NULL CHECK (reason IN ('client_request', 'design_change', 'site_condition', 'rfi')),
    rfi_id              BLOB REFERENCES rfis (id) ON DELETE SET NULL,
    requested_by_client INTEGER NOT NULL CHECK (requested_by_client IN (0, 1)),
    time_impact_days    INTEGER,
    currency            TEXT NOT NULL,
    total_minor         INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
    raised_by           BLOB REFERENCES users (id) ON DELETE SET NULL,
    raised_at           TEXT NOT NULL,
    submitted_at        TEXT,
    decided_at          TEXT,
    applied_at          TEXT,
    withdrawn_at        TEXT,
    withdrawn_by        BLOB REFERENCES users (id) ON DELETE SET NULL,
    withdrawn_reason    TEXT,
    updated_at          TEXT NOT NULL,
    version             INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX variations_number_key ON variations (project_id, number);
CREATE INDEX variations_project_idx ON variations (project_id, status);
CREATE INDEX variations_rfi_idx ON variations (rfi_id);

CREATE TABLE variation_lines (
    id                      BLOB PRIMARY KEY NOT NULL,
    variation_id            BLOB NOT NULL REFERENCES variations (id) ON DELETE CASCADE,
    position                INTEGER NOT NULL,
    kind                    TEXT NOT NULL CHECK (kind IN ('add', 'omit', 'change')),
    scope_item_id           BLOB REFERENCES scope_items (id) ON DELETE SET NULL,
    group_id                BLOB REFERENCES scope_groups (id) ON DELETE SET NULL,
    code                    TEXT,
    name                    TEXT,
    unit                    TEXT,
    description             TEXT,
    quantity_before_milli   INTEGER,
    unit_price_before_minor INTEGER,
    quantity_milli          INTEGER CHECK (quantity_milli IS NULL OR quantity_milli >= 0),
    unit_price_minor        INTEGER,
    amount_minor            INTEGER NOT NULL,
    note                    TEXT
) STRICT;
CREATE INDEX variation_lines_variation_idx ON variation_lines (variation_id, position);
CREATE INDEX variation_lines_item_idx ON variation_lines (scope_item_id);

CREATE TABLE variation_reviews (
    id            BLOB PRIMARY KEY NOT NULL,
    variation_id  BLOB NOT NULL REFERENCES variations (id) ON DELETE CASCADE,
    reviewer_id   BLOB REFERENCES users (id) ON DELETE SET NULL,
    reviewer_name TEXT,
    decision      TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    comments      TEXT,
    at            TEXT NOT NULL
) STRICT;
CREATE INDEX variation_reviews_variation_idx ON variation_reviews (variation_id);

DROP TRIGGER attachments_file_deleted;
DROP TRIGGER tasks_attachments_deleted;
DROP TRIGGER scope_items_attachments_deleted;
DROP TRIGGER drawings_attachments_deleted;
DROP TRIGGER specs_attachments_deleted;
DROP TRIGGER comments_attachments_deleted;
DROP TRIGGER installations_attachments_deleted;
DROP TRIGGER snags_attachments_deleted;

CREATE TABLE attachments_new (
    id           BLOB PRIMARY KEY NOT NULL,
    project_id   BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec', 'comment', 'installation', 'snag', 'variation', 'rfi')),
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

CREATE TRIGGER variations_attachments_deleted AFTER DELETE ON variations
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'variation' AND owner_id = OLD.id;
END;

CREATE TRIGGER rfis_attachments_deleted AFTER DELETE ON rfis
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'rfi' AND owner_id = OLD.id;
END;
