-- Material specifications: approval, procurement, and links to scope items and drawings.

CREATE TABLE specs (
    id                 uuid PRIMARY KEY,
    project_id         uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    code               text NOT NULL,
    description        text NOT NULL,
    category           text NOT NULL CHECK (category IN ('wood', 'veneer', 'laminate', 'solid_surface', 'stone', 'metal',
                                                       'glass', 'hardware', 'finish', 'fabric', 'lighting', 'other')),
    material           text,
    finish             text,
    colour             text,
    dimensions         text,
    hardware           text,
    quantity_milli     bigint NOT NULL CHECK (quantity_milli >= 0),
    unit               text NOT NULL,
    unit_cost_minor    bigint,
    total_minor        bigint,
    supplier           text,
    supplier_contact   text,
    part_number        text,
    lead_time_days     integer CHECK (lead_time_days >= 0),
    location           text,
    phase              text,
    needed_on          date,
    status             text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'revise_and_resubmit', 'rejected')),
    procurement        text CHECK (procurement IN ('to_order', 'ordered', 'partially_delivered', 'delivered', 'installed')),
    po_number          text,
    order_date         date,
    expected_delivery  date,
    delivered_milli    bigint NOT NULL CHECK (delivered_milli >= 0),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    updated_by         uuid REFERENCES users (id) ON DELETE SET NULL,
    version            bigint NOT NULL
);
CREATE UNIQUE INDEX specs_code_key ON specs (project_id, lower(code));

CREATE TABLE spec_reviews (
    id            uuid PRIMARY KEY,
    spec_id       uuid NOT NULL REFERENCES specs (id) ON DELETE CASCADE,
    reviewer_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    reviewer_name text,
    decision      text NOT NULL CHECK (decision IN ('approved', 'revise_and_resubmit', 'rejected')),
    comments      text,
    at            timestamptz NOT NULL
);
CREATE INDEX spec_reviews_spec_idx ON spec_reviews (spec_id);

CREATE TABLE spec_scope_items (
    spec_id       uuid NOT NULL REFERENCES specs (id) ON DELETE CASCADE,
    scope_item_id uuid NOT NULL REFERENCES scope_items (id) ON DELETE CASCADE,
    PRIMARY KEY (spec_id, scope_item_id)
);
CREATE INDEX spec_scope_items_item_idx ON spec_scope_items (scope_item_id);

CREATE TABLE spec_drawings (
    spec_id    uuid NOT NULL REFERENCES specs (id) ON DELETE CASCADE,
    drawing_id uuid NOT NULL REFERENCES drawings (id) ON DELETE CASCADE,
    PRIMARY KEY (spec_id, drawing_id)
);
CREATE INDEX spec_drawings_drawing_idx ON spec_drawings (drawing_id);
