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
-- The previous version runs on this schema.

CREATE TABLE rfis (
    id                   uuid PRIMARY KEY,
    project_id           uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number               bigint NOT NULL CHECK (number > 0),
    subject              text NOT NULL,
    question             text NOT NULL,
    raised_by            uuid REFERENCES users (id) ON DELETE SET NULL,
    raised_at            timestamptz NOT NULL,
    addressed_to_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    addressed_to_email   text,
    addressed_to_name    text,
    required_by          date,
    status               text NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
    client_visible       integer NOT NULL CHECK (client_visible IN (0, 1)),
    answer               text,
    answered_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    answered_by_name     text,
    answered_at          timestamptz,
    cost_impact          integer NOT NULL CHECK (cost_impact IN (0, 1)),
    time_impact          integer NOT NULL CHECK (time_impact IN (0, 1)),
    closed_by            uuid REFERENCES users (id) ON DELETE SET NULL,
    closed_at            timestamptz,
    sent_at              timestamptz,
    updated_at           timestamptz NOT NULL,
    version              bigint NOT NULL
);
CREATE UNIQUE INDEX rfis_number_key ON rfis (project_id, number);
CREATE INDEX rfis_project_idx ON rfis (project_id, status, required_by);
CREATE INDEX rfis_addressee_idx ON rfis (addressed_to_user_id, status);

CREATE TABLE rfi_drawings (
    rfi_id     uuid NOT NULL REFERENCES rfis (id) ON DELETE CASCADE,
    drawing_id uuid NOT NULL REFERENCES drawings (id) ON DELETE CASCADE,
    PRIMARY KEY (rfi_id, drawing_id)
);
CREATE INDEX rfi_drawings_drawing_idx ON rfi_drawings (drawing_id);

CREATE TABLE rfi_scope_items (
    rfi_id        uuid NOT NULL REFERENCES rfis (id) ON DELETE CASCADE,
    scope_item_id uuid NOT NULL REFERENCES scope_items (id) ON DELETE CASCADE,
    PRIMARY KEY (rfi_id, scope_item_id)
);
CREATE INDEX rfi_scope_items_item_idx ON rfi_scope_items (scope_item_id);

CREATE TABLE rfi_rooms (
    rfi_id  uuid NOT NULL REFERENCES rfis (id) ON DELETE CASCADE,
    room_id uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    PRIMARY KEY (rfi_id, room_id)
);
CREATE INDEX rfi_rooms_room_idx ON rfi_rooms (room_id);

CREATE TABLE variations (
    id                  uuid PRIMARY KEY,
    project_id          uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number              bigint NOT NULL CHECK (number > 0),
    title               text NOT NULL,
    description         text,
    reason              text NOT NULL CHECK (reason IN ('client_request', 'design_change', 'site_condition', 'rfi')),
    rfi_id              uuid REFERENCES rfis (id) ON DELETE SET NULL,
    requested_by_client integer NOT NULL CHECK (requested_by_client IN (0, 1)),
    time_impact_days    bigint,
    currency            text NOT NULL,
    total_minor         bigint NOT NULL,
    status              text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
    raised_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    raised_at           timestamptz NOT NULL,
    submitted_at        timestamptz,
    decided_at          timestamptz,
    applied_at          timestamptz,
    withdrawn_at        timestamptz,
    withdrawn_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    withdrawn_reason    text,
    updated_at          timestamptz NOT NULL,
    version             bigint NOT NULL
);
CREATE UNIQUE INDEX variations_number_key ON variations (project_id, number);
CREATE INDEX variations_project_idx ON variations (project_id, status);
CREATE INDEX variations_rfi_idx ON variations (rfi_id);

CREATE TABLE variation_lines (
    id                      uuid PRIMARY KEY,
    variation_id            uuid NOT NULL REFERENCES variations (id) ON DELETE CASCADE,
    position                bigint NOT NULL,
    kind                    text NOT NULL CHECK (kind IN ('add', 'omit', 'change')),
    scope_item_id           uuid REFERENCES scope_items (id) ON DELETE SET NULL,
    group_id                uuid REFERENCES scope_groups (id) ON DELETE SET NULL,
    code                    text,
    name                    text,
    unit                    text,
    description             text,
    quantity_before_milli   bigint,
    unit_price_before_minor bigint,
    quantity_milli          bigint CHECK (quantity_milli IS NULL OR quantity_milli >= 0),
    unit_price_minor        bigint,
    amount_minor            bigint NOT NULL,
    note                    text
);
CREATE INDEX variation_lines_variation_idx ON variation_lines (variation_id, position);
CREATE INDEX variation_lines_item_idx ON variation_lines (scope_item_id);

CREATE TABLE variation_reviews (
    id            uuid PRIMARY KEY,
    variation_id  uuid NOT NULL REFERENCES variations (id) ON DELETE CASCADE,
    reviewer_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    reviewer_name text,
    decision      text NOT NULL CHECK (decision IN ('approved', 'rejected')),
    comments      text,
    at            timestamptz NOT NULL
);
CREATE INDEX variation_reviews_variation_idx ON variation_reviews (variation_id);

ALTER TABLE attachments DROP CONSTRAINT attachments_owner_kind_check;
ALTER TABLE attachments ADD CONSTRAINT attachments_owner_kind_check
    CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec', 'comment', 'installation', 'snag', 'variation', 'rfi'));

CREATE TRIGGER variations_attachments_deleted AFTER DELETE ON variations
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('variation');

CREATE TRIGGER rfis_attachments_deleted AFTER DELETE ON rfis
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('rfi');
