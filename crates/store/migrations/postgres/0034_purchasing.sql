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

CREATE TABLE suppliers (
    id             uuid PRIMARY KEY,
    name           text NOT NULL,
    categories     text NOT NULL,
    email          text,
    phone          text,
    website        text,
    address        text,
    tax_number     text,
    payment_terms  text,
    lead_time_days bigint CHECK (lead_time_days IS NULL OR lead_time_days >= 0),
    notes          text,
    archived       integer NOT NULL CHECK (archived IN (0, 1)),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint NOT NULL
);
CREATE UNIQUE INDEX suppliers_name_key ON suppliers (lower(name));

CREATE TABLE supplier_contacts (
    id          uuid PRIMARY KEY,
    supplier_id uuid NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    name        text NOT NULL,
    role        text,
    email       text,
    phone       text,
    position    bigint NOT NULL
);
CREATE INDEX supplier_contacts_supplier_idx ON supplier_contacts (supplier_id, position);

ALTER TABLE specs ADD COLUMN supplier_id uuid REFERENCES suppliers (id) ON DELETE SET NULL;
CREATE INDEX specs_supplier_idx ON specs (supplier_id);

INSERT INTO suppliers (id, name, categories, archived, created_at, updated_at, version)
SELECT g.first_id, btrim(f.supplier), g.categories, 0, f.created_at, f.created_at, 1
FROM (
    SELECT (array_agg(s.id ORDER BY s.id))[1] AS first_id,
           string_agg(DISTINCT s.category, ',' ORDER BY s.category) AS categories
    FROM specs s
    WHERE s.supplier IS NOT NULL AND btrim(s.supplier) <> ''
    GROUP BY lower(btrim(s.supplier))
) g
JOIN specs f ON f.id = g.first_id;

UPDATE specs SET supplier_id = (
    SELECT x.id FROM suppliers x WHERE lower(x.name) = lower(btrim(specs.supplier))
)
WHERE supplier IS NOT NULL AND btrim(supplier) <> '';

INSERT INTO supplier_contacts (id, supplier_id, name, position)
SELECT (array_agg(s.id ORDER BY s.id))[1], s.supplier_id, btrim(s.supplier_contact), 0
FROM specs s
WHERE s.supplier_id IS NOT NULL AND s.supplier_contact IS NOT NULL AND btrim(s.supplier_contact) <> ''
GROUP BY s.supplier_id, btrim(s.supplier_contact);

CREATE TABLE po_sequences (
    year bigint PRIMARY KEY,
    last bigint NOT NULL CHECK (last >= 0)
);

CREATE TABLE purchase_orders (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    supplier_id      uuid NOT NULL REFERENCES suppliers (id),
    number           text NOT NULL,
    status           text NOT NULL CHECK (status IN ('draft', 'approved', 'sent', 'partially_received', 'received', 'closed', 'cancelled')),
    currency         text NOT NULL,
    total_minor      bigint NOT NULL,
    required_on      date,
    delivery_address text,
    terms            text,
    notes            text,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL,
    approved_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    approved_at      timestamptz,
    sent_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    sent_at          timestamptz,
    sent_to          text,
    closed_at        timestamptz,
    cancelled_at     timestamptz,
    cancelled_reason text,
    updated_at       timestamptz NOT NULL,
    version          bigint NOT NULL
);
CREATE UNIQUE INDEX purchase_orders_number_key ON purchase_orders (number);
CREATE INDEX purchase_orders_project_idx ON purchase_orders (project_id, status);
CREATE INDEX purchase_orders_supplier_idx ON purchase_orders (supplier_id, status);

CREATE TABLE purchase_order_lines (
    id                uuid PRIMARY KEY,
    purchase_order_id uuid NOT NULL REFERENCES purchase_orders (id) ON DELETE CASCADE,
    position          bigint NOT NULL,
    spec_id           uuid REFERENCES specs (id) ON DELETE SET NULL,
    scope_item_id     uuid REFERENCES scope_items (id) ON DELETE SET NULL,
    description       text NOT NULL,
    quantity_milli    bigint NOT NULL CHECK (quantity_milli > 0),
    unit              text NOT NULL,
    unit_price_minor  bigint NOT NULL CHECK (unit_price_minor >= 0),
    total_minor       bigint NOT NULL,
    required_on       date,
    received_milli    bigint NOT NULL CHECK (received_milli >= 0),
    received_on       date
);
CREATE INDEX purchase_order_lines_order_idx ON purchase_order_lines (purchase_order_id, position);
CREATE INDEX purchase_order_lines_spec_idx ON purchase_order_lines (spec_id);
CREATE INDEX purchase_order_lines_item_idx ON purchase_order_lines (scope_item_id);

CREATE TABLE goods_receipts (
    id                uuid PRIMARY KEY,
    purchase_order_id uuid NOT NULL REFERENCES purchase_orders (id) ON DELETE CASCADE,
    received_on       date NOT NULL,
    delivery_note     text,
    received_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    received_by_name  text,
    note              text,
    recorded_at       timestamptz NOT NULL
);
CREATE INDEX goods_receipts_order_idx ON goods_receipts (purchase_order_id, received_on);

CREATE TABLE goods_receipt_lines (
    receipt_id           uuid NOT NULL REFERENCES goods_receipts (id) ON DELETE CASCADE,
    line_id              uuid NOT NULL REFERENCES purchase_order_lines (id) ON DELETE CASCADE,
    quantity_milli       bigint NOT NULL CHECK (quantity_milli > 0),
    over_delivery_reason text,
    PRIMARY KEY (receipt_id, line_id)
);
CREATE INDEX goods_receipt_lines_line_idx ON goods_receipt_lines (line_id);

CREATE TABLE po_approval_limits (
    currency                   text PRIMARY KEY,
    project_manager_limit_minor bigint NOT NULL CHECK (project_manager_limit_minor >= 0),
    updated_by                 uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at                 timestamptz NOT NULL,
    version                    bigint NOT NULL
);

ALTER TABLE company_settings ADD COLUMN designers_see_prices integer NOT NULL DEFAULT 0 CHECK (designers_see_prices IN (0, 1));
ALTER TABLE company_settings ADD COLUMN craftsmen_see_prices integer NOT NULL DEFAULT 0 CHECK (craftsmen_see_prices IN (0, 1));

ALTER TABLE attachments DROP CONSTRAINT attachments_owner_kind_check;
ALTER TABLE attachments ADD CONSTRAINT attachments_owner_kind_check
    CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec', 'comment', 'installation', 'snag', 'variation', 'rfi', 'purchase_order', 'goods_receipt'));

CREATE TRIGGER purchase_orders_attachments_deleted AFTER DELETE ON purchase_orders
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('purchase_order');

CREATE TRIGGER goods_receipts_attachments_deleted AFTER DELETE ON goods_receipts
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('goods_receipt');
