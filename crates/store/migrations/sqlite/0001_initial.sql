-- Formula PM schema, SQLite flavour. Table, column and index names match the PostgreSQL
-- migration of the same name exactly; only types differ:
--   ids        BLOB (16-byte UUID)      timestamps TEXT (RFC 3339, UTC, microseconds)
--   dates      TEXT (YYYY-MM-DD)        money      INTEGER minor units + TEXT currency
-- Tables are STRICT so a wrongly typed bind fails instead of being stored.

CREATE TABLE clients (
    id          BLOB PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    client_type TEXT,
    status      TEXT NOT NULL CHECK (status IN ('prospect', 'active', 'inactive', 'archived')),
    address     TEXT,
    website     TEXT,
    notes       TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX clients_name_key ON clients (lower(name));

CREATE TABLE contacts (
    id        BLOB PRIMARY KEY NOT NULL,
    client_id BLOB NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    role      TEXT,
    email     TEXT,
    phone     TEXT
) STRICT;
CREATE INDEX contacts_client_id_idx ON contacts (client_id);

CREATE TABLE users (
    id            BLOB PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'executive', 'project_manager', 'designer',
                                                'coordinator', 'craftsman', 'client')),
    job_title     TEXT,
    phone         TEXT,
    skills        TEXT NOT NULL DEFAULT '[]',
    status        TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    client_id     BLOB REFERENCES clients (id),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_client_id_idx ON users (client_id);

CREATE TABLE sessions (
    id           BLOB PRIMARY KEY NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT
) STRICT;
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           BLOB PRIMARY KEY NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT
) STRICT;
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
) STRICT;
CREATE INDEX password_resets_user_id_idx ON password_resets (user_id);

CREATE TABLE mail_outbox (
    id         BLOB PRIMARY KEY NOT NULL,
    to_address TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('logged', 'sent', 'failed')),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX mail_outbox_created_at_idx ON mail_outbox (created_at);

CREATE TABLE projects (
    id                  BLOB PRIMARY KEY NOT NULL,
    code                TEXT NOT NULL,
    name                TEXT NOT NULL,
    client_id           BLOB NOT NULL REFERENCES clients (id),
    sector              TEXT NOT NULL CHECK (sector IN ('commercial', 'residential', 'retail', 'hospitality',
                                                        'healthcare', 'industrial', 'education', 'other')),
    business_line       TEXT NOT NULL CHECK (business_line IN ('millwork', 'fit_out', 'electrical', 'mep')),
    priority            TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    status              TEXT NOT NULL CHECK (status IN ('on_tender', 'awarded', 'not_awarded', 'active',
                                                        'on_hold', 'completed', 'cancelled')),
    manager_id          BLOB NOT NULL REFERENCES users (id),
    start_date          TEXT,
    end_date            TEXT,
    contract_value_minor INTEGER,
    budget_minor        INTEGER,
    currency            TEXT NOT NULL,
    location            TEXT,
    contract_number     TEXT,
    description         TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    updated_by          BLOB REFERENCES users (id) ON DELETE SET NULL,
    version             INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX projects_code_key ON projects (code);
CREATE INDEX projects_client_id_idx ON projects (client_id);
CREATE INDEX projects_manager_id_idx ON projects (manager_id);

CREATE TABLE project_members (
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('project_manager', 'designer', 'coordinator', 'site_supervisor',
                                             'craftsman', 'member')),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
) STRICT;
CREATE INDEX project_members_user_id_idx ON project_members (user_id);

CREATE TABLE tasks (
    id              BLOB PRIMARY KEY NOT NULL,
    project_id      BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title           TEXT NOT NULL,
    description     TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'review', 'completed', 'cancelled')),
    priority        TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    assignee_id     BLOB REFERENCES users (id) ON DELETE SET NULL,
    start_date      TEXT,
    due_date        TEXT,
    estimated_hours REAL CHECK (estimated_hours >= 0),
    actual_hours    REAL CHECK (actual_hours >= 0),
    progress        INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 100),
    completed_at    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    updated_by      BLOB REFERENCES users (id) ON DELETE SET NULL,
    version         INTEGER NOT NULL
) STRICT;
CREATE INDEX tasks_project_id_idx ON tasks (project_id, status);
CREATE INDEX tasks_assignee_id_status_idx ON tasks (assignee_id, status);
CREATE INDEX tasks_due_date_idx ON tasks (due_date);

-- No foreign key on actor_id or entity_id: the history outlives what it describes.
CREATE TABLE audit_log (
    id           BLOB PRIMARY KEY NOT NULL,
    at           TEXT NOT NULL,
    actor_id     BLOB,
    actor_name   TEXT,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    BLOB NOT NULL,
    entity_label TEXT NOT NULL,
    changes      TEXT NOT NULL DEFAULT '[]',
    request_id   TEXT,
    ip           TEXT,
    user_agent   TEXT
) STRICT;
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id);
