-- Who decides on a project's drawings and material specifications: designated reviewers
-- (when any are named, only they — and administrators — decide), and whether the client's
-- own users may approve what was submitted to them.

ALTER TABLE project_settings ADD COLUMN client_approvals integer NOT NULL DEFAULT 0 CHECK (client_approvals IN (0, 1));

CREATE TABLE project_reviewers (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_reviewers_user_idx ON project_reviewers (user_id);
