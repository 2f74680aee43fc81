-- An administrator's invitation: a single-use, expiring link by e-mail where the new user
-- chooses their own password. One per user: inviting again replaces the link (the row is
-- overwritten). Only the SHA-256 of the token is kept; the row stays after use so that an
-- old link can say it was already used.
CREATE TABLE invitations (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX invitations_invited_by_idx ON invitations (invited_by);
