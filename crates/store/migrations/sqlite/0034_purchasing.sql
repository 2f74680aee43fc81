-- Purchasing: the supplier directory, purchase orders with numbered lines, their approval
-- limits, and goods receipts.
--
-- A supplier is the company's, not a project's (name unique, case-insensitively), with its
-- trade categories (comma-separated words), terms, default lead time and contacts.
-- Specifications refer to one by `supplier_id`. The free-text `supplier` and
-- `supplier_contact` of existing specifications move into the directory here: one supplier
-- per name (trimmed, case-insensitively; spelt as the first specification naming it wrote it),
-- its categories those of the specifications that name it, and each distinct contact text a
-- contact of it. The new rows take the id and the creation time of the first specification
-- that named them (ids are made in Rust everywhere else; this keeps the migration free of
-- random functions and the same on both backends). The old columns stay, unused by this
-- version, so the previous version still runs on this schema; a later release drops them.
--
-- A purchase order belongs to a project and a supplier. `number` is `PO-<year>-<seq>`,
-- unique; `po_sequences` holds the last `seq` of each year, incremented in the transaction
-- that creates the order (a rolled-back order gives its number back, so there are no gaps,
-- and on PostgreSQL the row lock makes concurrent creations wait their turn). States:
-- draft → approved → sent → partially_received → received → closed, or cancelled.
-- `total_minor` is the sum of the lines' totals, kept in the same transaction. Each line
-- orders a quantity of a specification or a scope item (or neither: a free line) at a unit
-- price; `received_milli` is the sum of its receipt lines, kept with them, and exceeds the
-- ordered quantity only through a receipt line that accepts the over-delivery with a reason.
--
-- A goods receipt records what arrived on one day under one delivery note, per line.
-- `po_approval_limits` says, per currency, up to which order total a project manager
-- approves; above it an executive or an administrator must. `company_settings` gains
-- whether designers and craftsmen see purchase prices (they do not by default).
--
-- Attachments gain two owners: a purchase order (the PDF as sent) and a goods receipt
-- (its photos).
-- SQLite cannot change a CHECK constraint in place, so `attachments` is rebuilt (same
-- columns, same order, same indexes) as in 0031.

CREATE TABLE suppliers (
    id             BLOB PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    categories     TEXT NOT NULL,
    email          TEXT,
    phone          TEXT,
    website        TEXT,
    address        TEXT,
    tax_number     TEXT,
    payment_terms  TEXT,
    lead_time_days INTEGER CHECK (lead_time_days IS NULL OR lead_time_days >= 0),
    notes          TEXT,
    archived       INTEGER NOT NULL CHECK (archived IN (0, 1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX suppliers_name_key ON suppliers (lower(name));

CREATE TABLE supplier_contacts (
    id          BLOB PRIMARY KEY NOT NULL,
    supplier_id BLOB NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    role        TEXT,
    email       TEXT,
    phone       TEXT,
    position    INTEGER NOT NULL
) STRICT;
CREATE INDEX supplier_contacts_supplier_idx ON supplier_contacts (supplier_id, position);

ALTER TABLE specs ADD COLUMN supplier_id BLOB REFERENCES suppliers (id) ON DELETE SET NULL;
CREATE INDEX specs_supplier_idx ON specs (supplier_id);

INSERT INTO suppliers (id, name, categories, archived, created_at, updated_at, version)
SELECT g.first_id, trim(f.supplier), g.categories, 0, f.created_at, f.created_at, 1
FROM (
    SELECT MIN(s.id) AS first_id,
           group_concat(DISTINCT s.category ORDER BY s.category) AS categories
    FROM specs s
    WHERE s.supplier IS NOT NULL AND trim(s.supplier) <> ''
    GROUP BY lower(trim(s.supplier))
) g
JOIN specs f ON f.id = g.first_id;

UPDATE specs SET supplier_id = (
    SELECT x.id FROM suppliers x WHERE lower(x.name) = lower(trim(specs.supplier))
)
WHERE supplier IS NOT NULL AND trim(supplier) <> '';

INSERT INTO supplier_contacts (id, supplier_id, name, position)
SELECT MIN(s.id), s.supplier_id, trim(s.supplier_contact), 0
FROM specs s
WHERE s.supplier_id IS NOT NULL AND s.supplier_contact IS NOT NULL AND trim(s.supplier_contact) <> ''
GROUP BY s.supplier_id, trim(s.supplier_contact);

CREATE TABLE po_sequences (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL CHECK (last >= 0)
) STRICT;

CREATE TABLE purchase_orders (
    id               BLOB PRIMARY KEY NOT NULL,
    project_id       BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    supplier_id      BLOB NOT NULL REFERENCES suppliers (id),
    number           TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'sent', 'partially_received', 'received', 'closed', 'cancelled')),
    currency         TEXT NOT NULL,
    total_minor      INTEGER NOT NULL,
    required_on      TEXT,
    delivery_address TEXT,
    terms            TEXT,
    notes            TEXT,
    created_by       BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL,
    approved_by      BLOB REFERENCES users (id) ON DELETE SET NULL,
    approved_at      TEXT,
    sent_by          BLOB REFERENCES users (id) ON DELETE SET NULL,
    sent_at          TEXT,
    sent_to          TEXT,
    closed_at        TEXT,
    cancelled_at     TEXT,
    cancelled_reason TEXT,
    updated_at       TEXT NOT NULL,
    version          INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX purchase_orders_number_key ON purchase_orders (number);
CREATE INDEX purchase_orders_project_idx ON purchase_orders (project_id, status);
CREATE INDEX purchase_orders_supplier_idx ON purchase_orders (supplier_id, status);

CREATE TABLE purchase_order_lines (
    id                BLOB PRIMARY KEY NOT NULL,
    purchase_order_id BLOB NOT NULL REFERENCES purchase_orders (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    spec_id           BLOB REFERENCES specs (id) ON DELETE SET NULL,
    scope_item_id     BLOB REFERENCES scope_items (id) ON DELETE SET NULL,
    description       TEXT NOT NULL,
    quantity_milli    INTEGER NOT NULL CHECK (quantity_milli > 0),
    unit              TEXT NOT NULL,
    unit_price_minor  INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    total_minor       INTEGER NOT NULL,
    required_on       TEXT,
    received_milli    INTEGER NOT NULL CHECK (received_milli >= 0),
    received_on       TEXT
) STRICT;
CREATE INDEX purchase_order_lines_order_idx ON purchase_order_lines (purchase_order_id, position);
CREATE INDEX purchase_order_lines_spec_idx ON purchase_order_lines (spec_id);
CREATE INDEX purchase_order_lines_item_idx ON purchase_order_lines (scope_item_id);

CREATE TABLE goods_receipts (
    id                BLOB PRIMARY KEY NOT NULL,
    purchase_order_id BLOB NOT NULL REFERENCES purchase_orders (id) ON DELETE CASCADE,
    received_on       TEXT NOT NULL,
    delivery_note     TEXT,
    received_by       BLOB REFERENCES users (id) ON DELETE SET NULL,
    received_by_name  TEXT,
    note              TEXT,
    recorded_at       TEXT NOT NULL
) STRICT;
CREATE INDEX goods_receipts_order_idx ON goods_receipts (purchase_order_id, received_on);

CREATE TABLE goods_receipt_lines (
    receipt_id           BLOB NOT NULL REFERENCES goods_receipts (id) ON DELETE CASCADE,
    line_id              BLOB NOT NULL REFERENCES purchase_order_lines (id) ON DELETE CASCADE,
    quantity_milli       INTEGER NOT NULL CHECK (quantity_milli > 0),
    over_delivery_reason TEXT,
    PRIMARY KEY (receipt_id, line_id)
) STRICT;
CREATE INDEX goods_receipt_lines_line_idx ON goods_receipt_lines (line_id);

CREATE TABLE po_approval_limits (
    currency                   TEXT PRIMARY KEY,
    project_manager_limit_minor INTEGER NOT NULL CHECK (project_manager_limit_minor >= 0),
    updated_by                 BLOB REFERENCES users (id) ON DELETE SET NULL,
    updated_at                 TEXT NOT NULL,
    version                    INTEGER NOT NULL
) STRICT;

ALTER TABLE company_settings ADD COLUMN designers_see_prices INTEGER NOT NULL DEFAULT 0 CHECK (designers_see_prices IN (0, 1));
ALTER TABLE company_settings ADD COLUMN craftsmen_see_prices INTEGER NOT NULL DEFAULT 0 CHECK (craftsmen_see_prices IN (0, 1));

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

CREATE TABLE attachments_new (
    id           BLOB PRIMARY KEY NOT NULL,
    project_id   BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec', 'comment', 'installation', 'snag', 'variation', 'rfi', 'purchase_order', 'goods_receipt')),
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
