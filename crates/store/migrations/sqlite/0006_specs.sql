-- Material specifications: approval, procurement, and links to scope items and drawings.

CREATE TABLE specs (
    id                 BLOB PRIMARY KEY NOT NULL,
    project_id         BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    code               TEXT NOT NULL,
    description        TEXT NOT NULL,
    category           TEXT NOT NULL CHECK (category IN ('wood', 'veneer', 'laminate', 'solid_surface', 'stone', 'metal',
                                                       'glass', 'hardware', 'finish', 'fabric', 'lighting', 'other')),
    material           TEXT,
    finish             TEXT,
    colour             TEXT,
    dimensions         TEXT,
    hardware           TEXT,
    quantity_milli     INTEGER NOT NULL CHECK (quantity_milli >= 0),
    unit               TEXT NOT NULL,
    unit_cost_minor    INTEGER,
    total_minor        INTEGER,
    supplier           TEXT,
    supplier_contact   TEXT,
    part_number        TEXT,
    lead_time_days     INTEGER CHECK (lead_time_days >= 0),
    location           TEXT,
    phase              TEXT,
    needed_on          TEXT,
    status             TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'revise_and_resubmit', 'rejected')),
    procurement        TEXT CHECK (procurement IN ('to_order', 'ordered', 'partially_delivered', 'delivered', 'installed')),
    po_number          TEXT,
    order_date         TEXT,
    expected_delivery  TEXT,
    delivered_milli    INTEGER NOT NULL CHECK (delivered_milli >= 0),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    updated_by         BLOB REFERENCES users (id) ON DELETE SET NULL,
    version            INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX specs_code_key ON specs (project_id, lower(code));

CREATE TABLE spec_reviews (
    id            BLOB PRIMARY KEY NOT NULL,
    spec_id       BLOB NOT NULL REFERENCES specs (id) ON DELETE CASCADE,
    reviewer_id   BLOB REFERENCES users (id) ON DELETE SET NULL,
    reviewer_name TEXT,
    decision      TEXT NOT NULL CHECK (decision IN ('approved', 'revise_and_resubmit', 'rejected')),
    comments      TEXT,
    at            TEXT NOT NULL
) STRICT;
CREATE INDEX spec_reviews_spec_idx ON spec_reviews (spec_id);

CREATE TABLE spec_scope_items (
    spec_id       BLOB NOT NULL REFERENCES specs (id) ON DELETE CASCADE,
    scope_item_id BLOB NOT NULL REFERENCES scope_items (id) ON DELETE CASCADE,
    PRIMARY KEY (spec_id, scope_item_id)
) STRICT;
CREATE INDEX spec_scope_items_item_idx ON spec_scope_items (scope_item_id);

CREATE TABLE spec_drawings (
    spec_id    BLOB NOT NULL REFERENCES specs (id) ON DELETE CASCADE,
    drawing_id BLOB NOT NULL REFERENCES drawings (id) ON DELETE CASCADE,
    PRIMARY KEY (spec_id, drawing_id)
) STRICT;
CREATE INDEX spec_drawings_drawing_idx ON spec_drawings (drawing_id);
