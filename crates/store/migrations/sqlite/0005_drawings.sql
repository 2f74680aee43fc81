-- Shop drawings: the register, immutable revisions with their files, review decisions,
-- and the scope items each drawing covers.

CREATE TABLE drawings (
    id         BLOB PRIMARY KEY NOT NULL,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number     TEXT NOT NULL,
    title      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('plan', 'elevation', 'section', 'detail', 'assembly', 'schedule', 'other')),
    area       TEXT,
    scheme     TEXT NOT NULL CHECK (scheme IN ('letters', 'numbers')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    version    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX drawings_number_key ON drawings (project_id, lower(number));

CREATE TABLE drawing_revisions (
    id           BLOB PRIMARY KEY NOT NULL,
    drawing_id   BLOB NOT NULL REFERENCES drawings (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    label        TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'approved_as_noted',
                                               'revise_and_resubmit', 'rejected')),
    notes        TEXT,
    file_name    TEXT NOT NULL,
    file_size    INTEGER NOT NULL CHECK (file_size > 0),
    file_sha256  TEXT NOT NULL,
    file_mime    TEXT NOT NULL,
    blob_key     TEXT NOT NULL,
    uploaded_by  BLOB REFERENCES users (id) ON DELETE SET NULL,
    uploaded_at  TEXT NOT NULL,
    submitted_at TEXT,
    decided_at   TEXT,
    version      INTEGER NOT NULL
) STRICT;
-- Two uploads racing for the same next revision: one wins, the other is told to retry.
CREATE UNIQUE INDEX drawing_revisions_seq_key ON drawing_revisions (drawing_id, seq);
CREATE UNIQUE INDEX drawing_revisions_blob_key ON drawing_revisions (blob_key);

CREATE TABLE drawing_reviews (
    id            BLOB PRIMARY KEY NOT NULL,
    revision_id   BLOB NOT NULL REFERENCES drawing_revisions (id) ON DELETE CASCADE,
    reviewer_id   BLOB REFERENCES users (id) ON DELETE SET NULL,
    reviewer_name TEXT,
    decision      TEXT NOT NULL CHECK (decision IN ('approved', 'approved_as_noted', 'revise_and_resubmit', 'rejected')),
    comments      TEXT,
    at            TEXT NOT NULL
) STRICT;
CREATE INDEX drawing_reviews_revision_idx ON drawing_reviews (revision_id);

CREATE TABLE drawing_scope_items (
    drawing_id    BLOB NOT NULL REFERENCES drawings (id) ON DELETE CASCADE,
    scope_item_id BLOB NOT NULL REFERENCES scope_items (id) ON DELETE CASCADE,
    PRIMARY KEY (drawing_id, scope_item_id)
) STRICT;
CREATE INDEX drawing_scope_items_item_idx ON drawing_scope_items (scope_item_id);
