-- First-run setup: the transaction that creates the first administrator also claims the one
-- row this table can hold, and only while there are no users. Checking "no users yet" and
-- then inserting raced: concurrent setups on an empty database each saw none and each made
-- an administrator. The key lets exactly one claim succeed. Databases set up before this
-- migration have users, so setup stays closed for them without a row here. The previous
-- version runs on this schema unchanged (it never reads the table).

CREATE TABLE setup_claims (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    user_id    BLOB NOT NULL,
    claimed_at TEXT NOT NULL
) STRICT;
