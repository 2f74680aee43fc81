-- Calendar (iCal) feeds: a secret URL a calendar application subscribes to, read-only, for one
-- user's work (project_id NULL) or one project. Only the SHA-256 of the token is kept, like API
-- tokens; what the feed shows is evaluated at each fetch with its owner's current rights. A
-- revoked feed keeps its row (revoked_at set) so the profile can say it was revoked.
CREATE TABLE calendar_feeds (
    id           BLOB PRIMARY KEY NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id   BLOB REFERENCES projects (id) ON DELETE CASCADE,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;
CREATE INDEX calendar_feeds_user_id_idx ON calendar_feeds (user_id);
CREATE INDEX calendar_feeds_project_id_idx ON calendar_feeds (project_id);
