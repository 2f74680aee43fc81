-- Shop drawings: the register, immutable revisions with their files, review decisions,
-- and the scope items each drawing covers.

CREATE TABLE drawings (
    id         uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number     text NOT NULL,
    title      text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('plan', 'elevation', 'section', 'detail', 'assembly', 'schedule', 'other')),
    area       text,
    scheme     text NOT NULL CHECK (scheme IN ('letters', 'numbers')),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
    version    bigint NOT NULL
);
CREATE UNIQUE INDEX drawings_number_key ON drawings (project_id, lower(number));

CREATE TABLE drawing_revisions (
    id           uuid PRIMARY KEY,
    drawing_id   uuid NOT NULL REFERENCES drawings (id) ON DELETE CASCADE,
    seq          bigint NOT NULL,
    label        text NOT NULL,
    status       text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'approved_as_noted',
                                               'revise_and_resubmit', 'rejected')),
    notes        text,
    file_name    text NOT NULL,
    file_size    bigint NOT NULL CHECK (file_size > 0),
    file_sha256  text NOT NULL,
    file_mime    text NOT NULL,
    blob_key     text NOT NULL,
    uploaded_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    uploaded_at  timestamptz NOT NULL,
    submitted_at timestamptz,
    decided_at   timestamptz,
    version      bigint NOT NULL
);
-- Two uploads racing for the same next revision: one wins, the other is told to retry.
CREATE UNIQUE INDEX drawing_revisions_seq_key ON drawing_revisions (drawing_id, seq);
CREATE UNIQUE INDEX drawing_revisions_blob_key ON drawing_revisions (blob_key);

CREATE TABLE drawing_reviews (
    id            uuid PRIMARY KEY,
    revision_id   uuid NOT NULL REFERENCES drawing_revisions (id) ON DELETE CASCADE,
    reviewer_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    reviewer_name text,
    decision      text NOT NULL CHECK (decision IN ('approved', 'approved_as_noted', 'revise_and_resubmit', 'rejected')),
    comments      text,
    at            timestamptz NOT NULL
);
CREATE INDEX drawing_reviews_revision_idx ON drawing_reviews (revision_id);

CREATE TABLE drawing_scope_items (
    drawing_id    uuid NOT NULL REFERENCES drawings (id) ON DELETE CASCADE,
    scope_item_id uuid NOT NULL REFERENCES scope_items (id) ON DELETE CASCADE,
    PRIMARY KEY (drawing_id, scope_item_id)
);
CREATE INDEX drawing_scope_items_item_idx ON drawing_scope_items (scope_item_id);
