-- In the workshop and on the road (docs/workshop.md): production stages counted in
-- quantities, QA checks with rework, and delivery notes from dispatch to receipt on site.
--
-- Stages. `workshop_stage_templates` is the company's list, empty until administrators
-- change it: an empty list means the built-in defaults (cutting, edge-banding, machining,
-- assembly, finishing, QA, packed; the domain's `DEFAULT_STAGES`), so a fresh database and a
-- restore start the same. A
-- project's own list is `workshop_stages`: the services copy the template into it, with new
-- ids and the same keys, the first time the project's workshop is touched (a release, a
-- movement, a change of its stages), so existing projects need nothing here and a later
-- change of the template does not move a project's quantities. `key` is unique per project
-- (the copy is idempotent: ON CONFLICT DO NOTHING). `kind` is 'work', 'qa' (the checks are
-- recorded there) or 'packed' (ready to dispatch; the last stage). A stage that held
-- quantities is archived, never deleted.
--
-- `workshop_moves` is a ledger (DESIGN.md §10). A row moves a quantity of one released
-- scope item from one position to another: a position is a stage (the quantity has been
-- through it) or NULL ("released, not started"). "12 more through assembly" is a row from
-- the stage before assembly to assembly. The quantity at a position is what moved in minus
-- what moved out (plus, for NULL, the released quantity). Rows are never updated; a mistake
-- is undone by a row that reverses it (`reverses_id`, at most once). `kind` says why:
-- 'forward' (through the next stage), 'rework' (a QA failure sends it back to before the
-- chosen stage; `qa_check_id`), 'undo'. The services check in the writing transaction,
-- with the scope item's row locked on PostgreSQL (SQLite has one writer), that no position
-- goes negative and that the packed stage never holds less than was dispatched.
--
-- `qa_checks`: a pass or a fail of a quantity at the QA stage, with notes and photos
-- (attachments owned by 'qa_check'); a fail names the stage the quantity goes back to.
--
-- Delivery notes. `number` counts per project (DN-001). States: planned → dispatched →
-- partially_received → received, or cancelled (before dispatch). Lines name a scope item and
-- a quantity; `received_milli` is the sum of the receipt lines, kept in the receiving
-- transaction and never above the line's quantity. A dispatch is refused beyond what is
-- packed and not yet dispatched on another note; installation is limited to what was
-- received on site. A receipt records who received it, when, the name signed on the phone,
-- and a photo (attachments owned by 'delivery_receipt'); the signed PDF is kept as an
-- attachment of the note ('delivery_note').
--
-- Progress gains production and delivery weights (docs/site.md), 0 until the services set
-- them.
--
-- Attachments gain three owners. The previous version runs on this schema.

CREATE TABLE workshop_stage_templates (
    id         BLOB PRIMARY KEY NOT NULL,
    key        TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('work', 'qa', 'packed')),
    position   INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX workshop_stage_templates_key ON workshop_stage_templates (key);

CREATE TABLE workshop_stages (
    id         BLOB PRIMARY KEY NOT NULL,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('work', 'qa', 'packed')),
    position   INTEGER NOT NULL,
    archived   INTEGER NOT NULL CHECK (archived IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX workshop_stages_key ON workshop_stages (project_id, key);
CREATE INDEX workshop_stages_project_idx ON workshop_stages (project_id, position);

CREATE TABLE qa_checks (
    id              BLOB PRIMARY KEY NOT NULL,
    project_id      BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    scope_item_id   BLOB NOT NULL REFERENCES scope_items (id),
    stage_id        BLOB NOT NULL REFERENCES workshop_stages (id),
    quantity_milli  INTEGER NOT NULL CHECK (quantity_milli > 0),
    result          TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
    rework_stage_id BLOB REFERENCES workshop_stages (id),
    notes           TEXT,
    checked_by      BLOB REFERENCES users (id) ON DELETE SET NULL,
    checked_at      TEXT NOT NULL,
    CHECK ((result = 'fail') = (rework_stage_id IS NOT NULL))
) STRICT;
CREATE INDEX qa_checks_item_idx ON qa_checks (scope_item_id, checked_at);
CREATE INDEX qa_checks_project_idx ON qa_checks (project_id, checked_at);

CREATE TABLE workshop_moves (
    id             BLOB PRIMARY KEY NOT NULL,
    project_id     BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    scope_item_id  BLOB NOT NULL REFERENCES scope_items (id),
    from_stage_id  BLOB REFERENCES workshop_stages (id),
    to_stage_id    BLOB REFERENCES workshop_stages (id),
    quantity_milli INTEGER NOT NULL CHECK (quantity_milli > 0),
    kind           TEXT NOT NULL CHECK (kind IN ('forward', 'rework', 'undo')),
    qa_check_id    BLOB REFERENCES qa_checks (id),
    reverses_id    BLOB,
    note           TEXT,
    moved_by       BLOB REFERENCES users (id) ON DELETE SET NULL,
    moved_at       TEXT NOT NULL,
    CHECK (from_stage_id IS NOT NULL OR to_stage_id IS NOT NULL),
    CHECK ((kind = 'undo') = (reverses_id IS NOT NULL))
) STRICT;
CREATE INDEX workshop_moves_item_idx ON workshop_moves (scope_item_id, moved_at);
CREATE INDEX workshop_moves_project_idx ON workshop_moves (project_id, moved_at);
CREATE UNIQUE INDEX workshop_moves_reverses_key ON workshop_moves (reverses_id) WHERE reverses_id IS NOT NULL;

CREATE TABLE delivery_notes (
    id               BLOB PRIMARY KEY NOT NULL,
    project_id       BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number           INTEGER NOT NULL CHECK (number > 0),
    destination_id   BLOB REFERENCES locations (id) ON DELETE SET NULL,
    address          TEXT,
    planned_on       TEXT,
    vehicle          TEXT,
    driver           TEXT,
    notes            TEXT,
    status           TEXT NOT NULL CHECK (status IN ('planned', 'dispatched', 'partially_received', 'received', 'cancelled')),
    created_by       BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL,
    dispatched_by    BLOB REFERENCES users (id) ON DELETE SET NULL,
    dispatched_at    TEXT,
    cancelled_at     TEXT,
    cancelled_reason TEXT,
    updated_at       TEXT NOT NULL,
    version          INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX delivery_notes_number_key ON delivery_notes (project_id, number);
CREATE INDEX delivery_notes_status_idx ON delivery_notes (project_id, status);

CREATE TABLE delivery_note_lines (
    id               BLOB PRIMARY KEY NOT NULL,
    delivery_note_id BLOB NOT NULL REFERENCES delivery_notes (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    scope_item_id    BLOB NOT NULL REFERENCES scope_items (id),
    quantity_milli   INTEGER NOT NULL CHECK (quantity_milli > 0),
    received_milli   INTEGER NOT NULL CHECK (received_milli >= 0 AND received_milli <= quantity_milli),
    note             TEXT
) STRICT;
CREATE INDEX delivery_note_lines_note_idx ON delivery_note_lines (delivery_note_id, position);
CREATE INDEX delivery_note_lines_item_idx ON delivery_note_lines (scope_item_id);

CREATE TABLE delivery_receipts (
    id               BLOB PRIMARY KEY NOT NULL,
    delivery_note_id BLOB NOT NULL REFERENCES delivery_notes (id) ON DELETE CASCADE,
    received_on      TEXT NOT NULL,
    received_by      BLOB REFERENCES users (id) ON DELETE SET NULL,
    signed_name      TEXT NOT NULL,
    note             TEXT,
    recorded_at      TEXT NOT NULL
) STRICT;
CREATE INDEX delivery_receipts_note_idx ON delivery_receipts (delivery_note_id, recorded_at);

CREATE TABLE delivery_receipt_lines (
    receipt_id     BLOB NOT NULL REFERENCES delivery_receipts (id) ON DELETE CASCADE,
    line_id        BLOB NOT NULL REFERENCES delivery_note_lines (id) ON DELETE CASCADE,
    quantity_milli INTEGER NOT NULL CHECK (quantity_milli > 0),
    PRIMARY KEY (receipt_id, line_id)
) STRICT;
CREATE INDEX delivery_receipt_lines_line_idx ON delivery_receipt_lines (line_id);

ALTER TABLE project_settings ADD COLUMN progress_production INTEGER NOT NULL DEFAULT 0 CHECK (progress_production BETWEEN 0 AND 100);
ALTER TABLE project_settings ADD COLUMN progress_delivery INTEGER NOT NULL DEFAULT 0 CHECK (progress_delivery BETWEEN 0 AND 100);

DROP TRIGGER attachments_file_deleted;
DROP TRIGGER tasks_attachments_deleted;
DROP TRIGGER scope_items_attachments_deleted;
DROP TRIGGER drawings_attachments_deleted;
DROP TRIGGER specs_attachments_deleted;
DROP TRIGGER comments_attachments_deleted;
DROP TRIGGER installations_attachments_deleted;
DROP TRIGGER snags_attachments_deleted;
DROP TRIGGER variations_attachments_deleted;
DROP TRIGGER rfis_attachments_deleted;
DROP TRIGGER purchase_orders_attachments_deleted;
DROP TRIGGER goods_receipts_attachments_deleted;

CREATE TABLE attachments_new (
    id           BLOB PRIMARY KEY NOT NULL,
    project_id   BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec', 'comment', 'installation', 'snag', 'variation', 'rfi', 'purchase_order', 'goods_receipt', 'qa_check', 'delivery_note', 'delivery_receipt')),
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

CREATE TRIGGER purchase_orders_attachments_deleted AFTER DELETE ON purchase_orders
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'purchase_order' AND owner_id = OLD.id;
END;

CREATE TRIGGER goods_receipts_attachments_deleted AFTER DELETE ON goods_receipts
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'goods_receipt' AND owner_id = OLD.id;
END;

CREATE TRIGGER qa_checks_attachments_deleted AFTER DELETE ON qa_checks
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'qa_check' AND owner_id = OLD.id;
END;

CREATE TRIGGER delivery_notes_attachments_deleted AFTER DELETE ON delivery_notes
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'delivery_note' AND owner_id = OLD.id;
END;

CREATE TRIGGER delivery_receipts_attachments_deleted AFTER DELETE ON delivery_receipts
BEGIN
    DELETE FROM attachments WHERE owner_kind = 'delivery_receipt' AND owner_id = OLD.id;
END;
