-- Discussion: comments on projects, tasks, scope items, drawings, drawing revisions and
-- specifications, with their earlier wordings, mentions, and who follows which record.
--
-- A `threads` row stands for one record that can be discussed or followed. Its id is the
-- record's own id, and it has one real foreign key per kind of record (a column that is set
-- exactly when `kind` names it), so deleting a record deletes its discussion and nothing can
-- point at a record that does not exist. A kind of record that joins later adds one column
-- and its constraint in one migration.
CREATE TABLE threads (
    id                  uuid PRIMARY KEY,
    project_id          uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind                text NOT NULL,
    task_id             uuid REFERENCES tasks (id) ON DELETE CASCADE,
    scope_item_id       uuid REFERENCES scope_items (id) ON DELETE CASCADE,
    drawing_id          uuid REFERENCES drawings (id) ON DELETE CASCADE,
    drawing_revision_id uuid REFERENCES drawing_revisions (id) ON DELETE CASCADE,
    spec_id             uuid REFERENCES specs (id) ON DELETE CASCADE,
    created_at          timestamptz NOT NULL,
    CONSTRAINT threads_project CHECK ((kind = 'project') = (id = project_id)),
    CONSTRAINT threads_task CHECK ((kind = 'task') = (task_id IS NOT NULL) AND (task_id IS NULL OR task_id = id)),
    CONSTRAINT threads_scope_item CHECK ((kind = 'scope_item') = (scope_item_id IS NOT NULL) AND (scope_item_id IS NULL OR scope_item_id = id)),
    CONSTRAINT threads_drawing CHECK ((kind = 'drawing') = (drawing_id IS NOT NULL) AND (drawing_id IS NULL OR drawing_id = id)),
    CONSTRAINT threads_drawing_revision CHECK ((kind = 'drawing_revision') = (drawing_revision_id IS NOT NULL) AND (drawing_revision_id IS NULL OR drawing_revision_id = id)),
    CONSTRAINT threads_spec CHECK ((kind = 'spec') = (spec_id IS NOT NULL) AND (spec_id IS NULL OR spec_id = id))
);
CREATE INDEX threads_project_idx ON threads (project_id);

-- A comment is internal unless it is marked visible to the client. Deleting one is soft: the
-- row keeps its place in the conversation, marked deleted, and its text is never shown again.
CREATE TABLE comments (
    id          uuid PRIMARY KEY,
    thread_id   uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    author_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    visibility  text NOT NULL CHECK (visibility IN ('internal', 'client')),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL,
    edited_at   timestamptz,
    deleted_at  timestamptz,
    deleted_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    version     bigint NOT NULL
);
CREATE INDEX comments_thread_idx ON comments (thread_id, created_at);
CREATE INDEX comments_project_idx ON comments (project_id, created_at);

-- Each earlier wording of an edited comment, kept when it was replaced.
CREATE TABLE comment_edits (
    id         uuid PRIMARY KEY,
    comment_id uuid NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    body       text NOT NULL,
    edited_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    edited_at  timestamptz NOT NULL
);
CREATE INDEX comment_edits_comment_idx ON comment_edits (comment_id, edited_at);

-- Who a comment mentions (in its current wording).
CREATE TABLE comment_mentions (
    comment_id uuid NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_mentions_user_idx ON comment_mentions (user_id);

-- Who follows a record. `muted` remembers an explicit unfollow, so that commenting on or
-- being assigned to the record again does not sign the person up against their wish.
CREATE TABLE watchers (
    thread_id uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state     text NOT NULL CHECK (state IN ('following', 'muted')),
    since     timestamptz NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX watchers_user_idx ON watchers (user_id);
