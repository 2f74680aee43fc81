-- First-run setup: the transaction that creates the first administrator also claims the one
-- row this table can hold, and only while there are no users. Checking "no users yet" and
-- then inserting raced: concurrent setups on an empty database each saw none and each made
-- an administrator. The key lets exactly one claim succeed (a concurrent claim waits for the
-- first to commit, then finds the row taken). Databases set up before this migration have
-- users, so setup stays closed for them without a row here. The previous version runs on
-- this schema unchanged (it never reads the table).

CREATE TABLE setup_claims (
    id         integer PRIMARY KEY CHECK (id = 1),
    user_id    uuid NOT NULL,
    claimed_at timestamptz NOT NULL
);
