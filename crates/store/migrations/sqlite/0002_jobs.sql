-- Background jobs and scheduler leases (SQLite flavour; names match the PostgreSQL file).
--
-- A job is enqueued in the same transaction as the change that causes it, claimed by one
-- worker at a time (`locked_by` until `locked_until`), retried with back-off (`failed`
-- with a later `run_at`) and finally `dead` after `max_attempts`, where admins see it.
-- `unique_key` (e.g. `cleanup_sessions@2026-01-01T03:30Z`) keeps a scheduled slot from
-- being enqueued twice by two instances; NULL for ordinary jobs.

CREATE TABLE jobs (
    id           BLOB PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at       TEXT NOT NULL,
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    unique_key   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    finished_at  TEXT
) STRICT;
-- Claiming looks for the earliest due job among `queued` and `failed` (awaiting retry).
CREATE INDEX jobs_claim_idx ON jobs (status, run_at);
CREATE UNIQUE INDEX jobs_unique_key_key ON jobs (unique_key);

-- One row per lease name: whoever holds an unexpired row runs the scheduler.
CREATE TABLE scheduler_leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
