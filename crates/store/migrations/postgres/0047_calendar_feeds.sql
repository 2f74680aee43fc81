-- Calendar (iCal) feeds: a secret URL a calendar application subscribes to, read-only, for one
-- user's work (project_id NULL) or one project. Only the SHA-256 of the token is kept, like API
-- tokens; what the feed shows is evaluated at each fetch with its owner's current rights. A
-- revoked feed keeps its row (revoked_at set) so the profile can say it was revoked.
CREATE TABLE calendar_feeds (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id   uuid REFERENCES projects (id) ON DELETE CASCADE,
    prefix       text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX calendar_feeds_user_id_idx ON calendar_feeds (user_id);
CREATE INDEX calendar_feeds_project_id_idx ON calendar_feeds (project_id);
