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
    id         uuid PRIMARY KEY,
    key        text NOT NULL,
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('work', 'qa', 'packed')),
    position   bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL
);
CREATE UNIQUE INDEX workshop_stage_templates_key ON workshop_stage_templates (key);

CREATE TABLE workshop_stages (
    id         uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key        text NOT NULL,
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('work', 'qa', 'packed')),
    position   bigint NOT NULL,
    archived   integer NOT NULL CHECK (archived IN (0, 1)),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL
);
CREATE UNIQUE INDEX workshop_stages_key ON workshop_stages (project_id, key);
CREATE INDEX workshop_stages_project_idx ON workshop_stages (project_id, position);

CREATE TABLE qa_checks (
    id              uuid PRIMARY KEY,
    project_id      uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    scope_item_id   uuid NOT NULL REFERENCES scope_items (id),
    stage_id        uuid NOT NULL REFERENCES workshop_stages (id),
    quantity_milli  bigint NOT NULL CHECK (quantity_milli > 0),
    result          text NOT NULL CHECK (result IN ('pass', 'fail')),
    rework_stage_id uuid REFERENCES workshop_stages (id),
    notes           text,
    checked_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    checked_at      timestamptz NOT NULL,
    CHECK ((result = 'fail') = (rework_stage_id IS NOT NULL))
);
CREATE INDEX qa_checks_item_idx ON qa_checks (scope_item_id, checked_at);
CREATE INDEX qa_checks_project_idx ON qa_checks (project_id, checked_at);

CREATE TABLE workshop_moves (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    scope_item_id  uuid NOT NULL REFERENCES scope_items (id),
    from_stage_id  uuid REFERENCES workshop_stages (id),
    to_stage_id    uuid REFERENCES workshop_stages (id),
    quantity_milli bigint NOT NULL CHECK (quantity_milli > 0),
    kind           text NOT NULL CHECK (kind IN ('forward', 'rework', 'undo')),
    qa_check_id    uuid REFERENCES qa_checks (id),
    reverses_id    uuid,
    note           text,
    moved_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    moved_at       timestamptz NOT NULL,
    CHECK (from_stage_id IS NOT NULL OR to_stage_id IS NOT NULL),
    CHECK ((kind = 'undo') = (reverses_id IS NOT NULL))
);
CREATE INDEX workshop_moves_item_idx ON workshop_moves (scope_item_id, moved_at);
CREATE INDEX workshop_moves_project_idx ON workshop_moves (project_id, moved_at);
CREATE UNIQUE INDEX workshop_moves_reverses_key ON workshop_moves (reverses_id) WHERE reverses_id IS NOT NULL;

CREATE TABLE delivery_notes (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number           bigint NOT NULL CHECK (number > 0),
    destination_id   uuid REFERENCES locations (id) ON DELETE SET NULL,
    address          text,
    planned_on       date,
    vehicle          text,
    driver           text,
    notes            text,
    status           text NOT NULL CHECK (status IN ('planned', 'dispatched', 'partially_received', 'received', 'cancelled')),
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL,
    dispatched_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    dispatched_at    timestamptz,
    cancelled_at     timestamptz,
    cancelled_reason text,
    updated_at       timestamptz NOT NULL,
    version          bigint NOT NULL
);
CREATE UNIQUE INDEX delivery_notes_number_key ON delivery_notes (project_id, number);
CREATE INDEX delivery_notes_status_idx ON delivery_notes (project_id, status);

CREATE TABLE delivery_note_lines (
    id               uuid PRIMARY KEY,
    delivery_note_id uuid NOT NULL REFERENCES delivery_notes (id) ON DELETE CASCADE,
    position         bigint NOT NULL,
    scope_item_id    uuid NOT NULL REFERENCES scope_items (id),
    quantity_milli   bigint NOT NULL CHECK (quantity_milli > 0),
    received_milli   bigint NOT NULL CHECK (received_milli >= 0 AND received_milli <= quantity_milli),
    note             text
);
CREATE INDEX delivery_note_lines_note_idx ON delivery_note_lines (delivery_note_id, position);
CREATE INDEX delivery_note_lines_item_idx ON delivery_note_lines (scope_item_id);

CREATE TABLE delivery_receipts (
    id               uuid PRIMARY KEY,
    delivery_note_id uuid NOT NULL REFERENCES delivery_notes (id) ON DELETE CASCADE,
    received_on      date NOT NULL,
    received_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    signed_name      text NOT NULL,
    note             text,
    recorded_at      timestamptz NOT NULL
);
CREATE INDEX delivery_receipts_note_idx ON delivery_receipts (delivery_note_id, recorded_at);

CREATE TABLE delivery_receipt_lines (
    receipt_id     uuid NOT NULL REFERENCES delivery_receipts (id) ON DELETE CASCADE,
    line_id        uuid NOT NULL REFERENCES delivery_note_lines (id) ON DELETE CASCADE,
    quantity_milli bigint NOT NULL CHECK (quantity_milli > 0),
    PRIMARY KEY (receipt_id, line_id)
);
CREATE INDEX delivery_receipt_lines_line_idx ON delivery_receipt_lines (line_id);

ALTER TABLE project_settings ADD COLUMN progress_production integer NOT NULL DEFAULT 0 CHECK (progress_production BETWEEN 0 AND 100);
ALTER TABLE project_settings ADD COLUMN progress_delivery integer NOT NULL DEFAULT 0 CHECK (progress_delivery BETWEEN 0 AND 100);

ALTER TABLE attachments DROP CONSTRAINT attachments_owner_kind_check;
ALTER TABLE attachments ADD CONSTRAINT attachments_owner_kind_check
    CHECK (owner_kind IN ('project', 'task', 'scope_item', 'drawing', 'spec', 'comment', 'installation', 'snag', 'variation', 'rfi', 'purchase_order', 'goods_receipt', 'qa_check', 'delivery_note', 'delivery_receipt'));

CREATE TRIGGER qa_checks_attachments_deleted AFTER DELETE ON qa_checks
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('qa_check');
CREATE TRIGGER delivery_notes_attachments_deleted AFTER DELETE ON delivery_notes
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('delivery_note');
CREATE TRIGGER delivery_receipts_attachments_deleted AFTER DELETE ON delivery_receipts
    FOR EACH ROW EXECUTE FUNCTION delete_owned_attachments('delivery_receipt');
