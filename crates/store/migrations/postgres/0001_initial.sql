-- Formula PM schema, PostgreSQL flavour. Table, column and index names match the SQLite
-- migration of the same name exactly; only types differ.

CREATE TABLE clients (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    client_type text,
    status      text NOT NULL CHECK (status IN ('prospect', 'active', 'inactive', 'archived')),
    address     text,
    website     text,
    notes       text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL
);
CREATE UNIQUE INDEX clients_name_key ON clients (lower(name));

CREATE TABLE contacts (
    id        uuid PRIMARY KEY,
    client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name      text NOT NULL,
    role      text,
    email     text,
    phone     text
);
CREATE INDEX contacts_client_id_idx ON contacts (client_id);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'executive', 'project_manager', 'designer',
                                                'coordinator', 'craftsman', 'client')),
    job_title     text,
    phone         text,
    skills        text NOT NULL DEFAULT '[]',
    status        text NOT NULL CHECK (status IN ('active', 'disabled')),
    client_id     uuid REFERENCES clients (id),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    version       bigint NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_client_id_idx ON users (client_id);

CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    ip           text,
    user_agent   text
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,
    token_hash   text NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz
);
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

CREATE TABLE password_resets (
    token_hash text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_resets_user_id_idx ON password_resets (user_id);

CREATE TABLE mail_outbox (
    id         uuid PRIMARY KEY,
    to_address text NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL,
    status     text NOT NULL CHECK (status IN ('logged', 'sent', 'failed')),
    created_at timestamptz NOT NULL
);
CREATE INDEX mail_outbox_created_at_idx ON mail_outbox (created_at);

CREATE TABLE projects (
    id                   uuid PRIMARY KEY,
    code                 text NOT NULL,
    name                 text NOT NULL,
    client_id            uuid NOT NULL REFERENCES clients (id),
    sector               text NOT NULL CHECK (sector IN ('commercial', 'residential', 'retail', 'hospitality',
                                                         'healthcare', 'industrial', 'education', 'other')),
    business_line        text NOT NULL CHECK (business_line IN ('millwork', 'fit_out', 'electrical', 'mep')),
    priority             text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    status               text NOT NULL CHECK (status IN ('on_tender', 'awarded', 'not_awarded', 'active',
                                                         'on_hold', 'completed', 'cancelled')),
    manager_id           uuid NOT NULL REFERENCES users (id),
    start_date           date,
    end_date             date,
    contract_value_minor bigint,
    budget_minor         bigint,
    currency             text NOT NULL,
    location             text,
    contract_number      text,
    description          text,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    updated_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    version              bigint NOT NULL
);
CREATE UNIQUE INDEX projects_code_key ON projects (code);
CREATE INDEX projects_client_id_idx ON projects (client_id);
CREATE INDEX projects_manager_id_idx ON projects (manager_id);

CREATE TABLE project_members (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('project_manager', 'designer', 'coordinator', 'site_supervisor',
                                             'craftsman', 'member')),
    added_at   timestamptz NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user_id_idx ON project_members (user_id);

CREATE TABLE tasks (
    id              uuid PRIMARY KEY,
    project_id      uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title           text NOT NULL,
    description     text,
    status          text NOT NULL CHECK (status IN ('pending', 'in_progress', 'review', 'completed', 'cancelled')),
    priority        text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    assignee_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    start_date      date,
    due_date        date,
    estimated_hours double precision CHECK (estimated_hours >= 0),
    actual_hours    double precision CHECK (actual_hours >= 0),
    progress        integer NOT NULL CHECK (progress BETWEEN 0 AND 100),
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    updated_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    version         bigint NOT NULL
);
CREATE INDEX tasks_project_id_idx ON tasks (project_id, status);
CREATE INDEX tasks_assignee_id_status_idx ON tasks (assignee_id, status);
CREATE INDEX tasks_due_date_idx ON tasks (due_date);

-- No foreign key on actor_id or entity_id: the history outlives what it describes.
CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor_id     uuid,
    actor_name   text,
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    uuid NOT NULL,
    entity_label text NOT NULL,
    changes      text NOT NULL DEFAULT '[]',
    request_id   text,
    ip           text,
    user_agent   text
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id);
