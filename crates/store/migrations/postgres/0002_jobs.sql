-- Background jobs and scheduler leases (PostgreSQL flavour; names match the SQLite file).
--
-- A job is enqueued in the same transaction as the change that causes it, claimed by one
-- worker at a time (`locked_by` until `locked_until`, `FOR UPDATE SKIP LOCKED`), retried
-- with back-off (`failed` with a later `run_at`) and finally `dead` after `max_attempts`,
-- where admins see it. `unique_key` (e.g. `cleanup_sessions@2026-01-01T03:30Z`) keeps a
-- scheduled slot from being enqueued twice by two instances; NULL for ordinary jobs.

CREATE TABLE jobs (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL,
    payload      text NOT NULL DEFAULT '{}',
    status       text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'dead')),
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL CHECK (max_attempts >= 1),
    run_at       timestamptz NOT NULL,
    locked_by    text,
    locked_until timestamptz,
    last_error   text,
    unique_key   text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    finished_at  timestamptz
);
-- Claiming looks for the earliest due job among `queued` and `failed` (awaiting retry).
CREATE INDEX jobs_claim_idx ON jobs (status, run_at);
CREATE UNIQUE INDEX jobs_unique_key_key ON jobs (unique_key);

-- One row per lease name: whoever holds an unexpired row runs the scheduler.
CREATE TABLE scheduler_leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);
