-- An administrator's invitation: a single-use, expiring link by e-mail where the new user
-- chooses their own password. One per user: inviting again replaces the link (the row is
-- overwritten). Only the SHA-256 of the token is kept; the row stays after use so that an
-- old link can say it was already used.
CREATE TABLE invitations (
    user_id    BLOB PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
) STRICT;
CREATE INDEX invitations_invited_by_idx ON invitations (invited_by);
