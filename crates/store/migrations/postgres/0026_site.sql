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
-- Attachments gain two owners: an installation (its photo) and a snag (its photos). The
-- previous version runs on this schema.

CREATE TABLE installations (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    scope_item_id  uuid NOT NULL REFERENCES scope_items (id),
    room_id        uuid NOT NULL REFERENCES locations (id),
    quantity_milli bigint NOT NULL CHECK (quantity_milli <> 0),
    installed_on   date NOT NULL,
    installer      text,
    note           text,
    reverses_id    uuid,
    recorded_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    recorded_at    timestamptz NOT NULL
);
CREATE INDEX installations_item_room_idx ON installations (scope_item_id, room_id);
CREATE INDEX installations_room_idx ON installations (room_id);
-- A row is reversed at most once.
CREATE UNIQUE INDEX installations_reverses_key ON installations (reverses_id) WHERE reverses_id IS NOT NULL;
CREATE INDEX installations_project_idx ON installations (project_id, recorded_at);

CREATE TABLE snags (
    id                  uuid PRIMARY KEY,
    project_id          uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number              bigint NOT NULL CHECK (number > 0),
    room_id             uuid NOT NULL REFERENCES locations (id),
    scope_item_id       uuid REFERENCES scope_items (id) ON DELETE SET NULL,
    title               text NOT NULL,
    description         text,
    category            text NOT NULL,
    responsible_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    responsible_trade   text,
    due_on              date,
    status              text NOT NULL CHECK (status IN ('open', 'fixed', 'verified', 'closed', 'rejected')),
    client_visible      integer NOT NULL CHECK (client_visible IN (0, 1)),
    raised_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    raised_at           timestamptz NOT NULL,
    fixed_by            uuid REFERENCES users (id) ON DELETE SET NULL,
    fixed_at            timestamptz,
    verified_by         uuid REFERENCES users (id) ON DELETE SET NULL,
    verified_at         timestamptz,
    closed_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    closed_at           timestamptz,
    rejected_reason     text,
    updated_at          timestamptz NOT NULL,
    version             bigint NOT NULL
);
CREATE UNIQUE INDEX snags_number_key ON snags (project_id, number);
CREATE INDEX snags_room_idx ON snags (room_id, status);
CREATE INDEX snags_item_idx ON snags (scope_item_id);
CREATE INDEX snags_responsible_idx ON snags (responsible_user_id, status);

CREATE TABLE room_signoffs (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    room_id      uuid NOT NULL REFERENCES locations (id),
    signed_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    signed_at    timestamptz NOT NULL,
    client_name  text,
    note         text,
    reopened_at  timestamptz,
    reopened_by_snag_id uuid REFERENCES snags (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX room_signoffs_current_key ON room_signoffs (room_id) WHERE reopened_at IS NULL;
CREATE INDEX room_signoffs_project_idx ON room_signoffs (project_id);

ALTER TABLE attachments DROP CONSTRAINT attachments_owner_kind_check;
ALTER TABLE attachments ADD CONSTRAINT attachments_owner_kind_check
    CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec', 'comment', 'installation', 'snag'));

CREATE TRIGGER installations_attachments_deleted AFTER DELETE ON installations
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('installation');

CREATE TRIGGER snags_attachments_deleted AFTER DELETE ON snags
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('snag');
