-- A message a page shows once after a redirect (Post/Redirect/Get), kept server-side with
-- the session it belongs to: at most one per session, taken (deleted) by the read that shows
-- it, gone with its session. The payload is sealed by the web layer with a key derived from
-- the session cookie, which the database never holds (only its hash), so a new API token's
-- secret is never stored here in a usable form.
CREATE TABLE session_flashes (
    session_id uuid PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    payload    text NOT NULL,
    expires_at timestamptz NOT NULL
);
